//! Red flags: simple, documented rules over one project, each with its threshold (from
//! `[flags]`), the values it used, the paths that hold them, and a sentence a citizen can read.
//!
//! A flag is `raised`, `clear`, `unknown` (the data it needs is not published: said so, never
//! reported as clean) or `not_applicable` (the situation it watches cannot arise yet).
//! Flags never change a disclosure score.

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::config::FlagSettings;
use crate::store::{CompiledRow, Origin};
use crate::util::{array, parse_instant};

/// The state of one flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
    pub fn count(&mut self, code: &'static str, state: FlagState) {
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
    pub evidence: Vec<Origin>,
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
pub fn assess(project: &Value, rows: &[CompiledRow], t: &FlagSettings) -> Vec<Flag> {
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
pub fn has_contract(summary: &Value, row: Option<&CompiledRow>) -> bool {
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

#[allow(clippy::too_many_arguments)]
fn flag(
    code: &'static str,
    state: FlagState,
    rule: String,
    inputs: Value,
    paths: Vec<String>,
    es: String,
    en: String,
) -> Flag {
    Flag {
        code,
        process: None,
        state,
        rule,
        inputs,
        paths,
        explicacion: es,
        explanation: en,
        evidence: Vec::new(),
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
        let (state, explicacion, explanation) = if growth > limit {
            (
                FlagState::Raised,
                format!(
                    "{es} {es_verb} {g}: de {from}{u_es} a {to}{u_es}. El límite de alerta es {}.",
                    pct(limit)
                ),
                format!(
                    "{en} {en_verb} {g}: from {from}{u_en} to {to}{u_en}. The alert threshold is {}.",
                    pct(limit)
                ),
            )
        } else {
            (
                FlagState::Clear,
                format!(
                    "{es} no superó el límite de {} (variación: {g}).",
                    pct(limit)
                ),
                format!(
                    "{en} stayed within the {} threshold (change: {g}).",
                    pct(limit)
                ),
            )
        };
        flag(
            self.code,
            state,
            self.rule,
            inputs,
            self.paths,
            explicacion,
            explanation,
        )
    }
}

/// Cost overrun: the current value (final value, else the latest price change, else the
/// contract value) against the original (the first price change's old value, else the
/// contract value).
fn cost_overrun(s: &Value, base: &str, t: &FlagSettings) -> Flag {
    let code = "cost_overrun";
    let rule = format!(
        "current or final value exceeds the original contract value by more than {}%",
        t.cost_overrun_percent
    );
    let changes: Vec<(usize, &Value)> = modifications(s, "value").collect();
    let (orig, orig_path) = match changes.first() {
        Some((j, m)) if money(m.get("oldContractValue")).is_some() => (
            money(m.get("oldContractValue")),
            format!("{base}/modifications/{j}/oldContractValue"),
        ),
        _ => (
            money(s.get("contractValue")),
            format!("{base}/contractValue"),
        ),
    };
    let (current, cur_path) = if let Some(v) = money(s.get("finalValue")) {
        (Some(v), format!("{base}/finalValue"))
    } else if let Some((j, m)) = changes
        .iter()
        .rev()
        .find(|(_, m)| money(m.get("newContractValue")).is_some())
    {
        (
            money(m.get("newContractValue")),
            format!("{base}/modifications/{j}/newContractValue"),
        )
    } else {
        (
            money(s.get("contractValue")),
            format!("{base}/contractValue"),
        )
    };
    let paths = vec![orig_path, cur_path];
    match (orig, current) {
        (Some((o, oc)), Some((c, cc))) if oc == cc && o > 0.0 => Overrun {
            code,
            rule,
            paths,
            inputs: json!({ "original": o, "current": c, "currency": oc }),
            original: o,
            current: c,
            threshold: t.cost_overrun_percent,
            es: ["El monto del contrato", "subió"],
            en: ["The contract cost", "rose"],
            from_to: [crate::util::money(o, &oc), crate::util::money(c, &cc)],
            unit: ["", ""],
        }
        .judge(),
        (Some((_, oc)), Some((_, cc))) if oc != cc => flag(code, FlagState::Unknown, rule,
            json!({ "original_currency": oc, "current_currency": cc }), paths,
            "Los montos están en monedas distintas; no se pueden comparar sin tipos de cambio.".into(),
            "The amounts are in different currencies; they cannot be compared without exchange rates.".into()),
        _ => flag(code, FlagState::Unknown, rule, json!({}), paths,
            "No se publica el monto del contrato, así que no se puede saber si subió.".into(),
            "The contract amount is not published, so whether it rose cannot be known.".into()),
    }
}

/// The length of a period in days: end − start, or `durationInDays`.
fn days(p: Option<&Value>) -> Option<f64> {
    crate::util::period_days(p?)
}

/// Time overrun: the current contract period (the latest duration change's new period) against
/// the original (the first change's old period), in days.
fn time_overrun(s: &Value, base: &str, t: &FlagSettings) -> Flag {
    let code = "time_overrun";
    let rule = format!(
        "contract period grew by more than {}% of its original length",
        t.time_overrun_percent
    );
    let changes: Vec<(usize, &Value)> = modifications(s, "duration").collect();
    let period = s.get("contractPeriod");
    let (orig, orig_path) = match changes.first() {
        Some((j, m)) => (
            days(m.get("oldContractPeriod")).or_else(|| days(period)),
            format!("{base}/modifications/{j}/oldContractPeriod"),
        ),
        None => (days(period), format!("{base}/contractPeriod")),
    };
    let (current, cur_path) = match changes.last() {
        Some((j, m)) => (
            days(m.get("newContractPeriod")),
            format!("{base}/modifications/{j}/newContractPeriod"),
        ),
        None => (days(period), format!("{base}/contractPeriod")),
    };
    let paths = vec![orig_path, cur_path];
    match (orig, current) {
        (Some(o), Some(c)) if o > 0.0 => Overrun {
            code,
            rule,
            paths,
            inputs: json!({ "original_days": o.round(), "current_days": c.round() }),
            original: o,
            current: c,
            threshold: t.time_overrun_percent,
            es: ["El plazo del contrato", "se alargó"],
            en: ["The contract period", "grew"],
            from_to: [format!("{o:.0}"), format!("{c:.0}")],
            unit: [" días", " days"],
        }
        .judge(),
        _ => flag(code, FlagState::Unknown, rule, json!({}), paths,
            "No se publican las fechas de inicio y fin del contrato, así que no se puede saber si se alargó.".into(),
            "The contract's start and end dates are not published, so whether it was extended cannot be known.".into()),
    }
}

/// A change to price, duration or scope with no rationale.
fn change_without_reason(s: &Value, base: &str) -> Flag {
    let code = "change_without_reason";
    let rule = "a change to price, duration or scope has no published reason".to_string();
    let typed: Vec<(usize, &Value)> = array(s.get("modifications"))
        .iter()
        .enumerate()
        .filter(|(_, m)| m.get("type").and_then(Value::as_str).is_some())
        .collect();
    let without: Vec<usize> = typed
        .iter()
        .filter(|(_, m)| {
            m.get("rationale")
                .and_then(Value::as_str)
                .is_none_or(|r| r.trim().is_empty())
        })
        .map(|(j, _)| *j)
        .collect();
    let paths: Vec<String> = if without.is_empty() {
        vec![format!("{base}/modifications")]
    } else {
        without
            .iter()
            .map(|j| format!("{base}/modifications/{j}/rationale"))
            .collect()
    };
    let inputs = json!({ "changes": typed.len(), "without_reason": without.len() });
    if typed.is_empty() {
        flag(
            code,
            FlagState::NotApplicable,
            rule,
            inputs,
            paths,
            "No se registran cambios de precio, plazo ni alcance en este contrato.".into(),
            "No change to price, duration or scope is recorded for this contract.".into(),
        )
    } else if without.is_empty() {
        flag(
            code,
            FlagState::Clear,
            rule,
            inputs,
            paths,
            format!(
                "Los {} cambios registrados tienen una razón publicada.",
                typed.len()
            ),
            format!(
                "All {} recorded changes have a published reason.",
                typed.len()
            ),
        )
    } else {
        flag(
            code,
            FlagState::Raised,
            rule,
            inputs,
            paths,
            format!(
                "{} de {} cambios al contrato no explican por qué se hicieron.",
                without.len(),
                typed.len()
            ),
            format!(
                "{} of {} changes to the contract do not say why they were made.",
                without.len(),
                typed.len()
            ),
        )
    }
}

/// Single tenderer in a competitive (open or selective) process.
fn single_tenderer(s: &Value, base: &str, t: &FlagSettings) -> Flag {
    let code = "single_tenderer";
    let rule = format!(
        "an open or selective process received {} tender(s) or fewer",
        t.single_tenderer_max
    );
    let method = s
        .pointer("/tender/procurementMethod")
        .and_then(Value::as_str);
    let count = s
        .pointer("/tender/numberOfTenderers")
        .and_then(Value::as_u64)
        .map(|n| (n, format!("{base}/tender/numberOfTenderers")))
        .or_else(|| {
            s.pointer("/tender/tenderers")
                .and_then(Value::as_array)
                .map(|a| (a.len() as u64, format!("{base}/tender/tenderers")))
        });
    let mut paths = vec![format!("{base}/tender/procurementMethod")];
    let inputs = json!({ "method": method, "tenderers": count.as_ref().map(|c| c.0) });
    match (method, count) {
        (Some("direct" | "limited"), _) => flag(code, FlagState::NotApplicable, rule, inputs, paths,
            "Contratación directa o limitada: no se esperaba competencia abierta.".into(),
            "Direct or limited procurement: open competition was not expected.".into()),
        (None, _) => flag(code, FlagState::Unknown, rule, inputs, paths,
            "No se publica el método de contratación, así que no se sabe si hubo competencia.".into(),
            "The procurement method is not published, so whether there was competition cannot be known.".into()),
        // Before the award the count is often not out yet: not a gap in the disclosure.
        (Some(_), None) if s.get("status").and_then(Value::as_str) == Some("pre-award") => flag(code, FlagState::NotApplicable, rule, inputs, paths,
            "El proceso aún no se adjudica; el número de ofertas se conoce al adjudicar.".into(),
            "The process is not awarded yet; the number of tenders is known at award.".into()),
        (Some(_), None) => flag(code, FlagState::Unknown, rule, inputs, paths,
            "No se publica cuántas empresas presentaron ofertas.".into(),
            "The number of firms that tendered is not published.".into()),
        (Some(_), Some((n, p))) => {
            paths.push(p);
            if n <= u64::from(t.single_tenderer_max) {
                let (es, en) = match n {
                    0 => ("no se recibió ninguna oferta".to_string(), "no tender was received".to_string()),
                    1 => ("solo se recibió una oferta".to_string(), "only one tender was received".to_string()),
                    n => (format!("solo se recibieron {n} ofertas"), format!("only {n} tenders were received")),
                };
                flag(code, FlagState::Raised, rule, inputs, paths,
                    format!("El proceso era competitivo, pero {es}."),
                    format!("The process was competitive, but {en}."))
            } else {
                flag(code, FlagState::Clear, rule, inputs, paths,
                    format!("Se {}.", if n == 1 { "recibió 1 oferta".to_string() } else { format!("recibieron {n} ofertas") }),
                    format!("{n} tender{} received.", if n == 1 { " was" } else { "s were" }))
            }
        }
    }
}

/// Award above the cost estimate.
fn award_above_estimate(s: &Value, base: &str, t: &FlagSettings) -> Flag {
    let code = "award_above_estimate";
    let rule = format!(
        "contract value exceeds the cost estimate by more than {}%",
        t.award_above_estimate_percent
    );
    let paths = vec![
        format!("{base}/tender/costEstimate"),
        format!("{base}/contractValue"),
    ];
    let est = money(s.pointer("/tender/costEstimate"));
    let val = money(s.get("contractValue"));
    match (est, val) {
        (Some((e, ec)), Some((v, vc))) if ec == vc && e > 0.0 => {
            let over = 100.0 * (v - e) / e;
            let inputs = json!({ "estimate": e, "contract_value": v, "currency": ec, "difference_percent": crate::util::round_to(over, 1) });
            if over > t.award_above_estimate_percent {
                flag(code, FlagState::Raised, rule, inputs, paths,
                    format!("Se adjudicó por {} cuando el costo estimado era {} ({} más); el umbral es {}.", crate::util::money(v, &vc), crate::util::money(e, &ec), pct(over), pct(t.award_above_estimate_percent)),
                    format!("Awarded for {} against an estimate of {} ({} more); the threshold is {}.", crate::util::money(v, &vc), crate::util::money(e, &ec), pct(over), pct(t.award_above_estimate_percent)))
            } else {
                flag(code, FlagState::Clear, rule, inputs, paths,
                    "El monto adjudicado no supera el costo estimado.".into(),
                    "The awarded amount does not exceed the estimate.".into())
            }
        }
        (Some(_), Some(_)) => flag(code, FlagState::Unknown, rule, json!({}), paths,
            "El estimado y el monto del contrato están en monedas distintas o el estimado es cero.".into(),
            "The estimate and the contract value are in different currencies, or the estimate is zero.".into()),
        (_, None) if s.get("status").and_then(Value::as_str) == Some("pre-award") => flag(code, FlagState::NotApplicable, rule, json!({}), paths,
            "Todavía no hay adjudicación.".into(),
            "Nothing has been awarded yet.".into()),
        _ => flag(code, FlagState::Unknown, rule, json!({}), paths,
            "No se publican el costo estimado y el monto adjudicado, así que no se pueden comparar.".into(),
            "The cost estimate and the awarded amount are not both published, so they cannot be compared.".into()),
    }
}

/// A contract signed before the tender period ended (from the compiled release: OC4IDS does
/// not carry either date).
fn signed_before_tender_end(row: Option<&CompiledRow>, base: &str) -> Flag {
    let code = "signed_before_tender_end";
    let rule = "a contract was signed before the tender period ended".to_string();
    let paths = vec![format!("{base}/status")];
    let Some(row) = row else {
        return flag(
            code,
            FlagState::Unknown,
            rule,
            json!({}),
            paths,
            "No hay datos OCDS de este proceso con las fechas de la licitación y de la firma."
                .into(),
            "There is no OCDS data for this process with the tender and signature dates.".into(),
        );
    };
    let cr = &row.data;
    let end = cr
        .pointer("/tender/tenderPeriod/endDate")
        .and_then(Value::as_str);
    let signed: Vec<(&str, &str)> = array(cr.get("contracts"))
        .iter()
        .filter_map(|c| {
            Some((
                c.get("id").and_then(Value::as_str).unwrap_or("-"),
                c.get("dateSigned")?.as_str()?,
            ))
        })
        .collect();
    let mut inputs = Map::new();
    inputs.insert("ocid".into(), json!(row.ocid));
    inputs.insert("tender_end".into(), json!(end));
    inputs.insert(
        "signed".into(),
        json!(signed.iter().map(|(_, d)| d).collect::<Vec<_>>()),
    );
    let inputs = Value::Object(inputs);
    if array(cr.get("contracts")).is_empty() {
        return flag(
            code,
            FlagState::NotApplicable,
            rule,
            inputs,
            paths,
            "Todavía no hay contrato firmado.".into(),
            "No contract has been signed yet.".into(),
        );
    }
    let Some(end_t) = end.and_then(parse_instant) else {
        return flag(
            code,
            FlagState::Unknown,
            rule,
            inputs,
            paths,
            "No se publica la fecha de cierre de la licitación.".into(),
            "The tender closing date is not published.".into(),
        );
    };
    if signed.is_empty() {
        return flag(
            code,
            FlagState::Unknown,
            rule,
            inputs,
            paths,
            "No se publica la fecha de firma del contrato.".into(),
            "The contract signature date is not published.".into(),
        );
    }
    match signed
        .iter()
        .find(|(_, d)| parse_instant(d).is_some_and(|t| t < end_t))
    {
        Some((id, d)) => flag(
            code,
            FlagState::Raised,
            rule,
            inputs,
            paths,
            format!(
                "El contrato {id} se firmó el {d}, antes de que cerrara la licitación ({}).",
                end.unwrap_or("-")
            ),
            format!(
                "Contract {id} was signed on {d}, before the tender closed ({}).",
                end.unwrap_or("-")
            ),
        ),
        None => flag(
            code,
            FlagState::Clear,
            rule,
            inputs,
            paths,
            "Los contratos se firmaron después del cierre de la licitación.".into(),
            "The contracts were signed after the tender closed.".into(),
        ),
    }
}

/// A completed project with no payments published.
fn completed_without_payments(project: &Value) -> Flag {
    let code = "completed_without_payments";
    let rule = "the project is complete but no payment (transaction) is published".to_string();
    let status = project.get("status").and_then(Value::as_str);
    let mut paths = vec!["/status".to_string()];
    let payments: usize = array(project.get("contractingProcesses"))
        .iter()
        .map(|cp| array(cp.pointer("/summary/transactions")).len())
        .sum();
    let inputs = json!({ "status": status, "payments": payments });
    match status {
        None => flag(
            code,
            FlagState::Unknown,
            rule,
            inputs,
            paths,
            "No se publica el estado del proyecto, así que no se sabe si terminó.".into(),
            "The project status is not published, so whether it is complete cannot be known."
                .into(),
        ),
        Some("completion" | "maintenance" | "decommissioning" | "decommissioned") => {
            paths.push("/contractingProcesses".into());
            if payments == 0 {
                flag(
                    code,
                    FlagState::Raised,
                    rule,
                    inputs,
                    paths,
                    "El proyecto terminó, pero no se publica ningún pago.".into(),
                    "The project is complete, but no payment is published.".into(),
                )
            } else {
                flag(
                    code,
                    FlagState::Clear,
                    rule,
                    inputs,
                    paths,
                    format!("El proyecto terminó y se publican {payments} pagos."),
                    format!("The project is complete and {payments} payments are published."),
                )
            }
        }
        Some(s) => flag(
            code,
            FlagState::NotApplicable,
            rule,
            inputs,
            paths,
            format!("El proyecto aún no ha terminado (estado: {s})."),
            format!("The project is not complete yet (status: {s})."),
        ),
    }
}
