//! The queue report: stored visits (one call's stay in one queue, see [`crate::acd::visits`])
//! counted per queue and bucket. Pure functions over fetched rows, so both backends give the
//! same numbers. Definitions: `docs/metrics.md`.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::acd::report::{bucket, Bucket, ReportQuery, SlVariant, ALL_QUEUES};
use crate::acd::visits::{Outcome, QueueVisit};
use crate::CrmError;

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

/// Computes the report from the visits that entered in the window (others are skipped).
pub(crate) fn compute(
    q: &ReportQuery,
    visits: &[QueueVisit],
) -> Result<Vec<QueueReportRow>, CrmError> {
    Ok(compute_keyed(q, visits)?
        .into_iter()
        .map(|(_, row)| row)
        .collect())
}

/// [`compute`], each row with its bucket's ordering key (for time buckets: the local start as
/// seconds since 1970-01-01T00:00 local), so callers need not parse labels back.
pub(crate) fn compute_keyed(
    q: &ReportQuery,
    visits: &[QueueVisit],
) -> Result<Vec<(i64, QueueReportRow)>, CrmError> {
    let tz = q.offset()?;
    let mut acc: BTreeMap<(&str, Bucket), Acc> = BTreeMap::new();
    for v in visits {
        if v.entered < q.from
            || v.entered >= q.to
            || !(q.queues.is_empty() || q.queues.contains(&v.queue))
        {
            continue;
        }
        let queue = if q.combine_queues {
            ALL_QUEUES
        } else {
            v.queue.as_str()
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
        if let Some(done) = &v.completed {
            a.talk += done.talk;
            a.hold += done.hold;
            a.completed += 1;
            if let Some(wrap) = done.wrap {
                a.wrap += wrap;
                a.handle += done.talk + wrap;
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
