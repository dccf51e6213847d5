//! Versioned migrations. Each entry upgrades the schema by one version, inside a transaction;
//! `PRAGMA user_version` records how far a database has come. Never edit a released entry:
//! add a new one.

use std::path::Path;

use rusqlite::Connection;

use super::Error;

const MIGRATIONS: &[&str] = &[
    // 1: inputs, releases, records' compiled releases, conflicts, quarantine, runs, compiled.
    "
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL,
        report TEXT
    );
    CREATE TABLE inputs (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        source_id TEXT NOT NULL,
        location TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        modified_at TEXT,
        read_at TEXT NOT NULL,
        format TEXT,
        items INTEGER,
        status TEXT NOT NULL
    );
    CREATE TABLE releases (
        id INTEGER PRIMARY KEY,
        ocid TEXT NOT NULL,
        release_id TEXT NOT NULL,
        hash TEXT NOT NULL,
        date TEXT,
        data TEXT NOT NULL,
        input_id INTEGER NOT NULL REFERENCES inputs(id),
        run_id INTEGER NOT NULL REFERENCES runs(id),
        UNIQUE (ocid, release_id, hash)
    );
    CREATE INDEX releases_run ON releases(run_id);
    CREATE TABLE record_compiled (
        id INTEGER PRIMARY KEY,
        ocid TEXT NOT NULL,
        hash TEXT NOT NULL,
        data TEXT NOT NULL,
        input_id INTEGER NOT NULL REFERENCES inputs(id),
        run_id INTEGER NOT NULL REFERENCES runs(id),
        UNIQUE (ocid, hash)
    );
    CREATE TABLE conflicts (
        id INTEGER PRIMARY KEY,
        ocid TEXT NOT NULL,
        release_id TEXT NOT NULL,
        hash TEXT NOT NULL,
        input_id INTEGER NOT NULL REFERENCES inputs(id),
        run_id INTEGER NOT NULL REFERENCES runs(id),
        UNIQUE (ocid, release_id, hash)
    );
    CREATE TABLE quarantine (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        source_id TEXT NOT NULL,
        location TEXT NOT NULL,
        line INTEGER,
        byte_offset INTEGER,
        reason TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE TABLE compiled (
        ocid TEXT PRIMARY KEY,
        planning_project_id TEXT,
        data TEXT NOT NULL,
        history TEXT,
        releases INTEGER NOT NULL,
        run_id INTEGER NOT NULL REFERENCES runs(id)
    );
    CREATE INDEX compiled_project ON compiled(planning_project_id);
    ",
    // 2: HTTP sources: the status of each page, a checkpoint per source, OC4IDS projects.
    "
    ALTER TABLE inputs ADD COLUMN http_status INTEGER;
    CREATE INDEX inputs_source ON inputs(source_id);
    CREATE INDEX releases_input ON releases(input_id);
    CREATE TABLE checkpoints (
        source_id TEXT PRIMARY KEY,
        cursor TEXT NOT NULL,
        newest_release TEXT,
        last_good_fetch TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE oc4ids_projects (
        id INTEGER PRIMARY KEY,
        source_id TEXT NOT NULL,
        project_id TEXT NOT NULL,
        hash TEXT NOT NULL,
        data TEXT NOT NULL,
        input_id INTEGER NOT NULL REFERENCES inputs(id),
        run_id INTEGER NOT NULL REFERENCES runs(id),
        UNIQUE (source_id, project_id)
    );
    ",
    // 3: which runs finished compiling. Releases stored by a run that was killed before its
    // compile ended are compiled by the next run, whatever run stored them.
    "
    ALTER TABLE runs ADD COLUMN compiled INTEGER NOT NULL DEFAULT 0;
    UPDATE runs SET compiled = 1 WHERE status IN ('ok', 'partial');
    ",
    // 4: score history: every run's entity and project scores, for trends and the change
    // since the previous run.
    "
    CREATE TABLE entity_scores (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        entity TEXT NOT NULL,
        name TEXT NOT NULL,
        score REAL NOT NULL,
        projects INTEGER NOT NULL,
        PRIMARY KEY (run_id, entity)
    );
    CREATE TABLE project_scores (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        project TEXT NOT NULL,
        entity TEXT NOT NULL,
        score REAL NOT NULL,
        stage TEXT NOT NULL,
        PRIMARY KEY (run_id, project)
    );
    CREATE INDEX project_scores_project ON project_scores(project);
    ",
    // 5: where releases can be found again: the `uri` of the package each input held (a
    // release's address is that uri, `#`, its id), and the linked releases of records, which
    // carry no data but are the record's list of its releases (`document`: the http(s) URL a
    // link's release is fetched from, without its `#fragment`; null when it cannot be).
    "
    ALTER TABLE inputs ADD COLUMN package_uri TEXT;
    CREATE TABLE release_links (
        id INTEGER PRIMARY KEY,
        ocid TEXT NOT NULL,
        url TEXT NOT NULL,
        document TEXT,
        date TEXT,
        tag TEXT,
        input_id INTEGER NOT NULL REFERENCES inputs(id),
        run_id INTEGER NOT NULL REFERENCES runs(id),
        UNIQUE (ocid, url)
    );
    CREATE INDEX inputs_location ON inputs(location);
    ",
    // 6: each published project's input fingerprint and tally (written when it is made) and
    // where its files went (written every run), so that an unchanged project is taken from
    // the published output rather than made again.
    "
    CREATE TABLE kept_tallies (
        key TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        tally BLOB NOT NULL
    );
    CREATE TABLE kept_stamps (
        key TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        stamp TEXT NOT NULL,
        run_id INTEGER NOT NULL
    );
    ",
    // 7: a project with no score (nothing it must publish proactively is due, or all of it
    // weighs 0) keeps NULL in the history, not 0: 0 means it disclosed nothing. The rows stored
    // before keep their 0 (which projects had no score was not recorded).
    "
    CREATE TABLE project_scores_7 (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        project TEXT NOT NULL,
        entity TEXT NOT NULL,
        score REAL,
        stage TEXT NOT NULL,
        PRIMARY KEY (run_id, project)
    );
    INSERT INTO project_scores_7 (run_id, project, entity, score, stage)
        SELECT run_id, project, entity, score, stage FROM project_scores;
    DROP TABLE project_scores;
    ALTER TABLE project_scores_7 RENAME TO project_scores;
    CREATE INDEX project_scores_project ON project_scores(project);
    ",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub(super) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), Error> {
    let sq = |source| Error::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    let current: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(sq)?;
    if current > SCHEMA_VERSION {
        return Err(Error::TooNew {
            path: path.to_path_buf(),
            found: current,
            known: SCHEMA_VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction().map_err(sq)?;
        tx.execute_batch(sql).map_err(sq)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)
            .map_err(sq)?;
        tx.commit().map_err(sq)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_of_version_6_keeps_its_project_history_and_takes_missing_scores() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.sqlite");
        let mut conn = Connection::open(&path).expect("open");
        for sql in &MIGRATIONS[..6] {
            conn.execute_batch(sql).expect("older schema");
        }
        conn.pragma_update(None, "user_version", 6)
            .expect("version");
        conn.execute_batch(
            "INSERT INTO runs (id, started_at, status) VALUES (1, '2025-01-01T00:00:00Z', 'ok');
             INSERT INTO project_scores VALUES (1, 'p1', 'e1', 62.5, 'implementation');",
        )
        .expect("a run's history");
        migrate(&mut conn, &path).expect("migrate");
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(version, SCHEMA_VERSION);
        conn.execute(
            "INSERT INTO project_scores VALUES (1, 'p2', 'e1', NULL, 'procurement')",
            [],
        )
        .expect("a project with no score");
        let rows: Vec<(String, Option<f64>)> = conn
            .prepare("SELECT project, score FROM project_scores ORDER BY project")
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(rows, [("p1".into(), Some(62.5)), ("p2".into(), None)]);
        // The index on the project is there again.
        let indexed: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'project_scores_project'",
                [],
                |r| r.get(0),
            )
            .expect("index");
        assert_eq!(indexed, 1);
    }
}
