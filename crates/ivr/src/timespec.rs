//! Time specs in dialplans: durations ("5s"), clock times ("09:00"), weekdays ("mon-fri"), dates,
//! opening windows ("mon-fri 09:00-18:00") and business hours evaluated in a time zone.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;

const DAY_SECS: u32 = 24 * 3600;
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const WEEKDAYS_LONG: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Parses "500ms", "5s", "2m" (an integer and a unit).
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("bad duration `{s}`: expected e.g. `500ms`, `5s` or `2m`"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        _ => Err(format!("bad duration `{s}`: unit must be `ms`, `s` or `m`")),
    }
}

/// Parses "HH:MM" or "HH:MM:SS" into seconds since midnight; "24:00" is allowed as an end.
pub(crate) fn parse_clock(s: &str) -> Result<u32, String> {
    let bad = || format!("bad time `{s}`: expected HH:MM or HH:MM:SS (00:00 to 24:00)");
    let parts: Vec<&str> = s.trim().split(':').collect();
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.len() != 2) {
        return Err(bad());
    }
    let mut nums = [0u32; 3];
    for (n, p) in nums.iter_mut().zip(&parts) {
        *n = p.parse().map_err(|_| bad())?;
    }
    let [h, m, sec] = nums;
    if m > 59 || sec > 59 || h > 24 || (h == 24 && (m, sec) != (0, 0)) {
        return Err(bad());
    }
    Ok(h * 3600 + m * 60 + sec)
}

/// Parses "mon", "monday" (0 = Monday).
pub(crate) fn parse_weekday(s: &str) -> Result<usize, String> {
    let lower = s.trim().to_ascii_lowercase();
    WEEKDAYS
        .iter()
        .position(|d| *d == lower)
        .or_else(|| WEEKDAYS_LONG.iter().position(|d| *d == lower))
        .ok_or_else(|| format!("unknown weekday `{s}`: use mon, tue, wed, thu, fri, sat or sun"))
}

/// Parses "mon", "mon-fri" or "fri-mon" (wrapping) into a set of weekdays.
pub(crate) fn parse_weekdays(s: &str) -> Result<[bool; 7], String> {
    let mut days = [false; 7];
    let mut set = |d: usize| {
        if let Some(on) = days.get_mut(d) {
            *on = true;
        }
    };
    match s.split_once('-') {
        None => set(parse_weekday(s)?),
        Some((a, b)) => {
            let (mut d, end) = (parse_weekday(a)?, parse_weekday(b)?);
            loop {
                set(d);
                if d == end {
                    break;
                }
                d = (d + 1) % 7;
            }
        }
    }
    Ok(days)
}

/// Parses "HH:MM-HH:MM"; the end may be before the start (the window crosses midnight).
pub(crate) fn parse_clock_range(s: &str) -> Result<(u32, u32), String> {
    let (a, b) = s
        .split_once('-')
        .ok_or_else(|| format!("bad time range `{s}`: expected HH:MM-HH:MM"))?;
    let (start, end) = (parse_clock(a)?, parse_clock(b)?);
    if start == end {
        return Err(format!("empty time range `{s}`"));
    }
    if start == DAY_SECS {
        return Err(format!("bad time range `{s}`: 24:00 can only end a range"));
    }
    Ok((start, end))
}

pub(crate) fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("bad date `{s}`: expected YYYY-MM-DD"))
}

pub(crate) fn parse_tz(s: &str) -> Result<Tz, String> {
    s.trim()
        .parse::<Tz>()
        .map_err(|_| format!("unknown time zone `{s}`: use an IANA name like `Asia/Seoul`"))
}

/// A clock window on some weekdays; when `end < start` it runs past midnight into the next day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Window {
    pub days: [bool; 7],
    pub start: u32,
    pub end: u32,
}

impl Window {
    /// Parses "mon-fri 09:00-18:00", "sat,sun 10:00-14:00" or just "09:00-18:00" (every day).
    pub fn parse(s: &str) -> Result<Window, String> {
        let s = s.trim();
        let (days, range) = match s.rsplit_once(' ') {
            Some((days, range)) => {
                let mut set = [false; 7];
                for part in days.split(',') {
                    for (day, on) in set.iter_mut().zip(parse_weekdays(part.trim())?) {
                        *day |= on;
                    }
                }
                (set, range)
            }
            None => ([true; 7], s),
        };
        let (start, end) = parse_clock_range(range)?;
        Ok(Window { days, start, end })
    }

    /// Whether local time `secs` on local weekday `day` (0 = Monday) is inside the window.
    pub fn contains(&self, day: usize, secs: u32) -> bool {
        let on = |d: usize| self.days.get(d).copied().unwrap_or(false);
        if self.start < self.end {
            on(day) && secs >= self.start && secs < self.end
        } else {
            let yesterday = (day + 6) % 7;
            (on(day) && secs >= self.start) || (on(yesterday) && secs < self.end)
        }
    }
}

/// Local weekday (0 = Monday), seconds since local midnight and local date of an instant.
pub(crate) fn local(wall: DateTime<Utc>, tz: Tz) -> (usize, u32, NaiveDate) {
    let t = wall.with_timezone(&tz);
    let day = t.weekday().num_days_from_monday() as usize;
    (day, t.num_seconds_from_midnight(), t.date_naive())
}

/// Opening hours in one time zone, closed on the listed holidays.
#[derive(Debug, Clone)]
pub(crate) struct Hours {
    pub tz: Tz,
    pub windows: Vec<Window>,
    pub holidays: BTreeSet<NaiveDate>,
}

impl Hours {
    pub fn is_open(&self, wall: DateTime<Utc>) -> bool {
        let (day, secs, date) = local(wall, self.tz);
        !self.holidays.contains(&date) && self.windows.iter().any(|w| w.contains(day, secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("fives").is_err());
        assert!(parse_duration("5h").is_err());
    }

    #[test]
    fn clock_times_reject_out_of_range() {
        assert_eq!(parse_clock("09:00"), Ok(9 * 3600));
        assert_eq!(parse_clock("23:59:59"), Ok(DAY_SECS - 1));
        assert_eq!(parse_clock("24:00"), Ok(DAY_SECS));
        for bad in ["25:00", "24:01", "9:00", "09:60", "09", "aa:bb", "09:00:61"] {
            assert!(parse_clock(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn weekday_ranges_wrap() {
        assert_eq!(
            parse_weekdays("mon-fri"),
            Ok([true, true, true, true, true, false, false])
        );
        assert_eq!(
            parse_weekdays("fri-mon"),
            Ok([true, false, false, false, true, true, true])
        );
        assert!(parse_weekdays("mon-fry").is_err());
        assert_eq!(parse_weekday("Sunday"), Ok(6));
    }

    #[test]
    fn overnight_window_belongs_to_the_day_it_starts() {
        let w = Window::parse("fri 22:00-02:00").unwrap();
        assert!(w.contains(4, 22 * 3600));
        assert!(w.contains(5, 3600)); // Saturday 01:00
        assert!(!w.contains(5, 2 * 3600)); // Saturday 02:00: closed
        assert!(!w.contains(4, 3600)); // Friday 01:00 belongs to Thursday's night
        assert!(!w.contains(4, 21 * 3600 + 3599));
    }

    #[test]
    fn business_hours_in_seoul_while_utc_is_the_previous_day() {
        let hours = Hours {
            tz: parse_tz("Asia/Seoul").unwrap(),
            windows: vec![Window::parse("mon-fri 09:00-18:00").unwrap()],
            holidays: BTreeSet::new(),
        };
        // Monday 2025-03-03 09:00 KST is Sunday 2025-03-02 24:00 UTC.
        let just_before = Utc.with_ymd_and_hms(2025, 3, 2, 23, 59, 59).unwrap();
        let opening = Utc.with_ymd_and_hms(2025, 3, 3, 0, 0, 0).unwrap();
        assert!(!hours.is_open(just_before));
        assert!(hours.is_open(opening));
        // 18:00 KST closes.
        assert!(hours.is_open(Utc.with_ymd_and_hms(2025, 3, 3, 8, 59, 59).unwrap()));
        assert!(!hours.is_open(Utc.with_ymd_and_hms(2025, 3, 3, 9, 0, 0).unwrap()));
    }

    #[test]
    fn holidays_close_the_whole_local_day() {
        let mut holidays = BTreeSet::new();
        holidays.insert(parse_date("2025-03-03").unwrap());
        let hours = Hours {
            tz: parse_tz("Asia/Seoul").unwrap(),
            windows: vec![Window::parse("mon-fri 09:00-18:00").unwrap()],
            holidays,
        };
        assert!(!hours.is_open(Utc.with_ymd_and_hms(2025, 3, 3, 1, 0, 0).unwrap()));
        assert!(hours.is_open(Utc.with_ymd_and_hms(2025, 3, 4, 1, 0, 0).unwrap()));
    }

    #[test]
    fn bad_zone_and_date() {
        assert!(parse_tz("Mars/Olympus").is_err());
        assert!(parse_date("2025-02-30").is_err());
        assert!(Window::parse("mon-fri 09:00-09:00").is_err());
        assert!(Window::parse("mon-fri 25:00-26:00").is_err());
    }
}
