//! Scores from verdicts, with polars.
//!
//! In: every verdict of the run (one row per element and unit), each tagged with its project and
//! entity. Out: project, contracting-process and entity scores and per-entity element shares.
//! Rules (README, "Methods"):
//! - project score = 100 × Σ w·s ÷ Σ w over the proactive elements applicable to the project,
//!   where s = 1 for a disclosed project-level element and, for a process-level element, the
//!   share of the project's applicable processes that disclose it ("partial" counts 0; the
//!   lenient figure counts it 1);
//! - process score = the same over process-level elements for one process;
//! - entity score = mean of its projects' scores, with project and process counts;
//! - element share = disclosed ÷ applicable units of the entity.

use polars::prelude::*;

use crate::ids::{Level, Outcome};

/// Rows accumulated column by column while projects are assessed.
#[derive(Default)]
pub struct Input {
    project: Vec<String>,
    entity: Vec<String>,
    code: Vec<String>,
    process: Vec<String>,
    is_process: Vec<bool>,
    strict: Vec<f64>,
    lenient: Vec<f64>,
    weight: Vec<f64>,
}

impl Input {
    /// Adds one applicable verdict (not-applicable ones are left out by the caller).
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        project: &str,
        entity: &str,
        code: &str,
        level: Level,
        process: Option<&str>,
        outcome: Outcome,
        weight: f64,
    ) {
        if !outcome.is_due() {
            return;
        }
        self.project.push(project.to_string());
        self.entity.push(entity.to_string());
        self.code.push(code.to_string());
        self.process.push(process.unwrap_or_default().to_string());
        self.is_process.push(level == Level::Process);
        self.strict
            .push(f64::from(u8::from(outcome == Outcome::Disclosed)));
        self.lenient.push(f64::from(u8::from(matches!(
            outcome,
            Outcome::Disclosed | Outcome::Partial
        ))));
        self.weight.push(weight);
    }

    fn frame(self) -> PolarsResult<DataFrame> {
        df!(
            "project" => self.project,
            "entity" => self.entity,
            "code" => self.code,
            "process" => self.process,
            "is_process" => self.is_process,
            "strict" => self.strict,
            "lenient" => self.lenient,
            "weight" => self.weight,
        )
    }
}

/// A project's score.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProjectScore {
    /// Project id.
    pub project: String,
    /// Entity key.
    pub entity: String,
    /// Strict score, 0–100.
    pub score: f64,
    /// Lenient score (partial counts as disclosed), 0–100.
    pub lenient: f64,
    /// Applicable elements.
    pub applicable: u32,
}

/// A contracting process's score.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProcessScore {
    /// Project id.
    pub project: String,
    /// Process id (ocid).
    pub process: String,
    /// Strict score, 0–100.
    pub score: f64,
    /// Applicable process-level elements.
    pub applicable: u32,
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

/// Computes every score. `process_counts` gives each project's number of processes.
pub fn compute(input: Input, process_counts: &[(String, String, u32)]) -> PolarsResult<Scores> {
    let verdicts = input.frame()?.lazy();

    // Per project and element: s = mean over units (one unit for project-level elements).
    let per_element = verdicts
        .clone()
        .group_by([col("project"), col("entity"), col("code")])
        .agg([
            col("strict").mean().alias("s"),
            col("lenient").mean().alias("l"),
            col("weight").first().alias("w"),
        ]);
    let projects = per_element
        .group_by([col("project"), col("entity")])
        .agg([
            ((col("s") * col("w")).sum() / col("w").sum() * lit(100.0)).alias("score"),
            ((col("l") * col("w")).sum() / col("w").sum() * lit(100.0)).alias("lenient"),
            col("code").count().alias("applicable"),
        ])
        .sort(["project"], Default::default())
        .collect()?;

    let processes = verdicts
        .clone()
        .filter(col("is_process"))
        .group_by([col("project"), col("process")])
        .agg([
            ((col("strict") * col("weight")).sum() / col("weight").sum() * lit(100.0))
                .alias("score"),
            col("code").count().alias("applicable"),
        ])
        .sort(["project", "process"], Default::default())
        .collect()?;

    let shares = verdicts
        .group_by([col("entity"), col("code")])
        .agg([
            col("strict").sum().alias("disclosed"),
            col("strict").count().alias("applicable"),
        ])
        .sort(["entity", "code"], Default::default())
        .collect()?;

    let project_rows = read_projects(&projects)?;

    // Entities: mean of project scores; counts of projects and processes.
    let entity_frame = df!(
        "entity" => project_rows.iter().map(|p| p.entity.clone()).collect::<Vec<_>>(),
        "score" => project_rows.iter().map(|p| p.score).collect::<Vec<_>>(),
        "lenient" => project_rows.iter().map(|p| p.lenient).collect::<Vec<_>>(),
        "processes" => project_rows
            .iter()
            .map(|p| {
                process_counts
                    .iter()
                    .find(|(proj, _, _)| *proj == p.project)
                    .map(|(_, _, n)| *n)
                    .unwrap_or(0)
            })
            .collect::<Vec<_>>(),
    )?;
    let entities = entity_frame
        .lazy()
        .group_by([col("entity")])
        .agg([
            col("score").mean().alias("score"),
            col("lenient").mean().alias("lenient"),
            col("score").count().alias("projects"),
            col("processes").sum().alias("processes"),
        ])
        .sort(["entity"], Default::default())
        .collect()?;

    Ok(Scores {
        projects: project_rows,
        processes: read_processes(&processes)?,
        entities: rank(read_entities(&entities)?),
        elements: read_shares(&shares)?,
    })
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

fn read_projects(df: &DataFrame) -> PolarsResult<Vec<ProjectScore>> {
    let (p, e, s, l, a) = (
        strs(df, "project")?,
        strs(df, "entity")?,
        floats(df, "score")?,
        floats(df, "lenient")?,
        counts(df, "applicable")?,
    );
    Ok((0..p.len())
        .map(|i| ProjectScore {
            project: p[i].clone(),
            entity: e[i].clone(),
            score: round2(s[i]),
            lenient: round2(l[i]),
            applicable: a[i],
        })
        .collect())
}

fn read_processes(df: &DataFrame) -> PolarsResult<Vec<ProcessScore>> {
    let (p, c, s, a) = (
        strs(df, "project")?,
        strs(df, "process")?,
        floats(df, "score")?,
        counts(df, "applicable")?,
    );
    Ok((0..p.len())
        .map(|i| ProcessScore {
            project: p[i].clone(),
            process: c[i].clone(),
            score: round2(s[i]),
            applicable: a[i],
        })
        .collect())
}

fn read_entities(df: &DataFrame) -> PolarsResult<Vec<EntityScore>> {
    let (e, s, l, p, c) = (
        strs(df, "entity")?,
        floats(df, "score")?,
        floats(df, "lenient")?,
        counts(df, "projects")?,
        counts(df, "processes")?,
    );
    Ok((0..e.len())
        .map(|i| EntityScore {
            entity: e[i].clone(),
            score: round2(s[i]),
            lenient: round2(l[i]),
            rank: 0,
            projects: p[i],
            processes: c[i],
        })
        .collect())
}

fn read_shares(df: &DataFrame) -> PolarsResult<Vec<ElementShare>> {
    let (e, c, d, a) = (
        strs(df, "entity")?,
        strs(df, "code")?,
        counts(df, "disclosed")?,
        counts(df, "applicable")?,
    );
    Ok((0..e.len())
        .map(|i| ElementShare {
            entity: e[i].clone(),
            code: c[i].clone(),
            share: if a[i] == 0 {
                0.0
            } else {
                crate::util::round_to(f64::from(d[i]) / f64::from(a[i]), 4)
            },
            disclosed: d[i],
            applicable: a[i],
        })
        .collect())
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
    fn process_elements_average_over_processes() {
        let mut input = Input::default();
        // Project A: one project element disclosed, one process element disclosed in 1 of 2;
        // project B: nothing disclosed.
        let rows = [
            ("A", "PJ-ID-4", Level::Project, None, Outcome::Disclosed),
            (
                "A",
                "PC-PR-9",
                Level::Process,
                Some("o1"),
                Outcome::Disclosed,
            ),
            ("A", "PC-PR-9", Level::Process, Some("o2"), Outcome::Partial),
            (
                "A",
                "PC-PR-4",
                Level::Process,
                Some("o2"),
                Outcome::NotApplicable,
            ),
            ("B", "PJ-ID-4", Level::Project, None, Outcome::Missing),
        ];
        for (project, code, level, process, outcome) in rows {
            input.push(project, "e1", code, level, process, outcome, 1.0);
        }
        let counts = vec![("A".into(), "e1".into(), 2), ("B".into(), "e1".into(), 0)];
        let s = compute(input, &counts).expect("scores");
        assert_eq!(s.projects[0].score, 75.0);
        assert_eq!(s.projects[0].lenient, 100.0);
        assert_eq!(s.projects[0].applicable, 2);
        assert_eq!(s.projects[1].score, 0.0);
        assert_eq!(s.entities[0].score, 37.5);
        assert_eq!((s.entities[0].projects, s.entities[0].processes), (2, 2));
        assert_eq!(s.processes.len(), 2);
        let share = s
            .elements
            .iter()
            .find(|e| e.code == "PC-PR-9")
            .expect("share");
        assert_eq!((share.disclosed, share.applicable), (1, 2));
    }
}
