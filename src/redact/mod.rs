//! Removes API keys and other credentials from anything Peel shows, logs or exports: a leaf that
//! `api` (bodies and transport details it keeps), `diagnosis` (everything it returns) and the log
//! all use.
//!
//! Google API keys look like `AIza` + 35 characters and are removed wherever they stand. Other
//! credentials are removed by where they stand: `?key=` and form fields (`api_key=…&`),
//! `x-goog-api-key` and `Authorization` header echoes, `Bearer` tokens, JSON and Python-style
//! fields named like a credential (`"apiKey": "…"`, `"access_token": "…"`, …), `DebugInfo`
//! details such as `Invalid API key: <the key sent>`, and long opaque values after a
//! credential's name (`token: …`). Google OAuth tokens (`ya29.…`) and `sk-…` keys go anywhere.
//! Ordinary prose is left as it is, byte for byte.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex};

/// What a redacted secret is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// Names of fields that hold a credential (JSON, Python reprs, forms, query strings).
const SECRET_NAMES: &str = r"(?:x-goog-api-key|api[_-]?key|key|(?:access|refresh|id|auth|bearer)[_-]?token|token|client[_-]?secret|secret|password|authorization)";

/// Characters of an opaque token (base64, base64url, JWT, URL-safe).
const TOKEN_CHARS: &str = r"[A-Za-z0-9_\-.~+/=]";

/// How a match is replaced.
enum Replacement {
    /// A fixed replacement (`$1` and the like refer to groups).
    Fixed(&'static str),
    /// Group 1 kept and the value (group 2) redacted only when it looks like a token.
    WhenTokenShaped,
}

static PATTERNS: LazyLock<Vec<(Regex, Replacement)>> = LazyLock::new(|| {
    let compile = |pattern: &str| match Regex::new(pattern) {
        Ok(regex) => regex,
        Err(error) => panic!("redaction pattern {pattern:?} is invalid: {error}"),
    };
    let names = SECRET_NAMES;
    vec![
        // Bearer tokens (Authorization headers and their echoes); "a bearer of gifts" stays.
        (
            compile(&format!(r"(?i)(\bbearer\s+)({TOKEN_CHARS}+)")),
            Replacement::WhenTokenShaped,
        ),
        // A Google API key anywhere (the length check keeps ordinary words like "AIzawa" intact),
        // Google OAuth access tokens, and `sk-` keys.
        (
            compile(r"AIza[0-9A-Za-z_\-]{30,}|ya29\.[0-9A-Za-z_\-.]{20,}|\bsk-[0-9A-Za-z_\-]{20,}"),
            Replacement::Fixed(REDACTED),
        ),
        // JSON fields named like a credential: `"apiKey": "…"` (any string value).
        (
            compile(&format!(r#"(?i)("{names}"\s*:\s*")(?:[^"\\]|\\.)*""#)),
            Replacement::Fixed(r#"${1}[REDACTED]""#),
        ),
        // The same inside a JSON string: `\"apiKey\": \"…\"`.
        (
            compile(&format!(
                r#"(?i)(\\"{names}\\"\s*:\s*\\")(?:[^"\\]|\\[^"])*"#
            )),
            Replacement::Fixed("${1}[REDACTED]"),
        ),
        // Python-style fields: `'api_key': '…'`.
        (
            compile(&format!(r"(?i)('{names}'\s*:\s*')(?:[^'\\]|\\.)*'")),
            Replacement::Fixed("${1}[REDACTED]'"),
        ),
        // Query strings and form bodies: `?key=…`, `&api_key=…`, `key=…` at a line's start (a
        // value already masked, `?key=***`, stays).
        (
            compile(&format!(
                r"(?im)((?:^|[?&;\s]){names}=)[^&\s'\x22#]*[0-9A-Za-z][^&\s'\x22#]*"
            )),
            Replacement::Fixed("${1}[REDACTED]"),
        ),
        // Header echoes: `x-goog-api-key: …`, `Authorization: Basic …`.
        (
            compile(
                r#"(?i)((?:x-goog-api-key|\bauthorization)"?'?\s*[:=]\s*"?'?(?:(?:basic|bearer|digest|token)\s+)?)[^\s'",}]+"#,
            ),
            Replacement::Fixed("${1}[REDACTED]"),
        ),
        // DebugInfo: "Invalid API key: <anything>" / "API key: <anything>".
        (
            compile(r#"(?i)(api[ _-]?key\s*[:=]\s*)[^\s'",}&\\]{6,}"#),
            Replacement::Fixed("${1}[REDACTED]"),
        ),
        // A long opaque value after a credential's name: `token: 3f9a…`, `secret = …`.
        (
            compile(&format!(
                r"(?i)(\b(?:access[ _-]?token|refresh[ _-]?token|token|secret|password)\s*[:=]\s*)({TOKEN_CHARS}+)"
            )),
            Replacement::WhenTokenShaped,
        ),
    ]
});

/// Whether `value` looks like a credential rather than a word: 8 or more token characters with
/// a digit and a letter among them, or 24 or more of any.
fn token_shaped(value: &str) -> bool {
    let has_digit = value.bytes().any(|byte| byte.is_ascii_digit());
    let has_letter = value.bytes().any(|byte| byte.is_ascii_alphabetic());
    (value.len() >= 8 && has_digit && has_letter) || value.len() >= 24
}

/// Returns `text` with every API key and credential replaced by `[REDACTED]`; text without one
/// comes back borrowed, unchanged.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut current = Cow::Borrowed(text);
    for (regex, replacement) in PATTERNS.iter() {
        if !regex.is_match(&current) {
            continue;
        }
        let replaced = match replacement {
            Replacement::Fixed(fixed) => regex.replace_all(&current, *fixed),
            Replacement::WhenTokenShaped => {
                regex.replace_all(&current, |captures: &Captures<'_>| {
                    if token_shaped(&captures[2]) {
                        format!("{}{REDACTED}", &captures[1])
                    } else {
                        captures[0].to_owned()
                    }
                })
            }
        };
        if let Cow::Owned(changed) = replaced
            && changed != *current
        {
            current = Cow::Owned(changed);
        }
    }
    current
}

#[cfg(test)]
mod tests;
