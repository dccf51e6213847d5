//! The output folder's safety: what costwatch may replace, the swap that puts a new output in
//! place, and the leftovers of runs that were killed.
//!
//! The output folder is replaced whole at the end of a run, so before any work the run proves
//! the folder is its own: absent, empty, or carrying [`MARKER`]. A file, a folder that holds
//! the store or an input, or a foreign non-empty folder is refused. This module never deletes
//! anything it has not proven to be costwatch's.

use std::fs;
use std::path::{Component, Path, PathBuf};

/// The file that marks a folder as costwatch's output (written into every output).
pub const MARKER: &str = ".costwatch-output";

/// Why an output folder may not be replaced.
#[derive(Debug, thiserror::Error)]
#[error("output {path}: refused: {reason}")]
pub struct Refused {
    /// The output path as configured.
    pub path: PathBuf,
    /// Why.
    pub reason: String,
}

/// Refuses a configuration whose output folder a run would destroy (see [`check`]).
pub fn check_config(config: &crate::config::Config) -> Result<(), Refused> {
    check(&config.output, &config.store, &config.local_inputs())
}

/// Checks that `output` may be replaced: it must not be a file, must not hold (or lie inside)
/// the store or an input, and must be absent, empty or marked as costwatch's.
pub fn check(output: &Path, store: &Path, inputs: &[PathBuf]) -> Result<(), Refused> {
    let refuse = |reason: String| Refused {
        path: output.to_path_buf(),
        reason,
    };
    if output.file_name().is_none() {
        return Err(refuse(
            "name a folder of its own (it is replaced whole at the end of each run)".into(),
        ));
    }
    let out = resolve(output);
    if out.parent().is_none() {
        return Err(refuse(
            "the file system root cannot be an output folder".into(),
        ));
    }
    if let Ok(meta) = fs::metadata(output)
        && !meta.is_dir()
    {
        return Err(refuse(
            "is a file, not a folder; costwatch replaces its output folder whole and would lose it"
                .into(),
        ));
    }
    let store_abs = resolve(store);
    if store_abs.starts_with(&out) {
        return Err(refuse(format!(
            "holds the store {}; the output folder is replaced whole at the end of each run",
            store.display()
        )));
    }
    for input in inputs {
        let input_abs = resolve(input);
        if input_abs.starts_with(&out) {
            return Err(refuse(format!(
                "holds the input {}; the output folder is replaced whole at the end of each run",
                input.display()
            )));
        }
        if out.starts_with(&input_abs) {
            return Err(refuse(format!(
                "lies inside the input {}; the next run would read its own outputs",
                input.display()
            )));
        }
    }
    match fs::read_dir(output) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(refuse(format!("cannot be read: {e}"))),
        Ok(mut entries) => {
            if entries.next().is_none() || is_ours(output) {
                Ok(())
            } else {
                Err(refuse(format!(
                    "is a non-empty folder that costwatch did not write (no {MARKER} file in it); \
                     name a new or empty folder, or empty this one"
                )))
            }
        }
    }
}

/// How many projects the output at `dir` holds, by its run report (0 when there is none).
pub fn published_projects(dir: &Path) -> u64 {
    fs::read(dir.join("run-report.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v.get("projects").and_then(serde_json::Value::as_u64))
        .unwrap_or(0)
}

/// True when `dir` carries the marker, or is an output written before the marker existed
/// (its run report and package are there).
fn is_ours(dir: &Path) -> bool {
    dir.join(MARKER).is_file()
        || (dir.join("run-report.json").is_file()
            && dir.join("oc4ids/project-package.json").is_file())
}

/// An absolute path with `.` and `..` resolved, following links for the part that exists.
pub(crate) fn resolve(path: &Path) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut abs = PathBuf::new();
    for c in cwd.join(path).components() {
        match c {
            Component::ParentDir => {
                abs.pop();
            }
            Component::CurDir => {}
            other => abs.push(other),
        }
    }
    // Follow links on the longest part that exists, so two names of one folder compare equal.
    let mut existing = abs.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (
            existing.file_name().map(|n| n.to_os_string()),
            existing.parent(),
        ) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_path_buf();
            }
            _ => return abs,
        }
    }
    let mut real = fs::canonicalize(&existing).unwrap_or(existing);
    for name in rest.into_iter().rev() {
        real.push(name);
    }
    real
}

/// Names of the hidden siblings a run uses: `.NAME.staging-PID` and `.NAME.previous-PID`.
pub(super) fn sibling(final_dir: &Path, what: &str, pid: u32) -> PathBuf {
    let name = final_dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "out".into());
    parent_of(final_dir).join(format!(".{name}.{what}-{pid}"))
}

/// The folder the output sits in (`.` for a bare name).
pub(super) fn parent_of(final_dir: &Path) -> &Path {
    final_dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// The run report of the output published in `dir`, when the folder is a costwatch output
/// that has a readable one.
pub fn published_report(dir: &Path) -> Option<serde_json::Value> {
    if !dir.join(MARKER).is_file() {
        return None;
    }
    let text = fs::read_to_string(dir.join("run-report.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// Writes a file whole or not at all: into a hidden sibling, then renamed over the target, so
/// a reader (node_exporter, say) never sees half of it.
pub fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "file".into());
    let tmp = parent_of(path).join(format!(".{name}.tmp-{}", std::process::id()));
    fs::write(&tmp, bytes)?;
    fs::rename(&tmp, path).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

/// What [`recover`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Recovered {
    /// The previous output was put back at the output path (a run was killed mid-swap).
    pub restored: bool,
    /// Leftover staging and previous folders removed.
    pub removed: Vec<PathBuf>,
}

/// Puts back an output a killed run left aside, and removes the hidden folders of runs that
/// are no longer alive. Called at the start of a run, with the store lock held.
pub fn recover(final_dir: &Path) -> std::io::Result<Recovered> {
    let mut done = Recovered::default();
    let parent = parent_of(final_dir);
    let Some(name) = final_dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
    else {
        return Ok(done);
    };
    let entries = match fs::read_dir(parent) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(done),
        Err(e) => return Err(e),
    };
    let mut previous = Vec::new();
    let mut staging = Vec::new();
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().to_string();
        let Some(rest) = file.strip_prefix(&format!(".{name}.")) else {
            continue;
        };
        let (kind, pid) = match rest.rsplit_once('-') {
            Some((k, p)) => (k, p.parse::<u32>().ok()),
            None => continue,
        };
        let Some(pid) = pid else { continue };
        if pid == std::process::id() || alive(pid) {
            continue;
        }
        // Only folders that carry our marker (or our package) are ever touched.
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        match kind {
            "previous" if is_ours(&path) => previous.push(path),
            "staging" => staging.push(path),
            _ => {}
        }
    }
    // Killed between moving the old output aside and moving the new one in: put the old back.
    if !final_dir.exists()
        && let Some(old) = previous.pop()
    {
        fs::rename(&old, final_dir)?;
        tracing::warn!(
            output = %final_dir.display(),
            from = %old.display(),
            "restored the previous output left aside by a run that was killed while swapping"
        );
        done.restored = true;
    }
    for dir in previous.into_iter().chain(staging) {
        fs::remove_dir_all(&dir)?;
        tracing::info!(folder = %dir.display(), "removed the leftover of a killed run");
        done.removed.push(dir);
    }
    Ok(done)
}

/// True when a process with this id is running (always false where /proc is absent: the store
/// lock already keeps two runs on one store apart).
fn alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

/// Moves `staged` to `final_dir`, replacing what is there without a moment where the output
/// path is empty: one atomic exchange where the system offers it, else two renames (a kill
/// between them is repaired by [`recover`] at the next start).
pub(super) fn swap(staged: &Path, final_dir: &Path) -> std::io::Result<()> {
    if !final_dir.exists() {
        return fs::rename(staged, final_dir);
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        if renameat_with(CWD, staged, CWD, final_dir, RenameFlags::EXCHANGE).is_ok() {
            // `staged` now holds the old output.
            remove_previous(staged);
            return Ok(());
        }
    }
    let old = sibling(final_dir, "previous", std::process::id());
    fs::rename(final_dir, &old)?;
    if let Err(e) = fs::rename(staged, final_dir) {
        // Put the previous output back rather than leave the path empty.
        let _ = fs::rename(&old, final_dir);
        return Err(e);
    }
    remove_previous(&old);
    Ok(())
}

/// Removes the previous output once the new one is in place. A failure no longer concerns
/// the run (its output is published): the folder is left, said so, and removed at the next
/// start (`recover`).
fn remove_previous(dir: &Path) {
    if let Err(e) = remove_tree(dir) {
        tracing::warn!(path = %dir.display(), error = %e, "the previous output could not be removed; the next run removes it");
    }
}

/// Removes a previous output: its top-level entries on every core (two of them are folders of
/// a file per project, most of a nightly swap at a million releases), links removed and never
/// followed.
fn remove_tree(dir: &Path) -> std::io::Result<()> {
    use rayon::prelude::*;
    let entries = fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()?;
    entries.par_iter().try_for_each(|path| {
        if fs::symlink_metadata(path)?.is_dir() {
            fs::remove_dir_all(path)
        } else {
            fs::remove_file(path)
        }
    })?;
    fs::remove_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(p: &Path) {
        fs::create_dir_all(p.parent().expect("has a parent")).expect("mkdir");
        fs::write(p, b"x").expect("write");
    }

    #[test]
    fn refuses_files_store_inputs_and_foreign_folders() {
        let t = tempfile::tempdir().expect("tempdir");
        let d = t.path();
        let store = d.join("data/cw.sqlite");
        let inputs = vec![d.join("in/ocds")];
        // Absent and empty folders are fine.
        check(&d.join("out"), &store, &inputs).expect("absent");
        fs::create_dir_all(d.join("empty")).expect("mkdir");
        check(&d.join("empty"), &store, &inputs).expect("empty");
        // A file.
        touch(&d.join("file.txt"));
        let e = check(&d.join("file.txt"), &store, &inputs).expect_err("file");
        assert!(e.reason.contains("is a file"), "{e}");
        // A folder holding the store (even before the store exists).
        let e = check(&d.join("data"), &store, &inputs).expect_err("store");
        assert!(e.reason.contains("store"), "{e}");
        // A folder holding an input, or inside one.
        let other = tempfile::tempdir().expect("tempdir");
        let e = check(d, &other.path().join("s.sqlite"), &inputs).expect_err("input");
        assert!(e.reason.contains("holds the input"), "{e}");
        let e = check(&d.join("in/ocds/out"), &store, &inputs).expect_err("inside");
        assert!(e.reason.contains("inside the input"), "{e}");
        // A foreign non-empty folder; with the marker it is ours.
        touch(&d.join("docs/notes.txt"));
        let e = check(&d.join("docs"), &store, &inputs).expect_err("foreign");
        assert!(e.reason.contains(MARKER), "{e}");
        touch(&d.join("docs").join(MARKER));
        check(&d.join("docs"), &store, &inputs).expect("marked");
        // `..` does not hide the store.
        let e = check(&d.join("in/../data"), &store, &inputs).expect_err("dotdot");
        assert!(e.reason.contains("store"), "{e}");
    }

    #[test]
    fn recover_restores_an_output_left_aside_and_removes_leftovers() {
        let t = tempfile::tempdir().expect("tempdir");
        let out = t.path().join("out");
        // A pid that is not running: beyond the kernel's maximum.
        let dead = 4_194_305;
        let old = sibling(&out, "previous", dead);
        touch(&old.join(MARKER));
        touch(&old.join("index.html"));
        let staged = sibling(&out, "staging", dead);
        touch(&staged.join("projects/a.json"));
        let done = recover(&out).expect("recover");
        assert!(done.restored);
        assert!(out.join("index.html").is_file());
        assert!(!staged.exists() && !old.exists());
        // A second call finds nothing to do.
        assert_eq!(recover(&out).expect("again"), Recovered::default());
    }

    #[test]
    fn removing_an_old_output_removes_links_never_what_they_point_to() {
        let t = tempfile::tempdir().expect("tempdir");
        let old = t.path().join("old");
        touch(&old.join("projects/a.json"));
        touch(&old.join("proyectos/a.html"));
        touch(&old.join("index.html"));
        let elsewhere = t.path().join("elsewhere");
        touch(&elsewhere.join("keep.txt"));
        std::os::unix::fs::symlink(&elsewhere, old.join("linked")).expect("symlink");
        remove_tree(&old).expect("remove");
        assert!(!old.exists());
        assert!(
            elsewhere.join("keep.txt").is_file(),
            "a link is removed, not followed"
        );
    }

    #[test]
    fn swap_replaces_the_output_and_leaves_no_sibling() {
        let t = tempfile::tempdir().expect("tempdir");
        let out = t.path().join("out");
        touch(&out.join("old.txt"));
        let staged = sibling(&out, "staging", std::process::id());
        touch(&staged.join("new.txt"));
        swap(&staged, &out).expect("swap");
        assert!(out.join("new.txt").is_file() && !out.join("old.txt").exists());
        let left: Vec<_> = fs::read_dir(t.path()).expect("list").flatten().collect();
        assert_eq!(left.len(), 1, "{left:?}");
    }
}
