//! One owner per job: two Peel processes on one data folder (the window and `peel generate`, or
//! two windows) never run the same job. A process claims a job with its owner id and a lease; it
//! renews the lease while the job runs and gives it up when the job ends. Each owner also holds
//! an OS lock on `owners/<owner>.lock` in the data folder for as long as it lives, so a job whose
//! owner died (killed, crashed) is taken over at once, without waiting for its lease to run out.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use rusqlite::{OptionalExtension as _, params};

use super::db::{Store, StoreError};
use crate::job::JobId;

/// Who holds a job, and until when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// The owner's id (`pid-random`).
    pub owner: String,
    /// When the lease runs out unless renewed.
    pub lease_until: Timestamp,
}

fn millis(at: Timestamp) -> i64 {
    at.as_millisecond()
}

/// This process's presence in the data folder: a file it keeps locked for as long as it lives.
#[derive(Debug)]
pub struct OwnerLock {
    path: PathBuf,
    _file: File,
}

impl Drop for OwnerLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn owner_file(data_dir: &Path, owner: &str) -> PathBuf {
    data_dir.join("owners").join(format!("{owner}.lock"))
}

/// Marks `owner` as alive in `data_dir` until the returned lock drops (or the process dies).
pub fn register_owner(data_dir: &Path, owner: &str) -> std::io::Result<OwnerLock> {
    let path = owner_file(data_dir, owner);
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)?;
    }
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    file.lock()?;
    Ok(OwnerLock { path, _file: file })
}

/// Whether `owner` still runs: its lock file exists and is locked. A file no one holds means the
/// owner died (the OS let go of its lock); the stale file is removed.
pub fn owner_alive(data_dir: &Path, owner: &str) -> bool {
    let path = owner_file(data_dir, owner);
    let Ok(file) = OpenOptions::new().write(true).open(&path) else {
        return false;
    };
    match file.try_lock() {
        Ok(()) => {
            let _ = std::fs::remove_file(&path);
            false
        }
        // Held by its live owner; or locks are unsupported here, and the lease decides.
        Err(TryLockError::WouldBlock | TryLockError::Error(_)) => true,
    }
}

impl Store {
    /// Claims `job` for `owner` until `lease_until`; true when it is this owner's now. A job
    /// another live owner holds with a lease still running, or a job that has ended, is not
    /// claimed. The take-over is a compare-and-swap on the old owner, so two processes that look
    /// at once never both win.
    pub fn claim(
        &self,
        job: JobId,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<bool, StoreError> {
        let held = self.claim_of(job)?;
        if let Some(held) = &held
            && held.owner != owner
            && held.lease_until > now
            && owner_alive(&self.data_dir(), &held.owner)
        {
            return Ok(false);
        }
        let previous = held.map(|held| held.owner);
        self.with(|c| {
            let changed = c.execute(
                "UPDATE jobs SET owner = ?2, lease_until = ?3
                 WHERE id = ?1 AND state IN ('queued', 'running', 'parked') AND owner IS ?4",
                params![job, owner, millis(lease_until), previous],
            )?;
            Ok(changed == 1)
        })
    }

    /// Extends `owner`'s lease on `job`; false when the job is no longer this owner's.
    pub fn renew(
        &self,
        job: JobId,
        owner: &str,
        lease_until: Timestamp,
    ) -> Result<bool, StoreError> {
        self.with(|c| {
            let changed = c.execute(
                "UPDATE jobs SET lease_until = ?3 WHERE id = ?1 AND owner = ?2",
                params![job, owner, millis(lease_until)],
            )?;
            Ok(changed == 1)
        })
    }

    /// Gives `job` up (it ended, or this process stops running it).
    pub fn release(&self, job: JobId, owner: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE jobs SET owner = NULL, lease_until = NULL WHERE id = ?1 AND owner = ?2",
                params![job, owner],
            )?;
            Ok(())
        })
    }

    /// Who holds `job` now, if anyone does.
    pub fn claim_of(&self, job: JobId) -> Result<Option<Claim>, StoreError> {
        self.with(|c| {
            let held = c
                .query_row(
                    "SELECT owner, lease_until FROM jobs WHERE id = ?1 AND owner IS NOT NULL",
                    params![job],
                    |row| Ok((row.get::<_, String>(0)?, row.get::<_, Option<i64>>(1)?)),
                )
                .optional()?;
            Ok(held.map(|(owner, until)| Claim {
                owner,
                lease_until: until
                    .and_then(|ms| Timestamp::from_millisecond(ms).ok())
                    .unwrap_or(Timestamp::UNIX_EPOCH),
            }))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::JobState;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn one_owner_at_a_time_until_its_lease_runs_out() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("peel.db")).unwrap();
        let now = at("2026-11-30T12:00:00Z");
        let job = store.enqueue(r#"{"prompt":"a fox"}"#, now).unwrap();
        let lease = at("2026-11-30T12:01:30Z");
        let _window = register_owner(dir.path(), "window").unwrap();
        assert!(store.claim(job, "window", now, lease).unwrap());
        assert!(!store.claim(job, "generate", now, lease).unwrap(), "held");
        assert!(
            store.claim(job, "window", now, lease).unwrap(),
            "its own again"
        );
        assert_eq!(store.claim_of(job).unwrap().unwrap().owner, "window");
        // The window stopped renewing: once its lease runs out another process may take the job.
        let later = at("2026-11-30T12:02:00Z");
        assert!(
            store
                .claim(job, "generate", later, at("2026-11-30T12:03:30Z"))
                .unwrap()
        );
        assert!(
            !store
                .renew(job, "window", at("2026-11-30T12:04:00Z"))
                .unwrap()
        );
        assert!(
            store
                .renew(job, "generate", at("2026-11-30T12:04:00Z"))
                .unwrap()
        );
        store.release(job, "generate").unwrap();
        assert!(store.claim_of(job).unwrap().is_none());
        // An ended job is never claimed.
        store
            .set_state(job, JobState::Delivered, None, None, later)
            .unwrap();
        assert!(!store.claim(job, "window", later, lease).unwrap());
    }

    #[test]
    fn a_live_owner_keeps_its_job_and_a_dead_one_loses_it_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("peel.db")).unwrap();
        let now = at("2026-11-30T12:00:00Z");
        let lease = at("2026-11-30T12:01:30Z");
        let job = store.enqueue(r#"{"prompt":"a fox"}"#, now).unwrap();
        let alive = register_owner(dir.path(), "window").unwrap();
        assert!(owner_alive(dir.path(), "window"));
        assert!(store.claim(job, "window", now, lease).unwrap());
        assert!(!store.claim(job, "generate", now, lease).unwrap());
        // The window's process goes away: its lock with it. The lease has not run out, yet the
        // job is taken over at once.
        drop(alive);
        assert!(!owner_alive(dir.path(), "window"));
        assert!(store.claim(job, "generate", now, lease).unwrap());
        assert_eq!(store.claim_of(job).unwrap().unwrap().owner, "generate");
    }
}
