//! The project's identity: title, description, purpose, sector and classifications, metrics,
//! locations.

use serde_json::{Map, Value, json};

use super::Converter;
use super::values::{push_unique, text, unique_ids};
use crate::config::SectorRule;
use crate::ocds::CompiledProcess;
use crate::util::At as _;
use crate::util::{array, id_text};

impl Converter {
    /// A project text taken from the Project extension when the processes agree; with a
    /// single process and no project text, the tender's text is used.
    pub(super) fn text_field(
        &mut self,
        project: &mut Map<String, Value>,
        rows: &[CompiledProcess],
        field: &str,
        pointer: &str,
        fallback: &str,
    ) {
        let values = distinct_text(rows, pointer);
        match values.as_slice() {
            [one] => {
                project.insert(field.into(), Value::from(one.clone()));
            }
            [] => {
                if let [row] = rows
                    && let Some(t) = text(row.data.at(fallback))
                {
                    project.insert(field.into(), Value::from(t));
                }
            }
            many => self.note(
                &format!("/{field}"),
                format!(
                    "processes disagree on {pointer} ({} different values); left unset",
                    many.len()
                ),
            ),
        }
    }

    pub(super) fn purpose(&mut self, project: &mut Map<String, Value>, rows: &[CompiledProcess]) {
        let mut lines = Vec::new();
        let values = distinct_text(rows, "/planning/rationale");
        if values.len() == 1 {
            project.insert("purpose".into(), Value::from(values[0].clone()));
            return;
        }
        for row in rows {
            if let Some(t) = text(row.data.at("/planning/rationale")) {
                lines.push(format!("{}: {t}", row.ocid));
            }
        }
        if !lines.is_empty() {
            project.insert("purpose".into(), Value::from(lines.join("\n")));
            self.note(
                "/purpose",
                "processes give different rationales; each is kept, prefixed by its ocid".into(),
            );
        }
    }

    /// `sector` from the Project extension's sector: an `oc4idsProjectSector` code is used as
    /// is; another scheme goes through the configured map (and is kept as an additional
    /// classification). Without a project sector, the tender items' classifications are
    /// mapped.
    pub(super) fn sector(
        &mut self,
        project: &mut Map<String, Value>,
        rows: &[CompiledProcess],
        map: &[SectorRule],
    ) {
        let mut sectors: Vec<Value> = Vec::new();
        let mut classifications: Vec<Value> = Vec::new();
        let mut unmapped: Vec<String> = Vec::new();
        // The configured rules first, then the COFOG map that ships with the program.
        let mapped = |scheme: &str, id: &str| {
            map.iter()
                .find(|r| r.matches(scheme, id))
                .map(|r| r.sector.clone())
                .or_else(|| crate::config::default_sector(scheme, id).map(str::to_string))
        };
        for row in rows {
            if let Some(s) = row.data.at("/planning/project/sector") {
                let scheme = text(s.get("scheme"));
                let id = id_text(s.get("id"));
                match (scheme.as_deref(), id) {
                    (Some("oc4idsProjectSector"), Some(code)) => {
                        // A sub-sector code (`transport.road`) is a classification of the
                        // project as the mapping asks (PJ-ID-3), and OC4IDS wants its parent
                        // beside it in `sector`.
                        if code.contains('.') {
                            push_unique(&mut classifications, s.clone());
                        }
                        push_sector(&mut sectors, &code)
                    }
                    (Some(scheme), Some(id)) => {
                        match mapped(scheme, &id) {
                            Some(code) => push_sector(&mut sectors, &code),
                            None => unmapped.push(format!("{scheme} {id}")),
                        }
                        push_unique(&mut classifications, s.clone());
                    }
                    _ => {}
                }
            }
            if let Some(Value::Array(list)) =
                row.data.at("/planning/project/additionalClassifications")
            {
                for c in list {
                    push_unique(&mut classifications, c.clone());
                }
            }
        }
        if sectors.is_empty() {
            let mut from_items = Vec::new();
            for row in rows {
                for item in array(row.data.at("/tender/items")) {
                    for c in item
                        .get("classification")
                        .into_iter()
                        .chain(array(item.get("additionalClassifications")))
                    {
                        if let (Some(scheme), Some(id)) =
                            (text(c.get("scheme")), id_text(c.get("id")))
                            && let Some(code) = mapped(&scheme, &id)
                        {
                            push_sector(&mut from_items, &code);
                        }
                    }
                }
            }
            if !from_items.is_empty() {
                self.note(
                    "/sector",
                    "mapped from the tender items' classifications by the configured [[sector]] map".into(),
                );
                sectors = from_items;
            }
        }
        if !unmapped.is_empty() && sectors.is_empty() {
            self.note(
                "/sector",
                format!(
                    "no [[sector]] rule maps {}; the sector is left unset",
                    unmapped.join(", ")
                ),
            );
        }
        if !sectors.is_empty() {
            project.insert("sector".into(), Value::Array(sectors));
        }
        if !classifications.is_empty() {
            project.insert(
                "additionalClassifications".into(),
                Value::Array(classifications),
            );
        }
    }

    /// `forecasts` from `planning.forecasts` and `metrics` from each contract's implementation
    /// metrics (Metrics extension), with string ids.
    pub(super) fn metrics(&mut self, project: &mut Map<String, Value>, rows: &[CompiledProcess]) {
        for (field, pointers) in [
            ("forecasts", &["/planning/forecasts"][..]),
            ("metrics", &["/contracts/*/implementation/metrics"][..]),
        ] {
            let mut list: Vec<(&str, Value)> = Vec::new();
            for row in rows {
                for pointer in pointers {
                    let found: Vec<&Value> = match pointer.split_once("/*") {
                        Some((head, tail)) => array(row.data.at(head))
                            .iter()
                            .flat_map(|c| array(c.at(tail)))
                            .collect(),
                        None => array(row.data.at(pointer)).iter().collect(),
                    };
                    for m in found {
                        let Some(mut m) = m.as_object().cloned() else {
                            continue;
                        };
                        if let Some(Value::Array(obs)) = m.get_mut("observations") {
                            for (i, o) in obs.iter_mut().enumerate() {
                                if let Value::Object(o) = o {
                                    let id =
                                        id_text(o.get("id")).unwrap_or_else(|| (i + 1).to_string());
                                    o.insert("id".into(), Value::from(id));
                                }
                            }
                        }
                        list.push((row.ocid.as_str(), Value::Object(m)));
                    }
                }
            }
            let list = unique_ids(list);
            if !list.is_empty() {
                project.insert(field.into(), Value::Array(list));
            }
        }
    }

    pub(super) fn locations(&mut self, project: &mut Map<String, Value>, rows: &[CompiledProcess]) {
        let mut locations: Vec<Value> = Vec::new();
        for row in rows {
            if let Some(Value::Array(list)) = row.data.at("/planning/project/locations") {
                for l in list {
                    push_unique(&mut locations, l.clone());
                }
            }
        }
        if locations.is_empty() {
            // Optional mapping: the delivery locations of the tender's items.
            for row in rows {
                for item in array(row.data.at("/tender/items")) {
                    for l in array(item.get("deliveryLocations"))
                        .iter()
                        .chain(item.get("deliveryLocation"))
                    {
                        push_unique(&mut locations, l.clone());
                    }
                    for a in array(item.get("deliveryAddresses"))
                        .iter()
                        .chain(item.get("deliveryAddress"))
                    {
                        push_unique(&mut locations, json!({ "address": a }));
                    }
                }
            }
            if !locations.is_empty() {
                self.note(
                    "/locations",
                    "taken from the delivery locations of tender items".into(),
                );
            }
        }
        // Location.id is required by the schema: published ids first and as text, then the
        // others numbered with numbers no published id already takes.
        for l in &mut locations {
            if let Value::Object(o) = l
                && let Some(id) = id_text(o.get("id"))
            {
                o.shift_insert(0, "id".into(), Value::from(id));
            }
        }
        crate::oc4ids::validity::number_locations(&mut locations);
        if !locations.is_empty() {
            project.insert("locations".into(), Value::Array(locations));
        }
    }
}

/// Adds a projectSector code, its parent first when it is a sub-sector (`transport` before
/// `transport.road`), as OC4IDS asks.
fn push_sector(sectors: &mut Vec<Value>, code: &str) {
    if let Some((parent, _)) = code.split_once('.') {
        push_unique(sectors, Value::from(parent));
    }
    push_unique(sectors, Value::from(code));
}

fn distinct_text(rows: &[CompiledProcess], pointer: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for row in rows {
        if let Some(t) = text(row.data.at(pointer))
            && !out.contains(&t)
        {
            out.push(t);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_rows::{converter, row};
    use super::*;

    #[test]
    fn a_sub_sector_brings_its_parent_once() {
        let mut sectors = Vec::new();
        push_sector(&mut sectors, "transport.road");
        push_sector(&mut sectors, "transport");
        push_sector(&mut sectors, "transport.urban");
        assert_eq!(
            sectors,
            [
                json!("transport"),
                json!("transport.road"),
                json!("transport.urban")
            ]
        );
    }

    #[test]
    fn processes_that_disagree_on_the_title_leave_it_unset_with_a_note() {
        let rows = [
            row("a", json!({"planning": {"project": {"title": "Puente A"}}})),
            row("b", json!({"planning": {"project": {"title": "Puente B"}}})),
        ];
        let mut c = converter(&rows);
        let mut project = Map::new();
        c.text_field(
            &mut project,
            &rows,
            "title",
            "/planning/project/title",
            "/tender/title",
        );
        assert!(project.get("title").is_none());
        assert_eq!(c.notes[0].path, "/title");
        assert_eq!(
            distinct_text(&rows[..1], "/planning/project/title"),
            ["Puente A"]
        );
    }
}
