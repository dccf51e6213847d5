//! The `ocds-api` source: a paginated JSON API, walked by `links.next`, by page numbers or
//! offsets, or by date windows. Each page is a release package or a record package (told
//! apart per page), possibly wrapped (`package_pointer`).
//!
//! Pages are fetched `concurrency` at a time but taken into the store in order, so the
//! checkpoint saved with each page always means "everything before this is stored".

use chrono::{Duration as Days, NaiveDate, Utc};
use serde_json::{Value, json};

use super::http::{Body, Failure, Fetched, Keep, Refusal, Request};
use super::walk::{Backlog, Flow, drive, give_up, request};
use super::{Ctx, Error, Shared};
use crate::config::{Api, EncodingName, Numbered, Paginate, Windows};

/// A page fetched to disk, with what the walk needs from it read ahead of storing it.
pub(super) struct Page {
    pub fetched: Fetched,
    pub seen: Seen,
}

/// What the walk read from a page before storing it.
pub(super) struct Seen {
    /// The value at the walk's next-link pointer (`links.next`).
    pub next: Option<Value>,
    /// The value at `total_pointer`.
    pub total: Option<Value>,
    /// True when the package holds no release and no record.
    pub empty: bool,
    /// The encoding the page read in.
    pub encoding: crate::ocds::package::Encoding,
}

pub(super) async fn fetch(ctx: &mut Ctx<'_>, api: &Api, client: &Shared) -> Result<(), Error> {
    match &api.paginate {
        Paginate::Next { .. } => by_links(ctx, api, client).await,
        Paginate::Numbered(n) => numbered(ctx, api, n, client).await,
        Paginate::Windows(w) => windows(ctx, api, w, client).await,
    }
}

/// Where a walk looks in each page.
#[derive(Debug, Clone)]
pub(super) struct Look {
    package: String,
    next: Option<String>,
    total: Option<String>,
}

impl Look {
    fn new(api: &Api) -> Look {
        let (next, total) = match &api.paginate {
            Paginate::Next { pointer } => (Some(pointer.clone()), None),
            Paginate::Numbered(n) => (None, n.total_pointer.clone()),
            Paginate::Windows(_) => (None, None),
        };
        Look {
            package: api.package_pointer.clone(),
            next,
            total,
        }
    }

    /// The pointers probed: next, total, then the first release, record or element of the
    /// package (any of them means the page is not empty), then the package and its two lists
    /// (whether there is a package at all).
    fn pointers(&self) -> Vec<String> {
        let p = &self.package;
        vec![
            self.next.clone().unwrap_or_default(),
            self.total.clone().unwrap_or_default(),
            format!("{p}/releases/0"),
            format!("{p}/records/0"),
            format!("{p}/0"),
            p.clone(),
            format!("{p}/releases"),
            format!("{p}/records"),
        ]
    }
}

/// Reads what `look` wants from a spooled page, and checks that the page is whole JSON in
/// the source's encoding. With `auto`, a page that is not UTF-8 is read as ISO-8859-1; the
/// encoding found is the one the page is then stored with.
fn probe(body: &Body, look: &Look, encoding: EncodingName) -> Result<Seen, Refusal> {
    use crate::ocds::package::{self, Encoding, ProbeError};
    // Said with the reason a file's reader gives for the same fault.
    let refused = |e: ProbeError, error: String| Refusal {
        reason: e.reason().code(),
        error,
        retry: matches!(e, ProbeError::Unreadable(_)),
    };
    let pointers = look.pointers();
    let run = |enc: Encoding| -> Result<Vec<Option<Value>>, ProbeError> {
        let file = std::fs::File::open(body.path())
            .map_err(|e| ProbeError::Unreadable(format!("spooled page: {e}")))?;
        package::probe(file, enc, &pointers)
    };
    let (found, encoding) = match encoding {
        EncodingName::Latin1 => (run(Encoding::Latin1), Encoding::Latin1),
        EncodingName::Utf8 => match run(Encoding::Utf8) {
            Err(e @ ProbeError::NotUtf8(_)) => {
                let error = format!(
                    "{e}; the source says `encoding = \"utf-8\"` (\"auto\" reads such pages \
                     as ISO-8859-1)"
                );
                return Err(refused(e, error));
            }
            other => (other, Encoding::Utf8),
        },
        EncodingName::Auto => match run(Encoding::Utf8) {
            Err(ProbeError::NotUtf8(_)) => (run(Encoding::Latin1), Encoding::Latin1),
            other => (other, Encoding::Utf8),
        },
    };
    // next, total, the package's first release, record or element, the package, its lists.
    let [
        next,
        total,
        release,
        record,
        element,
        package,
        releases,
        records,
    ]: [Option<Value>; 8] = found
        .map_err(|e| {
            let error = e.to_string();
            refused(e, error)
        })?
        .try_into()
        .map_err(|_| Refusal {
            reason: "internal",
            error: "the probe gave another number of values".into(),
            retry: false,
        })?;
    // A page with no package at all where `package_pointer` names one (nothing there, or an
    // object with neither `releases` nor `records`) is not an empty page: an API answering
    // 200 with an error in JSON gives it. Refused here, every walk takes it as a failed page
    // and asks for it again; stored, the reader would set it aside and it would count as read.
    let lists = releases.is_some() || records.is_some();
    let no_package = !look.package.is_empty()
        && match package {
            None => true,
            Some(Value::Array(_)) => false,
            Some(_) => !lists,
        };
    if no_package {
        return Err(Refusal {
            reason: NO_PACKAGE,
            error: format!("no release or record package at `{}`", look.package),
            // Asked for again next run, not now: an API answering so past its last page
            // would otherwise be asked each of its tries, with their waits.
            retry: false,
        });
    }
    Ok(Seen {
        next,
        total,
        empty: release.is_none() && record.is_none() && element.is_none(),
        encoding,
    })
}

/// The reason of a page answered with no package at the source's pointer (the reader's code
/// for data that is not OCDS).
const NO_PACKAGE: &str = "not_ocds";

/// Whether a page failed for being answered (2xx) with no package: see [`probe`].
fn no_package(f: &Failure) -> bool {
    f.reason == NO_PACKAGE && f.status.is_some_and(|s| (200..300).contains(&s))
}

/// Fetches one page to disk and probes it; a body that is not whole JSON is fetched again
/// like a 5xx.
pub(super) async fn get_page(
    client: Shared,
    req: Request,
    look: Look,
    encoding: EncodingName,
) -> Result<Page, Failure> {
    let (fetched, seen) = client
        .fetch(&req, Keep::Page, |body| probe(body, &look, encoding))
        .await?;
    Ok(Page { fetched, seen })
}

/// Stores a page's package through the streaming reader; `cursor` is saved as the checkpoint
/// with it.
pub(super) fn take_page(
    ctx: &mut Ctx<'_>,
    pointer: &str,
    page: Page,
    cursor: Value,
) -> Result<super::Taken, Error> {
    let fetched = page.fetched;
    let record = fetched.record(&ctx.target.source.id);
    let ms = fetched.elapsed.as_millis();
    if fetched.attempts > 1 {
        tracing::info!(url = %fetched.url, attempts = fetched.attempts, "page fetched after retries");
    }
    let path = fetched.body.path().to_path_buf();
    let mut open = || -> std::io::Result<Box<dyn std::io::Read + Send>> {
        Ok(Box::new(std::fs::File::open(&path)?))
    };
    let mut hook = ctx.hook_for(cursor.clone());
    let taken =
        ctx.target
            .stream_page(&record, pointer, page.seen.encoding, &mut open, &mut hook)?;
    if taken.stored {
        ctx.checkpoint.cursor = cursor;
    }
    ctx.stored(&fetched.url, Some(fetched.status), fetched.size, &taken, ms);
    Ok(taken)
}

fn str_at(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// `links.next`: one page after another. The cursor is the next page's URL and the last
/// page read; a finished walk resumes from its last page (new releases are appended there).
async fn by_links(ctx: &mut Ctx<'_>, api: &Api, client: &Shared) -> Result<(), Error> {
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
    let resuming = !first;
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
        match get_page(client.clone(), req.clone(), Look::new(api), encoding).await {
            Err(f) => {
                give_up(ctx, &f)?;
                // The chain is broken here: the next run starts again from this page.
                ctx.checkpoint.cursor = json!({ "next": url, "last": last_ok });
                ctx.save_checkpoint()?;
                // Down, or only this page is bad? When a run resumes mid-walk and nothing came
                // yet, ask for the first page: if the server answers, the source is partial,
                // not down, and the bad page is tried first again next run.
                let answers = ctx.health.pages == 0
                    && resuming
                    && first_page_answers(ctx, api, client).await?;
                if ctx.health.pages == 0 && !answers && (f.is_not_found() || f.status.is_none()) {
                    ctx.health.unreachable = true;
                }
                break;
            }
            Ok(page) => {
                let linked = page
                    .seen
                    .next
                    .as_ref()
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .and_then(|s| req.url.join(s).ok())
                    .map(|u| u.to_string());
                // A link back to a page already read would loop (or drift): stop there, say
                // so, and keep the source partial rather than report a finished walk.
                let looped = linked.as_ref().filter(|u| seen.contains(*u)).cloned();
                let next = linked.filter(|u| !seen.contains(u));
                let this = req.url.to_string();
                let after = json!({ "next": next, "last": this });
                if take_page(ctx, &api.package_pointer, page, after)?.stored {
                    last_ok = Value::String(this.clone());
                }
                if let Some(back) = looped {
                    tracing::warn!(source = %ctx.target.source.id, page = %this, next = %back,
                        "links.next points back to a page already read; the walk stops here");
                    ctx.failed(
                        &this,
                        None,
                        "link_loop",
                        format!(
                            "links.next points back to {back}, a page already read in this walk"
                        ),
                    )?;
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

/// Asks for the first page of a links.next walk and stores what it brings; true when the
/// server answered with data.
async fn first_page_answers(ctx: &mut Ctx<'_>, api: &Api, client: &Shared) -> Result<bool, Error> {
    let http = &ctx.target.source.http;
    let encoding = ctx.target.source.encoding;
    let Ok(req) = request(&api.url, http, &[], &[], true) else {
        return Ok(false);
    };
    match get_page(client.clone(), req.clone(), Look::new(api), encoding).await {
        Err(_) => Ok(false),
        Ok(page) => {
            // Keep the checkpoint at the bad page: it is tried first next run.
            let keep = ctx.checkpoint.cursor.clone();
            let stored = take_page(ctx, &api.package_pointer, page, keep)?.stored;
            Ok(stored)
        }
    }
}

/// Page numbers or offsets. The cursor is the next value, the values that failed (tried
/// again first on the next run) and whether the walk reached the end.
async fn numbered(
    ctx: &mut Ctx<'_>,
    api: &Api,
    n: &Numbered,
    client: &Shared,
) -> Result<(), Error> {
    let (first, step) = (n.first, n.step);
    let source = ctx.target.source;
    let http = &source.http;
    let encoding = source.encoding;
    let overlap = u64::from(source.overlap);
    let cursor = ctx.checkpoint.cursor.clone();
    let next = cursor.get("next").and_then(Value::as_u64);
    let complete = cursor.get("complete").and_then(Value::as_bool) == Some(true);
    let backlog = Backlog::new(if ctx.full {
        Vec::new()
    } else {
        listed(&cursor, Value::as_u64)
    });
    // Newest-first APIs put new releases on the first pages: a finished walk starts again
    // there and stops once pages bring nothing new. Oldest-first APIs append at the end.
    let incremental_stop = !ctx.full && complete && n.newest_first;
    let start = match next {
        _ if ctx.full => first,
        Some(_) if incremental_stop => first,
        // `next` is the first value not stored: going back `overlap` pages re-reads the last
        // stored page (where an oldest-first API appends) and continues.
        Some(next) => next.saturating_sub(overlap * step).max(first),
        None => first,
    };
    let req_for = |v: u64| -> Result<Request, String> {
        let mut extra = vec![(n.param.clone(), v.to_string())];
        if let Some((p, size)) = &n.size {
            extra.push((p.clone(), size.to_string()));
        }
        let vars = [("page", v.to_string()), ("offset", v.to_string())];
        request(&api.url, http, &vars, &extra, true)
    };
    let mut state = Walk {
        backlog,
        known_run: 0,
        failed_run: Vec::new(),
        held: Vec::new(),
        found: (next, complete),
        previous_sha: None,
        reached_end: false,
        stop_after_known: incremental_stop.then_some(overlap.max(1)),
    };

    // Pages that failed last time, first.
    for v in state.backlog.waiting().to_vec() {
        let req = match req_for(v) {
            Ok(r) => r,
            Err(e) => return ctx.failed(&api.url, None, "bad_url", e),
        };
        let result = get_page(client.clone(), req, Look::new(api), encoding).await;
        state.backlog.settle(&v, result.is_ok());
        let mut cur = ctx.checkpoint.cursor.clone();
        cur["failed"] = json!(state.backlog.keys());
        take_or_give_up(ctx, api, result, cur)?;
    }

    // The first page tells the total, when the API gives one.
    let req = match req_for(start) {
        Ok(r) => r,
        Err(e) => return ctx.failed(&api.url, None, "bad_url", e),
    };
    let first_page = get_page(client.clone(), req, Look::new(api), encoding).await;
    let total = match (&first_page, &n.total_pointer) {
        (Ok(p), Some(_)) => p.seen.total.as_ref().and_then(|v| {
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
    let flow = state.page(ctx, api, start, step, first_page, last)?;
    if flow == Flow::Continue && last.is_none_or(|l| start + step <= l) {
        let values = (1u64..)
            .map(move |i| start + i * step)
            .take_while(move |v| last.is_none_or(|l| *v <= l));
        // The URL was checked when the config was read, so a value cannot fail here.
        let reqs = values.filter_map(|v| req_for(v).ok().map(|r| (v, r)));
        let c = client.clone();
        let look = Look::new(api);
        drive(
            ctx,
            http.concurrency,
            reqs,
            move |req| get_page(c.clone(), req, look.clone(), encoding),
            |ctx, v, result| state.page(ctx, api, v, step, result, last),
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
        ctx.checkpoint.cursor = state.cursor(next, true);
        ctx.save_checkpoint()?;
    }
    Ok(())
}

/// Stores a page with `cursor` as its checkpoint, or quarantines the failure and saves
/// `cursor` (which lists it in the backlog) on its own.
fn take_or_give_up(
    ctx: &mut Ctx<'_>,
    api: &Api,
    result: Result<Page, Failure>,
    cursor: Value,
) -> Result<(), Error> {
    match result {
        Ok(page) => {
            take_page(ctx, &api.package_pointer, page, cursor)?;
        }
        Err(f) => {
            give_up(ctx, &f)?;
            ctx.checkpoint.cursor = cursor;
            ctx.save_checkpoint()?;
        }
    }
    Ok(())
}

/// The keys listed under `failed` in a cursor.
fn listed<K>(cursor: &Value, parse: impl Fn(&Value) -> Option<K>) -> Vec<K> {
    cursor
        .get("failed")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(parse).collect())
        .unwrap_or_default()
}

/// Failed pages in a row after which a walk without a page count stops (the pages asked for
/// at once, `concurrency`, are still read).
const FAILED_IN_A_ROW: u64 = 3;

/// The state of a numbered walk while its pages come in.
struct Walk {
    backlog: Backlog<u64>,
    /// Pages in a row that brought nothing new.
    known_run: u64,
    /// The pages in a row that failed, the latest last.
    failed_run: Vec<u64>,
    /// Pages in a row answered with no package, held until it is known whether they are
    /// the end of the pages (see [`Walk::page`]).
    held: Vec<(u64, Failure)>,
    /// The checkpoint's next value and whether its walk was finished, as the run found them.
    found: (Option<u64>, bool),
    previous_sha: Option<String>,
    reached_end: bool,
    /// Stop after this many pages in a row with nothing new (incremental newest-first runs).
    stop_after_known: Option<u64>,
}

impl Walk {
    /// The checkpoint cursor: the next value, the backlog, whether the walk is finished.
    fn cursor(&self, next: u64, complete: bool) -> Value {
        json!({ "next": next, "failed": self.backlog.keys(), "complete": complete })
    }

    fn page(
        &mut self,
        ctx: &mut Ctx<'_>,
        api: &Api,
        v: u64,
        step: u64,
        result: Result<Page, Failure>,
        last: Option<u64>,
    ) -> Result<Flow, Error> {
        // Without a page count, answers with no package at all (JSON answered 200, say an
        // error message) are held: three in a row are how this API says the pages ended;
        // one followed by anything else is a failed page, asked for again next run.
        if last.is_none() {
            if let Err(f) = &result
                && no_package(f)
            {
                self.held.push((v, f.clone()));
                if self.held.len() as u64 >= FAILED_IN_A_ROW {
                    // Said as a warning: an API that answers errors in JSON with 200 while it
                    // limits its rate would end a first walk here too.
                    tracing::warn!(source = %ctx.health.id, from = self.held[0].0, "{FAILED_IN_A_ROW} pages in a row answered without a package: taken as the end of the pages");
                    self.held.clear();
                    self.reached_end = true;
                    return Ok(Flow::Stop);
                }
                return Ok(Flow::Continue);
            }
            for (held, f) in std::mem::take(&mut self.held) {
                if self.failed(ctx, held, step, f, last)? == Flow::Stop {
                    return Ok(Flow::Stop);
                }
            }
        }
        match result {
            Err(f) => self.failed(ctx, v, step, f, last),
            Ok(page) => {
                self.failed_run.clear();
                let empty = page.seen.empty;
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
                    self.cursor(v + step, false),
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

    /// Value `v` failed with `f`.
    fn failed(
        &mut self,
        ctx: &mut Ctx<'_>,
        v: u64,
        step: u64,
        f: Failure,
        last: Option<u64>,
    ) -> Result<Flow, Error> {
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
        self.backlog.settle(&v, false);
        give_up(ctx, &f)?;
        ctx.checkpoint.cursor = self.cursor(v + step, false);
        ctx.save_checkpoint()?;
        // Without a page count only an empty page ends the walk: a server that fails every
        // page past its last one (500s, timeouts) was asked forever, and the run, holding the
        // store's lock, never ended. The walk stops, and the next run walks on from the first
        // of these pages (they leave the backlog, which would otherwise grow by as many every
        // night). The checkpoint never goes back: when the failures began at or before where
        // this run started (the overlap page, or the first page of a newest-first walk), it
        // stays as found.
        self.failed_run.push(v);
        if last.is_none() && self.failed_run.len() as u64 >= FAILED_IN_A_ROW {
            let from = self.failed_run[0];
            tracing::warn!(source = %ctx.health.id, from, "{FAILED_IN_A_ROW} pages in a row failed and the API gives no page count: the walk stops here, and the next run goes on from the first of them");
            for v in &self.failed_run {
                self.backlog.settle(v, true);
            }
            let (found_next, found_complete) = self.found;
            let behind = found_next.is_some_and(|n| from <= n);
            let next = found_next.map_or(from, |n| n.max(from));
            ctx.checkpoint.cursor = self.cursor(next, behind && found_complete);
            ctx.save_checkpoint()?;
            return Ok(Flow::Stop);
        }
        Ok(Flow::Continue)
    }
}

/// Date windows from the start (or the checkpoint, less the overlap) to today. The cursor is
/// the start of the next window and the windows that failed (tried again first).
async fn windows(ctx: &mut Ctx<'_>, api: &Api, w: &Windows, client: &Shared) -> Result<(), Error> {
    let source = ctx.target.source;
    let http = &source.http;
    let encoding = source.encoding;
    let len = Days::days(i64::from(w.days));
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
    let mut backlog = Backlog::new(if ctx.full {
        Vec::new()
    } else {
        listed(&cursor, parse)
    });
    let from = match resume {
        Some(d) => (d - len * source.overlap as i32).max(w.start),
        None => w.start,
    };
    // Windows that failed last time, then the walk; in date order, each once.
    let mut plan: Vec<NaiveDate> = backlog.waiting().to_vec();
    let mut d = from;
    while d <= today {
        plan.push(d);
        d += len;
    }
    plan.sort();
    plan.dedup();
    // The URL was checked when the config was read, so a window cannot fail here.
    let reqs = plan.into_iter().filter_map(|day| {
        let until = (day + len).min(today);
        let (f, u) = (
            day.format(&w.format).to_string(),
            until.format(&w.format).to_string(),
        );
        let extra = [
            (w.from_param.clone(), f.clone()),
            (w.until_param.clone(), u.clone()),
        ];
        let vars = [("from", f), ("until", u)];
        request(&api.url, http, &vars, &extra, true)
            .ok()
            .map(|r| (day, r))
    });
    let c = client.clone();
    let look = Look::new(api);
    let mut next_from = resume.unwrap_or(w.start);
    let key = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    drive(
        ctx,
        http.concurrency,
        reqs,
        move |req| get_page(c.clone(), req, look.clone(), encoding),
        |ctx, day, result| {
            // Results come in date order, and a failed window stays in the backlog:
            // everything before `next_from` is stored or listed.
            // Never past today: the last window is unfinished, so the next run starts at its
            // start again (releases dated in it may still come), whatever the overlap.
            let done = if day + len > today { day } else { day + len };
            next_from = next_from.max(done);
            backlog.settle(&day, result.is_ok());
            let cursor = json!({
                "next_from": key(next_from),
                "failed": backlog.keys().into_iter().map(key).collect::<Vec<_>>(),
            });
            take_or_give_up(ctx, api, result, cursor)?;
            Ok(Flow::Continue)
        },
    )
    .await?;
    Ok(())
}
