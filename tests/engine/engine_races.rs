#![expect(clippy::unwrap_used, reason = "tests fail loudly")]
#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]

//! The engine when things happen at once: a tier change while 429s arrive never hangs it, a
//! cancelled half-open probe gives the breaker back, a job deleted while its image arrives stays
//! deleted (its files gone), and another process holding SQLite's write lock does not stall the
//! runtime the window draws with.

use std::sync::Arc;
use std::time::Duration;

use crate::sim_rig::{client_for, start_sim};
use peel::resilience::{Backoff, BreakerConfig, Budget, Policy, TierLimits};
use peel::sim::{RunningSim, Scenario, SimConfig};
use peel::store::Store;
use peel::worker::{
    Engine, EngineConfig, EngineSettings, Event, EventSink, JobControl, JobOutcome, JobSpec,
    JobState,
};
use tokio::sync::mpsc;

const PRO: &str = "gemini-3-pro-image";

fn engine(
    sim: &RunningSim,
    dir: &std::path::Path,
    budget: Budget,
    breaker: BreakerConfig,
) -> Engine {
    let store = Arc::new(Store::open(&dir.join("data/peel.db")).unwrap());
    Engine::new(
        client_for(sim, "v1beta", None),
        store,
        EngineConfig {
            policy: Policy {
                rate_limit_backoff: Backoff::doubling(0.01, 0.05),
                overload_backoff: Backoff::doubling(0.01, 0.05),
                server_backoff: Backoff::doubling(0.01, 0.05),
                ..Policy::default()
            },
            budget,
            tier: TierLimits {
                requests_per_minute: 0,
                images_per_minute: 0,
                requests_per_day: 0,
            },
            breaker,
            image_dir: dir.join("out"),
            seed: 5,
        },
    )
}

fn spec(prompt: &str) -> JobSpec {
    JobSpec {
        prompt: prompt.to_owned(),
        model: PRO.to_owned(),
        fallback: None,
        aspect_ratio: Some("1:1".to_owned()),
        image_size: Some("1K".to_owned()),
        ..JobSpec::default()
    }
}

/// Queues `spec` and runs it; events go to `tx`.
async fn run(
    engine: &Engine,
    spec: &JobSpec,
    tx: mpsc::Sender<Event>,
    control: &JobControl,
) -> JobOutcome {
    let json = serde_json::to_string(spec).unwrap();
    let job = engine
        .store()
        .enqueue(&json, jiff::Timestamp::now())
        .unwrap();
    engine
        .run_job(job, spec, &EventSink::new(tx, None), control)
        .await
}

fn drained() -> mpsc::Sender<Event> {
    let (tx, mut rx) = mpsc::channel(256);
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    tx
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tier_change_while_429s_arrive_never_hangs_the_worker() {
    // Free tier at a fast clock: 429s with delays arrive all the time, and each one makes the
    // engine tighten a limiter while the settings change the tier underneath.
    let sim = start_sim(Scenario::FreeTier, 0.002).await;
    let dir = tempfile::tempdir().unwrap();
    let budget = Budget {
        max_attempts: 6,
        ..Budget::default()
    };
    let engine = Arc::new(engine(&sim, dir.path(), budget, BreakerConfig::default()));
    let mut jobs = Vec::new();
    for n in 0..6 {
        let engine = Arc::clone(&engine);
        jobs.push(tokio::spawn(async move {
            let (_cancel, control) = JobControl::detached();
            run(
                &engine,
                &spec(&format!("a fox number {n}")),
                drained(),
                &control,
            )
            .await
        }));
    }
    let configure = {
        let engine = Arc::clone(&engine);
        tokio::task::spawn_blocking(move || {
            for n in 0..2_000u32 {
                engine.configure(EngineSettings {
                    client: None,
                    tier: TierLimits {
                        requests_per_minute: 10_000 + n % 2,
                        images_per_minute: 0,
                        requests_per_day: 0,
                    },
                    budget,
                });
            }
        })
    };
    let all = async {
        configure.await.unwrap();
        for job in jobs {
            job.await.unwrap();
        }
    };
    tokio::time::timeout(Duration::from_mins(2), all)
        .await
        .expect("the worker hung: a tier change and a 429 took locks in opposite orders");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_half_open_probe_gives_the_breaker_back() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let dir = tempfile::tempdir().unwrap();
    // One server failure opens the breaker; no cooldown: the next request is the probe.
    let breaker = BreakerConfig {
        failure_threshold: 1,
        window_s: 60.0,
        cooldown_s: 0.0,
    };
    let budget = Budget {
        max_attempts: 1,
        ..Budget::default()
    };
    let engine = Arc::new(engine(&sim, dir.path(), budget, breaker));
    let (_cancel, control) = JobControl::detached();
    let tripped = run(&engine, &spec("sim:internal a fox"), drained(), &control).await;
    assert_ne!(tripped.status, JobState::Delivered);

    // The probe: a body that stalls, cancelled while in flight.
    let (cancel, control) = JobControl::detached();
    let (tx, mut rx) = mpsc::channel(256);
    let probing = {
        let engine = Arc::clone(&engine);
        tokio::spawn(async move { run(&engine, &spec("sim:stall-body a fox"), tx, &control).await })
    };
    while let Some(event) = rx.recv().await {
        if matches!(event, Event::AttemptStarted { .. }) {
            break;
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    cancel.send(true).unwrap();
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    assert_eq!(probing.await.unwrap().status, JobState::Cancelled);

    // The next job may probe at once and gets its image.
    let (_cancel, control) = JobControl::detached();
    let next = tokio::time::timeout(
        Duration::from_secs(30),
        run(&engine, &spec("a fox in the snow"), drained(), &control),
    )
    .await
    .expect("the breaker still waits for a probe that will never report");
    assert_eq!(next.status, JobState::Delivered, "{}", next.reason);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_deleted_while_its_image_arrives_stays_deleted() {
    // Real answer times at a 0.05 clock: Nano Banana Pro takes about a second.
    let sim = peel::sim::start(
        "127.0.0.1:0".parse().unwrap(),
        SimConfig {
            scenario: Scenario::Calm,
            seed: 7,
            time_scale: 0.05,
            start_at: Some("2026-11-27T20:00:00Z".parse().unwrap()),
            generation_latency: true,
        },
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let engine = Arc::new(engine(
        &sim,
        dir.path(),
        Budget::default(),
        BreakerConfig::default(),
    ));
    let spec = spec("a lighthouse at dusk");
    let job = engine
        .store()
        .enqueue(
            &serde_json::to_string(&spec).unwrap(),
            jiff::Timestamp::now(),
        )
        .unwrap();
    let (tx, mut rx) = mpsc::channel(256);
    let running = {
        let engine = Arc::clone(&engine);
        tokio::spawn(async move {
            let (_cancel, control) = JobControl::detached();
            engine
                .run_job(job, &spec, &EventSink::new(tx, None), &control)
                .await
        })
    };
    while let Some(event) = rx.recv().await {
        if matches!(event, Event::AttemptStarted { .. }) {
            break;
        }
    }
    // Deleted while the request is out (nothing cancels it: the answer still arrives).
    let deleting = Arc::clone(&engine);
    tokio::task::spawn_blocking(move || deleting.delete(job))
        .await
        .unwrap()
        .unwrap();
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let outcome = running.await.unwrap();
    assert_ne!(outcome.status, JobState::Delivered);
    let record = engine.store().job(job).unwrap().unwrap();
    assert_eq!(record.state, JobState::Deleted, "delete wins");
    let out = dir.path().join("out");
    let left: Vec<_> = std::fs::read_dir(&out)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "files of a deleted job: {left:?}");
    let Event::Restored { jobs, .. } = engine.restored(50) else {
        panic!("restored() answers Restored");
    };
    assert!(jobs.iter().all(|past| past.id != job), "the job came back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_engines_on_one_data_folder_run_each_job_once() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let dir = tempfile::tempdir().unwrap();
    // The window and `peel generate --resume` on one data folder: two stores, two engines.
    let window = Arc::new(engine(
        &sim,
        dir.path(),
        Budget::default(),
        BreakerConfig::default(),
    ));
    let generate = Arc::new(engine(
        &sim,
        dir.path(),
        Budget::default(),
        BreakerConfig::default(),
    ));
    let spec = spec("a fox in the snow");
    let json = serde_json::to_string(&spec).unwrap();
    for _ in 0..6 {
        window
            .store()
            .enqueue(&json, jiff::Timestamp::now())
            .unwrap();
    }
    // Both resume every unfinished job at once.
    let mut runs = Vec::new();
    for engine in [&window, &generate] {
        for job in engine.store().unfinished_jobs().unwrap() {
            let engine = Arc::clone(engine);
            runs.push(tokio::spawn(async move {
                let (_cancel, control) = JobControl::detached();
                engine
                    .run_job(
                        job.id,
                        &job.spec,
                        &EventSink::new(drained(), None),
                        &control,
                    )
                    .await
            }));
        }
    }
    let mut delivered = std::collections::BTreeMap::<i64, usize>::new();
    for run in runs {
        let outcome = run.await.unwrap();
        if outcome.status == JobState::Delivered {
            *delivered.entry(outcome.job).or_default() += 1;
        } else {
            assert!(
                outcome.reason.contains("another Peel"),
                "{:?}: {}",
                outcome.status,
                outcome.reason
            );
        }
    }
    assert_eq!(delivered.len(), 6, "every job delivered: {delivered:?}");
    assert!(delivered.values().all(|&n| n == 1), "{delivered:?}");
    let requests = sim
        .state()
        .stats
        .requests
        .load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(requests, 6, "each job requested exactly once");
}
