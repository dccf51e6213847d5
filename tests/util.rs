//! Test helpers.

use std::path::{Path, PathBuf};

use serde_json::Value;

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

/// Serves the project schema from ../shared for its absolute `$ref`; nothing is fetched.
pub struct LocalSchema {
    url: String,
    schema: Value,
}

impl jsonschema::Retrieve for LocalSchema {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        if uri.as_str() == self.url {
            Ok(self.schema.clone())
        } else {
            Err(format!("no network in tests: {uri}").into())
        }
    }
}

/// The package's first schema errors (formats checked), against the OC4IDS 0.9.5 schema.
pub fn package_errors(shared: &std::path::Path, package: &Value) -> Vec<String> {
    let base = shared.join("standards/oc4ids-0.9.5");
    let package_schema = json(&base.join("project-package-schema.json"));
    let project_schema = json(&base.join("project-schema.json"));
    let project_url = package_schema["properties"]["projects"]["items"]["$ref"]
        .as_str()
        .expect("ref")
        .to_string();
    let validator = jsonschema::draft4::options()
        .should_validate_formats(true)
        .with_retriever(LocalSchema {
            url: project_url,
            schema: project_schema,
        })
        .build(&package_schema)
        .expect("schema compiles");
    validator
        .iter_errors(package)
        .take(20)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Every verdict (`what = "verdicts"`) or red flag (`"flags"`) of a project's JSON file, read
/// as its README section says: the project's own, then each process's with `process` set to
/// the process's ocid, and `evidence` filled in where the file leaves it to what holds it.
pub fn sheet_items(sheet: &Value, what: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut take = |items: &Value, process: Option<&Value>, default: &Value| {
        for item in items
            .as_array()
            .unwrap_or_else(|| panic!("{what} is a list"))
        {
            let mut item = item.clone();
            if let Some(ocid) = process {
                item["process"] = ocid.clone();
            }
            if item.get("evidence").is_none() {
                item["evidence"] = default.clone();
            }
            out.push(item);
        }
    };
    take(&sheet[what], None, &sheet["evidence"]);
    for p in sheet["processes"].as_array().expect("processes") {
        take(&p[what], Some(&p["ocid"]), &p["evidence"]);
    }
    out
}
