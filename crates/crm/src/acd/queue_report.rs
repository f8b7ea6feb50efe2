//! The queue report: stored queue events folded into visits (one call's stay in one queue),
//! then counted per queue and bucket. Pure functions over fetched rows, so both backends give
//! the same numbers. Definitions: `docs/metrics.md`.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::acd::report::{bucket, Bucket, ReportQuery, SlVariant, ALL_QUEUES};
use crate::{
    AgentEventKind, AgentEventRecord, AgentStateName, CrmError, QueueEventKind, QueueEventRecord,
};

/// How far after a call's completion the report looks for the end of the agent's wrap-up.
pub(crate) const WRAP_LOOKAHEAD: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// One queue and bucket of [`crate::Crm::queue_report`]. A call counts in the bucket in which it
/// entered the queue, whenever its outcome came.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QueueReportRow {
    pub queue: String,
    /// See [`crate::Interval`] for the label formats.
    pub bucket: String,
    /// Calls that entered the queue (a call moved here from another queue counts here too).
    pub offered: u64,
    /// Offered calls connected to an agent.
    pub answered: u64,
    /// Offered calls whose caller hung up while waiting (short abandons included).
    pub abandoned: u64,
    /// Abandons with a wait under the short-abandon threshold.
    pub short_abandoned: u64,
    /// Calls sent to overflow, including calls refused on arrival (which are not offered).
    pub overflowed: u64,
    /// Offered calls that left with the exit key.
    pub exited: u64,
    /// Offered calls moved to another queue (while waiting, or by the agent after answering).
    pub transferred: u64,
    /// Offered calls whose caller asked for a callback.
    pub callbacks: u64,
    /// Answered calls with a wait of at most the service level threshold.
    pub answered_within_sl: u64,
    /// 0..1, per the query's [`SlVariant`]; `None` when its denominator is zero.
    pub service_level: Option<f64>,
    /// Average speed of answer: mean wait of answered calls.
    pub asa_secs: Option<f64>,
    /// Mean talk time of completed calls (hold included).
    pub avg_talk_secs: Option<f64>,
    /// Mean hold time of completed calls (the part of their talk on hold).
    pub avg_hold_secs: Option<f64>,
    /// Mean wrap-up of completed calls whose wrap-up end is known (0 for no wrap-up).
    pub avg_wrap_secs: Option<f64>,
    /// Average handle time: mean of talk + wrap-up over the same calls as `avg_wrap_secs`.
    pub aht_secs: Option<f64>,
    /// Longest wait of any call with an outcome (answer, abandon, overflow, exit, transfer).
    pub max_wait_secs: Option<f64>,
    /// Mean wait of abandoned calls (short abandons included): how long callers hold on
    /// before giving up.
    pub avg_abandon_wait_secs: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    Waiting,
    Answered(Duration),
    Abandoned(Duration),
    Overflowed(Duration),
    Exited(Duration),
    /// Moved to another queue while waiting, after this long here.
    TransferredWaiting(Duration),
}

#[derive(Debug)]
struct Visit<'a> {
    queue: &'a str,
    entered: DateTime<Utc>,
    /// False for a call refused on arrival (overflow without enter).
    offered: bool,
    outcome: Outcome,
    transferred: bool,
    callback: bool,
    /// Talk, and when and by whom the conversation ended.
    /// Talk, hold, when it ended, the agent.
    completed: Option<(Duration, Duration, DateTime<Utc>, &'a str)>,
}

impl<'a> Visit<'a> {
    fn new(queue: &'a str, entered: DateTime<Utc>, offered: bool) -> Self {
        Visit {
            queue,
            entered,
            offered,
            outcome: Outcome::Waiting,
            transferred: false,
            callback: false,
            completed: None,
        }
    }
}

/// Folds events (ordered by time, then insertion) into visits.
fn visits(events: &[QueueEventRecord]) -> Vec<Visit<'_>> {
    let mut out: Vec<Visit<'_>> = Vec::new();
    let mut open: HashMap<(&str, &str), usize> = HashMap::new();
    for e in events {
        let key = (e.call_id.as_str(), e.queue.as_str());
        if let QueueEventKind::Enter { .. } = e.kind {
            open.insert(key, out.len());
            out.push(Visit::new(&e.queue, e.at, true));
            continue;
        }
        let current = open.get(&key).copied();
        if let QueueEventKind::Overflow { wait, .. } = e.kind {
            match current.filter(|&i| out[i].outcome == Outcome::Waiting) {
                Some(i) => out[i].outcome = Outcome::Overflowed(wait),
                None => {
                    let mut v = Visit::new(&e.queue, e.at, false);
                    v.outcome = Outcome::Overflowed(wait);
                    open.insert(key, out.len());
                    out.push(v);
                }
            }
            continue;
        }
        // Anything else belongs to the call's last visit of this queue; without one (it
        // entered before the rows fetched) it is ignored.
        let Some(v) = current.map(|i| &mut out[i]) else {
            continue;
        };
        match &e.kind {
            QueueEventKind::Connect { wait, .. } => v.outcome = Outcome::Answered(*wait),
            QueueEventKind::Abandon { wait, .. } => v.outcome = Outcome::Abandoned(*wait),
            QueueEventKind::ExitKey { wait, .. } => v.outcome = Outcome::Exited(*wait),
            QueueEventKind::Callback { .. } => v.callback = true,
            QueueEventKind::Transfer { .. } => {
                v.transferred = true;
                if v.outcome == Outcome::Waiting {
                    let here = (e.at - v.entered).to_std().unwrap_or_default();
                    v.outcome = Outcome::TransferredWaiting(here);
                }
            }
            QueueEventKind::Complete {
                agent, talk, hold, ..
            } => {
                v.completed = Some((*talk, *hold, e.at, agent.as_str()));
            }
            _ => {}
        }
    }
    out
}

/// Agents' state changes, per agent in time order, for finding wrap-ups.
struct StateLog<'a>(HashMap<&'a str, Vec<StateChange>>);

/// When, from which state, to which state.
type StateChange = (DateTime<Utc>, AgentStateName, AgentStateName);

impl<'a> StateLog<'a> {
    fn new(events: &'a [AgentEventRecord]) -> Self {
        let mut by_agent: HashMap<&str, Vec<_>> = HashMap::new();
        for e in events {
            if let AgentEventKind::State { from, to } = e.kind {
                by_agent.entry(&e.agent).or_default().push((e.at, from, to));
            }
        }
        StateLog(by_agent)
    }

    /// The wrap-up that followed a conversation `agent` ended at `at`: the length of the
    /// wrap_up state the agent entered on leaving on_call (zero if the agent went elsewhere);
    /// `None` if the change or the end of the wrap-up is not among the rows.
    fn wrap_after(&self, agent: &str, at: DateTime<Utc>) -> Option<Duration> {
        let log = self.0.get(agent)?;
        // The log is in time order: skip to `at` by bisection (a scan from the start made a
        // month's report quadratic in each agent's calls), then find the change off on_call.
        let first = log.partition_point(|&(t, _, _)| t < at);
        let i = first
            + log[first..]
                .iter()
                .position(|&(_, from, _)| from == AgentStateName::OnCall)?;
        let (started, _, to) = log[i];
        if to != AgentStateName::WrapUp {
            return Some(Duration::ZERO);
        }
        let (ended, _, _) = log.get(i + 1)?;
        (*ended - started).to_std().ok()
    }
}

#[derive(Debug, Default)]
struct Acc {
    row: Counts,
    wait_answered: Duration,
    wait_abandoned: Duration,
    talk: Duration,
    hold: Duration,
    completed: u64,
    wrap: Duration,
    handle: Duration,
    wrap_known: u64,
    max_wait: Option<Duration>,
}

#[derive(Debug, Default)]
struct Counts {
    offered: u64,
    answered: u64,
    abandoned: u64,
    short_abandoned: u64,
    overflowed: u64,
    exited: u64,
    transferred: u64,
    callbacks: u64,
    within_sl: u64,
}

fn mean(total: Duration, n: u64) -> Option<f64> {
    (n > 0).then(|| total.as_secs_f64() / n as f64)
}

fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// Computes the report from the queue events of the calls that entered in the window (all but
/// rings, ordered by time, then insertion) and the agents' state changes off on_call or
/// wrap_up from the first completion until [`WRAP_LOOKAHEAD`] after the last.
pub(crate) fn compute(
    q: &ReportQuery,
    events: &[QueueEventRecord],
    states: &[AgentEventRecord],
) -> Result<Vec<QueueReportRow>, CrmError> {
    Ok(compute_keyed(q, events, states)?
        .into_iter()
        .map(|(_, row)| row)
        .collect())
}

/// [`compute`], each row with its bucket's ordering key (for time buckets: the local start as
/// seconds since 1970-01-01T00:00 local), so callers need not parse labels back.
pub(crate) fn compute_keyed(
    q: &ReportQuery,
    events: &[QueueEventRecord],
    states: &[AgentEventRecord],
) -> Result<Vec<(i64, QueueReportRow)>, CrmError> {
    let tz = q.offset()?;
    let log = StateLog::new(states);
    let mut acc: BTreeMap<(&str, Bucket), Acc> = BTreeMap::new();
    for v in visits(events) {
        if v.entered < q.from
            || v.entered >= q.to
            || !(q.queues.is_empty() || q.queues.iter().any(|x| x == v.queue))
        {
            continue;
        }
        let queue = if q.combine_queues {
            ALL_QUEUES
        } else {
            v.queue
        };
        let a = acc
            .entry((queue, bucket(q.interval, tz, v.entered)))
            .or_default();
        let c = &mut a.row;
        c.offered += u64::from(v.offered);
        c.transferred += u64::from(v.transferred);
        c.callbacks += u64::from(v.callback);
        let wait = match v.outcome {
            Outcome::Waiting => None,
            Outcome::Answered(w) => {
                c.answered += 1;
                c.within_sl += u64::from(w <= q.service_level);
                a.wait_answered += w;
                Some(w)
            }
            Outcome::Abandoned(w) => {
                c.abandoned += 1;
                c.short_abandoned += u64::from(w < q.short_abandon);
                a.wait_abandoned += w;
                Some(w)
            }
            Outcome::Overflowed(w) => {
                c.overflowed += 1;
                Some(w)
            }
            Outcome::Exited(w) => {
                c.exited += 1;
                Some(w)
            }
            Outcome::TransferredWaiting(w) => Some(w),
        };
        a.max_wait = a.max_wait.max(wait);
        if let Some((talk, hold, ended, agent)) = v.completed {
            a.talk += talk;
            a.hold += hold;
            a.completed += 1;
            if let Some(wrap) = log.wrap_after(agent, ended) {
                a.wrap += wrap;
                a.handle += talk + wrap;
                a.wrap_known += 1;
            }
        }
    }
    Ok(acc
        .into_iter()
        .map(|((queue, bucket), a)| {
            let c = a.row;
            let order = bucket.order;
            let den = match q.sl_variant {
                SlVariant::AnsweredAndAbandoned => c.answered + c.abandoned - c.short_abandoned,
                SlVariant::Offered => c.offered.saturating_sub(c.short_abandoned),
                SlVariant::Answered => c.answered,
            };
            let row = QueueReportRow {
                queue: queue.to_owned(),
                bucket: bucket.label,
                service_level: ratio(c.within_sl, den),
                asa_secs: mean(a.wait_answered, c.answered),
                avg_talk_secs: mean(a.talk, a.completed),
                avg_hold_secs: mean(a.hold, a.completed),
                avg_wrap_secs: mean(a.wrap, a.wrap_known),
                aht_secs: mean(a.handle, a.wrap_known),
                max_wait_secs: a.max_wait.map(|w| w.as_secs_f64()),
                avg_abandon_wait_secs: mean(a.wait_abandoned, c.abandoned),
                offered: c.offered,
                answered: c.answered,
                abandoned: c.abandoned,
                short_abandoned: c.short_abandoned,
                overflowed: c.overflowed,
                exited: c.exited,
                transferred: c.transferred,
                callbacks: c.callbacks,
                answered_within_sl: c.within_sl,
            };
            (order, row)
        })
        .collect())
}
