//! The whole run on one screen: fetch → compile → convert → assess → score → publish.

use std::path::Path;
use std::time::Instant;

use chrono::{SecondsFormat, Utc};

use crate::config::Config;
use crate::projects::{self, Published};
use crate::publish::{EntityInfo, PackageMeta, ReportOptions, RunFacts, Staging, pages, sheet};
use crate::report::{RunReport, StageSeconds, Status};
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
    // Refuses an output folder that is not ours, takes the store's lock, repairs what killed
    // runs left, and starts the report.
    let mut run = Run::begin(config)?;
    // Every source into the store; what rests on a source that is down is marked stale.
    let stale = run.fetch(opts)?;
    // Only the ocids with new data, unless --full.
    run.compile(opts)?;
    // Nothing new since the published output was made: it is kept.
    if let Some(published) = run.unchanged_output(opts) {
        return run.keep_output(&published);
    }
    // Convert, judge, render and write each project; the verdicts are kept for scoring.
    let mut staging = run.staging()?;
    let mut published = run.projects(&mut staging, &stale, opts)?;
    let scores = run.score(&mut published)?;
    // Scores, history, pages, tables, workbook, report; then the output is swapped in.
    run.pages(&mut staging, &scores, published)?;
    run.publish(staging)
}

/// What every output depends on: the program build, the settings and `as_of`, hashed. Where
/// the settings were read from is left out: cron's `./panama.toml` and an operator's
/// `/etc/costwatch/panama.toml` are the same settings, and a run through either keeps what
/// the other made (it once made every project again). Where the store and the output really
/// are is put in instead: relative paths in the settings are read from the working folder,
/// so the same text can name two stores.
fn made_by(config: &Config, as_of: &str) -> String {
    let settings = Config {
        origin: String::new(),
        ..config.clone()
    };
    let real = |p: &Path| crate::publish::output::resolve(p).display().to_string();
    crate::util::sha256_hex(
        format!(
            "{}\n{settings:?}\n{as_of}\n{}\n{}",
            crate::util::build_id(),
            real(&config.store),
            real(&config.output)
        )
        .as_bytes(),
    )
}

/// One run's state as it goes through the stages.
struct Run<'c> {
    config: &'c Config,
    store: Store,
    run_id: i64,
    report: RunReport,
    seconds: StageSeconds,
    clock: Instant,
    as_of: String,
    /// What every output depends on: the program build, the settings and `as_of`, hashed.
    made_by: String,
    /// When the publish stage started (it spans pages, tables and the swap).
    publish_clock: Option<Instant>,
}

impl<'c> Run<'c> {
    fn begin(config: &'c Config) -> Result<Self, Error> {
        let clock = Instant::now();
        let started_at = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
        let as_of = config.as_of.clone().unwrap_or_else(|| started_at.clone());
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
        let report = RunReport::new(run_id, &config.origin, &started_at, &as_of);
        tracing::info!(run_id, config = %config.origin, "run started");
        Ok(Run {
            config,
            store,
            run_id,
            report,
            seconds: StageSeconds::default(),
            clock,
            made_by: made_by(config, &as_of),
            as_of,
            publish_clock: None,
        })
    }

    fn fetch(&mut self, opts: &RunOptions) -> Result<projects::Stale, Error> {
        stage_started("fetch");
        let clock = Instant::now();
        let fetch = source::FetchOptions {
            full: opts.full,
            progress: opts.progress,
        };
        let (store, run_id) = (&self.store, self.run_id);
        source::fetch_all(&self.config.sources, store, run_id, &mut self.report, fetch)?;
        StageSeconds::add(&mut self.seconds.fetch, clock);
        let down: Vec<(String, Option<String>)> = self
            .report
            .sources
            .iter()
            .filter(|s| s.stale)
            .map(|s| (s.id.clone(), s.last_good_fetch.clone()))
            .collect();
        let stale = projects::Stale::new(store, &down)?;
        self.report.conflicts = store.conflicts_in_run(run_id)?;
        self.report.conflicts_total = store.conflicts_total()?;
        Ok(stale)
    }

    fn compile(&mut self, opts: &RunOptions) -> Result<(), Error> {
        stage_started("compile");
        let clock = Instant::now();
        let compiled = crate::ocds::compile(&self.store, self.run_id, opts.full)?;
        self.report.compiled = compiled.ocids;
        self.report.merge_warnings = compiled.merge_warnings;
        StageSeconds::add(&mut self.seconds.compile, clock);
        self.report.fingerprint = self.report.fingerprint_of(&self.made_by, &self.store)?;
        Ok(())
    }

    /// The published report, when its fingerprint is this run's (and the run may keep it).
    fn unchanged_output(&self, opts: &RunOptions) -> Option<serde_json::Value> {
        if opts.full || self.config.scoring.sample_seed.is_some() {
            return None;
        }
        let published = crate::publish::output::published_report(&self.config.output)?;
        (published
            .get("fingerprint")
            .and_then(serde_json::Value::as_str)
            == Some(self.report.fingerprint.as_str()))
        .then_some(published)
    }

    fn staging(&self) -> Result<Staging, Error> {
        stage_started("convert");
        let config = self.config;
        let meta = PackageMeta {
            uri: config.publisher.uri.clone(),
            publisher: config.publisher.name.clone(),
            published_date: self.as_of.clone(),
            license: config.publisher.license.clone(),
            publication_policy: config.publisher.publication_policy.clone(),
        };
        let report_options = ReportOptions {
            lang: config.report.lang,
            thresholds: config.flags.clone(),
            as_of: self.as_of.clone(),
        };
        Ok(Staging::new(&config.output, &meta, report_options)?)
    }

    fn projects(
        &mut self,
        staging: &mut Staging,
        stale: &projects::Stale,
        opts: &RunOptions,
    ) -> Result<Published, Error> {
        let config = self.config;
        let convert_opts = oc4ids::Options {
            id_prefix: config.id_prefix.clone(),
            as_of: crate::util::parse_instant(&self.as_of).unwrap_or_default(),
            sectors: config.sectors.clone(),
        };
        let reuse = projects::Reuse {
            base: self.made_by.clone(),
            allowed: !opts.full,
        };
        let published = projects::publish_all(
            config,
            &self.store,
            staging,
            projects::Given {
                stale,
                convert: &convert_opts,
                reuse: &reuse,
            },
            &mut self.report,
            &mut self.seconds,
        )?;
        self.report.projects = staging.projects();
        // A run that found nothing does not replace an output that has projects.
        if self.report.projects == 0 && !opts.allow_empty {
            let before = crate::publish::output::published_projects(&config.output);
            if before > 0 {
                return Err(Error::EmptyRun {
                    output: config.output.clone(),
                    before,
                });
            }
        }
        Ok(published)
    }

    fn score(&mut self, published: &mut Published) -> Result<score::Scores, Error> {
        stage_started("score");
        let clock = Instant::now();
        let sample = self
            .config
            .scoring
            .sample_seed
            .map(|seed| score::draw(seed, &published.values));
        let scores = score::compute(
            std::mem::take(&mut published.input),
            &published.process_counts,
            sample.as_ref(),
        )
        .map_err(|e| Error::Score(e.to_string()))?;
        self.report.sample = sample;
        StageSeconds::add(&mut self.seconds.score, clock);
        Ok(scores)
    }

    fn pages(
        &mut self,
        staging: &mut Staging,
        scores: &score::Scores,
        published: Published,
    ) -> Result<(), Error> {
        stage_started("publish");
        self.publish_clock = Some(Instant::now());
        let Published {
            entities,
            ocp,
            history: project_history,
            ..
        } = published;
        let entity_list: Vec<EntityInfo> = entities.into_values().collect();
        self.report.entities = scores.entities.len() as u64;
        self.report.stale_entities =
            entity_list.iter().filter(|e| e.stale.is_some()).count() as u64;
        staging.scores(scores, &entity_list, &ocp)?;
        let entity_rows = crate::publish::entity_score_rows(scores, &entity_list);
        self.store
            .save_scores(self.run_id, &entity_rows, &project_history)?;
        let history = self.store.entity_history(self.run_id)?;
        let config = self.config;
        let lang = config.report.lang;
        staging.pages(RunFacts {
            scores,
            entities: &entity_list,
            expected: &config.expected_entities,
            history: &history,
            run_id: self.run_id,
            warnings: pages::source_warnings(&self.report.sources, lang),
            method: pages::method(
                lang,
                config
                    .sources
                    .iter()
                    .map(crate::config::Source::describe)
                    .collect(),
                sheet::thresholds(&config.flags, lang),
            ),
            quarantined: &self.report.quarantined,
        })?;
        Ok(())
    }

    fn publish(mut self, mut staging: Staging) -> Result<RunOutcome, Error> {
        staging.close()?;
        self.report.settle(&self.store, self.clock.elapsed())?;
        // The report is written inside the publish stage; its own figure stops just before.
        if let Some(clock) = self.publish_clock {
            StageSeconds::add(&mut self.seconds.publish, clock);
        }
        self.report.stage_seconds = self.seconds.rounded();
        staging.commit(&self.report)?;
        finish(self.config, &self.store, self.run_id, self.report)
    }
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
        reused = report.reused_projects,
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

/// Nothing changed since the published output was made: it stays as it is, with this run's
/// report and metrics written into it (each replaced whole). The run's entity scores in the
/// history are the output's; the pages that show the history are brought up to date by the
/// next run that computes (or by `--full`).
impl Run<'_> {
    fn keep_output(mut self, previous: &serde_json::Value) -> Result<RunOutcome, Error> {
        stage_started("publish");
        let clock_publish = Instant::now();
        let config = self.config;
        let io = |path: &std::path::Path| {
            let path = path.to_path_buf();
            move |source| Error::Publish(crate::publish::Error::Io { path, source })
        };
        self.report.carry_over(previous);
        if let Some(from) = previous.get("run_id").and_then(serde_json::Value::as_i64) {
            self.store.copy_entity_scores(from, self.run_id)?;
        }
        tracing::info!(output = %config.output.display(), "nothing new since the published output was made; it is kept");
        self.report.settle(&self.store, self.clock.elapsed())?;
        StageSeconds::add(&mut self.seconds.publish, clock_publish);
        self.report.stage_seconds = self.seconds.rounded();
        let path = config.output.join("run-report.json");
        let json = serde_json::to_string_pretty(&self.report).unwrap_or_default() + "\n";
        crate::publish::output::write_whole(&path, json.as_bytes()).map_err(io(&path))?;
        let prom = config.output.join("metrics.prom");
        let metrics = crate::publish::metrics::text(&self.report);
        crate::publish::output::write_whole(&prom, metrics.as_bytes()).map_err(io(&prom))?;
        finish(config, &self.store, self.run_id, self.report)
    }
}

/// Marks the start of a stage in the log (operators and the crash tests watch for it).
fn stage_started(stage: &'static str) {
    tracing::info!(stage, "stage started");
}
