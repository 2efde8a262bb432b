//! [`ApiError`]: everything that can go wrong calling the API, and how the client's failures
//! (a reqwest error, a redirect, a body too slow, too large or unreadable) become one.

use reqwest::header::LOCATION;

use super::pace::TooSlow;
use super::transport::TransportFailure;
use crate::redact::redact;

/// Most of an unreadable 2xx body kept for the diagnosis (its head says what it was).
const KEPT_MALFORMED_BODY_BYTES: usize = 64 * 1024;
/// Most of an error body kept (the diagnosis reads at most 4 MiB of it).
const KEPT_ERROR_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Everything that can go wrong calling the API.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The settings cannot make a request (bad endpoint URL, bad model id, bad key characters).
    #[error("{0}")]
    Config(String),
    /// No HTTP answer: DNS, connection, TLS, reset, timeout, or a body over the cap.
    #[error("Network problem: {} ({detail})", failure.describe())]
    Transport {
        /// What failed.
        failure: TransportFailure,
        /// The client's description, redacted.
        detail: String,
    },
    /// A non-2xx answer.
    #[error("The server answered HTTP {status}")]
    Http {
        /// The status.
        status: u16,
        /// The body, redacted.
        body: String,
        /// The `Retry-After` header, if any.
        retry_after: Option<String>,
    },
    /// A 3xx answer: the endpoint pointed elsewhere, and Peel did not follow.
    #[error(
        "The endpoint answered with a redirect (HTTP {status}) to {target}. Peel never follows redirects, so \
         your key is not sent to another host. Check the endpoint in Settings."
    )]
    Redirected {
        /// The status.
        status: u16,
        /// Where it pointed: scheme, host and path only (no query, no credentials), redacted.
        target: String,
    },
    /// A 2xx answer that is not the expected JSON.
    #[error("The server's answer could not be read: {reason}")]
    Malformed {
        /// The status.
        status: u16,
        /// The body, redacted.
        body: String,
        /// What did not parse.
        reason: String,
    },
}

/// A 3xx answer, refused: where it pointed (scheme, host, port and path; no query, fragment or
/// credentials), redacted.
pub(super) fn redirected(status: u16, response: &reqwest::Response) -> ApiError {
    let target = response
        .headers()
        .get(LOCATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|location| response.url().join(location.trim()).ok())
        .map_or_else(
            || "an address it did not give".to_owned(),
            |mut url| {
                url.set_query(None);
                url.set_fragment(None);
                let _ = url.set_username("");
                let _ = url.set_password(None);
                redact(url.as_str()).into_owned()
            },
        );
    ApiError::Redirected { status, target }
}

/// An error answer: its status, its body (the head, redacted) and its `Retry-After` header. A
/// non-2xx body and an error that arrives inside a stream both become this, so the diagnosis
/// reads them alike.
pub(super) fn http_error(status: u16, body: &[u8], retry_after: Option<String>) -> ApiError {
    ApiError::Http {
        status,
        body: redact(&lossy_head(body, KEPT_ERROR_BODY_BYTES)).into_owned(),
        retry_after,
    }
}

/// A body given up for its pace, as a transport failure.
pub(super) fn too_slow(slow: TooSlow) -> ApiError {
    match slow {
        TooSlow::Stalled {
            pause,
            received_bytes,
        } => ApiError::Transport {
            failure: TransportFailure::Stalled,
            detail: format!(
                "no data for {} s after {} of the answer had arrived",
                pause.as_secs(),
                human_bytes(received_bytes)
            ),
        },
        TooSlow::Trickle {
            window_bytes,
            window,
            received_bytes,
        } => ApiError::Transport {
            failure: TransportFailure::TooSlow,
            detail: format!(
                "only {} arrived in {} s ({} in all), far below a working connection",
                human_bytes(window_bytes),
                window.as_secs(),
                human_bytes(received_bytes)
            ),
        },
        TooSlow::TooLong {
            ceiling,
            received_bytes,
        } => ApiError::Transport {
            failure: TransportFailure::TooSlow,
            detail: format!(
                "the answer took over {} minutes to arrive ({} had come), longer than any real \
                 answer takes; the server or a proxy is holding it back",
                ceiling.as_secs().div_ceil(60),
                human_bytes(received_bytes)
            ),
        },
    }
}

/// A 2xx body whose parse never finished (it panicked, or the runtime is shutting down).
pub(super) fn interrupted(
    status: u16,
    body_bytes: usize,
    error: &tokio::task::JoinError,
) -> ApiError {
    ApiError::Malformed {
        status,
        body: String::new(),
        reason: format!(
            "its parse stopped: {error} (the answer had {})",
            human_bytes(body_bytes)
        ),
    }
}

/// A 2xx body that is not the expected JSON: its head, redacted, and what did not parse.
pub(super) fn malformed(status: u16, bytes: &[u8], error: &serde_json::Error) -> ApiError {
    ApiError::Malformed {
        status,
        body: redact(&lossy_head(bytes, KEPT_MALFORMED_BODY_BYTES)).into_owned(),
        reason: format!("{error} (the answer had {})", human_bytes(bytes.len())),
    }
}

/// The first `max` bytes as text (invalid UTF-8 replaced).
pub(super) fn lossy_head(bytes: &[u8], max: usize) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(max)]).into_owned()
}

/// "13.2 MB", "512 bytes".
pub fn human_bytes(bytes: usize) -> String {
    if bytes < 1024 {
        format!("{bytes} bytes")
    } else if bytes < 1024 * 1024 {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}

pub(super) fn too_large(limit: usize) -> ApiError {
    ApiError::Transport {
        failure: TransportFailure::BodyTooLarge,
        detail: format!("the answer is larger than {} MB", limit / (1024 * 1024)),
    }
}

/// Sorts a reqwest error into a [`TransportFailure`] by walking its source chain.
pub(super) fn transport_error(error: &reqwest::Error) -> ApiError {
    let mut chain = String::new();
    let mut reset = false;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(io) = current.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::UnexpectedEof
            )
        {
            reset = true;
        }
        if !chain.is_empty() {
            chain.push_str(": ");
        }
        chain.push_str(&current.to_string());
        source = current.source();
    }
    let lower = chain.to_lowercase();
    let failure = if error.is_timeout() {
        TransportFailure::Timeout
    } else if lower.contains("dns error")
        || lower.contains("failed to lookup")
        || lower.contains("name or service not known")
    {
        TransportFailure::Dns
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake")
    {
        TransportFailure::Tls
    } else if reset
        || lower.contains("connection reset")
        || lower.contains("connection closed")
        || lower.contains("incomplete message")
        || lower.contains("end of file")
    {
        TransportFailure::ConnectionReset
    } else if error.is_connect() {
        TransportFailure::Connect
    } else if error.is_body() || error.is_decode() {
        TransportFailure::ConnectionReset
    } else {
        TransportFailure::Other
    };
    ApiError::Transport {
        failure,
        detail: redact(&chain).into_owned(),
    }
}
