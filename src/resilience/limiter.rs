//! Client-side rate limits per model, so Peel itself never causes a 429: requests per minute,
//! images per minute and requests per day from the user's tier, each a GCRA limiter (`governor`).
//! A 429 from the server tightens the model further: no request until its window has passed.
//!
//! Time is passed in (seconds since the engine started), so this stays pure and testable.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use serde::{Deserialize, Serialize};

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

/// A clock the engine sets: governor reads it, the caller moves it.
#[derive(Clone, Debug, Default)]
struct SetClock(Arc<AtomicU64>);

impl Clock for SetClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::Relaxed))
    }
}

type Gcra = RateLimiter<NotKeyed, InMemoryState, SetClock, NoOpMiddleware<Duration>>;

/// One model's limiter.
#[derive(Debug)]
pub struct ModelLimiter {
    clock: SetClock,
    per_minute: Option<Gcra>,
    per_day: Option<Gcra>,
    blocked_until_s: f64,
}

fn gcra(per: Duration, count: u32, clock: &SetClock) -> Option<Gcra> {
    let count = NonZeroU32::new(count)?;
    let quota = Quota::with_period(per / count.get())?.allow_burst(count);
    Some(RateLimiter::direct_with_clock(quota, clock.clone()))
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
        let clock = SetClock::default();
        let per_minute_count = match (limits.requests_per_minute, limits.images_per_minute) {
            (0, images) => images,
            (requests, 0) => requests,
            (requests, images) => requests.min(images),
        };
        Self {
            per_minute: gcra(Duration::from_mins(1), per_minute_count, &clock),
            per_day: gcra(Duration::from_hours(24), limits.requests_per_day, &clock),
            clock,
            blocked_until_s: 0.0,
        }
    }

    fn set_now(&self, now_s: f64) {
        #[expect(clippy::cast_sign_loss, reason = "clamped to zero or more")]
        let nanos = (now_s.max(0.0) * 1e9) as u64;
        self.clock.0.fetch_max(nanos, Ordering::Relaxed);
    }

    /// Takes a permit for one request at `now_s`, or says how long to wait. The minute limiter is
    /// asked first; if the day limiter then refuses, that minute permit is lost, which only makes
    /// Peel slightly more careful, never causes a 429.
    pub fn acquire(&mut self, now_s: f64) -> Result<(), Throttled> {
        self.set_now(now_s);
        if self.blocked_until_s > now_s {
            return Err(Throttled {
                wait_s: self.blocked_until_s - now_s,
                limit: "the server's 429 window",
            });
        }
        for (limiter, name) in [
            (&self.per_minute, "requests per minute"),
            (&self.per_day, "requests per day"),
        ] {
            if let Some(limiter) = limiter
                && let Err(not_until) = limiter.check()
            {
                let wait = not_until.wait_time_from(self.clock.now());
                return Err(Throttled {
                    wait_s: wait.as_secs_f64(),
                    limit: name,
                });
            }
        }
        Ok(())
    }

    /// A 429 arrived: send nothing to this model until `until_s`.
    pub fn tighten_until(&mut self, until_s: f64) {
        self.blocked_until_s = self.blocked_until_s.max(until_s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_per_minute_are_spaced() {
        let mut limiter = ModelLimiter::new(TierLimits {
            requests_per_minute: 2,
            images_per_minute: 10,
            requests_per_day: 100,
        });
        assert!(limiter.acquire(0.0).is_ok());
        assert!(limiter.acquire(0.0).is_ok(), "a burst of two");
        let throttled = limiter.acquire(1.0).unwrap_err();
        assert_eq!(throttled.limit, "requests per minute");
        assert!((throttled.wait_s - 29.0).abs() < 0.01, "{throttled:?}");
        assert!(limiter.acquire(30.0).is_ok());
    }

    #[test]
    fn the_day_limit_holds_for_hours() {
        let mut limiter = ModelLimiter::new(TierLimits {
            requests_per_minute: 100,
            images_per_minute: 100,
            requests_per_day: 2,
        });
        assert!(limiter.acquire(0.0).is_ok());
        assert!(limiter.acquire(1.0).is_ok());
        let throttled = limiter.acquire(2.0).unwrap_err();
        assert_eq!(throttled.limit, "requests per day");
        assert!(throttled.wait_s > 3600.0, "{throttled:?}");
    }

    #[test]
    fn a_429_tightens_until_its_window_passes() {
        let mut limiter = ModelLimiter::new(TierLimits::default());
        limiter.tighten_until(25.0);
        assert_eq!(
            limiter.acquire(5.0),
            Err(Throttled {
                wait_s: 20.0,
                limit: "the server's 429 window"
            })
        );
        assert!(limiter.acquire(25.0).is_ok());
    }

    #[test]
    fn zero_means_no_known_limit() {
        let mut limiter = ModelLimiter::new(TierLimits {
            requests_per_minute: 0,
            images_per_minute: 0,
            requests_per_day: 0,
        });
        for second in 0..100 {
            assert!(limiter.acquire(f64::from(second) * 0.01).is_ok());
        }
    }
}
