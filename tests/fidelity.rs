//! Issue #4's case that needs Rust: a red flag judged on a converted project without the
//! releases it came from. The mapping, stage-gate and red-flag cases are data files in
//! `tests/cases/`.

use costwatch::config::FlagSettings;
use costwatch::flags::{self, FlagState};
use costwatch::oc4ids::{self, Converted, Options};
use costwatch::ocds::CompiledProcess;
use costwatch::ocds::{Merger, history};
use serde_json::{Value, json};

fn row(ocid: &str, releases: &[Value]) -> CompiledProcess {
    let (data, history, _) = history::compile(&Merger::default(), releases);
    CompiledProcess {
        ocid: ocid.into(),
        data,
        history,
        releases: releases.len() as u64,
        compiled_in: 0,
    }
}

/// One release per ocid, dated 2024-01-01.
fn rows(bodies: &[(&str, Value)]) -> Vec<CompiledProcess> {
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

fn convert(rows: &[CompiledProcess]) -> Converted {
    let opts = Options {
        id_prefix: "oc4ids-test00".into(),
        // 2025-01-01
        as_of: 1_735_689_600_000_000_000,
        sectors: Vec::new(),
    };
    oc4ids::convert("p1", rows, &opts)
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

fn flag(project: &Value, rows: &[CompiledProcess], t: &FlagSettings, code: &str) -> flags::Flag {
    flags::assess(project, rows, t)
        .into_iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("{code}"))
}

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
