#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]
#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]

//! The engine against the simulator, scenario by scenario: every job ends with an image or the
//! right diagnosis, with no more requests than the policy allows, and none during a known daily
//! lockout.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::sim_rig::{client_for, start_sim};
use peel::diagnosis::Kind;
use peel::resilience::{Backoff, BreakerConfig, Budget, Policy, TierLimits};
use peel::sim::{RunningSim, Scenario};
use peel::store::Store;
use peel::worker::{
    Engine, EngineConfig, Event, EventSink, JobControl, JobOutcome, JobSpec, JobState,
};
use tokio::sync::mpsc;

const PRO: &str = "gemini-3-pro-image";
const FLASH: &str = "gemini-3.1-flash-image";

struct Rig {
    engine: Engine,
    _dir: tempfile::TempDir,
}

fn fast_policy() -> Policy {
    // The table's shape with waits shrunk for tests.
    Policy {
        rate_limit_backoff: Backoff::doubling(0.01, 0.2),
        overload_backoff: Backoff::doubling(0.02, 0.2),
        server_backoff: Backoff::doubling(0.01, 0.1),
        ..Policy::default()
    }
}

fn rig(sim: &RunningSim, budget: Budget) -> Rig {
    rig_with(sim, budget, BreakerConfig::default())
}

fn rig_with(sim: &RunningSim, budget: Budget, breaker: BreakerConfig) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("peel.db")).unwrap());
    let client = client_for(sim, "v1beta", None);
    let engine = Engine::new(
        client,
        store,
        EngineConfig {
            policy: fast_policy(),
            budget,
            tier: TierLimits {
                requests_per_minute: 0,
                images_per_minute: 0,
                requests_per_day: 0,
            },
            breaker,
            image_dir: dir.path().join("images"),
            seed: 11,
        },
    );
    Rig { engine, _dir: dir }
}

fn spec(prompt: &str, size: Option<&str>) -> JobSpec {
    JobSpec {
        prompt: prompt.to_owned(),
        model: PRO.to_owned(),
        fallback: Some(FLASH.to_owned()),
        aspect_ratio: Some("1:1".to_owned()),
        image_size: size.map(str::to_owned),
        references: Vec::new(),
        safety_settings: Vec::new(),
        ..JobSpec::default()
    }
}

async fn run(rig: &Rig, spec: &JobSpec) -> (JobOutcome, Vec<Event>) {
    let json = serde_json::to_string(spec).unwrap();
    let job = rig
        .engine
        .store()
        .enqueue(&json, jiff::Timestamp::now())
        .unwrap();
    let (tx, mut rx) = mpsc::channel(1024);
    let sink = EventSink::new(tx, None);
    let (_cancel, control) = JobControl::detached();
    let outcome = rig.engine.run_job(job, spec, &sink, &control).await;
    drop(sink);
    let mut events = Vec::new();
    while let Some(event) = rx.recv().await {
        events.push(event);
    }
    (outcome, events)
}

fn requests(sim: &RunningSim) -> u64 {
    sim.state().stats.requests.load(Ordering::Relaxed)
}

#[tokio::test]
async fn calm_delivers_with_one_request() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let rig = rig(&sim, Budget::default());
    let (outcome, events) = run(&rig, &spec("a red fox", Some("2K"))).await;
    assert_eq!(outcome.status, JobState::Delivered, "{}", outcome.reason);
    assert_eq!(requests(&sim), 1);
    let path = outcome.image_path.unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(image::load_from_memory(&bytes).unwrap().width(), 2048);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::ImageArrived { .. }))
    );
    assert!(matches!(events.last(), Some(Event::Finished(_))));
    assert!(
        (outcome.cost_usd - 0.134).abs() < 1e-9,
        "{}",
        outcome.cost_usd
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn overload_falls_back_at_once_and_says_what_changed() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    // A short breaker cooldown: the fallback's breaker opens after five 503s, then probes.
    let breaker = BreakerConfig {
        cooldown_s: 0.2,
        ..BreakerConfig::default()
    };
    let rig = rig_with(&sim, Budget::default(), breaker);
    // "sim:overloaded" makes Pro answer 503; Flash then gets the same prompt and draws it.
    let mut job = spec("sim:overloaded fox", Some("4K"));
    job.fallback = Some("gemini-3.1-flash-lite-image".to_owned());
    let (outcome, events) = run(&rig, &job).await;
    // The trigger word overloads every model, so the fallback backs off until the attempt budget
    // ends: the job is kept, and exactly the allowed requests were sent.
    assert_eq!(outcome.status, JobState::Parked, "{}", outcome.reason);
    assert!(
        outcome.reason.contains("attempt budget"),
        "{}",
        outcome.reason
    );
    assert_eq!(requests(&sim), u64::from(Budget::default().max_attempts));
    let fell_back = events.iter().find_map(|e| match e {
        Event::FellBack { to, changes, .. } => Some((to.clone(), changes.clone())),
        _ => None,
    });
    assert_eq!(
        fell_back,
        Some((
            "gemini-3.1-flash-lite-image".to_owned(),
            vec!["4K to 1K".to_owned()]
        ))
    );
    assert_eq!(outcome.attempts[0].model, PRO);
    assert!(
        outcome.attempts[1..]
            .iter()
            .all(|a| a.model == "gemini-3.1-flash-lite-image")
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn peak_hour_ends_with_an_image_from_the_fallback() {
    let sim = start_sim(Scenario::PeakHour, 0.1).await;
    let rig = rig(&sim, Budget::default());
    let mut delivered_by = Vec::new();
    for _ in 0..4 {
        let (outcome, _) = run(&rig, &spec("a lighthouse", None)).await;
        assert_eq!(outcome.status, JobState::Delivered, "{}", outcome.reason);
        delivered_by.push(outcome.model_used.unwrap());
        assert!(outcome.attempts.len() <= 3, "{:?}", outcome.attempts);
    }
    assert!(delivered_by.iter().any(|m| m == FLASH), "{delivered_by:?}");
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn content_blocks_and_zero_quota_stop_after_one_request() {
    for (scenario, prompt, kind) in [
        (Scenario::Calm, "sim:image-safety", Kind::ImageSafety),
        (
            Scenario::StrictSafety,
            "sim:strict-image-safety",
            Kind::ImageSafety,
        ),
        (Scenario::Calm, "sim:prohibited", Kind::BlockedProhibited),
        (Scenario::NoQuota, "a fox", Kind::QuotaZero),
    ] {
        let sim = start_sim(scenario, 1.0).await;
        let rig = rig(&sim, Budget::default());
        let (outcome, _) = run(&rig, &spec(prompt, None)).await;
        assert_eq!(
            outcome.status,
            JobState::Stopped,
            "{scenario}: {}",
            outcome.reason
        );
        assert_eq!(outcome.diagnosis.unwrap().kind, kind, "{scenario}");
        assert_eq!(requests(&sim), 1, "{scenario}: never retried");
        sim.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn a_retired_primary_falls_back_and_is_not_asked_again() {
    let sim = start_sim(Scenario::RetiredModel, 1.0).await;
    let rig = rig(&sim, Budget::default());
    let (first, _) = run(&rig, &spec("a fox", None)).await;
    assert_eq!(first.status, JobState::Delivered, "{}", first.reason);
    assert_eq!(first.attempts[0].kind, "model_not_found");
    assert_eq!(first.model_used.as_deref(), Some(FLASH));
    let (second, _) = run(&rig, &spec("a fox", None)).await;
    assert_eq!(second.attempts.len(), 1, "the 404 is remembered");
    assert_eq!(second.attempts[0].model, FLASH);
    assert_eq!(requests(&sim), 3);
    let mut alone = spec("a fox", None);
    alone.fallback = None;
    let (stopped, _) = run(&rig, &alone).await;
    assert_eq!(stopped.status, JobState::Stopped);
    assert_eq!(stopped.diagnosis.unwrap().kind, Kind::ModelNotFound);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn answers_without_an_image_get_exactly_one_more_try() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let rig = rig(&sim, Budget::default());
    let (outcome, _) = run(&rig, &spec("sim:text-only", None)).await;
    assert_eq!(outcome.status, JobState::Stopped);
    assert_eq!(outcome.diagnosis.unwrap().kind, Kind::TextOnly);
    assert_eq!(requests(&sim), 2);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn flaky_servers_end_in_an_image_within_the_budget() {
    let sim = start_sim(Scenario::Flaky, 0.01).await;
    let rig = rig(&sim, Budget::default());
    let mut delivered = 0;
    for _ in 0..6 {
        let (outcome, _) = run(&rig, &spec("a pebble", Some("1K"))).await;
        assert!(outcome.attempts.len() <= Budget::default().max_attempts as usize);
        if outcome.status == JobState::Delivered {
            delivered += 1;
        } else {
            assert_eq!(outcome.status, JobState::Parked, "{}", outcome.reason);
        }
    }
    assert!(delivered >= 5, "{delivered} of 6");
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_daily_lockout_sends_nothing_to_that_model_until_the_reset() {
    // Free tier: 10 requests a day per model. Use them up on Flash with no fallback.
    let sim = start_sim(Scenario::FreeTier, 0.002).await;
    let rig = rig(
        &sim,
        Budget {
            max_attempts: 40,
            ..Budget::default()
        },
    );
    let mut flash_only = spec("a pebble", Some("512"));
    flash_only.model = FLASH.to_owned();
    flash_only.fallback = None;
    let mut parked = None;
    for _ in 0..12 {
        let (outcome, _) = run(&rig, &flash_only).await;
        if outcome.status == JobState::Parked {
            parked = Some(outcome);
            break;
        }
        assert_eq!(outcome.status, JobState::Delivered, "{}", outcome.reason);
    }
    let parked = parked.expect("the daily quota ends the day");
    assert_eq!(parked.diagnosis.unwrap().kind, Kind::QuotaDaily);
    assert!(parked.parked_until.is_some());
    // The next job for that model is parked without a single request.
    let before = requests(&sim);
    let (next, _) = run(&rig, &flash_only).await;
    assert_eq!(next.status, JobState::Parked);
    assert!(next.attempts.is_empty());
    assert_eq!(requests(&sim), before, "no request during a known lockout");
    // With a fallback, the locked-out primary is skipped straight away.
    let mut with_fallback = flash_only.clone();
    with_fallback.fallback = Some(PRO.to_owned());
    let (switched, events) = run(&rig, &with_fallback).await;
    assert_eq!(switched.status, JobState::Delivered, "{}", switched.reason);
    assert!(switched.attempts.iter().all(|a| a.model == PRO));
    assert!(events.iter().any(|e| matches!(e, Event::FellBack { .. })));
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_open_breaker_without_a_fallback_waits_for_its_probe() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let breaker = BreakerConfig {
        failure_threshold: 2,
        window_s: 60.0,
        cooldown_s: 0.3,
    };
    let rig = rig_with(
        &sim,
        Budget {
            max_attempts: 4,
            ..Budget::default()
        },
        breaker,
    );
    let mut job = spec("sim:internal", None);
    job.fallback = None;
    let (outcome, events) = run(&rig, &job).await;
    assert_eq!(outcome.status, JobState::Parked, "{}", outcome.reason);
    assert_eq!(requests(&sim), 4, "the attempt budget, no more");
    let opened = events
        .iter()
        .filter(|e| matches!(e, Event::BreakerChanged { .. }))
        .count();
    assert!(opened >= 1, "{events:?}");
    assert!(
        events.iter().any(|e| matches!(e, Event::Waiting { reason, wait_s, .. } if reason.contains("circuit breaker") && *wait_s > 0.1)),
        "waited for the probe: {events:?}"
    );
    sim.shutdown().await.unwrap();
}
