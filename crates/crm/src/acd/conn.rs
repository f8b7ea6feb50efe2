//! ACD history statements, written once for both backends: writing queue and agent events and
//! CDR links (part of a CDR [`Plan`]), and the reads the reports are computed from.

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use crate::acd::agent_report::AgentCallTotals;
use crate::acd::rows::{AgentEventRow, QueueEventRow};
use crate::acd::sql;
use crate::acd::{agent_buckets, visit_store};
use crate::cdr::plan::{rows_per_statement, unknown_calls, Plan};
use crate::db::{for_each_backend, DbTime, RowExt};
use crate::{AgentEventRecord, CrmError, QueueEventRecord};

/// The ACD statements a backend's connection runs.
pub(crate) trait AcdConn {
    /// Applies the links and events of a plan; returns the calls of links that have no CDR.
    async fn apply_acd(&mut self, plan: &Plan<'_>) -> Result<Vec<String>, CrmError>;
    async fn queue_events_of_call(
        &mut self,
        call_id: &str,
    ) -> Result<Vec<QueueEventRecord>, CrmError>;
    /// Queue events in `[from, to)`, of one queue or all.
    async fn queue_events(
        &mut self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        queue: Option<&str>,
    ) -> Result<Vec<QueueEventRecord>, CrmError>;
    /// Every event but rings of these calls, in order (what their visits are folded from).
    async fn queue_events_of_calls(
        &mut self,
        call_ids: &[&str],
    ) -> Result<Vec<QueueEventRecord>, CrmError>;
    /// Per agent: (completed calls, their hold, offers not answered) in `[from, to)`.
    async fn agent_call_totals(
        &mut self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        agent: Option<&str>,
    ) -> Result<Vec<AgentCallTotals>, CrmError>;
    /// (call id, caller) of the CDRs of these calls.
    async fn callers(&mut self, call_ids: &[&str]) -> Result<Vec<(String, String)>, CrmError>;
    /// The last pause event of `agent` before `at`.
    async fn last_pause_before(
        &mut self,
        at: DateTime<Utc>,
        agent: &str,
    ) -> Result<Option<AgentEventRecord>, CrmError>;
    async fn agent_events(
        &mut self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        agent: Option<&str>,
    ) -> Result<Vec<AgentEventRecord>, CrmError>;
    async fn last_states_before(
        &mut self,
        at: DateTime<Utc>,
        agent: Option<&str>,
    ) -> Result<Vec<AgentEventRecord>, CrmError>;
    /// The state and pause events of `agent` at or after `from`, in order.
    async fn agent_spans_from(
        &mut self,
        agent: &str,
        from: DateTime<Utc>,
    ) -> Result<Vec<AgentEventRecord>, CrmError>;
}

for_each_backend! {
    impl AcdConn for Conn {
        async fn apply_acd(&mut self, plan: &Plan<'_>) -> Result<Vec<String>, CrmError> {
            let mut unknown = Vec::new();
            for chunk in plan.links.chunks(rows_per_statement(sql::LINK_COLUMNS)) {
                let mut q = QueryBuilder::<Engine>::new(sql::LINK_HEAD);
                q.push_values(chunk, |mut b, l| {
                    b.push_bind(l.call_id)
                        .push_bind(l.queue)
                        .push_bind(l.agent)
                        .push_bind(l.customer_id)
                        .push_bind(l.channel);
                });
                q.push(sql::LINK_TAIL);
                let updated: Vec<String> = q.build_query_scalar().fetch_all(&mut *self).await?;
                unknown.extend(unknown_calls(chunk.iter().map(|l| l.call_id), &updated));
            }

            let rows = rows_per_statement(sql::QUEUE_EVENT_COLUMNS);
            for chunk in plan.queue_events.chunks(rows) {
                let mut q = QueryBuilder::<Engine>::new(sql::QUEUE_EVENT_INSERT);
                q.push_values(chunk, |mut b, e| {
                    let c = e.kind.columns();
                    b.push_bind(&e.event_id)
                        .push_bind(DbTime(e.at))
                        .push_bind(&e.queue)
                        .push_bind(&e.call_id)
                        .push_bind(e.kind.as_str())
                        .push_bind(c.agent)
                        .push_bind(c.position)
                        .push_bind(c.wait_ms)
                        .push_bind(c.talk_ms)
                        .push_bind(c.hold_ms)
                        .push_bind(c.rang_ms)
                        .push_bind(c.ended_by)
                        .push_bind(c.reason)
                        .push_bind(c.target)
                        .push_bind(c.key);
                });
                q.push(sql::EVENT_CONFLICT);
                q.build().execute(&mut *self).await?;
            }

            for chunk in plan
                .agent_events
                .chunks(rows_per_statement(sql::AGENT_EVENT_COLUMNS))
            {
                let mut q = QueryBuilder::<Engine>::new(sql::AGENT_EVENT_INSERT);
                q.push_values(chunk, |mut b, e| {
                    let (reason, from, to) = e.kind.columns();
                    b.push_bind(&e.event_id)
                        .push_bind(DbTime(e.at))
                        .push_bind(&e.agent)
                        .push_bind(e.kind.as_str())
                        .push_bind(reason)
                        .push_bind(from)
                        .push_bind(to);
                });
                q.push(sql::EVENT_CONFLICT);
                q.build().execute(&mut *self).await?;
            }
            visit_store::after_events(self, plan).await?;
            agent_buckets::after_events(self, plan).await?;
            Ok(unknown)
        }

        async fn queue_events_of_call(
            &mut self,
            call_id: &str,
        ) -> Result<Vec<QueueEventRecord>, CrmError> {
            sqlx::query(&sql::queue_events_of_call())
                .bind(call_id)
                .fetch_all(self)
                .await?
                .iter()
                .map(queue_event)
                .collect()
        }

        async fn queue_events(
            &mut self,
            from: DateTime<Utc>,
            to: DateTime<Utc>,
            queue: Option<&str>,
        ) -> Result<Vec<QueueEventRecord>, CrmError> {
            let text = sql::queue_events_between(queue.is_some());
            let rows = fetch(self, &text, &[from, to], queue).await?;
            rows.iter().map(queue_event).collect()
        }

        async fn queue_events_of_calls(
            &mut self,
            call_ids: &[&str],
        ) -> Result<Vec<QueueEventRecord>, CrmError> {
            let mut out = Vec::new();
            for chunk in call_ids.chunks(rows_per_statement(1)) {
                let mut q = QueryBuilder::<Engine>::new(sql::queue_events_of_calls_head());
                let mut list = q.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                q.push(sql::QUEUE_EVENTS_OF_CALLS_TAIL);
                for row in q.build().fetch_all(&mut *self).await? {
                    out.push(queue_event(&row)?);
                }
            }
            Ok(out)
        }

        async fn agent_call_totals(
            &mut self,
            from: DateTime<Utc>,
            to: DateTime<Utc>,
            agent: Option<&str>,
        ) -> Result<Vec<AgentCallTotals>, CrmError> {
            let text = sql::agent_call_totals(agent.is_some());
            let rows = fetch(self, &text, &[from, to], agent).await?;
            let mut totals: Vec<AgentCallTotals> = Vec::new();
            for row in &rows {
                let agent: String = row.col("agent")?;
                let kind: String = row.col("kind")?;
                let n: i64 = row.col("n")?;
                let hold_ms: i64 = row.col("hold_ms")?;
                let i = match totals.iter().position(|t| t.agent == agent) {
                    Some(i) => i,
                    None => {
                        totals.push(AgentCallTotals::new(agent));
                        totals.len() - 1
                    }
                };
                let t = &mut totals[i];
                if kind == "complete" {
                    t.completed = n.max(0) as u64;
                    t.hold = std::time::Duration::from_millis(hold_ms.max(0) as u64);
                } else {
                    t.missed_offers = n.max(0) as u64;
                }
            }
            Ok(totals)
        }

        async fn callers(
            &mut self,
            call_ids: &[&str],
        ) -> Result<Vec<(String, String)>, CrmError> {
            let mut out = Vec::with_capacity(call_ids.len());
            for chunk in call_ids.chunks(rows_per_statement(1)) {
                let mut q =
                    QueryBuilder::<Engine>::new("SELECT call_id, caller FROM cdrs WHERE call_id IN (");
                let mut list = q.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                q.push(")");
                for row in q.build().fetch_all(&mut *self).await? {
                    out.push((row.col("call_id")?, row.col("caller")?));
                }
            }
            Ok(out)
        }

        async fn last_pause_before(
            &mut self,
            at: DateTime<Utc>,
            agent: &str,
        ) -> Result<Option<AgentEventRecord>, CrmError> {
            let rows = fetch(self, &sql::last_pause_before(), &[at], Some(agent)).await?;
            rows.first().map(agent_event).transpose()
        }

        async fn agent_events(
            &mut self,
            from: DateTime<Utc>,
            to: DateTime<Utc>,
            agent: Option<&str>,
        ) -> Result<Vec<AgentEventRecord>, CrmError> {
            let text = sql::agent_events_between(agent.is_some());
            let rows = fetch(self, &text, &[from, to], agent).await?;
            rows.iter().map(agent_event).collect()
        }

        async fn last_states_before(
            &mut self,
            at: DateTime<Utc>,
            agent: Option<&str>,
        ) -> Result<Vec<AgentEventRecord>, CrmError> {
            let text = sql::last_states_before(agent.is_some());
            let rows = fetch(self, &text, &[at], agent).await?;
            rows.iter().map(agent_event).collect()
        }

        async fn agent_spans_from(
            &mut self,
            agent: &str,
            from: DateTime<Utc>,
        ) -> Result<Vec<AgentEventRecord>, CrmError> {
            sqlx::query(&sql::agent_spans_from())
                .bind(agent)
                .bind(DbTime(from))
                .fetch_all(self)
                .await?
                .iter()
                .map(agent_event)
                .collect()
        }
    }

    /// Runs a read of [`sql`]: the times first, then the queue or agent the text was built
    /// for, if any.
    async fn fetch(
        conn: &mut Conn,
        text: &str,
        times: &[DateTime<Utc>],
        name: Option<&str>,
    ) -> Result<Vec<DbRow>, CrmError> {
        let mut q = sqlx::query(text);
        for t in times {
            q = q.bind(DbTime(*t));
        }
        if let Some(name) = name {
            q = q.bind(name);
        }
        Ok(q.fetch_all(conn).await?)
    }

    fn queue_event(row: &DbRow) -> Result<QueueEventRecord, CrmError> {
        QueueEventRow {
            event_id: row.col("event_id")?,
            at: row.time("at")?,
            queue: row.col("queue")?,
            call_id: row.col("call_id")?,
            kind: row.col("kind")?,
            agent: row.col("agent")?,
            position: row.col("position")?,
            wait_ms: row.col("wait_ms")?,
            talk_ms: row.col("talk_ms")?,
            hold_ms: row.col("hold_ms")?,
            rang_ms: row.col("rang_ms")?,
            ended_by: row.col("ended_by")?,
            reason: row.col("reason")?,
            target: row.col("target")?,
            key: row.col("key")?,
        }
        .into_record()
    }

    fn agent_event(row: &DbRow) -> Result<AgentEventRecord, CrmError> {
        AgentEventRow {
            event_id: row.col("event_id")?,
            at: row.time("at")?,
            agent: row.col("agent")?,
            kind: row.col("kind")?,
            reason: row.col("reason")?,
            from_state: row.col("from_state")?,
            to_state: row.col("to_state")?,
        }
        .into_record()
    }
}
