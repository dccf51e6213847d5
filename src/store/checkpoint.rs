//! Copying the write-ahead log back into the database file, on a thread of its own.
//!
//! SQLite does this in the connection that commits, as part of the commit, once the log holds
//! 1 000 pages. The fetch stores a whole input in one transaction, so its commit copied the
//! whole input again (1.7 GB at a million releases, 5 s with the other core idle) before the
//! compile could start. Here a second connection copies what is committed (a passive
//! checkpoint: it never waits for, nor blocks, the store's own connection) while the run goes
//! on, and the store's connection does none of it. What is left when the store closes is
//! copied by SQLite as the last connection closes, as before.

use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

/// How often the log is looked at: a look at a log with nothing new reads a few bytes.
const EVERY: Duration = Duration::from_millis(250);

/// The copying thread; stopped (and waited for) when dropped.
pub(super) struct Checkpointer {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts copying the log of the store at `path` back, or `None` if a second connection
    /// or the thread cannot be had (the store's connection then copies it itself, as SQLite
    /// does by default).
    pub fn start(path: &Path) -> Option<Checkpointer> {
        let not_started = |e: &dyn std::fmt::Display| {
            tracing::warn!(store = %path.display(), error = %e, "the store's log is copied back by the run's own connection (slower)");
        };
        let conn = Connection::open(path)
            .inspect_err(|e| not_started(e))
            .ok()?;
        let (stop, stopped) = channel();
        let shown = path.to_path_buf();
        let thread = std::thread::Builder::new()
            .name("costwatch-checkpoint".into())
            .spawn(move || run(&conn, &stopped, &shown))
            .inspect_err(|e| not_started(e))
            .ok()?;
        Some(Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

fn run(conn: &Connection, stopped: &Receiver<()>, path: &Path) {
    let mut failed = false;
    loop {
        // A checkpoint that fails (the disk is full, say) leaves the log as it is: the data is
        // safe in it, and the store's connection copies it back past its limit or when it
        // closes. Said once; tried again every time.
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            if failed {
                tracing::debug!(error = %e, "copying the store's log back failed again");
            } else {
                tracing::warn!(store = %path.display(), error = %e, "copying the store's log back failed; the log grows until it works");
            }
            failed = true;
        }
        match stopped.recv_timeout(EVERY) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            // Its connection closes with it, before the store's: the store's connection is
            // then the last one and copies the rest of the log and removes it.
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Store;

    use super::*;

    /// The runs the database file holds by itself, without its log (read from a copy of it);
    /// 0 while not even its tables are there.
    fn runs_in_file_alone(store: &Path, dir: &Path) -> i64 {
        let copy = dir.join("alone.sqlite");
        std::fs::copy(store, &copy).expect("copy");
        let conn = Connection::open(&copy).expect("open copy");
        conn.query_row("SELECT count(*) FROM runs", [], |r| r.get(0))
            .unwrap_or(0)
    }

    #[test]
    fn what_is_committed_reaches_the_database_file_while_the_store_is_open() {
        let t = tempfile::tempdir().expect("tempdir");
        let path = t.path().join("store.sqlite");
        let store = Store::open(&path).expect("open");
        for i in 0..5 {
            store
                .begin_run(&format!("2025-06-30T00:00:0{i}Z"))
                .expect("run");
        }
        let mut copied = 0;
        for _ in 0..200 {
            copied = runs_in_file_alone(&path, t.path());
            if copied == 5 {
                break;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        assert_eq!(
            copied, 5,
            "the log was copied back while the store stayed open"
        );
        drop(store);
        let wal = t.path().join("store.sqlite-wal");
        assert!(
            !wal.exists() || std::fs::metadata(&wal).expect("wal").len() == 0,
            "closing the store leaves no log behind"
        );
        assert_eq!(runs_in_file_alone(&path, t.path()), 5);
    }
}
