//! The history staffing is planned from: per interval (15, 30 or 60 minutes) of past weeks,
//! the calls offered to a set of queues, answered and abandoned, their handle time and waits,
//! and how many agents were logged in. The call figures are the queue report's (one
//! computation: the chosen queues' visits go through [`queue_report::compute_keyed`] as one
//! queue); the logged-in agents are the agent report's logged-in time per interval (the same
//! [`agent_report::compute`] run over each interval) divided by the interval's length.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDateTime, Timelike, Utc};

use crate::acd::report::{check_window, offset};
use crate::acd::{agent_report, queue_report};
use crate::{AgentEventKind, AgentEventRecord, Crm, CrmError, Interval, ReportQuery};

/// What [`Crm::staffing_history`] reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffingHistoryQuery {
    /// Start of the history (inclusive); intervals start at local multiples of their length.
    pub from: DateTime<Utc>,
    /// End of the history (exclusive).
    pub to: DateTime<Utc>,
    /// The present: agents' last known states last until here, not until `to`.
    pub now: DateTime<Utc>,
    /// The queues whose calls count, together; `None`: every queue.
    pub queues: Option<Vec<String>>,
    /// The agents whose logged-in time counts; `None`: every agent.
    pub agents: Option<Vec<String>>,
    /// [`Interval::Min15`], [`Interval::Min30`] or [`Interval::Hour`].
    pub interval: Interval,
    /// Fixed offset from UTC in minutes in which intervals are cut (as in [`ReportQuery`]).
    pub tz_offset_minutes: i32,
}

/// One interval of history. Intervals with neither calls nor agents logged in are left out.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct IntervalHistory {
    /// Local start of the interval (in the query's offset).
    pub start: NaiveDateTime,
    /// Calls that entered one of the queues in the interval (a call moved between two of the
    /// chosen queues counts in both, as in the queue report).
    pub offered: u64,
    pub answered: u64,
    pub abandoned: u64,
    /// Mean talk (hold included) + wrap-up of the completed calls (the queue report's AHT).
    pub aht_secs: Option<f64>,
    /// Total wait of the answered calls, seconds.
    pub answered_wait_secs: f64,
    /// Total wait of the abandoned calls, seconds.
    pub abandoned_wait_secs: f64,
    /// Agents logged in (any state but logged out, paused included), on average over the
    /// interval: logged-in seconds of all counted agents / the interval's seconds.
    pub agents_logged_in: f64,
}

impl StaffingHistoryQuery {
    fn step(&self) -> Result<i64, CrmError> {
        match self.interval {
            Interval::Min15 => Ok(15),
            Interval::Min30 => Ok(30),
            Interval::Hour => Ok(60),
            other => Err(CrmError::InvalidField {
                field: "interval",
                reason: format!("{other:?}: staffing intervals are 15, 30 or 60 minutes"),
            }),
        }
    }
}

impl Crm {
    /// Calls and logged-in agents per interval of `[q.from, q.to)`, in time order.
    pub async fn staffing_history(
        &self,
        q: &StaffingHistoryQuery,
    ) -> Result<Vec<IntervalHistory>, CrmError> {
        check_window(q.from, q.to)?;
        let step = q.step()?;
        let tz = offset(q.tz_offset_minutes)?;
        let mut out: BTreeMap<i64, IntervalHistory> = BTreeMap::new();
        let empty = |order: i64| IntervalHistory {
            start: DateTime::from_timestamp(order, 0)
                .unwrap_or_default()
                .naive_utc(),
            offered: 0,
            answered: 0,
            abandoned: 0,
            aht_secs: None,
            answered_wait_secs: 0.0,
            abandoned_wait_secs: 0.0,
            agents_logged_in: 0.0,
        };

        // Calls: the chosen queues' events, as one queue, through the queue report.
        let queues = q.queues.clone().unwrap_or_default();
        let mut visits = self.report_inputs(q.from, q.to, &queues, None).await?;
        if let Some(queues) = &q.queues {
            let chosen: BTreeSet<&str> = queues.iter().map(String::as_str).collect();
            visits.retain(|v| chosen.contains(v.queue.as_str()));
        }
        for v in &mut visits {
            "chosen".clone_into(&mut v.queue);
        }
        let mut report = ReportQuery::new(q.from, q.to);
        report.interval = q.interval;
        report.tz_offset_minutes = q.tz_offset_minutes;
        for (order, row) in queue_report::compute_keyed(&report, &visits)? {
            let h = out.entry(order).or_insert_with(|| empty(order));
            h.offered = row.offered;
            h.answered = row.answered;
            h.abandoned = row.abandoned;
            h.aht_secs = row.aht_secs;
            h.answered_wait_secs = row.asa_secs.unwrap_or(0.0) * row.answered as f64;
            h.abandoned_wait_secs = row.avg_abandon_wait_secs.unwrap_or(0.0) * row.abandoned as f64;
        }

        // Agents: the agent report's logged-in time, interval by interval.
        let until = q.to.min(q.now);
        if until > q.from {
            let (before, inside) = self.agent_inputs(q.from, until, None).await?;
            let counted = |agent: &str| {
                q.agents
                    .as_ref()
                    .is_none_or(|list| list.iter().any(|a| a == agent))
            };
            let mut last: BTreeMap<&str, &AgentEventRecord> = before
                .iter()
                .filter(|e| counted(&e.agent))
                .map(|e| (e.agent.as_str(), e))
                .collect();
            let inside: Vec<&AgentEventRecord> =
                inside.iter().filter(|e| counted(&e.agent)).collect();
            let local = q.from.with_timezone(&tz).naive_local();
            let floored = local
                .date()
                .and_hms_opt(local.hour(), local.minute() / step as u32 * step as u32, 0)
                .unwrap_or(local);
            let length = Duration::minutes(step);
            let mut start = floored.and_utc() - Duration::seconds(i64::from(tz.local_minus_utc()));
            let mut next = 0;
            while start < until {
                let end = (start + length).min(until);
                let first = next;
                while next < inside.len() && inside[next].at < end {
                    next += 1;
                }
                let slice = inside[first..next].iter().copied();
                let window_start = start.max(q.from);
                let was = last.values().copied();
                let logged_in: f64 = agent_report::compute(window_start, end, was, slice, &[])
                    .iter()
                    .map(|r| r.logged_in_secs)
                    .sum();
                if logged_in > 0.0 {
                    let order =
                        (start + Duration::seconds(i64::from(tz.local_minus_utc()))).timestamp();
                    out.entry(order)
                        .or_insert_with(|| empty(order))
                        .agents_logged_in = logged_in / length.num_seconds() as f64;
                }
                for e in &inside[first..next] {
                    if matches!(e.kind, AgentEventKind::State { .. }) {
                        last.insert(&e.agent, e);
                    }
                }
                start += length;
            }
        }
        Ok(out.into_values().collect())
    }
}
