//! Every request counted before it leaves. An attempt is written as [`ATTEMPT_IN_FLIGHT`], owned by
//! the process that sends it, in the same statement that checks the job may still send (not
//! cancelled, not deleted, still this owner's): a cancel from any process either lands first (the
//! request is never sent) or after (the attempt shows it was sent). When the answer comes the row
//! becomes the attempt's diagnosis; when it never comes the row stays, and it is settled as
//! [`ATTEMPT_ANSWER_LOST`] (Peel quit, was killed or crashed while Google worked: probably billed)
//! or [`ATTEMPT_CANCELLED_IN_FLIGHT`], with its estimated cost counted in the day's spend.

use rusqlite::params;

use super::claims::owner_alive;
use super::db::{Store, StoreError};
use crate::job::{
    ATTEMPT_ANSWER_LOST, ATTEMPT_CANCELLED_IN_FLIGHT, ATTEMPT_IN_FLIGHT, AttemptRecord, JobId,
};

/// An attempt's row in the database.
pub type AttemptId = i64;

impl Store {
    /// Writes `attempt` (its kind [`ATTEMPT_IN_FLIGHT`], its cost the estimate) before its
    /// request leaves; `None` when the job may not send now: cancelled, deleted, ended, or held
    /// by another owner. The check and the write are one statement, so a cancel from another
    /// process is either before it (nothing is sent) or after it (the attempt counts).
    pub fn begin_attempt(
        &self,
        job: JobId,
        owner: &str,
        attempt: &AttemptRecord,
    ) -> Result<Option<AttemptId>, StoreError> {
        self.with(|c| {
            let inserted = c.execute(
                "INSERT INTO attempts (job_id, started_at, duration_ms, model, kind, http_status,
                                       wait_s, wait_reason, input_tokens, output_tokens, cost_usd,
                                       owner)
                 SELECT ?1, ?2, 0, ?3, ?4, NULL, NULL, NULL, NULL, NULL, ?5, ?6
                 WHERE EXISTS (SELECT 1 FROM jobs WHERE id = ?1 AND owner = ?6
                               AND state IN ('queued', 'running', 'parked'))",
                params![
                    job,
                    attempt.started_at.to_string(),
                    attempt.model,
                    ATTEMPT_IN_FLIGHT,
                    attempt.cost_usd,
                    owner,
                ],
            )?;
            Ok((inserted == 1).then(|| c.last_insert_rowid()))
        })
    }

    /// Removes an attempt written by [`Store::begin_attempt`] whose request never left (Peel's
    /// own rate limit held it back at the last moment).
    pub fn forget_unsent_attempt(&self, id: AttemptId) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "DELETE FROM attempts WHERE id = ?1 AND kind = ?2",
                params![id, ATTEMPT_IN_FLIGHT],
            )?;
            Ok(())
        })
    }

    /// Replaces an attempt written by [`Store::begin_attempt`] with what its answer showed.
    pub fn settle_attempt(&self, id: AttemptId, attempt: &AttemptRecord) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE attempts SET started_at = ?2, duration_ms = ?3, model = ?4, kind = ?5,
                        http_status = ?6, wait_s = ?7, wait_reason = ?8, input_tokens = ?9,
                        output_tokens = ?10, cost_usd = ?11, owner = NULL
                 WHERE id = ?1",
                params![
                    id,
                    attempt.started_at.to_string(),
                    i64::try_from(attempt.duration_ms).unwrap_or(i64::MAX),
                    attempt.model,
                    attempt.kind,
                    attempt.http_status,
                    attempt.wait_s,
                    attempt.wait_reason,
                    attempt.input_tokens.and_then(|n| i64::try_from(n).ok()),
                    attempt.output_tokens.and_then(|n| i64::try_from(n).ok()),
                    attempt.cost_usd,
                ],
            )?;
            Ok(())
        })
    }

    /// Marks an attempt in flight as cancelled after sending (it may be billed; its estimated
    /// cost stays counted).
    pub fn cancel_attempt(&self, id: AttemptId, duration_ms: u64) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE attempts SET kind = ?2, duration_ms = ?3, owner = NULL
                 WHERE id = ?1 AND kind = ?4",
                params![
                    id,
                    ATTEMPT_CANCELLED_IN_FLIGHT,
                    i64::try_from(duration_ms).unwrap_or(i64::MAX),
                    ATTEMPT_IN_FLIGHT
                ],
            )?;
            Ok(())
        })
    }

    /// Marks every attempt `owner` still has in flight as lost (the designer chose to quit while
    /// Google worked on them); returns how many.
    pub fn abandon_attempts(&self, owner: &str) -> Result<usize, StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE attempts SET kind = ?2, owner = NULL WHERE kind = ?3 AND owner = ?1",
                params![owner, ATTEMPT_ANSWER_LOST, ATTEMPT_IN_FLIGHT],
            )
        })
    }

    /// Marks as lost the attempts in flight whose owner no longer runs (it quit, was killed or
    /// crashed before their answer came); returns how many. Attempts of live owners are theirs.
    pub fn settle_lost_attempts(&self) -> Result<usize, StoreError> {
        let owners: Vec<Option<String>> = self.with(|c| {
            let mut statement = c.prepare("SELECT DISTINCT owner FROM attempts WHERE kind = ?1")?;
            statement
                .query_map(params![ATTEMPT_IN_FLIGHT], |row| row.get(0))?
                .collect()
        })?;
        let data_dir = self.data_dir();
        let mut settled = 0;
        for owner in owners {
            let alive = owner
                .as_deref()
                .is_some_and(|owner| owner_alive(&data_dir, owner));
            if alive {
                continue;
            }
            settled += self.with(|c| {
                c.execute(
                    "UPDATE attempts SET kind = ?2, owner = NULL WHERE kind = ?3 AND owner IS ?1",
                    params![owner, ATTEMPT_ANSWER_LOST, ATTEMPT_IN_FLIGHT],
                )
            })?;
        }
        if settled > 0 {
            tracing::warn!(
                "{settled} request(s) were sent but their answer was lost when Peel stopped; they are in the history and counted in today's spend"
            );
        }
        Ok(settled)
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::job::JobState;
    use crate::store::claims::register_owner;

    fn sent_at(at: &str, cost_usd: f64) -> AttemptRecord {
        AttemptRecord {
            model: "gemini-3-pro-image".to_owned(),
            started_at: at.parse().unwrap(),
            duration_ms: 0,
            kind: ATTEMPT_IN_FLIGHT.to_owned(),
            http_status: None,
            wait_s: None,
            wait_reason: None,
            input_tokens: None,
            output_tokens: None,
            cost_usd,
        }
    }

    fn claimed_job(store: &Store, owner: &str) -> JobId {
        let now: Timestamp = "2026-12-06T10:00:00Z".parse().unwrap();
        let job = store.enqueue("{}", now).unwrap();
        let until = now
            .checked_add(jiff::SignedDuration::from_hours(1))
            .unwrap();
        assert!(store.claim(job, owner, now, until).unwrap());
        job
    }

    #[test]
    fn an_attempt_is_counted_before_its_answer_and_settled_by_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("peel.db")).unwrap();
        let _alive = register_owner(dir.path(), "me").unwrap();
        let job = claimed_job(&store, "me");
        let id = store
            .begin_attempt(job, "me", &sent_at("2026-12-06T10:00:01Z", 0.24))
            .unwrap()
            .expect("written");
        let attempts = store.attempts(job).unwrap();
        assert_eq!(attempts[0].kind, ATTEMPT_IN_FLIGHT);
        assert!(attempts[0].was_sent());
        let day: Timestamp = "2026-12-06T08:00:00Z".parse().unwrap();
        assert!((store.spend_since(day).unwrap() - 0.24).abs() < 1e-9);

        let answered = AttemptRecord {
            kind: "success".to_owned(),
            http_status: Some(200),
            duration_ms: 14_000,
            cost_usd: 0.134,
            ..sent_at("2026-12-06T10:00:01Z", 0.0)
        };
        store.settle_attempt(id, &answered).unwrap();
        assert_eq!(store.attempts(job).unwrap(), [answered]);
        assert_eq!(store.settle_lost_attempts().unwrap(), 0);
    }

    #[test]
    fn nothing_is_written_for_a_cancelled_job_or_another_owners_job() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("peel.db")).unwrap();
        let job = claimed_job(&store, "me");
        let attempt = sent_at("2026-12-06T10:00:01Z", 0.24);
        assert_eq!(
            store.begin_attempt(job, "someone else", &attempt).unwrap(),
            None
        );
        store
            .set_state(job, JobState::Cancelled, None, None, Timestamp::now())
            .unwrap();
        assert_eq!(store.begin_attempt(job, "me", &attempt).unwrap(), None);
        assert!(store.attempts(job).unwrap().is_empty());
    }

    #[test]
    fn an_answer_lost_with_its_owner_stays_counted_as_lost() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("peel.db")).unwrap();
        let alive = register_owner(dir.path(), "window").unwrap();
        let job = claimed_job(&store, "window");
        store
            .begin_attempt(job, "window", &sent_at("2026-12-06T10:00:01Z", 0.24))
            .unwrap()
            .unwrap();
        assert_eq!(store.settle_lost_attempts().unwrap(), 0, "its owner runs");
        drop(alive);
        assert_eq!(store.settle_lost_attempts().unwrap(), 1);
        let attempts = store.attempts(job).unwrap();
        assert_eq!(attempts[0].kind, ATTEMPT_ANSWER_LOST);
        assert!(attempts[0].was_sent());
        assert_eq!(
            attempts[0].unanswered_words(),
            Some("answer lost: Peel stopped while Google was working (probably billed)")
        );
        let day: Timestamp = "2026-12-06T08:00:00Z".parse().unwrap();
        assert!((store.spend_since(day).unwrap() - 0.24).abs() < 1e-9);
    }

    #[test]
    fn quitting_abandons_only_this_owners_attempts_and_cancelling_marks_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("peel.db")).unwrap();
        let mine = claimed_job(&store, "me");
        let theirs = claimed_job(&store, "them");
        let cancelled = claimed_job(&store, "me");
        let at = "2026-12-06T10:00:01Z";
        store.begin_attempt(mine, "me", &sent_at(at, 0.1)).unwrap();
        store
            .begin_attempt(theirs, "them", &sent_at(at, 0.1))
            .unwrap();
        let id = store
            .begin_attempt(cancelled, "me", &sent_at(at, 0.1))
            .unwrap()
            .unwrap();
        store.cancel_attempt(id, 3_000).unwrap();
        assert_eq!(store.abandon_attempts("me").unwrap(), 1);
        assert_eq!(store.attempts(mine).unwrap()[0].kind, ATTEMPT_ANSWER_LOST);
        assert_eq!(store.attempts(theirs).unwrap()[0].kind, ATTEMPT_IN_FLIGHT);
        let cancelled = &store.attempts(cancelled).unwrap()[0];
        assert_eq!(cancelled.kind, ATTEMPT_CANCELLED_IN_FLIGHT);
        assert_eq!(cancelled.duration_ms, 3_000);
    }
}
