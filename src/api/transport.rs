//! What the client observed below HTTP: how a request failed before (or while) an answer arrived.

use serde::{Deserialize, Serialize};

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
    /// The answer kept arriving, but far too slowly to ever finish (a trickle of bytes).
    TooSlow,
    /// The endpoint answered with a redirect, which Peel never follows.
    Redirected,
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
            TransportFailure::TooSlow => {
                "the answer arrived far too slowly to finish (a trickle of bytes)"
            }
            TransportFailure::Redirected => {
                "the endpoint answered with a redirect, which Peel never follows"
            }
            TransportFailure::Other => "the network request failed",
        }
    }

    /// Whether the server began to answer and then broke off: it stalled, trickled, or the
    /// connection was cut. Repeated, these say the server or a proxy is faulty, not busy.
    pub fn is_broken_off(self) -> bool {
        matches!(
            self,
            TransportFailure::Stalled
                | TransportFailure::TooSlow
                | TransportFailure::ConnectionReset
        )
    }
}
