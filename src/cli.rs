//! The command line: definitions, and the mapping of each command onto the library.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::logging::{self, LogFormat};
use crate::pipeline::{self, RunOptions};
use crate::source::ProgressMode;
use crate::{Error, ExitCode};
use std::io::IsTerminal;

/// The exit codes, shown by `--help`.
const EXIT_CODES: &str = "Exit codes:
  0  ok: every input was read and the outputs were published
  1  failure (store, lock, writing the outputs, zero projects over a non-empty output without
     --allow-empty): nothing was published, the previous output stays
  2  usage or configuration error, or an output folder that is not costwatch's: nothing done
  3  partial: published, but some input was quarantined or a source was partial or down";

/// costwatch: scores the disclosure of public infrastructure projects against the CoST IDS.
#[derive(Debug, Parser)]
#[command(name = "costwatch", version, about, long_about = None, after_help = EXIT_CODES)]
pub struct Cli {
    /// Log format: `human` on a terminal, `json` (one object per line) for cron.
    #[arg(long, value_enum, default_value = "human", global = true)]
    pub log_format: LogFormat,
    /// More detailed logs (debug level).
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fetch every source, compile, convert, assess, score and publish.
    Run {
        /// Configuration file (TOML). Default: the embedded config/default.toml, which reads
        /// the committed fixtures and writes ./out/.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Output folder; overrides `run.output` in the configuration.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// SQLite store; overrides `run.store` in the configuration.
        #[arg(long, value_name = "FILE")]
        store: Option<PathBuf>,
        /// Ignore checkpoints: fetch every page, window and file again, and recompile every
        /// ocid in the store, not only those with new data.
        #[arg(long)]
        full: bool,
        /// Publish even when the run found no project at all and the previous output had some
        /// (by default such a run is refused: a source that vanished must not wipe the tables).
        #[arg(long)]
        allow_empty: bool,
        /// Threads for compiling, converting, judging and rendering (default: every core).
        /// The outputs are the same whatever the number.
        #[arg(long, value_name = "N", env = "COSTWATCH_THREADS")]
        threads: Option<usize>,
    },
    /// Run at the times `[schedule] cron` names (or --cron), one run at a time, until SIGTERM
    /// or SIGINT; for containers without a cron daemon.
    Schedule {
        /// Configuration file (TOML), read again before each run.
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Cron expression (minute hour day month weekday, local time); overrides the file's.
        #[arg(long, value_name = "EXPR")]
        cron: Option<String>,
        /// Run once at start, then follow the schedule.
        #[arg(long)]
        run_now: bool,
    },
    /// Check a configuration file and exit (0 valid, 2 invalid).
    CheckConfig {
        /// Configuration file (TOML).
        file: PathBuf,
    },
    /// Write the sample fixtures (Panama-like, deterministic) into a folder.
    GenerateFixtures {
        /// Destination folder.
        #[arg(long, value_name = "DIR", default_value = "fixtures")]
        out: PathBuf,
        /// Instead of the sample fixtures, write `releases.jsonl` with this many releases of
        /// the same mix (for benchmarks).
        #[arg(long, value_name = "N")]
        releases: Option<u64>,
        /// With --releases, also write `update.jsonl`: this percentage of N again, half new
        /// releases and half amendments of contracts already written.
        #[arg(long, value_name = "PERCENT", requires = "releases")]
        update: Option<f64>,
    },
}

/// Runs a parsed command line and returns the exit code; errors are printed here.
pub fn run(cli: Cli) -> ExitCode {
    logging::init(cli.log_format, cli.verbose);
    let progress = match cli.log_format {
        LogFormat::Json => ProgressMode::JsonLines,
        LogFormat::Human if std::io::stderr().is_terminal() => ProgressMode::Bars,
        LogFormat::Human => ProgressMode::Quiet,
    };
    match execute(cli.command, progress) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}

fn execute(command: Command, progress: ProgressMode) -> Result<ExitCode, Error> {
    match command {
        Command::Run {
            config,
            out,
            store,
            full,
            allow_empty,
            threads,
        } => {
            if let Some(n) = threads {
                // Only fails when a pool exists already, which a fresh process never has.
                let _ = rayon::ThreadPoolBuilder::new()
                    .num_threads(n.max(1))
                    .build_global();
            }
            let mut cfg = match config {
                Some(path) => Config::load(&path)?,
                None => Config::embedded()?,
            };
            if let Some(out) = out {
                cfg.output = out;
            }
            if let Some(store) = store {
                cfg.store = store;
            }
            let outcome = pipeline::run(
                &cfg,
                &RunOptions {
                    full,
                    progress,
                    allow_empty,
                },
            )?;
            let r = &outcome.report;
            eprintln!(
                "{}: {} projects, {} entities, {} releases new, {} repeated, {} conflicting, {} quarantined → {}",
                match outcome.exit_code() {
                    ExitCode::Ok => "ok",
                    _ => "partial",
                },
                r.projects,
                r.entities,
                r.releases.new,
                r.releases.repeated,
                r.releases.conflicting,
                r.quarantined.len(),
                cfg.output.display()
            );
            if r.output_kept {
                eprintln!("nothing new since the output was made: it was kept as it is");
            }
            Ok(outcome.exit_code())
        }
        Command::Schedule {
            config,
            cron,
            run_now,
        } => crate::schedule::run(&crate::schedule::Options {
            config,
            cron,
            run_now,
            progress,
        }),
        Command::CheckConfig { file } => {
            let cfg = Config::load(&file)?;
            crate::publish::output::check_config(&cfg)?;
            crate::source::check_local_paths(&cfg)?;
            for warning in cfg.warnings() {
                eprintln!("warning: {}: {warning}", file.display());
            }
            eprintln!("{}: ok ({} sources)", file.display(), cfg.sources.len());
            Ok(ExitCode::Ok)
        }
        Command::GenerateFixtures {
            out,
            releases,
            update,
        } => {
            let io = |e| {
                Error::Publish(crate::publish::Error::Io {
                    path: out.clone(),
                    source: e,
                })
            };
            match releases {
                None => {
                    crate::fixtures::write_all(&out).map_err(io)?;
                    eprintln!("fixtures written to {}", out.display());
                }
                Some(n) => {
                    let w = crate::fixtures::write_scaled(&out, n, update).map_err(io)?;
                    eprintln!(
                        "{} releases written to {}/releases.jsonl, {} to update.jsonl",
                        w.releases,
                        out.display(),
                        w.update
                    );
                }
            }
            Ok(ExitCode::Ok)
        }
    }
}
