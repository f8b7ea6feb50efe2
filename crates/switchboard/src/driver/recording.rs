//! Call recording around the switch core: where files go (`<dir>/YYYY/MM/DD/<id>.wav`), the CRM
//! rows written when a recording starts and ends, retention, and the repair at start of files a
//! crash left open. The core decides which calls are recorded (`switch::RecordPolicy`, from
//! `config::recording`); the relay writes the WAV (`media::record`).

use crate::config::recording::Retention;
use anyhow::Context;
use chrono::{DateTime, Datelike, Utc};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Delete the files of recordings past their retention and mark their rows deleted, once an
/// hour (the first pass a minute after start), until `stop`.
pub async fn retention_task(
    crm: crm::Crm,
    retention: Retention,
    stop: tokio_util::sync::CancellationToken,
) {
    if retention.all.is_none() && retention.queues.is_empty() {
        return;
    }
    let mut wait = std::time::Duration::from_secs(60);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        wait = std::time::Duration::from_secs(3600);
        let now = Utc::now();
        let mut rules: Vec<(Option<&str>, u32)> = Vec::new();
        if let Some(days) = retention.all {
            rules.push((None, days));
        }
        rules.extend(retention.queues.iter().map(|(q, d)| (Some(q.as_str()), *d)));
        for (queue, days) in rules {
            match apply_retention(&crm, now, queue, days).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    deleted = n,
                    ?queue,
                    days,
                    "recordings past retention deleted"
                ),
                Err(e) => tracing::error!(error = %e, ?queue, "retention pass failed"),
            }
        }
    }
}

/// One retention rule: delete what ended more than `days` ago (of `queue`, or of any queue).
pub async fn apply_retention(
    crm: &crm::Crm,
    now: DateTime<Utc>,
    queue: Option<&str>,
    days: u32,
) -> anyhow::Result<u64> {
    const BATCH: u32 = 500;
    let before = now - chrono::Duration::days(i64::from(days));
    let reason = match queue {
        Some(q) => format!("retention: older than {days} days (queue {q})"),
        None => format!("retention: older than {days} days"),
    };
    let mut deleted = 0;
    loop {
        let batch = crm.recordings_older_than(before, queue, BATCH).await?;
        let full = batch.len() as u32 == BATCH;
        let mut progressed = false;
        for r in batch {
            match tokio::fs::remove_file(&r.path).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    tracing::error!(recording = %r.id, path = %r.path, error = %e,
                        "recording file not deleted; row kept");
                    continue;
                }
            }
            crm.mark_recording_deleted(&r.id, now, &reason).await?;
            deleted += 1;
            progressed = true;
        }
        if !full || !progressed {
            return Ok(deleted);
        }
    }
}

/// Where a recording started at `at` with `id` is written.
pub fn path_for(dir: &Path, at: DateTime<Utc>, id: &str) -> PathBuf {
    dir.join(format!("{:04}", at.year()))
        .join(format!("{:02}", at.month()))
        .join(format!("{:02}", at.day()))
        .join(format!("{id}.wav"))
}

/// The CRM row's end from what the recorder reports. A recording that is not whole (no
/// decodable audio, a side that never sent any, a write error) is `failed`, with the reason
/// (`partial: ...` when some audio is in the file): `complete` means audio was written for the
/// whole recorded time (issue #15).
pub fn done_row(
    id: &str,
    ended_at: DateTime<Utc>,
    summary: &media::record::RecordingSummary,
    two_way: bool,
) -> crm::RecordingDone {
    use media::record::RecordingQuality;
    let ms = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let (status, error) = match summary.quality(two_way) {
        RecordingQuality::Complete => (crm::RecordingStatus::Complete, None),
        RecordingQuality::Partial(why) => (
            crm::RecordingStatus::Failed,
            Some(format!("partial: {why}")),
        ),
        RecordingQuality::Failed(why) => (crm::RecordingStatus::Failed, Some(why)),
    };
    crm::RecordingDone {
        id: id.to_string(),
        ended_at,
        duration_ms: ms(summary.duration.as_millis() as u64),
        size_bytes: ms(summary.bytes),
        sha256: summary.sha256.clone(),
        paused: summary
            .paused
            .iter()
            .map(|p| crm::PausedSpan {
                offset_ms: ms(p.offset_ms),
                length_ms: ms(p.length_ms),
            })
            .collect(),
        frames_dropped: ms(summary.frames_dropped),
        status,
        error,
    }
}

/// Recordings finished as not complete since the process started (`/metrics`).
static INCOMPLETE: AtomicU64 = AtomicU64::new(0);

/// How many recordings were finished as not complete since start.
pub fn incomplete_total() -> u64 {
    INCOMPLETE.load(Ordering::Relaxed)
}

/// Repair the files of recordings a crash left open and close their rows as `recovered`.
pub async fn recover(crm: &crm::Crm) -> anyhow::Result<usize> {
    let open = crm.open_recordings().await.context("open recordings")?;
    let n = open.len();
    for r in open {
        let path = PathBuf::from(&r.path);
        let repaired = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || {
                let outcome = media::record::repair(&path)?;
                let bytes =
                    std::fs::read(&path).map_err(|source| media::record::RecordError::Io {
                        path: path.clone(),
                        source,
                    })?;
                Ok::<_, media::record::RecordError>((outcome, bytes.len() as u64, sha256(&bytes)))
            })
            .await
        };
        let done = match repaired {
            Ok(Ok((outcome, size, sha))) => crm::RecordingDone {
                id: r.id.clone(),
                ended_at: Utc::now(),
                duration_ms: outcome.duration.as_millis() as i64,
                size_bytes: size as i64,
                sha256: Some(sha),
                paused: Vec::new(),
                frames_dropped: 0,
                status: crm::RecordingStatus::Recovered,
                error: Some("the switch stopped during the recording; file repaired".into()),
            },
            Ok(Err(e)) => failed(&r.id, format!("not repairable: {e}")),
            Err(e) => failed(&r.id, format!("repair task failed: {e}")),
        };
        tracing::warn!(recording = %r.id, path = %path.display(), status = ?done.status,
            "recording left open by the last run closed");
        crm.recording_finished(&done).await?;
    }
    Ok(n)
}

/// A recording in progress, as the driver tracks it.
pub struct Active {
    pub id: String,
    /// The call's CDR id, for the logs.
    pub call_id: String,
    /// Audio is expected from both sides (not a caller's message).
    pub two_way: bool,
    /// The task writing the row's start; the end waits for it.
    pub started: tokio::task::JoinHandle<()>,
    /// A consultation's recording (the session's second recorder), not the call's.
    pub consult: bool,
}

/// Start recording `session` for the call with CDR id `cdr_id`.
pub async fn start(
    crm: &crm::Crm,
    dir: &Path,
    session: &media::RelaySession,
    cdr_id: String,
) -> Option<Active> {
    start_with(crm, dir, session, cdr_id, None, false).await
}

/// Start recording the consultation on `session` (the agent's side and the third party,
/// apart from the call's recording) under the third party's CDR id `cdr_id`.
pub async fn start_consult(
    crm: &crm::Crm,
    dir: &Path,
    session: &media::RelaySession,
    cdr_id: String,
) -> Option<Active> {
    start_with(crm, dir, session, cdr_id, None, true).await
}

/// Record a caller's message for a queue on `session`: any recording of the call so far is
/// finished first (a message is a file and a row of its own), then the new recording's row is
/// marked as the queue's message.
pub async fn start_message(
    crm: &crm::Crm,
    dir: &Path,
    session: &media::RelaySession,
    running: Option<Active>,
    message: crate::switch::QueueMessage,
) -> Option<Active> {
    if let Some(active) = running {
        finish(crm, session, active).await;
    }
    let cdr_id = message.cdr_id.clone();
    start_with(crm, dir, session, cdr_id, Some(message), false).await
}

async fn start_with(
    crm: &crm::Crm,
    dir: &Path,
    session: &media::RelaySession,
    cdr_id: String,
    message: Option<crate::switch::QueueMessage>,
    consult: bool,
) -> Option<Active> {
    let id = uuid::Uuid::new_v4().to_string();
    let at = Utc::now();
    let path = path_for(dir, at, &id);
    if let Some(parent) = path.parent() {
        if let Err(e) = tokio::fs::create_dir_all(parent).await {
            tracing::error!(dir = %parent.display(), error = %e, call_id = %cdr_id,
                "cannot create the recordings directory: call not recorded");
            return None;
        }
    }
    let opts = media::record::RecordingOptions::default();
    let started = if consult {
        session.start_consult_recording(path.clone(), opts).await
    } else {
        session.start_recording(path.clone(), opts).await
    };
    if let Err(e) = started {
        tracing::error!(error = %e, call_id = %cdr_id, "recording did not start");
        return None;
    }
    let two_way = message.is_none();
    let row = crm::NewRecording {
        id: id.clone(),
        call_id: cdr_id.clone(),
        path: path.display().to_string(),
        started_at: at,
        sample_rate: 8000,
        channels: 2,
    };
    let crm = crm.clone();
    let started = tokio::spawn(async move {
        if let Err(e) = crm.recording_started(&row).await {
            tracing::error!(recording = %row.id, error = %e, "recording row not written");
        }
        if let Some(m) = message {
            let m = crm::NewQueueMessage {
                recording_id: row.id.clone(),
                call_id: m.cdr_id,
                queue: m.queue,
                caller: m.caller,
                left_at: row.started_at,
            };
            if let Err(e) = crm.queue_message_left(&m).await {
                tracing::error!(recording = %row.id, error = %e, "queue message row not written");
            }
        }
    });
    Some(Active {
        id,
        call_id: cdr_id,
        two_way,
        started,
        consult,
    })
}

/// Stop the recording of `session` and complete its row.
pub async fn finish(crm: &crm::Crm, session: &media::RelaySession, active: Active) {
    let summary = if active.consult {
        session.stop_consult_recording().await
    } else {
        session.stop_recording().await
    };
    complete(crm, active, summary).await;
}

/// Complete the row of a recording stopped with `summary` (`None`: the relay had none).
pub async fn complete(
    crm: &crm::Crm,
    active: Active,
    summary: Option<media::record::RecordingSummary>,
) {
    let _ = active.started.await;
    let Some(summary) = summary else {
        tracing::warn!(recording = %active.id, "the relay had no recording to stop");
        return;
    };
    if let Some(e) = &summary.error {
        tracing::error!(recording = %active.id, call_id = %active.call_id, error = %e,
            "recording failed");
    }
    if summary.frames_dropped > 0 {
        tracing::warn!(recording = %active.id, dropped = summary.frames_dropped,
            "recording frames dropped: the disk was too slow");
    }
    // The row ends where the file's time line does (its start plus its length), not when
    // the recorder got round to closing it.
    let ended_at = DateTime::<Utc>::from(summary.started + summary.duration);
    let done = done_row(&active.id, ended_at, &summary, active.two_way);
    if let Some(why) = done.error.as_deref().filter(|_| summary.error.is_none()) {
        tracing::warn!(recording = %active.id, call_id = %active.call_id, reason = why,
            written = summary.frames_written, undecodable = summary.frames_undecodable,
            "recording is not complete");
    }
    if done.status != crm::RecordingStatus::Complete {
        INCOMPLETE.fetch_add(1, Ordering::Relaxed);
    }
    if let Err(e) = crm.recording_finished(&done).await {
        tracing::error!(recording = %active.id, error = %e, "recording row not completed");
    }
}

fn failed(id: &str, error: String) -> crm::RecordingDone {
    crm::RecordingDone {
        id: id.to_string(),
        ended_at: Utc::now(),
        duration_ms: 0,
        size_bytes: 0,
        sha256: None,
        paused: Vec::new(),
        frames_dropped: 0,
        status: crm::RecordingStatus::Failed,
        error: Some(error),
    }
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A finished recording `age_days` old, with its file unless `file` is false.
    async fn recording(crm: &crm::Crm, dir: &Path, id: &str, age_days: i64, file: bool) -> PathBuf {
        let ended = Utc::now() - chrono::Duration::days(age_days);
        let path = dir.join(format!("{id}.wav"));
        if file {
            std::fs::write(&path, b"RIFF").expect("file");
        }
        crm.recording_started(&crm::NewRecording {
            id: id.into(),
            call_id: format!("call-{id}"),
            path: path.display().to_string(),
            started_at: ended - chrono::Duration::minutes(3),
            sample_rate: 8000,
            channels: 2,
        })
        .await
        .expect("start row");
        crm.recording_finished(&crm::RecordingDone {
            id: id.into(),
            ended_at: ended,
            duration_ms: 180_000,
            size_bytes: 4,
            sha256: None,
            paused: Vec::new(),
            frames_dropped: 0,
            status: crm::RecordingStatus::Complete,
            error: None,
        })
        .await
        .expect("end row");
        path
    }

    #[tokio::test]
    async fn retention_deletes_old_files_and_keeps_the_rows() {
        let dir = std::env::temp_dir().join(format!("sb-retention-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let crm = crm::Crm::connect(&format!("sqlite://{}/db.sqlite", dir.display()))
            .await
            .expect("db");
        let old = recording(&crm, &dir, "old", 40, true).await;
        let gone = recording(&crm, &dir, "gone", 45, false).await;
        let young = recording(&crm, &dir, "young", 10, true).await;
        let n = apply_retention(&crm, Utc::now(), None, 30)
            .await
            .expect("retention");
        assert_eq!(n, 2, "the old one and the one whose file was already gone");
        assert!(!old.exists());
        assert!(!gone.exists());
        assert!(young.exists());
        let row = crm.recording("old").await.expect("read").expect("row kept");
        assert_eq!(row.status, crm::RecordingStatus::Deleted);
        assert_eq!(
            row.deleted_reason.as_deref(),
            Some("retention: older than 30 days")
        );
        let again = apply_retention(&crm, Utc::now(), None, 30)
            .await
            .expect("second pass");
        assert_eq!(again, 0, "nothing left to delete");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn files_are_filed_by_day() {
        let at = DateTime::parse_from_rfc3339("2026-03-04T23:59:59Z")
            .expect("date")
            .with_timezone(&Utc);
        assert_eq!(
            path_for(Path::new("/r"), at, "abc"),
            PathBuf::from("/r/2026/03/04/abc.wav")
        );
    }
}
