//! The stored visits (`queue_visits`, migration 0023): written by the CDR writer in the
//! transaction that writes the events they summarise, read by the queue report.
//!
//! How they stay equal to the events:
//! - whenever a batch writes queue events, the visits of each call concerned are replaced by
//!   [`fold`] over all that call's events (so events arriving late, out of order or replayed
//!   give the same visits as events arriving once, in order);
//! - a completed visit's wrap-up is looked up in the agent's state changes when the visit is
//!   written, and, while unknown, again whenever a batch writes state changes of that agent up
//!   to [`WRAP_LOOKAHEAD`] after the completion: the first change off on_call at or after the
//!   completion; if it went to wrap_up, the wrap-up lasts until the agent's next change off
//!   on_call or wrap_up (both within the lookahead), otherwise it is zero;
//! - [`Crm::rebuild_queue_visits`] recomputes every visit the same way (the backfill of
//!   databases written before 0023, which [`Crm::connect`] runs once, and the benchmark's).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use crate::acd::conn::AcdConn;
use crate::acd::rows::millis;
use crate::acd::visits::{fold, Completion, Outcome, QueueVisit};
use crate::cdr::plan::{rows_per_statement, Plan};
use crate::db::{for_each_backend, in_transaction, DbTime, RowExt};
use crate::{AgentEventKind, CallChannel, Crm, CrmError};

/// How long after a call's completion its wrap-up is looked for; a wrap-up ending later stays
/// unknown (left out of the wrap-up and handle averages).
pub(crate) const WRAP_LOOKAHEAD: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// Calls whose visits are recomputed per round of statements.
const CALLS_PER_ROUND: usize = 500;

const VISIT_COLUMNS_LIST: &str = "call_id, queue, entered_at, offered, outcome, wait_ms,
    transferred, callback, agent, completed_at, talk_ms, hold_ms, wrap_ms";
const VISIT_COLUMNS: usize = 13;

/// Followed by `VALUES (idx, agent, completed_at, completed_at + lookahead), ...` and
/// [`WRAP_TAIL`]: per completion, the change that left on_call (`left_at`, `to_state`) and the
/// agent's next change off on_call or wrap_up (`ended_at`), both before the lookahead ends.
/// The `(agent, at)` index of 0004 finds both: each look-up is bounded to the agent's changes
/// of one day (`n.at >= l.at` spelled out, as the `OR` alone hid the bound and scanned the
/// agent's whole history).
const WRAP_HEAD: &str = "SELECT w.idx, l.at AS left_at, l.to_state,
    (SELECT n.at FROM agent_events n
     WHERE n.agent = l.agent AND n.kind = 'state' AND n.from_state IN ('on_call', 'wrap_up')
       AND n.at >= l.at AND n.at < w.until AND (n.at > l.at OR n.id > l.id)
     ORDER BY n.at, n.id LIMIT 1) AS ended_at
  FROM (SELECT v.column1 AS idx, v.column4 AS until,
          (SELECT a.id FROM agent_events a
           WHERE a.agent = v.column2 AND a.kind = 'state' AND a.from_state = 'on_call'
             AND a.at >= v.column3 AND a.at < v.column4
           ORDER BY a.at, a.id LIMIT 1) AS left_id
        FROM (";
const WRAP_TAIL: &str = ") AS v) AS w JOIN agent_events l ON l.id = w.left_id";
const WRAP_COLUMNS: usize = 4;

/// `$1`: agent, `$2 <= completed_at <= $3`: completed visits whose wrap-up is unknown.
const PENDING_WRAPS: &str = "SELECT id, agent, completed_at FROM queue_visits
    WHERE agent = $1 AND completed_at >= $2 AND completed_at <= $3
      AND completed_at IS NOT NULL AND wrap_ms IS NULL";

/// Followed by `VALUES (id, wrap_ms), ...` and `) AS v WHERE queue_visits.id = v.column1`.
const WRAP_UPDATE: &str = "UPDATE queue_visits SET wrap_ms = v.column2 FROM (";

/// The visits the report counts: `$1 <= entered_at < $2`, in the queues bound after the
/// times (any if none), of the channel bound last if given (looked up per visit in its CDR by
/// the primary key, so a call without a CDR yet has no channel).
fn visits_entering(queues: usize, by_channel: bool) -> String {
    let queue = if queues == 0 {
        String::new()
    } else {
        let list: Vec<String> = (0..queues).map(|i| format!("${}", i + 3)).collect();
        format!(" AND v.queue IN ({})", list.join(", "))
    };
    let channel = if by_channel {
        format!(
            " AND EXISTS (SELECT 1 FROM cdrs c WHERE c.call_id = v.call_id AND c.channel = ${})",
            queues + 3
        )
    } else {
        String::new()
    };
    format!(
        "SELECT {VISIT_COLUMNS_LIST} FROM queue_visits v
         WHERE v.entered_at >= $1 AND v.entered_at < $2{queue}{channel}"
    )
}

/// The visit statements a backend's connection runs.
pub(crate) trait VisitConn {
    /// Replaces the visits of these calls by those their events give now.
    async fn refresh_visits(&mut self, call_ids: &[&str]) -> Result<(), CrmError>;
    /// Looks up the unknown wrap-ups of `agent`'s visits completed in `[from, to]`.
    async fn refresh_pending_wraps(
        &mut self,
        agent: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<(), CrmError>;
    /// The visits entering one of `queues` (any if empty) in `[from, to)`, of `channel` if
    /// given.
    async fn visits_entering(
        &mut self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        queues: &[String],
        channel: Option<CallChannel>,
    ) -> Result<Vec<QueueVisit>, CrmError>;
    /// Recomputes every visit from the events; with `only_if_pending`, only if 0023's
    /// backfill has not run yet. Returns whether it ran.
    async fn rebuild_visits(&mut self, only_if_pending: bool) -> Result<bool, CrmError>;
}

/// Keeps the visits equal to the events after a plan's events are written (same transaction).
pub(crate) async fn after_events(
    conn: &mut impl VisitConn,
    plan: &Plan<'_>,
) -> Result<(), CrmError> {
    let mut calls: Vec<&str> = plan
        .queue_events
        .iter()
        .map(|e| e.call_id.as_str())
        .collect();
    calls.sort_unstable();
    calls.dedup();
    conn.refresh_visits(&calls).await?;
    // Per agent, the span of its state changes in the plan: visits completed up to a day before
    // the first and until the last may have their wrap-up bounded by one of them.
    let mut agents: BTreeMap<&str, (DateTime<Utc>, DateTime<Utc>)> = BTreeMap::new();
    for e in &plan.agent_events {
        if let AgentEventKind::State { .. } = e.kind {
            let span = agents.entry(&e.agent).or_insert((e.at, e.at));
            span.0 = span.0.min(e.at);
            span.1 = span.1.max(e.at);
        }
    }
    for (agent, (first, last)) in agents {
        conn.refresh_pending_wraps(agent, first - WRAP_LOOKAHEAD, last)
            .await?;
    }
    Ok(())
}

/// A wrap-up found by [`WRAP_HEAD`]: zero if the agent left on_call for elsewhere than
/// wrap_up, its length if it ended, unknown otherwise.
fn wrap_of(
    left_at: DateTime<Utc>,
    to_state: &str,
    ended_at: Option<DateTime<Utc>>,
) -> Option<Duration> {
    if to_state != "wrap_up" {
        return Some(Duration::ZERO);
    }
    (ended_at? - left_at).to_std().ok()
}

fn duration(ms: Option<i64>) -> Option<Duration> {
    ms.map(|ms| Duration::from_millis(ms.max(0) as u64))
}

impl Crm {
    /// Recomputes every stored visit from the queue and agent events, as the CDR writer would
    /// have written them. For databases whose events were written by other means (the
    /// report benchmark generates its history by SQL); [`Crm::connect`] runs it once on
    /// databases written before migration 0023.
    pub async fn rebuild_queue_visits(&self) -> Result<(), CrmError> {
        in_transaction!(immediate self, |conn| conn.rebuild_visits(false).await?);
        Ok(())
    }

    /// Migration 0023's backfill, if it has not run yet.
    pub(crate) async fn backfill_queue_visits(&self) -> Result<(), CrmError> {
        let ran = in_transaction!(immediate self, |conn| conn.rebuild_visits(true).await?);
        if ran {
            tracing::info!("queue visits computed from the stored events (migration 0023)");
        }
        Ok(())
    }
}

for_each_backend! {
    impl VisitConn for Conn {
        async fn refresh_visits(&mut self, call_ids: &[&str]) -> Result<(), CrmError> {
            for chunk in call_ids.chunks(CALLS_PER_ROUND) {
                let events = self.queue_events_of_calls(chunk).await?;
                let mut visits = fold(&events);
                let pending: Vec<(usize, &str, DateTime<Utc>)> = visits
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| v.completed.as_ref().map(|c| (i, c.agent.as_str(), c.at)))
                    .collect();
                let wraps = wraps(self, &pending).await?;
                for (i, wrap) in wraps {
                    if let Some(c) = visits.get_mut(i).and_then(|v| v.completed.as_mut()) {
                        c.wrap = Some(wrap);
                    }
                }
                let mut q = QueryBuilder::<Engine>::new("DELETE FROM queue_visits WHERE call_id IN (");
                let mut list = q.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                q.push(")");
                q.build().execute(&mut *self).await?;
                for rows in visits.chunks(rows_per_statement(VISIT_COLUMNS)) {
                    let mut q = QueryBuilder::<Engine>::new(format!(
                        "INSERT INTO queue_visits ({VISIT_COLUMNS_LIST}) "
                    ));
                    q.push_values(rows, |mut b, v| {
                        let (outcome, wait) = v.outcome.stored();
                        let c = v.completed.as_ref();
                        b.push_bind(&v.call_id)
                            .push_bind(&v.queue)
                            .push_bind(DbTime(v.entered))
                            .push_bind(v.offered)
                            .push_bind(outcome)
                            .push_bind(wait.map(millis))
                            .push_bind(v.transferred)
                            .push_bind(v.callback)
                            .push_bind(c.map(|c| c.agent.as_str()))
                            .push_bind(c.map(|c| DbTime(c.at)))
                            .push_bind(c.map(|c| millis(c.talk)))
                            .push_bind(c.map(|c| millis(c.hold)))
                            .push_bind(c.and_then(|c| c.wrap).map(millis));
                    });
                    q.build().execute(&mut *self).await?;
                }
            }
            Ok(())
        }

        async fn refresh_pending_wraps(
            &mut self,
            agent: &str,
            from: DateTime<Utc>,
            to: DateTime<Utc>,
        ) -> Result<(), CrmError> {
            let rows = sqlx::query(PENDING_WRAPS)
                .bind(agent)
                .bind(DbTime(from))
                .bind(DbTime(to))
                .fetch_all(&mut *self)
                .await?;
            let mut ids = Vec::with_capacity(rows.len());
            let mut pending = Vec::with_capacity(rows.len());
            for (i, row) in rows.iter().enumerate() {
                ids.push(row.col::<i64>("id")?);
                pending.push((i, agent, row.time("completed_at")?));
            }
            let found = wraps(self, &pending).await?;
            for chunk in found.chunks(rows_per_statement(2)) {
                let mut q = QueryBuilder::<Engine>::new(WRAP_UPDATE);
                q.push_values(chunk, |mut b, (i, wrap)| {
                    b.push_bind(ids[*i]).push_bind(millis(*wrap));
                });
                q.push(") AS v WHERE queue_visits.id = v.column1");
                q.build().execute(&mut *self).await?;
            }
            Ok(())
        }

        async fn visits_entering(
            &mut self,
            from: DateTime<Utc>,
            to: DateTime<Utc>,
            queues: &[String],
            channel: Option<CallChannel>,
        ) -> Result<Vec<QueueVisit>, CrmError> {
            let text = visits_entering(queues.len(), channel.is_some());
            let mut q = sqlx::query(&text).bind(DbTime(from)).bind(DbTime(to));
            for queue in queues {
                q = q.bind(queue.as_str());
            }
            if let Some(channel) = channel {
                q = q.bind(channel.as_str());
            }
            q.fetch_all(self).await?.iter().map(visit).collect()
        }

        async fn rebuild_visits(&mut self, only_if_pending: bool) -> Result<bool, CrmError> {
            let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM queue_visits_backfill")
                .fetch_one(&mut *self)
                .await?;
            if only_if_pending && pending == 0 {
                return Ok(false);
            }
            sqlx::query("DELETE FROM queue_visits").execute(&mut *self).await?;
            let calls: Vec<String> = sqlx::query_scalar("SELECT DISTINCT call_id FROM queue_events")
                .fetch_all(&mut *self)
                .await?;
            let calls: Vec<&str> = calls.iter().map(String::as_str).collect();
            self.refresh_visits(&calls).await?;
            sqlx::query("DELETE FROM queue_visits_backfill").execute(&mut *self).await?;
            Ok(true)
        }
    }

    /// The wrap-ups of completions `(index, agent, completed at)` that are known, by index.
    async fn wraps(
        conn: &mut Conn,
        completions: &[(usize, &str, DateTime<Utc>)],
    ) -> Result<Vec<(usize, Duration)>, CrmError> {
        let mut out = Vec::new();
        for chunk in completions.chunks(rows_per_statement(WRAP_COLUMNS)) {
            let mut q = QueryBuilder::<Engine>::new(WRAP_HEAD);
            q.push_values(chunk, |mut b, (i, agent, at)| {
                b.push_bind(*i as i64)
                    .push_bind(*agent)
                    .push_bind(DbTime(*at))
                    .push_bind(DbTime(*at + WRAP_LOOKAHEAD));
            });
            q.push(WRAP_TAIL);
            for row in q.build().fetch_all(&mut *conn).await? {
                let i: i64 = row.col("idx")?;
                let to_state: String = row.col("to_state")?;
                if let Some(wrap) = wrap_of(row.time("left_at")?, &to_state, row.opt_time("ended_at")?) {
                    out.push((i as usize, wrap));
                }
            }
        }
        Ok(out)
    }

    fn visit(row: &DbRow) -> Result<QueueVisit, CrmError> {
        let outcome: String = row.col("outcome")?;
        let agent: Option<String> = row.col("agent")?;
        let completed = match (agent, row.opt_time("completed_at")?) {
            (Some(agent), Some(at)) => Some(Completion {
                agent,
                at,
                talk: duration(row.col("talk_ms")?).unwrap_or_default(),
                hold: duration(row.col("hold_ms")?).unwrap_or_default(),
                wrap: duration(row.col("wrap_ms")?),
            }),
            _ => None,
        };
        Ok(QueueVisit {
            call_id: row.col("call_id")?,
            queue: row.col("queue")?,
            entered: row.time("entered_at")?,
            offered: row.col("offered")?,
            outcome: Outcome::from_stored(&outcome, duration(row.col("wait_ms")?))?,
            transferred: row.col("transferred")?,
            callback: row.col("callback")?,
            completed,
        })
    }
}
