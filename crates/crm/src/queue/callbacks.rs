//! Callbacks callers asked for, kept until an agent takes them so that a restart of the switch
//! does not forget a promise made to a customer. The switch writes a row when the caller asks,
//! closes it when an agent answers the callback's offer (or the entry leaves the queue another
//! way), and at start puts every open row back into its queue with the time already waited.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::db::{with_conn, DbJson, DbTime, RowExt};
use crate::{Crm, CrmError};

/// A callback a caller asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackRequest {
    /// The ACD's id of the entry (the CDR id of the call that asked).
    pub call_id: String,
    pub queue: String,
    /// The number to call back.
    pub number: String,
    pub priority: i32,
    /// Skills the dialplan asked for (name to level).
    pub skills: BTreeMap<String, u8>,
    /// When the caller first entered a queue: the place the callback keeps.
    pub enqueued_at: DateTime<Utc>,
    pub requested_at: DateTime<Utc>,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> CrmError {
    CrmError::InvalidField {
        field,
        reason: reason.into(),
    }
}

impl CallbackRequest {
    fn validate(&self) -> Result<(), CrmError> {
        if self.call_id.is_empty() || self.call_id.len() > 255 {
            return Err(invalid("call_id", "1 to 255 characters"));
        }
        if self.queue.is_empty() || self.queue.len() > 64 {
            return Err(invalid("queue", "1 to 64 characters"));
        }
        if self.number.is_empty() || self.number.len() > 64 {
            return Err(invalid("number", "1 to 64 characters"));
        }
        Ok(())
    }

    fn skills_json(&self) -> Result<String, CrmError> {
        let text =
            serde_json::to_string(&self.skills).map_err(|e| invalid("skills", e.to_string()))?;
        if text.len() > 4096 {
            return Err(invalid("skills", "at most 4096 bytes of JSON"));
        }
        Ok(text)
    }
}

fn skills_from(text: &str) -> Result<BTreeMap<String, u8>, CrmError> {
    serde_json::from_str(text).map_err(|_| CrmError::CorruptValue {
        column: "skills",
        value: text.chars().take(100).collect(),
    })
}

impl Crm {
    /// Store a callback request; a second one for the same call changes nothing.
    pub async fn callback_requested(&self, r: &CallbackRequest) -> Result<(), CrmError> {
        r.validate()?;
        let skills = r.skills_json()?;
        with_conn!(self, |conn| {
            sqlx::query(
                "INSERT INTO callback_requests (call_id, queue, number, priority, skills, \
             enqueued_at, requested_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (call_id) DO NOTHING",
            )
            .bind(&r.call_id)
            .bind(&r.queue)
            .bind(&r.number)
            .bind(r.priority)
            .bind(DbJson(skills))
            .bind(DbTime(r.enqueued_at))
            .bind(DbTime(r.requested_at))
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// Close an open callback request with `outcome`; returns whether one was open.
    pub async fn callback_done(
        &self,
        call_id: &str,
        at: DateTime<Utc>,
        outcome: &str,
    ) -> Result<bool, CrmError> {
        if outcome.len() > 64 {
            return Err(invalid("outcome", "at most 64 characters"));
        }
        let done = with_conn!(self, |conn| sqlx::query(
            "UPDATE callback_requests SET done_at = $2, outcome = $3 \
             WHERE call_id = $1 AND done_at IS NULL",
        )
        .bind(call_id)
        .bind(DbTime(at))
        .bind(outcome)
        .execute(conn)
        .await?
        .rows_affected());
        Ok(done > 0)
    }

    /// Every open callback request, longest waiting first.
    pub async fn pending_callbacks(&self) -> Result<Vec<CallbackRequest>, CrmError> {
        const COLUMNS: &str = "call_id, queue, number, priority, enqueued_at, requested_at";
        let sql = format!(
            "SELECT {COLUMNS}, skills FROM callback_requests \
             WHERE done_at IS NULL ORDER BY enqueued_at, call_id"
        );
        with_conn!(self, |conn| {
            let rows = sqlx::query(&sql).fetch_all(conn).await?;
            rows.iter()
                .map(|r| {
                    Ok(CallbackRequest {
                        call_id: r.col("call_id")?,
                        queue: r.col("queue")?,
                        number: r.col("number")?,
                        priority: r.col("priority")?,
                        skills: skills_from(&r.col::<DbJson>("skills")?.0)?,
                        enqueued_at: r.time("enqueued_at")?,
                        requested_at: r.time("requested_at")?,
                    })
                })
                .collect()
        })
    }
}
