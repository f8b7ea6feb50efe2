//! Contact history statements for SQLite: the shared SQL of [`crate::contact_sql`], with times
//! bound as the fixed-width text of [`crate::sqlite`].

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use crate::contact::ContactRow;
use crate::contact_sql::{self as sql, Key};
use crate::sqlite::{get_opt_ts, get_ts, ts};
use crate::{Contact, CrmError, NewContact};

fn contact(row: &SqliteRow) -> Result<Contact, CrmError> {
    ContactRow {
        id: row.try_get("id")?,
        call_id: row.try_get("call_id")?,
        channel: row.try_get("channel")?,
        number: row.try_get("number")?,
        customer_id: row.try_get("customer_id")?,
        at: get_ts(row, "at")?,
        queue: row.try_get("queue")?,
        agent: row.try_get("agent")?,
        duration_ms: row.try_get("duration_ms")?,
        outcome: row.try_get("outcome")?,
        recording_id: row.try_get("recording_id")?,
        wrap_up_code: row.try_get("wrap_up_code")?,
        notes: row.try_get("notes")?,
        wrapped_up_at: get_opt_ts(row, "wrapped_up_at")?,
        wrapped_up_by: row.try_get("wrapped_up_by")?,
    }
    .into_contact()
}

/// Inserts or updates the contact; `number` is already normalized.
pub(crate) async fn upsert(
    conn: &mut SqliteConnection,
    c: &NewContact,
    number: Option<&str>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(sql::UPSERT)
        .bind(&c.call_id)
        .bind(c.channel.as_str())
        .bind(number)
        .bind(c.customer_id)
        .bind(ts(c.at))
        .bind(&c.queue)
        .bind(&c.agent)
        .bind(c.duration_ms)
        .bind(&c.outcome)
        .bind(&c.recording_id)
        .fetch_one(conn)
        .await
}

/// Contacts selected by one key (`BY_ID`, `BY_CALL`) or by a key and a limit.
pub(crate) async fn select(
    conn: &mut SqliteConnection,
    text: &'static str,
    key: Key<'_>,
    limit: Option<u32>,
) -> Result<Vec<Contact>, CrmError> {
    let q = sqlx::query(text);
    let q = match key {
        Key::Id(id) => q.bind(id),
        Key::Text(t) => q.bind(t),
    };
    let q = match limit {
        Some(limit) => q.bind(i64::from(limit)),
        None => q,
    };
    q.fetch_all(conn).await?.iter().map(contact).collect()
}

/// Returns false if there is no contact `id`.
pub(crate) async fn wrap_up(
    conn: &mut SqliteConnection,
    id: i64,
    code: &str,
    notes: Option<&str>,
    by: &str,
    at: DateTime<Utc>,
) -> Result<bool, CrmError> {
    let done = sqlx::query(sql::WRAP_UP)
        .bind(id)
        .bind(code)
        .bind(notes)
        .bind(ts(at))
        .bind(by)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
