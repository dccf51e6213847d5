//! `costwatch schedule`: runs the pipeline at the times a cron expression names, one run at a
//! time, until SIGTERM or SIGINT. For a container, where there is no cron daemon.
//!
//! A signal while waiting ends the loop at once; a signal during a run lets the run finish
//! (a kill would be safe too: the next run repairs what a killed one left). A run that fails
//! is logged and the loop goes on to the next time; the configuration is read again before
//! each run, so an edit takes effect without a restart.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Local;

use crate::config::Config;
use crate::cron::Cron;
use crate::pipeline::{self, RunOptions};
use crate::{Error, ExitCode};

/// What `costwatch schedule` was asked.
#[derive(Debug, Clone)]
pub struct Options {
    /// The configuration file, read again before each run.
    pub config: PathBuf,
    /// A cron expression that overrides the file's.
    pub cron: Option<String>,
    /// Run once at start.
    pub run_now: bool,
    /// Progress display.
    pub progress: crate::source::ProgressMode,
}

/// Runs the configuration on its schedule until a signal asks to stop.
pub fn run(opts: &Options) -> Result<ExitCode, Error> {
    let config = &opts.config;
    let first = Config::load(config)?;
    let expr = opts
        .cron
        .clone()
        .or(first.schedule.clone())
        .ok_or_else(|| crate::config::ConfigError {
            file: config.display().to_string(),
            key: "schedule.cron".into(),
            reason: "give a cron expression here or with --cron (e.g. \"30 2 * * *\")".into(),
        })?;
    let cron = Cron::parse(&expr).map_err(|e| crate::config::ConfigError {
        file: config.display().to_string(),
        key: "schedule.cron".into(),
        reason: e.to_string(),
    })?;
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop)).map_err(|e| {
            crate::publish::Error::Io {
                path: PathBuf::from("signal handler"),
                source: e,
            }
        })?;
    }
    tracing::info!(cron = %expr, config = %config.display(), "schedule started");
    let mut now_first = opts.run_now;
    loop {
        if !std::mem::take(&mut now_first) {
            let Some(next) = cron.next_after(&Local::now()) else {
                tracing::error!(cron = %expr, "the expression names no date; stopping");
                return Ok(ExitCode::UsageOrConfig);
            };
            tracing::info!(at = %next.to_rfc3339(), "next run");
            while Local::now() < next {
                if stop.load(Ordering::Relaxed) {
                    tracing::info!("signal received while waiting; stopping");
                    return Ok(ExitCode::Ok);
                }
                let left = (next - Local::now()).to_std().unwrap_or_default();
                std::thread::sleep(left.min(Duration::from_millis(500)));
            }
        }
        // Read again, so an edit made while waiting is used; a broken edit skips this run.
        match Config::load(config).and_then(|c| {
            crate::publish::output::check_config(&c)
                .map_err(|e| crate::config::ConfigError {
                    file: config.display().to_string(),
                    key: "run.output".into(),
                    reason: e.to_string(),
                })
                .map(|()| c)
        }) {
            Err(e) => tracing::error!(error = %e, "configuration rejected; this run is skipped"),
            Ok(cfg) => {
                let run_opts = RunOptions {
                    progress: opts.progress,
                    ..RunOptions::default()
                };
                match pipeline::run(&cfg, &run_opts) {
                    Ok(outcome) => tracing::info!(
                        exit_code = outcome.exit_code() as u8,
                        projects = outcome.report.projects,
                        "scheduled run finished"
                    ),
                    Err(e) => {
                        tracing::error!(error = %e, "scheduled run failed; the previous output stays")
                    }
                }
            }
        }
        if stop.load(Ordering::Relaxed) {
            tracing::info!("signal received during the run; stopping after it");
            return Ok(ExitCode::Ok);
        }
    }
}
