//! Decides the [`Kind`] from a [`Reading`]: first Google's own structured signals (status, details,
//! finish and block reasons), then the message text, then whatever plain-text scanning found.

use crate::api::enums::{BlockReason, FinishReason, HarmProbability};
use crate::api::error_body::{ErrorDetail, ErrorStatus, QuotaViolation};
use crate::api::wire::{GenerateContentResponse, SafetyRating};

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

/// Maps a canonical status name to the HTTP status Google uses for it.
fn status_for_name(name: &str) -> Option<u16> {
    Some(match name {
        "INVALID_ARGUMENT" | "FAILED_PRECONDITION" | "OUT_OF_RANGE" => 400,
        "UNAUTHENTICATED" => 401,
        "PERMISSION_DENIED" => 403,
        "NOT_FOUND" => 404,
        "ABORTED" | "ALREADY_EXISTS" => 409,
        "RESOURCE_EXHAUSTED" => 429,
        "CANCELLED" => 499,
        "INTERNAL" | "UNKNOWN" | "DATA_LOSS" => 500,
        "UNIMPLEMENTED" => 501,
        "UNAVAILABLE" => 503,
        "DEADLINE_EXCEEDED" => 504,
        _ => return None,
    })
}

fn valid_status(code: u64) -> Option<u16> {
    u16::try_from(code)
        .ok()
        .filter(|code| (100..600).contains(code))
}

/// Classifies a reading. `given_status` is the HTTP status the transport saw (or `--status`).
pub fn classify(reading: &Reading, given_status: Option<u16>) -> Verdict {
    let error = reading.error.as_ref();
    let api_status = error
        .and_then(|e| e.status.clone())
        .filter(|s| status_for_name(s).is_some())
        .or_else(|| reading.signals.status.clone());
    // Google's innermost code wins over wrappers that relabel it (a proxy's 500 around a 503).
    let http_status = error
        .and_then(|e| e.code)
        .and_then(valid_status)
        .or(given_status)
        .or(reading.capture_status)
        .or_else(|| reading.html.as_ref().and_then(|page| page.status))
        .or_else(|| api_status.as_deref().and_then(status_for_name))
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

    // Phrases first: they are specific whatever status a proxy put around them.
    if let Some(kind) = kind_from_phrases(haystack, &reason, http_status, api_status) {
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

/// Kinds told apart by Google's wording (or an `ErrorInfo` reason) rather than by status.
fn kind_from_phrases(
    haystack: &str,
    reason: &dyn Fn(&str) -> bool,
    http_status: Option<u16>,
    api_status: &str,
) -> Option<Kind> {
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

fn classify_response(response: &GenerateContentResponse, verdict: &mut Verdict) -> Option<Kind> {
    if let Some(feedback) = &response.prompt_feedback
        && let Some(reason) = &feedback.block_reason
        && *reason != BlockReason::Unspecified
    {
        verdict.block_reason = Some(reason.as_str().to_owned());
        verdict.flagged_categories = flagged(&feedback.safety_ratings);
        return Some(match reason {
            BlockReason::Safety => Kind::BlockedSafety,
            BlockReason::ProhibitedContent => Kind::BlockedProhibited,
            BlockReason::Blocklist => Kind::BlockedBlocklist,
            BlockReason::ImageSafety => Kind::ImageSafety,
            BlockReason::Unspecified
            | BlockReason::Other
            | BlockReason::ModelArmor
            | BlockReason::Jailbreak
            | BlockReason::Unknown(_) => Kind::BlockedOther,
        });
    }
    if response.final_image().is_some() {
        if let Some(candidate) = response.first_candidate() {
            verdict.finish_reason = candidate
                .finish_reason
                .as_ref()
                .map(|r| r.as_str().to_owned());
        }
        return Some(Kind::Success);
    }
    let candidate = response.first_candidate()?;
    verdict.flagged_categories = flagged(&candidate.safety_ratings);
    let reason = candidate
        .finish_reason
        .clone()
        .unwrap_or(FinishReason::Unspecified);
    if reason != FinishReason::Unspecified {
        verdict.finish_reason = Some(reason.as_str().to_owned());
    }
    let has_text = response.model_text().is_some();
    Some(match reason {
        FinishReason::Stop | FinishReason::Unspecified => {
            if has_text {
                Kind::TextOnly
            } else {
                Kind::NoImage
            }
        }
        FinishReason::MaxTokens => Kind::MaxTokens,
        FinishReason::Safety => Kind::BlockedSafety,
        FinishReason::Recitation => Kind::Recitation,
        FinishReason::Blocklist => Kind::BlockedBlocklist,
        FinishReason::ProhibitedContent => Kind::BlockedProhibited,
        FinishReason::Spii => Kind::BlockedSpii,
        FinishReason::Other | FinishReason::Language => Kind::BlockedOther,
        FinishReason::ImageSafety => Kind::ImageSafety,
        FinishReason::ImageProhibitedContent => Kind::ImageProhibited,
        FinishReason::ImageOther => Kind::ImageOther,
        FinishReason::ImageRecitation => Kind::ImageRecitation,
        FinishReason::NoImage => Kind::NoImage,
        FinishReason::MalformedFunctionCall
        | FinishReason::UnexpectedToolCall
        | FinishReason::TooManyToolCalls
        | FinishReason::Unknown(_) => return None,
    })
}

/// Categories a rating flagged: blocked ones first, else MEDIUM/HIGH ones, most severe first.
fn flagged(ratings: &[SafetyRating]) -> Vec<String> {
    let blocked: Vec<String> = ratings
        .iter()
        .filter(|rating| rating.blocked == Some(true))
        .map(|rating| rating.category.label().to_owned())
        .collect();
    if !blocked.is_empty() {
        return blocked;
    }
    let severity = |rating: &SafetyRating| match rating.probability {
        Some(HarmProbability::High) => 2,
        Some(HarmProbability::Medium) => 1,
        _ => 0,
    };
    let mut risky: Vec<&SafetyRating> = ratings.iter().filter(|r| severity(r) > 0).collect();
    risky.sort_by_key(|rating| std::cmp::Reverse(severity(rating)));
    risky
        .iter()
        .map(|rating| rating.category.label().to_owned())
        .collect()
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
