//! ACD history SQL for PostgreSQL: writing queue and agent events and CDR links, and the reads the
//! reports are computed from. Times are TIMESTAMPTZ, bound as `DateTime<Utc>`.

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};

use crate::acd_sql as sql;
use crate::acd_stored::{AgentEventRow, QueueEventRow};
use crate::plan::{rows_per_statement, unknown_links, Plan};
use crate::{AgentEventRecord, CrmError, QueueEventRecord};

/// Applies the links and events of a plan; returns the calls of links that have no CDR.
pub(crate) async fn apply(
    conn: &mut PgConnection,
    plan: &Plan<'_>,
) -> Result<Vec<String>, CrmError> {
    let mut unknown = Vec::new();
    for chunk in plan.links.chunks(rows_per_statement(sql::LINK_COLUMNS)) {
        let mut q = QueryBuilder::<Postgres>::new(sql::LINK_HEAD);
        q.push_values(chunk, |mut b, l| {
            b.push_bind(l.call_id)
                .push_bind(l.queue)
                .push_bind(l.agent)
                .push_bind(l.customer_id);
        });
        q.push(sql::LINK_TAIL);
        let updated: Vec<String> = q.build_query_scalar().fetch_all(&mut *conn).await?;
        unknown.extend(unknown_links(chunk, &updated));
    }

    let rows = rows_per_statement(sql::QUEUE_EVENT_COLUMNS);
    for chunk in plan.queue_events.chunks(rows) {
        let mut q = QueryBuilder::<Postgres>::new(sql::QUEUE_EVENT_INSERT);
        q.push_values(chunk, |mut b, e| {
            let c = e.kind.columns();
            b.push_bind(&e.event_id)
                .push_bind(e.at)
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
        q.build().execute(&mut *conn).await?;
    }

    for chunk in plan
        .agent_events
        .chunks(rows_per_statement(sql::AGENT_EVENT_COLUMNS))
    {
        let mut q = QueryBuilder::<Postgres>::new(sql::AGENT_EVENT_INSERT);
        q.push_values(chunk, |mut b, e| {
            let (reason, from, to) = e.kind.columns();
            b.push_bind(&e.event_id)
                .push_bind(e.at)
                .push_bind(&e.agent)
                .push_bind(e.kind.as_str())
                .push_bind(reason)
                .push_bind(from)
                .push_bind(to);
        });
        q.push(sql::EVENT_CONFLICT);
        q.build().execute(&mut *conn).await?;
    }
    Ok(unknown)
}

fn queue_event(row: &PgRow) -> Result<QueueEventRecord, CrmError> {
    QueueEventRow {
        event_id: row.try_get("event_id")?,
        at: row.try_get("at")?,
        queue: row.try_get("queue")?,
        call_id: row.try_get("call_id")?,
        kind: row.try_get("kind")?,
        agent: row.try_get("agent")?,
        position: row.try_get("position")?,
        wait_ms: row.try_get("wait_ms")?,
        talk_ms: row.try_get("talk_ms")?,
        hold_ms: row.try_get("hold_ms")?,
        rang_ms: row.try_get("rang_ms")?,
        ended_by: row.try_get("ended_by")?,
        reason: row.try_get("reason")?,
        target: row.try_get("target")?,
        key: row.try_get("key")?,
    }
    .into_record()
}

fn agent_event(row: &PgRow) -> Result<AgentEventRecord, CrmError> {
    AgentEventRow {
        event_id: row.try_get("event_id")?,
        at: row.try_get("at")?,
        agent: row.try_get("agent")?,
        kind: row.try_get("kind")?,
        reason: row.try_get("reason")?,
        from_state: row.try_get("from_state")?,
        to_state: row.try_get("to_state")?,
    }
    .into_record()
}

pub(crate) async fn queue_events_of_call(
    conn: &mut PgConnection,
    call_id: &str,
) -> Result<Vec<QueueEventRecord>, CrmError> {
    sqlx::query(&sql::queue_events_of_call())
        .bind(call_id)
        .fetch_all(conn)
        .await?
        .iter()
        .map(queue_event)
        .collect()
}

/// Queue events in `[from, to)`; with `calls_entering`, every event of the calls that entered
/// (or were refused) in the window instead (see [`sql::queue_events_of_calls_entering`]).
pub(crate) async fn queue_events(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    queue: Option<&str>,
    calls_entering: bool,
) -> Result<Vec<QueueEventRecord>, CrmError> {
    let text = if calls_entering {
        sql::queue_events_of_calls_entering(queue.is_some())
    } else {
        sql::queue_events_between(queue.is_some())
    };

    let mut q = sqlx::query(&text).bind(from).bind(to);
    if let Some(queue) = queue {
        q = q.bind(queue);
    }
    q.fetch_all(conn).await?.iter().map(queue_event).collect()
}

pub(crate) async fn agent_events_between(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    agent: Option<&str>,
) -> Result<Vec<AgentEventRecord>, CrmError> {
    let text = sql::agent_events_between(agent.is_some());
    let mut q = sqlx::query(&text).bind(from).bind(to);
    if let Some(agent) = agent {
        q = q.bind(agent);
    }
    q.fetch_all(conn).await?.iter().map(agent_event).collect()
}

pub(crate) async fn last_states_before(
    conn: &mut PgConnection,
    at: DateTime<Utc>,
    agent: Option<&str>,
) -> Result<Vec<AgentEventRecord>, CrmError> {
    let text = sql::last_states_before(agent.is_some());
    let mut q = sqlx::query(&text).bind(at);
    if let Some(agent) = agent {
        q = q.bind(agent);
    }
    q.fetch_all(conn).await?.iter().map(agent_event).collect()
}
