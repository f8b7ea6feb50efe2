//! Report parameters and time buckets shared by the queue report. The definitions of every
//! metric are in `docs/metrics.md`.

use std::time::Duration;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDateTime, Timelike, Utc};

use crate::{CallChannel, CrmError};

/// The `queue` of the rows of a report with [`ReportQuery::combine_queues`].
pub const ALL_QUEUES: &str = "*";

/// Service level threshold used when none is given: answered within 20 seconds.
pub const DEFAULT_SERVICE_LEVEL: Duration = Duration::from_secs(20);
/// Abandons quicker than this are "short" (misdials, the caller changed their mind).
pub const DEFAULT_SHORT_ABANDON: Duration = Duration::from_secs(5);

/// How rows are grouped in time. Buckets are computed in the report's fixed UTC offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Interval {
    /// Quarter hours; label: the local start time, `2025-03-01T09:15:00+01:00`.
    Min15,
    /// Half hours; label as for [`Interval::Min15`].
    Min30,
    /// Hours; label as for [`Interval::Min15`].
    Hour,
    /// Local days; label `2025-03-01`.
    Day,
    /// Day of the week, all weeks of the window together; label `mon`..`sun`.
    Weekday,
    /// Local calendar months; label `2025-03`.
    Month,
    /// One bucket for the whole window; label `total`.
    Total,
}

/// Which calls the service level is a share of. `T` is [`ReportQuery::service_level`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SlVariant {
    /// answered within T / (answered + abandoned − short abandoned).
    #[default]
    AnsweredAndAbandoned,
    /// answered within T / (offered − short abandoned).
    Offered,
    /// answered within T / answered.
    Answered,
}

/// What [`crate::Crm::queue_report`] computes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportQuery {
    /// Start of the window (inclusive): calls that entered a queue at or after it count.
    pub from: DateTime<Utc>,
    /// End of the window (exclusive).
    pub to: DateTime<Utc>,
    /// Only these queues, each with its own rows; empty: every queue.
    pub queues: Vec<String>,
    /// Only calls of this channel (by their CDR's `channel`); `None`: every call, including
    /// calls whose CDR is not written yet.
    pub channel: Option<CallChannel>,
    /// Count the chosen queues together: one set of rows whose `queue` is [`ALL_QUEUES`]
    /// (a call that visited two of them is offered twice, once per visit) instead of rows per
    /// queue. Charts use it; ratios are computed from the combined counts, never averaged.
    pub combine_queues: bool,
    pub interval: Interval,
    /// Fixed offset from UTC, in minutes, in which buckets and labels are computed (540 for
    /// Seoul, -300 for New York in winter). Daylight saving is not followed: report a summer
    /// and a winter window separately if it matters.
    pub tz_offset_minutes: i32,
    /// Service level threshold T: answered with a wait of at most this counts as within.
    pub service_level: Duration,
    /// Abandons with a wait shorter than this are short abandons.
    pub short_abandon: Duration,
    pub sl_variant: SlVariant,
}

impl ReportQuery {
    /// A report over `[from, to)` for all queues and channels in one total bucket, UTC, with the default
    /// thresholds (20 s service level, 5 s short abandon, answered-and-abandoned variant).
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        ReportQuery {
            from,
            to,
            queues: Vec::new(),
            channel: None,
            combine_queues: false,
            interval: Interval::Total,
            tz_offset_minutes: 0,
            service_level: DEFAULT_SERVICE_LEVEL,
            short_abandon: DEFAULT_SHORT_ABANDON,
            sl_variant: SlVariant::default(),
        }
    }

    /// The offset, or an error naming the field if it is not within ±24 h.
    pub(crate) fn offset(&self) -> Result<FixedOffset, CrmError> {
        offset(self.tz_offset_minutes)
    }
}

pub(crate) fn offset(minutes: i32) -> Result<FixedOffset, CrmError> {
    minutes
        .checked_mul(60)
        .and_then(FixedOffset::east_opt)
        .ok_or_else(|| CrmError::InvalidField {
            field: "tz_offset_minutes",
            reason: format!("{minutes} is not within ±1439 minutes"),
        })
}

/// Refuses a window that ends before it starts.
pub(crate) fn check_window(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<(), CrmError> {
    if to < from {
        return Err(CrmError::InvalidField {
            field: "to",
            reason: format!("{to} is before from ({from})"),
        });
    }
    Ok(())
}

/// A bucket: an ordering key (chronological; Monday first for weekdays) and its label.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Bucket {
    pub order: i64,
    pub label: String,
}

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The bucket of the instant `at` for `interval`, in the fixed offset `tz`.
pub(crate) fn bucket(interval: Interval, tz: FixedOffset, at: DateTime<Utc>) -> Bucket {
    let local = at.with_timezone(&tz);
    let floor_minutes = |step: u32| -> Bucket {
        let naive = local.naive_local();
        let minute = naive.minute() / step * step;
        let start = naive
            .date()
            .and_hms_opt(naive.hour(), minute, 0)
            .unwrap_or(naive);
        time_bucket(start, tz)
    };
    match interval {
        Interval::Min15 => floor_minutes(15),
        Interval::Min30 => floor_minutes(30),
        Interval::Hour => floor_minutes(60),
        Interval::Day => {
            let date = local.date_naive();
            Bucket {
                order: i64::from(date.num_days_from_ce()),
                label: date.format("%Y-%m-%d").to_string(),
            }
        }
        Interval::Weekday => {
            let day = local.weekday().num_days_from_monday();
            Bucket {
                order: i64::from(day),
                label: WEEKDAYS[day as usize % 7].to_owned(),
            }
        }
        Interval::Month => Bucket {
            order: i64::from(local.year()) * 12 + i64::from(local.month0()),
            label: format!("{:04}-{:02}", local.year(), local.month()),
        },
        Interval::Total => Bucket {
            order: 0,
            label: "total".to_owned(),
        },
    }
}

fn time_bucket(start: NaiveDateTime, tz: FixedOffset) -> Bucket {
    Bucket {
        order: start.and_utc().timestamp(),
        label: format!("{}{}", start.format("%Y-%m-%dT%H:%M:%S"), tz),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 2, h, m, s)
            .single()
            .expect("valid")
    }

    #[test]
    fn quarter_hours_split_at_the_boundary() -> Result<(), CrmError> {
        let tz = offset(0)?;
        assert_eq!(
            bucket(Interval::Min15, tz, utc(9, 14, 59)).label,
            "2025-03-02T09:00:00+00:00"
        );
        assert_eq!(
            bucket(Interval::Min15, tz, utc(9, 15, 0)).label,
            "2025-03-02T09:15:00+00:00"
        );
        assert_eq!(
            bucket(Interval::Min30, tz, utc(9, 44, 0)).label,
            "2025-03-02T09:30:00+00:00"
        );
        Ok(())
    }

    #[test]
    fn offsets_move_days_weekdays_and_quarter_hours() -> Result<(), CrmError> {
        // 2025-03-02 is a Sunday; 23:50 UTC is Monday 08:50 in Seoul.
        let seoul = offset(540)?;
        assert_eq!(
            bucket(Interval::Day, seoul, utc(23, 50, 0)).label,
            "2025-03-03"
        );
        assert_eq!(
            bucket(Interval::Weekday, seoul, utc(23, 50, 0)).label,
            "mon"
        );
        assert_eq!(
            bucket(Interval::Weekday, offset(0)?, utc(23, 50, 0)).label,
            "sun"
        );
        // Kathmandu is +05:45: quarter hours are local.
        let ktm = offset(345)?;
        assert_eq!(
            bucket(Interval::Min15, ktm, utc(3, 20, 0)).label,
            "2025-03-02T09:00:00+05:45"
        );
        assert_eq!(
            bucket(Interval::Month, seoul, utc(23, 50, 0)).label,
            "2025-03"
        );
        assert!(offset(24 * 60).is_err());
        Ok(())
    }

    #[test]
    fn weekday_order_starts_on_monday() -> Result<(), CrmError> {
        let tz = offset(0)?;
        let sunday = bucket(Interval::Weekday, tz, utc(12, 0, 0));
        let monday = bucket(
            Interval::Weekday,
            tz,
            utc(12, 0, 0) + chrono::Duration::days(1),
        );
        assert!(monday < sunday);
        Ok(())
    }
}
