//! Client-side rate limits per model, so Peel itself never causes a 429: requests per minute,
//! images per minute and requests per day from the user's tier. A 429 from the server tightens the
//! model further: no request until its window has passed.
//!
//! The minute limit is a sliding window, as Google (and the simulator) count it: at most `N`
//! requests in **any** 60 seconds, plus [`SEND_MARGIN_S`] so that a request that took longer to
//! reach the server than the one sent a minute after it still lands outside the server's window.
//! (A GCRA bucket with a burst of `N`, which Peel used before, lets `2N − 1` through in one
//! minute: the burst, then one every `60/N` seconds.) The day limit counts requests on the Pacific
//! calendar day ([`crate::diagnosis::reset::quota_day`]), when Google's daily quota resets, and
//! waits until the next midnight Pacific once it is used up.
//!
//! Time is passed in (seconds since the engine started, and the wall clock for the calendar
//! day), so this stays pure and testable. A server whose clock is scaled (the simulator run with
//! `--time-scale`) counts its minutes in its own seconds: [`ModelLimiter::with_time_scale`].
//!
//! A new limiter (Peel restarted, or the tier changed) is told what was already sent, as wall
//! times ([`ModelLimiter::seed_sent`]): today's sends count toward the day, the last minute's
//! toward the minute, so a restart never lets through what the server would refuse.

use std::collections::VecDeque;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::diagnosis::reset::{QuotaDay, quota_day};

/// The server's rate window, in (server) seconds.
pub const MINUTE_WINDOW_S: f64 = 60.0;

/// Extra (server) seconds a request's minute slot is kept, for the difference in how long two
/// requests take to reach the server.
pub const SEND_MARGIN_S: f64 = 2.0;

/// The user's tier limits for one model; 0 means "no limit known".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierLimits {
    /// Requests per minute.
    pub requests_per_minute: u32,
    /// Images per minute.
    pub images_per_minute: u32,
    /// Requests per day.
    pub requests_per_day: u32,
}

impl Default for TierLimits {
    /// Paid tier 1 magnitudes for image models (Google shows exact numbers per project in AI Studio).
    fn default() -> Self {
        Self {
            requests_per_minute: 20,
            images_per_minute: 20,
            requests_per_day: 250,
        }
    }
}

/// One model's limiter.
#[derive(Debug)]
pub struct ModelLimiter {
    /// Requests allowed in any minute window (0: no limit).
    per_minute: u32,
    /// Requests allowed per Pacific calendar day (0: no limit).
    per_day: u32,
    /// When the requests of the last minute window went, in server seconds, oldest first.
    sent_s: VecDeque<f64>,
    /// The calendar day `day_count` counts, once a request was counted.
    day: Option<QuotaDay>,
    /// Requests sent on `day`.
    day_count: u32,
    /// No request before this (real seconds): a 429's window.
    blocked_until_s: f64,
    /// Real seconds per server second (1.0 for Google).
    time_scale: f64,
}

/// Why a request must wait.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Throttled {
    /// Seconds until it may go.
    pub wait_s: f64,
    /// Which limit holds it back.
    pub limit: &'static str,
}

impl ModelLimiter {
    /// A limiter for these limits. Each request makes one image, so the per-minute limiter uses the
    /// tighter of requests and images per minute.
    pub fn new(limits: TierLimits) -> Self {
        let per_minute = match (limits.requests_per_minute, limits.images_per_minute) {
            (0, images) => images,
            (requests, 0) => requests,
            (requests, images) => requests.min(images),
        };
        Self {
            per_minute,
            per_day: limits.requests_per_day,
            sent_s: VecDeque::new(),
            day: None,
            day_count: 0,
            blocked_until_s: 0.0,
            time_scale: 1.0,
        }
    }

    /// The same limiter against a server whose clock runs scaled: `time_scale` real seconds per
    /// server second (the simulator's `--time-scale`), so its minute is counted as the server
    /// counts it. Waits are still given in real seconds.
    #[must_use]
    pub fn with_time_scale(mut self, time_scale: f64) -> Self {
        if time_scale.is_finite() && time_scale > 0.0 {
            self.time_scale = time_scale;
        }
        self
    }

    /// Takes a permit for one request at `now_s` (real seconds since the engine started; `wall`
    /// is the same moment on the wall clock), or says how long to wait. Nothing is counted when
    /// the request may not go.
    pub fn acquire(&mut self, now_s: f64, wall: Timestamp) -> Result<(), Throttled> {
        if self.blocked_until_s > now_s {
            return Err(Throttled {
                wait_s: self.blocked_until_s - now_s,
                limit: "the server's 429 window",
            });
        }
        let server_now_s = now_s / self.time_scale;
        let window_s = MINUTE_WINDOW_S + SEND_MARGIN_S;
        while self
            .sent_s
            .front()
            .is_some_and(|sent_s| server_now_s - sent_s >= window_s)
        {
            self.sent_s.pop_front();
        }
        if self.per_minute > 0 && self.sent_s.len() >= self.per_minute as usize {
            let oldest_s = self.sent_s.front().copied().unwrap_or(server_now_s);
            return Err(Throttled {
                wait_s: (oldest_s + window_s - server_now_s).max(0.0) * self.time_scale,
                limit: "requests per minute",
            });
        }
        let today = quota_day(wall);
        if self.day.map(|day| day.date) != today.map(|day| day.date) {
            self.day = today;
            self.day_count = 0;
        }
        if self.per_day > 0 && self.day_count >= self.per_day {
            let wait_s = self.day.map_or(3600.0, |day| {
                day.end.duration_since(wall).as_secs_f64().max(1.0)
            });
            return Err(Throttled {
                wait_s,
                limit: "requests per day",
            });
        }
        if self.per_minute > 0 {
            self.sent_s.push_back(server_now_s);
        }
        self.day_count = self.day_count.saturating_add(1);
        Ok(())
    }

    /// Counts requests already sent at the wall times `sent_at` (an earlier session's, or before
    /// a tier change), as seen at `now_s` (real seconds since the engine started) and `wall` (the
    /// same moment on the wall clock): those on `wall`'s Pacific calendar day count toward the day
    /// limit, and those within the last minute window (as the server counts it, so scaled by the
    /// time scale) hold their minute slots. Sends the wall clock puts in the future count as sent
    /// now. They add to what the limiter counted already, so give each send once; call it after
    /// [`ModelLimiter::with_time_scale`].
    pub fn seed_sent(
        &mut self,
        sent_at: impl IntoIterator<Item = Timestamp>,
        now_s: f64,
        wall: Timestamp,
    ) {
        let today = quota_day(wall);
        if self.day.map(|day| day.date) != today.map(|day| day.date) {
            self.day = today;
            self.day_count = 0;
        }
        let server_now_s = now_s / self.time_scale;
        let window_s = MINUTE_WINDOW_S + SEND_MARGIN_S;
        for sent in sent_at {
            if today.is_some_and(|day| day.contains(sent) || (sent >= day.end)) {
                self.day_count = self.day_count.saturating_add(1);
            }
            let server_ago_s = wall.duration_since(sent).as_secs_f64().max(0.0) / self.time_scale;
            if self.per_minute > 0 && server_ago_s < window_s {
                self.sent_s.push_back(server_now_s - server_ago_s);
            }
        }
        self.sent_s.make_contiguous().sort_by(f64::total_cmp);
    }

    /// A 429 arrived: send nothing to this model until `until_s` (real seconds).
    pub fn tighten_until(&mut self, until_s: f64) {
        self.blocked_until_s = self.blocked_until_s.max(until_s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 15:00 Pacific on an ordinary day (PST).
    const AFTERNOON: &str = "2026-11-27T23:00:00Z";

    fn wall(at: &str) -> Timestamp {
        at.parse().unwrap()
    }

    fn afternoon_plus(seconds: f64) -> Timestamp {
        wall(AFTERNOON) + jiff::SignedDuration::from_secs_f64(seconds)
    }

    fn tier(requests_per_minute: u32, requests_per_day: u32) -> TierLimits {
        TierLimits {
            requests_per_minute,
            images_per_minute: 0,
            requests_per_day,
        }
    }

    #[test]
    fn requests_per_minute_are_spaced() {
        let mut limiter = ModelLimiter::new(TierLimits {
            requests_per_minute: 2,
            images_per_minute: 10,
            requests_per_day: 100,
        });
        assert!(limiter.acquire(0.0, afternoon_plus(0.0)).is_ok());
        assert!(
            limiter.acquire(0.0, afternoon_plus(0.0)).is_ok(),
            "a burst of two"
        );
        let throttled = limiter.acquire(1.0, afternoon_plus(1.0)).unwrap_err();
        assert_eq!(throttled.limit, "requests per minute");
        assert!((throttled.wait_s - 61.0).abs() < 0.01, "{throttled:?}");
        assert!(limiter.acquire(30.0, afternoon_plus(30.0)).is_err());
        assert!(limiter.acquire(62.0, afternoon_plus(62.0)).is_ok());
    }

    #[test]
    fn no_minute_window_ever_holds_more_than_the_tier() {
        // Ask every tenth of a second for ten minutes; count what went in every 60 s window.
        let mut limiter = ModelLimiter::new(tier(10, 0));
        let mut sent = Vec::new();
        for tenth in 0..6000_u32 {
            let now_s = f64::from(tenth) / 10.0;
            if limiter.acquire(now_s, afternoon_plus(now_s)).is_ok() {
                sent.push(now_s);
            }
        }
        for (i, start) in sent.iter().enumerate() {
            let in_window = sent[i..].iter().take_while(|t| *t - start < 60.0).count();
            assert!(in_window <= 10, "{in_window} requests from {start} s");
        }
        // And the tier is used: ten per window of 62 s, about 96 in ten minutes.
        assert!(sent.len() >= 90, "{}", sent.len());
    }

    #[test]
    fn a_scaled_server_clock_scales_the_minute() {
        // The simulator at --time-scale 0.01: a server minute is 0.6 real seconds.
        let mut limiter = ModelLimiter::new(tier(2, 0)).with_time_scale(0.01);
        assert!(limiter.acquire(0.0, afternoon_plus(0.0)).is_ok());
        assert!(limiter.acquire(0.1, afternoon_plus(0.1)).is_ok());
        let throttled = limiter.acquire(0.2, afternoon_plus(0.2)).unwrap_err();
        assert!((throttled.wait_s - 0.42).abs() < 1e-6, "{throttled:?}");
        assert!(limiter.acquire(0.62, afternoon_plus(0.62)).is_ok());
    }

    #[test]
    fn the_day_limit_holds_until_midnight_pacific() {
        let mut limiter = ModelLimiter::new(tier(100, 2));
        assert!(limiter.acquire(0.0, afternoon_plus(0.0)).is_ok());
        assert!(limiter.acquire(1.0, afternoon_plus(1.0)).is_ok());
        let throttled = limiter.acquire(2.0, afternoon_plus(2.0)).unwrap_err();
        assert_eq!(throttled.limit, "requests per day");
        // 15:00:02 Pacific: nine hours less two seconds until midnight.
        assert!(
            (throttled.wait_s - (9.0 * 3600.0 - 2.0)).abs() < 0.01,
            "{throttled:?}"
        );
        // A refused request is not counted: at midnight two more may go, not one.
        let midnight_s = 9.0 * 3600.0;
        assert!(
            limiter
                .acquire(midnight_s, afternoon_plus(midnight_s))
                .is_ok()
        );
        let later_s = midnight_s + 100.0;
        assert!(limiter.acquire(later_s, afternoon_plus(later_s)).is_ok());
        assert!(
            limiter
                .acquire(later_s + 100.0, afternoon_plus(later_s + 100.0))
                .is_err()
        );
    }

    #[test]
    fn a_day_is_the_pacific_calendar_day_not_24_hours() {
        // 23:30 Pacific uses the last request of the day; 00:30 Pacific has a fresh quota.
        let mut limiter = ModelLimiter::new(tier(100, 1));
        assert!(limiter.acquire(0.0, wall("2026-11-27T07:30:00Z")).is_ok());
        assert!(limiter.acquire(60.0, wall("2026-11-27T07:31:00Z")).is_err());
        assert!(
            limiter
                .acquire(3600.0, wall("2026-11-27T08:30:00Z"))
                .is_ok()
        );
    }

    #[test]
    fn a_429_tightens_until_its_window_passes() {
        let mut limiter = ModelLimiter::new(TierLimits::default());
        limiter.tighten_until(25.0);
        assert_eq!(
            limiter.acquire(5.0, afternoon_plus(5.0)),
            Err(Throttled {
                wait_s: 20.0,
                limit: "the server's 429 window"
            })
        );
        assert!(limiter.acquire(25.0, afternoon_plus(25.0)).is_ok());
    }

    #[test]
    fn a_restart_after_a_full_minute_of_sends_waits_for_its_window() {
        // Ten sends in the 30 s before the restart (one a second, from 30 s ago), on 10 a minute.
        let sent: Vec<Timestamp> = (0..10)
            .map(|n| afternoon_plus(f64::from(n) - 30.0))
            .collect();
        let mut limiter = ModelLimiter::new(tier(10, 0));
        limiter.seed_sent(sent.iter().copied(), 0.0, afternoon_plus(0.0));
        let throttled = limiter.acquire(0.0, afternoon_plus(0.0)).unwrap_err();
        assert_eq!(throttled.limit, "requests per minute");
        // The oldest went 30 s ago: its slot frees 62 s after it.
        assert!((throttled.wait_s - 32.0).abs() < 0.01, "{throttled:?}");
        assert!(limiter.acquire(32.0, afternoon_plus(32.0)).is_ok());
        assert!(limiter.acquire(32.5, afternoon_plus(32.5)).is_err());

        // Against a server at --time-scale 0.01, the same 30 real seconds are 50 server minutes.
        let mut scaled = ModelLimiter::new(tier(10, 0)).with_time_scale(0.01);
        scaled.seed_sent(sent.iter().copied(), 0.0, afternoon_plus(0.0));
        assert!(scaled.acquire(0.0, afternoon_plus(0.0)).is_ok());
        // And sends 0.3 real s ago (30 server s) hold the scaled minute.
        let recent: Vec<Timestamp> = (0..10).map(|_| afternoon_plus(-0.3)).collect();
        let mut scaled = ModelLimiter::new(tier(10, 0)).with_time_scale(0.01);
        scaled.seed_sent(recent, 0.0, afternoon_plus(0.0));
        let throttled = scaled.acquire(0.0, afternoon_plus(0.0)).unwrap_err();
        assert!((throttled.wait_s - 0.32).abs() < 1e-6, "{throttled:?}");
    }

    #[test]
    fn sends_from_yesterday_pacific_do_not_count_today() {
        // 23:30 Pacific yesterday (twice) and 00:30 Pacific today; now 15:00 Pacific, PST.
        let sent = [
            wall("2026-11-27T07:30:00Z"),
            wall("2026-11-27T07:45:00Z"),
            wall("2026-11-27T08:30:00Z"),
        ];
        let mut limiter = ModelLimiter::new(tier(100, 2));
        limiter.seed_sent(sent, 0.0, wall(AFTERNOON));
        assert!(
            limiter.acquire(0.0, wall(AFTERNOON)).is_ok(),
            "one of two left"
        );
        let throttled = limiter.acquire(1.0, afternoon_plus(1.0)).unwrap_err();
        assert_eq!(throttled.limit, "requests per day");
        assert!(
            (throttled.wait_s - (9.0 * 3600.0 - 1.0)).abs() < 0.01,
            "until midnight Pacific: {throttled:?}"
        );
    }

    #[test]
    fn a_restart_on_the_25_hour_day_counts_the_whole_calendar_day() {
        // 2026-11-01 falls back: midnight Pacific is 07:00Z (PDT), the next 08:00Z Nov 2 (PST).
        // Now 23:30 PST. A send at 00:10 PDT, 24 h 20 min ago, is today's; one at 23:30 PDT the
        // day before is not.
        let now = wall("2026-11-02T07:30:00Z");
        let sent = [wall("2026-11-01T06:30:00Z"), wall("2026-11-01T07:10:00Z")];
        let mut limiter = ModelLimiter::new(tier(100, 2));
        limiter.seed_sent(sent, 0.0, now);
        assert!(limiter.acquire(0.0, now).is_ok());
        let throttled = limiter.acquire(0.0, now).unwrap_err();
        assert_eq!(throttled.limit, "requests per day");
        assert!((throttled.wait_s - 1800.0).abs() < 0.01, "{throttled:?}");
    }

    #[test]
    fn zero_means_no_known_limit() {
        let mut limiter = ModelLimiter::new(TierLimits {
            requests_per_minute: 0,
            images_per_minute: 0,
            requests_per_day: 0,
        });
        for second in 0..100 {
            let now_s = f64::from(second) * 0.01;
            assert!(limiter.acquire(now_s, afternoon_plus(now_s)).is_ok());
        }
    }
}
