//! Click-to-dial over HTTP: `POST /api/agents/{id}/dial` with `{"number": "..."}` asks the
//! switch to ring the agent's phone, then the number (docs/acd.md, "Click-to-dial"). An agent
//! may dial only as themself (the permission table's `OwnAgent` scope); supervisors and admins
//! for any agent. The answer is 202 with the call's CDR id (the call goes on without the
//! request); the switch's refusals map by variant (`ClickToDialError`). Each accepted call is
//! written to the audit log.

use crate::driver::sip::Control;
use crate::http::auth::Principal;
use crate::http::error::{ApiError, ApiResult};
use crate::http::routing::Routes;
use crate::http::{ask_switch, App};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;

/// Longest number accepted in a body (the switch checks the digits).
const MAX_NUMBER_CHARS: usize = 64;

pub(crate) fn routes() -> Routes {
    Routes::new().post("/api/agents/{id}/dial", dial)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DialBody {
    number: String,
}

/// `POST /api/agents/{id}/dial`: 202 `{"call_id", "agent", "number"}`.
async fn dial(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    Path(agent): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult {
    let body: DialBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("bad JSON body: {e}")))?;
    if body.number.chars().count() > MAX_NUMBER_CHARS {
        return Err(ApiError::bad_request(format!(
            "number: at most {MAX_NUMBER_CHARS} characters"
        )));
    }
    let number = body.number;
    let answer = ask_switch(&app, |reply| Control::Dial {
        agent: agent.clone(),
        number: number.clone(),
        reply,
    })
    .await;
    let call_id = answer.ok_or_else(ApiError::stopping)??;
    let detail = json!({ "number": number, "call_id": call_id }).to_string();
    let action = crm::AuditAction::AgentDial;
    crate::http::queue_admin::audit(&app, &who, remote, action, &agent, detail).await?;
    let answer = json!({ "call_id": call_id, "agent": agent, "number": number });
    Ok((StatusCode::ACCEPTED, Json(answer)).into_response())
}
