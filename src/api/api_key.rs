//! [`ApiKey`]: the API key, held in a [`SecretString`] that is wiped when dropped and never
//! printed.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// An API key, held in a [`SecretString`] (wiped from memory when the last copy is dropped). Its
/// `Debug` never shows it and it has no `Display`, so no `{:?}` of a struct that holds one (the
/// client settings, the engine's settings, a keychain request) can print it. The key itself
/// comes out only through [`ExposeSecret::expose_secret`], where the `x-goog-api-key` header is
/// built and where the keychain stores it.
#[derive(Clone)]
pub struct ApiKey(SecretString);

impl ApiKey {
    /// Wraps a key, trimming whitespace a paste may add. `None` when empty.
    pub fn new(key: impl Into<String>) -> Option<Self> {
        let raw = SecretString::from(key.into());
        let trimmed = raw.expose_secret().trim();
        (!trimmed.is_empty()).then(|| Self(SecretString::from(trimmed)))
    }

    /// "AIza…1234"-style hint for display.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.expose_secret().chars().collect();
        if chars.len() <= 8 {
            return "••••".to_owned();
        }
        let head: String = chars[..4].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}…{tail}")
    }
}

impl ExposeSecret<str> for ApiKey {
    /// The key itself: for the `x-goog-api-key` header and the keychain only.
    fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl PartialEq for ApiKey {
    fn eq(&self, other: &Self) -> bool {
        self.expose_secret() == other.expose_secret()
    }
}

impl Eq for ApiKey {}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([REDACTED])")
    }
}
