//! The OCP-compatible presence-only coverage, computed beside costwatch's own scores so that
//! results can be set against published OCP notebooks.
//!
//! As the notebook does: a project's paths are its object keys joined by `/` without array
//! indices, descending into an array only when its first item is an object; an element is
//! covered when every one of its fields (`ocp_fields` in the catalogue) is among them. Values
//! are not looked at, so any document satisfies every document element. The notebook's field
//! lists carry typos that make some elements score 0 everywhere; the catalogue has them
//! corrected (README, "Methods").

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::OnceLock;

use serde::Serialize;
use serde_json::Value;

use crate::ids::{Disclosure, catalogue};

/// The set of key paths of a project, notebook style: every path, where the runs walk only
/// those leading to a named field; kept as the tests' reference for that walk.
#[cfg(test)]
fn project_paths(project: &Value) -> HashSet<String> {
    let mut out = HashSet::new();
    walk(project, &mut String::new(), &mut out, None);
    out
}

/// The project's paths that lead to a field the catalogue names (those and their parents):
/// what presence looks at, without walking parties' details, transactions and the like.
fn named_paths(project: &Value) -> HashSet<String> {
    static PREFIXES: OnceLock<HashSet<String>> = OnceLock::new();
    let prefixes = PREFIXES.get_or_init(|| {
        let mut all = HashSet::new();
        for field in named_fields() {
            for (i, c) in field.char_indices() {
                if c == '/' {
                    all.insert(field[..i].to_string());
                }
            }
            all.insert(field.clone());
        }
        all
    });
    let mut out = HashSet::new();
    walk(project, &mut String::new(), &mut out, Some(prefixes));
    out
}

/// Adds the key paths under `v` (at `path`) to `out`, only those in `within` when given. One
/// path buffer, extended per key and cut back after it; a path is copied into the set only
/// the first time (the members of an array of objects repeat theirs).
fn walk(v: &Value, path: &mut String, out: &mut HashSet<String>, within: Option<&HashSet<String>>) {
    match v {
        Value::Object(map) => {
            let len = path.len();
            for (k, child) in map {
                if len > 0 {
                    path.push('/');
                }
                path.push_str(k);
                if within.is_none_or(|w| w.contains(path.as_str())) {
                    walk(child, path, out, within);
                    if !out.contains(path.as_str()) {
                        out.insert(path.clone());
                    }
                }
                path.truncate(len);
            }
        }
        Value::Array(items) if items.first().is_some_and(Value::is_object) => {
            for item in items {
                walk(item, path, out, within);
            }
        }
        _ => {}
    }
}

/// Every field the catalogue names, once.
fn named_fields() -> &'static BTreeSet<String> {
    static FIELDS: OnceLock<BTreeSet<String>> = OnceLock::new();
    FIELDS.get_or_init(|| {
        catalogue()
            .iter()
            .flat_map(|e| e.ocp_fields.iter().cloned())
            .collect()
    })
}

/// Counts of covered projects per element, overall and per entity.
#[derive(Debug, Default)]
pub struct OcpTally {
    /// Projects added.
    projects: u32,
    /// element code → projects covering it.
    covered: BTreeMap<String, u32>,
    /// field → projects having it.
    fields: BTreeMap<String, u32>,
    /// entity → (projects, Σ share of proactive elements covered).
    entities: BTreeMap<String, (u32, f64)>,
}

/// One row of `ocp-coverage.csv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OcpElement {
    /// Element code.
    pub code: String,
    /// Share of projects covering every field, 0–1.
    pub coverage: f64,
    /// Each field with the share of projects that have it.
    pub fields: Vec<(String, f64)>,
}

/// What one project shows of the OCP notebook's fields, worked out on its own (so that many
/// projects can be looked at at once) and added to the tally afterwards.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Presence {
    /// Per catalogue element: every field it names is present.
    hits: Vec<bool>,
    /// Per named field (in `named_fields` order): present.
    fields: Vec<bool>,
    /// Unrounded figure, 0–100 over the proactive elements.
    #[serde(with = "crate::util::exact_f64")]
    figure: f64,
}

impl Presence {
    /// Looks at one project.
    pub fn of(project: &Value) -> Presence {
        let paths = named_paths(project);
        let (mut proactive, mut covered) = (0u32, 0u32);
        let hits: Vec<bool> = catalogue()
            .iter()
            .map(|e| {
                let hit = e.ocp_fields.iter().all(|f| paths.contains(f));
                if e.disclosure == Disclosure::Proactive {
                    proactive += 1;
                    covered += u32::from(hit);
                }
                hit
            })
            .collect();
        // Each field once per project, however many elements name it.
        let fields = named_fields().iter().map(|f| paths.contains(f)).collect();
        Presence {
            hits,
            fields,
            figure: 100.0 * f64::from(covered) / f64::from(proactive.max(1)),
        }
    }

    /// The project's presence figure, 0–100, rounded as published.
    pub fn figure(&self) -> f64 {
        crate::util::round_to(self.figure, 2)
    }
}

impl OcpTally {
    /// Adds a project already looked at.
    pub fn add_presence(&mut self, entity: &str, p: &Presence) {
        self.projects += 1;
        for (e, hit) in catalogue().iter().zip(&p.hits) {
            if *hit {
                *self.covered.entry(e.code.clone()).or_default() += 1;
            }
        }
        for (f, present) in named_fields().iter().zip(&p.fields) {
            if *present {
                *self.fields.entry(f.clone()).or_default() += 1;
            }
        }
        let entry = self.entities.entry(entity.to_string()).or_default();
        entry.0 += 1;
        entry.1 += p.figure;
    }

    /// Mean presence figure of an entity's projects, 0–100.
    pub fn entity(&self, entity: &str) -> Option<f64> {
        self.entities
            .get(entity)
            .map(|(n, sum)| crate::util::round_to(sum / f64::from(*n), 2))
    }

    /// Per element coverage over every project of the run, in catalogue order.
    pub fn elements(&self) -> Vec<OcpElement> {
        let n = f64::from(self.projects.max(1));
        catalogue()
            .iter()
            .map(|e| OcpElement {
                code: e.code.clone(),
                coverage: crate::util::round_to(
                    f64::from(self.covered.get(&e.code).copied().unwrap_or(0)) / n,
                    4,
                ),
                fields: e
                    .ocp_fields
                    .iter()
                    .map(|f| {
                        let have = self.fields.get(f).copied().unwrap_or(0);
                        (f.clone(), crate::util::round_to(f64::from(have) / n, 4))
                    })
                    .collect(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn presence_sees_every_named_field_as_the_whole_walk_does() {
        // Every field the catalogue names, half of them behind an array of objects, beside
        // keys no field names; and a project with only some of them.
        let mut full = json!({"unnamed": {"deep": [{"x": 1}]}});
        for (n, field) in named_fields().iter().enumerate() {
            let mut at = &mut full;
            for (i, key) in field.split('/').enumerate() {
                let map = at.as_object_mut().expect("object");
                let wrap = n % 2 == 0 && i == 0;
                let next = map
                    .entry(key.to_string())
                    .or_insert_with(|| if wrap { json!([{}]) } else { json!({}) });
                at = match next {
                    Value::Array(items) => &mut items[0],
                    other => other,
                };
                if !at.is_object() {
                    break;
                }
            }
        }
        let sparse = json!({"title": "t", "parties": [{"name": "n", "extra": {"a": 1}}],
                            "budget": {"amount": {"amount": 1}}});
        let every = project_paths(&full);
        assert!(named_fields().iter().all(|f| every.contains(f)));
        for project in [full, sparse] {
            let (named, all) = (named_paths(&project), project_paths(&project));
            assert!(named.is_subset(&all));
            for f in named_fields() {
                assert_eq!(named.contains(f), all.contains(f), "{f}");
            }
            assert!(!named.contains("unnamed"));
        }
    }

    #[test]
    fn paths_skip_indices_and_arrays_of_scalars() {
        let p = json!({"title": "", "sector": ["a"], "parties": [{"id": "1", "roles": ["x"]}, {"name": "n"}],
                       "budget": {"amount": {"amount": 1}}});
        let mut got: Vec<String> = project_paths(&p).into_iter().collect();
        got.sort();
        assert_eq!(
            got,
            [
                "budget",
                "budget/amount",
                "budget/amount/amount",
                "parties",
                "parties/id",
                "parties/name",
                "parties/roles",
                "sector",
                "title"
            ]
        );
    }

    #[test]
    fn presence_counts_any_value_and_ignores_codes() {
        let mut t = OcpTally::default();
        // A title (even blank) and any document satisfy the notebook.
        let p = json!({"title": " ", "documents": [{"id": "1", "documentType": "other", "url": "u",
                       "description": "d", "title": "t", "pageStart": "1", "pageEnd": "2"}]});
        let presence = Presence::of(&p);
        t.add_presence("e", &presence);
        let figure = presence.figure();
        assert!(figure > 0.0 && figure <= 100.0);
        let by_code = |code: &str| {
            t.elements()
                .into_iter()
                .find(|e| e.code == code)
                .expect(code)
        };
        assert_eq!(by_code("PJ-ID-4").coverage, 1.0);
        assert_eq!(
            by_code("PJ-PR-1").coverage,
            1.0,
            "any document counts for projectScope"
        );
        assert_eq!(by_code("PJ-ID-2").coverage, 0.0);
        assert_eq!(t.entity("e"), Some(figure));
    }
}
