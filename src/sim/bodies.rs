//! Answers shaped exactly like Google's: the error envelope with its `details`, the 429 quota bodies
//! (messages, `QuotaFailure`, `RetryInfo`, `Help`), the front end's HTML 502 page, and the texts
//! Google uses. Sources: `tests/fixtures/real-errors/` and `gemini-api-facts.md` §4.

use std::fmt::Write as _;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use serde_json::{Value, json};

use super::quota::QuotaRefusal;

/// Google's 503 texts, old and new.
pub const OVERLOADED_MESSAGES: [&str; 2] = [
    "The model is overloaded. Please try again later.",
    "This model is currently experiencing high demand. Spikes in demand are usually temporary. Please try again later.",
];
/// Google's 500 text.
pub const INTERNAL_MESSAGE: &str = "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting";
/// Google's 503 deadline text.
pub const DEADLINE_EXPIRED_MESSAGE: &str = "Deadline expired before operation could complete.";
/// Google's 504 text (the API errors page).
pub const GATEWAY_TIMEOUT_MESSAGE: &str =
    "The service is unable to finish processing within the deadline.";
/// A 429 without details.
pub const CAPACITY_MESSAGE: &str = "Resource has been exhausted (e.g. check quota).";
/// No key arrived.
pub const UNREGISTERED_MESSAGE: &str = "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.";
/// A key that is not valid.
pub const KEY_INVALID_MESSAGE: &str = "API key not valid. Please pass a valid API key.";
/// Google front end's 502 page.
pub const BAD_GATEWAY_HTML: &str = "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <meta name=viewport content=\"initial-scale=1, minimum-scale=1, width=device-width\">\n  <title>Error 502 (Server Error)!!1</title>\n  <a href=//www.google.com/><span id=logo aria-label=Google></span></a>\n  <p><b>502.</b> <ins>That\u{2019}s an error.</ins>\n  <p>The server encountered a temporary error and could not complete your request.<p>Please try again in 30 seconds.  <ins>That\u{2019}s all we know.</ins>\n";

const TYPE_PREFIX: &str = "type.googleapis.com/google.rpc.";

fn canonical_status(code: u16) -> &'static str {
    match code {
        400 => "INVALID_ARGUMENT",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        500 => "INTERNAL",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "UNKNOWN",
    }
}

/// A JSON answer with Google's content type.
pub fn json_response(code: u16, body: &Value) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    response
}

/// `{"error": {code, message, status, details?}}`.
pub fn error(code: u16, status: Option<&str>, message: &str, details: Vec<Value>) -> Response {
    let mut error = json!({"code": code, "message": message, "status": status.unwrap_or(canonical_status(code))});
    if !details.is_empty() {
        error["details"] = Value::Array(details);
    }
    json_response(code, &json!({ "error": error }))
}

/// A `BadRequest` detail with one field violation.
pub fn bad_request(field: Option<&str>, description: &str) -> Value {
    let mut violation = json!({ "description": description });
    if let Some(field) = field {
        violation["field"] = json!(field);
    }
    json!({"@type": format!("{TYPE_PREFIX}BadRequest"), "fieldViolations": [violation]})
}

/// 400 with a field violation, as Google answers a wrong field.
pub fn invalid_field(field: &str, message: &str) -> Response {
    error(400, None, message, vec![bad_request(Some(field), message)])
}

/// 403 for a request without a key.
pub fn unregistered() -> Response {
    error(403, None, UNREGISTERED_MESSAGE, Vec::new())
}

/// 400 `API_KEY_INVALID`, as in `tests/fixtures/real-errors/400-api-key-invalid-01.json`.
pub fn key_invalid() -> Response {
    error(
        400,
        None,
        KEY_INVALID_MESSAGE,
        vec![
            json!({"@type": format!("{TYPE_PREFIX}ErrorInfo"), "reason": "API_KEY_INVALID", "domain": "googleapis.com",
                   "metadata": {"service": "generativelanguage.googleapis.com"}}),
            json!({"@type": format!("{TYPE_PREFIX}LocalizedMessage"), "locale": "en-US", "message": KEY_INVALID_MESSAGE}),
        ],
    )
}

/// 404 for an unknown or retired model.
pub fn model_not_found(model: &str, version: &str, method: &str) -> Response {
    error(
        404,
        None,
        &format!(
            "models/{model} is not found for API version {version}, or is not supported for {method}. Call ListModels to see the list of available models and their supported methods."
        ),
        Vec::new(),
    )
}

/// The 502 HTML page.
pub fn bad_gateway() -> Response {
    let mut response = (StatusCode::BAD_GATEWAY, BAD_GATEWAY_HTML).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=UTF-8"),
    );
    response
}

/// `"22s"` / `"0.856s"` as Google formats `retryDelay`.
fn retry_delay(seconds: f64) -> String {
    if seconds >= 1.0 {
        format!("{}s", seconds.floor())
    } else {
        format!("{seconds:.3}s")
    }
}

/// "17.677644319s" / "856.559356ms" as Google writes it in messages.
fn retry_in(seconds: f64) -> String {
    if seconds >= 1.0 {
        format!("{seconds:.9}s")
    } else {
        format!("{:.6}ms", seconds * 1000.0)
    }
}

const RATE_LIMITS_URL: &str = "https://ai.google.dev/gemini-api/docs/rate-limits";

fn help() -> Value {
    json!({"@type": format!("{TYPE_PREFIX}Help"), "links": [{"description": "Learn more about Gemini API quotas", "url": RATE_LIMITS_URL}]})
}

/// The names Google uses for a quota.
struct QuotaName {
    id: String,
    metric: String,
}

fn quota_names(kind: &str, free: bool) -> QuotaName {
    let tier_metric = if free { "free_tier" } else { "paid_tier" };
    let suffix = if free { "-FreeTier" } else { "" };
    match kind {
        "day" => QuotaName {
            id: format!("GenerateRequestsPerDayPerProjectPerModel{suffix}"),
            metric: format!(
                "generativelanguage.googleapis.com/generate_content_{tier_metric}_requests"
            ),
        },
        "minute" => QuotaName {
            id: format!("GenerateRequestsPerMinutePerProjectPerModel{suffix}"),
            metric: format!(
                "generativelanguage.googleapis.com/generate_content_{tier_metric}_requests"
            ),
        },
        _ => QuotaName {
            id: if free {
                "GenerateContentInputTokensPerModelPerMinute-FreeTier".to_owned()
            } else {
                "GenerateContentPaidTierInputTokensPerModelPerMinute".to_owned()
            },
            metric: format!(
                "generativelanguage.googleapis.com/generate_content_{tier_metric}_input_token_count"
            ),
        },
    }
}

fn violation(name: &QuotaName, model: &str, limit: u64) -> Value {
    json!({"quotaMetric": name.metric, "quotaId": name.id,
           "quotaDimensions": {"location": "global", "model": model}, "quotaValue": limit.to_string()})
}

/// The 429 for a quota refusal. `retry_after_real_s` is the wait in real seconds.
pub fn quota_exceeded(
    refusal: &QuotaRefusal,
    model: &str,
    free: bool,
    retry_after_real_s: f64,
) -> Response {
    let (violated, limits): (Vec<&str>, Vec<u64>) = match refusal {
        QuotaRefusal::Zero => (vec!["day", "minute", "tokens"], vec![0, 0, 0]),
        QuotaRefusal::PerDay { limit } => (vec!["day"], vec![*limit]),
        QuotaRefusal::PerMinute { limit, .. } => (vec!["minute"], vec![*limit]),
        QuotaRefusal::InputTokens { limit, .. } => (vec!["tokens"], vec![*limit]),
    };
    let names: Vec<QuotaName> = violated
        .iter()
        .map(|kind| quota_names(kind, free))
        .collect();
    let mut message = format!(
        "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: {RATE_LIMITS_URL}. To monitor your current usage, head to: https://ai.dev/rate-limit. "
    );
    for (name, limit) in names.iter().zip(&limits) {
        let _ = write!(
            message,
            "\n* Quota exceeded for metric: {}, limit: {limit}, model: {model}",
            name.metric
        );
    }
    let _ = write!(
        message,
        "\nPlease retry in {}.",
        retry_in(retry_after_real_s)
    );
    let violations: Vec<Value> = names
        .iter()
        .zip(&limits)
        .map(|(name, limit)| violation(name, model, *limit))
        .collect();
    error(
        429,
        None,
        &message,
        vec![
            help(),
            json!({"@type": format!("{TYPE_PREFIX}QuotaFailure"), "violations": violations}),
            json!({"@type": format!("{TYPE_PREFIX}RetryInfo"), "retryDelay": retry_delay(retry_after_real_s)}),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_are_formatted_like_google() {
        assert_eq!(retry_delay(22.7), "22s");
        assert_eq!(retry_delay(0.8565), "0.857s");
        assert_eq!(retry_in(17.677_644_319), "17.677644319s");
        assert_eq!(retry_in(0.856_559_356), "856.559356ms");
    }
}
