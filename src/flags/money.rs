//! Money: the contract cost against its original value, and the award against the cost
//! estimate.

use serde_json::{Value, json};

use super::{Finding, Flag, FlagState, Overrun, Text, modifications, money, pct};
use crate::config::FlagSettings;
use crate::util::At as _;

/// Cost overrun: the current value (final value, else the latest price change, else the
/// contract value) against the original (the first price change's old value, else the
/// contract value).
pub(super) fn cost_overrun(s: &Value, base: &str, t: &FlagSettings) -> Flag {
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
    let found = Finding {
        code,
        rule,
        inputs: Value::Null,
        paths: vec![orig_path, cur_path],
    };
    match (orig, current) {
        (Some((o, oc)), Some((c, cc))) if oc == cc && o > 0.0 => Overrun {
            code: found.code,
            rule: found.rule,
            paths: found.paths,
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
        (Some((_, oc)), Some((_, cc))) if oc != cc => found
            .with_inputs(json!({ "original_currency": oc, "current_currency": cc }))
            .says(
                FlagState::Unknown,
                Text {
                    es: "Los montos están en monedas distintas; no se pueden \
                     comparar sin tipos de cambio."
                        .into(),
                    en: "The amounts are in different currencies; they cannot be \
                     compared without exchange rates."
                        .into(),
                },
            ),
        _ => found.with_inputs(json!({})).says(
            FlagState::Unknown,
            Text {
                es: "No se publica el monto del contrato, así que no se \
                     puede saber si subió."
                    .into(),
                en: "The contract amount is not published, so whether it \
                     rose cannot be known."
                    .into(),
            },
        ),
    }
}

/// Award above the cost estimate.
pub(super) fn award_above_estimate(s: &Value, base: &str, t: &FlagSettings) -> Flag {
    let code = "award_above_estimate";
    let rule = format!(
        "contract value exceeds the cost estimate by more than {}%",
        t.award_above_estimate_percent
    );
    let found = Finding {
        code,
        rule,
        inputs: Value::Null,
        paths: vec![
            format!("{base}/tender/costEstimate"),
            format!("{base}/contractValue"),
        ],
    };
    let est = money(s.at("/tender/costEstimate"));
    let val = money(s.get("contractValue"));
    match (est, val) {
        (Some((e, ec)), Some((v, vc))) if ec == vc && e > 0.0 => {
            let over = 100.0 * (v - e) / e;
            let inputs = json!({
                "estimate": e,
                "contract_value": v,
                "currency": ec,
                "difference_percent": crate::util::round_to(over, 1),
            });
            if over > t.award_above_estimate_percent {
                found.with_inputs(inputs).says(
                    FlagState::Raised,
                    Text {
                        es: format!(
                            "Se adjudicó por {} cuando el costo estimado era {} ({} \
                             más); el umbral es {}.",
                            crate::util::money(v, &vc),
                            crate::util::money(e, &ec),
                            pct(over),
                            pct(t.award_above_estimate_percent)
                        ),
                        en: format!(
                            "Awarded for {} against an estimate of {} ({} more); the \
                             threshold is {}.",
                            crate::util::money(v, &vc),
                            crate::util::money(e, &ec),
                            pct(over),
                            pct(t.award_above_estimate_percent)
                        ),
                    },
                )
            } else {
                found.with_inputs(inputs).says(
                    FlagState::Clear,
                    Text {
                        es: "El monto adjudicado no supera el costo estimado.".into(),
                        en: "The awarded amount does not exceed the estimate.".into(),
                    },
                )
            }
        }
        (Some(_), Some(_)) => found.with_inputs(json!({})).says(
            FlagState::Unknown,
            Text {
                es: "El estimado y el monto del contrato están en monedas \
                     distintas o el estimado es cero."
                    .into(),
                en: "The estimate and the contract value are in different \
                     currencies, or the estimate is zero."
                    .into(),
            },
        ),
        (_, None) if s.get("status").and_then(Value::as_str) == Some("pre-award") => {
            found.with_inputs(json!({})).says(
                FlagState::NotApplicable,
                Text {
                    es: "Todavía no hay adjudicación.".into(),
                    en: "Nothing has been awarded yet.".into(),
                },
            )
        }
        _ => found.with_inputs(json!({})).says(
            FlagState::Unknown,
            Text {
                es: "No se publican el costo estimado y el monto adjudicado, \
                     así que no se pueden comparar."
                    .into(),
                en: "The cost estimate and the awarded amount are not both \
                     published, so they cannot be compared."
                    .into(),
            },
        ),
    }
}
