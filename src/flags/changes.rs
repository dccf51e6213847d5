//! Changes: price, duration and scope changes without a published reason.

use serde_json::{Value, json};

use super::{Finding, Flag, FlagState, Text};
use crate::util::array;

/// A change to price, duration or scope with no rationale.
pub(super) fn change_without_reason(s: &Value, base: &str) -> Flag {
    let code = "change_without_reason";
    let rule = "a change to price, duration or scope has no published reason".to_string();
    let typed: Vec<(usize, &Value)> = array(s.get("modifications"))
        .iter()
        .enumerate()
        .filter(|(_, m)| m.get("type").and_then(Value::as_str).is_some())
        .collect();
    let without: Vec<usize> = typed
        .iter()
        .filter(|(_, m)| {
            m.get("rationale")
                .and_then(Value::as_str)
                .is_none_or(|r| r.trim().is_empty())
        })
        .map(|(j, _)| *j)
        .collect();
    let paths: Vec<String> = if without.is_empty() {
        vec![format!("{base}/modifications")]
    } else {
        without
            .iter()
            .map(|j| format!("{base}/modifications/{j}/rationale"))
            .collect()
    };
    let inputs = json!({ "changes": typed.len(), "without_reason": without.len() });
    let found = Finding {
        code,
        rule,
        inputs,
        paths,
    };
    if typed.is_empty() {
        found.says(
            FlagState::NotApplicable,
            Text {
                es: "No se registran cambios de precio, plazo ni alcance en este contrato.".into(),
                en: "No change to price, duration or scope is recorded for this contract.".into(),
            },
        )
    } else if without.is_empty() {
        found.says(
            FlagState::Clear,
            Text {
                es: format!(
                    "Los {} cambios registrados tienen una razón publicada.",
                    typed.len()
                ),
                en: format!(
                    "All {} recorded changes have a published reason.",
                    typed.len()
                ),
            },
        )
    } else {
        found.says(
            FlagState::Raised,
            Text {
                es: format!(
                    "{} de {} cambios al contrato no explican por qué se hicieron.",
                    without.len(),
                    typed.len()
                ),
                en: format!(
                    "{} of {} changes to the contract do not say why they were made.",
                    without.len(),
                    typed.len()
                ),
            },
        )
    }
}
