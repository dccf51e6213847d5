//! Change events: what the release history shows changed in each contract after it first
//! appeared — its value, its period (duration) or its scope (description, items) — with the
//! release and date of the change, the old and new values, and the amendment published with
//! it, when there is one.
//!
//! The mapping says "monitor `/contracts/value` (`/period`, `/description`, `/items`) across
//! releases"; a compiled release alone cannot show it, so the events are read while compiling
//! (see [`crate::ocds::Merger::compile_visiting`]) and kept in the history beside it.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::util::id_text;

/// The parts of a contract whose changes are events.
#[derive(Debug, Clone, PartialEq)]
struct Watched {
    value: Option<Value>,
    period: Option<Value>,
    description: Option<Value>,
    items: Option<Value>,
    amendments: Vec<Value>,
}

impl Watched {
    fn of(contract: &Value) -> Watched {
        let field = |k: &str| contract.get(k).filter(|v| !v.is_null()).cloned();
        Watched {
            value: field("value"),
            period: field("period"),
            description: field("description"),
            items: field("items"),
            amendments: contract
                .get("amendments")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
        }
    }
}

/// Follows the contracts of one ocid through its releases.
#[derive(Debug, Default)]
pub struct Tracker {
    seen: BTreeMap<String, Watched>,
    changes: Vec<Value>,
}

impl Tracker {
    /// Looks at the compiled state after `release` was merged.
    pub fn observe(&mut self, state: &Map<String, Value>, release: &Value) {
        let contracts = state.get("contracts").and_then(Value::as_array);
        for contract in contracts.into_iter().flatten() {
            let Some(id) = id_text(contract.get("id")) else {
                continue;
            };
            let now = Watched::of(contract);
            let Some(before) = self.seen.insert(id.clone(), now.clone()) else {
                continue;
            };
            if before == now {
                continue;
            }
            // Amendments that arrived with this release explain the changes it shows.
            let new_amendments: Vec<&Value> = now
                .amendments
                .iter()
                .filter(|a| !before.amendments.contains(a))
                .collect();
            let release_date = release.get("date").and_then(Value::as_str);
            let release_id = id_text(release.get("id"));
            let mut push = |kind: &str,
                            old_key: &str,
                            old: &Option<Value>,
                            new_key: &str,
                            new: &Option<Value>| {
                let mut change = Map::new();
                change.insert("contract".into(), json!(id));
                change.insert("type".into(), json!(kind));
                let amendment = new_amendments.first();
                let date = amendment
                    .and_then(|a| a.get("date"))
                    .and_then(Value::as_str)
                    .or(release_date);
                if let Some(d) = date {
                    change.insert("date".into(), json!(d));
                }
                if let Some(r) = &release_id {
                    change.insert("releaseID".into(), json!(r));
                }
                for key in ["description", "rationale"] {
                    if let Some(v) = amendment.and_then(|a| a.get(key)).filter(|v| v.is_string()) {
                        change.insert(key.into(), v.clone());
                    }
                }
                if let Some(a) = amendment.and_then(|a| id_text(a.get("id"))) {
                    change.insert("amendment".into(), json!(a));
                }
                if let Some(o) = old {
                    change.insert(old_key.into(), o.clone());
                }
                if let Some(n) = new {
                    change.insert(new_key.into(), n.clone());
                }
                self.changes.push(Value::Object(change));
            };
            if before.value.is_some() && before.value != now.value {
                push(
                    "value",
                    "oldContractValue",
                    &before.value,
                    "newContractValue",
                    &now.value,
                );
            }
            if before.period.is_some() && end_of(&before.period) != end_of(&now.period) {
                push(
                    "duration",
                    "oldContractPeriod",
                    &before.period,
                    "newContractPeriod",
                    &now.period,
                );
            }
            let scope_changed = (before.description.is_some()
                && before.description != now.description)
                || (before.items.is_some() && before.items != now.items);
            if scope_changed {
                push("scope", "", &None, "", &None);
            }
        }
    }

    /// The changes seen, oldest first.
    pub fn finish(self) -> Vec<Value> {
        self.changes
    }
}

/// What makes a period's end: its end date, else its duration.
fn end_of(period: &Option<Value>) -> (Option<Value>, Option<Value>) {
    let p = period.as_ref();
    (
        p.and_then(|p| p.get("endDate")).cloned(),
        p.and_then(|p| p.get("durationInDays")).cloned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ocds::Merger;

    fn changes(releases: &[Value]) -> Vec<Value> {
        let mut t = Tracker::default();
        Merger::default().compile_visiting(releases, &mut |s, r| t.observe(s, r));
        t.finish()
    }

    fn contract(date: &str, id: &str, extra: Value) -> Value {
        let mut c = json!({"id": "C1", "value": {"amount": 100, "currency": "PAB"},
            "period": {"startDate": "2024-01-01T00:00:00Z", "endDate": "2024-12-31T00:00:00Z"},
            "description": "Rehabilitación de la vía", "items": [{"id": "1", "quantity": 10}]});
        if let (Some(c), Some(e)) = (c.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                c.insert(k.clone(), v.clone());
            }
        }
        json!({"ocid": "ocds-x-1", "id": id, "date": date, "tag": ["contractAmendment"],
               "contracts": [c]})
    }

    #[test]
    fn a_value_change_with_its_amendment() {
        let rs = [
            contract("2024-01-01T00:00:00Z", "r1", json!({})),
            contract(
                "2024-06-01T00:00:00Z",
                "r2",
                json!({"value": {"amount": 130, "currency": "PAB"},
                       "amendments": [{"id": "A1", "date": "2024-05-30T00:00:00Z",
                                       "description": "Adenda 1", "rationale": "Obras adicionales"}]}),
            ),
        ];
        let c = changes(&rs);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0]["type"], json!("value"));
        assert_eq!(c[0]["oldContractValue"]["amount"], json!(100));
        assert_eq!(c[0]["newContractValue"]["amount"], json!(130));
        assert_eq!(c[0]["rationale"], json!("Obras adicionales"));
        assert_eq!(c[0]["date"], json!("2024-05-30T00:00:00Z"));
        assert_eq!(c[0]["releaseID"], json!("r2"));
    }

    #[test]
    fn duration_and_scope_changes_without_a_reason() {
        let rs = [
            contract("2024-01-01T00:00:00Z", "r1", json!({})),
            contract(
                "2024-06-01T00:00:00Z",
                "r2",
                json!({"period": {"startDate": "2024-01-01T00:00:00Z", "endDate": "2025-03-31T00:00:00Z"},
                       "items": [{"id": "1", "quantity": 12}]}),
            ),
        ];
        let c = changes(&rs);
        let kinds: Vec<&str> = c.iter().filter_map(|x| x["type"].as_str()).collect();
        assert_eq!(kinds, ["duration", "scope"]);
        assert_eq!(
            c[0]["newContractPeriod"]["endDate"],
            json!("2025-03-31T00:00:00Z")
        );
        assert!(c[0].get("rationale").is_none());
        assert_eq!(
            c[0]["date"],
            json!("2024-06-01T00:00:00Z"),
            "the release date"
        );
    }

    #[test]
    fn no_change_no_event_and_a_first_appearance_is_not_a_change() {
        let rs = [
            json!({"ocid": "ocds-x-1", "id": "r0", "date": "2023-12-01T00:00:00Z", "tag": ["tender"]}),
            contract("2024-01-01T00:00:00Z", "r1", json!({})),
            contract("2024-02-01T00:00:00Z", "r2", json!({})),
        ];
        assert!(changes(&rs).is_empty());
    }
}
