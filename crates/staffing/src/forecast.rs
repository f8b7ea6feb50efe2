//! A week's forecast of calls per interval from the center's own history, simple enough to
//! explain to the manager who staffs from it.
//!
//! The formula, for the week starting `week_start` and each slot (weekday, interval start):
//! - **seasonal average** `S` = mean of the slot's offered calls over the last `K` weeks that
//!   have any history (a missing interval in such a week counted as no calls);
//! - **weekly growth** `g` = (calls in the last `H` weeks / calls in the `H` weeks before them)
//!   ^ (1 / H), clamped to [0.5, 2] so a holiday cannot run away with it; 1 when `H` is 0 or
//!   those weeks are missing;
//! - the average sits, on average, `c` weeks before the forecast week (c = (K + 1) / 2 when the
//!   K weeks are all there), so **forecast** = `S × g^c`;
//! - **AHT** = the slot's call-weighted mean handle time over the same weeks (the weeks' mean
//!   when the slot had no calls).
//!
//! Its **error** is measured on the last `holdout_weeks` weeks of history: each is forecast
//! from the weeks before it alone and compared with what happened: WAPE = Σ|F − A| / ΣA over
//! all their intervals, MAPE = mean of |F − A| / A over intervals with calls.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Weekday};

use crate::StaffingError;

/// One interval of history: calls offered and their average handle time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IntervalActual {
    pub date: NaiveDate,
    /// When the interval starts (local time of the center).
    pub start: NaiveTime,
    pub offered: f64,
    pub aht_secs: f64,
}

/// The knobs of the formula (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForecastSettings {
    /// K: weeks averaged.
    pub weeks: u32,
    /// H: weeks compared for the trend (0: no trend).
    pub trend_weeks: u32,
    /// Weeks held out to measure the error (0: not measured).
    pub holdout_weeks: u32,
}

impl Default for ForecastSettings {
    fn default() -> Self {
        ForecastSettings {
            weeks: 4,
            trend_weeks: 2,
            holdout_weeks: 4,
        }
    }
}

/// The forecast of one interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IntervalForecast {
    pub date: NaiveDate,
    pub weekday: Weekday,
    pub start: NaiveTime,
    pub offered: f64,
    pub aht_secs: f64,
}

/// How far forecasts of past weeks were from what happened.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForecastError {
    /// Weeks forecast and compared.
    pub weeks: u32,
    /// Weighted absolute percentage error, as a fraction.
    pub wape: f64,
    /// Mean absolute percentage error over intervals with calls, as a fraction.
    pub mape: f64,
}

/// A week's forecast with the figures that explain it.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    pub week_start: NaiveDate,
    /// By date, then interval start.
    pub intervals: Vec<IntervalForecast>,
    /// Weeks averaged (at most K).
    pub weeks_used: u32,
    /// g, per week.
    pub weekly_growth: f64,
    /// g^c, applied to every seasonal average.
    pub trend_factor: f64,
    /// `None` when no past week could be forecast from the weeks before it.
    pub error: Option<ForecastError>,
}

/// A slot of the week: days from Monday, interval start.
type Slot = (u32, NaiveTime);

/// History folded by week (0 is the forecast week, −1 the one before) and slot.
struct Weeks {
    /// (offered, offered × AHT) per week and slot.
    cells: BTreeMap<(i64, Slot), (f64, f64)>,
    slots: BTreeSet<Slot>,
}

impl Weeks {
    fn new(history: &[IntervalActual], week_start: NaiveDate) -> Weeks {
        let mut cells = BTreeMap::new();
        let mut slots = BTreeSet::new();
        for row in history {
            let week = (row.date - week_start).num_days().div_euclid(7);
            let slot = (row.date.weekday().num_days_from_monday(), row.start);
            let offered = if row.offered.is_finite() {
                row.offered.max(0.0)
            } else {
                0.0
            };
            let aht = if row.aht_secs.is_finite() {
                row.aht_secs.max(0.0)
            } else {
                0.0
            };
            let cell: &mut (f64, f64) = cells.entry((week, slot)).or_default();
            cell.0 += offered;
            cell.1 += offered * aht;
            slots.insert(slot);
        }
        Weeks { cells, slots }
    }

    fn has(&self, week: i64) -> bool {
        self.cells
            .range((week, MIN_SLOT)..(week + 1, MIN_SLOT))
            .next()
            .is_some()
    }

    fn total(&self, week: i64) -> (f64, f64) {
        self.cells
            .range((week, MIN_SLOT)..(week + 1, MIN_SLOT))
            .fold((0.0, 0.0), |acc, (_, c)| (acc.0 + c.0, acc.1 + c.1))
    }
}

const MIN_SLOT: Slot = (0, NaiveTime::MIN);

/// The forecast for the week starting `week_start`, from the history before it.
pub fn forecast_week(
    history: &[IntervalActual],
    week_start: NaiveDate,
    settings: ForecastSettings,
) -> Result<Forecast, StaffingError> {
    let weeks = Weeks::new(history, week_start);
    let mut forecast = forecast_from(&weeks, week_start, 0, settings)?;
    forecast.error = holdout_error(history, week_start, settings);
    Ok(forecast)
}

/// The forecast of week `target` (0 or a past week) from the weeks before it.
fn forecast_from(
    weeks: &Weeks,
    week_start: NaiveDate,
    target: i64,
    settings: ForecastSettings,
) -> Result<Forecast, StaffingError> {
    let first = week_start + Duration::days(7 * target);
    let used: Vec<i64> = (1..=i64::from(settings.weeks))
        .map(|back| target - back)
        .filter(|w| weeks.has(*w))
        .collect();
    if used.is_empty() {
        return Err(StaffingError::NoHistory(first));
    }
    let weekly_growth = growth(weeks, target, settings.trend_weeks);
    let center = used.iter().map(|w| (target - w) as f64).sum::<f64>() / used.len() as f64;
    let trend_factor = weekly_growth.powf(center);
    let (all_offered, all_work) = used
        .iter()
        .map(|w| weeks.total(*w))
        .fold((0.0, 0.0), |a, t| (a.0 + t.0, a.1 + t.1));
    let mean_aht = if all_offered > 0.0 {
        all_work / all_offered
    } else {
        0.0
    };

    let mut intervals = Vec::new();
    for day in 0..7 {
        let date = first + Duration::days(day);
        let weekday = date.weekday();
        let slots = weeks
            .slots
            .range((weekday.num_days_from_monday(), NaiveTime::MIN)..);
        for &(d, start) in slots.take_while(|(d, _)| *d == weekday.num_days_from_monday()) {
            let (offered, work) = used.iter().fold((0.0, 0.0), |acc, w| {
                let c = weeks
                    .cells
                    .get(&(*w, (d, start)))
                    .copied()
                    .unwrap_or_default();
                (acc.0 + c.0, acc.1 + c.1)
            });
            intervals.push(IntervalForecast {
                date,
                weekday,
                start,
                offered: offered / used.len() as f64 * trend_factor,
                aht_secs: if offered > 0.0 {
                    work / offered
                } else {
                    mean_aht
                },
            });
        }
    }
    Ok(Forecast {
        week_start: first,
        intervals,
        weeks_used: used.len() as u32,
        weekly_growth,
        trend_factor,
        error: None,
    })
}

/// g: the ratio of the last `h` weeks' calls to the `h` before, per week.
fn growth(weeks: &Weeks, target: i64, h: u32) -> f64 {
    let h = i64::from(h);
    if h == 0 {
        return 1.0;
    }
    let sum = |from: i64| -> Option<f64> {
        (from..from + h)
            .map(|w| weeks.has(w).then(|| weeks.total(w).0))
            .sum::<Option<f64>>()
    };
    match (sum(target - h), sum(target - 2 * h)) {
        (Some(recent), Some(before)) if before > 0.0 && recent > 0.0 => {
            (recent / before).powf(1.0 / h as f64).clamp(0.5, 2.0)
        }
        _ => 1.0,
    }
}

/// The forecast error on the last `holdout_weeks` weeks of history before `week_start`.
fn holdout_error(
    history: &[IntervalActual],
    week_start: NaiveDate,
    settings: ForecastSettings,
) -> Option<ForecastError> {
    let weeks = Weeks::new(history, week_start);
    let (mut abs, mut actual_sum, mut ape, mut ape_n, mut compared) = (0.0, 0.0, 0.0, 0u32, 0u32);
    for back in 1..=i64::from(settings.holdout_weeks) {
        let target = -back;
        if !weeks.has(target) {
            continue;
        }
        let Ok(f) = forecast_from(&weeks, week_start, target, settings) else {
            continue;
        };
        compared += 1;
        let mut seen = BTreeSet::new();
        for i in &f.intervals {
            let slot = (i.weekday.num_days_from_monday(), i.start);
            seen.insert(slot);
            let actual = weeks.cells.get(&(target, slot)).map_or(0.0, |c| c.0);
            abs += (i.offered - actual).abs();
            actual_sum += actual;
            if actual > 0.0 {
                ape += (i.offered - actual).abs() / actual;
                ape_n += 1;
            }
        }
        // Calls in slots the forecast did not have count fully as error.
        for ((_, slot), c) in weeks
            .cells
            .range((target, MIN_SLOT)..(target + 1, MIN_SLOT))
        {
            if !seen.contains(slot) {
                abs += c.0;
                actual_sum += c.0;
                ape += 1.0;
                ape_n += 1;
            }
        }
    }
    (compared > 0 && actual_sum > 0.0).then(|| ForecastError {
        weeks: compared,
        wape: abs / actual_sum,
        mape: if ape_n > 0 {
            ape / f64::from(ape_n)
        } else {
            0.0
        },
    })
}
