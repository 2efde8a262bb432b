#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]
#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

//! A Nano Banana Pro job through the whole engine against the streaming simulator (half of
//! Google's time): its request goes to `:streamGenerateContent` once, its thoughts reach the
//! listeners before its image, in order, each interim image on disk in the data folder while the
//! job runs and gone when it ends, never in the output folder; and a cancel after the first
//! thought drops the stream at once, recorded as cancelled after sending.

use std::sync::Arc;
use std::time::Duration;

use peel::job::{ATTEMPT_CANCELLED_IN_FLIGHT, JobState};
use peel::resilience::Policy;
use peel::sim::{RunningSim, Scenario};
use peel::worker::protocol::ThoughtSeen;
use peel::worker::{self, Command, Event, JobOutcome, JobSpec};

use crate::sim_rig::{client_for, engine_on, spec, start_slow_sim};

/// The generation requests the simulator saw, streamed or not.
fn generations(sim: &RunningSim) -> Vec<String> {
    sim.state()
        .seen_requests()
        .iter()
        .filter(|request| request.uri.contains("enerateContent"))
        .map(|request| request.uri.clone())
        .collect()
}

/// A Pro 1K job with no fallback.
fn pro_job(prompt: &str) -> JobSpec {
    JobSpec {
        fallback: None,
        ..spec(prompt)
    }
}

/// Runs one job on an engine over `sim` (data in `dir`, images in `dir/out`); calls `on_thought`
/// with each thought (true: cancel the job now), and returns the thoughts and the outcome.
async fn run_one(
    sim: &RunningSim,
    dir: &std::path::Path,
    job: JobSpec,
    mut cancel_on: impl FnMut(&ThoughtSeen) -> bool,
) -> (Vec<ThoughtSeen>, bool, Box<JobOutcome>) {
    let engine = Arc::new(engine_on(
        client_for(sim, "v1beta", None),
        &dir.join("peel.db"),
        Policy::default(),
        dir.join("out"),
        7,
    ));
    let mut handle = worker::spawn(&tokio::runtime::Handle::current(), engine, None);
    handle.commands.send(Command::Generate(job)).await.unwrap();
    let mut thoughts = Vec::new();
    let mut image_came_after_thoughts = false;
    let mut queued = None;
    loop {
        let event = tokio::time::timeout(Duration::from_mins(1), handle.events.recv())
            .await
            .unwrap()
            .unwrap();
        match event {
            Event::Thought { thought, .. } => {
                if let Some(image) = &thought.image {
                    assert!(
                        image.path.exists(),
                        "an interim image is on disk while it shows"
                    );
                    assert!(!image.path.starts_with(dir.join("out")));
                }
                let cancel = cancel_on(&thought);
                thoughts.push(thought);
                if let (true, Some(job)) = (cancel, queued) {
                    handle.commands.send(Command::Cancel(job)).await.unwrap();
                }
            }
            Event::Queued { job, .. } => queued = Some(job),
            Event::ImageArrived { .. } => image_came_after_thoughts = !thoughts.is_empty(),
            Event::Finished(outcome) => return (thoughts, image_came_after_thoughts, outcome),
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pro_jobs_thoughts_arrive_before_its_image_and_leave_no_file_behind() {
    let sim = start_slow_sim(Scenario::Calm, 0.5).await;
    let dir = tempfile::tempdir().unwrap();
    let (thoughts, image_after, outcome) =
        run_one(&sim, dir.path(), pro_job("a lighthouse at dusk"), |_| false).await;
    assert_eq!(outcome.status, JobState::Delivered, "{outcome:?}");
    assert!(image_after, "the thoughts came before the image");
    assert!(thoughts.iter().any(|t| t.text.is_some()), "{thoughts:?}");
    assert!(thoughts.iter().any(|t| t.image.is_some()), "{thoughts:?}");
    assert!(
        thoughts
            .windows(2)
            .all(|pair| pair[0].index < pair[1].index && pair[0].at_s <= pair[1].at_s),
        "in order: {thoughts:?}"
    );
    assert_eq!(outcome.thoughts, thoughts, "the outcome keeps what arrived");
    for thought in &thoughts {
        if let Some(image) = &thought.image {
            assert!(
                !image.path.exists(),
                "{} outlived its job",
                image.path.display()
            );
        }
    }
    let saved: Vec<_> = std::fs::read_dir(dir.path().join("out")).unwrap().collect();
    assert_eq!(saved.len(), 1, "only the final image: {saved:?}");
    let requests = generations(&sim);
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(
        requests[0].contains(":streamGenerateContent"),
        "{requests:?}"
    );
    assert!(requests[0].contains("alt=sse"), "{requests:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_after_the_first_thought_drops_the_stream() {
    let sim = start_slow_sim(Scenario::Calm, 0.5).await;
    let dir = tempfile::tempdir().unwrap();
    let (thoughts, image_after, outcome) =
        run_one(&sim, dir.path(), pro_job("a ferry in fog"), |_| true).await;
    assert_eq!(outcome.status, JobState::Cancelled, "{outcome:?}");
    assert!(!image_after);
    assert!(!thoughts.is_empty());
    assert_eq!(outcome.attempts.len(), 1);
    assert_eq!(outcome.attempts[0].kind, ATTEMPT_CANCELLED_IN_FLIGHT);
    assert!(
        outcome.attempts[0].cost_usd > 0.1,
        "it may be billed: its likely cost counts"
    );
    let saved = std::fs::read_dir(dir.path().join("out")).map_or(0, Iterator::count);
    assert_eq!(saved, 0);
    let interim = std::fs::read_dir(dir.path().join("thinking")).map_or(0, Iterator::count);
    assert_eq!(interim, 0, "no interim image outlives the cancelled job");
    assert_eq!(generations(&sim).len(), 1, "sent once, never again");
}
