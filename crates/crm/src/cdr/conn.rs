//! The CDR statements, written once for both backends ([`crate::db::for_each_backend`]): the
//! batched writes of a [`Plan`] (SQL text in [`crate::cdr::plan`]), crash recovery and reads.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use crate::acd::conn::AcdConn;
use crate::cdr::plan::unknown_calls;
use crate::cdr::plan::{
    rows_per_statement, unknown_answers, Plan, Unapplied, ANSWER_HEAD, ANSWER_TAIL, END_COLUMNS,
    END_CONFLICT, END_INSERT, LEGS_DELETE, LEGS_INSERT, START_COLUMNS, START_CONFLICT,
    START_INSERT,
};
use crate::cdr::trunk::{CallDirection, TRUNK_COLUMNS, TRUNK_HEAD, TRUNK_TAIL};
use crate::cdr::{status_from_stored, vars};
use crate::db::{for_each_backend, DbJson, DbTime, RowExt};
use crate::{Backend, Cdr, CrmError, Disposition, Leg, LegRole, Side};

/// The CDR statements a backend's connection runs (inside the caller's transaction).
pub(crate) trait CdrConn {
    /// Applies a planned batch (see [`crate::cdr::plan`]); returns the answers and links whose
    /// call is unknown.
    async fn apply_plan(&mut self, plan: &Plan<'_>) -> Result<Unapplied, CrmError>;
    /// Closes the CDRs a crash left open; returns how many.
    async fn recover_open(&mut self, now: DateTime<Utc>) -> Result<u64, CrmError>;
    /// Records that the switch is alive at `now`.
    async fn mark_alive(&mut self, now: DateTime<Utc>) -> Result<(), CrmError>;
    async fn fetch_cdr(&mut self, call_id: &str) -> Result<Option<Cdr>, CrmError>;
    /// The newest `limit` CDRs with their legs (run it in one snapshot).
    async fn recent(&mut self, limit: u32) -> Result<Vec<Cdr>, CrmError>;
}

/// A call a crash left open ends at the last moment the switch was known alive (`switch_alive`,
/// if written before `$1`, else `$1`, the restart), and never before it started or was
/// answered, even if the clock went backwards: the latest of those. An answered call stays
/// `answered` (billing and reports keep it); one still ringing is `failed`. The function is
/// spelled differently (SQLite's many-argument MAX, PostgreSQL's GREATEST); times compare
/// correctly on both (SQLite's text is fixed-width).
fn recover_sql(backend: Backend) -> String {
    let greatest = match backend {
        Backend::Sqlite => "MAX",
        Backend::Postgres => "GREATEST",
    };
    format!(
        "UPDATE cdrs SET
            ended_at = {greatest}(
                COALESCE((SELECT at FROM switch_alive WHERE id = 1 AND at <= $1), $1),
                started_at, COALESCE(answered_at, started_at)),
            disposition = CASE WHEN answered_at IS NULL THEN 'failed' ELSE 'answered' END,
            hangup_cause = 'switch restarted',
            hangup_side = 'switch', recovered = TRUE
         WHERE ended_at IS NULL"
    )
}

/// `$1` now: the switch is alive.
const MARK_ALIVE: &str = "INSERT INTO switch_alive (id, at) VALUES (1, $1)
     ON CONFLICT (id) DO UPDATE SET at = excluded.at";

const CDR_COLUMNS: &str =
    "call_id, caller, caller_name, callee, callee_name, started_at, answered_at,
    ended_at, disposition, sip_status, hangup_cause, hangup_side, recovered, queue, agent,
    customer_id, vars, direction, trunk, did, caller_id, dialled";
const LEG_COLUMNS: &str =
    "cdr_call_id, role, sip_call_id, peer, extension, started_at, answered_at,
    ended_at, final_status";

fn opt_status(v: Option<i32>, column: &'static str) -> Result<Option<u16>, CrmError> {
    v.map(|v| status_from_stored(column, i64::from(v)))
        .transpose()
}

for_each_backend! {
    impl CdrConn for Conn {
        async fn apply_plan(&mut self, plan: &Plan<'_>) -> Result<Unapplied, CrmError> {
            let rows = rows_per_statement(START_COLUMNS);
            for (chunk, answered) in plan
                .starts
                .chunks(rows)
                .zip(plan.start_answered.chunks(rows))
            {
                let mut q = QueryBuilder::<Engine>::new(START_INSERT);
                q.push_values(chunk.iter().zip(answered), |mut b, (c, answered)| {
                    b.push_bind(&c.call_id)
                        .push_bind(&c.caller)
                        .push_bind(&c.caller_name)
                        .push_bind(&c.callee)
                        .push_bind(&c.callee_name)
                        .push_bind(DbTime(c.started_at))
                        .push_bind(answered.map(DbTime));
                });
                q.push(START_CONFLICT);
                q.build().execute(&mut *self).await?;
            }

            let mut unknown = Vec::new();
            for chunk in plan.answers.chunks(rows_per_statement(2)) {
                let mut q = QueryBuilder::<Engine>::new(ANSWER_HEAD);
                q.push_values(chunk, |mut b, (call_id, at)| {
                    b.push_bind(*call_id).push_bind(DbTime(*at));
                });
                q.push(ANSWER_TAIL);
                let updated: Vec<String> = q.build_query_scalar().fetch_all(&mut *self).await?;
                unknown.extend(
                    unknown_answers(chunk, &updated)
                        .into_iter()
                        .map(str::to_owned),
                );
            }

            for chunk in plan.ends.chunks(rows_per_statement(END_COLUMNS)) {
                let mut q = QueryBuilder::<Engine>::new(END_INSERT);
                q.push_values(chunk, |mut b, e| {
                    let fb = e.fallback();
                    b.push_bind(&e.call_id)
                        .push_bind(fb.caller)
                        .push_bind(fb.callee)
                        .push_bind(DbTime(fb.started_at))
                        .push_bind(fb.answered_at.map(DbTime))
                        .push_bind(DbTime(e.ended_at))
                        .push_bind(e.disposition.as_str())
                        .push_bind(i32::from(e.sip_status))
                        .push_bind(&e.hangup_cause)
                        .push_bind(e.hangup_side.map(Side::as_str))
                        .push_bind(false)
                        .push_bind(DbJson(vars::to_stored(&e.call_id, &e.vars)));
                });
                q.push(END_CONFLICT);
                q.build().execute(&mut *self).await?;

                let mut q = QueryBuilder::<Engine>::new(LEGS_DELETE);
                let mut ids = q.separated(", ");
                for e in chunk {
                    ids.push_bind(&e.call_id);
                }
                ids.push_unseparated(")");
                q.build().execute(&mut *self).await?;
            }

            let legs = plan.leg_rows();
            for chunk in legs.chunks(rows_per_statement(10)) {
                let mut q = QueryBuilder::<Engine>::new(LEGS_INSERT);
                q.push_values(chunk, |mut b, (call_id, seq, leg)| {
                    b.push_bind(*call_id)
                        .push_bind(*seq)
                        .push_bind(leg.role.as_str())
                        .push_bind(&leg.sip_call_id)
                        .push_bind(&leg.peer)
                        .push_bind(&leg.extension)
                        .push_bind(DbTime(leg.started_at))
                        .push_bind(leg.answered_at.map(DbTime))
                        .push_bind(leg.ended_at.map(DbTime))
                        .push_bind(leg.final_status.map(i32::from));
                });
                q.build().execute(&mut *self).await?;
            }
            let mut trunks = Vec::new();
            for chunk in plan.trunks.chunks(rows_per_statement(TRUNK_COLUMNS)) {
                let mut q = QueryBuilder::<Engine>::new(TRUNK_HEAD);
                q.push_values(chunk, |mut b, t| {
                    b.push_bind(t.call_id)
                        .push_bind(t.direction)
                        .push_bind(t.trunk)
                        .push_bind(t.did)
                        .push_bind(t.caller_id)
                        .push_bind(t.dialled);
                });
                q.push(TRUNK_TAIL);
                let updated: Vec<String> = q.build_query_scalar().fetch_all(&mut *self).await?;
                trunks.extend(unknown_calls(chunk.iter().map(|t| t.call_id), &updated));
            }
            let links = self.apply_acd(plan).await?;
            Ok(Unapplied {
                answers: unknown,
                links,
                trunks,
            })
        }

        async fn recover_open(&mut self, now: DateTime<Utc>) -> Result<u64, CrmError> {
            let done = sqlx::query(&recover_sql(BACKEND))
                .bind(DbTime(now))
                .execute(self)
                .await?;
            Ok(done.rows_affected())
        }

        async fn mark_alive(&mut self, now: DateTime<Utc>) -> Result<(), CrmError> {
            sqlx::query(MARK_ALIVE).bind(DbTime(now)).execute(self).await?;
            Ok(())
        }

        async fn fetch_cdr(&mut self, call_id: &str) -> Result<Option<Cdr>, CrmError> {
            let Some(row) = sqlx::query(&format!(
                "SELECT {CDR_COLUMNS} FROM cdrs WHERE call_id = $1"
            ))
            .bind(call_id)
            .fetch_optional(&mut *self)
            .await?
            else {
                return Ok(None);
            };
            let legs = sqlx::query(&format!(
                "SELECT {LEG_COLUMNS} FROM cdr_legs WHERE cdr_call_id = $1 ORDER BY seq"
            ))
            .bind(call_id)
            .fetch_all(&mut *self)
            .await?
            .iter()
            .map(leg_row)
            .collect::<Result<Vec<_>, _>>()?;
            let mut cdr = cdr_row(&row)?;
            cdr.legs = legs;
            Ok(Some(cdr))
        }

        async fn recent(&mut self, limit: u32) -> Result<Vec<Cdr>, CrmError> {
            let newest = "SELECT call_id FROM cdrs ORDER BY started_at DESC, call_id DESC LIMIT $1";
            let rows = sqlx::query(&format!(
                "SELECT {CDR_COLUMNS} FROM cdrs ORDER BY started_at DESC, call_id DESC LIMIT $1"
            ))
            .bind(i64::from(limit))
            .fetch_all(&mut *self)
            .await?;
            let leg_rows = sqlx::query(&format!(
                "SELECT {LEG_COLUMNS} FROM cdr_legs WHERE cdr_call_id IN ({newest})
                 ORDER BY cdr_call_id, seq"
            ))
            .bind(i64::from(limit))
            .fetch_all(&mut *self)
            .await?;
            let mut legs: HashMap<String, Vec<Leg>> = HashMap::new();
            for row in &leg_rows {
                let owner: String = row.col("cdr_call_id")?;
                legs.entry(owner).or_default().push(leg_row(row)?);
            }
            rows.iter()
                .map(|row| {
                    let mut cdr = cdr_row(row)?;
                    cdr.legs = legs.remove(&cdr.call_id).unwrap_or_default();
                    Ok(cdr)
                })
                .collect()
        }
    }

    /// A `cdrs` row without its legs.
    fn cdr_row(row: &DbRow) -> Result<Cdr, CrmError> {
        let started_at = row.time("started_at")?;
        let answered_at = row.opt_time("answered_at")?;
        let ended_at = row.opt_time("ended_at")?;
        let d = Cdr::durations(started_at, answered_at, ended_at);
        Ok(Cdr {
            call_id: row.col("call_id")?,
            caller: row.col("caller")?,
            caller_name: row.col("caller_name")?,
            callee: row.col("callee")?,
            callee_name: row.col("callee_name")?,
            started_at,
            answered_at,
            ended_at,
            disposition: row
                .col::<Option<String>>("disposition")?
                .map(|s| Disposition::from_stored(&s))
                .transpose()?,
            sip_status: opt_status(row.col("sip_status")?, "sip_status")?,
            hangup_cause: row.col("hangup_cause")?,
            hangup_side: row
                .col::<Option<String>>("hangup_side")?
                .map(|s| Side::from_stored(&s))
                .transpose()?,
            duration_s: d.duration_s,
            billable_s: d.billable_s,
            duration_ms: d.duration_ms,
            billable_ms: d.billable_ms,
            recovered: row.col("recovered")?,
            queue: row.col("queue")?,
            agent: row.col("agent")?,
            customer_id: row.col("customer_id")?,
            direction: row
                .col::<Option<String>>("direction")?
                .map(|s| CallDirection::from_stored(&s))
                .transpose()?,
            trunk: row.col("trunk")?,
            did: row.col("did")?,
            caller_id: row.col("caller_id")?,
            dialled: row.col("dialled")?,
            legs: Vec::new(),
            vars: vars::from_stored(
                row.col::<Option<DbJson>>("vars")?
                    .as_ref()
                    .map(|j| j.0.as_str()),
            )?,
        })
    }

    fn leg_row(row: &DbRow) -> Result<Leg, CrmError> {
        Ok(Leg {
            role: LegRole::from_stored(&row.col::<String>("role")?)?,
            sip_call_id: row.col("sip_call_id")?,
            peer: row.col("peer")?,
            extension: row.col("extension")?,
            started_at: row.time("started_at")?,
            answered_at: row.opt_time("answered_at")?,
            ended_at: row.opt_time("ended_at")?,
            final_status: opt_status(row.col("final_status")?, "final_status")?,
        })
    }
}
