//! Every project through convert → assess → render → write, a batch at a time.
//!
//! One project's work never depends on another's, so converting, judging and rendering a batch
//! is spread over the cores. What touches the store (the origins of the data) and the output
//! (files, tables, tallies) happens on one thread, in project order: the outputs are the same
//! whatever the number of threads.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use rayon::prelude::*;
use serde_json::Value;

use crate::config::Config;
use crate::evidence::Origins;
use crate::ids::{self, Outcome, Verdict};
use crate::ocds::CompiledProcess;
use crate::publish::sheet;
use crate::publish::{EntityInfo, ProjectFigures, ProjectSheet, Rendered, Staging, StaleMark};
use crate::report::{RunReport, StageSeconds};
use crate::store::{ProjectScoreRow, Provenance, QuarantineRow, Store};
use crate::{Error, flags, oc4ids, scope, score};

/// How many projects are gathered before a batch is worked on; bounds memory.
const BATCH: usize = 256;

/// What every project gave, for scoring and the pages.
#[derive(Default)]
pub struct Published {
    /// Verdicts due, for the score frames.
    pub input: score::Input,
    /// (project, entity, processes).
    pub process_counts: Vec<(String, String, u32)>,
    /// Entities by key, with their stale mark.
    pub entities: BTreeMap<String, EntityInfo>,
    /// OCP-notebook presence.
    pub ocp: score::OcpTally,
    /// (entity, project, value) for the index-style sample.
    pub values: Vec<(String, String, f64)>,
    /// Each project's score and stage, for the history.
    pub history: Vec<ProjectScoreRow>,
}

/// Converts, assesses and writes every stored project: first those from OC4IDS sources (they
/// claim the processes they name), then those grouped from compiled releases.
pub fn publish_all(
    config: &Config,
    store: &Store,
    staging: &mut Staging,
    stale: &Stale,
    convert: &oc4ids::Options,
    report: &mut RunReport,
    seconds: &mut StageSeconds,
) -> Result<Published, Error> {
    let mut work = Work {
        config,
        store,
        staging,
        stale,
        convert,
        out: Published::default(),
        batch: Vec::with_capacity(BATCH),
    };
    let mut claimed: HashSet<String> = HashSet::new();
    store.for_each_oc4ids_project(|project, provenance| {
        let ocids = oc4ids::ocids_of(&project);
        let rows = store.compiled_of(&ocids)?;
        let key = project
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        claimed.extend(ocids.iter().cloned());
        work.push(
            Job {
                key,
                processes: ocids.len() as u32,
                rows,
                oc4ids: Some((project, provenance)),
            },
            report,
            seconds,
        )
    })?;
    store.for_each_project(config.grouping, |key, mut rows: Vec<CompiledProcess>| {
        rows.retain(|r| !claimed.contains(&r.ocid));
        if rows.is_empty() {
            return Ok(());
        }
        if let scope::Judged::Out(reasons) = scope::judge(config.scope.as_ref(), &rows) {
            tracing::debug!(
                project = key,
                ?reasons,
                "not infrastructure by [scope]; left out"
            );
            report.out_of_scope.add(&reasons);
            return Ok(());
        }
        let job = Job {
            key: key.to_string(),
            processes: rows.len() as u32,
            rows,
            oc4ids: None,
        };
        work.push(job, report, seconds)
    })?;
    work.flush(report, seconds)?;
    Ok(work.out)
}

/// One project as read from the store.
struct Job {
    key: String,
    processes: u32,
    rows: Vec<CompiledProcess>,
    /// A project from an OC4IDS source, and where it came from.
    oc4ids: Option<(Value, Provenance)>,
}

/// A project converted, with what only the store can tell about it.
struct Placed {
    job: Job,
    converted: oc4ids::Converted,
    origins: Origins,
    stale: Option<StaleMark>,
}

/// A project judged and rendered, ready to be written and tallied.
struct Done {
    processes: u32,
    project_id: String,
    entity: EntityInfo,
    verdicts: Vec<Verdict>,
    flags: Vec<(&'static str, flags::FlagState)>,
    presence: score::Presence,
    value: f64,
    score: f64,
    stage: String,
    notes: u64,
    /// Schema errors that kept a pass-through project out of the package, and its source.
    invalid: Option<(String, Vec<oc4ids::SchemaError>)>,
    rendered: Rendered,
}

struct Work<'a> {
    config: &'a Config,
    store: &'a Store,
    staging: &'a mut Staging,
    stale: &'a Stale,
    convert: &'a oc4ids::Options,
    out: Published,
    batch: Vec<Job>,
}

impl Work<'_> {
    fn push(
        &mut self,
        job: Job,
        report: &mut RunReport,
        seconds: &mut StageSeconds,
    ) -> Result<(), Error> {
        self.batch.push(job);
        if self.batch.len() >= BATCH {
            self.flush(report, seconds)?;
        }
        Ok(())
    }

    /// Works a batch through every step and writes it.
    fn flush(&mut self, report: &mut RunReport, seconds: &mut StageSeconds) -> Result<(), Error> {
        let jobs = std::mem::take(&mut self.batch);
        if jobs.is_empty() {
            return Ok(());
        }
        // Convert, on every core.
        let clock = Instant::now();
        let opts = self.convert;
        let converted: Vec<(Job, oc4ids::Converted)> = jobs
            .into_par_iter()
            .map(|mut job| {
                let converted = match job.oc4ids.as_mut() {
                    // An OC4IDS project, completed from the processes it names when stored.
                    Some((project, _)) => {
                        let from_ocds = (!job.rows.is_empty())
                            .then(|| oc4ids::convert(&job.key, &job.rows, opts));
                        oc4ids::enrich(std::mem::take(project), from_ocds.as_ref())
                    }
                    None => oc4ids::convert(&job.key, &job.rows, opts),
                };
                (job, oc4ids::publishable(converted))
            })
            .collect();
        StageSeconds::add(&mut seconds.convert, clock);

        // Where the data came from: the store, on this thread.
        let clock = Instant::now();
        let mut placed = Vec::with_capacity(converted.len());
        for (job, converted) in converted {
            let ocids: Vec<&str> = job.rows.iter().map(|r| r.ocid.as_str()).collect();
            let provenance = job.oc4ids.as_ref().map(|(_, p)| p);
            let origins = Origins::load(self.store, &converted.project, &ocids, provenance)?;
            let stale = self.stale.of(&ocids, provenance);
            placed.push(Placed {
                job,
                converted,
                origins,
                stale,
            });
        }

        // Judge and render, on every core.
        let config = self.config;
        let staging = &*self.staging;
        let done: Vec<Result<Done, Error>> = placed
            .into_par_iter()
            .map(|p| assess_and_render(config, staging, p))
            .collect();
        StageSeconds::add(&mut seconds.assess, clock);

        // Write and tally, in order.
        let clock = Instant::now();
        for d in done {
            self.add(d?, report)?;
        }
        StageSeconds::add(&mut seconds.publish, clock);
        Ok(())
    }

    fn add(&mut self, d: Done, report: &mut RunReport) -> Result<(), Error> {
        if let Some((source, errors)) = &d.invalid {
            let detail = errors
                .iter()
                .map(|e| e.describe(crate::config::Lang::En))
                .collect::<Vec<_>>()
                .join("; ");
            tracing::warn!(project = %d.project_id, source = %source, errors = errors.len(), "project left out of the package: schema errors");
            let row = QuarantineRow {
                source_id: source.clone(),
                location: d.project_id.clone(),
                line: None,
                byte_offset: None,
                reason: "invalid_project".into(),
                detail,
            };
            self.store.quarantine(report.run_id, &row)?;
            report.quarantined.push(row);
        }
        let out = &mut self.out;
        for (code, state) in &d.flags {
            report.flags.count(code, *state);
        }
        for v in &d.verdicts {
            out.input.push(
                &d.project_id,
                &d.entity.entity,
                v,
                weight(self.config, v.code),
            );
        }
        out.ocp.add_presence(&d.entity.entity, &d.presence);
        out.values
            .push((d.entity.entity.clone(), d.project_id.clone(), d.value));
        out.process_counts
            .push((d.project_id.clone(), d.entity.entity.clone(), d.processes));
        report.processes += u64::from(d.processes);
        report.conversion_notes += d.notes;
        out.history.push(ProjectScoreRow {
            project: d.project_id,
            entity: d.entity.entity.clone(),
            score: d.score,
            stage: d.stage,
        });
        self.staging.add(d.rendered)?;
        // An entity is stale when any of its projects rests on a source that is down.
        let e = out
            .entities
            .entry(d.entity.entity.clone())
            .or_insert_with(|| d.entity.clone());
        if e.stale.is_none() {
            e.stale = d.entity.stale;
        }
        Ok(())
    }
}

/// Judges one project (IDS verdicts, red flags, figures) and renders its files.
fn assess_and_render(config: &Config, staging: &Staging, p: Placed) -> Result<Done, Error> {
    let Placed {
        job,
        converted,
        origins,
        stale,
    } = p;
    let project = &converted.project;
    let mut verdicts = ids::assess(project);
    for v in &mut verdicts {
        v.evidence = origins.of(project, &v.path);
    }
    let mut flags = flags::assess(project, &job.rows, &config.flags);
    for f in &mut flags {
        let mut evidence = Vec::new();
        for path in &f.paths {
            for o in origins.of(project, path) {
                if !evidence.contains(&o) {
                    evidence.push(o);
                }
            }
        }
        f.evidence = evidence;
    }
    let who = score::attribute(&converted, config.entity);
    let entity = EntityInfo {
        entity: who.entity,
        name: who.name,
        stale: stale.clone(),
    };
    let presence = score::Presence::of(project);
    let progress = sheet::progress(project, &job.rows);
    let figures = figures(&verdicts, config, presence.figure());
    let provenance = job.oc4ids.as_ref().map(|(_, p)| p);
    let rendered = staging.render(&ProjectSheet {
        project,
        entity: &entity,
        score: figures,
        verdicts: &verdicts,
        flags: &flags,
        notes: &converted.notes,
        errors: &converted.errors,
        provenance,
        stale: stale.as_ref(),
        progress: progress.clone(),
    })?;
    Ok(Done {
        processes: job.processes,
        project_id: project["id"].as_str().unwrap_or("-").to_string(),
        flags: flags.iter().map(|f| (f.code, f.state)).collect(),
        verdicts,
        presence,
        value: score::project_value(project),
        score: figures.score,
        stage: progress.stage.code().to_string(),
        notes: converted.notes.len() as u64,
        invalid: (!converted.errors.is_empty()).then(|| {
            // A converted project rests on several sources' releases: none is named.
            let source = provenance.map_or_else(|| "-".to_string(), |p| p.source.clone());
            (source, converted.errors.clone())
        }),
        entity,
        rendered,
    })
}

/// The ocids that rest on sources that are down, and when each source last gave data.
pub struct Stale {
    ocids: HashMap<String, usize>,
    sources: Vec<(String, Option<String>)>,
}

impl Stale {
    /// The ocids stored from each source that is down: (source id, last good fetch).
    pub fn new(store: &Store, down: &[(String, Option<String>)]) -> Result<Stale, Error> {
        let mut ocids = HashMap::new();
        for (i, (source, _)) in down.iter().enumerate() {
            for ocid in store.ocids_from(source)? {
                ocids.entry(ocid).or_insert(i);
            }
        }
        Ok(Stale {
            ocids,
            sources: down.to_vec(),
        })
    }

    /// The stale mark of a project built from `ocids` (and maybe an OC4IDS project).
    fn of(&self, ocids: &[&str], provenance: Option<&Provenance>) -> Option<StaleMark> {
        let by_project = provenance.and_then(|p| self.sources.iter().find(|(s, _)| *s == p.source));
        let by_ocid = ocids
            .iter()
            .find_map(|o| self.ocids.get(*o))
            .and_then(|i| self.sources.get(*i));
        by_project.or(by_ocid).map(|(source, last)| StaleMark {
            source: source.clone(),
            last_good_fetch: last.clone(),
        })
    }
}

fn weight(config: &Config, code: &str) -> f64 {
    config.weights.get(code).copied().unwrap_or(1.0)
}

/// The project's own figures: `score::project_figures` plus the verdict counts.
fn figures(verdicts: &[Verdict], config: &Config, ocp_presence: f64) -> ProjectFigures {
    let own = score::project_figures(verdicts, |code| weight(config, code));
    let count = |o: Outcome| verdicts.iter().filter(|v| v.outcome == o).count() as u32;
    ProjectFigures {
        score: own.score,
        lenient_score: own.lenient,
        reactive_score: own.reactive,
        project_level_score: own.project_level,
        contract_level_score: own.contract_level,
        ocp_presence,
        disclosed: count(Outcome::Disclosed),
        partial: count(Outcome::Partial),
        missing: count(Outcome::Missing),
        not_applicable: count(Outcome::NotApplicable),
        not_yet_applicable: count(Outcome::NotYetApplicable),
    }
}
