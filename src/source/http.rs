//! The HTTP client every remote source shares: timeouts, a rate limit, retries with
//! exponential backoff and jitter, `Retry-After`, redirects only to http(s), and bodies read
//! whole (into memory for pages, onto disk for bulk files) before anyone sees them.
//!
//! The token never leaves this module: it is sent as a sensitive header and never logged.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use sha2::{Digest, Sha256};

use crate::config::Http;

/// The User-Agent sent unless a source sets its own.
pub const USER_AGENT: &str = concat!(
    "costwatch/",
    env!("CARGO_PKG_VERSION"),
    " (infrastructure transparency; +https://github.com/costwatch)"
);

/// One request to make: the URL with its query, and the body for POST.
#[derive(Debug, Clone)]
pub struct Request {
    /// Full URL.
    pub url: Url,
    /// Body (POST only).
    pub body: Option<String>,
}

/// How large a response body may grow on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// An API page: up to the source's page limit (`http.max_page_mib`).
    Page,
    /// A bulk file or package: without limit.
    Whole,
}

/// A body read whole, spooled to a temporary file (deleted when dropped) so that a page of a
/// gigabyte costs disk, not memory, and is read by the same streaming reader as a bulk file.
pub type Body = tempfile::NamedTempFile;

/// A successful response.
#[derive(Debug)]
pub struct Fetched {
    /// The URL asked for.
    pub url: String,
    /// HTTP status.
    pub status: u16,
    /// The body.
    pub body: Body,
    /// Body size in bytes.
    pub size: u64,
    /// SHA-256 of the body.
    pub sha256: String,
    /// Tries it took.
    pub attempts: u32,
    /// When the body was complete (RFC 3339).
    pub fetched_at: String,
    /// Time from the first try to the complete body.
    pub elapsed: Duration,
}

impl Fetched {
    /// The provenance row of this response, for `source_id`.
    pub fn record<'a>(&'a self, source_id: &'a str) -> crate::store::InputRecord<'a> {
        crate::store::InputRecord {
            source_id,
            location: &self.url,
            size: self.size,
            sha256: &self.sha256,
            modified_at: None,
            read_at: &self.fetched_at,
            http_status: Some(self.status),
        }
    }
}

/// The document a linked release is fetched from: its http(s) URL, normalised, without the
/// `#fragment` (a package holding many releases is one download); `None` for anything else.
pub fn document_of(link: &str) -> Option<String> {
    let mut url = Url::parse(link.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    url.set_fragment(None);
    Some(url.to_string())
}

/// Fetches a file onto disk (bulk files, project packages).
pub async fn download(client: std::sync::Arc<Client>, req: Request) -> Result<Fetched, Failure> {
    let (fetched, ()) = client.fetch(&req, Keep::Whole, |_| Ok(())).await?;
    Ok(fetched)
}

/// A request given up on.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The URL asked for.
    pub url: String,
    /// The last HTTP status, if any answer came.
    pub status: Option<u16>,
    /// Stable reason code (`http_404`, `timeout`, `connection`, `truncated`, `too_large`, …).
    pub reason: String,
    /// The last error, for a person.
    pub error: String,
    /// Tries made.
    pub attempts: u32,
}

impl Failure {
    /// 404 or 410: the resource is not there (a source under maintenance, a month not yet
    /// published).
    pub fn is_not_found(&self) -> bool {
        matches!(self.status, Some(404 | 410))
    }
}

/// Why `parse` refused a body: a reason code (those of the file reader) and the error.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// Stable reason code, e.g. `invalid_json`, `invalid_utf8`.
    pub reason: &'static str,
    /// For a person.
    pub error: String,
    /// Whether asking again may give another body (a page cut short may; bytes in another
    /// encoding will not, and waiting out the backoff for them only delays the run).
    pub retry: bool,
}

/// The shared client of one source.
pub struct Client {
    inner: reqwest::Client,
    settings: Http,
    headers: HeaderMap,
    limiter: Option<tokio::sync::Mutex<tokio::time::Instant>>,
    retries: AtomicU64,
    requests: AtomicU64,
    spool: Option<std::path::PathBuf>,
}

/// Why a client could not be built: a problem in the source's settings.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SetupError(pub String);

impl Client {
    /// Builds the client for one source; `spool` is where bulk downloads are written.
    pub fn new(
        settings: &Http,
        spool: Option<&std::path::Path>,
    ) -> Result<Arc<Client>, SetupError> {
        let mut headers = HeaderMap::new();
        for (name, value) in &settings.headers {
            let n = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| SetupError(format!("header `{name}`: {e}")))?;
            let v = HeaderValue::from_str(value)
                .map_err(|e| SetupError(format!("header `{name}`: {e}")))?;
            headers.insert(n, v);
        }
        if let Some((var, header, scheme)) = &settings.auth {
            let token = std::env::var(var).map_err(|_| {
                SetupError(format!("environment variable {var} (auth_env) is not set"))
            })?;
            let text = if scheme.is_empty() {
                token
            } else {
                format!("{scheme} {token}")
            };
            let n = HeaderName::from_bytes(header.as_bytes())
                .map_err(|e| SetupError(format!("auth_header `{header}`: {e}")))?;
            // The value is not echoed: it holds the token.
            let mut v = HeaderValue::from_str(&text).map_err(|_| {
                SetupError(format!("the token in {var} is not a valid header value"))
            })?;
            v.set_sensitive(true);
            headers.insert(n, v);
        }
        if !headers.contains_key(reqwest::header::USER_AGENT) {
            headers.insert(
                reqwest::header::USER_AGENT,
                HeaderValue::from_static(USER_AGENT),
            );
        }
        let redirects = reqwest::redirect::Policy::custom(|attempt| {
            if attempt.previous().len() >= 10 {
                attempt.error("more than 10 redirects")
            } else if matches!(attempt.url().scheme(), "http" | "https") {
                attempt.follow()
            } else {
                let scheme = attempt.url().scheme().to_string();
                attempt.error(format!("redirect to a `{scheme}:` URL refused"))
            }
        });
        let inner = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .read_timeout(settings.read_timeout)
            .redirect(redirects)
            .build()
            .map_err(|e| SetupError(format!("HTTP client: {e}")))?;
        let limiter = (settings.rate_limit > 0.0)
            .then(|| tokio::sync::Mutex::new(tokio::time::Instant::now()));
        Ok(Arc::new(Client {
            inner,
            settings: settings.clone(),
            headers,
            limiter,
            retries: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            spool: spool.map(std::path::Path::to_path_buf),
        }))
    }

    /// Requests sent so far (tries included).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Tries that were repeated so far.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Waits for the rate limit's next slot.
    async fn pace(&self) {
        let Some(limiter) = &self.limiter else { return };
        let interval = Duration::from_secs_f64(1.0 / self.settings.rate_limit);
        let mut next = limiter.lock().await;
        let now = tokio::time::Instant::now();
        if *next > now {
            tokio::time::sleep_until(*next).await;
        }
        *next = (*next).max(now) + interval;
    }

    /// Fetches one URL and parses its body with `parse`, trying again on timeouts, broken
    /// connections, 429 and 5xx, bodies that end early and bodies `parse` refuses (a truncated
    /// page is usually a server hiccup); gives up after the configured number of tries.
    pub async fn fetch<T>(
        &self,
        req: &Request,
        keep: Keep,
        parse: impl Fn(&Body) -> Result<T, Refusal>,
    ) -> Result<(Fetched, T), Failure> {
        let started = Instant::now();
        let url = req.url.to_string();
        let mut last = Failure {
            url: url.clone(),
            status: None,
            reason: "not_tried".into(),
            error: String::new(),
            attempts: 0,
        };
        for attempt in 1..=self.settings.attempts {
            if attempt > 1 {
                self.retries.fetch_add(1, Ordering::Relaxed);
            }
            self.pace().await;
            self.requests.fetch_add(1, Ordering::Relaxed);
            let outcome = self.try_once(req, keep).await;
            let wait = match outcome {
                Ok((status, body, size, sha256)) => match parse(&body) {
                    Ok(parsed) => {
                        let fetched = Fetched {
                            url,
                            status,
                            body,
                            size,
                            sha256,
                            attempts: attempt,
                            fetched_at: now_rfc3339(),
                            elapsed: started.elapsed(),
                        };
                        return Ok((fetched, parsed));
                    }
                    Err(why) => {
                        last = Failure {
                            url: url.clone(),
                            status: Some(status),
                            reason: why.reason.into(),
                            error: why.error,
                            attempts: attempt,
                        };
                        if !why.retry {
                            return Err(last);
                        }
                        None
                    }
                },
                Err(Attempt {
                    failure,
                    retry,
                    retry_after,
                }) => {
                    last = Failure {
                        attempts: attempt,
                        ..failure
                    };
                    if !retry {
                        tracing::debug!(url = %url, reason = %last.reason, "not retried");
                        return Err(last);
                    }
                    retry_after
                }
            };
            if attempt == self.settings.attempts {
                break;
            }
            let pause = self.backoff(attempt, wait);
            tracing::debug!(url = %url, attempt, reason = %last.reason, error = %last.error,
                pause_ms = pause.as_millis() as u64, "retrying");
            tokio::time::sleep(pause).await;
        }
        Err(last)
    }

    /// Exponential backoff with equal jitter; a server's `Retry-After` wins when longer.
    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let base = self.settings.backoff.as_secs_f64() * 2f64.powi(attempt as i32 - 1);
        let cap = self.settings.max_backoff.as_secs_f64();
        let d = base.min(cap);
        let jittered = d / 2.0 + jitter() * d / 2.0;
        let chosen = match retry_after {
            Some(ra) => ra.as_secs_f64().max(jittered),
            None => jittered,
        };
        Duration::from_secs_f64(chosen.min(cap.max(0.0)))
    }

    async fn try_once(
        &self,
        req: &Request,
        keep: Keep,
    ) -> Result<(u16, Body, u64, String), Attempt> {
        let url = req.url.to_string();
        let fail = |status: Option<u16>, reason: &str, error: String, retry: bool| Attempt {
            failure: Failure {
                url: url.clone(),
                status,
                reason: reason.into(),
                error,
                attempts: 0,
            },
            retry,
            retry_after: None,
        };
        let builder = if self.settings.post {
            self.inner.post(req.url.clone())
        } else {
            self.inner.get(req.url.clone())
        };
        let mut builder = builder.headers(self.headers.clone());
        if let Some(body) = &req.body {
            builder = builder.body(body.clone());
        }
        let mut resp = builder.send().await.map_err(|e| {
            let (reason, retry) = classify(&e);
            fail(None, reason, error_chain(&e), retry)
        })?;
        let status = resp.status();
        if !status.is_success() {
            let retry = status == StatusCode::TOO_MANY_REQUESTS
                || status.is_server_error()
                || status == StatusCode::REQUEST_TIMEOUT;
            let retry_after = resp
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after);
            // What the server said matters to an operator ("en mantenimiento"): keep its start.
            let said = excerpt(&mut resp).await;
            let name = status.canonical_reason().unwrap_or("error");
            let error = if said.is_empty() {
                name.to_string()
            } else {
                format!("{name}: «{said}»")
            };
            let mut a = fail(
                Some(status.as_u16()),
                &format!("http_{}", status.as_u16()),
                error,
                retry,
            );
            a.retry_after = retry_after;
            return Err(a);
        }
        let code = status.as_u16();
        let expected = resp.content_length();
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let file = match &self.spool {
            Some(dir) => tempfile::NamedTempFile::new_in(dir),
            None => tempfile::NamedTempFile::new(),
        };
        let mut body =
            file.map_err(|e| fail(Some(code), "spool", format!("temporary file: {e}"), false))?;
        loop {
            let chunk = resp.chunk().await.map_err(|e| {
                let (reason, retry) = if e.is_timeout() {
                    ("timeout", true)
                } else {
                    ("truncated", true)
                };
                fail(
                    Some(code),
                    reason,
                    format!("body ended early after {size} bytes: {}", error_chain(&e)),
                    retry,
                )
            })?;
            let Some(chunk) = chunk else { break };
            size += chunk.len() as u64;
            hasher.update(&chunk);
            if keep == Keep::Page && size > self.settings.max_page_bytes {
                return Err(fail(
                    Some(code),
                    "too_large",
                    format!(
                        "page larger than {} MiB (http.max_page_mib = {0}); raise it if the \
                         API's pages are that large",
                        self.settings.max_page_bytes / (1024 * 1024)
                    ),
                    false,
                ));
            }
            body.write_all(&chunk)
                .map_err(|e| fail(Some(code), "spool", format!("temporary file: {e}"), false))?;
        }
        if let Some(n) = expected
            && n != size
        {
            return Err(fail(
                Some(code),
                "truncated",
                format!("body ended early: {size} of {n} bytes"),
                true,
            ));
        }
        body.flush()
            .map_err(|e| fail(Some(code), "spool", format!("temporary file: {e}"), false))?;
        Ok((code, body, size, crate::util::hex(&hasher.finalize())))
    }
}

/// The first words of an error response, on one line.
async fn excerpt(resp: &mut reqwest::Response) -> String {
    const MAX: usize = 160;
    let mut bytes = Vec::new();
    while bytes.len() < MAX {
        match resp.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX)]).to_string();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

struct Attempt {
    failure: Failure,
    retry: bool,
    retry_after: Option<Duration>,
}

fn classify(e: &reqwest::Error) -> (&'static str, bool) {
    if e.is_timeout() {
        ("timeout", true)
    } else if e.is_connect() {
        ("connection", true)
    } else if e.is_redirect() || e.is_builder() {
        ("redirect", false)
    } else {
        ("request", true)
    }
}

/// The error and its causes on one line (reqwest's top message alone is vague).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// `Retry-After` as seconds or an HTTP date.
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let delta = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

/// A number in [0, 1) that differs between calls and processes; jitter needs no more.
fn jitter() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut x = nanos
        ^ COUNTER
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .rotate_left(17);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// The current time as RFC 3339, seconds.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn jitter_stays_in_range() {
        for _ in 0..1000 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j), "{j}");
        }
    }
}
