//! Reads whatever a designer pastes, or whatever the server sent, into structured facts.
//!
//! Real pastes are messy: raw JSON, array-wrapped JSON from the stream endpoint, SSE `data:` lines,
//! SDK-printed errors (`429 RESOURCE_EXHAUSTED. {python dict repr}`), proxies that wrap Google's body
//! inside their own error (often as an escaped string), forums that turn quotes typographic and add
//! backticks, terminals that wrap long lines inside JSON strings, truncated excerpts, and Google's
//! HTML error pages. The reader tries strict JSON first, then relaxed forms, and finally pulls the
//! telling pieces (codes, statuses, quota ids, delays) out of plain text. It never fails: the worst
//! case is a reading with nothing recognised, which the classifier reports as `unknown`.
//!
//! Everything is redacted before it is read, so no derived string can carry an API key.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::error_body::{ErrorStatus, QuotaViolation};
use crate::api::wire::GenerateContentResponse;
use crate::redact::redact;

/// Largest input read in full; longer pastes are cut (the tail of a huge body never decides).
pub const MAX_INPUT_BYTES: usize = 4 * 1024 * 1024;
/// How deep wrappers inside wrappers are followed.
const MAX_DEPTH: usize = 40;
/// How many embedded-JSON start positions are tried per string.
const MAX_EMBEDDED_ATTEMPTS: usize = 12;

/// The shape the input arrived in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputFormat {
    /// Nothing but whitespace.
    Empty,
    /// One JSON value.
    Json,
    /// A JSON array (the stream endpoint without `alt=sse`).
    JsonArray,
    /// Server-sent events (`data: {...}` lines).
    Sse,
    /// A Peel capture (`{"http_status": …, "body": …}`).
    Capture,
    /// JSON inside other text (an SDK or proxy message).
    EmbeddedJson,
    /// A Python dict repr (single quotes, `None`, `True`).
    PythonRepr,
    /// An HTML error page.
    Html,
    /// Plain text; only phrases and numbers could be read.
    Text,
}

/// An HTML page's telling parts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HtmlPage {
    /// The `<title>`.
    pub title: Option<String>,
    /// A status code named on the page ("Error 502").
    pub status: Option<u16>,
}

/// Facts that plain-text scanning found (used to fill gaps in structured data).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TextSignals {
    /// An HTTP status named in the text ("429 RESOURCE_EXHAUSTED", "code: 503").
    pub code: Option<u16>,
    /// A canonical status name (`RESOURCE_EXHAUSTED`).
    pub status: Option<String>,
    /// `quotaId` values.
    pub quota_ids: Vec<String>,
    /// Quota metric names.
    pub quota_metrics: Vec<String>,
    /// Numbers after "limit:" or `quotaValue`.
    pub limits: Vec<u64>,
    /// A `retryDelay` value.
    pub retry_delay: Option<String>,
    /// `ErrorInfo` reasons in upper snake case.
    pub reasons: Vec<String>,
    /// A `finishReason` named in the text.
    pub finish_reason: Option<String>,
    /// A `blockReason` named in the text.
    pub block_reason: Option<String>,
    /// A model id named in the text.
    pub model: Option<String>,
}

/// The result of reading an input.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reading {
    /// The input, redacted, as shown to people.
    pub raw: String,
    /// The redacted input with typographic quotes and forum backticks undone.
    pub text: String,
    /// The shape it arrived in.
    pub format: Option<InputFormat>,
    /// The status a capture recorded.
    pub capture_status: Option<u16>,
    /// A capture's body, when it was text rather than JSON.
    pub capture_text: Option<String>,
    /// Google's innermost error, when there was one.
    pub error: Option<ErrorStatus>,
    /// A `generateContent` answer (streams merged), when there was one.
    pub response: Option<GenerateContentResponse>,
    /// The HTML page, when it was one.
    pub html: Option<HtmlPage>,
    /// What plain-text scanning found.
    pub signals: TextSignals,
}

impl Reading {
    /// The text that was the actual answer: a capture's text body, else the whole input.
    pub fn answer_text(&self) -> &str {
        self.capture_text.as_deref().unwrap_or(&self.text)
    }

    /// Whether nothing structured was recognised.
    pub fn is_unstructured(&self) -> bool {
        self.error.is_none() && self.response.is_none()
    }
}

/// Reads any text into a [`Reading`]. Never fails and never panics.
pub fn read(input: &str) -> Reading {
    let input = &input[..input.floor_char_boundary(MAX_INPUT_BYTES)];
    let raw = redact(input).into_owned();
    let text = normalize(&raw);
    let mut reading = Reading {
        raw,
        ..Reading::default()
    };
    if text.trim().is_empty() {
        reading.format = Some(InputFormat::Empty);
        reading.text = text;
        return reading;
    }
    read_structured(&text, &mut reading, 0);
    if let Some(page) = read_html(&text) {
        reading.html = Some(page);
        if reading.is_unstructured() {
            reading.format = Some(InputFormat::Html);
        }
    }
    reading.signals = scan_text(&text);
    if reading.format.is_none() {
        reading.format = Some(InputFormat::Text);
    }
    reading.text = text;
    reading
}

/// Undoes what forums and chat apps do to pasted code: typographic quotes, doubled backticks
/// around links, a byte-order mark, non-breaking spaces.
fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim_start_matches('\u{feff}').chars() {
        match c {
            '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{2032}' => out.push('\''),
            '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{2033}' => out.push('"'),
            '\u{00a0}' => out.push(' '),
            other => out.push(other),
        }
    }
    out.replace("``", "")
}

/// Tries every structured form on `text`, filling `reading`. Returns whether anything was found.
fn read_structured(text: &str, reading: &mut Reading, depth: usize) -> bool {
    let trimmed = text.trim();
    if let Ok(value) = serde_json::from_str::<Value>(trimmed) {
        reading.format.get_or_insert(if value.is_array() {
            InputFormat::JsonArray
        } else {
            InputFormat::Json
        });
        absorb(&value, reading, depth);
        return !reading.is_unstructured() || reading.capture_status.is_some();
    }
    if read_sse(trimmed, reading, depth) {
        return true;
    }
    if read_embedded(trimmed, reading, depth) {
        reading.format.get_or_insert(InputFormat::EmbeddedJson);
        return true;
    }
    // Relaxed: Python reprs, and JSON whose strings were broken by terminal line wrapping.
    let relaxed = relax_to_json(trimmed);
    if relaxed != trimmed {
        let had_single_quotes = trimmed.contains('\'');
        if let Ok(value) = serde_json::from_str::<Value>(relaxed.trim()) {
            absorb(&value, reading, depth);
        } else {
            read_embedded(&relaxed, reading, depth);
        }
        if !reading.is_unstructured() {
            reading.format.get_or_insert(if had_single_quotes {
                InputFormat::PythonRepr
            } else {
                InputFormat::EmbeddedJson
            });
            return true;
        }
    }
    false
}

/// Reads `data: {...}` lines; returns whether any was read.
fn read_sse(text: &str, reading: &mut Reading, depth: usize) -> bool {
    let mut found = false;
    for line in text.lines() {
        let Some(payload) = line.trim_start().strip_prefix("data:") else {
            continue;
        };
        let payload = payload.trim();
        if payload.is_empty() || payload == "[DONE]" {
            continue;
        }
        if let Ok(value) = serde_json::from_str::<Value>(payload) {
            absorb(&value, reading, depth);
            found = true;
        }
    }
    if found {
        reading.format.get_or_insert(InputFormat::Sse);
    }
    found
}

/// Finds JSON values that start somewhere inside other text; returns whether one was absorbed.
fn read_embedded(text: &str, reading: &mut Reading, depth: usize) -> bool {
    let mut attempts = 0;
    let mut search_from = 0;
    while attempts < MAX_EMBEDDED_ATTEMPTS {
        let Some(offset) = text[search_from..].find(['{', '[']) else {
            return false;
        };
        let start = search_from + offset;
        attempts += 1;
        let mut stream = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Value>();
        if let Some(Ok(value)) = stream.next() {
            let before = (reading.error.is_some(), reading.response.is_some());
            if value.is_object() || value.is_array() {
                absorb(&value, reading, depth + 1);
            }
            if (reading.error.is_some(), reading.response.is_some()) != before {
                return true;
            }
            search_from = start + stream.byte_offset().max(1);
        } else {
            search_from = start + 1;
        }
        if search_from >= text.len() {
            return false;
        }
    }
    false
}

/// Folds one JSON value into the reading.
fn absorb(value: &Value, reading: &mut Reading, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Array(items) => {
            for item in items {
                absorb(item, reading, depth + 1);
            }
        }
        Value::Object(map) => {
            if let Some(body) = map.get("body")
                && let Some(status) = ["http_status", "status_code", "statusCode"]
                    .iter()
                    .find_map(|key| map.get(*key))
            {
                reading.capture_status = status
                    .as_u64()
                    .or_else(|| status.as_str().and_then(|s| s.trim().parse().ok()))
                    .and_then(|code| u16::try_from(code).ok());
                reading.format = Some(InputFormat::Capture);
                match body {
                    Value::String(text) => {
                        let text = normalize(text);
                        reading.capture_text = Some(text.clone());
                        if !read_structured(&text, reading, depth + 1)
                            && let Some(page) = read_html(&text)
                        {
                            reading.html = Some(page);
                        }
                    }
                    other => absorb(other, reading, depth + 1),
                }
                return;
            }
            if let Some(error) = map.get("error") {
                if let Some(inner) = innermost_error(error, depth + 1) {
                    let status: ErrorStatus = serde_json::from_value(inner).unwrap_or_default();
                    // The first error of a stream decides; later ones are repeats.
                    if reading.error.is_none() {
                        reading.error = Some(status);
                    }
                }
                return;
            }
            let looks_like_response = [
                "candidates",
                "promptFeedback",
                "usageMetadata",
                "prompt_feedback",
            ]
            .iter()
            .any(|key| map.contains_key(*key));
            if looks_like_response {
                if let Ok(chunk) = serde_json::from_value::<GenerateContentResponse>(value.clone())
                {
                    match &mut reading.response {
                        Some(response) => response.merge_chunk(chunk),
                        slot @ None => *slot = Some(chunk),
                    }
                }
                return;
            }
            for nested in map.values() {
                absorb(nested, reading, depth + 1);
            }
        }
        Value::String(text) if depth > 0 && text.contains('{') => {
            let text = normalize(text);
            read_structured(&text, reading, depth + 1);
        }
        _ => {}
    }
}

/// Follows wrappers to Google's own error object: proxies put the real body in `message`, as an
/// object or as an escaped JSON string. Returns the innermost error object.
fn innermost_error(error: &Value, depth: usize) -> Option<Value> {
    if depth > MAX_DEPTH {
        return None;
    }
    match error {
        Value::Object(map) => {
            if let Some(message) = map.get("message")
                && let Some(inner) = nested_error(message, depth + 1)
            {
                return Some(inner);
            }
            Some(error.clone())
        }
        Value::String(text) => {
            nested_error(error, depth + 1).or_else(|| Some(serde_json::json!({ "message": text })))
        }
        _ => None,
    }
}

/// An error object somewhere inside `value`, if any.
fn nested_error(value: &Value, depth: usize) -> Option<Value> {
    if depth > MAX_DEPTH {
        return None;
    }
    match value {
        Value::Object(map) => match map.get("error") {
            Some(error) => innermost_error(error, depth + 1),
            None => map.values().find_map(|v| nested_error(v, depth + 1)),
        },
        Value::Array(items) => items.iter().find_map(|v| nested_error(v, depth + 1)),
        Value::String(text) if text.contains('{') => {
            let text = normalize(text);
            embedded_values(&text)
                .iter()
                .find_map(|v| nested_error(v, depth + 1))
        }
        _ => None,
    }
}

/// JSON objects found inside a string (strict first, then relaxed).
fn embedded_values(text: &str) -> Vec<Value> {
    let mut values = Vec::new();
    for candidate in [text.to_owned(), relax_to_json(text)] {
        let mut search_from = 0;
        for _ in 0..MAX_EMBEDDED_ATTEMPTS {
            let Some(offset) = candidate[search_from..].find('{') else {
                break;
            };
            let start = search_from + offset;
            let mut stream =
                serde_json::Deserializer::from_str(&candidate[start..]).into_iter::<Value>();
            match stream.next() {
                Some(Ok(value)) => {
                    search_from = start + stream.byte_offset().max(1);
                    values.push(value);
                }
                _ => search_from = start + 1,
            }
            if search_from >= candidate.len() {
                break;
            }
        }
        if !values.is_empty() {
            break;
        }
    }
    values
}

/// Rewrites a Python repr or a line-wrapped JSON text into JSON: single-quoted strings become
/// double-quoted, `None`/`True`/`False` become `null`/`true`/`false`, raw control characters inside
/// strings are escaped, and escapes JSON does not know are kept literally.
fn relax_to_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    let mut quote: Option<char> = None;
    let mut word = String::new();
    let flush_word = |word: &mut String, out: &mut String| {
        match word.as_str() {
            "None" => out.push_str("null"),
            "True" => out.push_str("true"),
            "False" => out.push_str("false"),
            _ => out.push_str(word),
        }
        word.clear();
    };
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            match c {
                '\\' => match chars.next() {
                    Some('\'') => out.push('\''),
                    Some(e @ ('"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't' | 'u')) => {
                        out.push('\\');
                        out.push(e);
                    }
                    Some(other) => {
                        out.push_str("\\\\");
                        push_json_char(&mut out, other);
                    }
                    None => out.push_str("\\\\"),
                },
                c if c == q => {
                    out.push('"');
                    quote = None;
                }
                '"' => out.push_str("\\\""),
                other => push_json_char(&mut out, other),
            }
            continue;
        }
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        flush_word(&mut word, &mut out);
        if c == '\'' || c == '"' {
            quote = Some(c);
            out.push('"');
        } else {
            out.push(c);
        }
    }
    flush_word(&mut word, &mut out);
    out
}

fn push_json_char(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if c.is_control() => {
            use std::fmt::Write as _;
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        }
        c => out.push(c),
    }
}

fn regex(pattern: &str) -> Regex {
    match Regex::new(pattern) {
        Ok(regex) => regex,
        Err(error) => panic!("pattern {pattern:?} is invalid: {error}"),
    }
}

static HTML_MARK: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)<!doctype html|<html[\s>]"));
static HTML_TITLE: LazyLock<Regex> = LazyLock::new(|| regex(r"(?is)<title[^>]*>(.*?)</title>"));
static HTML_STATUS: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)(?:error\s*|<b>\s*)([45]\d\d)\b|\b([45]\d\d)\s+(?:bad gateway|service unavailable|gateway time-?out|internal server error|server error)",
    )
});

fn read_html(text: &str) -> Option<HtmlPage> {
    let is_html = HTML_MARK.is_match(text);
    // Google's "That's an error." page also arrives as rendered text, without tags.
    let rendered_google_page =
        text.contains("That's an error") || text.contains("That\u{2019}s an error");
    if !is_html && !rendered_google_page {
        return None;
    }
    let title = HTML_TITLE
        .captures(text)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().split_whitespace().collect::<Vec<_>>().join(" "));
    let status = HTML_STATUS.captures(text).and_then(|c| {
        c.get(1)
            .or_else(|| c.get(2))
            .and_then(|m| m.as_str().parse().ok())
    });
    Some(HtmlPage { title, status })
}

static CODE_KEY: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)\bcode\W{0,8}([1-5]\d\d)\b"));
static CODE_LEADING: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?m)(?:^|\b(?:Error|Exception|error)\W{0,3}|\[)([1-5]\d\d)\s+(?:[A-Z][A-Z_]{3,}|POST|GET|Too Many|Service Unavailable|Bad Gateway|Internal Server Error|Gateway Timeout|Forbidden|Not Found|Bad Request|Unauthorized|Deadline)",
    )
});
static STATUS_NAME: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"\b(RESOURCE_EXHAUSTED|UNAVAILABLE|INTERNAL|INVALID_ARGUMENT|FAILED_PRECONDITION|PERMISSION_DENIED|NOT_FOUND|UNAUTHENTICATED|DEADLINE_EXCEEDED|CANCELLED|ABORTED|OUT_OF_RANGE|UNIMPLEMENTED|DATA_LOSS|ALREADY_EXISTS)\b",
    )
});
static QUOTA_ID: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)quota_?id\W{0,8}([A-Za-z0-9][A-Za-z0-9_\-]{5,})"));
static QUOTA_METRIC: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(generativelanguage\.googleapis\.com/[a-z_]+)"));
static LIMIT: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)(?:\blimit:\s*|quota_?value\W{0,8})(\d+)"));
static RETRY_DELAY: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)retry_?delay\W{0,8}([0-9]+(?:\.[0-9]+)?m?s)"));
static REASON: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)\breason\W{0,8}([A-Z][A-Z_]{5,})\b"));
// A name or a proto number (old SDKs print `finish_reason: 4`), also as SDK enum reprs:
// `finish_reason=<FinishReason.IMAGE_SAFETY: 11>`, `block_reason: BlockedReason.SAFETY`.
static FINISH_REASON: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?i)finish_?reason\W{0,8}(?:finish_?reason\.)?([A-Z][A-Z_]{2,}|\d{1,2})\b")
});
static BLOCK_REASON: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?i)block(?:ed)?_?reason\W{0,8}(?:block(?:ed)?_?reason\.)?([A-Z][A-Z_]{2,}|\d)\b")
});
static MODEL: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?:models/|model(?:Version|_version|_name)?\W{1,6})((?:gemini|imagen|nano-banana)[A-Za-z0-9.\-_]*[A-Za-z0-9])",
    )
});

/// Pulls the telling pieces out of plain text.
fn scan_text(text: &str) -> TextSignals {
    let all = |regex: &Regex| -> Vec<String> {
        let mut found: Vec<String> = regex
            .captures_iter(text)
            .filter_map(|c| c.get(1).map(|m| m.as_str().to_owned()))
            .collect();
        found.dedup();
        found
    };
    let first = |regex: &Regex| {
        regex
            .captures(text)
            .and_then(|c| c.get(1))
            .map(|m| m.as_str().to_owned())
    };
    let code = first(&CODE_LEADING)
        .or_else(|| first(&CODE_KEY))
        .and_then(|code| code.parse().ok());
    TextSignals {
        code,
        status: first(&STATUS_NAME),
        quota_ids: all(&QUOTA_ID),
        quota_metrics: all(&QUOTA_METRIC),
        limits: all(&LIMIT).iter().filter_map(|n| n.parse().ok()).collect(),
        retry_delay: first(&RETRY_DELAY),
        reasons: all(&REASON),
        finish_reason: first(&FINISH_REASON),
        block_reason: first(&BLOCK_REASON),
        model: first(&MODEL),
    }
}

/// Quota violations from text signals, for bodies that could not be parsed as a whole.
pub fn violations_from_signals(signals: &TextSignals) -> Vec<QuotaViolation> {
    signals
        .quota_ids
        .iter()
        .map(|id| QuotaViolation {
            quota_id: Some(id.clone()),
            ..QuotaViolation::default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_json_error() {
        let reading = read(
            r#"{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}"#,
        );
        assert_eq!(reading.format, Some(InputFormat::Json));
        assert_eq!(reading.error.unwrap().code, Some(503));
    }

    #[test]
    fn python_sdk_str_with_repr_dict() {
        let text = "429 RESOURCE_EXHAUSTED. {'error': {'code': 429, 'message': \"You exceeded your current quota. Please retry in 22.5s.\", 'status': 'RESOURCE_EXHAUSTED', 'details': [{'@type': 'type.googleapis.com/google.rpc.RetryInfo', 'retryDelay': '22s'}], 'extra': None, 'ok': True}}";
        let reading = read(text);
        assert_eq!(reading.format, Some(InputFormat::PythonRepr));
        let error = reading.error.unwrap();
        assert_eq!(error.code, Some(429));
        assert_eq!(error.retry_delays().collect::<Vec<_>>(), ["22s"]);
    }

    #[test]
    fn proxy_wrapper_with_escaped_inner_body() {
        let text = r#"{"error":{"message":"{\n  \"error\": {\n    \"code\": 503,\n    \"message\": \"high demand\",\n    \"status\": \"UNAVAILABLE\"\n  }\n}\n","code":503,"status":"Service Unavailable"}}"#;
        let error = read(text).error.unwrap();
        assert_eq!(error.status.as_deref(), Some("UNAVAILABLE"));
        assert_eq!(error.message.as_deref(), Some("high demand"));
    }

    #[test]
    fn sse_stream_with_error_after_content() {
        let text = "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Sure\"}]}}]}\n\n\
                    data: {\"error\":{\"code\":500,\"message\":\"An internal error has occurred.\",\"status\":\"INTERNAL\"}}\n\n";
        let reading = read(text);
        assert_eq!(reading.format, Some(InputFormat::Sse));
        assert!(reading.response.is_some());
        assert_eq!(reading.error.unwrap().code, Some(500));
    }

    #[test]
    fn terminal_wrapped_json_string_is_relaxed() {
        let text = "{\"error\": {\"code\": 400, \"message\": \"Unable to process input image. Please retry or report in\n  https://developers.generativeai.google/guide/troubleshooting\", \"status\": \"INVALID_ARGUMENT\"}}";
        let error = read(text).error.unwrap();
        assert!(
            error
                .message
                .unwrap()
                .starts_with("Unable to process input image")
        );
    }

    #[test]
    fn curly_quotes_and_forum_backticks() {
        let text = "ApiError: {\u{201c}error\u{201d}:{\u{201c}code\u{201d}:429,\u{201c}message\u{201d}:\u{201c}Resource has been exhausted (e.g. check quota).\u{201d},\u{201c}status\u{201d}:\u{201c}RESOURCE_EXHAUSTED\u{201d}}}";
        let error = read(text).error.unwrap();
        assert_eq!(error.code, Some(429));
    }

    #[test]
    fn html_error_page() {
        let text = "<!DOCTYPE html>\n<html lang=en><title>Error 502 (Server Error)!!1</title><p><b>502.</b> <ins>That\u{2019}s an error.</ins>";
        let reading = read(text);
        assert_eq!(reading.format, Some(InputFormat::Html));
        assert_eq!(reading.html.unwrap().status, Some(502));
    }

    #[test]
    fn truncated_text_still_yields_signals() {
        let text = "{'error': {'code': 429, 'message': 'Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 0', 'status': 'RESOURCE_EXHAUSTED', 'details': [{'quotaId': 'GenerateRequestsPerDayPerProjectPerModel-FreeTier', 'quotaMetr";
        let reading = read(text);
        assert_eq!(reading.signals.code, Some(429));
        assert_eq!(reading.signals.limits, [0]);
        assert_eq!(
            reading.signals.quota_ids,
            ["GenerateRequestsPerDayPerProjectPerModel-FreeTier"]
        );
    }

    #[test]
    fn snake_case_answers_with_enum_numbers_are_read() {
        let reading = read(
            "{'candidates': [{'finish_reason': 11, 'finish_message': 'Unable to show the generated image.', 'index': 0}], 'prompt_feedback': {'block_reason': 0}}",
        );
        assert_eq!(reading.format, Some(InputFormat::PythonRepr));
        let response = reading.response.unwrap();
        let candidate = response.first_candidate().unwrap();
        assert_eq!(
            candidate.finish_reason,
            Some(crate::api::enums::FinishReason::ImageSafety)
        );
        assert_eq!(
            candidate.finish_message.as_deref(),
            Some("Unable to show the generated image.")
        );
        assert_eq!(
            response.prompt_feedback.unwrap().block_reason,
            Some(crate::api::enums::BlockReason::Unspecified)
        );
    }

    #[test]
    fn enum_reprs_and_numbers_in_text_are_signals() {
        let signals = |text: &str| read(text).signals;
        assert_eq!(
            signals("finish_reason: 4").finish_reason.as_deref(),
            Some("4")
        );
        assert_eq!(
            signals("finish_reason=<FinishReason.IMAGE_SAFETY: 11>")
                .finish_reason
                .as_deref(),
            Some("IMAGE_SAFETY")
        );
        assert_eq!(
            signals("finish_reason: FinishReason.RECITATION")
                .finish_reason
                .as_deref(),
            Some("RECITATION")
        );
        assert_eq!(
            signals("block_reason=<BlockedReason.PROHIBITED_CONTENT: 'PROHIBITED_CONTENT'>")
                .block_reason
                .as_deref(),
            Some("PROHIBITED_CONTENT")
        );
        assert_eq!(
            signals("prompt_feedback {\n  block_reason: 1\n}")
                .block_reason
                .as_deref(),
            Some("1")
        );
    }

    #[test]
    fn keys_never_survive_reading() {
        let text = r#"{"error":{"code":400,"message":"API key not valid","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.DebugInfo","detail":"Invalid API key: AIzaSyA1234567890abcdefghijklmnopqrstuv"}]}}"#;
        let reading = read(text);
        assert!(!reading.raw.contains("AIzaSyA"));
        assert!(!format!("{:?}", reading.error).contains("AIzaSyA"));
    }

    #[test]
    fn relax_handles_escapes_and_literals() {
        let relaxed = relax_to_json(
            r#"{'a': 'it\'s', 'b': None, 'c': True, 'd': 'x\qy', 'e': 'say \"hi\"'}"#,
        );
        let value: Value = serde_json::from_str(&relaxed).unwrap();
        assert_eq!(value["a"], "it's");
        assert!(value["b"].is_null());
        assert_eq!(value["c"], true);
        assert_eq!(value["d"], "x\\qy");
        assert_eq!(value["e"], "say \"hi\"");
    }
}
