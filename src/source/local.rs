//! The `local` source: files, folders (read recursively) and glob patterns.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::{Ctx, Error};
use crate::store::InputRecord;

/// Reads every file the paths name; a file whose content was stored before is read again (a
/// local file is cheap, and its releases are recognised as repeats).
pub(super) fn fetch(ctx: &mut Ctx<'_>, paths: &[String]) -> Result<(), Error> {
    for path in files(ctx, paths)? {
        read_file(ctx, &path)?;
    }
    Ok(())
}

/// The files the paths name; a path or pattern that names none is quarantined.
pub(super) fn files(ctx: &mut Ctx<'_>, paths: &[String]) -> Result<Vec<PathBuf>, Error> {
    let listing = list_files(paths);
    for missing in listing.unmatched {
        let why = "the path or pattern matched no file".to_string();
        ctx.failed(&missing, None, "not_found", why)?;
    }
    Ok(listing.files)
}

/// Reads one file: hash and size first, then the content.
pub(super) fn read_file(ctx: &mut Ctx<'_>, path: &Path) -> Result<(), Error> {
    let location = path.display().to_string();
    let started = std::time::Instant::now();
    let read_at = super::http::now_rfc3339();
    let (size, sha256, modified_at) = match fingerprint(path) {
        Ok(f) => f,
        Err(e) => return ctx.failed(&location, None, "unreadable", e.to_string()),
    };
    let record = InputRecord {
        source_id: &ctx.target.source.id,
        location: &location,
        size,
        sha256: &sha256,
        modified_at,
        read_at: &read_at,
        http_status: None,
    };
    let mut open =
        || -> std::io::Result<Box<dyn Read>> { Ok(Box::new(std::fs::File::open(path)?)) };
    let mut hook = |_: &crate::store::Store, _: &super::Taken| Ok(());
    let taken = ctx.target.stream(&record, &mut open, &mut hook)?;
    ctx.stored(&location, None, size, &taken, started.elapsed().as_millis());
    Ok(())
}

/// Size, SHA-256 and modification time, read as a stream.
fn fingerprint(path: &Path) -> std::io::Result<(u64, String, Option<String>)> {
    use sha2::{Digest, Sha256};
    let mut file = std::fs::File::open(path)?;
    let modified = file.metadata().and_then(|m| m.modified()).ok().map(|t| {
        chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    });
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((size, crate::util::hex(&hasher.finalize()), modified))
}

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
