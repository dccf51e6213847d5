//! Test helpers.

use std::path::{Path, PathBuf};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared`, or `None` with a printed notice (tests then skip).
pub fn shared() -> Option<PathBuf> {
    let p = root().join("../shared");
    if p.join("standards").is_dir() {
        Some(p)
    } else {
        println!("skipped: ../shared not found");
        None
    }
}

/// Every file of an output folder with its SHA-256, but for those that record the run itself:
/// the report's times, and the league table, entity pages, trend table and workbook, which
/// show the history (one more run each time).
pub fn output_hashes(dir: &Path) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p.strip_prefix(dir).expect("prefix").display().to_string();
            if matches!(
                rel.as_str(),
                "run-report.json"
                    | "metrics.prom"
                    | "index.html"
                    | "tendencias.csv"
                    | "costwatch.xlsx"
            ) || rel.starts_with("entidades/")
            {
                continue;
            }
            let bytes = std::fs::read(&p).expect("read");
            out.insert(rel, costwatch::util::sha256_hex(&bytes));
        }
    }
    out
}

/// Reads a JSON file.
pub fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A config that reads the committed fixtures and writes into `dir`.
pub fn fixture_config(dir: &Path) -> costwatch::config::Config {
    let mut c = costwatch::config::Config::embedded().expect("embedded config");
    c.store = dir.join("store.sqlite");
    c.output = dir.join("out");
    c.sources[0].spec = costwatch::config::SourceSpec::Local {
        paths: vec![
            root().join("fixtures/ocds").display().to_string(),
            root().join("fixtures/malformed").display().to_string(),
        ],
    };
    c
}
