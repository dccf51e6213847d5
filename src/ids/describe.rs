//! Each check and gate said in words, for the method page: what costwatch looks for, where,
//! and when an element is due. Spanish and English; paths and codes are quoted as they are.

use super::check::{Applies, Check};

/// The two languages of a description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Words {
    /// Spanish.
    Es,
    /// English.
    En,
}

fn w(lang: Words, es: String, en: String) -> String {
    match lang {
        Words::Es => es,
        Words::En => en,
    }
}

/// Codes joined as alternatives: "a, b o c".
fn list(codes: &[String], lang: Words) -> String {
    let or = match lang {
        Words::Es => "o",
        Words::En => "or",
    };
    match codes {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} {or} {last}", rest.join(", ")),
    }
}

impl Check {
    /// What this check looks for, in words.
    pub fn describe(&self, lang: Words) -> String {
        match self {
            Check::String(p) => w(lang, format!("un texto en {p}"), format!("a text at {p}")),
            Check::AnyString(p) => w(
                lang,
                format!("al menos un texto en la lista {p}"),
                format!("at least one text in the list {p}"),
            ),
            Check::Value(p) => w(
                lang,
                format!("un monto con moneda en {p}"),
                format!("an amount with its currency at {p}"),
            ),
            Check::DateTime(p) => w(
                lang,
                format!("una fecha en {p}"),
                format!("a date at {p}"),
            ),
            Check::Code { path, codes } => w(
                lang,
                format!("en {path} uno de los códigos {}", list(codes, lang)),
                format!("at {path} one of the codes {}", list(codes, lang)),
            ),
            Check::AnyCode { path, codes } => w(
                lang,
                format!("en la lista {path} alguno de los códigos {}", list(codes, lang)),
                format!("in the list {path} any of the codes {}", list(codes, lang)),
            ),
            Check::Count(p) => w(
                lang,
                format!("un número entero en {p}"),
                format!("a whole number at {p}"),
            ),
            Check::NonEmpty(p) => w(
                lang,
                format!("una lista no vacía en {p}"),
                format!("a non-empty list at {p}"),
            ),
            Check::PartyNamed(role) => w(
                lang,
                format!("una organización con el rol {role} y su nombre"),
                format!("an organisation with the role {role} and its name"),
            ),
            Check::OrgRef(p) => w(
                lang,
                format!("una organización con nombre referida en {p}"),
                format!("a named organisation referred to at {p}"),
            ),
            Check::AnyOrgRef(p) => w(
                lang,
                format!("al menos una organización con nombre en {p}"),
                format!("at least one named organisation at {p}"),
            ),
            Check::Contact { role, .. } => w(
                lang,
                format!(
                    "dirección postal y contacto electrónico de la organización ({role}); parcial con solo uno"
                ),
                format!(
                    "postal address and electronic contact of the organisation ({role}); partial with one only"
                ),
            ),
            Check::Document { types } => w(
                lang,
                format!(
                    "un documento de tipo {} con enlace o descripción (no se lee su contenido); parcial si está en el otro nivel",
                    list(types, lang)
                ),
                format!(
                    "a document of type {} with a link or description (its contents are not read); partial at the other level",
                    list(types, lang)
                ),
            ),
            Check::OwnDocument { types } => w(
                lang,
                format!(
                    "un documento de tipo {} en el mismo nivel (no se lee su contenido)",
                    list(types, lang)
                ),
                format!(
                    "a document of type {} at the same level (its contents are not read)",
                    list(types, lang)
                ),
            ),
            Check::DocumentAnywhere { types } => w(
                lang,
                format!(
                    "un documento de tipo {} en el proyecto o en cualquiera de sus procesos",
                    list(types, lang)
                ),
                format!(
                    "a document of type {} in the project or any of its processes",
                    list(types, lang)
                ),
            ),
            Check::Classification { .. } => w(
                lang,
                "una clasificación adicional con esquema e identificador".into(),
                "an additional classification with scheme and id".into(),
            ),
            Check::SubsectorCode(p) => w(
                lang,
                format!("un código de subsector (como transport.road) en {p}"),
                format!("a subsector code (such as transport.road) at {p}"),
            ),
            Check::Location => w(
                lang,
                "una ubicación con geometría, dirección o nomenclátor; parcial con solo descripción"
                    .into(),
                "a location with geometry, address or gazetteer; partial with a description only"
                    .into(),
            ),
            Check::Period(p) => w(
                lang,
                format!("un periodo con inicio y fin o duración en {p}; parcial con un extremo"),
                format!("a period with start and end or duration at {p}; partial with one side"),
            ),
            Check::BudgetSourceNamed => w(
                lang,
                "un desglose del presupuesto con su fuente nombrada".into(),
                "a budget breakdown naming its source".into(),
            ),
            Check::FinancePartyNamed => w(
                lang,
                "un financiamiento con la parte que financia nombrada".into(),
                "a finance arrangement naming its financing party".into(),
            ),
            Check::Modification { types, needs } => w(
                lang,
                format!(
                    "una modificación de tipo {} con {}",
                    list(types, lang),
                    needs.join(", ")
                ),
                format!(
                    "a modification of type {} with {}",
                    list(types, lang),
                    needs.join(", ")
                ),
            ),
            Check::Rationale(types) => w(
                lang,
                format!(
                    "una justificación en cada modificación de tipo {}",
                    list(types, lang)
                ),
                format!("a rationale on every modification of type {}", list(types, lang)),
            ),
            Check::Metric { list: l, ids } => w(
                lang,
                format!("una medición {} con observación en {l}", list(ids, lang)),
                format!("a {} metric with an observation at {l}", list(ids, lang)),
            ),
            Check::People { .. } => w(
                lang,
                "personas con nombre y cargo en la organización; parcial con solo el nombre".into(),
                "people with name and job title in the organisation; partial with names only"
                    .into(),
            ),
            Check::BudgetBreakdown => w(
                lang,
                "un desglose del presupuesto con monto y periodo o fuente".into(),
                "a budget breakdown with an amount and a period or source".into(),
            ),
            Check::SupplierIdentifiers => w(
                lang,
                "cada contratista con esquema e identificador de registro".into(),
                "every supplier with a registry scheme and identifier".into(),
            ),
            Check::ModificationList => w(
                lang,
                "cada modificación con fecha, descripción y tipo".into(),
                "every modification with a date, description and type".into(),
            ),
            Check::Transactions => w(
                lang,
                "pagos con monto y fecha".into(),
                "payments with an amount and a date".into(),
            ),
            Check::Any(checks) => {
                let parts: Vec<String> = checks.iter().map(|c| c.describe(lang)).collect();
                parts.join(match lang {
                    Words::Es => "; o ",
                    Words::En => "; or ",
                })
            }
            Check::All(checks) => {
                let parts: Vec<String> = checks.iter().map(|c| c.describe(lang)).collect();
                parts.join(match lang {
                    Words::Es => "; y ",
                    Words::En => "; and ",
                })
            }
        }
    }
}

impl Applies {
    /// When the element is due, in words.
    pub fn describe(&self, lang: Words) -> String {
        let (es, en): (&str, &str) = match self {
            Applies::Always => ("siempre", "always"),
            Applies::Preparation => ("desde la preparación", "from preparation on"),
            Applies::Implementation => ("desde la ejecución", "from implementation on"),
            Applies::Completion => ("al finalizar", "on completion"),
            Applies::PostAward => ("después de la adjudicación", "after the award"),
            Applies::ChangeEvidence => (
                "solo si el contrato cambió",
                "only when the contract changed",
            ),
            Applies::Modifications(_) => (
                "solo si hay modificaciones de ese tipo",
                "only when there are modifications of that type",
            ),
        };
        w(lang, es.into(), en.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::catalogue;

    #[test]
    fn every_element_is_described_in_both_languages() {
        for e in catalogue() {
            for lang in [Words::Es, Words::En] {
                assert!(!e.check.describe(lang).trim().is_empty(), "{}", e.code);
                assert!(!e.applies.describe(lang).trim().is_empty(), "{}", e.code);
            }
        }
    }
}
