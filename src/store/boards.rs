//! Stars and boards: a designer stars the images worth keeping, and gathers jobs on boards (named
//! collections; a job may be on several). Stars live in `jobs.starred`, boards in `boards` and
//! `board_jobs` ([`super::schema::WORKSPACE_SCHEMA`]).
//!
//! Every change is one transaction, and names every job it touches: a job that is not in the
//! history (deleted, or never made) fails the whole change with a sentence, and nothing changes.
//! Board names are compared without case ("Client picks" is "client picks"), trimmed, and at most
//! [`BOARD_NAME_MAX_CHARS`] characters. Counts leave deleted jobs out.

use std::collections::HashMap;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension as _, params};
use serde::{Deserialize, Serialize};

use super::db::{Store, StoreError};
use crate::job::{Job, JobId};

/// Longest board name, in characters.
pub const BOARD_NAME_MAX_CHARS: usize = 60;

/// A board and how many jobs it holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Board {
    /// Its name, as the designer spelled it.
    pub name: String,
    /// Jobs on it (deleted ones not counted).
    pub jobs: usize,
}

/// What the boards sidebar counts: every job, the starred ones, and each board's.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardCounts {
    /// Jobs in the history (deleted ones not counted).
    pub all: usize,
    /// Starred jobs.
    pub starred: usize,
    /// Every board, by name (without case).
    pub boards: Vec<Board>,
    /// The newest job when counted (0 for none): a window adds the jobs queued after it to
    /// `all` itself.
    pub newest_job: JobId,
}

/// Why a star or board change was refused (nothing changed).
#[derive(Debug, thiserror::Error)]
pub enum BoardError {
    /// No board has that name.
    #[error(
        "There is no board named \"{0}\". Check its name in the boards list (peel board list)."
    )]
    NoSuchBoard(String),
    /// Another board has that name already.
    #[error("A board named \"{0}\" already exists. Pick another name.")]
    NameTaken(String),
    /// The name is empty (or only spaces).
    #[error("A board needs a name, such as \"Client picks\".")]
    EmptyName,
    /// The name is too long or holds a control character.
    #[error(
        "\"{0}\" cannot name a board: use at most {BOARD_NAME_MAX_CHARS} characters, on one line."
    )]
    BadName(String),
    /// Jobs not in the history.
    #[error(
        "{0} not in the history (deleted, or never made), so nothing was changed. peel history lists the jobs there are."
    )]
    NoSuchJobs(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A board name as kept: trimmed, non-empty, short, on one line.
pub fn board_name(name: &str) -> Result<String, BoardError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(BoardError::EmptyName);
    }
    if name.chars().count() > BOARD_NAME_MAX_CHARS || name.chars().any(char::is_control) {
        let start: String = name.chars().take(BOARD_NAME_MAX_CHARS).collect();
        return Err(BoardError::BadName(start));
    }
    Ok(name.to_owned())
}

/// "Job 7 is" or "Jobs 7, 9 are", for [`BoardError::NoSuchJobs`].
fn jobs_phrase(ids: &[JobId]) -> String {
    let list: Vec<String> = ids.iter().map(ToString::to_string).collect();
    match ids {
        [one] => format!("Job {one} is"),
        _ => format!("Jobs {} are", list.join(", ")),
    }
}

/// `ids` as a JSON array, for `json_each` (one statement whatever the number of jobs).
fn id_array(ids: &[JobId]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".to_owned())
}

/// The result of a change checked inside a transaction: SQLite's error outside, the refusal
/// inside.
type Checked<T> = rusqlite::Result<Result<T, BoardError>>;

/// The refusal when any job of `ids` is not in the history (deleted or never made): they are
/// named, sorted; `None` when every job is there.
fn missing_jobs(c: &Connection, ids: &[JobId]) -> rusqlite::Result<Option<BoardError>> {
    let mut statement = c.prepare(
        "SELECT DISTINCT value FROM json_each(?1)
         WHERE value NOT IN (SELECT id FROM jobs WHERE state != 'deleted') ORDER BY value",
    )?;
    let rows = statement.query_map(params![id_array(ids)], |row| row.get(0))?;
    let missing: Vec<JobId> = rows.collect::<rusqlite::Result<_>>()?;
    Ok((!missing.is_empty()).then(|| BoardError::NoSuchJobs(jobs_phrase(&missing))))
}

/// The name of board `id` as kept (its own case).
fn kept_name(c: &Connection, id: i64) -> rusqlite::Result<String> {
    c.query_row("SELECT name FROM boards WHERE id = ?1", [id], |row| {
        row.get(0)
    })
}

/// The id of the board named `name` (without case).
fn board_id(c: &Connection, name: &str) -> rusqlite::Result<Option<i64>> {
    c.query_row(
        "SELECT id FROM boards WHERE name = ?1",
        params![name.trim()],
        |row| row.get(0),
    )
    .optional()
}

/// Fills each job's board names (sorted without case) with one query for all of them.
pub(super) fn fill_boards(c: &Connection, jobs: &mut [Job]) -> rusqlite::Result<()> {
    if jobs.is_empty() {
        return Ok(());
    }
    let ids: Vec<JobId> = jobs.iter().map(|job| job.id).collect();
    let at: HashMap<JobId, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut statement = c.prepare(
        "SELECT board_jobs.job_id, boards.name FROM board_jobs
         JOIN boards ON boards.id = board_jobs.board_id
         WHERE board_jobs.job_id IN (SELECT value FROM json_each(?1))
         ORDER BY boards.name",
    )?;
    let rows = statement.query_map(params![id_array(&ids)], |row| {
        Ok((row.get::<_, JobId>(0)?, row.get::<_, String>(1)?))
    })?;
    for row in rows {
        let (job, name) = row?;
        if let Some(&index) = at.get(&job) {
            jobs[index].boards.push(name);
        }
    }
    Ok(())
}

impl Store {
    /// Stars (or unstars) every job of `ids` in one transaction; returns how many changed. A job
    /// not in the history refuses the whole change.
    pub fn set_starred(&self, ids: &[JobId], starred: bool) -> Result<usize, BoardError> {
        self.with(|c| -> Checked<usize> {
            let transaction = c.unchecked_transaction()?;
            if let Some(refused) = missing_jobs(&transaction, ids)? {
                return Ok(Err(refused));
            }
            let changed = transaction.execute(
                "UPDATE jobs SET starred = ?2
                 WHERE id IN (SELECT value FROM json_each(?1)) AND starred != ?2",
                params![id_array(ids), starred],
            )?;
            transaction.commit()?;
            Ok(Ok(changed))
        })?
    }

    /// Makes a new, empty board named `name`; returns the name as kept.
    pub fn create_board(&self, name: &str, now: Timestamp) -> Result<String, BoardError> {
        let name = board_name(name)?;
        self.with(|c| -> Checked<String> {
            if board_id(c, &name)?.is_some() {
                return Ok(Err(BoardError::NameTaken(name)));
            }
            c.execute(
                "INSERT INTO boards (name, created_at) VALUES (?1, ?2)",
                params![name, now.to_string()],
            )?;
            Ok(Ok(name))
        })?
    }

    /// Renames the board `from` to `to` (a change of case alone is a rename too); returns the
    /// new name as kept.
    pub fn rename_board(&self, from: &str, to: &str) -> Result<String, BoardError> {
        let to = board_name(to)?;
        self.with(|c| -> Checked<String> {
            let transaction = c.unchecked_transaction()?;
            let Some(id) = board_id(&transaction, from)? else {
                return Ok(Err(BoardError::NoSuchBoard(from.trim().to_owned())));
            };
            if board_id(&transaction, &to)?.is_some_and(|other| other != id) {
                return Ok(Err(BoardError::NameTaken(to)));
            }
            transaction.execute("UPDATE boards SET name = ?2 WHERE id = ?1", params![id, to])?;
            transaction.commit()?;
            Ok(Ok(to))
        })?
    }

    /// Deletes the board `name`; its jobs stay in the history (and on their other boards).
    pub fn delete_board(&self, name: &str) -> Result<(), BoardError> {
        self.with(|c| -> Checked<()> {
            let transaction = c.unchecked_transaction()?;
            let Some(id) = board_id(&transaction, name)? else {
                return Ok(Err(BoardError::NoSuchBoard(name.trim().to_owned())));
            };
            transaction.execute("DELETE FROM board_jobs WHERE board_id = ?1", params![id])?;
            transaction.execute("DELETE FROM boards WHERE id = ?1", params![id])?;
            transaction.commit()?;
            Ok(Ok(()))
        })?
    }

    /// Puts the jobs of `ids` on the board `name` (made first when `create` and it is new);
    /// returns the board's name as kept and how many jobs were not on it yet.
    pub fn add_to_board(
        &self,
        name: &str,
        ids: &[JobId],
        create: bool,
        now: Timestamp,
    ) -> Result<(String, usize), BoardError> {
        let wanted = board_name(name)?;
        self.with(|c| -> Checked<(String, usize)> {
            let transaction = c.unchecked_transaction()?;
            if let Some(refused) = missing_jobs(&transaction, ids)? {
                return Ok(Err(refused));
            }
            let id = match board_id(&transaction, &wanted)? {
                Some(id) => id,
                None if create => {
                    transaction.execute(
                        "INSERT INTO boards (name, created_at) VALUES (?1, ?2)",
                        params![wanted, now.to_string()],
                    )?;
                    transaction.last_insert_rowid()
                }
                None => return Ok(Err(BoardError::NoSuchBoard(wanted))),
            };
            let added = transaction.execute(
                "INSERT OR IGNORE INTO board_jobs (board_id, job_id, added_at)
                 SELECT ?1, value, ?3 FROM json_each(?2)",
                params![id, id_array(ids), now.to_string()],
            )?;
            let kept = kept_name(&transaction, id)?;
            transaction.commit()?;
            Ok(Ok((kept, added)))
        })?
    }

    /// Takes the jobs of `ids` off the board `name` (they stay in the history); returns the
    /// board's name as kept and how many were on it.
    pub fn remove_from_board(
        &self,
        name: &str,
        ids: &[JobId],
    ) -> Result<(String, usize), BoardError> {
        self.with(|c| -> Checked<(String, usize)> {
            let transaction = c.unchecked_transaction()?;
            let Some(id) = board_id(&transaction, name)? else {
                return Ok(Err(BoardError::NoSuchBoard(name.trim().to_owned())));
            };
            if let Some(refused) = missing_jobs(&transaction, ids)? {
                return Ok(Err(refused));
            }
            let removed = transaction.execute(
                "DELETE FROM board_jobs
                 WHERE board_id = ?1 AND job_id IN (SELECT value FROM json_each(?2))",
                params![id, id_array(ids)],
            )?;
            let kept = kept_name(&transaction, id)?;
            transaction.commit()?;
            Ok(Ok((kept, removed)))
        })?
    }

    /// The board named `name` (without case), as kept; `None` when there is none.
    pub fn board(&self, name: &str) -> Result<Option<Board>, StoreError> {
        Ok(self
            .board_counts()?
            .boards
            .into_iter()
            .find(|board| board.name.to_lowercase() == name.trim().to_lowercase()))
    }

    /// Every job, the starred ones and each board's, deleted jobs left out.
    pub fn board_counts(&self) -> Result<BoardCounts, StoreError> {
        self.with(|c| {
            let (all, starred, newest_job): (i64, i64, JobId) = c.query_row(
                "SELECT COUNT(*) FILTER (WHERE state != 'deleted'),
                        COALESCE(SUM(starred != 0 AND state != 'deleted'), 0),
                        COALESCE(MAX(id), 0)
                 FROM jobs",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )?;
            let mut statement = c.prepare(
                "SELECT boards.name, COUNT(jobs.id) FROM boards
                 LEFT JOIN board_jobs ON board_jobs.board_id = boards.id
                 LEFT JOIN jobs ON jobs.id = board_jobs.job_id AND jobs.state != 'deleted'
                 GROUP BY boards.id ORDER BY boards.name",
            )?;
            let boards = statement
                .query_map([], |row| {
                    Ok(Board {
                        name: row.get(0)?,
                        jobs: usize::try_from(row.get::<_, i64>(1)?).unwrap_or(0),
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(BoardCounts {
                all: usize::try_from(all).unwrap_or(0),
                starred: usize::try_from(starred).unwrap_or(0),
                boards,
                newest_job,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::JobState;
    use crate::store::JobSearch;

    fn store_with(prompts: &[&str]) -> (tempfile::TempDir, Store, Vec<JobId>) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("peel.db")).unwrap();
        let ids = prompts
            .iter()
            .map(|prompt| {
                let spec = serde_json::json!({ "prompt": prompt }).to_string();
                store.enqueue(&spec, Timestamp::now()).unwrap()
            })
            .collect();
        (dir, store, ids)
    }

    fn found(store: &Store, search: &JobSearch) -> Vec<JobId> {
        store
            .search_jobs(search)
            .unwrap()
            .iter()
            .map(|job| job.id)
            .collect()
    }

    #[test]
    fn stars_change_many_jobs_at_once_and_an_unknown_job_changes_none() {
        let (_dir, store, id) = store_with(&["a fox", "an owl", "a hare"]);
        assert_eq!(store.set_starred(&[id[0], id[2]], true).unwrap(), 2);
        assert_eq!(store.set_starred(&[id[0]], true).unwrap(), 0, "already");
        let error = store.set_starred(&[id[1], 99, 98], true).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Jobs 98, 99 are not in the history (deleted, or never made), so nothing was changed. peel history lists the jobs there are."
        );
        let starred = JobSearch {
            starred_only: true,
            ..JobSearch::default()
        };
        assert_eq!(found(&store, &starred), [id[2], id[0]]);
        assert!(store.job(id[0]).unwrap().unwrap().starred);
        assert!(!store.job(id[1]).unwrap().unwrap().starred);
        assert_eq!(store.set_starred(&[id[2]], false).unwrap(), 1);
        assert_eq!(found(&store, &starred), [id[0]]);
        // A deleted job cannot be starred.
        store
            .set_state(id[1], JobState::Deleted, None, None, Timestamp::now())
            .unwrap();
        assert!(matches!(
            store.set_starred(&[id[1]], true),
            Err(BoardError::NoSuchJobs(_))
        ));
    }

    #[test]
    fn a_job_may_be_on_several_boards_and_each_job_knows_its_boards() {
        let (_dir, store, id) = store_with(&["a fox", "an owl", "a hare"]);
        let now = Timestamp::now();
        assert_eq!(
            store.create_board(" Client picks ", now).unwrap(),
            "Client picks"
        );
        assert!(matches!(
            store.create_board("client PICKS", now),
            Err(BoardError::NameTaken(_))
        ));
        assert_eq!(
            store
                .add_to_board("client picks", &[id[0], id[1]], false, now)
                .unwrap(),
            ("Client picks".to_owned(), 2)
        );
        assert!(matches!(
            store.add_to_board("Moodboard", &[id[0]], false, now),
            Err(BoardError::NoSuchBoard(_))
        ));
        assert_eq!(
            store
                .add_to_board("Moodboard", &[id[0], id[2]], true, now)
                .unwrap(),
            ("Moodboard".to_owned(), 2)
        );
        let again = store
            .add_to_board("Moodboard", &[id[0]], false, now)
            .unwrap();
        assert_eq!(again.1, 0, "already on it");
        let fox = store.job(id[0]).unwrap().unwrap();
        assert_eq!(fox.boards, ["Client picks", "Moodboard"]);
        let listed = store.search_jobs(&JobSearch::default()).unwrap();
        let boards: Vec<&[String]> = listed.iter().map(|job| job.boards.as_slice()).collect();
        assert_eq!(
            boards,
            [
                &["Moodboard".to_owned()][..],
                &["Client picks".to_owned()][..],
                &["Client picks".to_owned(), "Moodboard".to_owned()][..],
            ]
        );
        let counts = store.board_counts().unwrap();
        assert_eq!((counts.all, counts.starred), (3, 0));
        assert_eq!(
            counts.boards,
            [
                Board {
                    name: "Client picks".to_owned(),
                    jobs: 2
                },
                Board {
                    name: "Moodboard".to_owned(),
                    jobs: 2
                }
            ]
        );
        assert_eq!(
            store
                .remove_from_board("MOODBOARD", &[id[0], id[1]])
                .unwrap(),
            ("Moodboard".to_owned(), 1)
        );
        // A deleted job leaves the counts.
        store
            .set_state(id[1], JobState::Deleted, None, None, now)
            .unwrap();
        let counts = store.board_counts().unwrap();
        assert_eq!(counts.all, 2);
        assert_eq!(counts.boards[0].jobs, 1);
    }

    #[test]
    fn boards_are_renamed_and_deleted_and_their_jobs_stay() {
        let (_dir, store, id) = store_with(&["a fox"]);
        let now = Timestamp::now();
        store.add_to_board("Picks", &id, true, now).unwrap();
        store.create_board("Rejects", now).unwrap();
        assert!(matches!(
            store.rename_board("Picks", "rejects"),
            Err(BoardError::NameTaken(_))
        ));
        assert_eq!(store.rename_board("picks", "PICKS").unwrap(), "PICKS");
        assert_eq!(store.rename_board("PICKS", "Final").unwrap(), "Final");
        assert_eq!(store.job(id[0]).unwrap().unwrap().boards, ["Final"]);
        assert!(matches!(
            store.rename_board("Nope", "Other"),
            Err(BoardError::NoSuchBoard(_))
        ));
        store.delete_board("final").unwrap();
        assert!(store.job(id[0]).unwrap().unwrap().boards.is_empty());
        assert!(store.board("Final").unwrap().is_none());
        assert_eq!(store.board_counts().unwrap().boards.len(), 1);
        assert!(matches!(
            store.delete_board("Final"),
            Err(BoardError::NoSuchBoard(_))
        ));
    }

    #[test]
    fn stars_and_boards_filter_in_sql_with_the_search_and_other_filters() {
        let (_dir, store, id) = store_with(&[
            "a red fox in the snow",
            "a red barn",
            "a grey wolf",
            "a red kite",
        ]);
        let now = Timestamp::now();
        store.set_starred(&[id[0], id[1], id[2]], true).unwrap();
        store
            .add_to_board("Picks", &[id[0], id[2], id[3]], true, now)
            .unwrap();
        store.add_to_board("Farm", &[id[1]], true, now).unwrap();
        store
            .set_state(id[0], JobState::Delivered, None, None, now)
            .unwrap();
        let search = |text: Option<&str>, starred_only: bool, board: Option<&str>| JobSearch {
            text: text.map(str::to_owned),
            starred_only,
            board: board.map(str::to_owned),
            ..JobSearch::default()
        };
        assert_eq!(
            found(&store, &search(Some("red"), true, None)),
            [id[1], id[0]]
        );
        assert_eq!(
            found(&store, &search(Some("red"), true, Some("picks"))),
            [id[0]]
        );
        assert_eq!(
            found(&store, &search(None, false, Some("PICKS"))),
            [id[3], id[2], id[0]]
        );
        assert_eq!(
            found(&store, &search(Some("red"), false, Some("Picks"))),
            [id[3], id[0]]
        );
        assert!(found(&store, &search(None, false, Some("Nope"))).is_empty());
        let delivered_picks = JobSearch {
            outcome: Some(crate::job::Outcome::Delivered),
            ..search(None, true, Some("Picks"))
        };
        assert_eq!(found(&store, &delivered_picks), [id[0]]);
        assert!(search(None, true, None).is_filtered());
        assert!(search(None, false, Some("Picks")).is_filtered());
        // The unstarred a delete would take: the search's, ended ones only, every page.
        for job in &id[1..] {
            store
                .set_state(*job, JobState::Stopped, None, None, now)
                .unwrap();
        }
        let one_page = JobSearch {
            limit: Some(1),
            before_id: Some(id[3] + 1),
            ..search(Some("red"), false, None)
        };
        assert_eq!(store.unstarred_to_delete(&one_page).unwrap(), [id[3]]);
        store.set_starred(&[id[1]], false).unwrap();
        assert_eq!(
            store.unstarred_to_delete(&one_page).unwrap(),
            [id[3], id[1]]
        );
        let queued = store.enqueue(r#"{"prompt":"a red car"}"#, now).unwrap();
        assert!(
            !store
                .unstarred_to_delete(&one_page)
                .unwrap()
                .contains(&queued),
            "a job still waiting is left alone"
        );
    }

    #[test]
    fn five_thousand_jobs_are_starred_boarded_counted_and_filtered_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("peel.db")).unwrap();
        let now = Timestamp::now();
        store
            .with(|c| {
                let transaction = c.unchecked_transaction()?;
                for n in 1..=5_000 {
                    let spec = serde_json::json!({ "prompt": format!("picture {n}, a fox") });
                    transaction.execute(
                        "INSERT INTO jobs (created_at, updated_at, spec, state) VALUES (?1, ?1, ?2, 'done')",
                        params![now.to_string(), spec.to_string()],
                    )?;
                }
                transaction.commit()
            })
            .unwrap();
        let every_tenth: Vec<JobId> = (1..=500).map(|n| n * 10).collect();
        let started = std::time::Instant::now();
        assert_eq!(store.set_starred(&every_tenth, true).unwrap(), 500);
        let every_fiftieth: Vec<JobId> = (1..=100).map(|n| n * 50).collect();
        store
            .add_to_board("Picks", &every_fiftieth, true, now)
            .unwrap();
        let counts = store.board_counts().unwrap();
        let starred_page = store
            .search_jobs(&JobSearch {
                starred_only: true,
                board: Some("Picks".to_owned()),
                text: Some("fox".to_owned()),
                limit: Some(200),
                ..JobSearch::default()
            })
            .unwrap();
        let took = started.elapsed();
        assert_eq!((counts.all, counts.starred), (5_000, 500));
        assert_eq!(counts.boards[0].jobs, 100);
        assert_eq!(starred_page.len(), 100);
        assert!(
            starred_page
                .iter()
                .all(|job| job.starred && job.boards == ["Picks"])
        );
        // Generous (a debug build on a busy machine): the point is no per-job round trip.
        assert!(took < std::time::Duration::from_secs(5), "{took:?}");
    }

    #[test]
    fn board_names_are_trimmed_one_line_and_short() {
        assert_eq!(board_name("  Picks ").unwrap(), "Picks");
        assert!(matches!(board_name("   "), Err(BoardError::EmptyName)));
        assert!(matches!(board_name("a\nb"), Err(BoardError::BadName(_))));
        assert!(matches!(
            board_name(&"x".repeat(BOARD_NAME_MAX_CHARS + 1)),
            Err(BoardError::BadName(_))
        ));
        assert!(board_name(&"é".repeat(BOARD_NAME_MAX_CHARS)).is_ok());
    }
}
