#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]
#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]

//! Google's current model list against the simulator on 127.0.0.1: in the `retired-model`
//! scenario the simulator's `models.list` leaves the retired primary out, so once the list is
//! known a job goes straight to the fallback without a single request to the retired id; the list
//! is cached in the data folder for a day, and the worker refreshes it when it is configured.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::sim_rig::{client_for, start_sim};
use jiff::{SignedDuration, Timestamp};
use peel::api::ClientConfig;
use peel::sim::{RunningSim, Scenario};
use peel::store::Store;
use peel::store::model_cache::{self, ModelCache, endpoint_label};
use peel::worker::catalog_refresh::{ListSource, refresh_live_models};
use peel::worker::{
    self, Command, Engine, EngineConfig, EngineSettings, Event, EventSink, JobControl, JobOutcome,
    JobSpec, JobState,
};
use tokio::sync::mpsc;

const PRO: &str = "gemini-3-pro-image";
const FALLBACK: &str = "gemini-nano-banana-2.1";

fn requests(sim: &RunningSim) -> u64 {
    sim.state().stats.requests.load(Ordering::Relaxed)
}

/// A key of the designer's own (the simulator takes any well-formed key; its built-in one stands
/// for "no key set").
fn key() -> String {
    format!("AIza{}", "L".repeat(35))
}

fn engine(sim: &RunningSim, dir: &tempfile::TempDir) -> Engine {
    let store = Arc::new(Store::open(&dir.path().join("peel.db")).unwrap());
    Engine::new(
        client_for(sim, "v1beta", Some(&key())),
        store,
        EngineConfig::defaults(dir.path().join("images"), 5),
    )
}

fn config(sim: &RunningSim) -> ClientConfig {
    client_for(sim, "v1beta", Some(&key())).config().clone()
}

fn spec() -> JobSpec {
    JobSpec {
        prompt: "a pebble on sand".to_owned(),
        model: PRO.to_owned(),
        fallback: Some(FALLBACK.to_owned()),
        aspect_ratio: Some("1:1".to_owned()),
        image_size: Some("1K".to_owned()),
        ..JobSpec::default()
    }
}

async fn run(engine: &Engine, spec: &JobSpec) -> (JobOutcome, Vec<Event>) {
    let json = serde_json::to_string(spec).unwrap();
    let job = engine.store().enqueue(&json, Timestamp::now()).unwrap();
    let (tx, mut rx) = mpsc::channel(256);
    let sink = EventSink::new(tx, None);
    let (_cancel, control) = JobControl::detached();
    let outcome = engine.run_job(job, spec, &sink, &control).await;
    drop(sink);
    let mut events = Vec::new();
    while let Some(event) = rx.recv().await {
        events.push(event);
    }
    (outcome, events)
}

/// Drains the events a refresh sent.
fn drained(mut rx: mpsc::Receiver<Event>) -> Vec<Event> {
    let mut events = Vec::new();
    while let Ok(event) = rx.try_recv() {
        events.push(event);
    }
    events
}

#[tokio::test]
async fn a_primary_google_no_longer_lists_is_never_asked() {
    let sim = start_sim(Scenario::RetiredModel, 1.0).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(&sim, &dir);

    let (tx, rx) = mpsc::channel(16);
    let sink = EventSink::new(tx, None);
    let source = refresh_live_models(
        &engine,
        &config(&sim),
        dir.path(),
        Some(&sink),
        Timestamp::now(),
    )
    .await
    .unwrap();
    drop(sink);
    assert_eq!(source, Some(ListSource::Google));
    assert_eq!(requests(&sim), 1, "one models.list");
    let events = drained(rx);
    assert_eq!(
        events.last(),
        Some(&Event::ModelsChecked {
            unlisted: vec![PRO.to_owned()]
        }),
        "{events:?}"
    );

    let (outcome, events) = run(&engine, &spec()).await;
    assert_eq!(outcome.status, JobState::Delivered, "{}", outcome.reason);
    assert_eq!(outcome.model_used.as_deref(), Some(FALLBACK));
    assert!(
        outcome
            .attempts
            .iter()
            .all(|attempt| attempt.model == FALLBACK),
        "{:?}",
        outcome.attempts
    );
    assert_eq!(requests(&sim), 2, "no request to the retired id");
    let reason = events
        .iter()
        .find_map(|event| match event {
            Event::FellBack {
                from, to, reason, ..
            } => {
                assert_eq!((from.as_str(), to.as_str()), (PRO, FALLBACK));
                Some(reason.clone())
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(
        reason,
        "gemini-3-pro-image is no longer listed by Google's models.list"
    );
    assert!(
        !events
            .iter()
            .any(|event| matches!(event, Event::AttemptStarted { model, .. } if model == PRO)),
        "{events:?}"
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_list_is_cached_for_a_day_per_endpoint() {
    let sim = start_sim(Scenario::RetiredModel, 1.0).await;
    let dir = tempfile::tempdir().unwrap();
    let now = Timestamp::now();
    let first = engine(&sim, &dir);
    let source = refresh_live_models(&first, &config(&sim), dir.path(), None, now).await;
    assert_eq!(source.unwrap(), Some(ListSource::Google));
    let cache_file = model_cache::cache_path(dir.path());
    let cached = model_cache::read(&cache_file).unwrap().unwrap();
    assert!(cached.ids.iter().any(|id| id == FALLBACK));
    assert!(!cached.ids.iter().any(|id| id == PRO));
    assert!(
        !std::fs::read_to_string(&cache_file)
            .unwrap()
            .contains("AIza")
    );

    // A later start within the day: the cached list, no request, and the job still skips PRO.
    let second = engine(&sim, &dir);
    let later = now.checked_add(SignedDuration::from_hours(23)).unwrap();
    let source = refresh_live_models(&second, &config(&sim), dir.path(), None, later).await;
    assert_eq!(source.unwrap(), Some(ListSource::Cache));
    assert_eq!(requests(&sim), 1);
    let (outcome, _) = run(&second, &spec()).await;
    assert!(outcome.attempts.iter().all(|a| a.model == FALLBACK));
    assert_eq!(requests(&sim), 2);

    // A day later the list is asked for again.
    let third = engine(&sim, &dir);
    let next_day = now.checked_add(SignedDuration::from_hours(25)).unwrap();
    let source = refresh_live_models(&third, &config(&sim), dir.path(), None, next_day).await;
    assert_eq!(source.unwrap(), Some(ListSource::Google));
    assert_eq!(requests(&sim), 3);

    // A list cached for another endpoint says nothing about this one.
    model_cache::write(
        &cache_file,
        &ModelCache {
            endpoint: endpoint_label("https://generativelanguage.googleapis.com", "v1beta"),
            fetched_at: now,
            ids: vec![FALLBACK.to_owned()],
        },
    )
    .unwrap();
    let fourth = engine(&sim, &dir);
    let source = refresh_live_models(&fourth, &config(&sim), dir.path(), None, now).await;
    assert_eq!(source.unwrap(), Some(ListSource::Google));
    assert_eq!(requests(&sim), 4);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn without_a_key_no_list_is_asked_for_and_every_model_is_tried() {
    let sim = start_sim(Scenario::RetiredModel, 1.0).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(&sim, &dir);
    let keyless = ClientConfig {
        api_key: None,
        ..config(&sim)
    };
    let source = refresh_live_models(&engine, &keyless, dir.path(), None, Timestamp::now()).await;
    assert_eq!(source.unwrap(), None);
    // The simulator's built-in key is what the window uses while no key is set.
    let simulated = client_for(&sim, "v1beta", None).config().clone();
    let source = refresh_live_models(&engine, &simulated, dir.path(), None, Timestamp::now()).await;
    assert_eq!(source.unwrap(), None);
    assert_eq!(requests(&sim), 0);
    assert!(!model_cache::cache_path(dir.path()).exists());
    // Without the list the retired primary is asked once, answers 404, and the job falls back.
    let (outcome, _) = run(&engine, &spec()).await;
    assert_eq!(outcome.attempts[0].model, PRO);
    assert_eq!(outcome.attempts[0].kind, "model_not_found");
    assert_eq!(outcome.model_used.as_deref(), Some(FALLBACK));
    sim.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_refreshes_when_configured_and_tells_the_window() {
    let sim = start_sim(Scenario::RetiredModel, 1.0).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = Arc::new(engine(&sim, &dir));
    let mut handle = worker::spawn(&tokio::runtime::Handle::current(), engine, None);
    let settings = EngineSettings {
        client: Some(config(&sim)),
        tier: EngineConfig::defaults(dir.path().into(), 0).tier,
        budget: EngineConfig::defaults(dir.path().into(), 0).budget,
    };
    handle
        .commands
        .send(Command::Configure(Box::new(settings)))
        .await
        .unwrap();
    let mut next = async || {
        tokio::time::timeout(Duration::from_secs(20), handle.events.recv())
            .await
            .unwrap()
            .unwrap()
    };
    loop {
        if let Event::ModelsChecked { unlisted } = next().await
            && !unlisted.is_empty()
        {
            assert_eq!(unlisted, [PRO]);
            break;
        }
    }
    handle
        .commands
        .send(Command::Generate(spec()))
        .await
        .unwrap();
    let outcome = loop {
        match next().await {
            Event::AttemptStarted { model, .. } => assert_eq!(model, FALLBACK),
            Event::Finished(outcome) => break outcome,
            _ => {}
        }
    };
    assert_eq!(outcome.status, JobState::Delivered, "{}", outcome.reason);
    assert_eq!(requests(&sim), 2, "one models.list, one image");
    sim.shutdown().await.unwrap();
}
