//! The differential test: the committed fixtures through the whole run, compared field by
//! field with expected outputs derived by hand (tests/expected/differential.json), plus the
//! verdicts and red flags those fields decide. Every mismatch is listed at once.

use costwatch::pipeline::{RunOptions, run};
use serde_json::Value;

use crate::util::{fixture_config, json, root, sheet_items};

fn short(outcome: &str) -> &str {
    match outcome {
        "disclosed" => "D",
        "partial" => "PT",
        "missing" => "N",
        "not_applicable" => "NA",
        "not_yet_applicable" => "NY",
        other => other,
    }
}

/// `CODE` or `CODE@suffix`: the suffix picks the process whose ocid ends with it.
fn matches(key: &str, code: &str, process: Option<&str>) -> bool {
    match key.split_once('@') {
        Some((c, suffix)) => c == code && process.is_some_and(|p| p.ends_with(suffix)),
        None => key == code && process.is_none(),
    }
}

#[test]
fn fixture_projects_match_the_hand_derived_conversion() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = fixture_config(dir.path());
    run(&config, &RunOptions::default()).expect("run");
    let expected = json(&root().join("tests/expected/differential.json"));
    let mut failures = Vec::new();
    let mut checked = 0;
    for (id, want) in expected.as_object().expect("object") {
        if id.starts_with('_') {
            continue;
        }
        let sheet = json(&dir.path().join(format!("out/projects/{id}.json")));
        let project = &sheet["project"];
        for (pointer, value) in want["fields"].as_object().expect("fields") {
            checked += 1;
            let got = project.pointer(pointer);
            let ok = match value {
                Value::Null => got.is_none(),
                v => got == Some(v),
            };
            if !ok {
                failures.push(format!("{id}{pointer}: expected {value}, got {got:?}"));
            }
        }
        let verdicts = sheet_items(&sheet, "verdicts");
        for (key, outcome) in want["verdicts"].as_object().expect("verdicts") {
            checked += 1;
            let got = verdicts.iter().find(|v| {
                matches(
                    key,
                    v["code"].as_str().unwrap_or_default(),
                    v["process"].as_str(),
                )
            });
            let got = got.and_then(|v| v["outcome"].as_str()).map(short);
            if got != outcome.as_str() {
                failures.push(format!("{id} {key}: expected {outcome}, got {got:?}"));
            }
        }
        let flags = sheet_items(&sheet, "flags");
        for (key, state) in want["flags"].as_object().expect("flags") {
            checked += 1;
            let got = flags
                .iter()
                .find(|f| {
                    matches(
                        key,
                        f["code"].as_str().unwrap_or_default(),
                        f["process"].as_str(),
                    )
                })
                .and_then(|f| f["state"].as_str());
            if got != state.as_str() {
                failures.push(format!("{id} flag {key}: expected {state}, got {got:?}"));
            }
        }
        // Evidence: every verdict that was judged points at a release of the fixtures, through
        // the file's table of origins.
        let origins = sheet["origins"].as_array().expect("origins");
        for v in &verdicts {
            let evidence = v["evidence"].as_array().map(Vec::as_slice).unwrap_or(&[]);
            if evidence.is_empty() {
                failures.push(format!("{id} {}: no evidence", v["code"]));
            }
            for i in evidence {
                let Some(e) = i.as_u64().and_then(|i| origins.get(i as usize)) else {
                    failures.push(format!("{id} {}: evidence {i} not in origins", v["code"]));
                    continue;
                };
                let location = e["location"].as_str().unwrap_or_default();
                if !location.contains("fixtures/ocds/mop.json")
                    || e["fetched_at"].as_str().is_none()
                {
                    failures.push(format!("{id} {}: evidence {e}", v["code"]));
                }
            }
        }
    }
    // flags.csv lists what a reader should look at: raised flags and undecidable ones.
    let csv = std::fs::read_to_string(dir.path().join("out/flags.csv")).expect("flags.csv");
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert!(rows.iter().any(|r| r.starts_with("oc4ids-cwdemo-MOP-005,")
        && r.contains("MOP-005-1,single_tenderer,raised,")));
    assert!(
        rows.iter()
            .all(|r| r.contains(",raised,") || r.contains(",unknown,"))
    );
    assert!(checked > 100, "checked {checked}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
