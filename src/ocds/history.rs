//! Facts that only the sequence of individual releases shows, kept beside the compiled release.
//!
//! Today: the cost estimate (the `tender.value` of the latest release whose tender was still in
//! planning). Change events (issue #4) belong here too.

use serde_json::{Map, Value};

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

/// History facts from a record's compiled release alone (no individual releases stored).
pub fn from_compiled(compiled: &Value) -> Value {
    extract(std::slice::from_ref(compiled))
}
