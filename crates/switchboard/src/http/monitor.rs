//! Monitoring over HTTP (docs/acd.md, "Monitoring"): `POST /api/agents/{id}/monitor`
//! `{"mode": "listen"|"whisper"|"barge"}` rings the caller's phone (their account's
//! `extension`) and puts it on the agent's connected call once answered (202); `PATCH` with
//! `{"mode"}` switches the mode of a monitoring in progress; `DELETE` ends it (the supervisor's
//! call is hung up). Only supervisors and admins: an agent's request is refused with 403 and
//! written to the audit log (`monitor.refused`), as are the switch's refusals; the monitoring's
//! start, modes and stop are audited by the switch itself.

use crate::driver::sip::{Control, MonitorChange};
use crate::http::auth::Principal;
use crate::http::error::{ApiError, ApiResult};
use crate::http::routing::Routes;
use crate::http::{ask_switch, App};
use crate::switch::MonitorMode;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use crm::Role;
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;

pub(crate) fn routes() -> Routes {
    Routes::new()
        .post("/api/agents/{id}/monitor", start)
        .patch("/api/agents/{id}/monitor", change_mode)
        .delete("/api/agents/{id}/monitor", stop)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModeBody {
    mode: String,
}

fn mode_of(body: &[u8]) -> Result<MonitorMode, ApiError> {
    let body: ModeBody = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("bad JSON body: {e}")))?;
    body.mode.parse().map_err(|e: media::BadMonitorMode| {
        ApiError::field(
            crate::http::error::ErrorKind::BadRequest,
            "mode",
            e.to_string(),
        )
    })
}

/// Supervisors and admins only; anyone else is refused with 403 and audited.
async fn only_supervisors(
    app: &App,
    who: &Principal,
    remote: SocketAddr,
    agent: &str,
) -> ApiResult<()> {
    if matches!(who.role, Role::Admin | Role::Supervisor) {
        return Ok(());
    }
    let detail = json!({ "agent": agent, "reason": "not_supervisor" }).to_string();
    let action = crm::AuditAction::MonitorRefused;
    crate::http::queue_admin::audit(app, who, remote, action, agent, detail).await?;
    Err(ApiError::with_reason(
        crate::http::error::ErrorKind::Forbidden,
        "not_supervisor",
        "only supervisors and admins may monitor calls",
    ))
}

async fn ask(app: &App, who: &Principal, agent: String, change: MonitorChange) -> ApiResult<()> {
    let account = who.username.clone();
    let answer = ask_switch(app, |reply| Control::Monitor {
        account,
        agent,
        change,
        reply,
    })
    .await;
    Ok(answer.ok_or_else(ApiError::stopping)??)
}

/// `POST /api/agents/{id}/monitor`: 202 `{"agent", "mode"}`; the phone rings.
async fn start(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    Path(agent): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult {
    let mode = mode_of(&body)?;
    only_supervisors(&app, &who, remote, &agent).await?;
    ask(&app, &who, agent.clone(), MonitorChange::Start(mode)).await?;
    let answer = json!({ "agent": agent, "mode": mode.as_str() });
    Ok((StatusCode::ACCEPTED, Json(answer)).into_response())
}

/// `PATCH /api/agents/{id}/monitor`: 200 `{"agent", "mode"}`.
async fn change_mode(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    Path(agent): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult {
    let mode = mode_of(&body)?;
    only_supervisors(&app, &who, remote, &agent).await?;
    ask(&app, &who, agent.clone(), MonitorChange::Mode(mode)).await?;
    Ok(Json(json!({ "agent": agent, "mode": mode.as_str() })).into_response())
}

/// `DELETE /api/agents/{id}/monitor`: 204.
async fn stop(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    Path(agent): Path<String>,
) -> ApiResult {
    only_supervisors(&app, &who, remote, &agent).await?;
    ask(&app, &who, agent, MonitorChange::Stop).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
