//! The whole run on one screen: fetch → compile → convert → assess → score → publish.

use std::time::Instant;

use chrono::{SecondsFormat, Utc};

use crate::config::Config;
use crate::projects::{self, Published};
use crate::publish::{EntityInfo, PackageMeta, ReportOptions, RunFacts, Staging, pages, sheet};
use crate::report::{Health, RunReport, StageSeconds, Status};
use crate::store::Store;
use crate::{Error, ExitCode, oc4ids, score, source};

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
    crate::publish::output::check_config(config)?;
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
    let stale = projects::Stale::new(&store, &down)?;
    report.conflicts = store.conflicts_in_run(run_id)?;
    report.conflicts_total = store.conflicts_total()?;

    // ── compile (only the ocids with new data, unless --full) ─────────────────────────
    stage_started("compile");
    let clock_compile = Instant::now();
    let compiled = crate::ocds::compile(&store, run_id, opts.full)?;
    report.compiled = compiled.ocids;
    report.merge_warnings = compiled.merge_warnings;
    StageSeconds::add(&mut t.compile, clock_compile);

    // ── nothing new since the published output was made: keep it ──────────────────────
    report.fingerprint = fingerprint(config, &as_of, &store, &report)?;
    if !opts.full
        && config.scoring.sample_seed.is_none()
        && let Some(published) = crate::publish::output::published_report(&config.output)
        && published
            .get("fingerprint")
            .and_then(serde_json::Value::as_str)
            == Some(report.fingerprint.as_str())
    {
        return keep_output(config, &store, run_id, report, &published, t, clock);
    }

    // ── convert, assess, render and write each project; verdicts kept for scoring ───────
    stage_started("convert");
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
    let Published {
        input,
        process_counts,
        entities,
        ocp,
        values,
        history: project_history,
    } = projects::publish_all(
        config,
        &store,
        &mut staging,
        &stale,
        &convert_opts,
        &mut report,
        &mut t,
    )?;
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
    staging.close(&report.quarantined)?;
    settle(&mut report, &store, clock)?;
    // The report is written inside the publish stage; its own figure stops just before.
    StageSeconds::add(&mut t.publish, clock_publish);
    report.stage_seconds = t.rounded();
    staging.commit(&report)?;
    finish(config, &store, run_id, report)
}

/// The run's status, the store's totals and the times, once every stage has run.
fn settle(report: &mut RunReport, store: &Store, clock: Instant) -> Result<(), Error> {
    if !report.quarantined.is_empty() || report.sources.iter().any(|s| s.status != Health::Ok) {
        report.status = Status::Partial;
    }
    report.store = Some(store.totals()?);
    report.finished_at = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    report.duration_seconds = crate::util::round_to(clock.elapsed().as_secs_f64(), 3);
    Ok(())
}

/// After the output is in place: the metrics copy, the run's row in the store, the last log
/// line.
fn finish(
    config: &Config,
    store: &Store,
    run_id: i64,
    report: RunReport,
) -> Result<RunOutcome, Error> {
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
        out_of_scope = report.out_of_scope.projects,
        entities = report.entities,
        quarantined = report.quarantined.len(),
        output_kept = report.output_kept,
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

/// Hashes everything the outputs are made from (see [`RunReport::fingerprint`]).
fn fingerprint(
    config: &Config,
    as_of: &str,
    store: &Store,
    report: &RunReport,
) -> Result<String, Error> {
    let sources: Vec<String> = report
        .sources
        .iter()
        .map(|s| {
            let last = if s.stale {
                s.last_good_fetch.as_deref()
            } else {
                None
            };
            format!("{}:{:?}:{}:{last:?}", s.id, s.status, s.stale)
        })
        .collect();
    let text = format!(
        "{}\n{config:?}\n{as_of}\n{}\n{}\n{sources:?}",
        env!("CARGO_PKG_VERSION"),
        store.data_version()?,
        serde_json::to_string(&report.quarantined).unwrap_or_default(),
    );
    Ok(crate::util::sha256_hex(text.as_bytes()))
}

/// Nothing changed since the published output was made: it stays as it is, with this run's
/// report and metrics written into it (each replaced whole). The run's entity scores in the
/// history are the output's; the pages that show the history are brought up to date by the
/// next run that computes (or by `--full`).
fn keep_output(
    config: &Config,
    store: &Store,
    run_id: i64,
    mut report: RunReport,
    previous: &serde_json::Value,
    mut t: StageSeconds,
    clock: Instant,
) -> Result<RunOutcome, Error> {
    stage_started("publish");
    let clock_publish = Instant::now();
    let path = config.output.join("run-report.json");
    let io = |path: &std::path::Path| {
        let path = path.to_path_buf();
        move |source| Error::Publish(crate::publish::Error::Io { path, source })
    };
    let count = |key: &str| {
        previous
            .get(key)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
    };
    report.projects = count("projects");
    report.processes = count("processes");
    report.entities = count("entities");
    report.stale_entities = count("stale_entities");
    report.conversion_notes = count("conversion_notes");
    report.flags = crate::flags::FlagCounts::from_report(&previous["flags"]);
    report.out_of_scope = previous
        .get("out_of_scope")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    report.output_kept = true;
    if let Some(from) = previous.get("run_id").and_then(serde_json::Value::as_i64) {
        store.copy_entity_scores(from, run_id)?;
    }
    tracing::info!(output = %config.output.display(), "nothing new since the published output was made; it is kept");
    settle(&mut report, store, clock)?;
    StageSeconds::add(&mut t.publish, clock_publish);
    report.stage_seconds = t.rounded();
    let json = serde_json::to_string_pretty(&report).unwrap_or_default() + "\n";
    crate::publish::output::write_whole(&path, json.as_bytes()).map_err(io(&path))?;
    let prom = config.output.join("metrics.prom");
    crate::publish::output::write_whole(&prom, crate::publish::metrics::text(&report).as_bytes())
        .map_err(io(&prom))?;
    finish(config, store, run_id, report)
}

/// Marks the start of a stage in the log (operators and the crash tests watch for it).
fn stage_started(stage: &'static str) {
    tracing::info!(stage, "stage started");
}
