//! Publishing: every output of a run, written into a fresh folder that replaces the previous
//! output only once complete. A crash leaves the previous output untouched.
//!
//! In: projects with their verdicts (streamed, one at a time), then scores, history and the
//! report. Out, for machines: `oc4ids/project-package.json`, `projects/<id>.json`,
//! `entities.json`, `run-report.json`; for people: `index.html`, `entidades/<id>.html`,
//! `proyectos/<id>.html`, `metodologia.html`; for spreadsheets: `entities.csv`,
//! `proyectos.csv`, `elements.csv`, `flags.csv`, `tendencias.csv`, `ocp-coverage.csv`,
//! `quarantine.csv`, `glosario.csv` and the same tables in `costwatch.xlsx`.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Value, json};

use crate::flags::FlagState;
use crate::ids::{Verdict, catalogue};
use crate::report::RunReport;
use crate::score::{OcpTally, Scores};

mod append;
mod book;
pub mod labels;
pub mod metrics;
pub mod output;
pub mod pages;
mod project_file;
pub mod sheet;
pub mod table;
pub mod words;

use labels::Lang;
use pages::{Pages, ProjectLine};
use table::{Csv, Sheet};

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
    /// A page could not be rendered (a template defect).
    #[error("output {path}: page template: {source}")]
    Render {
        /// The page.
        path: PathBuf,
        /// The template error.
        source: minijinja::Error,
    },
    /// The temporary folder the workbook needs cannot be written.
    #[error(
        "temporary folder {path} (TMPDIR) cannot be written, and costwatch.xlsx needs it: {source}"
    )]
    TempFolder {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The workbook could not be written.
    #[error("output {path}: {reason}")]
    Xlsx {
        /// The path.
        path: PathBuf,
        /// Why.
        reason: String,
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
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct EntityInfo {
    /// Key (identifier or normalised name).
    pub entity: String,
    /// Name as published.
    pub name: String,
    /// Set when the entity's figures rest on a source that was down in this run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stale: Option<StaleMark>,
}

/// Each scored entity as the score history keeps it: (key, name, score, projects).
pub fn entity_score_rows(
    scores: &crate::score::Scores,
    entities: &[EntityInfo],
) -> Vec<(String, String, f64, u32)> {
    let name_of = |key: &str| {
        entities
            .iter()
            .find(|e| e.entity == key)
            .map(|e| e.name.clone())
            .unwrap_or_default()
    };
    scores
        .entities
        .iter()
        .map(|e| (e.entity.clone(), name_of(&e.entity), e.score, e.projects))
        .collect()
}

/// Figures that rest on a source that was down: its stored data was used, as of the last
/// time it answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
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
    /// The package, the project and flag tables and their workbook sheets, written on a
    /// thread of their own.
    appender: append::Appender,
    /// Bytes handed to the package so far: where the next entry starts.
    package_bytes: u64,
    /// The published package, opened when a project is reused from it.
    published_package: Option<File>,
    projects: u64,
    /// Projects placed in the package, written or handed over to be (those with schema errors
    /// are not).
    in_package: u64,
    /// The pages' templates and options.
    pages: Pages,
    report: ReportOptions,
    /// What each project contributes to the league table and the entity pages.
    lines: Vec<ProjectLine>,
    /// Tables made at the end of the run, kept for the workbook until it is saved.
    sheets: Vec<Sheet>,
}

/// What the pages need from the run, besides the projects already written.
pub struct RunFacts<'a> {
    /// This run's scores.
    pub scores: &'a Scores,
    /// Entities as published.
    pub entities: &'a [EntityInfo],
    /// Entities the configuration expects.
    pub expected: &'a [crate::config::ExpectedEntity],
    /// Score history, this run included.
    pub history: &'a [crate::store::EntityScoreRow],
    /// This run's id.
    pub run_id: i64,
    /// Sources that were down or partial, in words.
    pub warnings: Vec<String>,
    /// The method page.
    pub method: pages::Method,
    /// What the run quarantined (its table is written with the others).
    pub quarantined: &'a [crate::store::QuarantineRow],
}

/// What the pages need to know besides the data.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// Language of pages and labels.
    pub lang: Lang,
    /// Red-flag thresholds, stated on the sheets.
    pub thresholds: crate::config::FlagSettings,
    /// The date the data describes (RFC 3339).
    pub as_of: String,
}

/// The workbook's sheets in the order a reader wants them.
const SHEET_ORDER: [&str; 7] = [
    "entidades",
    "proyectos",
    "elementos",
    "alertas",
    "tendencias",
    "glosario",
    "cuarentena",
];

/// Columns of `proyectos.csv`.
const PROJECT_HEADER: [&str; 24] = [
    "proyecto/project",
    "titulo/title",
    "entidad/entity",
    "nombre_entidad/entity_name",
    "provincia/province",
    "distrito/district",
    "etapa/stage",
    "puntaje/score",
    "puntaje_flexible/lenient_score",
    "puntaje_reactivo/reactive_score",
    "nivel_proyecto/project_level_score",
    "nivel_contrato/contract_level_score",
    "presencia_ocp/ocp_presence",
    "exigibles/due",
    "divulgados/disclosed",
    "parciales/partial",
    "faltantes/missing",
    "no_aplica/not_applicable",
    "aun_no_aplica/not_yet_applicable",
    "alertas/alerts_raised",
    "alertas_sin_datos/alerts_unknown",
    "procesos/processes",
    "ficha/sheet",
    "desactualizado_desde/stale_since",
];

/// Columns of `flags.csv`.
const FLAG_HEADER: [&str; 12] = [
    "proyecto/project",
    "entidad/entity",
    "nombre_entidad/entity_name",
    "proceso/process",
    "alerta/flag",
    "estado/state",
    "titulo",
    "explicacion",
    "explanation",
    "regla/rule",
    "rutas/paths",
    "ficha/sheet",
];

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Staging {
    /// Starts a fresh staging folder beside `final_dir` and opens the package.
    pub fn new(
        final_dir: &Path,
        meta: &PackageMeta,
        report: ReportOptions,
    ) -> Result<Staging, Error> {
        let parent = output::parent_of(final_dir);
        fs::create_dir_all(parent).map_err(io(parent))?;
        let dir = output::sibling(final_dir, "staging", std::process::id());
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(io(&dir))?;
        }
        fs::create_dir_all(dir.join("oc4ids")).map_err(io(&dir))?;
        fs::create_dir_all(dir.join("projects")).map_err(io(&dir))?;
        fs::create_dir_all(dir.join("proyectos")).map_err(io(&dir))?;
        fs::create_dir_all(dir.join("entidades")).map_err(io(&dir))?;
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
        let open = format!("{open},\n  \"projects\": [");
        package
            .write_all(open.as_bytes())
            .map_err(io(&package_path))?;
        let flags = Csv::create(&dir.join("flags.csv"), FLAG_HEADER)?;
        let project_table = Csv::create(&dir.join("proyectos.csv"), PROJECT_HEADER)?;
        let mut book = book::Book::new(&dir.join("costwatch.xlsx"), &SHEET_ORDER, &report.as_of)?;
        book.row("alertas", &FLAG_HEADER)?;
        book.row("proyectos", &PROJECT_HEADER)?;
        let footer = format!(
            "{} · {} {}",
            meta.publisher,
            words::ui(report.lang)
                .get("datos_al")
                .copied()
                .unwrap_or_default(),
            words::date(&report.as_of, report.lang)
        );
        let pages = Pages::new(report.lang, footer).map_err(|source| Error::Render {
            path: dir.clone(),
            source,
        })?;
        let appender = append::Appender::start(append::Writers {
            package,
            package_path,
            flags,
            project_table,
            book,
        })?;
        Ok(Staging {
            final_dir: final_dir.to_path_buf(),
            dir,
            appender,
            package_bytes: open.len() as u64,
            published_package: open_published_package(final_dir),
            projects: 0,
            in_package: 0,
            pages,
            report,
            lines: Vec::new(),
            sheets: Vec::new(),
        })
    }

    /// Makes one project's files and table rows without writing anything, so that several
    /// projects can be rendered at once; [`Staging::add`] writes them, in order. The files
    /// come apart from what the run's tables and pages take from the project.
    pub fn render(&self, sheet: &ProjectSheet<'_>) -> Result<(Rendered, Kept), Error> {
        // Hashed here, on every core: the stamp keeps the hash.
        let package_entry = sheet.errors.is_empty().then(|| {
            let entry = package_entry(sheet.project);
            let sha = crate::util::sha256_hex(entry.as_bytes());
            (entry, sha)
        });
        let id = sheet
            .project
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("project");
        let json_name = format!("projects/{}.json", safe_file_name(id));
        // Compact: these files are read by programs (the sheet is the page people read), and
        // indentation made a third of their size.
        let mut json =
            serde_json::to_vec(&project_file::ProjectFile::of(sheet)).map_err(|e| Error::Io {
                path: self.dir.join(&json_name),
                source: e.into(),
            })?;
        json.push(b'\n');
        let lang = self.report.lang;
        let html_name = sheet::file_name(id);
        let html_path = format!("proyectos/{html_name}");
        // What a reader should look at: raised flags, and those the data could not decide.
        let flag_rows = sheet
            .flags
            .iter()
            .filter(|f| matches!(f.state, FlagState::Raised | FlagState::Unknown))
            .map(|f| {
                [
                    id,
                    &sheet.entity.entity,
                    &sheet.entity.name,
                    f.process.as_deref().unwrap_or(""),
                    f.code,
                    f.state.as_str(),
                    sheet::alert_title(f.code, lang),
                    &f.explicacion,
                    &f.explanation,
                    &f.rule,
                    &f.paths.join(" "),
                    &html_path,
                ]
                .map(str::to_string)
            })
            .collect();
        // The sheet people read.
        let cx = sheet::Context {
            lang,
            thresholds: &self.report.thresholds,
            as_of: &self.report.as_of,
            entity_file: pages::entity_file(&sheet.entity.entity),
        };
        let ficha = sheet::build(sheet, &cx);
        let html = self.pages.ficha(&ficha).map_err(|source| Error::Render {
            path: self.dir.join(&html_path),
            source,
        })?;
        let f = &sheet.score;
        let raised = ficha.raised.len();
        let unknown = ficha.unknown.len();
        let place = |label: &str| {
            ficha
                .location
                .iter()
                .find(|(l, _)| l == label)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let ui = words::ui(lang);
        let table_row = vec![
            id.to_string(),
            ficha.title.clone(),
            sheet.entity.entity.clone(),
            sheet.entity.name.clone(),
            place(ui.get("provincia").copied().unwrap_or_default()),
            place(ui.get("distrito").copied().unwrap_or_default()),
            sheet.progress.stage.code().to_string(),
            // Empty when the project has no score, as the other figures are when absent.
            opt2(f.score),
            opt2(f.lenient_score),
            opt2(f.reactive_score),
            opt2(f.project_level_score),
            opt2(f.contract_level_score),
            format!("{:.2}", f.ocp_presence),
            (f.disclosed + f.partial + f.missing).to_string(),
            f.disclosed.to_string(),
            f.partial.to_string(),
            f.missing.to_string(),
            f.not_applicable.to_string(),
            f.not_yet_applicable.to_string(),
            raised.to_string(),
            unknown.to_string(),
            ficha.processes.len().to_string(),
            html_path.clone(),
            sheet
                .stale
                .map(|s| s.last_good_fetch.clone().unwrap_or_else(|| "-".into()))
                .unwrap_or_default(),
        ];
        let line = ProjectLine {
            id: id.to_string(),
            title: ficha.title.clone(),
            entity: sheet.entity.entity.clone(),
            stage: sheet.progress.stage,
            score: f.score,
            raised: ficha
                .raised
                .into_iter()
                .map(|a| (a.title, a.finding))
                .collect(),
            unknown: unknown as u32,
            contact: ficha.contact,
        };
        Ok((
            Rendered {
                package_entry,
                files: Some((json, html)),
            },
            Kept {
                json_name,
                html_name: html_path,
                flag_rows,
                table_row,
                line,
                stamp: None,
            },
        ))
    }

    /// Writes a rendered project: its entry in the package, its two files (unless
    /// [`Staging::write_files`] did), its table rows; `kept` gets the stamp of what was
    /// written.
    pub fn add(&mut self, mut r: Rendered, kept: &mut Kept) -> Result<(), Error> {
        self.write_files(&mut r, kept)?;
        let package = r
            .package_entry
            .map(|(entry, sha)| self.put_entry(entry, sha));
        self.settle(kept, package)
    }

    /// Writes a rendered project's two files into the staging folder (linked from the
    /// published output when it holds the same bytes) and lets their bytes go. It touches
    /// those two names only, so projects whose names differ are written at once, on every
    /// core; [`Staging::add`] then does the rest in project order.
    pub fn write_files(&self, r: &mut Rendered, kept: &Kept) -> Result<(), Error> {
        let Some((json, html)) = r.files.take() else {
            return Ok(());
        };
        for (name, bytes) in [
            (&kept.json_name, json.as_slice()),
            (&kept.html_name, html.as_bytes()),
        ] {
            let path = self.dir.join(name);
            // Created new, never written through: a file already staged under this name may
            // be a hard link to the published one. Clearing first cost a lookup of a missing
            // name per file (1 % of a full run); it is done only when the name is taken.
            match self.place(name, bytes, &path) {
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    clear(&path)?;
                    self.place(name, bytes, &path).map_err(io(&path))?;
                }
                other => other.map_err(io(&path))?,
            }
        }
        Ok(())
    }

    /// Links the published file when it holds `bytes`, or writes a new file; an error if a file
    /// is already at `staged`.
    fn place(&self, name: &str, bytes: &[u8], staged: &Path) -> std::io::Result<()> {
        if self.link_unchanged(name, bytes, staged) {
            return Ok(());
        }
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(staged)?;
        std::io::Write::write_all(&mut file, bytes)
    }

    /// Stamps a project whose files are in the staging folder and adds its rows.
    fn settle(&mut self, kept: &mut Kept, package: Option<Placed>) -> Result<(), Error> {
        let (package, entry) = package.map(|p| (p.at, p.text)).unzip();
        let staged = |name: &str| file_stamp(&self.dir.join(name));
        kept.stamp = match (staged(&kept.json_name), staged(&kept.html_name)) {
            (Some(json), Some(html)) => Some(Stamp {
                json,
                html,
                package,
            }),
            _ => None,
        };
        self.add_rows(kept, entry)
    }

    /// Whether a kept project's files and package entry in the published output are still
    /// those `kept` describes (the entry is read and its hash checked), or what differs: the
    /// project is then made again. Reads only, so many projects are checked at once.
    pub fn check(&self, kept: &Kept) -> Result<Unchanged, Changed> {
        let stamp = kept.stamp.as_ref().ok_or(Changed::NoStamp)?;
        for (name, written) in [(&kept.json_name, stamp.json), (&kept.html_name, stamp.html)] {
            if file_stamp(&self.final_dir.join(name)) != Some(written) {
                return Err(Changed::File);
            }
        }
        let entry = match &stamp.package {
            None => None,
            Some((offset, len, sha)) => Some((
                self.published_entry(*offset, *len, sha)
                    .ok_or(Changed::Entry)?,
                sha.clone(),
            )),
        };
        Ok(Unchanged { entry })
    }

    /// Takes a project as the published output holds it, once [`Staging::check`] found it
    /// unchanged: its entry is copied into the package, its files linked (or copied), its rows
    /// added, and `kept` given its new stamp.
    pub fn reuse(&mut self, kept: &mut Kept, unchanged: Unchanged) -> Result<(), Error> {
        // Checked against its hash just now: the hash is not worked out again.
        let package = unchanged
            .entry
            .map(|(entry, sha)| self.put_entry(entry, sha));
        for name in [&kept.json_name, &kept.html_name] {
            link_or_copy(&self.final_dir.join(name), &self.dir.join(name))?;
        }
        self.settle(kept, package)
    }

    /// A project's entry in the published package, if it is still there as written.
    fn published_entry(&self, offset: u64, len: u64, sha: &str) -> Option<String> {
        use std::os::unix::fs::FileExt;
        let file = self.published_package.as_ref()?;
        let mut bytes = vec![0u8; usize::try_from(len).ok()?];
        file.read_exact_at(&mut bytes, offset).ok()?;
        (crate::util::sha256_hex(&bytes) == sha)
            .then(|| String::from_utf8(bytes).ok())
            .flatten()
    }

    /// Places one project's entry (hashed `sha`) in the package: its offset, length and hash
    /// there. [`Staging::add_rows`] hands it over to be written.
    fn put_entry(&mut self, entry: String, sha: String) -> Placed {
        let sep = if self.in_package == 0 {
            "\n    "
        } else {
            ",\n    "
        };
        let offset = self.package_bytes + sep.len() as u64;
        self.package_bytes = offset + entry.len() as u64;
        self.in_package += 1;
        Placed {
            at: (offset, entry.len() as u64, sha),
            text: (sep, entry),
        }
    }

    /// Hands the project's package entry and table rows over to be written, and adds its line
    /// on the pages. The rows leave `kept`: its tally was stored before.
    fn add_rows(
        &mut self,
        kept: &mut Kept,
        entry: Option<(&'static str, String)>,
    ) -> Result<(), Error> {
        self.projects += 1;
        self.appender.send(append::Append {
            entry,
            flag_rows: std::mem::take(&mut kept.flag_rows),
            table_row: std::mem::take(&mut kept.table_row),
        })?;
        self.lines.push(kept.line.clone());
        Ok(())
    }

    /// Links the published file `name` into the staging folder when it already holds exactly
    /// `bytes`. A nightly run rewrites thousands of project files that did not change; a link
    /// costs no new inode (creating files is slow on ext4 while it still remembers the ones
    /// the previous swap deleted) and no write. Published files are never written in place,
    /// so the two folders may share them. Any doubt means a plain write.
    fn link_unchanged(&self, name: &str, bytes: &[u8], staged: &Path) -> bool {
        let published = self.final_dir.join(name);
        let same_size = fs::symlink_metadata(&published)
            .is_ok_and(|m| m.is_file() && m.len() == bytes.len() as u64);
        same_size
            && fs::read(&published).is_ok_and(|old| old == bytes)
            && fs::hard_link(&published, staged).is_ok()
    }

    /// Writes the trend table, the glossary and the quarantine table, hands the workbook over
    /// to be saved, and writes the pages people read (league table, entity pages, method)
    /// meanwhile. Called once every project is written.
    pub fn pages(&mut self, facts: RunFacts<'_>) -> Result<(), Error> {
        let mut trends = Csv::mirrored(
            &self.dir.join("tendencias.csv"),
            [
                "corrida/run",
                "inicio_corrida/run_started_at",
                "entidad/entity",
                "nombre/name",
                "puntaje/score",
                "proyectos/projects",
            ],
            "tendencias",
        )?;
        for row in pages::trend_rows(facts.history) {
            trends.row(row)?;
        }
        self.sheets.extend(trends.finish()?);
        let mut glossary = Csv::mirrored(
            &self.dir.join("glosario.csv"),
            ["codigo/code", "significado", "meaning"],
            "glosario",
        )?;
        for (code, es, en) in glossary_rows() {
            glossary.row([code.as_str(), es.as_str(), en.as_str()])?;
        }
        self.sheets.extend(glossary.finish()?);
        self.close_tables(facts.quarantined)?;

        let render = |path: PathBuf, r: Result<String, minijinja::Error>| -> Result<(), Error> {
            let html = r.map_err(|source| Error::Render {
                path: path.clone(),
                source,
            })?;
            fs::write(&path, html).map_err(io(&path))
        };
        let lines = std::mem::take(&mut self.lines);
        let inputs = pages::Inputs {
            lang: self.report.lang,
            scores: facts.scores,
            entities: facts.entities,
            expected: facts.expected,
            projects: &lines,
            history: facts.history,
            run_id: facts.run_id,
            as_of: &self.report.as_of,
            warnings: facts.warnings,
        };
        let league = pages::league(&inputs);
        render(self.dir.join("index.html"), self.pages.league(&league))?;
        for page in pages::entity_pages(&inputs) {
            let path = self.dir.join("entidades").join(&page.file);
            render(path, self.pages.entity(&page))?;
        }
        render(
            self.dir.join("metodologia.html"),
            self.pages.method(&facts.method),
        )?;
        for (name, text) in [("estilo.css", pages::STYLE), ("liga.js", pages::SCRIPT)] {
            let path = self.dir.join(name);
            fs::write(&path, text).map_err(io(&path))?;
        }
        Ok(())
    }

    /// Writes the score tables.
    pub fn scores(
        &mut self,
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
        let mut w = Csv::mirrored(&self.dir.join("entities.csv"), header, "entidades")?;
        for e in &scores.entities {
            w.row([
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
            ])?;
        }
        self.sheets.extend(w.finish()?);

        // Long form, one row per (entity, element), shares 0–100 like the scores, so that
        // its rows reconcile with entities.csv in any spreadsheet program.
        let mut w = Csv::mirrored(
            &self.dir.join("elements.csv"),
            [
                "entidad/entity",
                "nombre/name",
                "codigo/code",
                "elemento",
                "element",
                "divulgacion/disclosure",
                "nivel/level",
                "etapa/stage",
                "exigibles/due",
                "divulgados/disclosed",
                "parciales/partial",
                "porcentaje/share",
            ],
            "elementos",
        )?;
        // One lookup table, not a scan of every share for every (entity, element).
        let shares: std::collections::HashMap<(&str, &str), &crate::score::ElementShare> = scores
            .elements
            .iter()
            .map(|s| ((s.entity.as_str(), s.code.as_str()), s))
            .collect();
        for e in &scores.entities {
            for element in catalogue() {
                let Some(s) = shares.get(&(e.entity.as_str(), element.code.as_str())) else {
                    continue;
                };
                w.row([
                    e.entity.clone(),
                    name_of(&e.entity),
                    element.code.clone(),
                    element.es.clone(),
                    element.en.clone(),
                    element.disclosure.code().to_string(),
                    element.level.code().to_string(),
                    element.stage.code().to_string(),
                    s.applicable.to_string(),
                    s.disclosed.to_string(),
                    s.partial.to_string(),
                    format!("{:.2}", s.share * 100.0),
                ])?;
            }
        }
        self.sheets.extend(w.finish()?);

        // The OCP notebook's presence-only coverage, element by element over the whole run.
        let mut w = Csv::create(
            &self.dir.join("ocp-coverage.csv"),
            [
                "codigo/code",
                "elemento/element",
                "cobertura/coverage",
                "cobertura_por_campo/field_coverage",
            ],
        )?;
        for (row, element) in ocp.elements().into_iter().zip(catalogue()) {
            let fields: Vec<String> = row
                .fields
                .iter()
                .map(|(f, c)| format!("{f}: {:.0}%", c * 100.0))
                .collect();
            w.row([
                row.code.clone(),
                element.en.clone(),
                format!("{:.4}", row.coverage),
                fields.join("\n"),
            ])?;
        }
        w.finish().map(|_| ())
    }

    /// Waits for the package and the tables to be closed and the workbook saved: everything
    /// but the run report, so that the report can say how long all of it took.
    pub fn close(&mut self) -> Result<(), Error> {
        self.appender.finish()
    }

    /// Writes the quarantine table, then hands every table over to be added to the workbook,
    /// which the appending thread saves while the pages are rendered.
    fn close_tables(&mut self, quarantined: &[crate::store::QuarantineRow]) -> Result<(), Error> {
        let mut w = Csv::mirrored(
            &self.dir.join("quarantine.csv"),
            [
                "fuente/source",
                "ubicacion/location",
                "linea/line",
                "byte",
                "motivo/reason",
                "detalle/detail",
            ],
            "cuarentena",
        )?;
        for q in quarantined {
            w.row([
                q.source_id.clone(),
                q.location.clone(),
                q.line.map(|l| l.to_string()).unwrap_or_default(),
                q.byte_offset.map(|l| l.to_string()).unwrap_or_default(),
                q.reason.clone(),
                q.detail.clone(),
            ])?;
        }
        self.sheets.extend(w.finish()?);
        // The workbook holds every table, the report's quarantine included.
        self.appender.close(std::mem::take(&mut self.sheets))
    }

    /// Writes the run report and the metrics, and moves the folder into place.
    pub fn commit(self, report: &RunReport) -> Result<(), Error> {
        write_json(&self.dir.join("run-report.json"), report)?;
        let prom = self.dir.join("metrics.prom");
        fs::write(&prom, metrics::text(report)).map_err(io(&prom))?;
        // The marker is what lets the next run replace this folder.
        let marker = self.dir.join(output::MARKER);
        fs::write(
            &marker,
            "This folder is written by costwatch and replaced whole at the end of each run.\n",
        )
        .map_err(io(&marker))?;
        output::swap(&self.dir, &self.final_dir).map_err(io(&self.final_dir))
    }

    /// Number of projects added so far (their rows may still be on their way to the tables).
    pub fn projects(&self) -> u64 {
        self.projects
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // An abandoned staging folder (error before commit) is removed; after commit it no
        // longer exists and this does nothing. What was handed to the appending thread is
        // written first, so that nothing writes into the folder as it goes.
        self.appender.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// One project made ready to write by [`Staging::render`].
pub struct Rendered {
    /// Its package entry and the entry's SHA-256; `None` for a project with schema errors: it
    /// stays out of the package.
    package_entry: Option<(String, String)>,
    /// Its JSON file and sheet, until [`Staging::write_files`] takes them to write.
    files: Option<(Vec<u8>, String)>,
}

/// A project's entry given its place in the package: offset, length and hash, and the text
/// with the separator to write before it.
struct Placed {
    at: (u64, u64, String),
    text: (&'static str, String),
}

/// What a project adds to the run's tables and pages besides its files, and where its files
/// went. The pipeline keeps it in the store, so that a project whose inputs did not change is
/// taken from the published output (`Staging::reuse`) instead of being made again.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Kept {
    json_name: String,
    html_name: String,
    flag_rows: Vec<[String; 12]>,
    table_row: Vec<String>,
    line: ProjectLine,
    /// Filled in when the files are written; stored apart (see [`Kept::stamp_text`]).
    #[serde(skip)]
    stamp: Option<Stamp>,
}

impl Kept {
    /// The names of its two files in the output folder (JSON, then the sheet).
    pub fn file_names(&self) -> [&str; 2] {
        [&self.json_name, &self.html_name]
    }

    /// The project's line on the pages: its id, title, entity, stage and score.
    pub fn line(&self) -> &ProjectLine {
        &self.line
    }

    /// Where the files went, as JSON text: it changes every run (the package entry moves when
    /// an earlier project changes), so the store keeps it apart from the rest.
    pub fn stamp_text(&self) -> String {
        serde_json::to_string(&self.stamp).unwrap_or_default()
    }

    /// With the stamp read back from [`Kept::stamp_text`]; none (so never reused) if the text
    /// does not read.
    pub fn with_stamp_text(mut self, text: &str) -> Kept {
        self.stamp = serde_json::from_str(text).ok().flatten();
        self
    }
}

/// How a project's written files are recognised in the published output: each file's size
/// and modification time (published files are never written in place, so a file that is still
/// the one written has both), and its entry in the package by place and SHA-256.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
struct Stamp {
    json: FileStamp,
    html: FileStamp,
    /// Offset, length and hash of the entry in `oc4ids/project-package.json`.
    package: Option<(u64, u64, String)>,
}

/// A file as it was written: inode, size and modification time.
type FileStamp = (u64, u64, i64, i64);

/// The stamp of a file, or `None` if it is not a plain file.
fn file_stamp(path: &Path) -> Option<FileStamp> {
    use std::os::unix::fs::MetadataExt;
    let m = fs::symlink_metadata(path).ok()?;
    m.is_file()
        .then(|| (m.ino(), m.len(), m.mtime(), m.mtime_nsec()))
}

/// Why [`Staging::check`] found a kept project's published output changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Changed {
    /// Where its files went was not recorded (an older version kept it).
    NoStamp,
    /// Its file or sheet is not the one written (edited, replaced, deleted).
    File,
    /// Its entry in the published package is not the one written, or the package is unreadable.
    Entry,
}

impl Changed {
    /// The reason in words, for the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Changed::NoStamp => "no record of its files",
            Changed::File => "its file or sheet changed",
            Changed::Entry => "its package entry changed",
        }
    }
}

/// A kept project's package entry, found unchanged by [`Staging::check`], with its hash.
pub struct Unchanged {
    entry: Option<(String, String)>,
}

/// The published package, for kept projects' entries; `None` when there is none (a first run)
/// or it cannot be read, which is said once (every kept project is then made again).
fn open_published_package(final_dir: &Path) -> Option<File> {
    let path = final_dir.join("oc4ids/project-package.json");
    match File::open(&path) {
        Ok(f) => Some(f),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "the published package cannot be read; its projects are made again");
            None
        }
    }
}

/// Links a published file into the staging folder, or copies it where a link cannot be made.
fn link_or_copy(from: &Path, to: &Path) -> Result<(), Error> {
    if fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    // Another project's file of the same name may be there: it is removed, never written
    // through (it may itself be a link to a published file).
    clear(to)?;
    if fs::hard_link(from, to).is_err() {
        // Name the file at fault: the published one gone since it was checked, or the copy.
        fs::copy(from, to).map_err(|e| match from.exists() {
            true => io(to)(e),
            false => io(from)(e),
        })?;
    }
    Ok(())
}

/// A project as the package holds it: indented two spaces a level, starting two levels in
/// (inside `"projects": [`), written in one pass instead of indenting the text afterwards.
fn package_entry(project: &Value) -> String {
    /// Indents every line after the first by four spaces as the text is written.
    struct Nested(Vec<u8>);
    impl std::io::Write for Nested {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let mut lines = buf.split(|b| *b == b'\n');
            if let Some(first) = lines.next() {
                self.0.extend_from_slice(first);
            }
            for line in lines {
                self.0.extend_from_slice(b"\n    ");
                self.0.extend_from_slice(line);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut out = Nested(Vec::new());
    // Writing a Value into memory cannot fail (its keys are strings).
    let _ = serde_json::to_writer_pretty(&mut out, project);
    String::from_utf8(out.0).unwrap_or_default()
}

/// Makes room for a staged file: a file already at that name in the staging folder (another
/// project with the same file name) may be a link to a published file, which must never be
/// written through.
fn clear(path: &Path) -> Result<(), Error> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(path)(e)),
        _ => Ok(()),
    }
}

/// Everything one project's outputs are made from.
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
    /// Schema errors that keep the project out of the package (pass-through projects only).
    pub errors: &'a [crate::oc4ids::SchemaError],
    /// Where an OC4IDS project came from (absent for projects built from OCDS).
    pub provenance: Option<&'a crate::store::Provenance>,
    /// Set when the project rests on a source that was down.
    pub stale: Option<&'a StaleMark>,
    /// The current stage and the dates that show it.
    pub progress: sheet::Progress,
}

/// The codes a spreadsheet reader meets, explained: `glosario.csv`.
fn glossary_rows() -> Vec<(String, String, String)> {
    use crate::ids::{Outcome, Stage};
    let mut rows: Vec<(String, String, String)> = Vec::new();
    let mut add = |code: &str, es: &str, en: &str| rows.push((code.into(), es.into(), en.into()));
    for stage in Stage::ALL {
        add(
            stage.code(),
            &format!("etapa: {}", stage.es()),
            &format!("stage: {}", stage.en()),
        );
    }
    // The same words as the sheets' checklist.
    for (o, es, en) in [
        (Outcome::Disclosed, "publicado", "disclosed"),
        (Outcome::Partial, "publicado en parte", "partly disclosed"),
        (
            Outcome::Missing,
            "no publicado, aunque corresponde",
            "not published although due",
        ),
        (
            Outcome::NotApplicable,
            "no aplica: el hecho del que depende no ocurrió",
            "not applicable: the event it depends on did not happen",
        ),
        (
            Outcome::NotYetApplicable,
            "aún no corresponde: el proyecto no llegó a esa etapa",
            "not yet due: the project has not reached that stage",
        ),
    ] {
        add(o.short(), es, en);
    }
    add(
        "proactive",
        "proactivo: se publica por iniciativa propia",
        "published without being asked",
    );
    add(
        "reactive",
        "reactivo: se entrega a quien lo pida",
        "given on request",
    );
    add(
        "project",
        "nivel proyecto: se evalúa una vez por proyecto",
        "judged once per project",
    );
    add(
        "process",
        "nivel contrato: se evalúa en cada proceso de contratación",
        "judged for each contracting process",
    );
    add(
        "raised",
        "alerta activada: motivo para preguntar, no prueba de irregularidad",
        "alert raised: a reason to ask, not proof of wrongdoing",
    );
    add(
        "unknown",
        "alerta sin calcular: falta un dato",
        "alert not computed: a value is missing",
    );
    for code in crate::flags::CODES {
        add(
            code,
            sheet::alert_title(code, Lang::Es),
            sheet::alert_title(code, Lang::En),
        );
    }
    add(
        "puntaje/score",
        "0 a 100: parte de los elementos proactivos exigibles que se publican completos",
        "0 to 100: share of the proactive elements due that are disclosed in full",
    );
    add(
        "puntaje_flexible/lenient_score",
        "como el puntaje, pero lo parcial cuenta como publicado",
        "as the score, counting partial as disclosed",
    );
    add(
        "presencia_ocp/ocp_presence",
        "cobertura solo por presencia de campos, como el cuaderno de OCP; para comparar",
        "presence-only coverage as in OCP's notebook; for comparison",
    );
    for element in crate::ids::catalogue() {
        add(&element.code, &element.es, &element.en);
    }
    rows
}

/// Figures on a project sheet.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ProjectFigures {
    /// Strict proactive score (the headline); `None` when no proactive element counts (none
    /// due, or all weighted 0): the project has no score, which 0 would misstate.
    pub score: Option<f64>,
    /// Lenient proactive score, `None` with `score`.
    pub lenient_score: Option<f64>,
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
    fn a_package_entry_is_the_pretty_project_indented_two_levels() {
        let project = serde_json::json!({
            "id": "p-1",
            "title": "Línea\ncon salto",
            "parties": [{"id": "a", "roles": ["buyer"]}, {"id": "b", "roles": []}],
            "empty": {}
        });
        let expected = serde_json::to_string_pretty(&project)
            .expect("json")
            .replace('\n', "\n    ");
        assert_eq!(package_entry(&project), expected);
    }

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
