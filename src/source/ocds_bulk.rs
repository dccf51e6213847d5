//! The `ocds-bulk` source: files over HTTP (fixed URLs, or a URL template walked by year or
//! month) holding release packages, record packages, JSON arrays or JSON lines, plain, gzip
//! or zip. Each download goes to a temporary file first and is then read as a stream, member
//! by member for a zip: a file of several GB is never held in memory.

use std::io::Read;

use chrono::Datelike;
use serde_json::{Value, json};

use super::http::{Failure, Fetched, Request, download};
use super::walk::{Backlog, Flow, drive, fixed_urls, give_up, request};
use super::{Ctx, Error, Shared, Taken};
use crate::config::Bulk;
use crate::store::InputRecord;

/// What one planned download is.
#[derive(Debug, Clone)]
enum Key {
    Fixed,
    Period(i32, u32),
}

pub(super) async fn fetch(ctx: &mut Ctx<'_>, bulk: &Bulk, client: &Shared) -> Result<(), Error> {
    let source = ctx.target.source;
    let http = &source.http;
    let cursor = ctx.checkpoint.cursor.clone();
    let mut plan: Vec<(Key, Request)> = fixed_urls(ctx, &bulk.urls)?
        .into_iter()
        .map(|(_, r)| (Key::Fixed, r))
        .collect();
    let period_text = |v: &Value| v.as_str().and_then(parse_period);
    let mut backlog = Backlog::new(if ctx.full {
        Vec::new()
    } else {
        cursor
            .get("failed")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(period_text).collect())
            .unwrap_or_default()
    });
    let resume = if ctx.full {
        None
    } else {
        cursor.get("next_period").and_then(period_text)
    };
    if let Some(t) = &bulk.template {
        let from = match resume {
            Some(p) => step_back(p, source.overlap, t.monthly).max(t.start),
            None => t.start,
        };
        // Periods that failed last time, then the walk; in order, each once.
        let mut wanted = backlog.waiting().to_vec();
        wanted.extend(periods(from, now_period(), t.monthly));
        wanted.sort();
        wanted.dedup();
        for (y, m) in wanted {
            // The template was checked when the config was read.
            if let Ok(r) = request(&t.url, http, &vars(y, m), &[], true) {
                plan.push((Key::Period(y, m), r));
            }
        }
    }
    let monthly = bulk.template.as_ref().is_some_and(|t| t.monthly);
    let mut next = resume;
    let c = client.clone();
    let mut not_published = 0u64;
    drive(
        ctx,
        http.concurrency,
        plan.into_iter(),
        move |req| download(c.clone(), req),
        |ctx, key, result: Result<Fetched, Failure>| {
            let ok = match (result, &key) {
                // A period not published yet (or never): not an error.
                (Err(f), Key::Period(..)) if f.is_not_found() => {
                    not_published += 1;
                    tracing::debug!(url = %f.url, "not published");
                    true
                }
                (Err(f), _) => {
                    give_up(ctx, &f)?;
                    false
                }
                (Ok(fetched), _) => {
                    take_download(ctx, fetched)?;
                    true
                }
            };
            if let Key::Period(y, m) = key {
                backlog.settle(&(y, m), ok);
                let after = next_period((y, m), monthly);
                next = Some(next.map_or(after, |n| n.max(after)));
                let text = |(y, m): (i32, u32)| format!("{y:04}-{m:02}");
                ctx.checkpoint.cursor = json!({
                    "next_period": next.map(text),
                    "failed": backlog.keys().into_iter().map(text).collect::<Vec<_>>(),
                });
                ctx.save_checkpoint()?;
            }
            Ok(Flow::Continue)
        },
    )
    .await?;
    if ctx.health.pages == 0 && ctx.health.pages_unchanged == 0 && not_published > 0 {
        ctx.health
            .note_error(format!("{not_published} URL(s) answered 404"));
        ctx.health.unreachable = true;
    }
    Ok(())
}

/// Stores a downloaded file (or each member of a zip), unless the same bytes were stored from
/// the same URL before.
pub(super) fn take_download(ctx: &mut Ctx<'_>, fetched: Fetched) -> Result<(), Error> {
    let file = &fetched.body;
    let ms = fetched.elapsed.as_millis();
    if !ctx.full
        && ctx
            .target
            .store
            .input_seen(&ctx.target.source.id, &fetched.url, &fetched.sha256)?
    {
        ctx.health.pages_unchanged += 1;
        ctx.health.bytes += fetched.size;
        tracing::debug!(url = %fetched.url, "unchanged since it was last stored");
        return Ok(());
    }
    let path = file.path().to_path_buf();
    if is_zip(&path) {
        return take_zip(ctx, &fetched, &path, ms);
    }
    let record = fetched.record(&ctx.target.source.id);
    let mut open =
        || -> std::io::Result<Box<dyn Read + Send>> { Ok(Box::new(std::fs::File::open(&path)?)) };
    let mut hook = |_: &crate::store::Store, _: &Taken| Ok(());
    let taken = ctx.target.stream(&record, &mut open, &mut hook)?;
    ctx.stored(&fetched.url, Some(fetched.status), fetched.size, &taken, ms);
    Ok(())
}

fn is_zip(path: &std::path::Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == *b"PK\x03\x04"
}

/// Every file in the archive is an input of its own (`URL#member`). The download is recorded
/// as stored only when every member was read.
fn take_zip(
    ctx: &mut Ctx<'_>,
    fetched: &Fetched,
    path: &std::path::Path,
    ms: u128,
) -> Result<(), Error> {
    let archive = std::fs::File::open(path)
        .map_err(zip::result::ZipError::Io)
        .and_then(zip::ZipArchive::new);
    let mut archive = match archive {
        Ok(a) => a,
        Err(e) => {
            return ctx.failed(&fetched.url, Some(fetched.status), "bad_zip", e.to_string());
        }
    };
    let names: Vec<(usize, String, u64)> = (0..archive.len())
        .filter_map(|i| {
            let f = archive.by_index_raw(i).ok()?;
            (!f.is_dir()).then(|| (i, f.name().to_string(), f.size()))
        })
        .collect();
    let mut all = Taken {
        stored: true,
        ..Taken::default()
    };
    for (index, name, size) in names {
        let location = format!("{}#{name}", fetched.url);
        let record = InputRecord {
            source_id: &ctx.target.source.id,
            location: &location,
            size,
            sha256: &fetched.sha256,
            modified_at: None,
            read_at: &fetched.fetched_at,
            http_status: Some(fetched.status),
        };
        // A member is a deflate stream without random access: it is unpacked to its own
        // temporary file (streamed), which can be read again for an ISO-8859-1 retry.
        let taken = match unpack(&mut archive, index, path) {
            Err(e) => ctx
                .target
                .reject(&record, "bad_zip", None, None, e.to_string())?,
            Ok(unpacked) => {
                let member = unpacked.path().to_path_buf();
                let mut open = || -> std::io::Result<Box<dyn Read + Send>> {
                    Ok(Box::new(std::fs::File::open(&member)?))
                };
                let mut hook = |_: &crate::store::Store, _: &Taken| Ok(());
                ctx.target.stream(&record, &mut open, &mut hook)?
            }
        };
        all.stored &= taken.stored;
        all.items += taken.items;
        all.new += taken.new;
        all.repeated += taken.repeated;
        all.conflicting += taken.conflicting;
        if let (None, Some(why)) = (&all.rejected, taken.rejected) {
            all.rejected = Some(format!("member {name}: {why}"));
        }
    }
    // The whole download's row, so that an unchanged archive is recognised next time.
    if all.stored {
        let record = fetched.record(&ctx.target.source.id);
        let id = ctx.target.store.record_input(ctx.target.run_id, &record)?;
        ctx.target.store.finish_input(id, "ok", "zip", all.items)?;
    }
    ctx.stored(&fetched.url, Some(fetched.status), fetched.size, &all, ms);
    Ok(())
}

/// Copies one member into a temporary file beside the archive.
fn unpack(
    archive: &mut zip::ZipArchive<std::fs::File>,
    index: usize,
    archive_path: &std::path::Path,
) -> std::io::Result<tempfile::NamedTempFile> {
    let mut member = archive.by_index(index).map_err(std::io::Error::other)?;
    let mut out = match archive_path.parent() {
        Some(dir) => tempfile::NamedTempFile::new_in(dir)?,
        None => tempfile::NamedTempFile::new()?,
    };
    std::io::copy(&mut member, &mut out)?;
    Ok(out)
}

fn vars(y: i32, m: u32) -> Vec<(&'static str, String)> {
    vec![("year", format!("{y:04}")), ("month", format!("{m:02}"))]
}

fn parse_period(s: &str) -> Option<(i32, u32)> {
    let (y, m) = s.split_once('-')?;
    Some((y.parse().ok()?, m.parse().ok()?))
}

fn now_period() -> (i32, u32) {
    let d = chrono::Utc::now().date_naive();
    (d.year(), d.month())
}

fn next_period((y, m): (i32, u32), monthly: bool) -> (i32, u32) {
    if !monthly || m == 12 {
        (y + 1, 1)
    } else {
        (y, m + 1)
    }
}

fn step_back((y, m): (i32, u32), n: u32, monthly: bool) -> (i32, u32) {
    if !monthly {
        return (y - n as i32, 1);
    }
    let total = y * 12 + (m as i32 - 1) - n as i32;
    (total.div_euclid(12), total.rem_euclid(12) as u32 + 1)
}

/// Periods from `from` to `to`, inclusive.
fn periods(from: (i32, u32), to: (i32, u32), monthly: bool) -> Vec<(i32, u32)> {
    let mut out = Vec::new();
    let mut p = if monthly { from } else { (from.0, 1) };
    let end = if monthly { to } else { (to.0, 1) };
    while p <= end {
        out.push(p);
        p = next_period(p, monthly);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_walk_months_and_years() {
        assert_eq!(
            periods((2024, 11), (2025, 2), true),
            vec![(2024, 11), (2024, 12), (2025, 1), (2025, 2)]
        );
        assert_eq!(
            periods((2023, 5), (2025, 2), false),
            vec![(2023, 1), (2024, 1), (2025, 1)]
        );
        assert_eq!(step_back((2025, 1), 2, true), (2024, 11));
        assert_eq!(step_back((2025, 1), 1, false), (2024, 1));
    }
}
