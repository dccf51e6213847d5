//! Competition: a single tenderer in an open process, and a contract signed before the
//! tender closed.

use serde_json::{Map, Value, json};

use super::{Finding, Flag, FlagState, Text};
use crate::config::FlagSettings;
use crate::ocds::CompiledProcess;
use crate::util::At as _;
use crate::util::{array, parse_instant};

/// Single tenderer in a competitive (open or selective) process.
pub(super) fn single_tenderer(s: &Value, base: &str, t: &FlagSettings) -> Flag {
    let code = "single_tenderer";
    let rule = format!(
        "an open or selective process received {} tender(s) or fewer",
        t.single_tenderer_max
    );
    let method = s.at("/tender/procurementMethod").and_then(Value::as_str);
    let count = s
        .at("/tender/numberOfTenderers")
        .and_then(Value::as_u64)
        .map(|n| (n, format!("{base}/tender/numberOfTenderers")))
        .or_else(|| {
            s.at("/tender/tenderers")
                .and_then(Value::as_array)
                .map(|a| (a.len() as u64, format!("{base}/tender/tenderers")))
        });
    let paths = vec![format!("{base}/tender/procurementMethod")];
    let inputs = json!({ "method": method, "tenderers": count.as_ref().map(|c| c.0) });
    let mut found = Finding {
        code,
        rule,
        inputs,
        paths,
    };
    match (method, count) {
        (Some("direct" | "limited"), _) => found.says(
            FlagState::NotApplicable,
            Text {
                es: "Contratación directa o limitada: no se esperaba \
                     competencia abierta."
                    .into(),
                en: "Direct or limited procurement: open competition was not \
                     expected."
                    .into(),
            },
        ),
        (None, _) => found.says(
            FlagState::Unknown,
            Text {
                es: "No se publica el método de contratación, así que no se \
                     sabe si hubo competencia."
                    .into(),
                en: "The procurement method is not published, so whether \
                     there was competition cannot be known."
                    .into(),
            },
        ),
        // Before the award the count is often not out yet: not a gap in the disclosure.
        (Some(_), None) if s.get("status").and_then(Value::as_str) == Some("pre-award") => found
            .says(
                FlagState::NotApplicable,
                Text {
                    es: "El proceso aún no se adjudica; el número de ofertas se \
                     conoce al adjudicar."
                        .into(),
                    en: "The process is not awarded yet; the number of tenders \
                     is known at award."
                        .into(),
                },
            ),
        (Some(_), None) => found.says(
            FlagState::Unknown,
            Text {
                es: "No se publica cuántas empresas presentaron ofertas.".into(),
                en: "The number of firms that tendered is not published.".into(),
            },
        ),
        (Some(_), Some((n, p))) => {
            found.paths.push(p);
            if n <= u64::from(t.single_tenderer_max) {
                let (es, en) = match n {
                    0 => (
                        "no se recibió ninguna oferta".to_string(),
                        "no tender was received".to_string(),
                    ),
                    1 => (
                        "solo se recibió una oferta".to_string(),
                        "only one tender was received".to_string(),
                    ),
                    n => (
                        format!("solo se recibieron {n} ofertas"),
                        format!("only {n} tenders were received"),
                    ),
                };
                found.says(
                    FlagState::Raised,
                    Text {
                        es: format!("El proceso era competitivo, pero {es}."),
                        en: format!("The process was competitive, but {en}."),
                    },
                )
            } else {
                found.says(
                    FlagState::Clear,
                    Text {
                        es: format!(
                            "Se {}.",
                            if n == 1 {
                                "recibió 1 oferta".to_string()
                            } else {
                                format!("recibieron {n} ofertas")
                            }
                        ),
                        en: format!(
                            "{n} tender{} received.",
                            if n == 1 { " was" } else { "s were" }
                        ),
                    },
                )
            }
        }
    }
}

/// A contract signed before the tender period ended (from the compiled release: OC4IDS does
/// not carry either date).
pub(super) fn signed_before_tender_end(row: Option<&CompiledProcess>, base: &str) -> Flag {
    let code = "signed_before_tender_end";
    let rule = "a contract was signed before the tender period ended".to_string();
    let paths = vec![format!("{base}/status")];
    let found = Finding {
        code,
        rule,
        inputs: Value::Null,
        paths,
    };
    let Some(row) = row else {
        return found.with_inputs(json!({})).says(
            FlagState::Unknown,
            Text {
                es: "No hay datos OCDS de este proceso con las fechas de la \
                     licitación y de la firma."
                    .into(),
                en: "There is no OCDS data for this process with the tender \
                     and signature dates."
                    .into(),
            },
        );
    };
    let cr = &row.data;
    let end = cr
        .at("/tender/tenderPeriod/endDate")
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
    let found = found.with_inputs(Value::Object(inputs));
    if array(cr.get("contracts")).is_empty() {
        return found.says(
            FlagState::NotApplicable,
            Text {
                es: "Todavía no hay contrato firmado.".into(),
                en: "No contract has been signed yet.".into(),
            },
        );
    }
    let Some(end_t) = end.and_then(parse_instant) else {
        return found.says(
            FlagState::Unknown,
            Text {
                es: "No se publica la fecha de cierre de la licitación.".into(),
                en: "The tender closing date is not published.".into(),
            },
        );
    };
    if signed.is_empty() {
        return found.says(
            FlagState::Unknown,
            Text {
                es: "No se publica la fecha de firma del contrato.".into(),
                en: "The contract signature date is not published.".into(),
            },
        );
    }
    match signed
        .iter()
        .find(|(_, d)| parse_instant(d).is_some_and(|t| t < end_t))
    {
        Some((id, d)) => found.says(
            FlagState::Raised,
            Text {
                es: format!(
                    "El contrato {id} se firmó el {d}, antes de que cerrara la licitación ({}).",
                    end.unwrap_or("-")
                ),
                en: format!(
                    "Contract {id} was signed on {d}, before the tender closed ({}).",
                    end.unwrap_or("-")
                ),
            },
        ),
        None => found.says(
            FlagState::Clear,
            Text {
                es: "Los contratos se firmaron después del cierre de la licitación.".into(),
                en: "The contracts were signed after the tender closed.".into(),
            },
        ),
    }
}
