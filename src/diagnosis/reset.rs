//! When a daily quota comes back: Gemini's requests-per-day quotas reset at midnight Pacific time
//! (America/Los_Angeles), which moves between UTC−8 and UTC−7 with daylight saving time.

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// The time zone Google's daily quotas follow.
pub const QUOTA_TIME_ZONE: &str = "America/Los_Angeles";

/// The next midnight in America/Los_Angeles strictly after `now`.
pub fn next_daily_reset(now: Timestamp) -> Option<Timestamp> {
    let zone = TimeZone::get(QUOTA_TIME_ZONE).ok()?;
    let local = now.to_zoned(zone.clone());
    let tomorrow = local.date().tomorrow().ok()?;
    let midnight = tomorrow.to_zoned(zone).ok()?;
    Some(midnight.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reset(now: &str) -> String {
        next_daily_reset(now.parse().unwrap()).unwrap().to_string()
    }

    #[test]
    fn winter_midnight_is_eight_hours_behind_utc() {
        assert_eq!(reset("2026-11-27T12:00:00Z"), "2026-11-28T08:00:00Z");
    }

    #[test]
    fn summer_midnight_is_seven_hours_behind_utc() {
        assert_eq!(reset("2026-07-01T12:00:00Z"), "2026-07-02T07:00:00Z");
    }

    #[test]
    fn just_before_and_at_midnight() {
        // 23:59 Pacific on Nov 27 is 07:59 UTC on Nov 28.
        assert_eq!(reset("2026-11-28T07:59:00Z"), "2026-11-28T08:00:00Z");
        // Exactly at midnight the next reset is a day later.
        assert_eq!(reset("2026-11-28T08:00:00Z"), "2026-11-29T08:00:00Z");
    }

    #[test]
    fn daylight_saving_switch_days() {
        // DST starts 2026-03-08 in the US: the day before midnight is still UTC−8 …
        assert_eq!(reset("2026-03-07T20:00:00Z"), "2026-03-08T08:00:00Z");
        // … and the next midnight is UTC−7.
        assert_eq!(reset("2026-03-08T12:00:00Z"), "2026-03-09T07:00:00Z");
        // DST ends 2026-11-01.
        assert_eq!(reset("2026-11-01T12:00:00Z"), "2026-11-02T08:00:00Z");
    }
}
