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
