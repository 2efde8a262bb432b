//! Reads how long the server asks Peel to wait: `RetryInfo.retryDelay` (`"22s"`), the message text
//! ("Please retry in 47.43s." / "856.5ms"), or an HTTP `Retry-After` header (seconds or a date).

use std::sync::LazyLock;

use jiff::Timestamp;
use regex::Regex;
use serde::{Deserialize, Serialize};

/// Where a retry delay came from; the first one present wins, in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetryDelaySource {
    /// `google.rpc.RetryInfo.retryDelay` in the error details.
    RetryInfo,
    /// "Please retry in …" in Google's message (some quota errors lack `RetryInfo`).
    Message,
    /// The HTTP `Retry-After` header.
    Header,
}

/// Parses a protobuf JSON duration such as `"22s"`, `"0.856559356s"`, or `"1.5ms"`, in seconds.
pub fn parse_duration_s(text: &str) -> Option<f64> {
    let text = text.trim().trim_matches(|c| c == '"' || c == '\'');
    let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 0.001)
    } else if let Some(s) = text.strip_suffix('s') {
        (s, 1.0)
    } else if let Some(m) = text.strip_suffix('m') {
        (m, 60.0)
    } else if let Some(h) = text.strip_suffix('h') {
        (h, 3600.0)
    } else {
        (text, 1.0)
    };
    let value: f64 = number.trim().parse().ok()?;
    (value.is_finite() && value >= 0.0).then_some(value * scale)
}

static RETRY_IN: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)retry (?:in|after) ([0-9]+(?:\.[0-9]+)?)\s*(ms|milliseconds?|s|sec|seconds?|m|min|minutes?)\b")
        .ok()
});

/// Finds "Please retry in 47.43s" (or "retry after 3 seconds") in a message, in seconds.
pub fn from_message_s(message: &str) -> Option<f64> {
    let captures = RETRY_IN.as_ref()?.captures(message)?;
    let value: f64 = captures.get(1)?.as_str().parse().ok()?;
    let unit = captures.get(2)?.as_str().to_ascii_lowercase();
    let scale = if unit.starts_with("ms") || unit.starts_with("milli") {
        0.001
    } else if unit.starts_with('m') {
        60.0
    } else {
        1.0
    };
    Some(value * scale)
}

/// Reads a `Retry-After` header: delay-seconds, or an HTTP date compared with `now`.
pub fn from_header_s(header: &str, now: Timestamp) -> Option<f64> {
    let header = header.trim();
    if let Ok(seconds) = header.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then_some(seconds);
    }
    let date = jiff::fmt::rfc2822::parse(header).ok()?;
    let seconds = date.timestamp().duration_since(now).as_secs_f64();
    Some(seconds.max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protobuf_durations() {
        assert_eq!(parse_duration_s("22s"), Some(22.0));
        assert_eq!(parse_duration_s("0.856559356s"), Some(0.856_559_356));
        assert_eq!(parse_duration_s("1500ms"), Some(1.5));
        assert_eq!(parse_duration_s("soon"), None);
        assert_eq!(parse_duration_s("-3s"), None);
    }

    #[test]
    fn message_delays() {
        let message = "You exceeded your current quota ... Please retry in 47.434392449s.";
        assert_eq!(from_message_s(message), Some(47.434_392_449));
        assert_eq!(
            from_message_s("Please retry in 856.559356ms."),
            Some(0.856_559_356)
        );
        assert_eq!(from_message_s("Please try again later."), None);
    }

    #[test]
    fn header_seconds_and_dates() {
        let now: Timestamp = "2026-11-27T12:00:00Z".parse().unwrap();
        assert_eq!(from_header_s("30", now), Some(30.0));
        assert_eq!(
            from_header_s("Fri, 27 Nov 2026 12:01:00 GMT", now),
            Some(60.0)
        );
        assert_eq!(
            from_header_s("Fri, 27 Nov 2026 11:00:00 GMT", now),
            Some(0.0)
        );
        assert_eq!(from_header_s("whenever", now), None);
    }
}
