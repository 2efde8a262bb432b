#![expect(clippy::unwrap_used, reason = "tests fail loudly")]
#![expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]

//! The real client against the simulator on 127.0.0.1, scenario by scenario: what comes back, and
//! that the diagnosis classifies every body as the scenario intends.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine as _;
use common::{client_for, diagnosis_of, request, start_sim};
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
        assert!(
            matches!(
                kind,
                Kind::Success
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
