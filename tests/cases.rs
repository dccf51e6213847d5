//! Cases as data: `tests/cases/<kind>/<name>.input.json` beside `<name>.expected.json`, run by
//! one runner that lists every mismatch of every case at once. Adding a case needs no Rust.
//!
//! Kinds:
//! - `convert`: `{"releases": [...], "as_of"?: "<RFC 3339>", "sectors"?: [[[sector]] rules]}`:
//!   the releases are compiled per ocid (in the order given) and converted as one project
//!   (with the id prefix `oc4ids-test00`), then judged.
//! - `assess`: `{"project": {...}}`: an OC4IDS project, judged as it is.
//! - `flags`: either of the two; red flags are the point. Any input may set `thresholds` (the
//!   `[flags]` table; defaults otherwise).
//!
//! Expected (every key optional):
//! - `fields`: JSON pointer into the project → the value there (`null`: absent);
//! - `verdicts`: `CODE` (project level) or `CODE@suffix` (the process whose id ends with the
//!   suffix) → `D`, `PT`, `N`, `NA` or `NY`;
//! - `reasons`: the same keys → a fragment of the verdict's reason;
//! - `notes`: a conversion note's path → a fragment of its message (convert only);
//! - `flags`: `code` or `code@suffix` → `raised`, `clear`, `unknown` or `not_applicable`;
//!   `flag_texts` → a fragment of its explanation (either language); `flag_paths` → its paths.
//!
//! Every converted project is also validated against the OC4IDS schema (when `../shared` is
//! there): whatever a case feeds in, the package must stay valid.
//!
//! Keys starting with `_` are comments.

use std::collections::BTreeMap;
use std::path::Path;

use costwatch::config::FlagSettings;
use costwatch::flags::{self, Flag};
use costwatch::ids::{self, Outcome, Verdict};
use costwatch::oc4ids::{self, Options};
use costwatch::ocds::CompiledProcess;
use costwatch::ocds::{Merger, history};
use serde_json::{Map, Value};

use crate::util::{json, package_errors, root, shared};

fn short(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Disclosed => "D",
        Outcome::Partial => "PT",
        Outcome::Missing => "N",
        Outcome::NotApplicable => "NA",
        Outcome::NotYetApplicable => "NY",
    }
}

/// `CODE` or `CODE@suffix`.
fn find<'a>(verdicts: &'a [Verdict], key: &str) -> Option<&'a Verdict> {
    verdicts.iter().find(|v| match key.split_once('@') {
        Some((code, suffix)) => {
            v.code == code && v.process.as_deref().is_some_and(|p| p.ends_with(suffix))
        }
        None => v.code == key && v.process.is_none(),
    })
}

/// Runs one kind of case input.
type Runner = fn(&Value) -> Result<Outcomes, String>;

/// What a case produced.
struct Outcomes {
    project: Value,
    verdicts: Vec<Verdict>,
    notes: Vec<(String, String)>,
    flags: Vec<Flag>,
}

/// `[flags]` thresholds: the defaults, with what the input's `thresholds` sets.
fn thresholds(input: &Value) -> Result<FlagSettings, String> {
    match input.get("thresholds") {
        Some(t) => serde_json::from_value(t.clone()).map_err(|e| format!("thresholds: {e}")),
        None => Ok(FlagSettings::default()),
    }
}

fn run_convert(input: &Value) -> Result<Outcomes, String> {
    let releases = input["releases"]
        .as_array()
        .ok_or("`releases` must be an array")?;
    let mut by_ocid: Vec<(String, Vec<Value>)> = Vec::new();
    for r in releases {
        let ocid = r["ocid"].as_str().ok_or("a release without `ocid`")?;
        match by_ocid.iter_mut().find(|(o, _)| o == ocid) {
            Some((_, list)) => list.push(r.clone()),
            None => by_ocid.push((ocid.to_string(), vec![r.clone()])),
        }
    }
    let rows: Vec<CompiledProcess> = by_ocid
        .iter()
        .map(|(ocid, list)| {
            let (data, history, _) = history::compile(&Merger::default(), list);
            CompiledProcess {
                ocid: ocid.clone(),
                data,
                history,
                releases: list.len() as u64,
                compiled_in: 0,
            }
        })
        .collect();
    let as_of = input["as_of"].as_str().unwrap_or("2025-01-01T00:00:00Z");
    let opts = Options {
        id_prefix: "oc4ids-test00".into(),
        as_of: costwatch::util::parse_instant(as_of).ok_or("`as_of` is not a date-time")?,
        sectors: match input.get("sectors") {
            Some(v) => serde_json::from_value(v.clone()).map_err(|e| format!("sectors: {e}"))?,
            None => Vec::new(),
        },
    };
    let converted = oc4ids::publishable(oc4ids::convert("case", &rows, &opts));
    let verdicts = ids::assess(&converted.project);
    let flags = flags::assess(&converted.project, &rows, &thresholds(input)?);
    Ok(Outcomes {
        notes: converted
            .notes
            .iter()
            .map(|n| (n.path.clone(), n.message.clone()))
            .collect(),
        project: converted.project,
        verdicts,
        flags,
    })
}

fn run_assess(input: &Value) -> Result<Outcomes, String> {
    let project = input.get("project").ok_or("no `project`")?.clone();
    Ok(Outcomes {
        verdicts: ids::assess(&project),
        flags: flags::assess(&project, &[], &thresholds(input)?),
        project,
        notes: Vec::new(),
    })
}

/// A flag case: releases (converted, so the flags see the dates OC4IDS does not carry) or an
/// OC4IDS project.
fn run_flags(input: &Value) -> Result<Outcomes, String> {
    if input.get("releases").is_some() {
        run_convert(input)
    } else {
        run_assess(input)
    }
}

/// `code` (project level) or `code@suffix` (the process whose id ends with the suffix).
fn find_flag<'a>(flags: &'a [Flag], key: &str) -> Option<&'a Flag> {
    flags.iter().find(|f| match key.split_once('@') {
        Some((code, suffix)) => {
            f.code == code && f.process.as_deref().is_some_and(|p| p.ends_with(suffix))
        }
        None => f.code == key && f.process.is_none(),
    })
}

fn entries(expected: &Value, key: &str) -> Map<String, Value> {
    expected
        .get(key)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// Compares one case; returns its mismatches and how many things it checked.
fn compare(got: &Outcomes, expected: &Value) -> (Vec<String>, usize) {
    let mut bad = Vec::new();
    let mut checked = 0;
    for (pointer, want) in entries(expected, "fields") {
        checked += 1;
        let found = got.project.pointer(&pointer);
        let ok = match &want {
            Value::Null => found.is_none(),
            v => found == Some(v),
        };
        if !ok {
            bad.push(format!("{pointer}: expected {want}, got {found:?}"));
        }
    }
    for (key, want) in entries(expected, "verdicts") {
        checked += 1;
        match find(&got.verdicts, &key) {
            Some(v) if Some(short(v.outcome)) == want.as_str() => {}
            Some(v) => bad.push(format!(
                "{key}: expected {want}, got {} ({})",
                short(v.outcome),
                v.reason
            )),
            None => bad.push(format!("{key}: not judged")),
        }
    }
    for (key, want) in entries(expected, "reasons") {
        checked += 1;
        let fragment = want.as_str().unwrap_or_default();
        match find(&got.verdicts, &key) {
            Some(v) if v.reason.contains(fragment) => {}
            Some(v) => bad.push(format!("{key}: reason `{}` lacks `{fragment}`", v.reason)),
            None => bad.push(format!("{key}: not judged")),
        }
    }
    for (key, want) in entries(expected, "flags") {
        checked += 1;
        match find_flag(&got.flags, &key) {
            Some(f) if Some(f.state.as_str()) == want.as_str() => {}
            Some(f) => bad.push(format!(
                "flag {key}: expected {want}, got {} ({})",
                f.state.as_str(),
                f.explanation
            )),
            None => bad.push(format!("flag {key}: not judged")),
        }
    }
    for (key, want) in entries(expected, "flag_texts") {
        checked += 1;
        let fragment = want.as_str().unwrap_or_default();
        match find_flag(&got.flags, &key) {
            Some(f) if f.explicacion.contains(fragment) || f.explanation.contains(fragment) => {}
            Some(f) => bad.push(format!(
                "flag {key}: `{}` / `{}` lacks `{fragment}`",
                f.explicacion, f.explanation
            )),
            None => bad.push(format!("flag {key}: not judged")),
        }
    }
    for (key, want) in entries(expected, "flag_paths") {
        checked += 1;
        match find_flag(&got.flags, &key) {
            Some(f) if serde_json::to_value(&f.paths).ok().as_ref() == Some(&want) => {}
            Some(f) => bad.push(format!("flag {key}: paths {:?}, expected {want}", f.paths)),
            None => bad.push(format!("flag {key}: not judged")),
        }
    }
    for (path, want) in entries(expected, "notes") {
        checked += 1;
        let fragment = want.as_str().unwrap_or_default();
        if !got
            .notes
            .iter()
            .any(|(p, m)| *p == path && m.contains(fragment))
        {
            let at: Vec<&str> = got
                .notes
                .iter()
                .filter(|(p, _)| *p == path)
                .map(|(_, m)| m.as_str())
                .collect();
            bad.push(format!(
                "note at {path}: none contains `{fragment}` (has {at:?})"
            ));
        }
    }
    (bad, checked)
}

/// Runs every case of one kind; returns failures by case and the number of checks.
fn run_kind(
    dir: &Path,
    run: Runner,
    schema: Option<&Path>,
) -> (BTreeMap<String, Vec<String>>, usize, usize) {
    let mut failures = BTreeMap::new();
    let mut checked = 0;
    let mut cases = 0;
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".input.json"))
        .collect();
    names.sort();
    for input_path in names {
        cases += 1;
        let name = input_path
            .file_name()
            .map(|n| {
                n.to_string_lossy()
                    .trim_end_matches(".input.json")
                    .to_string()
            })
            .unwrap_or_default();
        let expected_path = dir.join(format!("{name}.expected.json"));
        let mut bad = Vec::new();
        if !expected_path.exists() {
            bad.push(format!("no {}", expected_path.display()));
        } else {
            let input = json(&input_path);
            match run(&input) {
                Ok(got) => {
                    // A converted project must be one the package can hold.
                    if let (Some(base), true) = (schema, input.get("releases").is_some()) {
                        let package = serde_json::json!({
                            "version": "0.9", "uri": "https://example.org/cases.json",
                            "publishedDate": "2025-01-01T00:00:00Z",
                            "publisher": {"name": "costwatch tests"},
                            "projects": [got.project],
                        });
                        bad.extend(package_errors(base, &package));
                    }
                    let (b, n) = compare(&got, &json(&expected_path));
                    if n == 0 {
                        bad.push("the expected file checks nothing".into());
                    }
                    checked += n;
                    bad.extend(b);
                }
                Err(why) => bad.push(format!("input: {why}")),
            }
        }
        if !bad.is_empty() {
            failures.insert(name, bad);
        }
    }
    (failures, cases, checked)
}

#[test]
fn every_case_file_holds() {
    let base = root().join("tests/cases");
    let kinds: [(&str, Runner); 3] = [
        ("convert", run_convert),
        ("assess", run_assess),
        ("flags", run_flags),
    ];
    let mut report = Vec::new();
    let mut total = 0;
    let shared = shared();
    for (kind, run) in kinds {
        let (failures, cases, checked) = run_kind(&base.join(kind), run, shared.as_deref());
        assert!(cases > 0, "no cases in tests/cases/{kind}");
        total += checked;
        for (name, bad) in failures {
            for b in bad {
                report.push(format!("{kind}/{name}: {b}"));
            }
        }
    }
    assert!(
        report.is_empty(),
        "{} mismatches in {total} checks:\n{}",
        report.len(),
        report.join("\n")
    );
}
