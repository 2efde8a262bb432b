//! Removes API keys from anything Peel shows, logs or exports: a leaf that `api` (bodies and
//! transport details it keeps) and `diagnosis` (everything it returns) both use.
//!
//! Google API keys look like `AIza` + 35 characters. Keys also leak through `?key=` query
//! parameters, `x-goog-api-key` header echoes, `Bearer` tokens, and `DebugInfo` details such as
//! `Invalid API key: <the key sent>`, which may not look like a Google key at all.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// What a redacted secret is replaced with.
pub const REDACTED: &str = "[REDACTED]";

static PATTERNS: LazyLock<[(Regex, &'static str); 4]> = LazyLock::new(|| {
    let compile = |pattern: &str| match Regex::new(pattern) {
        Ok(regex) => regex,
        Err(error) => panic!("redaction pattern {pattern:?} is invalid: {error}"),
    };
    [
        // A Google API key anywhere (the length check keeps ordinary words like "AIzawa" intact).
        (compile(r"AIza[0-9A-Za-z_\-]{30,}"), REDACTED),
        // `key=…` in URLs and query strings.
        (compile(r"(?i)([?&;]key=)[^&\s'\x22#]+"), "${1}[REDACTED]"),
        // Header echoes and bearer tokens.
        (
            compile(r"(?i)(x-goog-api-key\x22?'?\s*[:=]\s*\x22?'?)[^\s'\x22,}]+"),
            "${1}[REDACTED]",
        ),
        // DebugInfo: "Invalid API key: <anything>" / "API key: <anything>".
        (
            compile(r"(?i)(api[ _-]?key\s*[:=]\s*)[^\s'\x22,}\\]{6,}"),
            "${1}[REDACTED]",
        ),
    ]
});

/// Returns `text` with every API key replaced by `[REDACTED]`.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut current = Cow::Borrowed(text);
    for (regex, replacement) in PATTERNS.iter() {
        if regex.is_match(&current) {
            current = Cow::Owned(regex.replace_all(&current, *replacement).into_owned());
        }
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AIzaSyD-abcdefghijklmnopqrstuvwxyz01234";

    #[test]
    fn google_keys_are_removed_everywhere() {
        let text = format!(
            "POST https://generativelanguage.googleapis.com/v1beta/models/x:generateContent?key={KEY}&alt=sse \
             x-goog-api-key: {KEY} {{\"detail\": \"Invalid API key: {KEY}\"}}"
        );
        let clean = redact(&text);
        assert!(!clean.contains("AIzaSy"), "{clean}");
        assert!(clean.contains("?key=[REDACTED]&alt=sse"), "{clean}");
    }

    #[test]
    fn debug_info_echo_of_a_non_google_key_is_removed() {
        let clean = redact(r#"{"detail": "Invalid API key: sk-not-a-google-key-123456"}"#);
        assert!(!clean.contains("sk-not"), "{clean}");
    }

    #[test]
    fn ordinary_text_is_untouched() {
        let text = "Please pass a valid API key. The model AIzawa is a name.";
        assert_eq!(redact(text), text);
        assert!(matches!(redact(text), Cow::Borrowed(_)));
    }
}
