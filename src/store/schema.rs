//! The database's schema and how an older database reaches it: the current tables, and each
//! migration step since version 2, every step in one transaction with its `user_version` bump
//! (some steps run Rust: moving reference bytes out to files in version 7).

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

/// Schema version written to `PRAGMA user_version`.
pub(super) const SCHEMA_VERSION: i64 = 10;

/// Version 2: where each delivered image is and which model made it (the gallery across runs).
const MIGRATE_TO_2: &str = "
ALTER TABLE jobs ADD COLUMN image_path TEXT;
ALTER TABLE jobs ADD COLUMN model_used TEXT;
";

/// Version 3: each job's last diagnosis as JSON (the why-panel across runs).
const MIGRATE_TO_3: &str = "ALTER TABLE jobs ADD COLUMN diagnosis TEXT;";

/// Version 4: a diagnosis keeps a stand-in for each image instead of the whole answer. Earlier
/// versions stored whole answers (images included, megabytes a row): cut their `raw` text.
const MIGRATE_TO_4: &str = "
UPDATE jobs
SET diagnosis = json_set(diagnosis, '$.raw',
    substr(json_extract(diagnosis, '$.raw'), 1, 16384) || ' … (cut: Peel no longer keeps whole answers)')
WHERE length(diagnosis) > 65536 AND json_valid(diagnosis);
";

/// The full-text index of prompts (`jobs_fts`, its rowid the job's id), kept in step with `jobs`
/// by triggers. A spec that is not JSON indexes no prompt (and never fails the write).
pub(super) const FTS_SCHEMA: &str = "
CREATE VIRTUAL TABLE IF NOT EXISTS jobs_fts USING fts5(prompt, tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER IF NOT EXISTS jobs_fts_insert AFTER INSERT ON jobs BEGIN
    INSERT INTO jobs_fts (rowid, prompt)
    VALUES (new.id, CASE WHEN json_valid(new.spec) THEN json_extract(new.spec, '$.prompt') END);
END;
CREATE TRIGGER IF NOT EXISTS jobs_fts_update AFTER UPDATE OF spec ON jobs BEGIN
    DELETE FROM jobs_fts WHERE rowid = old.id;
    INSERT INTO jobs_fts (rowid, prompt)
    VALUES (new.id, CASE WHEN json_valid(new.spec) THEN json_extract(new.spec, '$.prompt') END);
END;
CREATE TRIGGER IF NOT EXISTS jobs_fts_delete AFTER DELETE ON jobs BEGIN
    DELETE FROM jobs_fts WHERE rowid = old.id;
END;
";

/// Version 5 (after [`FTS_SCHEMA`]): prompts searchable, filled from the jobs already kept.
///
/// From version 5 on, image paths are stored absolute ([`Store::set_image`]). Relative paths
/// stored earlier (`peel generate --out ./x`) are left as they are: the folder they were relative
/// to is not known, so they cannot be made absolute safely.
const MIGRATE_TO_5: &str = "
DELETE FROM jobs_fts;
INSERT INTO jobs_fts (rowid, prompt)
SELECT id, CASE WHEN json_valid(spec) THEN json_extract(spec, '$.prompt') END FROM jobs;
";

/// Version 6: who runs each job, and until when ([`crate::store::claims`]).
const MIGRATE_TO_6: &str = "
ALTER TABLE jobs ADD COLUMN owner TEXT;
ALTER TABLE jobs ADD COLUMN lease_until INTEGER;
";

/// Version 10 (issue 22, the workspace): a job can be starred (the column added only when
/// missing, so a database whose version was set back runs the step again safely), then
/// [`WORKSPACE_SCHEMA`].
fn migrate_to_10(transaction: &rusqlite::Transaction<'_>, _: &Path) -> rusqlite::Result<bool> {
    let has_starred: bool = transaction.query_row(
        "SELECT COUNT(*) > 0 FROM pragma_table_info('jobs') WHERE name = 'starred'",
        [],
        |row| row.get(0),
    )?;
    if !has_starred {
        transaction
            .execute_batch("ALTER TABLE jobs ADD COLUMN starred INTEGER NOT NULL DEFAULT 0;")?;
    }
    transaction.execute_batch(WORKSPACE_SCHEMA)?;
    Ok(false)
}

/// The workspace's tables (version 10): boards (named collections; a job may be on several) and
/// the prompt library (prompts and fragments of one, kept under a name). Also run on every open,
/// so a database of any version has them.
pub(super) const WORKSPACE_SCHEMA: &str = "
CREATE INDEX IF NOT EXISTS jobs_starred ON jobs(id) WHERE starred;
CREATE TABLE IF NOT EXISTS boards (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS board_jobs (
    board_id    INTEGER NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
    job_id      INTEGER NOT NULL REFERENCES jobs(id),
    added_at    TEXT NOT NULL,
    PRIMARY KEY (board_id, job_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS board_jobs_job ON board_jobs(job_id);
CREATE TABLE IF NOT EXISTS prompt_library (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    text        TEXT NOT NULL,
    kind        TEXT NOT NULL DEFAULT 'prompt',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
";

/// Version 9: who sent an attempt that has no answer yet ([`super::attempts`]). A database
/// without an `attempts` table (the first versions made it lazily) gets the whole table from the
/// current schema instead.
fn migrate_to_9(transaction: &rusqlite::Transaction<'_>, _: &Path) -> rusqlite::Result<bool> {
    let has_attempts: bool = transaction.query_row(
        "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'attempts'",
        [],
        |row| row.get(0),
    )?;
    let has_owner: bool = transaction.query_row(
        "SELECT COUNT(*) > 0 FROM pragma_table_info('attempts') WHERE name = 'owner'",
        [],
        |row| row.get(0),
    )?;
    if has_attempts && !has_owner {
        transaction.execute_batch("ALTER TABLE attempts ADD COLUMN owner TEXT;")?;
    }
    Ok(false)
}

/// Version 7: each reference's bytes move out of the job rows into `references/<sha256>.<ext>`
/// in the data folder, and edit histories keep stand-ins instead of embedded images
/// ([`crate::store::references`]), so a row no longer grows with its references.
fn migrate_to_7(
    transaction: &rusqlite::Transaction<'_>,
    data_dir: &Path,
) -> rusqlite::Result<bool> {
    // Only the ids first, then one row at a time: a long edit chain embedded every earlier
    // image, so all the specs at once could be the whole database in memory.
    let ids: Vec<i64> = {
        let mut statement = transaction.prepare(
            "SELECT id FROM jobs WHERE instr(spec, '\"base64\"') > 0 \
             OR instr(spec, '\"data\":\"') > 0",
        )?;
        statement
            .query_map([], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    let mut changed = false;
    for id in ids {
        let spec: String =
            transaction.query_row("SELECT spec FROM jobs WHERE id = ?1", [id], |row| {
                row.get(0)
            })?;
        let Ok(mut value) = serde_json::from_str::<serde_json::Value>(&spec) else {
            continue;
        };
        drop(spec);
        let moved = super::references::move_bytes_out(data_dir, &mut value)
            .map_err(|error| rusqlite::Error::ToSqlConversionFailure(Box::new(error)))?;
        if moved {
            transaction.execute(
                "UPDATE jobs SET spec = ?1 WHERE id = ?2",
                rusqlite::params![value.to_string(), id],
            )?;
            changed = true;
        }
    }
    Ok(changed)
}

/// A step written in Rust: it gets the transaction and the data folder, and says whether it
/// changed rows.
type MigrationCode = fn(&rusqlite::Transaction<'_>, &Path) -> rusqlite::Result<bool>;

/// One schema step: the statements that bring a database from the version before to `version`.
struct Migration {
    /// The version the step reaches.
    version: i64,
    /// Its statements, in order (run in one transaction with the `user_version` bump).
    sql: &'static [&'static str],
    /// Work SQL cannot do, run after `sql` in the same transaction.
    code: Option<MigrationCode>,
    /// Whether to give freed space back to the disk (`VACUUM`, after the commit) when the step
    /// changed rows.
    vacuum_if_changed: bool,
}

/// Every step, oldest first; a database runs the steps above its `user_version`.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 2,
        sql: &[MIGRATE_TO_2],
        code: None,
        vacuum_if_changed: false,
    },
    Migration {
        version: 3,
        sql: &[MIGRATE_TO_3],
        code: None,
        vacuum_if_changed: false,
    },
    Migration {
        version: 4,
        sql: &[MIGRATE_TO_4],
        code: None,
        vacuum_if_changed: true,
    },
    Migration {
        version: 5,
        sql: &[FTS_SCHEMA, MIGRATE_TO_5],
        code: None,
        vacuum_if_changed: false,
    },
    Migration {
        version: 6,
        sql: &[MIGRATE_TO_6],
        code: None,
        vacuum_if_changed: false,
    },
    Migration {
        version: 7,
        sql: &[],
        code: Some(migrate_to_7),
        vacuum_if_changed: true,
    },
    // --- Version 8 (issue 15, preflight): the name memory ([`super::name_memory`]). ---
    Migration {
        version: 8,
        sql: &[super::name_memory::NAME_MEMORY_SCHEMA],
        code: None,
        vacuum_if_changed: false,
    },
    // --- end of version 8 ---
    // Version 9 (issue 19): an attempt is written before its request leaves, owned by the process
    // that sends it ([`super::attempts`]), so an answer lost to a quit or a crash still shows.
    Migration {
        version: 9,
        sql: &[],
        code: Some(migrate_to_9),
        vacuum_if_changed: false,
    },
    // Version 10 (issue 22): stars, boards and the prompt library.
    Migration {
        version: 10,
        sql: &[],
        code: Some(migrate_to_10),
        vacuum_if_changed: false,
    },
];

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS jobs (
    id            INTEGER PRIMARY KEY,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    spec          TEXT NOT NULL,
    state         TEXT NOT NULL,
    parked_until  TEXT,
    reason        TEXT,
    image_path    TEXT,
    model_used    TEXT,
    diagnosis     TEXT,
    owner         TEXT,
    lease_until   INTEGER,
    starred       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
CREATE TABLE IF NOT EXISTS attempts (
    id            INTEGER PRIMARY KEY,
    job_id        INTEGER NOT NULL REFERENCES jobs(id),
    started_at    TEXT NOT NULL,
    duration_ms   INTEGER NOT NULL,
    model         TEXT NOT NULL,
    kind          TEXT NOT NULL,
    http_status   INTEGER,
    wait_s        REAL,
    wait_reason   TEXT,
    input_tokens  INTEGER,
    output_tokens INTEGER,
    cost_usd      REAL NOT NULL DEFAULT 0,
    owner         TEXT
);
CREATE INDEX IF NOT EXISTS attempts_job ON attempts(job_id);
CREATE TABLE IF NOT EXISTS rewrites (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    blocked  TEXT NOT NULL,
    passed   TEXT NOT NULL,
    names    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS lockouts (
    model   TEXT PRIMARY KEY,
    until   TEXT NOT NULL,
    reason  TEXT NOT NULL
);
";

/// Whether the database has a `jobs` table (a new file has none: it gets the current schema).
fn has_jobs_table(connection: &Connection) -> rusqlite::Result<bool> {
    connection.query_row(
        "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'jobs'",
        [],
        |row| row.get(0),
    )
}

/// The database's `user_version`.
pub(super) fn user_version(connection: &Connection) -> rusqlite::Result<i64> {
    connection.pragma_query_value(None, "user_version", |row| row.get(0))
}

/// Brings the database to [`SCHEMA_VERSION`]. Each step of [`MIGRATIONS`] and its `user_version`
/// bump run in one transaction, so a step that fails leaves the database as it was before that
/// step; then the current schema creates whatever is missing. A database a newer Peel wrote keeps
/// its higher version.
pub(super) fn migrate(connection: &mut Connection, data_dir: &Path) -> rusqlite::Result<()> {
    let start = user_version(connection)?;
    if has_jobs_table(connection)? {
        for step in MIGRATIONS.iter().filter(|step| step.version > start) {
            let transaction =
                connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            // Read again inside the transaction: another Peel may have just migrated.
            if user_version(&transaction)? >= step.version {
                continue;
            }
            let mut changed = false;
            for sql in step.sql {
                transaction.execute_batch(sql)?;
                changed |= transaction.changes() > 0;
            }
            if let Some(code) = step.code {
                changed |= code(&transaction, data_dir)?;
            }
            transaction.pragma_update(None, "user_version", step.version)?;
            transaction.commit()?;
            if step.vacuum_if_changed && changed {
                // Give the freed space back to the disk (VACUUM cannot run in a transaction).
                connection.execute_batch("VACUUM;")?;
            }
        }
    }
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    transaction.execute_batch(SCHEMA)?;
    transaction.execute_batch(FTS_SCHEMA)?;
    transaction.execute_batch(super::name_memory::NAME_MEMORY_SCHEMA)?;
    transaction.execute_batch(WORKSPACE_SCHEMA)?;
    if user_version(&transaction)? < SCHEMA_VERSION {
        transaction.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    }
    transaction.commit()
}
