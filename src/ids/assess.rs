//! Applies the catalogue to one OC4IDS project.

use serde::Serialize;
use serde_json::Value;

use super::check::{Gate, Unit};
use super::{Disclosure, Element, Level, Outcome, catalogue};

/// The verdict on one element for one unit (the project, or one contracting process).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// Element code.
    pub code: &'static str,
    /// Project or process.
    pub level: Level,
    /// The contracting process id for process-level elements.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    /// The outcome.
    pub outcome: Outcome,
    /// JSON pointer (within the project) that decided it.
    pub path: String,
    /// Why, in a few words.
    pub reason: String,
    /// True for elements only asked for when something happened.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub conditional: bool,
    /// Proactive or reactive.
    pub disclosure: Disclosure,
    /// True when a linked document decided it: costwatch saw the link, not the contents.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub document_not_inspected: bool,
    /// Where the data at `path` came from (filled in by the pipeline, which knows the store;
    /// a project's file writes it as indices into the file's one table of origins).
    #[serde(skip)]
    pub evidence: Vec<std::sync::Arc<crate::evidence::Origin>>,
}

/// Judges every element on a project: project-level elements once, process-level
/// elements once per contracting process.
pub fn assess(project: &Value) -> Vec<Verdict> {
    let processes: &[Value] = project
        .get("contractingProcesses")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let mut out = Vec::new();
    for element in catalogue() {
        match element.level {
            Level::Project => out.push(judge(
                element,
                &Unit {
                    project,
                    process: None,
                },
                None,
            )),
            Level::Process => {
                for (i, cp) in processes.iter().enumerate() {
                    let id = crate::util::process_id(i, cp);
                    out.push(judge(
                        element,
                        &Unit {
                            project,
                            process: Some((i, cp)),
                        },
                        Some(id),
                    ));
                }
            }
        }
    }
    out
}

fn judge(element: &'static Element, unit: &Unit<'_>, process: Option<String>) -> Verdict {
    let verdict = |outcome, path: String, reason: String, uninspected: bool| Verdict {
        code: element.code.as_str(),
        level: element.level,
        process: process.clone(),
        outcome,
        path,
        reason,
        conditional: element.conditional,
        disclosure: element.disclosure,
        document_not_inspected: uninspected,
        evidence: Vec::new(),
    };
    let gate_path = || match unit.process {
        Some((i, _)) => format!("/contractingProcesses/{i}/summary"),
        None => "/status".into(),
    };
    match element.applies.gate(unit) {
        Gate::Due => {}
        Gate::NotApplicable(why) => {
            return verdict(Outcome::NotApplicable, gate_path(), why, false);
        }
        Gate::NotYet(why) => return verdict(Outcome::NotYetApplicable, gate_path(), why, false),
    }
    let found = element.check.eval(unit);
    if found.outcome == Outcome::Missing
        && let Some(partial) = &element.partial
    {
        let weaker = partial.eval(unit);
        if weaker.outcome != Outcome::Missing {
            return verdict(
                Outcome::Partial,
                weaker.path,
                weaker.reason,
                weaker.uninspected,
            );
        }
    }
    verdict(found.outcome, found.path, found.reason, found.uninspected)
}
