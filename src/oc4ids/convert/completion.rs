//! Project status and the completion block, inferred from the contracting processes (the
//! mapping's italic rows, which the reference converter leaves out).
//!
//! The rules are the README's ("Methods → Status and completion"):
//! - every process cancelled or unsuccessful, none contracted → `cancelled`;
//! - any process `pre-award` or `active` → `implementation` (OC4IDS counts procurement as part
//!   of implementation);
//! - every process `closed` with at least one live contract → `completion`;
//! - only planning data → `preparation`;
//! - anything else (a process without status among closed ones) → no status, with a note.
//!
//! The completion block is filled only once the project is complete, so that a value still
//! expected to change is never published as the completion cost.

use serde_json::{Map, Value, json};

use super::Note;
use super::values::{sum_values, text};
use crate::ocds::CompiledProcess;
use crate::util::At as _;
use crate::util::array;

/// The project status and why.
pub fn project_status(
    rows: &[CompiledProcess],
    statuses: &[Option<&str>],
) -> (Option<&'static str>, String) {
    if rows.is_empty() {
        return (None, "no contracting process".into());
    }
    let dead = |cr: &Value| {
        let tender = cr.at("/tender/status").and_then(Value::as_str);
        let awards = array(cr.get("awards"));
        matches!(tender, Some("cancelled" | "unsuccessful" | "withdrawn"))
            || (!awards.is_empty()
                && awards.iter().all(|a| {
                    matches!(
                        a.get("status").and_then(Value::as_str),
                        Some("cancelled" | "unsuccessful")
                    )
                }))
    };
    let contracted = |cr: &Value| live_contracts(cr).next().is_some();
    if rows.iter().all(|r| dead(&r.data) && !contracted(&r.data)) {
        return (
            Some("cancelled"),
            "every process was cancelled or unsuccessful before a contract".into(),
        );
    }
    if statuses
        .iter()
        .any(|s| matches!(s, Some("pre-award" | "active")))
    {
        return (
            Some("implementation"),
            "a process is in procurement or under contract".into(),
        );
    }
    if statuses.iter().all(|s| *s == Some("closed")) && rows.iter().any(|r| contracted(&r.data)) {
        return (
            Some("completion"),
            "every process is closed and at least one was contracted".into(),
        );
    }
    let planning_only = rows.iter().all(|r| {
        let cr = &r.data;
        cr.get("tender")
            .is_none_or(|t| t.as_object().is_none_or(Map::is_empty))
            && array(cr.get("awards")).is_empty()
            && array(cr.get("contracts")).is_empty()
    });
    if planning_only {
        return (
            Some("preparation"),
            "only planning data is published".into(),
        );
    }
    (
        None,
        "processes in mixed or unknown states; the status is left unset".into(),
    )
}

/// Contracts that were not cancelled.
pub fn live_contracts(cr: &Value) -> impl Iterator<Item = &Value> {
    array(cr.get("contracts"))
        .iter()
        .filter(|c| c.get("status").and_then(Value::as_str) != Some("cancelled"))
}

/// The actual final value of one contract: `implementation.finalValue`, else the sum of its
/// transactions; `None` when neither is published.
pub fn actual_value(contract: &Value) -> Option<Value> {
    if let Some(v) = contract
        .at("/implementation/finalValue")
        .filter(|v| v.is_object())
    {
        return Some(v.clone());
    }
    let values: Vec<&Value> = array(contract.at("/implementation/transactions"))
        .iter()
        .filter_map(|t| t.get("value").or_else(|| t.get("amount")))
        .collect();
    if values.is_empty() {
        return None;
    }
    sum_values(values.into_iter()).ok()
}

/// `completion`: final value, end date, scope and the reasons for changes, with notes on
/// what was projected rather than actual.
pub fn completion(rows: &[CompiledProcess], notes: &mut Vec<Note>) -> Option<Value> {
    let mut out = Map::new();
    let mut note = |path: &str, message: String| {
        notes.push(Note {
            path: path.into(),
            message,
        })
    };
    let contracts: Vec<(&str, &Value)> = rows
        .iter()
        .flat_map(|r| live_contracts(&r.data).map(move |c| (r.ocid.as_str(), c)))
        .collect();
    if contracts.is_empty() {
        return None;
    }

    // Cost: actual where published, else the contract value (a projection).
    let mut values = Vec::new();
    let mut projected = 0;
    for (_, c) in &contracts {
        match actual_value(c) {
            Some(v) => values.push(v),
            None => {
                if let Some(v) = c.get("value").filter(|v| v.is_object()) {
                    values.push(v.clone());
                    projected += 1;
                }
            }
        }
    }
    if values.len() == contracts.len() {
        match sum_values(values.iter()) {
            Ok(v) => {
                out.insert("finalValue".into(), v);
                if projected > 0 {
                    note(
                        "/completion/finalValue",
                        format!(
                            "projected: {projected} of {} contracts publish no final value or payments, so their contract value is used",
                            contracts.len()
                        ),
                    );
                }
            }
            Err(why) => note("/completion/finalValue", why),
        }
    } else {
        note(
            "/completion/finalValue",
            format!(
                "{} of {} contracts give no value; the completion cost is not published",
                contracts.len() - values.len(),
                contracts.len()
            ),
        );
    }

    // Date: the latest actual end, else the latest planned end.
    let mut latest: Option<(i64, String, bool)> = None;
    for (_, c) in &contracts {
        let actual = text(c.at("/implementation/endDate"));
        let (date, is_actual) = match actual {
            Some(d) => (Some(d), true),
            None => (text(c.at("/period/endDate")), false),
        };
        if let Some(d) = date
            && let Some(t) = crate::util::parse_instant(&d)
            && latest.as_ref().is_none_or(|(b, _, _)| t > *b)
        {
            latest = Some((t, d, is_actual));
        }
    }
    if let Some((_, d, is_actual)) = latest {
        out.insert("endDate".into(), Value::from(d));
        if !is_actual {
            note(
                "/completion/endDate",
                "projected: the latest contract period end, no actual end date is published".into(),
            );
        }
    }

    // Scope: the contracts' descriptions as they stand (the projected scope at completion).
    let scopes: Vec<(&str, String)> = contracts
        .iter()
        .filter_map(|(ocid, c)| text(c.get("description")).map(|d| (*ocid, d)))
        .collect();
    match scopes.as_slice() {
        [] => {}
        [(_, one)] => {
            out.insert("finalScope".into(), Value::from(one.clone()));
        }
        many => {
            let lines: Vec<String> = many.iter().map(|(o, d)| format!("{o}: {d}")).collect();
            out.insert("finalScope".into(), Value::from(lines.join("\n")));
        }
    }

    // Reasons: the contract completion extension's details, else the rationale of each change.
    for (field, detail, kinds) in [
        (
            "endDateDetails",
            "/implementation/endDateDetails",
            &["duration"][..],
        ),
        (
            "finalValueDetails",
            "/implementation/finalValueDetails",
            &["value"][..],
        ),
        ("finalScopeDetails", "", &["scope"][..]),
    ] {
        // Several processes: each reason is prefixed by its ocid; one process needs none.
        let line = |ocid: &str, text: String| {
            if rows.len() == 1 {
                text
            } else {
                format!("{ocid}: {text}")
            }
        };
        let mut reasons: Vec<String> = Vec::new();
        for (ocid, c) in &contracts {
            if !detail.is_empty()
                && let Some(t) = text(c.at(detail))
            {
                reasons.push(line(ocid, t));
            }
        }
        if reasons.is_empty() {
            for row in rows {
                for change in array(row.history.get("changes")) {
                    let kind = change.get("type").and_then(Value::as_str).unwrap_or("");
                    if kinds.contains(&kind)
                        && let Some(r) = text(change.get("rationale"))
                    {
                        let l = line(&row.ocid, r);
                        if !reasons.contains(&l) {
                            reasons.push(l);
                        }
                    }
                }
            }
        }
        if !reasons.is_empty() {
            out.insert(field.into(), Value::from(reasons.join("\n")));
        }
    }
    (!out.is_empty()).then(|| json!(out))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::oc4ids::convert::test_rows::row;

    fn status_of(rows: &[CompiledProcess], statuses: &[Option<&str>]) -> Option<&'static str> {
        project_status(rows, statuses).0
    }

    #[test]
    fn the_status_follows_the_processes() {
        let cancelled = row("a", json!({"tender": {"status": "cancelled"}}));
        assert_eq!(
            status_of(std::slice::from_ref(&cancelled), &[Some("closed")]),
            Some("cancelled")
        );
        let contracted = row(
            "b",
            json!({"tender": {"status": "complete"}, "contracts": [{"id": "1", "status": "terminated"}]}),
        );
        // One process still under way makes the whole project in implementation.
        assert_eq!(
            status_of(
                &[contracted.clone(), cancelled.clone()],
                &[Some("closed"), Some("active")]
            ),
            Some("implementation")
        );
        assert_eq!(
            status_of(
                &[contracted.clone(), cancelled],
                &[Some("closed"), Some("closed")]
            ),
            Some("completion")
        );
        let planning = row("c", json!({"planning": {"budget": {}}}));
        assert_eq!(status_of(&[planning], &[None]), Some("preparation"));
        // A process without a status among closed ones: left unset, never guessed.
        assert_eq!(
            status_of(&[contracted.clone(), contracted], &[Some("closed"), None]),
            None
        );
        assert_eq!(status_of(&[], &[]), None);
    }

    #[test]
    fn a_cancelled_contract_is_not_live_and_payments_make_an_actual_value() {
        let cr = json!({"contracts": [
            {"id": "1", "status": "cancelled"},
            {"id": "2", "status": "active", "implementation": {"transactions": [
                {"value": {"amount": 10, "currency": "PAB"}},
                {"value": {"amount": 5.5, "currency": "PAB"}}
            ]}}
        ]});
        let live: Vec<&Value> = live_contracts(&cr).collect();
        assert_eq!(live.len(), 1);
        assert_eq!(
            actual_value(live[0]),
            Some(json!({"amount": 15.5, "currency": "PAB"}))
        );
        let stated = json!({"implementation": {"finalValue": {"amount": 9, "currency": "PAB"},
            "transactions": [{"value": {"amount": 1, "currency": "PAB"}}]}});
        assert_eq!(
            actual_value(&stated),
            Some(json!({"amount": 9, "currency": "PAB"}))
        );
        assert_eq!(actual_value(&json!({"id": "3"})), None);
    }

    #[test]
    fn completion_uses_actual_values_and_notes_what_is_projected() {
        let rows = [
            row(
                "ocds-1",
                json!({"contracts": [{"id": "1", "status": "terminated",
                    "description": "Puente",
                    "value": {"amount": 100, "currency": "PAB"},
                    "period": {"endDate": "2024-01-31T00:00:00Z"},
                    "implementation": {"finalValue": {"amount": 120, "currency": "PAB"},
                        "endDate": "2024-03-01T00:00:00Z",
                        "finalValueDetails": "Obras adicionales"}}]}),
            ),
            row(
                "ocds-2",
                json!({"contracts": [{"id": "2", "status": "active",
                    "description": "Supervisión",
                    "value": {"amount": 30, "currency": "PAB"},
                    "period": {"endDate": "2024-06-30T00:00:00Z"}}]}),
            ),
        ];
        let mut notes = Vec::new();
        let c = completion(&rows, &mut notes).expect("a completion block");
        assert_eq!(c["finalValue"], json!({"amount": 150, "currency": "PAB"}));
        // The latest end is a planned one, so it is noted as projected.
        assert_eq!(c["endDate"], "2024-06-30T00:00:00Z");
        assert_eq!(c["finalScope"], "ocds-1: Puente\nocds-2: Supervisión");
        assert_eq!(c["finalValueDetails"], "ocds-1: Obras adicionales");
        let noted: Vec<&str> = notes.iter().map(|n| n.path.as_str()).collect();
        assert_eq!(noted, ["/completion/finalValue", "/completion/endDate"]);
        assert!(notes[0].message.contains("1 of 2"), "{}", notes[0].message);
    }

    #[test]
    fn no_live_contract_gives_no_completion_block() {
        let rows = [row(
            "a",
            json!({"contracts": [{"id": "1", "status": "cancelled"}]}),
        )];
        let mut notes = Vec::new();
        assert_eq!(completion(&rows, &mut notes), None);
        assert!(notes.is_empty());
    }
}
