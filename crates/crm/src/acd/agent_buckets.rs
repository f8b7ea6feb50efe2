//! Agent time per quarter hour (`agent_buckets`, `agent_bucket_pauses`, `agent_bucket_tails`,
//! migration 0028): written by the CDR writer in the transaction that writes the agent events
//! they summarise, summed by the agent report.
//!
//! How they stay equal to the events:
//! - each quarter hour (UTC, 900 s from the epoch) of an agent holds the [`Replay`] of its
//!   state and pause events over that quarter hour: microseconds per state and per pause
//!   reason, changes into on_call; the last one reaches only up to the agent's last event,
//!   whose state and pause reason (`agent_bucket_tails`) last until the next event;
//! - whenever a batch writes state or pause events of an agent, its quarter hours from the one
//!   holding the earliest of them (or its previous last event, if earlier) on are recomputed
//!   from its events (so events arriving late, out of order or replayed give the same rows as
//!   events arriving once, in order);
//! - [`Crm::rebuild_agent_buckets`] recomputes every agent's (the backfill of databases written
//!   before 0028, which [`Crm::connect`] runs once, and the benchmark's).
//!
//! The report over `[from, to)` sums the whole quarter hours inside the window in SQL, counts
//! each agent's tail on from its last event up to the last whole quarter hour, and replays the
//! raw events only for the two partial quarter hours at the edges ([`window_tallies`]). The
//! staffing history's logged-in agents per interval are read the same way, the quarter hours
//! summed per bucket ([`BucketConn::logged_in_by_bucket`]) and the tails cut per interval.

use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::QueryBuilder;

use crate::acd::agent_report::{self, merge, Current, Replay, Tallies, Tally};
use crate::acd::conn::AcdConn;
use crate::cdr::plan::{rows_per_statement, Plan};
use crate::db::{for_each_backend, in_transaction, DbTime, RowExt};
use crate::{AgentEventKind, AgentEventRecord, AgentStateName, Crm, CrmError};

/// Length of a bucket, seconds.
pub(crate) const BUCKET_SECS: i64 = 900;

/// Set only by the writer-cost benchmark (`crm::testing::skip_agent_buckets`): the writer then
/// leaves the quarter hours alone.
pub(crate) static SKIP_UPKEEP: AtomicBool = AtomicBool::new(false);

const BUCKET_COLUMNS_LIST: &str =
    "agent, bucket, available_us, ringing_us, on_call_us, wrap_up_us, paused_us, calls_answered";
const BUCKET_COLUMNS: usize = 8;

/// `$1 <= bucket < $2`, and `agent = $3` if `by_agent`: per agent, the sums of its quarter
/// hours.
fn bucket_sums(by_agent: bool) -> String {
    let agent = if by_agent { " AND agent = $3" } else { "" };
    let sum = |c: &str| format!("CAST(SUM({c}) AS BIGINT) AS {c}");
    let sums: Vec<String> = [
        "available_us",
        "ringing_us",
        "on_call_us",
        "wrap_up_us",
        "paused_us",
        "calls_answered",
    ]
    .iter()
    .map(|c| sum(c))
    .collect();
    format!(
        "SELECT agent, {} FROM agent_buckets WHERE bucket >= $1 AND bucket < $2{agent}
         GROUP BY agent",
        sums.join(", ")
    )
}

/// Like [`bucket_sums`], the paused time per agent and reason.
fn pause_sums(by_agent: bool) -> String {
    let agent = if by_agent { " AND agent = $3" } else { "" };
    format!(
        "SELECT agent, reason, CAST(SUM(paused_us) AS BIGINT) AS paused_us
         FROM agent_bucket_pauses WHERE bucket >= $1 AND bucket < $2{agent}
         GROUP BY agent, reason"
    )
}

/// The start of the bucket holding `t`, seconds since the epoch.
fn bucket_of(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(BUCKET_SECS) * BUCKET_SECS
}

fn time(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// The first bucket boundary at or after `t`.
fn ceil(t: DateTime<Utc>) -> DateTime<Utc> {
    let floor = time(bucket_of(t));
    if floor == t {
        t
    } else {
        floor + TimeDelta::seconds(BUCKET_SECS)
    }
}

/// One agent's buckets from `start` (a bucket boundary) on, replayed from the state it had then
/// (`before`: its last state change before `start` and, if that was into paused, its last pause
/// before `start`) and its state and pause events at or after `start` (`events`, in order):
/// the non-empty buckets, and the agent's state after its last event (none without events).
pub(crate) fn slice(
    start: DateTime<Utc>,
    before: &[AgentEventRecord],
    events: &[AgentEventRecord],
) -> (Vec<(i64, Tally)>, Option<Current>) {
    let Some(end) = events.last().map(|e| e.at) else {
        return (Vec::new(), None);
    };
    let mut replay = Replay::default();
    for e in before {
        replay.apply(e, start, start);
    }
    let mut out = Vec::new();
    let mut next = 0;
    let mut bucket = start;
    loop {
        let bucket_end = bucket + TimeDelta::seconds(BUCKET_SECS);
        let slice_end = bucket_end.min(end);
        while let Some(e) = events.get(next).filter(|e| e.at < bucket_end) {
            replay.apply(e, bucket, slice_end);
            next += 1;
        }
        if let Some(t) = replay.cut(slice_end).into_values().next() {
            if !t.is_empty() {
                out.push((bucket.timestamp(), t));
            }
        }
        if bucket_end > end {
            break;
        }
        bucket = bucket_end;
    }
    (out, replay.current.into_values().next())
}

/// How a window `[from, to)` (`to` not after now) is read: the partial buckets at its edges
/// (`edges`, replayed from the raw events; the whole window when it lies inside one bucket)
/// and the whole buckets between them (`whole`, `[first, last)`, if any), summed from the
/// stored buckets and the agents' tails ([`tail_pieces`]).
pub(crate) struct Split {
    pub edges: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    pub whole: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

pub(crate) fn split(from: DateTime<Utc>, to: DateTime<Utc>) -> Split {
    let (first, last) = (ceil(from), time(bucket_of(to)));
    if first > last {
        return Split {
            edges: vec![(from, to)],
            whole: None,
        };
    }
    Split {
        edges: [(from, first), (last, to)]
            .into_iter()
            .filter(|(a, b)| a < b)
            .collect(),
        whole: (first < last).then_some((first, last)),
    }
}

/// The report's tallies over `[from, to)` (`to` not after now) from the stored buckets: the
/// whole buckets inside the window summed by the database, each agent's tail (its state since
/// its last event) up to the last whole bucket, and the raw events of the partial buckets at
/// the edges ([`split`]).
pub(crate) async fn window_tallies<C: AcdConn + BucketConn>(
    conn: &mut C,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    agent: Option<&str>,
) -> Result<Tallies, CrmError> {
    let split = split(from, to);
    let mut out = Tallies::new();
    for (a, b) in split.edges {
        merge(&mut out, &event_tallies(conn, a, b, agent).await?);
    }
    if let Some((first, last)) = split.whole {
        merge(&mut out, &conn.bucket_sums(first, last, agent).await?);
        for (_, t) in tail_pieces(conn, first, last, agent, &[]).await? {
            merge(&mut out, &t);
        }
    }
    Ok(out)
}

/// Each agent's (or one's) tail, the state it has been in since its last event, counted over
/// the whole buckets `[first, last)` cut at `cuts` (bucket boundaries, in order): the
/// non-empty tallies of each piece, by the piece's start.
pub(crate) async fn tail_pieces<C: BucketConn>(
    conn: &mut C,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    agent: Option<&str>,
    cuts: &[DateTime<Utc>],
) -> Result<Vec<(DateTime<Utc>, Tallies)>, CrmError> {
    // Latest first: each joins the replay at the first cut after its start.
    let mut waiting: Vec<(String, Current)> = conn
        .bucket_tails(agent)
        .await?
        .into_iter()
        .filter(|(_, c)| c.since < last)
        .map(|(name, mut c)| {
            c.since = c.since.max(first);
            (name, c)
        })
        .collect();
    waiting.sort_by_key(|(_, c)| std::cmp::Reverse(c.since));
    let mut tails = Replay::default();
    let mut out = Vec::new();
    let mut start = first;
    let ends = cuts.iter().copied().filter(|&c| first < c && c < last);
    for end in ends.chain([last]) {
        while let Some((name, c)) = waiting.pop_if(|(_, c)| c.since < end) {
            tails.current.insert(name, c);
        }
        if !tails.current.is_empty() {
            let t = tails.cut(end);
            if t.values().any(|t| !t.is_empty()) {
                out.push((start, t));
            }
        }
        start = end;
    }
    Ok(out)
}

/// The tallies over `[from, to)` replayed from the raw events: each agent's last state change
/// before `from` (and, for agents paused then, their last pause before it), then the events
/// inside the window.
pub(crate) async fn event_tallies(
    conn: &mut impl AcdConn,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    agent: Option<&str>,
) -> Result<Tallies, CrmError> {
    let before = states_at(conn, from, agent).await?;
    let inside = conn.agent_events(from, to, agent).await?;
    Ok(agent_report::tally(from, to, &before, &inside))
}

/// Each agent's last state change before `at` and, if it was into paused, its last pause
/// before `at` (whose reason the pause has).
async fn states_at(
    conn: &mut impl AcdConn,
    at: DateTime<Utc>,
    agent: Option<&str>,
) -> Result<Vec<AgentEventRecord>, CrmError> {
    let mut before = conn.last_states_before(at, agent).await?;
    let paused: Vec<String> = before
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                AgentEventKind::State {
                    to: AgentStateName::Paused,
                    ..
                }
            )
        })
        .map(|e| e.agent.clone())
        .collect();
    for agent in paused {
        before.extend(conn.last_pause_before(at, &agent).await?);
    }
    Ok(before)
}

/// Recomputes `agent`'s buckets from the one holding `changed` (the earliest of its events just
/// written) or its previous last event, whichever is earlier.
async fn refresh<C: AcdConn + BucketConn>(
    conn: &mut C,
    agent: &str,
    changed: DateTime<Utc>,
) -> Result<(), CrmError> {
    let from = match conn.tail_since(agent).await? {
        Some(since) => since.min(changed),
        None => changed,
    };
    let start = time(bucket_of(from));
    let before = states_at(conn, start, Some(agent)).await?;
    let events = conn.agent_spans_from(agent, start).await?;
    let (buckets, tail) = slice(start, &before, &events);
    conn.replace_buckets(agent, start.timestamp(), &buckets, tail.as_ref())
        .await
}

/// Keeps the buckets equal to the events after a plan's events are written (same
/// transaction).
pub(crate) async fn after_events<C: AcdConn + BucketConn>(
    conn: &mut C,
    plan: &Plan<'_>,
) -> Result<(), CrmError> {
    if SKIP_UPKEEP.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut earliest: std::collections::BTreeMap<&str, DateTime<Utc>> = Default::default();
    for e in &plan.agent_events {
        if let AgentEventKind::State { .. } | AgentEventKind::Pause { .. } = e.kind {
            let at = earliest.entry(&e.agent).or_insert(e.at);
            *at = (*at).min(e.at);
        }
    }
    for (agent, at) in earliest {
        refresh(conn, agent, at).await?;
    }
    Ok(())
}

/// Recomputes every agent's buckets; with `only_if_pending`, only if 0028's backfill has not
/// run yet. Returns whether it ran.
async fn rebuild<C: AcdConn + BucketConn>(
    conn: &mut C,
    only_if_pending: bool,
) -> Result<bool, CrmError> {
    if only_if_pending && !conn.backfill_pending().await? {
        return Ok(false);
    }
    conn.clear_buckets().await?;
    for (agent, first) in conn.first_events().await? {
        refresh(conn, &agent, first).await?;
    }
    conn.backfill_done().await?;
    Ok(true)
}

impl Crm {
    /// Recomputes every agent's quarter hours from the agent events, as the CDR writer would
    /// have written them. For databases whose events were written by other means (the report
    /// benchmark generates its history by SQL); [`Crm::connect`] runs it once on databases
    /// written before migration 0028.
    pub async fn rebuild_agent_buckets(&self) -> Result<(), CrmError> {
        in_transaction!(immediate self, |conn| rebuild(conn, false).await?);
        Ok(())
    }

    /// Migration 0028's backfill, if it has not run yet.
    pub(crate) async fn backfill_agent_buckets(&self) -> Result<(), CrmError> {
        let ran = in_transaction!(immediate self, |conn| rebuild(conn, true).await?);
        if ran {
            tracing::info!("agent quarter hours computed from the stored events (migration 0028)");
        }
        Ok(())
    }
}

/// The bucket statements a backend's connection runs.
pub(crate) trait BucketConn {
    /// Where `agent`'s buckets end (its last state or pause event), if it has any.
    async fn tail_since(&mut self, agent: &str) -> Result<Option<DateTime<Utc>>, CrmError>;
    /// Replaces `agent`'s buckets from `from` (seconds) on, and its tail.
    async fn replace_buckets(
        &mut self,
        agent: &str,
        from: i64,
        buckets: &[(i64, Tally)],
        tail: Option<&Current>,
    ) -> Result<(), CrmError>;
    /// Per agent (or of one), the sums of the buckets in `[from, to)`.
    async fn bucket_sums(
        &mut self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        agent: Option<&str>,
    ) -> Result<Tallies, CrmError>;
    /// Per bucket in `[from, to)`, the logged-in time (every state but logged out) of all
    /// agents, or of those in `agents`, microseconds.
    async fn logged_in_by_bucket(
        &mut self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        agents: Option<&[String]>,
    ) -> Result<Vec<(i64, i64)>, CrmError>;
    /// Every agent's (or one's) tail.
    async fn bucket_tails(
        &mut self,
        agent: Option<&str>,
    ) -> Result<Vec<(String, Current)>, CrmError>;
    /// Every agent with events, and the time of its first.
    async fn first_events(&mut self) -> Result<Vec<(String, DateTime<Utc>)>, CrmError>;
    async fn clear_buckets(&mut self) -> Result<(), CrmError>;
    async fn backfill_pending(&mut self) -> Result<bool, CrmError>;
    async fn backfill_done(&mut self) -> Result<(), CrmError>;
}

for_each_backend! {
    impl BucketConn for Conn {
        async fn tail_since(&mut self, agent: &str) -> Result<Option<DateTime<Utc>>, CrmError> {
            let row = sqlx::query("SELECT since FROM agent_bucket_tails WHERE agent = $1")
                .bind(agent)
                .fetch_optional(&mut *self)
                .await?;
            row.map(|r| r.time("since")).transpose()
        }

        async fn replace_buckets(
            &mut self,
            agent: &str,
            from: i64,
            buckets: &[(i64, Tally)],
            tail: Option<&Current>,
        ) -> Result<(), CrmError> {
            for table in ["agent_buckets", "agent_bucket_pauses"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE agent = $1 AND bucket >= $2"))
                    .bind(agent)
                    .bind(from)
                    .execute(&mut *self)
                    .await?;
            }
            for rows in buckets.chunks(rows_per_statement(BUCKET_COLUMNS)) {
                let mut q = QueryBuilder::<Engine>::new(format!(
                    "INSERT INTO agent_buckets ({BUCKET_COLUMNS_LIST}) "
                ));
                q.push_values(rows, |mut b, (bucket, t)| {
                    b.push_bind(agent).push_bind(*bucket);
                    for us in &t.us[1..] {
                        b.push_bind(*us);
                    }
                    b.push_bind(t.calls_answered as i64);
                });
                q.build().execute(&mut *self).await?;
            }
            let pauses: Vec<(i64, &str, i64)> = buckets
                .iter()
                .flat_map(|(bucket, t)| {
                    t.paused_by_reason
                        .iter()
                        .map(move |(reason, us)| (*bucket, reason.as_str(), *us))
                })
                .collect();
            for rows in pauses.chunks(rows_per_statement(4)) {
                let mut q = QueryBuilder::<Engine>::new(
                    "INSERT INTO agent_bucket_pauses (agent, bucket, reason, paused_us) ",
                );
                q.push_values(rows, |mut b, (bucket, reason, us)| {
                    b.push_bind(agent)
                        .push_bind(*bucket)
                        .push_bind(*reason)
                        .push_bind(*us);
                });
                q.build().execute(&mut *self).await?;
            }
            if let Some(c) = tail {
                sqlx::query(
                    "INSERT INTO agent_bucket_tails (agent, since, state, pause_reason)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (agent) DO UPDATE SET since = excluded.since,
                       state = excluded.state, pause_reason = excluded.pause_reason",
                )
                .bind(agent)
                .bind(DbTime(c.since))
                .bind(c.state.as_str())
                .bind(c.pause_reason.as_str())
                .execute(&mut *self)
                .await?;
            }
            Ok(())
        }

        async fn bucket_sums(
            &mut self,
            from: DateTime<Utc>,
            to: DateTime<Utc>,
            agent: Option<&str>,
        ) -> Result<Tallies, CrmError> {
            let mut out = Tallies::new();
            for row in sums(self, &bucket_sums(agent.is_some()), from, to, agent).await? {
                let t = out.entry(row.col("agent")?).or_default();
                let us = [
                    "available_us",
                    "ringing_us",
                    "on_call_us",
                    "wrap_up_us",
                    "paused_us",
                ];
                for (slot, column) in t.us[1..].iter_mut().zip(us) {
                    *slot = row.col(column)?;
                }
                t.calls_answered = row.col::<i64>("calls_answered")?.max(0) as u64;
            }
            for row in sums(self, &pause_sums(agent.is_some()), from, to, agent).await? {
                let t = out.entry(row.col("agent")?).or_default();
                t.paused_by_reason.insert(row.col("reason")?, row.col("paused_us")?);
            }
            Ok(out)
        }

        async fn logged_in_by_bucket(
            &mut self,
            from: DateTime<Utc>,
            to: DateTime<Utc>,
            agents: Option<&[String]>,
        ) -> Result<Vec<(i64, i64)>, CrmError> {
            let mut q = QueryBuilder::<Engine>::new(
                "SELECT bucket, CAST(SUM(available_us + ringing_us + on_call_us + wrap_up_us
                   + paused_us) AS BIGINT) AS us FROM agent_buckets WHERE bucket >= ",
            );
            q.push_bind(from.timestamp()).push(" AND bucket < ").push_bind(to.timestamp());
            if let Some(agents) = agents {
                if agents.is_empty() {
                    return Ok(Vec::new());
                }
                q.push(" AND agent IN (");
                let mut list = q.separated(", ");
                for agent in agents {
                    list.push_bind(agent);
                }
                q.push(")");
            }
            q.push(" GROUP BY bucket");
            let rows = q.build().fetch_all(&mut *self).await?;
            rows.iter()
                .map(|r| Ok((r.col("bucket")?, r.col("us")?)))
                .collect()
        }

        async fn bucket_tails(
            &mut self,
            agent: Option<&str>,
        ) -> Result<Vec<(String, Current)>, CrmError> {
            let mut text = "SELECT agent, since, state, pause_reason FROM agent_bucket_tails".to_owned();
            if agent.is_some() {
                text.push_str(" WHERE agent = $1");
            }
            let mut q = sqlx::query(&text);
            if let Some(agent) = agent {
                q = q.bind(agent);
            }
            let mut out = Vec::new();
            for row in q.fetch_all(&mut *self).await? {
                let state: String = row.col("state")?;
                out.push((
                    row.col("agent")?,
                    Current {
                        state: AgentStateName::from_stored(&state)?,
                        since: row.time("since")?,
                        pause_reason: row.col("pause_reason")?,
                    },
                ));
            }
            Ok(out)
        }

        async fn first_events(&mut self) -> Result<Vec<(String, DateTime<Utc>)>, CrmError> {
            let rows = sqlx::query("SELECT agent, MIN(at) AS first FROM agent_events GROUP BY agent")
                .fetch_all(&mut *self)
                .await?;
            rows.iter()
                .map(|r| Ok((r.col("agent")?, r.time("first")?)))
                .collect()
        }

        async fn clear_buckets(&mut self) -> Result<(), CrmError> {
            for table in ["agent_buckets", "agent_bucket_pauses", "agent_bucket_tails"] {
                sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *self).await?;
            }
            Ok(())
        }

        async fn backfill_pending(&mut self) -> Result<bool, CrmError> {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM agent_buckets_backfill")
                .fetch_one(&mut *self)
                .await?;
            Ok(n > 0)
        }

        async fn backfill_done(&mut self) -> Result<(), CrmError> {
            sqlx::query("DELETE FROM agent_buckets_backfill").execute(&mut *self).await?;
            Ok(())
        }
    }

    /// Runs [`bucket_sums`] or [`pause_sums`] over the buckets of `[from, to)`.
    async fn sums(
        conn: &mut Conn,
        text: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        agent: Option<&str>,
    ) -> Result<Vec<DbRow>, CrmError> {
        let mut q = sqlx::query(text).bind(from.timestamp()).bind(to.timestamp());
        if let Some(agent) = agent {
            q = q.bind(agent);
        }
        Ok(q.fetch_all(conn).await?)
    }
}
