//! The store: one SQLite file (WAL) that everything after fetch can be rebuilt from.
//!
//! In: inputs with their provenance, releases, compiled releases from records, quarantined
//! parts, runs. Out: the releases of one ocid at a time, compiled releases grouped by project.
//! It never interprets OCDS beyond the keys it indexes (`ocid`, `id`, `date`).

mod checkpoint;
mod kept;
mod packed;
mod schema;
mod sources;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use packed::Stored;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

pub use kept::{KeptRow, KeptText};
pub use packed::{Packed, PackedTally, Prepared};
pub use schema::SCHEMA_VERSION;
pub use sources::{Checkpoint, Provenance};

/// Store errors: they abort the run before anything is published.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// SQLite failed.
    #[error("store {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// The SQLite error.
        source: rusqlite::Error,
    },
    /// The lock file could not be created or is held by another run.
    #[error("store {path}: {reason}")]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The database was written by a newer costwatch.
    #[error(
        "store {path}: schema version {found} is newer than this costwatch understands ({known})"
    )]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// Version in the file.
        found: i64,
        /// Newest version known here.
        known: i64,
    },
    /// Stored JSON could not be read back (the file was edited by hand?).
    #[error("store {path}: stored JSON for {what} is unreadable: {source}")]
    Json {
        /// The database file.
        path: PathBuf,
        /// Which row.
        what: String,
        /// Parser error.
        source: serde_json::Error,
    },
    /// Stored text could not be inflated or is not UTF-8 (the file was damaged?).
    #[error("store {path}: stored text for {what} is unreadable: {reason}")]
    Unpack {
        /// The database file.
        path: PathBuf,
        /// Which row.
        what: String,
        /// Why.
        reason: String,
    },
}

/// What happened to a release offered to the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// First time this (ocid, id) was seen.
    New,
    /// The same (ocid, id) with the same content: counted and ignored.
    Repeat,
    /// The same (ocid, id) with different content: kept and reported.
    Conflict,
}

/// Provenance of one input (a file, later a page).
#[derive(Debug, Clone)]
pub struct InputRecord<'a> {
    /// Source id from the config.
    pub source_id: &'a str,
    /// Path or URL.
    pub location: &'a str,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the bytes as read.
    pub sha256: &'a str,
    /// Modification time (RFC 3339) where known.
    pub modified_at: Option<String>,
    /// When it was read (RFC 3339).
    pub read_at: &'a str,
    /// HTTP status, for a page or download.
    pub http_status: Option<u16>,
}

/// One quarantined part of an input.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct QuarantineRow {
    /// Source id.
    pub source_id: String,
    /// Path or URL.
    pub location: String,
    /// 1-based line, where known.
    pub line: Option<u64>,
    /// Byte offset, where known.
    pub byte_offset: Option<u64>,
    /// Reason code.
    pub reason: String,
    /// Detail for a person.
    pub detail: String,
}

/// A conflicting repeat: same (ocid, release id), different content.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ConflictRow {
    /// The ocid.
    pub ocid: String,
    /// The release id.
    pub release_id: String,
    /// Where the differing version came from.
    pub location: String,
}

/// The hashes stored for one release: looked up for every release read.
const FIND_HASHES: &str =
    "SELECT hash FROM releases WHERE ocid = ?1 AND release_id = ?2 ORDER BY id";

/// The caller's type for a stored compiled release (`ocds::CompiledProcess`): the store keeps
/// compiled releases, what they mean belongs to the stage that makes them.
pub trait FromCompiled {
    /// Builds one from what the store holds: the ocid, the compiled release, its history
    /// (`null` when none was stored), how many releases were merged into it, and the run that
    /// saved it (a new value whenever it was compiled again).
    fn from_stored(ocid: String, data: Value, history: Value, releases: u64, run: i64) -> Self;
}

/// What the store knows of a compiled release without reading it: enough to tell whether it
/// was compiled again since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledHead {
    /// The ocid.
    pub ocid: String,
    /// Releases merged into it.
    pub releases: u64,
    /// The run that saved it last.
    pub run: i64,
}

/// A compiled release as the store holds it, read but not yet inflated or parsed (the costly
/// part, left to whichever thread needs it).
#[derive(Debug, Clone)]
pub struct StoredCompiled {
    ocid: String,
    data: Packed,
    history: Option<Packed>,
    releases: u64,
    run: i64,
    /// The database file, to name in an error.
    store: PathBuf,
}

impl StoredCompiled {
    /// What the store knows of it without parsing it.
    pub fn head(&self) -> CompiledHead {
        CompiledHead {
            ocid: self.ocid.clone(),
            releases: self.releases,
            run: self.run,
        }
    }

    /// Inflates and parses it into the caller's type.
    pub fn open<T: FromCompiled>(self) -> Result<T, Error> {
        let StoredCompiled {
            ocid,
            data,
            history,
            releases,
            run,
            store,
        } = self;
        let parse = |packed: Packed, what: &str| -> Result<Value, Error> {
            let text = packed.text().map_err(|reason| Error::Unpack {
                path: store.clone(),
                what: format!("{what} {ocid}"),
                reason,
            })?;
            parse_stored(&store, &text, || format!("{what} {ocid}"))
        };
        let data = parse(data, "compiled release")?;
        let history = match history {
            Some(h) => parse(h, "history of")?,
            None => Value::Null,
        };
        Ok(T::from_stored(ocid, data, history, releases, run))
    }
}

/// Parses JSON text read back from the store at `path`; an error names the store and `what`
/// row it was (worked out only then).
pub fn parse_stored(
    path: &Path,
    text: &str,
    what: impl FnOnce() -> String,
) -> Result<Value, Error> {
    serde_json::from_str(text).map_err(|source| Error::Json {
        path: path.to_path_buf(),
        what: what(),
        source,
    })
}

/// How compiled releases are grouped into projects (`projects.grouping` in the configuration).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// By `planning.project.id`, else one project per ocid.
    #[default]
    PlanningProjectId,
    /// One project per ocid.
    Ocid,
}

/// One entity's score in one run, as the history keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityScoreRow {
    /// The run.
    pub run_id: i64,
    /// When the run started (RFC 3339).
    pub started_at: String,
    /// Entity key.
    pub entity: String,
    /// Entity name.
    pub name: String,
    /// Headline score, 0–100.
    pub score: f64,
    /// Projects scored.
    pub projects: u32,
}

/// One project's score in one run.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectScoreRow {
    /// Project id.
    pub project: String,
    /// Entity key.
    pub entity: String,
    /// Headline score, 0–100; `None` for a project with no score.
    pub score: Option<f64>,
    /// Current stage code.
    pub stage: String,
}

/// The lock file of a store: the store's own name with `.lock` added.
pub fn lock_path(store: &Path) -> PathBuf {
    let mut name = store.as_os_str().to_os_string();
    name.push(".lock");
    PathBuf::from(name)
}

/// How long a lock held elsewhere is looked at again before the run gives up.
const LOCK_GRACE: Duration = Duration::from_secs(2);

/// Takes the lock on `lock`, waiting [`LOCK_GRACE`] at most.
///
/// The lock belongs to the open file, and a process that another thread of the same program
/// starts holds a copy of every open file from its fork until its exec closes them. A store
/// closed in that instant still looks locked to whoever opens it next: the test suite, which
/// runs the binary on some threads and whole runs on others, failed on it under load. A run
/// that is really going holds the lock for far longer than the grace.
fn take_lock(lock: &File, lock_path: &Path) -> Result<(), Error> {
    let start = Instant::now();
    loop {
        match lock.try_lock() {
            Ok(()) => return Ok(()),
            Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < LOCK_GRACE => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::Lock {
                    path: lock_path.to_path_buf(),
                    reason: "another costwatch run is using this store".into(),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(Error::Lock {
                    path: lock_path.to_path_buf(),
                    reason: e.to_string(),
                });
            }
        }
    }
}

/// An open store with its lock held.
pub struct Store {
    // Declared first so that it is dropped first: both connections close before the lock is
    // let go, and the last to close copies the rest of the log back and removes it.
    _checkpoint: Option<checkpoint::Checkpointer>,
    conn: Connection,
    path: PathBuf,
    // Held for the life of the store: a second run on the same store fails (after the short
    // grace of `take_lock`), it does not queue.
    _lock: File,
}

impl Store {
    /// Opens (creating if needed) the store at `path`, takes its lock and migrates it.
    pub fn open(path: &Path) -> Result<Store, Error> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::Lock {
                path: dir.to_path_buf(),
                reason: format!("cannot create folder: {e}"),
            })?;
        }
        // `<store>.lock` exactly: two stores in one folder never share a lock, and a store
        // whose own name ends in `.lock` would lock itself out.
        if path.extension().is_some_and(|e| e == "lock") {
            return Err(Error::Lock {
                path: path.to_path_buf(),
                reason: "a store file may not end in `.lock` (that name is kept for its lock)"
                    .into(),
            });
        }
        let lock_path = lock_path(path);
        let lock = File::create(&lock_path).map_err(|e| Error::Lock {
            path: lock_path.clone(),
            reason: format!("cannot create lock file: {e}"),
        })?;
        take_lock(&lock, &lock_path)?;
        let sq = |source| Error::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open(path).map_err(sq)?;
        // Deflated releases and compiled releases are 1–4 KB each: on 4 KB pages most rows
        // leave a page part empty (a 100k-release store was 13 % larger). The page size only
        // takes on a new file, before anything is written; an existing store keeps its own.
        conn.pragma_update(None, "page_size", 16384).map_err(sq)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sq)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sq)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(sq)?;
        // Temporary data in memory. Inside a transaction every insert keeps a journal of the
        // pages it changes, to undo just that statement on a constraint error; on 16 KiB pages
        // these pass the 64 KiB SQLite keeps in memory, and each went to a temporary file
        // (O_TMPFILE in /var/tmp): 136 MB written at 10 000 releases (`strace -e pwrite64`).
        // Sorts and statement journals here are a few MB at most.
        conn.pragma_update(None, "temp_store", "MEMORY")
            .map_err(sq)?;
        // Plans that do not depend on bound values. Without this, SQLite marks each lookup by
        // ocid to be planned again whenever a new ocid is bound, and it was: every lookup
        // was compiled anew, 6 % of a full run (`sqlite3Reprepare` under `perf`). These
        // lookups are plain equalities on indexed columns, so no value can improve their plan.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )
        .map_err(sq)?;
        schema::migrate(&mut conn, path)?;
        // The log is copied back on a thread of its own; the store's connection only writes.
        // Should that thread fall behind for good (the log is started over only once all of it
        // is copied), the store's connection copies it itself past 262 144 pages (4 GiB on
        // 16 KiB pages, 1 GiB on an older store's 4 KiB ones; a 1M-release fetch peaks at
        // 1.3 GB).
        let checkpointer = checkpoint::Checkpointer::start(path);
        if checkpointer.is_some() {
            conn.pragma_update(None, "wal_autocheckpoint", 262_144)
                .map_err(sq)?;
        }
        Ok(Store {
            _checkpoint: checkpointer,
            conn,
            path: path.to_path_buf(),
            _lock: lock,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sq(&self, source: rusqlite::Error) -> Error {
        Error::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Starts a run and returns its id. Runs still marked `running` were killed (this run
    /// holds the lock), so they are marked `interrupted` first; returns how many.
    pub fn begin_run(&self, started_at: &str) -> Result<(i64, usize), Error> {
        let interrupted = self
            .conn
            .execute(
                "UPDATE runs SET status = 'interrupted' WHERE status = 'running'",
                [],
            )
            .map_err(|e| self.sq(e))?;
        self.conn
            .execute(
                "INSERT INTO runs (started_at, status) VALUES (?1, 'running')",
                params![started_at],
            )
            .map_err(|e| self.sq(e))?;
        Ok((self.conn.last_insert_rowid(), interrupted))
    }

    /// Keeps this run's entity and project scores in the history (replacing any kept for it).
    pub fn save_scores(
        &self,
        run_id: i64,
        entities: &[(String, String, f64, u32)],
        projects: &[ProjectScoreRow],
    ) -> Result<(), Error> {
        let tx = self.conn.unchecked_transaction().map_err(|e| self.sq(e))?;
        {
            let mut e_stmt = tx
                .prepare(
                    "INSERT OR REPLACE INTO entity_scores (run_id, entity, name, score, projects)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(|e| self.sq(e))?;
            for (entity, name, score, n) in entities {
                e_stmt
                    .execute(params![run_id, entity, name, score, n])
                    .map_err(|e| self.sq(e))?;
            }
            let mut p_stmt = tx
                .prepare(
                    "INSERT OR REPLACE INTO project_scores (run_id, project, entity, score, stage)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(|e| self.sq(e))?;
            for p in projects {
                p_stmt
                    .execute(params![run_id, p.project, p.entity, p.score, p.stage])
                    .map_err(|e| self.sq(e))?;
            }
        }
        tx.commit().map_err(|e| self.sq(e))
    }

    /// Gives run `to` the entity scores of run `from`: a run that kept the published output
    /// scored the same, and the trend shows it ran.
    pub fn copy_entity_scores(&self, from: i64, to: i64) -> Result<(), Error> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO entity_scores (run_id, entity, name, score, projects)
                 SELECT ?2, entity, name, score, projects FROM entity_scores WHERE run_id = ?1",
                params![from, to],
            )
            .map_err(|e| self.sq(e))?;
        Ok(())
    }

    /// Every entity score kept, oldest run first: runs that published (`ok`, `partial`) and
    /// the run `current`, which has not finished yet.
    pub fn entity_history(&self, current: i64) -> Result<Vec<EntityScoreRow>, Error> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT s.run_id, r.started_at, s.entity, s.name, s.score, s.projects
                 FROM entity_scores s JOIN runs r ON r.id = s.run_id
                 WHERE r.status IN ('ok', 'partial') OR r.id = ?1
                 ORDER BY s.run_id, s.entity",
            )
            .map_err(|e| self.sq(e))?;
        let rows = stmt
            .query_map(params![current], |r| {
                Ok(EntityScoreRow {
                    run_id: r.get(0)?,
                    started_at: r.get(1)?,
                    entity: r.get(2)?,
                    name: r.get(3)?,
                    score: r.get(4)?,
                    projects: r.get(5)?,
                })
            })
            .map_err(|e| self.sq(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.sq(e))?;
        Ok(rows)
    }

    /// Records that this run compiled everything stored before it.
    pub fn mark_compiled(&self, run_id: i64) -> Result<(), Error> {
        self.conn
            .execute(
                "UPDATE runs SET compiled = 1 WHERE id = ?1",
                params![run_id],
            )
            .map_err(|e| self.sq(e))?;
        Ok(())
    }

    /// Records how a run ended, with its report.
    pub fn finish_run(
        &self,
        run_id: i64,
        finished_at: &str,
        status: &str,
        report: &str,
    ) -> Result<(), Error> {
        self.conn
            .execute(
                "UPDATE runs SET finished_at = ?2, status = ?3, report = ?4 WHERE id = ?1",
                params![run_id, finished_at, status, report],
            )
            .map_err(|e| self.sq(e))?;
        Ok(())
    }

    /// Runs `f` as one transaction (a savepoint): all of its writes are kept, or none when it
    /// fails. One commit for many statements: each commit writes every page it touched to the
    /// log again, and saving compiled releases one commit each wrote 988 MB for 43 MB of data
    /// at 100 000 releases (`/proc/<pid>/io`).
    pub fn in_transaction<T, E: From<Error>>(
        &self,
        f: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        self.conn
            .execute_batch("SAVEPOINT batch")
            .map_err(|e| self.sq(e))?;
        let result = f().and_then(|value| {
            self.conn
                .execute_batch("RELEASE batch")
                .map_err(|e| E::from(self.sq(e)))?;
            Ok(value)
        });
        if result.is_err()
            && let Err(e) = self.conn.execute_batch("ROLLBACK TO batch; RELEASE batch")
        {
            // Leave no half batch behind (a failed RELEASE included). The error returned is
            // the first one; this one is said, since the connection may be left mid-batch.
            tracing::warn!(store = %self.path.display(), error = %e, "undoing a failed batch failed");
        }
        result
    }

    /// Opens a savepoint around one input, so a rejected input leaves nothing behind.
    pub fn begin_input(&self) -> Result<(), Error> {
        self.conn
            .execute_batch("SAVEPOINT input")
            .map_err(|e| self.sq(e))
    }

    /// Keeps what the current input stored.
    pub fn commit_input(&self) -> Result<(), Error> {
        self.conn
            .execute_batch("RELEASE input")
            .map_err(|e| self.sq(e))
    }

    /// Discards what the current input stored.
    pub fn rollback_input(&self) -> Result<(), Error> {
        self.conn
            .execute_batch("ROLLBACK TO input; RELEASE input")
            .map_err(|e| self.sq(e))
    }

    /// Records an input's provenance; returns its id.
    pub fn record_input(&self, run_id: i64, input: &InputRecord<'_>) -> Result<i64, Error> {
        self.conn
            .execute(
                "INSERT INTO inputs (run_id, source_id, location, size, sha256, modified_at, read_at,
                                     http_status, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'reading')",
                params![
                    run_id,
                    input.source_id,
                    input.location,
                    input.size as i64,
                    input.sha256,
                    input.modified_at,
                    input.read_at,
                    input.http_status
                ],
            )
            .map_err(|e| self.sq(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Completes an input's row once it has been read.
    pub fn finish_input(
        &self,
        input_id: i64,
        status: &str,
        format: &str,
        items: u64,
    ) -> Result<(), Error> {
        self.conn
            .execute(
                "UPDATE inputs SET status = ?2, format = ?3, items = ?4 WHERE id = ?1",
                params![input_id, status, format, items as i64],
            )
            .map_err(|e| self.sq(e))?;
        Ok(())
    }

    /// Sets an input's size and SHA-256 once they are known from the bytes read.
    pub fn settle_input(&self, input_id: i64, size: u64, sha256: &str) -> Result<(), Error> {
        self.conn
            .execute(
                "UPDATE inputs SET size = ?2, sha256 = ?3 WHERE id = ?1",
                params![input_id, size as i64, sha256],
            )
            .map_err(|e| self.sq(e))?;
        Ok(())
    }

    /// Records the `uri` of the package an input held.
    pub fn set_package_uri(&self, input_id: i64, uri: &str) -> Result<(), Error> {
        self.conn
            .execute(
                "UPDATE inputs SET package_uri = ?2 WHERE id = ?1",
                params![input_id, uri],
            )
            .map_err(|e| self.sq(e))?;
        Ok(())
    }

    /// Keeps a record's linked release (`url`, `date`, `tag`) unless its url is known for the
    /// ocid. A link without a text `url` is not kept.
    pub fn insert_link(
        &self,
        ocid: &str,
        link: &Value,
        document: Option<&str>,
        input_id: i64,
        run_id: i64,
    ) -> Result<(), Error> {
        let Some(url) = link.get("url").and_then(Value::as_str) else {
            return Ok(());
        };
        let date = link.get("date").and_then(Value::as_str);
        let tag = link.get("tag").map(Value::to_string);
        self.conn
            .prepare_cached(
                "INSERT OR IGNORE INTO release_links (ocid, url, document, date, tag, input_id, run_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut s| s.execute(params![ocid, url, document, date, tag, input_id, run_id]))
            .map_err(|e| self.sq(e))?;
        Ok(())
    }

    /// Stores one release (see [`Store::insert_prepared`]).
    pub fn insert_release(
        &self,
        release: &Value,
        input_id: i64,
        run_id: i64,
    ) -> Result<Inserted, Error> {
        self.insert_prepared(&Prepared::release(release), input_id, run_id)
    }

    /// Stores one release or compiled release made ready by [`Prepared`]. A release whose
    /// (ocid, id) and content hash are stored already is a repeat; same (ocid, id) with another
    /// hash is stored too and recorded as a conflict. A compiled release is keyed by its hash.
    pub fn insert_prepared(
        &self,
        item: &Prepared,
        input_id: i64,
        run_id: i64,
    ) -> Result<Inserted, Error> {
        let Some(release_id) = &item.release_id else {
            let changed = self
                .conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO record_compiled (ocid, hash, data, input_id, run_id)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .and_then(|mut s| {
                    s.execute(params![item.ocid, item.hash, item.data, input_id, run_id])
                })
                .map_err(|e| self.sq(e))?;
            return Ok(if changed == 0 {
                Inserted::Repeat
            } else {
                Inserted::New
            });
        };
        let mut find = self
            .conn
            .prepare_cached(FIND_HASHES)
            .map_err(|e| self.sq(e))?;
        let hashes: Vec<String> = find
            .query_map(params![item.ocid, release_id], |r| r.get(0))
            .map_err(|e| self.sq(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sq(e))?;
        if hashes.contains(&item.hash) {
            return Ok(Inserted::Repeat);
        }
        self.conn
            .prepare_cached(
                "INSERT INTO releases (ocid, release_id, hash, date, data, input_id, run_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    item.ocid, release_id, item.hash, item.date, item.data, input_id, run_id
                ])
            })
            .map_err(|e| self.sq(e))?;
        if hashes.is_empty() {
            return Ok(Inserted::New);
        }
        self.conn
            .prepare_cached(
                "INSERT OR IGNORE INTO conflicts (ocid, release_id, hash, input_id, run_id)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .and_then(|mut s| {
                s.execute(params![item.ocid, release_id, item.hash, input_id, run_id])
            })
            .map_err(|e| self.sq(e))?;
        Ok(Inserted::Conflict)
    }

    /// Sets a part of an input aside with its reason.
    pub fn quarantine(&self, run_id: i64, row: &QuarantineRow) -> Result<(), Error> {
        self.conn
            .prepare_cached(
                "INSERT INTO quarantine (run_id, source_id, location, line, byte_offset, reason, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    run_id,
                    row.source_id,
                    row.location,
                    row.line.map(|v| v as i64),
                    row.byte_offset.map(|v| v as i64),
                    row.reason,
                    row.detail
                ])
            })
            .map_err(|e| self.sq(e))?;
        Ok(())
    }

    /// Conflicting repeats first stored in this run.
    pub fn conflicts_in_run(&self, run_id: i64) -> Result<Vec<ConflictRow>, Error> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT c.ocid, c.release_id, i.location FROM conflicts c
                 JOIN inputs i ON i.id = c.input_id WHERE c.run_id = ?1 ORDER BY c.ocid, c.release_id",
            )
            .map_err(|e| self.sq(e))?;
        let rows = stmt
            .query_map(params![run_id], |r| {
                Ok(ConflictRow {
                    ocid: r.get(0)?,
                    release_id: r.get(1)?,
                    location: r.get(2)?,
                })
            })
            .map_err(|e| self.sq(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.sq(e))?;
        Ok(rows)
    }

    /// Number of conflicting repeats ever stored.
    pub fn conflicts_total(&self) -> Result<u64, Error> {
        self.conn
            .query_row("SELECT COUNT(*) FROM conflicts", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(|e| self.sq(e))
    }

    /// The ocids whose compiled release must be (re)built: data stored since the last run
    /// whose compile finished (this run's, or a killed run's), never compiled, or everything
    /// when `all`.
    pub fn ocids_to_compile(&self, run_id: i64, all: bool) -> Result<Vec<String>, Error> {
        let sql = if all {
            "SELECT ocid FROM releases UNION SELECT ocid FROM record_compiled ORDER BY 1"
        } else {
            "WITH since(id) AS (SELECT COALESCE(MAX(id), 0) FROM runs WHERE compiled = 1 AND id < ?1)
             SELECT ocid FROM releases WHERE run_id > (SELECT id FROM since)
             UNION SELECT ocid FROM record_compiled WHERE run_id > (SELECT id FROM since)
             UNION SELECT ocid FROM releases WHERE ocid NOT IN (SELECT ocid FROM compiled)
             UNION SELECT ocid FROM record_compiled WHERE ocid NOT IN (SELECT ocid FROM compiled)
             ORDER BY 1"
        };
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.sq(e))?;
        let rows: Result<Vec<String>, _> = if all {
            stmt.query_map([], |r| r.get(0))
                .and_then(|rows| rows.collect())
        } else {
            stmt.query_map(params![run_id], |r| r.get(0))
                .and_then(|rows| rows.collect())
        };
        rows.map_err(|e| self.sq(e))
    }

    /// The releases of one ocid as stored text, with their release ids (for a caller that
    /// parses them elsewhere); of conflicting versions of one release, the last stored.
    pub fn release_texts_of(&self, ocid: &str) -> Result<Vec<ReleaseText>, Error> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT r.release_id, r.data, i.package_uri
                 FROM releases r JOIN inputs i ON i.id = r.input_id
                 WHERE r.id IN (SELECT MAX(id) FROM releases WHERE ocid = ?1 GROUP BY release_id)
                 ORDER BY r.id",
            )
            .map_err(|e| self.sq(e))?;
        stmt.query_map(params![ocid], |r| {
            Ok(ReleaseText {
                id: r.get(0)?,
                text: r.get::<_, Stored>(1)?.0,
                package_uri: r.get(2)?,
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(|e| match e {
            // A blob that does not inflate: name the process, as for compiled releases.
            rusqlite::Error::FromSqlConversionFailure(..) => Error::Unpack {
                path: self.path.clone(),
                what: format!("a release of {ocid}"),
                reason: e.to_string(),
            },
            e => self.sq(e),
        })
    }

    /// The releases of one ocid; of conflicting versions of one release, the last stored.
    pub fn releases_of(&self, ocid: &str) -> Result<Vec<Value>, Error> {
        self.release_texts_of(ocid)?
            .iter()
            .map(|r| self.parse(&r.text, || format!("release {ocid}/{}", r.id)))
            .collect()
    }

    /// The linked releases records gave for one ocid, as published (`url`, `date`, `tag`), in
    /// the order they were stored.
    pub fn links_of(&self, ocid: &str) -> Result<Vec<Value>, Error> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT url, date, tag FROM release_links WHERE ocid = ?1 ORDER BY id")
            .map_err(|e| self.sq(e))?;
        stmt.query_map(params![ocid], |r| {
            let url: String = r.get(0)?;
            let date: Option<String> = r.get(1)?;
            let tag: Option<String> = r.get(2)?;
            let mut link = serde_json::Map::new();
            link.insert("url".into(), Value::from(url));
            if let Some(d) = date {
                link.insert("date".into(), Value::from(d));
            }
            if let Some(t) = tag.and_then(|t| serde_json::from_str::<Value>(&t).ok()) {
                link.insert("tag".into(), t);
            }
            Ok(Value::Object(link))
        })
        .and_then(|rows| rows.collect())
        .map_err(|e| self.sq(e))
    }

    /// The stored compiled releases of these ocids (those there are, in this order), read but
    /// not inflated or parsed: [`StoredCompiled::open`] does that, on any thread.
    pub fn compiled_stored_of(&self, ocids: &[String]) -> Result<Vec<StoredCompiled>, Error> {
        let mut out = Vec::new();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT data, history, releases, run_id FROM compiled WHERE ocid = ?1")
            .map_err(|e| self.sq(e))?;
        for ocid in ocids {
            let row = stmt
                .query_row(params![ocid], |r| {
                    Ok(StoredCompiled {
                        ocid: ocid.clone(),
                        data: r.get(0)?,
                        history: r.get(1)?,
                        releases: r.get::<_, i64>(2)? as u64,
                        run: r.get(3)?,
                        store: self.path.clone(),
                    })
                })
                .optional()
                .map_err(|e| self.sq(e))?;
            out.extend(row);
        }
        Ok(out)
    }

    /// The latest compiled release given by a record for this ocid, as stored text.
    pub fn record_compiled_text_of(&self, ocid: &str) -> Result<Option<String>, Error> {
        self.conn
            .query_row(
                "SELECT data FROM record_compiled WHERE ocid = ?1 ORDER BY id DESC LIMIT 1",
                params![ocid],
                |r| r.get::<_, Stored>(0).map(|s| s.0),
            )
            .optional()
            .map_err(|e| self.sq(e))
    }

    fn parse(&self, text: &str, what: impl Fn() -> String) -> Result<Value, Error> {
        parse_stored(&self.path, text, what)
    }

    /// Saves a compiled release serialised elsewhere.
    pub fn save_serialized(
        &self,
        ocid: &str,
        c: &SerializedCompiled,
        run_id: i64,
    ) -> Result<(), Error> {
        let SerializedCompiled {
            project_id,
            data,
            history,
            releases,
        } = c;
        self.conn
            .prepare_cached(
                "INSERT INTO compiled (ocid, planning_project_id, data, history, releases, run_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(ocid) DO UPDATE SET planning_project_id = excluded.planning_project_id,
                   data = excluded.data, history = excluded.history,
                   releases = excluded.releases, run_id = excluded.run_id",
            )
            .and_then(|mut s| {
                s.execute(params![
                    ocid,
                    project_id,
                    data,
                    history,
                    *releases as i64,
                    run_id
                ])
            })
            .map_err(|e| self.sq(e))?;
        Ok(())
    }

    /// Walks projects in key order, handing each what is stored about its compiled releases
    /// (ordered by ocid) without reading them: the caller reads those it needs
    /// ([`Store::compiled_stored_of`]), so a project that has not changed costs no parsing.
    pub fn for_each_project_head<E: From<Error>>(
        &self,
        grouping: Grouping,
        mut f: impl FnMut(&str, Vec<CompiledHead>) -> Result<(), E>,
    ) -> Result<(), E> {
        let key = match grouping {
            Grouping::PlanningProjectId => "COALESCE(planning_project_id, ocid)",
            Grouping::Ocid => "ocid",
        };
        let sql =
            format!("SELECT {key} AS k, ocid, releases, run_id FROM compiled ORDER BY k, ocid");
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.sq(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.sq(e))?;
        let mut current: Option<String> = None;
        let mut batch = Vec::new();
        while let Some(row) = rows.next().map_err(|e| self.sq(e))? {
            let read = |row: &rusqlite::Row<'_>| -> rusqlite::Result<(String, CompiledHead)> {
                Ok((
                    row.get(0)?,
                    CompiledHead {
                        ocid: row.get(1)?,
                        releases: row.get::<_, i64>(2)? as u64,
                        run: row.get(3)?,
                    },
                ))
            };
            let (k, head) = read(row).map_err(|e| self.sq(e))?;
            if current.as_deref() != Some(k.as_str()) {
                if let Some(prev) = current.take() {
                    f(&prev, std::mem::take(&mut batch))?;
                }
                current = Some(k);
            }
            batch.push(head);
        }
        if let Some(prev) = current {
            f(&prev, batch)?;
        }
        Ok(())
    }

    /// A text that changes whenever stored data the outputs are made from changes: releases,
    /// records and OC4IDS projects stored, compiled releases saved (rows are only ever added,
    /// or updated with the id of the run that updated them).
    pub fn data_version(&self) -> Result<String, Error> {
        self.conn
            .query_row(
                "SELECT (SELECT COALESCE(MAX(id), 0) FROM releases),
                        (SELECT COALESCE(MAX(id), 0) FROM record_compiled),
                        (SELECT COALESCE(MAX(id), 0) || '/' || COALESCE(MAX(run_id), 0)
                           || '/' || COUNT(*) FROM oc4ids_projects),
                        (SELECT COALESCE(MAX(run_id), 0) || '/' || COUNT(*) FROM compiled)",
                [],
                |r| {
                    Ok(format!(
                        "{}:{}:{}:{}",
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?
                    ))
                },
            )
            .map_err(|e| self.sq(e))
    }

    /// Counts of what the store holds, for the run report.
    pub fn totals(&self) -> Result<StoreTotals, Error> {
        let count = |sql: &str| -> Result<u64, Error> {
            self.conn
                .query_row(sql, [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .map_err(|e| self.sq(e))
        };
        Ok(StoreTotals {
            releases: count("SELECT COUNT(*) FROM releases")?,
            ocids: count("SELECT COUNT(*) FROM compiled")?,
            inputs: count("SELECT COUNT(*) FROM inputs")?,
            runs: count("SELECT COUNT(*) FROM runs")?,
        })
    }
}

/// One stored release as text, with the `uri` of the package it came in (if any).
#[derive(Debug, Clone)]
pub struct ReleaseText {
    /// The release id.
    pub id: String,
    /// Its JSON text.
    pub text: String,
    /// The package's `uri`.
    pub package_uri: Option<String>,
}

/// A compiled release ready to store: the project id it names and its text.
#[derive(Debug, Clone)]
pub struct SerializedCompiled {
    /// The project it belongs to when grouped by project (`ocds::compile` reads
    /// `planning.project.id`).
    pub project_id: Option<String>,
    /// The compiled release, packed for storing.
    pub data: Vec<u8>,
    /// Its history (see `ocds::history`), packed.
    pub history: Vec<u8>,
    /// How many releases it was compiled from.
    pub releases: u64,
}

impl SerializedCompiled {
    /// Serialises a compiled release and its history, with the project id the caller read
    /// from it (what names a project is the caller's to say).
    pub fn of(
        compiled: &Value,
        history: &Value,
        releases: u64,
        project_id: Option<String>,
    ) -> SerializedCompiled {
        SerializedCompiled {
            project_id,
            data: packed::pack_value(compiled),
            history: packed::pack_value(history),
            releases,
        }
    }
}

/// What the store holds in total.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct StoreTotals {
    /// Stored releases (conflicting versions counted apart).
    pub releases: u64,
    /// Compiled ocids.
    pub ocids: u64,
    /// Inputs ever read.
    pub inputs: u64,
    /// Runs ever started.
    pub runs: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A new store in `dir` with a run begun and one input recorded: (store, run, input).
    fn store_with_input(dir: &tempfile::TempDir) -> (Store, i64, i64) {
        let store = Store::open(&dir.path().join("s.sqlite")).expect("open");
        let (run, _) = store.begin_run("2024-01-01T00:00:00Z").expect("run");
        let input = store
            .record_input(
                run,
                &InputRecord {
                    source_id: "s",
                    location: "f.json",
                    size: 1,
                    sha256: "x",
                    modified_at: None,
                    read_at: "2024-01-01T00:00:00Z",
                    http_status: None,
                },
            )
            .expect("input");
        (store, run, input)
    }

    #[test]
    fn repeats_and_conflicts_are_told_apart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, run, input) = store_with_input(&dir);
        let r = json!({"ocid": "o", "id": "1", "date": "2024-01-01T00:00:00Z", "tag": ["tender"]});
        let reordered =
            json!({"tag": ["tender"], "date": "2024-01-01T00:00:00Z", "id": "1", "ocid": "o"});
        let changed =
            json!({"ocid": "o", "id": "1", "date": "2024-01-01T00:00:00Z", "tag": ["award"]});
        assert_eq!(
            store.insert_release(&r, input, run).expect("a"),
            Inserted::New
        );
        assert_eq!(
            store.insert_release(&reordered, input, run).expect("b"),
            Inserted::Repeat
        );
        assert_eq!(
            store.insert_release(&changed, input, run).expect("c"),
            Inserted::Conflict
        );
        let kept = store.releases_of("o").expect("releases");
        assert_eq!(kept, vec![changed]);
        assert_eq!(store.conflicts_total().expect("total"), 1);
    }

    #[test]
    fn a_lookup_is_planned_once_whatever_values_it_is_given() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, run, input) = store_with_input(&dir);
        for i in 0..50 {
            let r = json!({"ocid": format!("o-{i}"), "id": "1", "date": "2024-01-01T00:00:00Z"});
            store.insert_release(&r, input, run).expect("insert");
        }
        // Each ocid bound anew used to compile the lookup again (50 times here).
        let find = store.conn.prepare_cached(FIND_HASHES).expect("cached");
        assert_eq!(find.get_status(rusqlite::StatementStatus::RePrepare), 0);
        assert_eq!(find.get_status(rusqlite::StatementStatus::Run), 50);
    }

    #[test]
    fn a_failed_transaction_keeps_nothing_of_its_writes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, run, input) = store_with_input(&dir);
        let release = json!({"ocid": "o", "id": "1", "date": "2024-01-01T00:00:00Z"});
        let failed: Result<(), Error> = store.in_transaction(|| {
            store.insert_release(&release, input, run)?;
            Err(Error::Lock {
                path: dir.path().to_path_buf(),
                reason: "stop here".into(),
            })
        });
        assert!(failed.is_err());
        assert!(store.releases_of("o").expect("read").is_empty());
        store
            .in_transaction(|| store.insert_release(&release, input, run))
            .expect("kept");
        assert_eq!(store.releases_of("o").expect("read"), vec![release]);
    }

    #[test]
    fn a_damaged_release_is_named_with_its_process() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, run, input) = store_with_input(&dir);
        let release = json!({"ocid": "ocds-x-1", "id": "1", "date": "2024-01-01T00:00:00Z"});
        store.insert_release(&release, input, run).expect("insert");
        store
            .conn
            .execute("UPDATE releases SET data = X'0011223344'", [])
            .expect("damage");
        let Err(err) = store.release_texts_of("ocds-x-1") else {
            panic!("a damaged release read back");
        };
        let message = err.to_string();
        assert!(matches!(err, Error::Unpack { .. }), "{message}");
        assert!(message.contains("a release of ocds-x-1"), "{message}");
    }

    #[test]
    fn temporary_data_stays_in_memory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("s.sqlite")).expect("open");
        // 2 is MEMORY: statement journals of 16 KiB pages would otherwise go to /var/tmp.
        let temp_store: i64 = store
            .conn
            .query_row("PRAGMA temp_store", [], |r| r.get(0))
            .expect("pragma");
        assert_eq!(temp_store, 2);
    }

    #[test]
    fn a_second_open_is_refused_while_locked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.sqlite");
        let _first = Store::open(&path).expect("open");
        let err = Store::open(&path).err().expect("locked");
        assert!(err.to_string().contains("another costwatch run"));
    }

    #[test]
    fn a_lock_let_go_within_the_grace_is_taken() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.sqlite");
        let first = Store::open(&path).expect("open");
        let closing = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            drop(first);
        });
        Store::open(&path).expect("the first store closed within the grace");
        closing.join().expect("closing thread");
    }

    #[test]
    fn the_lock_is_the_store_name_plus_lock() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = Store::open(&dir.path().join("cw.db")).expect("open db");
        // A store of another extension in the same folder has a lock of its own.
        let b = Store::open(&dir.path().join("cw.sqlite")).expect("open sqlite");
        assert!(dir.path().join("cw.db.lock").is_file());
        assert!(dir.path().join("cw.sqlite.lock").is_file());
        drop((a, b));
        let err = Store::open(&dir.path().join("x.lock"))
            .err()
            .expect("refused");
        assert!(err.to_string().contains("may not end in `.lock`"), "{err}");
    }

    #[test]
    fn releases_of_a_killed_run_are_compiled_by_the_next() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("s.sqlite")).expect("open");
        let release = |ocid: &str, id: &str| json!({"ocid": ocid, "id": id, "date": "2024-01-01T00:00:00Z", "tag": ["tender"]});
        let input = |run| {
            store
                .record_input(
                    run,
                    &InputRecord {
                        source_id: "s",
                        location: "f.json",
                        size: 1,
                        sha256: "x",
                        modified_at: None,
                        read_at: "2024-01-01T00:00:00Z",
                        http_status: None,
                    },
                )
                .expect("input")
        };
        // Run 1 stores and compiles ocid A.
        let (r1, _) = store.begin_run("2024-01-01T00:00:00Z").expect("run");
        store
            .insert_release(&release("A", "1"), input(r1), r1)
            .expect("insert");
        assert_eq!(store.ocids_to_compile(r1, false).expect("todo"), ["A"]);
        store
            .save_serialized(
                "A",
                &SerializedCompiled::of(&json!({"ocid": "A"}), &json!([]), 1, None),
                r1,
            )
            .expect("save");
        store.mark_compiled(r1).expect("mark");
        store.finish_run(r1, "t", "ok", "{}").expect("finish");
        // Run 2 stores a new release of A, then is killed before compiling.
        let (r2, _) = store.begin_run("2024-01-02T00:00:00Z").expect("run");
        store
            .insert_release(&release("A", "2"), input(r2), r2)
            .expect("insert");
        // Run 3 brings nothing new, yet A is compiled again, and run 2 is marked interrupted.
        let (r3, interrupted) = store.begin_run("2024-01-03T00:00:00Z").expect("run");
        assert_eq!(interrupted, 1);
        assert_eq!(store.ocids_to_compile(r3, false).expect("todo"), ["A"]);
        store.mark_compiled(r3).expect("mark");
        // Once compiled, a run with nothing new compiles nothing.
        let (r4, interrupted) = store.begin_run("2024-01-04T00:00:00Z").expect("run");
        assert_eq!(interrupted, 1, "run 3 was never finished either");
        assert!(store.ocids_to_compile(r4, false).expect("todo").is_empty());
    }
}
