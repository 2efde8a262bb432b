//! Soak benchmark for the simulator: thousands of requests from many keys, with the process's
//! resident memory printed along the way. Goal: memory levels off (no per-request leak) and the
//! quota book stays within its bound. Run with `cargo bench --bench sim_soak [-- REQUESTS]`.
//! A goal, not a test: numbers depend on the machine.

#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![expect(
    clippy::disallowed_methods,
    reason = "a benchmark's own main thread, not a UI thread"
)]

use std::time::Instant;

use peel::api::wire::{Content, GenerateContentRequest, GenerationConfig, ImageConfig, Part};
use peel::api::{ApiKey, ClientConfig, GeminiClient};
use peel::sim::{self, Scenario, SimConfig};

fn resident_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / (1024.0 * 1024.0)
}

fn main() {
    let total: usize = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(3000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let sim = sim::start(
            "127.0.0.1:0".parse().expect("addr"),
            SimConfig {
                scenario: Scenario::Flaky,
                seed: 3,
                time_scale: 0.0001,
                start_at: None,
                generation_latency: false,
            },
        )
        .await
        .expect("simulator");
        let request = GenerateContentRequest {
            contents: vec![Content {
                role: Some("user".to_owned()),
                parts: vec![Part::text("a pebble on sand")],
            }],
            generation_config: Some(GenerationConfig {
                image_config: Some(ImageConfig {
                    aspect_ratio: Some("1:1".to_owned()),
                    image_size: Some("512".to_owned()),
                }),
                ..GenerationConfig::default()
            }),
            ..GenerateContentRequest::default()
        };
        let started = Instant::now();
        let mut baseline = None;
        println!(
            "{:>8} {:>12} {:>14} {:>10}",
            "requests", "rss_mib", "tracked_quotas", "elapsed_s"
        );
        for index in 0..total {
            // A new key every request: the quota book must evict, not grow.
            let key = format!("AIza{index:0>35}");
            let client = GeminiClient::new(ClientConfig {
                base_url: sim.base_url(),
                api_key: ApiKey::new(key),
                ..ClientConfig::default()
            })
            .expect("client");
            let _ = client
                .generate_content("gemini-3.1-flash-image", &request)
                .await;
            if index == 200 {
                baseline = Some(resident_mib());
            }
            if index % 500 == 0 || index + 1 == total {
                println!(
                    "{:>8} {:>12.1} {:>14} {:>10.1}",
                    index + 1,
                    resident_mib(),
                    sim.state().tracked_quotas(),
                    started.elapsed().as_secs_f64()
                );
            }
        }
        if let Some(baseline) = baseline {
            println!(
                "growth after warm-up: {:.1} MiB over {} requests",
                resident_mib() - baseline,
                total.saturating_sub(200)
            );
        }
        sim.shutdown().await.expect("shutdown");
    });
}
