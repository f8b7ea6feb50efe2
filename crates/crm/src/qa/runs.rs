//! Sampling runs: the month's answered, recorded calls (the population a draw takes), and a
//! run stored with its tasks in one transaction. A month is sampled once: a second run for it
//! is refused with [`CrmError::QaState`] naming the first.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::customer::invalid;
use crate::db::{for_each_backend, in_transaction, with_conn, DbJson, DbTime, RowExt};
use crate::qa::{from_json, json, name, unsigned, NewQaRun, NewQaTask, QaCall, QaRun, TaskPurpose};
use crate::{Crm, CrmError};

pub(crate) trait RunConn {
    async fn month_calls(
        &mut self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<QaCall>, CrmError>;
    async fn run_of_month(&mut self, month: &str) -> Result<Option<QaRun>, CrmError>;
    async fn insert_run(&mut self, run: &NewQaRun, seed: i64) -> Result<(), CrmError>;
    async fn insert_task(
        &mut self,
        run: &NewQaRun,
        t: &NewQaTask,
        at: DateTime<Utc>,
    ) -> Result<(), CrmError>;
    async fn open_task_counts(&mut self) -> Result<BTreeMap<String, u32>, CrmError>;
}

for_each_backend! {
    impl RunConn for Conn {
        async fn month_calls(
            &mut self,
            from: DateTime<Utc>,
            to: DateTime<Utc>,
        ) -> Result<Vec<QaCall>, CrmError> {
            // Calls answered by an agent with a finished recording; a call with several
            // recordings (paused and resumed) is reviewed on its first.
            let rows = sqlx::query(
                "SELECT c.call_id, c.agent, c.queue, c.direction, c.answered_at, c.ended_at,
                        r.id AS recording_id
                 FROM cdrs c JOIN recordings r ON r.call_id = c.call_id
                 WHERE c.disposition = 'answered' AND c.agent IS NOT NULL
                   AND c.answered_at >= $1 AND c.answered_at < $2 AND c.ended_at IS NOT NULL
                   AND r.status IN ('complete', 'recovered')
                 ORDER BY c.call_id, r.started_at, r.id",
            )
            .bind(DbTime(from))
            .bind(DbTime(to))
            .fetch_all(self)
            .await?;
            let mut calls: Vec<QaCall> = Vec::new();
            for row in &rows {
                let call_id: String = row.col("call_id")?;
                if calls.last().is_some_and(|c| c.call.call_id == call_id) {
                    continue;
                }
                let answered_at = row.time("answered_at")?;
                let ended_at = row.time("ended_at")?;
                let direction: Option<String> = row.col("direction")?;
                calls.push(QaCall {
                    call: qa::RecordedCall {
                        call_id,
                        agent: row.col("agent")?,
                        queue: row.col("queue")?,
                        // Calls between extensions have no trunk direction.
                        channel: direction.unwrap_or_else(|| "internal".to_owned()),
                        answered_at,
                        talk_ms: u64::try_from((ended_at - answered_at).num_milliseconds())
                            .unwrap_or(0),
                    },
                    recording_id: row.col("recording_id")?,
                });
            }
            Ok(calls)
        }

        async fn run_of_month(&mut self, month: &str) -> Result<Option<QaRun>, CrmError> {
            let Some(row) = sqlx::query(
                "SELECT id, month, seed, requested_by, requested_at, record FROM qa_runs
                 WHERE month = $1",
            )
            .bind(month)
            .fetch_optional(self)
            .await?
            else {
                return Ok(None);
            };
            Ok(Some(QaRun {
                id: row.col("id")?,
                month: row.col("month")?,
                seed: unsigned("seed", row.col::<i64>("seed")?)?,
                requested_by: row.col("requested_by")?,
                requested_at: row.time("requested_at")?,
                record: from_json("record", &row.col::<DbJson>("record")?.0)?,
            }))
        }

        async fn insert_run(&mut self, run: &NewQaRun, seed: i64) -> Result<(), CrmError> {
            sqlx::query(
                "INSERT INTO qa_runs (id, month, seed, requested_by, requested_at, record)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&run.id)
            .bind(run.record.month.to_string())
            .bind(seed)
            .bind(&run.record.requested_by)
            .bind(DbTime(run.record.requested_at))
            .bind(DbJson(json(&run.record)?))
            .execute(self)
            .await?;
            Ok(())
        }

        async fn insert_task(
            &mut self,
            run: &NewQaRun,
            t: &NewQaTask,
            at: DateTime<Utc>,
        ) -> Result<(), CrmError> {
            let (purpose, points) = match &t.task.kind {
                qa::TaskKind::Sampled => (TaskPurpose::Regular, Vec::new()),
                qa::TaskKind::FollowUp { points } => (TaskPurpose::FollowUp, points.clone()),
            };
            let version = i32::try_from(t.form_version)
                .map_err(|_| invalid("form_version", "is too large"))?;
            sqlx::query(
                "INSERT INTO qa_tasks (id, run_id, month, call_id, recording_id, agent, team,
                    queue, channel, answered_at, reviewer, form_id, form_version, status,
                    purpose, points, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'assigned',
                    $14, $15, $16, $16)",
            )
            .bind(&t.id)
            .bind(&run.id)
            .bind(run.record.month.to_string())
            .bind(&t.task.call_id)
            .bind(&t.recording_id)
            .bind(&t.task.agent)
            .bind(&t.task.team)
            .bind(&t.task.queue)
            .bind(&t.task.channel)
            .bind(DbTime(t.task.answered_at))
            .bind(&t.task.reviewer)
            .bind(&t.form_id)
            .bind(version)
            .bind(purpose.as_str())
            .bind(DbJson(json(&points)?))
            .bind(DbTime(at))
            .execute(self)
            .await?;
            Ok(())
        }

        async fn open_task_counts(&mut self) -> Result<BTreeMap<String, u32>, CrmError> {
            let rows = sqlx::query(
                "SELECT reviewer, COUNT(*) AS n FROM qa_tasks
                 WHERE reviewer IS NOT NULL AND status IN ('assigned', 'draft')
                 GROUP BY reviewer",
            )
            .fetch_all(self)
            .await?;
            rows.iter()
                .map(|row| Ok((row.col("reviewer")?, unsigned("n", row.col::<i64>("n")?)?)))
                .collect()
        }
    }
}

impl Crm {
    /// The answered calls with a finished recording whose answer falls in `[from, to)`, each
    /// once (on its first recording), by call id.
    pub async fn qa_month_calls(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<QaCall>, CrmError> {
        with_conn!(self, |conn| conn.month_calls(from, to).await)
    }

    /// The run of `month` (`2026-02`), if it was sampled.
    pub async fn qa_run(&self, month: qa::ReviewMonth) -> Result<Option<QaRun>, CrmError> {
        let month = month.to_string();
        with_conn!(self, |conn| conn.run_of_month(&month).await)
    }

    /// Stores a run and its tasks (status `assigned`) at once. Refused with
    /// [`CrmError::QaState`] if the month was sampled already: nothing is written then.
    pub async fn record_qa_run(&self, run: &NewQaRun, tasks: &[NewQaTask]) -> Result<(), CrmError> {
        name("id", &run.id)?;
        name("requested_by", &run.record.requested_by)?;
        let seed = i64::try_from(run.record.seed)
            .map_err(|_| invalid("seed", format!("must be at most {}", i64::MAX)))?;
        for t in tasks {
            name("id", &t.id)?;
        }
        let month = run.record.month.to_string();
        let at = run.record.requested_at;
        in_transaction!(immediate self, |conn| {
            if let Some(first) = conn.run_of_month(&month).await? {
                return Err(CrmError::QaState(format!(
                    "month {month} was sampled already (run {} by {} at {})",
                    first.id, first.requested_by, first.requested_at
                )));
            }
            conn.insert_run(run, seed).await?;
            for t in tasks {
                conn.insert_task(run, t, at).await?;
            }
        });
        Ok(())
    }

    /// Open tasks (assigned or draft) per reviewer, for balancing a new draw.
    pub async fn qa_open_task_counts(&self) -> Result<BTreeMap<String, u32>, CrmError> {
        with_conn!(self, |conn| conn.open_task_counts().await)
    }
}
