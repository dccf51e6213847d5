//! Property tests: laws the merge and the checks must keep whatever the data.

use costwatch::ids::{self, Disclosure, Level, Outcome, Verdict, catalogue};
use costwatch::ocds::Merger;
use costwatch::score;
use proptest::prelude::*;
use serde_json::{Value, json};

/// Arbitrary JSON, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        "[a-z ]{0,6}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A JSON string literal of `chars`, each written plainly or as a `\u` escape.
fn string_literal(chars: &[(char, bool)]) -> String {
    let mut out = String::from("\"");
    for &(c, escaped) in chars {
        if escaped || c < ' ' || c == '"' || c == '\\' {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out.push('"');
    out
}

/// Arbitrary JSON texts as publishers write them: spaces anywhere, keys repeated, escapes,
/// numbers with more digits than a float holds.
fn any_json_text() -> impl Strategy<Value = String> {
    let space = "[ \t\r\n]{0,2}";
    let chars = prop::collection::vec((any::<char>(), any::<bool>()), 0..5);
    let leaf = prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        Just("false".to_string()),
        "-?(0|[1-9][0-9]{0,24})(\\.[0-9]{1,4})?([eE][+-]?[0-9]{1,3})?",
        chars.prop_map(|c| string_literal(&c)),
    ];
    leaf.prop_recursive(3, 24, 4, move |inner| {
        // Keys from a small alphabet, so that they repeat, sometimes written as escapes: a
        // repeated key is the same key whether or not it was escaped.
        let key = prop::collection::vec(
            (prop::sample::select(vec!['a', 'b', 'é']), any::<bool>()),
            1..3,
        )
        .prop_map(|c| string_literal(&c));
        let member = (key, inner.clone(), space);
        prop_oneof![
            prop::collection::vec((inner, space), 0..4).prop_map(|items| {
                let items: Vec<String> = items
                    .into_iter()
                    .map(|(v, s)| format!("{s}{v}{s}"))
                    .collect();
                format!("[{}]", items.join(","))
            }),
            prop::collection::vec(member, 0..5).prop_map(|members| {
                let members: Vec<String> = members
                    .into_iter()
                    .map(|(k, v, s)| format!("{s}{k}{s}:{s}{v}"))
                    .collect();
                format!("{{{}}}", members.join(","))
            }),
        ]
    })
}

/// Releases of one ocid with small, overlapping award lists.
fn releases() -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec(
        (1u8..28, prop::collection::vec((0u8..4, "[a-c]{1,2}"), 0..3), "[a-z]{0,3}"),
        1..5,
    )
    .prop_map(|rs| {
        rs.into_iter()
            .enumerate()
            .map(|(i, (day, awards, title))| {
                json!({
                    "ocid": "ocds-x", "id": i.to_string(),
                    "date": format!("2024-01-{day:02}T00:00:00Z"),
                    "tender": {"title": title},
                    "awards": awards.into_iter().map(|(id, t)| json!({"id": id, "title": t})).collect::<Vec<_>>(),
                })
            })
            .collect()
    })
}

/// A verdict on a catalogue element (by index) for a process (by index) with an outcome.
fn verdict(element: usize, process: u8, outcome: u8) -> Verdict {
    let e = &catalogue()[element % catalogue().len()];
    let outcome = [
        Outcome::Disclosed,
        Outcome::Partial,
        Outcome::Missing,
        Outcome::NotApplicable,
        Outcome::NotYetApplicable,
    ][usize::from(outcome % 5)];
    Verdict {
        code: e.code.as_str(),
        level: e.level,
        process: (e.level == Level::Process).then(|| format!("o{}", process % 3)),
        outcome,
        path: String::new(),
        reason: String::new(),
        conditional: e.conditional,
        disclosure: e.disclosure,
        document_not_inspected: false,
        evidence: Vec::new(),
    }
}

fn verdicts() -> impl Strategy<Value = Vec<Verdict>> {
    prop::collection::vec((0usize..66, any::<u8>(), any::<u8>()), 0..80).prop_map(|v| {
        // One verdict per (element, process), as the assessor gives.
        let mut out: Vec<Verdict> = Vec::new();
        for (e, p, o) in v {
            let v = verdict(e, p, o);
            if !out
                .iter()
                .any(|x| x.code == v.code && x.process == v.process)
            {
                out.push(v);
            }
        }
        out
    })
}

proptest! {
    /// Scores stay within 0–100, the lenient figure is never below the strict one, elements
    /// not due never count (adding or removing them changes nothing), and the run's polars
    /// frame agrees with the sheet's own computation.
    #[test]
    fn scores_are_bounded_and_ignore_elements_not_due(vs in verdicts(), weights in prop::collection::vec(0.0f64..5.0, 66)) {
        let weight = |code: &str| {
            let i = catalogue().iter().position(|e| e.code == code).unwrap_or(0);
            weights[i]
        };
        let own = score::project_figures(&vs, weight);
        for f in [Some(own.score), Some(own.lenient), own.reactive, own.project_level, own.contract_level].into_iter().flatten() {
            prop_assert!((0.0..=100.0).contains(&f), "{f}");
        }
        prop_assert!(own.lenient >= own.score);
        let due: Vec<Verdict> = vs.iter().filter(|v| v.outcome.is_due()).cloned().collect();
        prop_assert_eq!(&score::project_figures(&due, weight), &own);
        let proactive_due = due.iter().filter(|v| v.disclosure == Disclosure::Proactive)
            .map(|v| v.code).collect::<std::collections::HashSet<_>>().len() as u32;
        prop_assert_eq!(own.applicable, proactive_due);

        let mut input = score::Input::default();
        let scored: Vec<score::Scored> = vs.iter().filter_map(score::Scored::of).collect();
        input.push_project("p", "e", &score::summarise(&scored, weight));
        let scores = score::compute(input, &[("p".into(), "e".into(), 3)], None).expect("scores");
        if proactive_due == 0 {
            prop_assert!(scores.projects.is_empty() || scores.projects[0].applicable == 0);
        } else {
            let p = &scores.projects[0];
            prop_assert!((0.0..=100.0).contains(&p.score));
            prop_assert!((p.score - own.score).abs() < 0.011, "{} vs {}", p.score, own.score);
            prop_assert_eq!(p.reactive.map(|r| (r * 100.0).round()), own.reactive.map(|r| (r * 100.0).round()));
        }
    }

    /// A JSON text hashed from its borrowed parts hashes as its parsed value does: a release
    /// stored from a line of its own must be a repeat of the same release read from a package.
    #[test]
    fn a_text_hashes_as_its_value(text in any_json_text()) {
        let value: Value = serde_json::from_str(&text).expect("the generator writes JSON");
        let parsed = costwatch::util::canonical::Text::parse(&text).expect("the same JSON");
        prop_assert_eq!(parsed.hash(), costwatch::util::canonical::content_hash(&value));
    }

    /// Merging releases followed by exact repeats of them gives the same compiled release.
    #[test]
    fn exact_repeats_change_nothing(rs in releases()) {
        let merger = Merger::default();
        let (once, _) = merger.compile(&rs);
        let mut twice = rs.clone();
        twice.extend(rs.iter().cloned());
        let (again, _) = merger.compile(&twice);
        prop_assert_eq!(once, again);
    }

    /// Any JSON given as a project yields exactly one verdict per element and unit, and never panics.
    #[test]
    fn checks_are_total(value in any_json(), processes in prop::collection::vec(any_json(), 0..3)) {
        let mut project = match value {
            Value::Object(m) => Value::Object(m),
            other => json!({ "title": other }),
        };
        project["contractingProcesses"] = Value::Array(processes.clone());
        let verdicts = ids::assess(&project);
        prop_assert_eq!(verdicts.len(), 34 + 32 * processes.len());
    }

    /// Merging never panics on arbitrary release bodies.
    #[test]
    fn merge_is_total(bodies in prop::collection::vec(any_json(), 1..4)) {
        let rs: Vec<Value> = bodies
            .into_iter()
            .enumerate()
            .map(|(i, b)| {
                let mut r = json!({"ocid": "o", "id": i.to_string(), "date": "2024-01-01T00:00:00Z"});
                if let Value::Object(m) = b {
                    for (k, v) in m {
                        r[k] = v;
                    }
                }
                r
            })
            .collect();
        let _ = Merger::default().compile(&rs);
    }
}
