//! Change events from the release history, through compile → convert → assess: the
//! implementation elements PC-IM-1…6 on small hand-written contracts.

use costwatch::ids::{self, Outcome};
use costwatch::oc4ids::{self, Options};
use costwatch::ocds::CompiledProcess;
use costwatch::ocds::{Merger, history};
use serde_json::{Value, json};

fn release(id: &str, date: &str, contract: Value) -> Value {
    json!({"ocid": "ocds-ev-1", "id": id, "date": date, "tag": ["contract"],
           "initiationType": "tender", "tender": {"id": "T1", "status": "complete"},
           "contracts": [contract]})
}

fn base() -> Value {
    json!({"id": "C1", "awardID": "A1", "status": "active",
           "value": {"amount": 1000, "currency": "PAB"},
           "period": {"startDate": "2024-01-01T00:00:00Z", "endDate": "2024-12-31T00:00:00Z"},
           "description": "Construcción de aceras"})
}

/// Compiles the releases as the pipeline does (`history::compile`) and returns the
/// modifications and the implementation verdicts of the process.
fn verdicts(releases: &[Value]) -> (Value, Vec<(String, Outcome)>) {
    let (compiled, hist, _) = history::compile(&Merger::default(), releases);
    let row = CompiledProcess {
        ocid: "ocds-ev-1".into(),
        data: compiled,
        history: hist,
        releases: releases.len() as u64,
        compiled_in: 0,
    };
    let opts = Options {
        id_prefix: "oc4ids-ev".into(),
        as_of: 0,
        sectors: Vec::new(),
    };
    let converted = oc4ids::convert("ocds-ev-1", &[row], &opts);
    let v = ids::assess(&converted.project)
        .into_iter()
        .filter(|v| v.code.starts_with("PC-IM"))
        .map(|v| (v.code.to_string(), v.outcome))
        .collect();
    let mods = converted.project["contractingProcesses"][0]["summary"]["modifications"].clone();
    (mods, v)
}

fn outcome(v: &[(String, Outcome)], code: &str) -> Outcome {
    v.iter()
        .find(|(c, _)| c == code)
        .map(|(_, o)| *o)
        .unwrap_or_else(|| panic!("{code} not assessed: {v:?}"))
}

#[test]
fn a_price_change_with_its_amendment_is_disclosed_with_old_and_new_values() {
    let mut changed = base();
    changed["value"] = json!({"amount": 1250, "currency": "PAB"});
    changed["amendments"] = json!([{"id": "AM1", "date": "2024-06-01T00:00:00Z",
        "description": "Adenda No. 1: aumento de cantidades", "rationale": "Suelo inestable"}]);
    let (mods, v) = verdicts(&[
        release("r1", "2024-01-01T00:00:00Z", base()),
        release("r2", "2024-06-02T00:00:00Z", changed),
    ]);
    assert_eq!(mods.as_array().map(Vec::len), Some(1), "{mods}");
    assert_eq!(mods[0]["type"], json!("value"));
    assert_eq!(mods[0]["oldContractValue"]["amount"], json!(1000));
    assert_eq!(mods[0]["newContractValue"]["amount"], json!(1250));
    assert_eq!(mods[0]["releaseID"], json!("r2"));
    assert_eq!(outcome(&v, "PC-IM-1"), Outcome::Disclosed);
    assert_eq!(
        outcome(&v, "PC-IM-5"),
        Outcome::Disclosed,
        "the change has a reason"
    );
    assert_eq!(
        outcome(&v, "PC-IM-6"),
        Outcome::NotApplicable,
        "no scope/duration change"
    );
    // Evidence of change, but no duration or scope modification: missing, not N/A.
    assert_eq!(outcome(&v, "PC-IM-3"), Outcome::Missing);
}

#[test]
fn a_longer_contract_without_a_reason_is_partial_and_its_reason_missing() {
    let mut longer = base();
    longer["period"]["endDate"] = json!("2025-06-30T00:00:00Z");
    let (mods, v) = verdicts(&[
        release("r1", "2024-01-01T00:00:00Z", base()),
        release("r2", "2024-09-01T00:00:00Z", longer),
    ]);
    assert_eq!(mods[0]["type"], json!("duration"));
    assert_eq!(
        mods[0]["newContractPeriod"]["endDate"],
        json!("2025-06-30T00:00:00Z")
    );
    // Date, old and new end are there; no description: partial.
    assert_eq!(outcome(&v, "PC-IM-3"), Outcome::Partial);
    assert_eq!(
        outcome(&v, "PC-IM-6"),
        Outcome::Missing,
        "a change without a reason"
    );
    assert_eq!(outcome(&v, "PC-IM-5"), Outcome::NotApplicable);
}

#[test]
fn a_scope_change_is_detected_from_the_description() {
    let mut wider = base();
    wider["description"] = json!("Construcción de aceras y cunetas");
    let (mods, _) = verdicts(&[
        release("r1", "2024-01-01T00:00:00Z", base()),
        release("r2", "2024-03-01T00:00:00Z", wider),
    ]);
    assert_eq!(mods[0]["type"], json!("scope"));
    assert_eq!(mods[0]["date"], json!("2024-03-01T00:00:00Z"));
}

#[test]
fn no_change_leaves_every_variation_not_applicable() {
    let (mods, v) = verdicts(&[
        release("r1", "2024-01-01T00:00:00Z", base()),
        release("r2", "2024-02-01T00:00:00Z", base()),
    ]);
    assert!(mods.is_null(), "{mods}");
    for code in [
        "PC-IM-1", "PC-IM-2", "PC-IM-3", "PC-IM-4", "PC-IM-5", "PC-IM-6",
    ] {
        assert_eq!(outcome(&v, code), Outcome::NotApplicable, "{code}");
    }
}
