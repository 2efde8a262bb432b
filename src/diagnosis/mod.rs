//! Diagnosis: from (HTTP status or transport failure, body text) to a [`Diagnosis`] a designer can
//! act on. Pure: no I/O, no async, no UI; the clock and the model catalog are passed in. API keys
//! are removed from everything returned ([`crate::redact`]).
//!
//! - [`kind`]: the contract — every [`Kind`] and [`Layer`], with stable ids.
//! - [`evidence`]: the input ([`Evidence`]: a response or a [`TransportFailure`]), and the
//!   conversions from the client's [`ApiError`](crate::api::ApiError) and
//!   [`GenerateOutcome`](crate::api::GenerateOutcome).
//! - [`reading`]: turns messy text (JSON, SSE, SDK prints, forum pastes, HTML) into facts.
//! - [`classify`]: decides the kind from those facts (`classify_answer`: a parsed answer's kind).
//! - [`retry_delay`], [`reset`]: how long to wait; when a daily quota comes back.
//! - [`words`]: the title, explanation and fix.
//! - [`excerpt`]: the response as the why-panel shows it (redacted, image data elided, capped).
//! - [`answer`]: a parsed answer as a diagnosis keeps it (images replaced by stand-ins).
//! - [`matcher`]: finding phrases in a prompt as people write them; the one matcher the rewrite
//!   assistant, the preflight and the simulator's safety judge share.

pub mod answer;
pub mod classify;
mod classify_answer;
pub mod evidence;
pub mod excerpt;
pub mod kind;
pub mod matcher;
pub mod reading;
pub mod reset;
pub mod retry_delay;
pub mod words;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::api::catalog::{Catalog, ModelEntry};
use crate::api::error_body::ErrorDetail;
use crate::api::wire::GenerateContentResponse;
use crate::redact;

pub use classify::QuotaInfo;
pub use evidence::{Evidence, TransportFailure};
pub use kind::{Kind, Layer};
pub use reading::InputFormat;
pub use retry_delay::RetryDelaySource;

/// Most of the input a diagnosis keeps in [`Diagnosis::raw`]: a diagnosis is stored with its job,
/// and a database row stays small whatever the answer's size.
pub const RAW_MAX_BYTES: usize = 32 * 1024;

/// What the diagnosis may use besides the evidence.
#[derive(Clone, Copy, Debug)]
pub struct DiagnosisContext<'a> {
    /// The moment of diagnosis (for `Retry-After` dates and the daily reset).
    pub now: Timestamp,
    /// The model catalog, to name replacements for retired ids.
    pub catalog: &'a Catalog,
    /// The model the request was sent to, when known.
    pub requested_model: Option<&'a str>,
}

impl<'a> DiagnosisContext<'a> {
    /// A context with the built-in catalog and no known model.
    pub fn new(now: Timestamp) -> DiagnosisContext<'static> {
        DiagnosisContext {
            now,
            catalog: Catalog::builtin(),
            requested_model: None,
        }
    }

    /// The same context for a request sent to `model`.
    pub fn with_model(self, model: &'a str) -> Self {
        Self {
            requested_model: Some(model),
            ..self
        }
    }
}

/// Why a request ended the way it did, in the contract's terms and in plain words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// What happened.
    pub kind: Kind,
    /// Which layer decided it.
    pub layer: Layer,
    /// The HTTP status Google meant (the innermost one when a proxy wrapped it).
    pub http_status: Option<u16>,
    /// The canonical status name (`RESOURCE_EXHAUSTED`).
    pub api_status: Option<String>,
    /// Whether the same request can succeed later without changes.
    pub retryable: bool,
    /// Seconds to wait before retrying, when the server said so (or until a daily reset).
    pub retry_after_s: Option<f64>,
    /// When a daily quota comes back (midnight America/Los_Angeles).
    pub resets_at: Option<Timestamp>,
    /// Whether a setting can let it through (only Layer 1).
    pub configurable: bool,
    /// One line.
    pub title: String,
    /// What happened, in plain words.
    pub explanation: String,
    /// What to do.
    pub fix: String,
    /// The quota that decided a quota kind.
    pub quota: Option<QuotaInfo>,
    /// The candidate's `finishReason`, as sent.
    pub finish_reason: Option<String>,
    /// The prompt's `blockReason`, as sent.
    pub block_reason: Option<String>,
    /// The model's own words, when it answered in text.
    pub model_text: Option<String>,
    /// The candidate's `finishMessage`.
    pub finish_message: Option<String>,
    /// Google's error message.
    pub api_message: Option<String>,
    /// The model involved, when known.
    pub model: Option<String>,
    /// Where `retry_after_s` came from.
    pub retry_after_source: Option<RetryDelaySource>,
    /// The shape the input arrived in.
    pub input_format: Option<InputFormat>,
    /// The answer or pasted text, with API keys removed.
    pub raw: String,
}

/// Diagnoses one outcome. Never panics, whatever the input.
pub fn diagnose(evidence: &Evidence<'_>, context: &DiagnosisContext<'_>) -> Diagnosis {
    match *evidence {
        Evidence::Transport { failure, detail } => diagnose_transport(failure, detail, context),
        Evidence::Answer { status, response } => {
            diagnose_response(Some(status), &answer::compact_json(response), None, context)
        }
        Evidence::Response {
            status,
            body,
            retry_after_header,
        } => diagnose_response(status, body, retry_after_header, context),
    }
}

fn diagnose_transport(
    failure: TransportFailure,
    detail: &str,
    context: &DiagnosisContext<'_>,
) -> Diagnosis {
    let kind = match failure {
        TransportFailure::Timeout => Kind::Timeout,
        TransportFailure::BodyTooLarge => Kind::ResponseMalformed,
        TransportFailure::Redirected => Kind::EndpointRedirect,
        _ => Kind::NetworkError,
    };
    let redacted = redact::redact(detail);
    let model = context
        .requested_model
        .map(|id| describe_model(id, context.catalog));
    let text = words::words(&words::Particulars {
        model: model.clone(),
        transport: Some(failure),
        detail: (kind == Kind::EndpointRedirect).then_some(&*redacted),
        ..words::Particulars::bare(kind, context.now)
    });
    Diagnosis {
        kind,
        layer: kind.layer(),
        http_status: None,
        api_status: None,
        retryable: kind.retryable(),
        retry_after_s: None,
        resets_at: None,
        configurable: false,
        title: text.title,
        explanation: text.explanation,
        fix: text.fix,
        quota: None,
        finish_reason: None,
        block_reason: None,
        model_text: None,
        finish_message: None,
        api_message: None,
        model,
        retry_after_source: None,
        input_format: None,
        raw: redacted.into_owned(),
    }
}

/// The diagnosis of an answer that read as a success but whose image is not a usable picture:
/// `problem` says what is wrong with it ("it is cut off after 1.2 MB of 2.5 MB").
pub fn with_broken_image(
    diagnosis: Diagnosis,
    problem: &str,
    context: &DiagnosisContext<'_>,
) -> Diagnosis {
    let kind = Kind::ImageBroken;
    let text = words::words(&words::Particulars {
        model: diagnosis.model.clone(),
        http_status: diagnosis.http_status,
        detail: Some(problem),
        ..words::Particulars::bare(kind, context.now)
    });
    Diagnosis {
        kind,
        layer: kind.layer(),
        retryable: kind.retryable(),
        configurable: false,
        title: text.title,
        explanation: text.explanation,
        fix: text.fix,
        ..diagnosis
    }
}

fn describe_model(id: &str, catalog: &Catalog) -> String {
    let id = id.strip_prefix("models/").unwrap_or(id);
    catalog
        .get(id)
        .map_or_else(|| id.to_owned(), crate::api::catalog::ModelEntry::describe)
}

/// The model: the request's, else the one a quota or message names, else the answering version.
fn model_of(
    reading: &reading::Reading,
    verdict: &classify::Verdict,
    context: &DiagnosisContext<'_>,
) -> Option<String> {
    context
        .requested_model
        .map(str::to_owned)
        .or_else(|| verdict.quota_model.clone())
        .or_else(|| reading.signals.model.clone())
        .or_else(|| {
            reading
                .response
                .as_ref()
                .and_then(|r| r.model_version.clone())
        })
}

/// When a daily quota comes back, and how long to wait before retrying (and who said so).
fn when_to_retry(
    kind: Kind,
    reading: &reading::Reading,
    retry_after_header: Option<&str>,
    now: Timestamp,
) -> (Option<Timestamp>, Option<f64>, Option<RetryDelaySource>) {
    if kind == Kind::QuotaDaily {
        let resets_at = reset::next_daily_reset(now);
        let until_reset = resets_at.map(|at| at.duration_since(now).as_secs_f64().ceil());
        return (resets_at, until_reset, None);
    }
    if kind.retryable() {
        let (wait_s, source) = server_retry_delay(reading, retry_after_header, now);
        return (None, wait_s, source);
    }
    (None, None, None)
}

/// What the model wrote instead of (or beside) an image: its text parts, or the whole answer
/// when it was plain prose (a `text_only` answer pasted without its JSON).
fn model_text_of(reading: &reading::Reading, kind: Kind) -> Option<String> {
    reading
        .response
        .as_ref()
        .and_then(GenerateContentResponse::model_text)
        .or_else(|| {
            (kind == Kind::TextOnly && reading.is_unstructured())
                .then(|| reading.answer_text().trim().to_owned())
        })
}

fn diagnose_response(
    status: Option<u16>,
    body: &str,
    retry_after_header: Option<&str>,
    context: &DiagnosisContext<'_>,
) -> Diagnosis {
    let reading = reading::read(body);
    let verdict =
        classify::classify_for(&reading, status, context.requested_model, context.catalog);
    let kind = verdict.kind.unwrap_or(Kind::Unknown);
    let layer = if kind == Kind::Unknown {
        layer_from_status(verdict.http_status)
    } else {
        kind.layer()
    };

    let error = reading.error.as_ref();
    let api_message = error
        .and_then(|e| e.message.clone())
        .map(|m| redact::redact(&m).into_owned());
    let candidate = reading.response.as_ref().and_then(|r| r.first_candidate());
    let finish_message = candidate.and_then(|c| c.finish_message.clone());
    let model_text = model_text_of(&reading, kind);

    let model_id = model_of(&reading, &verdict, context);
    let model = model_id
        .as_deref()
        .map(|id| describe_model(id, context.catalog));

    let (replacement, closest) = match (kind, model_id.as_deref()) {
        (Kind::ModelNotFound, Some(id)) => alternatives(id, context.catalog),
        _ => (None, None),
    };

    let (resets_at, retry_after_s, retry_after_source) =
        when_to_retry(kind, &reading, retry_after_header, context.now);

    let text = words::words(&words::Particulars {
        kind,
        model: model.clone(),
        quota: verdict.quota.as_ref(),
        retry_after_s,
        resets_at,
        now: context.now,
        api_message: api_message.as_deref(),
        finish_message: finish_message.as_deref(),
        field_violation: error.and_then(first_field_violation),
        replacement,
        closest,
        flagged_categories: &verdict.flagged_categories,
        transport: None,
        http_status: verdict.http_status,
        detail: None,
    });

    Diagnosis {
        kind,
        layer,
        http_status: verdict.http_status,
        api_status: verdict.api_status,
        retryable: kind.retryable(),
        retry_after_s,
        resets_at,
        configurable: kind.configurable(),
        title: text.title,
        explanation: text.explanation,
        fix: text.fix,
        quota: verdict.quota,
        finish_reason: verdict.finish_reason,
        block_reason: verdict.block_reason,
        model_text,
        finish_message,
        api_message,
        model,
        retry_after_source,
        input_format: reading.format,
        raw: excerpt::cap(&reading.raw, RAW_MAX_BYTES),
    }
}

/// For a model id that was not found: its replacement when the catalog knows it, else the
/// catalog id it looks like a typo of.
fn alternatives<'c>(
    id: &str,
    catalog: &'c Catalog,
) -> (Option<&'c ModelEntry>, Option<&'c ModelEntry>) {
    match catalog.get(id) {
        Some(_) => (catalog.replacement_for(id), None),
        None => (None, catalog.closest(id)),
    }
}

/// "field: what is wrong" for the first `BadRequest` violation.
fn first_field_violation(error: &crate::api::error_body::ErrorStatus) -> Option<String> {
    let violation = error.field_violations().next()?;
    let text = match (&violation.field, &violation.description) {
        (Some(field), Some(description)) if !description.contains(field.as_str()) => {
            format!("{field}: {description}")
        }
        (_, Some(description)) => description.clone(),
        (Some(field), None) => field.clone(),
        (None, None) => return None,
    };
    Some(text)
}

/// The server's delay: `RetryInfo` and the message's "Please retry in 22.99s" both come from Google;
/// `RetryInfo` is rounded down to whole seconds, so when both are present the longer one is used
/// (retrying a fraction of a second early just earns another 429). A `Retry-After` header is the
/// last resort.
fn server_retry_delay(
    reading: &reading::Reading,
    header: Option<&str>,
    now: Timestamp,
) -> (Option<f64>, Option<RetryDelaySource>) {
    let from_retry_info = reading
        .error
        .as_ref()
        .and_then(|e| {
            e.details.iter().find_map(|d| match d {
                ErrorDetail::RetryInfo {
                    retry_delay: Some(delay),
                } => retry_delay::parse_duration_s(delay),
                _ => None,
            })
        })
        .or_else(|| {
            reading
                .signals
                .retry_delay
                .as_deref()
                .and_then(retry_delay::parse_duration_s)
        });
    let message = reading
        .error
        .as_ref()
        .and_then(|e| e.message.as_deref())
        .unwrap_or(&reading.text);
    let from_message = retry_delay::from_message_s(message);
    match (from_retry_info, from_message) {
        (Some(info), Some(text)) if text > info => {
            return (Some(text), Some(RetryDelaySource::Message));
        }
        (Some(info), _) => return (Some(info), Some(RetryDelaySource::RetryInfo)),
        (None, Some(text)) => return (Some(text), Some(RetryDelaySource::Message)),
        (None, None) => {}
    }
    if let Some(seconds) = header.and_then(|h| retry_delay::from_header_s(h, now)) {
        return (Some(seconds), Some(RetryDelaySource::Header));
    }
    (None, None)
}

/// The layer of an `unknown` outcome, from the status class.
fn layer_from_status(status: Option<u16>) -> Layer {
    match status {
        Some(429) => Layer::Quota,
        Some(401 | 403) => Layer::Auth,
        Some(400..=499) => Layer::Request,
        Some(500..=599) => Layer::Server,
        Some(200..=299) => Layer::Model,
        _ => Layer::None,
    }
}

#[cfg(test)]
mod tests;
