//! Red flags: simple, documented rules over one project, each with its threshold (from
//! `[flags]`), the values it used, the paths that hold them, and a sentence a citizen can read.
//!
//! A flag is `raised`, `clear`, `unknown` (the data it needs is not published: said so, never
//! reported as clean) or `not_applicable` (the situation it watches cannot arise yet).
//! Flags never change a disclosure score.

mod changes;
mod competition;
mod money;
mod payments;
mod time;

use serde::Serialize;
use serde_json::{Value, json};

use crate::config::FlagSettings;
use crate::evidence::Origin;
use crate::ocds::CompiledProcess;
use crate::util::array;
use changes::change_without_reason;
use competition::{signed_before_tender_end, single_tenderer};
use money::{award_above_estimate, cost_overrun};
use payments::completed_without_payments;
use time::time_overrun;

/// The state of one flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagState {
    /// The rule fired.
    Raised,
    /// The rule was checked and did not fire.
    Clear,
    /// The data the rule needs is not published.
    Unknown,
    /// The situation the rule watches has not arisen (e.g. the project is not complete).
    NotApplicable,
}

impl FlagState {
    /// The code used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            FlagState::Raised => "raised",
            FlagState::Clear => "clear",
            FlagState::Unknown => "unknown",
            FlagState::NotApplicable => "not_applicable",
        }
    }
}

/// Counts of flag states by flag code, for the run report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FlagCounts(
    pub std::collections::BTreeMap<&'static str, std::collections::BTreeMap<&'static str, u64>>,
);

impl FlagCounts {
    /// The counts as a run report wrote them (codes and states this version does not know
    /// are left out).
    pub fn from_report(v: &serde_json::Value) -> FlagCounts {
        let states = [
            FlagState::Raised,
            FlagState::Clear,
            FlagState::Unknown,
            FlagState::NotApplicable,
        ];
        let mut counts = FlagCounts::default();
        for (code, by_state) in v.as_object().into_iter().flatten() {
            let Some(code) = CODES.iter().find(|c| **c == code.as_str()) else {
                continue;
            };
            for (state, n) in by_state.as_object().into_iter().flatten() {
                if let (Some(state), Some(n)) = (
                    states.iter().find(|s| s.as_str() == state.as_str()),
                    n.as_u64(),
                ) {
                    *counts
                        .0
                        .entry(code)
                        .or_default()
                        .entry(state.as_str())
                        .or_default() += n;
                }
            }
        }
        counts
    }

    /// Counts one flag.
    pub fn count(&mut self, code: &str, state: FlagState) {
        // A code this version does not know (from a tally an older version kept) is left out.
        let Some(code) = CODES.iter().copied().find(|c| *c == code) else {
            return;
        };
        *self
            .0
            .entry(code)
            .or_default()
            .entry(state.as_str())
            .or_default() += 1;
    }
}

/// One flag on one project or process.
#[derive(Debug, Clone, Serialize)]
pub struct Flag {
    /// Stable code, e.g. `cost_overrun`.
    pub code: &'static str,
    /// The process (ocid) for process-level flags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    /// The outcome.
    pub state: FlagState,
    /// The rule, in English, with its threshold.
    pub rule: String,
    /// The values the rule used (or looked for).
    pub inputs: Value,
    /// JSON pointers (within the project) that hold those values.
    pub paths: Vec<String>,
    /// What it means, for a citizen, in Spanish.
    pub explicacion: String,
    /// The same in English.
    pub explanation: String,
    /// Where the data came from (filled by the pipeline; a project's file writes it as
    /// indices into the file's one table of origins).
    #[serde(skip)]
    pub evidence: Vec<std::sync::Arc<Origin>>,
}

/// Every flag code, in report order.
pub const CODES: &[&str] = &[
    "cost_overrun",
    "time_overrun",
    "change_without_reason",
    "single_tenderer",
    "award_above_estimate",
    "signed_before_tender_end",
    "completed_without_payments",
];

/// Computes every flag on a converted project; `rows` are its compiled releases (empty for an
/// OC4IDS project without OCDS twins), needed for the dates OC4IDS does not carry.
pub fn assess(project: &Value, rows: &[CompiledProcess], t: &FlagSettings) -> Vec<Flag> {
    let mut out = Vec::new();
    let mut any_contract = false;
    for (i, cp) in array(project.get("contractingProcesses"))
        .iter()
        .enumerate()
    {
        let ocid = crate::util::process_id(i, cp);
        let base = format!("/contractingProcesses/{i}/summary");
        let s = cp.get("summary").unwrap_or(&Value::Null);
        let row = rows.iter().find(|r| r.ocid == ocid);
        let contracted = has_contract(s, row);
        any_contract |= contracted;
        for mut f in [
            cost_overrun(s, &base, t),
            time_overrun(s, &base, t),
            change_without_reason(s, &base),
            single_tenderer(s, &base, t),
            award_above_estimate(s, &base, t),
            signed_before_tender_end(row, &base),
        ] {
            // Overruns are measured against a signed contract: before one exists the values
            // are not missing, the process has not got there yet.
            if !contracted
                && f.state == FlagState::Unknown
                && matches!(f.code, "cost_overrun" | "time_overrun")
            {
                f.state = FlagState::NotApplicable;
                f.explicacion =
                    "Todavía no hay contrato firmado; esta alerta se calcula después de la firma."
                        .into();
                f.explanation =
                    "No contract is signed yet; this alert is computed after signature.".into();
            }
            f.process = Some(ocid.clone());
            out.push(f);
        }
    }
    let mut done = completed_without_payments(project);
    if !any_contract && done.state == FlagState::Unknown {
        done.state = FlagState::NotApplicable;
        done.explicacion =
            "El proyecto no tiene contratos firmados: todavía no puede haber terminado.".into();
        done.explanation = "The project has no signed contract: it cannot be complete yet.".into();
    }
    out.push(done);
    out
}

/// True when the process has a signed contract: one with a signature date or active or
/// terminated in its OCDS data; for a process known only from OC4IDS, an active or closed
/// status (the codelist's words for a contract in force or done). An award alone is not a
/// contract: the process is still in procurement.
pub fn has_contract(summary: &Value, row: Option<&CompiledProcess>) -> bool {
    match row {
        Some(r) => array(r.data.get("contracts")).iter().any(|c| {
            c.get("dateSigned").is_some()
                || matches!(
                    c.get("status").and_then(Value::as_str),
                    Some("active" | "terminated")
                )
        }),
        None => matches!(
            summary.get("status").and_then(Value::as_str),
            Some("active" | "closed")
        ),
    }
}

/// A sentence for people in both languages. The fields are named where it is built, so the
/// Spanish and the English cannot be swapped by position.
pub struct Text {
    /// Spanish, shown first.
    pub es: String,
    /// English.
    pub en: String,
}

/// What one flag looked at, each part named where it is built; [`Finding::says`] gives the
/// [`Flag`] with its state and explanation (for the project: the caller sets the process, the
/// pipeline the evidence).
struct Finding {
    code: &'static str,
    /// The rule in words, with its threshold.
    rule: String,
    /// The values the rule used.
    inputs: Value,
    /// The JSON pointers it read.
    paths: Vec<String>,
}

impl Finding {
    /// The same, with the values this outcome used.
    fn with_inputs(self, inputs: Value) -> Finding {
        Finding { inputs, ..self }
    }

    /// The flag in this state, explained in both languages.
    fn says(self, state: FlagState, text: Text) -> Flag {
        // A value and the one it is compared with often sit at the same path (a contract
        // never amended): the path is the evidence once.
        let mut paths: Vec<String> = Vec::with_capacity(self.paths.len());
        for p in self.paths {
            if !paths.contains(&p) {
                paths.push(p);
            }
        }
        Flag {
            code: self.code,
            process: None,
            state,
            rule: self.rule,
            inputs: self.inputs,
            paths,
            explicacion: text.es,
            explanation: text.en,
            evidence: Vec::new(),
        }
    }
}

/// (amount, currency) of a Value object.
fn money(v: Option<&Value>) -> Option<(f64, String)> {
    let v = v?;
    Some((
        crate::util::finite(v.get("amount")?)?,
        v.get("currency")?.as_str()?.to_string(),
    ))
}

fn modifications<'a>(s: &'a Value, kind: &'a str) -> impl Iterator<Item = (usize, &'a Value)> {
    array(s.get("modifications"))
        .iter()
        .enumerate()
        .filter(move |(_, m)| m.get("type").and_then(Value::as_str) == Some(kind))
}

/// A percentage as the pages write it: "12 %", "3.2 %".
fn pct(x: f64) -> String {
    crate::util::percent(x)
}

/// A growth from `original` to `current` judged against a percentage threshold.
struct Overrun {
    code: &'static str,
    rule: String,
    paths: Vec<String>,
    /// The values used; the growth is added.
    inputs: Value,
    original: f64,
    current: f64,
    threshold: f64,
    /// Subject and verb of the sentence, in Spanish and English.
    es: [&'static str; 2],
    en: [&'static str; 2],
    /// The two values as people read them, and their unit in Spanish and English.
    from_to: [String; 2],
    unit: [&'static str; 2],
}

impl Overrun {
    fn judge(self) -> Flag {
        let growth = 100.0 * (self.current - self.original) / self.original;
        let mut inputs = self.inputs;
        inputs["growth_percent"] = json!(crate::util::round_to(growth, 1));
        let ([es, es_verb], [en, en_verb], [from, to], [u_es, u_en], limit) =
            (self.es, self.en, &self.from_to, self.unit, self.threshold);
        let g = pct(growth);
        let (state, text) = if growth > limit {
            (
                FlagState::Raised,
                Text {
                    es: format!(
                        "{es} {es_verb} {g}: de {from}{u_es} a {to}{u_es}. \
                         El límite de alerta es {}.",
                        pct(limit)
                    ),
                    en: format!(
                        "{en} {en_verb} {g}: from {from}{u_en} to {to}{u_en}. \
                         The alert threshold is {}.",
                        pct(limit)
                    ),
                },
            )
        } else {
            (
                FlagState::Clear,
                Text {
                    es: format!(
                        "{es} no superó el límite de {} (variación: {g}).",
                        pct(limit)
                    ),
                    en: format!(
                        "{en} stayed within the {} threshold (change: {g}).",
                        pct(limit)
                    ),
                },
            )
        };
        Finding {
            code: self.code,
            rule: self.rule,
            inputs,
            paths: self.paths,
        }
        .says(state, text)
    }
}
