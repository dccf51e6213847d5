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
    /// Scores stay within 0–100, the lenient figure is never below the strict one, and elements
    /// not due never count (adding or removing them changes nothing).
    #[test]
    fn scores_are_bounded_and_ignore_elements_not_due(vs in verdicts(), weights in prop::collection::vec(0.0f64..5.0, 66)) {
        let weight = |code: &str| {
            let i = catalogue().iter().position(|e| e.code == code).unwrap_or(0);
            weights[i]
        };
        // A project's figures as its sheet shows them, from every verdict it was given.
        let figures = |vs: &[Verdict]| {
            let scored: Vec<score::Scored> = vs.iter().filter_map(score::Scored::of).collect();
            score::summarise(&scored, weight).own()
        };
        let own = figures(&vs);
        for f in [Some(own.score), Some(own.lenient), own.reactive, own.project_level, own.contract_level].into_iter().flatten() {
            prop_assert!((0.0..=100.0).contains(&f), "{f}");
        }
        prop_assert!(own.lenient >= own.score);
        let due: Vec<Verdict> = vs.iter().filter(|v| v.outcome.is_due()).cloned().collect();
        prop_assert_eq!(&figures(&due), &own);
        let proactive_due = due.iter().filter(|v| v.disclosure == Disclosure::Proactive)
            .map(|v| v.code).collect::<std::collections::HashSet<_>>().len() as u32;
        prop_assert_eq!(own.applicable, proactive_due);
    }

    /// The run's tables follow the README's rules, worked out here plainly from the verdicts
    /// of several projects and entities (weights 0 included): each project's figures, each
    /// process's, each entity's element shares and mean score, and which projects and
    /// processes are listed at all.
    #[test]
    fn the_tables_follow_the_rules(
        projects in prop::collection::vec((0u8..3, verdicts()), 1..6),
        weights in prop::collection::vec(prop_oneof![Just(0.0), 0.0f64..5.0], 66),
    ) {
        let weight = |code: &str| {
            let i = catalogue().iter().position(|e| e.code == code).unwrap_or(0);
            weights[i]
        };
        let mut input = score::Input::default();
        let mut counts = Vec::new();
        for (i, (entity, vs)) in projects.iter().enumerate() {
            let scored: Vec<score::Scored> = vs.iter().filter_map(score::Scored::of).collect();
            let (p, e) = (format!("p{i}"), format!("e{entity}"));
            input.push_project(&p, &e, &score::summarise(&scored, weight));
            counts.push((p, e, 1));
        }
        let scores = score::compute(input, &counts, None).expect("scores");
        let close = |a: f64, b: f64| (a - b).abs() < 0.0101;
        let close_opt = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => close(a, b),
            (None, None) => true,
            _ => false,
        };

        let mut listed = Vec::new();
        let mut process_rows = Vec::new();
        let mut shares: std::collections::BTreeMap<(String, String), (u32, u32, u32)> =
            std::collections::BTreeMap::new();
        let mut means: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
        for (i, (entity, vs)) in projects.iter().enumerate() {
            let due: Vec<&Verdict> = vs.iter().filter(|v| v.outcome.is_due()).collect();
            for v in &due {
                let s = shares.entry((format!("e{entity}"), v.code.to_string())).or_default();
                s.0 += u32::from(v.outcome == Outcome::Disclosed);
                s.1 += u32::from(v.outcome == Outcome::Partial);
                s.2 += 1;
            }
            // Per element: the share of its due units disclosed (lenient: or partial).
            let codes: std::collections::BTreeSet<&str> = due.iter().map(|v| v.code).collect();
            let element = |code: &str| {
                let units: Vec<&&Verdict> = due.iter().filter(|v| v.code == code).collect();
                let k = units.len() as f64;
                let d = units.iter().filter(|v| v.outcome == Outcome::Disclosed).count() as f64;
                let l = units.iter().filter(|v| v.outcome != Outcome::Missing).count() as f64;
                (d / k, l / k, units[0].disclosure == Disclosure::Reactive, units[0].level == Level::Process)
            };
            let figure = |keep: &dyn Fn(bool, bool) -> bool| -> Option<(f64, f64, u32)> {
                let (mut s, mut l, mut w, mut n) = (0.0, 0.0, 0.0, 0);
                for code in &codes {
                    let (ds, ls, reactive, process) = element(code);
                    if keep(reactive, process) {
                        s += ds * weight(code);
                        l += ls * weight(code);
                        w += weight(code);
                        n += 1;
                    }
                }
                (w > 0.0).then(|| (100.0 * s / w, 100.0 * l / w, n))
            };
            if let Some((score, lenient, n)) = figure(&|r, _| !r) {
                listed.push((format!("p{i}"), score, lenient, n,
                    figure(&|r, _| r).map(|f| f.0),
                    figure(&|r, p| !r && !p).map(|f| f.0),
                    figure(&|r, p| !r && p).map(|f| f.0)));
                means.entry(format!("e{entity}")).or_default().push(score);
            }
            // Per process: each of its due process-level verdicts weighed by its element.
            let processes: std::collections::BTreeSet<&str> =
                due.iter().filter_map(|v| v.process.as_deref()).collect();
            for process in processes {
                let rows = |reactive: bool| -> Option<(f64, u32)> {
                    let mine: Vec<&&Verdict> = due.iter().filter(|v| v.process.as_deref() == Some(process)
                        && (v.disclosure == Disclosure::Reactive) == reactive).collect();
                    let w: f64 = mine.iter().map(|v| weight(v.code)).sum();
                    let s: f64 = mine.iter().filter(|v| v.outcome == Outcome::Disclosed).map(|v| weight(v.code)).sum();
                    (w > 0.0).then(|| (100.0 * s / w, mine.len() as u32))
                };
                if let Some((score, n)) = rows(false) {
                    process_rows.push((format!("p{i}"), process.to_string(), score, n, rows(true).map(|r| r.0)));
                }
            }
        }

        prop_assert_eq!(scores.projects.len(), listed.len());
        for (got, want) in scores.projects.iter().zip(&listed) {
            prop_assert_eq!(&got.project, &want.0);
            prop_assert!(close(got.score, want.1) && close(got.lenient, want.2), "{got:?} vs {want:?}");
            prop_assert_eq!(got.applicable, want.3);
            prop_assert!(close_opt(got.reactive, want.4), "{got:?} vs {want:?}");
            prop_assert!(close_opt(got.project_level, want.5), "{got:?} vs {want:?}");
            prop_assert!(close_opt(got.contract_level, want.6), "{got:?} vs {want:?}");
        }
        prop_assert_eq!(scores.processes.len(), process_rows.len());
        for (got, want) in scores.processes.iter().zip(&process_rows) {
            prop_assert_eq!((&got.project, &got.process, got.applicable), (&want.0, &want.1, want.3));
            prop_assert!(close(got.score, want.2) && close_opt(got.reactive, want.4), "{got:?} vs {want:?}");
        }
        type Share = ((String, String), (u32, u32, u32));
        let got: Vec<Share> = scores.elements.iter()
            .map(|e| ((e.entity.clone(), e.code.clone()), (e.disclosed, e.partial, e.applicable)))
            .collect();
        prop_assert_eq!(got, shares.into_iter().collect::<Vec<_>>());
        prop_assert_eq!(scores.entities.len(), means.len());
        for e in &scores.entities {
            let list = &means[&e.entity];
            let mean = list.iter().map(|x| costwatch::util::round_to(*x, 2)).sum::<f64>() / list.len() as f64;
            prop_assert!(close(e.score, mean), "{} vs {mean}", e.score);
            prop_assert_eq!(e.projects as usize, list.len());
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
