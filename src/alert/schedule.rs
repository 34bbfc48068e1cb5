//! When a digest is due, as plain functions over times. In: a schedule's cron expression and
//! time zone, the last slot already handled and the time now; out: the one slot due (if any)
//! and the period its digest covers. Slots missed while Vigil was down are caught up once, by
//! the latest of them, with a period reaching back to the last slot handled.

use crate::config::alerting::Schedule;
use chrono::{DateTime, Duration, Utc};

/// The longest period a caught-up digest covers.
pub const MAX_PERIOD_DAYS: i64 = 7;

/// The latest slot at or before `now`.
pub fn latest_slot(schedule: &Schedule, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let local = now.with_timezone(&schedule.timezone);
    schedule
        .cron
        .find_previous_occurrence(&local, true)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The first slot after `after`.
pub fn next_slot(schedule: &Schedule, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let local = after.with_timezone(&schedule.timezone);
    schedule
        .cron
        .find_next_occurrence(&local, false)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The slot due now, given the last slot handled (`None`: the schedule is new, and waits for
/// its next slot rather than sending at once). Several missed slots give one: the latest.
pub fn due(
    schedule: &Schedule,
    last: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let last = last?;
    latest_slot(schedule, now).filter(|slot| *slot > last)
}

/// The period a digest at `slot` covers: the schedule's `period` if set, otherwise since the
/// slot before it, or since the last slot handled when slots were missed; at most a week.
pub fn period(
    schedule: &Schedule,
    slot: DateTime<Utc>,
    last: Option<DateTime<Utc>>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = match schedule.period {
        Some(period) => slot - Duration::from_std(period).unwrap_or(Duration::days(1)),
        None => {
            let local = slot.with_timezone(&schedule.timezone);
            let previous = schedule
                .cron
                .find_previous_occurrence(&local, false)
                .ok()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or(slot - Duration::days(1));
            last.map_or(previous, |l| l.min(previous))
        }
    };
    (start.max(slot - Duration::days(MAX_PERIOD_DAYS)), slot)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Severity;

    fn schedule(cron: &str, tz: &str) -> Schedule {
        Schedule {
            name: "s".into(),
            cron_text: cron.into(),
            cron: cron.parse().unwrap(),
            timezone: tz.parse().unwrap(),
            channels: vec![],
            recipients: vec![],
            queries: vec![],
            min_severity: Severity::Info,
            period: None,
        }
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn weekday_mornings_in_amsterdam() {
        let s = schedule("30 7 * * 1-5", "Europe/Amsterdam");
        // (last handled, now, due)
        let cases: &[(Option<&str>, &str, Option<&str>)] = &[
            // A new schedule waits for its first slot.
            (None, "2026-11-30T08:00:00Z", None),
            // Winter: 07:30 in Amsterdam is 06:30 UTC. Monday before and after it.
            (Some("2026-11-27T06:30:00Z"), "2026-11-30T06:29:00Z", None),
            (
                Some("2026-11-27T06:30:00Z"),
                "2026-11-30T06:30:00Z",
                Some("2026-11-30T06:30:00Z"),
            ),
            // Already sent: nothing more that day.
            (Some("2026-11-30T06:30:00Z"), "2026-11-30T18:00:00Z", None),
            // Saturday: no slot since Friday's.
            (Some("2026-11-27T06:30:00Z"), "2026-11-28T09:00:00Z", None),
            // Down from Tuesday to Thursday noon: one digest, Thursday's.
            (
                Some("2026-12-01T06:30:00Z"),
                "2026-12-03T12:00:00Z",
                Some("2026-12-03T06:30:00Z"),
            ),
            // Summer time: 07:30 in Amsterdam is 05:30 UTC.
            (
                Some("2026-06-30T05:30:00Z"),
                "2026-07-01T05:31:00Z",
                Some("2026-07-01T05:30:00Z"),
            ),
        ];
        for (last, now, expected) in cases {
            assert_eq!(
                due(&s, last.map(at), at(now)),
                expected.map(at),
                "last {last:?}, now {now}"
            );
        }
    }

    #[test]
    fn periods_reach_back_to_the_previous_slot_or_the_last_handled() {
        let s = schedule("30 7 * * 1-5", "Europe/Amsterdam");
        // Monday's digest covers the weekend, from Friday's slot.
        assert_eq!(
            period(
                &s,
                at("2026-11-30T06:30:00Z"),
                Some(at("2026-11-27T06:30:00Z"))
            ),
            (at("2026-11-27T06:30:00Z"), at("2026-11-30T06:30:00Z"))
        );
        // Caught up after missing Wednesday: from Tuesday's slot.
        assert_eq!(
            period(
                &s,
                at("2026-12-03T06:30:00Z"),
                Some(at("2026-12-01T06:30:00Z"))
            )
            .0,
            at("2026-12-01T06:30:00Z")
        );
        // Never more than a week.
        assert_eq!(
            period(
                &s,
                at("2026-12-03T06:30:00Z"),
                Some(at("2026-10-01T06:30:00Z"))
            )
            .0,
            at("2026-11-26T06:30:00Z")
        );
        let hourly = Schedule {
            period: Some(std::time::Duration::from_secs(2 * 3600)),
            ..schedule("0 * * * *", "UTC")
        };
        assert_eq!(
            period(&hourly, at("2026-11-30T10:00:00Z"), None),
            (at("2026-11-30T08:00:00Z"), at("2026-11-30T10:00:00Z"))
        );
        assert_eq!(
            next_slot(&hourly, at("2026-11-30T10:00:00Z")),
            Some(at("2026-11-30T11:00:00Z"))
        );
    }
}
