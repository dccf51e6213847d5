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
use crate::publish::{
    Changed, EntityInfo, Kept, ProjectFigures, ProjectSheet, Rendered, Staging, StaleMark,
    Unchanged,
};
use crate::report::{RunReport, StageSeconds};
use crate::store::{
    CompiledHead, KeptRow, KeptText, PackedTally, ProjectScoreRow, Provenance, QuarantineRow,
    Store, StoredCompiled,
};
use crate::{Error, flags, oc4ids, scope, score};

/// How many projects are gathered before a batch is worked on; bounds memory.
const BATCH: usize = 256;

/// What every project gave, for scoring and the pages.
#[derive(Default)]
pub struct Published {
    /// Each project's score summary and element units, for the score stage.
    pub input: score::Input,
    /// (project, entity, processes).
    pub process_counts: Vec<(String, String, u32)>,
    /// Entities by key, with their stale mark.
    pub entities: BTreeMap<String, EntityInfo>,
    /// OCP-notebook presence.
    pub ocp: score::OcpTally,
    /// (entity, project, value) for the index-style sample; empty when no sample is drawn.
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
    given: Given<'_>,
    report: &mut RunReport,
    seconds: &mut StageSeconds,
) -> Result<Published, Error> {
    let Given {
        stale,
        convert,
        reuse,
    } = given;
    // Converting and judging are timed where they run; everything else this stage does
    // (reading the store, recognising kept projects, writing) counts as publishing.
    let clock = Instant::now();
    let (convert_before, assess_before) = (seconds.convert, seconds.assess);
    let mut work = Work {
        config,
        store,
        staging,
        reuse,
        stale,
        convert,
        out: Published::default(),
        batch: Vec::with_capacity(BATCH),
        changed: BTreeMap::new(),
    };
    let mut claimed: HashSet<String> = HashSet::new();
    store.for_each_oc4ids_project(|project, provenance| {
        let ocids = oc4ids::ocids_of(&project);
        // Read here, parsed only if the project is made again (on every core).
        let stored = store.compiled_stored_of(&ocids)?;
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
                heads: stored.iter().map(StoredCompiled::head).collect(),
                rows: Vec::new(),
                stored,
                oc4ids: Some((project, provenance)),
            },
            report,
            seconds,
        )
    })?;
    store.for_each_project_head(config.grouping, |key, mut heads| {
        heads.retain(|h| !claimed.contains(&h.ocid));
        if heads.is_empty() {
            return Ok(());
        }
        let job = Job {
            key: key.to_string(),
            processes: heads.len() as u32,
            heads,
            // Read only if the project is made again.
            rows: Vec::new(),
            stored: Vec::new(),
            oc4ids: None,
        };
        work.push(job, report, seconds)
    })?;
    work.flush(report, seconds)?;
    // One line per reason, not one per project: a moved output folder changes them all.
    for (reason, projects) in &work.changed {
        tracing::info!(
            projects,
            reason = reason.as_str(),
            "kept projects made again: their published output changed"
        );
    }
    store.forget_projects_not_in(report.run_id)?;
    let timed = (seconds.convert - convert_before) + (seconds.assess - assess_before);
    seconds.publish += (clock.elapsed().as_secs_f64() - timed).max(0.0);
    Ok(work.out)
}

/// What the run gives every project.
pub struct Given<'a> {
    /// The ocids resting on sources that are down.
    pub stale: &'a Stale,
    /// How projects are converted.
    pub convert: &'a oc4ids::Options,
    /// Whether a kept project may be taken as it is.
    pub reuse: &'a Reuse,
}

/// What decides whether a project kept from an earlier run may be taken as it is.
pub struct Reuse {
    /// Everything every project's outputs depend on (version, settings, `as_of`), hashed.
    pub base: String,
    /// False with `--full`: every project is made again.
    pub allowed: bool,
}

/// One project as read from the store.
struct Job {
    /// Its key: the grouping key, or the OC4IDS project's id.
    key: String,
    processes: u32,
    /// Its stored processes, as the store knows them without reading them.
    heads: Vec<CompiledHead>,
    /// Its processes read and parsed: only once it is known to be made again.
    rows: Vec<CompiledProcess>,
    /// Its processes read from the store but not yet parsed (that is done on every core).
    stored: Vec<StoredCompiled>,
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

/// What one project adds to the run's scores, report and pages. Kept in the store with the
/// project's fingerprint, so that an unchanged project is counted without being made again.
#[derive(serde::Serialize, serde::Deserialize)]
struct Tally {
    processes: u32,
    entity: EntityInfo,
    scored: Vec<score::Scored>,
    /// What the scores take from `scored`: worked out on every core, never stored.
    #[serde(skip)]
    summary: score::Summary,
    flags: Vec<(String, flags::FlagState)>,
    presence: score::Presence,
    #[serde(with = "crate::util::exact_f64")]
    value: f64,
    notes: u64,
    /// The source and schema errors (in English) of a pass-through project left out of the
    /// package.
    invalid: Option<(String, String)>,
    /// Its rows in the tables, its line on the pages (which give its id, score and stage)
    /// and where its files went.
    kept: Kept,
}

/// A project judged and rendered, ready to be written and tallied.
struct Done {
    tally: Tally,
    rendered: Rendered,
    /// The tally as the store keeps it; `None` if it could not be written as JSON (the
    /// project is then made again next run).
    packed: Option<PackedTally>,
}

/// A project being made, step by step; one that `[scope]` leaves out stays out, with the
/// reason of each of its processes.
enum Making<T> {
    Project(T),
    OutOfScope(Vec<String>),
}

/// A project of a batch, in project order: made in this run, or kept as it was (key,
/// fingerprint, tally, and its entry as the published package holds it).
enum Slot {
    Made(String, String),
    Kept(String, String, Box<Tally>, Unchanged),
}

struct Work<'a> {
    config: &'a Config,
    store: &'a Store,
    staging: &'a mut Staging,
    reuse: &'a Reuse,
    stale: &'a Stale,
    convert: &'a oc4ids::Options,
    out: Published,
    batch: Vec<Job>,
    /// Kept projects made again because their published output changed, by reason.
    changed: BTreeMap<Changed, u64>,
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

    /// Works a batch through every step and writes it. Projects whose fingerprint is the one
    /// their kept tally was made from are taken from the published output; the others are
    /// made, on every core.
    fn flush(&mut self, report: &mut RunReport, seconds: &mut StageSeconds) -> Result<(), Error> {
        let jobs = std::mem::take(&mut self.batch);
        if jobs.is_empty() {
            return Ok(());
        }
        // Which projects may be taken as they are: fingerprints, then the tallies kept with
        // them (read here, parsed and checked against the published output on every core).
        let (reuse, stale) = (self.reuse, self.stale);
        let fingerprints: Vec<String> = jobs
            .par_iter()
            .map(|job| fingerprint(reuse, stale, job))
            .collect();
        let keys: Vec<String> = jobs.iter().map(kept_key).collect();
        let mut texts = Vec::with_capacity(jobs.len());
        for (key, fingerprint) in keys.iter().zip(&fingerprints) {
            texts.push(if reuse.allowed {
                self.store.kept_project(key, fingerprint)?
            } else {
                None
            });
        }
        let (staging, config) = (&*self.staging, self.config);
        let kept: Vec<Option<(Tally, Result<Unchanged, Changed>)>> = texts
            .into_par_iter()
            .zip(&keys)
            .map(|(text, key)| {
                let mut tally = read_tally(key, text?)?;
                let unchanged = staging.check(&tally.kept);
                // Summed up only for a project taken as it is: one made again is summed up
                // where it is judged.
                if unchanged.is_ok() {
                    tally.summary = score::summarise(&tally.scored, |code| weight(config, code));
                }
                Some((tally, unchanged))
            })
            .collect();

        let mut slots = Vec::with_capacity(jobs.len());
        let mut todo = Vec::new();
        let each = jobs.into_iter().zip(keys).zip(fingerprints).zip(kept);
        for (((mut job, key), fingerprint), kept) in each {
            match kept {
                Some((tally, Ok(unchanged))) => {
                    slots.push(Slot::Kept(key, fingerprint, Box::new(tally), unchanged));
                    continue;
                }
                Some((_, Err(changed))) => {
                    tracing::debug!(project = %key, reason = changed.as_str(), "published output changed; the project is made again");
                    *self.changed.entry(changed).or_default() += 1;
                }
                None => {}
            }
            self.read(&mut job)?;
            slots.push(Slot::Made(key, fingerprint));
            todo.push(job);
        }
        let mut made = self.make(todo, seconds)?;
        write_files(&*self.staging, &slots, &mut made);
        let mut made = made.into_iter();

        // Write and tally, in order.
        let mut rows: Vec<(String, String, Option<PackedTally>, String)> = Vec::new();
        for slot in slots {
            let (key, fingerprint, done) = match slot {
                Slot::Made(key, fingerprint) => {
                    let Some(made) = made.next() else {
                        // `make` gives one result per job it was given.
                        continue;
                    };
                    match made? {
                        Making::Project(done) => (key, fingerprint, done),
                        Making::OutOfScope(reasons) => {
                            report.out_of_scope.add(&reasons);
                            continue;
                        }
                    }
                }
                Slot::Kept(key, fingerprint, mut tally, unchanged) => {
                    self.staging.reuse(&mut tally.kept, unchanged)?;
                    self.account(&tally, report)?;
                    report.reused_projects += 1;
                    rows.push((key, fingerprint, None, tally.kept.stamp_text()));
                    continue;
                }
            };
            let Done {
                mut tally,
                rendered,
                packed,
            } = done;
            self.staging.add(rendered, &mut tally.kept)?;
            self.account(&tally, report)?;
            rows.push((key, fingerprint, packed, tally.kept.stamp_text()));
        }
        let rows: Vec<KeptRow<'_>> = rows
            .iter()
            .map(|(key, fingerprint, tally, stamp)| KeptRow {
                key,
                fingerprint,
                tally: tally.as_ref(),
                stamp,
            })
            .collect();
        self.store.keep_projects(report.run_id, &rows)?;
        Ok(())
    }

    /// Reads a project's processes from the store, when they were not read yet; they are
    /// parsed in [`Work::make`], on every core.
    fn read(&self, job: &mut Job) -> Result<(), Error> {
        if job.rows.is_empty() && job.stored.is_empty() && !job.heads.is_empty() {
            let ocids: Vec<String> = job.heads.iter().map(|h| h.ocid.clone()).collect();
            job.stored = self.store.compiled_stored_of(&ocids)?;
        }
        Ok(())
    }

    /// Parses, converts, places and judges `jobs` (on every core), one result per job, in
    /// order. A project whose processes cannot be read back stops the run.
    fn make(
        &self,
        jobs: Vec<Job>,
        seconds: &mut StageSeconds,
    ) -> Result<Vec<Result<Making<Done>, Error>>, Error> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        // Parse, judge the scope and convert, on every core; meanwhile this thread looks up
        // in the store where each project's processes last came from (it was the longest
        // stretch with the other cores idle).
        let clock = Instant::now();
        let (opts, scope) = (self.convert, self.config.scope.as_ref());
        // Its stored processes, as `Work::read` read them.
        let ocids: Vec<Vec<String>> = jobs
            .iter()
            .map(|job| job.heads.iter().map(|h| h.ocid.clone()).collect())
            .collect();
        let mut converted = Vec::new();
        let latest = {
            let converted = &mut converted;
            rayon::in_place_scope(|s| {
                s.spawn(move |_| {
                    *converted = jobs
                        .into_par_iter()
                        .map(|job| convert(job, scope, opts))
                        .collect::<Vec<_>>();
                });
                ocids
                    .iter()
                    .map(|ocids| {
                        let ocids: Vec<&str> = ocids.iter().map(String::as_str).collect();
                        self.store.origins_of(&ocids)
                    })
                    .collect::<Vec<_>>()
            })
        };
        // Every result first, then the first error in project order (as reading them one by
        // one would have stopped at).
        let converted = converted.into_iter().collect::<Result<Vec<_>, Error>>()?;
        StageSeconds::add(&mut seconds.convert, clock);

        // The rest of where the data came from (a modification's own release): the store, on
        // this thread.
        let clock = Instant::now();
        let mut placed = Vec::with_capacity(converted.len());
        for (making, latest) in converted.into_iter().zip(latest) {
            let (job, converted) = match making {
                Making::Project(p) => p,
                Making::OutOfScope(reasons) => {
                    placed.push(Making::OutOfScope(reasons));
                    continue;
                }
            };
            let provenance = job.oc4ids.as_ref().map(|(_, p)| p);
            let origins =
                Origins::with_latest(self.store, &converted.project, latest?, provenance)?;
            let ocids: Vec<&str> = job.rows.iter().map(|r| r.ocid.as_str()).collect();
            let stale = self.stale.of(&ocids, provenance);
            placed.push(Making::Project(Placed {
                job,
                converted,
                origins,
                stale,
            }));
        }

        // Judge and render, on every core.
        let config = self.config;
        let staging = &*self.staging;
        let done: Vec<Result<Making<Done>, Error>> = placed
            .into_par_iter()
            .map(|p| match p {
                Making::Project(p) => assess_and_render(config, staging, p).map(Making::Project),
                Making::OutOfScope(reasons) => Ok(Making::OutOfScope(reasons)),
            })
            .collect();
        StageSeconds::add(&mut seconds.assess, clock);
        Ok(done)
    }

    /// Adds a project's figures to the run: scores, counts, entities, history, quarantine.
    fn account(&mut self, t: &Tally, report: &mut RunReport) -> Result<(), Error> {
        let line = t.kept.line();
        if let Some((source, detail)) = &t.invalid {
            tracing::warn!(project = %line.id, source = %source, "project left out of the package: schema errors");
            let row = QuarantineRow {
                source_id: source.clone(),
                location: line.id.clone(),
                line: None,
                byte_offset: None,
                reason: "invalid_project".into(),
                detail: detail.clone(),
            };
            self.store.quarantine(report.run_id, &row)?;
            report.quarantined.push(row);
        }
        let out = &mut self.out;
        for (code, state) in &t.flags {
            report.flags.count(code, *state);
        }
        out.input
            .push_project(&line.id, &t.entity.entity, &t.summary);
        out.ocp.add_presence(&t.entity.entity, &t.presence);
        // Only the index-style sample reads them.
        if self.config.scoring.sample_seed.is_some() {
            out.values
                .push((t.entity.entity.clone(), line.id.clone(), t.value));
        }
        out.process_counts
            .push((line.id.clone(), t.entity.entity.clone(), t.processes));
        report.processes += u64::from(t.processes);
        report.conversion_notes += t.notes;
        out.history.push(ProjectScoreRow {
            project: line.id.clone(),
            entity: t.entity.entity.clone(),
            score: line.score,
            stage: line.stage.code().to_string(),
        });
        // An entity is stale when any of its projects rests on a source that is down.
        let e = out
            .entities
            .entry(t.entity.entity.clone())
            .or_insert_with(|| t.entity.clone());
        if e.stale.is_none() {
            e.stale = t.entity.stale.clone();
        }
        Ok(())
    }
}

/// Everything a project's outputs are made from besides the run-wide `reuse.base` (which it
/// includes): its key, each process with the run that compiled it, an OC4IDS project's text
/// and origin, and whether it rests on a source that is down.
fn fingerprint(reuse: &Reuse, stale: &Stale, job: &Job) -> String {
    use std::fmt::Write as _;
    let mut text = format!("{}\n{}\n{}", reuse.base, job.key, job.processes);
    for h in &job.heads {
        let _ = write!(text, "\n{}:{}:{}", h.ocid, h.releases, h.run);
    }
    let provenance = job.oc4ids.as_ref().map(|(_, p)| p);
    if let Some((project, p)) = &job.oc4ids {
        let _ = write!(
            text,
            "\n{}\n{}\n{}\n{}",
            serde_json::to_string(project).unwrap_or_default(),
            p.source,
            p.location,
            p.fetched_at
        );
    }
    let ocids: Vec<&str> = job.heads.iter().map(|h| h.ocid.as_str()).collect();
    let _ = write!(text, "\n{:?}", stale.of(&ocids, provenance));
    crate::util::sha256_hex(text.as_bytes())
}

/// A kept tally with its files' stamp; `None` for one an older version wrote, or one that does
/// not read (the project is made again).
fn read_tally(key: &str, kept: KeptText) -> Option<Tally> {
    let text = match kept.tally.text() {
        Ok(text) => text,
        Err(reason) => {
            // Damage in the store, not an older version: said, and the project made again.
            tracing::warn!(project = %key, %reason, "a kept project's tally is unreadable; the project is made again");
            return None;
        }
    };
    match serde_json::from_str::<Tally>(&text) {
        Ok(mut t) => {
            t.kept = t.kept.with_stamp_text(&kept.stamp);
            Some(t)
        }
        Err(e) => {
            // Written by an older version as a rule: not worth more than a debug line.
            tracing::debug!(project = %key, error = %e, "kept tally not read; the project is made again");
            None
        }
    }
}

/// What a project is kept under in the store: OC4IDS projects and grouped ones apart.
fn kept_key(job: &Job) -> String {
    match &job.oc4ids {
        // Two sources may publish the same project id: each is kept on its own.
        Some((_, provenance)) => format!("oc4ids:{}:{}", provenance.source, job.key),
        None => format!("ocds:{}", job.key),
    }
}

/// Parses a project's processes, judges whether `[scope]` keeps it, and converts it.
fn convert(
    mut job: Job,
    scope: Option<&crate::config::ScopeSettings>,
    opts: &oc4ids::Options,
) -> Result<Making<(Job, oc4ids::Converted)>, Error> {
    if !job.stored.is_empty() {
        job.rows = std::mem::take(&mut job.stored)
            .into_iter()
            .map(StoredCompiled::open)
            .collect::<Result<_, _>>()?;
    }
    // OC4IDS projects are infrastructure by what they are; grouped processes are judged by
    // `[scope]` (a kept project was in scope when it was made, and nothing it is made from
    // has changed since).
    if job.oc4ids.is_none()
        && let scope::Judged::Out(reasons) = scope::judge(scope, &job.rows)
    {
        tracing::debug!(
            project = job.key,
            ?reasons,
            "not infrastructure by [scope]; left out"
        );
        return Ok(Making::OutOfScope(reasons));
    }
    let converted = match job.oc4ids.as_mut() {
        // An OC4IDS project, completed from the processes it names when stored.
        Some((project, _)) => {
            let from_ocds =
                (!job.rows.is_empty()).then(|| oc4ids::convert(&job.key, &job.rows, opts));
            oc4ids::enrich(std::mem::take(project), from_ocds.as_ref())
        }
        None => oc4ids::convert(&job.key, &job.rows, opts),
    };
    Ok(Making::Project((job, oc4ids::publishable(converted))))
}

/// Writes the files of a batch's made projects on every core, when no two projects of the
/// batch have a file of the same name: then the order they are written in cannot matter.
/// Otherwise (one project id published by two sources) [`Staging::add`] writes them in
/// project order, so that the later one wins as it always has. A failed write stays with
/// its project and stops the run when that project's turn comes.
fn write_files(staging: &Staging, slots: &[Slot], made: &mut [Result<Making<Done>, Error>]) {
    // Compared without case: on a file system that ignores it, `A` and `a` are one file.
    let mut names: HashSet<String> = HashSet::new();
    let kept = slots.iter().filter_map(|slot| match slot {
        Slot::Kept(_, _, tally, _) => Some(&tally.kept),
        Slot::Made(..) => None,
    });
    let fresh = made.iter().filter_map(|m| match m {
        Ok(Making::Project(done)) => Some(&done.tally.kept),
        _ => None,
    });
    for k in kept.chain(fresh) {
        if !k
            .file_names()
            .into_iter()
            .all(|name| names.insert(name.to_lowercase()))
        {
            return;
        }
    }
    made.par_iter_mut().for_each(|m| {
        let written = match m {
            Ok(Making::Project(done)) => staging.write_files(&mut done.rendered, &done.tally.kept),
            _ => Ok(()),
        };
        if let Err(e) = written {
            *m = Err(e.into());
        }
    });
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
    let scored: Vec<score::Scored> = verdicts.iter().filter_map(score::Scored::of).collect();
    let summary = score::summarise(&scored, |code| weight(config, code));
    let figures = figures(&summary, &verdicts, presence.figure());
    let provenance = job.oc4ids.as_ref().map(|(_, p)| p);
    let (rendered, kept) = staging.render(&ProjectSheet {
        project,
        entity: &entity,
        score: figures,
        verdicts: &verdicts,
        flags: &flags,
        notes: &converted.notes,
        errors: &converted.errors,
        provenance,
        stale: stale.as_ref(),
        progress,
    })?;
    let invalid = (!converted.errors.is_empty()).then(|| {
        // A converted project rests on several sources' releases: none is named.
        let source = provenance.map_or_else(|| "-".to_string(), |p| p.source.clone());
        let detail = converted
            .errors
            .iter()
            .map(|e| e.describe(crate::config::Lang::En))
            .collect::<Vec<_>>()
            .join("; ");
        (source, detail)
    });
    let tally = Tally {
        processes: job.processes,
        flags: flags
            .iter()
            .map(|f| (f.code.to_string(), f.state))
            .collect(),
        scored,
        summary,
        presence,
        value: score::project_value(project),
        notes: converted.notes.len() as u64,
        invalid,
        entity,
        kept,
    };
    // Deflated here, on every core: the thread writing the store only writes.
    let packed = serde_json::to_string(&tally)
        .ok()
        .map(|text| PackedTally::of(&text));
    Ok(Done {
        tally,
        rendered,
        packed,
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

/// The project's own figures (those the tables take) plus the verdict counts.
fn figures(summary: &score::Summary, verdicts: &[Verdict], ocp_presence: f64) -> ProjectFigures {
    let own = summary.own();
    let given = |x: f64| summary.is_scored().then_some(x);
    let count = |o: Outcome| verdicts.iter().filter(|v| v.outcome == o).count() as u32;
    ProjectFigures {
        score: given(own.score),
        lenient_score: given(own.lenient),
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
