//! Exponential backoff with full jitter (AWS "Exponential Backoff and Jitter"): the n-th retry waits
//! a uniformly random time between 0 and `min(max, initial × multiplier^n)`. The random number is
//! passed in, so the policy stays pure and testable.

use serde::{Deserialize, Serialize};

/// One backoff curve.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Backoff {
    /// Ceiling of the first retry's wait, in seconds.
    pub initial_s: f64,
    /// Largest ceiling, in seconds.
    pub max_s: f64,
    /// Growth per retry.
    pub multiplier: f64,
}

impl Backoff {
    /// A curve from `initial_s` doubling up to `max_s`.
    pub const fn doubling(initial_s: f64, max_s: f64) -> Self {
        Self {
            initial_s,
            max_s,
            multiplier: 2.0,
        }
    }

    /// The ceiling for retry number `retry_index` (0 = first retry).
    pub fn ceiling_s(&self, retry_index: u32) -> f64 {
        let exponent = i32::try_from(retry_index.min(64)).unwrap_or(64);
        (self.initial_s * self.multiplier.powi(exponent))
            .min(self.max_s)
            .max(0.0)
    }

    /// The wait for retry `retry_index` given a uniform random number in `[0, 1)`.
    pub fn full_jitter_s(&self, retry_index: u32, unit_random: f64) -> f64 {
        self.ceiling_s(retry_index) * unit_random.clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_up_to_the_maximum() {
        let backoff = Backoff::doubling(1.0, 60.0);
        let ceilings: Vec<f64> = (0..8).map(|n| backoff.ceiling_s(n)).collect();
        assert_eq!(ceilings, [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]);
        assert_eq!(backoff.ceiling_s(u32::MAX), 60.0);
    }

    #[test]
    fn full_jitter_stays_under_the_ceiling() {
        let backoff = Backoff::doubling(2.0, 30.0);
        assert_eq!(backoff.full_jitter_s(3, 0.5), 8.0);
        assert_eq!(backoff.full_jitter_s(3, 0.0), 0.0);
        assert_eq!(
            backoff.full_jitter_s(10, 2.0),
            30.0,
            "random numbers are clamped"
        );
    }
}
