//! What every remote walk shares: building a request, fetching a plan of requests with
//! bounded concurrency while taking the results in order, giving up on one, and the backlog
//! of what failed (kept in the checkpoint until it succeeds).

use futures_util::StreamExt;
use reqwest::Url;

use super::http::{Failure, Request};
use super::{Ctx, Error};
use crate::config::Http;

/// Consecutive failures, before any page succeeded, after which a source is taken as down.
const BREAKER: u64 = 3;

/// Whether to go on after a page.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Flow {
    Continue,
    Stop,
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

/// Quarantines a page given up on.
pub(super) fn give_up(ctx: &mut Ctx<'_>, f: &Failure) -> Result<(), Error> {
    ctx.failed(
        &f.url,
        f.status,
        &f.reason,
        format!("{} (after {} tries)", f.error, f.attempts),
    )
}

/// Requests for fixed URLs; a URL that cannot be requested is quarantined.
pub(super) fn fixed_urls(
    ctx: &mut Ctx<'_>,
    urls: &[String],
) -> Result<Vec<(String, Request)>, Error> {
    let http = &ctx.target.source.http;
    let mut plan = Vec::new();
    let mut bad = Vec::new();
    for url in urls {
        match request(url, http, &[], &[], true) {
            Ok(r) => plan.push((url.clone(), r)),
            Err(e) => bad.push((url, e)),
        }
    }
    for (url, e) in bad {
        ctx.failed(url, None, "bad_url", e)?;
    }
    Ok(plan)
}

/// What failed: tried first on the next run, and kept in the checkpoint until it succeeds —
/// also while it waits its turn, so that a run stopped during the retries forgets nothing.
#[derive(Debug, Clone, Default)]
pub(super) struct Backlog<K> {
    waiting: Vec<K>,
    failed: Vec<K>,
}

impl<K: PartialEq + Clone> Backlog<K> {
    /// The keys that failed in an earlier run (none with `--full`).
    pub fn new(waiting: Vec<K>) -> Backlog<K> {
        Backlog {
            waiting,
            failed: Vec::new(),
        }
    }

    /// Keys from an earlier run still to be tried.
    pub fn waiting(&self) -> &[K] {
        &self.waiting
    }

    /// Records the outcome of a key.
    pub fn settle(&mut self, key: &K, ok: bool) {
        self.waiting.retain(|k| k != key);
        if ok {
            self.failed.retain(|k| k != key);
        } else if !self.failed.contains(key) {
            self.failed.push(key.clone());
        }
    }

    /// Everything to keep in the checkpoint: what failed now and what still waits.
    pub fn keys(&self) -> Vec<K> {
        let mut all = self.failed.clone();
        all.extend(
            self.waiting
                .iter()
                .filter(|k| !self.failed.contains(k))
                .cloned(),
        );
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backlog_forgets_only_what_succeeded() {
        let mut b = Backlog::new(vec![3, 7, 9]);
        b.settle(&3, true);
        b.settle(&7, false);
        // 9 has not been tried yet: still kept.
        assert_eq!(b.keys(), vec![7, 9]);
        b.settle(&12, false);
        b.settle(&9, true);
        assert_eq!(b.keys(), vec![7, 12]);
        assert!(b.waiting().is_empty());
    }
}
