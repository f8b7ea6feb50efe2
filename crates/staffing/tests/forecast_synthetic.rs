//! The forecast against synthetic history generated with a known pattern: a weekday shape ×
//! an intraday shape × weekly growth, with Poisson noise from a fixed seed. The forecast must
//! recover the pattern of the coming week within a stated error, and its hold-out error must
//! say how far off it is.

mod common;

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Weekday};
use common::Rng;
use staffing::forecast::{forecast_week, ForecastSettings, IntervalActual};

/// The coming week: a Monday.
fn week0() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
}

fn weekday_shape(d: Weekday) -> f64 {
    [1.25, 1.1, 1.0, 1.0, 0.9, 0.45, 0.2][d.num_days_from_monday() as usize]
}

/// Half-hour intervals 08:00–17:30, peaking late morning and mid afternoon.
fn intraday(slot: u32) -> f64 {
    let h = 8.0 + f64::from(slot) / 2.0;
    0.6 + 0.5 * (-(h - 10.5f64).powi(2) / 2.0).exp() + 0.4 * (-(h - 14.5f64).powi(2) / 3.0).exp()
}

fn aht(slot: u32) -> f64 {
    if slot < 8 {
        170.0
    } else {
        210.0
    }
}

fn start(slot: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(8, 0, 0).unwrap() + Duration::minutes(30 * i64::from(slot))
}

/// Expected calls in an interval of `date`, with `base` calls per interval in week 0.
fn expected(date: NaiveDate, slot: u32, base: f64, growth: f64) -> f64 {
    let week = (date - week0()).num_days().div_euclid(7) as f64;
    base * weekday_shape(date.weekday()) * intraday(slot) * growth.powf(week)
}

fn history(weeks: i64, base: f64, growth: f64, noise: Option<u64>) -> Vec<IntervalActual> {
    let mut rng = noise.map(Rng);
    let mut rows = Vec::new();
    for day in -7 * weeks..0 {
        let date = week0() + Duration::days(day);
        for slot in 0..20 {
            let mean = expected(date, slot, base, growth);
            rows.push(IntervalActual {
                date,
                start: start(slot),
                offered: rng.as_mut().map_or(mean, |r| r.poisson(mean)),
                aht_secs: aht(slot),
            });
        }
    }
    rows
}

/// WAPE of the forecast against the true expected calls of week 0.
fn wape_against_truth(
    rows: &[IntervalActual],
    settings: ForecastSettings,
    base: f64,
    growth: f64,
) -> f64 {
    let f = forecast_week(rows, week0(), settings).unwrap();
    assert_eq!(f.intervals.len(), 7 * 20);
    let (mut abs, mut sum) = (0.0, 0.0);
    for (i, interval) in f.intervals.iter().enumerate() {
        let slot = (i % 20) as u32;
        assert_eq!(interval.start, start(slot));
        assert_eq!(interval.date, week0() + Duration::days(i as i64 / 20));
        assert!((interval.aht_secs - aht(slot)).abs() < 1e-9);
        let truth = expected(interval.date, slot, base, growth);
        abs += (interval.offered - truth).abs();
        sum += truth;
    }
    abs / sum
}

#[test]
fn a_noiseless_growing_pattern_is_recovered_within_half_a_percent() {
    let rows = history(12, 50.0, 1.03, None);
    let settings = ForecastSettings::default();
    let f = forecast_week(&rows, week0(), settings).unwrap();
    assert_eq!(f.weeks_used, 4);
    assert!((f.weekly_growth - 1.03).abs() < 1e-9, "{}", f.weekly_growth);
    let wape = wape_against_truth(&rows, settings, 50.0, 1.03);
    assert!(wape < 0.005, "WAPE {wape}");
    let error = f.error.unwrap();
    assert_eq!(error.weeks, 4);
    assert!(error.wape < 0.005 && error.mape < 0.005, "{error:?}");
    // Without the trend the same history misses by about 2.5 weeks of growth (7.7 %).
    let flat = ForecastSettings {
        trend_weeks: 0,
        ..settings
    };
    let wape_flat = wape_against_truth(&rows, flat, 50.0, 1.03);
    assert!(wape_flat > 0.06, "WAPE without trend {wape_flat}");
    let error_flat = forecast_week(&rows, week0(), flat).unwrap().error.unwrap();
    assert!(error_flat.wape > 0.06, "{error_flat:?}");
}

#[test]
fn a_noisy_pattern_is_recovered_within_four_and_a_half_percent_and_the_holdout_says_so() {
    // 200 calls per interval at the base: Poisson noise of a 4-week mean is about 3.5 %.
    // Measured with this seed: 3.3 % against the truth, 7.2 % WAPE on the held-out weeks.
    let rows = history(16, 200.0, 1.01, Some(7));
    let settings = ForecastSettings::default();
    let wape = wape_against_truth(&rows, settings, 200.0, 1.01);
    assert!(wape < 0.045, "WAPE against the true pattern {wape}");
    let f = forecast_week(&rows, week0(), settings).unwrap();
    assert!((f.weekly_growth - 1.01).abs() < 0.03, "{}", f.weekly_growth);
    let error = f.error.unwrap();
    // A past week is one noisy draw against a noisy mean: error somewhat above the noise.
    assert!(error.wape > 0.03 && error.wape < 0.10, "{error:?}");
    assert!(error.mape > error.wape * 0.8, "{error:?}");
}

#[test]
fn short_or_missing_history() {
    assert!(forecast_week(&[], week0(), ForecastSettings::default()).is_err());
    // Two weeks: both averaged, no trend (needs 2 × 2 weeks), error from the last week only.
    let rows = history(2, 50.0, 1.0, None);
    let f = forecast_week(&rows, week0(), ForecastSettings::default()).unwrap();
    assert_eq!(f.weeks_used, 2);
    assert_eq!(f.weekly_growth, 1.0);
    assert_eq!(f.error.unwrap().weeks, 1);
    // History after the forecast week is not used.
    let later = forecast_week(
        &rows,
        week0() - Duration::days(14),
        ForecastSettings::default(),
    );
    assert!(later.is_err());
}
