#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]
#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]

//! Load: many jobs queued at once on a tier of 10 requests per minute, against the simulator
//! with its clock sped up (`--time-scale`) and the same 10 per minute. Peel's own limiter must
//! keep every minute, as the simulator counts it, at 10 requests or fewer, so the simulator never
//! answers a 429, and every job ends delivered (or parked with a reason).
//!
//! 40 jobs run in `cargo test`; the 200-job run is ignored (about a minute):
//! `cargo test --test engine load_tier -- --ignored`.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::sim_rig::{engine_on_tier, start_sim};
use peel::resilience::TierLimits;
use peel::sim::scenario::Limits;
use peel::sim::{RunningSim, SIM_API_KEY, Scenario};
use peel::worker::{self, Command, Engine, Event, JobSpec, JobState};

const FLASH: &str = "gemini-3.1-flash-image";
const PER_MINUTE: u32 = 10;
/// Real seconds per simulated second: a simulated minute lasts 3 real seconds.
const TIME_SCALE: f64 = 0.05;

/// An engine on a tier of [`PER_MINUTE`] requests a minute, counting the simulator's minutes.
fn engine_on_the_tier(sim: &RunningSim, dir: &Path) -> Arc<Engine> {
    let tier = TierLimits {
        requests_per_minute: PER_MINUTE,
        images_per_minute: 0,
        requests_per_day: 0,
    };
    let engine = engine_on_tier(sim, dir, tier, 3);
    // The simulator counts scaled minutes; so must Peel.
    engine.set_server_time_scale(TIME_SCALE);
    Arc::new(engine)
}

/// Waits until each of `jobs` jobs has ended once; returns how many were delivered. Any other
/// end must come with a reason.
async fn delivered_of(events: &mut tokio::sync::mpsc::Receiver<Event>, jobs: usize) -> usize {
    let mut ended = HashSet::new();
    let mut delivered = 0;
    while ended.len() < jobs {
        // Generous: the whole run waits for its minutes, but no single event takes this long.
        let event = tokio::time::timeout(Duration::from_mins(2), events.recv())
            .await
            .expect("the queue keeps moving")
            .expect("open channel");
        let Event::Finished(outcome) = event else {
            continue;
        };
        assert!(ended.insert(outcome.job), "job {} ended twice", outcome.job);
        match outcome.status {
            JobState::Delivered => delivered += 1,
            JobState::Parked | JobState::Stopped => {
                assert!(
                    !outcome.reason.is_empty(),
                    "job {} ended without a reason",
                    outcome.job
                );
            }
            other => panic!("job {} ended {other:?}: {}", outcome.job, outcome.reason),
        }
    }
    delivered
}

/// Queues `jobs` jobs at once and checks the tier held.
async fn queue_on_a_tier_of_ten_a_minute(jobs: usize) {
    let sim = start_sim(Scenario::Calm, TIME_SCALE).await;
    sim.state().quotas().set_limits(Some(Limits {
        requests_per_minute: u64::from(PER_MINUTE),
        input_tokens_per_minute: 100_000_000,
        requests_per_day: 100_000,
    }));
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_on_the_tier(&sim, dir.path());
    let mut handle = worker::spawn(&tokio::runtime::Handle::current(), engine, None);
    for n in 0..jobs {
        let spec = JobSpec {
            prompt: format!("a paper lantern, number {n}"),
            model: FLASH.to_owned(),
            fallback: None,
            image_size: Some("512".to_owned()),
            ..JobSpec::default()
        };
        handle.commands.send(Command::Generate(spec)).await.unwrap();
    }
    let delivered = delivered_of(&mut handle.events, jobs).await;
    let stats = &sim.state().stats;
    let busiest = sim.state().quotas().busiest_minute(SIM_API_KEY, FLASH);
    assert!(
        busiest <= u64::from(PER_MINUTE),
        "{busiest} requests in one simulated minute"
    );
    assert_eq!(
        busiest,
        u64::from(PER_MINUTE),
        "the tier was used to its limit"
    );
    assert_eq!(
        stats.errors.load(Ordering::Relaxed),
        0,
        "the simulator refused a request (a 429 Peel caused)"
    );
    assert_eq!(stats.requests.load(Ordering::Relaxed), jobs as u64);
    assert_eq!(delivered, jobs, "a calm server delivers every job");
    sim.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_queued_jobs_stay_under_ten_requests_a_minute() {
    queue_on_a_tier_of_ten_a_minute(40).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "about a minute: cargo test --test engine load_tier -- --ignored"]
async fn two_hundred_queued_jobs_stay_under_ten_requests_a_minute() {
    queue_on_a_tier_of_ten_a_minute(200).await;
}
