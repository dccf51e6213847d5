//! The pages people read, as static files: the league table (`index.html`), one page per
//! entity (`entidades/<id>.html`), one sheet per project (`proyectos/<id>.html`) and the
//! method (`metodologia.html`), with one stylesheet and one small script beside them.
//!
//! Templates escape every value automatically (minijinja, by the `.html` name), so a title
//! such as `<script>` shows as text. Nothing on a page is fetched from the network.

use std::collections::{BTreeMap, HashMap};

use minijinja::{Environment, context};
use serde::Serialize;

use super::labels::Lang;
use super::sheet::{Ficha, stage_name};
use super::words::{self, count, date, pick};
use super::{EntityInfo, safe_file_name};
use crate::config::ExpectedEntity;
use crate::ids::{Disclosure, Level, Stage, Words, catalogue};
use crate::score::Scores;
use crate::store::EntityScoreRow;

/// The stylesheet every page links.
pub const STYLE: &str = include_str!("templates/estilo.css");
/// The league table's sorting and filtering.
pub const SCRIPT: &str = include_str!("templates/liga.js");

/// What a project contributes to the entity pages and the league table.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ProjectLine {
    /// Project id.
    pub id: String,
    /// Title shown.
    pub title: String,
    /// Entity key.
    pub entity: String,
    /// Current stage.
    pub stage: Stage,
    /// Headline score; `None` when the project has none (nothing proactive due, or all of it
    /// weighs 0).
    #[serde(with = "crate::util::exact_f64::option")]
    pub score: Option<f64>,
    /// Raised alerts: (title, finding).
    pub raised: Vec<(String, String)>,
    /// Alerts that could not be computed.
    pub unknown: u32,
    /// The contact the sheet shows.
    pub contact: Vec<(String, String)>,
}

/// The template engine with the pages loaded.
pub struct Pages {
    env: Environment<'static>,
    lang: Lang,
    footer: minijinja::Value,
    /// The interface words, made a template value once: converting the whole table for each
    /// sheet was a tenth of rendering it.
    ui: minijinja::Value,
}

/// A page could not be rendered (a template error: a defect, not bad data).
pub type RenderError = minijinja::Error;

impl Pages {
    /// Loads the templates.
    pub fn new(lang: Lang, footer: String) -> Result<Pages, RenderError> {
        let mut env = Environment::new();
        env.add_template("base.html", include_str!("templates/base.html"))?;
        env.add_template("ficha.html", include_str!("templates/ficha.html"))?;
        env.add_template("liga.html", include_str!("templates/liga.html"))?;
        env.add_template("entidad.html", include_str!("templates/entidad.html"))?;
        env.add_template(
            "metodologia.html",
            include_str!("templates/metodologia.html"),
        )?;
        Ok(Pages {
            env,
            lang,
            footer: minijinja::Value::from(footer),
            ui: minijinja::Value::from_serialize(words::ui(lang)),
        })
    }

    fn lang_code(&self) -> &'static str {
        match self.lang {
            Lang::Es => "es",
            Lang::En => "en",
        }
    }

    /// One project's sheet.
    pub fn ficha(&self, f: &Ficha) -> Result<String, RenderError> {
        self.env.get_template("ficha.html")?.render(context! {
            lang => self.lang_code(), root => "../", t => &self.ui,
            footer => &self.footer, f => f,
        })
    }

    /// The league table.
    pub fn league(&self, view: &League) -> Result<String, RenderError> {
        self.env.get_template("liga.html")?.render(context! {
            lang => self.lang_code(), root => "", t => &self.ui,
            footer => &self.footer, heading => &view.heading, summary => &view.summary,
            how => &view.how, warnings => &view.warnings, rows => &view.rows,
            matrix_how => &view.matrix_how, matrix_codes => &view.matrix_codes,
            matrix => &view.matrix, legend => &view.legend,
        })
    }

    /// One entity's page.
    pub fn entity(&self, view: &EntityPage) -> Result<String, RenderError> {
        self.env.get_template("entidad.html")?.render(context! {
            lang => self.lang_code(), root => "../", t => &self.ui,
            footer => &self.footer, e => view,
        })
    }

    /// The method page.
    pub fn method(&self, view: &Method) -> Result<String, RenderError> {
        self.env.get_template("metodologia.html")?.render(context! {
            lang => self.lang_code(), root => "", t => &self.ui,
            footer => &self.footer, m => view,
        })
    }
}

/// The file name of an entity's page, under `entidades/`.
pub fn entity_file(entity: &str) -> String {
    format!("{}.html", safe_file_name(entity))
}

/// One row of the league table.
#[derive(Debug, Serialize)]
pub struct LeagueRow {
    id: String,
    name: String,
    file: String,
    rank: String,
    score: String,
    score_raw: String,
    bar: u32,
    delta: String,
    delta_raw: String,
    delta_class: &'static str,
    projects: u32,
    mix: Vec<MixPart>,
    mix_text: String,
    alerts: u32,
    missing: u32,
    stale: Option<String>,
    no_data: bool,
}

#[derive(Debug, Serialize)]
struct MixPart {
    code: &'static str,
    width: f64,
}

/// A column of the gap matrix.
#[derive(Debug, Serialize)]
pub struct MatrixCode {
    code: String,
    name: String,
}

#[derive(Debug, Serialize)]
struct MatrixCell {
    due: bool,
    color: String,
    text: String,
    title: String,
}

/// A row of the gap matrix.
#[derive(Debug, Serialize)]
pub struct MatrixRow {
    name: String,
    cells: Vec<MatrixCell>,
}

/// The league table, ready to render.
#[derive(Debug)]
pub struct League {
    heading: String,
    summary: String,
    how: String,
    warnings: Vec<String>,
    rows: Vec<LeagueRow>,
    matrix_how: String,
    matrix_codes: Vec<MatrixCode>,
    matrix: Vec<MatrixRow>,
    legend: String,
}

/// What the league table and the entity pages are built from.
pub struct Inputs<'a> {
    /// Language.
    pub lang: Lang,
    /// This run's scores.
    pub scores: &'a Scores,
    /// Entities as published (names, stale marks).
    pub entities: &'a [EntityInfo],
    /// Entities the configuration expects.
    pub expected: &'a [ExpectedEntity],
    /// Every project's line.
    pub projects: &'a [ProjectLine],
    /// Score history, this run included, oldest first.
    pub history: &'a [EntityScoreRow],
    /// This run's id.
    pub run_id: i64,
    /// Date the data describes.
    pub as_of: &'a str,
    /// Sources that were down or partial, in words.
    pub warnings: Vec<String>,
}

impl Inputs<'_> {
    fn name_of(&self, key: &str) -> String {
        self.entities
            .iter()
            .find(|e| e.entity == key)
            .map(|e| e.name.clone())
            .filter(|n| !n.is_empty())
            .or_else(|| {
                self.expected
                    .iter()
                    .find(|e| e.id == key)
                    .map(|e| e.name.clone())
            })
            .unwrap_or_else(|| key.to_string())
    }

    fn stale_of(&self, key: &str) -> Option<String> {
        let s = self
            .entities
            .iter()
            .find(|e| e.entity == key)?
            .stale
            .as_ref()?;
        let since = s
            .last_good_fetch
            .as_deref()
            .map(|d| date(d, self.lang))
            .unwrap_or_else(|| "-".into());
        Some(match self.lang {
            Lang::Es => format!(
                "La fuente «{}» no respondió en esta corrida; se usan sus datos del {since}.",
                s.source
            ),
            Lang::En => format!(
                "The source “{}” did not answer in this run; its data of {since} is used.",
                s.source
            ),
        })
    }

    /// The entity's score in the last run before this one, if it was scored then.
    fn previous(&self, key: &str) -> Option<f64> {
        self.history
            .iter()
            .filter(|h| h.entity == key && h.run_id < self.run_id)
            .max_by_key(|h| h.run_id)
            .map(|h| h.score)
    }

    fn projects_of<'b>(&'b self, key: &'b str) -> impl Iterator<Item = &'b ProjectLine> + 'b {
        self.projects.iter().filter(move |p| p.entity == key)
    }

    /// Entities with projects of which none has a score (with `[weights]` of 0 for all that
    /// is due): not in the scores, yet their projects' sheets link to their page. By key.
    fn unscored(&self) -> Vec<&EntityInfo> {
        let mut out: Vec<&EntityInfo> = self
            .entities
            .iter()
            .filter(|e| !self.scores.entities.iter().any(|s| s.entity == e.entity))
            .filter(|e| self.projects_of(&e.entity).next().is_some())
            .collect();
        out.sort_by(|a, b| a.entity.cmp(&b.entity));
        out
    }
}

fn delta(now: f64, before: Option<f64>, lang: Lang) -> (String, String, &'static str) {
    match before {
        None => (pick(lang, "nuevo", "new"), String::new(), ""),
        Some(b) => {
            let d = crate::util::round_to(now - b, 1);
            let raw = format!("{d:.1}");
            if d > 0.0 {
                (format!("▲ {d:.1}"), raw, "sube")
            } else if d < 0.0 {
                (format!("▼ {:.1}", d.abs()), raw, "baja")
            } else {
                ("=".into(), raw, "")
            }
        }
    }
}

fn mix(lines: &[&ProjectLine], lang: Lang) -> (Vec<MixPart>, String) {
    let total = lines.len().max(1) as f64;
    let mut parts = Vec::new();
    let mut text = Vec::new();
    for stage in Stage::ALL {
        let n = lines.iter().filter(|p| p.stage == stage).count();
        if n == 0 {
            continue;
        }
        parts.push(MixPart {
            code: stage.code(),
            width: crate::util::round_to(100.0 * n as f64 / total, 1),
        });
        text.push(format!(
            "{n} {} {}",
            pick(lang, "en", "in"),
            stage_name(stage, lang)
        ));
    }
    (parts, text.join(" · "))
}

/// A share 0–100 as a colour from red (0) to green (100).
fn heat(share: f64) -> String {
    let hue = (share.clamp(0.0, 100.0) * 1.2).round();
    format!("hsl({hue}, 60%, 38%)")
}

fn unit(level: Level, n: u64, lang: Lang) -> String {
    match (level, lang) {
        (Level::Project, Lang::Es) => count(n, "proyecto", "proyectos"),
        (Level::Process, Lang::Es) => count(n, "proceso", "procesos"),
        (Level::Project, Lang::En) => count(n, "project", "projects"),
        (Level::Process, Lang::En) => count(n, "process", "processes"),
    }
}

fn element_name(code: &str, lang: Lang) -> String {
    catalogue()
        .iter()
        .find(|e| e.code == code)
        .map(|e| match lang {
            Lang::Es => e.es.clone(),
            Lang::En => e.en.clone(),
        })
        .unwrap_or_default()
}

fn how_scored(lang: Lang) -> String {
    pick(
        lang,
        "El puntaje de una entidad es el promedio de los puntajes de sus proyectos. El puntaje de un proyecto (0 a 100) indica qué parte de los datos que el estándar CoST IDS pide publicar por iniciativa propia, y que ya corresponden a la etapa del proyecto, publica completos la entidad; un dato de contrato cuenta en proporción a los contratos que lo publican. Un proyecto sin puntaje (aún no le corresponde publicar por iniciativa propia ningún dato que cuente en el puntaje, o esos datos tienen peso 0 en la configuración) no entra en el promedio.",
        "An entity's score is the mean of its projects' scores. A project's score (0 to 100) is the share of the items the CoST IDS asks to be published proactively, and already due at its stage, that the entity publishes in full; a contract item counts in proportion to the contracts that publish it. A project with no score (nothing it must publish proactively is due yet, or what is due weighs 0 in the settings) is left out of the mean.",
    )
}

/// How many projects an entity's score is the mean of, and how many it has when some have no
/// score ("1 de 6 proyectos con puntaje"): the page lists them all.
fn projects_told(scored: u64, listed: u64, lang: Lang) -> String {
    match (lang, scored == listed) {
        (Lang::Es, true) => count(scored, "proyecto", "proyectos"),
        (Lang::En, true) => count(scored, "project", "projects"),
        (Lang::Es, false) => format!("{scored} de {listed} proyectos con puntaje"),
        (Lang::En, false) => format!("{scored} of {listed} projects with a score"),
    }
}

/// An entity's league row from its projects, without a score: what entities whose projects
/// all lack one show, and what scored ones start from.
fn unscored_row(inp: &Inputs<'_>, key: &str) -> LeagueRow {
    let lang = inp.lang;
    let lines: Vec<&ProjectLine> = inp.projects_of(key).collect();
    let (mix, mix_text) = mix(&lines, lang);
    LeagueRow {
        id: key.to_string(),
        name: inp.name_of(key),
        file: entity_file(key),
        rank: "—".into(),
        score: pick(lang, "sin puntaje", "no score"),
        score_raw: String::new(),
        bar: 0,
        delta: "—".into(),
        delta_raw: String::new(),
        delta_class: "",
        // Every project it has; the entity page tells those with a score apart.
        projects: lines.len() as u32,
        mix,
        mix_text,
        alerts: lines.iter().map(|p| p.raised.len() as u32).sum(),
        missing: lines.iter().map(|p| p.unknown).sum(),
        stale: inp.stale_of(key),
        no_data: false,
    }
}

/// Builds the league table.
pub fn league(inp: &Inputs<'_>) -> League {
    let lang = inp.lang;
    let mut rows: Vec<LeagueRow> = Vec::new();
    for e in &inp.scores.entities {
        let (d, d_raw, d_class) = delta(e.score, inp.previous(&e.entity), lang);
        rows.push(LeagueRow {
            rank: e.rank.to_string(),
            score: words::score(e.score),
            score_raw: format!("{:.2}", e.score),
            bar: (e.score.clamp(0.0, 100.0) * 0.6).round() as u32,
            delta: d,
            delta_raw: d_raw,
            delta_class: d_class,
            ..unscored_row(inp, &e.entity)
        });
    }
    // Entities whose projects all lack a score: listed, without a rank.
    for e in inp.unscored() {
        rows.push(unscored_row(inp, &e.entity));
    }
    // Expected entities that published nothing: visible, so coverage gaps are too.
    for x in inp.expected {
        if rows.iter().any(|r| r.id == x.id) {
            continue;
        }
        rows.push(LeagueRow {
            id: x.id.clone(),
            name: x.name.clone(),
            file: entity_file(&x.id),
            rank: "—".into(),
            score: String::new(),
            score_raw: String::new(),
            bar: 0,
            delta: "—".into(),
            delta_raw: String::new(),
            delta_class: "",
            projects: 0,
            mix: Vec::new(),
            mix_text: String::new(),
            alerts: 0,
            missing: 0,
            stale: None,
            no_data: true,
        });
    }
    let proactive: Vec<_> = catalogue()
        .iter()
        .filter(|e| e.disclosure == Disclosure::Proactive)
        .collect();
    let shares: HashMap<(&str, &str), &crate::score::ElementShare> = inp
        .scores
        .elements
        .iter()
        .map(|s| ((s.entity.as_str(), s.code.as_str()), s))
        .collect();
    let matrix = inp
        .scores
        .entities
        .iter()
        .map(|e| MatrixRow {
            name: inp.name_of(&e.entity),
            cells: proactive
                .iter()
                .map(|el| {
                    let name = match lang {
                        Lang::Es => &el.es,
                        Lang::En => &el.en,
                    };
                    match shares.get(&(e.entity.as_str(), el.code.as_str())) {
                        Some(s) if s.applicable > 0 => {
                            let pct = 100.0 * f64::from(s.disclosed) / f64::from(s.applicable);
                            MatrixCell {
                                due: true,
                                color: heat(pct),
                                text: format!("{pct:.0}"),
                                title: format!(
                                    "{} {name}: {} {} {} ({})",
                                    el.code,
                                    s.disclosed,
                                    pick(lang, "de", "of"),
                                    unit(el.level, u64::from(s.applicable), lang),
                                    words::percent(pct)
                                ),
                            }
                        }
                        _ => MatrixCell {
                            due: false,
                            color: String::new(),
                            text: String::new(),
                            title: format!(
                                "{} {name}: {}",
                                el.code,
                                pick(lang, "aún no corresponde", "not yet due")
                            ),
                        },
                    }
                })
                .collect(),
        })
        .collect();
    let n_projects = inp.projects.len() as u64;
    let no_data = rows.iter().filter(|r| r.no_data).count() as u64;
    // Every entity with projects, scored or not.
    let n_entities = rows.len() as u64 - no_data;
    League {
        heading: pick(
            lang,
            "Divulgación de proyectos de infraestructura por entidad",
            "Disclosure of infrastructure projects by entity",
        ),
        summary: match lang {
            Lang::Es => format!(
                "{} y {} evaluados con el estándar CoST IDS{} · datos al {}",
                count(n_entities, "entidad", "entidades"),
                count(n_projects, "proyecto", "proyectos"),
                match no_data {
                    0 => String::new(),
                    n => format!(" ({} sin datos)", count(n, "entidad más", "entidades más")),
                },
                date(inp.as_of, lang)
            ),
            Lang::En => format!(
                "{} and {} assessed against the CoST IDS{} · data as of {}",
                count(n_entities, "entity", "entities"),
                count(n_projects, "project", "projects"),
                match no_data {
                    0 => String::new(),
                    n => format!(" ({} more without data)", count(n, "entity", "entities")),
                },
                date(inp.as_of, lang)
            ),
        },
        how: how_scored(lang),
        warnings: inp.warnings.clone(),
        rows,
        matrix_how: pick(
            lang,
            "Cada celda es el porcentaje de proyectos (o de procesos, para los datos de contrato) de la entidad que publican ese elemento proactivo; de rojo (0) a verde (100). Un punto indica que el elemento aún no corresponde a ninguno de sus proyectos. Pase el cursor sobre una celda para ver el detalle.",
            "Each cell is the percentage of the entity's projects (or processes, for contract items) that publish that proactive element; red (0) to green (100). A dot means the element is not yet due for any of its projects. Hover over a cell for details.",
        ),
        matrix_codes: proactive
            .iter()
            .map(|e| MatrixCode {
                code: e.code.clone(),
                name: match lang {
                    Lang::Es => e.es.clone(),
                    Lang::En => e.en.clone(),
                },
            })
            .collect(),
        matrix,
        legend: pick(
            lang,
            "Cambio: puntos desde la evaluación anterior (▲ sube, ▼ baja, = sin cambios, «nuevo» si no tenía puntaje). Alertas: alertas activadas en sus proyectos. Alertas sin calcular: las que no se pudieron calcular porque falta un dato. Una entidad «sin datos» está en la configuración, pero ninguna fuente publicó proyectos suyos.",
            "Change: points since the previous run (▲ up, ▼ down, = same, \"new\" when it had no score). Alerts: alerts raised on its projects. Missing data: alerts that could not be computed for lack of a value. An entity with \"no data\" is in the configuration but no source published projects of it.",
        ),
    }
}

/// One project on an entity page.
#[derive(Debug, Serialize)]
struct EntityProject {
    id: String,
    title: String,
    file: String,
    stage: &'static str,
    score: String,
    alerts: usize,
}

#[derive(Debug, Serialize)]
struct Missed {
    code: String,
    name: String,
    text: String,
}

#[derive(Debug, Serialize)]
struct EntityAlert {
    finding: String,
    project: String,
    file: String,
}

/// The alerts of one kind raised on an entity's projects: how many, the first few, and where
/// the rest are.
#[derive(Debug, Serialize)]
struct AlertGroup {
    title: String,
    /// "12 alertas".
    count: String,
    shown: Vec<EntityAlert>,
    /// Where the ones not shown are, when some are not.
    more: Option<String>,
}

/// Alerts of one kind listed on an entity page; the rest are counted. A ministry with
/// thousands of projects had every one of its alerts on its page (5 MB of HTML at a million
/// releases), which no reader goes through.
const ALERTS_SHOWN: usize = 10;

/// An entity's alerts grouped by kind, the most frequent first, each listing its first
/// [`ALERTS_SHOWN`] in project order.
fn alert_groups(lines: &[&ProjectLine], lang: Lang) -> Vec<AlertGroup> {
    let mut groups: Vec<(&str, usize, Vec<EntityAlert>)> = Vec::new();
    for p in lines {
        for (title, finding) in &p.raised {
            let i = match groups.iter().position(|(t, _, _)| t == title) {
                Some(i) => i,
                None => {
                    groups.push((title, 0, Vec::new()));
                    groups.len() - 1
                }
            };
            let (_, n, shown) = &mut groups[i];
            *n += 1;
            if shown.len() < ALERTS_SHOWN {
                shown.push(EntityAlert {
                    finding: finding.clone(),
                    project: p.title.clone(),
                    file: super::sheet::file_name(&p.id),
                });
            }
        }
    }
    groups.sort_by(|(ta, na, _), (tb, nb, _)| nb.cmp(na).then(ta.cmp(tb)));
    groups
        .into_iter()
        .map(|(title, n, shown)| {
            let rest = n - shown.len();
            AlertGroup {
                title: title.to_string(),
                count: match lang {
                    Lang::Es => count(n as u64, "alerta", "alertas"),
                    Lang::En => count(n as u64, "alert", "alerts"),
                },
                more: (rest > 0).then(|| match lang {
                    Lang::Es => format!(
                        "Y {} más: todas están en flags.csv (filtre por la entidad, el título y el estado «raised»).",
                        rest
                    ),
                    Lang::En => format!(
                        "And {} more: all are in flags.csv (filter by the entity, the title and the state «raised»).",
                        rest
                    ),
                }),
                shown,
            }
        })
        .collect()
}

/// An entity page, ready to render.
#[derive(Debug, Serialize)]
pub struct EntityPage {
    id: String,
    name: String,
    /// File name under `entidades/`.
    pub file: String,
    headline: String,
    how: String,
    stale: Option<String>,
    chart: String,
    chart_note: String,
    projects: Vec<EntityProject>,
    missed: Vec<Missed>,
    alerts: Vec<AlertGroup>,
    contact: Vec<(String, String)>,
    no_data: bool,
}

/// Builds every entity page: scored entities and expected ones without data.
pub fn entity_pages(inp: &Inputs<'_>) -> Vec<EntityPage> {
    let lang = inp.lang;
    let total = inp.scores.entities.len();
    let mut pages: Vec<EntityPage> = Vec::new();
    // The scored entities, then those whose projects all lack a score.
    let all = inp
        .scores
        .entities
        .iter()
        .map(|e| (e.entity.as_str(), Some(e)))
        .chain(
            inp.unscored()
                .into_iter()
                .map(|e| (e.entity.as_str(), None)),
        );
    for (key, scored) in all {
        let lines: Vec<&ProjectLine> = inp.projects_of(key).collect();
        let history: Vec<&EntityScoreRow> =
            inp.history.iter().filter(|h| h.entity == key).collect();
        let mut missed: Vec<(&crate::score::ElementShare, Level)> = inp
            .scores
            .elements
            .iter()
            .filter(|s| s.entity == key && s.applicable > 0)
            .filter_map(|s| {
                let el = catalogue().iter().find(|c| c.code == s.code)?;
                (el.disclosure == Disclosure::Proactive && s.disclosed < s.applicable)
                    .then_some((s, el.level))
            })
            .collect();
        missed.sort_by(|(a, _), (b, _)| {
            let share =
                |s: &crate::score::ElementShare| f64::from(s.disclosed) / f64::from(s.applicable);
            share(a)
                .total_cmp(&share(b))
                .then(b.applicable.cmp(&a.applicable))
                .then(a.code.cmp(&b.code))
        });
        let listed = lines.len() as u64;
        let headline = match scored {
            Some(e) => {
                let (d, _, _) = delta(e.score, inp.previous(key), lang);
                match lang {
                    Lang::Es => format!(
                        "Puntaje {} de 100 · posición {} de {} · cambio desde la evaluación anterior: {} · {}",
                        words::score(e.score),
                        e.rank,
                        total,
                        if d == "=" {
                            "sin cambios".to_string()
                        } else {
                            d.clone()
                        },
                        projects_told(u64::from(e.projects), listed, lang)
                    ),
                    Lang::En => format!(
                        "Score {} out of 100 · rank {} of {} · change since the previous run: {d} · {}",
                        words::score(e.score),
                        e.rank,
                        total,
                        projects_told(u64::from(e.projects), listed, lang)
                    ),
                }
            }
            None => format!(
                "{} · {}",
                pick(lang, "Sin puntaje", "No score"),
                projects_told(0, listed, lang)
            ),
        };
        let mut projects: Vec<EntityProject> = lines
            .iter()
            .map(|p| EntityProject {
                id: p.id.clone(),
                title: p.title.clone(),
                file: super::sheet::file_name(&p.id),
                stage: stage_name(p.stage, lang),
                score: p.score.map_or_else(
                    || words::pick(lang, "sin puntaje", "no score"),
                    words::score,
                ),
                alerts: p.raised.len(),
            })
            .collect();
        projects.sort_by(|a, b| a.title.cmp(&b.title));
        pages.push(EntityPage {
            id: key.to_string(),
            name: inp.name_of(key),
            file: entity_file(key),
            headline,
            how: how_scored(lang),
            stale: inp.stale_of(key),
            chart: chart(&history, lang),
            chart_note: match lang {
                Lang::Es => format!(
                    "{} guardadas; cada punto es el puntaje de la entidad en una evaluación.",
                    count(history.len() as u64, "evaluación", "evaluaciones")
                ),
                Lang::En => format!(
                    "{} kept in the store; each point is the entity's score in one run.",
                    count(history.len() as u64, "run", "runs")
                ),
            },
            projects,
            missed: missed
                .into_iter()
                .take(12)
                .map(|(s, level)| Missed {
                    code: s.code.clone(),
                    name: element_name(&s.code, lang),
                    text: format!(
                        "{} {} {}",
                        s.disclosed,
                        pick(lang, "de", "of"),
                        unit(level, u64::from(s.applicable), lang)
                    ),
                })
                .collect(),
            alerts: alert_groups(&lines, lang),
            contact: lines
                .iter()
                .find(|p| !p.contact.is_empty())
                .map(|p| p.contact.clone())
                .unwrap_or_default(),
            no_data: false,
        });
    }
    for x in inp.expected {
        if pages.iter().any(|p| p.id == x.id) {
            continue;
        }
        pages.push(EntityPage {
            id: x.id.clone(),
            name: x.name.clone(),
            file: entity_file(&x.id),
            headline: pick(
                lang,
                "Sin datos: ninguna fuente configurada publicó proyectos de esta entidad.",
                "No data: no configured source published projects of this entity.",
            ),
            how: how_scored(lang),
            stale: None,
            chart: chart(&[], lang),
            chart_note: String::new(),
            projects: Vec::new(),
            missed: Vec::new(),
            alerts: Vec::new(),
            contact: Vec::new(),
            no_data: true,
        });
    }
    pages
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A date as an axis label: "30 nov. 2026".
fn short_date(text: &str, lang: Lang) -> String {
    let long = date(text, lang);
    let parts: Vec<&str> = long.split(' ').collect();
    match (lang, parts.as_slice()) {
        (Lang::Es, [d, "de", month, "de", y]) => {
            format!("{d} {}. {y}", month.chars().take(3).collect::<String>())
        }
        _ => long,
    }
}

/// The score across runs as an SVG line chart (0–100 on the vertical axis).
pub fn chart(history: &[&EntityScoreRow], lang: Lang) -> String {
    let (w, h, left, right, top, bottom) = (640.0, 220.0, 40.0, 16.0, 14.0, 34.0);
    let plot_w = w - left - right;
    let plot_h = h - top - bottom;
    let n = history.len();
    let x = |i: usize| {
        if n <= 1 {
            left + plot_w / 2.0
        } else {
            left + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y = |s: f64| top + plot_h * (1.0 - s.clamp(0.0, 100.0) / 100.0);
    let mut svg = format!(
        r#"<svg class="tendencia" viewBox="0 0 {w} {h}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        esc(&pick(lang, "Puntaje por corrida", "Score by run"))
    );
    for tick in [0.0, 25.0, 50.0, 75.0, 100.0] {
        svg.push_str(&format!(
            r##"<line x1="{left}" x2="{}" y1="{y0:.1}" y2="{y0:.1}" stroke="#d5dae1"/><text x="{}" y="{:.1}" font-size="11" text-anchor="end" fill="#5a6473">{tick}</text>"##,
            w - right,
            left - 6.0,
            y(tick) + 4.0,
            y0 = y(tick),
        ));
    }
    if n == 0 {
        svg.push_str(&format!(
            r##"<text x="{}" y="{}" font-size="13" text-anchor="middle" fill="#5a6473">{}</text>"##,
            w / 2.0,
            h / 2.0,
            esc(&pick(lang, "sin datos", "no data"))
        ));
    } else {
        let points: Vec<String> = history
            .iter()
            .enumerate()
            .map(|(i, r)| format!("{:.1},{:.1}", x(i), y(r.score)))
            .collect();
        svg.push_str(&format!(
            r##"<polyline fill="none" stroke="#0b5cad" stroke-width="2" points="{}"/>"##,
            points.join(" ")
        ));
        let label_every = n.div_ceil(8).max(1);
        for (i, r) in history.iter().enumerate() {
            svg.push_str(&format!(
                r##"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="#0b5cad"><title>{}: {}</title></circle>"##,
                x(i),
                y(r.score),
                esc(&date(&r.started_at, lang)),
                words::score(r.score)
            ));
            if i % label_every == 0 || i == n - 1 {
                // The end labels lean inwards so they are not cut at the edges.
                let anchor = match (i, n) {
                    (_, 1) => "middle",
                    (0, _) => "start",
                    (i, n) if i == n - 1 => "end",
                    _ => "middle",
                };
                svg.push_str(&format!(
                    r##"<text x="{:.1}" y="{}" font-size="10" text-anchor="{anchor}" fill="#5a6473">{}</text>"##,
                    x(i),
                    h - 12.0,
                    esc(&short_date(&r.started_at, lang))
                ));
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

/// One section of the method page.
#[derive(Debug, Serialize)]
struct MethodSection {
    title: String,
    paragraphs: Vec<String>,
    items: Vec<String>,
}

#[derive(Debug, Serialize)]
struct MethodElement {
    code: String,
    name: String,
    level: String,
    kind: String,
    rule: String,
}

#[derive(Debug, Serialize)]
struct MethodGroup {
    stage: &'static str,
    elements: Vec<MethodElement>,
}

/// The method page, ready to render.
#[derive(Debug, Serialize)]
pub struct Method {
    subtitle: String,
    sections: Vec<MethodSection>,
    catalogue_title: String,
    catalogue_how: String,
    col_code: String,
    col_level: String,
    col_kind: String,
    col_rule: String,
    groups: Vec<MethodGroup>,
}

/// Sources that were not whole in this run, in the page's language.
pub fn source_warnings(sources: &[crate::report::SourceReport], lang: Lang) -> Vec<String> {
    sources
        .iter()
        .filter(|s| s.status != crate::report::Health::Ok)
        .map(|s| {
            let down = s.stale;
            match (lang, down) {
                (Lang::Es, true) => format!(
                    "La fuente «{}» no respondió: las entidades que dependen de ella muestran sus últimos datos guardados y se marcan como desactualizadas.",
                    s.id
                ),
                (Lang::Es, false) => format!(
                    "La fuente «{}» se leyó en parte: algunas páginas o archivos quedaron en cuarentena (ver quarantine.csv).",
                    s.id
                ),
                (Lang::En, true) => format!(
                    "The source “{}” did not answer: the entities resting on it show their last stored data and are marked stale.",
                    s.id
                ),
                (Lang::En, false) => format!(
                    "The source “{}” was read in part: some pages or files were quarantined (see quarantine.csv).",
                    s.id
                ),
            }
        })
        .collect()
}

/// Builds the method page; `sources` are the configured sources in words.
pub fn method(lang: Lang, sources: Vec<String>, thresholds: Vec<String>) -> Method {
    let words_lang = match lang {
        Lang::Es => Words::Es,
        Lang::En => Words::En,
    };
    let s = |title_es: &str, title_en: &str, paras: &[(&str, &str)], items: Vec<String>| {
        MethodSection {
            title: pick(lang, title_es, title_en),
            paragraphs: paras.iter().map(|(es, en)| pick(lang, es, en)).collect(),
            items,
        }
    };
    let sections = vec![
        s(
            "Qué se mide",
            "What is measured",
            &[(
                "Cada proyecto se compara con los elementos de divulgación del estándar de datos de infraestructura de CoST (IDS): 39 que deben publicarse por iniciativa propia (proactivos) y 27 que deben entregarse a quien los pida (reactivos). Cada elemento recibe uno de cinco resultados: publicado, parcial, no publicado, no aplica (el hecho del que depende no ocurrió) o aún no corresponde (el proyecto no llegó a esa etapa).",
                "Each project is compared with the disclosure elements of the CoST Infrastructure Data Standard (IDS): 39 to be published proactively and 27 to be given on request (reactive). Each element gets one of five outcomes: disclosed, partial, missing, not applicable (the event it depends on did not happen) or not yet applicable (the project has not reached that stage).",
            )],
            Vec::new(),
        ),
        s(
            "Cómo se calcula el puntaje",
            "How the score is made",
            &[
                (
                    "Puntaje del proyecto = 100 × (elementos proactivos publicados) ÷ (elementos proactivos que ya corresponden). Un elemento de contrato cuenta como la proporción de los procesos del proyecto que lo publican. Un elemento parcial cuenta 0 en el puntaje principal y 1 en el puntaje flexible, que se publica aparte.",
                    "Project score = 100 × (proactive elements disclosed) ÷ (proactive elements due). A contract element counts as the share of the project's processes that disclose it. A partial element counts 0 in the headline score and 1 in the lenient score, published apart.",
                ),
                (
                    "Puntaje de la entidad = promedio de los puntajes de sus proyectos. Los elementos reactivos, el nivel de proyecto y el nivel de contrato tienen puntajes propios en los archivos CSV.",
                    "Entity score = mean of its projects' scores. Reactive elements, project level and contract level have scores of their own in the CSV files.",
                ),
            ],
            Vec::new(),
        ),
        s(
            "Qué no se puede juzgar automáticamente",
            "What cannot be judged automatically",
            &[(
                "Los documentos no se leen: un elemento que se cumple con un documento cuenta como publicado si hay un documento del tipo correcto con enlace o descripción, sin verificar su contenido. Tampoco se verifica que los datos sean ciertos, solo que estén publicados.",
                "Documents are not read: an element met by a document counts as disclosed when a document of the right type has a link or description, without checking its contents. Nor is the data checked to be true, only published.",
            )],
            Vec::new(),
        ),
        s(
            "Alertas",
            "Alerts",
            &[(
                "Las alertas señalan situaciones que merecen una pregunta. No son prueba de irregularidad. Una alerta que no se puede calcular porque falta un dato se muestra como «datos que faltan»; una que no corresponde todavía (por ejemplo, sobrecosto antes de firmar) no se muestra.",
                "Alerts point at situations worth a question. They are not proof of wrongdoing. An alert that cannot be computed because a value is missing is shown as \"missing data\"; one that does not apply yet (say, a cost overrun before signature) is not shown.",
            )],
            thresholds,
        ),
        s(
            "Fuentes y límites de cobertura",
            "Sources and coverage limits",
            &[(
                "Solo se evalúa lo que publican las fuentes configuradas. Una entidad sin datos aparece como «sin datos», no con puntaje cero. Si una fuente no responde, se usan los últimos datos guardados y la entidad se marca como desactualizada.",
                "Only what the configured sources publish is assessed. An entity without data appears as \"no data\", not as zero. When a source does not answer, the last stored data is used and the entity is marked stale.",
            )],
            sources,
        ),
    ];
    let groups = Stage::ALL
        .iter()
        .map(|&stage| MethodGroup {
            stage: stage_name(stage, lang),
            elements: catalogue()
                .iter()
                .filter(|e| e.stage == stage)
                .map(|e| MethodElement {
                    code: e.code.clone(),
                    name: match lang {
                        Lang::Es => e.es.clone(),
                        Lang::En => e.en.clone(),
                    },
                    level: match (e.level, lang) {
                        (Level::Project, Lang::Es) => "proyecto".into(),
                        (Level::Process, Lang::Es) => "contrato".into(),
                        (Level::Project, Lang::En) => "project".into(),
                        (Level::Process, Lang::En) => "contract".into(),
                    },
                    kind: match (e.disclosure, lang) {
                        (Disclosure::Proactive, Lang::Es) => "proactivo".into(),
                        (Disclosure::Reactive, Lang::Es) => "reactivo".into(),
                        (Disclosure::Proactive, Lang::En) => "proactive".into(),
                        (Disclosure::Reactive, Lang::En) => "reactive".into(),
                    },
                    rule: {
                        let mut r = format!(
                            "{}: {}",
                            pick(lang, "Publicado si hay", "Disclosed when there is"),
                            e.check.describe(words_lang)
                        );
                        if let Some(p) = &e.partial {
                            r.push_str(&format!(
                                ". {}: {}",
                                pick(lang, "Parcial si hay", "Partial when there is"),
                                p.describe(words_lang)
                            ));
                        }
                        r.push_str(&format!(
                            ". {}: {}.",
                            pick(lang, "Corresponde", "Due"),
                            e.applies.describe(words_lang)
                        ));
                        r
                    },
                })
                .collect(),
        })
        .collect();
    Method {
        subtitle: pick(
            lang,
            "Cómo se evalúa cada elemento y cómo se calcula cada puntaje",
            "How each element is judged and each score is made",
        ),
        sections,
        catalogue_title: pick(lang, "Los 66 elementos", "The 66 elements"),
        catalogue_how: pick(
            lang,
            "Las rutas son campos del estándar OC4IDS dentro de cada proyecto o proceso de contratación. Los códigos de los elementos no se traducen.",
            "Paths are OC4IDS fields within each project or contracting process. Element codes are never translated.",
        ),
        col_code: pick(lang, "Código", "Code"),
        col_level: pick(lang, "Nivel", "Level"),
        col_kind: pick(lang, "Divulgación", "Disclosure"),
        col_rule: pick(lang, "Cómo se juzga", "How it is judged"),
        groups,
    }
}

/// Entity scores by run, for `tendencias.csv`: (run, run start, entity, name, score, projects).
pub fn trend_rows(history: &[EntityScoreRow]) -> Vec<[String; 6]> {
    let mut by: BTreeMap<(i64, &str), &EntityScoreRow> = BTreeMap::new();
    for h in history {
        by.insert((h.run_id, h.entity.as_str()), h);
    }
    by.values()
        .map(|h| {
            [
                h.run_id.to_string(),
                h.started_at.clone(),
                h.entity.clone(),
                h.name.clone(),
                format!("{:.2}", h.score),
                h.projects.to_string(),
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: &str, raised: &[(&str, &str)]) -> ProjectLine {
        ProjectLine {
            id: id.into(),
            title: format!("Obra {id}"),
            entity: "e".into(),
            stage: Stage::Implementation,
            score: Some(50.0),
            raised: raised
                .iter()
                .map(|(t, f)| (t.to_string(), f.to_string()))
                .collect(),
            unknown: 0,
            contact: Vec::new(),
        }
    }

    #[test]
    fn an_entity_page_groups_its_alerts_by_kind_and_lists_the_first_few() {
        let mut lines: Vec<ProjectLine> = (0..13)
            .map(|i| line(&format!("p{i:02}"), &[("Poca competencia", "Una oferta.")]))
            .collect();
        lines.push(line(
            "q",
            &[
                ("Sobrecosto", "Subió 12 %."),
                ("Poca competencia", "Una oferta."),
            ],
        ));
        let refs: Vec<&ProjectLine> = lines.iter().collect();
        let groups = alert_groups(&refs, Lang::Es);
        let heads: Vec<(&str, &str)> = groups
            .iter()
            .map(|g| (g.title.as_str(), g.count.as_str()))
            .collect();
        assert_eq!(
            heads,
            [
                ("Poca competencia", "14 alertas"),
                ("Sobrecosto", "1 alerta")
            ],
            "the most frequent kind first"
        );
        let first = &groups[0];
        assert_eq!(first.shown.len(), ALERTS_SHOWN);
        assert_eq!(first.shown[0].project, "Obra p00", "in project order");
        assert_eq!(
            first.more.as_deref(),
            Some(
                "Y 4 más: todas están en flags.csv (filtre por la entidad, el título y el estado «raised»)."
            )
        );
        assert_eq!(groups[1].shown[0].file, super::super::sheet::file_name("q"));
        assert!(groups[1].more.is_none(), "nothing left out, nothing said");
    }

    #[test]
    fn templates_escape_text_from_the_data() {
        let pages = Pages::new(Lang::Es, "x".into()).expect("templates load");
        let view = method(Lang::Es, vec!["<script>alert(1)</script>".into()], vec![]);
        let html = pages.method(&view).expect("render");
        assert!(html.contains("&lt;script&gt;alert(1)"), "escaped");
        assert!(!html.contains("<script>alert(1)"));
    }

    #[test]
    fn deltas_say_up_down_same_or_new() {
        assert_eq!(delta(50.0, Some(47.66), Lang::Es).0, "▲ 2.3");
        assert_eq!(delta(50.0, Some(51.0), Lang::Es).0, "▼ 1.0");
        assert_eq!(delta(50.0, Some(50.0), Lang::Es).0, "=");
        assert_eq!(delta(50.0, None, Lang::Es).0, "nuevo");
    }

    #[test]
    fn the_chart_is_an_svg_with_one_point_per_run() {
        let rows: Vec<EntityScoreRow> = (1..=3)
            .map(|i| EntityScoreRow {
                run_id: i,
                started_at: format!("2025-0{i}-01T00:00:00Z"),
                entity: "e".into(),
                name: "E".into(),
                score: 40.0 + i as f64,
                projects: 1,
            })
            .collect();
        let refs: Vec<&EntityScoreRow> = rows.iter().collect();
        let svg = chart(&refs, Lang::Es);
        assert!(svg.starts_with("<svg class=\"tendencia\""));
        assert_eq!(svg.matches("<circle").count(), 3);
    }
}
