//! Messages callers left in a queue (`GET /api/queues/{name}/messages`): who, when, how long,
//! and where to fetch the audio (the recordings audio endpoint, same access rules).

use crate::http::error::{ApiError, ApiResult};
use crate::http::routing::Routes;
use crate::http::App;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};

/// Messages listed when the request names no limit.
const DEFAULT_LIMIT: u32 = 100;

pub(crate) fn routes() -> Routes {
    Routes::new().get("/api/queues/{name}/messages", list)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    limit: Option<u32>,
}

/// One message as the API shows it.
#[derive(Debug, Serialize)]
struct MessageView {
    id: String,
    caller: String,
    queue: String,
    time: chrono::DateTime<chrono::Utc>,
    /// `None` while the caller is still speaking.
    duration_ms: Option<i64>,
    status: Option<crm::RecordingStatus>,
    call_id: String,
    audio_url: String,
}

async fn list(
    State(app): State<App>,
    Path(queue): Path<String>,
    params: Result<Query<Params>, QueryRejection>,
) -> ApiResult {
    let Query(params) = params.map_err(|r| ApiError::bad_request(r.body_text()))?;
    let valid = !queue.is_empty()
        && queue.len() <= 64
        && queue
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !valid {
        return Err(ApiError::bad_request(format!(
            "`{queue}` is not a queue name"
        )));
    }
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > crm::MAX_MESSAGES_PAGE {
        return Err(ApiError::bad_request(format!(
            "limit must be between 1 and {}",
            crm::MAX_MESSAGES_PAGE
        )));
    }
    let list = app.crm.queue_messages(&queue, limit).await?;
    Ok(Json(
        list.into_iter()
            .map(|m| MessageView {
                audio_url: format!("/api/recordings/{}/audio", m.id),
                id: m.id,
                caller: m.caller,
                queue: m.queue,
                time: m.left_at,
                duration_ms: m.duration_ms,
                status: m.status,
                call_id: m.call_id,
            })
            .collect::<Vec<_>>(),
    )
    .into_response())
}
