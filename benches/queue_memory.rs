//! Memory of a long queue: 200 jobs, each with its own 2 MB reference image, queued at once on a
//! tier of one request a minute, so all but one wait in the queue. A waiting job holds its
//! references by name and hash only (the bytes are read back for each request), so memory must
//! not grow with the queue. Goal: resident memory under 300 MB once all 200 wait (before issue
//! 19, each waiting job held its references as base64 in memory: about 550 MB more here).
//!
//! Run with `cargo bench --bench queue_memory [-- JOBS]`. A goal, not a test: the numbers depend
//! on the machine.

#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![expect(
    clippy::disallowed_methods,
    reason = "a benchmark's own main thread, not a UI thread"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use peel::api::{ApiKey, ClientConfig, GeminiClient};
use peel::resilience::{BreakerConfig, Budget, Policy, TierLimits};
use peel::sim::{self, SIM_API_KEY, Scenario, SimConfig};
use peel::store::Store;
use peel::store::references::keep_reference;
use peel::worker::{self, Command, Engine, EngineConfig, Event, JobSpec};

/// Goal for resident memory with the whole queue waiting, in MiB.
const GOAL_MIB: f64 = 300.0;

/// Bytes of each job's reference.
const REFERENCE_BYTES: usize = 2 * 1024 * 1024;

/// A line of `/proc/self/status` (`VmRSS`, `VmHWM`) in MiB.
fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|line| line.starts_with(field))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|kib| kib.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

/// A JPEG-looking reference of [`REFERENCE_BYTES`], different for each job.
fn reference_bytes(job: usize) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    let mut state = 0x9E37_79B9_7F4A_7C15_u64 ^ job as u64;
    while bytes.len() < REFERENCE_BYTES - 2 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(REFERENCE_BYTES - 2);
    bytes.extend_from_slice(&[0xFF, 0xD9]);
    bytes
}

/// An engine on `sim` in `dir` on a tier of one request a minute, with a budget that waits.
fn engine_on(sim: &sim::RunningSim, dir: &std::path::Path) -> Engine {
    let store = Arc::new(Store::open(&dir.join("peel.db")).expect("store"));
    let client = GeminiClient::new(ClientConfig {
        base_url: sim.base_url(),
        api_version: "v1beta".to_owned(),
        api_key: ApiKey::new(SIM_API_KEY),
        ..ClientConfig::default()
    })
    .expect("client");
    Engine::new(
        client,
        store,
        EngineConfig {
            policy: Policy::default(),
            budget: Budget {
                max_total_wait_s: 1_000_000.0,
                max_daily_spend_usd: 1_000_000.0,
                ..Budget::default()
            },
            tier: TierLimits {
                requests_per_minute: 1,
                images_per_minute: 0,
                requests_per_day: 0,
            },
            breaker: BreakerConfig::default(),
            image_dir: dir.join("images"),
            seed: 1,
        },
    )
}

/// Job `job`: a Pro 1K image with its own reference, kept in `dir`.
fn job_with_reference(dir: &std::path::Path, job: usize) -> JobSpec {
    let bytes = reference_bytes(job);
    let reference = keep_reference(dir, "image/jpeg", &bytes).expect("kept");
    JobSpec {
        prompt: format!("variation {job} of the reference"),
        model: "gemini-3-pro-image".to_owned(),
        fallback: None,
        aspect_ratio: Some("1:1".to_owned()),
        image_size: Some("1K".to_owned()),
        references: vec![reference],
        ..JobSpec::default()
    }
}

fn main() {
    let jobs: usize = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(200);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temporary folder");
    runtime.block_on(async move {
        let sim = sim::start(
            "127.0.0.1:0".parse().expect("addr"),
            SimConfig {
                scenario: Scenario::Calm,
                seed: 3,
                time_scale: 1.0,
                start_at: None,
                generation_latency: false,
            },
        )
        .await
        .expect("simulator");
        let engine = Arc::new(engine_on(&sim, dir.path()));
        let before_mib = status_mib("VmRSS:");
        let mut handle = worker::spawn(&tokio::runtime::Handle::current(), engine, None);
        let started = Instant::now();
        for job in 0..jobs {
            let spec = job_with_reference(dir.path(), job);
            handle
                .commands
                .send(Command::Generate(spec))
                .await
                .expect("worker");
        }
        // Every job is queued and waiting (one may be sending) once each has said so.
        let mut waiting = 0;
        while waiting < jobs.saturating_sub(1) {
            match tokio::time::timeout(Duration::from_mins(2), handle.events.recv()).await {
                Ok(Some(Event::Waiting { .. })) => waiting += 1,
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let rss_mib = status_mib("VmRSS:");
        let peak_mib = status_mib("VmHWM:");
        println!(
            "{jobs} jobs with a {} MB reference each, {waiting} waiting after {:.1} s",
            REFERENCE_BYTES / (1024 * 1024),
            started.elapsed().as_secs_f64()
        );
        println!(
            "resident: {rss_mib:.0} MiB (goal < {GOAL_MIB:.0} MiB; {before_mib:.0} MiB before the queue), peak {peak_mib:.0} MiB: {}",
            if rss_mib < GOAL_MIB { "within goal" } else { "OVER GOAL" }
        );
    });
}
