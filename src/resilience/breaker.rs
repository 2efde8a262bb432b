//! A circuit breaker per model: after `failure_threshold` server failures within `window_s`, the
//! breaker opens and new jobs go to the fallback; after `cooldown_s` one probe request is let
//! through (half-open); its success closes the breaker, its failure opens it again.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// Breaker settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BreakerConfig {
    /// Failures that open the breaker.
    pub failure_threshold: u32,
    /// Window the failures must fall in, in seconds.
    pub window_s: f64,
    /// Time open before a probe, in seconds.
    pub cooldown_s: f64,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            window_s: 60.0,
            cooldown_s: 60.0,
        }
    }
}

/// What the breaker lets through.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum BreakerState {
    /// Requests flow.
    Closed,
    /// No requests until `until_s`.
    Open {
        /// When a probe may go, in the engine's seconds.
        until_s: f64,
    },
    /// One probe may go (or is in flight).
    HalfOpen,
}

/// One model's breaker.
#[derive(Clone, Debug)]
pub struct Breaker {
    config: BreakerConfig,
    failures: VecDeque<f64>,
    opened_at_s: Option<f64>,
    probe_in_flight: bool,
}

impl Breaker {
    /// A closed breaker.
    pub fn new(config: BreakerConfig) -> Self {
        Self {
            config,
            failures: VecDeque::new(),
            opened_at_s: None,
            probe_in_flight: false,
        }
    }

    /// The state at `now_s`.
    pub fn state(&self, now_s: f64) -> BreakerState {
        match self.opened_at_s {
            None => BreakerState::Closed,
            Some(opened) if now_s < opened + self.config.cooldown_s => BreakerState::Open {
                until_s: opened + self.config.cooldown_s,
            },
            Some(_) => BreakerState::HalfOpen,
        }
    }

    /// Until when requests are held back (without taking the probe slot): the end of the cooldown
    /// when open, a second from now while a probe is in flight, `None` when a request may go.
    pub fn blocked_until_s(&self, now_s: f64) -> Option<f64> {
        match self.state(now_s) {
            BreakerState::Open { until_s } => Some(until_s),
            BreakerState::HalfOpen if self.probe_in_flight => Some(now_s + 1.0),
            BreakerState::Closed | BreakerState::HalfOpen => None,
        }
    }

    /// Whether a request may go now; a half-open breaker lets exactly one probe through.
    pub fn allows(&mut self, now_s: f64) -> bool {
        match self.state(now_s) {
            BreakerState::Closed => true,
            BreakerState::Open { .. } => false,
            BreakerState::HalfOpen if self.probe_in_flight => false,
            BreakerState::HalfOpen => {
                self.probe_in_flight = true;
                true
            }
        }
    }

    /// The probe will not report (its job was cancelled before an answer): the next request may
    /// probe instead. Without this, a cancelled probe would hold the breaker half-open for good.
    pub fn release_probe(&mut self) {
        self.probe_in_flight = false;
    }

    /// A request succeeded (or failed for a reason that is not the server's).
    pub fn record_success(&mut self) {
        self.failures.clear();
        self.opened_at_s = None;
        self.probe_in_flight = false;
    }

    /// A server failure (5xx, timeout, network). Returns true when this opened the breaker.
    pub fn record_failure(&mut self, now_s: f64) -> bool {
        if self.probe_in_flight || matches!(self.state(now_s), BreakerState::HalfOpen) {
            self.probe_in_flight = false;
            self.opened_at_s = Some(now_s);
            return true;
        }
        self.failures.push_back(now_s);
        while self
            .failures
            .front()
            .is_some_and(|t| now_s - t > self.config.window_s)
        {
            self.failures.pop_front();
        }
        if self.opened_at_s.is_none() && self.failures.len() as u32 >= self.config.failure_threshold
        {
            self.opened_at_s = Some(now_s);
            self.failures.clear();
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_in_a_minute_open_it() {
        let mut breaker = Breaker::new(BreakerConfig::default());
        for t in 0..4 {
            assert!(!breaker.record_failure(f64::from(t) * 10.0));
        }
        assert_eq!(breaker.state(40.0), BreakerState::Closed);
        assert!(breaker.record_failure(50.0));
        assert_eq!(breaker.state(51.0), BreakerState::Open { until_s: 110.0 });
        assert!(!breaker.allows(60.0));
    }

    #[test]
    fn failures_spread_over_more_than_a_minute_do_not() {
        let mut breaker = Breaker::new(BreakerConfig::default());
        for t in 0..10 {
            assert!(!breaker.record_failure(f64::from(t) * 20.0));
        }
        assert_eq!(breaker.state(200.0), BreakerState::Closed);
    }

    #[test]
    fn half_open_probe_closes_or_reopens() {
        let mut breaker = Breaker::new(BreakerConfig::default());
        for _ in 0..5 {
            breaker.record_failure(0.0);
        }
        assert_eq!(breaker.state(60.0), BreakerState::HalfOpen);
        assert_eq!(
            breaker.blocked_until_s(60.0),
            None,
            "looking does not take the probe"
        );
        assert!(breaker.allows(60.0), "one probe goes");
        assert!(!breaker.allows(60.5), "only one");
        assert_eq!(breaker.blocked_until_s(60.5), Some(61.5));
        assert!(breaker.record_failure(61.0), "a failed probe reopens");
        assert_eq!(breaker.state(62.0), BreakerState::Open { until_s: 121.0 });
        assert!(breaker.allows(121.0));
        breaker.record_success();
        assert_eq!(breaker.state(122.0), BreakerState::Closed);
        assert!(breaker.allows(122.0) && breaker.allows(122.0));
    }

    #[test]
    fn a_released_probe_lets_the_next_request_probe() {
        let mut breaker = Breaker::new(BreakerConfig::default());
        for _ in 0..5 {
            breaker.record_failure(0.0);
        }
        assert!(breaker.allows(60.0));
        assert!(!breaker.allows(60.1));
        breaker.release_probe();
        assert_eq!(breaker.blocked_until_s(60.2), None);
        assert!(breaker.allows(60.2), "a new probe may go");
    }
}
