//! The CoST IDS element catalogue and the assessor.
//!
//! In: OC4IDS projects (converted here or published by others). Out: one [`Verdict`] per
//! (element, unit) — disclosed, partial, missing or not applicable — with the JSON pointer that
//! decided it. The catalogue is data (`elements.toml`); this module only knows how to read the
//! kinds of check it names. It never scores: see `score`.

mod assess;
mod check;
mod describe;

pub use describe::Words;

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

pub use assess::{Verdict, assess};
pub use check::{Applies, Check, Gate};

/// The catalogue, as written in `elements.toml`.
const ELEMENTS_TOML: &str = include_str!("elements.toml");

/// Whether an element is judged once per project or once per contracting process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Once per project.
    Project,
    /// Once per contracting process.
    Process,
}

/// The project-cycle stage an element belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Identification.
    Identification,
    /// Preparation.
    Preparation,
    /// Procurement.
    Procurement,
    /// Implementation.
    Implementation,
    /// Completion.
    Completion,
}

impl Level {
    /// The code used in files (`project`, `process`).
    pub fn code(self) -> &'static str {
        match self {
            Level::Project => "project",
            Level::Process => "process",
        }
    }
}

impl Disclosure {
    /// The code used in files (`proactive`, `reactive`).
    pub fn code(self) -> &'static str {
        match self {
            Disclosure::Proactive => "proactive",
            Disclosure::Reactive => "reactive",
        }
    }
}

impl Stage {
    /// Every stage, in the order a project goes through them.
    pub const ALL: [Stage; 5] = [
        Stage::Identification,
        Stage::Preparation,
        Stage::Procurement,
        Stage::Implementation,
        Stage::Completion,
    ];

    /// The code used in files (`implementation`).
    pub fn code(self) -> &'static str {
        match self {
            Stage::Identification => "identification",
            Stage::Preparation => "preparation",
            Stage::Procurement => "procurement",
            Stage::Implementation => "implementation",
            Stage::Completion => "completion",
        }
    }

    /// The stage's name in Spanish, as the IDS guidance in Spanish names it.
    pub fn es(self) -> &'static str {
        match self {
            Stage::Identification => "identificación",
            Stage::Preparation => "preparación",
            Stage::Procurement => "contratación",
            Stage::Implementation => "ejecución",
            Stage::Completion => "finalización",
        }
    }

    /// The stage's name in English (the codes are English words).
    pub fn en(self) -> &'static str {
        self.code()
    }
}

/// Whether the standard asks for an element to be published proactively or on request.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Hash, PartialOrd, Ord, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Disclosure {
    /// Published without being asked (the CoST IDS core).
    #[default]
    Proactive,
    /// Disclosed upon request.
    Reactive,
}

/// One IDS element.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Element {
    /// Code, e.g. `PJ-ID-1`.
    pub code: String,
    /// Stable snake_case key.
    pub key: String,
    /// Project or process.
    pub level: Level,
    /// Stage.
    pub stage: Stage,
    /// Proactive (the default) or reactive.
    #[serde(default)]
    pub disclosure: Disclosure,
    /// English name (as in the mapping tables).
    pub en: String,
    /// Spanish name.
    pub es: String,
    /// When it is due.
    pub applies: Applies,
    /// Only asked for when something happened (e.g. an administrative entity that differs
    /// from the procuring entity); scored as usual but flagged.
    #[serde(default)]
    pub conditional: bool,
    /// The disclosure predicate.
    pub check: Check,
    /// The weaker evidence that makes it partial.
    pub partial: Option<Check>,
    /// The OC4IDS paths (no array indices) the OCP coverage notebook requires for this
    /// element, with the mapping branch's typos corrected; only the deepest paths are listed,
    /// since a present path implies its parents.
    #[serde(default)]
    pub ocp_fields: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Catalogue {
    element: Vec<Element>,
}

/// Every element, proactive then reactive, in catalogue order.
pub fn catalogue() -> &'static [Element] {
    static CATALOGUE: OnceLock<Vec<Element>> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        // The file is compiled in and checked by the tests below, so a parse failure is a
        // build defect, not bad input.
        let c: Catalogue = toml::from_str(ELEMENTS_TOML).expect("src/ids/elements.toml is valid");
        c.element
    })
}

/// The outcome of one element for one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The data discloses it.
    Disclosed,
    /// Weaker evidence only (e.g. a document that may hold it).
    Partial,
    /// Due but not disclosed.
    Missing,
    /// Not due for this unit: the event it depends on did not happen, or never will
    /// (a cancelled project has no completion).
    NotApplicable,
    /// Not due yet: the project or process has not reached the element's stage.
    NotYetApplicable,
}

impl Outcome {
    /// Short code used in tables: D, PT, N, NA, NY.
    pub fn short(self) -> &'static str {
        match self {
            Outcome::Disclosed => "D",
            Outcome::Partial => "PT",
            Outcome::Missing => "N",
            Outcome::NotApplicable => "NA",
            Outcome::NotYetApplicable => "NY",
        }
    }

    /// Whether the element is due for the unit (and so counts in scores).
    pub fn is_due(self) -> bool {
        !matches!(self, Outcome::NotApplicable | Outcome::NotYetApplicable)
    }

    /// Spanish label for people.
    pub fn es(self) -> &'static str {
        match self {
            Outcome::Disclosed => "divulgado",
            Outcome::Partial => "parcial",
            Outcome::Missing => "faltante",
            Outcome::NotApplicable => "no aplica",
            Outcome::NotYetApplicable => "aún no aplica",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_has_39_proactive_and_27_reactive_unique_codes() {
        let c = catalogue();
        assert_eq!(c.len(), 66);
        let mut codes: Vec<&str> = c.iter().map(|e| e.code.as_str()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), 66);
        for e in c {
            let reactive = e.code.starts_with('R');
            assert_eq!(reactive, e.disclosure == Disclosure::Reactive, "{}", e.code);
            let code = e.code.trim_start_matches('R');
            let ok = code.starts_with("PJ-") || code.starts_with("PC-");
            assert!(ok, "{}", e.code);
            assert_eq!(
                code.starts_with("PJ-"),
                e.level == Level::Project,
                "{}",
                e.code
            );
            assert!(
                !e.es.trim().is_empty() && !e.en.trim().is_empty(),
                "{}",
                e.code
            );
            assert!(!e.ocp_fields.is_empty(), "{}", e.code);
            for f in &e.ocp_fields {
                assert!(!f.starts_with('/') && !f.ends_with('/'), "{}: {f}", e.code);
            }
        }
        let count = |d: Disclosure, l: Level| {
            c.iter()
                .filter(|e| e.disclosure == d && e.level == l)
                .count()
        };
        assert_eq!(count(Disclosure::Proactive, Level::Project), 20);
        assert_eq!(count(Disclosure::Proactive, Level::Process), 19);
        assert_eq!(count(Disclosure::Reactive, Level::Project), 14);
        assert_eq!(count(Disclosure::Reactive, Level::Process), 13);
    }

    #[test]
    fn every_pointer_is_well_formed() {
        for e in catalogue() {
            for p in e
                .check
                .pointers()
                .into_iter()
                .chain(e.partial.as_ref().map(Check::pointers).unwrap_or_default())
            {
                assert!(p.starts_with('/') && !p.ends_with('/'), "{}: {p}", e.code);
            }
        }
    }
}
