//! The run report: what was read, stored, set aside and published, and how the run ended.

use serde::Serialize;

use crate::store::{ConflictRow, QuarantineRow, StoreTotals};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Everything was read.
    Ok,
    /// Published, but some input was quarantined.
    Partial,
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
    /// Status date used for contracting-process statuses.
    pub as_of: String,
    /// `ok` or `partial`.
    pub status: Status,
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
    /// Contracting processes published.
    pub processes: u64,
    /// Entities scored.
    pub entities: u64,
    /// Conversion notes (values left unset and why), counted.
    pub conversion_notes: u64,
    /// What the store holds after the run.
    pub store: Option<StoreTotals>,
}

impl RunReport {
    /// An empty report for a run that has just started.
    pub fn new(run_id: i64, config: &str, started_at: &str, as_of: &str) -> RunReport {
        RunReport {
            costwatch_version: env!("CARGO_PKG_VERSION"),
            run_id,
            config: config.to_string(),
            started_at: started_at.to_string(),
            finished_at: String::new(),
            duration_seconds: 0.0,
            as_of: as_of.to_string(),
            status: Status::Ok,
            inputs: Vec::new(),
            releases: ReleaseCounts::default(),
            conflicts: Vec::new(),
            conflicts_total: 0,
            quarantined: Vec::new(),
            compiled: 0,
            merge_warnings: 0,
            projects: 0,
            processes: 0,
            entities: 0,
            conversion_notes: 0,
            store: None,
        }
    }
}
