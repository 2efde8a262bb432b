//! The simulator's clock. Real seconds by default; `--time-scale 0.01` makes a simulated minute last
//! 0.6 real seconds (and a day 14.4 minutes), for demos and tests. Delays the simulator reports
//! (`RetryInfo`) are in real seconds, so a client that waits what it is told succeeds.

use std::time::{Duration, Instant};

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// Simulated time, scaled from the real clock.
#[derive(Clone, Debug)]
pub struct SimClock {
    started: Instant,
    started_wall: Timestamp,
    time_scale: f64,
}

impl SimClock {
    /// A clock starting now. `time_scale` is real seconds per simulated second (1.0 = real time).
    pub fn new(time_scale: f64) -> Self {
        Self::starting_at(time_scale, Timestamp::now())
    }

    /// A clock whose simulated wall time starts at `start` (tests pin it away from midnight).
    pub fn starting_at(time_scale: f64, start: Timestamp) -> Self {
        let time_scale = if time_scale.is_finite() && time_scale > 0.0 {
            time_scale
        } else {
            1.0
        };
        Self {
            started: Instant::now(),
            started_wall: start,
            time_scale,
        }
    }

    /// Real seconds per simulated second.
    pub fn time_scale(&self) -> f64 {
        self.time_scale
    }

    /// Simulated seconds since the simulator started.
    pub fn now_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64() / self.time_scale
    }

    /// The simulated wall-clock time.
    pub fn wall(&self) -> Timestamp {
        let elapsed = jiff::SignedDuration::try_from_secs_f64(self.now_s()).unwrap_or_default();
        self.started_wall
            .checked_add(elapsed)
            .unwrap_or(self.started_wall)
    }

    /// The simulated calendar day in Pacific time (daily quotas reset when it changes): the same
    /// [`crate::diagnosis::reset::quota_day`] Peel's own daily counts use.
    pub fn quota_day(&self) -> Date {
        let wall = self.wall();
        crate::diagnosis::reset::quota_day(wall)
            .map_or_else(|| wall.to_zoned(TimeZone::UTC).date(), |day| day.date)
    }

    /// How long a simulated duration lasts in real time.
    pub fn real(&self, simulated_s: f64) -> Duration {
        Duration::from_secs_f64((simulated_s * self.time_scale).max(0.0))
    }

    /// A simulated duration expressed in real seconds.
    pub fn real_s(&self, simulated_s: f64) -> f64 {
        simulated_s * self.time_scale
    }
}
