//! One or more cases for every kind of the contract, built on the shapes of real Gemini answers,
//! plus the facts each diagnosis must carry (layer, retry delay, reset, configurability, words).

use std::collections::BTreeSet;

use jiff::Timestamp;
use serde_json::json;

use super::*;

fn now() -> Timestamp {
    "2026-11-27T12:00:00Z".parse().unwrap()
}

fn http(status: u16, body: &serde_json::Value) -> Diagnosis {
    let body = body.to_string();
    diagnose(
        &Evidence::http(status, &body),
        &DiagnosisContext::new(now()),
    )
}

fn error_body(
    code: u16,
    status: &str,
    message: &str,
    details: &serde_json::Value,
) -> serde_json::Value {
    json!({"error": {"code": code, "message": message, "status": status, "details": details}})
}

fn quota_violation(id: &str, value: &str) -> serde_json::Value {
    json!({"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{
        "quotaMetric": "generativelanguage.googleapis.com/generate_content_paid_tier_requests",
        "quotaId": id,
        "quotaDimensions": {"location": "global", "model": "gemini-3-pro-image"},
        "quotaValue": value}]})
}

fn retry_info(delay: &str) -> serde_json::Value {
    json!({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay})
}

fn candidate(finish_reason: &str, parts: &serde_json::Value) -> serde_json::Value {
    json!({"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": finish_reason, "index": 0}],
           "modelVersion": "gemini-3-pro-image", "responseId": "r1"})
}

fn image_part() -> serde_json::Value {
    json!({"inlineData": {"mimeType": "image/jpeg", "data": "/9j/4AAQ"}, "thoughtSignature": "c2ln"})
}

/// Every case: what goes in, and the kind that must come out.
#[expect(
    clippy::too_many_lines,
    reason = "one row per kind reads best as one table"
)]
fn cases() -> Vec<(&'static str, Diagnosis, Kind)> {
    let quota_message =
        "You exceeded your current quota, please check your plan and billing details.";
    vec![
        (
            "image arrives",
            http(
                200,
                &candidate("STOP", &json!([{"text": "Here you go"}, image_part()])),
            ),
            Kind::Success,
        ),
        (
            "words only",
            http(
                200,
                &candidate("STOP", &json!([{"text": "I can describe a fox instead."}])),
            ),
            Kind::TextOnly,
        ),
        (
            "NO_IMAGE",
            http(200, &candidate("NO_IMAGE", &json!([]))),
            Kind::NoImage,
        ),
        (
            "STOP with nothing",
            http(
                200,
                &json!({"candidates": [{"content": {"role": "model"}, "finishReason": "STOP"}]}),
            ),
            Kind::NoImage,
        ),
        (
            "MAX_TOKENS",
            http(200, &candidate("MAX_TOKENS", &json!([]))),
            Kind::MaxTokens,
        ),
        (
            "prompt SAFETY",
            http(
                200,
                &json!({"promptFeedback": {"blockReason": "SAFETY", "safetyRatings": [
            {"category": "HARM_CATEGORY_HARASSMENT", "probability": "LOW"},
            {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": true}]}}),
            ),
            Kind::BlockedSafety,
        ),
        (
            "candidate SAFETY",
            http(
                200,
                &json!({"candidates": [{"finishReason": "SAFETY", "safetyRatings": [
            {"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT", "probability": "MEDIUM"}]}]}),
            ),
            Kind::BlockedSafety,
        ),
        (
            "PROHIBITED_CONTENT prompt",
            http(
                200,
                &json!({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}}),
            ),
            Kind::BlockedProhibited,
        ),
        (
            "PROHIBITED_CONTENT candidate",
            http(200, &candidate("PROHIBITED_CONTENT", &json!([]))),
            Kind::BlockedProhibited,
        ),
        (
            "BLOCKLIST",
            http(
                200,
                &json!({"promptFeedback": {"blockReason": "BLOCKLIST"}}),
            ),
            Kind::BlockedBlocklist,
        ),
        (
            "SPII",
            http(200, &candidate("SPII", &json!([]))),
            Kind::BlockedSpii,
        ),
        (
            "block OTHER",
            http(200, &json!({"promptFeedback": {"blockReason": "OTHER"}})),
            Kind::BlockedOther,
        ),
        (
            "LANGUAGE",
            http(200, &candidate("LANGUAGE", &json!([]))),
            Kind::BlockedOther,
        ),
        (
            "RECITATION",
            http(200, &candidate("RECITATION", &json!([]))),
            Kind::Recitation,
        ),
        (
            "IMAGE_SAFETY",
            http(
                200,
                &json!({"candidates": [{"content": {}, "finishReason": "IMAGE_SAFETY",
            "finishMessage": "Unable to show the generated image."}]}),
            ),
            Kind::ImageSafety,
        ),
        (
            "blockReason IMAGE_SAFETY",
            http(
                200,
                &json!({"promptFeedback": {"blockReason": "IMAGE_SAFETY"}}),
            ),
            Kind::ImageSafety,
        ),
        (
            "IMAGE_PROHIBITED_CONTENT",
            http(200, &candidate("IMAGE_PROHIBITED_CONTENT", &json!([]))),
            Kind::ImageProhibited,
        ),
        (
            "IMAGE_RECITATION",
            http(200, &candidate("IMAGE_RECITATION", &json!([]))),
            Kind::ImageRecitation,
        ),
        (
            "IMAGE_OTHER",
            http(
                200,
                &json!({"candidates": [{"content": {"role": "model"}, "finishReason": "IMAGE_OTHER",
            "finishMessage": "Unable to show the generated image. The model could not generate the image based on the prompt provided."}]}),
            ),
            Kind::ImageOther,
        ),
        (
            "per minute",
            http(
                429,
                &error_body(
                    429,
                    "RESOURCE_EXHAUSTED",
                    quota_message,
                    &json!([
                        quota_violation("GenerateRequestsPerMinutePerProjectPerModel", "20"),
                        retry_info("22s")
                    ]),
                ),
            ),
            Kind::RateLimitMinute,
        ),
        (
            "input tokens",
            http(
                429,
                &error_body(
                    429,
                    "RESOURCE_EXHAUSTED",
                    quota_message,
                    &json!([
                        quota_violation(
                            "GenerateContentPaidTierInputTokensPerModelPerMinute",
                            "1000000"
                        ),
                        retry_info("31s")
                    ]),
                ),
            ),
            Kind::TokensPerMinute,
        ),
        (
            "429 without details",
            http(
                429,
                &error_body(
                    429,
                    "RESOURCE_EXHAUSTED",
                    "Resource has been exhausted (e.g. check quota).",
                    &json!([]),
                ),
            ),
            Kind::RateLimitUnspecified,
        ),
        (
            "per day",
            http(
                429,
                &error_body(
                    429,
                    "RESOURCE_EXHAUSTED",
                    quota_message,
                    &json!([
                        quota_violation("GenerateRequestsPerDayPerProjectPerModel", "250"),
                        retry_info("20s")
                    ]),
                ),
            ),
            Kind::QuotaDaily,
        ),
        (
            "limit 0",
            http(
                429,
                &error_body(
                    429,
                    "RESOURCE_EXHAUSTED",
                    quota_message,
                    &json!([
                        quota_violation("GenerateRequestsPerDayPerProjectPerModel-FreeTier", "0"),
                        retry_info("0.856s")
                    ]),
                ),
            ),
            Kind::QuotaZero,
        ),
        (
            "overloaded",
            http(
                503,
                &error_body(
                    503,
                    "UNAVAILABLE",
                    "The model is overloaded. Please try again later.",
                    &json!([]),
                ),
            ),
            Kind::Overloaded,
        ),
        (
            "internal",
            http(
                500,
                &error_body(
                    500,
                    "INTERNAL",
                    "An internal error has occurred.",
                    &json!([]),
                ),
            ),
            Kind::Internal,
        ),
        (
            "bad gateway page",
            diagnose(
                &Evidence::http(
                    502,
                    "<!DOCTYPE html><html lang=en><title>Error 502 (Server Error)!!1</title><p><b>502.</b> <ins>That’s an error.</ins>",
                ),
                &DiagnosisContext::new(now()),
            ),
            Kind::BadGateway,
        ),
        (
            "504",
            http(
                504,
                &error_body(504, "DEADLINE_EXCEEDED", "Deadline exceeded", &json!([])),
            ),
            Kind::Timeout,
        ),
        (
            "503 deadline",
            http(
                503,
                &error_body(
                    503,
                    "UNAVAILABLE",
                    "Deadline expired before operation could complete.",
                    &json!([]),
                ),
            ),
            Kind::Timeout,
        ),
        (
            "client timeout",
            diagnose(
                &Evidence::Transport {
                    failure: TransportFailure::Timeout,
                    detail: "operation timed out",
                },
                &DiagnosisContext::new(now()),
            ),
            Kind::Timeout,
        ),
        (
            "lowercase size",
            http(
                400,
                &error_body(
                    400,
                    "INVALID_ARGUMENT",
                    "Invalid value at 'generation_config.image_config.image_size'",
                    &json!([
            {"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [{"field": "generation_config.image_config.image_size",
             "description": "Invalid value \"1k\": use 1K, 2K or 4K"}]}]),
                ),
            ),
            Kind::InvalidArgument,
        ),
        (
            "bad input image",
            http(
                400,
                &error_body(
                    400,
                    "INVALID_ARGUMENT",
                    "Provided image is not valid.",
                    &json!([]),
                ),
            ),
            Kind::InvalidInputImage,
        ),
        (
            "payload",
            http(
                400,
                &error_body(
                    400,
                    "INVALID_ARGUMENT",
                    "Request payload size exceeds the limit: 20971520 bytes.",
                    &json!([]),
                ),
            ),
            Kind::PayloadTooLarge,
        ),
        (
            "signature",
            http(
                400,
                &error_body(
                    400,
                    "INVALID_ARGUMENT",
                    "Image part is missing a thought_signature in content position 2, part position 1.",
                    &json!([]),
                ),
            ),
            Kind::ThoughtSignatureMissing,
        ),
        (
            "retired model",
            http(
                404,
                &error_body(
                    404,
                    "NOT_FOUND",
                    "models/gemini-3-pro-image-preview is not found for API version v1beta, or is not supported for generateContent.",
                    &json!([]),
                ),
            ),
            Kind::ModelNotFound,
        ),
        (
            "bad key",
            http(
                400,
                &error_body(
                    400,
                    "INVALID_ARGUMENT",
                    "API key not valid. Please pass a valid API key.",
                    &json!([
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com"}]),
                ),
            ),
            Kind::ApiKeyInvalid,
        ),
        (
            "no key",
            http(
                403,
                &error_body(
                    403,
                    "PERMISSION_DENIED",
                    "Method doesn't allow unregistered callers (callers without established identity).",
                    &json!([]),
                ),
            ),
            Kind::ApiKeyMissing,
        ),
        (
            "leaked",
            http(
                403,
                &error_body(
                    403,
                    "PERMISSION_DENIED",
                    "Your API key was reported as leaked. Please use another API key.",
                    &json!([]),
                ),
            ),
            Kind::ApiKeyLeaked,
        ),
        (
            "service disabled",
            http(
                403,
                &error_body(
                    403,
                    "PERMISSION_DENIED",
                    "Generative Language API has not been used in project 123 before or it is disabled.",
                    &json!([
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED"}]),
                ),
            ),
            Kind::PermissionDenied,
        ),
        (
            "region",
            http(
                400,
                &error_body(
                    400,
                    "FAILED_PRECONDITION",
                    "User location is not supported for the API use.",
                    &json!([]),
                ),
            ),
            Kind::RegionUnsupported,
        ),
        (
            "billing",
            http(
                400,
                &error_body(
                    400,
                    "FAILED_PRECONDITION",
                    "Gemini API free tier is not available in your country. Please enable billing on your project in Google AI Studio.",
                    &json!([]),
                ),
            ),
            Kind::BillingRequired,
        ),
        (
            "refused",
            diagnose(
                &Evidence::Transport {
                    failure: TransportFailure::Connect,
                    detail: "connection refused",
                },
                &DiagnosisContext::new(now()),
            ),
            Kind::NetworkError,
        ),
        (
            "499",
            http(
                499,
                &error_body(499, "CANCELLED", "The operation was cancelled.", &json!([])),
            ),
            Kind::NetworkError,
        ),
        (
            "cut-off 200",
            diagnose(
                &Evidence::http(200, "{\"candidates\":[{\"content\":{\"parts\":[{\"inlineDa"),
                &DiagnosisContext::new(now()),
            ),
            Kind::ResponseMalformed,
        ),
        (
            "too large",
            diagnose(
                &Evidence::Transport {
                    failure: TransportFailure::BodyTooLarge,
                    detail: "over 64 MB",
                },
                &DiagnosisContext::new(now()),
            ),
            Kind::ResponseMalformed,
        ),
        (
            "stalled body",
            diagnose(
                &Evidence::Transport {
                    failure: TransportFailure::Stalled,
                    detail: "no data for 30 s after 1.2 MB of the answer had arrived",
                },
                &DiagnosisContext::new(now()),
            ),
            Kind::NetworkError,
        ),
        (
            "trickling body",
            diagnose(
                &Evidence::Transport {
                    failure: TransportFailure::TooSlow,
                    detail: "only 20 bytes arrived in 20 s (20 bytes in all)",
                },
                &DiagnosisContext::new(now()),
            ),
            Kind::NetworkError,
        ),
        (
            "redirect",
            diagnose(
                &Evidence::Transport {
                    failure: TransportFailure::Redirected,
                    detail: "https://other.example/v1beta/models",
                },
                &DiagnosisContext::new(now()),
            ),
            Kind::EndpointRedirect,
        ),
        (
            "broken image",
            {
                let context = DiagnosisContext::new(now()).with_model("gemini-3-pro-image");
                let answer: crate::api::wire::GenerateContentResponse = serde_json::from_str(
                    r#"{"candidates":[{"content":{"parts":[{"inlineData":{"mimeType":"image/png","peelStandIn":{"bytes":27}}}]},"finishReason":"STOP"}]}"#,
                )
                .unwrap();
                let diagnosis = diagnose(
                    &Evidence::Answer {
                        status: 200,
                        response: &answer,
                    },
                    &context,
                );
                assert_eq!(diagnosis.kind, Kind::Success);
                super::with_broken_image(
                    diagnosis,
                    "it is labelled image/png, but its bytes are not an image",
                    &context,
                )
            },
            Kind::ImageBroken,
        ),
        (
            "teapot",
            http(
                418,
                &json!({"error": {"code": 418, "message": "I'm a teapot"}}),
            ),
            Kind::Unknown,
        ),
        (
            "nonsense",
            diagnose(
                &Evidence::pasted("hello world"),
                &DiagnosisContext::new(now()),
            ),
            Kind::Unknown,
        ),
    ]
}

#[test]
fn every_kind_is_reached_by_a_case() {
    let mut covered = BTreeSet::new();
    let mut wrong = Vec::new();
    for (name, diagnosis, want) in cases() {
        if diagnosis.kind != want {
            wrong.push(format!("{name}: got {}, want {want}", diagnosis.kind));
        }
        covered.insert(diagnosis.kind);
        if want != Kind::Unknown {
            assert_eq!(diagnosis.layer, want.layer(), "{name}");
        }
        assert_eq!(
            diagnosis.configurable,
            want == Kind::BlockedSafety,
            "{name}"
        );
        assert!(
            !diagnosis.title.is_empty()
                && !diagnosis.explanation.is_empty()
                && !diagnosis.fix.is_empty()
        );
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let missing: Vec<Kind> = Kind::ALL
        .into_iter()
        .filter(|kind| !covered.contains(kind))
        .collect();
    assert!(missing.is_empty(), "kinds without a case: {missing:?}");
}

#[test]
fn server_delay_wins_and_is_sourced() {
    let minute = http(
        429,
        &error_body(
            429,
            "RESOURCE_EXHAUSTED",
            "Please retry in 21.4s.",
            &json!([
                quota_violation("GenerateRequestsPerMinutePerProjectPerModel", "20"),
                retry_info("22s")
            ]),
        ),
    );
    assert_eq!(minute.retry_after_s, Some(22.0));
    assert_eq!(minute.retry_after_source, Some(RetryDelaySource::RetryInfo));
    assert_eq!(minute.quota.unwrap().value.as_deref(), Some("20"));
    assert_eq!(
        minute.model.as_deref(),
        Some("Nano Banana Pro (gemini-3-pro-image)")
    );

    let from_message = http(
        429,
        &error_body(
            429,
            "RESOURCE_EXHAUSTED",
            "Quota exceeded. Please retry in 47.434392449s.",
            &json!([quota_violation(
                "GenerateRequestsPerMinutePerProjectPerModel",
                "20"
            )]),
        ),
    );
    assert_eq!(
        from_message.retry_after_source,
        Some(RetryDelaySource::Message)
    );

    let body = error_body(
        429,
        "RESOURCE_EXHAUSTED",
        "Resource has been exhausted (e.g. check quota).",
        &json!([]),
    )
    .to_string();
    let from_header = diagnose(
        &Evidence::Response {
            status: Some(429),
            body: &body,
            retry_after_header: Some("7"),
        },
        &DiagnosisContext::new(now()),
    );
    assert_eq!(from_header.retry_after_s, Some(7.0));
    assert_eq!(
        from_header.retry_after_source,
        Some(RetryDelaySource::Header)
    );
}

#[test]
fn daily_quota_waits_for_pacific_midnight() {
    let daily = http(
        429,
        &error_body(
            429,
            "RESOURCE_EXHAUSTED",
            "quota",
            &json!([
                quota_violation("GenerateRequestsPerDayPerProjectPerModel", "250"),
                retry_info("20s")
            ]),
        ),
    );
    assert_eq!(daily.resets_at.unwrap().to_string(), "2026-11-28T08:00:00Z");
    assert_eq!(daily.retry_after_s, Some(72_000.0));
    assert!(
        daily.explanation.contains("midnight Pacific"),
        "{}",
        daily.explanation
    );
    assert!(daily.explanation.contains("20 h"), "{}", daily.explanation);
}

#[test]
fn content_blocks_say_which_layer_and_setting() {
    let layer1 = http(
        200,
        &json!({"promptFeedback": {"blockReason": "SAFETY", "safetyRatings": [
        {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": true}]}}),
    );
    assert!(layer1.configurable);
    assert!(
        layer1.fix.contains("\"Dangerous content\""),
        "{}",
        layer1.fix
    );
    assert_eq!(layer1.block_reason.as_deref(), Some("SAFETY"));

    let layer2 = http(200, &candidate("IMAGE_SAFETY", &json!([])));
    assert!(!layer2.configurable);
    assert!(!layer2.retryable);
    assert!(
        layer2.explanation.contains("Block none"),
        "{}",
        layer2.explanation
    );
    assert_eq!(layer2.finish_reason.as_deref(), Some("IMAGE_SAFETY"));
}

#[test]
fn model_not_found_names_the_replacement_or_the_typo() {
    let retired = http(
        404,
        &error_body(
            404,
            "NOT_FOUND",
            "models/gemini-2.0-flash-exp-image-generation is not found for API version v1beta, or is not supported for generateContent.",
            &json!([]),
        ),
    );
    assert!(
        retired.fix.contains("gemini-3-pro-image"),
        "{}",
        retired.fix
    );

    let typo = http(
        404,
        &error_body(
            404,
            "NOT_FOUND",
            "models/gemini-3-pro-imgae is not found for API version v1, or is not supported for generateContent.",
            &json!([]),
        ),
    );
    assert!(
        typo.fix
            .contains("Did you mean Nano Banana Pro (gemini-3-pro-image)"),
        "{}",
        typo.fix
    );
}

#[test]
fn text_only_keeps_the_models_words() {
    let diagnosis = http(
        200,
        &candidate(
            "STOP",
            &json!([{"text": "thinking…", "thought": true}, {"text": "I can't draw that person."}]),
        ),
    );
    assert_eq!(
        diagnosis.model_text.as_deref(),
        Some("I can't draw that person.")
    );
}

#[test]
fn proxies_that_relabel_the_status_do_not_hide_googles() {
    let wrapped = json!({"error": {"message": format!("litellm.InternalServerError: geminiException - {}",
        error_body(503, "UNAVAILABLE", "The model is overloaded.", &json!([]))), "code": "500"}});
    let diagnosis = http(500, &wrapped);
    assert_eq!(diagnosis.kind, Kind::Overloaded);
    assert_eq!(diagnosis.http_status, Some(503));
}

#[test]
fn nothing_returned_carries_a_key() {
    let key = "AIzaSyB0123456789abcdefghijklmnopqrstu";
    let body = error_body(
        400,
        "INVALID_ARGUMENT",
        "API key not valid. Please pass a valid API key.",
        &json!([
        {"@type": "type.googleapis.com/google.rpc.DebugInfo", "detail": format!("Invalid API key: {key}")}]),
    );
    let pasted = format!(
        "POST https://generativelanguage.googleapis.com/v1beta/models/x:generateContent?key={key}\n{body}"
    );
    let diagnosis = diagnose(&Evidence::pasted(&pasted), &DiagnosisContext::new(now()));
    assert_eq!(diagnosis.kind, Kind::ApiKeyInvalid);
    let everything = serde_json::to_string(&diagnosis).unwrap();
    assert!(!everything.contains("AIzaSyB"), "{everything}");
    let transport = diagnose(
        &Evidence::Transport {
            failure: TransportFailure::Dns,
            detail: &format!("error sending request for url (https://x/?key={key})"),
        },
        &DiagnosisContext::new(now()),
    );
    assert!(!transport.raw.contains("AIzaSyB"), "{}", transport.raw);
}

#[test]
fn json_has_every_contract_field_with_nulls() {
    let diagnosis = http(
        503,
        &error_body(503, "UNAVAILABLE", "The model is overloaded.", &json!([])),
    );
    let value = serde_json::to_value(&diagnosis).unwrap();
    for field in [
        "kind",
        "layer",
        "http_status",
        "api_status",
        "retryable",
        "retry_after_s",
        "resets_at",
        "configurable",
        "title",
        "explanation",
        "fix",
        "quota",
        "finish_reason",
        "block_reason",
        "model_text",
    ] {
        assert!(
            value.as_object().unwrap().contains_key(field),
            "missing {field}"
        );
    }
    assert!(value["quota"].is_null() && value["resets_at"].is_null());
    assert_eq!(value["kind"], "overloaded");
    assert_eq!(value["layer"], "server");
}
