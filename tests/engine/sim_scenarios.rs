#![expect(clippy::unwrap_used, reason = "tests fail loudly")]
#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]

//! The real client against the simulator on 127.0.0.1, scenario by scenario: what comes back, and
//! that the diagnosis classifies every body as the scenario intends.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::sim_rig::{client_for, diagnosis_of, request, start_sim};
use base64::Engine as _;
use peel::api::enums::{HarmBlockThreshold, HarmCategory};
use peel::api::wire::SafetySetting;
use peel::diagnosis::{Kind, Layer};
use peel::sim::Scenario;

const PRO: &str = "gemini-3-pro-image";
const FLASH: &str = "gemini-3.1-flash-image";

fn decoded_size(data: &str) -> (u32, u32) {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .unwrap();
    let image = image::load_from_memory(&bytes).unwrap();
    (image.width(), image.height())
}

#[tokio::test]
async fn calm_gives_images_at_the_published_sizes_on_both_versions() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    for version in ["v1", "v1beta"] {
        let client = client_for(&sim, version, None);
        let outcome = client
            .generate_content(PRO, &request("a red fox in snow", Some("16:9"), Some("2K")))
            .await
            .unwrap();
        let response = &outcome.response;
        let image = response.final_image().unwrap();
        assert_eq!(
            image.mime_type, "image/jpeg",
            "Nano Banana Pro answers JPEG"
        );
        assert_eq!(decoded_size(&image.data), (2752, 1536));
        let parts = &response.candidates[0].content.as_ref().unwrap().parts;
        assert!(
            parts
                .iter()
                .any(|p| p.is_thought() && p.inline_data.is_some()),
            "a thought image first"
        );
        assert!(
            parts
                .iter()
                .filter(|p| p.final_image().is_some())
                .all(|p| p.thought_signature.is_some())
        );
        let usage = response.usage_metadata.as_ref().unwrap();
        assert_eq!(usage.image_output_tokens(), Some(1120));
        assert_eq!(response.model_version.as_deref(), Some(PRO));
        assert!(response.response_id.is_some());
        assert_eq!(diagnosis_of(&Ok(outcome), PRO).kind, Kind::Success);
    }
    let flash = client_for(&sim, "v1beta", None)
        .generate_content(
            FLASH,
            &request("a lighthouse at dusk", Some("1:1"), Some("512")),
        )
        .await
        .unwrap();
    let image = flash.response.final_image().unwrap();
    assert_eq!(decoded_size(&image.data), (512, 512));
    let models = client_for(&sim, "v1", None).list_models().await.unwrap();
    let ids: Vec<&str> = models.iter().map(peel::api::wire::ModelInfo::id).collect();
    assert!(ids.contains(&PRO) && ids.contains(&FLASH), "{ids:?}");
    assert!(
        !ids.contains(&"gemini-3-pro-image-preview"),
        "retired ids are not listed"
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn every_safety_outcome_is_diagnosed_in_its_layer() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let client = client_for(&sim, "v1beta", None);
    let cases = [
        ("sim:prohibited", Kind::BlockedProhibited),
        ("sim:blocked-safety", Kind::BlockedSafety),
        ("sim:output-safety", Kind::BlockedSafety),
        ("sim:text-only", Kind::TextOnly),
        ("sim:no-image", Kind::NoImage),
        ("sim:image-safety", Kind::ImageSafety),
        ("sim:image-recitation", Kind::ImageRecitation),
        ("sim:image-prohibited", Kind::ImageProhibited),
        ("sim:image-other", Kind::ImageOther),
        (
            "Elsa from Frozen building an ice castle",
            Kind::ImageRecitation,
        ),
        ("a photo of Taylor Swift on stage", Kind::ImageSafety),
    ];
    for (prompt, want) in cases {
        let outcome = client
            .generate_content(PRO, &request(prompt, None, Some("1K")))
            .await;
        let diagnosis = diagnosis_of(&outcome, PRO);
        assert_eq!(diagnosis.kind, want, "{prompt}: {}", diagnosis.explanation);
    }
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn layer_one_obeys_safety_settings_and_layer_two_ignores_them() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let client = client_for(&sim, "v1beta", None);
    let mut relaxed = request("sim:blocked-safety", None, None);
    relaxed.safety_settings = HarmCategory::CONFIGURABLE
        .into_iter()
        .map(|category| SafetySetting {
            category,
            threshold: HarmBlockThreshold::BlockNone,
        })
        .collect();
    let blocked = diagnosis_of(
        &client
            .generate_content(PRO, &request("sim:blocked-safety", None, None))
            .await,
        PRO,
    );
    assert_eq!(blocked.kind, Kind::BlockedSafety);
    assert!(blocked.configurable);
    assert!(blocked.fix.contains("Dangerous content"), "{}", blocked.fix);
    let passed = diagnosis_of(&client.generate_content(PRO, &relaxed).await, PRO);
    assert_eq!(passed.kind, Kind::Success);

    let mut still_blocked = request("sim:image-safety", None, None);
    still_blocked.safety_settings = relaxed.safety_settings.clone();
    let layer2 = diagnosis_of(&client.generate_content(PRO, &still_blocked).await, PRO);
    assert_eq!(layer2.kind, Kind::ImageSafety);
    assert_eq!(layer2.layer, Layer::ImageFilter);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn strict_safety_blocks_what_calm_lets_through() {
    let strict = start_sim(Scenario::StrictSafety, 1.0).await;
    let calm = start_sim(Scenario::Calm, 1.0).await;
    let prompt = request("sim:strict-image-safety", None, None);
    let in_strict = client_for(&strict, "v1beta", None)
        .generate_content(PRO, &prompt)
        .await;
    let in_calm = client_for(&calm, "v1beta", None)
        .generate_content(PRO, &prompt)
        .await;
    assert_eq!(diagnosis_of(&in_strict, PRO).kind, Kind::ImageSafety);
    assert_eq!(diagnosis_of(&in_calm, PRO).kind, Kind::Success);
    strict.shutdown().await.unwrap();
    calm.shutdown().await.unwrap();
}

#[tokio::test]
async fn free_tier_per_minute_limit_tells_the_real_wait() {
    // A simulated minute lasts 6 real seconds here.
    let sim = start_sim(Scenario::FreeTier, 0.1).await;
    let client = client_for(&sim, "v1beta", None);
    let cheap = request("a pebble", Some("1:1"), Some("512"));
    for _ in 0..2 {
        assert_eq!(
            diagnosis_of(&client.generate_content(FLASH, &cheap).await, FLASH).kind,
            Kind::Success
        );
    }
    let limited = diagnosis_of(&client.generate_content(FLASH, &cheap).await, FLASH);
    assert_eq!(limited.kind, Kind::RateLimitMinute, "{}", limited.raw);
    let wait_s = limited.retry_after_s.unwrap();
    assert!(wait_s > 0.0 && wait_s <= 6.0, "{wait_s}");
    let quota = limited.quota.unwrap();
    assert_eq!(
        quota.id.as_deref(),
        Some("GenerateRequestsPerMinutePerProjectPerModel-FreeTier")
    );
    assert_eq!(quota.value.as_deref(), Some("2"));
    tokio::time::sleep(Duration::from_secs_f64(wait_s + 0.2)).await;
    assert_eq!(
        diagnosis_of(&client.generate_content(FLASH, &cheap).await, FLASH).kind,
        Kind::Success
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn free_tier_daily_quota_ends_the_day_after_ten_images() {
    // A simulated minute lasts 0.3 s; the day is long enough not to roll over during the test.
    let sim = start_sim(Scenario::FreeTier, 0.005).await;
    let client = client_for(&sim, "v1beta", None);
    let cheap = request("a pebble", Some("1:1"), Some("512"));
    let mut images = 0;
    let mut kinds = BTreeMap::new();
    let daily = loop {
        let diagnosis = diagnosis_of(&client.generate_content(FLASH, &cheap).await, FLASH);
        *kinds.entry(diagnosis.kind).or_insert(0) += 1;
        match diagnosis.kind {
            Kind::Success => images += 1,
            Kind::RateLimitMinute => {
                tokio::time::sleep(Duration::from_secs_f64(diagnosis.retry_after_s.unwrap())).await;
            }
            Kind::QuotaDaily => break diagnosis,
            other => panic!("unexpected {other}: {}", diagnosis.raw),
        }
        assert!(
            images <= 10 && kinds.values().sum::<i32>() < 200,
            "{kinds:?}"
        );
    };
    assert_eq!(images, 10);
    assert!(daily.resets_at.is_some());
    assert_eq!(
        daily.quota.unwrap().id.as_deref(),
        Some("GenerateRequestsPerDayPerProjectPerModel-FreeTier")
    );
    // Another key (another project) still has its own quota.
    let other_key = format!("AIza{:0<35}", "AnotherProjectKey");
    let other = client_for(&sim, "v1beta", Some(&other_key));
    assert_eq!(
        diagnosis_of(&other.generate_content(FLASH, &cheap).await, FLASH).kind,
        Kind::Success
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn no_quota_means_limit_zero_and_no_retry() {
    let sim = start_sim(Scenario::NoQuota, 1.0).await;
    let client = client_for(&sim, "v1beta", None);
    for model in [PRO, FLASH] {
        let diagnosis = diagnosis_of(
            &client
                .generate_content(model, &request("a fox", None, None))
                .await,
            model,
        );
        assert_eq!(diagnosis.kind, Kind::QuotaZero, "{}", diagnosis.raw);
        assert!(!diagnosis.retryable);
        assert_eq!(
            diagnosis.retry_after_s, None,
            "the misleading 'retry in' is not passed on"
        );
    }
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn peak_hour_overloads_pro_while_flash_answers() {
    // The overload window is the first 84 simulated seconds of each 2-minute cycle: 8.4 s here.
    let sim = start_sim(Scenario::PeakHour, 0.1).await;
    let client = client_for(&sim, "v1beta", None);
    let mut pro_kinds = Vec::new();
    for _ in 0..8 {
        pro_kinds.push(
            diagnosis_of(
                &client
                    .generate_content(PRO, &request("a fox", None, None))
                    .await,
                PRO,
            )
            .kind,
        );
    }
    let overloaded = pro_kinds.iter().filter(|k| **k == Kind::Overloaded).count();
    assert!(overloaded >= 4, "{pro_kinds:?}");
    assert!(
        pro_kinds.iter().all(|k| matches!(
            k,
            Kind::Overloaded | Kind::Success | Kind::RateLimitUnspecified
        )),
        "{pro_kinds:?}"
    );
    for _ in 0..4 {
        let kind = diagnosis_of(
            &client
                .generate_content(FLASH, &request("a fox", None, Some("512")))
                .await,
            FLASH,
        )
        .kind;
        assert!(
            matches!(kind, Kind::Success | Kind::RateLimitUnspecified),
            "{kind}"
        );
    }
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn flaky_servers_fail_in_every_way_and_each_is_diagnosed() {
    let sim = start_sim(Scenario::Flaky, 0.01).await;
    let client = client_for(&sim, "v1beta", None);
    let mut kinds = BTreeMap::new();
    for _ in 0..80 {
        let outcome = client
            .generate_content(FLASH, &request("a pebble", Some("1:1"), Some("512")))
            .await;
        *kinds.entry(diagnosis_of(&outcome, FLASH).kind).or_insert(0) += 1;
    }
    for kind in kinds.keys() {
        // Cached pictures make answers quick, so the paid tier's 20 requests a (0.6 s) minute
        // can run out too.
        assert!(
            matches!(
                kind,
                Kind::Success
                    | Kind::RateLimitMinute
                    | Kind::Internal
                    | Kind::BadGateway
                    | Kind::Timeout
                    | Kind::NetworkError
            ),
            "{kinds:?}"
        );
    }
    for must in [
        Kind::Success,
        Kind::Internal,
        Kind::BadGateway,
        Kind::Timeout,
        Kind::NetworkError,
    ] {
        assert!(kinds.contains_key(&must), "no {must} in {kinds:?}");
    }
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn retired_models_answer_404_and_the_diagnosis_names_the_replacement() {
    let sim = start_sim(Scenario::RetiredModel, 1.0).await;
    let client = client_for(&sim, "v1beta", None);
    let pro = diagnosis_of(
        &client
            .generate_content(PRO, &request("a fox", None, None))
            .await,
        PRO,
    );
    assert_eq!(pro.kind, Kind::ModelNotFound);
    let flash = diagnosis_of(
        &client
            .generate_content(FLASH, &request("a fox", None, Some("512")))
            .await,
        FLASH,
    );
    assert_eq!(flash.kind, Kind::Success);
    let preview = "gemini-3-pro-image-preview";
    let old = diagnosis_of(
        &client
            .generate_content(preview, &request("a fox", None, None))
            .await,
        preview,
    );
    assert_eq!(old.kind, Kind::ModelNotFound);
    assert!(old.fix.contains(PRO), "{}", old.fix);
    sim.shutdown().await.unwrap();
}

/// A `generateContent` call straight over HTTP (no Peel client in between), for tests about the
/// bytes themselves.
async fn raw_generate(
    base_url: &str,
    model: &str,
    prompt: &str,
    ratio: &str,
    size: &str,
) -> serde_json::Value {
    let body = serde_json::json!({
        "contents": [{"role": "user", "parts": [{"text": prompt}]}],
        "generationConfig": {
            "responseModalities": ["TEXT", "IMAGE"],
            "imageConfig": {"aspectRatio": ratio, "imageSize": size},
        },
    });
    let response = reqwest::Client::new()
        .post(format!("{base_url}/v1beta/models/{model}:generateContent"))
        .header("x-goog-api-key", peel::sim::SIM_API_KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The parts of the first candidate.
fn parts_of(answer: &serde_json::Value) -> &Vec<serde_json::Value> {
    answer["candidates"][0]["content"]["parts"]
        .as_array()
        .unwrap()
}

/// Decoded bytes and header size of an inline image part.
fn image_of(part: &serde_json::Value) -> (Vec<u8>, (u32, u32)) {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(part["inlineData"]["data"].as_str().unwrap())
        .unwrap();
    let size = image::ImageReader::new(std::io::Cursor::new(&bytes))
        .with_guessed_format()
        .unwrap()
        .into_dimensions()
        .unwrap();
    (bytes, size)
}

/// A simulator with real answer times (`sim_rig::start_sim` turns them off).
async fn start_timed_sim(time_scale: f64) -> peel::sim::RunningSim {
    peel::sim::start(
        "127.0.0.1:0".parse().unwrap(),
        peel::sim::SimConfig {
            scenario: Scenario::Calm,
            seed: 7,
            time_scale,
            start_at: Some("2026-11-27T20:00:00Z".parse().unwrap()),
            generation_latency: true,
        },
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pro_answers_weigh_what_real_ones_do_with_two_thought_images_first() {
    let sim = start_sim(Scenario::Calm, 1.0).await;
    let url = sim.base_url();
    let cases = [
        ("1:1", "2K", (2048, 2048), 1_000_000..4_000_000, 1120),
        ("1:1", "4K", (4096, 4096), 3_000_000..9_000_000, 2000),
        ("16:9", "4K", (5504, 3072), 3_000_000..9_000_000, 2000),
    ];
    for (ratio, size, pixels, weight, image_tokens) in cases {
        let answer = raw_generate(&url, PRO, "a harbour at dawn, fishing boats", ratio, size).await;
        let parts = parts_of(&answer);
        let images: Vec<&serde_json::Value> = parts
            .iter()
            .filter(|p| p.get("inlineData").is_some())
            .collect();
        assert_eq!(images.len(), 3, "two thought images, then the final one");
        let (last, drafts) = images.split_last().unwrap();
        for draft in drafts {
            assert_eq!(draft["thought"], true);
            assert!(
                draft.get("thoughtSignature").is_none(),
                "thoughts are never signed"
            );
            let (bytes, (width, height)) = image_of(draft);
            assert!(
                width.max(height) <= 1024 && width < pixels.0,
                "{width}x{height}"
            );
            assert!(
                bytes.len() > 100_000,
                "a photographic draft: {}",
                bytes.len()
            );
            image::load_from_memory(&bytes).unwrap();
        }
        assert!(last.get("thought").is_none());
        assert!(last["thoughtSignature"].is_string());
        assert_eq!(last["inlineData"]["mimeType"], "image/jpeg");
        let (bytes, size_px) = image_of(last);
        assert_eq!(size_px, pixels, "{ratio} {size}");
        assert!(
            weight.contains(&bytes.len()),
            "{ratio} {size}: {} bytes",
            bytes.len()
        );
        // The final image is the last part; every thought comes before it.
        assert!(std::ptr::eq(*last, parts.last().unwrap()));
        // Thought images are not billed: the image tokens are the size's, as before.
        let usage = &answer["usageMetadata"];
        let billed: Vec<u64> = usage["candidatesTokensDetails"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["modality"] == "IMAGE")
            .map(|d| d["tokenCount"].as_u64().unwrap())
            .collect();
        assert_eq!(billed, [image_tokens], "{usage}");
        assert!(usage["thoughtsTokenCount"].as_u64().unwrap() > 0);
    }
    sim.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pictures_are_deterministic_and_png_models_answer_png() {
    let (a, b) = (
        start_sim(Scenario::Calm, 1.0).await,
        start_sim(Scenario::Calm, 1.0).await,
    );
    let prompt = "a lighthouse on a cliff, storm clouds";
    let first = raw_generate(&a.base_url(), PRO, prompt, "1:1", "1K").await;
    let second = raw_generate(&b.base_url(), PRO, prompt, "1:1", "1K").await;
    let other = raw_generate(&a.base_url(), PRO, "a lighthouse at noon", "1:1", "1K").await;
    let image = |answer: &serde_json::Value| {
        parts_of(answer).last().unwrap()["inlineData"]["data"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(image(&first), image(&second));
    assert_ne!(image(&first), image(&other));
    let (bytes, size) = image_of(parts_of(&first).last().unwrap());
    assert_eq!(size, (1024, 1024));
    assert!(
        (150_000..1_000_000).contains(&bytes.len()),
        "{}",
        bytes.len()
    );

    let png = raw_generate(&a.base_url(), "gemini-2.5-flash-image", prompt, "1:1", "1K").await;
    let parts = parts_of(&png);
    assert!(
        parts.iter().all(|p| p.get("thought").is_none()),
        "no thinking"
    );
    let last = parts.last().unwrap();
    assert_eq!(last["inlineData"]["mimeType"], "image/png");
    let (bytes, _) = image_of(last);
    assert!(bytes.len() > 1_000_000, "{}", bytes.len());
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pro_at_4k_takes_longer_than_flash_at_1k() {
    // Draw both pictures once without waiting, so the timed run measures the simulated model
    // time, not this machine's encoder.
    let warm = start_sim(Scenario::Calm, 1.0).await;
    let prompt = "a fox in tall grass";
    raw_generate(&warm.base_url(), PRO, prompt, "1:1", "4K").await;
    raw_generate(&warm.base_url(), FLASH, prompt, "1:1", "1K").await;
    warm.shutdown().await.unwrap();

    // A simulated second lasts 50 ms: Pro 4K takes 25-60 s (1.25-3 s here), flash 1K 4-9 s.
    let scale = 0.05;
    let sim = start_timed_sim(scale).await;
    let started = std::time::Instant::now();
    raw_generate(&sim.base_url(), PRO, prompt, "1:1", "4K").await;
    let pro = started.elapsed().as_secs_f64();
    let started = std::time::Instant::now();
    raw_generate(&sim.base_url(), FLASH, prompt, "1:1", "1K").await;
    let flash = started.elapsed().as_secs_f64();
    assert!(pro >= 25.0 * scale, "Pro 4K took {pro:.2} s");
    assert!(flash >= 4.0 * scale, "flash 1K took {flash:.2} s");
    assert!(pro > flash, "Pro 4K {pro:.2} s, flash 1K {flash:.2} s");
    sim.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_does_not_wait_for_a_thinking_model() {
    // Real time: a Pro answer would take 12-25 s.
    let sim = start_timed_sim(1.0).await;
    let url = sim.base_url();
    let pending =
        tokio::spawn(
            async move { raw_generate(&url, PRO, "a fox in tall grass", "1:1", "1K").await },
        );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = std::time::Instant::now();
    sim.shutdown().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let answer = pending.await.unwrap();
    assert!(parts_of(&answer).last().unwrap()["inlineData"].is_object());
}
