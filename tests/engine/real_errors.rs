#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on broken fixtures"
)]

//! Every real body in `tests/fixtures/real-errors/` (posted publicly by users; each file names its
//! source) is classified as its `truth.kind` says: read as a whole capture file (what
//! `peel explain FILE` does), as the bare body with its status, and as the messier form it was
//! originally pasted in, where the file keeps one.

use std::path::PathBuf;

use jiff::Timestamp;
use peel::diagnosis::{DiagnosisContext, Evidence, Kind, diagnose};

struct Fixture {
    name: String,
    text: String,
    value: serde_json::Value,
}

fn fixtures() -> Vec<Fixture> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real-errors");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let value = serde_json::from_str(&text).unwrap();
            Fixture {
                name: path.file_name().unwrap().to_string_lossy().into_owned(),
                text,
                value,
            }
        })
        .collect()
}

fn now() -> Timestamp {
    "2026-11-27T12:00:00Z".parse().unwrap()
}

fn body_text(body: &serde_json::Value) -> String {
    match body {
        serde_json::Value::String(text) => text.clone(),
        other => serde_json::to_string_pretty(other).unwrap(),
    }
}

#[test]
fn every_fixture_is_classified_as_its_truth_says() {
    let fixtures = fixtures();
    assert!(fixtures.len() >= 13, "the real-error fixtures are missing");
    let context = DiagnosisContext::new(now());
    let mut failures = Vec::new();
    for fixture in &fixtures {
        let truth = fixture.value["truth"]["kind"].as_str().unwrap();
        let expected = Kind::from_id(truth)
            .unwrap_or_else(|| panic!("{}: unknown truth {truth}", fixture.name));
        let status = fixture.value["http_status"]
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
            .filter(|s| *s > 0);

        let whole = diagnose(&Evidence::pasted(&fixture.text), &context);
        if whole.kind != expected {
            failures.push(format!(
                "{} (capture file): got {}, want {expected}",
                fixture.name, whole.kind
            ));
        }
        let body = body_text(&fixture.value["body"]);
        let bare = diagnose(
            &Evidence::Response {
                status,
                body: &body,
                retry_after_header: None,
            },
            &context,
        );
        if bare.kind != expected {
            failures.push(format!(
                "{} (body + status): got {}, want {expected}",
                fixture.name, bare.kind
            ));
        }
        if let Some(pasted) = fixture.value.get("body_as_pasted") {
            let pasted = body_text(pasted);
            let messy = diagnose(
                &Evidence::Response {
                    status,
                    body: &pasted,
                    retry_after_header: None,
                },
                &context,
            );
            if messy.kind != expected {
                failures.push(format!(
                    "{} (as pasted): got {}, want {expected}",
                    fixture.name, messy.kind
                ));
            }
        }
        if whole.layer != expected.layer() {
            failures.push(format!(
                "{}: layer {}, want {}",
                fixture.name,
                whole.layer,
                expected.layer()
            ));
        }
        assert!(
            !whole.title.is_empty() && !whole.fix.is_empty(),
            "{}",
            fixture.name
        );
    }
    assert!(
        failures.is_empty(),
        "misclassified:\n{}",
        failures.join("\n")
    );
}

#[test]
fn fixtures_cover_the_common_failures() {
    let kinds: std::collections::BTreeSet<String> = fixtures()
        .iter()
        .map(|f| f.value["truth"]["kind"].as_str().unwrap().to_owned())
        .collect();
    for must in [
        "rate_limit_minute",
        "quota_daily",
        "quota_zero",
        "overloaded",
        "image_prohibited",
        "api_key_invalid",
    ] {
        assert!(kinds.contains(must), "no real fixture for {must}");
    }
}

#[test]
fn retry_delay_and_quota_come_from_the_body() {
    let context = DiagnosisContext::new(now());
    let find = |name: &str| fixtures().into_iter().find(|f| f.name == name).unwrap();

    let tpm = diagnose(
        &Evidence::pasted(&find("429-tokens-per-minute-01.json").text),
        &context,
    );
    assert_eq!(tpm.kind, Kind::TokensPerMinute);
    assert_eq!(tpm.retry_after_s, Some(26.0));
    let quota = tpm.quota.unwrap();
    assert_eq!(
        quota.id.as_deref(),
        Some("GenerateContentInputTokensPerModelPerMinute-FreeTier")
    );

    let minute = diagnose(
        &Evidence::pasted(&find("429-rate-limit-minute-01.json").text),
        &context,
    );
    assert_eq!(minute.kind, Kind::RateLimitMinute);
    let seconds = minute.retry_after_s.unwrap();
    assert!((seconds - 17.677_644_319).abs() < 1e-6, "{seconds}");

    // A daily quota waits for midnight Pacific, not for the 23 s the message suggests.
    let daily = diagnose(
        &Evidence::pasted(&find("429-quota-daily-01.json").text),
        &context,
    );
    assert_eq!(daily.kind, Kind::QuotaDaily);
    assert_eq!(daily.resets_at.unwrap().to_string(), "2026-11-28T08:00:00Z");
    assert_eq!(daily.retry_after_s, Some(20.0 * 3600.0));

    // Limit 0: "Please retry in 856ms" is ignored, because waiting never helps.
    let zero = diagnose(
        &Evidence::pasted(&find("429-quota-zero-freetier-image-02.json").text),
        &context,
    );
    assert_eq!(zero.kind, Kind::QuotaZero);
    assert!(!zero.retryable);
    assert_eq!(zero.retry_after_s, None);
}
