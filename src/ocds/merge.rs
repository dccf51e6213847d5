//! Compiling releases: the OCDS 1.1 merge routine.
//!
//! In: the individual releases of one `ocid`, in any order. Out: the compiled release, plus
//! warnings about data the routine had to interpret. Rules by path come from [`Rules`]; the
//! runtime rules are those of the standard's merging page:
//! - a literal, or an array holding anything but objects, replaces what was there;
//! - `null` removes a field (but not an object or identifier-merged array built before it);
//! - an empty object or an empty identifier-merged array changes nothing;
//! - objects merge key by key; arrays of objects merge by `id`, compared as strings (`1` and `"1"`
//!   are the same object), objects without `id` are appended.

use serde_json::{Map, Value};

use super::rules::{Rule, Rules};

/// Something the merge had to interpret; never fatal.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeWarning {
    /// Path (array indices left out) where it happened.
    pub path: String,
    /// What happened.
    pub message: String,
}

/// The OCDS merge routine with a fixed set of rules.
#[derive(Debug, Clone)]
pub struct Merger {
    rules: Rules,
}

impl Default for Merger {
    fn default() -> Self {
        Merger::new(Rules::ocds_1_1())
    }
}

impl Merger {
    /// A merger using `rules`.
    pub fn new(rules: Rules) -> Self {
        Merger { rules }
    }

    /// Orders releases by `date` (instants when they parse, else text), keeping input order
    /// for equal dates so that the later input wins.
    pub fn sort(releases: &mut [Value]) {
        // Cached: a key parses a date, and a stable sort asks for it twice per comparison.
        releases.sort_by_cached_key(date_key);
    }

    /// Compiles releases of one ocid. They are sorted first (see [`Merger::sort`]).
    pub fn compile(&self, releases: &[Value]) -> (Value, Vec<MergeWarning>) {
        self.compile_visiting(releases, &mut |_, _| {})
    }

    /// Compiles like [`Merger::compile`], showing `visit` the compiled state after each
    /// release is merged (with that release): what the change events are read from.
    pub fn compile_visiting(
        &self,
        releases: &[Value],
        visit: &mut dyn FnMut(&Map<String, Value>, &Value),
    ) -> (Value, Vec<MergeWarning>) {
        let mut sorted: Vec<&Value> = releases.iter().collect();
        sorted.sort_by_cached_key(|r| date_key(r));
        self.compile_sorted_visiting(sorted, visit)
    }

    /// Compiles like [`Merger::compile_visiting`] releases already in [`Merger::sort`]'s
    /// order (the compile stage sorts them once, for the history too).
    pub fn compile_sorted_visiting<'r>(
        &self,
        sorted: impl IntoIterator<Item = &'r Value>,
        visit: &mut dyn FnMut(&Map<String, Value>, &Value),
    ) -> (Value, Vec<MergeWarning>) {
        let mut warnings = Vec::new();
        let mut merged = Map::new();
        merged.insert("tag".into(), Value::Array(vec![Value::from("compiled")]));
        for release in sorted {
            let Some(obj) = release.as_object() else {
                warnings.push(MergeWarning {
                    path: String::new(),
                    message: "a release that is not an object was skipped".into(),
                });
                continue;
            };
            let ocid = obj.get("ocid").and_then(Value::as_str).unwrap_or_default();
            match obj.get("date") {
                Some(Value::String(date)) => {
                    merged.insert("id".into(), Value::from(format!("{ocid}-{date}")));
                    merged.insert("date".into(), Value::from(date.clone()));
                }
                _ => {
                    warnings.push(MergeWarning {
                        path: "date".into(),
                        message: format!(
                            "release {} has no date; it was merged first",
                            obj.get("id").map(Value::to_string).unwrap_or_default()
                        ),
                    });
                    merged.entry("id").or_insert_with(|| Value::from(ocid));
                }
            }
            // Every field but `tag`, in the order a swap-remove of `tag` leaves them (the last
            // field takes its place): compiled releases have always been built in that order,
            // and borrowing the fields spares a copy of each release.
            let mut fields: Vec<(&String, &Value)> = obj.iter().collect();
            if let Some(i) = fields.iter().position(|(k, _)| k.as_str() == "tag") {
                fields.swap_remove(i);
            }
            let mut path = String::new();
            self.merge_fields(&mut merged, fields, &mut path, &mut warnings);
            visit(&merged, release);
        }
        (Value::Object(merged), warnings)
    }

    /// Merges `source`'s fields into `target`; `path` is where they are, and is the same on
    /// return.
    fn merge_fields<'a>(
        &self,
        target: &mut Map<String, Value>,
        source: impl IntoIterator<Item = (&'a String, &'a Value)>,
        path: &mut String,
        warnings: &mut Vec<MergeWarning>,
    ) {
        // One path buffer for the whole release, extended per key and cut back after it.
        let prefix_len = path.len();
        for (key, value) in source {
            path.truncate(prefix_len);
            if prefix_len > 0 {
                path.push('/');
            }
            path.push_str(key);
            self.merge_value(target, key, value, path, warnings);
        }
        path.truncate(prefix_len);
    }

    /// Merges one field of a release (`key` at `path`) into `target`.
    fn merge_value(
        &self,
        target: &mut Map<String, Value>,
        key: &String,
        value: &Value,
        path: &mut String,
        warnings: &mut Vec<MergeWarning>,
    ) {
        let rule = self.rules.get(path);
        if rule == Some(Rule::Omit) {
            return;
        }
        let empty = match value {
            Value::Object(o) => o.is_empty(),
            Value::Array(a) => a.is_empty() && rule != Some(Rule::WholeList),
            _ => false,
        };
        if empty {
            // An empty object or identifier-merged array changes nothing.
            return;
        }
        if self.is_leaf(value, rule) {
            if value.is_null() {
                // A null removes a value, but not an object or identifier-merged array
                // assembled from earlier releases (the reference implementations agree).
                if let Some(existing) = target.get(key)
                    && !self.is_container(existing, rule)
                {
                    target.remove(key);
                }
            } else {
                target.insert(key.clone(), value.clone());
            }
            return;
        }
        match value {
            Value::Object(obj) => {
                if let Value::Object(inner) = container(target, key, value, path, warnings) {
                    self.merge_fields(inner, obj, path, warnings);
                    if inner.is_empty() {
                        target.remove(key);
                    }
                }
            }
            Value::Array(items) => {
                if let Value::Array(existing) = container(target, key, value, path, warnings) {
                    self.merge_array(existing, items, path, rule, warnings);
                    if existing.is_empty() {
                        target.remove(key);
                    }
                }
            }
            // is_leaf() is true for every other kind of value.
            _ => {}
        }
    }

    /// True when the value replaces what was there instead of being merged into it.
    fn is_leaf(&self, value: &Value, rule: Option<Rule>) -> bool {
        match value {
            Value::Object(_) => false,
            Value::Array(a) => {
                rule == Some(Rule::WholeList) || a.iter().any(|item| !item.is_object())
            }
            _ => true,
        }
    }

    /// True for a value that was built by merging (an object, an identifier-merged array).
    fn is_container(&self, existing: &Value, rule: Option<Rule>) -> bool {
        match existing {
            Value::Object(_) => true,
            Value::Array(a) => {
                rule != Some(Rule::WholeList) && !a.is_empty() && a.iter().all(Value::is_object)
            }
            _ => false,
        }
    }

    fn merge_array(
        &self,
        existing: &mut Vec<Value>,
        items: &[Value],
        path: &mut String,
        rule: Option<Rule>,
        warnings: &mut Vec<MergeWarning>,
    ) {
        let mut seen_in_release: Vec<String> = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let Value::Object(obj) = item else { continue };
            let target_index = match rule {
                Some(Rule::Append) => None,
                Some(Rule::ByPosition) => (index < existing.len()).then_some(index),
                _ => match obj.get("id") {
                    None | Some(Value::Null) => None,
                    Some(id) => match id_key(id) {
                        Some(key) => {
                            if seen_in_release.contains(&key) {
                                warnings.push(MergeWarning {
                                    path: path.clone(),
                                    message: format!(
                                        "id {key} occurs more than once in one release; the objects were merged"
                                    ),
                                });
                            } else {
                                seen_in_release.push(key.clone());
                            }
                            existing
                                .iter()
                                .position(|e| e.get("id").is_some_and(|id| has_id(id, &key)))
                        }
                        None => {
                            warnings.push(MergeWarning {
                                path: path.to_string(),
                                message: format!(
                                    "id {id} is neither a string nor a number; the object was appended"
                                ),
                            });
                            None
                        }
                    },
                },
            };
            match target_index {
                Some(i) => {
                    if let Value::Object(t) = &mut existing[i] {
                        self.merge_fields(t, obj, path, warnings);
                    } else {
                        let mut fresh = Map::new();
                        self.merge_fields(&mut fresh, obj, path, warnings);
                        existing[i] = Value::Object(fresh);
                    }
                }
                None => {
                    let mut fresh = Map::new();
                    // An object that only carries an id is still a member of the list.
                    if let Some(id) = obj.get("id").filter(|v| !v.is_null())
                        && rule != Some(Rule::Append)
                        && rule != Some(Rule::ByPosition)
                    {
                        fresh.insert("id".into(), id.clone());
                    }
                    self.merge_fields(&mut fresh, obj, path, warnings);
                    if !fresh.is_empty() {
                        existing.push(Value::Object(fresh));
                    }
                }
            }
        }
    }
}

/// What `key` holds in `target`, made the kind of container `value` is (an empty one, with a
/// warning, when it held something else), to merge `value` into.
fn container<'t>(
    target: &'t mut Map<String, Value>,
    key: &str,
    value: &Value,
    path: &str,
    warnings: &mut Vec<MergeWarning>,
) -> &'t mut Value {
    let (empty, kind) = match value {
        Value::Object(_) => (Value::Object(Map::new()), "an object"),
        _ => (Value::Array(Vec::new()), "an array"),
    };
    let slot = target.entry(key).or_insert_with(|| empty.clone());
    if std::mem::discriminant(slot) != std::mem::discriminant(&empty) {
        warnings.push(MergeWarning {
            path: path.to_string(),
            message: format!("{kind} replaced a value of another type"),
        });
        *slot = empty;
    }
    slot
}

/// The identity of an array member: ids are compared as strings, so `1` matches `"1"`.
fn id_key(id: &Value) -> Option<String> {
    match id {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Whether `id` is `key` compared as a string, without making a string of a text id (this runs
/// once per member already merged, for every member of a release).
fn has_id(id: &Value, key: &str) -> bool {
    match id {
        Value::String(s) => s == key,
        other => id_key(other).as_deref() == Some(key),
    }
}

/// Sort key for a release date: parsed instant when possible, then the raw text.
fn date_key(release: &Value) -> (Option<i64>, String) {
    let raw = release
        .get("date")
        .and_then(Value::as_str)
        .unwrap_or_default();
    (crate::util::parse_instant(raw), raw.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_are_compared_as_strings() {
        let releases = vec![
            json!({"ocid": "o", "id": "1", "date": "2020-01-01T00:00:00Z",
                   "awards": [{"id": 1, "title": "a"}]}),
            json!({"ocid": "o", "id": "2", "date": "2020-01-02T00:00:00Z",
                   "awards": [{"id": "1", "status": "active"}]}),
        ];
        let (c, _) = Merger::default().compile(&releases);
        // One award, not two; the later release's spelling of the id is kept.
        assert_eq!(
            c["awards"],
            json!([{"id": "1", "title": "a", "status": "active"}])
        );
    }

    #[test]
    fn releases_are_merged_in_date_order() {
        let releases = vec![
            json!({"ocid": "o", "id": "2", "date": "2020-01-02T00:00:00Z", "tender": {"title": "new"}}),
            json!({"ocid": "o", "id": "1", "date": "2020-01-01T00:00:00Z", "tender": {"title": "old"}}),
        ];
        let (c, _) = Merger::default().compile(&releases);
        assert_eq!(c["tender"]["title"], "new");
        assert_eq!(c["id"], "o-2020-01-02T00:00:00Z");
    }

    #[test]
    fn project_locations_are_replaced_whole() {
        let loc = json!({"description": "Colón"});
        let releases = vec![
            json!({"ocid": "o", "id": "1", "date": "2020-01-01T00:00:00Z",
                   "planning": {"project": {"locations": [loc.clone()]}}}),
            json!({"ocid": "o", "id": "2", "date": "2020-01-02T00:00:00Z",
                   "planning": {"project": {"locations": [loc.clone()]}}}),
        ];
        let (c, _) = Merger::default().compile(&releases);
        assert_eq!(c["planning"]["project"]["locations"], json!([loc]));
    }
}
