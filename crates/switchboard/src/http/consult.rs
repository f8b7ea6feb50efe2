//! Consult, transfer and conference from the agent page (docs/acd.md, "Consult, transfer,
//! conference"; the switch's side is `switch/consult.rs`):
//! `POST /api/agents/{id}/consult` `{"target", "reason"}` puts the customer on hold and rings
//! the target (an extension or an agent id; a queue's name or number transfers the call to the
//! queue at once), 202; `POST .../consult/complete`, `.../cancel`, `.../conference` steer it;
//! `GET .../consult` says where it stands and how the last one ended (`last`: `busy`,
//! `no_answer`, `third_hung_up`...), which the page polls. Agents act on their own calls
//! (roles.rs), supervisors and admins on anyone's. Every answer is the consultation's state.

use crate::driver::sip::{ConsultChange, Control};
use crate::http::error::{ApiError, ApiResult};
use crate::http::routing::Routes;
use crate::http::{ask_switch, App};
use crate::switch::ConsultStatus;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::json;

pub(crate) fn routes() -> Routes {
    Routes::new()
        .post("/api/agents/{id}/consult", start)
        .get("/api/agents/{id}/consult", status)
        .post("/api/agents/{id}/consult/complete", complete)
        .post("/api/agents/{id}/consult/cancel", cancel)
        .post("/api/agents/{id}/consult/conference", conference)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StartBody {
    target: String,
    #[serde(default)]
    reason: String,
}

/// The longest reason kept (it travels in the call's variables and the next screen pop).
const MAX_REASON: usize = 200;

async fn ask(app: &App, agent: String, change: ConsultChange) -> ApiResult<ConsultStatus> {
    let answer = ask_switch(app, |reply| Control::Consult {
        agent,
        change,
        reply,
    })
    .await;
    Ok(answer.ok_or_else(ApiError::stopping)??)
}

fn body(agent: &str, s: &ConsultStatus) -> serde_json::Value {
    json!({
        "agent": agent,
        "state": s.state.map(|st| st.as_str()),
        "target": s.target,
        "reason": s.reason,
        "last": s.last,
    })
}

async fn start(
    State(app): State<App>,
    Path(agent): Path<String>,
    raw: axum::body::Bytes,
) -> ApiResult {
    let req: StartBody = serde_json::from_slice(&raw)
        .map_err(|e| ApiError::bad_request(format!("bad JSON body: {e}")))?;
    let reason: String = req.reason.trim().chars().take(MAX_REASON).collect();
    let change = ConsultChange::Start {
        target: req.target,
        reason,
    };
    let status = ask(&app, agent.clone(), change).await?;
    Ok((StatusCode::ACCEPTED, Json(body(&agent, &status))).into_response())
}

async fn status(State(app): State<App>, Path(agent): Path<String>) -> ApiResult {
    let status = ask(&app, agent.clone(), ConsultChange::Status).await?;
    Ok(Json(body(&agent, &status)).into_response())
}

async fn complete(State(app): State<App>, Path(agent): Path<String>) -> ApiResult {
    let status = ask(&app, agent.clone(), ConsultChange::Complete).await?;
    Ok(Json(body(&agent, &status)).into_response())
}

async fn cancel(State(app): State<App>, Path(agent): Path<String>) -> ApiResult {
    let status = ask(&app, agent.clone(), ConsultChange::Cancel).await?;
    Ok(Json(body(&agent, &status)).into_response())
}

async fn conference(State(app): State<App>, Path(agent): Path<String>) -> ApiResult {
    let status = ask(&app, agent.clone(), ConsultChange::Conference).await?;
    Ok(Json(body(&agent, &status)).into_response())
}
