//! Tests against the reference material in ../shared (skipped with a notice when absent).

use std::collections::BTreeMap;

use costwatch::ids::{self, Outcome};
use costwatch::ocds::package::{self, Item};
use costwatch::ocds::{Merger, Rule, Rules, rules::merge_patch};
use serde_json::Value;

use crate::util::{json, shared};

fn compile_case(rules: &Rules, input: &Value) -> Value {
    let releases = input.as_array().expect("array of releases").clone();
    Merger::new(rules.clone()).compile(&releases).0
}

/// Every compiled-release case of the merge fixtures, reporting all failures at once.
#[test]
fn merge_fixtures_compile_as_expected() {
    let Some(shared) = shared() else { return };
    let base = shared.join("standards/ocds-merge-fixtures");
    let schema_rules = Rules::from_schema(&json(&base.join("schema.json")));
    let mut failures = Vec::new();
    let mut checked = 0;
    for (dir, rules) in [("1.1", Rules::ocds_1_1()), ("schema", schema_rules.clone())] {
        let mut entries: Vec<_> = std::fs::read_dir(base.join(dir))
            .expect("fixtures dir")
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            let Some(stem) = name.strip_suffix("-compiled.json") else {
                continue;
            };
            let input = json(&path.with_file_name(format!("{stem}.json")));
            let got = compile_case(&rules, &input);
            checked += 1;
            if got != json(&path) {
                failures.push(format!("{dir}/{stem}: got {got}"));
            }
        }
    }
    // Publisher overrides: the input concatenated with itself, merged by position or appended.
    for (input, expected, rule) in [
        (
            "identifier-merge-duplicate-id",
            "identifier-merge-duplicate-id-by-position",
            Rule::ByPosition,
        ),
        (
            "identifier-merge-duplicate-id",
            "identifier-merge-duplicate-id-append",
            Rule::Append,
        ),
        (
            "identifier-merge-no-id",
            "identifier-merge-no-id-append",
            Rule::Append,
        ),
    ] {
        let mut rules = Rules::ocds_1_1();
        rules.set("nested/array", rule);
        let one = json(&base.join(format!("schema/{input}.json")));
        let mut twice = one.as_array().expect("array").clone();
        twice.extend(one.as_array().expect("array").iter().cloned());
        let got = compile_case(&rules, &Value::Array(twice));
        checked += 1;
        if got != json(&base.join(format!("schema/{expected}.json"))) {
            failures.push(format!("{expected}: got {got}"));
        }
    }
    assert!(checked >= 30, "only {checked} cases found");
    assert!(
        failures.is_empty(),
        "{} of {checked} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The built-in rule table equals the rules derived from the OCDS 1.1.5 release schema
/// patched with the four extensions.
#[test]
fn builtin_rules_match_the_schemas() {
    let Some(shared) = shared() else { return };
    let std = shared.join("standards");
    let mut schema = json(&std.join("ocds-1.1.5/release-schema.json"));
    for ext in [
        "project",
        "budget_breakdown",
        "location",
        "contract_completion",
    ] {
        merge_patch(
            &mut schema,
            &json(&std.join(format!("ocds-extensions/{ext}/release-schema.json"))),
        );
    }
    assert_eq!(
        Rules::from_schema(&schema).sorted(),
        Rules::ocds_1_1().sorted()
    );
}

/// Spec §10.1: every verdict on the OC4IDS worked example, proactive and reactive.
#[test]
fn worked_example_verdicts() {
    let Some(shared) = shared() else { return };
    let package = json(&shared.join("standards/oc4ids-0.9.5/examples/example.json"));
    let project = &package["projects"][0];
    let expected_project = "PJ-CO-1 D, PJ-CO-2 D, PJ-CO-3 D, PJ-CO-4 D, PJ-CO-5 D, PJ-CO-6 N, PJ-ID-1 D, \
        PJ-ID-2 D, PJ-ID-3 D, PJ-ID-4 D, PJ-ID-5 D, PJ-ID-6 D, PJ-ID-7 D, PJ-PR-1 N, PJ-PR-2 D, PJ-PR-3 N, \
        PJ-PR-4 D, PJ-PR-5 D, PJ-PR-6 D, PJ-PR-7 D, RPJ-CO-1 D, RPJ-CO-2 N, RPJ-CO-3 PT, RPJ-CO-4 N, \
        RPJ-CO-5 N, RPJ-CO-6 N, RPJ-IP-1 D, RPJ-IP-2 D, RPJ-IP-3 PT, RPJ-IP-4 N, RPJ-IP-5 D, RPJ-IP-6 N, \
        RPJ-IP-7 D, RPJ-IP-8 D";
    let mut expected: BTreeMap<String, String> = expected_project
        .split(", ")
        .map(|p| {
            let (code, o) = p.split_once(' ').expect("pair");
            (code.to_string(), o.to_string())
        })
        .collect();
    let cp = ["CP1", "CP2", "CP3"];
    for code in (1..=13).map(|i| format!("PC-PR-{i}")) {
        for c in cp {
            expected.insert(format!("{code}/{c}"), "D".into());
        }
    }
    for code in (1..=6).map(|i| format!("PC-IM-{i}")) {
        expected.insert(format!("{code}/CP1"), "D".into());
        expected.insert(format!("{code}/CP2"), "NA".into());
        expected.insert(format!("{code}/CP3"), "NA".into());
    }
    let reactive = "RPC-PR-1 D D D, RPC-PR-2 D D D, RPC-PR-3 N N N, RPC-PR-4 N N N, RPC-PR-5 N N N, \
        RPC-CT-1 N N N, RPC-CT-2 D D D, RPC-CT-3 N N N, RPC-IM-1 D NA NA, RPC-IM-2 N N N, \
        RPC-IM-3 N N N, RPC-IM-4 D N N, RPC-IM-5 N NA NA";
    for row in reactive.split(", ") {
        let mut parts = row.split(' ');
        let code = parts.next().expect("code");
        for (c, o) in cp.iter().zip(parts) {
            expected.insert(format!("{code}/{c}"), o.to_string());
        }
    }
    let ids: Vec<String> = project["contractingProcesses"]
        .as_array()
        .expect("processes")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_string())
        .collect();
    let mut got = BTreeMap::new();
    for v in ids::assess(project) {
        let key = match &v.process {
            Some(p) => {
                let i = ids.iter().position(|x| x == p).expect("known process");
                format!("{}/{}", v.code, cp[i])
            }
            None => v.code.to_string(),
        };
        got.insert(key, v.outcome.short().to_string());
    }
    let diff: Vec<String> = expected
        .iter()
        .filter(|(k, v)| got.get(*k) != Some(*v))
        .map(|(k, v)| format!("{k}: expected {v}, got {:?}", got.get(k)))
        .collect();
    assert_eq!(got.len(), expected.len());
    assert!(diff.is_empty(), "{}", diff.join("\n"));
    // The administrative entity is conditional and flagged as such.
    let verdicts = ids::assess(project);
    assert!(
        verdicts
            .iter()
            .any(|v| v.code == "PC-PR-3" && v.conditional && v.outcome == Outcome::Disclosed)
    );
    // A document decides RPJ-IP-2: disclosed, but its contents were not inspected; a field
    // (the procurement method) is not a document.
    let by_code = |code: &str| verdicts.iter().find(|v| v.code == code).expect(code);
    assert!(by_code("RPJ-IP-2").document_not_inspected);
    assert!(!by_code("RPC-PR-2").document_not_inspected);
    assert!(by_code("RPJ-CO-2").conditional);
}

fn read_file(path: &std::path::Path) -> (usize, package::Summary) {
    let mut n = 0;
    let mut sink = |_: Item| -> Result<(), std::io::Error> {
        n += 1;
        Ok(())
    };
    let summary = match package::read(std::fs::File::open(path).expect("open"), None, &mut sink) {
        Ok(s) => s,
        Err(package::ReadError::NotUtf8(_)) => {
            n = 0;
            let mut sink = |_: Item| -> Result<(), std::io::Error> {
                n += 1;
                Ok(())
            };
            package::read(
                std::fs::File::open(path).expect("open"),
                Some(package::Encoding::Latin1),
                &mut sink,
            )
            .expect("latin-1 read")
        }
        Err(e) => panic!("{}: {e}", path.display()),
    };
    (n, summary)
}

/// Every upstream input is read or quarantined with a reason; none panics.
#[test]
fn upstream_inputs_are_read_or_quarantined() {
    let Some(shared) = shared() else { return };
    let up = shared.join("fixtures-upstream");
    let cases: &[(&str, usize, bool)] = &[
        // (path, items, fatal)
        ("ocds/mexico-cdmx/release-package-1.json", 2, false),
        (
            "ocds/mexico-cdmx/release-package_encoding-iso-8859-1.json",
            3,
            false,
        ),
        (
            "ocds/mexico-cdmx/release-package_encoding-utf-8.json",
            3,
            false,
        ),
        ("ocds/mexico-cdmx/release-package_split.json", 4, false),
        ("ocds/mexico-federal/record-package-1.json", 2, false),
        ("compressed/ocds-sample-data.json.gz", 6, false),
        ("edge-cases/ocdskit/detect-format_whitespace.json", 1, false),
        ("edge-cases/ocdskit/detect-format_mixed.json", 1, false),
        ("edge-cases/ocdskit/detect-format_array.json", 0, false),
        ("edge-cases/lib-cove-oc4ids/invalid-json.json", 0, true),
        ("edge-cases/cardinal-rs/invalid_brace_last.jsonl", 0, false),
    ];
    for (path, items, fatal) in cases {
        let (n, s) = read_file(&up.join(path));
        assert_eq!(n, *items, "{path}: items");
        assert_eq!(s.is_fatal(), *fatal, "{path}: {:?}", s.issues);
    }
    // ISO-8859-1 and UTF-8 copies give the same data.
    let (_, latin) =
        read_file(&up.join("ocds/mexico-cdmx/release-package_encoding-iso-8859-1.json"));
    assert_eq!(latin.encoding, package::Encoding::Latin1);
    // Every other edge case reads without panicking, and anything unusable has a reason.
    for dir in [
        "edge-cases/cardinal-rs",
        "edge-cases/ocdskit",
        "edge-cases/lib-cove-oc4ids",
    ] {
        for entry in std::fs::read_dir(up.join(dir)).expect("dir").flatten() {
            let (n, s) = read_file(&entry.path());
            assert!(
                n > 0 || !s.issues.is_empty() || entry.path().ends_with("detect-format_array.json"),
                "{}: nothing read and no reason",
                entry.path().display()
            );
        }
    }
}
