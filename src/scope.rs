//! Keeping a run to infrastructure: a project is in scope when one of its contracting
//! processes is infrastructure by a `[scope]` rule (category, named project, item
//! classification or buyer); its other processes (design, supervision, equipment) stay with it.
//! A project out of scope is not converted, judged or scored; its processes are counted in the
//! run report by reason.
//!
//! Never: reads the store or the network; a decision rests on the compiled releases alone.

use serde_json::Value;

use crate::config::ScopeSettings;
use crate::ocds::CompiledProcess;
use crate::util::At as _;
use crate::util::{array, id_text};

/// Whether a project is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judged {
    /// Kept: no `[scope]`, or one of its processes is infrastructure.
    In,
    /// Left out; the reason for each of its processes (its procurement category, or
    /// `no category`), in process order.
    Out(Vec<String>),
}

/// Judges one project's processes against the scope (`None`: everything is in scope).
pub fn judge(scope: Option<&ScopeSettings>, rows: &[CompiledProcess]) -> Judged {
    let Some(scope) = scope else {
        return Judged::In;
    };
    if rows.iter().any(|r| is_infrastructure(scope, &r.data)) {
        return Judged::In;
    }
    Judged::Out(
        rows.iter()
            .map(|r| match category(&r.data) {
                Some(c) => c.to_string(),
                None => "no category".to_string(),
            })
            .collect(),
    )
}

fn category(cr: &Value) -> Option<&str> {
    cr.at("/tender/mainProcurementCategory")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|c| !c.is_empty())
}

/// True when one rule says the process is infrastructure.
fn is_infrastructure(scope: &ScopeSettings, cr: &Value) -> bool {
    if let Some(c) = category(cr)
        && scope.categories.iter().any(|x| x == c)
    {
        return true;
    }
    if scope.planning_project
        && let Some(p) = cr.at("/planning/project")
        && ["title", "id", "sector"]
            .iter()
            .any(|k| p.get(*k).is_some_and(|v| !v.is_null()))
    {
        return true;
    }
    if !scope.classification.is_empty()
        && classifications(cr).any(|(s, id)| matches(scope, &s, &id))
    {
        return true;
    }
    !scope.buyers.is_empty() && buyer_keys(cr).iter().any(|k| scope.buyers.contains(k))
}

fn matches(scope: &ScopeSettings, scheme: &str, id: &str) -> bool {
    scope.classification.iter().any(|rule| {
        rule.scheme.trim().eq_ignore_ascii_case(scheme.trim())
            && rule
                .prefixes
                .iter()
                .any(|p| id.trim().starts_with(p.trim()))
    })
}

/// Every (scheme, id) classifying an item of the tender, the awards or the contracts.
fn classifications(cr: &Value) -> impl Iterator<Item = (String, String)> + '_ {
    let items = array(cr.at("/tender/items")).iter().chain(
        ["awards", "contracts"]
            .into_iter()
            .flat_map(move |k| array(cr.get(k)).iter())
            .flat_map(|x| array(x.get("items")).iter()),
    );
    items
        .flat_map(|item| {
            item.get("classification")
                .into_iter()
                .chain(array(item.get("additionalClassifications")))
        })
        .filter_map(|c| {
            let scheme = c.get("scheme").and_then(Value::as_str)?;
            Some((scheme.to_string(), id_text(c.get("id"))?))
        })
}

/// The buyer's reference id and, from its party, `SCHEME-ID` of its identifier.
fn buyer_keys(cr: &Value) -> Vec<String> {
    let mut keys = Vec::new();
    let Some(buyer) = cr.get("buyer") else {
        return keys;
    };
    let id = id_text(buyer.get("id"));
    let party = id.as_deref().and_then(|id| {
        array(cr.get("parties"))
            .iter()
            .find(|p| id_text(p.get("id")).as_deref() == Some(id))
    });
    for org in [Some(buyer), party].into_iter().flatten() {
        if let (Some(s), Some(i)) = (
            org.at("/identifier/scheme").and_then(Value::as_str),
            id_text(org.at("/identifier/id")),
        ) {
            keys.push(format!("{s}-{i}"));
        }
    }
    keys.extend(id);
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClassificationRule;
    use serde_json::json;

    fn row(ocid: &str, data: Value) -> CompiledProcess {
        CompiledProcess {
            ocid: ocid.into(),
            data,
            history: Value::Null,
            releases: 1,
            compiled_in: 0,
        }
    }

    fn works_only() -> ScopeSettings {
        ScopeSettings {
            categories: vec!["works".into()],
            ..ScopeSettings::default()
        }
    }

    #[test]
    fn without_a_scope_everything_is_in() {
        let rows = [row(
            "a",
            json!({"tender": {"mainProcurementCategory": "goods"}}),
        )];
        assert_eq!(judge(None, &rows), Judged::In);
    }

    #[test]
    fn services_stay_with_their_works_project_and_go_alone() {
        let works = row("w", json!({"tender": {"mainProcurementCategory": "works"}}));
        let design = row(
            "d",
            json!({"tender": {"mainProcurementCategory": "services"}}),
        );
        let scope = works_only();
        assert_eq!(judge(Some(&scope), &[works, design.clone()]), Judged::In);
        assert_eq!(
            judge(Some(&scope), &[design, row("x", json!({}))]),
            Judged::Out(vec!["services".into(), "no category".into()])
        );
    }

    #[test]
    fn classification_prefixes_named_projects_and_buyers_each_bring_a_process_in() {
        let goods = |extra: Value| {
            let mut v = json!({"tender": {"mainProcurementCategory": "goods"}});
            for (k, x) in extra.as_object().into_iter().flatten() {
                v[k] = x.clone();
            }
            v
        };
        let by_code = ScopeSettings {
            classification: vec![ClassificationRule {
                scheme: "unspsc".into(),
                prefixes: vec!["72".into()],
            }],
            ..ScopeSettings::default()
        };
        let asphalt = goods(json!({"tender": {"mainProcurementCategory": "goods",
            "items": [{"id": "1", "classification": {"scheme": "UNSPSC", "id": 72141103}}]}}));
        let pills = goods(json!({"tender": {"mainProcurementCategory": "goods",
            "items": [{"id": "1", "classification": {"scheme": "UNSPSC", "id": "51101500"}}]}}));
        assert_eq!(judge(Some(&by_code), &[row("a", asphalt)]), Judged::In);
        assert_eq!(
            judge(Some(&by_code), &[row("p", pills.clone())]),
            Judged::Out(vec!["goods".into()])
        );
        let by_project = ScopeSettings {
            planning_project: true,
            ..ScopeSettings::default()
        };
        let named = goods(json!({"planning": {"project": {"title": "Hospital de Metetí"}}}));
        assert_eq!(judge(Some(&by_project), &[row("n", named)]), Judged::In);
        let by_buyer = ScopeSettings {
            buyers: vec!["PA-RUC-8-NT-1-10001".into()],
            ..ScopeSettings::default()
        };
        let mop = goods(json!({"buyer": {"id": "B"},
            "parties": [{"id": "B", "identifier": {"scheme": "PA-RUC", "id": "8-NT-1-10001"}}]}));
        assert_eq!(judge(Some(&by_buyer), &[row("m", mop)]), Judged::In);
        assert_eq!(
            judge(Some(&by_buyer), &[row("p", pills)]),
            Judged::Out(vec!["goods".into()])
        );
    }
}
