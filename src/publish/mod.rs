//! Publishing: every output of a run, written into a fresh folder that replaces the previous
//! output only once complete. A crash leaves the previous output untouched.
//!
//! In: projects with their verdicts (streamed, one at a time), then scores and the report.
//! Out: `oc4ids/project-package.json`, `projects/<id>.json`, `entities.json`, `entities.csv`,
//! `elements.csv`, `ocp-coverage.csv`, `quarantine.csv`, `run-report.json`.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Value, json};

use crate::flags::FlagState;
use crate::ids::{Disclosure, Level, Verdict, catalogue};
use crate::report::RunReport;
use crate::score::{OcpTally, Scores};

/// Errors writing the outputs (the previous output stays in place).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be written.
    #[error("output {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A CSV could not be written.
    #[error("output {path}: {source}")]
    Csv {
        /// The path.
        path: PathBuf,
        /// The CSV error.
        source: csv::Error,
    },
}

/// An entity as published.
#[derive(Debug, Clone, Serialize)]
pub struct EntityInfo {
    /// Key (identifier or normalised name).
    pub entity: String,
    /// Name as published.
    pub name: String,
    /// Set when the entity's figures rest on a source that was down in this run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stale: Option<StaleMark>,
}

/// Figures that rest on a source that was down: its stored data was used, as of the last
/// time it answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaleMark {
    /// The source that was down.
    pub source: String,
    /// When it last gave data (RFC 3339), if ever.
    pub last_good_fetch: Option<String>,
}

/// Package metadata for the OC4IDS project package.
#[derive(Debug, Clone)]
pub struct PackageMeta {
    /// Package uri.
    pub uri: String,
    /// Publisher name.
    pub publisher: String,
    /// publishedDate.
    pub published_date: String,
    /// Licence URL.
    pub license: Option<String>,
    /// Publication policy URL.
    pub publication_policy: Option<String>,
}

/// The output being written.
pub struct Staging {
    final_dir: PathBuf,
    dir: PathBuf,
    package: BufWriter<File>,
    package_path: PathBuf,
    projects: u64,
    /// `flags.csv`, written project by project like the package.
    flags: csv::Writer<File>,
    flags_path: PathBuf,
}

/// Columns of `flags.csv`.
const FLAG_HEADER: [&str; 9] = [
    "proyecto/project",
    "entidad/entity",
    "proceso/process",
    "alerta/flag",
    "estado/state",
    "explicacion",
    "explanation",
    "regla/rule",
    "rutas/paths",
];

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Staging {
    /// Starts a fresh staging folder beside `final_dir` and opens the package.
    pub fn new(final_dir: &Path, meta: &PackageMeta) -> Result<Staging, Error> {
        let name = final_dir
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "out".into());
        let parent = final_dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(parent).map_err(io(parent))?;
        let dir = parent.join(format!(".{name}.staging-{}", std::process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(io(&dir))?;
        }
        fs::create_dir_all(dir.join("oc4ids")).map_err(io(&dir))?;
        fs::create_dir_all(dir.join("projects")).map_err(io(&dir))?;
        let package_path = dir.join("oc4ids/project-package.json");
        let file = File::create(&package_path).map_err(io(&package_path))?;
        let mut package = BufWriter::new(file);
        let mut head = serde_json::Map::new();
        head.insert("uri".into(), Value::from(meta.uri.clone()));
        head.insert("version".into(), Value::from("0.9"));
        head.insert(
            "publishedDate".into(),
            Value::from(meta.published_date.clone()),
        );
        head.insert("publisher".into(), json!({ "name": meta.publisher }));
        if let Some(l) = &meta.license {
            head.insert("license".into(), Value::from(l.clone()));
        }
        if let Some(p) = &meta.publication_policy {
            head.insert("publicationPolicy".into(), Value::from(p.clone()));
        }
        let head = serde_json::to_string_pretty(&Value::Object(head)).unwrap_or_default();
        // The package is streamed: its head, then each project as it is converted.
        let open = head.trim_end().trim_end_matches('}').trim_end();
        write!(package, "{open},\n  \"projects\": [").map_err(io(&package_path))?;
        let flags_path = dir.join("flags.csv");
        let mut flags = csv_writer(&flags_path)?;
        flags
            .write_record(FLAG_HEADER)
            .map_err(csv_err(&flags_path))?;
        Ok(Staging {
            final_dir: final_dir.to_path_buf(),
            dir,
            package,
            package_path,
            projects: 0,
            flags,
            flags_path,
        })
    }

    /// Writes one project into the package and its own file.
    pub fn project(&mut self, sheet: &ProjectSheet<'_>) -> Result<(), Error> {
        let text = serde_json::to_string_pretty(sheet.project).unwrap_or_default();
        let indented = text.replace('\n', "\n    ");
        let sep = if self.projects == 0 {
            "\n    "
        } else {
            ",\n    "
        };
        write!(self.package, "{sep}{indented}").map_err(io(&self.package_path))?;
        self.projects += 1;
        let id = sheet
            .project
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("project");
        let path = self
            .dir
            .join("projects")
            .join(format!("{}.json", safe_file_name(id)));
        write_json(&path, sheet)?;
        // What a reader should look at: raised flags, and those the data could not decide.
        for f in sheet
            .flags
            .iter()
            .filter(|f| matches!(f.state, FlagState::Raised | FlagState::Unknown))
        {
            self.flags
                .write_record([
                    id,
                    &sheet.entity.entity,
                    f.process.as_deref().unwrap_or(""),
                    f.code,
                    f.state.as_str(),
                    &f.explicacion,
                    &f.explanation,
                    &f.rule,
                    &f.paths.join(" "),
                ])
                .map_err(csv_err(&self.flags_path))?;
        }
        Ok(())
    }

    /// Writes the score tables.
    pub fn scores(
        &self,
        scores: &Scores,
        entities: &[EntityInfo],
        ocp: &OcpTally,
    ) -> Result<(), Error> {
        let info = |key: &str| entities.iter().find(|e| e.entity == key);
        let name_of = |key: &str| info(key).map(|e| e.name.clone()).unwrap_or_default();
        let stale_of = |key: &str| info(key).and_then(|e| e.stale.clone());
        let rows: Vec<Value> = scores
            .entities
            .iter()
            .map(|e| {
                let mut row = json!({
                    "entity": e.entity, "name": name_of(&e.entity), "rank": e.rank,
                    "score": e.score, "lenient_score": e.lenient,
                    "reactive_score": e.reactive,
                    "project_level_score": e.project_level,
                    "contract_level_score": e.contract_level,
                    "ocp_presence": ocp.entity(&e.entity),
                    "projects": e.projects, "processes": e.processes,
                });
                if let Some(sample) = e.sample_score {
                    row["sample_score"] = json!(sample);
                }
                if let Some(stale) = stale_of(&e.entity) {
                    row["stale"] = json!(stale);
                }
                row
            })
            .collect();
        write_json(&self.dir.join("entities.json"), &rows)?;

        let path = self.dir.join("entities.csv");
        let mut w = csv_writer(&path)?;
        let header = [
            "posicion/rank",
            "entidad/entity",
            "nombre/name",
            "puntaje/score",
            "puntaje_flexible/lenient_score",
            "puntaje_reactivo/reactive_score",
            "nivel_proyecto/project_level_score",
            "nivel_contrato/contract_level_score",
            "presencia_ocp/ocp_presence",
            "puntaje_muestra/sample_score",
            "proyectos/projects",
            "procesos/processes",
            "desactualizado_desde/stale_since",
        ];
        w.write_record(header).map_err(csv_err(&path))?;
        for e in &scores.entities {
            w.write_record([
                e.rank.to_string(),
                e.entity.clone(),
                name_of(&e.entity),
                format!("{:.2}", e.score),
                format!("{:.2}", e.lenient),
                opt2(e.reactive),
                opt2(e.project_level),
                opt2(e.contract_level),
                opt2(ocp.entity(&e.entity)),
                opt2(e.sample_score),
                e.projects.to_string(),
                e.processes.to_string(),
                // A stale entity's figures rest on stored data from a source that is down.
                stale_of(&e.entity)
                    .map(|s| s.last_good_fetch.unwrap_or_else(|| "-".into()))
                    .unwrap_or_default(),
            ])
            .map_err(csv_err(&path))?;
        }
        w.flush().map_err(io(&path))?;

        // Element × entity matrix: one row per element, one column per entity (by rank).
        let path = self.dir.join("elements.csv");
        let mut w = csv_writer(&path)?;
        let mut header = vec![
            "codigo/code".to_string(),
            "divulgacion/disclosure".to_string(),
            "nivel/level".to_string(),
            "elemento".to_string(),
            "element".to_string(),
        ];
        header.extend(scores.entities.iter().map(|e| e.entity.clone()));
        w.write_record(&header).map_err(csv_err(&path))?;
        for element in catalogue() {
            let mut row = vec![
                element.code.clone(),
                match element.disclosure {
                    Disclosure::Proactive => "proactive".into(),
                    Disclosure::Reactive => "reactive".into(),
                },
                match element.level {
                    Level::Project => "project".into(),
                    Level::Process => "process".into(),
                },
                element.es.clone(),
                element.en.clone(),
            ];
            for e in &scores.entities {
                let cell = scores
                    .elements
                    .iter()
                    .find(|s| s.entity == e.entity && s.code == element.code)
                    .map(|s| format!("{:.4}", s.share))
                    .unwrap_or_default();
                row.push(cell);
            }
            w.write_record(&row).map_err(csv_err(&path))?;
        }
        w.flush().map_err(io(&path))?;

        // The OCP notebook's presence-only coverage, element by element over the whole run.
        let path = self.dir.join("ocp-coverage.csv");
        let mut w = csv_writer(&path)?;
        w.write_record([
            "codigo/code",
            "elemento/element",
            "cobertura/coverage",
            "cobertura_por_campo/field_coverage",
        ])
        .map_err(csv_err(&path))?;
        for (row, element) in ocp.elements().into_iter().zip(catalogue()) {
            let fields: Vec<String> = row
                .fields
                .iter()
                .map(|(f, c)| format!("{f}: {:.0}%", c * 100.0))
                .collect();
            w.write_record([
                row.code.clone(),
                element.en.clone(),
                format!("{:.4}", row.coverage),
                fields.join("\n"),
            ])
            .map_err(csv_err(&path))?;
        }
        w.flush().map_err(io(&path))?;
        Ok(())
    }

    /// Writes the report and the quarantine table.
    pub fn report(&self, report: &RunReport) -> Result<(), Error> {
        write_json(&self.dir.join("run-report.json"), report)?;
        let path = self.dir.join("quarantine.csv");
        let mut w = csv_writer(&path)?;
        w.write_record([
            "fuente/source",
            "ubicacion/location",
            "linea/line",
            "byte",
            "motivo/reason",
            "detalle/detail",
        ])
        .map_err(csv_err(&path))?;
        for q in &report.quarantined {
            w.write_record([
                q.source_id.clone(),
                q.location.clone(),
                q.line.map(|l| l.to_string()).unwrap_or_default(),
                q.byte_offset.map(|l| l.to_string()).unwrap_or_default(),
                q.reason.clone(),
                q.detail.clone(),
            ])
            .map_err(csv_err(&path))?;
        }
        w.flush().map_err(io(&path))
    }

    /// Closes the package and moves the folder into place.
    pub fn commit(mut self) -> Result<(), Error> {
        write!(self.package, "\n  ]\n}}\n").map_err(io(&self.package_path))?;
        self.package.flush().map_err(io(&self.package_path))?;
        self.flags.flush().map_err(io(&self.flags_path))?;
        let old = self.dir.with_file_name(format!(
            ".{}.previous-{}",
            self.final_dir
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default(),
            std::process::id()
        ));
        if self.final_dir.exists() {
            fs::rename(&self.final_dir, &old).map_err(io(&self.final_dir))?;
        }
        fs::rename(&self.dir, &self.final_dir).map_err(io(&self.final_dir))?;
        if old.exists() {
            fs::remove_dir_all(&old).map_err(io(&old))?;
        }
        Ok(())
    }

    /// Number of projects written so far.
    pub fn projects(&self) -> u64 {
        self.projects
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // An abandoned staging folder (error before commit) is removed; after commit it no
        // longer exists and this does nothing.
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// One project's own file.
#[derive(Serialize)]
pub struct ProjectSheet<'a> {
    /// The OC4IDS project.
    pub project: &'a Value,
    /// Entity the project is attributed to.
    pub entity: &'a EntityInfo,
    /// Strict and lenient project scores, 0–100.
    pub score: ProjectFigures,
    /// Every verdict, with its evidence.
    pub verdicts: &'a [Verdict],
    /// Every red flag, with its evidence.
    pub flags: &'a [crate::flags::Flag],
    /// Conversion notes.
    pub notes: &'a [crate::oc4ids::Note],
    /// Where an OC4IDS project came from (absent for projects built from OCDS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provenance: Option<&'a crate::store::Provenance>,
    /// Set when the project rests on a source that was down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stale: Option<&'a StaleMark>,
}

/// Figures on a project sheet.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ProjectFigures {
    /// Strict proactive score (the headline).
    pub score: f64,
    /// Lenient proactive score.
    pub lenient_score: f64,
    /// Strict reactive score, apart from the proactive one.
    pub reactive_score: Option<f64>,
    /// Strict score over proactive project-level elements.
    pub project_level_score: Option<f64>,
    /// Strict score over proactive contract (process) level elements.
    pub contract_level_score: Option<f64>,
    /// OCP-compatible presence-only figure (proactive elements), for comparison only.
    pub ocp_presence: f64,
    /// Elements disclosed / partial / missing / not applicable (process-level ones counted
    /// per process).
    pub disclosed: u32,
    /// Partial.
    pub partial: u32,
    /// Missing.
    pub missing: u32,
    /// Not applicable.
    pub not_applicable: u32,
    /// Elements whose stage the project has not reached.
    pub not_yet_applicable: u32,
}

/// A figure with two decimals, or empty when there is none.
fn opt2(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.2}")).unwrap_or_default()
}

fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<(), Error> {
    let file = File::create(path).map_err(io(path))?;
    let mut w = BufWriter::new(file);
    serde_json::to_writer_pretty(&mut w, value).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        source: e.into(),
    })?;
    w.write_all(b"\n").map_err(io(path))?;
    w.flush().map_err(io(path))
}

fn csv_writer(path: &Path) -> Result<csv::Writer<File>, Error> {
    csv::Writer::from_path(path).map_err(csv_err(path))
}

fn csv_err(path: &Path) -> impl FnOnce(csv::Error) -> Error + '_ {
    move |source| Error::Csv {
        path: path.to_path_buf(),
        source,
    }
}

/// A file name for any id: safe characters kept, others replaced, and a short hash added when
/// anything was replaced or cut, so two ids never share a file.
pub fn safe_file_name(id: &str) -> String {
    let cleaned: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches('.').to_string();
    let changed = cleaned != id || cleaned.len() > 120;
    if !changed && !cleaned.is_empty() {
        return cleaned;
    }
    let short: String = cleaned.chars().take(100).collect();
    let hash = &crate::util::sha256_hex(id.as_bytes())[..10];
    format!("{short}-{hash}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_and_distinct() {
        assert_eq!(safe_file_name("oc4ids-abc123-P-1"), "oc4ids-abc123-P-1");
        let a = safe_file_name("x/../y");
        let b = safe_file_name("x_.._y");
        assert!(!a.contains('/'));
        assert_ne!(a, b);
        assert!(!safe_file_name("..").starts_with('.'));
        assert!(safe_file_name(&"z".repeat(400)).len() < 130);
    }
}
