//! The recordings repository on [`Crm`]. These are direct writes, not through the batching
//! [`crate::CdrWriter`]: recordings are few, and the switch calls these from spawned tasks.
//! Each method is a single statement (or a statement and an existence check), so none needs
//! more than autocommit.

use chrono::{DateTime, Utc};

use crate::db::with_conn;
use crate::recording::conn::RecordingConn;
use crate::recording::deleted_reason;
use crate::{Crm, CrmError, NewRecording, Recording, RecordingDone};

impl Crm {
    /// Stores a recording that has just started (status `recording`). A second start with the
    /// same id is ignored, so a retry is harmless. There is no foreign key to the CDR: its
    /// start may still be in the writer's batch.
    pub async fn recording_started(&self, r: &NewRecording) -> Result<(), CrmError> {
        r.validate()?;
        with_conn!(self, |conn| conn.insert_recording(r).await)
    }

    /// Stores how a recording ended (status complete, failed or recovered). Repeating it
    /// replaces the earlier end; a recording already deleted is left as it is. Fails with
    /// [`CrmError::UnknownRecording`] if it never started.
    pub async fn recording_finished(&self, d: &RecordingDone) -> Result<(), CrmError> {
        let fields = d.validate()?;
        let updated = with_conn!(self, |conn| conn.finish_recording(d, &fields).await?);
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
        with_conn!(self, |conn| conn.recording_by_id(id).await)
    }

    /// The recordings of a call, oldest first.
    pub async fn recordings_of_call(&self, call_id: &str) -> Result<Vec<Recording>, CrmError> {
        with_conn!(self, |conn| conn.recordings_of_call(call_id).await)
    }

    /// Rows still `recording` (a crash cut them short), oldest first: the caller repairs each
    /// file and reports back with [`Crm::recording_finished`] (status
    /// [`crate::RecordingStatus::Recovered`]). Call at startup, before new recordings start.
    pub async fn open_recordings(&self) -> Result<Vec<Recording>, CrmError> {
        with_conn!(self, |conn| conn.open_recordings().await)
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
        with_conn!(self, |conn| conn
            .recordings_older_than(before, queue, limit)
            .await)
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
        let updated = with_conn!(self, |conn| conn
            .mark_recording_deleted(id, at, reason)
            .await?);
        if updated || self.recording_exists(id).await? {
            Ok(())
        } else {
            Err(CrmError::UnknownRecording(id.to_owned()))
        }
    }

    async fn recording_exists(&self, id: &str) -> Result<bool, CrmError> {
        with_conn!(self, |conn| conn.recording_exists(id).await)
    }
}
