//! OC4IDS projects from an `oc4ids` source, passed through and enriched by the OCDS
//! contracting processes they name.
//!
//! The publisher's project is the authority: its own values are never replaced. What the
//! OCDS data adds is only what the project leaves out: process summary fields, and the
//! parties those fields refer to.

use serde_json::{Map, Value};

use super::{Converted, Note};
use crate::util::At as _;

/// The ocids a project's contracting processes name (`id`, or `summary.ocid`).
pub fn ocids_of(project: &Value) -> Vec<String> {
    let mut out: Vec<String> = project
        .get("contractingProcesses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|c| [c.get("id"), c.at("/summary/ocid")])
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Fills gaps in `project` from `from_ocds` (the same processes converted from OCDS).
pub fn enrich(project: Value, from_ocds: Option<&Converted>) -> Converted {
    let (mut project, notes, buyers) = match from_ocds {
        Some(ocds) => fill_from(project, ocds),
        None => (project, Vec::new(), Vec::new()),
    };
    super::clean(&mut project);
    Converted {
        project,
        notes,
        buyers,
        errors: Vec::new(),
    }
}

/// The project with the gaps the OCDS data fills, the notes saying so, and the buyers.
fn fill_from(mut project: Value, ocds: &Converted) -> (Value, Vec<Note>, Vec<String>) {
    let mut notes = Vec::new();
    let converted: Vec<&Value> = ocds
        .project
        .get("contractingProcesses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    let mut used_parties: Vec<String> = Vec::new();
    if let Some(processes) = project
        .get_mut("contractingProcesses")
        .and_then(Value::as_array_mut)
    {
        for (i, process) in processes.iter_mut().enumerate() {
            let ocid = process
                .get("id")
                .or_else(|| process.at("/summary/ocid"))
                .and_then(Value::as_str)
                .map(str::to_string);
            let Some(ocid) = ocid else { continue };
            let Some(twin) = converted
                .iter()
                .find(|c| c.get("id").and_then(Value::as_str) == Some(ocid.as_str()))
            else {
                continue;
            };
            let added = fill(process, twin);
            if added > 0 {
                notes.push(Note {
                    path: format!("/contractingProcesses/{i}"),
                    message: format!("{added} field(s) filled from the OCDS data of {ocid}"),
                });
            }
            collect_refs(process, &mut used_parties);
        }
    }
    // Parties referred to by what was filled in, unless the project has a party by that id.
    let ocds_parties = ocds.project.get("parties").and_then(Value::as_array);
    let obj = project.as_object_mut();
    if let (Some(obj), Some(ocds_parties)) = (obj, ocds_parties) {
        let parties = obj
            .entry("parties")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Some(list) = parties.as_array_mut() {
            for party in ocds_parties {
                let Some(id) = party.get("id").and_then(Value::as_str) else {
                    continue;
                };
                let present = list
                    .iter()
                    .any(|p| p.get("id").and_then(Value::as_str) == Some(id));
                if !present && used_parties.iter().any(|u| u == id) {
                    list.push(party.clone());
                }
            }
        }
    }
    (project, notes, ocds.buyers.clone())
}

/// Adds the keys `twin` has and `target` lacks, recursively inside objects; returns how many.
fn fill(target: &mut Value, twin: &Value) -> usize {
    let (Some(t), Some(w)) = (target.as_object_mut(), twin.as_object()) else {
        return 0;
    };
    fill_map(t, w)
}

fn fill_map(t: &mut Map<String, Value>, w: &Map<String, Value>) -> usize {
    let mut n = 0;
    for (k, v) in w {
        match t.get_mut(k) {
            None | Some(Value::Null) => {
                t.insert(k.clone(), v.clone());
                n += 1;
            }
            Some(Value::Object(inner)) => {
                if let Some(vo) = v.as_object() {
                    n += fill_map(inner, vo);
                }
            }
            Some(_) => {}
        }
    }
    n
}

/// Organisation references (`{id, name}` objects) anywhere below `v`.
fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let (Some(Value::String(id)), Some(Value::String(_))) = (m.get("id"), m.get("name"))
            {
                out.push(id.clone());
            }
            m.values().for_each(|x| collect_refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn own_values_win_and_gaps_are_filled() {
        let project = json!({
            "id": "oc4ids-x-1",
            "contractingProcesses": [{"id": "ocds-a-1", "summary": {"title": "Own title"}}]
        });
        let ocds = Converted {
            project: json!({
                "contractingProcesses": [{"id": "ocds-a-1", "summary": {
                    "title": "OCDS title",
                    "tender": {"procuringEntity": {"id": "PA-1", "name": "MOP"}}
                }}],
                "parties": [{"id": "PA-1", "name": "MOP"}, {"id": "PA-2", "name": "Other"}]
            }),
            notes: Vec::new(),
            errors: Vec::new(),
            buyers: vec!["PA-1".into()],
        };
        let out = enrich(project, Some(&ocds));
        let p = &out.project;
        assert_eq!(
            p.at("/contractingProcesses/0/summary/title"),
            Some(&json!("Own title"))
        );
        assert_eq!(
            p.at("/contractingProcesses/0/summary/tender/procuringEntity/id"),
            Some(&json!("PA-1"))
        );
        assert_eq!(p["parties"].as_array().map(Vec::len), Some(1));
        assert_eq!(out.notes.len(), 1);
        assert_eq!(ocids_of(p), vec!["ocds-a-1".to_string()]);
    }
}
