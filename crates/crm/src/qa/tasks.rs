//! Reading review tasks, one or filtered, each with its review's score and its dispute's
//! outcome. Who may see which task is decided by the caller, which passes the scope as filter
//! fields (a reviewer's own, a supervisor's teams, an agent's submitted reviews).

use chrono::{DateTime, Utc};

use crate::db::{for_each_backend, with_conn, DbJson, DbTime, RowExt};
use crate::qa::{from_json, unsigned, DisputeOutcome, QaTask, TaskPurpose, TaskStatus};
use crate::{Crm, CrmError};

/// Which tasks to list; every field set narrows the list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskFilter {
    /// `2026-02`.
    pub month: Option<String>,
    pub agent: Option<String>,
    pub team: Option<String>,
    pub queue: Option<String>,
    pub status: Option<TaskStatus>,
    pub reviewer: Option<String>,
    /// Only tasks of teams this account supervises.
    pub supervisor: Option<String>,
    /// Only tasks whose review was submitted (what an agent may see).
    pub submitted_only: bool,
}

const SELECT: &str = "SELECT t.id, t.run_id, t.month, t.call_id, t.recording_id, t.agent,
        t.team, t.queue, t.channel, t.answered_at, t.reviewer, t.form_id, t.form_version,
        t.status, t.purpose, t.points, t.created_at, t.updated_at, r.score, r.submitted_at,
        d.outcome
     FROM qa_tasks t
     LEFT JOIN qa_reviews r ON r.task_id = t.id
     LEFT JOIN qa_disputes d ON d.task_id = t.id";

pub(crate) trait TaskConn {
    async fn task(&mut self, id: &str) -> Result<Option<QaTask>, CrmError>;
    async fn tasks(&mut self, f: &TaskFilter) -> Result<Vec<QaTask>, CrmError>;
    async fn reassign(
        &mut self,
        id: &str,
        from: &str,
        to: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<bool, CrmError>;
}

for_each_backend! {
    impl TaskConn for Conn {
        async fn task(&mut self, id: &str) -> Result<Option<QaTask>, CrmError> {
            sqlx::query(&format!("{SELECT} WHERE t.id = $1"))
                .bind(id)
                .fetch_optional(self)
                .await?
                .as_ref()
                .map(task)
                .transpose()
        }

        async fn tasks(&mut self, f: &TaskFilter) -> Result<Vec<QaTask>, CrmError> {
            let text = format!(
                "{SELECT}
                 WHERE ($1 IS NULL OR t.month = $1) AND ($2 IS NULL OR t.agent = $2)
                   AND ($3 IS NULL OR t.team = $3) AND ($4 IS NULL OR t.queue = $4)
                   AND ($5 IS NULL OR t.status = $5) AND ($6 IS NULL OR t.reviewer = $6)
                   AND ($7 IS NULL OR t.team IN (SELECT name FROM qa_teams WHERE supervisor = $7))
                   AND ($8 = 0 OR t.status NOT IN ('assigned', 'draft'))
                 ORDER BY t.month, t.agent, t.answered_at, t.id"
            );
            let rows = sqlx::query(&text)
                .bind(&f.month)
                .bind(&f.agent)
                .bind(&f.team)
                .bind(&f.queue)
                .bind(f.status.map(TaskStatus::as_str))
                .bind(&f.reviewer)
                .bind(&f.supervisor)
                .bind(i64::from(f.submitted_only))
                .fetch_all(self)
                .await?;
            rows.iter().map(task).collect()
        }

        async fn reassign(
            &mut self,
            id: &str,
            from: &str,
            to: Option<&str>,
            at: DateTime<Utc>,
        ) -> Result<bool, CrmError> {
            let done = sqlx::query(
                "UPDATE qa_tasks SET reviewer = $3, updated_at = $4
                 WHERE id = $1 AND reviewer = $2 AND status IN ('assigned', 'draft')",
            )
            .bind(id)
            .bind(from)
            .bind(to)
            .bind(DbTime(at))
            .execute(self)
            .await?;
            Ok(done.rows_affected() == 1)
        }
    }

    fn task(row: &DbRow) -> Result<QaTask, CrmError> {
        let outcome: Option<String> = row.col("outcome")?;
        Ok(QaTask {
            id: row.col("id")?,
            run_id: row.col("run_id")?,
            month: row.col("month")?,
            call_id: row.col("call_id")?,
            recording_id: row.col("recording_id")?,
            agent: row.col("agent")?,
            team: row.col("team")?,
            queue: row.col("queue")?,
            channel: row.col("channel")?,
            answered_at: row.time("answered_at")?,
            reviewer: row.col("reviewer")?,
            form_id: row.col("form_id")?,
            form_version: unsigned("form_version", i64::from(row.col::<i32>("form_version")?))?,
            status: TaskStatus::from_stored(&row.col::<String>("status")?)?,
            purpose: TaskPurpose::from_stored(&row.col::<String>("purpose")?)?,
            points: from_json("points", &row.col::<DbJson>("points")?.0)?,
            created_at: row.time("created_at")?,
            updated_at: row.time("updated_at")?,
            score: row.col("score")?,
            submitted_at: row.opt_time("submitted_at")?,
            dispute_outcome: outcome.as_deref().map(DisputeOutcome::from_stored).transpose()?,
        })
    }
}

impl Crm {
    /// One task.
    pub async fn qa_task(&self, id: &str) -> Result<Option<QaTask>, CrmError> {
        with_conn!(self, |conn| conn.task(id).await)
    }

    /// Moves an open task (assigned or draft, its draft kept) from reviewer `from` to `to`
    /// (`None`: nobody). False if the task is not open or not `from`'s any more.
    pub async fn reassign_qa_task(
        &self,
        id: &str,
        from: &str,
        to: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<bool, CrmError> {
        with_conn!(self, |conn| conn.reassign(id, from, to, at).await)
    }

    /// The tasks `filter` selects, by month, agent and call time.
    pub async fn qa_tasks(&self, filter: &TaskFilter) -> Result<Vec<QaTask>, CrmError> {
        with_conn!(self, |conn| conn.tasks(filter).await)
    }
}
