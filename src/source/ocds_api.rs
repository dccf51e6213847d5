//! The `ocds-api` source: a paginated JSON API, walked by `links.next`, by page numbers or
//! offsets, or by date windows. Each page is a release package or a record package (told
//! apart per page), possibly wrapped (`package_pointer`).
//!
//! Pages are fetched `concurrency` at a time but taken into the store in order, so the
//! checkpoint saved with each page always means "everything before this is stored".

use chrono::{Duration as Days, NaiveDate, Utc};
use futures_util::StreamExt;
use reqwest::Url;
use serde_json::{Value, json};

use super::http::{Body, Failure, Fetched, Keep, Request};
use super::{Ctx, Error, Shared};
use crate::config::{Api, EncodingName, Http, Paginate};

/// Consecutive failures, before any page succeeded, after which a source is taken as down.
const BREAKER: u64 = 3;

/// A page fetched and parsed.
pub(super) struct Page {
    pub fetched: Fetched,
    pub value: Value,
}

/// Whether to go on after a page.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Flow {
    Continue,
    Stop,
}

pub(super) async fn fetch(ctx: &mut Ctx<'_>, api: &Api, client: &Shared) -> Result<(), Error> {
    match &api.paginate {
        Paginate::Next { pointer } => by_links(ctx, api, client, pointer).await,
        Paginate::Numbered { .. } => numbered(ctx, api, client).await,
        Paginate::Windows { .. } => windows(ctx, api, client).await,
    }
}

/// Builds a request: placeholders filled in the URL and body, query parameters added.
pub(super) fn request(
    url: &str,
    http: &Http,
    vars: &[(&str, String)],
    extra: &[(String, String)],
    add_configured_query: bool,
) -> Result<Request, String> {
    let fill = |t: &str| {
        let mut s = t.to_string();
        for (k, v) in vars {
            s = s.replace(&format!("{{{k}}}"), v);
        }
        s
    };
    let mut parsed = Url::parse(&fill(url)).map_err(|e| format!("`{url}`: {e}"))?;
    {
        let configured = http.query.iter().filter(|_| add_configured_query);
        let mut pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
            .collect();
        for (k, v) in configured.chain(extra.iter()) {
            pairs.retain(|(e, _)| e != k);
            pairs.push((k.clone(), fill(v)));
        }
        if pairs.is_empty() {
            parsed.set_query(None);
        } else {
            parsed.query_pairs_mut().clear().extend_pairs(pairs);
        }
    }
    Ok(Request {
        url: parsed,
        body: http.body.as_deref().map(fill),
    })
}

/// Parses a page body: gzip by its magic bytes, UTF-8, or ISO-8859-1 when allowed.
pub(super) fn decode(bytes: &[u8], encoding: EncodingName) -> Result<Value, String> {
    let mut owned = Vec::new();
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        use std::io::Read;
        flate2::read::MultiGzDecoder::new(bytes)
            .read_to_end(&mut owned)
            .map_err(|e| format!("gzip: {e}"))?;
        &owned[..]
    } else {
        bytes
    };
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let as_latin1 = |b: &[u8]| -> String { b.iter().map(|&c| char::from(c)).collect() };
    let result = match encoding {
        EncodingName::Latin1 => serde_json::from_str(&as_latin1(bytes)),
        _ => serde_json::from_slice(bytes),
    };
    match result {
        Ok(v) => Ok(v),
        Err(e) if encoding == EncodingName::Auto && std::str::from_utf8(bytes).is_err() => {
            serde_json::from_str(&as_latin1(bytes))
                .map_err(|e2| format!("{e2} (read as ISO-8859-1 after: {e})"))
        }
        Err(e) => Err(format!("{e}")),
    }
}

/// Fetches one page and parses it; a body that is not JSON is fetched again like a 5xx.
pub(super) async fn get_page(
    client: Shared,
    req: Request,
    encoding: EncodingName,
) -> Result<Page, Failure> {
    let parse = move |body: &Body| match body {
        Body::Memory(bytes) => decode(bytes, encoding),
        Body::Disk(_) => Err("a page is kept in memory".into()),
    };
    let (fetched, value) = client.fetch(&req, Keep::Memory, parse).await?;
    Ok(Page { fetched, value })
}

/// A spawned task that is cancelled when dropped (a walk that stops early leaves nothing
/// running).
struct Task<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Fetches `reqs` with up to `concurrency` in flight, handing results to `each` in order.
/// Stops when `each` says so, or when the source looks down (the first few all failed).
pub(super) async fn drive<K, T, I, F, Fut>(
    ctx: &mut Ctx<'_>,
    concurrency: usize,
    reqs: I,
    get: F,
    mut each: impl FnMut(&mut Ctx<'_>, K, Result<T, Failure>) -> Result<Flow, Error>,
) -> Result<(), Error>
where
    K: Send + 'static,
    T: Send + 'static,
    I: Iterator<Item = (K, Request)>,
    F: Fn(Request) -> Fut,
    Fut: std::future::Future<Output = Result<T, Failure>> + Send + 'static,
{
    let mut stream = futures_util::stream::iter(reqs)
        .map(|(key, req)| {
            let url = req.url.to_string();
            let task = Task(tokio::spawn(get(req)));
            async move {
                let mut task = task;
                let joined = (&mut task.0).await;
                let result = joined.unwrap_or_else(|e| {
                    Err(Failure {
                        url,
                        status: None,
                        reason: "internal".into(),
                        error: format!("request task failed: {e}"),
                        attempts: 0,
                    })
                });
                (key, result)
            }
        })
        .buffered(concurrency.max(1));
    let mut failed_before_any = 0u64;
    while let Some((key, result)) = stream.next().await {
        let ok = result.is_ok();
        if each(ctx, key, result)? == Flow::Stop {
            break;
        }
        if ok {
            failed_before_any = u64::MAX;
        } else if failed_before_any != u64::MAX {
            failed_before_any += 1;
            if failed_before_any >= BREAKER && ctx.health.pages == 0 {
                tracing::warn!(source = %ctx.health.id, "the first {BREAKER} requests failed: source down");
                ctx.health.unreachable = true;
                break;
            }
        }
    }
    Ok(())
}

/// Stores a page's package; `cursor` is saved as the checkpoint with it.
pub(super) fn take_page(
    ctx: &mut Ctx<'_>,
    pointer: &str,
    page: Page,
    cursor: Value,
) -> Result<super::Taken, Error> {
    let Page { fetched, mut value } = page;
    let package = if pointer.is_empty() {
        Some(value)
    } else {
        value.pointer_mut(pointer).map(Value::take)
    };
    let record = fetched.record(&ctx.target.source.id);
    let ms = fetched.elapsed.as_millis();
    if fetched.attempts > 1 {
        tracing::info!(url = %fetched.url, attempts = fetched.attempts, "page fetched after retries");
    }
    let taken = match package {
        Some(package) => {
            let mut hook = ctx.hook_for(cursor.clone());
            ctx.target.value(&record, package, &mut hook)?
        }
        None => {
            ctx.target.reject(
                &record,
                "not_ocds",
                None,
                None,
                format!("no package at `{pointer}` (package_pointer)"),
            )?;
            super::Taken::default()
        }
    };
    if taken.stored {
        ctx.checkpoint.cursor = cursor;
    } else {
        ctx.health
            .note_error(format!("{}: not an OCDS page", fetched.url));
    }
    ctx.stored(&fetched.url, Some(fetched.status), fetched.size, &taken, ms);
    Ok(taken)
}

/// Quarantines a page given up on.
pub(super) fn give_up(ctx: &mut Ctx<'_>, f: &Failure) -> Result<(), Error> {
    ctx.failed(
        &f.url,
        f.status,
        &f.reason,
        format!("{} (after {} tries)", f.error, f.attempts),
    )
}

fn str_at(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// `links.next`: one page after another. The cursor is the next page's URL and the last
/// page read; a finished walk resumes from its last page (new releases are appended there).
async fn by_links(
    ctx: &mut Ctx<'_>,
    api: &Api,
    client: &Shared,
    pointer: &str,
) -> Result<(), Error> {
    let http = &ctx.target.source.http;
    let encoding = ctx.target.source.encoding;
    let cursor = ctx.checkpoint.cursor.clone();
    let resume = if ctx.full {
        None
    } else {
        str_at(&cursor, "next").or_else(|| str_at(&cursor, "last"))
    };
    let mut seen = std::collections::HashSet::new();
    let (mut url, mut first) = match resume {
        Some(u) => (u, false),
        None => (api.url.clone(), true),
    };
    let mut last_ok = cursor.get("last").cloned().unwrap_or(Value::Null);
    loop {
        let req = match request(&url, http, &[], &[], first) {
            Ok(r) => r,
            Err(e) => {
                ctx.failed(&url, None, "bad_url", e)?;
                break;
            }
        };
        first = false;
        seen.insert(req.url.to_string());
        match get_page(client.clone(), req.clone(), encoding).await {
            Err(f) => {
                if ctx.health.pages == 0 && (f.is_not_found() || f.status.is_none()) {
                    ctx.health.unreachable = true;
                }
                give_up(ctx, &f)?;
                // The chain is broken here: the next run starts again from this page.
                ctx.checkpoint.cursor = json!({ "next": url, "last": last_ok });
                ctx.save_checkpoint()?;
                break;
            }
            Ok(page) => {
                let next = page
                    .value
                    .pointer(pointer)
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .and_then(|s| req.url.join(s).ok())
                    .map(|u| u.to_string())
                    .filter(|u| !seen.contains(u));
                let this = req.url.to_string();
                let after = json!({ "next": next, "last": this });
                if take_page(ctx, &api.package_pointer, page, after)?.stored {
                    last_ok = Value::String(this);
                }
                match next {
                    Some(n) => url = n,
                    None => break,
                }
            }
        }
    }
    Ok(())
}

/// Page numbers or offsets. The cursor is the next value, the values that failed (tried
/// again first on the next run) and whether the walk reached the end.
async fn numbered(ctx: &mut Ctx<'_>, api: &Api, client: &Shared) -> Result<(), Error> {
    let Paginate::Numbered {
        param,
        first,
        step,
        size,
        total_pointer,
        newest_first,
    } = &api.paginate
    else {
        return Ok(());
    };
    let (first, step) = (*first, *step);
    let source = ctx.target.source;
    let http = &source.http;
    let encoding = source.encoding;
    let overlap = u64::from(source.overlap);
    let cursor = ctx.checkpoint.cursor.clone();
    let next = cursor.get("next").and_then(Value::as_u64);
    let complete = cursor.get("complete").and_then(Value::as_bool) == Some(true);
    let mut failed: Vec<u64> = if ctx.full {
        Vec::new()
    } else {
        cursor
            .get("failed")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default()
    };
    // Newest-first APIs put new releases on the first pages: a finished walk starts again
    // there and stops once pages bring nothing new. Oldest-first APIs append at the end.
    let incremental_stop = !ctx.full && complete && *newest_first;
    let start = match next {
        _ if ctx.full => first,
        Some(_) if incremental_stop => first,
        // `next` is the first value not stored: going back `overlap` pages re-reads the last
        // stored page (where an oldest-first API appends) and continues.
        Some(n) => n.saturating_sub(overlap * step).max(first),
        None => first,
    };
    let req_for = |v: u64| -> Result<Request, String> {
        let mut extra = vec![(param.clone(), v.to_string())];
        if let Some((p, n)) = size {
            extra.push((p.clone(), n.to_string()));
        }
        let vars = [("page", v.to_string()), ("offset", v.to_string())];
        request(&api.url, http, &vars, &extra, true)
    };

    // Pages that failed last time, first.
    let retry: Vec<u64> = std::mem::take(&mut failed);
    for v in retry {
        let req = match req_for(v) {
            Ok(r) => r,
            Err(e) => {
                ctx.failed(&api.url, None, "bad_url", e)?;
                return Ok(());
            }
        };
        match get_page(client.clone(), req, encoding).await {
            Ok(page) => {
                let mut cur = ctx.checkpoint.cursor.clone();
                cur["failed"] = json!(failed);
                take_page(ctx, &api.package_pointer, page, cur)?;
            }
            Err(f) => {
                failed.push(v);
                give_up(ctx, &f)?;
            }
        }
    }

    // The first page tells the total, when the API gives one.
    let req = match req_for(start) {
        Ok(r) => r,
        Err(e) => return ctx.failed(&api.url, None, "bad_url", e),
    };
    let first_page = get_page(client.clone(), req, encoding).await;
    let total = match (&first_page, total_pointer) {
        (Ok(p), Some(ptr)) => p.value.pointer(ptr).and_then(|v| {
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        }),
        _ => None,
    };
    // With a page count the last value is known; without, the walk ends at an empty page.
    let last = total.map(|t| {
        if step == 1 {
            first + t.saturating_sub(1)
        } else {
            // An offset API's total counts items.
            t.saturating_sub(1) / step * step
        }
    });
    let mut state = Walk {
        failed,
        known_run: 0,
        previous_sha: None,
        reached_end: false,
        stop_after_known: incremental_stop.then_some(overlap.max(1)),
    };
    let end_cursor = |state: &Walk, next: u64, complete: bool| json!({ "next": next, "failed": state.failed, "complete": complete });
    let flow = state.page(ctx, api, start, step, first_page, last, &end_cursor)?;
    if flow == Flow::Continue && last.is_none_or(|l| start + step <= l) {
        let values = (1u64..)
            .map(move |i| start + i * step)
            .take_while(move |v| last.is_none_or(|l| *v <= l));
        let reqs = values.filter_map(|v| req_for(v).ok().map(|r| (v, r)));
        let c = client.clone();
        drive(
            ctx,
            http.concurrency,
            reqs,
            move |req| get_page(c.clone(), req, encoding),
            |ctx, v, result| state.page(ctx, api, v, step, result, last, &end_cursor),
        )
        .await?;
    }
    if state.reached_end || last.is_some() && !ctx.health.unreachable {
        let next = last.map_or(start, |l| l + step).max(
            ctx.checkpoint
                .cursor
                .get("next")
                .and_then(Value::as_u64)
                .unwrap_or(first),
        );
        ctx.checkpoint.cursor = end_cursor(&state, next, true);
        ctx.save_checkpoint()?;
    }
    Ok(())
}

/// The state of a numbered walk while its pages come in.
struct Walk {
    failed: Vec<u64>,
    /// Pages in a row that brought nothing new.
    known_run: u64,
    previous_sha: Option<String>,
    reached_end: bool,
    /// Stop after this many pages in a row with nothing new (incremental newest-first runs).
    stop_after_known: Option<u64>,
}

impl Walk {
    #[allow(clippy::too_many_arguments)]
    fn page(
        &mut self,
        ctx: &mut Ctx<'_>,
        api: &Api,
        v: u64,
        step: u64,
        result: Result<Page, Failure>,
        last: Option<u64>,
        end_cursor: &dyn Fn(&Walk, u64, bool) -> Value,
    ) -> Result<Flow, Error> {
        match result {
            Err(f) => {
                // Past the end, some APIs answer 404 instead of an empty page.
                if last.is_none() && f.is_not_found() && ctx.health.pages > 0 {
                    self.reached_end = true;
                    return Ok(Flow::Stop);
                }
                if ctx.health.pages == 0 && f.is_not_found() {
                    ctx.health.unreachable = true;
                    give_up(ctx, &f)?;
                    return Ok(Flow::Stop);
                }
                self.failed.push(v);
                give_up(ctx, &f)?;
                ctx.checkpoint.cursor = end_cursor(self, v + step, false);
                ctx.save_checkpoint()?;
                Ok(Flow::Continue)
            }
            Ok(page) => {
                let empty = page_is_empty(&page.value, &api.package_pointer);
                // An API that ignores the page parameter returns the same page forever.
                let same = self.previous_sha.as_deref() == Some(page.fetched.sha256.as_str());
                self.previous_sha = Some(page.fetched.sha256.clone());
                if (empty || same) && last.is_none() {
                    self.reached_end = true;
                    return Ok(Flow::Stop);
                }
                let taken = take_page(
                    ctx,
                    &api.package_pointer,
                    page,
                    end_cursor(self, v + step, false),
                )?;
                if let Some(limit) = self.stop_after_known {
                    if taken.items > 0 && taken.new == 0 && taken.conflicting == 0 {
                        self.known_run += 1;
                    } else {
                        self.known_run = 0;
                    }
                    if self.known_run >= limit {
                        tracing::info!(source = %ctx.health.id, page = v, "nothing new for {limit} page(s): caught up");
                        self.reached_end = true;
                        return Ok(Flow::Stop);
                    }
                }
                Ok(Flow::Continue)
            }
        }
    }
}

/// True when a page holds no releases and no records.
fn page_is_empty(value: &Value, pointer: &str) -> bool {
    let package = if pointer.is_empty() {
        Some(value)
    } else {
        value.pointer(pointer)
    };
    let Some(p) = package else { return true };
    let len = |k: &str| p.get(k).and_then(Value::as_array).map_or(0, Vec::len);
    match p {
        Value::Array(a) => a.is_empty(),
        _ => len("releases") == 0 && len("records") == 0,
    }
}

/// Date windows from the start (or the checkpoint, less the overlap) to today. The cursor is
/// the start of the next window and the windows that failed (tried again first).
async fn windows(ctx: &mut Ctx<'_>, api: &Api, client: &Shared) -> Result<(), Error> {
    let Paginate::Windows {
        from_param,
        until_param,
        start,
        days,
        format,
    } = &api.paginate
    else {
        return Ok(());
    };
    let source = ctx.target.source;
    let http = &source.http;
    let encoding = source.encoding;
    let len = Days::days(i64::from(*days));
    let today = Utc::now().date_naive();
    let cursor = ctx.checkpoint.cursor.clone();
    let parse = |v: &Value| {
        v.as_str()
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
    };
    let resume = if ctx.full {
        None
    } else {
        cursor.get("next_from").and_then(parse)
    };
    let mut failed: Vec<NaiveDate> = if ctx.full {
        Vec::new()
    } else {
        cursor
            .get("failed")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(parse).collect())
            .unwrap_or_default()
    };
    let from = match resume {
        Some(d) => (d - len * source.overlap as i32).max(*start),
        None => *start,
    };
    // Windows that failed last time, then the walk; in date order, each once.
    let mut plan: Vec<NaiveDate> = std::mem::take(&mut failed);
    let mut d = from;
    while d <= today {
        plan.push(d);
        d += len;
    }
    plan.sort();
    plan.dedup();
    let reqs = plan.into_iter().filter_map(|w| {
        let until = (w + len).min(today);
        let (f, u) = (
            w.format(format).to_string(),
            until.format(format).to_string(),
        );
        let extra = [
            (from_param.clone(), f.clone()),
            (until_param.clone(), u.clone()),
        ];
        let vars = [("from", f), ("until", u)];
        request(&api.url, http, &vars, &extra, true)
            .ok()
            .map(|r| (w, r))
    });
    let c = client.clone();
    let mut next_from = resume.unwrap_or(*start);
    let key = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    drive(
        ctx,
        http.concurrency,
        reqs,
        move |req| get_page(c.clone(), req, encoding),
        |ctx, w, result| {
            // Results come in date order, and a failed window is remembered in `failed`:
            // everything before `next_from` is stored or listed.
            next_from = next_from.max(w + len);
            let cursor = |failed: &[NaiveDate], next: NaiveDate| {
                json!({
                    "next_from": key(next),
                    "failed": failed.iter().map(|d| key(*d)).collect::<Vec<_>>(),
                })
            };
            match result {
                Ok(page) => {
                    take_page(ctx, &api.package_pointer, page, cursor(&failed, next_from))?;
                }
                Err(f) => {
                    failed.push(w);
                    give_up(ctx, &f)?;
                    ctx.checkpoint.cursor = cursor(&failed, next_from);
                    ctx.save_checkpoint()?;
                }
            }
            Ok(Flow::Continue)
        },
    )
    .await?;
    Ok(())
}
