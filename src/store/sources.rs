//! What the store keeps per source: fetch checkpoints, OC4IDS projects, and which ocids a
//! source supplied (to mark the outputs that rest on a source that is down).

use std::collections::HashSet;

use rusqlite::{OptionalExtension, params};
use serde_json::Value;

use super::{Error, Inserted, Store};

/// Where a source's last fetch got to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Checkpoint {
    /// Kind-specific cursor (next page, last window, last period, hashes of files).
    pub cursor: Value,
    /// The newest release `date` seen from the source.
    pub newest_release: Option<String>,
    /// When the source last answered with data (RFC 3339).
    pub last_good_fetch: Option<String>,
}

impl Store {
    /// The source's checkpoint, if it has one.
    pub fn checkpoint(&self, source_id: &str) -> Result<Option<Checkpoint>, Error> {
        let row = self
            .conn
            .query_row(
                "SELECT cursor, newest_release, last_good_fetch FROM checkpoints WHERE source_id = ?1",
                params![source_id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, Option<String>>(2)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.sq(e))?;
        let Some((cursor, newest_release, last_good_fetch)) = row else {
            return Ok(None);
        };
        Ok(Some(Checkpoint {
            cursor: self.parse(&cursor, || format!("checkpoint of {source_id}"))?,
            newest_release,
            last_good_fetch,
        }))
    }

    /// Saves the source's checkpoint; call it inside the same savepoint as the data it covers,
    /// so that a run stopped at any moment resumes exactly after what was committed.
    pub fn save_checkpoint(
        &self,
        source_id: &str,
        checkpoint: &Checkpoint,
        now: &str,
    ) -> Result<(), Error> {
        self.conn
            .execute(
                "INSERT INTO checkpoints (source_id, cursor, newest_release, last_good_fetch, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (source_id) DO UPDATE SET cursor = ?2, newest_release = ?3,
                     last_good_fetch = ?4, updated_at = ?5",
                params![
                    source_id,
                    checkpoint.cursor.to_string(),
                    checkpoint.newest_release,
                    checkpoint.last_good_fetch,
                    now
                ],
            )
            .map_err(|e| self.sq(e))?;
        Ok(())
    }

    /// Stores an OC4IDS project as published by a source; a changed project replaces the
    /// stored one (the source is the authority on its own projects).
    pub fn insert_project(
        &self,
        source_id: &str,
        project: &Value,
        input_id: i64,
        run_id: i64,
    ) -> Result<Inserted, Error> {
        let project_id = match project.get("id") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        let hash = crate::util::canonical::content_hash(project);
        let stored: Option<String> = self
            .conn
            .query_row(
                "SELECT hash FROM oc4ids_projects WHERE source_id = ?1 AND project_id = ?2",
                params![source_id, project_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sq(e))?;
        let outcome = match stored {
            Some(h) if h == hash => return Ok(Inserted::Repeat),
            Some(_) => Inserted::Conflict,
            None => Inserted::New,
        };
        self.conn
            .execute(
                "INSERT INTO oc4ids_projects (source_id, project_id, hash, data, input_id, run_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (source_id, project_id) DO UPDATE SET hash = ?3, data = ?4,
                     input_id = ?5, run_id = ?6",
                params![
                    source_id,
                    project_id,
                    hash,
                    project.to_string(),
                    input_id,
                    run_id
                ],
            )
            .map_err(|e| self.sq(e))?;
        Ok(outcome)
    }

    /// Walks the stored OC4IDS projects in (project id, source) order, with the URL or path
    /// each came from and when it was read.
    pub fn for_each_oc4ids_project<E: From<Error>>(
        &self,
        mut f: impl FnMut(Value, Provenance) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT p.data, p.source_id, i.location, i.read_at
                 FROM oc4ids_projects p JOIN inputs i ON i.id = p.input_id
                 ORDER BY p.project_id, p.source_id",
            )
            .map_err(|e| self.sq(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.sq(e))?;
        while let Some(row) = rows.next().map_err(|e| self.sq(e))? {
            let text: String = row.get(0).map_err(|e| self.sq(e))?;
            let prov = Provenance {
                source: row.get(1).map_err(|e| self.sq(e))?,
                location: row.get(2).map_err(|e| self.sq(e))?,
                fetched_at: row.get(3).map_err(|e| self.sq(e))?,
            };
            let data = self.parse(&text, || format!("OC4IDS project from {}", prov.location))?;
            f(data, prov)?;
        }
        Ok(())
    }

    /// The ocids a source supplied releases or records for.
    pub fn ocids_from(&self, source: &str) -> Result<HashSet<String>, Error> {
        let mut out = HashSet::new();
        for table in ["releases", "record_compiled"] {
            let sql = format!(
                "SELECT DISTINCT r.ocid FROM {table} r JOIN inputs i ON i.id = r.input_id
                 WHERE i.source_id = ?1"
            );
            let mut stmt = self.conn.prepare(&sql).map_err(|e| self.sq(e))?;
            let rows = stmt
                .query_map(params![source], |r| r.get::<_, String>(0))
                .map_err(|e| self.sq(e))?;
            for ocid in rows {
                out.insert(ocid.map_err(|e| self.sq(e))?);
            }
        }
        Ok(out)
    }

    /// For each ocid, where its latest release (by date) came from, with that release's id;
    /// for ocids known only from a record's compiled release, where that record came from
    /// (and no release id).
    pub fn origins_of(
        &self,
        ocids: &[&str],
    ) -> Result<Vec<(String, Option<String>, Provenance)>, Error> {
        let mut out = Vec::new();
        let mut latest = self
            .conn
            .prepare_cached(
                "SELECT r.release_id, i.source_id, i.location, i.read_at
                 FROM releases r JOIN inputs i ON i.id = r.input_id
                 WHERE r.ocid = ?1 ORDER BY r.date DESC, r.id DESC LIMIT 1",
            )
            .map_err(|e| self.sq(e))?;
        let mut record = self
            .conn
            .prepare_cached(
                "SELECT NULL, i.source_id, i.location, i.read_at
                 FROM record_compiled r JOIN inputs i ON i.id = r.input_id
                 WHERE r.ocid = ?1 ORDER BY r.id DESC LIMIT 1",
            )
            .map_err(|e| self.sq(e))?;
        for ocid in ocids {
            let read = |r: &rusqlite::Row<'_>| {
                let provenance = Provenance {
                    source: r.get(1)?,
                    location: r.get(2)?,
                    fetched_at: r.get(3)?,
                };
                Ok(((*ocid).to_string(), r.get(0)?, provenance))
            };
            let found = match latest.query_row(params![ocid], read).optional() {
                Ok(Some(o)) => Some(o),
                Ok(None) => record
                    .query_row(params![ocid], read)
                    .optional()
                    .map_err(|e| self.sq(e))?,
                Err(e) => return Err(self.sq(e)),
            };
            out.extend(found);
        }
        Ok(out)
    }

    /// Where one release came from (its first stored copy).
    pub fn release_origin(&self, ocid: &str, release: &str) -> Result<Option<Provenance>, Error> {
        self.conn
            .prepare_cached(
                "SELECT i.source_id, i.location, i.read_at
                 FROM releases r JOIN inputs i ON i.id = r.input_id
                 WHERE r.ocid = ?1 AND r.release_id = ?2 ORDER BY r.id LIMIT 1",
            )
            .and_then(|mut stmt| {
                stmt.query_row(params![ocid, release], |r| {
                    Ok(Provenance {
                        source: r.get(0)?,
                        location: r.get(1)?,
                        fetched_at: r.get(2)?,
                    })
                })
                .optional()
            })
            .map_err(|e| self.sq(e))
    }

    /// Whether a local file with this size and modification time was read before with
    /// nothing quarantined.
    pub fn file_unchanged(
        &self,
        source_id: &str,
        location: &str,
        size: u64,
        modified_at: &str,
    ) -> Result<bool, Error> {
        self.conn
            .query_row(
                "SELECT 1 FROM inputs WHERE source_id = ?1 AND location = ?2 AND size = ?3
                 AND modified_at = ?4 AND status = 'ok' LIMIT 1",
                params![source_id, location, size as i64, modified_at],
                |_| Ok(()),
            )
            .optional()
            .map(|o| o.is_some())
            .map_err(|e| self.sq(e))
    }

    /// The documents this source's records link (http or https, without `#fragment`) that no
    /// input of the source has read yet, in order: what `fetch_linked` still has to fetch.
    pub fn links_to_fetch(&self, source_id: &str) -> Result<Vec<String>, Error> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT DISTINCT l.document FROM release_links l JOIN inputs i ON i.id = l.input_id
                 WHERE i.source_id = ?1 AND l.document IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM inputs j WHERE j.location = l.document
                                   AND j.status IN ('ok', 'partial'))
                 ORDER BY l.document",
            )
            .map_err(|e| self.sq(e))?;
        stmt.query_map(params![source_id], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.sq(e))
    }

    /// How many of an ocid's linked releases are not in the store: not read yet, or not
    /// readable at all (a link that is not an http(s) URL).
    pub fn unfetched_links(&self, ocid: &str) -> Result<u64, Error> {
        self.conn
            .prepare_cached(
                "SELECT COUNT(*) FROM release_links l WHERE l.ocid = ?1
                 AND (l.document IS NULL
                      OR NOT EXISTS (SELECT 1 FROM inputs j WHERE j.location = l.document
                                     AND j.status IN ('ok', 'partial')))",
            )
            .and_then(|mut s| s.query_row(params![ocid], |r| r.get::<_, i64>(0)))
            .map(|n| n as u64)
            .map_err(|e| self.sq(e))
    }

    /// Whether an input with this source, location and content was stored completely before.
    pub fn input_seen(&self, source_id: &str, location: &str, sha256: &str) -> Result<bool, Error> {
        self.conn
            .query_row(
                "SELECT 1 FROM inputs WHERE source_id = ?1 AND location = ?2 AND sha256 = ?3
                 AND status IN ('ok', 'partial') LIMIT 1",
                params![source_id, location, sha256],
                |_| Ok(()),
            )
            .optional()
            .map(|o| o.is_some())
            .map_err(|e| self.sq(e))
    }
}

/// Where a stored OC4IDS project came from.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Provenance {
    /// Source id.
    pub source: String,
    /// URL or path.
    pub location: String,
    /// When it was read.
    pub fetched_at: String,
}
