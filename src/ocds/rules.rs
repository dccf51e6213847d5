//! Merge rules: which paths are omitted when merging and which arrays are replaced whole.
//!
//! The built-in table covers OCDS 1.1.5 and the extensions the OC4IDS mapping relies on
//! (project, budget breakdown, location, contract completion). It is written here as data; a
//! test derives the same table from the published schemas when `../shared` is present. Rules can
//! also be derived at run time from any release schema ([`Rules::from_schema`]).

use std::collections::HashMap;

use crate::util::At as _;
use serde_json::{Map, Value};

/// How one path is merged; paths not listed follow the runtime rules of the merge routine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// `omitWhenMerged`: never copied into the compiled release.
    Omit,
    /// `wholeListMerge` (or an array of non-objects, or of objects without `id`): replaced whole.
    WholeList,
    /// Override for publishers that reuse ids: every object is kept.
    Append,
    /// Override for publishers that reuse ids: objects are matched by position.
    ByPosition,
}

/// The built-in rules for OCDS 1.1.5 with the project, budget breakdown, location and contract
/// completion extensions, one `path rule` per line (paths without array indices).
///
/// Sources: release-schema.json (`omitWhenMerged`, `wholeListMerge`, arrays of strings) and each
/// extension's release-schema.json patch; see README "Methods".
const OCDS_1_1_RULES: &str = "
id                                                              omit
date                                                            omit
tag                                                             omit
parties/additionalIdentifiers                                   whole_list
parties/roles                                                   whole_list
buyer/additionalIdentifiers                                     whole_list
planning/budget/budgetBreakdown/sourceParty/additionalIdentifiers whole_list
planning/project/additionalClassifications                      whole_list
planning/project/locations                                      whole_list
tender/procuringEntity/additionalIdentifiers                    whole_list
tender/items/additionalClassifications                          whole_list
tender/items/deliveryLocations                                  whole_list
tender/items/deliveryLocation/geometry/coordinates              whole_list
tender/items/deliveryLocation/gazetteer/identifiers             whole_list
tender/items/deliveryAddresses                                  whole_list
tender/additionalProcurementCategories                          whole_list
tender/submissionMethod                                         whole_list
tender/tenderers/additionalIdentifiers                          whole_list
tender/amendments/changes                                       whole_list
tender/amendment/changes                                        whole_list
tender/deliveryLocations                                        whole_list
tender/deliveryAddresses                                        whole_list
awards/suppliers/additionalIdentifiers                          whole_list
awards/items/additionalClassifications                          whole_list
awards/items/deliveryLocations                                  whole_list
awards/items/deliveryLocation/geometry/coordinates              whole_list
awards/items/deliveryLocation/gazetteer/identifiers             whole_list
awards/items/deliveryAddresses                                  whole_list
awards/amendments/changes                                       whole_list
awards/amendment/changes                                        whole_list
contracts/items/additionalClassifications                       whole_list
contracts/items/deliveryLocations                               whole_list
contracts/items/deliveryLocation/geometry/coordinates           whole_list
contracts/items/deliveryLocation/gazetteer/identifiers          whole_list
contracts/items/deliveryAddresses                               whole_list
contracts/implementation/transactions/payer/additionalIdentifiers whole_list
contracts/implementation/transactions/payee/additionalIdentifiers whole_list
contracts/relatedProcesses/relationship                         whole_list
contracts/amendments/changes                                    whole_list
contracts/amendment/changes                                     whole_list
relatedProcesses/relationship                                   whole_list
";

/// A set of merge rules keyed by `/`-joined path.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rules {
    by_path: HashMap<String, Rule>,
}

impl Rules {
    /// The built-in OCDS 1.1 rules (with the extensions the mapping uses).
    pub fn ocds_1_1() -> Self {
        // The table is this file's own text; a test proves it parses, so the default (no
        // rules) is never what a run gets.
        Rules::parse(OCDS_1_1_RULES).unwrap_or_default()
    }

    /// Reads a rule table: one `path rule` per line, `rule` one of `omit`, `whole_list`,
    /// `append` or `by_position`; blank lines and lines starting with `#` are skipped. Anything
    /// else is an error naming the line: a mistyped rule must not quietly mean another.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut rules = Rules::default();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let parts: Vec<&str> = line.split_whitespace().collect();
            let [path, rule] = parts.as_slice() else {
                return Err(format!(
                    "line {}: expected `path rule`, found `{line}`",
                    i + 1
                ));
            };
            let rule = match *rule {
                "omit" => Rule::Omit,
                "whole_list" => Rule::WholeList,
                "append" => Rule::Append,
                "by_position" => Rule::ByPosition,
                other => {
                    return Err(format!(
                        "line {}: `{other}` is not a merge rule (omit, whole_list, append, by_position)",
                        i + 1
                    ));
                }
            };
            if rules.by_path.insert(path.to_string(), rule).is_some() {
                return Err(format!("line {}: `{path}` has a rule already", i + 1));
            }
        }
        Ok(rules)
    }

    /// Derives the rules from a release schema (its `$ref`s to `#/definitions/…` resolved).
    pub fn from_schema(schema: &Value) -> Self {
        let mut rules = Rules::default();
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            walk(props, "", schema, &mut rules.by_path, 0);
        }
        rules
    }

    /// Sets (or replaces) the rule for one path; used for publisher overrides.
    pub fn set(&mut self, path: &str, rule: Rule) {
        self.by_path.insert(path.to_string(), rule);
    }

    /// The rule for a path, if any.
    pub fn get(&self, path: &str) -> Option<Rule> {
        self.by_path.get(path).copied()
    }

    /// Every rule, sorted by path (for comparisons and reports).
    pub fn sorted(&self) -> Vec<(String, Rule)> {
        let mut v: Vec<_> = self.by_path.iter().map(|(k, r)| (k.clone(), *r)).collect();
        v.sort();
        v
    }
}

impl PartialOrd for Rule {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Rule {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (*self as u8).cmp(&(*other as u8))
    }
}

fn types(v: &Value) -> Vec<&str> {
    match v.get("type") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Follows a local `$ref` (`#/definitions/Name`), a few levels deep at most.
fn resolve<'a>(v: &'a Value, root: &'a Value) -> &'a Value {
    let mut cur = v;
    for _ in 0..8 {
        let Some(r) = cur.get("$ref").and_then(Value::as_str) else {
            return cur;
        };
        let Some(target) = r.strip_prefix('#').and_then(|p| root.at(p)) else {
            return cur;
        };
        cur = target;
    }
    cur
}

fn walk(
    props: &Map<String, Value>,
    prefix: &str,
    root: &Value,
    out: &mut HashMap<String, Rule>,
    depth: usize,
) {
    // Schemas are finite, but a recursive definition would loop forever without a bound.
    if depth > 32 {
        return;
    }
    for (key, raw) in props {
        let value = resolve(raw, root);
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}/{key}")
        };
        let t = types(value);
        let flag = |name: &str| value.get(name).and_then(Value::as_bool).unwrap_or(false);
        let strategy = value.get("mergeStrategy").and_then(Value::as_str);
        if flag("omitWhenMerged") || strategy == Some("ocdsOmit") {
            out.insert(path, Rule::Omit);
        } else if t.contains(&"array")
            && (flag("wholeListMerge") || strategy == Some("ocdsVersion"))
        {
            out.insert(path, Rule::WholeList);
        } else if t.contains(&"object") && value.get("properties").is_some() {
            if let Some(p) = value.get("properties").and_then(Value::as_object) {
                walk(p, &path, root, out, depth + 1);
            }
        } else if t.contains(&"array") && value.get("items").is_some() {
            let items = resolve(&value["items"], root);
            let it = types(items);
            if it.iter().any(|x| *x != "object") {
                out.insert(path, Rule::WholeList);
            } else if it.contains(&"object")
                && let Some(p) = items.get("properties").and_then(Value::as_object)
            {
                if p.contains_key("id") {
                    walk(p, &path, root, out, depth + 1);
                } else {
                    out.insert(path, Rule::WholeList);
                }
            }
        }
    }
}

/// Applies a JSON Merge Patch (RFC 7386), as extensions patch the release schema.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_table_parses_and_a_typo_is_refused() {
        let built_in = Rules::parse(OCDS_1_1_RULES).expect("the built-in table parses");
        assert_eq!(built_in, Rules::ocds_1_1());
        assert_eq!(built_in.get("tag"), Some(Rule::Omit));
        assert_eq!(built_in.get("parties/roles"), Some(Rule::WholeList));
        let table = "# publisher overrides\nawards/items append\n\ncontracts by_position\n";
        let rules = Rules::parse(table).expect("parses");
        assert_eq!(rules.get("awards/items"), Some(Rule::Append));
        assert_eq!(rules.get("contracts"), Some(Rule::ByPosition));
        let typo = Rules::parse("awards/items whole_lsit\n").unwrap_err();
        assert!(
            typo.contains("line 1") && typo.contains("whole_lsit"),
            "{typo}"
        );
        assert!(Rules::parse("awards/items\n").is_err(), "a path alone");
        assert!(Rules::parse("a omit extra\n").is_err(), "three words");
        assert!(
            Rules::parse("a omit\na whole_list\n").is_err(),
            "a path twice"
        );
    }

    #[test]
    fn builtin_table_has_core_and_extension_rules() {
        let r = Rules::ocds_1_1();
        assert_eq!(r.get("tag"), Some(Rule::Omit));
        assert_eq!(r.get("planning/project/locations"), Some(Rule::WholeList));
        assert_eq!(r.get("awards"), None);
        assert_eq!(r.sorted().len(), 41);
    }

    #[test]
    fn rules_from_schema_follow_refs() {
        let schema = serde_json::json!({
            "definitions": {"Item": {"type": "object", "properties": {
                "id": {"type": "string"},
                "tags": {"type": "array", "items": {"type": "string"}}}}},
            "properties": {
                "id": {"type": "string", "omitWhenMerged": true},
                "items": {"type": "array", "items": {"$ref": "#/definitions/Item"}},
                "plain": {"type": "array", "items": {"type": "object", "properties": {"a": {}}}}
            }
        });
        let r = Rules::from_schema(&schema);
        assert_eq!(
            r.sorted(),
            vec![
                ("id".to_string(), Rule::Omit),
                ("items/tags".to_string(), Rule::WholeList),
                ("plain".to_string(), Rule::WholeList),
            ]
        );
    }
}
