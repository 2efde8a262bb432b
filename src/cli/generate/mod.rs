//! `peel generate "PROMPT" [--model M] [--fallback M] [--aspect R] [--size S] [--count N]
//! [--ref FILE]… [--out DIR] [--endpoint URL] [--json] [--resume]`: the engine without a window.
//!
//! Every job is written to the durable queue before its first request, so killing `peel generate`
//! loses nothing: the next `peel generate` (or `peel generate --resume`) runs unfinished jobs first.
//! Without a key (`GEMINI_API_KEY` / `GOOGLE_API_KEY`) and without `--endpoint`, it runs on the
//! built-in simulator and says so. With a key, Google's current model list is read first (cached
//! for a day in the data folder), so a primary Google no longer lists goes straight to the fallback.
//!
//! References are checked before anything is queued or sent: each file by its size and first
//! bytes before it is read in full (an empty file, a renamed non-image, a file over Gemini's 7 MB
//! inline limit, or an endless special file such as `/dev/zero` is refused with a sentence),
//! then their number against the model, then the whole request against Google's 20 MB limit.
//! `--shrink-refs` turns a reference over the limit into a 2048 px JPEG within it. Each kept
//! reference is stored once by its hash in the data folder; jobs name it.
//!
//! Ctrl+C with requests in flight says what they will probably cost and waits for them; a second
//! Ctrl+C quits anyway and records their answers as lost ([`super::quitting`]).
//!
//! Exit codes: 0 every image delivered · 2 bad input · 3 content blocked · 4 quota or budget (the
//! job waits in the queue) · 5 server or network gave up · 6 other stop (auth, request) · 130
//! stopped by Ctrl+C.
//!
//! - `references`: reading and checking the `--ref` files, and keeping them in the data folder.
//! - `printer`: each engine event as a line on stderr, and a finished job's summary.

mod printer;
mod references;

use std::io::{self, IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use jiff::Timestamp;
use tokio::sync::mpsc;

use super::EXIT_BAD_INPUT;
use super::quitting::{EXIT_INTERRUPTED, Interrupted, unless_interrupted};
use crate::api::Catalog;
use crate::diagnosis::Layer;
use crate::session::{self, Session, SessionOptions};
use crate::sim::{RunningSim, Scenario, SimConfig};
use crate::worker::catalog_refresh::refresh_live_models;
use crate::worker::{EventSink, JobControl, JobOutcome, JobSpec, JobState};
use printer::spawn_printer;
use references::{keep_references, read_references};

/// Exit code: a content filter blocked a job.
pub const EXIT_CONTENT_BLOCKED: u8 = 3;
/// Exit code: quota or budget; the job waits in the queue.
pub const EXIT_QUOTA_OR_BUDGET: u8 = 4;
/// Exit code: the server or the network gave up.
pub const EXIT_NETWORK: u8 = 5;
/// Exit code: another stop (auth, request).
pub const EXIT_OTHER_STOP: u8 = 6;

/// Arguments of `peel generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// What to draw (leave out with --resume)
    pub prompt: Option<String>,
    /// Model to use first (default: the catalog's primary)
    #[arg(long)]
    pub model: Option<String>,
    /// Model to fall back to ("none" for no fallback; default: the catalog's fallback)
    #[arg(long)]
    pub fallback: Option<String>,
    /// Aspect ratio, e.g. 16:9
    #[arg(long)]
    pub aspect: Option<String>,
    /// Image size: 1K, 2K or 4K
    #[arg(long)]
    pub size: Option<String>,
    /// Number of images (one job each)
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=16))]
    pub count: u32,
    /// Reference image (PNG, JPEG, WebP, HEIC or HEIF, at most 7 MB); repeat for more
    #[arg(long = "ref", value_name = "FILE")]
    pub references: Vec<PathBuf>,
    /// Shrink a reference over 7 MB to a 2048 px JPEG within the limit instead of refusing it
    #[arg(long)]
    pub shrink_refs: bool,
    /// Only run jobs left unfinished by an earlier run
    #[arg(long)]
    pub resume: bool,
    /// Where the images go, what to talk to, and the summary.
    #[command(flatten)]
    pub run: RunArgs,
    /// Run only these jobs (`peel retry`), none of the other unfinished ones.
    #[arg(skip)]
    pub only_jobs: Option<Vec<i64>>,
}

/// What every command that runs jobs shares (`peel generate`, `peel retry`): where the images go,
/// what to talk to, and the summary.
#[derive(Clone, Debug, Args)]
pub struct RunArgs {
    /// Folder for the images
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
    /// API base URL (a proxy, a gateway, or a running `peel sim`)
    #[arg(long)]
    pub endpoint: Option<String>,
    /// API version
    #[arg(long, default_value = "v1")]
    pub api_version: String,
    /// Simulator scenario to use when no key is set
    #[arg(long, default_value = "calm")]
    pub sim_scenario: Scenario,
    /// Print a JSON summary with every attempt on stdout
    #[arg(long)]
    pub json: bool,
}

fn fail(message: &str) -> ExitCode {
    let _ = writeln!(io::stderr(), "peel generate: {message}");
    ExitCode::from(EXIT_BAD_INPUT)
}

/// Runs `peel generate`.
pub fn run(args: &GenerateArgs) -> ExitCode {
    if args.prompt.is_none() && !args.resume {
        return fail("give a prompt, e.g. peel generate \"a red fox in the snow\" (or --resume)");
    }
    if args.prompt.as_deref().is_some_and(|p| p.trim().is_empty()) {
        return fail("the prompt is empty");
    }
    let catalog = Catalog::builtin();
    let model = args
        .model
        .clone()
        .unwrap_or_else(|| catalog.primary.clone());
    let fallback = match args.fallback.as_deref() {
        Some("none") => None,
        Some(other) => Some(other.to_owned()),
        None => Some(catalog.fallback.clone()),
    };
    let mut spec = args.prompt.as_ref().map(|prompt| JobSpec {
        prompt: prompt.trim().to_owned(),
        model,
        fallback,
        aspect_ratio: args.aspect.clone(),
        image_size: args.size.clone(),
        ..JobSpec::default()
    });
    let read = match &spec {
        Some(spec) => match read_references(args, catalog, spec) {
            Ok(read) => read,
            Err(message) => return fail(&message),
        },
        None => Vec::new(),
    };
    let mut session = match open_session(args) {
        Ok(session) => session,
        Err(error) => return fail(&error.to_string()),
    };
    if let Some(spec) = &mut spec {
        match keep_references(&session.store.data_dir(), &read) {
            Ok(references) => spec.references = references,
            Err(message) => return fail(&message),
        }
    }
    drop(read);
    let simulator = session.simulator.take();
    #[expect(
        clippy::disallowed_methods,
        reason = "the CLI's own main thread, not a UI thread"
    )]
    session
        .runtime
        .block_on(generate(args, spec, &session, simulator))
}

/// The session for this run: the endpoint given, Google with the key from the environment, or
/// the in-process simulator (with real answer times) when there is neither; then it says so.
fn open_session(args: &GenerateArgs) -> Result<Session, session::SessionError> {
    let session = Session::open(SessionOptions {
        image_dir: Some(args.run.out.clone()),
        api_key: session::key_from_environment().map(|found| found.key),
        endpoint: args.run.endpoint.clone(),
        api_version: Some(args.run.api_version.clone()),
        simulator: SimConfig {
            scenario: args.run.sim_scenario,
            ..SimConfig::default()
        },
        ..SessionOptions::default()
    })?;
    if let Some(scenario) = session.backend.simulated_scenario() {
        let _ = writeln!(
            io::stderr(),
            "No API key set (GEMINI_API_KEY): using Peel's simulator, scenario {scenario}. Images are simulated."
        );
    }
    Ok(session)
}

async fn generate(
    args: &GenerateArgs,
    spec: Option<JobSpec>,
    session: &Session,
    simulator: Option<RunningSim>,
) -> ExitCode {
    let Session { store, engine, .. } = session;
    // Queue first: from here on, nothing the designer typed can be lost.
    let now = Timestamp::now();
    if let Some(spec) = &spec {
        let Ok(json) = serde_json::to_string(spec) else {
            return fail("could not encode the job");
        };
        for _ in 0..args.count {
            if let Err(error) = store.enqueue(&json, now) {
                return fail(&error.to_string());
            }
        }
    }
    let jobs = match store.unfinished_jobs() {
        Ok(jobs) => jobs
            .into_iter()
            .filter(|job| {
                args.only_jobs
                    .as_ref()
                    .is_none_or(|only| only.contains(&job.id))
            })
            .collect::<Vec<_>>(),
        Err(error) => return fail(&error.to_string()),
    };

    // With a key, learn which models Google lists now (cached for a day), so a retired primary
    // is skipped before the first job is sent to it. Peel works without the list.
    if session.backend.simulated_scenario().is_none()
        && let Err(error) = refresh_live_models(
            engine,
            &session.client,
            &session.data_dir,
            None,
            Timestamp::now(),
        )
        .await
    {
        let _ = writeln!(io::stderr(), "{error}");
    }

    say_when_the_fallback_is_missing(session, spec.as_ref());

    let (tx, rx) = mpsc::channel(64);
    let printer = spawn_printer(rx);
    let sink = EventSink::new(tx, None);
    let run_all = run_jobs(engine, jobs, &sink);
    let (mut outcomes, interrupted) = match Box::pin(unless_interrupted(engine, run_all)).await {
        Interrupted::Finished(outcomes) => (outcomes, false),
        Interrupted::Waited(outcomes) => (outcomes, true),
        Interrupted::Stopped => (Vec::new(), true),
    };
    save_held_images_before_exit(engine, &sink, &mut outcomes).await;
    drop(sink);
    let _ = printer.await;
    if let Some(simulator) = simulator {
        let _ = simulator.shutdown().await;
    }
    print_summary(args, &outcomes);
    if interrupted {
        return ExitCode::from(EXIT_INTERRUPTED);
    }
    ExitCode::from(exit_code(&outcomes))
}

/// With a key, says at the start when the job's fallback is not in the endpoint's model list:
/// its jobs cannot fall back.
fn say_when_the_fallback_is_missing(session: &Session, spec: Option<&JobSpec>) {
    let Some(fallback) = spec.and_then(|spec| spec.fallback.as_deref()) else {
        return;
    };
    if session.engine.is_unlisted(fallback) {
        let _ = writeln!(
            io::stderr(),
            "The fallback model {fallback} is not in this endpoint's model list, so jobs cannot fall back to it. Choose another fallback (--fallback) or check the endpoint."
        );
    }
}

/// Runs the jobs one after the other, skipping those parked for later; stops starting new ones
/// once Peel is quitting.
async fn run_jobs(
    engine: &crate::worker::Engine,
    jobs: Vec<crate::worker::Job>,
    sink: &EventSink,
) -> Vec<JobOutcome> {
    let mut outcomes = Vec::new();
    let now = Timestamp::now();
    for record in jobs {
        if engine.is_stopping() {
            break;
        }
        if record.state == JobState::Parked && record.parked_until.is_some_and(|until| until > now)
        {
            let _ = writeln!(
                io::stderr(),
                "job {} waits in the queue until {} ({})",
                record.id,
                record
                    .parked_until
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
                record.reason.as_deref().unwrap_or("parked")
            );
            continue;
        }
        let (_keep_alive, control) = JobControl::detached();
        outcomes.push(
            engine
                .run_job(record.id, &record.spec, sink, &control)
                .await,
        );
    }
    outcomes
}

/// The summary on stdout: JSON with every attempt (`--json`), else each saved image's path.
fn print_summary(args: &GenerateArgs, outcomes: &[JobOutcome]) {
    if args.run.json {
        let summary = serde_json::json!({ "jobs": outcomes });
        let _ = writeln!(
            io::stdout(),
            "{}",
            serde_json::to_string_pretty(&summary).unwrap_or_default()
        );
    } else if !io::stdout().is_terminal() || !outcomes.is_empty() {
        for outcome in outcomes {
            if let Some(path) = &outcome.image_path {
                let _ = writeln!(io::stdout(), "{}", path.display());
            }
        }
    }
}

/// How often `peel generate` tries again to write an image the disk refused, before it exits.
const HELD_IMAGE_RETRY_S: u64 = 5;

/// An image that arrived when no folder would take it lives only in this process: before
/// exiting, keep trying to write it (every [`HELD_IMAGE_RETRY_S`] seconds) until the disk takes
/// it, or until the designer presses Ctrl+C to give it up. Each saved image's outcome replaces
/// the parked one.
async fn save_held_images_before_exit(
    engine: &crate::worker::Engine,
    sink: &EventSink,
    outcomes: &mut [JobOutcome],
) {
    let held = |outcomes: &[JobOutcome]| {
        outcomes
            .iter()
            .filter(|outcome| engine.holds_image(outcome.job))
            .count()
    };
    let count = held(outcomes);
    if count == 0 {
        return;
    }
    let _ = writeln!(
        io::stderr(),
        "{count} image(s) arrived but could not be saved. Peel keeps them in memory and tries again every {HELD_IMAGE_RETRY_S} s until the disk takes them: free space or make the output folder writable. Ctrl+C gives them up."
    );
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    while held(outcomes) > 0 {
        tokio::select! {
            _ = &mut interrupted => {
                let _ = writeln!(
                    io::stderr(),
                    "Stopped: {} image(s) were not saved and are lost.",
                    held(outcomes)
                );
                return;
            }
            () = tokio::time::sleep(std::time::Duration::from_secs(HELD_IMAGE_RETRY_S)) => {}
        }
        for outcome in outcomes.iter_mut() {
            if engine.holds_image(outcome.job)
                && let Some(saved) = engine.save_held_image(outcome.job, sink).await
            {
                *outcome = saved;
            }
        }
    }
}

/// The process exit code for a run: the most serious outcome wins.
pub fn exit_code(outcomes: &[JobOutcome]) -> u8 {
    outcomes
        .iter()
        .map(|outcome| match outcome.status {
            JobState::Delivered | JobState::Cancelled | JobState::Deleted => 0,
            JobState::Parked | JobState::Queued | JobState::Running => EXIT_QUOTA_OR_BUDGET,
            JobState::Stopped => match outcome.diagnosis.as_ref().map(|d| d.layer) {
                Some(Layer::PromptFilter | Layer::Policy | Layer::ImageFilter) => {
                    EXIT_CONTENT_BLOCKED
                }
                Some(Layer::Quota) => EXIT_QUOTA_OR_BUDGET,
                Some(Layer::Server | Layer::Transport) => EXIT_NETWORK,
                _ => EXIT_OTHER_STOP,
            },
        })
        .max()
        .unwrap_or(0)
}
