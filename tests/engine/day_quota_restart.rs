#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]
#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]

//! Peel's own daily limit across a restart: an engine on a tier of [`PER_DAY`] requests a day
//! sends them all and goes away; a new engine on the same database (a restart), even after a
//! tier change in Settings, knows the day is used up and waits until midnight Pacific instead of
//! sending a request Google would answer with a daily 429.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use peel::diagnosis::reset::next_daily_reset;
use peel::resilience::TierLimits;
use peel::sim::scenario::Limits;
use peel::sim::{RunningSim, Scenario};
use peel::worker::{
    self, Command, EngineSettings, Event, JobId, JobOutcome, JobSpec, JobState, WorkerHandle,
};

use crate::sim_rig::{engine_on_tier, patient_budget, start_sim};

const FLASH: &str = "gemini-3.1-flash-image";
const PER_DAY: u32 = 3;

/// The tier: [`PER_DAY`] requests a day, `requests_per_minute` a minute.
fn tier(requests_per_minute: u32) -> TierLimits {
    TierLimits {
        requests_per_minute,
        images_per_minute: 0,
        requests_per_day: PER_DAY,
    }
}

/// A worker on an engine over the database in `dir`, on the tier with 10 requests a minute.
fn worker_on(sim: &RunningSim, dir: &Path) -> WorkerHandle {
    let engine = engine_on_tier(sim, dir, tier(10), 5);
    worker::spawn(&tokio::runtime::Handle::current(), Arc::new(engine), None)
}

fn lantern(n: u32) -> JobSpec {
    JobSpec {
        prompt: format!("a paper lantern, number {n}"),
        model: FLASH.to_owned(),
        fallback: None,
        image_size: Some("512".to_owned()),
        ..JobSpec::default()
    }
}

/// The next event (generous: none of these takes long, but the machine is shared).
async fn next_event(handle: &mut WorkerHandle) -> Event {
    tokio::time::timeout(Duration::from_mins(2), handle.events.recv())
        .await
        .expect("the worker keeps talking")
        .expect("open channel")
}

async fn next_finished(handle: &mut WorkerHandle) -> JobOutcome {
    loop {
        if let Event::Finished(outcome) = next_event(handle).await {
            return *outcome;
        }
    }
}

/// The first session: sends the day's whole quota, every job delivered.
async fn use_up_the_day(sim: &RunningSim, dir: &Path) {
    let mut handle = worker_on(sim, dir);
    for n in 0..PER_DAY {
        handle
            .commands
            .send(Command::Generate(lantern(n)))
            .await
            .unwrap();
    }
    for _ in 0..PER_DAY {
        let outcome = next_finished(&mut handle).await;
        assert_eq!(outcome.status, JobState::Delivered, "{}", outcome.reason);
    }
}

/// The job the restarted engine holds back, with when and why it waits; a request sent instead
/// fails the test.
async fn held_back(handle: &mut WorkerHandle) -> (JobId, Timestamp, String) {
    loop {
        match next_event(handle).await {
            Event::Waiting {
                job, until, reason, ..
            } => return (job, until, reason),
            Event::AttemptStarted { job, .. } => {
                panic!("job {job} was sent after the day's quota was used")
            }
            Event::Finished(outcome) => {
                panic!("job {} ended: {}", outcome.job, outcome.reason)
            }
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_and_a_tier_change_remember_the_day_quota_used() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    sim.state().quotas().set_limits(Some(Limits {
        requests_per_minute: 100,
        input_tokens_per_minute: 100_000_000,
        requests_per_day: u64::from(PER_DAY),
    }));
    let dir = tempfile::tempdir().unwrap();
    use_up_the_day(&sim, dir.path()).await;
    let stats = &sim.state().stats;
    assert_eq!(stats.requests.load(Ordering::Relaxed), u64::from(PER_DAY));

    // Peel restarts on the same database and holds the next job back.
    let mut handle = worker_on(&sim, dir.path());
    handle
        .commands
        .send(Command::Generate(lantern(PER_DAY)))
        .await
        .unwrap();
    let (job, until, reason) = held_back(&mut handle).await;
    assert!(reason.contains("requests per day"), "{reason}");
    let midnight = next_daily_reset(Timestamp::now()).unwrap();
    assert!(
        until.duration_since(midnight).abs() < SignedDuration::from_mins(1),
        "waits until {until}, midnight Pacific is {midnight}"
    );

    // The designer changes the tier in Settings (Peel's limiters are rebuilt), then asks the
    // waiting job to retry now: the day is still used up.
    let settings = EngineSettings {
        client: None,
        tier: tier(20),
        budget: patient_budget(),
    };
    handle
        .commands
        .send(Command::Configure(Box::new(settings)))
        .await
        .unwrap();
    handle.commands.send(Command::RetryNow(job)).await.unwrap();
    let (again, _, reason) = held_back(&mut handle).await;
    assert_eq!(again, job);
    assert!(reason.contains("requests per day"), "{reason}");
    handle.commands.send(Command::Cancel(job)).await.unwrap();
    let outcome = next_finished(&mut handle).await;
    assert_eq!(outcome.status, JobState::Cancelled, "{}", outcome.reason);
    assert_eq!(
        stats.requests.load(Ordering::Relaxed),
        u64::from(PER_DAY),
        "no request reached the server after the restart"
    );
    assert_eq!(
        stats.errors.load(Ordering::Relaxed),
        0,
        "no 429 Peel caused"
    );
    sim.shutdown().await.unwrap();
}
