//! Sources: where inputs come from, and how each input reaches the store.
//!
//! In: the configured sources. Out: releases, compiled releases and OC4IDS projects in the
//! store, every input (file, page, download, archive member) recorded with its provenance,
//! every unreadable part quarantined with its reason, a checkpoint per source, and each
//! source's health in the run report. One adapter per kind; `http.rs` is shared by the remote
//! ones, `ingest.rs` by all.

mod http;
mod ingest;
mod linked;
mod local;
mod oc4ids;
mod ocds_api;
mod ocds_bulk;
mod progress;
mod walk;

use std::sync::Arc;

use serde_json::Value;

use crate::config::{Config, ConfigError, Source, SourceSpec};
use crate::report::{Health, RunReport, SourceReport};
use crate::store::{self, Checkpoint, Store};

pub use http::{USER_AGENT, parse_retry_after};
pub use local::list_files;
pub use progress::{LogWriter, ProgressMode};

use ingest::{Taken, Target};

/// Errors that stop the run (the store failed); bad data and unreachable servers never do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store failed while taking an input.
    #[error(transparent)]
    Store(#[from] store::Error),
    /// A source cannot be set up (a missing token variable, say): a configuration problem.
    #[error("source {source_id}: {reason}")]
    Setup {
        /// The source.
        source_id: String,
        /// Why.
        reason: String,
    },
}

/// How this run fetches.
#[derive(Debug, Clone, Copy, Default)]
pub struct FetchOptions {
    /// Ignore checkpoints: fetch every page, window, period and file again.
    pub full: bool,
    /// What progress looks like.
    pub progress: ProgressMode,
}

/// Fails on a local path or pattern that matches no file: a typo would otherwise pass here
/// and publish an empty table at night.
pub fn check_local_paths(config: &Config) -> Result<(), ConfigError> {
    for (i, s) in config.sources.iter().enumerate() {
        let paths = match &s.spec {
            SourceSpec::Local { paths } | SourceSpec::Oc4ids { paths, .. } => paths,
            SourceSpec::Api(_) | SourceSpec::Bulk(_) => continue,
        };
        let listing = list_files(paths, s.follow_links);
        if let Some(missing) = listing.unmatched.first() {
            return Err(ConfigError {
                file: config.origin.clone(),
                key: format!("source[{i}].paths"),
                reason: format!(
                    "`{missing}` matches no file (relative paths are read from the current folder, {})",
                    std::env::current_dir()
                        .map(|d| d.display().to_string())
                        .unwrap_or_else(|_| "unknown".into())
                ),
            });
        }
    }
    Ok(())
}

/// Fetches every source in turn; each source's health lands in `report.sources`.
pub fn fetch_all(
    sources: &[Source],
    store: &Store,
    run_id: i64,
    report: &mut RunReport,
    opts: FetchOptions,
) -> Result<(), Error> {
    let remote = sources
        .iter()
        .any(|s| s.fetch_linked || !matches!(s.spec, SourceSpec::Local { .. }));
    // One runtime for the run; two worker threads keep many requests in flight.
    let runtime = if remote {
        Some(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .map_err(|e| Error::Setup {
                    source_id: "-".into(),
                    reason: format!("cannot start the async runtime: {e}"),
                })?,
        )
    } else {
        None
    };
    let spool = if remote { store_dir(store) } else { None };
    let bars = progress::Bars::new(opts.progress);
    for source in sources {
        let started = std::time::Instant::now();
        let before = store.checkpoint(&source.id)?;
        let mut health = SourceReport::new(&source.id, source.kind_name());
        health.resumed_from = match (&before, opts.full) {
            (Some(c), false) => Some(c.cursor.clone()),
            _ => None,
        };
        let bar = bars.source(&source.id);
        let quarantined_before = report.quarantined.len();
        let mut ctx = Ctx {
            target: Target {
                store,
                run_id,
                report,
                source,
            },
            health: &mut health,
            checkpoint: if opts.full {
                Checkpoint {
                    last_good_fetch: before.as_ref().and_then(|c| c.last_good_fetch.clone()),
                    ..Checkpoint::default()
                }
            } else {
                before.clone().unwrap_or_default()
            },
            bar: &bar,
            full: opts.full,
            json_lines: opts.progress == ProgressMode::JsonLines,
        };
        let client = match &runtime {
            Some(_) if !matches!(source.spec, SourceSpec::Local { .. }) => Some(
                http::Client::new(&source.http, spool.as_deref()).map_err(|e| Error::Setup {
                    source_id: source.id.clone(),
                    reason: e.0,
                })?,
            ),
            _ => None,
        };
        match (&source.spec, &runtime, &client) {
            (SourceSpec::Local { paths }, _, _) => local::fetch(&mut ctx, paths)?,
            (spec, Some(rt), Some(client)) => {
                let result = match spec {
                    SourceSpec::Api(api) => rt.block_on(ocds_api::fetch(&mut ctx, api, client)),
                    SourceSpec::Bulk(bulk) => rt.block_on(ocds_bulk::fetch(&mut ctx, bulk, client)),
                    SourceSpec::Oc4ids { urls, paths } => {
                        rt.block_on(oc4ids::fetch(&mut ctx, urls, paths, client))
                    }
                    SourceSpec::Local { .. } => Ok(()),
                };
                ctx.health.requests = client.requests();
                ctx.health.retries = client.retries();
                result?;
            }
            _ => {}
        }
        // The releases its records only link, once the source itself is read, with a client
        // that carries none of the source's credentials.
        if source.fetch_linked
            && let Some(rt) = &runtime
        {
            let links =
                http::Client::new(&source.http.for_links(), spool.as_deref()).map_err(|e| {
                    Error::Setup {
                        source_id: source.id.clone(),
                        reason: e.0,
                    }
                })?;
            rt.block_on(linked::fetch(&mut ctx, &links))?;
            ctx.health.requests += links.requests();
            ctx.health.retries += links.retries();
        }
        // Parts quarantined inside inputs that were kept also make a source partial.
        let parts = ctx.target.report.quarantined.len() - quarantined_before;
        let checkpoint = std::mem::take(&mut ctx.checkpoint);
        health.parts_quarantined = (parts as u64).saturating_sub(health.pages_quarantined);
        health.finish(started.elapsed());
        let now = http::now_rfc3339();
        let last_good = if health.status == Health::Down {
            before.as_ref().and_then(|c| c.last_good_fetch.clone())
        } else {
            Some(now.clone())
        };
        // A source that is down keeps its checkpoint as it was: nothing it answered counts.
        let kept = match (&health.status, &before) {
            (Health::Down, Some(b)) => b.clone(),
            _ => checkpoint,
        };
        let saved = Checkpoint {
            last_good_fetch: last_good.clone(),
            ..kept
        };
        if health.status != Health::Down || before.is_some() {
            store.save_checkpoint(&source.id, &saved, &now)?;
        }
        health.checkpoint = saved.cursor;
        health.newest_release = saved.newest_release;
        health.last_good_fetch = last_good;
        bar.finish(&health);
        log_summary(&health);
        report.sources.push(health);
    }
    Ok(())
}

/// Where temporary downloads go: beside the store, so they sit on the same disk.
fn store_dir(store: &Store) -> Option<std::path::PathBuf> {
    let dir = store.path().parent()?.to_path_buf();
    let spool = if dir.as_os_str().is_empty() {
        std::path::PathBuf::from(".costwatch-spool")
    } else {
        dir.join(".costwatch-spool")
    };
    std::fs::create_dir_all(&spool).ok()?;
    Some(spool)
}

/// What an adapter works with while it fetches one source.
pub(crate) struct Ctx<'a> {
    target: Target<'a>,
    health: &'a mut SourceReport,
    /// The checkpoint as it should be saved with the next committed input.
    checkpoint: Checkpoint,
    bar: &'a progress::Bar,
    full: bool,
    json_lines: bool,
}

impl Ctx<'_> {
    /// Counts a stored input and logs its page line.
    fn stored(&mut self, location: &str, status: Option<u16>, bytes: u64, taken: &Taken, ms: u128) {
        let h = &mut *self.health;
        if taken.stored {
            h.pages += 1;
        } else {
            h.pages_quarantined += 1;
            let why = taken.rejected.as_deref().unwrap_or("quarantined");
            h.note_error(format!("{location}: {why}"));
        }
        h.items += taken.items;
        h.new += taken.new;
        h.repeated += taken.repeated;
        h.conflicting += taken.conflicting;
        h.bytes += bytes;
        see_newest(&mut self.checkpoint, taken);
        self.bar.page(h);
        if self.json_lines {
            tracing::info!(source = %h.id, url = %location, status, bytes, items = taken.items,
                new = taken.new, repeated = taken.repeated, stored = taken.stored,
                ms = ms as u64, "page");
        } else {
            tracing::debug!(source = %h.id, url = %location, status, bytes, items = taken.items,
                new = taken.new, "page");
        }
    }

    /// Quarantines a page or file that could not be fetched, and remembers the first errors.
    fn failed(
        &mut self,
        location: &str,
        status: Option<u16>,
        reason: &str,
        detail: String,
    ) -> Result<(), Error> {
        let detail = match status {
            Some(s) => format!("HTTP {s}: {detail}"),
            None => detail,
        };
        self.health.pages_quarantined += 1;
        self.health
            .note_error(format!("{location}: {reason}: {detail}"));
        self.bar.page(self.health);
        tracing::warn!(source = %self.health.id, url = %location, status, reason, detail = %detail, "page quarantined");
        let row = self.target.row(location, reason, detail);
        self.target.quarantine(row)
    }

    /// Saves the checkpoint now (outside an input's savepoint: after a failure).
    fn save_checkpoint(&self) -> Result<(), Error> {
        self.target.store.save_checkpoint(
            &self.target.source.id,
            &self.checkpoint,
            &http::now_rfc3339(),
        )?;
        Ok(())
    }

    /// The hook that writes `cursor` as the checkpoint inside the input's savepoint.
    fn hook_for(
        &self,
        cursor: Value,
    ) -> impl FnMut(&Store, &Taken) -> Result<(), store::Error> + use<> {
        let id = self.target.source.id.clone();
        let mut cp = self.checkpoint.clone();
        cp.cursor = cursor;
        move |store: &Store, taken: &Taken| {
            see_newest(&mut cp, taken);
            store.save_checkpoint(&id, &cp, &http::now_rfc3339())
        }
    }
}

/// Keeps the newest release date a checkpoint has seen.
fn see_newest(checkpoint: &mut Checkpoint, taken: &Taken) {
    if let Some(n) = &taken.newest
        && checkpoint
            .newest_release
            .as_deref()
            .is_none_or(|o| ingest::newer(n, o))
    {
        checkpoint.newest_release = Some(n.clone());
    }
}

fn log_summary(h: &SourceReport) {
    tracing::info!(
        source = %h.id,
        kind = %h.kind,
        status = h.status.code(),
        pages = h.pages,
        pages_quarantined = h.pages_quarantined,
        pages_unchanged = h.pages_unchanged,
        requests = h.requests,
        retries = h.retries,
        new = h.new,
        repeated = h.repeated,
        seconds = h.elapsed_seconds,
        pages_per_second = h.pages_per_second,
        "source fetched"
    );
}

/// Shares a client between spawned requests.
type Shared = Arc<http::Client>;
