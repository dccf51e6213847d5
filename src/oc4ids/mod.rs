//! OC4IDS: conversion from compiled OCDS releases, contracting-process status, and the
//! clean-up every published project goes through.
//!
//! In: compiled releases grouped by project. Out: OC4IDS project objects with no nulls and no
//! empty strings, arrays or objects (each is a schema error or a lib-cove warning).

mod convert;
mod enrich;
mod status;
mod validity;

use serde_json::Value;

pub use convert::{Converted, Note, Options, convert, project_id, sum_values};
pub use enrich::{enrich, ocids_of};
pub use status::process_status;
pub use validity::{Problem, SchemaError};

/// Makes a converted or passed-through project ready for the package, once, whichever way it
/// came: the repairs that keep what the publisher said (noted as `repaired: …`), and the schema
/// errors that keep it out of the package (see `validity`).
pub fn publishable(mut converted: Converted) -> Converted {
    let checked = validity::check(&mut converted.project);
    converted
        .notes
        .extend(checked.repairs.into_iter().map(|n| Note {
            message: format!("repaired: {}", n.message),
            ..n
        }));
    converted.errors = checked.errors;
    converted
}

/// Removes nulls, blank strings, empty arrays and objects (recursively) and repeated array
/// items, which the schema's `minLength`, `minItems`, `minProperties` and `uniqueItems` forbid.
/// Geometry coordinates are exempt from de-duplication (a point may be `[8.5, 8.5]`).
pub fn clean(value: &mut Value) -> bool {
    clean_in(value, true)
}

fn clean_in(value: &mut Value, dedupe: bool) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::Array(items) => {
            items.retain_mut(|v| clean_in(v, dedupe));
            if !dedupe {
                return !items.is_empty();
            }
            let mut unique: Vec<Value> = Vec::with_capacity(items.len());
            for item in items.drain(..) {
                if !unique.contains(&item) {
                    unique.push(item);
                }
            }
            *items = unique;
            !items.is_empty()
        }
        Value::Object(map) => {
            map.retain(|k, v| clean_in(v, k != "coordinates"));
            !map.is_empty()
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn clean_drops_empties_and_duplicates() {
        let mut v = json!({"a": null, "b": " ", "c": [], "d": {"e": {}}, "f": [1, 1, {"g": null}], "h": 0,
                           "geometry": {"coordinates": [8.5, 8.5]}});
        clean(&mut v);
        assert_eq!(
            v,
            json!({"f": [1], "h": 0, "geometry": {"coordinates": [8.5, 8.5]}})
        );
    }
}
