//! The recent warnings and errors, in memory, for the window: a tracing [`Layer`] that keeps the
//! last [`RING_LINES`] of them (redacted) in a [`LogRing`] the app reads each frame without I/O.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use jiff::Timestamp;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

use crate::redact::redact;

/// Lines the ring keeps; older ones are in the log file.
pub const RING_LINES: usize = 200;

/// Characters kept of one line's message (the whole line is in the log file).
pub const LINE_CHARS_MAX: usize = 2_000;

/// How serious a line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Something failed and was not done.
    Error,
    /// Something went wrong and Peel carried on.
    Warning,
}

impl LogLevel {
    /// The word shown before the line.
    pub fn label(self) -> &'static str {
        match self {
            LogLevel::Error => "Error",
            LogLevel::Warning => "Warning",
        }
    }
}

/// One warning or error, redacted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// When it was logged.
    pub at: Timestamp,
    /// How serious it is.
    pub level: LogLevel,
    /// The part of Peel that logged it (`peel::worker::engine`).
    pub target: String,
    /// The message and its fields, keys removed.
    pub message: String,
}

#[derive(Debug, Default)]
struct RingInner {
    lines: Mutex<VecDeque<LogLine>>,
    /// Bumped on every new line, so a reader copies only when something changed.
    generation: AtomicU64,
}

/// The last [`RING_LINES`] warnings and errors; clones share the same lines.
#[derive(Clone, Debug, Default)]
pub struct LogRing {
    inner: Arc<RingInner>,
}

impl LogRing {
    /// Adds a line (the message is redacted and shortened here), dropping the oldest when full.
    pub fn push(&self, level: LogLevel, target: &str, message: &str) {
        let mut message = redact(message).into_owned();
        if let Some((cut, _)) = message.char_indices().nth(LINE_CHARS_MAX) {
            message.truncate(cut);
            message.push('…');
        }
        let line = LogLine {
            at: Timestamp::now(),
            level,
            target: target.to_owned(),
            message,
        };
        let mut lines = self
            .inner
            .lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if lines.len() == RING_LINES {
            lines.pop_front();
        }
        lines.push_back(line);
        self.inner.generation.fetch_add(1, Ordering::Release);
    }

    /// Bumped on every new line.
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// The lines, oldest first, when the ring changed since `seen` (a [`LogRing::generation`]),
    /// with the generation they are of.
    pub fn lines_since(&self, seen: u64) -> Option<(u64, Vec<LogLine>)> {
        if self.generation() == seen {
            return None;
        }
        let lines = self
            .inner
            .lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Some((self.generation(), lines.iter().cloned().collect()))
    }
}

/// The layer that feeds a [`LogRing`] with every warning and error.
#[derive(Clone, Debug)]
pub struct RingLayer {
    ring: LogRing,
}

impl RingLayer {
    /// Feeds `ring`.
    pub fn new(ring: LogRing) -> Self {
        Self { ring }
    }
}

impl<S: Subscriber> Layer<S> for RingLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let metadata = event.metadata();
        let level = match *metadata.level() {
            Level::ERROR => LogLevel::Error,
            Level::WARN => LogLevel::Warning,
            _ => return,
        };
        let mut text = MessageText::default();
        event.record(&mut text);
        self.ring.push(level, metadata.target(), &text.0);
    }
}

/// The message, then ` name=value` for each other field.
#[derive(Default)]
struct MessageText(String);

impl Visit for MessageText {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let fields = std::mem::take(&mut self.0);
            let _ = write!(self.0, "{value:?}{fields}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.insert_str(0, value);
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::layer::SubscriberExt as _;

    use super::*;

    #[test]
    fn warnings_and_errors_are_kept_redacted_and_info_is_not() {
        let ring = LogRing::default();
        let subscriber = tracing_subscriber::registry().with(RingLayer::new(ring.clone()));
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("started");
            tracing::warn!(job = 4, "thumbnail not written");
            tracing::error!("refused: Bearer ya29.a0AfB_byC-opaque-token-1234567890");
        });
        let (generation, lines) = ring.lines_since(0).unwrap();
        assert_eq!(generation, 2);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(lines[0].level, LogLevel::Warning);
        assert_eq!(lines[0].message, "thumbnail not written job=4");
        assert_eq!(lines[1].level, LogLevel::Error);
        assert!(!lines[1].message.contains("ya29"), "{}", lines[1].message);
        assert!(ring.lines_since(generation).is_none());
    }

    #[test]
    fn the_ring_keeps_only_the_newest_lines() {
        let ring = LogRing::default();
        for n in 0..RING_LINES + 5 {
            ring.push(LogLevel::Warning, "peel", &format!("line {n}"));
        }
        let (_, lines) = ring.lines_since(0).unwrap();
        assert_eq!(lines.len(), RING_LINES);
        assert_eq!(lines[0].message, "line 5");
        assert_eq!(
            lines.last().unwrap().message,
            format!("line {}", RING_LINES + 4)
        );
    }
}
