//! Follow-ups of improvement points: read (an agent's, the open ones) and checked. A check is
//! applied by the `qa` rules ([`qa::FollowUp::check`]) and stored only if nobody checked the
//! point in between (the stored number of checks is compared), so two reviewers cannot both
//! close or carry the same point.

use chrono::{DateTime, NaiveDate, Utc};

use crate::db::{for_each_backend, in_transaction, with_conn, DbJson, DbTime, RowExt};
use crate::qa::{from_json, json, unsigned, QaFollowUp};
use crate::{Crm, CrmError};

pub(crate) trait FollowUpConn {
    async fn follow_ups(
        &mut self,
        id: Option<&str>,
        agent: Option<&str>,
        open_only: bool,
    ) -> Result<Vec<QaFollowUp>, CrmError>;
    /// Stores `f`'s state if the row still has `checks_before` checks; false otherwise.
    async fn update_follow_up(
        &mut self,
        f: &qa::FollowUp,
        checks_before: usize,
        at: DateTime<Utc>,
    ) -> Result<bool, CrmError>;
}

for_each_backend! {
    impl FollowUpConn for Conn {
        async fn follow_ups(
            &mut self,
            id: Option<&str>,
            agent: Option<&str>,
            open_only: bool,
        ) -> Result<Vec<QaFollowUp>, CrmError> {
            let rows = sqlx::query(
                "SELECT id, task_id, agent, text, since, due_on, carries, state, checks, opened_at
                 FROM qa_follow_ups
                 WHERE ($1 IS NULL OR id = $1) AND ($2 IS NULL OR agent = $2)
                   AND ($3 = 0 OR state = 'open')
                 ORDER BY due_on, agent, opened_at, id",
            )
            .bind(id)
            .bind(agent)
            .bind(i64::from(open_only))
            .fetch_all(self)
            .await?;
            rows.iter().map(follow_up).collect()
        }

        async fn update_follow_up(
            &mut self,
            f: &qa::FollowUp,
            checks_before: usize,
            at: DateTime<Utc>,
        ) -> Result<bool, CrmError> {
            let current: Option<DbJson> =
                sqlx::query_scalar("SELECT checks FROM qa_follow_ups WHERE id = $1")
                    .bind(&f.point)
                    .fetch_optional(&mut *self)
                    .await?;
            let Some(current) = current else {
                return Ok(false);
            };
            let stored: Vec<qa::Check> = from_json("checks", &current.0)?;
            if stored.len() != checks_before {
                return Ok(false);
            }
            let state = match f.state {
                qa::FollowUpState::Open => "open",
                qa::FollowUpState::Improved => "improved",
            };
            sqlx::query(
                "UPDATE qa_follow_ups SET since = $2, due_on = $3, carries = $4, state = $5,
                    checks = $6, updated_at = $7
                 WHERE id = $1",
            )
            .bind(&f.point)
            .bind(DbTime(f.since))
            .bind(f.due_on.format("%Y-%m-%d").to_string())
            .bind(i32::try_from(f.carries).unwrap_or(i32::MAX))
            .bind(state)
            .bind(DbJson(json(&f.checks)?))
            .bind(DbTime(at))
            .execute(self)
            .await?;
            Ok(true)
        }
    }

    fn follow_up(row: &DbRow) -> Result<QaFollowUp, CrmError> {
        let due: String = row.col("due_on")?;
        let state: String = row.col("state")?;
        Ok(QaFollowUp {
            text: row.col("text")?,
            task_id: row.col("task_id")?,
            opened_at: row.time("opened_at")?,
            follow_up: qa::FollowUp {
                point: row.col("id")?,
                review: row.col("task_id")?,
                agent: row.col("agent")?,
                since: row.time("since")?,
                due_on: NaiveDate::parse_from_str(&due, "%Y-%m-%d").map_err(|_| {
                    CrmError::CorruptValue {
                        column: "due_on",
                        value: due.clone(),
                    }
                })?,
                carries: unsigned("carries", i64::from(row.col::<i32>("carries")?))?,
                state: match state.as_str() {
                    "open" => qa::FollowUpState::Open,
                    "improved" => qa::FollowUpState::Improved,
                    _ => {
                        return Err(CrmError::CorruptValue {
                            column: "state",
                            value: state,
                        })
                    }
                },
                checks: from_json("checks", &row.col::<DbJson>("checks")?.0)?,
            },
        })
    }
}

impl Crm {
    /// Follow-ups, by due date: of one agent or all, open ones only or all.
    pub async fn qa_follow_ups(
        &self,
        agent: Option<&str>,
        open_only: bool,
    ) -> Result<Vec<QaFollowUp>, CrmError> {
        with_conn!(self, |conn| conn.follow_ups(None, agent, open_only).await)
    }

    /// One follow-up.
    pub async fn qa_follow_up(&self, id: &str) -> Result<Option<QaFollowUp>, CrmError> {
        let mut found = with_conn!(self, |conn| conn.follow_ups(Some(id), None, false).await?);
        Ok(found.pop())
    }

    /// Records a check of a follow-up: `checked` is the follow-up read before, with the check
    /// applied by [`qa::FollowUp::check`]. Refused with [`CrmError::QaState`] if someone else
    /// checked it in between (nothing is written then).
    pub async fn save_qa_follow_up_check(
        &self,
        checked: &qa::FollowUp,
        at: DateTime<Utc>,
    ) -> Result<(), CrmError> {
        let before = checked.checks.len().saturating_sub(1);
        let saved = in_transaction!(immediate self, |conn| conn
            .update_follow_up(checked, before, at)
            .await?);
        if saved {
            Ok(())
        } else {
            Err(CrmError::QaState(format!(
                "follow-up {} changed meanwhile or does not exist: read it again",
                checked.point
            )))
        }
    }
}
