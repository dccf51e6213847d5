//! The `local` source: files, folders (read recursively) and glob patterns.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use super::{Ctx, Error};
use crate::store::InputRecord;

/// Reads every file the paths name. A file with the size and modification time of one read
/// completely before (without quarantine) is not read again, unless the run is `--full`.
pub(super) fn fetch(ctx: &mut Ctx<'_>, paths: &[String]) -> Result<(), Error> {
    for path in files(ctx, paths)? {
        read_file(ctx, &path)?;
    }
    Ok(())
}

/// The files the paths name; a path or pattern that names none is quarantined.
pub(super) fn files(ctx: &mut Ctx<'_>, paths: &[String]) -> Result<Vec<PathBuf>, Error> {
    let listing = list_files(paths, ctx.target.source.follow_links);
    for missing in listing.unmatched {
        let why = "the path or pattern matched no file".to_string();
        ctx.failed(&missing, None, "not_found", why)?;
    }
    for (path, reason, why) in listing.skipped {
        ctx.failed(&path, None, reason, why)?;
    }
    Ok(listing.files)
}

/// Reads one file once: its size and SHA-256 are taken from the bytes the reader parses.
pub(super) fn read_file(ctx: &mut Ctx<'_>, path: &Path) -> Result<(), Error> {
    let location = path.display().to_string();
    let started = std::time::Instant::now();
    let read_at = super::http::now_rfc3339();
    let meta = std::fs::metadata(path);
    if !ctx.full
        && let Ok(meta) = &meta
        && let Some(modified) = modified_of(meta)
        && ctx.target.store.file_unchanged(
            &ctx.target.source.id,
            &location,
            meta.len(),
            &modified,
        )?
    {
        ctx.health.pages_unchanged += 1;
        ctx.health.bytes += meta.len();
        tracing::debug!(location = %location, "unchanged since it was last read");
        return Ok(());
    }
    let opened = meta.and_then(|meta| Ok((ReadDigest::open(path)?, meta)));
    let (digest, meta) = match opened {
        Ok(opened) => opened,
        Err(e) => return ctx.failed(&location, None, "unreadable", e.to_string()),
    };
    let record = InputRecord {
        source_id: &ctx.target.source.id,
        location: &location,
        // Both are settled from the bytes read, once reading is done.
        size: meta.len(),
        sha256: "",
        modified_at: modified_of(&meta),
        read_at: &read_at,
        http_status: None,
    };
    let mut hook = |_: &crate::store::Store, _: &super::Taken| Ok(());
    let taken = ctx.target.stream_file(&record, &digest, &mut hook)?;
    let size = digest.size();
    ctx.stored(&location, None, size, &taken, started.elapsed().as_millis());
    Ok(())
}

/// A local file's size and SHA-256, taken from the bytes as its reader reads them: a file of
/// gigabytes is read from disk once, not once to hash and again to parse, and the hash is of
/// exactly the bytes that were parsed even if the file changes meanwhile.
#[derive(Clone)]
pub struct ReadDigest(Arc<Mutex<Reading>>);

struct Reading {
    file: std::fs::File,
    /// The file's end was reached.
    done: bool,
    hasher: Sha256,
    size: u64,
}

impl std::fmt::Debug for ReadDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReadDigest")
    }
}

impl ReadDigest {
    /// Opens `path` (an error here means the file cannot be read at all).
    pub fn open(path: &Path) -> std::io::Result<Self> {
        Ok(ReadDigest(Arc::new(Mutex::new(Reading {
            file: std::fs::File::open(path)?,
            done: false,
            hasher: Sha256::new(),
            size: 0,
        }))))
    }

    /// A reader of the file from its start, on the same open file; the digest starts again
    /// with it (an ISO-8859-1 retry reads the file a second time).
    pub fn reader(&self) -> std::io::Result<Box<dyn Read + Send>> {
        use std::io::Seek;
        let mut reading = self.lock();
        reading.file.rewind()?;
        reading.done = false;
        reading.hasher = Sha256::new();
        reading.size = 0;
        Ok(Box::new(Hashing(self.clone())))
    }

    /// Size and SHA-256 of the whole file: what a parser left unread (after the end of a
    /// document) is read here.
    pub fn finish(&self) -> std::io::Result<(u64, String)> {
        {
            let mut reading = self.lock();
            let mut buf = vec![0u8; 64 * 1024];
            while reading.take(&mut buf)? > 0 {}
        }
        Ok(self.so_far())
    }

    /// Size and SHA-256 of the bytes read so far (when the rest could not be read).
    pub fn so_far(&self) -> (u64, String) {
        let reading = self.lock();
        (
            reading.size,
            crate::util::hex(&reading.hasher.clone().finalize()),
        )
    }

    /// Bytes read so far (the file's size once [`ReadDigest::finish`] returned).
    pub fn size(&self) -> u64 {
        self.lock().size
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Reading> {
        // Nothing panics while holding the lock but a bug in these few lines; the state is
        // still a digest of a prefix then, so go on with it.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Reading {
    /// Reads the next bytes into `buf`, feeding them to the digest; 0 at the end.
    fn take(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        let n = self.file.read(buf)?;
        self.done = n == 0;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
}

/// Reads the file through its digest.
struct Hashing(ReadDigest);

impl Read for Hashing {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.lock().take(buf)
    }
}

/// A file's modification time to the nanosecond: two versions of a file written within one
/// second must not look alike.
fn modified_of(meta: &std::fs::Metadata) -> Option<String> {
    let t = meta.modified().ok()?;
    Some(
        chrono::DateTime::<chrono::Utc>::from(t)
            .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
    )
}

/// Files found for a source's paths, sorted and without repeats, the entries that matched
/// nothing, and the links that were not followed.
#[derive(Debug, Default)]
pub struct Listing {
    /// Files to read, in a stable order.
    pub files: Vec<PathBuf>,
    /// Paths or patterns that matched no file.
    pub unmatched: Vec<String>,
    /// Links not followed, with the reason code and why: `link_outside` (it leads out of the
    /// configured paths), `link_loop` (a folder already read), `broken_link`.
    pub skipped: Vec<(String, &'static str, String)>,
}

/// Expands paths: a file is itself, a folder is every file below it (hidden ones left out),
/// anything else is a glob.
///
/// Symbolic links are followed at most once per real file or folder (device and inode), so a
/// loop of links ends, and only when they lead inside the configured paths, unless
/// `follow_links` is set: a link to `/etc/passwd` in a data folder is not read.
pub fn list_files(paths: &[String], follow_links: bool) -> Listing {
    let mut walk = Walk {
        roots: paths
            .iter()
            .filter_map(|p| std::fs::canonicalize(crate::util::pattern_root(p)).ok())
            .collect(),
        follow_links,
        seen: std::collections::HashSet::new(),
        listing: Listing::default(),
    };
    for entry in paths {
        let before = walk.listing.files.len();
        let p = Path::new(entry);
        if p.exists() || p.is_symlink() {
            walk.visit(p);
        } else if let Ok(matches) = glob::glob(entry) {
            for m in matches.flatten() {
                walk.visit(&m);
            }
        }
        if walk.listing.files.len() == before {
            walk.listing.unmatched.push(entry.clone());
        }
    }
    walk.listing.files.sort();
    walk.listing.files.dedup();
    walk.listing
}

/// The state of one listing: what has been seen, by identity.
struct Walk {
    roots: Vec<PathBuf>,
    follow_links: bool,
    seen: std::collections::HashSet<FileId>,
    listing: Listing,
}

/// What makes a file itself: device and inode where the system has them, else its real path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum FileId {
    #[cfg(unix)]
    Inode(u64, u64),
    #[cfg_attr(unix, allow(dead_code))]
    Path(PathBuf),
}

fn file_id(path: &Path, meta: &std::fs::Metadata) -> FileId {
    #[cfg(unix)]
    {
        let _ = path;
        use std::os::unix::fs::MetadataExt;
        FileId::Inode(meta.dev(), meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        FileId::Path(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
    }
}

impl Walk {
    fn skip(&mut self, path: &Path, reason: &'static str, why: String) {
        self.listing
            .skipped
            .push((path.display().to_string(), reason, why));
    }

    fn visit(&mut self, path: &Path) {
        let Ok(own) = std::fs::symlink_metadata(path) else {
            return;
        };
        if own.file_type().is_symlink() {
            let Ok(target) = std::fs::canonicalize(path) else {
                self.skip(
                    path,
                    "broken_link",
                    "the link leads nowhere (or around in a loop)".into(),
                );
                return;
            };
            if !self.follow_links && !self.roots.iter().any(|r| target.starts_with(r)) {
                self.skip(
                    path,
                    "link_outside",
                    format!(
                        "the link leads to {}, outside the configured paths (set follow_links = true to read it)",
                        target.display()
                    ),
                );
                return;
            }
        }
        let Ok(meta) = std::fs::metadata(path) else {
            return;
        };
        let first_time = self.seen.insert(file_id(path, &meta));
        if meta.is_dir() {
            if !first_time {
                self.skip(
                    path,
                    "link_loop",
                    "this folder was already read through another path (a loop of links?)".into(),
                );
                return;
            }
            let Ok(entries) = std::fs::read_dir(path) else {
                return;
            };
            let mut children: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            children.sort();
            for c in children {
                let hidden = c
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.'));
                if !hidden {
                    self.visit(&c);
                }
            }
        } else if meta.is_file() && first_time {
            // A file reached twice (two links, or a path given twice) is read once.
            self.listing.files.push(path.to_path_buf());
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_are_followed_once_and_only_inside_the_configured_paths() {
        let t = tempfile::tempdir().expect("tempdir");
        let data = t.path().join("data");
        std::fs::create_dir_all(data.join("a")).expect("mkdir");
        std::fs::write(data.join("a/x.json"), "{}").expect("write");
        // A loop of two folder links, a link to a file inside, and one out of the folder.
        symlink(&data, data.join("a/up")).expect("link");
        symlink(data.join("a"), data.join("b")).expect("link");
        symlink(data.join("a/x.json"), data.join("same.json")).expect("link");
        let outside = t.path().join("secret.txt");
        std::fs::write(&outside, "no").expect("write");
        symlink(&outside, data.join("passwd")).expect("link");
        let roots = vec![data.display().to_string()];
        let l = list_files(&roots, false);
        assert_eq!(l.files.len(), 1, "{:?}", l.files);
        let reasons: Vec<&str> = l.skipped.iter().map(|(_, r, _)| *r).collect();
        assert!(reasons.contains(&"link_outside"), "{reasons:?}");
        assert!(reasons.contains(&"link_loop"), "{reasons:?}");
        // With follow_links the outside file is read; the loop still ends.
        let l = list_files(&roots, true);
        assert_eq!(l.files.len(), 2, "{:?}", l.files);
    }
}
