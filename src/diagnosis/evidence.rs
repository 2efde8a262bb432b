//! What the diagnosis looks at: an HTTP answer (status, body, `Retry-After`), a parsed 2xx answer,
//! or a transport failure; and how the client's results ([`ApiError`], [`GenerateOutcome`]) become
//! evidence (here, so `api` never imports the diagnosis).

use crate::api::wire::GenerateContentResponse;
use crate::api::{ApiError, GenerateOutcome};

pub use crate::api::transport::TransportFailure;

/// The input of [`super::diagnose`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Evidence<'a> {
    /// An HTTP answer, or text someone pasted.
    Response {
        /// The HTTP status, when known (a paste may lack it).
        status: Option<u16>,
        /// The body or pasted text, as is.
        body: &'a str,
        /// The `Retry-After` header, when there was one.
        retry_after_header: Option<&'a str>,
    },
    /// A 2xx answer that parsed: diagnosed from the parsed response, never from a cut copy of
    /// its text (a real 4K answer is tens of MB).
    Answer {
        /// The HTTP status.
        status: u16,
        /// The parsed answer (its image bytes, if still inside, are never copied).
        response: &'a GenerateContentResponse,
    },
    /// No usable HTTP answer.
    Transport {
        /// What went wrong.
        failure: TransportFailure,
        /// The client's own description (redacted before use).
        detail: &'a str,
    },
}

impl<'a> Evidence<'a> {
    /// Pasted text without a known status.
    pub fn pasted(body: &'a str) -> Self {
        Evidence::Response {
            status: None,
            body,
            retry_after_header: None,
        }
    }

    /// An HTTP answer with its status.
    pub fn http(status: u16, body: &'a str) -> Self {
        Evidence::Response {
            status: Some(status),
            body,
            retry_after_header: None,
        }
    }
}

impl<'a> From<&'a ApiError> for Evidence<'a> {
    /// What the diagnosis should look at for a failed call: the HTTP answer, or what failed below
    /// HTTP (a setting that could not make a request counts as a transport failure).
    fn from(error: &'a ApiError) -> Self {
        match error {
            ApiError::Config(message) => Evidence::Transport {
                failure: TransportFailure::Other,
                detail: message,
            },
            ApiError::Transport { failure, detail } => Evidence::Transport {
                failure: *failure,
                detail,
            },
            ApiError::Redirected { target, .. } => Evidence::Transport {
                failure: TransportFailure::Redirected,
                detail: target,
            },
            ApiError::Http {
                status,
                body,
                retry_after,
            } => Evidence::Response {
                status: Some(*status),
                body,
                retry_after_header: retry_after.as_deref(),
            },
            ApiError::Malformed { status, body, .. } => Evidence::Response {
                status: Some(*status),
                body,
                retry_after_header: None,
            },
        }
    }
}

impl<'a> From<&'a GenerateOutcome> for Evidence<'a> {
    /// What the diagnosis should look at for a 2xx answer: the parsed answer.
    fn from(outcome: &'a GenerateOutcome) -> Self {
        Evidence::Answer {
            status: outcome.status,
            response: &outcome.response,
        }
    }
}
