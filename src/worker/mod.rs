//! The worker: the only code besides `api` and `sim` that runs on tokio. It owns the engine, takes
//! [`protocol::Command`]s and reports [`protocol::Event`]s, both over bounded channels, so the UI
//! (or the CLI) never waits on the network or the disk.
//!
//! - [`protocol`]: the messages.
//! - A job's life, queue to disk, in three files: [`job`] (its loop: the gate before each
//!   request, then act on the answer), [`attempt`] (one request: recorded before it leaves, sent,
//!   diagnosed, decided) and [`delivery`] (the image put on disk once and the delivery recorded).
//! - [`engine`]: what every job shares (client, store, budgets, claims) and how a job ends;
//!   [`health`]: breakers, limiters and gone ids behind one lock.
//! - [`config`], [`sink`], [`control`]: the engine's settings, its event sink, a job's controls.
//! - [`fitting`]: a job's settings fitted to a model, and its request.
//! - [`received`]: a 2xx answer made safe to keep: images moved out, hashed and checked.
//! - [`request_size`]: a request weighed against Google's 20 MB limit before it is sent.
//! - [`unwritten`]: images and prompts the disk refused (full, read-only), kept in memory and
//!   written again every [`RESUME_CHECK_S`] seconds or on Retry now.
//! - [`thinking`]: a thinking model's answer streamed, its thoughts and interim images handed on
//!   as they arrive.
//! - [`stopping`]: Cancel from any process, requests in flight counted, and a quit that waits
//!   for them or records them as lost.
//! - [`edits`], [`history`], [`name_memory`]: edit jobs; the restored history and deletion; what
//!   jobs teach the preflight.
//! - [`boards`]: stars and boards changed for the window, their counts, and "Delete the
//!   unstarred in this view" (each image to the system trash).
//! - [`catalog_refresh`]: Google's current model list (cached for a day), so retired ids are
//!   skipped before a job is sent to them.
//! - [`prompt_library`]: the window's requests to the prompt library, run in order.

pub mod attempt;
pub mod boards;
pub mod catalog_refresh;
pub mod config;
pub mod control;
pub mod delivery;
pub mod edits;
pub mod engine;
pub mod fitting;
pub mod health;
pub mod history;
pub mod job;
pub mod name_memory;
pub mod prompt_library;
pub mod protocol;
pub mod received;
pub mod request_size;
pub mod sink;
pub mod stopping;
pub mod thinking;
pub mod unwritten;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use jiff::Timestamp;
use tokio::sync::{Notify, mpsc, watch};

use crate::store;

pub use config::EngineConfig;
pub use control::JobControl;
pub use engine::Engine;
pub use protocol::{
    AttemptReport, Command, EngineSettings, Event, Job, JobId, JobOutcome, JobSpec, JobState,
};
pub use sink::EventSink;

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
/// First it sends the earlier sessions' jobs ([`Event::Restored`]). Jobs left unfinished by an
/// earlier session run again, and parked jobs resume when their blocker
/// clears (a daily reset) or by hand (`Command::RetryNow`). Each `Command::Configure` that
/// carries a client (the window sends one at start, with the key) also refreshes Google's model
/// list in the background ([`catalog_refresh`]), reported as [`Event::ModelsChecked`].
pub fn spawn(
    runtime: &tokio::runtime::Handle,
    engine: Arc<Engine>,
    repaint: Option<Arc<dyn Fn() + Send + Sync>>,
) -> WorkerHandle {
    let (command_tx, mut command_rx) = mpsc::channel::<Command>(COMMAND_CAPACITY);
    let (event_tx, event_rx) = mpsc::channel::<Event>(EVENT_CAPACITY);
    let sink = EventSink::new(event_tx, repaint);
    let controls: Controls = Arc::default();
    let refresher = catalog_refresh::Refresher::default();
    runtime.spawn(async move {
        let librarian = prompt_library::Librarian::start(Arc::clone(&engine), sink.clone());
        // Jobs up to this id belong to earlier sessions; only those are resumed at start, so a
        // job queued in the first instants is never taken twice.
        let store = Arc::clone(engine.store());
        let earlier_up_to = tokio::task::spawn_blocking(move || store.max_job_id())
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or(0);
        tokio::spawn(resume_when_due(
            Arc::clone(&engine),
            sink.clone(),
            Arc::clone(&controls),
            earlier_up_to,
        ));
        while let Some(command) = command_rx.recv().await {
            match command {
                Command::Generate(spec) => {
                    let engine = Arc::clone(&engine);
                    let sink = sink.clone();
                    let controls = Arc::clone(&controls);
                    tokio::spawn(async move { run_new_job(&engine, spec, &sink, &controls).await });
                }
                Command::Cancel(job) => cancel(&engine, job, &sink, &controls),
                Command::StopSending => engine.stop_sending(),
                Command::QuitAnyway => quit_anyway(&engine),
                Command::Edit { of, prompt } => {
                    tokio::spawn(edit(
                        Arc::clone(&engine),
                        of,
                        prompt,
                        sink.clone(),
                        Arc::clone(&controls),
                    ));
                }
                Command::Delete(job) => delete(&engine, job, &sink, &controls),
                Command::Configure(settings) => configure(&engine, *settings, &refresher, &sink),
                Command::LoadHistory(search) => load_history(&engine, search, &sink),
                Command::PromptLibrary(request) => librarian.send(request).await,
                Command::ChangeBoards(change) => boards::change(&engine, change, &sink),
                Command::CountBoards => boards::count(&engine, &sink),
                Command::FindUnstarred(search) => boards::find_unstarred(&engine, search, &sink),
                Command::TrashUnstarred(jobs) => boards::trash_unstarred(&engine, jobs, &sink),
                Command::RetryNow(job) => {
                    let running = controls
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .get(&job)
                        .map(|(_, retry_now)| Arc::clone(retry_now));
                    if let Some(retry_now) = running {
                        // Wakes a wait under way only: a Retry now that comes while the request
                        // is on its way is not kept to skip the next backoff.
                        retry_now.notify_waiters();
                    } else {
                        // A job that waits in the queue is resumed by hand.
                        let engine = Arc::clone(&engine);
                        let sink = sink.clone();
                        let controls = Arc::clone(&controls);
                        tokio::spawn(async move {
                            resume_job(&engine, job, &sink, &controls).await;
                        });
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

/// The designer quits without waiting: the requests in flight are recorded as lost (off the
/// async threads), and nothing new is sent.
fn quit_anyway(engine: &Arc<Engine>) {
    let engine = Arc::clone(engine);
    tokio::task::spawn_blocking(move || {
        if let Err(error) = engine.abandon_in_flight() {
            tracing::error!("requests in flight could not be recorded as lost: {error}");
        }
    });
}

/// Cancels a job in any open state: written to its row (so no process sends it again, also
/// after a restart or a daily reset), then stopped if it runs here. A job that does not run here
/// (queued, parked, or run by another Peel) is reported cancelled at once.
fn cancel(engine: &Arc<Engine>, job: JobId, sink: &EventSink, controls: &Controls) {
    let running = if let Some((cancel, _)) = controls
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&job)
    {
        let _ = cancel.send(true);
        true
    } else {
        false
    };
    let engine = Arc::clone(engine);
    let sink = sink.clone();
    tokio::spawn(async move {
        match engine.cancel(job).await {
            Ok(crate::store::cancel::Change::Changed(_)) if !running => {
                let mut outcome = JobOutcome::new(job);
                outcome.status = JobState::Cancelled;
                outcome.reason = "cancelled: it is never sent again".to_owned();
                sink.send(Event::Finished(Box::new(outcome))).await;
            }
            Ok(_) => {}
            Err(error) => {
                let message = format!("Job {job} could not be cancelled: {error}");
                sink.send(Event::Problem { message }).await;
            }
        }
    });
}

/// Cancels the job if it runs, then deletes it (off the async threads). Deleted wins: a cancel
/// or a delivery that ends later leaves it deleted.
fn delete(engine: &Arc<Engine>, job: JobId, sink: &EventSink, controls: &Controls) {
    if let Some((cancel, _)) = controls
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&job)
    {
        let _ = cancel.send(true);
    }
    let engine = Arc::clone(engine);
    let sink = sink.clone();
    tokio::spawn(async move {
        let held = engine.holds_image(job);
        let deleting = Arc::clone(&engine);
        let deleted = tokio::task::spawn_blocking(move || deleting.delete(job))
            .await
            .unwrap_or_else(|error| Err(error.to_string()));
        if held {
            engine.report_unsaved(&sink).await;
        }
        match deleted {
            Ok(problem) => {
                sink.send(Event::Deleted { job }).await;
                if let Some(message) = problem {
                    sink.send(Event::Problem { message }).await;
                }
                boards::send_counts(&engine, &sink).await;
            }
            Err(message) => sink.send(Event::Problem { message }).await,
        }
    });
}

/// Reads a page of the history off the async threads and sends it.
fn load_history(engine: &Arc<Engine>, search: store::JobSearch, sink: &EventSink) {
    let engine = Arc::clone(engine);
    let sink = sink.clone();
    tokio::spawn(async move {
        let asked = search.clone();
        let page = tokio::task::spawn_blocking(move || engine.store().search_jobs(&asked)).await;
        match page {
            Ok(Ok(jobs)) => sink.send(Event::HistoryPage { search, jobs }).await,
            Ok(Err(error)) => {
                let message = format!("The history could not be read: {error}");
                sink.send(Event::Problem { message }).await;
            }
            Err(_) => {}
        }
    });
}

/// Applies new settings; a new endpoint or key also refreshes the list of models it offers (in
/// the background).
fn configure(
    engine: &Arc<Engine>,
    settings: EngineSettings,
    refresher: &catalog_refresh::Refresher,
    sink: &EventSink,
) {
    let client = settings.client.clone();
    engine.configure(settings);
    if let Some(config) = client {
        refresher.start(engine, config, Some(sink.clone()));
    }
}

/// How often parked jobs are checked for a cleared blocker.
pub const RESUME_CHECK_S: u64 = 30;

/// How many past jobs the gallery gets at start; older ones come a page at a time
/// ([`Command::LoadHistory`]) as the gallery scrolls to them.
pub const RESTORED_JOBS: usize = 500;

/// How many jobs one page of the history holds ([`Command::LoadHistory`]).
pub const HISTORY_PAGE: usize = 200;

/// Resumes, at start and then every [`RESUME_CHECK_S`] seconds, the jobs whose blocker has cleared:
/// unfinished jobs of an earlier session (first pass only) and parked jobs whose time has come.
async fn resume_when_due(
    engine: Arc<Engine>,
    sink: EventSink,
    controls: Controls,
    earlier_up_to: JobId,
) {
    let for_history = Arc::clone(&engine);
    if let Ok(restored) =
        tokio::task::spawn_blocking(move || for_history.restored(RESTORED_JOBS)).await
    {
        sink.send(restored).await;
    }
    engine.send_name_memory(&sink).await;
    let mut first_pass = true;
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(RESUME_CHECK_S));
    loop {
        tick.tick().await;
        let store = Arc::clone(engine.store());
        let Ok(Ok(jobs)) = tokio::task::spawn_blocking(move || store.unfinished_jobs()).await
        else {
            continue;
        };
        let now = Timestamp::now();
        for record in jobs {
            let due = match record.state {
                store::JobState::Parked => record.parked_until.is_some_and(|until| until <= now),
                store::JobState::Queued | store::JobState::Running => {
                    first_pass && record.id <= earlier_up_to
                }
                _ => false,
            };
            let busy = controls
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .contains_key(&record.id);
            if due && !busy {
                let (engine, sink, controls) =
                    (Arc::clone(&engine), sink.clone(), Arc::clone(&controls));
                tokio::spawn(async move {
                    resume_job(&engine, record.id, &sink, &controls).await;
                });
            }
        }
        first_pass = false;
        write_what_is_held(&engine, &sink, &controls).await;
    }
}

/// Writes again what the disk refused before: held images are delivered, held prompts queued
/// and run.
async fn write_what_is_held(engine: &Arc<Engine>, sink: &EventSink, controls: &Controls) {
    engine.save_held_images(sink).await;
    let queued = engine.queue_held_prompts().await;
    if !queued.is_empty() {
        engine.report_unsaved(sink).await;
    }
    for (job, spec) in queued {
        let (engine, sink, controls) = (Arc::clone(engine), sink.clone(), Arc::clone(controls));
        tokio::spawn(async move {
            let queued = Event::Queued {
                job,
                spec: spec.clone(),
            };
            run_registered(&engine, job, &spec, &sink, &controls, Some(queued)).await;
        });
    }
}

/// Runs a stored job again (a parked job resumed by hand or when its blocker cleared); a job
/// whose image is held in memory is not sent again: its image is saved.
async fn resume_job(engine: &Engine, job: JobId, sink: &EventSink, controls: &Controls) {
    if engine.holds_image(job) {
        engine.save_held_image(job, sink).await;
        return;
    }
    let store = Arc::clone(engine.store());
    let Ok(Ok(Some(record))) = tokio::task::spawn_blocking(move || store.job(job)).await else {
        return;
    };
    run_registered(engine, job, &record.spec, sink, controls, None).await;
}

/// Runs a job with its cancel and retry-now controls registered for its lifetime; does nothing
/// when the job is already running. `announce` is sent once the job is registered.
async fn run_registered(
    engine: &Engine,
    job: JobId,
    spec: &JobSpec,
    sink: &EventSink,
    controls: &Controls,
    announce: Option<Event>,
) {
    let (cancel, cancelled) = watch::channel(false);
    let retry_now = Arc::new(Notify::new());
    {
        let mut controls = controls.lock().unwrap_or_else(PoisonError::into_inner);
        if controls.contains_key(&job) {
            return;
        }
        controls.insert(job, (cancel, Arc::clone(&retry_now)));
    }
    if let Some(event) = announce {
        sink.send(event).await;
    }
    let control = JobControl {
        cancelled,
        retry_now,
    };
    engine.run_job(job, spec, sink, &control).await;
    controls
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(&job);
}

/// Runs an edit of job `of`: its spec (the earlier turns read back) built off the async
/// threads, then run as a new job; a spec that cannot be built is said as a problem.
async fn edit(engine: Arc<Engine>, of: JobId, prompt: String, sink: EventSink, controls: Controls) {
    let for_spec = Arc::clone(&engine);
    let spec = tokio::task::spawn_blocking(move || for_spec.edit_spec(of, &prompt))
        .await
        .unwrap_or_else(|error| Err(error.to_string()));
    match spec {
        Ok(spec) => run_new_job(&engine, spec, &sink, &controls).await,
        Err(message) => sink.send(Event::Problem { message }).await,
    }
}

async fn run_new_job(engine: &Engine, spec: JobSpec, sink: &EventSink, controls: &Controls) {
    let json = serde_json::to_string(&spec).unwrap_or_default();
    let store = Arc::clone(engine.store());
    let enqueued =
        tokio::task::spawn_blocking(move || store.enqueue(&json, Timestamp::now())).await;
    let job = match enqueued {
        Ok(Ok(job)) => job,
        // The prompt is not lost: kept in memory, said in a sentence, queued once the database
        // takes it (see `unwritten`).
        Ok(Err(error)) => return engine.hold_prompt(spec, &error.to_string(), sink).await,
        Err(error) => return engine.hold_prompt(spec, &error.to_string(), sink).await,
    };
    let queued = Event::Queued {
        job,
        spec: spec.clone(),
    };
    run_registered(engine, job, &spec, sink, controls, Some(queued)).await;
}
