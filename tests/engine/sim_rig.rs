//! The simulator rig: a simulator on 127.0.0.1 with a free port, the real client pointed at it,
//! a one-turn request, the diagnosis of any outcome, and a job for the engine. Shared by the
//! modules of the `engine` test binary.

#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::net::SocketAddr;

use jiff::Timestamp;
use peel::api::enums::Modality;
use peel::api::wire::{Content, GenerateContentRequest, GenerationConfig, ImageConfig, Part};
use peel::api::{ApiError, ApiKey, ClientConfig, GeminiClient, GenerateOutcome};
use peel::diagnosis::{Diagnosis, DiagnosisContext, Evidence, diagnose};
use peel::sim::{self, RunningSim, SIM_API_KEY, Scenario, SimConfig};
use peel::worker::JobSpec;

/// Starts a simulator on 127.0.0.1 with a free port.
pub async fn start_sim(scenario: Scenario, time_scale: f64) -> RunningSim {
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
            generation_latency: false,
        },
    )
    .await
    .unwrap()
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
