//! Words and numbers as people read them: dates, amounts, counts that agree with their noun,
//! and the fixed texts of the pages, in Spanish and English.
//!
//! Amounts follow Panama's convention (decimal point, comma for thousands: PAB 1,498,125.00),
//! the same in both languages, so that a sheet and a spreadsheet show one figure one way.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;

use super::labels::Lang;

/// Spanish months, for dates written out in full.
const MESES: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A date (`2024-03-12` or a full date-time) written out: "12 de marzo de 2024". Text that is
/// not a date is returned as it came.
pub fn date(text: &str, lang: Lang) -> String {
    let ymd = text.get(..10).unwrap_or(text);
    let mut parts = ymd.splitn(3, '-');
    let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
        return text.to_string();
    };
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<usize>(), d.parse::<u32>()) else {
        return text.to_string();
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return text.to_string();
    }
    match lang {
        Lang::Es => format!("{d} de {} de {y}", MESES[m - 1]),
        Lang::En => format!("{} {d}, {y}", MONTHS[m - 1]),
    }
}

/// An amount with its currency, thousands grouped: `PAB 1,498,125.00`.
pub fn money(amount: f64, currency: &str) -> String {
    crate::util::money(amount, currency)
}

/// An OCDS/OC4IDS `Value` object (`{amount, currency}`) written as [`money`].
pub fn value(v: Option<&Value>) -> Option<String> {
    let v = v?;
    let currency = v.get("currency").and_then(Value::as_str).unwrap_or("");
    let raw = v.get("amount").filter(|a| a.is_number())?;
    // An amount beyond a float is printed as published, never as infinity.
    Some(match crate::util::finite(raw) {
        Some(amount) => money(amount, currency),
        None => format!("{currency} {raw}").trim().to_string(),
    })
}

/// A count with its noun in agreement: "1 oferta", "3 ofertas".
pub fn count(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A percentage: "3.2 %", "15 %".
pub fn percent(x: f64) -> String {
    crate::util::percent(x)
}

/// A score 0–100 with one decimal.
pub fn score(x: f64) -> String {
    format!("{:.1}", crate::util::round_to(x, 1))
}

/// Picks the text for the language.
pub fn pick(lang: Lang, es: &str, en: &str) -> String {
    match lang {
        Lang::Es => es.to_string(),
        Lang::En => en.to_string(),
    }
}

/// The fixed texts of the pages: key, Spanish, English. Templates read them as `t.<key>`.
const UI: &[(&str, &str, &str)] = &[
    ("inicio", "Tabla de entidades", "League table"),
    ("metodologia", "Metodología", "Method"),
    ("ficha", "Ficha del proyecto", "Project sheet"),
    ("entidad", "Entidad", "Entity"),
    ("entidades", "Entidades", "Entities"),
    ("ubicacion", "Ubicación", "Location"),
    ("provincia", "Provincia", "Province"),
    ("distrito", "Distrito", "District"),
    (
        "corregimiento",
        "Corregimiento o dirección",
        "Corregimiento or address",
    ),
    ("sector", "Sector", "Sector"),
    (
        "procesos",
        "Procesos de contratación",
        "Contracting processes",
    ),
    ("datos_al", "Datos al", "Data as of"),
    ("fuente", "Fuente", "Source"),
    ("etapas", "Etapas del proyecto", "Project stages"),
    (
        "etapas_proyectos",
        "Etapas de los proyectos",
        "Projects' stages",
    ),
    (
        "alertas_sin_calcular",
        "Alertas sin calcular",
        "Alerts not computed",
    ),
    ("mostrada", "entidad mostrada", "entity shown"),
    (
        "sin_datos_entidad",
        "No hay datos publicados de esta entidad en las fuentes configuradas.",
        "No configured source publishes data of this entity.",
    ),
    ("etapa_actual", "etapa actual", "current stage"),
    ("dinero_tiempo", "Dinero y tiempo", "Money and time"),
    ("presupuesto", "Presupuesto", "Budget"),
    ("estimado", "Costo estimado", "Cost estimate"),
    ("adjudicado", "Monto adjudicado", "Amount awarded"),
    (
        "monto_actual",
        "Monto actual del contrato",
        "Current contract value",
    ),
    ("pagado", "Pagado hasta ahora", "Paid so far"),
    ("plazo_original", "Plazo original", "Original duration"),
    ("plazo_actual", "Plazo actual", "Current duration"),
    ("no_publicado", "no publicado", "not published"),
    ("cambios", "Cambios al contrato", "Changes to the contract"),
    (
        "sin_cambios",
        "No se publican cambios.",
        "No changes are published.",
    ),
    ("fecha", "Fecha", "Date"),
    ("que_cambio", "Qué cambió", "What changed"),
    ("antes_despues", "Antes → después", "Before → after"),
    (
        "justificacion",
        "Justificación publicada",
        "Published justification",
    ),
    ("contratos", "Contratos", "Contracts"),
    ("tipo", "Tipo", "Type"),
    ("metodo", "Modalidad", "Method"),
    ("ofertas", "Ofertas", "Tenders"),
    ("contratista", "Contratista", "Contractor"),
    ("monto", "Monto", "Amount"),
    ("alertas", "Alertas", "Alerts"),
    (
        "alerta_aviso",
        "Una alerta es un motivo para preguntar, no una prueba de irregularidad.",
        "An alert is a reason to ask, not proof of wrongdoing.",
    ),
    (
        "sin_alertas",
        "No se activó ninguna alerta.",
        "No alert was raised.",
    ),
    ("umbral", "Umbral", "Threshold"),
    ("que_significa", "Qué significa", "What it means"),
    (
        "pregunta",
        "Pregunta para la entidad",
        "Question for the entity",
    ),
    ("datos_faltan", "Datos que faltan", "Missing data"),
    (
        "datos_faltan_texto",
        "Estas alertas no se pueden calcular porque falta un dato:",
        "These alerts cannot be computed because a value is missing:",
    ),
    ("divulgacion", "Qué se publica", "What is published"),
    ("elemento", "Elemento", "Element"),
    (
        "divulgacion_nota",
        "Los datos que pide el estándar CoST IDS, etapa por etapa. «A pedido» marca los que se entregan cuando alguien los solicita; los demás deben publicarse por iniciativa propia. La evidencia de cada resultado está en el archivo JSON del proyecto.",
        "The items the CoST IDS asks for, stage by stage. \"On request\" marks those given when someone asks; the rest must be published proactively. The evidence for each outcome is in the project's JSON file.",
    ),
    ("a_pedido", "a pedido", "on request"),
    (
        "evidencia_json",
        "Ver la evidencia (JSON)",
        "See the evidence (JSON)",
    ),
    ("proyecto", "Proyecto", "Project"),
    ("publicado", "publicado", "published"),
    ("parcial", "parcial", "partial"),
    ("aun_no", "aún no corresponde", "not yet due"),
    ("estado", "Estado", "Status"),
    ("evidencia", "Evidencia", "Evidence"),
    ("documentos", "Documentos", "Documents"),
    (
        "sin_documentos",
        "No se publican documentos.",
        "No documents are published.",
    ),
    ("a_quien", "A quién preguntar", "Whom to ask"),
    (
        "referencias",
        "Referencias para citar",
        "References to quote",
    ),
    (
        "sin_contacto",
        "La entidad no publica un punto de contacto.",
        "The entity publishes no contact point.",
    ),
    ("puntaje", "Puntaje", "Score"),
    ("posicion", "Posición", "Rank"),
    ("cambio", "Cambio", "Change"),
    ("proyectos", "Proyectos", "Projects"),
    ("etapa", "Etapa", "Stage"),
    ("alertas_levantadas", "Alertas", "Alerts"),
    ("desactualizado", "desactualizado", "stale"),
    ("sin_datos", "sin datos", "no data"),
    ("buscar", "Buscar entidad", "Find an entity"),
    ("mostrando", "entidades mostradas", "entities shown"),
    ("brechas", "Brechas por elemento", "Gaps by element"),
    ("tendencia", "Evolución del puntaje", "Score over time"),
    (
        "mas_faltan",
        "Lo que más falta",
        "What is most often missing",
    ),
    ("contacto", "Contacto", "Contact"),
    ("titulo", "Título", "Title"),
    ("generado", "Generado por costwatch", "Made by costwatch"),
    ("idioma", "Idioma", "Language"),
];

/// The fixed texts in one language, keyed for the templates. Built once per language: every
/// sheet of a run asks for them several times.
pub fn ui(lang: Lang) -> &'static BTreeMap<&'static str, &'static str> {
    static ES: OnceLock<BTreeMap<&str, &str>> = OnceLock::new();
    static EN: OnceLock<BTreeMap<&str, &str>> = OnceLock::new();
    let build = |pick: fn(&(&'static str, &'static str, &'static str)) -> &'static str| {
        UI.iter().map(|t| (t.0, pick(t))).collect()
    };
    match lang {
        Lang::Es => ES.get_or_init(|| build(|t| t.1)),
        Lang::En => EN.get_or_init(|| build(|t| t.2)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_amounts_and_counts_read_well() {
        assert_eq!(date("2024-03-12", Lang::Es), "12 de marzo de 2024");
        assert_eq!(date("2024-03-02T10:00:00Z", Lang::En), "March 2, 2024");
        assert_eq!(date("pronto", Lang::Es), "pronto");
        assert_eq!(money(1_498_125.0, "PAB"), "PAB 1,498,125.00");
        assert_eq!(money(-950.5, "USD"), "USD -950.50");
        assert_eq!(count(1, "oferta", "ofertas"), "1 oferta");
        assert_eq!(count(0, "oferta", "ofertas"), "0 ofertas");
        assert_eq!(percent(3.24), "3.2 %");
        assert_eq!(percent(15.0), "15 %");
        let huge: Value =
            serde_json::from_str("{\"amount\": 1e400, \"currency\": \"PAB\"}").expect("json");
        let shown = value(Some(&huge)).expect("shown");
        assert!(
            shown.starts_with("PAB 1e") && shown.ends_with("400"),
            "{shown}"
        );
    }

    #[test]
    fn every_text_has_both_languages_and_unique_keys() {
        let mut keys: Vec<&str> = UI.iter().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n);
        assert!(
            UI.iter()
                .all(|(_, es, en)| !es.is_empty() && !en.is_empty())
        );
    }
}
