//! Property tests: laws the merge and the checks must keep whatever the data.

use costwatch::ids;
use costwatch::ocds::Merger;
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

proptest! {
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
