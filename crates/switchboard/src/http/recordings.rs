//! Recordings over HTTP: a call's recording rows, and pause/resume of a call's recording while
//! something private is said (a card number). The audio itself is not served here until the
//! API has logins and roles (issue 5): rows name the file on the switch's disk.

use crate::driver::sip::Control;
use crate::http::{ask_switch, internal, App};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/api/cdrs/{id}/recordings", get(of_call))
        .route("/api/cdrs/{id}/recording/{action}", post(pause_resume))
}

async fn of_call(State(app): State<App>, Path(id): Path<String>) -> Response {
    match app.crm.recordings_of_call(&id).await {
        Ok(list) => Json(list).into_response(),
        Err(e) => internal(e),
    }
}

async fn pause_resume(
    State(app): State<App>,
    Path((cdr_id, action)): Path<(String, String)>,
) -> Response {
    let pause = match action.as_str() {
        "pause" => true,
        "resume" => false,
        other => return (
            StatusCode::NOT_FOUND,
            Json(
                serde_json::json!({ "error": format!("unknown action `{other}` (pause, resume)") }),
            ),
        )
            .into_response(),
    };
    let result = ask_switch(&app, |reply| Control::Recording {
        cdr_id: cdr_id.clone(),
        pause,
        reply,
    })
    .await;
    match result {
        Some(Ok(())) => {
            Json(serde_json::json!({ "call_id": cdr_id, "done": action })).into_response()
        }
        Some(Err(reason)) => (
            StatusCode::CONFLICT,
            Json(serde_json::json!({ "error": reason })),
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "error": "switch is stopping" })),
        )
            .into_response(),
    }
}
