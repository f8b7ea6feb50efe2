//! Recordings by id: the row (`GET /api/recordings/{id}`) and the audio
//! (`GET /api/recordings/{id}/audio`), streamed from disk with single byte ranges so a browser's
//! player can seek. Who may fetch which recording is decided by the auth layer; every audio
//! response that sends bytes (200 or 206) first writes an audit row — a range request is a
//! `recording.play`, a whole-file request a `recording.download` — and is refused if that row
//! cannot be written.

use std::io::SeekFrom;

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use crm::{AuditAction, NewAuditEntry, RecordingStatus};
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use crate::http::auth::Principal;
use crate::http::error::{ApiError, ApiResult, ErrorKind};
use crate::http::routing::Routes;
use crate::http::App;

pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/api/recordings/{id}", metadata)
        .get("/api/recordings/{id}/audio", audio)
}

async fn metadata(State(app): State<App>, Path(id): Path<String>) -> ApiResult {
    match app.crm.recording(&id).await? {
        Some(r) => {
            let dir = &app.reloader.config().recordings_dir;
            Ok(Json(crate::http::server_paths::recording_view(dir, r)).into_response())
        }
        None => Err(ApiError::not_found("no such recording")),
    }
}

/// The recording `id`, if its audio may be served: 404 unknown, 410 deleted, 409 still
/// being written.
pub(crate) async fn finished(app: &App, id: &str) -> Result<crm::Recording, ApiError> {
    let rec = app
        .crm
        .recording(id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such recording"))?;
    match rec.status {
        RecordingStatus::Deleted => Err(ApiError::new(ErrorKind::Gone, "recording deleted")),
        RecordingStatus::Recording => Err(ApiError::conflict("still recording")),
        _ => Ok(rec),
    }
}

/// Writes the audit row for something of recording `id` about to be sent; the caller sends
/// nothing if this fails.
pub(crate) async fn audit(
    app: &App,
    who: &Principal,
    remote: std::net::SocketAddr,
    action: AuditAction,
    id: &str,
    detail: String,
) -> Result<(), ApiError> {
    let entry = NewAuditEntry {
        at: chrono::Utc::now(),
        account: who.username.clone(),
        role: who.role,
        action,
        object_id: id.to_owned(),
        remote_addr: Some(remote.to_string()),
        detail: Some(detail),
    };
    app.crm.audit(&entry).await?;
    Ok(())
}

/// A `Range` header, against a file of `len` bytes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Range {
    /// No usable range (absent, not bytes, several ranges): the whole file, 200.
    Whole,
    /// Bytes `start..=end`, 206.
    Part { start: u64, end: u64 },
    /// A well-formed range outside the file, 416.
    Unsatisfiable,
}

/// Parses `bytes=a-b`, `bytes=a-` and `bytes=-n` (RFC 9110 §14.1.2).
pub(crate) fn parse_range(header: Option<&str>, len: u64) -> Range {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Range::Whole;
    };
    if spec.contains(',') {
        return Range::Whole;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Range::Whole;
    };
    let num = |s: &str| {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    match (a.trim().is_empty(), num(a), num(b)) {
        // Suffix: the last n bytes.
        (true, _, Some(n)) if n > 0 && len > 0 => Range::Part {
            start: len.saturating_sub(n),
            end: len - 1,
        },
        (true, _, Some(_)) => Range::Unsatisfiable,
        (false, Some(start), None) if b.trim().is_empty() => {
            if start < len {
                Range::Part {
                    start,
                    end: len - 1,
                }
            } else {
                Range::Unsatisfiable
            }
        }
        (false, Some(start), Some(end)) if start <= end => {
            if start < len {
                Range::Part {
                    start,
                    end: end.min(len - 1),
                }
            } else {
                Range::Unsatisfiable
            }
        }
        _ => Range::Whole,
    }
}

#[derive(Deserialize)]
struct AudioQuery {
    /// `?download=1`: `Content-Disposition: attachment`.
    download: Option<String>,
}

async fn audio(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(q): Query<AudioQuery>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
) -> ApiResult {
    let rec = finished(&app, &id).await?;
    let mut file = match tokio::fs::File::open(&rec.path).await {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(id, path = rec.path, error = %e, "recording file unreadable");
            return Err(ApiError::not_found("recording file missing"));
        }
    };
    let len = match file.metadata().await {
        Ok(m) => m.len(),
        Err(e) => {
            tracing::warn!(id, error = %e, "recording file unreadable");
            return Err(ApiError::not_found("recording file missing"));
        }
    };
    let range_header = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let range = parse_range(range_header, len);
    let (status, start, end, action) = match range {
        Range::Whole => (
            StatusCode::OK,
            0,
            len.saturating_sub(1),
            AuditAction::RecordingDownload,
        ),
        Range::Part { start, end } => (
            StatusCode::PARTIAL_CONTENT,
            start,
            end,
            AuditAction::RecordingPlay,
        ),
        Range::Unsatisfiable => {
            let outside = ErrorKind::RangeNotSatisfiable;
            let mut r = ApiError::new(outside, "range outside the file").into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(r);
        }
    };
    let count = if len == 0 { 0 } else { end - start + 1 };
    let detail = if count == 0 {
        format!("bytes */{len}")
    } else {
        format!("bytes {start}-{end}/{len}")
    };
    audit(&app, &who, remote, action, &rec.id, detail).await?;
    if start > 0 {
        if let Err(e) = file.seek(SeekFrom::Start(start)).await {
            tracing::warn!(id, error = %e, "seeking in recording");
            return Err(ApiError::new(ErrorKind::Internal, "cannot read recording"));
        }
    }
    let body = Body::from_stream(ReaderStream::new(file.take(count)));
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("audio/wav"));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if status == StatusCode::PARTIAL_CONTENT {
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
            h.insert(header::CONTENT_RANGE, v);
        }
    }
    let disposition = if q.download.is_some() {
        "attachment"
    } else {
        "inline"
    };
    // Recording ids are UUIDs chosen by the switch; keep the name to safe characters anyway.
    let name: String = rec
        .id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("{disposition}; filename=\"{name}.wav\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_ranges_parse_against_the_length() {
        let p = |h: &str| parse_range(Some(h), 1000);
        assert_eq!(parse_range(None, 1000), Range::Whole);
        assert_eq!(p("bytes=0-99"), Range::Part { start: 0, end: 99 });
        assert_eq!(
            p("bytes=500-"),
            Range::Part {
                start: 500,
                end: 999
            }
        );
        assert_eq!(
            p("bytes=-100"),
            Range::Part {
                start: 900,
                end: 999
            }
        );
        assert_eq!(p("bytes=-5000"), Range::Part { start: 0, end: 999 });
        assert_eq!(
            p("bytes=990-2000"),
            Range::Part {
                start: 990,
                end: 999
            }
        );
        assert_eq!(p("bytes=1000-"), Range::Unsatisfiable);
        assert_eq!(p("bytes=1000-1001"), Range::Unsatisfiable);
        assert_eq!(p("bytes=-0"), Range::Unsatisfiable);
        assert_eq!(p("bytes=5-1"), Range::Whole, "invalid: ignored");
        assert_eq!(p("bytes=0-1,5-6"), Range::Whole, "several: ignored");
        assert_eq!(p("items=0-1"), Range::Whole);
        assert_eq!(p("bytes=a-b"), Range::Whole);
        assert_eq!(parse_range(Some("bytes=0-"), 0), Range::Unsatisfiable);
    }
}
