//! The worker: the only code besides `api` and `sim` that runs on tokio. It owns the engine, takes
//! [`protocol::Command`]s and reports [`protocol::Event`]s, both over bounded channels, so the UI
//! (or the CLI) never waits on the network or the disk.
//!
//! - [`protocol`]: the messages.
//! - [`engine`]: runs one job to its end (model choice, limits, attempts, policy, waits).

pub mod engine;
pub mod protocol;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use jiff::Timestamp;
use tokio::sync::{Notify, mpsc, watch};

pub use engine::{Engine, EngineConfig, EventSink, JobControl};
pub use protocol::{Command, Event, JobId, JobOutcome, JobSpec, OutcomeStatus};

/// Capacity of the command channel.
pub const COMMAND_CAPACITY: usize = 32;
/// Capacity of the event channel.
pub const EVENT_CAPACITY: usize = 256;

/// The UI's side of the worker.
#[derive(Debug)]
pub struct WorkerHandle {
    /// Commands to the worker.
    pub commands: mpsc::Sender<Command>,
    /// Events from the worker.
    pub events: mpsc::Receiver<Event>,
}

type Controls = Arc<Mutex<HashMap<JobId, (watch::Sender<bool>, Arc<Notify>)>>>;

/// Starts the worker on `runtime`. `repaint` runs after every event (the UI's `request_repaint`).
pub fn spawn(
    runtime: &tokio::runtime::Handle,
    engine: Arc<Engine>,
    repaint: Option<Arc<dyn Fn() + Send + Sync>>,
) -> WorkerHandle {
    let (command_tx, mut command_rx) = mpsc::channel::<Command>(COMMAND_CAPACITY);
    let (event_tx, event_rx) = mpsc::channel::<Event>(EVENT_CAPACITY);
    let sink = EventSink::new(event_tx, repaint);
    let controls: Controls = Arc::default();
    runtime.spawn(async move {
        while let Some(command) = command_rx.recv().await {
            match command {
                Command::Generate(spec) => {
                    let engine = Arc::clone(&engine);
                    let sink = sink.clone();
                    let controls = Arc::clone(&controls);
                    tokio::spawn(async move { run_new_job(&engine, spec, &sink, &controls).await });
                }
                Command::Cancel(job) => {
                    if let Some((cancel, _)) = controls
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .get(&job)
                    {
                        let _ = cancel.send(true);
                    }
                }
                Command::RetryNow(job) => {
                    if let Some((_, retry_now)) = controls
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .get(&job)
                    {
                        retry_now.notify_one();
                    }
                }
            }
        }
    });
    WorkerHandle {
        commands: command_tx,
        events: event_rx,
    }
}

async fn run_new_job(engine: &Engine, spec: JobSpec, sink: &EventSink, controls: &Controls) {
    let json = serde_json::to_string(&spec).unwrap_or_default();
    let store = Arc::clone(engine.store());
    let enqueued =
        tokio::task::spawn_blocking(move || store.enqueue(&json, Timestamp::now())).await;
    let Ok(Ok(job)) = enqueued else {
        tracing::error!("could not queue a job in the database");
        return;
    };
    let (cancel, cancelled) = watch::channel(false);
    let retry_now = Arc::new(Notify::new());
    controls
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(job, (cancel, Arc::clone(&retry_now)));
    sink.send(Event::Queued {
        job,
        spec: spec.clone(),
    })
    .await;
    let control = JobControl {
        cancelled,
        retry_now,
    };
    engine.run_job(job, &spec, sink, &control).await;
    controls
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(&job);
}
