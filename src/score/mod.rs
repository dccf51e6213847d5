//! Scores from verdicts: each project summed up where it is judged, entities with polars.
//!
//! In: each project's due verdicts, summed up by [`summarise`] on every core as the project is
//! judged, then added to [`Input`] one project at a time. Out: project, contracting-process and entity scores and per-entity element shares.
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

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;

use crate::ids::{Disclosure, Level, Outcome, Verdict};

pub use attribute::{Attributed, attribute, project_value};
pub use ocp::{OcpTally, Presence};
pub use sample::{Sample, draw};

/// What the score stage adds up, one project at a time: each project's figures and its
/// processes' (worked out where the project is made, on every core, by [`summarise`]) and each
/// entity's element counts. At a million releases the run's verdicts were ten million rows
/// grouped four times over, the stage's time and the run's peak memory.
#[derive(Default)]
pub struct Input {
    /// The projects that have a score.
    projects: Vec<ProjectScore>,
    processes: Vec<ProcessScore>,
    /// Disclosed, partial and due units by entity, then element code.
    shares: HashMap<String, BTreeMap<String, Counts>>,
}

/// Units of one element: disclosed, partial, due.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Counts {
    disclosed: u32,
    partial: u32,
    due: u32,
}

/// A project's own figures (see [`ProjectScore`]).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Own {
    score: f64,
    lenient: f64,
    applicable: u32,
    reactive: Option<f64>,
    project_level: Option<f64>,
    contract_level: Option<f64>,
}

/// One process's figures (see [`ProcessScore`]).
#[derive(Debug, Clone, PartialEq)]
struct ProcessOwn {
    process: String,
    score: f64,
    applicable: u32,
    reactive: Option<f64>,
}

/// What the scores take from one project's due verdicts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Summary {
    /// `None` when no proactive element is due: such a project is not scored.
    figures: Option<Own>,
    /// Processes with a proactive process-level element that weighs, in the order met (the
    /// stage sorts them).
    processes: Vec<ProcessOwn>,
    /// Element codes in the order first met, with their units.
    elements: Vec<(String, Counts)>,
}

/// A project's figures from its due verdicts, each element weighted by `weight`.
///
/// For each element, s is the share of its due units that disclose it (the lenient share
/// counts partial too); a figure is 100 × (Σ s·w ÷ Σ w) over the elements it takes, and there
/// is none when they weigh nothing (only elements weighted 0, such as conditional ones left
/// out by `exclude_conditional`): as when nothing is due. Sums run in the order the elements
/// are first met, so that the same verdicts always give the same bits (and the same rounding
/// at a half).
pub fn summarise(scored: &[Scored], weight: impl Fn(&str) -> f64) -> Summary {
    struct Element<'a> {
        code: &'a str,
        reactive: bool,
        is_process: bool,
        units: Counts,
    }
    let mut elements: Vec<Element<'_>> = Vec::new();
    let mut at: HashMap<&str, usize> = HashMap::new();
    /// Σ s·w, Σ w and the number of units.
    type Sums = (f64, f64, u32);
    // Per process, in the order met: its proactive sums, then its reactive ones.
    let mut processes: Vec<(&str, [Sums; 2])> = Vec::new();
    for s in scored {
        let i = *at.entry(s.code.as_str()).or_insert_with(|| {
            elements.push(Element {
                code: &s.code,
                reactive: s.reactive,
                is_process: s.is_process,
                units: Counts::default(),
            });
            elements.len() - 1
        });
        let u = &mut elements[i].units;
        u.due += 1;
        match s.outcome {
            Outcome::Disclosed => u.disclosed += 1,
            Outcome::Partial => u.partial += 1,
            _ => {}
        }
        if s.is_process {
            let j = match processes.iter().position(|(p, _)| *p == s.process) {
                Some(j) => j,
                None => {
                    processes.push((&s.process, [(0.0, 0.0, 0); 2]));
                    processes.len() - 1
                }
            };
            let w = weight(&s.code);
            let f = &mut processes[j].1[usize::from(s.reactive)];
            f.0 += f64::from(u8::from(s.outcome == Outcome::Disclosed)) * w;
            f.1 += w;
            f.2 += 1;
        }
    }
    let figure = |keep: &dyn Fn(&Element<'_>) -> bool| -> Option<(f64, f64, u32)> {
        let (mut s, mut l, mut w, mut n) = (0.0, 0.0, 0.0, 0);
        for e in elements.iter().filter(|e| keep(e)) {
            let due = f64::from(e.units.due);
            let wt = weight(e.code);
            s += f64::from(e.units.disclosed) / due * wt;
            l += f64::from(e.units.disclosed + e.units.partial) / due * wt;
            w += wt;
            n += 1;
        }
        (w > 0.0).then(|| (ratio(s, w), ratio(l, w), n))
    };
    let figures = figure(&|e| !e.reactive).map(|(score, lenient, applicable)| Own {
        score,
        lenient,
        applicable,
        reactive: figure(&|e| e.reactive).map(|f| f.0),
        project_level: figure(&|e| !e.reactive && !e.is_process).map(|f| f.0),
        contract_level: figure(&|e| !e.reactive && e.is_process).map(|f| f.0),
    });
    let processes: Vec<ProcessOwn> = processes
        .into_iter()
        .filter(|(_, [proactive, _])| proactive.1 > 0.0)
        .map(|(process, [proactive, reactive])| ProcessOwn {
            process: process.to_string(),
            score: ratio(proactive.0, proactive.1),
            applicable: proactive.2,
            reactive: (reactive.1 > 0.0).then(|| ratio(reactive.0, reactive.1)),
        })
        .collect();
    Summary {
        figures,
        processes,
        elements: elements
            .into_iter()
            .map(|e| (e.code.to_string(), e.units))
            .collect(),
    }
}

/// 100 × `s` ÷ `w` (`w` > 0), rounded to two places.
fn ratio(s: f64, w: f64) -> f64 {
    round2(s / w * 100.0)
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
    /// Adds one project of `entity` by its [`Summary`].
    pub fn push_project(&mut self, project: &str, entity: &str, summary: &Summary) {
        let shares = match self.shares.get_mut(entity) {
            Some(shares) => shares,
            None => self.shares.entry(entity.to_string()).or_default(),
        };
        for (code, units) in &summary.elements {
            let c = match shares.get_mut(code.as_str()) {
                Some(c) => c,
                None => shares.entry(code.clone()).or_default(),
            };
            c.disclosed += units.disclosed;
            c.partial += units.partial;
            c.due += units.due;
        }
        self.processes
            .extend(summary.processes.iter().map(|p| ProcessScore {
                project: project.to_string(),
                process: p.process.clone(),
                score: p.score,
                applicable: p.applicable,
                reactive: p.reactive,
            }));
        // A project without a score is left out of the table and of its entity's mean.
        if let Some(f) = summary.figures {
            self.projects
                .push(f.score_of(project.to_string(), entity.to_string()));
        }
    }
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

/// Computes every score. `process_counts` gives each project's number of processes; `sample`
/// the index-style sample, when one was drawn.
pub fn compute(
    input: Input,
    process_counts: &[(String, String, u32)],
    sample: Option<&Sample>,
) -> PolarsResult<Scores> {
    let Input {
        mut projects,
        mut processes,
        shares,
    } = input;
    projects.sort_by(|a, b| (&a.project, &a.entity).cmp(&(&b.project, &b.entity)));
    let project_rows = projects;
    processes.sort_by(|a, b| (&a.project, &a.process).cmp(&(&b.project, &b.process)));

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
        elements: element_shares(shares),
    })
}

impl Summary {
    /// Whether the project has a score: some proactive element is due and weighs more than 0.
    pub fn is_scored(&self) -> bool {
        self.figures.is_some()
    }

    /// The project's figures as its sheet shows them: all 0 when no proactive element is due.
    pub fn own(&self) -> ProjectScore {
        match self.figures {
            Some(f) => f.score_of(String::new(), String::new()),
            None => ProjectScore {
                project: String::new(),
                entity: String::new(),
                score: 0.0,
                lenient: 0.0,
                applicable: 0,
                reactive: None,
                project_level: None,
                contract_level: None,
            },
        }
    }
}

impl Own {
    /// The figures as the project table lists them.
    fn score_of(self, project: String, entity: String) -> ProjectScore {
        ProjectScore {
            project,
            entity,
            score: self.score,
            lenient: self.lenient,
            applicable: self.applicable,
            reactive: self.reactive,
            project_level: self.project_level,
            contract_level: self.contract_level,
        }
    }
}

fn strs(df: &DataFrame, name: &str) -> PolarsResult<Vec<String>> {
    let ca = df.column(name)?.str()?;
    Ok((0..ca.len())
        .map(|i| ca.get(i).unwrap_or_default().to_string())
        .collect())
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

/// Each entity's share of due units that disclose each element, by entity then code.
fn element_shares(shares: HashMap<String, BTreeMap<String, Counts>>) -> Vec<ElementShare> {
    let mut out: Vec<ElementShare> = shares
        .into_iter()
        .flat_map(|(entity, codes)| {
            codes.into_iter().map(move |(code, c)| ElementShare {
                entity: entity.clone(),
                code,
                share: if c.due == 0 {
                    0.0
                } else {
                    crate::util::round_to(f64::from(c.disclosed) / f64::from(c.due), 4)
                },
                disclosed: c.disclosed,
                partial: c.partial,
                applicable: c.due,
            })
        })
        .collect();
    out.sort_by(|x, y| (&x.entity, &x.code).cmp(&(&y.entity, &y.code)));
    out
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

    /// The rows as the run adds them up: one project at a time (in the order each is first
    /// met), its verdicts in the order given.
    fn input_of(rows: &[(&str, Verdict)], weight: impl Fn(&str) -> f64 + Copy) -> Input {
        let mut projects: Vec<(&str, Vec<Scored>)> = Vec::new();
        for (project, v) in rows {
            let Some(s) = Scored::of(v) else { continue };
            match projects.iter_mut().find(|(p, _)| p == project) {
                Some((_, list)) => list.push(s),
                None => projects.push((project, vec![s])),
            }
        }
        let mut input = Input::default();
        for (project, scored) in &projects {
            input.push_project(project, "e1", &summarise(scored, weight));
        }
        input
    }

    #[test]
    fn process_elements_average_over_processes() {
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
        let input = input_of(&rows, |_| 1.0);
        let a: Vec<Verdict> = rows
            .into_iter()
            .filter(|(p, _)| *p == "A")
            .map(|(_, v)| v)
            .collect();
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
        let scored: Vec<Scored> = a.iter().filter_map(Scored::of).collect();
        let sheet = summarise(&scored, |_| 1.0).own();
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
            let turned: Vec<(&str, Verdict)> = (0..rows.len())
                .map(|k| rows[(k + turn * 7) % rows.len()].clone())
                .collect();
            let s = compute(input_of(&turned, |_| 1.0), &counts, None).expect("scores");
            seen.push(s.entities[0].score);
        }
        assert!(seen.iter().all(|&x| x == 65.63), "{seen:?}");
    }
}
