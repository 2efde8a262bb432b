//! What a panic says, and where: Rust's default hook prints the panic's message raw on stderr,
//! and a message can carry anything the code had in hand (a URL, a response, a key). Peel's hook
//! redacts the message ([`crate::redact`]) and then logs it as an error through `tracing` (so it
//! reaches the log file) and prints it on stderr in place of the default message. Both the
//! window ([`crate::app::run`]) and every command ([`crate::cli::main`]) install it.

use std::fmt::Write as _;
use std::io::Write as _;
use std::panic::Location;
use std::sync::Once;

/// Installs the redacting panic hook for the whole process (once; later calls do nothing).
pub fn install() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let thread = std::thread::current();
            let mut text = describe(info.payload_as_str(), thread.name(), info.location());
            let backtrace = std::backtrace::Backtrace::capture();
            if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
                let _ = write!(text, "\nstack backtrace:\n{backtrace}");
            }
            let text = crate::redact::redact(&text).into_owned();
            tracing::error!(target: "peel::panic", "{text}");
            let _ = writeln!(std::io::stderr(), "{text}");
        }));
    });
}

/// The sentence for a panic, its message redacted: `payload` is the panic's message (`None`
/// when it was not text), `thread` the panicking thread's name, `location` where it panicked.
pub fn describe(
    payload: Option<&str>,
    thread: Option<&str>,
    location: Option<&Location<'_>>,
) -> String {
    let message = payload.map_or_else(
        || "(a panic without a message)".into(),
        crate::redact::redact,
    );
    let thread = thread.unwrap_or("<unnamed>");
    match location {
        Some(location) => format!(
            "peel panicked in thread '{thread}' at {}:{}:{}: {message}",
            location.file(),
            location.line(),
            location.column()
        ),
        None => format!("peel panicked in thread '{thread}': {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_in_a_panic_message_is_redacted() {
        let key = "AIzaSyFakeKeyForPanicTests0123456789abc";
        assert_eq!(key.len(), 39);
        let message = format!("request to https://example.test/v1/models?key={key} failed: {key}");
        let here = Location::caller();
        let text = describe(Some(&message), Some("peel-worker"), Some(here));
        assert!(!text.contains(key), "{text}");
        assert!(!text.contains("0123456789"), "{text}");
        assert!(text.contains("[REDACTED]"), "{text}");
        assert!(text.contains("peel-worker"), "{text}");
        assert!(
            text.contains(&format!("{}:{}", here.file(), here.line())),
            "{text}"
        );
        // A message without a secret is kept as it is.
        assert_eq!(
            describe(Some("index out of bounds"), None, None),
            "peel panicked in thread '<unnamed>': index out of bounds"
        );
        assert!(describe(None, Some("main"), None).contains("without a message"));
    }
}
