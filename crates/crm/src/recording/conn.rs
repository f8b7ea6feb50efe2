//! Recording statements ([`RecordingConn`]), written once for both backends with the SQL of
//! [`crate::recording::sql`].

use chrono::{DateTime, Utc};

use crate::db::{for_each_backend, DbJson, DbTime, RowExt};
use crate::recording::sql;
use crate::recording::{DoneFields, RecordingStatus};
use crate::{CrmError, NewRecording, Recording, RecordingDone};

/// The recording statements a backend's connection runs.
pub(crate) trait RecordingConn {
    async fn insert_recording(&mut self, r: &NewRecording) -> Result<(), CrmError>;
    /// Returns false if no undeleted recording has the id.
    async fn finish_recording(
        &mut self,
        d: &RecordingDone,
        f: &DoneFields,
    ) -> Result<bool, CrmError>;
    /// Returns false if no undeleted recording has the id.
    async fn mark_recording_deleted(
        &mut self,
        id: &str,
        at: DateTime<Utc>,
        reason: &str,
    ) -> Result<bool, CrmError>;
    async fn recording_exists(&mut self, id: &str) -> Result<bool, CrmError>;
    async fn recording_by_id(&mut self, id: &str) -> Result<Option<Recording>, CrmError>;
    async fn recordings_of_call(&mut self, call_id: &str) -> Result<Vec<Recording>, CrmError>;
    async fn open_recordings(&mut self) -> Result<Vec<Recording>, CrmError>;
    async fn recordings_older_than(
        &mut self,
        before: DateTime<Utc>,
        queue: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Recording>, CrmError>;
}

for_each_backend! {
    impl RecordingConn for Conn {
        async fn insert_recording(&mut self, r: &NewRecording) -> Result<(), CrmError> {
            sqlx::query(sql::INSERT)
                .bind(&r.id)
                .bind(&r.call_id)
                .bind(&r.path)
                .bind(DbTime(r.started_at))
                .bind(i64::from(r.sample_rate))
                .bind(i64::from(r.channels))
                .execute(self)
                .await?;
            Ok(())
        }

        async fn finish_recording(
            &mut self,
            d: &RecordingDone,
            f: &DoneFields,
        ) -> Result<bool, CrmError> {
            let done = sqlx::query(sql::FINISH)
                .bind(&d.id)
                .bind(DbTime(d.ended_at))
                .bind(d.duration_ms)
                .bind(d.size_bytes)
                .bind(&f.sha256)
                .bind(DbJson(f.paused.clone()))
                .bind(d.frames_dropped)
                .bind(d.status.as_str())
                .bind(&f.error)
                .execute(self)
                .await?;
            Ok(done.rows_affected() == 1)
        }

        async fn mark_recording_deleted(
            &mut self,
            id: &str,
            at: DateTime<Utc>,
            reason: &str,
        ) -> Result<bool, CrmError> {
            let done = sqlx::query(sql::MARK_DELETED)
                .bind(id)
                .bind(DbTime(at))
                .bind(reason)
                .execute(self)
                .await?;
            Ok(done.rows_affected() == 1)
        }

        async fn recording_exists(&mut self, id: &str) -> Result<bool, CrmError> {
            let found: i64 = sqlx::query_scalar(sql::COUNT)
                .bind(id)
                .fetch_one(self)
                .await?;
            Ok(found > 0)
        }

        async fn recording_by_id(&mut self, id: &str) -> Result<Option<Recording>, CrmError> {
            sqlx::query(&sql::by_id())
                .bind(id)
                .fetch_optional(self)
                .await?
                .as_ref()
                .map(recording)
                .transpose()
        }

        async fn recordings_of_call(&mut self, call_id: &str) -> Result<Vec<Recording>, CrmError> {
            let rows = sqlx::query(&sql::of_call())
                .bind(call_id)
                .fetch_all(self)
                .await?;
            rows.iter().map(recording).collect()
        }

        async fn open_recordings(&mut self) -> Result<Vec<Recording>, CrmError> {
            let rows = sqlx::query(&sql::open()).fetch_all(self).await?;
            rows.iter().map(recording).collect()
        }

        async fn recordings_older_than(
            &mut self,
            before: DateTime<Utc>,
            queue: Option<&str>,
            limit: u32,
        ) -> Result<Vec<Recording>, CrmError> {
            let text = sql::older_than(queue.is_some());
            let mut q = sqlx::query(&text)
                .bind(DbTime(before))
                .bind(i64::from(limit));
            if let Some(queue) = queue {
                q = q.bind(queue);
            }
            q.fetch_all(self).await?.iter().map(recording).collect()
        }
    }

    fn recording(row: &DbRow) -> Result<Recording, CrmError> {
        let corrupt =
            |column: &'static str, value: String| CrmError::CorruptValue { column, value };
        let sample_rate: i64 = row.col("sample_rate")?;
        let channels: i64 = row.col("channels")?;
        let paused = row.col::<DbJson>("paused")?.0;
        Ok(Recording {
            id: row.col("id")?,
            call_id: row.col("call_id")?,
            path: row.col("path")?,
            started_at: row.time("started_at")?,
            ended_at: row.opt_time("ended_at")?,
            duration_ms: row.col("duration_ms")?,
            size_bytes: row.col("size_bytes")?,
            sample_rate: u32::try_from(sample_rate)
                .map_err(|_| corrupt("sample_rate", sample_rate.to_string()))?,
            channels: u16::try_from(channels)
                .map_err(|_| corrupt("channels", channels.to_string()))?,
            sha256: row.col("sha256")?,
            paused: serde_json::from_str(&paused).map_err(|_| corrupt("paused", paused.clone()))?,
            frames_dropped: row.col("frames_dropped")?,
            status: RecordingStatus::from_stored(&row.col::<String>("status")?)?,
            error: row.col("error")?,
            deleted_at: row.opt_time("deleted_at")?,
            deleted_reason: row.col("deleted_reason")?,
        })
    }
}
