//! A running job's controls: cancel it, or skip its current wait ("retry now").

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};

/// Per-job controls: cancel, and skip the current wait.
#[derive(Clone, Debug)]
pub struct JobControl {
    /// Becomes true to cancel.
    pub cancelled: watch::Receiver<bool>,
    /// Notified to skip the current wait.
    pub retry_now: Arc<Notify>,
}

impl JobControl {
    /// Controls that never fire (for callers without a UI).
    pub fn detached() -> (watch::Sender<bool>, JobControl) {
        let (tx, rx) = watch::channel(false);
        (
            tx,
            JobControl {
                cancelled: rx,
                retry_now: Arc::new(Notify::new()),
            },
        )
    }
}

/// How a wait ended.
pub enum Waited {
    /// The time passed.
    Elapsed,
    /// "Retry now" skipped the rest.
    Skipped,
    /// The job was cancelled.
    Cancelled,
}

/// Waits `wait_s` seconds, or until "retry now" or a cancel.
pub async fn wait(wait_s: f64, control: &JobControl) -> Waited {
    let mut cancelled = control.cancelled.clone();
    let already = *cancelled.borrow();
    if already {
        return Waited::Cancelled;
    }
    tokio::select! {
        () = tokio::time::sleep(Duration::from_secs_f64(wait_s.max(0.0))) => Waited::Elapsed,
        () = control.retry_now.notified() => Waited::Skipped,
        _ = cancelled.wait_for(|c| *c) => Waited::Cancelled,
    }
}
