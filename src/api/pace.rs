//! The pace an answer's body must keep once its headers arrived: no pause longer than the idle
//! limit, and at least a floor of bytes in every window that has any. A server (or proxy) that
//! stops ends the attempt at the idle limit, one that drips a byte a second at the end of a
//! window, instead of holding it for minutes; a real answer on any usable connection is far above
//! the floor and is never cut. Over all of it, an attempt has a ceiling counted from when the
//! request was sent ([`PaceLimits::ceiling`]): a server that drips just above the floor cannot
//! hold one attempt for hours.
//!
//! Pure bookkeeping on instants the caller passes in: [`Pace::deadline`] says when to look again
//! if no data comes, [`Pace::check`] says whether the body is still acceptable.

use std::time::Duration;

use tokio::time::Instant;

/// The limits a body's pace is held to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaceLimits {
    /// Longest pause between two pieces of the body.
    pub idle: Duration,
    /// The window the floor is counted over.
    pub window: Duration,
    /// Fewest bytes that must arrive in each window (0, or a zero window: no floor).
    pub min_bytes_per_window: usize,
    /// Longest a whole attempt may take, from sending the request to the body's last byte
    /// (zero: no ceiling).
    pub ceiling: Duration,
}

/// Why a body was given up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TooSlow {
    /// Nothing arrived for `pause`.
    Stalled {
        /// How long nothing arrived.
        pause: Duration,
        /// Bytes of the body received before.
        received_bytes: usize,
    },
    /// Data kept arriving, but fewer than the floor in a window.
    Trickle {
        /// Bytes that arrived in the window.
        window_bytes: usize,
        /// The window.
        window: Duration,
        /// Bytes of the body received in all.
        received_bytes: usize,
    },
    /// The body kept its pace, but the whole attempt went past the ceiling.
    TooLong {
        /// The ceiling it went past.
        ceiling: Duration,
        /// Bytes of the body received in all.
        received_bytes: usize,
    },
}

/// A body's pace so far.
#[derive(Clone, Copy, Debug)]
pub struct Pace {
    limits: PaceLimits,
    sent_at: Instant,
    last_data: Instant,
    window_start: Instant,
    bytes_at_window_start: usize,
}

impl Pace {
    /// Starts counting at `now` (when the headers arrived), with nothing received; the ceiling
    /// counts from `sent_at` (when the request was sent).
    pub fn new(limits: PaceLimits, sent_at: Instant, now: Instant) -> Self {
        Self {
            limits,
            sent_at,
            last_data: now,
            window_start: now,
            bytes_at_window_start: 0,
        }
    }

    /// When to look again if no data comes: the idle limit, the window's end or the ceiling,
    /// whichever is first.
    pub fn deadline(&self) -> Instant {
        let mut deadline = self.last_data + self.limits.idle;
        if !self.limits.window.is_zero() {
            deadline = deadline.min(self.window_start + self.limits.window);
        }
        if !self.limits.ceiling.is_zero() {
            deadline = deadline.min(self.sent_at + self.limits.ceiling);
        }
        deadline
    }

    /// Whether the body may go on at `now` with `received_bytes` in all; `arrived` when data just
    /// came. A window that ended with enough data starts the next one.
    pub fn check(
        &mut self,
        now: Instant,
        received_bytes: usize,
        arrived: bool,
    ) -> Result<(), TooSlow> {
        if arrived {
            self.last_data = now;
        }
        if !self.limits.ceiling.is_zero() && now >= self.sent_at + self.limits.ceiling {
            return Err(TooSlow::TooLong {
                ceiling: self.limits.ceiling,
                received_bytes,
            });
        }
        let pause = now.saturating_duration_since(self.last_data);
        if pause >= self.limits.idle {
            return Err(TooSlow::Stalled {
                pause,
                received_bytes,
            });
        }
        if self.limits.window.is_zero() || now < self.window_start + self.limits.window {
            return Ok(());
        }
        let window_bytes = received_bytes.saturating_sub(self.bytes_at_window_start);
        // A window with nothing in it is a pause, not a trickle: the idle limit (above) judges
        // it, so a proxy that sends the headers early and the answer 25 s later is not cut.
        if window_bytes > 0 && window_bytes < self.limits.min_bytes_per_window {
            return Err(TooSlow::Trickle {
                window_bytes,
                window: now.saturating_duration_since(self.window_start),
                received_bytes,
            });
        }
        self.window_start = now;
        self.bytes_at_window_start = received_bytes;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: PaceLimits = PaceLimits {
        idle: Duration::from_secs(30),
        window: Duration::from_secs(20),
        min_bytes_per_window: 16 * 1024,
        ceiling: Duration::from_mins(15),
    };

    fn at(start: Instant, s: u64) -> Instant {
        start + Duration::from_secs(s)
    }

    #[test]
    fn a_byte_a_second_ends_at_the_first_window() {
        let start = Instant::now();
        let mut pace = Pace::new(LIMITS, start, start);
        for s in 1..20 {
            let bytes = usize::try_from(s).unwrap();
            assert_eq!(pace.check(at(start, s), bytes, true), Ok(()), "{s} s");
            assert_eq!(pace.deadline(), at(start, 20));
        }
        assert_eq!(
            pace.check(at(start, 20), 20, true),
            Err(TooSlow::Trickle {
                window_bytes: 20,
                window: Duration::from_secs(20),
                received_bytes: 20
            })
        );
    }

    #[test]
    fn a_steady_large_answer_is_never_cut() {
        let start = Instant::now();
        let mut pace = Pace::new(LIMITS, start, start);
        // 55 MB at 500 KB/s: 110 s, in chunks every second.
        let mut received = 0;
        for s in 1..=110 {
            received += 500 * 1024;
            assert_eq!(pace.check(at(start, s), received, true), Ok(()), "{s} s");
        }
    }

    /// A server that drips just above the floor (17 KiB every 20 s) keeps the pace, but the
    /// attempt ends at the ceiling, counted from sending (here 150 s of thinking first).
    #[test]
    fn a_drip_above_the_floor_ends_at_the_ceiling() {
        let sent = Instant::now();
        let headers = at(sent, 150);
        let mut pace = Pace::new(LIMITS, sent, headers);
        let mut received = 0;
        let mut s = 150;
        while s + 20 < 15 * 60 {
            s += 20;
            received += 17 * 1024;
            assert_eq!(pace.check(at(sent, s), received, true), Ok(()), "{s} s");
        }
        // The ceiling is the next deadline, before the window's end.
        assert_eq!(pace.deadline(), at(sent, 15 * 60));
        assert_eq!(
            pace.check(at(sent, 15 * 60), received, false),
            Err(TooSlow::TooLong {
                ceiling: Duration::from_mins(15),
                received_bytes: received
            })
        );

        // A 30 MB answer at 40 KiB/s after 150 s of thinking (about 15 minutes in all) fits.
        let mut slow = Pace::new(LIMITS, sent, headers);
        let mut received = 0;
        for s in 151..=150 + 740 {
            received += 40 * 1024;
            assert_eq!(slow.check(at(sent, s), received, true), Ok(()), "{s} s");
        }
        assert!(received >= 30_000_000);

        // No ceiling: only the pace counts.
        let mut endless = Pace::new(
            PaceLimits {
                ceiling: Duration::ZERO,
                ..LIMITS
            },
            sent,
            headers,
        );
        assert_eq!(endless.check(at(sent, 100_000), 1 << 30, true), Ok(()));
    }

    #[test]
    fn silence_is_a_stall_at_the_idle_limit() {
        let start = Instant::now();
        let mut pace = Pace::new(LIMITS, start, start);
        assert_eq!(pace.check(at(start, 1), 40_000, true), Ok(()));
        // The window ends with data in it: the next one starts, nothing arrives in it.
        assert_eq!(pace.check(at(start, 20), 40_000, false), Ok(()));
        assert_eq!(pace.deadline(), at(start, 31));
        assert_eq!(
            pace.check(at(start, 31), 40_000, false),
            Err(TooSlow::Stalled {
                pause: Duration::from_secs(30),
                received_bytes: 40_000
            })
        );
        // Nothing at all since the headers: the idle limit decides, not the window.
        let mut quiet = Pace::new(LIMITS, start, start);
        assert_eq!(quiet.check(at(start, 20), 0, false), Ok(()));
        assert_eq!(quiet.deadline(), at(start, 30));
        assert_eq!(quiet.check(at(start, 25), 9_000_000, true), Ok(()));
        let mut silent = Pace::new(LIMITS, start, start);
        assert_eq!(silent.check(at(start, 20), 0, false), Ok(()));
        assert!(matches!(
            silent.check(at(start, 30), 0, false),
            Err(TooSlow::Stalled { .. })
        ));
    }

    #[test]
    fn a_zero_window_counts_only_pauses() {
        let start = Instant::now();
        let mut pace = Pace::new(
            PaceLimits {
                window: Duration::ZERO,
                ..LIMITS
            },
            start,
            start,
        );
        assert_eq!(pace.deadline(), at(start, 30));
        assert_eq!(pace.check(at(start, 29), 1, true), Ok(()));
        assert!(matches!(
            pace.check(at(start, 59), 1, false),
            Err(TooSlow::Stalled { .. })
        ));
    }

    #[test]
    fn no_floor_means_only_silence_ends_a_body() {
        let start = Instant::now();
        let mut pace = Pace::new(
            PaceLimits {
                min_bytes_per_window: 0,
                ..LIMITS
            },
            start,
            start,
        );
        for s in 1..100 {
            let bytes = usize::try_from(s).unwrap();
            assert_eq!(pace.check(at(start, s), bytes, true), Ok(()), "{s} s");
        }
    }
}
