//! Issue #4 on small hand-written cases: each OCDS→OC4IDS mapping beyond the first slice
//! (sector map, status and completion, transactions, metrics, reactive documents), each stage
//! gate, and each red flag with its threshold.

use costwatch::config::{FlagSettings, SectorRule};
use costwatch::flags::{self, FlagState};
use costwatch::ids::{self, Outcome};
use costwatch::oc4ids::{self, Converted, Options};
use costwatch::ocds::{Merger, history};
use costwatch::store::CompiledRow;
use serde_json::{Value, json};

fn row(ocid: &str, releases: &[Value]) -> CompiledRow {
    let (data, history, _) = history::compile(&Merger::default(), releases);
    CompiledRow {
        ocid: ocid.into(),
        data,
        history,
        releases: releases.len() as u64,
    }
}

/// One release per ocid, dated 2024-01-01.
fn rows(bodies: &[(&str, Value)]) -> Vec<CompiledRow> {
    bodies
        .iter()
        .map(|(ocid, body)| {
            let mut r = json!({"ocid": ocid, "id": format!("{ocid}-1"), "date": "2024-01-01T00:00:00Z",
                               "tag": ["compiled"], "initiationType": "tender"});
            for (k, v) in body.as_object().expect("object") {
                r[k] = v.clone();
            }
            row(ocid, &[r])
        })
        .collect()
}

fn convert_with(rows: &[CompiledRow], sectors: Vec<SectorRule>) -> Converted {
    let opts = Options {
        id_prefix: "oc4ids-test00".into(),
        // 2025-01-01
        as_of: 1_735_689_600_000_000_000,
        sectors,
    };
    oc4ids::convert("p1", rows, &opts)
}

fn convert(rows: &[CompiledRow]) -> Converted {
    convert_with(rows, Vec::new())
}

fn outcome(project: &Value, code: &str, process: Option<&str>) -> Outcome {
    ids::assess(project)
        .into_iter()
        .find(|v| v.code == code && v.process.as_deref() == process)
        .map(|v| v.outcome)
        .unwrap_or_else(|| panic!("{code} not assessed"))
}

fn has_note(c: &Converted, path: &str, needle: &str) -> bool {
    c.notes
        .iter()
        .any(|n| n.path == path && n.message.contains(needle))
}

/// A contract that closed on time, paid in two transactions.
fn finished() -> Value {
    json!({
        "parties": [{"id": "B", "name": "Ministerio", "roles": ["buyer"]},
                    {"id": "S", "name": "Constructora", "roles": ["supplier"],
                     "identifier": {"scheme": "PA-RUC", "id": "1-2-3"}}],
        "buyer": {"id": "B", "name": "Ministerio"},
        "tender": {"id": "T", "status": "complete", "procurementMethod": "open", "numberOfTenderers": 3,
                   "tenderPeriod": {"endDate": "2023-03-01T00:00:00Z"},
                   "value": {"amount": 900, "currency": "PAB"}},
        "awards": [{"id": "A", "status": "active", "value": {"amount": 1000, "currency": "PAB"},
                    "suppliers": [{"id": "S"}]}],
        "contracts": [{"id": "C", "awardID": "A", "status": "terminated", "dateSigned": "2023-04-01T00:00:00Z",
                       "value": {"amount": 1000, "currency": "PAB"},
                       "description": "Puente vehicular de 40 m",
                       "period": {"startDate": "2023-04-01T00:00:00Z", "endDate": "2023-12-31T00:00:00Z"},
                       "documents": [{"id": 1, "documentType": "contractSigned", "url": "https://x/c.pdf"},
                                     {"id": 2, "documentType": "escalationApprovals", "url": "https://x/e.pdf"}],
                       "implementation": {
                           "endDate": "2024-02-15T00:00:00Z", "endDateDetails": "Lluvias",
                           "transactions": [
                               {"id": 1, "date": "2023-06-01T00:00:00Z", "value": {"amount": 600, "currency": "PAB"},
                                "payer": {"id": "B"}, "payee": {"id": "S"}},
                               {"id": 2, "date": "2024-03-01T00:00:00Z", "value": {"amount": 500, "currency": "PAB"},
                                "payer": {"id": "B"}, "payee": {"id": "S"}}],
                           "metrics": [{"id": "physicalProgress", "observations": [{"id": 1, "measure": 100}]}],
                           "documents": [{"id": 3, "documentType": "projectCompletionReport", "url": "https://x/f.pdf"},
                                         {"id": 4, "documentType": "finalAudit", "url": "https://x/a.pdf"}]}}]
    })
}

// ---- mappings -------------------------------------------------------------------------------

#[test]
fn sector_is_mapped_by_the_configured_classification_map() {
    let map = vec![
        SectorRule {
            scheme: "UNSPSC".into(),
            code: "7214*".into(),
            sector: "transport.road".into(),
        },
        SectorRule {
            scheme: "COFOG".into(),
            code: "04.5.1".into(),
            sector: "transport".into(),
        },
    ];
    // The project's own sector, in a local scheme, goes through the map and is kept.
    let with_sector = rows(&[(
        "o1",
        json!({"planning": {"project": {"sector": {"scheme": "COFOG", "id": "04.5.1"}}}}),
    )]);
    let c = convert_with(&with_sector, map.clone());
    assert_eq!(c.project["sector"], json!(["transport"]));
    assert_eq!(
        c.project["additionalClassifications"],
        json!([{"scheme": "COFOG", "id": "04.5.1"}])
    );
    // No project sector: the tender items' classifications are mapped, and the note says so.
    let with_items = rows(&[(
        "o1",
        json!({"tender": {"id": "T", "items": [{"id": "1", "classification": {"scheme": "UNSPSC", "id": "72141103"}}]}}),
    )]);
    let c = convert_with(&with_items, map.clone());
    assert_eq!(c.project["sector"], json!(["transport", "transport.road"]));
    assert!(has_note(&c, "/sector", "items"));
    // An unmapped sector is not invented, and the note names it.
    let unmapped = rows(&[(
        "o1",
        json!({"planning": {"project": {"sector": {"scheme": "MEF-PA", "id": "07.3"}}}}),
    )]);
    let c = convert_with(&unmapped, map);
    assert!(c.project.get("sector").is_none());
    assert!(has_note(&c, "/sector", "MEF-PA 07.3"));
    // COFOG is mapped by the map that ships with costwatch when no rule covers it.
    let cofog = rows(&[(
        "o1",
        json!({"planning": {"project": {"sector": {"scheme": "COFOG", "id": "07.3"}}}}),
    )]);
    let c = convert(&cofog);
    assert_eq!(c.project["sector"], json!(["health"]));
}

#[test]
fn completed_contract_gives_status_completion_payments_and_reactive_documents() {
    let c = convert(&rows(&[("o1", finished())]));
    let p = &c.project;
    assert_eq!(p["status"], json!("completion"));
    // Actual cost: no finalValue, so the sum of the transactions (600 + 500).
    assert_eq!(
        p["completion"]["finalValue"],
        json!({"amount": 1100, "currency": "PAB"})
    );
    assert_eq!(p["completion"]["endDate"], json!("2024-02-15T00:00:00Z"));
    assert_eq!(p["completion"]["endDateDetails"], json!("Lluvias"));
    assert_eq!(
        p["completion"]["finalScope"],
        json!("Puente vehicular de 40 m")
    );
    let s = &p["contractingProcesses"][0]["summary"];
    assert_eq!(s["status"], json!("closed"));
    assert_eq!(s["finalValue"]["amount"], json!(1100));
    let tx = &s["transactions"];
    assert_eq!(tx.as_array().map(Vec::len), Some(2));
    assert_eq!(tx[0]["id"], json!("1"), "ids become strings");
    assert_eq!(tx[0]["payer"], json!({"id": "B", "name": "Ministerio"}));
    // The supplier has an identifier, so its canonical id is scheme-id.
    assert_eq!(
        tx[0]["payee"],
        json!({"id": "PA-RUC-1-2-3", "name": "Constructora"})
    );
    // Metrics from the implementation; observation ids as strings.
    assert_eq!(p["metrics"][0]["id"], json!("physicalProgress"));
    assert_eq!(p["metrics"][0]["observations"][0]["id"], json!("1"));
    // Reactive documents: the mapping's spellings become the codelist's.
    let types: Vec<&str> = s["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .filter_map(|d| d["documentType"].as_str())
        .collect();
    assert!(types.contains(&"escalationApproval"), "{types:?}");
    assert!(types.contains(&"completionCertificate"), "{types:?}");
    let project_types: Vec<&str> = p["documents"]
        .as_array()
        .expect("project documents")
        .iter()
        .filter_map(|d| d["documentType"].as_str())
        .collect();
    assert_eq!(project_types, ["completionCertificate", "finalAudit"]);
    // Public authority from the buyer.
    assert_eq!(
        p["publicAuthority"],
        json!({"id": "B", "name": "Ministerio"})
    );
    // And the elements that rest on them.
    let o = |code: &str, process| outcome(p, code, process);
    assert_eq!(o("PJ-CO-1", None), Outcome::Disclosed);
    assert_eq!(o("PJ-CO-2", None), Outcome::Disclosed);
    assert_eq!(o("PJ-CO-3", None), Outcome::Disclosed);
    assert_eq!(o("PJ-CO-5", None), Outcome::Disclosed);
    assert_eq!(o("PJ-CO-6", None), Outcome::Partial, "finalAudit only");
    assert_eq!(o("RPJ-CO-1", None), Outcome::Disclosed, "metric observed");
    assert_eq!(o("RPJ-CO-3", None), Outcome::Disclosed);
    assert_eq!(o("RPJ-CO-6", None), Outcome::Partial, "finalAudit only");
    assert_eq!(o("RPC-IM-2", Some("o1")), Outcome::Disclosed);
    assert_eq!(o("RPC-IM-4", Some("o1")), Outcome::Disclosed);
    assert_eq!(o("RPC-CT-1", Some("o1")), Outcome::Disclosed);
    assert_eq!(
        o("RPC-CT-2", Some("o1")),
        Outcome::Disclosed,
        "supplier identified"
    );
}

#[test]
fn projected_completion_values_are_noted() {
    let mut body = finished();
    body["contracts"][0]["implementation"] = json!({});
    let c = convert(&rows(&[("o1", body)]));
    assert_eq!(c.project["completion"]["finalValue"]["amount"], json!(1000));
    assert_eq!(
        c.project["completion"]["endDate"],
        json!("2023-12-31T00:00:00Z")
    );
    assert!(has_note(&c, "/completion/finalValue", "projected"));
    assert!(has_note(&c, "/completion/endDate", "projected"));
    assert!(
        c.project["contractingProcesses"][0]["summary"]
            .get("finalValue")
            .is_none()
    );
}

#[test]
fn project_status_follows_the_processes() {
    let status = |bodies: &[(&str, Value)]| convert(&rows(bodies)).project.get("status").cloned();
    let planning = json!({"planning": {"budget": {"amount": {"amount": 5, "currency": "PAB"}}}});
    let open = json!({"tender": {"id": "T", "status": "active"}});
    let cancelled = json!({"tender": {"id": "T", "status": "cancelled"}});
    assert_eq!(
        status(&[("o1", planning.clone())]),
        Some(json!("preparation"))
    );
    assert_eq!(
        status(&[("o1", planning), ("o2", open.clone())]),
        Some(json!("implementation"))
    );
    assert_eq!(
        status(&[("o1", cancelled.clone())]),
        Some(json!("cancelled"))
    );
    assert_eq!(
        status(&[("o1", finished()), ("o2", cancelled)]),
        Some(json!("completion"))
    );
    assert_eq!(
        status(&[("o1", finished()), ("o2", open)]),
        Some(json!("implementation"))
    );
}

#[test]
fn disagreeing_processes_are_reported_not_last_wins() {
    let c = convert(&rows(&[
        (
            "o1",
            json!({"planning": {"project": {"title": "Puente A"}}}),
        ),
        (
            "o2",
            json!({"planning": {"project": {"title": "Puente B"}}}),
        ),
    ]));
    assert!(c.project.get("title").is_none());
    assert!(has_note(&c, "/title", "disagree"));
}

// ---- stage gates ----------------------------------------------------------------------------

#[test]
fn elements_before_their_stage_are_not_yet_applicable() {
    let project = |status: &str| json!({"id": "p", "status": status});
    let o = |status: &str, code: &str| outcome(&project(status), code, None);
    assert_eq!(o("identification", "PJ-PR-1"), Outcome::NotYetApplicable);
    assert_eq!(o("preparation", "PJ-PR-1"), Outcome::Missing);
    assert_eq!(o("preparation", "RPJ-CO-5"), Outcome::NotYetApplicable);
    assert_eq!(o("implementation", "RPJ-CO-5"), Outcome::Missing);
    assert_eq!(o("implementation", "PJ-CO-2"), Outcome::NotYetApplicable);
    assert_eq!(o("maintenance", "PJ-CO-2"), Outcome::Missing);
    // A cancelled project will never be completed: not applicable, not "not yet".
    assert_eq!(o("cancelled", "PJ-CO-2"), Outcome::NotApplicable);
    // A pre-award process: post-award elements are not yet due.
    let p = json!({"id": "p", "contractingProcesses": [{"id": "o1", "summary": {"status": "pre-award"}}]});
    assert_eq!(
        outcome(&p, "PC-PR-10", Some("o1")),
        Outcome::NotYetApplicable
    );
    assert_eq!(
        outcome(&p, "RPC-CT-1", Some("o1")),
        Outcome::NotYetApplicable
    );
    assert_eq!(outcome(&p, "PC-PR-9", Some("o1")), Outcome::Missing);
    // No change: the variation elements are not applicable (nothing will make them due).
    assert_eq!(outcome(&p, "PC-IM-1", Some("o1")), Outcome::NotApplicable);
}

// ---- red flags ------------------------------------------------------------------------------

fn flag(project: &Value, rows: &[CompiledRow], t: &FlagSettings, code: &str) -> flags::Flag {
    flags::assess(project, rows, t)
        .into_iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("{code}"))
}

// The other flag cases are data: tests/cases/flags.

#[test]
fn without_its_releases_a_signature_date_cannot_be_judged() {
    let t = FlagSettings::default();
    let ok_rows = rows(&[("o1", finished())]);
    let c = convert(&ok_rows);
    // OC4IDS alone does not carry the dates: unknown, not clear.
    assert_eq!(
        flag(&c.project, &[], &t, "signed_before_tender_end").state,
        FlagState::Unknown
    );
}
