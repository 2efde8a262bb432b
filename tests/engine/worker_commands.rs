#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]

//! The worker as the app drives it: commands in, events out, over bounded channels. "Retry now"
//! skips a wait and "Cancel" ends a job at any time, and the job's state is kept in the store.

use std::sync::Arc;
use std::time::Duration;

use crate::sim_rig::{client_for, start_sim};
use peel::resilience::{Backoff, BreakerConfig, Budget, Policy, TierLimits};
use peel::sim::Scenario;
use peel::store::Store;
use peel::worker::{self, Command, Engine, EngineConfig, Event, JobSpec, JobState};

/// The next event about a job's progress (history at start and per-attempt reports are skipped;
/// `tests/window/app_end_to_end.rs` and the unit tests cover those).
async fn next_event(events: &mut tokio::sync::mpsc::Receiver<Event>) -> Event {
    loop {
        let event = tokio::time::timeout(Duration::from_secs(30), events.recv())
            .await
            .expect("an event in time")
            .expect("open channel");
        if !matches!(event, Event::Restored { .. } | Event::AttemptEnded { .. }) {
            return event;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_now_skips_the_wait_and_cancel_ends_the_job() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("peel.db")).unwrap());
    let client = client_for(&sim, "v1beta", None);
    let engine = Arc::new(Engine::new(
        client,
        Arc::clone(&store),
        EngineConfig {
            // Long waits, so only "retry now" can explain a quick second attempt.
            policy: Policy {
                rate_limit_backoff: Backoff::doubling(600.0, 600.0),
                ..Policy::default()
            },
            budget: Budget {
                max_total_wait_s: 100_000.0,
                ..Budget::default()
            },
            tier: TierLimits::default(),
            breaker: BreakerConfig::default(),
            image_dir: dir.path().join("images"),
            seed: 5,
        },
    ));
    let mut handle = worker::spawn(&tokio::runtime::Handle::current(), engine, None);
    let spec = JobSpec {
        prompt: "sim:capacity".to_owned(),
        model: "gemini-3-pro-image".to_owned(),
        fallback: None,
        aspect_ratio: None,
        image_size: None,
        references: Vec::new(),
        safety_settings: Vec::new(),
        ..JobSpec::default()
    };
    handle.commands.send(Command::Generate(spec)).await.unwrap();
    let first = next_event(&mut handle.events).await;
    let Event::Queued { job, .. } = first else {
        panic!("queued first, got {first:?}")
    };
    assert!(matches!(
        next_event(&mut handle.events).await,
        Event::AttemptStarted { attempt: 1, .. }
    ));
    let Event::Waiting { wait_s, .. } = next_event(&mut handle.events).await else {
        panic!("then a wait")
    };
    assert!(wait_s > 30.0, "a long backoff: {wait_s}");

    handle.commands.send(Command::RetryNow(job)).await.unwrap();
    assert!(matches!(
        next_event(&mut handle.events).await,
        Event::AttemptStarted { attempt: 2, .. }
    ));
    assert!(matches!(
        next_event(&mut handle.events).await,
        Event::Waiting { .. }
    ));

    handle.commands.send(Command::Cancel(job)).await.unwrap();
    let Event::Finished(outcome) = next_event(&mut handle.events).await else {
        panic!("finished")
    };
    assert_eq!(outcome.status, JobState::Cancelled);
    assert_eq!(outcome.attempts.len(), 2);
    assert_eq!(store.job(job).unwrap().unwrap().state, JobState::Cancelled);
    sim.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_and_due_jobs_resume_and_parked_ones_resume_by_hand() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("peel.db")).unwrap());
    let spec = JobSpec {
        prompt: "a fox".to_owned(),
        model: "gemini-3-pro-image".to_owned(),
        fallback: None,
        aspect_ratio: None,
        image_size: None,
        references: Vec::new(),
        safety_settings: Vec::new(),
        ..JobSpec::default()
    };
    let json = serde_json::to_string(&spec).unwrap();
    let now = jiff::Timestamp::now();
    // Left by an earlier session: one queued, one parked until a time that has passed, one parked
    // until tomorrow, one parked with no time (a budget): only "by hand".
    let queued = store.enqueue(&json, now).unwrap();
    let due = store.enqueue(&json, now).unwrap();
    store
        .set_state(
            due,
            JobState::Parked,
            Some("2020-01-01T00:00:00Z".parse().unwrap()),
            Some("daily quota"),
            now,
        )
        .unwrap();
    let later = store.enqueue(&json, now).unwrap();
    let tomorrow = now
        .checked_add(jiff::SignedDuration::from_hours(24))
        .unwrap();
    store
        .set_state(
            later,
            JobState::Parked,
            Some(tomorrow),
            Some("daily quota"),
            now,
        )
        .unwrap();
    let by_hand = store.enqueue(&json, now).unwrap();
    store
        .set_state(by_hand, JobState::Parked, None, Some("budget"), now)
        .unwrap();

    let client = client_for(&sim, "v1beta", None);
    let engine = Arc::new(Engine::new(
        client,
        Arc::clone(&store),
        EngineConfig::defaults(dir.path().join("images"), 5),
    ));
    let mut handle = worker::spawn(&tokio::runtime::Handle::current(), engine, None);
    let mut finished = Vec::new();
    while finished.len() < 2 {
        if let Event::Finished(outcome) = next_event(&mut handle.events).await {
            assert_eq!(outcome.status, JobState::Delivered, "{}", outcome.reason);
            finished.push(outcome.job);
        }
    }
    finished.sort_unstable();
    assert_eq!(finished, [queued, due]);
    handle
        .commands
        .send(Command::RetryNow(by_hand))
        .await
        .unwrap();
    loop {
        if let Event::Finished(outcome) = next_event(&mut handle.events).await {
            assert_eq!(outcome.job, by_hand);
            assert_eq!(outcome.status, JobState::Delivered);
            break;
        }
    }
    assert_eq!(
        store.job(later).unwrap().unwrap().state,
        JobState::Parked,
        "tomorrow's job waits"
    );
    sim.shutdown().await.unwrap();
}
