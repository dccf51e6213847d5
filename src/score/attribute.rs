//! Which entity a project counts towards, and the value the index-style sample ranks it by.

use serde_json::Value;

use crate::config::EntityRole;
use crate::oc4ids;
use crate::util::At as _;

/// The value the index-style sample ranks projects by: the budget, else the sum of contract
/// values (currencies are not converted; a sample is drawn within one publisher).
pub fn project_value(project: &Value) -> f64 {
    let amount = |v: Option<&Value>| {
        v.and_then(|v| v.get("amount"))
            .and_then(crate::util::finite)
    };
    amount(project.at("/budget/amount")).unwrap_or_else(|| {
        project
            .get("contractingProcesses")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| amount(c.at("/summary/contractValue")))
            .sum()
    })
}

/// The entity a project counts towards: its key (scheme and identifier, else the normalised
/// name) and its name as published.
#[derive(Debug, Clone, PartialEq)]
pub struct Attributed {
    /// Key.
    pub entity: String,
    /// Name as published.
    pub name: String,
}

/// The entity a project counts towards, by the configured role.
pub fn attribute(converted: &oc4ids::Converted, role: EntityRole) -> Attributed {
    let p = &converted.project;
    let parties = p.get("parties").and_then(Value::as_array);
    let party = |id: &str| -> Option<&Value> {
        parties?
            .iter()
            .find(|q| q.get("id").and_then(Value::as_str) == Some(id))
    };
    let most_common = |ids: Vec<String>| -> Option<String> {
        let mut counts: Vec<(String, usize)> = Vec::new();
        for id in ids {
            match counts.iter_mut().find(|(i, _)| *i == id) {
                Some((_, n)) => *n += 1,
                None => counts.push((id, 1)),
            }
        }
        // Highest count wins; on a tie the first seen (lowest ocid) wins.
        let max = counts.iter().map(|(_, n)| *n).max()?;
        counts.into_iter().find(|(_, n)| *n == max).map(|(i, _)| i)
    };
    let chosen: Option<String> = match role {
        EntityRole::PublicAuthority => p
            .at("/publicAuthority/id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| converted.buyers.first().cloned()),
        EntityRole::ProcuringEntity => most_common(
            p.get("contractingProcesses")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|c| c.at("/summary/tender/procuringEntity/id"))
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
        ),
        EntityRole::Buyer => most_common(converted.buyers.clone()),
    };
    let Some(org) = chosen.as_deref().and_then(party) else {
        return Attributed {
            entity: "sin-entidad".into(),
            name: "(sin entidad identificada / no entity identified)".into(),
        };
    };
    let name = org
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim()
        .to_string();
    let scheme = org.at("/identifier/scheme").and_then(Value::as_str);
    let ident = org.at("/identifier/id").and_then(|v| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    let entity = match (scheme, ident) {
        (Some(s), Some(i)) => format!("{s}-{i}"),
        _ if !name.is_empty() => name
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
        _ => chosen.unwrap_or_default(),
    };
    Attributed { entity, name }
}
