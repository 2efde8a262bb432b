//! The simulator rig: a simulator on 127.0.0.1 with a free port, the real client pointed at it,
//! a one-turn request, the diagnosis of any outcome, a job for the engine, an engine on a
//! temporary data folder and a job run to its end. Shared by the modules of the `engine` test
//! binary (and by the `window` binary's shared-runtime test, through `#[path]`).

#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::Timestamp;
use peel::api::enums::Modality;
use peel::api::wire::{Content, GenerateContentRequest, GenerationConfig, ImageConfig, Part};
use peel::api::{ApiError, ApiKey, ClientConfig, GeminiClient, GenerateOutcome};
use peel::diagnosis::{Diagnosis, DiagnosisContext, Evidence, diagnose};
use peel::resilience::{Backoff, BreakerConfig, Budget, Policy, TierLimits};
use peel::sim::{self, RunningSim, SIM_API_KEY, Scenario, SimConfig};
use peel::store::Store;
use peel::worker::{Engine, EngineConfig, EventSink, JobControl, JobOutcome, JobSpec};
use tokio::sync::mpsc;

/// Starts a simulator on 127.0.0.1 with a free port, answering at once.
pub async fn start_sim(scenario: Scenario, time_scale: f64) -> RunningSim {
    start_sim_with_latency(scenario, time_scale, false).await
}

/// Starts a simulator on 127.0.0.1 with a free port; with `generation_latency`, its answers take
/// as long as Google's, scaled by `time_scale`.
async fn start_sim_with_latency(
    scenario: Scenario,
    time_scale: f64,
    generation_latency: bool,
) -> RunningSim {
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    // Noon Pacific: a fast simulated clock never crosses the daily reset during a test.
    let start_at = Some("2026-11-27T20:00:00Z".parse().unwrap());
    sim::start(
        addr,
        SimConfig {
            scenario,
            seed: 7,
            time_scale,
            start_at,
            generation_latency,
        },
    )
    .await
    .unwrap()
}

/// Starts a simulator on 127.0.0.1 whose answers take as long as Google's, scaled by
/// `time_scale` (Nano Banana Pro at 1K: 12-25 s × `time_scale`), so a test can act while a request
/// is in flight.
pub async fn start_slow_sim(scenario: Scenario, time_scale: f64) -> RunningSim {
    start_sim_with_latency(scenario, time_scale, true).await
}

/// A client for the simulator, with the simulator's key (or `key`).
pub fn client_for(sim: &RunningSim, version: &str, key: Option<&str>) -> GeminiClient {
    GeminiClient::new(ClientConfig {
        base_url: sim.base_url(),
        api_version: version.to_owned(),
        api_key: ApiKey::new(key.unwrap_or(SIM_API_KEY)),
        ..ClientConfig::default()
    })
    .unwrap()
}

/// A one-turn request for `prompt` at a ratio and size.
pub fn request(
    prompt: &str,
    aspect_ratio: Option<&str>,
    image_size: Option<&str>,
) -> GenerateContentRequest {
    GenerateContentRequest {
        contents: vec![Content {
            role: Some("user".to_owned()),
            parts: vec![Part::text(prompt)],
        }],
        generation_config: Some(GenerationConfig {
            response_modalities: vec![Modality::Text, Modality::Image],
            image_config: Some(ImageConfig {
                aspect_ratio: aspect_ratio.map(str::to_owned),
                image_size: image_size.map(str::to_owned),
            }),
            ..GenerationConfig::default()
        }),
        ..GenerateContentRequest::default()
    }
}

/// The diagnosis of any outcome, as the worker will make it.
pub fn diagnosis_of(outcome: &Result<GenerateOutcome, ApiError>, model: &str) -> Diagnosis {
    let context = DiagnosisContext::new(Timestamp::now()).with_model(model);
    match outcome {
        Ok(outcome) => diagnose(&Evidence::from(outcome), &context),
        Err(error) => diagnose(&Evidence::from(error), &context),
    }
}

/// A job for Nano Banana Pro at 1K, falling back to Nano Banana 2.
pub fn spec(prompt: &str) -> JobSpec {
    JobSpec {
        prompt: prompt.to_owned(),
        model: "gemini-3-pro-image".to_owned(),
        fallback: Some("gemini-3.1-flash-image".to_owned()),
        aspect_ratio: Some("1:1".to_owned()),
        image_size: Some("1K".to_owned()),
        ..JobSpec::default()
    }
}

/// `peel` as a designer runs it, on the data folder `data_dir` with the simulator's key.
pub fn peel_command(data_dir: &std::path::Path, args: &[&str]) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_peel"));
    command
        .args(args)
        .env("PEEL_DATA_DIR", data_dir)
        .env("GEMINI_API_KEY", SIM_API_KEY)
        .env_remove("GOOGLE_API_KEY");
    command
}

/// An engine on `client` with its database at `db_path` and its images in `image_dir`: `policy`'s
/// waits, no tier limits known (the server's own answers pace it), the default budget and breaker.
/// A budget that waits as long as a limit needs: only Peel's own limits hold a job back.
pub fn patient_budget() -> Budget {
    Budget {
        max_total_wait_s: 1_000_000.0,
        max_daily_spend_usd: 1_000_000.0,
        ..Budget::default()
    }
}

/// An engine on `sim` with its database and images in `dir`, on `tier`, with the default policy
/// and a [`patient_budget`].
pub fn engine_on_tier(sim: &RunningSim, dir: &Path, tier: TierLimits, seed: u64) -> Engine {
    Engine::new(
        client_for(sim, "v1beta", None),
        Arc::new(Store::open(&dir.join("peel.db")).unwrap()),
        EngineConfig {
            policy: Policy::default(),
            budget: patient_budget(),
            tier,
            breaker: BreakerConfig::default(),
            image_dir: dir.join("images"),
            seed,
        },
    )
}

pub fn engine_on(
    client: GeminiClient,
    db_path: &Path,
    policy: Policy,
    image_dir: PathBuf,
    seed: u64,
) -> Engine {
    let store = Arc::new(Store::open(db_path).unwrap());
    Engine::new(
        client,
        store,
        EngineConfig {
            policy,
            budget: Budget::default(),
            tier: TierLimits {
                requests_per_minute: 0,
                images_per_minute: 0,
                requests_per_day: 0,
            },
            breaker: BreakerConfig::default(),
            image_dir,
            seed,
        },
    )
}

/// The default policy with its backoffs shrunk to hundredths of a second, so retries end at once.
pub fn shrunk_waits() -> Policy {
    Policy {
        rate_limit_backoff: Backoff::doubling(0.01, 0.1),
        overload_backoff: Backoff::doubling(0.01, 0.1),
        server_backoff: Backoff::doubling(0.01, 0.1),
        ..Policy::default()
    }
}

/// Queues `spec` on `engine` and runs it to its end, its events drained and dropped.
pub async fn run_to_end(engine: &Engine, spec: &JobSpec) -> JobOutcome {
    let json = serde_json::to_string(spec).unwrap();
    let job = engine.store().enqueue(&json, Timestamp::now()).unwrap();
    let (tx, mut rx) = mpsc::channel(1024);
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let sink = EventSink::new(tx, None);
    let (_cancel, control) = JobControl::detached();
    let outcome = engine.run_job(job, spec, &sink, &control).await;
    drop(sink);
    drain.await.unwrap();
    outcome
}
