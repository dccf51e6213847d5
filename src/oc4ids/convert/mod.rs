//! OCDS compiled releases → one OC4IDS project.
//!
//! Covers every row of the OCDS-to-OC4IDS mapping, the italic ones included (sector map,
//! reactive documents, transactions, metrics, status and completion), avoiding the reference
//! converter's known bugs: ids are strings, party references are rewritten to the
//! de-duplicated parties, conflicting values are reported instead of last-wins, nothing is
//! invented, and no null or empty value is emitted.

mod budget;
mod completion;
mod documents;
mod identification;
mod parties;
mod process;
mod values;

use serde_json::{Map, Value};

use super::status::process_status;
use crate::config::SectorRule;
use crate::ocds::CompiledProcess;

use crate::util::At as _;
use parties::Parties;
pub use values::sum_values;

/// A fact about the conversion that a reader of the output should know.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Note {
    /// The OC4IDS path concerned.
    pub path: String,
    /// What happened.
    pub message: String,
}

/// The result of converting one project.
#[derive(Debug, Clone)]
pub struct Converted {
    /// The OC4IDS project.
    pub project: Value,
    /// Things decided during conversion (conflicts, values left unset and why).
    pub notes: Vec<Note>,
    /// Buyer parties (canonical ids), in process order, for entity attribution.
    pub buyers: Vec<String>,
    /// Schema errors that could not be repaired (set by [`super::publishable`]): the project is
    /// published with its sheet but left out of the package.
    pub errors: Vec<super::SchemaError>,
}

/// Options that shape a conversion.
#[derive(Debug, Clone)]
pub struct Options {
    /// OC4IDS project id prefix.
    pub id_prefix: String,
    /// Instant the statuses are computed for (ns since the epoch).
    pub as_of: i64,
    /// The classification map to project sectors (first match wins).
    pub sectors: Vec<SectorRule>,
}

/// The OC4IDS project id for a grouping key.
pub fn project_id(key: &str, prefix: &str) -> String {
    if key.starts_with("oc4ids-") {
        key.to_string()
    } else {
        format!("{prefix}-{key}")
    }
}

/// Converts the compiled releases of one project (ordered by ocid).
pub fn convert(key: &str, rows: &[CompiledProcess], opts: &Options) -> Converted {
    let mut c = Converter {
        notes: Vec::new(),
        parties: Parties::default(),
    };
    c.parties.collect(rows);
    let mut project = Map::new();
    project.insert("id".into(), Value::from(project_id(key, &opts.id_prefix)));
    c.text_field(
        &mut project,
        rows,
        "title",
        "/planning/project/title",
        "/tender/title",
    );
    c.text_field(
        &mut project,
        rows,
        "description",
        "/planning/project/description",
        "/tender/description",
    );
    c.purpose(&mut project, rows);
    c.sector(&mut project, rows, &opts.sectors);
    c.locations(&mut project, rows);
    c.budget(&mut project, rows);
    c.documents(&mut project, rows);

    c.metrics(&mut project, rows);

    let processes: Vec<Value> = rows.iter().map(|row| c.process(row, opts.as_of)).collect();
    let statuses: Vec<Option<&str>> = processes
        .iter()
        .map(|p| p.at("/summary/status").and_then(Value::as_str))
        .collect();
    match completion::project_status(rows, &statuses) {
        (Some(status), why) => {
            project.insert("status".into(), Value::from(status));
            if status == "completion"
                && let Some(block) = completion::completion(rows, &mut c.notes)
            {
                project.insert("completion".into(), block);
            }
            c.note("/status", format!("{status}: {why}"));
        }
        (None, why) => c.note("/status", why),
    }

    // Public authority: parties already in that role, and every buyer (mapping: buyer → add
    // publicAuthority). The reference is set only when there is exactly one.
    let mut buyers = Vec::new();
    for row in rows {
        if let Some(b) = row.data.get("buyer")
            && let Some(id) = c.parties.reference_id(&row.ocid, b)
        {
            c.parties.add_role(&id, "publicAuthority");
            if !buyers.contains(&id) {
                buyers.push(id);
            }
        }
    }
    let authorities = c.parties.with_role("publicAuthority");
    match authorities.as_slice() {
        [one] => {
            project.insert("publicAuthority".into(), c.parties.reference(one));
        }
        [] => {}
        many => c.note(
            "/publicAuthority",
            format!(
                "{} public authorities ({}); the reference is left unset",
                many.len(),
                many.join(", ")
            ),
        ),
    }
    let parties = c.parties.output();
    if !parties.is_empty() {
        project.insert("parties".into(), Value::Array(parties));
    }
    if !processes.is_empty() {
        project.insert("contractingProcesses".into(), Value::Array(processes));
    }
    let mut project = Value::Object(project);
    super::clean(&mut project);
    Converted {
        project,
        notes: c.notes,
        buyers,
        errors: Vec::new(),
    }
}

struct Converter {
    notes: Vec<Note>,
    parties: Parties,
}

impl Converter {
    fn note(&mut self, path: &str, message: String) {
        self.notes.push(Note {
            path: path.to_string(),
            message,
        });
    }
}

#[cfg(test)]
mod test_rows {
    use serde_json::Value;

    use super::{Converter, Parties};
    use crate::ocds::CompiledProcess;

    /// A compiled release as it is stored, for the unit tests of each part.
    pub(in crate::oc4ids::convert) fn row(ocid: &str, data: Value) -> CompiledProcess {
        CompiledProcess {
            ocid: ocid.into(),
            data,
            history: Value::Null,
            releases: 1,
            compiled_in: 0,
        }
    }

    /// A converter that has collected the parties of `rows`.
    pub(in crate::oc4ids::convert) fn converter(rows: &[CompiledProcess]) -> Converter {
        let mut c = Converter {
            notes: Vec::new(),
            parties: Parties::default(),
        };
        c.parties.collect(rows);
        c
    }
}
