//! Messages callers leave in a queue: the switch records the caller as an ordinary recording
//! and marks it here as a message for a queue ([`Crm::queue_message_left`]); the HTTP API lists
//! a queue's messages with their recording's length and status ([`Crm::queue_messages`]).

use chrono::{DateTime, Utc};

use crate::customer::{check_len, check_one_line, invalid};
use crate::db::{with_conn, DbTime, RowExt};
use crate::recording::{MAX_CALL_ID_CHARS, MAX_RECORDING_ID_CHARS};
use crate::{Crm, CrmError, RecordingStatus};

/// Longest queue name a message may name.
pub const MAX_MESSAGE_QUEUE_CHARS: usize = 100;
/// Longest caller a message may name.
pub const MAX_MESSAGE_CALLER_CHARS: usize = 255;
/// Most messages one page lists.
pub const MAX_MESSAGES_PAGE: u32 = 500;

/// A message that has just started recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewQueueMessage {
    /// The recording holding the audio ([`crate::NewRecording::id`]).
    pub recording_id: String,
    /// The CDR's `call_id` of the call that left it.
    pub call_id: String,
    pub queue: String,
    /// The caller's number.
    pub caller: String,
    pub left_at: DateTime<Utc>,
}

/// A message as listed: the message and its recording's state.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QueueMessage {
    /// The recording id, which is also the message's id.
    pub id: String,
    pub call_id: String,
    pub queue: String,
    pub caller: String,
    pub left_at: DateTime<Utc>,
    /// Length of the audio; `None` while the caller is still speaking (or the recording row
    /// is missing).
    pub duration_ms: Option<i64>,
    /// The recording's status; `None` when its row is missing.
    pub status: Option<RecordingStatus>,
}

impl NewQueueMessage {
    fn validate(&self) -> Result<(), CrmError> {
        for (field, value, max) in [
            ("recording_id", &self.recording_id, MAX_RECORDING_ID_CHARS),
            ("call_id", &self.call_id, MAX_CALL_ID_CHARS),
            ("queue", &self.queue, MAX_MESSAGE_QUEUE_CHARS),
            ("caller", &self.caller, MAX_MESSAGE_CALLER_CHARS),
        ] {
            if value.is_empty() {
                return Err(invalid(field, "must not be empty"));
            }
            check_len(field, value, max)?;
            check_one_line(field, value)?;
        }
        Ok(())
    }
}

const INSERT: &str = "INSERT INTO queue_messages (recording_id, call_id, queue, caller, left_at) \
                      VALUES ($1, $2, $3, $4, $5) ON CONFLICT (recording_id) DO NOTHING";

const LIST: &str = "SELECT m.recording_id, m.call_id, m.queue, m.caller, m.left_at, \
                    r.duration_ms, r.status FROM queue_messages m \
                    LEFT JOIN recordings r ON r.id = m.recording_id \
                    WHERE m.queue = $1 ORDER BY m.left_at DESC, m.recording_id LIMIT $2";

fn status(s: Option<String>) -> Result<Option<RecordingStatus>, CrmError> {
    s.map(|s| RecordingStatus::from_stored(&s)).transpose()
}

impl Crm {
    /// Marks a recording as a message left in a queue. Repeating it is harmless.
    pub async fn queue_message_left(&self, m: &NewQueueMessage) -> Result<(), CrmError> {
        m.validate()?;
        with_conn!(self, |conn| {
            sqlx::query(INSERT)
                .bind(&m.recording_id)
                .bind(&m.call_id)
                .bind(&m.queue)
                .bind(&m.caller)
                .bind(DbTime(m.left_at))
                .execute(conn)
                .await?;
        });
        Ok(())
    }

    /// A queue's messages, newest first, at most `limit` (1..=[`MAX_MESSAGES_PAGE`]).
    pub async fn queue_messages(
        &self,
        queue: &str,
        limit: u32,
    ) -> Result<Vec<QueueMessage>, CrmError> {
        if limit == 0 || limit > MAX_MESSAGES_PAGE {
            return Err(invalid(
                "limit",
                format!("must be between 1 and {MAX_MESSAGES_PAGE}"),
            ));
        }
        with_conn!(self, |conn| {
            let rows = sqlx::query(LIST)
                .bind(queue)
                .bind(i64::from(limit))
                .fetch_all(conn)
                .await?;
            rows.iter()
                .map(|row| {
                    Ok(QueueMessage {
                        id: row.col("recording_id")?,
                        call_id: row.col("call_id")?,
                        queue: row.col("queue")?,
                        caller: row.col("caller")?,
                        left_at: row.time("left_at")?,
                        duration_ms: row.col("duration_ms")?,
                        status: status(row.col("status")?)?,
                    })
                })
                .collect()
        })
    }
}
