//! HTTP sources against a real server on 127.0.0.1 (wiremock), through the whole pipeline.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use costwatch::config::Config;
use costwatch::pipeline::{RunOptions, run};
use costwatch::report::{Health, RunReport};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A server on its own runtime, so the pipeline (which has its own) can run on this thread.
pub struct Server {
    pub rt: tokio::runtime::Runtime,
    pub mock: MockServer,
}

impl Server {
    pub fn start() -> Server {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let mock = rt.block_on(MockServer::start());
        assert!(
            mock.uri().starts_with("http://127.0.0.1:"),
            "{}",
            mock.uri()
        );
        Server { rt, mock }
    }

    pub fn uri(&self) -> String {
        self.mock.uri()
    }

    pub fn mount(&self, m: Mock) {
        self.rt.block_on(m.mount(&self.mock));
    }

    /// Answers every request for `at` (any method) with `answer`.
    pub fn serve(&self, at: &str, answer: ResponseTemplate) {
        self.mount(Mock::given(path(at)).respond_with(answer));
    }

    pub fn reset(&self) {
        self.rt.block_on(self.mock.reset());
    }

    /// Paths with query of every request received so far.
    pub fn requests(&self) -> Vec<String> {
        self.rt
            .block_on(self.mock.received_requests())
            .unwrap_or_default()
            .iter()
            .map(|r| match r.url.query() {
                Some(q) => format!("{}?{q}", r.url.path()),
                None => r.url.path().to_string(),
            })
            .collect()
    }
}

/// A release with just enough to be compiled and converted.
pub fn release(n: u32) -> Value {
    json!({
        "ocid": format!("ocds-test-{n:04}"),
        "id": format!("ocds-test-{n:04}-tender"),
        "date": format!("2024-01-{:02}T00:00:00Z", n % 28 + 1),
        "tag": ["tender"],
        "initiationType": "tender",
        "buyer": {"id": "PA-1", "name": "Ministerio de Obras Públicas"},
        "parties": [{"id": "PA-1", "name": "Ministerio de Obras Públicas", "roles": ["buyer"],
                      "identifier": {"scheme": "PA-RUC", "id": "8-NT-1"}}],
        "tender": {"id": format!("T-{n}"), "title": format!("Obra {n}"), "status": "active"}
    })
}

/// A release package with releases `from..to`.
pub fn package(from: u32, to: u32) -> Value {
    json!({
        "uri": "http://127.0.0.1/test",
        "version": "1.1",
        "publishedDate": "2024-02-01T00:00:00Z",
        "publisher": {"name": "test"},
        "releases": (from..to).map(release).collect::<Vec<_>>()
    })
}

/// Config text with the store and output in `dir`, and the given sources.
fn config_text(dir: &Path, sources: &str) -> String {
    format!(
        "[run]\nstore = \"{store}\"\noutput = \"{out}\"\nas_of = \"2025-06-30T00:00:00Z\"\n\
         [projects]\nid_prefix = \"oc4ids-test\"\n{sources}",
        store = dir.join("store.sqlite").display(),
        out = dir.join("out").display(),
    )
}

pub fn config(dir: &Path, sources: &str) -> Config {
    let text = config_text(dir, sources);
    Config::from_toml(&text, "test.toml").unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// A page-numbered source at `{uri}/r` answering `{"pages": n, "package": …}`.
fn paged_source(id: &str, uri: &str, http: &str) -> String {
    format!(
        "[[source]]\nid = \"{id}\"\nkind = \"ocds-api\"\nurl = \"{uri}/r\"\n\
         package_pointer = \"/package\"\n\
         [source.paginate]\nmode = \"page\"\nparam = \"page\"\ntotal_pointer = \"/pages\"\n\
         [source.http]\n{http}"
    )
}

/// The same, written to `dir/c.toml` for the binary.
fn config_file(dir: &Path, sources: &str) -> std::path::PathBuf {
    let path = dir.join("c.toml");
    std::fs::write(&path, config_text(dir, sources)).expect("config");
    path
}

fn go(c: &Config) -> RunReport {
    run(c, &RunOptions::default())
        .unwrap_or_else(|e| panic!("run: {e}"))
        .report
}

fn count(dir: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(dir.join("store.sqlite")).expect("store");
    conn.query_row(sql, [], |r| r.get(0)).expect(sql)
}

const FAST: &str = "[source.http]\nbackoff = 0.02\nmax_backoff = 2.0\nattempts = 3\n";

#[test]
fn links_next_are_followed_and_a_finished_walk_resumes_at_its_last_page() {
    let s = Server::start();
    let uri = s.uri();
    for (i, (from, to)) in [(0, 4), (4, 8), (8, 10)].into_iter().enumerate() {
        let mut body = package(from, to);
        if i < 2 {
            body["links"] = json!({ "next": format!("{uri}/releases/p{}", i + 2) });
        }
        s.mount(
            Mock::given(method("GET"))
                .and(path(format!("/releases/p{}", i + 1)))
                .respond_with(ResponseTemplate::new(200).set_body_json(body)),
        );
    }
    let dir = tempfile::tempdir().expect("tmp");
    let c = config(
        dir.path(),
        &format!(
            "[[source]]\nid = \"api\"\nkind = \"ocds-api\"\nurl = \"{uri}/releases/p1\"\n{FAST}"
        ),
    );
    let r = go(&c);
    let h = &r.sources[0];
    assert_eq!(h.status, Health::Ok, "{h:?}");
    assert_eq!((h.pages, h.new), (3, 10));
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM releases"), 10);
    assert_eq!(
        count(
            dir.path(),
            "SELECT COUNT(*) FROM inputs WHERE http_status = 200"
        ),
        3
    );

    let r2 = go(&c);
    let h2 = &r2.sources[0];
    assert_eq!((h2.pages, h2.new, h2.repeated), (1, 0, 2), "{h2:?}");
    let reqs = s.requests();
    assert_eq!(reqs.iter().filter(|r| *r == "/releases/p1").count(), 1);
    assert_eq!(reqs.iter().filter(|r| *r == "/releases/p3").count(), 2);
}

/// The `page=` number a request asks for (1 without one).
fn page_of(req: &Request) -> u32 {
    req.url
        .query_pairs()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(1)
}

/// Answers every GET of `/r` with `answer`, in place of what was answered before.
fn answer_pages(s: &Server, answer: impl Respond + 'static) {
    s.reset();
    s.mount(
        Mock::given(method("GET"))
            .and(path("/r"))
            .respond_with(answer),
    );
}

/// A page-numbered source `p` at `/r` that gives no page count, its package at `/package`;
/// `keys` are added to the source, `http` is its `[source.http]` table.
fn without_a_count(dir: &Path, uri: &str, keys: &str, http: &str) -> Config {
    config(
        dir,
        &format!(
            "[[source]]\nid = \"p\"\nkind = \"ocds-api\"\nurl = \"{uri}/r\"\n\
             package_pointer = \"/package\"\n{keys}\
             [source.paginate]\nmode = \"page\"\nparam = \"page\"\n{http}"
        ),
    )
}

/// PanamaCompra-style pages: `{"pages": n, "package": {...}}` with `page=` numbers.
#[derive(Default)]
struct Paged {
    pages: u32,
    per_page: u32,
    /// Releases also repeated on the next page (pagination drift).
    drift: u32,
    /// Pages answered with an error in JSON (status 200) instead of their package.
    bad: Vec<u32>,
    /// How a page past the last is answered.
    past: Past,
}

/// A page past the last: an empty package, a status without a body, or an error in JSON.
#[derive(Default)]
enum Past {
    #[default]
    Empty,
    Status(u16),
    ErrorJson,
}

impl Respond for Paged {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let page = page_of(req);
        let error =
            || ResponseTemplate::new(200).set_body_json(json!({"error": "intente más tarde"}));
        if self.bad.contains(&page) {
            return error();
        }
        if page == 0 || page > self.pages {
            return match self.past {
                Past::Empty => ResponseTemplate::new(200)
                    .set_body_json(json!({"pages": self.pages, "package": package(0, 0)})),
                Past::Status(status) => ResponseTemplate::new(status),
                Past::ErrorJson => error(),
            };
        }
        let from = (page - 1) * self.per_page;
        let from = from.saturating_sub(if page > 1 { self.drift } else { 0 });
        let to = page * self.per_page;
        ResponseTemplate::new(200)
            .set_body_json(json!({"pages": self.pages, "package": package(from, to)}))
    }
}

#[test]
fn page_numbers_with_a_page_count_run_concurrently_and_drift_is_recognised() {
    let s = Server::start();
    let uri = s.uri();
    s.mount(
        Mock::given(method("GET"))
            .and(path("/Release"))
            .and(query_param("DescendingOrder", "true"))
            .respond_with(Paged {
                pages: 6,
                per_page: 5,
                drift: 2,
                ..Default::default()
            }),
    );
    let dir = tempfile::tempdir().expect("tmp");
    let c = config(
        dir.path(),
        &format!(
            "[[source]]\nid = \"pages\"\nkind = \"ocds-api\"\nurl = \"{uri}/Release\"\n\
             package_pointer = \"/package\"\n\
             [source.paginate]\nmode = \"page\"\nparam = \"page\"\ntotal_pointer = \"/pages\"\n\
             [source.http]\nconcurrency = 3\nquery = {{ DescendingOrder = \"true\" }}\n"
        ),
    );
    let r = go(&c);
    let h = &r.sources[0];
    assert_eq!(h.status, Health::Ok, "{h:?}");
    assert_eq!(h.pages, 6);
    assert_eq!(h.new, 30);
    // Pages 2..6 each repeat two releases of the page before: recognised, not conflicts.
    assert_eq!(h.repeated, 10);
    assert_eq!(h.conflicting, 0);
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM releases"), 30);
    assert_eq!(h.checkpoint["complete"], json!(true));
}

#[test]
fn page_numbers_without_a_count_stop_at_the_first_empty_page() {
    let s = Server::start();
    let uri = s.uri();
    answer_pages(
        &s,
        Paged {
            pages: 3,
            per_page: 4,
            drift: 0,
            ..Default::default()
        },
    );
    let dir = tempfile::tempdir().expect("tmp");
    let c = without_a_count(dir.path(), &uri, "", "[source.http]\nconcurrency = 2\n");
    let r = go(&c);
    let h = &r.sources[0];
    assert_eq!((h.status, h.pages, h.new), (Health::Ok, 3, 12), "{h:?}");
}

#[test]
fn page_numbers_without_a_count_stop_after_three_failed_pages_and_go_on_from_there() {
    let s = Server::start();
    let uri = s.uri();
    answer_pages(
        &s,
        Paged {
            pages: 2,
            per_page: 4,
            past: Past::Status(500),
            ..Default::default()
        },
    );
    let dir = tempfile::tempdir().expect("tmp");
    let c = without_a_count(
        dir.path(),
        &uri,
        "overlap = 2\n",
        &format!("{FAST}concurrency = 2\n"),
    );
    // Every page past the second fails: the walk used to ask for pages forever.
    let r = go(&c);
    let h = &r.sources[0];
    assert_eq!((h.status, h.pages, h.new), (Health::Partial, 2, 8), "{h:?}");
    let failed: Vec<&str> = r.quarantined.iter().map(|q| q.location.as_str()).collect();
    assert_eq!(failed.len(), 3, "{failed:?}");
    assert!(failed[0].ends_with("page=3"), "{failed:?}");
    let cursor = || -> Value {
        let conn = rusqlite::Connection::open(dir.path().join("store.sqlite")).expect("store");
        let text: String = conn
            .query_row(
                "SELECT cursor FROM checkpoints WHERE source_id = 'p'",
                [],
                |r| r.get(0),
            )
            .expect("checkpoint");
        serde_json::from_str(&text).expect("cursor")
    };
    assert_eq!(
        cursor(),
        json!({"next": 3, "failed": [], "complete": false}),
        "the next run goes on from page 3; the backlog does not grow"
    );

    // A night when the server fails from page 2 on: the run starts two pages back (the
    // overlap), reads page 1 again and fails on 2, 3 and 4. The checkpoint does not go back.
    answer_pages(
        &s,
        Paged {
            pages: 1,
            per_page: 4,
            past: Past::Status(500),
            ..Default::default()
        },
    );
    let r = go(&c);
    assert_eq!(r.sources[0].status, Health::Partial, "{:?}", r.sources[0]);
    assert_eq!(
        cursor(),
        json!({"next": 3, "failed": [], "complete": false})
    );

    // The server has pages 3 and 4 now: the next run reads them and ends at the empty one.
    answer_pages(
        &s,
        Paged {
            pages: 4,
            per_page: 4,
            drift: 0,
            ..Default::default()
        },
    );
    let r = go(&c);
    let h = &r.sources[0];
    assert_eq!((h.status, h.new), (Health::Ok, 8), "{h:?}");
}

#[test]
fn a_page_with_an_error_instead_of_a_package_is_asked_for_again_and_three_end_the_walk() {
    let s = Server::start();
    let uri = s.uri();
    answer_pages(
        &s,
        Paged {
            pages: 4,
            per_page: 4,
            bad: vec![3],
            past: Past::ErrorJson,
            ..Default::default()
        },
    );
    let dir = tempfile::tempdir().expect("tmp");
    let c = without_a_count(dir.path(), &uri, "", FAST);
    // Page 3 answers `{"error": …}` with 200 and page 4 has releases again: page 3 is a
    // failed page (it used to read as an empty page that ended the walk, run ok, with page 4
    // unread). Pages 5, 6 and 7 answer the same way: that is the end of this API's pages.
    let r = go(&c);
    let h = &r.sources[0];
    assert_eq!(
        (h.status, h.pages, h.new),
        (Health::Partial, 3, 12),
        "{h:?}"
    );
    let set_aside: Vec<(&str, &str)> = r
        .quarantined
        .iter()
        .map(|q| (q.location.as_str(), q.reason.as_str()))
        .collect();
    assert_eq!(set_aside.len(), 1, "{set_aside:?}");
    assert!(
        set_aside[0].0.ends_with("page=3") && set_aside[0].1 == "not_ocds",
        "{set_aside:?}"
    );
    assert!(
        r.quarantined[0]
            .detail
            .contains("no release or record package at `/package`")
    );

    // Page 3 answers the next night: it is read first, and the source is whole.
    answer_pages(
        &s,
        Paged {
            pages: 4,
            per_page: 4,
            bad: vec![],
            past: Past::ErrorJson,
            ..Default::default()
        },
    );
    let r = go(&c);
    let h = &r.sources[0];
    assert_eq!((h.status, h.new), (Health::Ok, 4), "{h:?}");
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM releases"), 16);
}

/// Answers a date-window request with one release per window, dated by the window.
struct Windows;

/// The package of one release dated by the window a request asks for, and that date.
fn window_package(req: &Request) -> (Value, String) {
    let from = req
        .url
        .query_pairs()
        .find(|(n, _)| n == "DateFrom")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let mut r = release(1);
    r["ocid"] = json!(format!("ocds-win-{from}"));
    r["id"] = json!(format!("w-{from}"));
    r["date"] = json!(format!("{from}T00:00:00Z"));
    let mut p = package(0, 0);
    p["releases"] = json!([r]);
    (p, from)
}

impl Respond for Windows {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_json(window_package(req).0)
    }
}

/// [`Windows`] with the package under `/package`, and an error in JSON (answered 200) for
/// the window that starts on `bad`.
struct WrappedWindows {
    bad: Option<String>,
}

impl Respond for WrappedWindows {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let (p, from) = window_package(req);
        if self.bad.as_deref() == Some(from.as_str()) {
            return ResponseTemplate::new(200).set_body_json(json!({"error": "intente más tarde"}));
        }
        ResponseTemplate::new(200).set_body_json(json!({ "package": p }))
    }
}

#[test]
fn a_date_window_answered_with_an_error_in_json_is_asked_for_again() {
    let s = Server::start();
    let uri = s.uri();
    // Five windows; the next run starts one window before the last, unfinished one, so the
    // second window is read again only if it was kept as failed.
    let start = chrono::Utc::now().date_naive() - chrono::Duration::days(70);
    let bad = (start + chrono::Duration::days(15))
        .format("%Y-%m-%d")
        .to_string();
    let serve = |bad: Option<String>| {
        s.reset();
        s.mount(
            Mock::given(method("GET"))
                .and(path("/Descarga"))
                .respond_with(WrappedWindows { bad }),
        );
    };
    serve(Some(bad.clone()));
    let dir = tempfile::tempdir().expect("tmp");
    let c = config(
        dir.path(),
        &format!(
            "[[source]]\nid = \"w\"\nkind = \"ocds-api\"\nurl = \"{uri}/Descarga\"\n\
             package_pointer = \"/package\"\n\
             [source.paginate]\nmode = \"windows\"\nfrom_param = \"DateFrom\"\n\
             until_param = \"DateTo\"\nstart = \"{start}\"\nwindow_days = 15\n{FAST}"
        ),
    );
    // The middle window's answer has no package: it used to be stored through the reader,
    // set aside as not OCDS and taken as read, its releases never asked for again.
    let r = go(&c);
    let h = &r.sources[0];
    assert_eq!((h.status, h.new), (Health::Partial, 4), "{h:?}");
    assert!(
        r.quarantined
            .iter()
            .any(|q| q.reason == "not_ocds" && q.location.contains(&format!("DateFrom={bad}"))),
        "{:?}",
        r.quarantined
    );
    serve(None);
    let r = go(&c);
    let h = &r.sources[0];
    assert_eq!((h.status, h.new), (Health::Ok, 1), "{h:?}");
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM releases"), 5);
}

#[test]
fn date_windows_walk_to_today_and_resume_with_one_window_of_overlap() {
    let s = Server::start();
    let uri = s.uri();
    s.mount(
        Mock::given(method("GET"))
            .and(path("/Descarga"))
            .respond_with(Windows),
    );
    let today = chrono::Utc::now().date_naive();
    let start = today - chrono::Duration::days(40);
    let dir = tempfile::tempdir().expect("tmp");
    let c = config(
        dir.path(),
        &format!(
            "[[source]]\nid = \"w\"\nkind = \"ocds-api\"\nurl = \"{uri}/Descarga\"\n\
             [source.paginate]\nmode = \"windows\"\nfrom_param = \"DateFrom\"\n\
             until_param = \"DateTo\"\nstart = \"{start}\"\nwindow_days = 15\n\
             [source.http]\nconcurrency = 2\nquery = {{ FileType = \"json\" }}\n"
        ),
    );
    let r = go(&c);
    let h = &r.sources[0];
    assert_eq!((h.status, h.pages, h.new), (Health::Ok, 3, 3), "{h:?}");
    let d = |n: i64| {
        (start + chrono::Duration::days(n))
            .format("%Y-%m-%d")
            .to_string()
    };
    let mut got = s.requests();
    got.sort();
    let mut want = vec![
        format!("/Descarga?FileType=json&DateFrom={}&DateTo={}", d(0), d(15)),
        format!(
            "/Descarga?FileType=json&DateFrom={}&DateTo={}",
            d(15),
            d(30)
        ),
        format!(
            "/Descarga?FileType=json&DateFrom={}&DateTo={}",
            d(30),
            d(40)
        ),
    ];
    want.sort();
    assert_eq!(got, want);

    // The next run starts at the unfinished window, less one window of overlap.
    let r2 = go(&c);
    assert_eq!(
        r2.sources[0].pages, 2,
        "the unfinished window and one before it"
    );
    assert_eq!(s.requests().len(), 5);
    // The checkpoint never passes today, so with no overlap the unfinished window is still
    // asked for next time.
    let next_from: String = {
        let conn = rusqlite::Connection::open(dir.path().join("store.sqlite")).expect("store");
        conn.query_row(
            "SELECT json_extract(cursor, '$.next_from') FROM checkpoints WHERE source_id = 'w'",
            [],
            |r| r.get(0),
        )
        .expect("cursor")
    };
    assert!(
        next_from <= today.format("%Y-%m-%d").to_string(),
        "{next_from}"
    );
}

#[test]
fn a_links_next_loop_is_detected_and_the_source_is_partial() {
    let s = Server::start();
    let uri = s.uri();
    for (i, next) in [(1, 2), (2, 1)] {
        let mut body = package(i * 10, i * 10 + 2);
        body["links"] = json!({ "next": format!("{uri}/l/p{next}") });
        s.mount(
            Mock::given(method("GET"))
                .and(path(format!("/l/p{i}")))
                .respond_with(ResponseTemplate::new(200).set_body_json(body)),
        );
    }
    let dir = tempfile::tempdir().expect("tmp");
    let c = config(
        dir.path(),
        &format!("[[source]]\nid = \"api\"\nkind = \"ocds-api\"\nurl = \"{uri}/l/p1\"\n{FAST}"),
    );
    let r = go(&c);
    let h = &r.sources[0];
    assert_eq!(h.status, Health::Partial, "{h:?}");
    assert_eq!((h.pages, h.new), (2, 4));
    assert!(
        r.quarantined
            .iter()
            .any(|q| q.reason == "link_loop" && q.location.ends_with("/l/p2")),
        "{:?}",
        r.quarantined
    );
    // Each page was asked for once: the loop ended.
    assert_eq!(s.requests().len(), 2);
}

#[test]
fn a_links_next_page_that_stays_bad_leaves_the_source_partial_not_down() {
    let s = Server::start();
    let uri = s.uri();
    let mut p1 = package(0, 3);
    p1["links"] = json!({ "next": format!("{uri}/b/p2") });
    s.mount(
        Mock::given(method("GET"))
            .and(path("/b/p1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(p1)),
    );
    s.mount(
        Mock::given(method("GET"))
            .and(path("/b/p2"))
            .respond_with(ResponseTemplate::new(503)),
    );
    let dir = tempfile::tempdir().expect("tmp");
    let c = config(
        dir.path(),
        &format!("[[source]]\nid = \"api\"\nkind = \"ocds-api\"\nurl = \"{uri}/b/p1\"\n{FAST}"),
    );
    let r = go(&c);
    assert_eq!(r.sources[0].status, Health::Partial, "{:?}", r.sources[0]);
    assert!(r.quarantined.iter().any(|q| q.location.ends_with("/b/p2")));
    // Next run starts at the bad page; it fails again, but the server answers the first page:
    // partial, never down, and nothing is marked stale.
    let r2 = go(&c);
    let h = &r2.sources[0];
    assert_eq!(h.status, Health::Partial, "{h:?}");
    assert!(!h.stale);
    assert_eq!(r2.stale_entities, 0);
    assert!(r2.quarantined.iter().any(|q| q.location.ends_with("/b/p2")));
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

fn zip_of(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        w.start_file(*name, opts).expect("zip");
        w.write_all(bytes).expect("zip");
    }
    w.finish().expect("zip").into_inner()
}

#[test]
fn bulk_gzip_and_zip_bodies_are_read_and_unchanged_files_skipped() {
    let s = Server::start();
    let uri = s.uri();
    let gz = gzip(package(0, 5).to_string().as_bytes());
    let lines: String = (5..8).map(|n| format!("{}\n", release(n))).collect();
    let zipped = zip_of(&[
        ("2025/a.json", package(8, 12).to_string().into_bytes()),
        ("2025/b.jsonl", lines.into_bytes()),
    ]);
    s.mount(
        Mock::given(path("/bulk/2024.json.gz"))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(gz)),
    );
    s.mount(
        Mock::given(path("/bulk/2025.zip"))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(zipped)),
    );
    let dir = tempfile::tempdir().expect("tmp");
    let c = config(
        dir.path(),
        &format!(
            "[[source]]\nid = \"bulk\"\nkind = \"ocds-bulk\"\n\
             urls = [\"{uri}/bulk/2024.json.gz\", \"{uri}/bulk/2025.zip\"]\n"
        ),
    );
    let r = go(&c);
    let h = &r.sources[0];
    assert_eq!((h.status, h.pages, h.new), (Health::Ok, 2, 12), "{h:?}");
    assert_eq!(
        count(
            dir.path(),
            "SELECT COUNT(*) FROM inputs WHERE location LIKE '%2025.zip#2025/%'"
        ),
        2
    );
    let r2 = go(&c);
    let h2 = &r2.sources[0];
    assert_eq!((h2.pages, h2.pages_unchanged, h2.new), (0, 2, 0), "{h2:?}");
}

#[test]
fn bulk_template_walks_months_and_a_missing_month_is_not_an_error() {
    let s = Server::start();
    let uri = s.uri();
    let now = chrono::Utc::now().date_naive();
    let prev = now - chrono::Duration::days(32);
    use chrono::Datelike;
    let name = |d: chrono::NaiveDate| format!("/m/{:04}-{:02}.json", d.year(), d.month());
    s.mount(
        Mock::given(path(name(prev)))
            .respond_with(ResponseTemplate::new(200).set_body_json(package(0, 3))),
    );
    // The current month is not published yet: 404 (the default answer).
    let dir = tempfile::tempdir().expect("tmp");
    let c = config(
        dir.path(),
        &format!(
            "[[source]]\nid = \"m\"\nkind = \"ocds-bulk\"\n\
             url_template = \"{uri}/m/{{year}}-{{month}}.json\"\nstart = \"{:04}-{:02}\"\n",
            prev.year(),
            prev.month()
        ),
    );
    let r = go(&c);
    let h = &r.sources[0];
    assert_eq!((h.status, h.pages, h.new), (Health::Ok, 1, 3), "{h:?}");
    assert!(s.requests().contains(&name(now)));
}

#[test]
fn server_errors_and_429_are_retried_honouring_retry_after() {
    let s = Server::start();
    let uri = s.uri();
    s.mount(
        Mock::given(path("/r"))
            .and(query_param("page", "2"))
            .respond_with(ResponseTemplate::new(500))
            .up_to_n_times(2)
            .with_priority(1),
    );
    s.mount(
        Mock::given(path("/r"))
            .and(query_param("page", "3"))
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
            .up_to_n_times(1)
            .with_priority(1),
    );
    s.mount(Mock::given(path("/r")).respond_with(Paged {
        pages: 3,
        per_page: 2,
        drift: 0,
        ..Default::default()
    }));
    let dir = tempfile::tempdir().expect("tmp");
    let c = config(
        dir.path(),
        &paged_source(
            "f",
            &uri,
            "backoff = 0.01\nmax_backoff = 5.0\nattempts = 4\n",
        ),
    );
    let started = std::time::Instant::now();
    let r = go(&c);
    let h = &r.sources[0];
    assert_eq!((h.status, h.pages, h.new), (Health::Ok, 3, 6), "{h:?}");
    assert_eq!(h.retries, 3);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 must be waited for"
    );
    assert!(r.quarantined.is_empty());
}

#[test]
fn a_slow_answer_times_out_and_is_tried_again() {
    let s = Server::start();
    let uri = s.uri();
    s.mount(
        Mock::given(path("/slow"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(package(0, 2))
                    .set_delay(Duration::from_secs(3)),
            )
            .up_to_n_times(1)
            .with_priority(1),
    );
    s.mount(
        Mock::given(path("/slow"))
            .respond_with(ResponseTemplate::new(200).set_body_json(package(0, 2))),
    );
    let dir = tempfile::tempdir().expect("tmp");
    let c = config(
        dir.path(),
        &format!(
            "[[source]]\nid = \"t\"\nkind = \"ocds-api\"\nurl = \"{uri}/slow\"\n\
             [source.http]\nread_timeout = 0.3\nbackoff = 0.01\n"
        ),
    );
    let started = std::time::Instant::now();
    let r = go(&c);
    let h = &r.sources[0];
    assert_eq!((h.status, h.new, h.retries), (Health::Ok, 2, 1), "{h:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn a_page_given_up_on_is_quarantined_and_tried_first_next_run() {
    let s = Server::start();
    let uri = s.uri();
    s.mount(
        Mock::given(path("/r"))
            .and(query_param("page", "2"))
            .respond_with(ResponseTemplate::new(503))
            .with_priority(1),
    );
    s.mount(Mock::given(path("/r")).respond_with(Paged {
        pages: 3,
        per_page: 2,
        drift: 0,
        ..Default::default()
    }));
    let dir = tempfile::tempdir().expect("tmp");
    let c = config(
        dir.path(),
        &paged_source("g", &uri, "backoff = 0.02\nattempts = 2\n"),
    );
    let outcome = run(&c, &RunOptions::default()).expect("run");
    assert_eq!(outcome.exit_code(), costwatch::ExitCode::Partial);
    let r = &outcome.report;
    let h = &r.sources[0];
    assert_eq!(
        (h.status, h.pages, h.pages_quarantined),
        (Health::Partial, 2, 1)
    );
    assert_eq!(h.checkpoint["failed"], json!([2]));
    let q = &r.quarantined[0];
    assert!(q.location.ends_with("/r?page=2"), "{q:?}");
    assert_eq!(q.reason, "http_503");
    assert!(
        q.detail.contains("HTTP 503") && q.detail.contains("after 2 tries"),
        "{q:?}"
    );
    let csv = std::fs::read_to_string(dir.path().join("out/quarantine.csv")).expect("csv");
    assert!(csv.contains("http_503"));

    // The server recovers: the failed page is fetched first, and the source is whole again.
    s.reset();
    s.mount(Mock::given(path("/r")).respond_with(Paged {
        pages: 3,
        per_page: 2,
        drift: 0,
        ..Default::default()
    }));
    let r2 = go(&c);
    let h2 = &r2.sources[0];
    assert_eq!(h2.status, Health::Ok, "{h2:?}");
    assert_eq!(h2.checkpoint["failed"], json!([]));
    assert_eq!(s.requests().first().map(String::as_str), Some("/r?page=2"));
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM releases"), 6);
}

/// A server that promises 1000 bytes and sends 60, then hangs up.
fn truncating_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut buf = [0u8; 4096];
            let _ = std::io::Read::read(&mut stream, &mut buf);
            let body = &package(0, 3).to_string()[..60];
            let head =
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
            let _ = stream.flush();
        }
    });
    format!("http://{addr}")
}

#[test]
fn a_body_that_ends_early_or_is_not_json_is_quarantined_and_nothing_stored() {
    let cut = truncating_server();
    let s = Server::start();
    let uri = s.uri();
    s.mount(
        Mock::given(path("/bad.json")).respond_with(
            ResponseTemplate::new(200).set_body_string("{\"releases\": [{\"ocid\": "),
        ),
    );
    let dir = tempfile::tempdir().expect("tmp");
    let c = config(
        dir.path(),
        &format!(
            "[[source]]\nid = \"cut\"\nkind = \"ocds-api\"\nurl = \"{cut}/page\"\n{FAST}\
             [[source]]\nid = \"bad\"\nkind = \"ocds-api\"\nurl = \"{uri}/bad.json\"\n{FAST}\
             [[source]]\nid = \"badbulk\"\nkind = \"ocds-bulk\"\nurls = [\"{uri}/bad.json\"]\n{FAST}"
        ),
    );
    let r = go(&c);
    let reasons: Vec<(&str, &str)> = r
        .quarantined
        .iter()
        .map(|q| (q.source_id.as_str(), q.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            ("cut", "truncated"),
            ("bad", "invalid_json"),
            ("badbulk", "invalid_json")
        ],
        "{:?}",
        r.quarantined
    );
    assert!(r.sources.iter().all(|h| h.status == Health::Down));
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM releases"), 0);
}

#[test]
fn a_source_that_is_down_keeps_its_data_and_its_entities_are_marked_stale() {
    let s = Server::start();
    let uri = s.uri();
    s.mount(
        Mock::given(path("/r"))
            .respond_with(ResponseTemplate::new(200).set_body_json(package(0, 4))),
    );
    let dir = tempfile::tempdir().expect("tmp");
    let c = config(
        dir.path(),
        &format!("[[source]]\nid = \"pc\"\nkind = \"ocds-api\"\nurl = \"{uri}/r\"\n{FAST}"),
    );
    let first = go(&c);
    assert_eq!(first.sources[0].status, Health::Ok);
    let last_good = first.sources[0].last_good_fetch.clone().expect("last good");
    let before = std::fs::read_to_string(dir.path().join("out/entities.json")).expect("entities");
    let before: Value = serde_json::from_str(&before).expect("json");

    // "En mantenimiento": 404 for everything.
    s.reset();
    s.mount(
        Mock::given(path("/r"))
            .respond_with(ResponseTemplate::new(404).set_body_string("en mantenimiento")),
    );
    let outcome = run(&c, &RunOptions::default()).expect("run");
    assert_eq!(outcome.exit_code(), costwatch::ExitCode::Partial);
    let h = &outcome.report.sources[0];
    assert_eq!(h.status, Health::Down, "{h:?}");
    assert!(h.stale);
    assert_eq!(h.last_good_fetch.as_deref(), Some(last_good.as_str()));
    assert!(
        h.first_errors[0].contains("http_404"),
        "{:?}",
        h.first_errors
    );
    // What the server said reaches the operator.
    assert!(
        h.first_errors[0].contains("HTTP 404: Not Found: «en mantenimiento»"),
        "{:?}",
        h.first_errors
    );
    assert_eq!(outcome.report.stale_entities, 1);
    let after: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/entities.json")).expect("entities"),
    )
    .expect("json");
    assert_eq!(
        after[0]["score"], before[0]["score"],
        "never scored as zero"
    );
    assert_eq!(after[0]["stale"]["source"], json!("pc"));
    assert_eq!(after[0]["stale"]["last_good_fetch"], json!(last_good));
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM releases"), 4);
}

#[test]
fn oc4ids_projects_pass_through_enriched_by_their_ocds_processes() {
    let s = Server::start();
    let uri = s.uri();
    s.mount(
        Mock::given(path("/r"))
            .respond_with(ResponseTemplate::new(200).set_body_json(package(0, 3))),
    );
    let projects = json!({
        "uri": "http://127.0.0.1/p", "version": "0.9", "publishedDate": "2024-01-01T00:00:00Z",
        "publisher": {"name": "CoST"},
        "projects": [
            {"id": "oc4ids-cost-1", "title": "Puente sobre el río", "status": "implementation",
             "contractingProcesses": [{"id": "ocds-test-0001", "summary": {"ocid": "ocds-test-0001"}}]},
            {"title": "sin id"}
        ]
    });
    s.mount(
        Mock::given(path("/projects.json"))
            .respond_with(ResponseTemplate::new(200).set_body_json(projects)),
    );
    let dir = tempfile::tempdir().expect("tmp");
    let c = config(
        dir.path(),
        &format!(
            "[[source]]\nid = \"pc\"\nkind = \"ocds-api\"\nurl = \"{uri}/r\"\n\
             [[source]]\nid = \"cost\"\nkind = \"oc4ids\"\nurls = [\"{uri}/projects.json\"]\n"
        ),
    );
    let r = go(&c);
    assert_eq!(r.sources[1].status, Health::Partial, "{:?}", r.sources[1]);
    assert_eq!(r.quarantined[0].reason, "not_oc4ids");
    // 3 ocids: one claimed by the OC4IDS project, two become projects of their own.
    assert_eq!(r.projects, 3);
    let sheet: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/projects/oc4ids-cost-1.json"))
            .expect("sheet"),
    )
    .expect("json");
    assert_eq!(sheet["project"]["title"], json!("Puente sobre el río"));
    assert_eq!(
        sheet["project"]["contractingProcesses"][0]["summary"]["title"],
        json!("Obra 1"),
        "filled from OCDS"
    );
    assert_eq!(sheet["provenance"]["source"], json!("cost"));
    assert!(
        sheet["provenance"]["location"]
            .as_str()
            .unwrap_or_default()
            .ends_with("/projects.json")
    );
    assert!(sheet["provenance"]["fetched_at"].is_string());
}

#[test]
fn the_panama_preset_runs_against_a_server_that_imitates_panamacompra() {
    let text =
        std::fs::read_to_string(crate::util::root().join("config/panama.toml")).expect("preset");
    let s = Server::start();
    let uri = s.uri();
    s.mount(
        Mock::given(path("/Descarga"))
            .and(query_param("FileType", "json"))
            .respond_with(Windows),
    );
    s.mount(
        Mock::given(path("/Record"))
            .and(query_param("DescendingOrder", "true"))
            .respond_with(ResponseTemplate::new(404).set_body_string("Sitio en mantenimiento")),
    );
    s.mount(
        Mock::given(path("/Release"))
            .and(query_param("DescendingOrder", "true"))
            .respond_with(Paged {
                pages: 2,
                per_page: 3,
                drift: 1,
                ..Default::default()
            }),
    );
    let start = chrono::Utc::now().date_naive() - chrono::Duration::days(20);
    let dir = tempfile::tempdir().expect("tmp");
    let text = text
        .replace("https://ocds.panamacompraencifras.gob.pa", &uri)
        .replace("start = \"2017-01-01\"", &format!("start = \"{start}\""))
        .replace(
            "store = \"data/panama.sqlite\"",
            &format!("store = \"{}\"", dir.path().join("store.sqlite").display()),
        )
        .replace(
            "output = \"out-panama\"",
            &format!("output = \"{}\"", dir.path().join("out").display()),
        );
    let c = Config::from_toml(&text, "panama.toml").expect("preset parses");
    let outcome = run(&c, &RunOptions::default()).expect("run");
    let by_id = |id: &str| {
        outcome
            .report
            .sources
            .iter()
            .find(|h| h.id == id)
            .expect(id)
    };
    assert_eq!(by_id("panamacompra-descarga").status, Health::Ok);
    assert_eq!(by_id("panamacompra-descarga").pages, 2);
    assert_eq!(by_id("panamacompra-records").status, Health::Down);
    assert_eq!(by_id("panamacompra-releases").status, Health::Ok);
    assert_eq!(by_id("panamacompra-releases").repeated, 1);
    assert_eq!(outcome.exit_code(), costwatch::ExitCode::Partial);
    assert!(
        s.requests()
            .iter()
            .all(|r| !r.contains("DateFrom") || r.contains("FileType=json")),
        "{:?}",
        s.requests()
    );
}

#[test]
fn a_run_stopped_halfway_resumes_from_its_checkpoint() {
    let s = Server::start();
    let uri = s.uri();
    s.mount(Mock::given(path("/r")).respond_with(DelayedPaged(Paged {
        pages: 10,
        per_page: 3,
        drift: 0,
        ..Default::default()
    })));
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = config_file(dir.path(), &paged_source("r", &uri, "concurrency = 1\n"));
    let bin = env!("CARGO_BIN_EXE_costwatch");
    let mut child = std::process::Command::new(bin)
        .args(["run", "--config"])
        .arg(&cfg)
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while s.requests().len() < 5 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("kill");
    let _ = child.wait();
    let stored = count(dir.path(), "SELECT COUNT(*) FROM releases");
    assert!(
        (9..30).contains(&stored),
        "stopped halfway: {stored} stored"
    );
    let first_run = s.requests().len();

    let status = std::process::Command::new(bin)
        .args(["run", "--config"])
        .arg(&cfg)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("rerun");
    assert_eq!(status.code(), Some(0));
    assert_eq!(
        count(dir.path(), "SELECT COUNT(*) FROM releases"),
        30,
        "nothing lost"
    );
    assert_eq!(
        count(
            dir.path(),
            "SELECT COUNT(*) FROM (SELECT DISTINCT ocid, release_id FROM releases)"
        ),
        30,
        "nothing twice"
    );
    let second: Vec<String> = s.requests()[first_run..].to_vec();
    // Resumed one page before the checkpoint (overlap 1), never from page 1.
    assert!(!second.contains(&"/r?page=1".to_string()), "{second:?}");
    let committed_pages = stored as usize / 3;
    assert_eq!(
        second.first().cloned(),
        Some(format!("/r?page={}", committed_pages.max(1))),
        "{second:?}"
    );
}

struct DelayedPaged(Paged);

impl Respond for DelayedPaged {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.0.respond(req).set_delay(Duration::from_millis(150))
    }
}

#[test]
fn the_token_is_sent_but_never_logged_or_published() {
    let s = Server::start();
    let uri = s.uri();
    let token = "tok-3f9a7c1e-not-for-logs";
    s.mount(
        Mock::given(path("/r"))
            .and(header("authorization", format!("Bearer {token}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(package(0, 2))),
    );
    s.mount(Mock::given(path("/r")).respond_with(ResponseTemplate::new(401)));
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = config_file(
        dir.path(),
        &format!(
            "[[source]]\nid = \"a\"\nkind = \"ocds-api\"\nurl = \"{uri}/r\"\n\
             [source.http]\nauth_env = \"CW_TEST_TOKEN\"\n"
        ),
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_costwatch"))
        .args(["run", "-v", "--log-format", "json", "--config"])
        .arg(&cfg)
        .env("CW_TEST_TOKEN", token)
        .env("RUST_LOG", "trace")
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("\"message\":\"page\""),
        "one line per page in JSON mode"
    );
    assert!(!stderr.contains(token), "token in logs");
    assert!(!String::from_utf8_lossy(&out.stdout).contains(token));
    let mut files = vec![dir.path().join("store.sqlite")];
    let mut stack = vec![dir.path().join("out")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                files.push(e.path());
            }
        }
    }
    for f in files {
        let bytes = std::fs::read(&f).expect("read");
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "token in {}",
            f.display()
        );
    }
    // Without the variable the source cannot be set up: a configuration error.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_costwatch"))
        .args(["run", "--config"])
        .arg(&cfg)
        .env_remove("CW_TEST_TOKEN")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("CW_TEST_TOKEN"));
}

/// Answers a POST whose JSON body names an offset, with two releases per page up to six.
struct Offsets;

impl Respond for Offsets {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let offset = body["offset"].as_u64().unwrap_or(999) as u32;
        let (from, to) = if offset >= 6 {
            (0, 0)
        } else {
            (offset, offset + 2)
        };
        ResponseTemplate::new(200).set_body_json(package(from, to))
    }
}

#[test]
fn post_bodies_offsets_and_extra_headers_are_sent() {
    let s = Server::start();
    let uri = s.uri();
    s.mount(
        Mock::given(method("POST"))
            .and(path("/search"))
            .and(header("user-agent", "Mozilla/5.0 (compatible; costwatch)"))
            .and(query_param("limit", "2"))
            .respond_with(Offsets),
    );
    let dir = tempfile::tempdir().expect("tmp");
    let c = config(
        dir.path(),
        &format!(
            "[[source]]\nid = \"post\"\nkind = \"ocds-api\"\nurl = \"{uri}/search\"\n\
             [source.paginate]\nmode = \"offset\"\nparam = \"offset\"\nsize_param = \"limit\"\nsize = 2\n\
             [source.http]\nmethod = \"POST\"\nbody = '{{\"offset\": {{offset}}, \"limit\": 2}}'\n\
             headers = {{ \"User-Agent\" = \"Mozilla/5.0 (compatible; costwatch)\" }}\n"
        ),
    );
    let r = go(&c);
    let h = &r.sources[0];
    assert_eq!((h.status, h.pages, h.new), (Health::Ok, 3, 6), "{h:?}");
}

#[test]
fn a_month_that_failed_stays_in_the_checkpoint_until_it_succeeds() {
    use chrono::Datelike;
    let s = Server::start();
    let uri = s.uri();
    let now = chrono::Utc::now().date_naive();
    let prev = now - chrono::Duration::days(32);
    let name = |d: chrono::NaiveDate| format!("/m/{:04}-{:02}.json", d.year(), d.month());
    let month = format!("{:04}-{:02}", prev.year(), prev.month());
    s.mount(Mock::given(path(name(prev))).respond_with(ResponseTemplate::new(500)));
    let dir = tempfile::tempdir().expect("tmp");
    let c = config(
        dir.path(),
        &format!(
            "[[source]]\nid = \"m\"\nkind = \"ocds-bulk\"\n\
             url_template = \"{uri}/m/{{year}}-{{month}}.json\"\nstart = \"{month}\"\noverlap = 0\n\
             [source.http]\nattempts = 1\n"
        ),
    );
    let r = go(&c);
    assert_eq!(r.sources[0].checkpoint["failed"], json!([month]));
    // Still failing: kept. Then the server recovers: fetched, and forgotten.
    let r = go(&c);
    assert_eq!(r.sources[0].checkpoint["failed"], json!([month]));
    s.reset();
    s.mount(
        Mock::given(path(name(prev)))
            .respond_with(ResponseTemplate::new(200).set_body_json(package(0, 2))),
    );
    let r = go(&c);
    let h = &r.sources[0];
    assert_eq!((h.pages, h.new), (1, 2), "{h:?}");
    assert_eq!(h.checkpoint["failed"], json!([]));
}

#[test]
fn linked_releases_are_fetched_once_when_asked_and_kept_as_links_when_not() {
    let s = Server::start();
    let uri = s.uri();
    // A record that only links its two releases: the planning one holds the cost estimate, the
    // contract one the price. Its compiled release knows neither the estimate nor the history.
    let planning = json!({
        "ocid": "ocds-py-0001", "id": "ocds-py-0001-planning", "date": "2024-01-10T09:00:00-04:00",
        "tag": ["planning"], "initiationType": "tender",
        "buyer": {"id": "PY-1", "name": "MOPC"},
        "parties": [{"id": "PY-1", "name": "MOPC", "roles": ["buyer"]}],
        "tender": {"id": "T", "title": "Puente en Villeta", "status": "planning",
                   "value": {"amount": 900000000, "currency": "PYG"}}
    });
    let contract = json!({
        "ocid": "ocds-py-0001", "id": "ocds-py-0001-contract", "date": "2024-03-01T09:00:00-04:00",
        "tag": ["contract"], "initiationType": "tender",
        "tender": {"id": "T", "status": "complete"},
        "contracts": [{"id": "C", "status": "active", "value": {"amount": 1000000000, "currency": "PYG"}}]
    });
    // As ocdskit writes them: the document, `#`, the release id.
    let link = |id: &str, tag: &str, date: &str| json!({"url": format!("{uri}/releases/{id}.json#{id}"), "date": date, "tag": [tag]});
    let records = json!({
        "uri": format!("{uri}/records.json"), "version": "1.1",
        "publishedDate": "2024-06-01T00:00:00-04:00", "publisher": {"name": "DNCP"},
        "records": [{
            "ocid": "ocds-py-0001",
            "releases": [link("ocds-py-0001-planning", "planning", "2024-01-10T09:00:00-04:00"),
                         link("ocds-py-0001-contract", "contract", "2024-03-01T09:00:00-04:00")],
            "compiledRelease": {
                "ocid": "ocds-py-0001", "id": "compiled", "date": "2024-03-01T09:00:00-04:00",
                "tag": ["compiled"], "initiationType": "tender",
                "buyer": {"id": "PY-1", "name": "MOPC"},
                "parties": [{"id": "PY-1", "name": "MOPC", "roles": ["buyer"]}],
                "tender": {"id": "T", "title": "Puente en Villeta", "status": "complete"},
                "contracts": [{"id": "C", "status": "active",
                               "value": {"amount": 1000000000, "currency": "PYG"}}]}}]
    });
    s.mount(
        Mock::given(path("/records.json"))
            .respond_with(ResponseTemplate::new(200).set_body_json(records)),
    );
    s.mount(
        Mock::given(path("/releases/ocds-py-0001-planning.json"))
            .respond_with(ResponseTemplate::new(200).set_body_json(planning)),
    );
    s.mount(
        Mock::given(path("/releases/ocds-py-0001-contract.json"))
            .respond_with(ResponseTemplate::new(200).set_body_json(contract)),
    );
    let estimate = |dir: &Path| {
        let package: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("out/oc4ids/project-package.json")).expect("pkg"),
        )
        .expect("json");
        let process = package["projects"][0]["contractingProcesses"][0].clone();
        (
            process["summary"]["tender"]["costEstimate"].clone(),
            process["releases"].as_array().map(Vec::len),
        )
    };
    let source = |fetch: bool| {
        format!(
            "[[source]]\nid = \"dncp\"\nkind = \"ocds-bulk\"\nurls = [\"{uri}/records.json\"]\n\
             fetch_linked = {fetch}\n[source.http]\nquery = {{ key = \"secret\" }}\n\
             headers = {{ \"X-Api-Key\" = \"secret\" }}\n"
        )
    };

    // Without fetch_linked: the compiled release, and the links in the output.
    let dir = tempfile::tempdir().expect("tmp");
    let r = go(&config(dir.path(), &source(false)));
    assert_eq!((r.releases.new, r.releases.from_records), (0, 1));
    assert_eq!(estimate(dir.path()), (Value::Null, Some(2)));
    assert!(!s.requests().iter().any(|p| p.starts_with("/releases/")));

    // With it: both releases fetched and merged; the estimate comes from their history.
    let dir = tempfile::tempdir().expect("tmp");
    let c = config(dir.path(), &source(true));
    let r = go(&c);
    assert_eq!(r.releases.new, 2, "{:?}", r.releases);
    assert_eq!(
        estimate(dir.path()),
        (json!({"amount": 900000000, "currency": "PYG"}), Some(2))
    );
    if let Some(shared) = crate::util::shared() {
        let package: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("out/oc4ids/project-package.json"))
                .expect("pkg"),
        )
        .expect("json");
        let errors = crate::util::package_errors(&shared, &package);
        assert!(errors.is_empty(), "{}", errors.join("\n"));
    }
    // A second run asks for no link again.
    go(&c);
    let fetched = |p: &str| s.requests().iter().filter(|r| r.as_str() == p).count();
    // Once each, at the document's own URL: the source's query and key stay with the source.
    assert_eq!(fetched("/releases/ocds-py-0001-planning.json"), 1);
    assert_eq!(fetched("/releases/ocds-py-0001-contract.json"), 1);
    let received =
        s.rt.block_on(s.mock.received_requests())
            .unwrap_or_default();
    for r in &received {
        let is_link = r.url.path().starts_with("/releases/");
        assert_eq!(
            r.headers.contains_key("x-api-key"),
            !is_link,
            "{}: the source's headers go to the source only",
            r.url
        );
    }
}

/// A package gzip-compressed, in ISO-8859-1, with one release that is not OCDS; as an API
/// page under a wrapper, as a bulk file bare.
fn awkward_page(wrapped: bool) -> Vec<u8> {
    let mut p = package(0, 3);
    p["releases"]
        .as_array_mut()
        .expect("releases")
        .push(json!("not a release"));
    let body = if wrapped {
        json!({"meta": {"count": 4}, "package": p})
    } else {
        p
    };
    let text = body.to_string().replace("Públicas", "P\u{0}blicas");
    let mut bytes = text.into_bytes();
    // Each `ú` as the one byte ISO-8859-1 gives it.
    for b in bytes.iter_mut() {
        if *b == 0 {
            *b = 0xFA;
        }
    }
    gzip(&bytes)
}

/// The awkward page served as an API page (`api`) and as a bulk file (`bulk`), each source
/// with `settings` added.
fn awkward_sources(s: &Server, dir: &Path, settings: &str) -> Config {
    let uri = s.uri();
    for (p, wrapped) in [("/page", true), ("/bulk.json.gz", false)] {
        s.serve(
            p,
            ResponseTemplate::new(200).set_body_bytes(awkward_page(wrapped)),
        );
    }
    config(
        dir,
        &format!(
            "[[source]]\nid = \"api\"\nkind = \"ocds-api\"\nurl = \"{uri}/page\"\n\
             package_pointer = \"/package\"\n{settings}{FAST}\
             [[source]]\nid = \"bulk\"\nkind = \"ocds-bulk\"\nurls = [\"{uri}/bulk.json.gz\"]\n\
             {settings}{FAST}"
        ),
    )
}

#[test]
fn a_page_not_in_the_encoding_said_is_set_aside_for_that_reason_as_a_file_is() {
    let s = Server::start();
    let dir = tempfile::tempdir().expect("tmp");
    let c = awkward_sources(&s, dir.path(), "encoding = \"utf-8\"\n");
    let r = go(&c);
    let reasons: Vec<(&str, &str)> = r
        .quarantined
        .iter()
        .map(|q| (q.source_id.as_str(), q.reason.as_str()))
        .collect();
    // Latin-1 bytes where the source says UTF-8: the page probe used to call it invalid JSON.
    assert_eq!(
        reasons,
        [("api", "invalid_utf8"), ("bulk", "invalid_utf8")],
        "{:?}",
        r.quarantined
    );
    // Asked for once: the same bytes would come back.
    let api = r.sources.iter().find(|h| h.id == "api").expect("api");
    assert_eq!((api.requests, api.retries), (1, 0), "{api:?}");
}

#[test]
fn api_pages_go_through_the_reader_bulk_files_use() {
    let s = Server::start();
    let dir = tempfile::tempdir().expect("tmp");
    let c = awkward_sources(&s, dir.path(), "");
    let r = go(&c);
    let api: Vec<_> = r.inputs.iter().filter(|i| i.source == "api").collect();
    assert_eq!(api.len(), 1, "{:?}", r.inputs);
    assert_eq!(
        (
            api[0].format.as_str(),
            api[0].encoding.as_str(),
            api[0].items
        ),
        ("document+gzip", "iso-8859-1", 3),
        "{:?}",
        api[0]
    );
    assert_eq!(api[0].status, "partial");
    let api_q: Vec<_> = r
        .quarantined
        .iter()
        .filter(|q| q.source_id == "api")
        .collect();
    assert_eq!(api_q.len(), 1, "{:?}", r.quarantined);
    assert_eq!(api_q[0].reason, "not_ocds");
    assert!(
        api_q[0].detail.contains("/package/releases/3"),
        "{:?}",
        api_q[0]
    );
    let bulk = r.inputs.iter().find(|i| i.source == "bulk").expect("bulk");
    assert_eq!(
        (bulk.format.as_str(), bulk.encoding.as_str(), bulk.items),
        ("document+gzip", "iso-8859-1", 3),
        "{bulk:?}"
    );
    let reasons = |id: &str| -> Vec<String> {
        r.quarantined
            .iter()
            .filter(|q| q.source_id == id)
            .map(|q| q.reason.clone())
            .collect()
    };
    assert_eq!(reasons("api"), reasons("bulk"));
    let package = std::fs::read_to_string(dir.path().join("out/oc4ids/project-package.json"))
        .expect("package");
    assert!(package.contains("Obras Públicas"), "ISO-8859-1 decoded");
    // Both sources stored the same three releases, decoded alike.
    assert_eq!(
        count(
            dir.path(),
            "SELECT COUNT(DISTINCT ocid) FROM releases WHERE ocid LIKE 'ocds-test-%'"
        ),
        3
    );
}

#[test]
fn a_page_larger_than_the_page_limit_is_quarantined_unread() {
    let s = Server::start();
    let uri = s.uri();
    let big = package(0, 4000).to_string();
    assert!(big.len() > 1024 * 1024, "{}", big.len());
    s.serve("/big", ResponseTemplate::new(200).set_body_string(big));
    let dir = tempfile::tempdir().expect("tmp");
    let c = config(
        dir.path(),
        &format!(
            "[[source]]\nid = \"big\"\nkind = \"ocds-api\"\nurl = \"{uri}/big\"\n{FAST}max_page_mib = 1\n"
        ),
    );
    let r = go(&c);
    let reasons: Vec<&str> = r.quarantined.iter().map(|q| q.reason.as_str()).collect();
    assert_eq!(reasons, vec!["too_large"], "{:?}", r.quarantined);
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM releases"), 0);
}

#[test]
fn a_file_of_links_with_a_bad_record_keeps_its_links_and_a_page_without_ocds_is_rejected() {
    let s = Server::start();
    let uri = s.uri();
    // A JSON error message where a page should be: nothing of it is OCDS.
    s.serve(
        "/oops",
        ResponseTemplate::new(200).set_body_json(json!({"error": "mantenimiento"})),
    );
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("links.json");
    std::fs::write(
        &file,
        json!({"records": [
            {"ocid": "ocds-l-1", "releases": [{"url": "https://example.org/r/1.json#r1"}]},
            {"ocid": "ocds-l-2", "releases": ["not a release"]}
        ]})
        .to_string(),
    )
    .expect("write");
    let c = config(
        dir.path(),
        &format!(
            "[[source]]\nid = \"files\"\nkind = \"local\"\npaths = [\"{}\"]\n\
             [[source]]\nid = \"api\"\nkind = \"ocds-api\"\nurl = \"{uri}/oops\"\n{FAST}",
            file.display()
        ),
    );
    let r = go(&c);
    let files = r.inputs.iter().find(|i| i.source == "files").expect("file");
    // The file is kept with what it holds (a record's link) and its bad part listed.
    assert_eq!(files.status, "partial", "{files:?}");
    assert_eq!(
        count(
            dir.path(),
            "SELECT COUNT(*) FROM release_links WHERE ocid = 'ocds-l-1'"
        ),
        1
    );
    let page = r.inputs.iter().find(|i| i.source == "api").expect("page");
    assert_eq!(page.status, "quarantined", "{page:?}");
    let reasons: Vec<(&str, &str)> = r
        .quarantined
        .iter()
        .map(|q| (q.source_id.as_str(), q.reason.as_str()))
        .collect();
    assert!(reasons.contains(&("files", "not_ocds")), "{reasons:?}");
    assert!(reasons.contains(&("api", "not_ocds")), "{reasons:?}");
}

#[test]
fn one_project_id_from_two_oc4ids_sources_stays_two_projects_run_after_run() {
    let s = Server::start();
    let uri = s.uri();
    let projects = |title: &str| {
        json!({
            "uri": "http://127.0.0.1/p", "version": "0.9", "publishedDate": "2024-01-01T00:00:00Z",
            "publisher": {"name": "CoST"},
            "projects": [{"id": "oc4ids-dup-1", "title": title, "status": "implementation"}]
        })
    };
    let mount = |releases: u32| {
        s.reset();
        s.serve(
            "/r",
            ResponseTemplate::new(200).set_body_json(package(0, releases)),
        );
        for (p, title) in [("/a.json", "Puente A"), ("/b.json", "Puente B")] {
            s.serve(p, ResponseTemplate::new(200).set_body_json(projects(title)));
        }
    };
    let dir = tempfile::tempdir().expect("tmp");
    let c = config(
        dir.path(),
        &format!(
            "[[source]]\nid = \"pc\"\nkind = \"ocds-api\"\nurl = \"{uri}/r\"\n\
             [[source]]\nid = \"a\"\nkind = \"oc4ids\"\nurls = [\"{uri}/a.json\"]\n\
             [[source]]\nid = \"b\"\nkind = \"oc4ids\"\nurls = [\"{uri}/b.json\"]\n"
        ),
    );
    // Each run brings one new release (so that it computes); the two projects never change.
    for (run, releases) in [2, 3, 4, 5].into_iter().enumerate() {
        mount(releases);
        let r = go(&c);
        assert!(!r.output_kept, "run {run}");
        let package = crate::util::json(&dir.path().join("out/oc4ids/project-package.json"));
        let mut titles: Vec<&str> = package["projects"]
            .as_array()
            .expect("projects")
            .iter()
            .filter(|p| p["id"] == "oc4ids-dup-1")
            .filter_map(|p| p["title"].as_str())
            .collect();
        titles.sort();
        assert_eq!(titles, ["Puente A", "Puente B"], "run {run}");
    }
}
