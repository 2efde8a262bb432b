//! The SQLite database (bundled SQLite, WAL journal): the durable job queue, every attempt, and
//! model lockouts (a daily quota used up: no request to that model until the reset, across runs).
//!
//! Synchronous by design (rusqlite); async code calls it through `spawn_blocking`.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension as _, params};
use serde::{Deserialize, Serialize};

use super::schema::migrate;
use crate::job::{AttemptRecord, Job, JobId, JobSpec, JobState};

/// A rewrite that got a blocked prompt through: the pair, and the names it replaced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RememberedRewrite {
    /// The prompt that was blocked.
    pub blocked: String,
    /// The rewrite that passed.
    pub passed: String,
    /// The names (as the names file spells them) found in the blocked prompt.
    pub names: Vec<String>,
}

/// Database failures, with what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or used.
    #[error(
        "Peel's database at {path} could not be used: {source}. Check the folder's permissions and free space."
    )]
    Sqlite {
        /// The file.
        path: String,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The data folder could not be created.
    #[error("Peel's data folder {path} could not be created: {source}.")]
    Folder {
        /// The folder.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The task that ran the database call ended before it answered.
    #[error("Peel's database call was interrupted ({0}). Try again; your jobs are safe on disk.")]
    Interrupted(String),
}

/// The database.
#[derive(Debug)]
pub struct Store {
    path: String,
    connection: Mutex<Connection>,
}

fn ts(value: Option<String>) -> Option<Timestamp> {
    value.and_then(|text| text.parse().ok())
}

/// The columns [`job_from_row`] reads.
pub(super) const JOB_COLUMNS: &str =
    "id, created_at, spec, state, parked_until, reason, image_path, model_used, diagnosis, starred";

/// A row of [`JOB_COLUMNS`] → a job (its attempts and boards not loaded); `None` when its spec
/// does not read (a row no version of Peel could run).
fn job_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Option<Job>> {
    let id: i64 = row.get(0)?;
    let Ok(spec) = serde_json::from_str::<JobSpec>(&row.get::<_, String>(2)?) else {
        tracing::warn!("job {id} has settings Peel cannot read; it is left out");
        return Ok(None);
    };
    Ok(Some(Job {
        id,
        created_at: ts(row.get(1)?).unwrap_or(Timestamp::UNIX_EPOCH),
        spec,
        state: JobState::parse(&row.get::<_, String>(3)?),
        parked_until: ts(row.get(4)?),
        reason: row.get(5)?,
        image_path: row.get::<_, Option<String>>(6)?.map(PathBuf::from),
        model_used: row.get(7)?,
        diagnosis: row
            .get::<_, Option<String>>(8)?
            .and_then(|json| serde_json::from_str(&json).ok()),
        attempts: Vec::new(),
        starred: row.get(9)?,
        boards: Vec::new(),
    }))
}

/// The jobs a query of [`JOB_COLUMNS`] finds.
pub(super) fn jobs_of(
    connection: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<Vec<Job>> {
    let mut statement = connection.prepare(sql)?;
    let rows = statement.query_map(params, job_from_row)?;
    rows.filter_map(Result::transpose).collect()
}

/// A job's attempts, oldest first.
pub(super) fn attempts_of(
    connection: &Connection,
    job_id: i64,
) -> rusqlite::Result<Vec<AttemptRecord>> {
    let mut statement = connection.prepare(
        "SELECT started_at, duration_ms, model, kind, http_status, wait_s, wait_reason,
                input_tokens, output_tokens, cost_usd FROM attempts WHERE job_id = ?1 ORDER BY id",
    )?;
    let rows = statement.query_map(params![job_id], |row| {
        Ok(AttemptRecord {
            started_at: ts(row.get(0)?).unwrap_or(Timestamp::UNIX_EPOCH),
            duration_ms: u64::try_from(row.get::<_, i64>(1)?).unwrap_or(0),
            model: row.get(2)?,
            kind: row.get(3)?,
            http_status: row.get(4)?,
            wait_s: row.get(5)?,
            wait_reason: row.get(6)?,
            input_tokens: row
                .get::<_, Option<i64>>(7)?
                .and_then(|n| u64::try_from(n).ok()),
            output_tokens: row
                .get::<_, Option<i64>>(8)?
                .and_then(|n| u64::try_from(n).ok()),
            cost_usd: row.get(9)?,
        })
    })?;
    rows.collect()
}

impl Store {
    /// The data folder: where the database lives, and with it the kept turns and images.
    pub fn data_dir(&self) -> std::path::PathBuf {
        Path::new(&self.path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf()
    }

    /// Opens (and creates or migrates) the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder).map_err(|source| StoreError::Folder {
                path: folder.display().to_string(),
                source,
            })?;
        }
        let name = path.display().to_string();
        let wrap = |source| StoreError::Sqlite {
            path: name.clone(),
            source,
        };
        let mut connection = Connection::open(path).map_err(wrap)?;
        connection
            .busy_timeout(std::time::Duration::from_secs(5))
            .map_err(wrap)?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
            )
            .map_err(wrap)?;
        let data_dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        migrate(&mut connection, data_dir).map_err(wrap)?;
        Ok(Store {
            path: name,
            connection: Mutex::new(connection),
        })
    }

    pub(super) fn with<T>(
        &self,
        action: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let connection = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        action(&connection).map_err(|source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        })
    }

    /// Adds a queued job; returns its id.
    pub fn enqueue(&self, spec_json: &str, now: Timestamp) -> Result<i64, StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO jobs (created_at, updated_at, spec, state) VALUES (?1, ?1, ?2, 'queued')",
                params![now.to_string(), spec_json],
            )?;
            Ok(c.last_insert_rowid())
        })
    }

    /// Moves a job to `state`. A deleted job never changes again, and a cancelled one only to
    /// delivered (an answer already paid for when the cancel came is kept) or deleted: nothing
    /// un-cancels a job but [`Store::retry_job`], the designer's own Retry.
    pub fn set_state(
        &self,
        id: i64,
        state: JobState,
        parked_until: Option<Timestamp>,
        reason: Option<&str>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE jobs SET state = ?2, parked_until = ?3, reason = ?4, updated_at = ?5
                 WHERE id = ?1 AND state != 'deleted'
                   AND (state != 'cancelled' OR ?2 IN ('done', 'deleted'))",
                params![
                    id,
                    state.as_str(),
                    parked_until.map(|t| t.to_string()),
                    reason,
                    now.to_string()
                ],
            )?;
            Ok(())
        })
    }

    /// One job (with its boards; its attempts not loaded).
    pub fn job(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        self.with(|c| {
            let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1");
            let mut jobs = jobs_of(c, &sql, params![id])?;
            super::boards::fill_boards(c, &mut jobs)?;
            Ok(jobs.pop())
        })
    }

    /// Jobs that have not finished (queued, running when Peel stopped, parked), oldest first.
    pub fn unfinished_jobs(&self) -> Result<Vec<Job>, StoreError> {
        self.with(|c| {
            let sql = format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE state IN ('queued', 'running', 'parked') ORDER BY id"
            );
            jobs_of(c, &sql, [])
        })
    }

    /// Records where a delivered job's image is and which model made it. The path is stored
    /// absolute (relative to this process's working folder), so any Peel started anywhere finds
    /// (and deletes) the right file.
    pub fn set_image(&self, id: i64, image_path: &str, model: &str) -> Result<(), StoreError> {
        let image_path = std::path::absolute(image_path)
            .map_or_else(|_| image_path.to_owned(), |path| path.display().to_string());
        self.with(|c| {
            c.execute(
                "UPDATE jobs SET image_path = ?2, model_used = ?3 WHERE id = ?1 AND state != 'deleted'",
                params![id, image_path, model],
            )?;
            Ok(())
        })
    }

    /// Records a job's delivery in one transaction: delivered, where its image is (stored
    /// absolute, as [`Store::set_image`] does) and which model made it, all or nothing. Returns
    /// whether the job had been deleted meanwhile (then nothing changes: the caller removes the
    /// files).
    pub fn record_delivery(
        &self,
        id: JobId,
        image_path: &str,
        model: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let image_path = std::path::absolute(image_path)
            .map_or_else(|_| image_path.to_owned(), |path| path.display().to_string());
        self.with(|c| {
            let transaction = c.unchecked_transaction()?;
            let changed = transaction.execute(
                "UPDATE jobs SET state = 'done', parked_until = NULL, reason = NULL,
                        image_path = ?2, model_used = ?3, updated_at = ?4
                 WHERE id = ?1 AND state != 'deleted'",
                params![id, image_path, model, now.to_string()],
            )?;
            transaction.commit()?;
            Ok(changed == 0)
        })
    }

    /// Whether the job was deleted (a deleted job never changes again).
    pub fn is_deleted(&self, id: i64) -> Result<bool, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT state = 'deleted' FROM jobs WHERE id = ?1",
                params![id],
                |row| row.get(0),
            )
            .optional()
            .map(|deleted| deleted.unwrap_or(false))
        })
    }

    /// A job's last diagnosis as stored (JSON).
    pub fn diagnosis_json(&self, id: JobId) -> Result<Option<String>, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT diagnosis FROM jobs WHERE id = ?1",
                params![id],
                |row| row.get(0),
            )
            .optional()
            .map(Option::flatten)
        })
    }

    /// Keeps a job's last diagnosis (JSON) for the why-panel of a later run.
    pub fn set_diagnosis(&self, id: i64, diagnosis_json: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE jobs SET diagnosis = ?2 WHERE id = ?1 AND state != 'deleted'",
                params![id, diagnosis_json],
            )?;
            Ok(())
        })
    }

    /// Remembers that `rewrite.passed` got through where `rewrite.blocked` did not.
    pub fn remember_rewrite(
        &self,
        rewrite: &RememberedRewrite,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO rewrites (at, blocked, passed, names) VALUES (?1, ?2, ?3, ?4)",
                params![
                    now.to_string(),
                    rewrite.blocked,
                    rewrite.passed,
                    rewrite.names.join("\n")
                ],
            )?;
            Ok(())
        })
    }

    /// The newest `limit` remembered rewrites, newest first.
    pub fn remembered_rewrites(&self, limit: usize) -> Result<Vec<RememberedRewrite>, StoreError> {
        self.with(|c| {
            let mut statement =
                c.prepare("SELECT blocked, passed, names FROM rewrites ORDER BY id DESC LIMIT ?1")?;
            let rows =
                statement.query_map(params![i64::try_from(limit).unwrap_or(i64::MAX)], |row| {
                    let names: String = row.get(2)?;
                    Ok(RememberedRewrite {
                        blocked: row.get(0)?,
                        passed: row.get(1)?,
                        names: names
                            .split('\n')
                            .filter(|n| !n.is_empty())
                            .map(str::to_owned)
                            .collect(),
                    })
                })?;
            rows.collect()
        })
    }

    /// The highest job id so far (0 when there is none).
    pub fn max_job_id(&self) -> Result<i64, StoreError> {
        self.with(|c| {
            c.query_row("SELECT COALESCE(MAX(id), 0) FROM jobs", [], |row| {
                row.get(0)
            })
        })
    }

    /// The newest `limit` jobs that were not deleted, newest first (the gallery at start), with
    /// their attempts and boards.
    pub fn recent_jobs(&self, limit: usize) -> Result<Vec<Job>, StoreError> {
        self.with(|c| {
            let sql = format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE state != 'deleted' ORDER BY id DESC LIMIT ?1"
            );
            let mut jobs = jobs_of(c, &sql, params![i64::try_from(limit).unwrap_or(i64::MAX)])?;
            for job in &mut jobs {
                job.attempts = attempts_of(c, job.id)?;
            }
            super::boards::fill_boards(c, &mut jobs)?;
            Ok(jobs)
        })
    }

    /// The saved image and model of a job, when it was delivered.
    pub fn image_of(&self, id: i64) -> Result<Option<(String, String)>, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT image_path, model_used FROM jobs WHERE id = ?1 AND image_path IS NOT NULL",
                params![id],
                |row| {
                    Ok((
                        row.get(0)?,
                        row.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    ))
                },
            )
            .optional()
        })
    }

    /// Records an answered attempt of a job at once (the engine writes each attempt before its
    /// request leaves instead: [`Store::begin_attempt`], then [`Store::settle_attempt`]).
    pub fn record_attempt(&self, job_id: i64, attempt: &AttemptRecord) -> Result<(), StoreError> {
        let id = self.with(|c| {
            c.execute(
                "INSERT INTO attempts (job_id, started_at, duration_ms, model, kind)
                 VALUES (?1, ?2, 0, ?3, ?4)",
                params![
                    job_id,
                    attempt.started_at.to_string(),
                    attempt.model,
                    attempt.kind
                ],
            )?;
            Ok(c.last_insert_rowid())
        })?;
        self.settle_attempt(id, attempt)
    }

    /// Attempts of a job, in order.
    pub fn attempts(&self, job_id: JobId) -> Result<Vec<AttemptRecord>, StoreError> {
        self.with(|c| attempts_of(c, job_id))
    }

    /// Dollars spent by attempts started at or after `since`.
    pub fn spend_since(&self, since: Timestamp) -> Result<f64, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT COALESCE(SUM(cost_usd), 0) FROM attempts WHERE started_at >= ?1",
                params![since.to_string()],
                |row| row.get(0),
            )
        })
    }

    /// The model and start of every attempt that reached the server (an HTTP status came back,
    /// or it was sent and its answer is pending, lost or cancelled) at or after `since`, oldest
    /// first: what Google counts against the rate limits. Attempts that never got an answer for
    /// want of a connection are not counted.
    pub fn sent_attempts_since(
        &self,
        since: Timestamp,
    ) -> Result<Vec<(String, Timestamp)>, StoreError> {
        // `started_at` is RFC 3339 text, where "…:00.5Z" sorts before "…:00Z": ask from a second
        // earlier, then compare the parsed times.
        let earlier = since
            .checked_sub(jiff::SignedDuration::from_secs(1))
            .unwrap_or(since);
        let rows: Vec<(String, Option<String>)> = self.with(|c| {
            let mut statement = c.prepare(
                "SELECT model, started_at FROM attempts
                 WHERE started_at >= ?1
                   AND (http_status IS NOT NULL OR kind IN (?2, ?3, ?4))
                 ORDER BY started_at, id",
            )?;
            statement
                .query_map(
                    params![
                        earlier.to_string(),
                        crate::job::ATTEMPT_IN_FLIGHT,
                        crate::job::ATTEMPT_ANSWER_LOST,
                        crate::job::ATTEMPT_CANCELLED_IN_FLIGHT
                    ],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )?
                .collect()
        })?;
        let mut sent: Vec<(String, Timestamp)> = rows
            .into_iter()
            .filter_map(|(model, at)| ts(at).map(|at| (model, at)))
            .filter(|(_, at)| *at >= since)
            .collect();
        sent.sort_by_key(|(_, at)| *at);
        Ok(sent)
    }

    /// Locks a model out until `until` (a daily quota).
    pub fn set_lockout(
        &self,
        model: &str,
        until: Timestamp,
        reason: &str,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO lockouts (model, until, reason) VALUES (?1, ?2, ?3)
                 ON CONFLICT(model) DO UPDATE SET until = excluded.until, reason = excluded.reason",
                params![model, until.to_string(), reason],
            )?;
            Ok(())
        })
    }

    /// When a model's lockout ends, if it is locked out at `now`.
    pub fn lockout(&self, model: &str, now: Timestamp) -> Result<Option<Timestamp>, StoreError> {
        let until: Option<String> = self.with(|c| {
            c.query_row(
                "SELECT until FROM lockouts WHERE model = ?1",
                params![model],
                |row| row.get(0),
            )
            .optional()
        })?;
        Ok(ts(until).filter(|until| *until > now))
    }
}

#[cfg(test)]
mod tests {
    use super::super::schema::{FTS_SCHEMA, SCHEMA_VERSION, user_version};
    use super::*;

    fn temp_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("data/peel.db")).unwrap();
        (dir, store)
    }

    #[test]
    fn jobs_survive_reopening() {
        let (dir, store) = temp_store();
        let now: Timestamp = "2026-11-27T12:00:00Z".parse().unwrap();
        let id = store.enqueue(r#"{"prompt":"a fox"}"#, now).unwrap();
        store
            .set_state(id, JobState::Running, None, None, now)
            .unwrap();
        drop(store);
        let again = Store::open(&dir.path().join("data/peel.db")).unwrap();
        let unfinished = again.unfinished_jobs().unwrap();
        assert_eq!(unfinished.len(), 1);
        assert_eq!(unfinished[0].state, JobState::Running);
        assert_eq!(unfinished[0].spec.prompt, "a fox");
        again
            .set_state(id, JobState::Delivered, None, None, now)
            .unwrap();
        assert!(again.unfinished_jobs().unwrap().is_empty());
    }

    #[test]
    fn delivered_images_are_listed_newest_first_and_deleted_ones_are_not() {
        let (_dir, store) = temp_store();
        let now: Timestamp = "2026-11-27T12:00:00Z".parse().unwrap();
        let first = store.enqueue(r#"{"prompt":"one"}"#, now).unwrap();
        let second = store.enqueue(r#"{"prompt":"two"}"#, now).unwrap();
        let third = store.enqueue(r#"{"prompt":"three"}"#, now).unwrap();
        store
            .set_state(first, JobState::Delivered, None, None, now)
            .unwrap();
        store
            .set_image(first, "/images/peel-1.jpg", "gemini-3-pro-image")
            .unwrap();
        store.set_diagnosis(first, r#"{"kind":"success"}"#).unwrap();
        store
            .set_state(third, JobState::Deleted, None, None, now)
            .unwrap();
        let listed = store.recent_jobs(10).unwrap();
        assert_eq!(
            listed.iter().map(|j| j.id).collect::<Vec<_>>(),
            vec![second, first]
        );
        assert_eq!(
            listed[1].image_path.as_deref(),
            Some(Path::new("/images/peel-1.jpg"))
        );
        assert_eq!(listed[1].created_at, now);
        assert_eq!(
            store.diagnosis_json(first).unwrap().as_deref(),
            Some(r#"{"kind":"success"}"#)
        );
        assert_eq!(
            store.image_of(first).unwrap(),
            Some((
                "/images/peel-1.jpg".to_owned(),
                "gemini-3-pro-image".to_owned()
            ))
        );
        assert_eq!(store.image_of(second).unwrap(), None);
        assert_eq!(store.recent_jobs(1).unwrap().len(), 1);
    }

    #[test]
    fn rewrites_that_passed_are_remembered_newest_first() {
        let (_dir, store) = temp_store();
        let now: Timestamp = "2026-11-27T12:00:00Z".parse().unwrap();
        for (blocked, passed) in [("Elsa", "a woman in blue"), ("Mario", "a plumber")] {
            store
                .remember_rewrite(
                    &RememberedRewrite {
                        blocked: blocked.to_owned(),
                        passed: passed.to_owned(),
                        names: vec![blocked.to_owned()],
                    },
                    now,
                )
                .unwrap();
        }
        let remembered = store.remembered_rewrites(10).unwrap();
        assert_eq!(remembered.len(), 2);
        assert_eq!(remembered[0].blocked, "Mario");
        assert_eq!(remembered[1].names, vec!["Elsa".to_owned()]);
    }

    #[test]
    fn version_7_moves_embedded_reference_bytes_out_to_one_file_each() {
        use base64::Engine as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("peel.db");
        let photo = vec![7_u8; 300_000];
        let encoded = base64::engine::general_purpose::STANDARD.encode(&photo);
        {
            let store = Store::open(&path).unwrap();
            let old_reference = serde_json::json!({"mime_type": "image/jpeg", "base64": encoded});
            let first = serde_json::json!({"prompt": "a fox", "references": [old_reference]});
            let edit = serde_json::json!({
                "prompt": "warmer", "edit_of": 1,
                "history": [{"role": "user", "parts": [
                    {"text": "a fox"},
                    {"inlineData": {"mimeType": "image/jpeg", "data": encoded}}
                ]}]
            });
            for spec in [first, edit] {
                store.enqueue(&spec.to_string(), Timestamp::now()).unwrap();
            }
            store
                .with(|c| c.pragma_update(None, "user_version", 6))
                .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.with(user_version).unwrap(), SCHEMA_VERSION);
        let first = store.job(1).unwrap().unwrap();
        let reference = &first.spec.references[0];
        assert_eq!(reference.size_bytes, 300_000);
        let kept = crate::store::references::read_reference(dir.path(), reference).unwrap();
        assert_eq!(kept, photo);
        let edit = store.job(2).unwrap().unwrap();
        let resolved = crate::store::turns::resolve(&edit.spec.history).unwrap();
        assert_eq!(
            resolved[0].parts[1].inline_data.as_ref().unwrap().data,
            encoded
        );
        let longest: usize = store
            .with(|c| c.query_row("SELECT max(length(spec)) FROM jobs", [], |row| row.get(0)))
            .unwrap();
        assert!(longest < 2_000, "a row still holds {longest} bytes");
        let files = std::fs::read_dir(dir.path().join("references"))
            .unwrap()
            .count();
        assert_eq!(files, 1, "the same bytes are kept once");
    }

    #[test]
    fn a_version_1_database_is_migrated_without_losing_jobs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("peel.db");
        {
            let old = Connection::open(&path).unwrap();
            old.execute_batch(
                "CREATE TABLE jobs (id INTEGER PRIMARY KEY, created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL, spec TEXT NOT NULL, state TEXT NOT NULL,
                    parked_until TEXT, reason TEXT);
                 INSERT INTO jobs (created_at, updated_at, spec, state)
                    VALUES ('2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z', '{}', 'queued');
                 PRAGMA user_version = 1;",
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.unfinished_jobs().unwrap().len(), 1);
        store.set_image(1, "/images/a.png", "m").unwrap();
        assert_eq!(
            store.recent_jobs(5).unwrap()[0].image_path.as_deref(),
            Some(Path::new("/images/a.png"))
        );
        store.set_diagnosis(1, "{}").unwrap();
        drop(store);
        // Opening again (already at the latest version) must not try to add the columns twice.
        assert!(Store::open(&path).is_ok());
    }

    #[test]
    fn whole_answers_stored_by_version_3_are_cut_and_the_space_returned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("peel.db");
        let image = "QUJD".repeat(1_000_000);
        old_database(&path, 3);
        {
            let old = Connection::open(&path).unwrap();
            let diagnosis =
                serde_json::json!({"kind": "success", "raw": format!("{{\"data\":\"{image}\"}}")});
            old.execute(
                "UPDATE jobs SET diagnosis = ?1 WHERE id = 1",
                params![diagnosis.to_string()],
            )
            .unwrap();
        }
        let before = std::fs::metadata(&path).unwrap().len();
        let store = Store::open(&path).unwrap();
        let id = store.recent_jobs(1).unwrap()[0].id;
        let kept = store.diagnosis_json(id).unwrap().unwrap();
        assert!(kept.len() < 64 * 1024, "{}", kept.len());
        let kept: serde_json::Value = serde_json::from_str(&kept).unwrap();
        assert_eq!(kept["kind"], "success");
        assert!(
            kept["raw"]
                .as_str()
                .unwrap()
                .ends_with("no longer keeps whole answers)")
        );
        drop(store);
        let after = std::fs::metadata(&path).unwrap().len();
        assert!(after < before / 4, "{before} -> {after} bytes");
    }

    #[test]
    fn a_delivery_is_recorded_whole_and_never_over_a_deleted_job() {
        let (_dir, store) = temp_store();
        let now: Timestamp = "2026-12-06T12:00:00Z".parse().unwrap();
        let id = store.enqueue("{}", now).unwrap();
        store
            .set_state(id, JobState::Parked, Some(now), Some("held"), now)
            .unwrap();
        assert!(
            !store
                .record_delivery(id, "/tmp/peel-1.jpg", "m", now)
                .unwrap()
        );
        let job = store.job(id).unwrap().unwrap();
        assert_eq!(job.state, JobState::Delivered);
        assert_eq!(
            job.image_path.as_deref(),
            Some(Path::new("/tmp/peel-1.jpg"))
        );
        assert_eq!(
            (job.model_used.as_deref(), job.reason, job.parked_until),
            (Some("m"), None, None)
        );

        let gone = store.enqueue("{}", now).unwrap();
        store
            .set_state(gone, JobState::Deleted, None, None, now)
            .unwrap();
        assert!(
            store
                .record_delivery(gone, "/tmp/peel-2.jpg", "m", now)
                .unwrap()
        );
        let job = store.job(gone).unwrap().unwrap();
        assert_eq!((job.state, job.image_path), (JobState::Deleted, None));
    }

    #[test]
    fn attempts_spend_and_lockouts() {
        let (_dir, store) = temp_store();
        let now: Timestamp = "2026-11-27T12:00:00Z".parse().unwrap();
        let id = store.enqueue("{}", now).unwrap();
        let attempt = AttemptRecord {
            started_at: now,
            duration_ms: 1200,
            model: "gemini-3-pro-image".to_owned(),
            kind: "success".to_owned(),
            http_status: Some(200),
            wait_s: None,
            wait_reason: None,
            input_tokens: Some(10),
            output_tokens: Some(1120),
            cost_usd: 0.134,
        };
        store.record_attempt(id, &attempt).unwrap();
        assert_eq!(store.attempts(id).unwrap(), [attempt]);
        assert!(
            (store
                .spend_since("2026-11-27T08:00:00Z".parse().unwrap())
                .unwrap()
                - 0.134)
                .abs()
                < 1e-9
        );

        let reset: Timestamp = "2026-11-28T08:00:00Z".parse().unwrap();
        store
            .set_lockout("gemini-3-pro-image", reset, "daily quota")
            .unwrap();
        assert_eq!(
            store.lockout("gemini-3-pro-image", now).unwrap(),
            Some(reset)
        );
        assert_eq!(
            store.lockout("gemini-3-pro-image", reset).unwrap(),
            None,
            "over at the reset"
        );
        assert_eq!(store.lockout("gemini-3.1-flash-image", now).unwrap(), None);
    }

    #[test]
    fn sent_attempts_are_those_that_reached_the_server_since_a_time() {
        let (_dir, store) = temp_store();
        let since: Timestamp = "2026-11-27T08:00:00Z".parse().unwrap();
        let id = store.enqueue("{}", since).unwrap();
        let attempt = |at: &str, model: &str, http_status: Option<u16>| AttemptRecord {
            started_at: at.parse().unwrap(),
            duration_ms: 10,
            model: model.to_owned(),
            kind: "success".to_owned(),
            http_status,
            wait_s: None,
            wait_reason: None,
            input_tokens: None,
            output_tokens: None,
            cost_usd: 0.0,
        };
        for record in [
            attempt("2026-11-27T07:59:59.5Z", "a", Some(200)),
            attempt("2026-11-27T09:00:00Z", "b", Some(429)),
            attempt("2026-11-27T08:00:00.5Z", "a", Some(200)),
            attempt("2026-11-27T08:30:00Z", "a", None),
        ] {
            store.record_attempt(id, &record).unwrap();
        }
        assert_eq!(
            store.sent_attempts_since(since).unwrap(),
            [
                ("a".to_owned(), "2026-11-27T08:00:00.5Z".parse().unwrap()),
                ("b".to_owned(), "2026-11-27T09:00:00Z".parse().unwrap()),
            ]
        );
    }

    /// The schema as each earlier version created it (`git log -p src/store/db.rs`).
    const OLD_SCHEMAS: [&str; 5] = [
        // Version 1.
        "CREATE TABLE jobs (id INTEGER PRIMARY KEY, created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL, spec TEXT NOT NULL, state TEXT NOT NULL,
            parked_until TEXT, reason TEXT);
         CREATE INDEX jobs_state ON jobs(state);
         CREATE TABLE attempts (id INTEGER PRIMARY KEY, job_id INTEGER NOT NULL REFERENCES jobs(id),
            started_at TEXT NOT NULL, duration_ms INTEGER NOT NULL, model TEXT NOT NULL,
            kind TEXT NOT NULL, http_status INTEGER, wait_s REAL, wait_reason TEXT,
            input_tokens INTEGER, output_tokens INTEGER, cost_usd REAL NOT NULL DEFAULT 0);
         CREATE INDEX attempts_job ON attempts(job_id);
         CREATE TABLE lockouts (model TEXT PRIMARY KEY, until TEXT NOT NULL, reason TEXT NOT NULL);",
        // Version 2.
        "ALTER TABLE jobs ADD COLUMN image_path TEXT;
         ALTER TABLE jobs ADD COLUMN model_used TEXT;",
        // Version 3 (the rewrites table came with a later release of the same version).
        "ALTER TABLE jobs ADD COLUMN diagnosis TEXT;
         CREATE TABLE rewrites (id INTEGER PRIMARY KEY, at TEXT NOT NULL, blocked TEXT NOT NULL,
            passed TEXT NOT NULL, names TEXT NOT NULL);",
        // Version 4 changed rows only.
        "",
        // Version 5: the prompt index (its triggers fill it for the job inserted below).
        FTS_SCHEMA,
    ];

    /// A database as version `version` left it, with one delivered job (and its attempt).
    fn old_database(path: &Path, version: usize) {
        let old = Connection::open(path).unwrap();
        for schema in &OLD_SCHEMAS[..version] {
            old.execute_batch(schema).unwrap();
        }
        old.execute_batch(
            "INSERT INTO jobs (created_at, updated_at, spec, state)
                VALUES ('2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z',
                        '{\"prompt\":\"an old lighthouse\"}', 'done');
             INSERT INTO attempts (job_id, started_at, duration_ms, model, kind, cost_usd)
                VALUES (1, '2026-11-01T00:00:00Z', 900, 'm', 'success', 0.04);",
        )
        .unwrap();
        if version >= 2 {
            old.execute_batch(
                "UPDATE jobs SET image_path = 'images/peel-1.png', model_used = 'm';",
            )
            .unwrap();
        }
        old.pragma_update(None, "user_version", i64::try_from(version).unwrap())
            .unwrap();
    }

    #[test]
    fn a_database_from_every_earlier_version_keeps_its_jobs_and_becomes_current() {
        for version in 1..=5 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("peel.db");
            old_database(&path, version);
            let store = Store::open(&path).unwrap();
            let current: i64 = store.with(user_version).unwrap();
            assert_eq!(current, SCHEMA_VERSION, "from version {version}");
            let job = store.job(1).unwrap().unwrap();
            assert_eq!(
                job.spec.prompt, "an old lighthouse",
                "from version {version}"
            );
            assert_eq!(job.state, JobState::Delivered);
            assert_eq!(store.attempts(1).unwrap().len(), 1);
            // Version 10: no job is starred yet, and the workspace's tables exist.
            let (starred, tables): (i64, i64) = store
                .with(|c| {
                    c.query_row(
                        "SELECT (SELECT SUM(starred) FROM jobs), (SELECT COUNT(*) FROM sqlite_master
                         WHERE name IN ('boards', 'board_jobs', 'prompt_library'))",
                        [],
                        |row| Ok((row.get(0)?, row.get(1)?)),
                    )
                })
                .unwrap();
            assert_eq!((starred, tables), (0, 3), "from version {version}");
            // An old relative path stays as it was: its working folder is not known.
            let expected = (version >= 2).then(|| PathBuf::from("images/peel-1.png"));
            assert_eq!(job.image_path, expected, "from version {version}");
            // The prompt kept before version 5 is searchable, and new jobs are too.
            let found = store
                .search_jobs(&crate::store::JobSearch {
                    text: Some("lighthouse".to_owned()),
                    ..Default::default()
                })
                .unwrap();
            assert_eq!(found.len(), 1, "from version {version}");
            store
                .enqueue(r#"{"prompt":"a new lighthouse"}"#, Timestamp::now())
                .unwrap();
            store.set_diagnosis(1, "{}").unwrap();
            drop(store);
            // Opening again runs no step twice.
            let again = Store::open(&path).unwrap();
            assert_eq!(again.recent_jobs(10).unwrap().len(), 2);
        }
    }

    #[test]
    fn a_step_that_fails_leaves_the_database_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("peel.db");
        old_database(&path, 1);
        {
            // Version 2's second column already exists: its first ALTER works, its second fails.
            let old = Connection::open(&path).unwrap();
            old.execute_batch("ALTER TABLE jobs ADD COLUMN model_used TEXT;")
                .unwrap();
        }
        let error = Store::open(&path).unwrap_err();
        assert!(error.to_string().contains("model_used"), "{error}");
        let old = Connection::open(&path).unwrap();
        assert_eq!(user_version(&old).unwrap(), 1);
        let has_image_path: bool = old
            .query_row(
                "SELECT COUNT(*) > 0 FROM pragma_table_info('jobs') WHERE name = 'image_path'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert!(!has_image_path, "the step's first ALTER was rolled back");
    }
}
