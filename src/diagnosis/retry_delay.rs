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

/// The longest wait Peel takes from a server, in seconds: two days. The longest real wait is a
/// daily quota's, at most 24 hours away, so anything longer is a broken or hostile server; a
/// delay such as `"1e308h"` would otherwise become infinity and panic where it is turned into a
/// `Duration`.
pub const MAX_SERVER_DELAY_S: f64 = 2.0 * 24.0 * 3600.0;

/// Keeps a delay read from outside within `0..=MAX_SERVER_DELAY_S`: longer ones (infinity
/// included) become the maximum; NaN and negative ones are no delay at all (`None`).
pub fn clamp_server_delay_s(seconds: f64) -> Option<f64> {
    if seconds.is_nan() || seconds < 0.0 {
        return None;
    }
    Some(seconds.min(MAX_SERVER_DELAY_S))
}

/// Parses a protobuf JSON duration such as `"22s"`, `"0.856559356s"`, or `"1.5ms"`, in seconds,
/// at most [`MAX_SERVER_DELAY_S`].
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
    clamp_server_delay_s(value * scale)
}

static RETRY_IN: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)retry (?:in|after) ([0-9]+(?:\.[0-9]+)?)\s*(ms|milliseconds?|s|sec|seconds?|m|min|minutes?)\b")
        .ok()
});

/// Finds "Please retry in 47.43s" (or "retry after 3 seconds") in a message, in seconds, at most
/// [`MAX_SERVER_DELAY_S`].
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
    clamp_server_delay_s(value * scale)
}

/// Reads a `Retry-After` header: delay-seconds, or an HTTP date compared with `now` (a date
/// already past is no wait), at most [`MAX_SERVER_DELAY_S`].
pub fn from_header_s(header: &str, now: Timestamp) -> Option<f64> {
    let header = header.trim();
    if let Ok(seconds) = header.parse::<f64>() {
        return clamp_server_delay_s(seconds);
    }
    let date = jiff::fmt::rfc2822::parse(header).ok()?;
    let seconds = date.timestamp().duration_since(now).as_secs_f64();
    clamp_server_delay_s(seconds.max(0.0))
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

    /// Every delay read from outside is finite and within `0..=MAX_SERVER_DELAY_S`, so turning
    /// it into a `Duration` cannot panic.
    #[test]
    fn absurd_delays_are_clamped() {
        for text in ["1e308h", "1e400s", "inf", "infs", "+infinity", "1e308m"] {
            assert_eq!(parse_duration_s(text), Some(MAX_SERVER_DELAY_S), "{text}");
        }
        for text in ["NaN", "nans", "-inf", "-1e308h", "-0.5s"] {
            assert_eq!(parse_duration_s(text), None, "{text}");
        }
        assert_eq!(parse_duration_s("-0s"), Some(0.0));

        let huge_digits = format!("Please retry in {}s.", "9".repeat(400));
        assert_eq!(from_message_s(&huge_digits), Some(MAX_SERVER_DELAY_S));
        let huge_minutes = format!("Please retry in {}0 minutes.", "9".repeat(306));
        assert_eq!(from_message_s(&huge_minutes), Some(MAX_SERVER_DELAY_S));

        let now: Timestamp = "2026-11-27T12:00:00Z".parse().unwrap();
        for header in ["1e400", "inf", "1e308", "Tue, 31 Dec 2999 23:59:59 GMT"] {
            assert_eq!(
                from_header_s(header, now),
                Some(MAX_SERVER_DELAY_S),
                "{header}"
            );
        }
        for header in ["NaN", "-inf", "-30"] {
            assert_eq!(from_header_s(header, now), None, "{header}");
        }

        for seconds in [
            parse_duration_s("1e308h"),
            from_message_s(&huge_digits),
            from_header_s("inf", now),
        ]
        .into_iter()
        .flatten()
        {
            let _ = std::time::Duration::from_secs_f64(seconds);
        }
    }
}
