//! The module graph: dependencies between the top-level modules of `src/` point one way, down
//! to `store` and `util`. Read from the source's `crate::` paths (test modules left out), so a
//! new import that closes a cycle fails here with the cycle named.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::util::root;

/// The top-level module a file belongs to (`src/oc4ids/convert/mod.rs` → `oc4ids`).
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel
        .components()
        .next()?
        .as_os_str()
        .to_string_lossy()
        .to_string();
    let name = first.trim_end_matches(".rs").to_string();
    (name != "main" && name != "lib").then_some(name)
}

/// Every `crate::x` a text names, `crate::{x, y::z}` included.
fn references(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let Some(module) = top_module(&src, file) else {
            continue;
        };
        let text = std::fs::read_to_string(file).expect("readable");
        // Tests may reach anywhere; the graph is the program's.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let deps = references(code)
            .into_iter()
            .map(|d| match d.as_str() {
                // The crate root re-exports the error module's types.
                "Error" | "ExitCode" => "error".to_string(),
                _ => d,
            })
            .filter(|d| *d != module)
            .collect::<Vec<_>>();
        graph.entry(module).or_default().extend(deps);
    }
    let known: BTreeSet<String> = graph.keys().cloned().collect();
    for deps in graph.values_mut() {
        deps.retain(|d| known.contains(d));
    }
    graph
}

/// A cycle in the graph, if there is one (depth-first search).
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == node) {
            let mut found = path[i..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(c) = visit(node, graph, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn top_level_modules_depend_one_way() {
    let graph = graph();
    assert!(graph.len() > 10, "the source was not read: {graph:?}");
    if let Some(c) = cycle(&graph) {
        panic!("module cycle: {}\n\ngraph:\n{graph:#?}", c.join(" → "));
    }
    // The bottom: the store persists and util helps; neither knows a stage.
    assert!(graph["util"].is_empty(), "util → {:?}", graph["util"]);
    let store: Vec<&String> = graph["store"].iter().filter(|d| *d != "util").collect();
    assert!(store.is_empty(), "store → {store:?}");
}

#[test]
fn the_reader_of_the_graph_sees_grouped_imports() {
    let refs =
        references("use crate::{Error, flags::Flag, util};\nlet x = crate::store::Store::open;");
    assert_eq!(
        refs.into_iter().collect::<Vec<_>>(),
        ["Error", "flags", "store", "util"]
    );
}
