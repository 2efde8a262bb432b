//! What the window shows of the log: the recent warnings and errors (already redacted, copied from
//! the in-memory ring by the app, never read from disk) and where the full log file is.

use std::path::PathBuf;

pub use crate::logging::{LogLevel, LogLine};

/// The recent warnings and errors, oldest first, and the log folder.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogView {
    /// The lines, oldest first (the ring's last lines).
    pub lines: Vec<LogLine>,
    /// The ring's generation these lines are of (the app copies only when it changed).
    pub generation: u64,
    /// The folder of the full log files, when Peel writes one.
    pub folder: Option<PathBuf>,
    /// Lines the designer has seen (the status line hides until a newer one arrives).
    pub seen: u64,
}

impl LogView {
    /// Takes the ring's lines as of `generation`.
    pub fn update(&mut self, generation: u64, lines: Vec<LogLine>) {
        self.generation = generation;
        self.lines = lines;
    }

    /// The newest line not yet dismissed, for the status line.
    pub fn unseen_latest(&self) -> Option<&LogLine> {
        (self.generation > self.seen)
            .then(|| self.lines.last())
            .flatten()
    }

    /// How many lines arrived since the designer last looked.
    pub fn unseen_count(&self) -> u64 {
        self.generation.saturating_sub(self.seen)
    }

    /// Marks every line as seen.
    pub fn mark_seen(&mut self) {
        self.seen = self.generation;
    }

    /// The lines, newest first.
    pub fn newest_first(&self) -> impl Iterator<Item = &LogLine> {
        self.lines.iter().rev()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(message: &str) -> LogLine {
        LogLine {
            at: jiff::Timestamp::UNIX_EPOCH,
            level: LogLevel::Warning,
            target: "peel".to_owned(),
            message: message.to_owned(),
        }
    }

    #[test]
    fn the_status_line_shows_the_newest_unseen_line_until_seen() {
        let mut view = LogView::default();
        assert!(view.unseen_latest().is_none());
        view.update(2, vec![line("first"), line("second")]);
        assert_eq!(view.unseen_latest().unwrap().message, "second");
        assert_eq!(view.unseen_count(), 2);
        view.mark_seen();
        assert!(view.unseen_latest().is_none());
        view.update(3, vec![line("first"), line("second"), line("third")]);
        assert_eq!(view.unseen_latest().unwrap().message, "third");
        assert_eq!(view.unseen_count(), 1);
        assert_eq!(view.newest_first().next().unwrap().message, "third");
    }
}
