//! Payments: a finished project with no payment published.

use serde_json::{Value, json};

use super::{Finding, Flag, FlagState, Text};
use crate::util::At as _;
use crate::util::array;

/// A completed project with no payments published.
pub(super) fn completed_without_payments(project: &Value) -> Flag {
    let code = "completed_without_payments";
    let rule = "the project is complete but no payment (transaction) is published".to_string();
    let status = project.get("status").and_then(Value::as_str);
    let paths = vec!["/status".to_string()];
    let payments: usize = array(project.get("contractingProcesses"))
        .iter()
        .map(|cp| array(cp.at("/summary/transactions")).len())
        .sum();
    let inputs = json!({ "status": status, "payments": payments });
    let mut found = Finding {
        code,
        rule,
        inputs,
        paths,
    };
    match status {
        None => found.says(
            FlagState::Unknown,
            Text {
                es: "No se publica el estado del proyecto, así que no se \
                     sabe si terminó."
                    .into(),
                en: "The project status is not published, so whether it is \
                     complete cannot be known."
                    .into(),
            },
        ),
        Some("completion" | "maintenance" | "decommissioning" | "decommissioned") => {
            found.paths.push("/contractingProcesses".into());
            if payments == 0 {
                found.says(
                    FlagState::Raised,
                    Text {
                        es: "El proyecto terminó, pero no se publica ningún pago.".into(),
                        en: "The project is complete, but no payment is published.".into(),
                    },
                )
            } else {
                found.says(
                    FlagState::Clear,
                    Text {
                        es: format!("El proyecto terminó y se publican {payments} pagos."),
                        en: format!(
                            "The project is complete and {payments} payments are \
                             published."
                        ),
                    },
                )
            }
        }
        Some(s) => found.says(
            FlagState::NotApplicable,
            Text {
                es: format!("El proyecto aún no ha terminado (estado: {s})."),
                en: format!("The project is not complete yet (status: {s})."),
            },
        ),
    }
}
