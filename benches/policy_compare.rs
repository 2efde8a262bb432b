//! Peel's policy against the seed article's naive one, on the same simulator scenarios.
//!
//! Naive (the seed's code): retry any failure up to 5 times with 2^n s backoff plus jitter, switch
//! model only on 503, ignore the server's delay. Peel: the policy table in `resilience::policy`,
//! with the engine (fallback, lockouts, breakers, budgets). Both run the same jobs against a fresh
//! simulator per scenario; the simulator's clock and both policies' own waits are scaled by the same
//! factor, so a minute is short but every ratio is as in real time. Peel's client-side rate limiter
//! is left out here (it runs on the real clock), so the comparison is policy against policy.
//!
//! Prints, per scenario: images delivered, requests per delivered image, mean time to image (in
//! simulated seconds) and cost. Run: `cargo bench --bench policy_compare`.

#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![expect(
    clippy::disallowed_methods,
    reason = "a benchmark's own main thread, not a UI thread"
)]
#![expect(clippy::unwrap_used, reason = "a benchmark fails loudly")]

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use peel::api::wire::{Content, GenerateContentRequest, GenerationConfig, ImageConfig, Part};
use peel::api::{ApiKey, Catalog, ClientConfig, GeminiClient};
use peel::diagnosis::{DiagnosisContext, Evidence, Kind, diagnose};
use peel::resilience::budget::cost_usd;
use peel::resilience::{Backoff, BreakerConfig, Budget, Policy, TierLimits};
use peel::sim::{self, RunningSim, SIM_API_KEY, Scenario, SimConfig};
use peel::store::Store;
use peel::worker::{Engine, EngineConfig, EventSink, JobControl, JobSpec, JobState};
use rand::Rng as _;

const SCALE: f64 = 0.02;
const JOBS: usize = 12;
const PRIMARY: &str = "gemini-3-pro-image";
const FALLBACK: &str = "gemini-3.1-flash-image";

#[derive(Default)]
struct Tally {
    images: u32,
    requests: u64,
    time_to_image_s: Vec<f64>,
    cost_usd: f64,
}

fn prompt(scenario: Scenario, index: usize) -> String {
    match scenario {
        // Half the prompts trip the stricter image filter: retrying them unchanged never helps.
        Scenario::StrictSafety if index.is_multiple_of(2) => {
            "sim:strict-image-safety portrait".to_owned()
        }
        _ => format!("a pebble on sand, variation {index}"),
    }
}

async fn start(scenario: Scenario) -> RunningSim {
    let start_at = Some("2026-11-27T20:00:00Z".parse().unwrap());
    sim::start(
        "127.0.0.1:0".parse().unwrap(),
        SimConfig {
            scenario,
            seed: 42,
            time_scale: SCALE,
            start_at,
            generation_latency: false,
        },
    )
    .await
    .unwrap()
}

fn client(sim: &RunningSim) -> GeminiClient {
    GeminiClient::new(ClientConfig {
        base_url: sim.base_url(),
        api_version: "v1beta".to_owned(),
        api_key: ApiKey::new(SIM_API_KEY),
        ..ClientConfig::default()
    })
    .unwrap()
}

fn request(prompt: &str) -> GenerateContentRequest {
    GenerateContentRequest {
        contents: vec![Content {
            role: Some("user".to_owned()),
            parts: vec![Part::text(prompt)],
        }],
        generation_config: Some(GenerationConfig {
            image_config: Some(ImageConfig {
                aspect_ratio: Some("1:1".to_owned()),
                image_size: Some("1K".to_owned()),
            }),
            ..GenerationConfig::default()
        }),
        ..GenerateContentRequest::default()
    }
}

async fn naive(scenario: Scenario) -> Tally {
    let sim = start(scenario).await;
    let client = client(&sim);
    let catalog = Catalog::builtin();
    let mut tally = Tally::default();
    let mut rng = rand::rng();
    for index in 0..JOBS {
        let started = Instant::now();
        let mut model = PRIMARY;
        for attempt in 0..=5u32 {
            let outcome = client
                .generate_content(model, &request(&prompt(scenario, index)))
                .await;
            let context = DiagnosisContext::new(Timestamp::now());
            let diagnosis = match &outcome {
                Ok(answer) => diagnose(&Evidence::from(answer), &context),
                Err(error) => diagnose(&Evidence::from(error), &context),
            };
            if diagnosis.kind == Kind::Success {
                tally.images += 1;
                tally
                    .time_to_image_s
                    .push(started.elapsed().as_secs_f64() / SCALE);
                let usage = outcome.ok().and_then(|a| a.response.usage_metadata);
                tally.cost_usd += cost_usd(catalog.get(model).unwrap(), usage.as_ref(), "1K", 1);
                break;
            }
            if diagnosis.http_status == Some(503) {
                model = FALLBACK;
            }
            let wait_s = (2f64.powi(i32::try_from(attempt).unwrap()) + rng.random::<f64>()) * SCALE;
            tokio::time::sleep(Duration::from_secs_f64(wait_s)).await;
        }
    }
    tally.requests = sim.state().stats.requests.load(Ordering::Relaxed);
    sim.shutdown().await.unwrap();
    tally
}

async fn peel_policy(scenario: Scenario) -> Tally {
    let sim = start(scenario).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("peel.db")).unwrap());
    let scaled = |b: Backoff| Backoff {
        initial_s: b.initial_s * SCALE,
        max_s: b.max_s * SCALE,
        ..b
    };
    let defaults = Policy::default();
    let engine = Engine::new(
        client(&sim),
        store,
        EngineConfig {
            policy: Policy {
                rate_limit_backoff: scaled(defaults.rate_limit_backoff),
                overload_backoff: scaled(defaults.overload_backoff),
                server_backoff: scaled(defaults.server_backoff),
                ..defaults
            },
            budget: Budget {
                max_total_wait_s: Budget::default().max_total_wait_s * SCALE,
                ..Budget::default()
            },
            tier: TierLimits {
                requests_per_minute: 0,
                images_per_minute: 0,
                requests_per_day: 0,
            },
            breaker: BreakerConfig {
                window_s: BreakerConfig::default().window_s * SCALE,
                cooldown_s: BreakerConfig::default().cooldown_s * SCALE,
                ..BreakerConfig::default()
            },
            image_dir: dir.path().join("images"),
            seed: 42,
        },
    );
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let sink = EventSink::new(tx, None);
    let mut tally = Tally::default();
    for index in 0..JOBS {
        let spec = JobSpec {
            prompt: prompt(scenario, index),
            model: PRIMARY.to_owned(),
            fallback: Some(FALLBACK.to_owned()),
            aspect_ratio: Some("1:1".to_owned()),
            image_size: Some("1K".to_owned()),
            references: Vec::new(),
            safety_settings: Vec::new(),
            ..JobSpec::default()
        };
        let job = engine
            .store()
            .enqueue(&serde_json::to_string(&spec).unwrap(), Timestamp::now())
            .unwrap();
        let (_cancel, control) = JobControl::detached();
        let started = Instant::now();
        let outcome = engine.run_job(job, &spec, &sink, &control).await;
        if outcome.status == JobState::Delivered {
            tally.images += 1;
            tally
                .time_to_image_s
                .push(started.elapsed().as_secs_f64() / SCALE);
        }
        tally.cost_usd += outcome.cost_usd;
    }
    drop(sink);
    let _ = drain.await;
    tally.requests = sim.state().stats.requests.load(Ordering::Relaxed);
    sim.shutdown().await.unwrap();
    tally
}

fn row(scenario: Scenario, name: &str, tally: &Tally) -> String {
    let per_image = if tally.images == 0 {
        format!("{} (0 images)", tally.requests)
    } else {
        format!("{:.2}", tally.requests as f64 / f64::from(tally.images))
    };
    let time = if tally.time_to_image_s.is_empty() {
        "-".to_owned()
    } else {
        format!(
            "{:.1}",
            tally.time_to_image_s.iter().sum::<f64>() / tally.time_to_image_s.len() as f64
        )
    };
    format!(
        "| {} | {name} | {}/{JOBS} | {} | {per_image} | {time} | ${:.2} |",
        scenario.name(),
        tally.images,
        tally.requests,
        tally.cost_usd
    )
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        println!("| scenario | policy | images | requests | requests per image | mean time to image (sim s) | cost |");
        println!("|---|---|---|---|---|---|---|");
        for scenario in Scenario::ALL {
            let naive = naive(scenario).await;
            let peel = peel_policy(scenario).await;
            println!("{}", row(scenario, "naive", &naive));
            println!("{}", row(scenario, "peel", &peel));
        }
    });
}
