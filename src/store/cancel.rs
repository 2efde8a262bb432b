//! Cancel and Retry by hand, from any process on the data folder: the window, `peel cancel` and
//! `peel retry` all change the job's row, and the process that owns the job (its claim, see
//! [`super::claims`]) sees the change before its next request ([`Store::begin_attempt`] refuses
//! a cancelled job) and while it waits or a request is in flight (it looks every few seconds).

use jiff::Timestamp;
use rusqlite::{OptionalExtension as _, params};

use super::db::{Store, StoreError};
use crate::job::{JobId, JobState};

/// What a cancel or a retry found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// The job was in this state and is changed now.
    Changed(JobState),
    /// The job was in this state, which the change does not apply to (already finished, or
    /// already open).
    Unchanged(JobState),
    /// No job has that id.
    NoSuchJob,
}

impl Store {
    /// The job's state, if it exists.
    fn state_of(&self, job: JobId) -> Result<Option<JobState>, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT state FROM jobs WHERE id = ?1",
                params![job],
                |row| row.get::<_, String>(0),
            )
            .optional()
        })
        .map(|state| state.as_deref().map(JobState::parse))
    }

    /// Cancels a job that may still send (queued, running, waiting or parked): it is never sent
    /// again, by any process, at any time (until the designer retries it by hand). The owner
    /// keeps its claim until it notices and ends the job.
    pub fn cancel_job(&self, job: JobId, now: Timestamp) -> Result<Change, StoreError> {
        let Some(before) = self.state_of(job)? else {
            return Ok(Change::NoSuchJob);
        };
        let changed = self.with(|c| {
            c.execute(
                "UPDATE jobs SET state = 'cancelled', parked_until = NULL, reason = 'cancelled',
                        updated_at = ?2
                 WHERE id = ?1 AND state IN ('queued', 'running', 'parked')",
                params![job, now.to_string()],
            )
        })?;
        Ok(if changed == 1 {
            Change::Changed(before)
        } else {
            Change::Unchanged(self.state_of(job)?.unwrap_or(before))
        })
    }

    /// Whether the job was cancelled (or deleted): its owner stops it.
    pub fn is_cancelled(&self, job: JobId) -> Result<bool, StoreError> {
        Ok(matches!(
            self.state_of(job)?,
            Some(JobState::Cancelled | JobState::Deleted)
        ))
    }

    /// The jobs `owner` holds that were cancelled or deleted meanwhile (by any process): the
    /// owner stops them.
    pub fn cancelled_jobs_of(&self, owner: &str) -> Result<Vec<JobId>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare(
                "SELECT id FROM jobs WHERE owner = ?1 AND state IN ('cancelled', 'deleted')",
            )?;
            statement
                .query_map(params![owner], |row| row.get(0))?
                .collect()
        })
    }

    /// Queues a parked, stopped or cancelled job again, due now (the designer's Retry). A job
    /// that is queued or running is left as it is (its owner runs it); a delivered or deleted
    /// one is not run again.
    pub fn retry_job(&self, job: JobId, now: Timestamp) -> Result<Change, StoreError> {
        let Some(before) = self.state_of(job)? else {
            return Ok(Change::NoSuchJob);
        };
        if !matches!(
            before,
            JobState::Parked | JobState::Stopped | JobState::Cancelled
        ) {
            return Ok(Change::Unchanged(before));
        }
        let changed = self.with(|c| {
            c.execute(
                "UPDATE jobs SET state = 'queued', parked_until = NULL, reason = NULL,
                        updated_at = ?3
                 WHERE id = ?1 AND state = ?2",
                params![job, before.as_str(), now.to_string()],
            )
        })?;
        Ok(if changed == 1 {
            Change::Changed(before)
        } else {
            Change::Unchanged(self.state_of(job)?.unwrap_or(before))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("peel.db")).unwrap();
        (dir, store)
    }

    #[test]
    fn a_cancelled_job_is_never_unfinished_again_until_retried() {
        let (_dir, store) = store();
        let now = Timestamp::now();
        let job = store.enqueue("{}", now).unwrap();
        let midnight = now
            .checked_add(jiff::SignedDuration::from_hours(3))
            .unwrap();
        store
            .set_state(
                job,
                JobState::Parked,
                Some(midnight),
                Some("daily quota"),
                now,
            )
            .unwrap();
        assert_eq!(
            store.cancel_job(job, now).unwrap(),
            Change::Changed(JobState::Parked)
        );
        assert!(store.is_cancelled(job).unwrap());
        assert!(store.unfinished_jobs().unwrap().is_empty());

        // The engine that ran it ends it later as parked or stopped: the cancel stays.
        for later in [
            JobState::Parked,
            JobState::Running,
            JobState::Stopped,
            JobState::Queued,
        ] {
            store.set_state(job, later, None, None, now).unwrap();
            assert_eq!(store.job(job).unwrap().unwrap().state, JobState::Cancelled);
        }
        // A claim fails on it: no process can take it to send.
        let until = now.checked_add(jiff::SignedDuration::from_mins(1)).unwrap();
        assert!(!store.claim(job, "someone", now, until).unwrap());
        assert_eq!(
            store.cancel_job(job, now).unwrap(),
            Change::Unchanged(JobState::Cancelled)
        );

        assert_eq!(
            store.retry_job(job, now).unwrap(),
            Change::Changed(JobState::Cancelled)
        );
        assert_eq!(store.unfinished_jobs().unwrap().len(), 1);
        assert_eq!(store.cancel_job(9_999, now).unwrap(), Change::NoSuchJob);
    }

    #[test]
    fn an_image_that_arrives_as_the_cancel_lands_is_kept() {
        let (_dir, store) = store();
        let now = Timestamp::now();
        let job = store.enqueue("{}", now).unwrap();
        store.cancel_job(job, now).unwrap();
        store
            .set_state(job, JobState::Delivered, None, None, now)
            .unwrap();
        assert_eq!(store.job(job).unwrap().unwrap().state, JobState::Delivered);
        assert_eq!(
            store.retry_job(job, now).unwrap(),
            Change::Unchanged(JobState::Delivered)
        );
    }
}
