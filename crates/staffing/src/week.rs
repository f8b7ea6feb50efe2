//! A coming week's staffing from a center's history, in one call: the forecast
//! ([`forecast::forecast_week`]), the callers' patience (from the abandons), the staffing
//! table ([`table::staffing_table`]) under the what-ifs, and next to each interval the agents
//! the center actually had logged in at that time of the week, with the service level that
//! staffing would give.
//!
//! - **Scheduled** agents of a slot (weekday, interval start) = the mean of the agents logged
//!   in during that slot over the weeks the forecast averaged (a week with no history row in
//!   the slot counts as none logged in).
//! - Their **service level**: ⌊scheduled × (1 − shrinkage)⌋ agents on the phone, under the
//!   same model as the agents needed (Erlang A when the patience is known, else Erlang C).
//! - **Patience** = (waits of answered + waits of abandoned calls) / abandoned calls over the
//!   whole history ([`erlang_a::patience_from_abandons`]); without abandons, Erlang C alone.
//! - **AHT**: an interval of history whose calls have no known handle time counts with the
//!   history's mean AHT; a what-if AHT replaces every interval's.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, NaiveTime};

use crate::forecast::{self, ForecastError, ForecastSettings, IntervalActual};
use crate::table::{self, StaffingPlan, StaffingRow, WhatIf};
use crate::{erlang_a, erlang_c, ServiceTarget, StaffingError};

/// One interval of the center's history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistoryInterval {
    pub date: NaiveDate,
    /// Local start of the interval.
    pub start: NaiveTime,
    pub offered: f64,
    pub abandoned: f64,
    /// Mean handle time of the interval's handled calls; `None` when none is known.
    pub aht_secs: Option<f64>,
    /// Calls behind `aht_secs` (weights the history's mean AHT).
    pub answered: f64,
    /// Total wait of the answered calls, seconds.
    pub answered_wait_secs: f64,
    /// Total wait of the abandoned calls, seconds.
    pub abandoned_wait_secs: f64,
    /// Agents logged in, on average over the interval.
    pub agents_logged_in: f64,
}

/// What to plan and under which rules and what-ifs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeekRequest {
    /// The Monday (or any first day) of the week to plan.
    pub week_start: NaiveDate,
    /// Length of an interval, seconds.
    pub interval_secs: f64,
    pub target: ServiceTarget,
    /// Share of scheduled time off the phone, in [0, 1).
    pub shrinkage: f64,
    /// Replaces every interval's AHT, seconds.
    pub aht_secs: Option<f64>,
    /// Multiplies the forecast calls.
    pub volume_scale: f64,
    pub settings: ForecastSettings,
}

/// One interval of the plan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeekRow {
    pub staffing: StaffingRow,
    /// Agents logged in at this time of the week, on average over the weeks averaged.
    pub scheduled: f64,
    /// The service level `scheduled` would give (see the module documentation).
    pub scheduled_service_level: f64,
}

/// The plan of a week, with the figures that explain it.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekPlan {
    pub rows: Vec<WeekRow>,
    pub weeks_used: u32,
    pub weekly_growth: f64,
    pub trend_factor: f64,
    /// The forecast's error on past weeks.
    pub error: Option<ForecastError>,
    /// Mean patience, seconds; `None`: no abandons, Erlang C alone.
    pub patience_secs: Option<f64>,
    /// The history's mean AHT, seconds (before any what-if).
    pub history_aht_secs: Option<f64>,
}

/// Plans `req.week_start`'s week from `history` (intervals before it; later ones are ignored).
pub fn plan_week(
    history: &[HistoryInterval],
    req: &WeekRequest,
) -> Result<WeekPlan, StaffingError> {
    let history: Vec<HistoryInterval> = history
        .iter()
        .filter(|h| h.date < req.week_start)
        .copied()
        .collect();
    let (work, handled) = history
        .iter()
        .filter_map(|h| h.aht_secs.map(|aht| (aht * h.answered, h.answered)))
        .fold((0.0, 0.0), |a, x| (a.0 + x.0, a.1 + x.1));
    let history_aht_secs = (handled > 0.0).then(|| work / handled);
    let actuals: Vec<IntervalActual> = history
        .iter()
        .map(|h| IntervalActual {
            date: h.date,
            start: h.start,
            offered: h.offered,
            aht_secs: h.aht_secs.or(history_aht_secs).unwrap_or(0.0),
        })
        .collect();
    let mut forecast = forecast::forecast_week(&actuals, req.week_start, req.settings)?;
    let calls: f64 = forecast.intervals.iter().map(|i| i.offered).sum();
    match (req.aht_secs, history_aht_secs) {
        (Some(aht), _) => {
            if !aht.is_finite() || aht <= 0.0 {
                return Err(StaffingError::Invalid {
                    what: "AHT",
                    value: aht,
                });
            }
            for i in &mut forecast.intervals {
                i.aht_secs = aht;
            }
        }
        (None, None) if calls > 0.0 => return Err(StaffingError::NoHandleTime),
        _ => {}
    }

    let (waits, abandons) = history.iter().fold((0.0, 0.0), |a, h| {
        (
            a.0 + h.answered_wait_secs + h.abandoned_wait_secs,
            a.1 + h.abandoned,
        )
    });
    let patience_secs = erlang_a::patience_from_abandons(waits, abandons.round() as u64);
    let plan = StaffingPlan {
        target: req.target,
        interval_secs: req.interval_secs,
        shrinkage: req.shrinkage,
        patience_secs,
    };
    let what_if = WhatIf {
        volume_scale: req.volume_scale,
        ..WhatIf::default()
    };
    let rows = table::staffing_table(&forecast.intervals, &plan, &what_if)?;
    let scheduled = scheduled_by_slot(&history, req, forecast.weeks_used);
    let rows = rows
        .into_iter()
        .map(|staffing| {
            let slot = (
                staffing.date.weekday().num_days_from_monday(),
                staffing.start,
            );
            let scheduled = scheduled.get(&slot).copied().unwrap_or(0.0);
            let scheduled_service_level = service_level(&staffing, scheduled, &plan)?;
            Ok(WeekRow {
                staffing,
                scheduled,
                scheduled_service_level,
            })
        })
        .collect::<Result<Vec<_>, StaffingError>>()?;
    Ok(WeekPlan {
        rows,
        weeks_used: forecast.weeks_used,
        weekly_growth: forecast.weekly_growth,
        trend_factor: forecast.trend_factor,
        error: forecast.error,
        patience_secs,
        history_aht_secs,
    })
}

/// Mean agents logged in per slot over the weeks the forecast averaged: the last
/// `settings.weeks` weeks before the planned one that have any history.
fn scheduled_by_slot(
    history: &[HistoryInterval],
    req: &WeekRequest,
    weeks_used: u32,
) -> BTreeMap<(u32, NaiveTime), f64> {
    let week_of = |d: NaiveDate| (d - req.week_start).num_days().div_euclid(7);
    let mut weeks: Vec<i64> = history.iter().map(|h| week_of(h.date)).collect();
    weeks.sort_unstable();
    weeks.dedup();
    let used: Vec<i64> = weeks
        .into_iter()
        .rev()
        .filter(|w| *w >= -i64::from(req.settings.weeks))
        .collect();
    let mut sums = BTreeMap::new();
    for h in history.iter().filter(|h| used.contains(&week_of(h.date))) {
        *sums
            .entry((h.date.weekday().num_days_from_monday(), h.start))
            .or_insert(0.0) += h.agents_logged_in;
    }
    let n = f64::from(weeks_used.max(1));
    sums.into_iter()
        .map(|(slot, sum)| (slot, sum / n))
        .collect()
}

/// The service level ⌊scheduled × (1 − shrinkage)⌋ agents give the row's load.
fn service_level(
    row: &StaffingRow,
    scheduled: f64,
    plan: &StaffingPlan,
) -> Result<f64, StaffingError> {
    if row.offered <= 0.0 || row.aht_secs <= 0.0 {
        return Ok(1.0);
    }
    let on_phone = (scheduled * (1.0 - plan.shrinkage) + 1e-9).floor().max(0.0) as u32;
    let within = plan.target.within_secs;
    match plan.patience_secs {
        Some(patience_secs) => {
            let load = erlang_a::Load {
                arrivals_per_sec: row.offered / plan.interval_secs,
                aht_secs: row.aht_secs,
                patience_secs,
            };
            match erlang_a::figures(on_phone, load, within) {
                Ok(f) => Ok(f.service_level),
                // Far too few agents for callers this patient: nobody is answered in time.
                Err(StaffingError::QueueTooLong { .. }) => Ok(0.0),
                Err(e) => Err(e),
            }
        }
        None => Ok(erlang_c::service_level(
            on_phone,
            row.erlangs,
            row.aht_secs,
            within,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn monday(week: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 2).unwrap() + chrono::Duration::days(7 * week)
    }

    fn ten() -> NaiveTime {
        NaiveTime::from_hms_opt(10, 0, 0).unwrap()
    }

    fn interval(week: i64, offered: f64, abandoned: f64, agents: f64) -> HistoryInterval {
        HistoryInterval {
            date: monday(week),
            start: ten(),
            offered,
            abandoned,
            aht_secs: Some(180.0),
            answered: offered - abandoned,
            answered_wait_secs: 0.0,
            abandoned_wait_secs: abandoned * 60.0,
            agents_logged_in: agents,
        }
    }

    fn request() -> WeekRequest {
        WeekRequest {
            week_start: monday(0),
            interval_secs: 1800.0,
            target: ServiceTarget::new(0.8, 20.0).unwrap(),
            shrinkage: 0.0,
            aht_secs: None,
            volume_scale: 1.0,
            settings: ForecastSettings::default(),
        }
    }

    #[test]
    fn the_worked_example_from_four_flat_weeks() {
        let history: Vec<_> = (1..=4).map(|w| interval(-w, 100.0, 0.0, 13.0)).collect();
        let plan = plan_week(&history, &request()).unwrap();
        assert_eq!(plan.rows.len(), 1);
        let r = plan.rows[0];
        assert_eq!(r.staffing.offered, 100.0);
        assert_eq!(r.staffing.erlang_c.agents, 14);
        assert_eq!(r.scheduled, 13.0);
        assert_eq!(
            (r.scheduled_service_level * 10_000.0).round() / 100.0,
            79.56
        );
        assert_eq!(plan.patience_secs, None);
        // Shrinkage 25 %: 13 logged in are 9 on the phone.
        let shrunk = plan_week(
            &history,
            &WeekRequest {
                shrinkage: 0.25,
                ..request()
            },
        )
        .unwrap();
        let nine = erlang_c::service_level(9, 10.0, 180.0, 20.0);
        assert_eq!(shrunk.rows[0].scheduled_service_level, nine);
        assert_eq!(shrunk.rows[0].staffing.scheduled, 19); // 14 / 0.75
    }

    #[test]
    fn abandons_give_patience_and_erlang_a() {
        // 10 abandons a week, each after 60 s; answered calls waited nothing: patience 60 s.
        let history: Vec<_> = (1..=4).map(|w| interval(-w, 100.0, 10.0, 13.0)).collect();
        let plan = plan_week(&history, &request()).unwrap();
        assert_eq!(plan.patience_secs, Some(60.0));
        let a = plan.rows[0].staffing.erlang_a.unwrap();
        assert_eq!(plan.rows[0].staffing.on_phone, a.agents);
    }

    #[test]
    fn what_ifs_and_missing_handle_times() {
        let history: Vec<_> = (1..=4).map(|w| interval(-w, 100.0, 0.0, 13.0)).collect();
        let longer = plan_week(
            &history,
            &WeekRequest {
                aht_secs: Some(360.0),
                volume_scale: 0.5,
                ..request()
            },
        )
        .unwrap();
        // Half the calls, twice as long: the same 10 erlangs.
        assert!((longer.rows[0].staffing.erlangs - 10.0).abs() < 1e-9);
        let unknown: Vec<_> = history
            .iter()
            .map(|h| HistoryInterval {
                aht_secs: None,
                ..*h
            })
            .collect();
        assert_eq!(
            plan_week(&unknown, &request()),
            Err(StaffingError::NoHandleTime)
        );
        assert!(plan_week(
            &history,
            &WeekRequest {
                aht_secs: Some(-1.0),
                ..request()
            }
        )
        .is_err());
    }
}
