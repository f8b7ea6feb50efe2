//! Recordings over HTTP: a call's recording rows, and pause/resume of a call's recording while
//! something private is said (a card number). Rows name their file relative to the recordings
//! directory (`http/server_paths.rs`); the audio is served by `http/audio.rs`.

use crate::driver::sip::Control;
use crate::http::error::{ApiError, ApiResult};
use crate::http::routing::Routes;
use crate::http::{ask_switch, App};
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::Json;

pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/api/cdrs/{id}/recordings", of_call)
        .post("/api/cdrs/{id}/recording/{action}", pause_resume)
}

async fn of_call(State(app): State<App>, Path(id): Path<String>) -> ApiResult {
    let dir = app.reloader.config().recordings_dir.clone();
    let rows = app.crm.recordings_of_call(&id).await?;
    let views: Vec<_> = rows
        .into_iter()
        .map(|r| crate::http::server_paths::recording_view(&dir, r))
        .collect();
    Ok(Json(views).into_response())
}

async fn pause_resume(
    State(app): State<App>,
    Path((cdr_id, action)): Path<(String, String)>,
) -> ApiResult {
    let pause = match action.as_str() {
        "pause" => true,
        "resume" => false,
        other => {
            return Err(ApiError::not_found(format!(
                "unknown action `{other}` (pause, resume)"
            )))
        }
    };
    let result = ask_switch(&app, |reply| Control::Recording {
        cdr_id: cdr_id.clone(),
        pause,
        reply,
    })
    .await;
    result
        .ok_or_else(ApiError::stopping)?
        .map_err(ApiError::conflict)?;
    Ok(Json(serde_json::json!({ "call_id": cdr_id, "done": action })).into_response())
}
