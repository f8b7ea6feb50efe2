//! The staffing table: per forecast interval, the agents needed on the phone (Erlang C, and
//! Erlang A when the callers' patience is known), what that staffing is expected to give
//! (service level, ASA, occupancy), and the agents to schedule once shrinkage is taken off.
//! A [`WhatIf`] changes the target, the handle time or the volume and the table follows.

use chrono::{NaiveDate, NaiveTime};

use crate::erlang_a::{self, ErlangAFigures};
use crate::erlang_c::{self, ErlangCFigures};
use crate::forecast::IntervalForecast;
use crate::shrinkage::{check_shrinkage, scheduled_agents};
use crate::{ServiceTarget, StaffingError};

/// The center's rules for staffing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StaffingPlan {
    pub target: ServiceTarget,
    /// Length of each forecast interval, seconds (1800 for half hours).
    pub interval_secs: f64,
    /// Share of scheduled time not on the phone, in [0, 1).
    pub shrinkage: f64,
    /// Mean patience (from [`erlang_a::patience_from_abandons`]); `None`: Erlang C only.
    pub patience_secs: Option<f64>,
}

/// A what-if on top of the plan and the forecast: another target, handle time or volume.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WhatIf {
    /// Replaces the plan's target.
    pub target: Option<ServiceTarget>,
    /// Multiplies every interval's AHT (1.1: calls 10 % longer).
    pub aht_scale: f64,
    /// Multiplies every interval's forecast calls.
    pub volume_scale: f64,
}

impl Default for WhatIf {
    fn default() -> Self {
        WhatIf {
            target: None,
            aht_scale: 1.0,
            volume_scale: 1.0,
        }
    }
}

/// One interval of the table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StaffingRow {
    pub date: NaiveDate,
    pub start: NaiveTime,
    /// Forecast calls after the what-if.
    pub offered: f64,
    /// AHT after the what-if, seconds.
    pub aht_secs: f64,
    pub erlangs: f64,
    /// Erlang C: the fewest agents meeting the target and what they give.
    pub erlang_c: ErlangCFigures,
    /// Erlang A, when the patience is known.
    pub erlang_a: Option<ErlangAFigures>,
    /// Agents needed on the phone: Erlang A's count when known, else Erlang C's.
    pub on_phone: u32,
    /// Agents to schedule: `on_phone` grossed up for shrinkage.
    pub scheduled: u32,
}

/// The table for `forecast` under `plan` and `what_if`.
pub fn staffing_table(
    forecast: &[IntervalForecast],
    plan: &StaffingPlan,
    what_if: &WhatIf,
) -> Result<Vec<StaffingRow>, StaffingError> {
    let target = what_if.target.unwrap_or(plan.target);
    target.check()?;
    check_shrinkage(plan.shrinkage)?;
    for (what, value) in [
        ("interval length", plan.interval_secs),
        ("AHT scale", what_if.aht_scale),
        ("volume scale", what_if.volume_scale),
    ] {
        if !value.is_finite() || value <= 0.0 {
            return Err(StaffingError::Invalid { what, value });
        }
    }
    forecast
        .iter()
        .map(|interval| row(interval, plan, what_if, target))
        .collect()
}

fn row(
    interval: &IntervalForecast,
    plan: &StaffingPlan,
    what_if: &WhatIf,
    target: ServiceTarget,
) -> Result<StaffingRow, StaffingError> {
    let offered = interval.offered * what_if.volume_scale;
    let aht_secs = interval.aht_secs * what_if.aht_scale;
    let arrivals_per_sec = offered / plan.interval_secs;
    let erlangs = arrivals_per_sec * aht_secs;
    // An interval without calls (or with no handle time known) needs nobody.
    if offered <= 0.0 || aht_secs <= 0.0 {
        return Ok(StaffingRow {
            date: interval.date,
            start: interval.start,
            offered,
            aht_secs,
            erlangs: 0.0,
            erlang_c: ErlangCFigures {
                agents: 0,
                p_wait: 0.0,
                service_level: 1.0,
                asa_secs: 0.0,
                occupancy: 0.0,
            },
            erlang_a: None,
            on_phone: 0,
            scheduled: 0,
        });
    }
    let c_agents = erlang_c::agents_needed(erlangs, aht_secs, target)?;
    let erlang_c = erlang_c::figures(c_agents, erlangs, aht_secs, target);
    let erlang_a = match plan.patience_secs {
        Some(patience_secs) => {
            let load = erlang_a::Load {
                arrivals_per_sec,
                aht_secs,
                patience_secs,
            };
            let agents = erlang_a::agents_needed(load, target)?;
            Some(erlang_a::figures(agents, load, target.within_secs)?)
        }
        None => None,
    };
    let on_phone = erlang_a.map_or(c_agents, |a| a.agents);
    Ok(StaffingRow {
        date: interval.date,
        start: interval.start,
        offered,
        aht_secs,
        erlangs,
        erlang_c,
        erlang_a,
        on_phone,
        scheduled: scheduled_agents(on_phone, plan.shrinkage)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    fn interval(offered: f64, aht_secs: f64) -> IntervalForecast {
        let date = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        IntervalForecast {
            date,
            weekday: date.weekday(),
            start: NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
            offered,
            aht_secs,
        }
    }

    fn plan(patience_secs: Option<f64>) -> StaffingPlan {
        StaffingPlan {
            target: ServiceTarget::new(0.80, 20.0).unwrap(),
            interval_secs: 1800.0,
            shrinkage: 0.30,
            patience_secs,
        }
    }

    #[test]
    fn the_worked_example_as_a_table_row() {
        let rows =
            staffing_table(&[interval(100.0, 180.0)], &plan(None), &WhatIf::default()).unwrap();
        let r = rows[0];
        assert!((r.erlangs - 10.0).abs() < 1e-12);
        assert_eq!(r.erlang_c.agents, 14);
        assert_eq!((r.erlang_c.service_level * 10_000.0).round() / 100.0, 88.84);
        assert_eq!((r.erlang_c.asa_secs * 100.0).round() / 100.0, 7.84);
        assert_eq!(r.on_phone, 14);
        assert_eq!(r.scheduled, 20); // 14 / (1 − 0.3)
        assert!(r.erlang_a.is_none());
    }

    #[test]
    fn what_ifs_move_the_answer_the_right_way() {
        let base = interval(100.0, 180.0);
        let p = plan(None);
        let agents = |w: WhatIf| staffing_table(&[base], &p, &w).unwrap()[0].on_phone;
        let none = agents(WhatIf::default());
        let stricter = agents(WhatIf {
            target: Some(ServiceTarget::new(0.95, 20.0).unwrap()),
            ..WhatIf::default()
        });
        let longer = agents(WhatIf {
            aht_scale: 1.5,
            ..WhatIf::default()
        });
        let busier = agents(WhatIf {
            volume_scale: 2.0,
            ..WhatIf::default()
        });
        assert!(stricter > none && longer > none && busier > none);
        // Doubling the volume is exactly 20 erlangs: the same as 200 calls in the forecast.
        let doubled = staffing_table(&[interval(200.0, 180.0)], &p, &WhatIf::default()).unwrap();
        assert_eq!(busier, doubled[0].on_phone);
        // Economies of scale: twice the traffic needs fewer than twice the agents.
        assert!(busier < 2 * none);
    }

    #[test]
    fn with_patience_erlang_a_decides_and_no_calls_need_nobody() {
        let rows = staffing_table(
            &[interval(100.0, 180.0), interval(0.0, 0.0)],
            &plan(Some(60.0)),
            &WhatIf::default(),
        )
        .unwrap();
        let a = rows[0].erlang_a.unwrap();
        assert_eq!(rows[0].on_phone, a.agents);
        assert!(a.service_level >= 0.80);
        assert!(a.agents <= rows[0].erlang_c.agents);
        assert_eq!(rows[1].on_phone, 0);
        assert_eq!(rows[1].scheduled, 0);
        let bad = WhatIf {
            volume_scale: -1.0,
            ..WhatIf::default()
        };
        assert!(staffing_table(&[interval(1.0, 1.0)], &plan(None), &bad).is_err());
    }
}
