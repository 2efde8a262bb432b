//! Per-key, per-model quota accounting: requests per minute and input tokens per minute (sliding
//! 60 s windows) and requests per day (resetting at midnight Pacific), like Google's project quotas.
//!
//! Pure bookkeeping: time comes in as simulated seconds and a calendar day (the Pacific day of
//! [`crate::diagnosis::reset::quota_day`], the same one Peel's own daily counts use). The book also
//! notes the busiest minute each key/model pair had (every request counted, refused or not), so a
//! test can check that a client stayed under its tier. Keys are stored only as
//! hashes, and the book holds at most [`MAX_TRACKED`] key/model pairs (least recently used go
//! first), so a long-running simulator's memory stays bounded whatever clients send.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash as _, Hasher as _};

use jiff::civil::Date;

use super::scenario::Limits;

/// Most key/model pairs tracked at once.
pub const MAX_TRACKED: usize = 4096;
const WINDOW_S: f64 = 60.0;

/// Why a request was refused, with what the 429 body needs.
#[derive(Clone, Debug, PartialEq)]
pub enum QuotaRefusal {
    /// The tier has no quota for this model (every limit is 0).
    Zero,
    /// Requests per day used up.
    PerDay {
        /// The daily limit.
        limit: u64,
    },
    /// Requests per minute used up.
    PerMinute {
        /// The limit.
        limit: u64,
        /// Simulated seconds until a request leaves the window.
        retry_after_s: f64,
    },
    /// Input tokens per minute used up.
    InputTokens {
        /// The limit.
        limit: u64,
        /// Simulated seconds until enough tokens leave the window.
        retry_after_s: f64,
    },
}

#[derive(Debug, Default)]
struct Usage {
    requests: VecDeque<f64>,
    tokens: VecDeque<(f64, u64)>,
    day: Option<Date>,
    day_count: u64,
    last_seen_s: f64,
    /// Every request of the last window (admitted or refused).
    offered: VecDeque<f64>,
    /// The most requests seen in any window.
    busiest_minute: u64,
}

impl Usage {
    fn trim(&mut self, now_s: f64) {
        while self.requests.front().is_some_and(|t| now_s - t >= WINDOW_S) {
            self.requests.pop_front();
        }
        while self.offered.front().is_some_and(|t| now_s - t >= WINDOW_S) {
            self.offered.pop_front();
        }
        while self
            .tokens
            .front()
            .is_some_and(|(t, _)| now_s - t >= WINDOW_S)
        {
            self.tokens.pop_front();
        }
    }
}

/// The quota book.
#[derive(Debug, Default)]
pub struct QuotaBook {
    usage: HashMap<(u64, String), Usage>,
    /// Limits that replace the scenario tier's (a test's own tier).
    limits: Option<Limits>,
}

fn key_hash(key: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

impl QuotaBook {
    /// Number of key/model pairs tracked (for memory checks).
    pub fn tracked(&self) -> usize {
        self.usage.len()
    }

    /// Uses `limits` instead of the scenario tier's for every model (`None`: the tier's again).
    /// A new scenario starts a new book, without them.
    pub fn set_limits(&mut self, limits: Option<Limits>) {
        self.limits = limits;
    }

    /// The most requests `key` sent `model` within any 60 simulated seconds, refused ones
    /// included.
    pub fn busiest_minute(&self, key: &str, model: &str) -> u64 {
        self.usage
            .get(&(key_hash(key), model.to_owned()))
            .map_or(0, |usage| usage.busiest_minute)
    }

    /// Admits and records a request, or says which quota refuses it.
    pub fn admit(
        &mut self,
        key: &str,
        model: &str,
        input_tokens: u64,
        limits: Limits,
        now_s: f64,
        day: Date,
    ) -> Result<(), QuotaRefusal> {
        let limits = self.limits.unwrap_or(limits);
        if limits.requests_per_minute == 0
            || limits.requests_per_day == 0
            || limits.input_tokens_per_minute == 0
        {
            return Err(QuotaRefusal::Zero);
        }
        self.evict_if_full(key, model);
        let usage = self
            .usage
            .entry((key_hash(key), model.to_owned()))
            .or_default();
        usage.last_seen_s = now_s;
        usage.trim(now_s);
        usage.offered.push_back(now_s);
        usage.busiest_minute = usage.busiest_minute.max(usage.offered.len() as u64);
        if usage.day != Some(day) {
            usage.day = Some(day);
            usage.day_count = 0;
        }
        if usage.day_count >= limits.requests_per_day {
            return Err(QuotaRefusal::PerDay {
                limit: limits.requests_per_day,
            });
        }
        if usage.requests.len() as u64 >= limits.requests_per_minute {
            let oldest = usage.requests.front().copied().unwrap_or(now_s);
            return Err(QuotaRefusal::PerMinute {
                limit: limits.requests_per_minute,
                retry_after_s: (oldest + WINDOW_S - now_s).max(0.0),
            });
        }
        let used: u64 = usage.tokens.iter().map(|(_, n)| n).sum();
        if used + input_tokens > limits.input_tokens_per_minute {
            // Wait until enough old tokens have left the window for this request to fit.
            let mut freed = 0;
            let mut retry_after_s = WINDOW_S;
            for (at, count) in &usage.tokens {
                freed += count;
                if used - freed + input_tokens <= limits.input_tokens_per_minute {
                    retry_after_s = (at + WINDOW_S - now_s).max(0.0);
                    break;
                }
            }
            return Err(QuotaRefusal::InputTokens {
                limit: limits.input_tokens_per_minute,
                retry_after_s,
            });
        }
        usage.requests.push_back(now_s);
        usage.tokens.push_back((now_s, input_tokens));
        usage.day_count += 1;
        Ok(())
    }

    fn evict_if_full(&mut self, key: &str, model: &str) {
        if self.usage.len() < MAX_TRACKED
            || self.usage.contains_key(&(key_hash(key), model.to_owned()))
        {
            return;
        }
        let oldest = self
            .usage
            .iter()
            .min_by(|a, b| a.1.last_seen_s.total_cmp(&b.1.last_seen_s))
            .map(|(id, _)| id.clone());
        if let Some(id) = oldest {
            self.usage.remove(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        requests_per_minute: 2,
        input_tokens_per_minute: 1000,
        requests_per_day: 3,
    };

    fn day(n: i8) -> Date {
        jiff::civil::date(2026, 11, n)
    }

    #[test]
    fn per_minute_refusal_says_when_the_window_frees() {
        let mut book = QuotaBook::default();
        book.admit("k", "m", 10, LIMITS, 0.0, day(27)).unwrap();
        book.admit("k", "m", 10, LIMITS, 10.0, day(27)).unwrap();
        assert_eq!(
            book.admit("k", "m", 10, LIMITS, 15.0, day(27)),
            Err(QuotaRefusal::PerMinute {
                limit: 2,
                retry_after_s: 45.0
            })
        );
        // After the oldest request leaves the window, one more fits.
        book.admit("k", "m", 10, LIMITS, 60.0, day(27)).unwrap();
    }

    #[test]
    fn daily_quota_resets_with_the_day_not_the_minute() {
        let mut book = QuotaBook::default();
        for at in [0.0, 100.0, 200.0] {
            book.admit("k", "m", 10, LIMITS, at, day(27)).unwrap();
        }
        assert_eq!(
            book.admit("k", "m", 10, LIMITS, 400.0, day(27)),
            Err(QuotaRefusal::PerDay { limit: 3 })
        );
        book.admit("k", "m", 10, LIMITS, 500.0, day(28)).unwrap();
    }

    #[test]
    fn token_window_and_zero_limits() {
        let mut book = QuotaBook::default();
        book.admit("k", "m", 600, LIMITS, 0.0, day(27)).unwrap();
        assert_eq!(
            book.admit("k", "m", 600, LIMITS, 30.0, day(27)),
            Err(QuotaRefusal::InputTokens {
                limit: 1000,
                retry_after_s: 30.0
            })
        );
        let zero = Limits {
            requests_per_minute: 0,
            input_tokens_per_minute: 0,
            requests_per_day: 0,
        };
        assert_eq!(
            book.admit("k", "m", 1, zero, 0.0, day(27)),
            Err(QuotaRefusal::Zero)
        );
    }

    #[test]
    fn keys_and_models_are_separate_and_memory_is_bounded() {
        let mut book = QuotaBook::default();
        book.admit("a", "m", 1, LIMITS, 0.0, day(27)).unwrap();
        book.admit("a", "m", 1, LIMITS, 0.0, day(27)).unwrap();
        book.admit("b", "m", 1, LIMITS, 0.0, day(27)).unwrap();
        book.admit("a", "n", 1, LIMITS, 0.0, day(27)).unwrap();
        for i in 0..(MAX_TRACKED * 2) {
            book.admit(&format!("key-{i}"), "m", 1, LIMITS, i as f64, day(27))
                .unwrap();
        }
        assert!(book.tracked() <= MAX_TRACKED);
    }

    #[test]
    fn the_busiest_minute_counts_refused_requests_too() {
        let mut book = QuotaBook::default();
        book.set_limits(Some(Limits {
            requests_per_minute: 2,
            ..LIMITS
        }));
        for at in [0.0, 10.0, 20.0] {
            let _ = book.admit("k", "m", 1, LIMITS, at, day(27));
        }
        assert_eq!(book.busiest_minute("k", "m"), 3);
        // A minute later the window holds one request; the busiest stays 3.
        book.admit("k", "m", 1, LIMITS, 85.0, day(27)).unwrap();
        assert_eq!(book.busiest_minute("k", "m"), 3);
        assert_eq!(book.busiest_minute("other", "m"), 0);
    }
}
