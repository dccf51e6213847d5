//! Page rate of an `ocds-api` source against a local server that waits 50 ms before each
//! page, at concurrency 1 and 8.
//!
//!     cargo bench --bench page_rate
//!
//! Prints one line per concurrency: pages, seconds, pages per second. At concurrency 1 the
//! ceiling is 20 pages/s (1 / 50 ms); concurrency should multiply it until the store, which
//! takes pages one at a time in order, becomes the limit.

use std::time::Duration;

use costwatch::config::Config;
use costwatch::pipeline::{RunOptions, run};
use serde_json::json;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const PAGES: u64 = 200;
const PER_PAGE: u64 = 20;
const DELAY: Duration = Duration::from_millis(50);

struct Pages;

impl Respond for Pages {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let page: u64 = req
            .url
            .query_pairs()
            .find(|(k, _)| k == "page")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(1);
        let releases: Vec<_> = (0..PER_PAGE)
            .map(|i| {
                let n = (page - 1) * PER_PAGE + i;
                json!({
                    "ocid": format!("ocds-bench-{n:06}"), "id": format!("{n}-1"),
                    "date": "2024-01-01T00:00:00Z", "tag": ["tender"],
                    "initiationType": "tender",
                    "buyer": {"id": "B", "name": "Entidad"},
                    "tender": {"id": format!("T{n}"), "title": format!("Obra {n}")}
                })
            })
            .collect();
        ResponseTemplate::new(200)
            .set_body_json(json!({
                "pages": PAGES,
                "package": {"uri": "http://127.0.0.1/", "version": "1.1",
                            "publishedDate": "2024-01-01T00:00:00Z",
                            "publisher": {"name": "bench"}, "releases": releases}
            }))
            .set_delay(DELAY)
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let server = rt.block_on(MockServer::start());
    rt.block_on(Mock::given(path("/r")).respond_with(Pages).mount(&server));
    println!(
        "page rate, {PAGES} pages of {PER_PAGE} releases, {} ms server delay per page",
        DELAY.as_millis()
    );
    for concurrency in [1, 8] {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = format!(
            "[run]\nstore = \"{}\"\noutput = \"{}\"\n[projects]\nid_prefix = \"oc4ids-bench\"\n\
             [[source]]\nid = \"bench\"\nkind = \"ocds-api\"\nurl = \"{}/r\"\n\
             package_pointer = \"/package\"\n\
             [source.paginate]\nmode = \"page\"\nparam = \"page\"\ntotal_pointer = \"/pages\"\n\
             [source.http]\nconcurrency = {concurrency}\n",
            dir.path().join("s.sqlite").display(),
            dir.path().join("out").display(),
            server.uri()
        );
        let config = Config::from_toml(&text, "bench.toml").expect("config");
        let report = run(&config, &RunOptions::default()).expect("run").report;
        let h = &report.sources[0];
        assert_eq!(h.pages, PAGES, "every page fetched");
        println!(
            "concurrency {concurrency}: {} pages in {:.2} s = {:.1} pages/s ({} releases stored)",
            h.pages, h.elapsed_seconds, h.pages_per_second, h.new
        );
    }
}
