//! Recording statements for PostgreSQL (see [`crate::recording_sql`]); times are TIMESTAMPTZ,
//! bound as `DateTime<Utc>`.

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use crate::recording::{DoneFields, RecordingRow};
use crate::recording_sql::{self as sql, Dialect::Postgres};
use crate::{CrmError, NewRecording, Recording, RecordingDone};

fn recording(row: &PgRow) -> Result<Recording, CrmError> {
    RecordingRow {
        id: row.try_get("id")?,
        call_id: row.try_get("call_id")?,
        path: row.try_get("path")?,
        started_at: row.try_get("started_at")?,
        ended_at: row.try_get("ended_at")?,
        duration_ms: row.try_get("duration_ms")?,
        size_bytes: row.try_get("size_bytes")?,
        sample_rate: row.try_get("sample_rate")?,
        channels: row.try_get("channels")?,
        sha256: row.try_get("sha256")?,
        paused: row.try_get("paused")?,
        frames_dropped: row.try_get("frames_dropped")?,
        status: row.try_get("status")?,
        error: row.try_get("error")?,
        deleted_at: row.try_get("deleted_at")?,
        deleted_reason: row.try_get("deleted_reason")?,
    }
    .into_recording()
}

pub(crate) async fn insert(conn: &mut PgConnection, r: &NewRecording) -> Result<(), CrmError> {
    sqlx::query(sql::INSERT)
        .bind(&r.id)
        .bind(&r.call_id)
        .bind(&r.path)
        .bind(r.started_at)
        .bind(i64::from(r.sample_rate))
        .bind(i64::from(r.channels))
        .execute(conn)
        .await?;
    Ok(())
}

/// Returns false if no undeleted recording has the id.
pub(crate) async fn finish(
    conn: &mut PgConnection,
    d: &RecordingDone,
    f: &DoneFields,
) -> Result<bool, CrmError> {
    let done = sqlx::query(&sql::finish(Postgres))
        .bind(&d.id)
        .bind(d.ended_at)
        .bind(d.duration_ms)
        .bind(d.size_bytes)
        .bind(&f.sha256)
        .bind(&f.paused)
        .bind(d.frames_dropped)
        .bind(d.status.as_str())
        .bind(&f.error)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Returns false if no undeleted recording has the id.
pub(crate) async fn mark_deleted(
    conn: &mut PgConnection,
    id: &str,
    at: DateTime<Utc>,
    reason: &str,
) -> Result<bool, CrmError> {
    let done = sqlx::query(sql::MARK_DELETED)
        .bind(id)
        .bind(at)
        .bind(reason)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn exists(conn: &mut PgConnection, id: &str) -> Result<bool, CrmError> {
    let found: i64 = sqlx::query_scalar(sql::COUNT)
        .bind(id)
        .fetch_one(conn)
        .await?;
    Ok(found > 0)
}

pub(crate) async fn by_id(
    conn: &mut PgConnection,
    id: &str,
) -> Result<Option<Recording>, CrmError> {
    sqlx::query(&sql::by_id(Postgres))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(recording)
        .transpose()
}

pub(crate) async fn of_call(
    conn: &mut PgConnection,
    call_id: &str,
) -> Result<Vec<Recording>, CrmError> {
    let rows = sqlx::query(&sql::of_call(Postgres))
        .bind(call_id)
        .fetch_all(conn)
        .await?;
    rows.iter().map(recording).collect()
}

pub(crate) async fn open(conn: &mut PgConnection) -> Result<Vec<Recording>, CrmError> {
    let rows = sqlx::query(&sql::open(Postgres)).fetch_all(conn).await?;
    rows.iter().map(recording).collect()
}

pub(crate) async fn older_than(
    conn: &mut PgConnection,
    before: DateTime<Utc>,
    queue: Option<&str>,
    limit: u32,
) -> Result<Vec<Recording>, CrmError> {
    let text = sql::older_than(Postgres, queue.is_some());
    let mut q = sqlx::query(&text).bind(before).bind(i64::from(limit));
    if let Some(queue) = queue {
        q = q.bind(queue);
    }
    q.fetch_all(conn).await?.iter().map(recording).collect()
}
