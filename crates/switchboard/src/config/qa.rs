//! The `[qa]` section: the center's time zone (a review month is a calendar month on its wall
//! clock) and when the monthly sample is drawn. What is sampled (N per team or agent, minimum
//! talk time, the form) is set by admins through the API (`/api/qa/settings`).

use serde::{Deserialize, Serialize};
use toml::Spanned;

/// `[qa]` as written in the file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct QaSection {
    /// IANA name of the center's time zone (`Asia/Seoul`); default `UTC`.
    pub time_zone: Spanned<String>,
    /// Day of the month (1..=28, default 1) on which the previous month is sampled, at
    /// `sample_hour` local time.
    pub sample_day: Spanned<u32>,
    /// Hour of that day (0..=23, default 6).
    pub sample_hour: Spanned<u32>,
    /// Whether the scheduler samples at all (default true; the API samples on demand anyway).
    pub schedule: bool,
}

impl Default for QaSection {
    fn default() -> Self {
        QaSection {
            time_zone: Spanned::new(0..0, "UTC".into()),
            sample_day: Spanned::new(0..0, 1),
            sample_hour: Spanned::new(0..0, 6),
            schedule: true,
        }
    }
}

/// The resolved section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QaConfig {
    pub zone: qa::Tz,
    pub sample_day: u32,
    pub sample_hour: u32,
    pub schedule: bool,
}

impl Default for QaConfig {
    fn default() -> Self {
        QaConfig {
            zone: qa::Tz::UTC,
            sample_day: 1,
            sample_hour: 6,
            schedule: true,
        }
    }
}

/// Resolve the section; problems go to `problem` with their span.
pub fn resolve(s: QaSection, problem: &mut dyn FnMut(std::ops::Range<usize>, String)) -> QaConfig {
    let zone = match s.time_zone.get_ref().parse::<qa::Tz>() {
        Ok(z) => z,
        Err(_) => {
            problem(
                s.time_zone.span(),
                format!(
                    "qa.time_zone: `{}` is not an IANA time zone (like Asia/Seoul)",
                    s.time_zone.get_ref()
                ),
            );
            qa::Tz::UTC
        }
    };
    let day = *s.sample_day.get_ref();
    if !(1..=28).contains(&day) {
        problem(
            s.sample_day.span(),
            format!("qa.sample_day: {day} is not 1..=28 (every month has it)"),
        );
    }
    let hour = *s.sample_hour.get_ref();
    if hour > 23 {
        problem(
            s.sample_hour.span(),
            format!("qa.sample_hour: {hour} is not 0..=23"),
        );
    }
    QaConfig {
        zone,
        sample_day: day.clamp(1, 28),
        sample_hour: hour.min(23),
        schedule: s.schedule,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zone_and_day_resolve_and_bad_ones_are_named() {
        let s: QaSection =
            toml::from_str("time_zone = \"Asia/Seoul\"\nsample_day = 2\n").expect("parses");
        let mut problems = Vec::new();
        let c = resolve(s, &mut |_, m| problems.push(m));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(c.zone, qa::Tz::Asia__Seoul);
        assert_eq!((c.sample_day, c.sample_hour), (2, 6));

        let s: QaSection =
            toml::from_str("time_zone = \"Mars/Olympus\"\nsample_day = 31\nsample_hour = 24\n")
                .expect("parses");
        let mut problems = Vec::new();
        resolve(s, &mut |_, m| problems.push(m));
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("Mars/Olympus"), "{problems:?}");
    }
}
