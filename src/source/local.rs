//! The `local` source: files, folders (read recursively) and glob patterns.

use std::path::{Path, PathBuf};

/// Files found for a source's paths, sorted and without repeats, and the entries that matched
/// nothing.
#[derive(Debug, Default)]
pub struct Listing {
    /// Files to read, in a stable order.
    pub files: Vec<PathBuf>,
    /// Paths or patterns that matched no file.
    pub unmatched: Vec<String>,
}

/// Expands paths: a file is itself, a folder is every file below it, anything else is a glob.
pub fn list_files(paths: &[String]) -> Listing {
    let mut listing = Listing::default();
    for entry in paths {
        let before = listing.files.len();
        let p = Path::new(entry);
        if p.is_file() {
            listing.files.push(p.to_path_buf());
        } else if p.is_dir() {
            walk(p, &mut listing.files);
        } else if let Ok(matches) = glob::glob(entry) {
            for m in matches.flatten() {
                if m.is_file() {
                    listing.files.push(m);
                } else if m.is_dir() {
                    walk(&m, &mut listing.files);
                }
            }
        }
        if listing.files.len() == before {
            listing.unmatched.push(entry.clone());
        }
    }
    listing.files.sort();
    listing.files.dedup();
    listing
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut children: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    children.sort();
    for c in children {
        let hidden = c
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if c.is_dir() {
            walk(&c, out);
        } else if c.is_file() {
            out.push(c);
        }
    }
}
