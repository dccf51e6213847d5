//! `[scope]`: which contracting processes are infrastructure. A national procurement system
//! publishes every purchase; medicines and stationery are not public works and must not be
//! scored as projects.

use serde::Deserialize;

/// `[scope]` as written. Left out, every process is in scope.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ScopeSettings {
    /// `tender.mainProcurementCategory` values that make a process infrastructure (`works`).
    pub categories: Vec<String>,
    /// A process that names its project (`planning.project` with a title, id or sector) is
    /// infrastructure.
    pub planning_project: bool,
    /// Item classifications that make a process infrastructure.
    pub classification: Vec<ClassificationRule>,
    /// Buyers whose every process is infrastructure (a public works ministry): the `buyer`
    /// reference's `id`, or its party's identifier written `SCHEME-ID`.
    pub buyers: Vec<String>,
}

/// `[[scope.classification]]`: a scheme and the code prefixes that count.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClassificationRule {
    /// The scheme as the publisher writes it (`UNSPSC`, `CPV`, a local list); compared
    /// without regard to case.
    pub scheme: String,
    /// Codes that start with one of these count (`"72"` takes every UNSPSC construction
    /// service).
    pub prefixes: Vec<String>,
}

impl ScopeSettings {
    /// Checks the table; `Err((key, reason))` names the offending key.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if self.categories.is_empty()
            && !self.planning_project
            && self.classification.is_empty()
            && self.buyers.is_empty()
        {
            return Err((
                "scope".into(),
                "names no rule: give `categories`, `planning_project`, `[[scope.classification]]` or `buyers` (or leave [scope] out to keep every process)".into(),
            ));
        }
        for (i, c) in self.categories.iter().enumerate() {
            if !["goods", "works", "services"].contains(&c.as_str()) {
                return Err((
                    format!("scope.categories[{i}]"),
                    format!("`{c}` is not a procurementCategory code (goods, works, services)"),
                ));
            }
        }
        for (i, rule) in self.classification.iter().enumerate() {
            if rule.scheme.trim().is_empty() {
                return Err((
                    format!("scope.classification[{i}].scheme"),
                    "is empty".into(),
                ));
            }
            if rule.prefixes.is_empty() || rule.prefixes.iter().any(|p| p.trim().is_empty()) {
                return Err((
                    format!("scope.classification[{i}].prefixes"),
                    "needs at least one non-empty code prefix".into(),
                ));
            }
        }
        Ok(())
    }
}
