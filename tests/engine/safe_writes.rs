#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]
#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]

//! What the disk refuses is kept until it can be written: an image that arrived when neither the
//! output folder nor the data folder's `images/` could be written is held in memory, the job says
//! where it is and what to do, and it is delivered (without asking the model again) once a folder
//! works; a prompt the database cannot queue is kept, said in a sentence, and queued later.
//!
//! Folders are made unwritable by putting a regular file where they should be: unlike `chmod`,
//! that stops root too (CI runs as root).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::sim_rig::{client_for, engine_on, start_sim};
use peel::resilience::Policy;
use peel::sim::{RunningSim, Scenario};
use peel::worker::{self, Command, Engine, Event, EventSink, JobControl, JobSpec, JobState};
use tokio::sync::mpsc;

/// A temporary folder whose output folder and data folder `images/` both refuse writes.
struct Blocked {
    dir: tempfile::TempDir,
}

impl Blocked {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("blocked"),
            b"a file where a folder should be",
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        std::fs::write(
            dir.path().join("data").join("images"),
            b"a file, not a folder",
        )
        .unwrap();
        Self { dir }
    }

    fn output_folder(&self) -> std::path::PathBuf {
        self.dir.path().join("blocked").join("out")
    }

    fn data_folder(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    /// Writing works again (space freed, permissions fixed).
    fn unblock(&self) {
        std::fs::remove_file(self.dir.path().join("blocked")).unwrap();
        std::fs::remove_file(self.data_folder().join("images")).unwrap();
    }
}

fn engine(sim: &RunningSim, blocked: &Blocked) -> Arc<Engine> {
    Arc::new(engine_on(
        client_for(sim, "v1beta", None),
        &blocked.data_folder().join("peel.db"),
        Policy::default(),
        blocked.output_folder(),
        9,
    ))
}

fn spec(prompt: &str) -> JobSpec {
    JobSpec {
        prompt: prompt.to_owned(),
        model: "gemini-3.1-flash-image".to_owned(),
        fallback: None,
        image_size: Some("512".to_owned()),
        ..JobSpec::default()
    }
}

fn requests(sim: &RunningSim) -> u64 {
    sim.state().stats.requests.load(Ordering::Relaxed)
}

fn is_image(path: &Path) -> bool {
    let bytes = std::fs::read(path).unwrap();
    bytes.starts_with(&[0x89, b'P', b'N', b'G']) || bytes.starts_with(&[0xFF, 0xD8, 0xFF])
}

/// The next event that is not history or an attempt report.
async fn next_event(events: &mut mpsc::Receiver<Event>) -> Event {
    loop {
        let event = tokio::time::timeout(Duration::from_mins(1), events.recv())
            .await
            .expect("an event in time")
            .expect("open channel");
        if !matches!(
            event,
            Event::Restored { .. } | Event::AttemptEnded { .. } | Event::AttemptStarted { .. }
        ) {
            return event;
        }
    }
}

/// While an image is held, the next job waits instead of paying for an image that could not be
/// kept either.
async fn the_next_job_waits_while_an_image_is_held(
    engine: &Engine,
    sim: &RunningSim,
    sink: &EventSink,
) {
    let (_cancel, control) = JobControl::detached();
    let next_spec = spec("a second glass marble");
    let next = engine
        .store()
        .enqueue(
            &serde_json::to_string(&next_spec).unwrap(),
            jiff::Timestamp::now(),
        )
        .unwrap();
    let waiting = engine.run_job(next, &next_spec, sink, &control).await;
    assert_eq!(waiting.status, JobState::Parked, "{}", waiting.reason);
    assert!(
        waiting.reason.contains("disk refused the last image"),
        "{}",
        waiting.reason
    );
    assert!(waiting.parked_until.is_some(), "looked at again later");
    assert_eq!(requests(sim), 1, "nothing more was paid for");
}

#[tokio::test]
async fn an_image_no_folder_takes_is_held_and_delivered_once_writing_works() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let blocked = Blocked::new();
    let engine = engine(&sim, &blocked);
    let job_spec = spec("a glass marble");
    let job = engine
        .store()
        .enqueue(
            &serde_json::to_string(&job_spec).unwrap(),
            jiff::Timestamp::now(),
        )
        .unwrap();
    let (tx, mut rx) = mpsc::channel(1024);
    let sink = EventSink::new(tx, None);
    let (_cancel, control) = JobControl::detached();
    let outcome = engine.run_job(job, &job_spec, &sink, &control).await;

    // The job says what happened, where the image is, and what to do.
    assert_eq!(outcome.status, JobState::Parked, "{}", outcome.reason);
    for words in ["could not be saved", "in memory", "Free space", "Retry now"] {
        assert!(
            outcome.reason.contains(words),
            "{words}: {}",
            outcome.reason
        );
    }
    assert!(engine.holds_image(job));
    assert_eq!(
        engine.store().job(job).unwrap().unwrap().state,
        JobState::Parked
    );

    the_next_job_waits_while_an_image_is_held(&engine, &sim, &sink).await;

    // Still refused: still held, and said again.
    assert!(engine.save_held_images(&sink).await.is_empty());
    assert!(engine.holds_image(job));

    // Writing works again: the held bytes are delivered, without asking the model again.
    blocked.unblock();
    let delivered = engine.save_held_images(&sink).await;
    assert_eq!(delivered.len(), 1);
    assert_eq!(
        delivered[0].status,
        JobState::Delivered,
        "{}",
        delivered[0].reason
    );
    let path = delivered[0].image_path.clone().unwrap();
    assert!(
        path.starts_with(blocked.output_folder()),
        "{}",
        path.display()
    );
    assert!(is_image(&path));
    assert!(!engine.holds_image(job));
    assert_eq!(
        engine.store().job(job).unwrap().unwrap().state,
        JobState::Delivered
    );
    assert_eq!(requests(&sim), 1, "the image was paid for once");

    drop(sink);
    let mut events = Vec::new();
    while let Some(event) = rx.recv().await {
        events.push(event);
    }
    assert!(events.iter().any(|event| matches!(
        event,
        Event::Problem { message } if message.contains("still could not be saved")
    )));
    assert!(
        events.iter().any(
            |event| matches!(event, Event::ImageArrived { job: arrived, .. } if *arrived == job)
        )
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_now_saves_a_held_image_instead_of_asking_again() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let blocked = Blocked::new();
    let mut handle = worker::spawn(
        &tokio::runtime::Handle::current(),
        engine(&sim, &blocked),
        None,
    );
    handle
        .commands
        .send(Command::Generate(spec("a brass key")))
        .await
        .unwrap();
    let Event::Queued { job, .. } = next_event(&mut handle.events).await else {
        panic!("queued first");
    };
    let parked = loop {
        if let Event::Finished(outcome) = next_event(&mut handle.events).await {
            break outcome;
        }
    };
    assert_eq!(parked.status, JobState::Parked);
    assert!(parked.reason.contains("in memory"), "{}", parked.reason);

    blocked.unblock();
    handle.commands.send(Command::RetryNow(job)).await.unwrap();
    let mut arrived = None;
    let delivered = loop {
        match next_event(&mut handle.events).await {
            Event::ImageArrived { path, .. } => arrived = Some(path),
            Event::Finished(outcome) => break outcome,
            _ => {}
        }
    };
    assert_eq!(
        delivered.status,
        JobState::Delivered,
        "{}",
        delivered.reason
    );
    assert!(is_image(&arrived.unwrap()));
    assert_eq!(
        requests(&sim),
        1,
        "Retry now wrote the held image; nothing was sent again"
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_the_database_cannot_queue_is_kept_and_queued_later() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let blocked = Blocked::new();
    let engine = engine(&sim, &blocked);
    let mut handle = worker::spawn(
        &tokio::runtime::Handle::current(),
        Arc::clone(&engine),
        None,
    );
    // Another program holds the database's write lock (Peel gives up after its busy timeout).
    let holder = rusqlite::Connection::open(blocked.data_folder().join("peel.db")).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    handle
        .commands
        .send(Command::Generate(spec("a paper crane on a windowsill")))
        .await
        .unwrap();
    let message = loop {
        if let Event::Problem { message } = next_event(&mut handle.events).await {
            break message;
        }
    };
    for words in [
        "a paper crane on a windowsill",
        "could not be queued",
        "keeps it in memory",
        "writable",
    ] {
        assert!(message.contains(words), "{words}: {message}");
    }
    assert_eq!(engine.held_prompts(), 1);
    assert_eq!(
        requests(&sim),
        0,
        "nothing is sent for a job that is not queued"
    );

    // The database takes writes again: the prompt is queued, once.
    holder.execute_batch("COMMIT").unwrap();
    drop(holder);
    // (The worker's own 30 s pass may be the one that queues it; either way, exactly once.)
    let queued = engine.queue_held_prompts().await;
    assert!(queued.len() <= 1, "{queued:?}");
    assert_eq!(engine.held_prompts(), 0);
    let cranes = engine
        .store()
        .recent_jobs(10)
        .unwrap()
        .into_iter()
        .filter(|job| job.spec.prompt == "a paper crane on a windowsill")
        .count();
    assert_eq!(cranes, 1, "queued once");
    sim.shutdown().await.unwrap();
}
