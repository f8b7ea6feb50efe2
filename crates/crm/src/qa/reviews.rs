//! A task's review: the draft saved as typed, the submission with its score and the
//! follow-ups it opens, the time-stamped comments, and the agent's acknowledgement or dispute
//! with the supervisor's settlement. Each step moves the task's status with one conditional
//! update (see the module doc of `qa`); a step the status does not allow changes nothing.

use chrono::{DateTime, Utc};

use crate::customer::invalid;
use crate::db::{for_each_backend, in_transaction, with_conn, DbJson, DbTime, RowExt};
use crate::qa::{
    from_json, json, name, text, unsigned, DisputeOutcome, NewQaFollowUp, QaComment, QaDispute,
    QaDraft, QaReview, QaSettlement, TaskStatus, MAX_QA_JSON_BYTES, MAX_QA_LONG_TEXT_CHARS,
    MAX_QA_POINTS, MAX_QA_TEXT_CHARS,
};
use crate::{Crm, CrmError};

pub(crate) trait ReviewConn {
    async fn status_of(&mut self, task: &str) -> Result<Option<TaskStatus>, CrmError>;
    /// Moves the task to `to` if its status is one of `from`; false otherwise.
    async fn move_status(
        &mut self,
        task: &str,
        from: &[TaskStatus],
        to: TaskStatus,
        at: DateTime<Utc>,
    ) -> Result<bool, CrmError>;
    async fn upsert_review(
        &mut self,
        task: &str,
        d: &QaDraft,
        at: DateTime<Utc>,
    ) -> Result<(), CrmError>;
    async fn set_score(
        &mut self,
        task: &str,
        score: &qa::Score,
        submitted_at: Option<DateTime<Utc>>,
    ) -> Result<(), CrmError>;
    async fn set_acknowledged(&mut self, task: &str, at: DateTime<Utc>) -> Result<(), CrmError>;
    async fn review(&mut self, task: &str) -> Result<Option<QaReview>, CrmError>;
    async fn insert_follow_up(
        &mut self,
        task: &str,
        f: &NewQaFollowUp,
        at: DateTime<Utc>,
    ) -> Result<(), CrmError>;
    async fn insert_comment(&mut self, c: &QaComment) -> Result<(), CrmError>;
    async fn comments(&mut self, task: &str) -> Result<Vec<QaComment>, CrmError>;
    async fn insert_dispute(&mut self, d: &QaDispute) -> Result<(), CrmError>;
    async fn settle_dispute(&mut self, task: &str, s: &QaSettlement) -> Result<(), CrmError>;
    async fn dispute(&mut self, task: &str) -> Result<Option<QaDispute>, CrmError>;
}

fn status_list(from: &[TaskStatus]) -> String {
    from.iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

for_each_backend! {
    impl ReviewConn for Conn {
        async fn status_of(&mut self, task: &str) -> Result<Option<TaskStatus>, CrmError> {
            let s: Option<String> = sqlx::query_scalar("SELECT status FROM qa_tasks WHERE id = $1")
                .bind(task)
                .fetch_optional(self)
                .await?;
            s.as_deref().map(TaskStatus::from_stored).transpose()
        }

        async fn move_status(
            &mut self,
            task: &str,
            from: &[TaskStatus],
            to: TaskStatus,
            at: DateTime<Utc>,
        ) -> Result<bool, CrmError> {
            // The list holds our own constants only, never input.
            let text = format!(
                "UPDATE qa_tasks SET status = $2, updated_at = $3
                 WHERE id = $1 AND status IN ({})",
                status_list(from)
            );
            let done = sqlx::query(&text)
                .bind(task)
                .bind(to.as_str())
                .bind(DbTime(at))
                .execute(self)
                .await?;
            Ok(done.rows_affected() == 1)
        }

        async fn upsert_review(
            &mut self,
            task: &str,
            d: &QaDraft,
            at: DateTime<Utc>,
        ) -> Result<(), CrmError> {
            sqlx::query(
                "INSERT INTO qa_reviews (task_id, answers, points, summary, saved_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (task_id) DO UPDATE SET answers = excluded.answers,
                    points = excluded.points, summary = excluded.summary,
                    saved_at = excluded.saved_at",
            )
            .bind(task)
            .bind(DbJson(json(&d.answers)?))
            .bind(DbJson(json(&d.points)?))
            .bind(&d.summary)
            .bind(DbTime(at))
            .execute(self)
            .await?;
            Ok(())
        }

        async fn set_score(
            &mut self,
            task: &str,
            score: &qa::Score,
            submitted_at: Option<DateTime<Utc>>,
        ) -> Result<(), CrmError> {
            sqlx::query(
                "UPDATE qa_reviews SET score = $2, score_detail = $3,
                    submitted_at = COALESCE($4, submitted_at)
                 WHERE task_id = $1",
            )
            .bind(task)
            .bind(score.total)
            .bind(DbJson(json(score)?))
            .bind(submitted_at.map(DbTime))
            .execute(self)
            .await?;
            Ok(())
        }

        async fn set_acknowledged(&mut self, task: &str, at: DateTime<Utc>) -> Result<(), CrmError> {
            sqlx::query("UPDATE qa_reviews SET acknowledged_at = $2 WHERE task_id = $1")
                .bind(task)
                .bind(DbTime(at))
                .execute(self)
                .await?;
            Ok(())
        }

        async fn review(&mut self, task: &str) -> Result<Option<QaReview>, CrmError> {
            let Some(row) = sqlx::query(
                "SELECT answers, points, summary, saved_at, score_detail, submitted_at,
                        acknowledged_at
                 FROM qa_reviews WHERE task_id = $1",
            )
            .bind(task)
            .fetch_optional(self)
            .await?
            else {
                return Ok(None);
            };
            let detail: Option<DbJson> = row.col("score_detail")?;
            Ok(Some(QaReview {
                task_id: task.to_owned(),
                draft: QaDraft {
                    answers: from_json("answers", &row.col::<DbJson>("answers")?.0)?,
                    points: from_json("points", &row.col::<DbJson>("points")?.0)?,
                    summary: row.col("summary")?,
                },
                saved_at: row.time("saved_at")?,
                score: detail.map(|d| from_json("score_detail", &d.0)).transpose()?,
                submitted_at: row.opt_time("submitted_at")?,
                acknowledged_at: row.opt_time("acknowledged_at")?,
            }))
        }

        async fn insert_follow_up(
            &mut self,
            task: &str,
            f: &NewQaFollowUp,
            at: DateTime<Utc>,
        ) -> Result<(), CrmError> {
            let u = &f.follow_up;
            sqlx::query(
                "INSERT INTO qa_follow_ups (id, task_id, agent, text, since, due_on, carries,
                    state, checks, opened_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, 0, 'open', $7, $8, $8)",
            )
            .bind(&u.point)
            .bind(task)
            .bind(&u.agent)
            .bind(&f.text)
            .bind(DbTime(u.since))
            .bind(u.due_on.format("%Y-%m-%d").to_string())
            .bind(DbJson("[]".to_owned()))
            .bind(DbTime(at))
            .execute(self)
            .await?;
            Ok(())
        }

        async fn insert_comment(&mut self, c: &QaComment) -> Result<(), CrmError> {
            let at_ms = i64::try_from(c.at_ms).map_err(|_| invalid("at_ms", "is too large"))?;
            sqlx::query(
                "INSERT INTO qa_comments (id, task_id, at_ms, text, author, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&c.id)
            .bind(&c.task_id)
            .bind(at_ms)
            .bind(&c.text)
            .bind(&c.author)
            .bind(DbTime(c.created_at))
            .execute(self)
            .await?;
            Ok(())
        }

        async fn comments(&mut self, task: &str) -> Result<Vec<QaComment>, CrmError> {
            let rows = sqlx::query(
                "SELECT id, task_id, at_ms, text, author, created_at FROM qa_comments
                 WHERE task_id = $1 ORDER BY at_ms, created_at, id",
            )
            .bind(task)
            .fetch_all(self)
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(QaComment {
                        id: row.col("id")?,
                        task_id: row.col("task_id")?,
                        at_ms: unsigned("at_ms", row.col::<i64>("at_ms")?)?,
                        text: row.col("text")?,
                        author: row.col("author")?,
                        created_at: row.time("created_at")?,
                    })
                })
                .collect()
        }

        async fn insert_dispute(&mut self, d: &QaDispute) -> Result<(), CrmError> {
            sqlx::query(
                "INSERT INTO qa_disputes (task_id, comment, disputed_by, disputed_at,
                    score_before)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&d.task_id)
            .bind(&d.comment)
            .bind(&d.disputed_by)
            .bind(DbTime(d.disputed_at))
            .bind(d.score_before)
            .execute(self)
            .await?;
            Ok(())
        }

        async fn settle_dispute(&mut self, task: &str, s: &QaSettlement) -> Result<(), CrmError> {
            sqlx::query(
                "UPDATE qa_disputes SET outcome = $2, score_after = $3, reason = $4,
                    settled_by = $5, settled_at = $6
                 WHERE task_id = $1",
            )
            .bind(task)
            .bind(s.outcome.as_str())
            .bind(s.score_after)
            .bind(&s.reason)
            .bind(&s.settled_by)
            .bind(DbTime(s.settled_at))
            .execute(self)
            .await?;
            Ok(())
        }

        async fn dispute(&mut self, task: &str) -> Result<Option<QaDispute>, CrmError> {
            let Some(row) = sqlx::query(
                "SELECT task_id, comment, disputed_by, disputed_at, score_before, outcome,
                        score_after, reason, settled_by, settled_at
                 FROM qa_disputes WHERE task_id = $1",
            )
            .bind(task)
            .fetch_optional(self)
            .await?
            else {
                return Ok(None);
            };
            let outcome: Option<String> = row.col("outcome")?;
            let settlement = match outcome {
                None => None,
                Some(o) => Some(QaSettlement {
                    outcome: DisputeOutcome::from_stored(&o)?,
                    score_after: row.col::<Option<f64>>("score_after")?.ok_or(
                        CrmError::CorruptValue {
                            column: "score_after",
                            value: "NULL".into(),
                        },
                    )?,
                    reason: row.col::<Option<String>>("reason")?.unwrap_or_default(),
                    settled_by: row.col::<Option<String>>("settled_by")?.unwrap_or_default(),
                    settled_at: row.opt_time("settled_at")?.ok_or(CrmError::CorruptValue {
                        column: "settled_at",
                        value: "NULL".into(),
                    })?,
                }),
            };
            Ok(Some(QaDispute {
                task_id: row.col("task_id")?,
                comment: row.col("comment")?,
                disputed_by: row.col("disputed_by")?,
                disputed_at: row.time("disputed_at")?,
                score_before: row.col("score_before")?,
                settlement,
            }))
        }
    }
}

/// Moves `task` from one of `from` to `to`, or says why not: no such task, or a status that
/// does not allow `step` (named in the message).
async fn transition(
    conn: &mut impl ReviewConn,
    task: &str,
    from: &[TaskStatus],
    to: TaskStatus,
    step: &str,
    at: DateTime<Utc>,
) -> Result<(), CrmError> {
    if conn.move_status(task, from, to, at).await? {
        return Ok(());
    }
    match conn.status_of(task).await? {
        None => Err(CrmError::QaNotFound {
            what: "task",
            id: task.to_owned(),
        }),
        Some(now) => Err(CrmError::QaState(format!(
            "task {task} is {now}: it cannot be {step}"
        ))),
    }
}

const OPEN: [TaskStatus; 2] = [TaskStatus::Assigned, TaskStatus::Draft];

fn check_draft(d: &QaDraft) -> Result<(), CrmError> {
    if !d.answers.is_object() {
        return Err(invalid(
            "answers",
            "must be an object of question id → answer",
        ));
    }
    if json(&d.answers)?.len() > MAX_QA_JSON_BYTES {
        return Err(invalid("answers", "is too large"));
    }
    if d.points.len() > MAX_QA_POINTS {
        return Err(invalid(
            "points",
            format!("at most {MAX_QA_POINTS} improvement points per review"),
        ));
    }
    for p in &d.points {
        crate::customer::check_len("points", p, MAX_QA_TEXT_CHARS)?;
    }
    crate::customer::check_len("summary", &d.summary, MAX_QA_LONG_TEXT_CHARS)
}

impl Crm {
    /// Saves the reviewer's draft as typed (status `draft`); repeating it is harmless. Refused
    /// once the review is submitted.
    pub async fn save_qa_draft(
        &self,
        task: &str,
        draft: &QaDraft,
        at: DateTime<Utc>,
    ) -> Result<(), CrmError> {
        check_draft(draft)?;
        in_transaction!(immediate self, |conn| {
            transition(conn, task, &OPEN, TaskStatus::Draft, "edited", at).await?;
            conn.upsert_review(task, draft, at).await?;
        });
        Ok(())
    }

    /// Submits the review: stores `draft` with its `score` (computed by the caller with
    /// [`qa::score`]) and opens `follow_ups`, one per improvement point, all at once.
    pub async fn submit_qa_review(
        &self,
        task: &str,
        draft: &QaDraft,
        score: &qa::Score,
        follow_ups: &[NewQaFollowUp],
        at: DateTime<Utc>,
    ) -> Result<(), CrmError> {
        check_draft(draft)?;
        if !(0.0..=100.0).contains(&score.total) {
            return Err(invalid(
                "score",
                format!("{} is outside 0..=100", score.total),
            ));
        }
        for f in follow_ups {
            name("id", &f.follow_up.point)?;
            text("points", &f.text, MAX_QA_TEXT_CHARS)?;
        }
        in_transaction!(immediate self, |conn| {
            transition(conn, task, &OPEN, TaskStatus::Submitted, "submitted", at).await?;
            conn.upsert_review(task, draft, at).await?;
            conn.set_score(task, score, Some(at)).await?;
            for f in follow_ups {
                conn.insert_follow_up(task, f, at).await?;
            }
        });
        Ok(())
    }

    /// The task's review (draft or submitted), if one was saved.
    pub async fn qa_review(&self, task: &str) -> Result<Option<QaReview>, CrmError> {
        with_conn!(self, |conn| conn.review(task).await)
    }

    /// Adds a time-stamped comment (checked against the recording by the caller with
    /// [`qa::TimedComment::new`]) while the review is open.
    pub async fn add_qa_comment(&self, c: &QaComment) -> Result<(), CrmError> {
        name("id", &c.id)?;
        text("text", &c.text, MAX_QA_TEXT_CHARS)?;
        in_transaction!(immediate self, |conn| {
            match conn.status_of(&c.task_id).await? {
                None => {
                    return Err(CrmError::QaNotFound {
                        what: "task",
                        id: c.task_id.clone(),
                    })
                }
                Some(s) if s.is_submitted() => {
                    return Err(CrmError::QaState(format!(
                        "task {} is {s}: comments are closed",
                        c.task_id
                    )))
                }
                Some(_) => conn.insert_comment(c).await?,
            }
        });
        Ok(())
    }

    /// The task's comments, by their place in the recording.
    pub async fn qa_comments(&self, task: &str) -> Result<Vec<QaComment>, CrmError> {
        with_conn!(self, |conn| conn.comments(task).await)
    }

    /// The agent acknowledges a submitted review.
    pub async fn acknowledge_qa_review(
        &self,
        task: &str,
        at: DateTime<Utc>,
    ) -> Result<(), CrmError> {
        in_transaction!(immediate self, |conn| {
            let from = [TaskStatus::Submitted];
            transition(conn, task, &from, TaskStatus::Acknowledged, "acknowledged", at).await?;
            conn.set_acknowledged(task, at).await?;
        });
        Ok(())
    }

    /// The agent disputes a submitted review with `comment`.
    pub async fn dispute_qa_review(
        &self,
        task: &str,
        comment: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<(), CrmError> {
        text("comment", comment, MAX_QA_LONG_TEXT_CHARS)?;
        in_transaction!(immediate self, |conn| {
            let from = [TaskStatus::Submitted];
            transition(conn, task, &from, TaskStatus::Disputed, "disputed", at).await?;
            let review = conn.review(task).await?;
            let score_before = review
                .and_then(|r| r.score)
                .map(|s| s.total)
                .ok_or_else(|| CrmError::QaState(format!("task {task} has no score")))?;
            conn.insert_dispute(&QaDispute {
                task_id: task.to_owned(),
                comment: comment.trim().to_owned(),
                disputed_by: by.to_owned(),
                disputed_at: at,
                score_before,
                settlement: None,
            })
            .await?;
        });
        Ok(())
    }

    /// A supervisor settles a dispute: the score kept, or changed to `changed` (a score the
    /// caller rescored on the task's form), with a reason. Returns the settled dispute.
    pub async fn settle_qa_dispute(
        &self,
        task: &str,
        changed: Option<&qa::Score>,
        reason: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<QaDispute, CrmError> {
        text("reason", reason, MAX_QA_LONG_TEXT_CHARS)?;
        let settled = in_transaction!(immediate self, |conn| {
            let from = [TaskStatus::Disputed];
            transition(conn, task, &from, TaskStatus::Settled, "settled", at).await?;
            let mut d = conn.dispute(task).await?.ok_or_else(|| CrmError::QaNotFound {
                what: "dispute",
                id: task.to_owned(),
            })?;
            let settlement = QaSettlement {
                outcome: if changed.is_some() {
                    DisputeOutcome::Changed
                } else {
                    DisputeOutcome::Kept
                },
                score_after: changed.map_or(d.score_before, |s| s.total),
                reason: reason.trim().to_owned(),
                settled_by: by.to_owned(),
                settled_at: at,
            };
            conn.settle_dispute(task, &settlement).await?;
            d.settlement = Some(settlement);
            if let Some(score) = changed {
                conn.set_score(task, score, None).await?;
            }
            d
        });
        Ok(settled)
    }

    /// The task's dispute, if the agent disputed it.
    pub async fn qa_dispute(&self, task: &str) -> Result<Option<QaDispute>, CrmError> {
        with_conn!(self, |conn| conn.dispute(task).await)
    }
}
