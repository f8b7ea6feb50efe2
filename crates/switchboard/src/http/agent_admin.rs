//! Managing agents over HTTP: `POST /api/agents`, `GET /api/agents/{id}/definition`,
//! `PUT /api/agents/{id}`, `DELETE /api/agents/{id}` and `GET /api/agents/{id}/queues` (admins
//! and supervisors, as for queues). Bodies use the `[[agents]]` keys (id, name, extension, pin,
//! skills, queues with weight and order, max_missed, wrap_up_s) and are checked by the
//! configuration's code against the queues and extensions running now; the switch core
//! applies the change (the ACD offers the agent calls once logged in; a changed agent keeps
//! its state), then the definition is stored in the CRM database and audited. The PIN is
//! write-only: answers say `has_pin`; a `PUT` without `pin` keeps it, `"pin": null` clears it.
//! An agent can be removed only while logged out and named by no enabled account.
//! docs/operations.md, "Managing extensions,
//! agents and accounts".

use crate::config::directory_definition::{agent_json, parse_agent, stored_agent_json};
use crate::config::queue_definition::{memberships_json, FieldError};
use crate::driver::sip::Control;
use crate::http::auth::Principal;
use crate::http::error::{ApiError, ApiResult};
use crate::http::queue_admin::{audit, body_json};
use crate::http::routing::Routes;
use crate::http::user_admin::{forget_entry, store_entry};
use crate::http::{ask_switch, App};
use crate::switch::{AgentSetup, QueueChange};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use crm::Directory;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::net::SocketAddr;

pub(crate) fn routes() -> Routes {
    Routes::new()
        .post("/api/agents", create)
        .put("/api/agents/{id}", replace)
        .delete("/api/agents/{id}", remove)
        .get("/api/agents/{id}/definition", definition)
        .get("/api/agents/{id}/queues", memberships)
}

async fn apply(app: &App, change: QueueChange) -> ApiResult<()> {
    let answer = ask_switch(app, |reply| Control::Queues { change, reply }).await;
    answer.ok_or_else(ApiError::stopping)??;
    Ok(())
}

/// The agent as the switch runs it; 404 when there is none.
async fn running(app: &App, id: &str) -> ApiResult<AgentSetup> {
    let id_owned = id.to_string();
    let answer = ask_switch(app, |reply| Control::AgentSetup {
        id: id_owned,
        reply,
    })
    .await;
    answer
        .ok_or_else(ApiError::stopping)?
        .ok_or_else(|| ApiError::not_found(format!("no agent {id}")))
}

/// Check a body against the queues and extensions running now.
async fn checked(app: &App, body: &Value) -> ApiResult<AgentSetup> {
    let snapshot = crate::http::acd::take_snapshot(app).await?;
    let queues: HashSet<String> = snapshot.queues.into_iter().map(|q| q.name).collect();
    let extensions = crate::http::user_admin::extensions(app).await?;
    parse_agent(body, &queues, &extensions).map_err(ApiError::invalid)
}

/// Store the agent's definition (PIN included) and write the audit row (PIN left out).
pub(crate) async fn store_and_audit(
    app: &App,
    who: &Principal,
    remote: SocketAddr,
    agent: &AgentSetup,
    action: crm::AuditAction,
) -> ApiResult<Value> {
    let definition = stored_agent_json(agent);
    store_entry(app, who, Directory::Agents, &agent.cfg.id, &definition).await?;
    let shown = agent_json(agent);
    audit(app, who, remote, action, &agent.cfg.id, shown.to_string()).await?;
    Ok(shown)
}

/// `POST /api/agents` (201).
async fn create(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    body: axum::body::Bytes,
) -> ApiResult {
    let agent = checked(&app, &body_json(&body)?).await?;
    let snapshot = crate::http::acd::take_snapshot(&app).await?;
    if snapshot.agents.iter().any(|a| a.id == agent.cfg.id) {
        return Err(ApiError::invalid(vec![FieldError::new(
            "id",
            format!("agent {} exists already", agent.cfg.id),
        )]));
    }
    apply(&app, QueueChange::PutAgent(Box::new(agent.clone()))).await?;
    let action = crm::AuditAction::AgentCreate;
    let shown = store_and_audit(&app, &who, remote, &agent, action).await?;
    Ok((StatusCode::CREATED, Json(shown)).into_response())
}

/// `PUT /api/agents/{id}`: replace the agent's settings (it keeps its state and counters).
async fn replace(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult {
    let current = running(&app, &id).await?;
    let mut body = body_json(&body)?;
    let Value::Object(map) = &mut body else {
        return Err(ApiError::invalid(vec![FieldError::new(
            "",
            "expected a JSON object",
        )]));
    };
    match map.get("id") {
        None | Some(Value::Null) => {
            map.insert("id".into(), Value::String(id.clone()));
        }
        Some(Value::String(given)) if *given == id => {}
        Some(_) => {
            return Err(ApiError::invalid(vec![FieldError::new(
                "id",
                format!("must be `{id}` as in the path (an agent cannot be renamed)"),
            )]))
        }
    }
    // Write-only: a body without `pin` keeps the one set; `has_pin` from a GET is ignored.
    map.remove("has_pin");
    if !map.contains_key("pin") {
        if let Some(pin) = &current.pin {
            map.insert("pin".into(), Value::String(pin.clone()));
        }
    }
    let agent = checked(&app, &body).await?;
    apply(&app, QueueChange::PutAgent(Box::new(agent.clone()))).await?;
    let action = crm::AuditAction::AgentUpdate;
    let shown = store_and_audit(&app, &who, remote, &agent, action).await?;
    Ok(Json(shown).into_response())
}

/// `GET /api/agents/{id}/definition`: the agent's settings (`has_pin`, never the PIN).
async fn definition(State(app): State<App>, Path(id): Path<String>) -> ApiResult {
    let agent = running(&app, &id).await?;
    let stored = (app.crm.directory(Directory::Agents).await?)
        .into_iter()
        .any(|r| r.key == id && r.definition.is_some());
    let mut shown = agent_json(&agent);
    if let Value::Object(map) = &mut shown {
        map.insert("source".into(), json!(if stored { "api" } else { "file" }));
    }
    Ok(Json(shown).into_response())
}

/// `GET /api/agents/{id}/queues`: the queues the agent serves, with weight and order (what
/// `PUT /api/agents/{id}/queues` takes, so a page can send them back unchanged).
async fn memberships(State(app): State<App>, Path(id): Path<String>) -> ApiResult {
    let agent = running(&app, &id).await?;
    let queues = memberships_json(&agent.cfg.queues);
    Ok(Json(json!({ "agent": id, "queues": queues })).into_response())
}

/// After `PUT /api/agents/{id}/queues`: an agent stored through the API gets the new queues
/// in its stored definition too, so a restart keeps them.
pub(crate) async fn memberships_changed(app: &App, id: &str, who: &Principal) -> ApiResult<()> {
    let stored = app.crm.directory(Directory::Agents).await?;
    if !stored.iter().any(|r| r.key == id && r.definition.is_some()) {
        return Ok(());
    }
    let agent = running(app, id).await?;
    store_entry(app, who, Directory::Agents, id, &stored_agent_json(&agent)).await
}

/// `DELETE /api/agents/{id}`: only a logged-out agent no enabled account logs in as (409
/// otherwise).
async fn remove(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
) -> ApiResult {
    // An enabled account of this agent would log in to an agent that no longer exists.
    let owners: Vec<String> = (app.crm.accounts().await?)
        .into_iter()
        .filter(|a| !a.disabled && a.agent_id.as_deref() == Some(id.as_str()))
        .map(|a| a.username)
        .collect();
    if !owners.is_empty() {
        return Err(ApiError::conflict(format!(
            "account(s) {} log in as agent {id}: disable them first",
            owners.join(", ")
        )));
    }
    apply(&app, QueueChange::RemoveAgent(id.clone())).await?;
    let from_file = (app.reloader.config().acd.agents.iter()).any(|a| a.cfg.id == id);
    forget_entry(&app, &who, Directory::Agents, &id, from_file).await?;
    let action = crm::AuditAction::AgentDelete;
    audit(&app, &who, remote, action, &id, "{}".into()).await?;
    Ok(Json(json!({ "removed": id })).into_response())
}
