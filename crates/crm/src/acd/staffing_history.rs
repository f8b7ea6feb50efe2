//! The history staffing is planned from: per interval (15, 30 or 60 minutes) of past weeks,
//! the calls offered to a set of queues, answered and abandoned, their handle time and waits,
//! and how many agents were logged in. The call figures are the queue report's (one
//! computation: the chosen queues' visits go through [`queue_report::compute_keyed`] as one
//! queue); the logged-in agents are the agent report's logged-in time per interval divided by
//! the interval's length, read as the agent report reads it: the agents' stored quarter hours
//! summed per quarter hour by the database, their tails cut per interval, and the raw events
//! of the partial quarter hours at the window's edges ([`agent_buckets::split`]). Intervals cut
//! in an offset that is not a multiple of 15 minutes do not fall on UTC quarter hours: their
//! logged-in time is replayed from the raw events (as the agent report replays a window, run
//! over each interval).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDateTime, Timelike, Utc};

use crate::acd::agent_buckets::{self, BucketConn};
use crate::acd::agent_report::{self, Tallies};
use crate::acd::conn::AcdConn;
use crate::acd::queue_report;
use crate::acd::report::{check_window, offset};
use crate::db::in_transaction;
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
    /// Whether the logged-in time of `agent` counts.
    fn counts(&self, agent: &str) -> bool {
        self.agents
            .as_ref()
            .is_none_or(|list| list.iter().any(|a| a == agent))
    }

    /// The counted agents' logged-in time in `tallies`, microseconds.
    fn logged_in_us(&self, tallies: &Tallies) -> i64 {
        tallies
            .iter()
            .filter(|(agent, _)| self.counts(agent))
            .map(|(_, t)| t.logged_in_us())
            .sum()
    }

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
        self.staffing_rows(q, false).await
    }

    /// [`Crm::staffing_history`] with the logged-in agents replayed from the raw agent events
    /// of each interval, as before they were read from the quarter hours: the oracle these are
    /// tested against.
    #[cfg(feature = "testing")]
    #[doc(hidden)]
    pub async fn staffing_history_from_events(
        &self,
        q: &StaffingHistoryQuery,
    ) -> Result<Vec<IntervalHistory>, CrmError> {
        self.staffing_rows(q, true).await
    }

    /// The staffing history, its logged-in agents from the quarter hours or, with
    /// `from_events` (or an offset that is not a multiple of 15 minutes), from the raw events.
    async fn staffing_rows(
        &self,
        q: &StaffingHistoryQuery,
        from_events: bool,
    ) -> Result<Vec<IntervalHistory>, CrmError> {
        check_window(q.from, q.to)?;
        let step = q.step()?;
        offset(q.tz_offset_minutes)?;
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
            let logged_in = if from_events || q.tz_offset_minutes % 15 != 0 {
                self.logged_in_from_events(q, until, step).await?
            } else {
                in_transaction!(snapshot self, |conn| {
                    logged_in_from_buckets(conn, q, until, step).await?
                })
            };
            let length = (step * 60) as f64;
            for (order, us) in logged_in.into_iter().filter(|&(_, us)| us > 0) {
                out.entry(order)
                    .or_insert_with(|| empty(order))
                    .agents_logged_in = us as f64 / 1e6 / length;
            }
        }
        Ok(out.into_values().collect())
    }

    /// The counted agents' logged-in time (microseconds) per interval of `[q.from, until)`
    /// (intervals by their local start, seconds), replayed from the raw events interval by
    /// interval.
    async fn logged_in_from_events(
        &self,
        q: &StaffingHistoryQuery,
        until: DateTime<Utc>,
        step: i64,
    ) -> Result<BTreeMap<i64, i64>, CrmError> {
        let tz = offset(q.tz_offset_minutes)?;
        let (before, inside) = self.agent_inputs(q.from, until, None).await?;
        let mut last: BTreeMap<&str, &AgentEventRecord> = before
            .iter()
            .filter(|e| q.counts(&e.agent))
            .map(|e| (e.agent.as_str(), e))
            .collect();
        let inside: Vec<&AgentEventRecord> = inside.iter().filter(|e| q.counts(&e.agent)).collect();
        let local = q.from.with_timezone(&tz).naive_local();
        let floored = local
            .date()
            .and_hms_opt(local.hour(), local.minute() / step as u32 * step as u32, 0)
            .unwrap_or(local);
        let length = Duration::minutes(step);
        let mut start = floored.and_utc() - Duration::seconds(i64::from(tz.local_minus_utc()));
        let mut next = 0;
        let mut out = BTreeMap::new();
        while start < until {
            let end = (start + length).min(until);
            let first = next;
            while next < inside.len() && inside[next].at < end {
                next += 1;
            }
            let slice = inside[first..next].iter().copied();
            let window_start = start.max(q.from);
            let was = last.values().copied();
            let tallies = agent_report::tally(window_start, end, was, slice);
            let order = (start + Duration::seconds(i64::from(tz.local_minus_utc()))).timestamp();
            out.insert(order, q.logged_in_us(&tallies));
            for e in &inside[first..next] {
                if matches!(e.kind, AgentEventKind::State { .. }) {
                    last.insert(&e.agent, e);
                }
            }
            start += length;
        }
        Ok(out)
    }
}

/// [`Crm::logged_in_from_events`] read from the quarter hours (intervals cut on UTC quarter
/// hours: an offset that is a multiple of 15 minutes): the whole quarter hours summed per
/// quarter hour by the database, each agent's tail cut per interval, the partial quarter hours
/// at the edges replayed from the raw events.
async fn logged_in_from_buckets<C: AcdConn + BucketConn>(
    conn: &mut C,
    q: &StaffingHistoryQuery,
    until: DateTime<Utc>,
    step: i64,
) -> Result<BTreeMap<i64, i64>, CrmError> {
    let (length, shift) = (step * 60, i64::from(q.tz_offset_minutes) * 60);
    // The local start of the interval holding `t` (seconds since the epoch, UTC).
    let order = |t: i64| (t + shift).div_euclid(length) * length;
    let mut out: BTreeMap<i64, i64> = BTreeMap::new();
    let split = agent_buckets::split(q.from, until);
    // Each edge lies inside one quarter hour, so inside one interval.
    for (a, b) in split.edges {
        let tallies = agent_buckets::event_tallies(conn, a, b, None).await?;
        *out.entry(order(a.timestamp())).or_default() += q.logged_in_us(&tallies);
    }
    if let Some((first, last)) = split.whole {
        let agents = q.agents.as_deref();
        for (bucket, us) in conn.logged_in_by_bucket(first, last, agents).await? {
            *out.entry(order(bucket)).or_default() += us;
        }
        let mut cuts = Vec::new();
        let mut cut = order(first.timestamp()) - shift + length;
        while cut < last.timestamp() {
            cuts.extend(DateTime::from_timestamp(cut, 0));
            cut += length;
        }
        for (start, tallies) in agent_buckets::tail_pieces(conn, first, last, None, &cuts).await? {
            *out.entry(order(start.timestamp())).or_default() += q.logged_in_us(&tallies);
        }
    }
    Ok(out)
}
