//! Call recording metadata: the values the switch passes when a recording starts
//! ([`NewRecording`]) and ends ([`RecordingDone`]), the stored row ([`Recording`]) and the rules
//! every write goes through before any SQL runs.
//!
//! The lifecycle is `recording` → `complete` | `failed`, or `recording` → `recovered` after a
//! crash (the file repaired at startup), and any of them → `deleted` when retention removes the
//! file. The row outlives the file, so the history says what was recorded and when it went.

pub(crate) mod conn;
pub(crate) mod sql;
mod store;

use chrono::{DateTime, Utc};

use crate::cdr::stored_text;
use crate::customer::{check_len, check_one_line, invalid};
use crate::CrmError;

/// Longest recording id (a UUID in text form is 36 characters).
pub const MAX_RECORDING_ID_CHARS: usize = 64;
/// Longest call id a recording or contact may name.
pub const MAX_CALL_ID_CHARS: usize = 255;
/// Longest file path.
pub const MAX_PATH_CHARS: usize = 4096;
/// Longer error texts are cut to this many characters rather than refused: the end of a
/// recording must be stored even when the error message is huge.
pub const MAX_RECORDING_ERROR_CHARS: usize = 2000;
/// Longest reason given for a deletion.
pub const MAX_DELETED_REASON_CHARS: usize = 200;

/// A recording that has just started (the file is open).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecording {
    /// Chosen by the switch (a UUID v4 as text); a second start with the same id is ignored.
    pub id: String,
    /// The CDR's `call_id`.
    pub call_id: String,
    /// Where the WAV file is written.
    pub path: String,
    /// Wall-clock time of the first sample.
    pub started_at: DateTime<Utc>,
    pub sample_rate: u32,
    pub channels: u16,
}

/// How a recording ended, reported once its file is closed (or repaired after a crash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingDone {
    /// The [`NewRecording::id`].
    pub id: String,
    pub ended_at: DateTime<Utc>,
    /// Length of the audio.
    pub duration_ms: i64,
    /// File size.
    pub size_bytes: i64,
    /// SHA-256 of the final file as 64 hex digits (stored lowercase), if it could be read back.
    pub sha256: Option<String>,
    /// Spans recorded as silence because recording was paused.
    pub paused: Vec<PausedSpan>,
    /// Audio frames lost because the writer could not keep up.
    pub frames_dropped: i64,
    /// [`RecordingStatus::Complete`], [`RecordingStatus::Failed`] or
    /// [`RecordingStatus::Recovered`]; the others are refused.
    pub status: RecordingStatus,
    /// What went wrong (cut to [`MAX_RECORDING_ERROR_CHARS`]).
    pub error: Option<String>,
}

/// A paused part of a recording: silence in the file from `offset_ms` for `length_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PausedSpan {
    /// Milliseconds from the start of the file.
    pub offset_ms: i64,
    pub length_ms: i64,
}

/// Where a recording is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordingStatus {
    /// The file is being written (or a crash cut it short, see [`crate::Crm::open_recordings`]).
    Recording,
    /// Written to the end without error.
    Complete,
    /// Writing failed; the file holds what was written before the error.
    Failed,
    /// Cut short by a crash and repaired at the next start.
    Recovered,
    /// The file was deleted (retention or request); the row is kept.
    Deleted,
}

stored_text!(RecordingStatus, "status", {
    Recording => "recording",
    Complete => "complete",
    Failed => "failed",
    Recovered => "recovered",
    Deleted => "deleted",
});

/// A recording as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Recording {
    pub id: String,
    pub call_id: String,
    pub path: String,
    pub started_at: DateTime<Utc>,
    /// `None` while recording.
    pub ended_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
    pub size_bytes: Option<i64>,
    pub sample_rate: u32,
    pub channels: u16,
    pub sha256: Option<String>,
    pub paused: Vec<PausedSpan>,
    pub frames_dropped: i64,
    pub status: RecordingStatus,
    pub error: Option<String>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub deleted_reason: Option<String>,
}

/// A validated [`RecordingDone`], ready to bind.
pub(crate) struct DoneFields {
    pub sha256: Option<String>,
    /// JSON array text.
    pub paused: String,
    pub error: Option<String>,
}

/// A required one-line text of at most `max` characters.
pub(crate) fn required(field: &'static str, value: &str, max: usize) -> Result<(), CrmError> {
    if value.is_empty() {
        return Err(invalid(field, "is empty"));
    }
    check_len(field, value, max)?;
    check_one_line(field, value)
}

fn not_negative(field: &'static str, value: i64) -> Result<(), CrmError> {
    if value < 0 {
        return Err(invalid(field, format!("is negative ({value})")));
    }
    Ok(())
}

impl NewRecording {
    pub(crate) fn validate(&self) -> Result<(), CrmError> {
        required("id", &self.id, MAX_RECORDING_ID_CHARS)?;
        required("call_id", &self.call_id, MAX_CALL_ID_CHARS)?;
        required("path", &self.path, MAX_PATH_CHARS)?;
        if self.sample_rate == 0 {
            return Err(invalid("sample_rate", "is zero"));
        }
        if self.channels == 0 || self.channels > 255 {
            return Err(invalid("channels", format!("is {}", self.channels)));
        }
        Ok(())
    }
}

impl RecordingDone {
    pub(crate) fn validate(&self) -> Result<DoneFields, CrmError> {
        required("id", &self.id, MAX_RECORDING_ID_CHARS)?;
        if !matches!(
            self.status,
            RecordingStatus::Complete | RecordingStatus::Failed | RecordingStatus::Recovered
        ) {
            return Err(invalid(
                "status",
                format!("{} is not how a recording ends", self.status),
            ));
        }
        not_negative("duration_ms", self.duration_ms)?;
        not_negative("size_bytes", self.size_bytes)?;
        not_negative("frames_dropped", self.frames_dropped)?;
        for span in &self.paused {
            not_negative("paused.offset_ms", span.offset_ms)?;
            not_negative("paused.length_ms", span.length_ms)?;
        }
        let sha256 = match &self.sha256 {
            Some(h) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some(h.to_ascii_lowercase())
            }
            Some(h) => return Err(invalid("sha256", format!("{h:?} is not 64 hex digits"))),
            None => None,
        };
        let paused =
            serde_json::to_string(&self.paused).map_err(|e| invalid("paused", e.to_string()))?;
        let error = self.error.as_deref().map(|e| {
            // NUL is refused by PostgreSQL; an error message is not worth losing the row for.
            e.chars()
                .filter(|&c| c != '\0')
                .take(MAX_RECORDING_ERROR_CHARS)
                .collect()
        });
        Ok(DoneFields {
            sha256,
            paused,
            error,
        })
    }
}

/// Checks a deletion reason.
pub(crate) fn deleted_reason(reason: &str) -> Result<(), CrmError> {
    required("reason", reason, MAX_DELETED_REASON_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done() -> RecordingDone {
        RecordingDone {
            id: "r1".into(),
            ended_at: DateTime::UNIX_EPOCH,
            duration_ms: 1000,
            size_bytes: 32_044,
            sha256: Some("AB".repeat(32)),
            paused: vec![PausedSpan {
                offset_ms: 10,
                length_ms: 20,
            }],
            frames_dropped: 0,
            status: RecordingStatus::Complete,
            error: Some("x".repeat(MAX_RECORDING_ERROR_CHARS + 5)),
        }
    }

    #[test]
    fn done_is_normalized_and_checked() -> Result<(), CrmError> {
        let f = done().validate()?;
        assert_eq!(f.sha256, Some("ab".repeat(32)));
        assert_eq!(f.paused, r#"[{"offset_ms":10,"length_ms":20}]"#);
        assert_eq!(
            f.error.map(|e| e.chars().count()),
            Some(MAX_RECORDING_ERROR_CHARS)
        );

        let bad = |d: RecordingDone| match d.validate() {
            Err(CrmError::InvalidField { field, .. }) => field,
            other => panic!("expected a field error, got {:?}", other.map(|f| f.paused)),
        };
        let mut d = done();
        d.status = RecordingStatus::Recording;
        assert_eq!(bad(d), "status");
        let mut d = done();
        d.sha256 = Some("xyz".into());
        assert_eq!(bad(d), "sha256");
        let mut d = done();
        d.paused[0].length_ms = -1;
        assert_eq!(bad(d), "paused.length_ms");
        let mut d = done();
        d.duration_ms = -5;
        assert_eq!(bad(d), "duration_ms");
        Ok(())
    }

    #[test]
    fn status_text_round_trips() {
        for s in [
            RecordingStatus::Recording,
            RecordingStatus::Complete,
            RecordingStatus::Failed,
            RecordingStatus::Recovered,
            RecordingStatus::Deleted,
        ] {
            assert_eq!(RecordingStatus::from_stored(s.as_str()).ok(), Some(s));
        }
        assert!(RecordingStatus::from_stored("Complete").is_err());
    }
}
