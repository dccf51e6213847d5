//! What each published project was made from and made of: its input fingerprint, its tally
//! (deflated JSON, written when the project is made) and where its files went (a small stamp,
//! written every run). A project whose fingerprint is unchanged is taken from the published
//! output instead of being converted, judged and rendered again. The store keeps the texts;
//! what they mean belongs to the pipeline.

use rusqlite::{OptionalExtension, params};

use super::packed::{Packed, PackedTally};
use super::{Error, Store};

/// One project to keep: its key, fingerprint and stamp, and its tally when it was made in this
/// run (`None` when it was reused and its tally stands).
pub struct KeptRow<'a> {
    /// The project's key (its grouping key, or its OC4IDS id).
    pub key: &'a str,
    /// Everything its outputs are made from, hashed.
    pub fingerprint: &'a str,
    /// The tally, deflated.
    pub tally: Option<&'a PackedTally>,
    /// Where its files went, JSON.
    pub stamp: &'a str,
}

/// A kept project as stored.
pub struct KeptText {
    /// Its tally, JSON as stored (inflated by whoever reads it, on any thread).
    pub tally: Packed,
    /// Its stamp, JSON.
    pub stamp: String,
}

impl Store {
    /// The project kept under `key` when it was made from `fingerprint` (its tally and its
    /// stamp both written for it); a project made from anything else is not read at all.
    pub fn kept_project(&self, key: &str, fingerprint: &str) -> Result<Option<KeptText>, Error> {
        self.conn
            .prepare_cached(
                "SELECT t.tally, s.stamp FROM kept_tallies t
                 JOIN kept_stamps s ON s.key = t.key AND s.fingerprint = t.fingerprint
                 WHERE t.key = ?1 AND t.fingerprint = ?2",
            )
            .and_then(|mut stmt| {
                stmt.query_row(params![key, fingerprint], |r| {
                    Ok(KeptText {
                        tally: r.get(0)?,
                        stamp: r.get(1)?,
                    })
                })
                .optional()
            })
            .map_err(|e| self.sq(e))
    }

    /// Keeps a batch of projects, all or none.
    pub fn keep_projects(&self, run_id: i64, rows: &[KeptRow<'_>]) -> Result<(), Error> {
        self.in_transaction(|| {
            let write = || -> rusqlite::Result<()> {
                for row in rows {
                    if let Some(tally) = row.tally {
                        self.conn
                            .prepare_cached(
                                "INSERT INTO kept_tallies (key, fingerprint, tally) VALUES (?1, ?2, ?3)
                                 ON CONFLICT(key) DO UPDATE SET fingerprint = excluded.fingerprint,
                                   tally = excluded.tally",
                            )?
                            .execute(params![row.key, row.fingerprint, tally.0])?;
                    }
                    self.conn
                        .prepare_cached(
                            "INSERT INTO kept_stamps (key, fingerprint, stamp, run_id)
                             VALUES (?1, ?2, ?3, ?4)
                             ON CONFLICT(key) DO UPDATE SET fingerprint = excluded.fingerprint,
                               stamp = excluded.stamp, run_id = excluded.run_id",
                        )?
                        .execute(params![row.key, row.fingerprint, row.stamp, run_id])?;
                }
                Ok(())
            };
            write().map_err(|e| self.sq(e))
        })
    }

    /// Forgets the projects this run did not publish (gone, out of scope, regrouped).
    pub fn forget_projects_not_in(&self, run_id: i64) -> Result<(), Error> {
        self.conn
            .execute_batch(&format!(
                "DELETE FROM kept_stamps WHERE run_id <> {run_id};
                 DELETE FROM kept_tallies WHERE key NOT IN (SELECT key FROM kept_stamps);"
            ))
            .map_err(|e| self.sq(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_project_reads_back_and_is_forgotten_when_not_published() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::open(&dir.path().join("s.sqlite")).expect("open");
        let (run, _) = store.begin_run("2025-01-01T00:00:00Z").expect("run");
        let (t1, empty) = (PackedTally::of("{\"t\":1}"), PackedTally::of("{}"));
        let row = |key, tally| KeptRow {
            key,
            fingerprint: "f1",
            tally,
            stamp: "{\"s\":1}",
        };
        store
            .keep_projects(
                run,
                &[
                    row("a", Some(&t1)),
                    row("b", Some(&empty)),
                    row("c", Some(&empty)),
                ],
            )
            .expect("keep");
        let a = store.kept_project("a", "f1").expect("read").expect("kept");
        assert_eq!(a.tally.text().expect("inflates"), "{\"t\":1}");
        assert!(store.kept_project("a", "f0").expect("read").is_none());
        // A reused project keeps its tally; only its stamp moves.
        let (run2, _) = store.begin_run("2025-01-02T00:00:00Z").expect("run");
        store
            .keep_projects(
                run2,
                &[KeptRow {
                    stamp: "{\"s\":2}",
                    ..row("a", None)
                }],
            )
            .expect("keep");
        // A stamp written for another fingerprint than the tally's is no kept project.
        store
            .keep_projects(
                run2,
                &[KeptRow {
                    fingerprint: "f2",
                    stamp: "{\"s\":3}",
                    ..row("b", None)
                }],
            )
            .expect("keep");
        assert!(store.kept_project("b", "f1").expect("read").is_none());
        store.forget_projects_not_in(run2).expect("forget");
        let a = store.kept_project("a", "f1").expect("read").expect("kept");
        assert_eq!(
            (a.tally.text().expect("inflates").as_str(), a.stamp.as_str()),
            ("{\"t\":1}", "{\"s\":2}")
        );
        // Not published in run 2: forgotten.
        assert!(store.kept_project("c", "f1").expect("read").is_none());
    }
}
