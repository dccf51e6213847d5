//! `[[source]]` tables: the kinds of source, their HTTP settings and pagination, as written
//! and as resolved.
//!
//! Every key has a default that suits a slow public API; a source states only what differs.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::NaiveDate;
use serde::Deserialize;

/// `[[source]]`, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    /// Unique id, used in the store and the report.
    pub id: String,
    /// The kind of source.
    pub kind: SourceKind,
    /// What the source is, for people.
    pub about: Option<String>,
    /// Files, folders or glob patterns (`local`, `oc4ids`).
    #[serde(default)]
    pub paths: Vec<String>,
    /// Text encoding: `auto` (UTF-8, else ISO-8859-1), `utf-8` or `iso-8859-1`.
    #[serde(default)]
    pub encoding: EncodingName,
    /// The first page (`ocds-api`).
    pub url: Option<String>,
    /// Fixed URLs (`ocds-bulk`, `oc4ids`).
    #[serde(default)]
    pub urls: Vec<String>,
    /// A URL with `{year}` and optionally `{month}`, walked from `start` to now (`ocds-bulk`).
    pub url_template: Option<String>,
    /// First period of `url_template`: `YYYY` or `YYYY-MM`.
    pub start: Option<String>,
    /// JSON pointer to the package inside each page (`/package` for PanamaCompra's API).
    #[serde(default)]
    pub package_pointer: String,
    /// How pages follow each other (`ocds-api`).
    pub paginate: Option<RawPaginate>,
    /// Pages, windows or periods before the checkpoint that are fetched again.
    #[serde(default = "default_overlap")]
    pub overlap: u32,
    /// Follow symbolic links that lead out of the configured paths (`local`, `oc4ids`).
    #[serde(default)]
    pub follow_links: bool,
    /// Fetch the releases that records only link (`local`, `ocds-api`, `ocds-bulk`).
    #[serde(default)]
    pub fetch_linked: bool,
    /// `[source.http]`: HTTP settings.
    #[serde(default)]
    pub http: RawHttp,
}

fn default_overlap() -> u32 {
    1
}

/// `[source.http]`, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHttp {
    /// `GET` or `POST`.
    #[serde(default)]
    pub method: MethodName,
    /// Extra request headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Extra query parameters, added to every request.
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// Request body (POST); `{page}`, `{offset}`, `{from}`, `{until}` are filled in.
    pub body: Option<String>,
    /// Environment variable holding an access token.
    pub auth_env: Option<String>,
    /// Header that carries the token.
    #[serde(default = "default_auth_header")]
    pub auth_header: String,
    /// Text before the token (`Bearer`); empty for the bare token.
    #[serde(default = "default_auth_scheme")]
    pub auth_scheme: String,
    /// Requests in flight at once.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Requests per second at most (0: no limit).
    #[serde(default)]
    pub rate_limit: f64,
    /// Seconds to connect.
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout: f64,
    /// Seconds without a byte before a request is abandoned.
    #[serde(default = "default_read_timeout")]
    pub read_timeout: f64,
    /// Tries per request before the page is quarantined.
    #[serde(default = "default_attempts")]
    pub attempts: u32,
    /// First pause between tries, in seconds; doubled each time, with jitter.
    #[serde(default = "default_backoff")]
    pub backoff: f64,
    /// Longest pause between tries (and longest `Retry-After` honoured), in seconds.
    #[serde(default = "default_max_backoff")]
    pub max_backoff: f64,
    /// Largest API page accepted, in MiB: pages are spooled to disk and streamed, so this
    /// bounds disk, not memory (bulk files have no limit).
    #[serde(default = "default_max_page_mib")]
    pub max_page_mib: u64,
}

fn default_auth_header() -> String {
    "Authorization".into()
}
fn default_auth_scheme() -> String {
    "Bearer".into()
}
fn default_concurrency() -> usize {
    2
}
fn default_connect_timeout() -> f64 {
    15.0
}
fn default_read_timeout() -> f64 {
    120.0
}
fn default_attempts() -> u32 {
    5
}
fn default_backoff() -> f64 {
    2.0
}
fn default_max_backoff() -> f64 {
    300.0
}
fn default_max_page_mib() -> u64 {
    1024
}

/// `source.method`
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
pub enum MethodName {
    /// GET.
    #[default]
    #[serde(rename = "GET", alias = "get")]
    Get,
    /// POST.
    #[serde(rename = "POST", alias = "post")]
    Post,
}

/// `[source.paginate]`, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPaginate {
    /// `next`, `page`, `offset` or `windows`.
    pub mode: PaginateMode,
    /// JSON pointer to the next page's URL (`next`).
    #[serde(default = "default_next_pointer")]
    pub next_pointer: String,
    /// Query parameter carrying the page number or offset.
    pub param: Option<String>,
    /// First page number.
    #[serde(default = "default_first_page")]
    pub first: u64,
    /// JSON pointer to the number of pages, when the API gives it.
    pub total_pointer: Option<String>,
    /// Query parameter carrying the page size, and the size asked for.
    pub size_param: Option<String>,
    /// Page size (`offset` steps by it).
    pub size: Option<u64>,
    /// The API lists newest first: a finished source is re-read from the first page until a
    /// page brings nothing new.
    #[serde(default)]
    pub newest_first: bool,
    /// Query parameters carrying a window's start and end (`windows`).
    pub from_param: Option<String>,
    /// See `from_param`.
    pub until_param: Option<String>,
    /// First day of the first window (`YYYY-MM-DD`).
    pub start: Option<String>,
    /// Window length in days.
    pub window_days: Option<u32>,
    /// strftime format of the window dates.
    #[serde(default = "default_date_format")]
    pub date_format: String,
}

fn default_next_pointer() -> String {
    "/links/next".into()
}
fn default_first_page() -> u64 {
    1
}
fn default_date_format() -> String {
    "%Y-%m-%d".into()
}

/// `source.paginate.mode`
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum PaginateMode {
    /// Follow a link in each page.
    Next,
    /// Page numbers.
    Page,
    /// Offsets.
    Offset,
    /// Date windows.
    Windows,
}

/// `source.kind`
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// Files on disk.
    Local,
    /// A paginated OCDS API.
    OcdsApi,
    /// OCDS bulk files over HTTP.
    OcdsBulk,
    /// OC4IDS project packages (URLs or paths).
    Oc4ids,
}

/// `source.encoding`
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum EncodingName {
    /// UTF-8, and ISO-8859-1 for a file that is not UTF-8.
    #[default]
    Auto,
    /// UTF-8 only; other bytes are quarantined.
    #[serde(rename = "utf-8")]
    Utf8,
    /// ISO-8859-1.
    #[serde(rename = "iso-8859-1")]
    Latin1,
}

/// A source, resolved.
#[derive(Debug, Clone)]
pub struct Source {
    /// Id.
    pub id: String,
    /// Encoding choice.
    pub encoding: EncodingName,
    /// Kind-specific settings.
    pub spec: SourceSpec,
    /// HTTP settings (unused by `local`).
    pub http: Http,
    /// Pages, windows or periods before the checkpoint that are fetched again.
    pub overlap: u32,
    /// Follow symbolic links that lead out of the configured paths.
    pub follow_links: bool,
    /// Fetch, through this source's HTTP settings, the releases its records only link, so
    /// that history, changes and cost estimates can be read from them.
    pub fetch_linked: bool,
    /// The largest line, release or record read (`run.max_item_mib`).
    pub max_item_bytes: u64,
}

impl Source {
    /// The source in a few words, for the method page: id, kind and where it reads.
    pub fn describe(&self) -> String {
        let place = match &self.spec {
            SourceSpec::Local { paths } => paths.join(", "),
            SourceSpec::Api(api) => api.url.clone(),
            SourceSpec::Bulk(b) => b
                .urls
                .iter()
                .cloned()
                .chain(b.template.iter().map(|t| t.url.clone()))
                .collect::<Vec<_>>()
                .join(", "),
            SourceSpec::Oc4ids { urls, paths } => urls
                .iter()
                .chain(paths)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
        };
        format!("{} ({}): {place}", self.id, self.kind_name())
    }

    /// The kind's name as written in config and reports.
    pub fn kind_name(&self) -> &'static str {
        match self.spec {
            SourceSpec::Local { .. } => "local",
            SourceSpec::Api(_) => "ocds-api",
            SourceSpec::Bulk(_) => "ocds-bulk",
            SourceSpec::Oc4ids { .. } => "oc4ids",
        }
    }
}

/// What each kind needs.
#[derive(Debug, Clone)]
pub enum SourceSpec {
    /// Files, folders, globs.
    Local {
        /// Paths and patterns.
        paths: Vec<String>,
    },
    /// A paginated API.
    Api(Api),
    /// Bulk files.
    Bulk(Bulk),
    /// OC4IDS project packages.
    Oc4ids {
        /// URLs.
        urls: Vec<String>,
        /// Paths and patterns.
        paths: Vec<String>,
    },
}

/// An `ocds-api` source.
#[derive(Debug, Clone)]
pub struct Api {
    /// First page.
    pub url: String,
    /// Where the package sits in a page (empty: the page is the package).
    pub package_pointer: String,
    /// Pagination.
    pub paginate: Paginate,
}

/// How an API's pages follow each other.
#[derive(Debug, Clone)]
pub enum Paginate {
    /// `links.next` (or another pointer).
    Next {
        /// JSON pointer to the next URL.
        pointer: String,
    },
    /// Page numbers or offsets.
    Numbered(Numbered),
    /// Date windows.
    Windows(Windows),
}

/// Page numbers or offsets.
#[derive(Debug, Clone)]
pub struct Numbered {
    /// Query parameter.
    pub param: String,
    /// First value.
    pub first: u64,
    /// Step between pages (1 for page numbers, the page size for offsets).
    pub step: u64,
    /// Page-size parameter and value, when sent.
    pub size: Option<(String, u64)>,
    /// JSON pointer to the page count.
    pub total_pointer: Option<String>,
    /// Newest first (see [`RawPaginate::newest_first`]).
    pub newest_first: bool,
}

/// Date windows.
#[derive(Debug, Clone)]
pub struct Windows {
    /// Start parameter.
    pub from_param: String,
    /// End parameter.
    pub until_param: String,
    /// First day.
    pub start: NaiveDate,
    /// Window length in days.
    pub days: u32,
    /// strftime format.
    pub format: String,
}

/// An `ocds-bulk` source.
#[derive(Debug, Clone)]
pub struct Bulk {
    /// Fixed URLs.
    pub urls: Vec<String>,
    /// A dated URL template, walked by year or month.
    pub template: Option<Template>,
}

/// A URL template with `{year}` and maybe `{month}`.
#[derive(Debug, Clone)]
pub struct Template {
    /// The template.
    pub url: String,
    /// First period (month is 1 when the template has no `{month}`).
    pub start: (i32, u32),
    /// True when the template has `{month}`.
    pub monthly: bool,
}

/// HTTP settings, resolved.
#[derive(Debug, Clone)]
pub struct Http {
    /// POST instead of GET.
    pub post: bool,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Extra query parameters.
    pub query: Vec<(String, String)>,
    /// Body template.
    pub body: Option<String>,
    /// Token: (environment variable, header, scheme).
    pub auth: Option<(String, String, String)>,
    /// Requests in flight.
    pub concurrency: usize,
    /// Requests per second (0: unlimited).
    pub rate_limit: f64,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Read timeout.
    pub read_timeout: Duration,
    /// Tries per request.
    pub attempts: u32,
    /// First backoff.
    pub backoff: Duration,
    /// Longest backoff.
    pub max_backoff: Duration,
    /// Largest API page accepted, bytes.
    pub max_page_bytes: u64,
}

impl Http {
    /// The settings for following a publisher's links (`fetch_linked`): the same pace,
    /// timeouts and retries, but none of the source's credentials, headers, query or POST
    /// body. A link names whatever host the publisher wrote, and the source's token must not
    /// travel there.
    pub fn for_links(&self) -> Http {
        Http {
            post: false,
            headers: Vec::new(),
            query: Vec::new(),
            body: None,
            auth: None,
            ..self.clone()
        }
    }
}

type Fail = (String, String);

fn secs(key: &str, v: f64) -> Result<Duration, Fail> {
    if v.is_finite() && v >= 0.0 {
        Ok(Duration::from_secs_f64(v))
    } else {
        Err((key.into(), format!("{v} must be a number of seconds ≥ 0")))
    }
}

/// An http(s) URL that still parses once its placeholders are filled in, so that a bad URL
/// is a configuration error rather than pages that can never be requested.
fn check_url(key: &str, url: &str) -> Result<(), Fail> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err((key.into(), format!("`{url}` is not an http(s) URL")));
    }
    let mut sample = url.to_string();
    for (name, value) in [
        ("{year}", "2024"),
        ("{month}", "01"),
        ("{page}", "1"),
        ("{offset}", "0"),
        ("{from}", "2024-01-01"),
        ("{until}", "2024-01-15"),
    ] {
        sample = sample.replace(name, value);
    }
    reqwest::Url::parse(&sample)
        .map(|_| ())
        .map_err(|e| (key.to_string(), format!("`{url}` is not a valid URL: {e}")))
}

fn need<T>(key: &str, v: Option<T>, why: &str) -> Result<T, Fail> {
    v.ok_or_else(|| (key.to_string(), why.to_string()))
}

impl Default for RawHttp {
    fn default() -> Self {
        RawHttp {
            method: MethodName::default(),
            headers: BTreeMap::new(),
            query: BTreeMap::new(),
            body: None,
            auth_env: None,
            auth_header: default_auth_header(),
            auth_scheme: default_auth_scheme(),
            concurrency: default_concurrency(),
            rate_limit: 0.0,
            connect_timeout: default_connect_timeout(),
            read_timeout: default_read_timeout(),
            attempts: default_attempts(),
            backoff: default_backoff(),
            max_backoff: default_max_backoff(),
            max_page_mib: default_max_page_mib(),
        }
    }
}

impl RawHttp {
    fn resolve(self) -> Result<Http, Fail> {
        if self.concurrency == 0 {
            return Err(("http.concurrency".into(), "must be at least 1".into()));
        }
        if self.attempts == 0 {
            return Err(("http.attempts".into(), "must be at least 1".into()));
        }
        if !self.rate_limit.is_finite() || self.rate_limit < 0.0 {
            return Err((
                "http.rate_limit".into(),
                format!("{} must be requests per second ≥ 0", self.rate_limit),
            ));
        }
        for name in self.headers.keys() {
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err((
                    "http.headers".into(),
                    format!("`{name}` is not a header name"),
                ));
            }
        }
        let auth = match self.auth_env {
            Some(var) if var.trim().is_empty() => {
                return Err(("http.auth_env".into(), "must name a variable".into()));
            }
            Some(var) => Some((var, self.auth_header, self.auth_scheme)),
            None => None,
        };
        Ok(Http {
            post: self.method == MethodName::Post,
            headers: self.headers.into_iter().collect(),
            query: self.query.into_iter().collect(),
            body: self.body,
            auth,
            concurrency: self.concurrency,
            rate_limit: self.rate_limit,
            connect_timeout: secs("http.connect_timeout", self.connect_timeout)?,
            read_timeout: secs("http.read_timeout", self.read_timeout)?,
            attempts: self.attempts,
            backoff: secs("http.backoff", self.backoff)?,
            max_backoff: secs("http.max_backoff", self.max_backoff)?,
            max_page_bytes: self.max_page_mib.saturating_mul(1024 * 1024),
        })
    }
}

impl RawPaginate {
    fn resolve(self) -> Result<Paginate, Fail> {
        let k = |s: &str| format!("paginate.{s}");
        Ok(match self.mode {
            PaginateMode::Next => {
                if !self.next_pointer.is_empty() && !self.next_pointer.starts_with('/') {
                    return Err((k("next_pointer"), "a JSON pointer starts with `/`".into()));
                }
                Paginate::Next {
                    pointer: self.next_pointer,
                }
            }
            PaginateMode::Page | PaginateMode::Offset => {
                let offset = self.mode == PaginateMode::Offset;
                let param = need(&k("param"), self.param, "the query parameter is needed")?;
                let size = match (self.size_param, self.size) {
                    (Some(p), Some(n)) if n > 0 => Some((p, n)),
                    (Some(_), _) => return Err((k("size"), "size_param needs a size ≥ 1".into())),
                    (None, _) => None,
                };
                let step = if offset {
                    let n = self.size.filter(|n| *n > 0);
                    need(&k("size"), n, "offsets step by the page size (≥ 1)")?
                } else {
                    1
                };
                Paginate::Numbered(Numbered {
                    param,
                    first: if offset && self.first == 1 {
                        0
                    } else {
                        self.first
                    },
                    step,
                    size,
                    total_pointer: self.total_pointer,
                    newest_first: self.newest_first,
                })
            }
            PaginateMode::Windows => {
                let start = need(&k("start"), self.start, "the first day is needed")?;
                let start = NaiveDate::parse_from_str(&start, "%Y-%m-%d")
                    .map_err(|e| (k("start"), format!("`{start}` is not YYYY-MM-DD: {e}")))?;
                let days = need(&k("window_days"), self.window_days, "needed")?;
                if days == 0 {
                    return Err((k("window_days"), "must be at least 1".into()));
                }
                if chrono::format::StrftimeItems::new(&self.date_format)
                    .any(|i| matches!(i, chrono::format::Item::Error))
                {
                    return Err((k("date_format"), "not a strftime format".into()));
                }
                Paginate::Windows(Windows {
                    from_param: need(&k("from_param"), self.from_param, "needed")?,
                    until_param: need(&k("until_param"), self.until_param, "needed")?,
                    start,
                    days,
                    format: self.date_format,
                })
            }
        })
    }
}

fn period(key: &str, s: &str) -> Result<(i32, u32), Fail> {
    let bad = || (key.to_string(), format!("`{s}` is not YYYY or YYYY-MM"));
    let mut parts = s.splitn(2, '-');
    let y: i32 = parts.next().and_then(|y| y.parse().ok()).ok_or_else(bad)?;
    let m: u32 = match parts.next() {
        Some(m) => m
            .parse()
            .ok()
            .filter(|m| (1..=12).contains(m))
            .ok_or_else(bad)?,
        None => 1,
    };
    Ok((y, m))
}

impl RawSource {
    /// Checks the keys the kind needs; errors are (key relative to the source, reason).
    pub fn resolve(self) -> Result<Source, Fail> {
        for p in &self.paths {
            if let Err(e) = glob::Pattern::new(p) {
                return Err(("paths".into(), format!("`{p}` is not a valid pattern: {e}")));
            }
        }
        for u in &self.urls {
            check_url("urls", u)?;
        }
        if !self.package_pointer.is_empty() && !self.package_pointer.starts_with('/') {
            return Err((
                "package_pointer".into(),
                "a JSON pointer starts with `/`".into(),
            ));
        }
        let spec = match self.kind {
            SourceKind::Local => {
                if self.paths.is_empty() {
                    return Err((
                        "paths".into(),
                        "a local source needs at least one path".into(),
                    ));
                }
                SourceSpec::Local { paths: self.paths }
            }
            SourceKind::OcdsApi => {
                let url = need(
                    "url",
                    self.url,
                    "an ocds-api source needs the first page's url",
                )?;
                check_url("url", &url)?;
                let paginate = self
                    .paginate
                    .map(RawPaginate::resolve)
                    .transpose()?
                    .unwrap_or(Paginate::Next {
                        pointer: default_next_pointer(),
                    });
                SourceSpec::Api(Api {
                    url,
                    package_pointer: self.package_pointer,
                    paginate,
                })
            }
            SourceKind::OcdsBulk => {
                let template = match self.url_template {
                    Some(url) => {
                        check_url("url_template", &url)?;
                        if !url.contains("{year}") {
                            return Err(("url_template".into(), "needs `{year}`".into()));
                        }
                        let start = need("start", self.start, "a url_template needs a start")?;
                        Some(Template {
                            monthly: url.contains("{month}"),
                            start: period("start", &start)?,
                            url,
                        })
                    }
                    None => None,
                };
                if self.urls.is_empty() && template.is_none() {
                    return Err(("urls".into(), "give urls or a url_template".into()));
                }
                SourceSpec::Bulk(Bulk {
                    urls: self.urls,
                    template,
                })
            }
            SourceKind::Oc4ids => {
                if self.fetch_linked {
                    return Err((
                        "fetch_linked".into(),
                        "an oc4ids source has no records to follow".into(),
                    ));
                }
                if self.urls.is_empty() && self.paths.is_empty() {
                    return Err(("urls".into(), "give urls or paths".into()));
                }
                SourceSpec::Oc4ids {
                    urls: self.urls,
                    paths: self.paths,
                }
            }
        };
        Ok(Source {
            id: self.id,
            encoding: self.encoding,
            spec,
            http: self.http.resolve()?,
            overlap: self.overlap,
            follow_links: self.follow_links,
            fetch_linked: self.fetch_linked,
            max_item_bytes: crate::ocds::package::DEFAULT_MAX_ITEM_BYTES,
        })
    }
}
