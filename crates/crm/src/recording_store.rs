//! The recordings repository on [`Crm`]. These are direct writes, not through the batching
//! [`crate::CdrWriter`]: recordings are few, and the switch calls these from spawned tasks.
//! Each method is a single statement (or a statement and an existence check), so none needs
//! more than autocommit.

use chrono::{DateTime, Utc};

use crate::recording::deleted_reason;
use crate::store::Db;
use crate::{
    postgres_recording as pg, sqlite_recording as lite, Crm, CrmError, NewRecording, Recording,
    RecordingDone,
};

impl Crm {
    /// Stores a recording that has just started (status `recording`). A second start with the
    /// same id is ignored, so a retry is harmless. There is no foreign key to the CDR: its
    /// start may still be in the writer's batch.
    pub async fn recording_started(&self, r: &NewRecording) -> Result<(), CrmError> {
        r.validate()?;
        match &self.db {
            Db::Sqlite(p) => lite::insert(&mut *p.acquire().await?, r).await,
            Db::Postgres(p) => pg::insert(&mut *p.acquire().await?, r).await,
        }
    }

    /// Stores how a recording ended (status complete, failed or recovered). Repeating it
    /// replaces the earlier end; a recording already deleted is left as it is. Fails with
    /// [`CrmError::UnknownRecording`] if it never started.
    pub async fn recording_finished(&self, d: &RecordingDone) -> Result<(), CrmError> {
        let fields = d.validate()?;
        let updated = match &self.db {
            Db::Sqlite(p) => lite::finish(&mut *p.acquire().await?, d, &fields).await?,
            Db::Postgres(p) => pg::finish(&mut *p.acquire().await?, d, &fields).await?,
        };
        if updated {
            return Ok(());
        }
        if self.recording_exists(&d.id).await? {
            tracing::warn!(id = d.id, "end of a deleted recording: ignored");
            Ok(())
        } else {
            Err(CrmError::UnknownRecording(d.id.clone()))
        }
    }

    /// One recording.
    pub async fn recording(&self, id: &str) -> Result<Option<Recording>, CrmError> {
        match &self.db {
            Db::Sqlite(p) => lite::by_id(&mut *p.acquire().await?, id).await,
            Db::Postgres(p) => pg::by_id(&mut *p.acquire().await?, id).await,
        }
    }

    /// The recordings of a call, oldest first.
    pub async fn recordings_of_call(&self, call_id: &str) -> Result<Vec<Recording>, CrmError> {
        match &self.db {
            Db::Sqlite(p) => lite::of_call(&mut *p.acquire().await?, call_id).await,
            Db::Postgres(p) => pg::of_call(&mut *p.acquire().await?, call_id).await,
        }
    }

    /// Rows still `recording` (a crash cut them short), oldest first: the caller repairs each
    /// file and reports back with [`Crm::recording_finished`] (status
    /// [`crate::RecordingStatus::Recovered`]). Call at startup, before new recordings start.
    pub async fn open_recordings(&self) -> Result<Vec<Recording>, CrmError> {
        match &self.db {
            Db::Sqlite(p) => lite::open(&mut *p.acquire().await?).await,
            Db::Postgres(p) => pg::open(&mut *p.acquire().await?).await,
        }
    }

    /// Retention: at most `limit` finished recordings (complete, recovered, and also failed,
    /// whose files hold audio too) that ended before `before` and are not deleted, oldest
    /// first; with `queue`, only those whose CDR's queue is `queue`. The caller deletes the
    /// files, then calls [`Crm::mark_recording_deleted`] for each, and repeats until fewer than
    /// `limit` come back.
    pub async fn recordings_older_than(
        &self,
        before: DateTime<Utc>,
        queue: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Recording>, CrmError> {
        match &self.db {
            Db::Sqlite(p) => lite::older_than(&mut *p.acquire().await?, before, queue, limit).await,
            Db::Postgres(p) => pg::older_than(&mut *p.acquire().await?, before, queue, limit).await,
        }
    }

    /// Marks a recording deleted (its file is gone) at `at` for `reason` (one line, at most
    /// [`crate::MAX_DELETED_REASON_CHARS`] characters). Marking it again keeps the first
    /// deletion. Fails with [`CrmError::UnknownRecording`] if there is no such recording.
    pub async fn mark_recording_deleted(
        &self,
        id: &str,
        at: DateTime<Utc>,
        reason: &str,
    ) -> Result<(), CrmError> {
        deleted_reason(reason)?;
        let updated = match &self.db {
            Db::Sqlite(p) => lite::mark_deleted(&mut *p.acquire().await?, id, at, reason).await?,
            Db::Postgres(p) => pg::mark_deleted(&mut *p.acquire().await?, id, at, reason).await?,
        };
        if updated || self.recording_exists(id).await? {
            Ok(())
        } else {
            Err(CrmError::UnknownRecording(id.to_owned()))
        }
    }

    async fn recording_exists(&self, id: &str) -> Result<bool, CrmError> {
        match &self.db {
            Db::Sqlite(p) => lite::exists(&mut *p.acquire().await?, id).await,
            Db::Postgres(p) => pg::exists(&mut *p.acquire().await?, id).await,
        }
    }
}
