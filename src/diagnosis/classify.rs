//! Decides the [`Kind`] from a [`Reading`]: first Google's own structured signals (status, details,
//! finish and block reasons), then the message text, then whatever plain-text scanning found.

use crate::api::catalog::Catalog;
use crate::api::enums::{BlockReason, FinishReason};
use crate::api::error_body::{ErrorDetail, ErrorStatus, QuotaViolation, http_status_of};
use crate::api::wire::GenerateContentResponse;

use super::classify_answer::classify_response;
use super::kind::Kind;
use super::reading::{Reading, violations_from_signals};

/// The quota that decided a quota kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QuotaInfo {
    /// The quota id, e.g. `GenerateRequestsPerDayPerProjectPerModel-FreeTier`.
    pub id: Option<String>,
    /// The quota metric, e.g. `generativelanguage.googleapis.com/generate_content_free_tier_requests`.
    pub metric: Option<String>,
    /// The limit as Google sent it (`"250"`, `"0"`).
    pub value: Option<String>,
}

/// What the classifier decided, with the evidence the words need.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Verdict {
    /// The kind, when one was decided (`None` → `unknown`).
    pub kind: Option<Kind>,
    /// The HTTP status Google meant.
    pub http_status: Option<u16>,
    /// The canonical status name.
    pub api_status: Option<String>,
    /// The deciding quota.
    pub quota: Option<QuotaInfo>,
    /// The model a quota or message names.
    pub quota_model: Option<String>,
    /// The finish reason, as sent.
    pub finish_reason: Option<String>,
    /// The block reason, as sent.
    pub block_reason: Option<String>,
    /// Categories the safety filter flagged (most severe first).
    pub flagged_categories: Vec<String>,
}

fn valid_status(code: u64) -> Option<u16> {
    u16::try_from(code)
        .ok()
        .filter(|code| (100..600).contains(code))
}

/// Classifies a reading. `given_status` is the HTTP status the transport saw (or `--status`).
/// The same as [`classify_for`] with no requested model and the built-in catalog.
pub fn classify(reading: &Reading, given_status: Option<u16>) -> Verdict {
    classify_for(reading, given_status, None, Catalog::builtin())
}

/// Classifies a reading of the answer to a request sent to `requested_model` (when known).
///
/// Besides [`classify`]'s rules, a free-tier quota failure on an image model is `quota_zero`:
/// Google gives image models no free-tier quota, so whatever the quota id says (per day, per
/// minute, tokens), waiting never helps; billing does. The model is the one the quota names,
/// else the one the text names, else `requested_model`; it is an image model when `catalog`
/// lists it or its id says so (see [`image_model_without_free_tier`]).
pub fn classify_for(
    reading: &Reading,
    given_status: Option<u16>,
    requested_model: Option<&str>,
    catalog: &Catalog,
) -> Verdict {
    let mut verdict = classify_plain(reading, given_status);
    let waiting_kind = matches!(
        verdict.kind,
        Some(
            Kind::QuotaDaily
                | Kind::RateLimitMinute
                | Kind::TokensPerMinute
                | Kind::RateLimitUnspecified
        )
    );
    if waiting_kind && let Some(free) = free_tier_violation(reading) {
        let model = free
            .quota_dimensions
            .get("model")
            .cloned()
            .or_else(|| verdict.quota_model.clone())
            .or_else(|| reading.signals.model.clone())
            .or_else(|| requested_model.map(str::to_owned));
        let stated_limit = free
            .quota_value
            .as_deref()
            .and_then(|value| value.trim().parse::<u64>().ok())
            .or_else(|| reading.signals.limits.iter().copied().max());
        // A positive limit in the answer says this tier does have quota for the model: then the
        // quota id's own kind stands.
        if let Some(model) = model
            && image_model_without_free_tier(&model, catalog)
            && stated_limit.is_none_or(|limit| limit == 0)
        {
            verdict.kind = Some(Kind::QuotaZero);
            verdict.quota_model = Some(model);
            verdict.quota = Some(QuotaInfo {
                id: free.quota_id.clone(),
                metric: free
                    .quota_metric
                    .clone()
                    .or_else(|| reading.signals.quota_metrics.first().cloned()),
                value: Some(free.quota_value.clone().unwrap_or_else(|| "0".to_owned())),
            });
        }
    }
    verdict
}

/// The first quota violation of the free tier (`…-FreeTier` id or a `free_tier` metric).
fn free_tier_violation(reading: &Reading) -> Option<QuotaViolation> {
    let is_free = |v: &QuotaViolation| {
        v.quota_id
            .as_deref()
            .is_some_and(|id| id.contains("FreeTier"))
            || v.quota_metric
                .as_deref()
                .is_some_and(|metric| metric.contains("free_tier"))
    };
    if let Some(found) = reading
        .error
        .as_ref()
        .and_then(|e| e.quota_violations().find(|v| is_free(v)).cloned())
    {
        return Some(found);
    }
    if let Some(found) = violations_from_signals(&reading.signals)
        .into_iter()
        .find(|v| is_free(v))
    {
        return Some(found);
    }
    // Only a metric in the text ("Quota exceeded for metric: …free_tier_requests").
    reading
        .signals
        .quota_metrics
        .iter()
        .find(|metric| metric.contains("free_tier"))
        .map(|metric| QuotaViolation {
            quota_metric: Some(metric.clone()),
            ..QuotaViolation::default()
        })
}

/// Whether `id` names an image model without free-tier quota: one the catalog lists (it lists
/// only image models) unless its entry says the free tier includes it, or an id that says it makes
/// images (Google's internal names such as `gemini-2.5-flash-preview-image`).
pub fn image_model_without_free_tier(id: &str, catalog: &Catalog) -> bool {
    let id = id.trim();
    let id = id.strip_prefix("models/").unwrap_or(id);
    if let Some(entry) = catalog.get(id) {
        return entry.free_tier != Some(true);
    }
    let id = id.to_ascii_lowercase();
    id.contains("-image") || id.contains("nano-banana") || id.starts_with("imagen")
}

fn classify_plain(reading: &Reading, given_status: Option<u16>) -> Verdict {
    let error = reading.error.as_ref();
    let api_status = error
        .and_then(|e| e.status.clone())
        .filter(|s| http_status_of(s).is_some())
        .or_else(|| reading.signals.status.clone());
    // Google's innermost code wins over wrappers that relabel it (a proxy's 500 around a 503).
    let http_status = error
        .and_then(|e| e.code)
        .and_then(valid_status)
        .or(given_status)
        .or(reading.capture_status)
        .or_else(|| reading.html.as_ref().and_then(|page| page.status))
        .or_else(|| api_status.as_deref().and_then(http_status_of))
        .or(reading.signals.code);

    let mut verdict = Verdict {
        http_status,
        api_status,
        ..Verdict::default()
    };
    let is_error = error.is_some() || http_status.is_some_and(|code| code >= 400);

    if is_error {
        let haystack = error_haystack(reading);
        verdict.kind = classify_error(reading, &haystack, http_status, &mut verdict);
        if verdict.quota_model.is_none() {
            verdict.quota_model = reading.signals.model.clone();
        }
        return verdict;
    }

    if let Some(response) = &reading.response
        && let Some(kind) = classify_response(response, &mut verdict)
    {
        verdict.kind = Some(kind);
        return verdict;
    }
    if let Some(kind) = classify_from_signals(reading, &mut verdict) {
        verdict.kind = Some(kind);
        return verdict;
    }
    if reading.html.is_some() {
        verdict.kind = Some(Kind::ResponseMalformed);
        return verdict;
    }
    if http_status.is_some_and(|code| (200..300).contains(&code)) {
        verdict.kind = Some(if looks_like_prose(reading.answer_text()) {
            Kind::TextOnly
        } else {
            Kind::ResponseMalformed
        });
    }
    verdict
}

/// The text the error phrases are looked for in: Google's messages when the body was structured,
/// else the whole input.
fn error_haystack(reading: &Reading) -> String {
    let mut haystack = String::new();
    if let Some(error) = &reading.error {
        push_error_text(error, &mut haystack);
    }
    if let Some(page) = &reading.html
        && let Some(title) = &page.title
    {
        haystack.push_str(title);
        haystack.push('\n');
    }
    if reading.error.is_none() || haystack.trim().is_empty() {
        haystack.push_str(&reading.text);
    }
    haystack.to_lowercase()
}

fn push_error_text(error: &ErrorStatus, haystack: &mut String) {
    for text in error.message.iter().chain(error.status.iter()) {
        haystack.push_str(text);
        haystack.push('\n');
    }
    for detail in &error.details {
        match detail {
            ErrorDetail::LocalizedMessage {
                message: Some(message),
                ..
            } => haystack.push_str(message),
            ErrorDetail::BadRequest { field_violations } => {
                for violation in field_violations {
                    haystack.push_str(violation.field.as_deref().unwrap_or_default());
                    haystack.push(' ');
                    haystack.push_str(violation.description.as_deref().unwrap_or_default());
                    haystack.push('\n');
                }
            }
            ErrorDetail::ErrorInfo {
                reason: Some(reason),
                ..
            } => haystack.push_str(reason),
            _ => {}
        }
        haystack.push('\n');
    }
    for legacy in &error.errors {
        haystack.push_str(legacy.message.as_deref().unwrap_or_default());
        haystack.push('\n');
    }
}

fn has_any(haystack: &str, needles: &[&str]) -> bool {
    needles.iter().any(|needle| haystack.contains(needle))
}

fn classify_error(
    reading: &Reading,
    haystack: &str,
    http_status: Option<u16>,
    verdict: &mut Verdict,
) -> Option<Kind> {
    let reasons: Vec<String> = reading
        .error
        .as_ref()
        .map(|e| e.reasons().into_iter().map(str::to_owned).collect())
        .unwrap_or_default();
    let reason = |name: &str| {
        reasons.iter().any(|r| r == name) || reading.signals.reasons.iter().any(|r| r == name)
    };
    let api_status = verdict.api_status.as_deref().unwrap_or_default();

    // Phrases first (Google's wording, or an `ErrorInfo` reason): they are specific whatever
    // status a proxy put around them. The key first, then the request, then access and deadlines.
    if let Some(kind) = key_kind(haystack, &reason)
        .or_else(|| request_kind(haystack, http_status, api_status))
        .or_else(|| access_kind(haystack, http_status))
    {
        return Some(kind);
    }

    match http_status {
        Some(400) => Some(Kind::InvalidArgument),
        Some(401) => Some(Kind::ApiKeyInvalid),
        Some(403) => Some(Kind::PermissionDenied),
        Some(404) => Some(Kind::ModelNotFound),
        Some(408 | 504) => Some(Kind::Timeout),
        Some(429) => Some(classify_quota(reading, haystack, verdict)),
        Some(499) => Some(Kind::NetworkError),
        Some(500) => Some(Kind::Internal),
        Some(502) => Some(Kind::BadGateway),
        Some(503) => Some(Kind::Overloaded),
        _ => None,
    }
}

/// A key that is not valid, leaked, or missing.
fn key_kind(haystack: &str, reason: &dyn Fn(&str) -> bool) -> Option<Kind> {
    if reason("API_KEY_INVALID")
        || has_any(
            haystack,
            &["api key not valid", "api key expired", "api_key_invalid"],
        )
    {
        return Some(Kind::ApiKeyInvalid);
    }
    if has_any(haystack, &["reported as leaked", "api key was leaked"]) {
        return Some(Kind::ApiKeyLeaked);
    }
    if has_any(
        haystack,
        &[
            "unregistered callers",
            "api key not found",
            "missing api key",
            "no api key",
            "api key is missing",
        ],
    ) || reason("API_KEY_MISSING")
    {
        return Some(Kind::ApiKeyMissing);
    }
    None
}

/// A request Google refused for what it holds: a missing thought signature, too large a
/// payload, an image it cannot read, a model it does not know.
fn request_kind(haystack: &str, http_status: Option<u16>, api_status: &str) -> Option<Kind> {
    if has_any(haystack, &["thought_signature", "thought signature"]) {
        return Some(Kind::ThoughtSignatureMissing);
    }
    if has_any(
        haystack,
        &[
            "payload size exceeds",
            "request payload size",
            "request entity too large",
            "payload too large",
        ],
    ) || http_status == Some(413)
    {
        return Some(Kind::PayloadTooLarge);
    }
    if has_any(
        haystack,
        &[
            "unable to process input image",
            "provided image is not valid",
            "image is not valid",
            "invalid image",
            "unsupported image",
            "could not decode image",
        ],
    ) {
        return Some(Kind::InvalidInputImage);
    }
    if has_any(
        haystack,
        &[
            "is not found for api version",
            "model not found",
            "no such model",
        ],
    ) || api_status == "NOT_FOUND"
    {
        return Some(Kind::ModelNotFound);
    }
    None
}

/// Billing or region keeps the caller out, or the server ran out of time.
fn access_kind(haystack: &str, http_status: Option<u16>) -> Option<Kind> {
    if has_any(haystack, &["billing", "free tier is not available"]) && http_status != Some(429) {
        return Some(Kind::BillingRequired);
    }
    if has_any(
        haystack,
        &[
            "location is not supported",
            "not available in your country",
            "region is not supported",
            "unsupported_country",
            "user location",
        ],
    ) {
        return Some(Kind::RegionUnsupported);
    }
    if has_any(haystack, &["deadline expired", "deadline exceeded"])
        && http_status.is_none_or(|code| code >= 500)
    {
        return Some(Kind::Timeout);
    }
    None
}

/// Which quota a 429 is about. Limit 0 beats a daily quota (waiting never helps), a daily quota
/// beats per-minute ones (waiting a minute does not help), tokens beat requests.
fn classify_quota(reading: &Reading, haystack: &str, verdict: &mut Verdict) -> Kind {
    let mut violations: Vec<QuotaViolation> = reading
        .error
        .as_ref()
        .map(|e| e.quota_violations().cloned().collect())
        .unwrap_or_default();
    if violations.is_empty() {
        violations = violations_from_signals(&reading.signals);
    }
    let text_limit_zero = reading.signals.limits.contains(&0);
    let is_zero = |v: &QuotaViolation| {
        v.quota_value
            .as_deref()
            .is_some_and(|value| value.trim() == "0")
    };
    let id_of = |v: &QuotaViolation| v.quota_id.clone().unwrap_or_default();

    let pick = |predicate: &dyn Fn(&QuotaViolation) -> bool| {
        violations.iter().find(|v| predicate(v)).cloned()
    };
    let (kind, deciding) = if let Some(v) = pick(&is_zero) {
        (Kind::QuotaZero, Some(v))
    } else if text_limit_zero {
        (Kind::QuotaZero, violations.first().cloned())
    } else if let Some(v) = pick(&|v| id_of(v).contains("PerDay")) {
        (Kind::QuotaDaily, Some(v))
    } else if let Some(v) = pick(&|v| {
        let id = id_of(v);
        id.contains("InputTokens")
            || id.contains("TokensPer")
            || v.quota_metric
                .as_deref()
                .is_some_and(|m| m.contains("token"))
    }) {
        (Kind::TokensPerMinute, Some(v))
    } else if let Some(v) = pick(&|v| id_of(v).contains("PerMinute")) {
        (Kind::RateLimitMinute, Some(v))
    } else if haystack.contains("per day") || haystack.contains("daily") {
        (Kind::QuotaDaily, violations.first().cloned())
    } else if reading
        .signals
        .quota_metrics
        .iter()
        .any(|m| m.contains("token"))
    {
        (Kind::TokensPerMinute, None)
    } else {
        (Kind::RateLimitUnspecified, violations.first().cloned())
    };

    if let Some(violation) = deciding {
        verdict.quota_model = violation.quota_dimensions.get("model").cloned();
        let value = violation
            .quota_value
            .clone()
            .or_else(|| (kind == Kind::QuotaZero).then(|| "0".to_owned()))
            .or_else(|| reading.signals.limits.first().map(u64::to_string));
        let metric = violation
            .quota_metric
            .clone()
            .or_else(|| reading.signals.quota_metrics.first().cloned());
        verdict.quota = Some(QuotaInfo {
            id: violation.quota_id,
            metric,
            value,
        });
    } else if kind == Kind::TokensPerMinute {
        verdict.quota = Some(QuotaInfo {
            id: None,
            metric: reading.signals.quota_metrics.first().cloned(),
            value: reading.signals.limits.first().map(u64::to_string),
        });
    }
    kind
}

/// Printed SDK objects and app messages: "block_reason: SAFETY", "finish_reason: 'MAX_TOKENS'",
/// "Gemini API error: IMAGE_SAFETY".
fn classify_from_signals(reading: &Reading, verdict: &mut Verdict) -> Option<Kind> {
    let signals = &reading.signals;
    if let Some(block) = &signals.block_reason {
        let reason = match block.parse::<i64>() {
            Ok(number) => BlockReason::from_number(number),
            Err(_) => BlockReason::from_wire(block),
        };
        if reason != BlockReason::Unspecified {
            let response = GenerateContentResponse {
                prompt_feedback: Some(crate::api::wire::PromptFeedback {
                    block_reason: Some(reason),
                    ..Default::default()
                }),
                ..Default::default()
            };
            return classify_response(&response, verdict);
        }
    }
    let finish = signals
        .finish_reason
        .as_deref()
        .map(|raw| match raw.parse::<i64>() {
            Ok(number) => FinishReason::from_number(number),
            Err(_) => FinishReason::from_wire(raw),
        });
    let finish = finish.or_else(|| bare_finish_reason(reading.answer_text()));
    let reason =
        finish.filter(|r| !matches!(r, FinishReason::Unspecified | FinishReason::Unknown(_)))?;
    let response = GenerateContentResponse {
        candidates: vec![crate::api::wire::Candidate {
            finish_reason: Some(reason),
            ..Default::default()
        }],
        ..Default::default()
    };
    classify_response(&response, verdict)
}

/// A distinctive finish reason named on its own in text ("Gemini API error: IMAGE_SAFETY").
fn bare_finish_reason(text: &str) -> Option<FinishReason> {
    const DISTINCTIVE: [&str; 8] = [
        "IMAGE_PROHIBITED_CONTENT",
        "IMAGE_RECITATION",
        "IMAGE_SAFETY",
        "IMAGE_OTHER",
        "NO_IMAGE",
        "PROHIBITED_CONTENT",
        "RECITATION",
        "MAX_TOKENS",
    ];
    if text
        .to_lowercase()
        .contains("generated images may contain unsafe content")
    {
        return Some(FinishReason::ImageSafety);
    }
    DISTINCTIVE
        .iter()
        .find(|name| {
            text.match_indices(*name).any(|(at, _)| {
                let before = text[..at].chars().next_back();
                let after = text[at + name.len()..].chars().next();
                let is_word =
                    |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
                !is_word(before) && !is_word(after)
            })
        })
        .map(|name| FinishReason::from_wire(name))
}

/// Whether text reads like sentences a model wrote (not bytes, markup or code).
fn looks_like_prose(text: &str) -> bool {
    let trimmed = text.trim();
    if trimmed.split_whitespace().count() < 4 || trimmed.contains(['{', '<']) {
        return false;
    }
    let total = trimmed.chars().count();
    let wordish = trimmed
        .chars()
        .filter(|c| c.is_alphabetic() || c.is_whitespace() || ".,;:'\"!?()-".contains(*c))
        .count();
    wordish * 10 >= total * 9
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnosis::reading::read;

    fn kind_of(text: &str) -> Option<Kind> {
        classify(&read(text), None).kind
    }

    /// A 429 with one quota violation (the metric of the tier the id names); `model` and `value`
    /// are left out when `None`.
    fn quota_429(quota_id: &str, model: Option<&str>, value: Option<&str>) -> String {
        let tier = if quota_id.contains("FreeTier") {
            "free_tier"
        } else {
            "paid_tier"
        };
        let mut violation = serde_json::json!({
            "quotaMetric": format!("generativelanguage.googleapis.com/generate_content_{tier}_requests"),
            "quotaId": quota_id,
            "quotaDimensions": {"location": "global"},
        });
        if let Some(model) = model {
            violation["quotaDimensions"]["model"] = model.into();
        }
        if let Some(value) = value {
            violation["quotaValue"] = value.into();
        }
        serde_json::json!({"error": {
            "code": 429,
            "message": "You exceeded your current quota, please check your plan and billing details.",
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [violation]},
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "22s"}
            ]
        }})
        .to_string()
    }

    #[test]
    fn numbers_in_json_python_and_text_pastes_read_by_name() {
        let cases: [(&str, Kind, Option<&str>, Option<&str>); 10] = [
            (
                r#"{"candidates": [{"finishReason": 11, "index": 0}]}"#,
                Kind::ImageSafety,
                Some("IMAGE_SAFETY"),
                None,
            ),
            (
                r#"{"candidates": [{"finishReason": "17"}]}"#,
                Kind::ImageRecitation,
                Some("IMAGE_RECITATION"),
                None,
            ),
            (
                "{'candidates': [{'finish_reason': 4, 'index': 0, 'safety_ratings': []}]}",
                Kind::Recitation,
                Some("RECITATION"),
                None,
            ),
            (
                r#"response: GenerateContentResponse(done=True, iterator=None, result=protos.GenerateContentResponse({"candidates": [{"finish_reason": 3, "index": 0}]}))"#,
                Kind::BlockedSafety,
                Some("SAFETY"),
                None,
            ),
            (
                r#"{"promptFeedback": {"blockReason": 4}}"#,
                Kind::BlockedProhibited,
                None,
                Some("PROHIBITED_CONTENT"),
            ),
            (
                "{'prompt_feedback': {'block_reason': 5, 'safety_ratings': []}}",
                Kind::ImageSafety,
                None,
                Some("IMAGE_SAFETY"),
            ),
            (
                "ValueError: The `response.text` quick accessor only works when the response contains a \
                 valid `Part`, but none was returned. Check the `candidate.safety_ratings` to see if the \
                 response was blocked.\ncandidates {\n  index: 0\n  finish_reason: 14\n}",
                Kind::ImageProhibited,
                Some("IMAGE_PROHIBITED_CONTENT"),
                None,
            ),
            (
                "prompt_feedback {\n  block_reason: 3\n}",
                Kind::BlockedBlocklist,
                None,
                Some("BLOCKLIST"),
            ),
            (
                "Candidate(content=Content(role='model'), finish_reason=<FinishReason.IMAGE_OTHER: 15>, index=0)",
                Kind::ImageOther,
                Some("IMAGE_OTHER"),
                None,
            ),
            (
                "prompt_feedback=PromptFeedback(block_reason=<BlockedReason.SAFETY: 'SAFETY'>)",
                Kind::BlockedSafety,
                None,
                Some("SAFETY"),
            ),
        ];
        for (text, kind, finish, block) in cases {
            let verdict = classify(&read(text), None);
            assert_eq!(verdict.kind, Some(kind), "{text}");
            assert_eq!(verdict.finish_reason.as_deref(), finish, "{text}");
            assert_eq!(verdict.block_reason.as_deref(), block, "{text}");
        }
    }

    #[test]
    fn every_finish_reason_number_in_text_is_its_name() {
        for (number, reason) in (0..).zip(FinishReason::KNOWN) {
            let verdict = classify(&read(&format!("finish_reason: {number}")), None);
            let expected = (*reason != FinishReason::Unspecified).then(|| reason.as_str());
            assert_eq!(
                verdict.finish_reason.as_deref(),
                expected,
                "finish_reason: {number}"
            );
        }
    }

    #[test]
    fn free_tier_quota_on_an_image_model_is_quota_zero() {
        let catalog = Catalog::builtin();
        for quota_id in [
            "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
            "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
            "GenerateContentInputTokensPerModelPerMinute-FreeTier",
        ] {
            // The model named in the quota's dimensions, including Google's internal names.
            for model in ["gemini-3-pro-image", "gemini-2.5-flash-preview-image"] {
                let verdict = classify(&read(&quota_429(quota_id, Some(model), None)), None);
                assert_eq!(verdict.kind, Some(Kind::QuotaZero), "{quota_id} {model}");
                assert_eq!(verdict.quota_model.as_deref(), Some(model));
                let quota = verdict.quota.unwrap();
                assert_eq!(quota.id.as_deref(), Some(quota_id));
                assert_eq!(quota.value.as_deref(), Some("0"));
            }
            // No model in the body: the requested one decides.
            let body = read(&quota_429(quota_id, None, None));
            let for_image = classify_for(&body, None, Some("gemini-nano-banana-2.1"), catalog);
            assert_eq!(for_image.kind, Some(Kind::QuotaZero), "{quota_id}");
            let for_text = classify_for(&body, None, Some("gemini-2.5-flash"), catalog);
            assert_ne!(for_text.kind, Some(Kind::QuotaZero), "{quota_id}");
        }
    }

    #[test]
    fn free_tier_quota_on_a_text_model_keeps_its_kind() {
        let daily = quota_429(
            "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
            Some("gemini-2.5-flash"),
            None,
        );
        assert_eq!(kind_of(&daily), Some(Kind::QuotaDaily));
        let minute = quota_429(
            "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
            Some("gemini-2.5-flash"),
            Some("10"),
        );
        assert_eq!(kind_of(&minute), Some(Kind::RateLimitMinute));
    }

    #[test]
    fn paid_tier_or_a_stated_positive_limit_is_not_quota_zero() {
        let paid = quota_429(
            "GenerateRequestsPerDayPerProjectPerModel",
            Some("gemini-3-pro-image"),
            None,
        );
        assert_eq!(kind_of(&paid), Some(Kind::QuotaDaily));
        // A free tier that does list quota for the model (a positive limit): the daily quota is
        // spent, and it comes back.
        let with_limit = quota_429(
            "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
            Some("gemini-3-pro-image"),
            Some("100"),
        );
        assert_eq!(kind_of(&with_limit), Some(Kind::QuotaDaily));
    }

    #[test]
    fn free_tier_image_quota_in_plain_text_is_quota_zero() {
        let text = "429 RESOURCE_EXHAUSTED. Quota exceeded for metric: \
                    generativelanguage.googleapis.com/generate_content_free_tier_requests, model: \
                    gemini-3-pro-image. quotaId: GenerateRequestsPerDayPerProjectPerModel-FreeTier";
        let verdict = classify(&read(text), None);
        assert_eq!(verdict.kind, Some(Kind::QuotaZero));
        assert_eq!(verdict.quota_model.as_deref(), Some("gemini-3-pro-image"));
    }

    #[test]
    fn image_models_are_told_apart_from_text_models() {
        let catalog = Catalog::builtin();
        for id in [
            "gemini-3-pro-image",
            "models/gemini-nano-banana-2.1",
            "gemini-2.5-flash-preview-image",
            "imagen-4.0-generate-001",
        ] {
            assert!(image_model_without_free_tier(id, catalog), "{id}");
        }
        for id in [
            "gemini-2.5-flash",
            "gemini-2.5-pro",
            "gemini-3-flash-preview",
        ] {
            assert!(!image_model_without_free_tier(id, catalog), "{id}");
        }
    }
}
