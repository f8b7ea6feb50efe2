//! The HTTP API: health, live status and CDRs as JSON.

use crate::server::Reloader;
use crate::sip_driver::Status;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

#[derive(Clone)]
struct App {
    crm: crm::Crm,
    status: watch::Receiver<Status>,
    reloader: Reloader,
}

pub async fn serve(
    listener: TcpListener,
    crm: crm::Crm,
    status: watch::Receiver<Status>,
    reloader: Reloader,
    shutdown: CancellationToken,
) {
    let app = Router::new()
        .route("/health", get(|| async { "ok\n" }))
        .route("/api/status", get(status_handler))
        .route("/api/cdrs", get(cdrs))
        .route("/api/cdrs/{id}", get(cdr))
        .route("/api/dialplans/reload", post(reload))
        .with_state(App {
            crm,
            status,
            reloader,
        });
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await;
    if let Err(e) = result {
        tracing::error!(error = %e, "HTTP server failed");
    }
}

async fn status_handler(State(app): State<App>) -> Json<Status> {
    Json(app.status.borrow().clone())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Limit {
    limit: Option<u32>,
}

async fn cdrs(State(app): State<App>, Query(q): Query<Limit>) -> Response {
    let limit = q.limit.unwrap_or(50).clamp(1, 1000);
    match app.crm.recent_cdrs(limit).await {
        Ok(list) => Json(list).into_response(),
        Err(e) => internal(e),
    }
}

async fn cdr(State(app): State<App>, Path(id): Path<String>) -> Response {
    match app.crm.cdr(&id).await {
        Ok(Some(c)) => Json(c).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "no such CDR\n").into_response(),
        Err(e) => internal(e),
    }
}

async fn reload(State(app): State<App>) -> Response {
    match app.reloader.reload().await {
        Ok(plans) => Json(serde_json::json!({ "reloaded": true, "plans": plans })).into_response(),
        Err(e) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(serde_json::json!({ "reloaded": false, "errors": e.lines().collect::<Vec<_>>() })),
        )
            .into_response(),
    }
}

fn internal(e: crm::CrmError) -> Response {
    tracing::error!(error = %e, "CRM query failed");
    (StatusCode::INTERNAL_SERVER_ERROR, "database error\n").into_response()
}
