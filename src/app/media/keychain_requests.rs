//! The media service's answers to the API key's requests: reading, storing and forgetting the key
//! in the system keychain. The keychain itself is [`crate::app::keychain`], whose calls block (a
//! D-Bus round trip that may wait for an unlock prompt), so they run on tokio's blocking pool;
//! each request gets exactly one [`KeychainEvent`] back, with a designer-facing sentence on
//! failure.

use super::{KeychainEvent, KeychainRequest, off_thread};
use crate::app::keychain::{self as system_keychain, KeychainError};

/// Runs one keychain request off the runtime's worker threads and returns its answer.
pub(super) async fn answer(request: KeychainRequest) -> KeychainEvent {
    match request {
        KeychainRequest::Load => KeychainEvent::Loaded(sentence(
            off_thread("reading the keychain", system_keychain::load).await,
        )),
        KeychainRequest::Store(key) => KeychainEvent::Stored(sentence(
            off_thread("storing the key", move || system_keychain::store(&key)).await,
        )),
        KeychainRequest::Forget => KeychainEvent::Forgotten(sentence(
            off_thread("forgetting the key", system_keychain::forget).await,
        )),
    }
}

/// One `Result` with the sentence for either failure: the blocking call's own, or a crash.
fn sentence<T>(result: Result<Result<T, KeychainError>, String>) -> Result<T, String> {
    result.and_then(|answer| answer.map_err(|e| e.to_string()))
}

#[cfg(test)]
#[expect(
    clippy::disallowed_methods,
    reason = "#[tokio::test] drives each test with block_on; a test is not the UI thread"
)]
mod tests {
    use super::super::test_support::{ask, service};
    use super::super::{MediaEvent, MediaRequest};
    use super::*;

    #[tokio::test(flavor = "multi_thread")]
    async fn the_keychain_answers_each_request() {
        // The library's unit tests keep the key in memory (never in the system keychain), which
        // other tests may use meanwhile: each request gets its answer, without a failure.
        let (mut media, _) = service();
        assert!(matches!(
            ask(&mut media, MediaRequest::Keychain(KeychainRequest::Load)).await,
            MediaEvent::Keychain(KeychainEvent::Loaded(Ok(_)))
        ));
        assert!(matches!(
            ask(&mut media, MediaRequest::Keychain(KeychainRequest::Forget)).await,
            MediaEvent::Keychain(KeychainEvent::Forgotten(Ok(())))
        ));
    }
}
