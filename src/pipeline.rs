//! The whole run on one screen: fetch → compile → convert → assess → score → publish.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{SecondsFormat, Utc};
use serde_json::Value;

use crate::config::{Config, EntityRole};
use crate::evidence::Origins;
use crate::ids::{self, Outcome, Verdict};
use crate::ocds::{Merger, history};
use crate::publish::{
    EntityInfo, PackageMeta, ProjectFigures, ProjectSheet, ReportOptions, RunFacts, Staging,
    StaleMark, pages, sheet,
};
use crate::report::{Health, RunReport, StageSeconds, Status};
use crate::store::{CompiledRow, ProjectScoreRow, Provenance, Store};
use crate::{Error, ExitCode, flags, oc4ids, score, source};
use std::time::Instant;

/// Options given on the command line for one run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Ignore checkpoints and recompile every ocid, not only those with new data.
    pub full: bool,
    /// Progress bars, JSON page lines, or nothing.
    pub progress: source::ProgressMode,
    /// Publish a run with no project over an output that has some.
    pub allow_empty: bool,
}

/// What a finished run tells its caller.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// The report as published.
    pub report: RunReport,
}

impl RunOutcome {
    /// 0 when everything was read, 3 when something was quarantined or a source was partial
    /// or down.
    pub fn exit_code(&self) -> ExitCode {
        match self.report.status {
            Status::Ok => ExitCode::Ok,
            Status::Partial => ExitCode::Partial,
        }
    }
}

/// Runs every stage once.
pub fn run(config: &Config, opts: &RunOptions) -> Result<RunOutcome, Error> {
    let clock = std::time::Instant::now();
    let started_at = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let as_of = config.as_of.clone().unwrap_or_else(|| started_at.clone());
    let as_of_ns = crate::util::parse_instant(&as_of).unwrap_or_default();

    // Before any work: the output folder must be ours to replace.
    config.check_output()?;
    let store = Store::open(&config.store)?;
    // With the lock held, what killed runs left is ours to repair.
    crate::publish::output::recover(&config.output).map_err(|source| {
        crate::publish::Error::Io {
            path: config.output.clone(),
            source,
        }
    })?;
    let (run_id, interrupted) = store.begin_run(&started_at)?;
    if interrupted > 0 {
        tracing::warn!(interrupted, "earlier runs were killed; marked interrupted");
    }
    let mut report = RunReport::new(run_id, &config.origin, &started_at, &as_of);
    tracing::info!(run_id, config = %config.origin, "run started");

    let mut t = StageSeconds::default();
    // ── fetch ──────────────────────────────────────────────────────────────────────────
    stage_started("fetch");
    let clock_fetch = Instant::now();
    let fetch = source::FetchOptions {
        full: opts.full,
        progress: opts.progress,
    };
    source::fetch_all(&config.sources, &store, run_id, &mut report, fetch)?;
    StageSeconds::add(&mut t.fetch, clock_fetch);
    // A source that is down keeps its stored data; what rests on it is marked stale.
    let down: Vec<(String, Option<String>)> = report
        .sources
        .iter()
        .filter(|s| s.stale)
        .map(|s| (s.id.clone(), s.last_good_fetch.clone()))
        .collect();
    let stale = Stale::new(&store, &down)?;
    report.conflicts = store.conflicts_in_run(run_id)?;
    report.conflicts_total = store.conflicts_total()?;

    // ── compile (only the ocids with new data, unless --full) ─────────────────────────
    stage_started("compile");
    let clock_compile = Instant::now();
    compile(&store, run_id, opts.full, &mut report)?;
    StageSeconds::add(&mut t.compile, clock_compile);
    stage_started("convert");

    // ── convert, assess, publish each project; collect verdicts for scoring ─────────────
    let meta = PackageMeta {
        uri: config.publisher.uri.clone(),
        publisher: config.publisher.name.clone(),
        published_date: as_of.clone(),
        license: config.publisher.license.clone(),
        publication_policy: config.publisher.publication_policy.clone(),
    };
    let report_options = ReportOptions {
        lang: config.report.lang,
        thresholds: config.flags.clone(),
        as_of: as_of.clone(),
    };
    let mut staging = Staging::new(&config.output, &meta, report_options)?;
    let convert_opts = oc4ids::Options {
        id_prefix: config.id_prefix.clone(),
        as_of: as_of_ns,
        sectors: config.sectors.clone(),
    };
    let mut out = Publishing {
        config,
        staging: &mut staging,
        input: score::Input::default(),
        process_counts: Vec::new(),
        entities: BTreeMap::new(),
        stale: &stale,
        ocp: score::OcpTally::default(),
        values: Vec::new(),
        store: &store,
        history: Vec::new(),
        seconds: t,
    };
    // Projects from OC4IDS sources first: they claim the processes they name.
    let mut claimed: HashSet<String> = HashSet::new();
    store.for_each_oc4ids_project(|project, provenance| {
        let ocids = oc4ids::ocids_of(&project);
        let rows = store.compiled_of(&ocids)?;
        let key = project
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let clock = Instant::now();
        let from_ocds = (!rows.is_empty()).then(|| oc4ids::convert(&key, &rows, &convert_opts));
        let converted = oc4ids::enrich(project, from_ocds.as_ref());
        StageSeconds::add(&mut out.seconds.convert, clock);
        claimed.extend(ocids.iter().cloned());
        let processes = ocids.len() as u32;
        out.project(&converted, processes, &rows, Some(provenance), &mut report)
    })?;
    store.for_each_project(config.grouping, |key, mut rows| {
        rows.retain(|r| !claimed.contains(&r.ocid));
        if rows.is_empty() {
            return Ok(());
        }
        let clock = Instant::now();
        let converted = oc4ids::convert(key, &rows, &convert_opts);
        StageSeconds::add(&mut out.seconds.convert, clock);
        out.project(&converted, rows.len() as u32, &rows, None, &mut report)
    })?;
    let Publishing {
        input,
        process_counts,
        entities,
        ocp,
        values,
        history: project_history,
        seconds,
        ..
    } = out;
    let mut t = seconds;
    report.projects = staging.projects();
    if report.projects == 0 && !opts.allow_empty {
        let before = crate::publish::output::published_projects(&config.output);
        if before > 0 {
            return Err(Error::EmptyRun {
                output: config.output.clone(),
                before,
            });
        }
    }

    // ── score ──────────────────────────────────────────────────────────────────────────
    stage_started("score");
    let clock_score = Instant::now();
    let sample = config
        .scoring
        .sample_seed
        .map(|seed| score::draw(seed, &values));
    let scores = score::compute(input, &process_counts, sample.as_ref())
        .map_err(|e| Error::Score(e.to_string()))?;
    StageSeconds::add(&mut t.score, clock_score);
    stage_started("publish");
    let clock_publish = Instant::now();
    report.sample.clone_from(&sample);
    report.entities = scores.entities.len() as u64;
    let entity_list: Vec<EntityInfo> = entities.into_values().collect();
    report.stale_entities = entity_list.iter().filter(|e| e.stale.is_some()).count() as u64;
    staging.scores(&scores, &entity_list, &ocp)?;

    // ── history and pages ──────────────────────────────────────────────────────────────
    let name_of = |key: &str| {
        entity_list
            .iter()
            .find(|e| e.entity == key)
            .map(|e| e.name.clone())
            .unwrap_or_default()
    };
    let entity_rows: Vec<(String, String, f64, u32)> = scores
        .entities
        .iter()
        .map(|e| (e.entity.clone(), name_of(&e.entity), e.score, e.projects))
        .collect();
    store.save_scores(run_id, &entity_rows, &project_history)?;
    let history = store.entity_history(run_id)?;
    let lang = config.report.lang;
    staging.pages(RunFacts {
        scores: &scores,
        entities: &entity_list,
        expected: &config.expected_entities,
        history: &history,
        run_id,
        warnings: pages::source_warnings(&report.sources, lang),
        method: pages::method(
            lang,
            config
                .sources
                .iter()
                .map(crate::config::Source::describe)
                .collect(),
            sheet::thresholds(&config.flags, lang),
        ),
    })?;

    // ── publish ────────────────────────────────────────────────────────────────────────
    if !report.quarantined.is_empty() || report.sources.iter().any(|s| s.status != Health::Ok) {
        report.status = Status::Partial;
    }
    report.store = Some(store.totals()?);
    report.finished_at = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    report.duration_seconds = (clock.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
    // The report is written inside the publish stage; its own figure stops just before.
    StageSeconds::add(&mut t.publish, clock_publish);
    report.stage_seconds = t.rounded();
    staging.report(&report)?;
    staging.commit()?;
    if let Some(path) = &config.metrics_file {
        crate::publish::output::write_whole(
            path,
            crate::publish::metrics::text(&report).as_bytes(),
        )
        .map_err(|source| crate::publish::Error::Io {
            path: path.clone(),
            source,
        })?;
    }
    let status = match report.status {
        Status::Ok => "ok",
        Status::Partial => "partial",
    };
    let text = serde_json::to_string(&report).unwrap_or_default();
    store.finish_run(run_id, &report.finished_at, status, &text)?;
    let st = report.stage_seconds;
    tracing::info!(
        status,
        projects = report.projects,
        entities = report.entities,
        quarantined = report.quarantined.len(),
        seconds = report.duration_seconds,
        fetch = st.fetch,
        compile = st.compile,
        convert = st.convert,
        assess = st.assess,
        score = st.score,
        publish = st.publish,
        "run finished"
    );
    Ok(RunOutcome { report })
}

/// Marks the start of a stage in the log (operators and the crash tests watch for it).
fn stage_started(stage: &'static str) {
    tracing::info!(stage, "stage started");
}

/// Compiles the ocids that need it, one at a time.
fn compile(store: &Store, run_id: i64, full: bool, report: &mut RunReport) -> Result<(), Error> {
    let merger = Merger::default();
    for ocid in store.ocids_to_compile(run_id, full)? {
        let mut releases = store.releases_of(&ocid)?;
        let (compiled, hist, n) = if releases.is_empty() {
            let Some(c) = store.record_compiled_of(&ocid)? else {
                continue;
            };
            let h = history::from_compiled(&c);
            (c, h, 0)
        } else {
            Merger::sort(&mut releases);
            let (c, hist, warnings) = history::compile(&merger, &releases);
            for w in &warnings {
                tracing::debug!(ocid = %ocid, path = %w.path, "{}", w.message);
            }
            report.merge_warnings += warnings.len() as u64;
            (c, hist, releases.len() as u64)
        };
        store.save_compiled(&ocid, &compiled, &hist, n, run_id)?;
        report.compiled += 1;
    }
    store.mark_compiled(run_id)?;
    Ok(())
}

/// What is gathered while projects are published, for scoring afterwards.
struct Publishing<'a> {
    config: &'a Config,
    staging: &'a mut Staging,
    input: score::Input,
    process_counts: Vec<(String, String, u32)>,
    entities: BTreeMap<String, EntityInfo>,
    stale: &'a Stale,
    ocp: score::OcpTally,
    /// (entity, project, value) for the index-style sample.
    values: Vec<(String, String, f64)>,
    store: &'a Store,
    /// Each project's score and stage, for the history.
    history: Vec<ProjectScoreRow>,
    /// Time spent per stage so far.
    seconds: StageSeconds,
}

impl Publishing<'_> {
    /// Assesses one project, writes its sheet, and keeps its verdicts for scoring.
    fn project(
        &mut self,
        converted: &oc4ids::Converted,
        processes: u32,
        rows: &[CompiledRow],
        provenance: Option<Provenance>,
        report: &mut RunReport,
    ) -> Result<(), Error> {
        let config = self.config;
        let clock_assess = Instant::now();
        let ocids: Vec<&str> = rows.iter().map(|r| r.ocid.as_str()).collect();
        let project = &converted.project;
        let origins = Origins::load(self.store, project, &ocids, provenance.as_ref())?;
        let mut verdicts = ids::assess(project);
        for v in &mut verdicts {
            v.evidence = origins.of(project, &v.path);
        }
        let mut flags = flags::assess(project, rows, &config.flags);
        for f in &mut flags {
            let mut evidence = Vec::new();
            for p in &f.paths {
                for o in origins.of(project, p) {
                    if !evidence.contains(&o) {
                        evidence.push(o);
                    }
                }
            }
            f.evidence = evidence;
            report.flags.count(f.code, f.state);
        }
        let mut entity = attribute(converted, config.entity);
        let stale = self.stale.of(&ocids, provenance.as_ref());
        entity.stale.clone_from(&stale);
        let project_id = converted.project["id"].as_str().unwrap_or("-").to_string();
        for v in &verdicts {
            self.input
                .push(&project_id, &entity.entity, v, weight(config, v.code));
        }
        let ocp_presence = self.ocp.add(&entity.entity, &converted.project);
        self.values.push((
            entity.entity.clone(),
            project_id.clone(),
            project_value(&converted.project),
        ));
        self.process_counts
            .push((project_id.clone(), entity.entity.clone(), processes));
        report.processes += u64::from(processes);
        report.conversion_notes += converted.notes.len() as u64;
        let progress = sheet::progress(project, rows);
        let figures = figures(&verdicts, config, ocp_presence);
        StageSeconds::add(&mut self.seconds.assess, clock_assess);
        let clock_publish = Instant::now();
        self.history.push(ProjectScoreRow {
            project: project_id.clone(),
            entity: entity.entity.clone(),
            score: figures.score,
            stage: progress.stage.code().to_string(),
        });
        self.staging.project(&ProjectSheet {
            project: &converted.project,
            entity: &entity,
            score: figures,
            verdicts: &verdicts,
            flags: &flags,
            notes: &converted.notes,
            provenance: provenance.as_ref(),
            stale: stale.as_ref(),
            progress,
        })?;
        StageSeconds::add(&mut self.seconds.publish, clock_publish);
        // An entity is stale when any of its projects rests on a source that is down.
        let e = self
            .entities
            .entry(entity.entity.clone())
            .or_insert_with(|| entity.clone());
        if e.stale.is_none() {
            e.stale = stale;
        }
        Ok(())
    }
}

/// The ocids that rest on sources that are down, and when each source last gave data.
struct Stale {
    ocids: HashMap<String, usize>,
    sources: Vec<(String, Option<String>)>,
}

impl Stale {
    fn new(store: &Store, down: &[(String, Option<String>)]) -> Result<Stale, Error> {
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

/// The value the index-style sample ranks projects by: the budget, else the sum of contract
/// values (currencies are not converted; a sample is drawn within one publisher).
fn project_value(project: &Value) -> f64 {
    let amount = |v: Option<&Value>| {
        v.and_then(|v| v.get("amount"))
            .and_then(crate::util::finite)
    };
    amount(project.pointer("/budget/amount")).unwrap_or_else(|| {
        project
            .get("contractingProcesses")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| amount(c.pointer("/summary/contractValue")))
            .sum()
    })
}

/// The entity a project counts towards, by the configured role.
fn attribute(converted: &oc4ids::Converted, role: EntityRole) -> EntityInfo {
    let p = &converted.project;
    let parties = p.get("parties").and_then(Value::as_array);
    let party = |id: &str| -> Option<&Value> {
        parties?
            .iter()
            .find(|q| q.get("id").and_then(Value::as_str) == Some(id))
    };
    let most_common = |ids: Vec<String>| -> Option<String> {
        let mut counts: Vec<(String, usize)> = Vec::new();
        for id in ids {
            match counts.iter_mut().find(|(i, _)| *i == id) {
                Some((_, n)) => *n += 1,
                None => counts.push((id, 1)),
            }
        }
        // Highest count wins; on a tie the first seen (lowest ocid) wins.
        let max = counts.iter().map(|(_, n)| *n).max()?;
        counts.into_iter().find(|(_, n)| *n == max).map(|(i, _)| i)
    };
    let chosen: Option<String> = match role {
        EntityRole::PublicAuthority => p
            .pointer("/publicAuthority/id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| converted.buyers.first().cloned()),
        EntityRole::ProcuringEntity => most_common(
            p.get("contractingProcesses")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|c| c.pointer("/summary/tender/procuringEntity/id"))
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
        ),
        EntityRole::Buyer => most_common(converted.buyers.clone()),
    };
    let Some(org) = chosen.as_deref().and_then(party) else {
        return EntityInfo {
            entity: "sin-entidad".into(),
            name: "(sin entidad identificada / no entity identified)".into(),
            stale: None,
        };
    };
    let name = org
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim()
        .to_string();
    let scheme = org.pointer("/identifier/scheme").and_then(Value::as_str);
    let ident = org.pointer("/identifier/id").and_then(|v| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    let entity = match (scheme, ident) {
        (Some(s), Some(i)) => format!("{s}-{i}"),
        _ if !name.is_empty() => name
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
        _ => chosen.unwrap_or_default(),
    };
    EntityInfo {
        entity,
        name,
        stale: None,
    }
}
