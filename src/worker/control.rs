//! A running job's controls: cancel it, or skip its current wait ("retry now").

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::futures::Notified;
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

/// The longest wait Peel takes in one go (a day); a longer or endless one (a server's "1e308h")
/// is waited in steps of this, so no outside number can overflow a timer.
pub const LONGEST_WAIT_S: f64 = 86_400.0;

/// `wait_s` as a duration, clamped to `0..=`[`LONGEST_WAIT_S`] (NaN is no wait).
pub fn wait_duration(wait_s: f64) -> Duration {
    if wait_s.is_nan() {
        return Duration::ZERO;
    }
    Duration::from_secs_f64(wait_s.clamp(0.0, LONGEST_WAIT_S))
}

/// Waits `wait_s` seconds, or until "retry now" or a cancel. "Retry now" only skips a wait under
/// way: one pressed before (while a request was on its way) is not kept.
pub async fn wait(wait_s: f64, control: &JobControl) -> Waited {
    let retry_now = Arc::clone(&control.retry_now);
    let armed = retry_now.notified();
    tokio::pin!(armed);
    armed.as_mut().enable();
    wait_armed(wait_s, control, armed).await
}

/// [`wait`], with its "retry now" listener armed beforehand: armed before the wait is announced,
/// a Retry now pressed as soon as the countdown shows is never missed.
pub async fn wait_armed(
    wait_s: f64,
    control: &JobControl,
    retry_now: Pin<&mut Notified<'_>>,
) -> Waited {
    let mut cancelled = control.cancelled.clone();
    let already = *cancelled.borrow();
    if already {
        return Waited::Cancelled;
    }
    tokio::select! {
        () = tokio::time::sleep(wait_duration(wait_s)) => Waited::Elapsed,
        () = retry_now => Waited::Skipped,
        _ = cancelled.wait_for(|c| *c) => Waited::Cancelled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_numbers_never_overflow_a_wait() {
        assert_eq!(wait_duration(f64::INFINITY), Duration::from_hours(24));
        assert_eq!(wait_duration(1e308 * 3600.0), Duration::from_hours(24));
        assert_eq!(wait_duration(f64::NAN), Duration::ZERO);
        assert_eq!(wait_duration(-5.0), Duration::ZERO);
        assert_eq!(wait_duration(2.5), Duration::from_millis(2_500));
    }

    #[tokio::test(start_paused = true)]
    #[expect(
        clippy::disallowed_methods,
        reason = "#[tokio::test] drives the test with block_on; a test is not the UI thread"
    )]
    async fn a_retry_now_pressed_while_a_request_was_on_its_way_does_not_skip_the_next_wait() {
        let (_cancel, control) = JobControl::detached();
        // What the worker does on Retry now while the job has no wait under way.
        control.retry_now.notify_waiters();
        assert!(matches!(wait(5.0, &control).await, Waited::Elapsed));

        // During a wait, it skips the rest.
        let skipper = control.clone();
        let waiting = tokio::spawn(async move { wait(60.0, &skipper).await });
        tokio::task::yield_now().await;
        tokio::time::advance(Duration::from_secs(1)).await;
        control.retry_now.notify_waiters();
        assert!(matches!(waiting.await.unwrap(), Waited::Skipped));

        // Once the wait is announced (its listener armed), a press before the job starts
        // waiting still skips it.
        let armed = control.retry_now.notified();
        tokio::pin!(armed);
        armed.as_mut().enable();
        control.retry_now.notify_waiters();
        assert!(matches!(
            wait_armed(60.0, &control, armed).await,
            Waited::Skipped
        ));
    }
}
