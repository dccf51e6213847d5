//! The run report: what was read, stored, set aside and published, and how the run ended.

use serde::Serialize;

use crate::store::{ConflictRow, QuarantineRow, StoreTotals};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Everything was read.
    Ok,
    /// Published, but some input was quarantined or a source was partial or down.
    Partial,
}

/// A source's result in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// Every page or file was read.
    Ok,
    /// Data came, but some pages, files or parts were quarantined.
    Partial,
    /// Nothing came: unreachable, or 404 for the whole run. Its stored data is kept and
    /// marked stale.
    Down,
}

impl Health {
    /// The code written to reports and logs.
    pub fn code(self) -> &'static str {
        match self {
            Health::Ok => "ok",
            Health::Partial => "partial",
            Health::Down => "down",
        }
    }
}

/// How many errors a source report keeps word for word.
const FIRST_ERRORS: usize = 5;

/// One source's fetch: counts, first errors, checkpoint.
#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    /// Source id.
    pub id: String,
    /// Source kind.
    pub kind: String,
    /// ok, partial or down.
    pub status: Health,
    /// Pages or files stored.
    pub pages: u64,
    /// Pages or files quarantined whole (given up on, unreadable, not OCDS).
    pub pages_quarantined: u64,
    /// Parts quarantined inside pages or files that were kept (a bad JSON line, say).
    pub parts_quarantined: u64,
    /// Files skipped because their content had not changed since they were last stored.
    pub pages_unchanged: u64,
    /// HTTP requests sent, tries included.
    pub requests: u64,
    /// Tries that were repeated.
    pub retries: u64,
    /// Releases, compiled releases and projects read.
    pub items: u64,
    /// Stored for the first time.
    pub new: u64,
    /// Identical repeats (overlap, pagination drift).
    pub repeated: u64,
    /// Same id, different content.
    pub conflicting: u64,
    /// Body bytes received or read.
    pub bytes: u64,
    /// The first errors, word for word.
    pub first_errors: Vec<String>,
    /// Errors beyond those kept.
    pub more_errors: u64,
    /// The checkpoint the fetch started from (absent on a first or `--full` run).
    pub resumed_from: Option<serde_json::Value>,
    /// The checkpoint after the fetch.
    pub checkpoint: serde_json::Value,
    /// Newest release date seen from this source, ever.
    pub newest_release: Option<String>,
    /// When the source last gave data (this run unless it is down).
    pub last_good_fetch: Option<String>,
    /// True when the source is down and the outputs use its stored data.
    pub stale: bool,
    /// Seconds spent.
    pub elapsed_seconds: f64,
    /// Pages (or files) per second.
    pub pages_per_second: f64,
    /// Set by an adapter when the source as a whole did not answer (404 on the first page).
    #[serde(skip)]
    pub unreachable: bool,
}

impl SourceReport {
    /// An empty report for a source about to be fetched.
    pub fn new(id: &str, kind: &str) -> SourceReport {
        SourceReport {
            id: id.to_string(),
            kind: kind.to_string(),
            status: Health::Ok,
            pages: 0,
            pages_quarantined: 0,
            parts_quarantined: 0,
            pages_unchanged: 0,
            requests: 0,
            retries: 0,
            items: 0,
            new: 0,
            repeated: 0,
            conflicting: 0,
            bytes: 0,
            first_errors: Vec::new(),
            more_errors: 0,
            resumed_from: None,
            checkpoint: serde_json::Value::Null,
            newest_release: None,
            last_good_fetch: None,
            stale: false,
            elapsed_seconds: 0.0,
            pages_per_second: 0.0,
            unreachable: false,
        }
    }

    /// Keeps an error if it is among the first few.
    pub fn note_error(&mut self, text: String) {
        if self.first_errors.len() < FIRST_ERRORS {
            self.first_errors.push(text);
        } else {
            self.more_errors += 1;
        }
    }

    /// Settles the status from the counts.
    pub fn finish(&mut self, elapsed: std::time::Duration) {
        let secs = elapsed.as_secs_f64();
        self.elapsed_seconds = crate::util::round_to(secs, 3);
        if secs > 0.0 {
            self.pages_per_second = crate::util::round_to(self.pages as f64 / secs, 2);
        }
        let got_data = self.pages > 0 || self.pages_unchanged > 0;
        self.status = if self.unreachable || (!got_data && self.pages_quarantined > 0) {
            Health::Down
        } else if self.pages_quarantined > 0 || self.parts_quarantined > 0 {
            Health::Partial
        } else {
            Health::Ok
        };
        self.stale = self.status == Health::Down;
    }
}

/// One input as read.
#[derive(Debug, Clone, Serialize)]
pub struct InputReport {
    /// Source id.
    pub source: String,
    /// Path.
    pub location: String,
    /// Bytes.
    pub size: u64,
    /// SHA-256.
    pub sha256: String,
    /// `document` or `json-lines`, with `gzip` when compressed.
    pub format: String,
    /// Text encoding used.
    pub encoding: String,
    /// Releases and compiled releases read.
    pub items: u64,
    /// `ok`, `partial` (some parts quarantined) or `quarantined` (nothing kept).
    pub status: String,
}

/// Release counts of this run.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct ReleaseCounts {
    /// Stored for the first time.
    pub new: u64,
    /// Identical repeats, ignored.
    pub repeated: u64,
    /// Same (ocid, id) with different content: kept and listed under `conflicts`.
    pub conflicting: u64,
    /// Compiled releases taken from records.
    pub from_records: u64,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// costwatch version.
    pub costwatch_version: &'static str,
    /// Run id in the store.
    pub run_id: i64,
    /// Config origin.
    pub config: String,
    /// Start (RFC 3339).
    pub started_at: String,
    /// End (RFC 3339).
    pub finished_at: String,
    /// Seconds.
    pub duration_seconds: f64,
    /// Where the time went, stage by stage.
    pub stage_seconds: StageSeconds,
    /// Status date used for contracting-process statuses.
    pub as_of: String,
    /// `ok` or `partial`.
    pub status: Status,
    /// Each source's health: ok, partial or down, with counts and first errors.
    pub sources: Vec<SourceReport>,
    /// Inputs read.
    pub inputs: Vec<InputReport>,
    /// Release counts.
    pub releases: ReleaseCounts,
    /// Conflicting repeats first seen in this run.
    pub conflicts: Vec<ConflictRow>,
    /// Conflicting repeats in the store overall.
    pub conflicts_total: u64,
    /// Parts of inputs set aside, with reasons.
    pub quarantined: Vec<QuarantineRow>,
    /// ocids compiled in this run.
    pub compiled: u64,
    /// Merge warnings in this run.
    pub merge_warnings: u64,
    /// Projects published.
    pub projects: u64,
    /// Of those, projects taken from the published output because nothing they are made from
    /// changed (not converted, judged or rendered again).
    pub reused_projects: u64,
    /// Contracting processes published.
    pub processes: u64,
    /// What `[scope]` kept out of this run.
    pub out_of_scope: OutOfScope,
    /// Entities scored.
    pub entities: u64,
    /// Entities whose figures rest on a source that was down (stored data, marked stale).
    pub stale_entities: u64,
    /// Red flags by code and state (raised, clear, unknown, not_applicable).
    pub flags: crate::flags::FlagCounts,
    /// The index-style sample (seed and projects per entity), when `[scoring] sample_seed`
    /// is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample: Option<crate::score::Sample>,
    /// Conversion notes (values left unset and why), counted.
    pub conversion_notes: u64,
    /// What the store holds after the run.
    pub store: Option<StoreTotals>,
    /// Everything the outputs are made from, hashed: the program's version, the configuration,
    /// the status date, the stored data, the quarantine and the sources' health. A run whose
    /// fingerprint is the one in the published report keeps that output.
    pub fingerprint: String,
    /// True when nothing had changed since the published output was made: it was kept, and
    /// only this report and `metrics.prom` were written.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub output_kept: bool,
}

/// Projects and contracting processes left out because none of a project's processes is
/// infrastructure by the `[scope]` rules; zero without `[scope]`.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct OutOfScope {
    /// Projects left out.
    pub projects: u64,
    /// Their contracting processes, by procurement category (`goods`, `services`, or
    /// `no category`).
    pub processes: std::collections::BTreeMap<String, u64>,
}

impl OutOfScope {
    /// Counts one project left out, with the reasons of its processes.
    pub fn add(&mut self, reasons: &[String]) {
        self.projects += 1;
        for r in reasons {
            *self.processes.entry(r.clone()).or_default() += 1;
        }
    }
}

/// Seconds spent in each stage (convert, assess and publish interleave project by project;
/// each is the sum of its own parts).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct StageSeconds {
    /// Reading every source into the store.
    pub fetch: f64,
    /// Merging releases into compiled releases.
    pub compile: f64,
    /// Building OC4IDS projects.
    pub convert: f64,
    /// Judging IDS elements and red flags, with their evidence.
    pub assess: f64,
    /// Aggregating scores.
    pub score: f64,
    /// Writing every output and putting it in place.
    pub publish: f64,
}

impl StageSeconds {
    /// Adds the time since `since` to one stage.
    pub fn add(slot: &mut f64, since: std::time::Instant) {
        *slot += since.elapsed().as_secs_f64();
    }

    /// The same figures rounded to milliseconds, for the report.
    pub fn rounded(self) -> StageSeconds {
        let r = |x: f64| (x * 1000.0).round() / 1000.0;
        StageSeconds {
            fetch: r(self.fetch),
            compile: r(self.compile),
            convert: r(self.convert),
            assess: r(self.assess),
            score: r(self.score),
            publish: r(self.publish),
        }
    }
}

impl RunReport {
    /// The run's status, the store's totals and the times, once every stage has run.
    pub fn settle(
        &mut self,
        store: &crate::store::Store,
        elapsed: std::time::Duration,
    ) -> Result<(), crate::store::Error> {
        if !self.quarantined.is_empty() || self.sources.iter().any(|s| s.status != Health::Ok) {
            self.status = Status::Partial;
        }
        self.store = Some(store.totals()?);
        self.finished_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        self.duration_seconds = crate::util::round_to(elapsed.as_secs_f64(), 3);
        Ok(())
    }

    /// Hashes everything the outputs are made from (see [`RunReport::fingerprint`]): what
    /// every output depends on (`made_by`: the program build, the settings, the status date,
    /// hashed), the stored data, the quarantine and the sources' health.
    pub fn fingerprint_of(
        &self,
        made_by: &str,
        store: &crate::store::Store,
    ) -> Result<String, crate::store::Error> {
        let sources: Vec<String> = self
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
            "{made_by}\n{}\n{}\n{sources:?}",
            store.data_version()?,
            serde_json::to_string(&self.quarantined).unwrap_or_default(),
        );
        Ok(crate::util::sha256_hex(text.as_bytes()))
    }

    /// Takes what a kept output says about itself from the report that made it (`previous`,
    /// as published): its counts, and the projects it left out of the package, which this run
    /// reports again (and is partial for) exactly as that run did.
    pub fn carry_over(&mut self, previous: &serde_json::Value) {
        let count = |key: &str| {
            previous
                .get(key)
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0)
        };
        self.projects = count("projects");
        self.processes = count("processes");
        self.entities = count("entities");
        self.stale_entities = count("stale_entities");
        self.conversion_notes = count("conversion_notes");
        self.flags = crate::flags::FlagCounts::from_report(&previous["flags"]);
        self.out_of_scope = previous
            .get("out_of_scope")
            .and_then(|v| serde::Deserialize::deserialize(v).ok())
            .unwrap_or_default();
        let left_out: Vec<QuarantineRow> = previous
            .get("quarantined")
            .and_then(|v| serde::Deserialize::deserialize(v).ok())
            .unwrap_or_default();
        self.quarantined.extend(
            left_out
                .into_iter()
                .filter(|row| row.reason == "invalid_project"),
        );
        self.output_kept = true;
    }

    /// An empty report for a run that has just started.
    pub fn new(run_id: i64, config: &str, started_at: &str, as_of: &str) -> RunReport {
        RunReport {
            costwatch_version: env!("CARGO_PKG_VERSION"),
            run_id,
            config: config.to_string(),
            started_at: started_at.to_string(),
            finished_at: String::new(),
            duration_seconds: 0.0,
            stage_seconds: StageSeconds::default(),
            as_of: as_of.to_string(),
            status: Status::Ok,
            sources: Vec::new(),
            inputs: Vec::new(),
            releases: ReleaseCounts::default(),
            conflicts: Vec::new(),
            conflicts_total: 0,
            quarantined: Vec::new(),
            compiled: 0,
            merge_warnings: 0,
            projects: 0,
            reused_projects: 0,
            processes: 0,
            out_of_scope: OutOfScope::default(),
            entities: 0,
            stale_entities: 0,
            flags: Default::default(),
            sample: None,
            conversion_notes: 0,
            store: None,
            fingerprint: String::new(),
            output_kept: false,
        }
    }
}
