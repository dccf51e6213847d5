//! Compiling: each ocid's releases merged into one compiled release and its history.
//!
//! The store is read and written on one thread, in ocid order; parsing, merging and
//! serialising, which do not depend on one another, are spread over the cores a batch at a
//! time, while that thread reads the next batch and stores the previous one. What is stored
//! does not depend on the number of threads.

use serde_json::Value;

use super::{Merger, history};
use crate::store::{self, SerializedCompiled, Store};
use crate::util::At as _;

/// How many ocids are read before a batch is compiled; bounds memory.
const BATCH: usize = 512;

/// One contracting process compiled: what convert, judge, flag and publish read.
#[derive(Debug, Clone)]
pub struct CompiledProcess {
    /// The ocid.
    pub ocid: String,
    /// The compiled release.
    pub data: Value,
    /// Facts only the release history shows (see `ocds::history`).
    pub history: Value,
    /// Releases merged into it.
    pub releases: u64,
    /// The run that compiled it last (0 when it was never stored): a project whose processes
    /// all keep theirs rests on the same data.
    pub compiled_in: i64,
}

impl store::FromCompiled for CompiledProcess {
    fn from_stored(ocid: String, data: Value, history: Value, releases: u64, run: i64) -> Self {
        CompiledProcess {
            ocid,
            data,
            history,
            releases,
            compiled_in: run,
        }
    }
}

/// What a compile did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Compiled {
    /// Ocids compiled.
    pub ocids: u64,
    /// Merge warnings (logged at debug level, counted in the report).
    pub merge_warnings: u64,
}

/// The stored text one ocid is compiled from, and the links records gave for it.
enum Source {
    /// Individual releases.
    Releases(Vec<store::ReleaseText>, Vec<Value>),
    /// No individual release, only the compiled release of a record.
    Record(String, Vec<Value>),
}

/// Compiles the ocids that need it: those with data stored since the last finished compile,
/// or every ocid when `full`. Marks the run's compile finished.
pub fn compile(store: &Store, run_id: i64, full: bool) -> Result<Compiled, store::Error> {
    let merger = Merger::default();
    let mut done = Compiled::default();
    let ocids = store.ocids_to_compile(run_id, full)?;
    let path = store.path();
    let work = worker(&merger, path);
    // Reading batch k+1 and storing batch k-1 overlap the merging of batch k.
    crate::util::overlap(&work, |relay| -> Result<(), store::Error> {
        for chunk in ocids.chunks(BATCH) {
            let batch = read(store, chunk)?;
            if let Some(results) = relay.hand(batch) {
                save(store, run_id, results, &mut done)?;
            }
        }
        if let Some(results) = relay.take() {
            save(store, run_id, results, &mut done)?;
        }
        Ok(())
    })?;
    store.mark_compiled(run_id)?;
    Ok(done)
}

/// What the ocids of one batch are compiled from, read from the store.
fn read<'o>(store: &Store, chunk: &'o [String]) -> Result<Vec<(&'o str, Source)>, store::Error> {
    let mut batch = Vec::with_capacity(chunk.len());
    for ocid in chunk {
        let releases = store.release_texts_of(ocid)?;
        let links = store.links_of(ocid)?;
        // A record's compiled release is the whole story until every release it links is in
        // the store: merging only some of them would lose what the others said.
        let complete = links.is_empty() || store.unfetched_links(ocid)? == 0;
        let record = if releases.is_empty() || !complete {
            store.record_compiled_text_of(ocid)?
        } else {
            None
        };
        match record {
            Some(text) => batch.push((ocid.as_str(), Source::Record(text, links))),
            None if !releases.is_empty() => {
                batch.push((ocid.as_str(), Source::Releases(releases, links)));
            }
            None => {}
        }
    }
    Ok(batch)
}

/// One ocid compiled, or why it could not be.
type Outcome<'o> = Result<(&'o str, (SerializedCompiled, Vec<super::MergeWarning>)), store::Error>;

/// Stores a batch's compiled releases, in ocid order, in one transaction.
fn save(
    store: &Store,
    run_id: i64,
    results: Vec<Outcome<'_>>,
    done: &mut Compiled,
) -> Result<(), store::Error> {
    store.in_transaction(|| {
        for result in results {
            let (ocid, (serialized, warnings)) = result?;
            for w in &warnings {
                tracing::debug!(ocid = %ocid, path = %w.path, "{}", w.message);
            }
            done.merge_warnings += warnings.len() as u64;
            store.save_serialized(ocid, &serialized, run_id)?;
            done.ocids += 1;
        }
        Ok(())
    })
}

/// Compiles one ocid of a batch, keeping its name with the outcome.
fn worker<'o>(
    merger: &'o Merger,
    path: &'o std::path::Path,
) -> impl Fn((&'o str, Source)) -> Outcome<'o> + Sync + 'o {
    move |(ocid, source)| one(merger, ocid, source, path).map(|r| (ocid, r))
}

/// Compiles one ocid from its stored text.
fn one(
    merger: &Merger,
    ocid: &str,
    source: Source,
    path: &std::path::Path,
) -> Result<(SerializedCompiled, Vec<super::MergeWarning>), store::Error> {
    let parse = |text: &str, what: &dyn Fn() -> String| store::parse_stored(path, text, what);
    match source {
        Source::Record(text, links) => {
            let compiled = parse(&text, &|| format!("compiled release {ocid}"))?;
            let mut hist = history::from_compiled(&compiled);
            history::add_links(&mut hist, links);
            let project = planning_project_id(&compiled);
            Ok((
                SerializedCompiled::of(&compiled, &hist, 0, project),
                Vec::new(),
            ))
        }
        Source::Releases(texts, links) => {
            let mut releases = Vec::with_capacity(texts.len());
            let mut own_links = Vec::new();
            for r in &texts {
                let release = parse(&r.text, &|| format!("release {ocid}/{}", r.id))?;
                if let Some(uri) = &r.package_uri {
                    own_links.push(history::link_to(&release, &r.id, uri));
                }
                releases.push(release);
            }
            Merger::sort(&mut releases);
            let (compiled, mut hist, warnings) = history::compile(merger, &releases);
            own_links.extend(links);
            history::add_links(&mut hist, own_links);
            let n = releases.len() as u64;
            let project = planning_project_id(&compiled);
            Ok((
                SerializedCompiled::of(&compiled, &hist, n, project),
                warnings,
            ))
        }
    }
}

/// `planning.project.id`, trimmed, when it names a project: the key processes are grouped by.
fn planning_project_id(compiled: &Value) -> Option<String> {
    compiled.at("/planning/project/id").and_then(|v| match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}
