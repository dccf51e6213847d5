//! Taking one input (a file, a downloaded file, an archive member, an API page) into the store,
//! all or nothing: inside a savepoint, with its provenance, and with the source's checkpoint
//! saved in the same savepoint so that a run stopped at any moment resumes exactly after what
//! was committed.

use std::io::Read;

use serde_json::Value;

use super::Error;
use crate::config::{EncodingName, Source};
use crate::ocds::package::{self, Encoding, Item, Layout, ReadError, Summary};
use crate::report::{InputReport, RunReport};
use crate::store::{self, InputRecord, Inserted, Prepared, QuarantineRow, Store};

/// Why an input is rejected whole: reason code, byte offset, detail.
struct Rejection(&'static str, Option<u64>, String);

impl Rejection {
    /// Bytes that are not UTF-8 where the encoding was given (otherwise the reader reports
    /// them as issues, or the input is read again as ISO-8859-1).
    fn not_utf8(at: u64) -> Rejection {
        Rejection(
            "invalid_utf8",
            Some(at),
            "bytes that are not UTF-8".to_string(),
        )
    }

    /// The bytes could not be read, or ended early.
    fn io(e: std::io::Error) -> Rejection {
        let reason = match e.kind() {
            std::io::ErrorKind::UnexpectedEof => "truncated",
            _ => "unreadable",
        };
        Rejection(reason, None, e.to_string())
    }
}

/// What one input gave.
#[derive(Debug, Clone, Default)]
pub struct Taken {
    /// False when the input was rejected whole.
    pub stored: bool,
    /// Releases and compiled releases read.
    pub items: u64,
    /// Stored for the first time (releases and compiled releases).
    pub new: u64,
    /// Of `new`, compiled releases taken from records.
    pub from_records: u64,
    /// Identical repeats (pagination drift, overlap, re-published files).
    pub repeated: u64,
    /// Same (ocid, id), different content.
    pub conflicting: u64,
    /// Newest release `date` in the input.
    pub newest: Option<String>,
    /// Why the input was rejected whole (`reason: detail`), when it was.
    pub rejected: Option<String>,
}

/// The run-wide things an input is written to.
pub struct Target<'a> {
    /// The store.
    pub store: &'a Store,
    /// This run.
    pub run_id: i64,
    /// The report being filled.
    pub report: &'a mut RunReport,
    /// The source.
    pub source: &'a Source,
}

/// Runs inside the input's savepoint just before it is committed (to save a checkpoint).
pub type Hook<'h> = &'h mut dyn FnMut(&Store, &Taken) -> Result<(), store::Error>;

impl Target<'_> {
    /// Records a quarantined part in the store and the report.
    pub fn quarantine(&mut self, row: QuarantineRow) -> Result<(), Error> {
        self.store.quarantine(self.run_id, &row)?;
        self.report.quarantined.push(row);
        Ok(())
    }

    /// A quarantine row for this source.
    pub fn row(&self, location: &str, reason: &str, detail: String) -> QuarantineRow {
        QuarantineRow {
            source_id: self.source.id.clone(),
            location: location.to_string(),
            line: None,
            byte_offset: None,
            reason: reason.into(),
            detail,
        }
    }

    /// Reads a stream (re-opened for an ISO-8859-1 retry) into the store.
    pub fn stream(
        &mut self,
        record: &InputRecord<'_>,
        open: &mut dyn FnMut() -> std::io::Result<Box<dyn Read + Send>>,
        hook: Hook<'_>,
    ) -> Result<Taken, Error> {
        self.read_input(record, None, None, open, hook, None)
    }

    /// Reads a local file into the store, once: its size and SHA-256 come from `digest` as the
    /// bytes are parsed, and replace `record`'s.
    pub fn stream_file(
        &mut self,
        record: &InputRecord<'_>,
        digest: &super::local::ReadDigest,
        hook: Hook<'_>,
    ) -> Result<Taken, Error> {
        let mut open = || digest.reader();
        self.read_input(record, None, None, &mut open, hook, Some(digest))
    }

    /// Reads an API page (spooled to a file) into the store: one document with its package at
    /// `package_pointer`, in the encoding its probe found. A page that holds no OCDS at all is
    /// rejected whole.
    pub fn stream_page(
        &mut self,
        record: &InputRecord<'_>,
        package_pointer: &str,
        encoding: Encoding,
        open: &mut dyn FnMut() -> std::io::Result<Box<dyn Read + Send>>,
        hook: Hook<'_>,
    ) -> Result<Taken, Error> {
        self.read_input(
            record,
            Some(package_pointer),
            Some(encoding),
            open,
            hook,
            None,
        )
    }

    fn read_input(
        &mut self,
        record: &InputRecord<'_>,
        package_pointer: Option<&str>,
        known: Option<Encoding>,
        open: &mut dyn FnMut() -> std::io::Result<Box<dyn Read + Send>>,
        hook: Hook<'_>,
        digest: Option<&super::local::ReadDigest>,
    ) -> Result<Taken, Error> {
        let mut attempt = known.or(match self.source.encoding {
            EncodingName::Auto => None,
            EncodingName::Utf8 => Some(Encoding::Utf8),
            EncodingName::Latin1 => Some(Encoding::Latin1),
        });
        loop {
            self.store.begin_input()?;
            let input_id = self.store.record_input(self.run_id, record)?;
            let limit = self.source.max_item_bytes;
            // Two things at once: a thread of its own reads the input (a line holding one
            // release is parsed and hashed there, as it is read) and makes each batch of items
            // ready for the store on the pool (hashing parsed releases, deflating), while this
            // one stores what it was handed, in the order read.
            let mut storing = Storing::new(self.store, input_id, self.run_id);
            let result = open().map_err(ReadError::Io).and_then(|reader| {
                read_beside(reader, &mut storing, |reader, mut sink| {
                    package::read_at(reader, attempt, limit, package_pointer, &mut sink)
                })
            });
            let taken = storing.taken;
            if let Err(ReadError::NotUtf8(at)) = result
                && attempt.is_none()
            {
                self.store.rollback_input()?;
                tracing::info!(location = %record.location, byte = at, "not UTF-8; reading as ISO-8859-1");
                attempt = Some(Encoding::Latin1);
                continue;
            }
            // A store error stops the run; nothing of this input is kept. Any other error
            // rejects the input, for the first reason found.
            let mut outcome = match result {
                Ok(summary) => Ok(summary),
                Err(ReadError::Sink(e)) => {
                    self.store.rollback_input()?;
                    return Err(e.into());
                }
                Err(ReadError::NotUtf8(at)) => Err(Rejection::not_utf8(at)),
                Err(ReadError::Io(e)) => Err(Rejection::io(e)),
            };
            // The digest's figures once the reader is done with the file: of the whole file,
            // or of the bytes read when the rest cannot be read.
            let (sha256, settled);
            let record = match digest {
                None => record,
                Some(digest) => {
                    let (size, sha) = digest.finish().unwrap_or_else(|e| {
                        if outcome.is_ok() {
                            outcome = Err(Rejection::io(e));
                        }
                        digest.so_far()
                    });
                    sha256 = sha;
                    settled = InputRecord {
                        size,
                        sha256: &sha256,
                        ..record.clone()
                    };
                    &settled
                }
            };
            if outcome.is_ok()
                && digest.is_some()
                && let Err(e) = self
                    .store
                    .settle_input(input_id, record.size, record.sha256)
            {
                self.store.rollback_input()?;
                return Err(e.into());
            }
            return match outcome {
                Ok(summary) => self.finish(record, input_id, summary, taken, hook),
                Err(Rejection(reason, offset, detail)) => {
                    self.store.rollback_input()?;
                    self.reject(record, reason, offset, None, detail)
                }
            };
        }
    }

    fn finish(
        &mut self,
        record: &InputRecord<'_>,
        input_id: i64,
        summary: Summary,
        mut taken: Taken,
        hook: Hook<'_>,
    ) -> Result<Taken, Error> {
        let mut format = match summary.layout {
            Layout::Document => "document".to_string(),
            Layout::JsonLines => "json-lines".to_string(),
        };
        if summary.gzip {
            format.push_str("+gzip");
        }
        let encoding = match summary.encoding {
            Encoding::Utf8 => "utf-8",
            Encoding::Latin1 => "iso-8859-1",
        };
        if summary.is_fatal() {
            // One document that cannot be read whole: nothing from it is kept.
            self.store.rollback_input()?;
            if let Some(issue) = summary.issues.iter().find(|i| i.fatal) {
                return self.reject(
                    record,
                    issue.reason.code(),
                    issue.offset,
                    issue.line,
                    issue.detail.clone(),
                );
            }
            return Ok(Taken::default());
        }
        let status = if summary.issues.is_empty() {
            "ok"
        } else {
            "partial"
        };
        self.store
            .finish_input(input_id, status, &format, summary.items)?;
        if let Some(uri) = &summary.package_uri {
            self.store.set_package_uri(input_id, uri)?;
        }
        taken.stored = true;
        taken.items = summary.items;
        if let Err(e) = hook(self.store, &taken) {
            self.store.rollback_input()?;
            return Err(e.into());
        }
        self.store.commit_input()?;
        let counts = &mut self.report.releases;
        counts.new += taken.new - taken.from_records;
        counts.from_records += taken.from_records;
        counts.repeated += taken.repeated;
        counts.conflicting += taken.conflicting;
        for issue in &summary.issues {
            tracing::warn!(location = %record.location, reason = issue.reason.code(), detail = %issue.detail, "part of input quarantined");
            let mut row = self.row(record.location, issue.reason.code(), issue.detail.clone());
            row.line = issue.line;
            row.byte_offset = issue.offset;
            self.quarantine(row)?;
        }
        tracing::debug!(location = %record.location, items = summary.items, format = %format, encoding, "input read");
        self.report.inputs.push(InputReport {
            source: self.source.id.clone(),
            location: record.location.to_string(),
            size: record.size,
            sha256: record.sha256.to_string(),
            format,
            encoding: encoding.into(),
            items: summary.items,
            status: status.into(),
        });
        Ok(taken)
    }

    /// Records an input that was rejected whole, and why; nothing of it is stored.
    pub fn reject(
        &mut self,
        record: &InputRecord<'_>,
        reason: &str,
        offset: Option<u64>,
        line: Option<u64>,
        detail: String,
    ) -> Result<Taken, Error> {
        let input_id = self.store.record_input(self.run_id, record)?;
        self.store.finish_input(input_id, "quarantined", "-", 0)?;
        tracing::warn!(location = %record.location, reason, line, offset, detail = %detail, "input quarantined");
        self.report.inputs.push(InputReport {
            source: self.source.id.clone(),
            location: record.location.to_string(),
            size: record.size,
            sha256: record.sha256.to_string(),
            format: "-".into(),
            encoding: "-".into(),
            items: 0,
            status: "quarantined".into(),
        });
        let taken = Taken {
            rejected: Some(format!("{reason}: {detail}")),
            ..Taken::default()
        };
        let mut row = self.row(record.location, reason, detail);
        row.line = line;
        row.byte_offset = offset;
        self.quarantine(row)?;
        Ok(taken)
    }
}

/// The reader stopped because this thread stopped taking its items (after a store error,
/// which is the error reported).
#[derive(Debug, thiserror::Error)]
#[error("the store stopped taking items")]
struct Stopped;

/// Items made ready in one go, and hand-overs that may wait for the storing thread: enough
/// to keep the cores busy, few enough that memory stays small (at most this many batches,
/// each item at most the source's `max_item_bytes` of text, and deflated).
const BATCH: usize = 256;
const READ_AHEAD: usize = 2;

/// Runs `read` on a thread of its own, which makes its items ready for the store a batch at a
/// time on the pool; this thread stores them, in the order read, while the next batch is
/// read and made ready. (Taking turns, the pool waited for the inserts and the inserts for
/// the pool.)
fn read_beside(
    reader: Box<dyn Read + Send>,
    storing: &mut Storing<'_>,
    read: impl FnOnce(
        Box<dyn Read + Send>,
        &mut dyn FnMut(Item) -> Result<(), Stopped>,
    ) -> Result<Summary, ReadError<Stopped>>
    + Send,
) -> Result<Summary, ReadError<store::Error>> {
    use rayon::prelude::*;
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Ready>>(READ_AHEAD);
        let reading = scope.spawn(move || {
            let hand = |items: Vec<Item>| -> Result<(), Stopped> {
                let ready: Vec<Ready> = items.into_par_iter().map(Ready::of).collect();
                tx.send(ready).map_err(|_| Stopped)
            };
            let mut pending = Vec::with_capacity(BATCH);
            let summary = read(reader, &mut |item| {
                pending.push(item);
                if pending.len() >= BATCH {
                    hand(std::mem::replace(&mut pending, Vec::with_capacity(BATCH)))?;
                }
                Ok(())
            });
            if summary.is_ok() && !pending.is_empty() {
                // Nobody waits when the storing thread stopped; its error is reported.
                let _ = hand(pending);
            }
            summary
        });
        let mut stored = Ok(());
        'taking: for batch in rx {
            for ready in batch {
                if let Err(e) = storing.take(ready) {
                    stored = Err(e);
                    // Leaving the loop drops the receiver: the reader's next hand-over fails.
                    break 'taking;
                }
            }
        }
        let summary = match reading.join() {
            Ok(summary) => summary,
            // A panic while reading is a bug, never the data: raise it here.
            Err(panic) => std::panic::resume_unwind(panic),
        };
        stored.map_err(ReadError::Sink)?;
        summary.map_err(|e| match e {
            ReadError::Io(e) => ReadError::Io(e),
            ReadError::NotUtf8(at) => ReadError::NotUtf8(at),
            // Only sent when this thread stopped, which returned above.
            ReadError::Sink(Stopped) => ReadError::Io(std::io::Error::other(Stopped)),
        })
    })
}

/// An item made ready for the store.
enum Ready {
    /// A release or compiled release: keys, hash, deflated text.
    Prepared(Prepared),
    /// A record's linked release.
    Link { ocid: String, link: Value },
}

impl Ready {
    /// Hashes, writes out and deflates what needs it (on the pool).
    fn of(item: Item) -> Ready {
        Ready::Prepared(match item {
            Item::Link { ocid, link } => return Ready::Link { ocid, link },
            Item::Compiled(value) => Prepared::compiled(&value),
            Item::Release(value) => Prepared::release(&value),
            Item::Line(line) => {
                Prepared::as_published(&line.text, line.ocid, line.id, line.date, line.hash)
            }
        })
    }
}

/// Stores what the reader made ready, in input order, and counts it: counts and conflicts
/// are the same whatever the number of threads.
struct Storing<'s> {
    store: &'s Store,
    input_id: i64,
    run_id: i64,
    taken: Taken,
}

impl<'s> Storing<'s> {
    fn new(store: &'s Store, input_id: i64, run_id: i64) -> Self {
        Storing {
            store,
            input_id,
            run_id,
            taken: Taken::default(),
        }
    }

    fn take(&mut self, ready: Ready) -> Result<(), store::Error> {
        let item = match ready {
            Ready::Link { ocid, link } => {
                return self.store.insert_link(
                    &ocid,
                    &link,
                    link.get("url")
                        .and_then(Value::as_str)
                        .and_then(super::http::document_of)
                        .as_deref(),
                    self.input_id,
                    self.run_id,
                );
            }
            Ready::Prepared(item) => item,
        };
        let taken = &mut self.taken;
        match self
            .store
            .insert_prepared(&item, self.input_id, self.run_id)?
        {
            Inserted::New if item.release_id.is_none() => {
                taken.new += 1;
                taken.from_records += 1;
            }
            Inserted::New => taken.new += 1,
            Inserted::Repeat => taken.repeated += 1,
            Inserted::Conflict => taken.conflicting += 1,
        }
        if let Some(d) = item.date.as_deref()
            && crate::util::is_date_time(d)
            && taken.newest.as_deref().is_none_or(|n| newer(d, n))
        {
            taken.newest = Some(d.to_string());
        }
        Ok(())
    }
}

/// Compares two RFC 3339 instants (by time, not text).
pub fn newer(a: &str, b: &str) -> bool {
    match (crate::util::parse_instant(a), crate::util::parse_instant(b)) {
        (Some(x), Some(y)) => x > y,
        _ => a > b,
    }
}
