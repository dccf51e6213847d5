//! Scores from verdicts, with polars.
//!
//! In: every verdict of the run (one row per element and unit), each tagged with its project and
//! entity. Out: project, contracting-process and entity scores and per-entity element shares.
//! Rules (README, "Methods"):
//! - project score = 100 × Σ w·s ÷ Σ w over the proactive elements due for the project,
//!   where s = 1 for a disclosed project-level element and, for a process-level element, the
//!   share of the project's due processes that disclose it ("partial" counts 0; the lenient
//!   figure counts it 1). Elements not applicable or not yet applicable are left out;
//! - the same rule gives the reactive score (reactive elements only), and the project-level and
//!   contract-level figures (proactive elements of one level), each reported apart;
//! - process score = the same over process-level elements for one process;
//! - entity score = mean of its projects' scores, with project and process counts;
//! - element share = disclosed ÷ due units of the entity.

mod attribute;
mod ocp;
mod sample;

use std::collections::HashMap;

use polars::prelude::*;

use crate::ids::{Disclosure, Level, Outcome, Verdict};

pub use attribute::{Attributed, attribute, project_value};
pub use ocp::{OcpTally, Presence, project_paths};
pub use sample::{Sample, draw};

/// Rows accumulated column by column while projects are assessed. Names are kept once and
/// rows hold their index: a million releases give about ten million rows, and a row of four
/// strings took most of a run's memory.
#[derive(Default)]
pub struct Input {
    names: Tables,
    project: Vec<u32>,
    entity: Vec<u32>,
    code: Vec<u32>,
    process: Vec<u32>,
    is_process: Vec<bool>,
    reactive: Vec<bool>,
    /// Disclosed (strict) and disclosed or partial (lenient): flags, read as 0 and 1 where
    /// the scores are worked out; a row of floats for each would be a third of the run's
    /// memory at a million releases.
    strict: Vec<bool>,
    lenient: Vec<bool>,
    weight: Vec<f64>,
}

/// What the scores need of one verdict that is due: kept with a project's tally, so that an
/// unchanged project is scored again without being judged again. Kept as `code|process|o`
/// (`d`, `p` or `m`): the level and the disclosure are the element's, read back from the
/// catalogue, so a project's hundred-odd verdicts take little room in the store.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Scored {
    code: String,
    process: String,
    is_process: bool,
    reactive: bool,
    outcome: Outcome,
}

impl From<Scored> for String {
    fn from(s: Scored) -> String {
        let o = match s.outcome {
            Outcome::Disclosed => 'd',
            Outcome::Partial => 'p',
            _ => 'm',
        };
        format!("{}|{}|{o}", s.code, s.process)
    }
}

impl TryFrom<String> for Scored {
    type Error = String;

    fn try_from(text: String) -> Result<Scored, String> {
        // A code has no `|`, nor an outcome; a process id might.
        let Some((code, rest)) = text.split_once('|') else {
            return Err(format!("not code|process|outcome: {text}"));
        };
        let Some((process, o)) = rest.rsplit_once('|') else {
            return Err(format!("not code|process|outcome: {text}"));
        };
        let element = crate::ids::catalogue()
            .iter()
            .find(|e| e.code == code)
            .ok_or_else(|| format!("no element {code}"))?;
        let outcome = match o {
            "d" => Outcome::Disclosed,
            "p" => Outcome::Partial,
            "m" => Outcome::Missing,
            other => return Err(format!("no outcome {other}")),
        };
        Ok(Scored {
            code: code.to_string(),
            process: process.to_string(),
            is_process: element.level == Level::Process,
            reactive: element.disclosure == Disclosure::Reactive,
            outcome,
        })
    }
}

impl Scored {
    /// The verdict as the scores see it; `None` when it is not due (not applicable, not yet
    /// applicable), which no score counts.
    pub fn of(v: &Verdict) -> Option<Scored> {
        v.outcome.is_due().then(|| Scored {
            code: v.code.to_string(),
            process: v.process.clone().unwrap_or_default(),
            is_process: v.level == Level::Process,
            reactive: v.disclosure == Disclosure::Reactive,
            outcome: v.outcome,
        })
    }

    /// The element code.
    pub fn code(&self) -> &str {
        &self.code
    }
}

impl Input {
    /// Adds one verdict; those not due (not applicable, not yet applicable) are left out.
    pub fn push(&mut self, project: &str, entity: &str, v: &Verdict, weight: f64) {
        if let Some(s) = Scored::of(v) {
            self.push_scored(project, entity, &s, weight);
        }
    }

    /// Adds one due verdict as [`Scored`] keeps it.
    pub fn push_scored(&mut self, project: &str, entity: &str, s: &Scored, weight: f64) {
        let ids = (
            self.names.projects.id(project),
            self.names.entities.id(entity),
        );
        self.push_row(ids, s, weight);
    }

    /// Adds a project's due verdicts, each weighted by its element's `weight`; the project
    /// and its entity are looked up once, not once per verdict.
    pub fn push_project(
        &mut self,
        project: &str,
        entity: &str,
        scored: &[Scored],
        weight: impl Fn(&str) -> f64,
    ) {
        let ids = (
            self.names.projects.id(project),
            self.names.entities.id(entity),
        );
        for s in scored {
            self.push_row(ids, s, weight(&s.code));
        }
    }

    fn push_row(&mut self, (project, entity): (u32, u32), s: &Scored, weight: f64) {
        let n = &mut self.names;
        self.project.push(project);
        self.entity.push(entity);
        self.code.push(n.codes.id(&s.code));
        self.process.push(n.processes.id(&s.process));
        self.is_process.push(s.is_process);
        self.reactive.push(s.reactive);
        self.strict.push(s.outcome == Outcome::Disclosed);
        self.lenient
            .push(matches!(s.outcome, Outcome::Disclosed | Outcome::Partial));
        self.weight.push(weight);
    }

    /// The rows as a frame of indices, and the names they stand for. Only the lists of names
    /// are kept: their lookup maps hold a second copy of every project and process name, and
    /// the score stage is where a run's memory peaks.
    fn frame(self) -> PolarsResult<(DataFrame, Named)> {
        let names = Named {
            projects: self.names.projects.list,
            entities: self.names.entities.list,
            codes: self.names.codes.list,
            processes: self.names.processes.list,
        };
        let df = df!(
            "project" => self.project,
            "entity" => self.entity,
            "code" => self.code,
            "process" => self.process,
            "is_process" => self.is_process,
            "reactive" => self.reactive,
            "strict" => self.strict,
            "lenient" => self.lenient,
            "weight" => self.weight,
        )?;
        Ok((df, names))
    }
}

/// The names behind the frame's index columns, while rows are added.
#[derive(Default)]
struct Tables {
    projects: Names,
    entities: Names,
    codes: Names,
    processes: Names,
}

/// Each name once, numbered in the order first seen.
#[derive(Default)]
struct Names {
    list: Vec<String>,
    index: HashMap<String, u32>,
}

impl Names {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.list.len() as u32;
        self.list.push(name.to_string());
        self.index.insert(name.to_string(), i);
        i
    }
}

/// The names behind the frame's index columns, once the frame is made: each list indexed by
/// the ids the rows hold.
struct Named {
    projects: Vec<String>,
    entities: Vec<String>,
    codes: Vec<String>,
    processes: Vec<String>,
}

/// The name an id stands for.
fn name(list: &[String], id: u32) -> &str {
    list.get(id as usize).map_or("", String::as_str)
}

/// A project's score.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProjectScore {
    /// Project id.
    pub project: String,
    /// Entity key.
    pub entity: String,
    /// Strict proactive score, 0–100 (the headline).
    pub score: f64,
    /// Lenient proactive score (partial counts as disclosed), 0–100.
    pub lenient: f64,
    /// Proactive elements due.
    pub applicable: u32,
    /// Strict reactive score; `None` when no reactive element is due.
    pub reactive: Option<f64>,
    /// Strict score over proactive project-level elements.
    pub project_level: Option<f64>,
    /// Strict score over proactive process-level (contract) elements.
    pub contract_level: Option<f64>,
}

/// A contracting process's score.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProcessScore {
    /// Project id.
    pub project: String,
    /// Process id (ocid).
    pub process: String,
    /// Strict proactive score, 0–100.
    pub score: f64,
    /// Proactive process-level elements due.
    pub applicable: u32,
    /// Strict reactive score; `None` when no reactive element is due.
    pub reactive: Option<f64>,
}

/// An entity's score.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EntityScore {
    /// Entity key.
    pub entity: String,
    /// Mean project score.
    pub score: f64,
    /// Mean lenient project score.
    pub lenient: f64,
    /// Rank, 1 = best; ties share a rank.
    pub rank: u32,
    /// Projects attributed.
    pub projects: u32,
    /// Contracting processes in those projects.
    pub processes: u32,
    /// Mean reactive score of the projects that have one.
    pub reactive: Option<f64>,
    /// Mean project-level figure.
    pub project_level: Option<f64>,
    /// Mean contract-level figure.
    pub contract_level: Option<f64>,
    /// Mean score of the sampled projects (index-style sample mode only).
    pub sample_score: Option<f64>,
}

/// Share of an entity's applicable units that disclose an element.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ElementShare {
    /// Entity key.
    pub entity: String,
    /// Element code.
    pub code: String,
    /// Disclosed ÷ applicable, 0–1.
    pub share: f64,
    /// Units that disclose it.
    pub disclosed: u32,
    /// Units that disclose part of it.
    pub partial: u32,
    /// Units where it is due.
    pub applicable: u32,
}

/// Every score of a run.
#[derive(Debug, Clone, Default)]
pub struct Scores {
    /// By project, in project order.
    pub projects: Vec<ProjectScore>,
    /// By process, in project then process order.
    pub processes: Vec<ProcessScore>,
    /// By entity, best first.
    pub entities: Vec<EntityScore>,
    /// By entity then element code.
    pub elements: Vec<ElementShare>,
}

/// (strict, lenient, elements due) for each key (the values of the grouping columns).
type Figures = HashMap<Vec<u32>, (f64, f64, u32)>;

/// Weighted figure per `keys` group of per-element rows `s`, `l`, `w`.
fn figure(rows: LazyFrame, keys: &[&str]) -> PolarsResult<Figures> {
    let by: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
    let df = rows
        .group_by(by)
        .agg([
            ((col("s") * col("w")).sum() / col("w").sum() * lit(100.0)).alias("score"),
            ((col("l") * col("w")).sum() / col("w").sum() * lit(100.0)).alias("lenient"),
            col("s").count().alias("applicable"),
        ])
        .collect()?;
    let key_cols: Vec<Vec<u32>> = keys
        .iter()
        .map(|k| ids(&df, k))
        .collect::<PolarsResult<_>>()?;
    let (s, l, a) = (
        floats(&df, "score")?,
        floats(&df, "lenient")?,
        counts(&df, "applicable")?,
    );
    Ok((0..s.len())
        .map(|i| {
            let key = key_cols.iter().map(|c| c[i]).collect();
            (key, (round2(s[i]), round2(l[i]), a[i]))
        })
        .collect())
}

/// A verdict's strict figure, 1 when disclosed, else 0.
fn strict() -> Expr {
    col("strict").cast(DataType::Float64)
}

/// A verdict's lenient figure, 1 when disclosed or partial, else 0.
fn lenient() -> Expr {
    col("lenient").cast(DataType::Float64)
}

/// Computes every score. `process_counts` gives each project's number of processes; `sample`
/// the index-style sample, when one was drawn.
pub fn compute(
    input: Input,
    process_counts: &[(String, String, u32)],
    sample: Option<&Sample>,
) -> PolarsResult<Scores> {
    let (frame, names) = input.frame()?;
    let verdicts = frame.lazy();

    // Per project and element: s = mean over units (one unit for project-level elements).
    let per_element = verdicts
        .clone()
        .group_by([
            col("project"),
            col("entity"),
            col("code"),
            col("reactive"),
            col("is_process"),
        ])
        .agg([
            strict().mean().alias("s"),
            lenient().mean().alias("l"),
            col("weight").first().alias("w"),
        ]);
    let proactive = per_element.clone().filter(col("reactive").not());
    let headline = figure(proactive.clone(), &["project"])?;
    let reactive = figure(per_element.filter(col("reactive")), &["project"])?;
    let project_level = figure(
        proactive.clone().filter(col("is_process").not()),
        &["project"],
    )?;
    let contract_level = figure(proactive.filter(col("is_process")), &["project"])?;

    let mut entity_of: Vec<(String, String, u32)> = verdicts
        .clone()
        .select([col("project"), col("entity")])
        .unique(None, UniqueKeepStrategy::First)
        .collect()
        .and_then(|df| {
            Ok(ids(&df, "project")?
                .into_iter()
                .zip(ids(&df, "entity")?)
                .map(|(p, e)| {
                    (
                        name(&names.projects, p).to_string(),
                        name(&names.entities, e).to_string(),
                        p,
                    )
                })
                .collect())
        })?;
    entity_of.sort();
    let project_rows: Vec<ProjectScore> = entity_of
        .into_iter()
        .filter_map(|(project, entity, id)| {
            let key = std::slice::from_ref(&id);
            let (score, lenient, applicable) = *headline.get(key)?;
            let strict = |f: &Figures| f.get(key).map(|x| x.0);
            Some(ProjectScore {
                reactive: strict(&reactive),
                project_level: strict(&project_level),
                contract_level: strict(&contract_level),
                project,
                entity,
                score,
                lenient,
                applicable,
            })
        })
        .collect();

    // Processes: the same rule over process-level rows, weighted per verdict.
    let per_process = verdicts.clone().filter(col("is_process")).select([
        col("project"),
        col("process"),
        col("reactive"),
        strict().alias("s"),
        lenient().alias("l"),
        col("weight").alias("w"),
    ]);
    let process_proactive = figure(
        per_process.clone().filter(col("reactive").not()),
        &["project", "process"],
    )?;
    let process_reactive = figure(per_process.filter(col("reactive")), &["project", "process"])?;
    let mut processes: Vec<ProcessScore> = process_proactive
        .iter()
        .map(|(key, (score, _, applicable))| ProcessScore {
            project: name(&names.projects, key[0]).to_string(),
            process: name(&names.processes, key[1]).to_string(),
            score: *score,
            applicable: *applicable,
            reactive: process_reactive.get(key).map(|x| x.0),
        })
        .collect();
    processes.sort_by(|a, b| (&a.project, &a.process).cmp(&(&b.project, &b.process)));

    let shares = verdicts
        .group_by([col("entity"), col("code")])
        .agg([
            strict().sum().alias("disclosed"),
            (lenient() - strict()).sum().alias("partial"),
            col("strict").count().alias("applicable"),
        ])
        .collect()?;

    // Entities: mean of project figures (missing figures are left out of their mean).
    // A map, not a search per project: at a hundred thousand projects the search alone took
    // most of the stage.
    let processes_of: HashMap<&str, u32> = process_counts
        .iter()
        .map(|(project, _, n)| (project.as_str(), *n))
        .collect();
    let col_of = |f: fn(&ProjectScore) -> Option<f64>| -> Vec<Option<f64>> {
        project_rows.iter().map(f).collect()
    };
    let entity_frame = df!(
        "entity" => project_rows.iter().map(|p| p.entity.clone()).collect::<Vec<_>>(),
        "score" => col_of(|p| Some(p.score)),
        "lenient" => col_of(|p| Some(p.lenient)),
        "reactive" => col_of(|p| p.reactive),
        "project_level" => col_of(|p| p.project_level),
        "contract_level" => col_of(|p| p.contract_level),
        "sampled" => project_rows
            .iter()
            .map(|p| sample
                .filter(|s| s.contains(&p.entity, &p.project))
                .map(|_| p.score))
            .collect::<Vec<_>>(),
        "processes" => project_rows
            .iter()
            .map(|p| processes_of.get(p.project.as_str()).copied().unwrap_or(0))
            .collect::<Vec<_>>(),
    )?;
    let entities = entity_frame
        .lazy()
        .group_by([col("entity")])
        .agg([
            col("score").mean().alias("score"),
            col("lenient").mean().alias("lenient"),
            col("reactive").mean().alias("reactive"),
            col("project_level").mean().alias("project_level"),
            col("contract_level").mean().alias("contract_level"),
            col("sampled").mean().alias("sample_score"),
            col("score").count().alias("projects"),
            col("processes").sum().alias("processes"),
        ])
        .sort(["entity"], Default::default())
        .collect()?;

    Ok(Scores {
        projects: project_rows,
        processes,
        entities: rank(read_entities(&entities)?),
        elements: read_shares(&shares, &names)?,
    })
}

/// One project's figures, by the same rule as [`compute`], for its sheet (written while
/// projects stream, before the run's frame exists).
pub fn project_figures(verdicts: &[Verdict], weight: impl Fn(&str) -> f64) -> ProjectScore {
    let mut per_element: HashMap<&str, (f64, f64, u32, bool, bool)> = HashMap::new();
    for v in verdicts.iter().filter(|v| v.outcome.is_due()) {
        let e = per_element.entry(v.code).or_insert((
            0.0,
            0.0,
            0,
            v.disclosure == Disclosure::Reactive,
            v.level == Level::Process,
        ));
        e.0 += f64::from(u8::from(v.outcome == Outcome::Disclosed));
        e.1 += f64::from(u8::from(v.outcome != Outcome::Missing));
        e.2 += 1;
    }
    let figure = |keep: &dyn Fn(bool, bool) -> bool| -> Option<(f64, f64, u32)> {
        let (mut s, mut l, mut w, mut n) = (0.0, 0.0, 0.0, 0);
        for (code, (d, dl, k, reactive, process)) in &per_element {
            if !keep(*reactive, *process) {
                continue;
            }
            let wt = weight(code);
            s += wt * d / f64::from(*k);
            l += wt * dl / f64::from(*k);
            w += wt;
            n += 1;
        }
        (n > 0).then(|| {
            if w > 0.0 {
                (round2(100.0 * s / w), round2(100.0 * l / w), n)
            } else {
                (0.0, 0.0, n)
            }
        })
    };
    let (score, lenient, applicable) = figure(&|r, _| !r).unwrap_or((0.0, 0.0, 0));
    ProjectScore {
        project: String::new(),
        entity: String::new(),
        score,
        lenient,
        applicable,
        reactive: figure(&|r, _| r).map(|f| f.0),
        project_level: figure(&|r, p| !r && !p).map(|f| f.0),
        contract_level: figure(&|r, p| !r && p).map(|f| f.0),
    }
}

fn strs(df: &DataFrame, name: &str) -> PolarsResult<Vec<String>> {
    let ca = df.column(name)?.str()?;
    Ok((0..ca.len())
        .map(|i| ca.get(i).unwrap_or_default().to_string())
        .collect())
}

/// An index column (as [`Input`] writes them).
fn ids(df: &DataFrame, name: &str) -> PolarsResult<Vec<u32>> {
    let ca = df.column(name)?.u32()?;
    Ok((0..ca.len()).map(|i| ca.get(i).unwrap_or(0)).collect())
}

fn floats(df: &DataFrame, name: &str) -> PolarsResult<Vec<f64>> {
    let c = df.column(name)?.cast(&DataType::Float64)?;
    let ca = c.f64()?;
    Ok((0..ca.len()).map(|i| ca.get(i).unwrap_or(0.0)).collect())
}

fn counts(df: &DataFrame, name: &str) -> PolarsResult<Vec<u32>> {
    let c = df.column(name)?.cast(&DataType::UInt32)?;
    let ca = c.u32()?;
    Ok((0..ca.len()).map(|i| ca.get(i).unwrap_or(0)).collect())
}

fn read_entities(df: &DataFrame) -> PolarsResult<Vec<EntityScore>> {
    let (e, s, l, p, c) = (
        strs(df, "entity")?,
        floats(df, "score")?,
        floats(df, "lenient")?,
        counts(df, "projects")?,
        counts(df, "processes")?,
    );
    let (r, pl, cl, ss) = (
        optional(df, "reactive")?,
        optional(df, "project_level")?,
        optional(df, "contract_level")?,
        optional(df, "sample_score")?,
    );
    Ok((0..e.len())
        .map(|i| EntityScore {
            entity: e[i].clone(),
            score: round2(s[i]),
            lenient: round2(l[i]),
            rank: 0,
            projects: p[i],
            processes: c[i],
            reactive: r[i].map(round2),
            project_level: pl[i].map(round2),
            contract_level: cl[i].map(round2),
            sample_score: ss[i].map(round2),
        })
        .collect())
}

fn optional(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<f64>>> {
    let c = df.column(name)?.cast(&DataType::Float64)?;
    let ca = c.f64()?;
    Ok((0..ca.len()).map(|i| ca.get(i)).collect())
}

fn read_shares(df: &DataFrame, names: &Named) -> PolarsResult<Vec<ElementShare>> {
    let (e, c, d, a) = (
        ids(df, "entity")?,
        ids(df, "code")?,
        counts(df, "disclosed")?,
        counts(df, "applicable")?,
    );
    let p = counts(df, "partial")?;
    let mut shares: Vec<ElementShare> = (0..e.len())
        .map(|i| ElementShare {
            entity: name(&names.entities, e[i]).to_string(),
            code: name(&names.codes, c[i]).to_string(),
            share: if a[i] == 0 {
                0.0
            } else {
                crate::util::round_to(f64::from(d[i]) / f64::from(a[i]), 4)
            },
            disclosed: d[i],
            partial: p[i],
            applicable: a[i],
        })
        .collect();
    shares.sort_by(|x, y| (&x.entity, &x.code).cmp(&(&y.entity, &y.code)));
    Ok(shares)
}

/// Orders best first (ties by key) and gives tied scores the same rank.
fn rank(mut entities: Vec<EntityScore>) -> Vec<EntityScore> {
    entities.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.entity.cmp(&b.entity))
    });
    let mut prev: Option<(f64, u32)> = None;
    for (i, e) in entities.iter_mut().enumerate() {
        e.rank = match prev {
            Some((s, r)) if s == e.score => r,
            _ => (i + 1) as u32,
        };
        prev = Some((e.score, e.rank));
    }
    entities
}

fn round2(x: f64) -> f64 {
    crate::util::round_to(x, 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scored_verdict_keeps_what_the_scores_read_and_refuses_what_it_cannot() {
        for e in crate::ids::catalogue() {
            for outcome in [Outcome::Disclosed, Outcome::Partial, Outcome::Missing] {
                let process = (e.level == Level::Process).then_some("ocds-1|x");
                let v = Verdict {
                    code: e.code.as_str(),
                    level: e.level,
                    process: process.map(str::to_string),
                    outcome,
                    path: String::new(),
                    reason: String::new(),
                    conditional: false,
                    disclosure: e.disclosure,
                    document_not_inspected: false,
                    evidence: Vec::new(),
                };
                let s = Scored::of(&v).expect("due");
                let text = serde_json::to_string(&s).expect("text");
                assert_eq!(
                    serde_json::from_str::<Scored>(&text).expect("back"),
                    s,
                    "{text}"
                );
            }
        }
        for bad in ["\"XX-9|p|d\"", "\"PJ-ID-1||z\"", "\"PJ-ID-1\""] {
            assert!(serde_json::from_str::<Scored>(bad).is_err(), "{bad}");
        }
    }

    fn verdict(code: &'static str, process: Option<&str>, outcome: Outcome) -> Verdict {
        Verdict {
            code,
            level: if process.is_some() {
                Level::Process
            } else {
                Level::Project
            },
            process: process.map(str::to_string),
            outcome,
            path: String::new(),
            reason: String::new(),
            conditional: false,
            disclosure: if code.starts_with('R') {
                Disclosure::Reactive
            } else {
                Disclosure::Proactive
            },
            document_not_inspected: false,
            evidence: Vec::new(),
        }
    }

    #[test]
    fn process_elements_average_over_processes() {
        let mut input = Input::default();
        // Project A: one project element disclosed, one process element disclosed in 1 of 2,
        // one reactive element missing; project B: nothing disclosed.
        let rows = [
            ("A", verdict("PJ-ID-4", None, Outcome::Disclosed)),
            ("A", verdict("PC-PR-9", Some("o1"), Outcome::Disclosed)),
            ("A", verdict("PC-PR-9", Some("o2"), Outcome::Partial)),
            ("A", verdict("PC-PR-4", Some("o2"), Outcome::NotApplicable)),
            (
                "A",
                verdict("PC-PR-7", Some("o2"), Outcome::NotYetApplicable),
            ),
            ("A", verdict("RPC-PR-3", Some("o1"), Outcome::Missing)),
            ("B", verdict("PJ-ID-4", None, Outcome::Missing)),
        ];
        let mut a = Vec::new();
        for (project, v) in rows {
            input.push(project, "e1", &v, 1.0);
            if project == "A" {
                a.push(v);
            }
        }
        let counts = vec![("A".into(), "e1".into(), 2), ("B".into(), "e1".into(), 0)];
        let s = compute(input, &counts, None).expect("scores");
        assert_eq!(s.projects[0].score, 75.0);
        assert_eq!(s.projects[0].lenient, 100.0);
        assert_eq!(s.projects[0].applicable, 2);
        assert_eq!(s.projects[0].reactive, Some(0.0));
        assert_eq!(s.projects[0].project_level, Some(100.0));
        assert_eq!(s.projects[0].contract_level, Some(50.0));
        assert_eq!(s.projects[1].score, 0.0);
        assert_eq!(s.projects[1].reactive, None);
        assert_eq!(s.entities[0].score, 37.5);
        assert_eq!(s.entities[0].reactive, Some(0.0));
        assert_eq!((s.entities[0].projects, s.entities[0].processes), (2, 2));
        assert_eq!(s.processes.len(), 2);
        // The sheet's figures follow the same rule.
        let sheet = project_figures(&a, |_| 1.0);
        assert_eq!(
            (sheet.score, sheet.lenient, sheet.applicable, sheet.reactive),
            (75.0, 100.0, 2, Some(0.0))
        );
        let share = s
            .elements
            .iter()
            .find(|e| e.code == "PC-PR-9")
            .expect("share");
        assert_eq!((share.disclosed, share.applicable), (1, 2));
    }

    #[test]
    fn a_mean_on_a_half_rounds_up_in_any_row_order() {
        // Project A: 13 of 16 disclosed (81.25); project B: 1 of 2 (50); entity mean 65.625.
        let mut rows: Vec<(&str, Verdict)> = Vec::new();
        for i in 0..16 {
            let outcome = if i < 13 {
                Outcome::Disclosed
            } else {
                Outcome::Missing
            };
            rows.push((
                "A",
                verdict(&crate::ids::catalogue()[i].code, None, outcome),
            ));
        }
        rows.push(("B", verdict("PJ-ID-4", None, Outcome::Disclosed)));
        rows.push(("B", verdict("PJ-ID-5", None, Outcome::Missing)));
        let counts = vec![("A".into(), "e1".into(), 0), ("B".into(), "e1".into(), 0)];
        let mut seen = Vec::new();
        for turn in 0..rows.len() {
            let mut input = Input::default();
            for k in 0..rows.len() {
                let (project, v) = &rows[(k + turn * 7) % rows.len()];
                input.push(project, "e1", v, 1.0);
            }
            let s = compute(input, &counts, None).expect("scores");
            seen.push(s.entities[0].score);
        }
        assert!(seen.iter().all(|&x| x == 65.63), "{seen:?}");
    }
}
