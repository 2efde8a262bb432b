#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives the test with block_on; a test is not the UI thread"
)]

//! The window's services share one tokio runtime with the engine. When another process (a second
//! window, or `peel generate`) holds SQLite's write lock, the engine's database calls wait for it
//! (up to the 5 s busy timeout, again and again); they must wait on the blocking pool, never on
//! the runtime's workers, or every task stalls: thumbnails stop arriving and the gallery freezes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use peel::app::media::{self, MediaEvent, MediaRequest};
use peel::resilience::Policy;
use peel::sim::Scenario;
use peel::worker::{Engine, EventSink, JobControl, JobSpec, JobState};
use sim_rig::{client_for, engine_on, start_sim};

/// The engine tests' simulator rig, shared (this test uses the simulator and the engine on it).
#[path = "../engine/sim_rig.rs"]
#[expect(dead_code, reason = "the rest of the rig serves the engine tests")]
mod sim_rig;

/// An engine on the simulator (no answer time), its store in `dir`.
async fn engine(dir: &std::path::Path) -> (Arc<Engine>, peel::sim::RunningSim) {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let engine = Arc::new(engine_on(
        client_for(&sim, "v1beta", None),
        &dir.join("data/peel.db"),
        Policy::default(),
        dir.join("out"),
        1,
    ));
    (engine, sim)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thumbnails_keep_arriving_while_another_process_holds_the_write_lock() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, _sim) = engine(dir.path()).await;
    let store = Arc::clone(engine.store());
    let db_path = dir.path().join("data/peel.db");
    let spec = JobSpec {
        prompt: "a fox in the snow".to_owned(),
        model: "gemini-3-pro-image".to_owned(),
        ..JobSpec::default()
    };
    let json = serde_json::to_string(&spec).unwrap();
    let ids: Vec<i64> = (0..4)
        .map(|_| store.enqueue(&json, jiff::Timestamp::now()).unwrap())
        .collect();

    // Another process takes the write lock and keeps it.
    let other = rusqlite::Connection::open(&db_path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE;").unwrap();

    // Four jobs start: each one's first write now waits for the lock.
    let mut jobs = Vec::new();
    for id in ids {
        let (engine, spec) = (Arc::clone(&engine), spec.clone());
        let (tx, mut rx) = tokio::sync::mpsc::channel(64);
        tokio::spawn(async move { while rx.recv().await.is_some() {} });
        jobs.push(tokio::spawn(async move {
            let (_cancel, control) = JobControl::detached();
            engine
                .run_job(id, &spec, &EventSink::new(tx, None), &control)
                .await
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    // The gallery asks for a thumbnail meanwhile.
    let picture = dir.path().join("picture.png");
    image::RgbaImage::from_pixel(200, 100, image::Rgba([30, 90, 200, 255]))
        .save(&picture)
        .unwrap();
    peel::app::keychain::use_memory();
    let mut media = media::spawn(&tokio::runtime::Handle::current(), None);
    let asked = Instant::now();
    media
        .requests
        .send(MediaRequest::Thumbnail {
            path: picture,
            max_side_px: 64,
        })
        .await
        .unwrap();
    // A liveness bound, not a speed goal: a decode of 200x100 pixels takes milliseconds;
    // with the workers stuck in SQLite's 5 s busy waits it would take seconds.
    let event = tokio::time::timeout(Duration::from_secs(3), media.events.recv())
        .await
        .expect("no thumbnail while another process held the database: the runtime stalled");
    assert!(
        matches!(event, Some(MediaEvent::Thumbnail { .. })),
        "{event:?}"
    );
    let waited = asked.elapsed();

    // The lock goes; the jobs finish.
    other.execute_batch("COMMIT;").unwrap();
    for job in jobs {
        let outcome = job.await.unwrap();
        assert_eq!(outcome.status, JobState::Delivered, "{}", outcome.reason);
    }
    assert!(waited < Duration::from_secs(3));
}
