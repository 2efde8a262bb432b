//! The Gemini API key in the operating system's keychain (Secret Service on Linux, Keychain on
//! macOS, Credential Manager on Windows), through the `keyring` crate.
//!
//! Every function here is a blocking call (on Linux a D-Bus round trip that may wait for an unlock
//! prompt), so callers run them off the UI thread: the UI sends a
//! [`KeychainRequest`](super::media::KeychainRequest) to the media service, which calls them inside
//! `tokio::task::spawn_blocking` (its `keychain_requests`) and answers with a
//! [`KeychainEvent`](super::media::KeychainEvent). No message made here ever contains the key.
//!
//! Tests never reach the system keychain: [`use_memory`] switches the process to a keychain in
//! memory (the window test rigs call it before they build the app), and the library's own unit
//! tests always use that one. [`backend`] says which one is in use.

use std::sync::{Mutex, OnceLock, PoisonError};

use secrecy::ExposeSecret as _;

use crate::api::ApiKey;

/// The keychain service name Peel stores its key under.
pub const SERVICE: &str = "peel";

/// The keychain user (account) name Peel stores its key under.
pub const USER: &str = "gemini-api-key";

/// Why the keychain could not be used. The messages are sentences for the designer and never
/// contain the key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeychainError {
    /// There is no keychain to talk to (no Secret Service daemon, no D-Bus session).
    #[error(
        "No system keychain is available ({0}). Peel keeps the key for this session only; set \
         GEMINI_API_KEY to use it every time."
    )]
    Unavailable(String),
    /// The keychain is there but refused the request (locked, prompt dismissed, bad entry).
    #[error(
        "The system keychain refused the key ({0}). Unlock the keychain (or allow Peel when it \
         asks) and try again; until then Peel keeps the key for this session only, or set \
         GEMINI_API_KEY."
    )]
    Failed(String),
}

/// Where the key is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The operating system's keychain (the product).
    System,
    /// A keychain in this process's memory, gone when it ends (tests).
    Memory,
}

/// The keychain in memory, once [`use_memory`] was called.
static MEMORY: OnceLock<Mutex<Option<ApiKey>>> = OnceLock::new();

/// From now on this process keeps the key in memory only and never talks to the system
/// keychain. For tests (and demos): the window test rigs call it before building the app.
pub fn use_memory() {
    memory_keychain();
}

/// Which keychain this process uses.
pub fn backend() -> Backend {
    if memory().is_some() {
        Backend::Memory
    } else {
        Backend::System
    }
}

/// The keychain in memory, created if needed.
fn memory_keychain() -> &'static Mutex<Option<ApiKey>> {
    MEMORY.get_or_init(|| Mutex::new(None))
}

/// The keychain in memory when it is in use: after [`use_memory`], and always in the library's
/// unit tests.
fn memory() -> Option<&'static Mutex<Option<ApiKey>>> {
    if cfg!(test) {
        Some(memory_keychain())
    } else {
        MEMORY.get()
    }
}

/// Reads the stored key. `Ok(None)` when nothing (or only whitespace) is stored.
///
/// Blocking: call it off the UI thread.
pub fn load() -> Result<Option<ApiKey>, KeychainError> {
    if let Some(memory) = memory() {
        return Ok(memory
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone());
    }
    let entry = entry()?;
    match entry.get_password() {
        Ok(secret) => Ok(ApiKey::new(secret)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(error) => Err(classify(&error, None)),
    }
}

/// Stores `key`, replacing any key stored before.
///
/// Blocking: call it off the UI thread.
pub fn store(key: &ApiKey) -> Result<(), KeychainError> {
    if let Some(memory) = memory() {
        *memory.lock().unwrap_or_else(PoisonError::into_inner) = Some(key.clone());
        return Ok(());
    }
    let entry = entry()?;
    entry
        .set_password(key.expose_secret())
        .map_err(|error| classify(&error, Some(key)))
}

/// Removes the stored key. Nothing stored is fine.
///
/// Blocking: call it off the UI thread.
pub fn forget() -> Result<(), KeychainError> {
    if let Some(memory) = memory() {
        *memory.lock().unwrap_or_else(PoisonError::into_inner) = None;
        return Ok(());
    }
    let entry = entry()?;
    match entry.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(error) => Err(classify(&error, None)),
    }
}

/// Peel's keychain entry.
fn entry() -> Result<keyring::Entry, KeychainError> {
    keyring::Entry::new(SERVICE, USER).map_err(|error| classify(&error, None))
}

/// Turns a keyring error into a designer-facing error. `key`, when given, is scrubbed from the
/// detail (platform errors are opaque, so this is a belt-and-braces guard).
fn classify(error: &keyring::Error, key: Option<&ApiKey>) -> KeychainError {
    let detail = match error {
        // The variant's own text is generic; say what it means for the designer.
        keyring::Error::BadEncoding(_) => "the stored key is not text".to_owned(),
        // The variant's text lists the matching credentials; the count is enough.
        keyring::Error::Ambiguous(items) => {
            format!("{} keys are stored under the same name", items.len())
        }
        // The platform's own words, without keyring's "Platform secure storage failure:" prefix.
        keyring::Error::PlatformFailure(inner) | keyring::Error::NoStorageAccess(inner) => {
            inner.to_string()
        }
        other => other.to_string(),
    };
    let detail = scrub(detail, key);
    match error {
        keyring::Error::PlatformFailure(_) => KeychainError::Unavailable(detail),
        _ => KeychainError::Failed(detail),
    }
}

/// Replaces the key in `text`, should a platform error ever echo it.
fn scrub(text: String, key: Option<&ApiKey>) -> String {
    match key {
        Some(key) if text.contains(key.expose_secret()) => {
            text.replace(key.expose_secret(), "[key]")
        }
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_tests_keep_the_key_in_memory_never_in_the_system_keychain() {
        assert_eq!(backend(), Backend::Memory);
        let key = ApiKey::new("AIzaSyExample0123456789abcdefghijklmno").unwrap();
        store(&key).unwrap();
        assert_eq!(load().unwrap(), Some(key));
        forget().unwrap();
        assert_eq!(load().unwrap(), None);
    }

    #[test]
    fn a_platform_failure_means_unavailable_and_everything_else_means_refused() {
        let unavailable = classify(
            &keyring::Error::PlatformFailure("no D-Bus session".into()),
            None,
        );
        assert!(matches!(unavailable, KeychainError::Unavailable(_)));
        let text = unavailable.to_string();
        assert!(text.contains("no D-Bus session"), "{text}");
        assert!(text.contains("GEMINI_API_KEY"), "{text}");

        let locked = classify(&keyring::Error::NoStorageAccess("locked".into()), None);
        assert!(matches!(locked, KeychainError::Failed(_)));
        assert!(
            locked.to_string().contains("Unlock the keychain"),
            "{locked}"
        );

        let garbled = classify(&keyring::Error::BadEncoding(vec![0xff, 0xfe]), None);
        assert_eq!(
            garbled,
            KeychainError::Failed("the stored key is not text".to_owned())
        );
    }

    #[test]
    fn the_key_never_appears_in_a_message() {
        let key = ApiKey::new("AIzaSyExample0123456789abcdefghijklmno").unwrap();
        let echoing = keyring::Error::PlatformFailure(
            format!("could not store secret {}", key.expose_secret()).into(),
        );
        let error = classify(&echoing, Some(&key));
        let text = error.to_string();
        assert!(!text.contains(key.expose_secret()), "{text}");
        assert!(text.contains("[key]"), "{text}");
        assert!(!format!("{error:?}").contains(key.expose_secret()));
    }
}
