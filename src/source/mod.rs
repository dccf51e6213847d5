//! Sources: where inputs come from, and how each input reaches the store.
//!
//! In: a configured source. Out: releases and compiled releases in the store, every input
//! recorded with its provenance, every unreadable part quarantined with its reason. An input
//! is stored all or nothing when it is one document; JSON lines are kept line by line.

mod local;

use std::io::Read;

use crate::config::{EncodingName, Source};
use crate::ocds::package::{self, Encoding, Item, Layout, ReadError};
use crate::report::{InputReport, RunReport};
use crate::store::{self, InputRecord, Inserted, QuarantineRow, Store};

pub use local::list_files;

/// Errors that stop the run (the store failed); bad data never does.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store failed while taking the input.
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// Reads every input of a source into the store.
#[tracing::instrument(skip_all, fields(source = %source.id))]
pub fn fetch(
    source: &Source,
    store: &Store,
    run_id: i64,
    report: &mut RunReport,
) -> Result<(), Error> {
    let listing = local::list_files(&source.paths);
    for missing in listing.unmatched {
        tracing::warn!(pattern = %missing, "path or pattern matched no file");
        quarantine(
            store,
            run_id,
            report,
            QuarantineRow {
                source_id: source.id.clone(),
                location: missing,
                line: None,
                byte_offset: None,
                reason: "not_found".into(),
                detail: "the path or pattern matched no file".into(),
            },
        )?;
    }
    for path in listing.files {
        ingest_file(source, &path, store, run_id, report)?;
    }
    Ok(())
}

fn quarantine(
    store: &Store,
    run_id: i64,
    report: &mut RunReport,
    row: QuarantineRow,
) -> Result<(), Error> {
    store.quarantine(run_id, &row)?;
    report.quarantined.push(row);
    Ok(())
}

/// Reads one file: hash and size first, then the content, stored inside a savepoint.
fn ingest_file(
    source: &Source,
    path: &std::path::Path,
    store: &Store,
    run_id: i64,
    report: &mut RunReport,
) -> Result<(), Error> {
    let location = path.display().to_string();
    let read_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (size, sha256, modified_at) = match fingerprint(path) {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(path = %location, error = %e, "input unreadable");
            return quarantine(
                store,
                run_id,
                report,
                QuarantineRow {
                    source_id: source.id.clone(),
                    location,
                    line: None,
                    byte_offset: None,
                    reason: "unreadable".into(),
                    detail: e.to_string(),
                },
            );
        }
    };
    let record = InputRecord {
        source_id: &source.id,
        location: &location,
        size,
        sha256: &sha256,
        modified_at,
        read_at: &read_at,
    };
    let first = match source.encoding {
        EncodingName::Auto => None,
        EncodingName::Utf8 => Some(Encoding::Utf8),
        EncodingName::Latin1 => Some(Encoding::Latin1),
    };
    let mut attempt = first;
    loop {
        store.begin_input()?;
        let input_id = store.record_input(run_id, &record)?;
        let mut counts = report.releases;
        let result = std::fs::File::open(path)
            .map_err(ReadError::Io)
            .and_then(|file| {
                package::read(file, attempt, &mut |item| {
                    let outcome = match &item {
                        Item::Release(r) => store.insert_release(r, input_id, run_id)?,
                        Item::Compiled(c) => {
                            let o = store.insert_record_compiled(c, input_id, run_id)?;
                            if o == Inserted::New {
                                counts.from_records += 1;
                            }
                            return Ok(());
                        }
                    };
                    match outcome {
                        Inserted::New => counts.new += 1,
                        Inserted::Repeat => counts.repeated += 1,
                        Inserted::Conflict => counts.conflicting += 1,
                    }
                    Ok::<(), store::Error>(())
                })
            });
        let summary = match result {
            Ok(s) => s,
            Err(ReadError::NotUtf8(at)) if attempt.is_none() => {
                store.rollback_input()?;
                tracing::info!(path = %location, byte = at, "not UTF-8; reading as ISO-8859-1");
                attempt = Some(Encoding::Latin1);
                continue;
            }
            Err(e) => {
                store.rollback_input()?;
                let (reason, offset, detail) = match e {
                    ReadError::Sink(e) => return Err(e.into()),
                    // With an explicit encoding read() reports bad bytes as issues; kept total.
                    ReadError::NotUtf8(at) => (
                        "invalid_utf8",
                        Some(at),
                        "bytes that are not UTF-8".to_string(),
                    ),
                    ReadError::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                        ("truncated", None, e.to_string())
                    }
                    ReadError::Io(e) => ("unreadable", None, e.to_string()),
                };
                return reject(
                    source, &record, store, run_id, report, reason, offset, None, detail,
                );
            }
        };
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
            store.rollback_input()?;
            let issue = summary.issues.iter().find(|i| i.fatal).cloned();
            let Some(issue) = issue else { return Ok(()) };
            return reject(
                source,
                &record,
                store,
                run_id,
                report,
                issue.reason.code(),
                issue.offset,
                issue.line,
                issue.detail,
            );
        }
        let status = if summary.issues.is_empty() {
            "ok"
        } else {
            "partial"
        };
        store.finish_input(input_id, status, &format, summary.items)?;
        store.commit_input()?;
        report.releases = counts;
        for issue in &summary.issues {
            tracing::warn!(path = %location, reason = issue.reason.code(), detail = %issue.detail, "part of input quarantined");
            quarantine(
                store,
                run_id,
                report,
                QuarantineRow {
                    source_id: source.id.clone(),
                    location: location.clone(),
                    line: issue.line,
                    byte_offset: issue.offset,
                    reason: issue.reason.code().into(),
                    detail: issue.detail.clone(),
                },
            )?;
        }
        tracing::info!(path = %location, items = summary.items, format = %format, encoding, "input read");
        report.inputs.push(InputReport {
            source: source.id.clone(),
            location,
            size,
            sha256,
            format,
            encoding: encoding.into(),
            items: summary.items,
            status: status.into(),
        });
        return Ok(());
    }
}

/// Records an input that was rejected whole, and why.
#[allow(clippy::too_many_arguments)]
fn reject(
    source: &Source,
    record: &InputRecord<'_>,
    store: &Store,
    run_id: i64,
    report: &mut RunReport,
    reason: &str,
    offset: Option<u64>,
    line: Option<u64>,
    detail: String,
) -> Result<(), Error> {
    let input_id = store.record_input(run_id, record)?;
    store.finish_input(input_id, "quarantined", "-", 0)?;
    tracing::warn!(path = %record.location, reason, line, offset, detail = %detail, "input quarantined");
    report.inputs.push(InputReport {
        source: source.id.clone(),
        location: record.location.to_string(),
        size: record.size,
        sha256: record.sha256.to_string(),
        format: "-".into(),
        encoding: "-".into(),
        items: 0,
        status: "quarantined".into(),
    });
    quarantine(
        store,
        run_id,
        report,
        QuarantineRow {
            source_id: source.id.clone(),
            location: record.location.to_string(),
            line,
            byte_offset: offset,
            reason: reason.into(),
            detail,
        },
    )
}

/// Size, SHA-256 and modification time, read as a stream.
fn fingerprint(path: &std::path::Path) -> std::io::Result<(u64, String, Option<String>)> {
    use sha2::{Digest, Sha256};
    let mut file = std::fs::File::open(path)?;
    let modified = file.metadata().and_then(|m| m.modified()).ok().map(|t| {
        chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    });
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((size, crate::util::hex(&hasher.finalize()), modified))
}
