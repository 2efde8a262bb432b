//! What the diagnosis looks at: an HTTP answer (status, body, `Retry-After`), a parsed 2xx answer,
//! or a transport failure.

use serde::{Deserialize, Serialize};

use crate::api::wire::GenerateContentResponse;

/// How a request failed before any HTTP answer arrived (or while it was arriving).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportFailure {
    /// The host name could not be resolved.
    Dns,
    /// The connection was refused or could not be opened.
    Connect,
    /// The TLS handshake failed (certificate, proxy interception).
    Tls,
    /// The connection was reset or closed mid-answer.
    ConnectionReset,
    /// No complete answer within the client's time limit.
    Timeout,
    /// The answer was larger than Peel accepts.
    BodyTooLarge,
    /// The answer started, then stopped arriving (no bytes for a while).
    Stalled,
    /// Anything else below HTTP.
    Other,
}

impl TransportFailure {
    /// A few words for people ("the connection was reset").
    pub fn describe(self) -> &'static str {
        match self {
            TransportFailure::Dns => "the server's name could not be looked up",
            TransportFailure::Connect => "the connection to the server could not be opened",
            TransportFailure::Tls => "the secure (TLS) connection could not be set up",
            TransportFailure::ConnectionReset => {
                "the connection broke before the answer was complete"
            }
            TransportFailure::Timeout => "no answer arrived in time",
            TransportFailure::BodyTooLarge => "the answer was larger than Peel accepts",
            TransportFailure::Stalled => "the answer started, then stopped arriving",
            TransportFailure::Other => "the network request failed",
        }
    }
}

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
