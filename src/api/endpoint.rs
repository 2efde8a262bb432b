//! The endpoint a designer types: one check that the Settings field (when the edit is committed)
//! and [`GeminiClient::new`](super::GeminiClient::new) both use, so the two never disagree.
//!
//! An endpoint is a plain `https://host[:port][/path]` address. `http://` is accepted only for
//! this computer (`localhost`, `127.0.0.0/8`, `::1`): anywhere else the key and the prompts would
//! cross the network in clear text. Anything that looks like an API key (a Google key, `key=`, a
//! long token without a scheme or a dot) is refused, so a key pasted into the wrong field is never
//! applied nor saved.

use std::net::IpAddr;

use crate::redact::redact;

/// A Google API key's prefix.
const GOOGLE_KEY_PREFIX: &str = "AIza";
/// Characters after the prefix that make a Google key (they have 35; a cut paste has fewer).
const GOOGLE_KEY_MIN_TAIL: usize = 20;
/// A token without a scheme or a dot at least this long reads as a secret, not a host name.
const TOKEN_MIN_CHARS: usize = 20;
/// Most of a refused value quoted back in a message.
const QUOTED_MAX_CHARS: usize = 80;

/// Why an endpoint was refused; each message says what to do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// It looks like an API key (or contains one).
    #[error(
        "This looks like an API key, not an address. Paste keys into the API key field; the endpoint was not changed."
    )]
    LooksLikeKey,
    /// It does not parse as a URL.
    #[error(
        "The endpoint \"{text}\" is not a valid URL ({reason}). Use e.g. https://generativelanguage.googleapis.com."
    )]
    NotAUrl {
        /// What was typed (shortened, keys removed).
        text: String,
        /// What the URL parser said.
        reason: String,
    },
    /// Neither `https://` nor `http://`.
    #[error(
        "The endpoint \"{text}\" must start with https:// (or http:// for a server on this computer)."
    )]
    BadScheme {
        /// What was typed (shortened, keys removed).
        text: String,
    },
    /// `http://` to another computer.
    #[error(
        "The endpoint {host} uses http://, so your API key and prompts would cross the network in clear text. \
         Use https://; http:// is accepted only for this computer (localhost, 127.0.0.1, ::1)."
    )]
    PlainHttp {
        /// The host named.
        host: String,
    },
    /// A user name or password in the address.
    #[error(
        "The endpoint must not contain a user name or password (\"user:password@\"): it would be saved with the \
         settings. Remove it; Peel sends only the API key, in a header."
    )]
    Credentials,
    /// A `?query` or `#fragment`.
    #[error(
        "The endpoint must be a plain address without \"?…\" or \"#…\": Peel adds the API version and the model \
         itself."
    )]
    QueryOrFragment,
}

/// Checks the Settings field: empty means Google's endpoint (`Ok("")`), anything else must pass
/// [`check_base_url`]. Returns the value to apply and save.
pub fn check_field(text: &str) -> Result<String, EndpointError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(String::new());
    }
    check_base_url(text)
}

/// Checks a base URL (`https://host[:port][/path]`) and returns it trimmed, without a trailing
/// `/`.
pub fn check_base_url(text: &str) -> Result<String, EndpointError> {
    let text = text.trim();
    if looks_like_key(text) {
        return Err(EndpointError::LooksLikeKey);
    }
    let base = text.trim_end_matches('/');
    let parsed = reqwest::Url::parse(base).map_err(|error| EndpointError::NotAUrl {
        text: quoted(base),
        reason: error.to_string(),
    })?;
    match parsed.scheme() {
        "https" => {}
        "http" if parsed.host_str().is_some_and(is_loopback_host) => {}
        "http" => {
            return Err(EndpointError::PlainHttp {
                host: quoted(parsed.host_str().unwrap_or(base)),
            });
        }
        _ => return Err(EndpointError::BadScheme { text: quoted(base) }),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(EndpointError::Credentials);
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(EndpointError::QueryOrFragment);
    }
    Ok(base.to_owned())
}

/// Whether `text` looks like an API key or carries one: a Google key, a `key=` parameter, a
/// `Bearer` token, anything Peel's redaction would remove, or a long token with neither a scheme
/// nor a dot (a host name has a dot; `localhost` is short).
pub fn looks_like_key(text: &str) -> bool {
    let text = text.trim();
    let lower = text.to_ascii_lowercase();
    if lower.contains("key=") || lower.starts_with("bearer ") || redact(text) != text {
        return true;
    }
    let google_key = text.match_indices(GOOGLE_KEY_PREFIX).any(|(at, _)| {
        text[at + GOOGLE_KEY_PREFIX.len()..]
            .chars()
            .take_while(|c| is_token_char(*c))
            .count()
            >= GOOGLE_KEY_MIN_TAIL
    });
    let bare_token = !text.contains("://")
        && !text.contains('.')
        && text.chars().count() >= TOKEN_MIN_CHARS
        && text.chars().all(is_token_char);
    google_key || bare_token
}

/// Whether `base` is a URL whose host is this computer (`localhost`, `127.0.0.1`, `[::1]`):
/// such an endpoint is always reached directly, never through a proxy, which would otherwise
/// see the key of a plain `http://` request in clear.
pub fn is_loopback_url(base: &str) -> bool {
    reqwest::Url::parse(base.trim())
        .ok()
        .and_then(|url| url.host_str().map(is_loopback_host))
        .unwrap_or(false)
}

/// Whether `host` (as a URL names it: `[::1]` in brackets) is this computer.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_')
}

/// `text` shortened and with keys removed, for a message.
fn quoted(text: &str) -> String {
    let redacted = redact(text);
    let mut shown: String = redacted.chars().take(QUOTED_MAX_CHARS).collect();
    if redacted.chars().count() > QUOTED_MAX_CHARS {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AIzaSyD-abcdefghijklmnopqrstuvwxyz01234";

    #[test]
    fn plain_addresses_pass_and_lose_their_trailing_slash() {
        for (typed, applied) in [
            (
                "https://generativelanguage.googleapis.com/",
                "https://generativelanguage.googleapis.com",
            ),
            (
                "  https://gateway.example.com:8443/gemini ",
                "https://gateway.example.com:8443/gemini",
            ),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("http://127.3.4.5:9", "http://127.3.4.5:9"),
            ("http://localhost:8080/", "http://localhost:8080"),
            ("http://LOCALHOST", "http://LOCALHOST"),
            ("http://[::1]:8080", "http://[::1]:8080"),
        ] {
            assert_eq!(check_base_url(typed).as_deref(), Ok(applied), "{typed}");
        }
        assert_eq!(check_field("   ").as_deref(), Ok(""));
    }

    #[test]
    fn plain_http_is_only_for_this_computer() {
        for typed in [
            "http://generativelanguage.googleapis.com",
            "http://192.168.1.10:8080",
            "http://128.0.0.1",
            "http://[::2]",
            "http://localhost.example.com",
        ] {
            let error = check_base_url(typed).unwrap_err();
            assert!(matches!(error, EndpointError::PlainHttp { .. }), "{typed}");
            assert!(error.to_string().contains("clear text"), "{error}");
        }
    }

    #[test]
    fn loopback_urls_are_told_from_the_rest() {
        for base in [
            "http://127.0.0.1:8080",
            "http://127.3.4.5:9",
            "http://localhost:8080/gemini",
            "http://LOCALHOST",
            "http://[::1]:8080",
            "https://localhost",
        ] {
            assert!(is_loopback_url(base), "{base}");
        }
        for base in [
            "https://generativelanguage.googleapis.com",
            "http://192.168.1.10:8080",
            "https://localhost.example.com",
            "not a url",
        ] {
            assert!(!is_loopback_url(base), "{base}");
        }
    }

    #[test]
    fn anything_key_shaped_is_refused_without_being_repeated() {
        for typed in [
            KEY.to_owned(),
            format!(" {KEY} "),
            format!("https://gateway.example.com/{KEY}"),
            format!("https://gateway.example.com/?key={KEY}"),
            "https://gateway.example.com/v1?KEY=abc".to_owned(),
            "Bearer ya29.a0AfH6SMBx".to_owned(),
            "sk-proj-abcdefghijklmnopqrstuvwxyz".to_owned(),
            "0123456789abcdef0123456789abcdef".to_owned(),
        ] {
            let error = check_field(&typed).unwrap_err();
            assert_eq!(error, EndpointError::LooksLikeKey, "{typed}");
            assert!(error.to_string().contains("API key field"), "{error}");
            assert!(!error.to_string().contains(&typed), "{error}");
        }
        assert!(!looks_like_key("https://aizawa.example.com"));
        assert!(!looks_like_key("localhost"));
    }

    #[test]
    fn other_mistakes_each_get_their_sentence() {
        let error = check_base_url("not a url").unwrap_err();
        assert!(error.to_string().contains("not a valid URL"), "{error}");
        let error = check_base_url("ftp://files.example.com").unwrap_err();
        assert!(matches!(error, EndpointError::BadScheme { .. }), "{error}");
        assert!(error.to_string().contains("https://"), "{error}");
        assert_eq!(
            check_base_url("https://user:secret@gateway.example.com"),
            Err(EndpointError::Credentials)
        );
        assert_eq!(
            check_base_url("https://gateway.example.com/?alt=sse"),
            Err(EndpointError::QueryOrFragment)
        );
        assert_eq!(
            check_base_url("https://gateway.example.com/#top"),
            Err(EndpointError::QueryOrFragment)
        );
        let long = format!("https://{}", "a".repeat(200));
        let error = check_base_url(&format!("{long} x")).unwrap_err();
        assert!(error.to_string().contains('…'), "{error}");
    }
}
