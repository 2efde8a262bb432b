//! Google's quota day: Gemini's requests-per-day quotas reset at midnight Pacific time
//! (America/Los_Angeles), which moves between UTC−8 and UTC−7 with daylight saving time. So
//! "today" for quota and spend is the Pacific calendar day: 24 hours long on most days, 23 on the
//! day clocks spring forward (the second Sunday of March) and 25 on the day they fall back (the
//! first Sunday of November). Every "today" in Peel (spend, requests, the daily limiter, the
//! simulator's daily quota, "resets in …") comes from [`quota_day`].

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// The time zone Google's daily quotas follow.
pub const QUOTA_TIME_ZONE: &str = "America/Los_Angeles";

/// One Pacific calendar day: from its midnight (inclusive) to the next midnight (exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuotaDay {
    /// The calendar date in America/Los_Angeles.
    pub date: Date,
    /// Its first instant (midnight Pacific).
    pub start: Timestamp,
    /// The next midnight Pacific: when the daily quota comes back.
    pub end: Timestamp,
}

impl QuotaDay {
    /// Whether `at` falls within this day.
    pub fn contains(&self, at: Timestamp) -> bool {
        self.start <= at && at < self.end
    }

    /// How long this day lasts, in hours (23, 24 or 25).
    pub fn length_hours(&self) -> i64 {
        self.end.duration_since(self.start).as_hours()
    }
}

/// The Pacific calendar day that contains `at` (`None` only if the time zone is unknown, which
/// the bundled time zone database rules out, or at the ends of time).
pub fn quota_day(at: Timestamp) -> Option<QuotaDay> {
    let zone = TimeZone::get(QUOTA_TIME_ZONE).ok()?;
    let date = at.to_zoned(zone.clone()).date();
    let start = date.to_zoned(zone.clone()).ok()?.timestamp();
    let end = date.tomorrow().ok()?.to_zoned(zone).ok()?.timestamp();
    Some(QuotaDay { date, start, end })
}

/// The next midnight in America/Los_Angeles strictly after `now`.
pub fn next_daily_reset(now: Timestamp) -> Option<Timestamp> {
    quota_day(now).map(|day| day.end)
}

/// The last midnight in America/Los_Angeles at or before `now` (the start of "today").
pub fn today_started(now: Timestamp) -> Option<Timestamp> {
    quota_day(now).map(|day| day.start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reset(now: &str) -> String {
        next_daily_reset(now.parse().unwrap()).unwrap().to_string()
    }

    fn day(at: &str) -> QuotaDay {
        quota_day(at.parse().unwrap()).unwrap()
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

    #[test]
    fn an_ordinary_day_is_24_hours_from_midnight_to_midnight() {
        // 2026-11-27 10:00 Pacific (PST, UTC−8).
        let ordinary = day("2026-11-27T18:00:00Z");
        assert_eq!(ordinary.date, jiff::civil::date(2026, 11, 27));
        assert_eq!(ordinary.start.to_string(), "2026-11-27T08:00:00Z");
        assert_eq!(ordinary.end.to_string(), "2026-11-28T08:00:00Z");
        assert_eq!(ordinary.length_hours(), 24);
    }

    #[test]
    fn the_spring_forward_day_has_23_hours() {
        // 2026-03-08: midnight is PST (08:00 UTC), the next midnight PDT (07:00 UTC).
        for at in [
            "2026-03-08T08:00:00Z",
            "2026-03-08T09:59:59Z",
            "2026-03-08T12:00:00Z",
            "2026-03-09T06:59:59Z",
        ] {
            let spring = day(at);
            assert_eq!(spring.date, jiff::civil::date(2026, 3, 8), "{at}");
            assert_eq!(spring.start.to_string(), "2026-03-08T08:00:00Z");
            assert_eq!(spring.end.to_string(), "2026-03-09T07:00:00Z");
            assert_eq!(spring.length_hours(), 23);
        }
        // One second before its midnight is still March 7; its midnight starts March 9.
        assert_eq!(
            day("2026-03-08T07:59:59Z").date,
            jiff::civil::date(2026, 3, 7)
        );
        assert_eq!(
            day("2026-03-09T07:00:00Z").date,
            jiff::civil::date(2026, 3, 9)
        );
    }

    #[test]
    fn the_fall_back_day_has_25_hours() {
        // 2026-11-01: midnight is PDT (07:00 UTC), the next midnight PST (08:00 UTC); 01:30
        // happens twice, and both belong to November 1.
        for at in [
            "2026-11-01T07:00:00Z",
            "2026-11-01T08:30:00Z",
            "2026-11-01T09:30:00Z",
            "2026-11-02T07:59:59Z",
        ] {
            let fall = day(at);
            assert_eq!(fall.date, jiff::civil::date(2026, 11, 1), "{at}");
            assert_eq!(fall.start.to_string(), "2026-11-01T07:00:00Z");
            assert_eq!(fall.end.to_string(), "2026-11-02T08:00:00Z");
            assert_eq!(fall.length_hours(), 25);
        }
        assert_eq!(
            day("2026-11-01T06:59:59Z").date,
            jiff::civil::date(2026, 10, 31)
        );
    }

    #[test]
    fn late_last_night_is_yesterday_and_just_after_midnight_is_today() {
        // Now: 2026-11-27 15:00 Pacific. 23:30 on Nov 26 is yesterday, 00:30 on Nov 27 today.
        let today = day("2026-11-27T23:00:00Z");
        let yesterday_late: Timestamp = "2026-11-27T07:30:00Z".parse().unwrap();
        let today_early: Timestamp = "2026-11-27T08:30:00Z".parse().unwrap();
        assert!(!today.contains(yesterday_late));
        assert!(today.contains(today_early));
        assert_eq!(
            today_started("2026-11-27T23:00:00Z".parse().unwrap()),
            Some(today.start)
        );
    }
}
