//! A project's JSON file, `projects/<id>.json`: the facts of its sheet, for programs.
//!
//! Laid out so that nothing in it is written twice (at a three-process project, writing each
//! verdict whole made 47 KB, two thirds of it repeats):
//! - a contracting process's verdicts and red flags sit under that process, in `processes`;
//!   the project's own ones in `verdicts` and `flags`;
//! - a verdict does not name its level nor whether it is proactive or reactive: its code says
//!   both (`PJ-` project, `PC-` process, an `R` in front for reactive), as the catalogue does;
//! - evidence is a list of positions in the file's one table of `origins`, and is left out where
//!   it is what most items beside it rest on, which is written once: a process's `evidence`
//!   for its verdicts and flags, the file's `evidence` for the project's own. A list that
//!   differs, even an empty one, is written.

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use super::sheet::Progress;
use super::{EntityInfo, ProjectFigures, ProjectSheet, StaleMark};
use crate::evidence::Origin;
use crate::flags::{Flag, FlagState};
use crate::ids::{Outcome, Verdict};

/// The file as written.
#[derive(Serialize)]
pub(super) struct ProjectFile<'a> {
    project: &'a Value,
    entity: &'a EntityInfo,
    score: &'a ProjectFigures,
    /// The project-level verdicts.
    verdicts: Vec<VerdictOut<'a>>,
    /// Red flags that belong to no one process.
    flags: Vec<FlagOut<'a>>,
    /// Each contracting process with its verdicts and red flags, in the project's order.
    processes: Vec<ProcessOut<'a>>,
    notes: &'a [crate::oc4ids::Note],
    /// Why the project is not in the package, when it is not.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    schema_errors: &'a [crate::oc4ids::SchemaError],
    #[serde(skip_serializing_if = "Option::is_none")]
    provenance: Option<&'a crate::store::Provenance>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stale: Option<&'a StaleMark>,
    progress: &'a Progress,
    /// The evidence most of the project's own verdicts and flags rest on.
    evidence: Vec<usize>,
    origins: Vec<&'a Origin>,
}

/// One contracting process: its ocid, where it is in the project, and what was found on it.
#[derive(Serialize)]
struct ProcessOut<'a> {
    ocid: &'a str,
    /// JSON pointer of the process in `project`, when the project has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    /// The evidence most of its verdicts and flags rest on.
    evidence: Vec<usize>,
    verdicts: Vec<VerdictOut<'a>>,
    flags: Vec<FlagOut<'a>>,
}

/// A verdict without what its code and place in the file already say.
#[derive(Serialize)]
struct VerdictOut<'a> {
    code: &'static str,
    outcome: Outcome,
    path: &'a str,
    reason: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    conditional: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    document_not_inspected: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<Vec<usize>>,
}

/// A red flag without its process (the process holding it says it).
#[derive(Serialize)]
struct FlagOut<'a> {
    code: &'static str,
    state: FlagState,
    rule: &'a str,
    inputs: &'a Value,
    paths: &'a [String],
    explicacion: &'a str,
    explanation: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<Vec<usize>>,
}

impl<'a> VerdictOut<'a> {
    fn of(v: &'a Verdict, evidence: Option<Vec<usize>>) -> VerdictOut<'a> {
        VerdictOut {
            code: v.code,
            outcome: v.outcome,
            path: &v.path,
            reason: &v.reason,
            conditional: v.conditional,
            document_not_inspected: v.document_not_inspected,
            evidence,
        }
    }
}

impl<'a> FlagOut<'a> {
    fn of(f: &'a Flag, evidence: Option<Vec<usize>>) -> FlagOut<'a> {
        FlagOut {
            code: f.code,
            state: f.state,
            rule: &f.rule,
            inputs: &f.inputs,
            paths: &f.paths,
            explicacion: &f.explicacion,
            explanation: &f.explanation,
            evidence,
        }
    }
}

/// The file's table of origins, filled as evidence is turned into positions.
#[derive(Default)]
struct Origins<'a>(Vec<&'a Origin>);

impl<'a> Origins<'a> {
    fn positions(&mut self, evidence: &'a [Arc<Origin>]) -> Vec<usize> {
        evidence
            .iter()
            .map(|o| {
                // Most evidence is the same few shared origins: the address answers first.
                match self
                    .0
                    .iter()
                    .position(|known| std::ptr::eq(*known, &**o) || *known == &**o)
                {
                    Some(i) => i,
                    None => {
                        self.0.push(o);
                        self.0.len() - 1
                    }
                }
            })
            .collect()
    }
}

/// A process's verdicts and flags, each with its evidence as positions, as they are gathered.
struct Gathering<'a> {
    ocid: &'a str,
    verdicts: Vec<(&'a Verdict, Vec<usize>)>,
    flags: Vec<(&'a Flag, Vec<usize>)>,
}

impl<'a> Gathering<'a> {
    /// The evidence most of its items rest on (the first seen of equals), and the process as
    /// written with every item that rests on it leaving its evidence out.
    fn close(self, project: &Value) -> ProcessOut<'a> {
        let common = most_common(&self.verdicts, &self.flags);
        // Named as the verdicts name it: its id, or `#i` for a process without one.
        let path = project
            .get("contractingProcesses")
            .and_then(Value::as_array)
            .and_then(|all| {
                all.iter()
                    .enumerate()
                    .position(|(i, p)| crate::util::process_id(i, p) == self.ocid)
            })
            .map(|i| format!("/contractingProcesses/{i}"));
        let own = |e: Vec<usize>| (e != common).then_some(e);
        ProcessOut {
            ocid: self.ocid,
            path,
            verdicts: self
                .verdicts
                .into_iter()
                .map(|(v, e)| VerdictOut::of(v, own(e)))
                .collect(),
            flags: self
                .flags
                .into_iter()
                .map(|(f, e)| FlagOut::of(f, own(e)))
                .collect(),
            evidence: common,
        }
    }
}

/// The evidence most of `verdicts` and `flags` rest on (the first met of equals; none for
/// no item).
fn most_common(verdicts: &[(&Verdict, Vec<usize>)], flags: &[(&Flag, Vec<usize>)]) -> Vec<usize> {
    let lists: Vec<&Vec<usize>> = verdicts
        .iter()
        .map(|(_, e)| e)
        .chain(flags.iter().map(|(_, e)| e))
        .collect();
    // Counted once each (a process has some fifty items, and every project is written).
    let mut counts: std::collections::HashMap<&[usize], usize> = Default::default();
    for list in &lists {
        *counts.entry(list.as_slice()).or_default() += 1;
    }
    let mut common: Option<(&[usize], usize)> = None;
    for list in &lists {
        let n = counts[list.as_slice()];
        if common.is_none_or(|(_, best)| n > best) {
            common = Some((list, n));
        }
    }
    common.map(|(l, _)| l.to_vec()).unwrap_or_default()
}

impl<'a> ProjectFile<'a> {
    /// The file of one project's sheet.
    pub(super) fn of(sheet: &'a ProjectSheet<'a>) -> ProjectFile<'a> {
        let mut origins = Origins::default();
        let mut own_verdicts = Vec::new();
        let mut own_flags = Vec::new();
        let mut processes: Vec<Gathering<'a>> = Vec::new();
        fn process<'a, 'g>(
            all: &'g mut Vec<Gathering<'a>>,
            ocid: &'a str,
        ) -> &'g mut Gathering<'a> {
            let i = match all.iter().position(|g| g.ocid == ocid) {
                Some(i) => i,
                None => {
                    all.push(Gathering {
                        ocid,
                        verdicts: Vec::new(),
                        flags: Vec::new(),
                    });
                    all.len() - 1
                }
            };
            &mut all[i]
        }
        for v in sheet.verdicts {
            let e = origins.positions(&v.evidence);
            match v.process.as_deref() {
                Some(ocid) => process(&mut processes, ocid).verdicts.push((v, e)),
                None => own_verdicts.push((v, e)),
            }
        }
        for f in sheet.flags {
            let e = origins.positions(&f.evidence);
            match f.process.as_deref() {
                Some(ocid) => process(&mut processes, ocid).flags.push((f, e)),
                None => own_flags.push((f, e)),
            }
        }
        let common = most_common(&own_verdicts, &own_flags);
        let own = |e: Vec<usize>| (e != common).then_some(e);
        ProjectFile {
            project: sheet.project,
            entity: sheet.entity,
            score: &sheet.score,
            verdicts: own_verdicts
                .into_iter()
                .map(|(v, e)| VerdictOut::of(v, own(e)))
                .collect(),
            flags: own_flags
                .into_iter()
                .map(|(f, e)| FlagOut::of(f, own(e)))
                .collect(),
            processes: processes
                .into_iter()
                .map(|g| g.close(sheet.project))
                .collect(),
            notes: sheet.notes,
            schema_errors: sheet.errors,
            provenance: sheet.provenance,
            stale: sheet.stale,
            progress: &sheet.progress,
            evidence: common,
            origins: origins.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::publish::sheet;

    fn origin(ocid: Option<&str>, release: &str) -> Arc<Origin> {
        Arc::new(Origin {
            ocid: ocid.map(str::to_string),
            release: Some(release.into()),
            source: "s".into(),
            location: "/data/releases.jsonl".into(),
            fetched_at: "2025-06-30T00:00:00Z".into(),
        })
    }

    /// A verdict or flag (code, process) and the origins it rests on.
    type Resting = ((String, Option<String>), Vec<Value>);

    /// The evidence of each verdict and flag as the file gives it, read by the rule the module
    /// states.
    fn read_back(file: &Value) -> Vec<Resting> {
        let origins = file["origins"].as_array().expect("origins");
        let mut out = Vec::new();
        let mut take = |items: &Value, process: Option<&str>, default: Vec<usize>| {
            for item in items.as_array().expect("list") {
                assert!(item.get("level").is_none() && item.get("disclosure").is_none());
                assert!(
                    item.get("process").is_none(),
                    "the process holding it says it"
                );
                let at: Vec<usize> = match item.get("evidence") {
                    Some(e) => e
                        .as_array()
                        .expect("evidence")
                        .iter()
                        .map(|i| i.as_u64().expect("position") as usize)
                        .collect(),
                    None => default.clone(),
                };
                let key = (
                    item["code"].as_str().expect("code").to_string(),
                    process.map(str::to_string),
                );
                out.push((key, at.iter().map(|i| origins[*i].clone()).collect()));
            }
        };
        let positions = |e: &Value| -> Vec<usize> {
            e.as_array()
                .expect("evidence")
                .iter()
                .map(|i| i.as_u64().expect("position") as usize)
                .collect()
        };
        let top = positions(&file["evidence"]);
        take(&file["verdicts"], None, top.clone());
        take(&file["flags"], None, top);
        for p in file["processes"].as_array().expect("processes") {
            let default = positions(&p["evidence"]);
            let ocid = p["ocid"].as_str();
            take(&p["verdicts"], ocid, default.clone());
            take(&p["flags"], ocid, default);
        }
        out
    }

    #[test]
    fn evidence_left_out_reads_back_as_what_each_item_rested_on() {
        let project = json!({
            "id": "oc4ids-x-1", "title": "Puente",
            "contractingProcesses": [
                {"id": "ocds-a-1", "summary": {"title": "Diseño", "contractValue": {"amount": 10, "currency": "PAB"}}},
                {"id": "ocds-a-2", "summary": {"title": "Obra"}}
            ]
        });
        let (a, b, whole) = (
            origin(Some("ocds-a-1"), "r1"),
            origin(Some("ocds-a-2"), "r2"),
            origin(None, "oc4ids"),
        );
        let mut verdicts = crate::ids::assess(&project);
        let mut flags = crate::flags::assess(&project, &[], &Default::default());
        // Mostly each process's own release; some items rest on more, one on less, one on
        // nothing; the project's own items on everything but a few.
        for (i, v) in verdicts.iter_mut().enumerate() {
            v.evidence = match v.process.as_deref() {
                Some("ocds-a-1") if i % 7 == 0 => vec![a.clone(), whole.clone()],
                Some("ocds-a-1") => vec![a.clone()],
                Some(_) if i % 11 == 0 => vec![],
                Some(_) => vec![b.clone()],
                None if i % 5 == 0 => vec![whole.clone()],
                None => vec![a.clone(), b.clone(), whole.clone()],
            };
        }
        for f in flags.iter_mut() {
            f.evidence = match f.process.as_deref() {
                Some("ocds-a-2") => vec![b.clone()],
                Some(_) => vec![a.clone()],
                None => vec![whole.clone(), a.clone()],
            };
        }
        assert!(verdicts.iter().any(|v| v.process.is_some()) && !flags.is_empty());
        let entity = EntityInfo {
            entity: "e".into(),
            name: "Entidad".into(),
            stale: None,
        };
        let sheet = ProjectSheet {
            project: &project,
            entity: &entity,
            score: ProjectFigures {
                score: Some(50.0),
                lenient_score: Some(50.0),
                reactive_score: None,
                project_level_score: None,
                contract_level_score: None,
                ocp_presence: 0.0,
                disclosed: 0,
                partial: 0,
                missing: 0,
                not_applicable: 0,
                not_yet_applicable: 0,
            },
            verdicts: &verdicts,
            flags: &flags,
            notes: &[],
            errors: &[],
            provenance: None,
            stale: None,
            progress: sheet::progress(&project, &[]),
        };
        let file = serde_json::to_value(ProjectFile::of(&sheet)).expect("json");
        let mut got = read_back(&file);
        let mut want: Vec<Resting> = verdicts
            .iter()
            .map(|v| (v.code, v.process.clone(), &v.evidence))
            .chain(
                flags
                    .iter()
                    .map(|f| (f.code, f.process.clone(), &f.evidence)),
            )
            .map(|(code, process, evidence)| {
                let evidence = evidence
                    .iter()
                    .map(|o| serde_json::to_value(&**o).expect("origin"))
                    .collect();
                ((code.to_string(), process), evidence)
            })
            .collect();
        got.sort_by(|x, y| x.0.cmp(&y.0));
        want.sort_by(|x, y| x.0.cmp(&y.0));
        assert_eq!(got, want);
        // Something was left out, or the layout saves nothing.
        let listed = file["processes"][0]["verdicts"]
            .as_array()
            .expect("verdicts")
            .iter()
            .filter(|v| v.get("evidence").is_some())
            .count();
        assert!(listed > 0 && listed < verdicts.len() / 4, "{listed}");
        let top = file["verdicts"].as_array().expect("verdicts");
        assert!(
            top.iter().any(|v| v.get("evidence").is_none())
                && top.iter().any(|v| v.get("evidence").is_some()),
            "the project's own verdicts leave the file's evidence out, and only that"
        );
        assert_eq!(file["processes"][1]["path"], "/contractingProcesses/1");
        // An item that rests on nothing says so rather than taking its process's evidence.
        assert!(
            file["processes"][1]["verdicts"]
                .as_array()
                .expect("verdicts")
                .iter()
                .any(|v| v["evidence"] == json!([]))
        );
    }
}
