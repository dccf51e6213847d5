//! Facts that only the sequence of individual releases shows, kept beside the compiled release.
//!
//! The cost estimate (the `tender.value` of the latest release whose tender was still in
//! planning) and the change events of each contract (see `events`).

use serde_json::{Map, Value};

use super::events::Tracker;
use super::{MergeWarning, Merger};

/// Compiles sorted releases and reads their history in the same pass: the compiled release,
/// the history facts (with `changes` when a contract changed), and merge warnings.
pub fn compile(merger: &Merger, sorted_releases: &[Value]) -> (Value, Value, Vec<MergeWarning>) {
    let mut tracker = Tracker::default();
    let (compiled, warnings) =
        merger.compile_sorted_visiting(sorted_releases, &mut |state, r| tracker.observe(state, r));
    let mut history = extract(sorted_releases);
    let changes = tracker.finish();
    if let (Some(h), false) = (history.as_object_mut(), changes.is_empty()) {
        h.insert("changes".into(), Value::Array(changes));
    }
    (compiled, history, warnings)
}

/// Extracts history facts from releases already sorted by date.
pub fn extract(sorted_releases: &[Value]) -> Value {
    let mut out = Map::new();
    let estimate = sorted_releases.iter().rev().find_map(|r| {
        let tender = r.get("tender")?;
        (tender.get("status").and_then(Value::as_str) == Some("planning"))
            .then(|| tender.get("value").filter(|v| v.is_object()).cloned())
            .flatten()
    });
    if let Some(v) = estimate {
        out.insert("costEstimate".into(), v);
    }
    Value::Object(out)
}

/// The address of a release stored from a package with a `uri` (`uri#id`, as ocdskit writes
/// it), with its `date` and `tag` as published.
pub fn link_to(release: &Value, id: &str, package_uri: &str) -> Value {
    let mut link = Map::new();
    link.insert("id".into(), Value::from(id));
    link.insert("url".into(), Value::from(format!("{package_uri}#{id}")));
    for key in ["date", "tag"] {
        if let Some(v) = release.get(key) {
            link.insert(key.into(), v.clone());
        }
    }
    Value::Object(link)
}

/// Keeps the links to an ocid's releases (`links` in the history), those of its stored
/// releases first, then a record's linked releases; each url once.
pub fn add_links(history: &mut Value, links: Vec<Value>) {
    let mut seen: Vec<String> = Vec::new();
    let mut kept = Vec::new();
    for link in links {
        let Some(url) = link.get("url").and_then(Value::as_str) else {
            continue;
        };
        if seen.iter().any(|u| u == url) {
            continue;
        }
        seen.push(url.to_string());
        kept.push(link);
    }
    if let (Some(h), false) = (history.as_object_mut(), kept.is_empty()) {
        h.insert("links".into(), Value::Array(kept));
    }
}

/// History facts from a record's compiled release alone (no individual releases stored).
pub fn from_compiled(compiled: &Value) -> Value {
    extract(std::slice::from_ref(compiled))
}
