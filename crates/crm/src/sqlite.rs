//! CDR SQL for SQLite. Times are stored as fixed-width RFC 3339 UTC text (see
//! migrations/sqlite/0001_cdrs.sql), so text comparison in SQL is time comparison.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use crate::model::{status_from_stored, CdrRow};
use crate::plan::{
    rows_per_statement, unknown_answers, Plan, Unapplied, ANSWER_HEAD, ANSWER_TAIL, END_COLUMNS,
    END_CONFLICT, END_INSERT, LEGS_DELETE, LEGS_INSERT, START_COLUMNS, START_CONFLICT,
    START_INSERT,
};
use crate::{vars, Cdr, CrmError, Disposition, Leg, LegRole, Side};

/// The single text form of a time in SQLite: microseconds, always six digits, `Z`.
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn parse_ts(column: &'static str, s: &str) -> Result<DateTime<Utc>, CrmError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| CrmError::CorruptValue {
            column,
            value: s.to_owned(),
        })
}

pub(crate) fn get_ts(row: &SqliteRow, column: &'static str) -> Result<DateTime<Utc>, CrmError> {
    parse_ts(column, &row.try_get::<String, _>(column)?)
}

pub(crate) fn get_opt_ts(
    row: &SqliteRow,
    column: &'static str,
) -> Result<Option<DateTime<Utc>>, CrmError> {
    row.try_get::<Option<String>, _>(column)?
        .map(|s| parse_ts(column, &s))
        .transpose()
}

fn get_opt_status(row: &SqliteRow, column: &'static str) -> Result<Option<u16>, CrmError> {
    row.try_get::<Option<i64>, _>(column)?
        .map(|v| status_from_stored(column, v))
        .transpose()
}

/// Applies a planned batch (see [`crate::plan`]); returns the answers and links whose call is
/// unknown.
pub(crate) async fn apply_plan(
    conn: &mut SqliteConnection,
    plan: &Plan<'_>,
) -> Result<Unapplied, CrmError> {
    let rows = rows_per_statement(START_COLUMNS);
    for (chunk, answered) in plan
        .starts
        .chunks(rows)
        .zip(plan.start_answered.chunks(rows))
    {
        let mut q = QueryBuilder::<Sqlite>::new(START_INSERT);
        q.push_values(chunk.iter().zip(answered), |mut b, (c, answered)| {
            b.push_bind(&c.call_id)
                .push_bind(&c.caller)
                .push_bind(&c.caller_name)
                .push_bind(&c.callee)
                .push_bind(&c.callee_name)
                .push_bind(ts(c.started_at))
                .push_bind(answered.map(ts));
        });
        q.push(START_CONFLICT);
        q.build().execute(&mut *conn).await?;
    }

    let mut unknown = Vec::new();
    for chunk in plan.answers.chunks(rows_per_statement(2)) {
        let mut q = QueryBuilder::<Sqlite>::new(ANSWER_HEAD);
        q.push_values(chunk, |mut b, (call_id, at)| {
            b.push_bind(*call_id).push_bind(ts(*at));
        });
        q.push(ANSWER_TAIL);
        let updated: Vec<String> = q.build_query_scalar().fetch_all(&mut *conn).await?;
        unknown.extend(
            unknown_answers(chunk, &updated)
                .into_iter()
                .map(str::to_owned),
        );
    }

    for chunk in plan.ends.chunks(rows_per_statement(END_COLUMNS)) {
        let mut q = QueryBuilder::<Sqlite>::new(END_INSERT);
        q.push_values(chunk, |mut b, e| {
            let fb = e.fallback();
            b.push_bind(&e.call_id)
                .push_bind(fb.caller)
                .push_bind(fb.callee)
                .push_bind(ts(fb.started_at))
                .push_bind(fb.answered_at.map(ts))
                .push_bind(ts(e.ended_at))
                .push_bind(e.disposition.as_str())
                .push_bind(i64::from(e.sip_status))
                .push_bind(&e.hangup_cause)
                .push_bind(e.hangup_side.map(Side::as_str))
                .push_bind(false)
                .push_bind(vars::to_stored(&e.call_id, &e.vars));
        });
        q.push(END_CONFLICT);
        q.build().execute(&mut *conn).await?;

        let mut q = QueryBuilder::<Sqlite>::new(LEGS_DELETE);
        let mut ids = q.separated(", ");
        for e in chunk {
            ids.push_bind(&e.call_id);
        }
        ids.push_unseparated(")");
        q.build().execute(&mut *conn).await?;
    }

    let legs = plan.leg_rows();
    for chunk in legs.chunks(rows_per_statement(10)) {
        let mut q = QueryBuilder::<Sqlite>::new(LEGS_INSERT);
        q.push_values(chunk, |mut b, (call_id, seq, leg)| {
            b.push_bind(*call_id)
                .push_bind(*seq)
                .push_bind(leg.role.as_str())
                .push_bind(&leg.sip_call_id)
                .push_bind(&leg.peer)
                .push_bind(&leg.extension)
                .push_bind(ts(leg.started_at))
                .push_bind(leg.answered_at.map(ts))
                .push_bind(leg.ended_at.map(ts))
                .push_bind(leg.final_status.map(i64::from));
        });
        q.build().execute(&mut *conn).await?;
    }
    let links = crate::sqlite_acd::apply(conn, plan).await?;
    Ok(Unapplied {
        answers: unknown,
        links,
    })
}

pub(crate) async fn recover_open(
    conn: &mut SqliteConnection,
    now: DateTime<Utc>,
) -> Result<u64, CrmError> {
    // MAX over fixed-width text is MAX over time: never end a call before it started/answered.
    let done = sqlx::query(
        "UPDATE cdrs SET
            ended_at = MAX(?1, started_at, COALESCE(answered_at, started_at)),
            disposition = 'failed', hangup_cause = 'switch restarted',
            hangup_side = 'switch', recovered = 1
         WHERE ended_at IS NULL",
    )
    .bind(ts(now))
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

const CDR_COLUMNS: &str =
    "call_id, caller, caller_name, callee, callee_name, started_at, answered_at,
    ended_at, disposition, sip_status, hangup_cause, hangup_side, recovered, queue, agent,
    customer_id, vars";
const LEG_COLUMNS: &str =
    "cdr_call_id, role, sip_call_id, peer, extension, started_at, answered_at,
    ended_at, final_status";

fn cdr_row(row: &SqliteRow) -> Result<CdrRow, CrmError> {
    Ok(CdrRow {
        call_id: row.try_get("call_id")?,
        caller: row.try_get("caller")?,
        caller_name: row.try_get("caller_name")?,
        callee: row.try_get("callee")?,
        callee_name: row.try_get("callee_name")?,
        started_at: get_ts(row, "started_at")?,
        answered_at: get_opt_ts(row, "answered_at")?,
        ended_at: get_opt_ts(row, "ended_at")?,
        disposition: row
            .try_get::<Option<String>, _>("disposition")?
            .map(|s| Disposition::from_stored(&s))
            .transpose()?,
        sip_status: get_opt_status(row, "sip_status")?,
        hangup_cause: row.try_get("hangup_cause")?,
        hangup_side: row
            .try_get::<Option<String>, _>("hangup_side")?
            .map(|s| Side::from_stored(&s))
            .transpose()?,
        recovered: row.try_get("recovered")?,
        queue: row.try_get("queue")?,
        agent: row.try_get("agent")?,
        customer_id: row.try_get("customer_id")?,
        vars: vars::from_stored(row.try_get::<Option<&str>, _>("vars")?)?,
    })
}

fn leg_row(row: &SqliteRow) -> Result<Leg, CrmError> {
    Ok(Leg {
        role: LegRole::from_stored(&row.try_get::<String, _>("role")?)?,
        sip_call_id: row.try_get("sip_call_id")?,
        peer: row.try_get("peer")?,
        extension: row.try_get("extension")?,
        started_at: get_ts(row, "started_at")?,
        answered_at: get_opt_ts(row, "answered_at")?,
        ended_at: get_opt_ts(row, "ended_at")?,
        final_status: get_opt_status(row, "final_status")?,
    })
}

pub(crate) async fn fetch_cdr(
    conn: &mut SqliteConnection,
    call_id: &str,
) -> Result<Option<Cdr>, CrmError> {
    let Some(row) = sqlx::query(&format!(
        "SELECT {CDR_COLUMNS} FROM cdrs WHERE call_id = ?1"
    ))
    .bind(call_id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let legs = sqlx::query(&format!(
        "SELECT {LEG_COLUMNS} FROM cdr_legs WHERE cdr_call_id = ?1 ORDER BY seq"
    ))
    .bind(call_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(leg_row)
    .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(cdr_row(&row)?.into_cdr(legs)))
}

pub(crate) async fn recent(conn: &mut SqliteConnection, limit: u32) -> Result<Vec<Cdr>, CrmError> {
    let newest = "SELECT call_id FROM cdrs ORDER BY started_at DESC, call_id DESC LIMIT ?1";
    let rows = sqlx::query(&format!(
        "SELECT {CDR_COLUMNS} FROM cdrs ORDER BY started_at DESC, call_id DESC LIMIT ?1"
    ))
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    let leg_rows = sqlx::query(&format!(
        "SELECT {LEG_COLUMNS} FROM cdr_legs WHERE cdr_call_id IN ({newest})
         ORDER BY cdr_call_id, seq"
    ))
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    let mut legs: HashMap<String, Vec<Leg>> = HashMap::new();
    for row in &leg_rows {
        let owner: String = row.try_get("cdr_call_id")?;
        legs.entry(owner).or_default().push(leg_row(row)?);
    }
    rows.iter()
        .map(|row| {
            let cdr = cdr_row(row)?;
            let own = legs.remove(&cdr.call_id).unwrap_or_default();
            Ok(cdr.into_cdr(own))
        })
        .collect()
}
