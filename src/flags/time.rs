//! Time: the contract period against its original length.

use serde_json::{Value, json};

use super::{Finding, Flag, FlagState, Overrun, Text, modifications};
use crate::config::FlagSettings;

/// The length of a period in days: end − start, or `durationInDays`.
pub(super) fn days(p: Option<&Value>) -> Option<f64> {
    crate::util::period_days(p?)
}

/// Time overrun: the current contract period (the latest duration change's new period) against
/// the original (the first change's old period), in days.
pub(super) fn time_overrun(s: &Value, base: &str, t: &FlagSettings) -> Flag {
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
    let found = Finding {
        code,
        rule,
        inputs: Value::Null,
        paths: vec![orig_path, cur_path],
    };
    match (orig, current) {
        (Some(o), Some(c)) if o > 0.0 => Overrun {
            code: found.code,
            rule: found.rule,
            paths: found.paths,
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
        _ => found.with_inputs(json!({})).says(
            FlagState::Unknown,
            Text {
                es: "No se publican las fechas de inicio y fin del contrato, \
                     así que no se puede saber si se alargó."
                    .into(),
                en: "The contract's start and end dates are not published, \
                     so whether it was extended cannot be known."
                    .into(),
            },
        ),
    }
}
