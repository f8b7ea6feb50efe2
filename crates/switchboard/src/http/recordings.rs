//! Recordings over HTTP: a call's recording rows, and pause/resume of a call's recording while
//! something private is said (a card number). The audio itself is not served here until the
//! API has logins and roles (issue 5): rows name the file on the switch's disk.

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
    Ok(Json(app.crm.recordings_of_call(&id).await?).into_response())
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
