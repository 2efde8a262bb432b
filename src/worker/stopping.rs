//! Stopping what costs money: Cancel from any process, and a quit that neither loses nor pays
//! twice in silence.
//!
//! - **Cancel means never sent.** [`Engine::cancel`] writes the cancel to the job's row first, so
//!   no process sends it again ([`crate::store::Store::begin_attempt`] refuses it), then stops the
//!   job here if it runs. A job this engine runs also learns of a cancel made by another process
//!   (`peel cancel`, another window) within [`CANCEL_CHECK_S`] seconds: its wait ends, or its
//!   request in flight is dropped and recorded as cancelled after sending.
//! - **Requests in flight are counted** ([`Engine::in_flight`]) from the moment an attempt is
//!   written until its image is on disk or the job's next gate, so a quit can say what it would
//!   cost. [`Engine::stop_sending`] lets them finish but sends nothing new (the window's "Wait
//!   for them", `peel generate`'s first Ctrl+C); [`Engine::abandon_in_flight`] records them as
//!   lost (the designer quit anyway).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use jiff::Timestamp;
use tokio::sync::watch;

use super::control::JobControl;
use super::engine::Engine;
use super::protocol::JobId;
use crate::store::cancel::Change;
use crate::store::{Store, StoreError};

/// How often a running engine looks for its jobs cancelled by another process.
pub const CANCEL_CHECK_S: u64 = 2;

type Cancels = Arc<Mutex<HashMap<JobId, watch::Sender<bool>>>>;

/// What the engine knows about stopping: requests in flight, whether it still sends, and the
/// cancel switch of each job it runs.
#[derive(Debug, Default)]
pub struct Stopping {
    in_flight: Arc<AtomicUsize>,
    draining: AtomicBool,
    cancels: Cancels,
    watcher: OnceLock<()>,
}

/// One request in flight, counted until dropped (its answer is in and its image on disk, or the
/// job moved on).
#[derive(Debug)]
pub struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A job's cancel switch, registered while the job runs; dropping it unregisters the job.
#[derive(Debug)]
pub struct CancelWatch {
    job: JobId,
    cancels: Cancels,
    forward: tokio::task::AbortHandle,
}

impl Drop for CancelWatch {
    fn drop(&mut self) {
        self.forward.abort();
        self.cancels
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.job);
    }
}

impl Engine {
    /// How many requests this engine has in flight (sent, answer or image not yet in).
    pub fn in_flight(&self) -> usize {
        self.stopping.in_flight.load(Ordering::SeqCst)
    }

    /// Whether the engine has stopped sending new requests (a quit is waiting).
    pub fn is_stopping(&self) -> bool {
        self.stopping.draining.load(Ordering::SeqCst)
    }

    /// Lets the requests in flight finish but sends no new one: each job reaching its next
    /// request goes back to the queue, to run when Peel next starts.
    pub fn stop_sending(&self) {
        self.stopping.draining.store(true, Ordering::SeqCst);
    }

    /// Records every request still in flight as lost (the designer quits without waiting):
    /// "answer lost: Peel stopped while Google was working (probably billed)". Returns how
    /// many. Blocking: call it off the async threads, or just before the process ends.
    pub fn abandon_in_flight(&self) -> Result<usize, StoreError> {
        self.stop_sending();
        self.store().abandon_attempts(&self.owner)
    }

    /// Counts a request in flight until the returned guard drops.
    pub(super) fn count_in_flight(&self) -> InFlight {
        self.stopping.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(Arc::clone(&self.stopping.in_flight))
    }

    /// Cancels `job` wherever it is: written to its row first (so no process ever sends it
    /// again), then stopped here if this engine runs it.
    pub async fn cancel(&self, job: JobId) -> Result<Change, StoreError> {
        let change = self
            .db(move |store| store.cancel_job(job, Timestamp::now()))
            .await?;
        if let Some(switch) = self
            .stopping
            .cancels
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&job)
        {
            let _ = switch.send(true);
        }
        Ok(change)
    }

    /// The controls a running job obeys: the caller's (its Cancel and Retry now), plus a cancel
    /// written to the job's row by any process, seen within [`CANCEL_CHECK_S`] seconds.
    pub(super) fn watch_cancel(&self, job: JobId, outer: &JobControl) -> (JobControl, CancelWatch) {
        let (switch, cancelled) = watch::channel(*outer.cancelled.borrow());
        self.stopping
            .cancels
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(job, switch.clone());
        self.start_cancel_watcher();
        let mut outer_cancelled = outer.cancelled.clone();
        let forward = tokio::spawn(async move {
            if outer_cancelled.wait_for(|c| *c).await.is_ok() {
                let _ = switch.send(true);
            }
        });
        let control = JobControl {
            cancelled,
            retry_now: Arc::clone(&outer.retry_now),
        };
        let watch = CancelWatch {
            job,
            cancels: Arc::clone(&self.stopping.cancels),
            forward: forward.abort_handle(),
        };
        (control, watch)
    }

    /// Starts, once per engine, the task that looks every [`CANCEL_CHECK_S`] seconds for jobs
    /// this engine runs that another process cancelled or deleted.
    fn start_cancel_watcher(&self) {
        let store = Arc::clone(self.store());
        let cancels = Arc::clone(&self.stopping.cancels);
        let owner = self.owner.clone();
        self.stopping.watcher.get_or_init(move || {
            tokio::spawn(watch_for_cancels(store, cancels, owner));
        });
    }
}

/// The loop of [`Engine::start_cancel_watcher`]; it ends when the engine is gone.
async fn watch_for_cancels(store: Arc<Store>, cancels: Cancels, owner: String) {
    let every = std::time::Duration::from_secs(CANCEL_CHECK_S);
    loop {
        tokio::time::sleep(every).await;
        if Arc::strong_count(&cancels) == 1 {
            return;
        }
        let running = !cancels
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty();
        if !running {
            continue;
        }
        let (store, owner) = (Arc::clone(&store), owner.clone());
        let Ok(Ok(cancelled)) =
            tokio::task::spawn_blocking(move || store.cancelled_jobs_of(&owner)).await
        else {
            continue;
        };
        let cancels = cancels.lock().unwrap_or_else(PoisonError::into_inner);
        for job in cancelled {
            if let Some(switch) = cancels.get(&job) {
                let _ = switch.send(true);
            }
        }
    }
}
