//! Managing queues over HTTP: `POST /api/queues`, `GET /api/queues/{name}/definition`,
//! `PUT`, `PATCH` and `DELETE /api/queues/{name}`, and `PUT /api/agents/{id}/queues`. Bodies use the `[[queues]]` / `[[agents]] queues` keys and
//! are checked by the configuration's code (`queue_definition`); the switch core applies the
//! change through the control channel, then the definition is stored in the CRM database (so
//! it survives a restart) and the change is written to the audit log. docs/operations.md,
//! "Managing queues".

use crate::config::queue_definition::{
    memberships_json, parse_memberships, parse_queue, FieldError,
};
use crate::driver::sip::Control;
use crate::http::auth::Principal;
use crate::http::error::{ApiError, ApiResult, ErrorKind};
use crate::http::routing::Routes;
use crate::http::{ask_switch, App};
use crate::switch::QueueChange;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::net::SocketAddr;

pub(crate) fn routes() -> Routes {
    Routes::new()
        .post("/api/queues", create)
        .put("/api/queues/{name}", replace)
        .patch("/api/queues/{name}", patch)
        .delete("/api/queues/{name}", remove)
        .get("/api/queues/{name}/definition", definition)
        .put("/api/agents/{id}/queues", memberships)
}

pub(crate) fn body_json(body: &[u8]) -> ApiResult<Value> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid(vec![FieldError::new("", format!("bad JSON body: {e}"))]))
}

/// Apply a change in the switch core (its refusal maps by variant: 404, 409 or 400).
async fn apply(app: &App, change: QueueChange) -> ApiResult<Vec<String>> {
    let answer = ask_switch(app, |reply| Control::Queues { change, reply }).await;
    Ok(answer.ok_or_else(ApiError::stopping)??)
}

/// Names of the queues running now, but `except`.
async fn other_queues(app: &App, except: &str) -> ApiResult<HashSet<String>> {
    let snapshot = crate::http::acd::take_snapshot(app).await?;
    Ok(snapshot
        .queues
        .into_iter()
        .map(|q| q.name)
        .filter(|n| n != except)
        .collect())
}

/// Write one audit row (the detail cut to the column's size).
pub(crate) async fn audit(
    app: &App,
    who: &Principal,
    remote: SocketAddr,
    action: crm::AuditAction,
    object: &str,
    detail: String,
) -> ApiResult<()> {
    let mut detail = detail;
    if detail.chars().count() > crm::MAX_AUDIT_DETAIL_CHARS {
        detail = detail
            .chars()
            .take(crm::MAX_AUDIT_DETAIL_CHARS - 1)
            .collect::<String>()
            + "…";
    }
    let entry = crm::NewAuditEntry {
        at: chrono::Utc::now(),
        account: who.username.clone(),
        role: who.role,
        action,
        object_id: object.to_string(),
        remote_addr: Some(remote.to_string()),
        detail: Some(detail),
    };
    app.crm.audit(&entry).await?;
    Ok(())
}

async fn store(app: &App, who: &Principal, name: &str, def: Option<&Value>) -> ApiResult<()> {
    let row = crm::StoredQueue {
        name: name.to_string(),
        definition: def.map(Value::to_string),
        updated_at: chrono::Utc::now(),
        updated_by: who.username.clone(),
    };
    Ok(app.crm.upsert_queue_definition(&row).await?)
}

/// Check a body against the running queues and extensions; `name` from the path (PUT).
async fn checked(
    app: &App,
    body: &[u8],
    name: Option<&str>,
) -> ApiResult<(Value, crate::switch::QueueSetup)> {
    let mut def = body_json(body)?;
    if let (Some(path_name), Value::Object(map)) = (name, &mut def) {
        match map.get("name") {
            None | Some(Value::Null) => {
                map.insert("name".into(), Value::String(path_name.to_string()));
            }
            Some(Value::String(n)) if n == path_name => {}
            Some(_) => {
                return Err(ApiError::invalid(vec![FieldError::new(
                    "name",
                    format!("must be `{path_name}` as in the path (a queue cannot be renamed)"),
                )]))
            }
        }
    }
    let own = def.get("name").and_then(Value::as_str).unwrap_or_default();
    let others = other_queues(app, own).await?;
    let setup = parse_queue(
        &def,
        &others,
        &crate::http::user_admin::extensions(app).await?,
    )
    .map_err(ApiError::invalid)?;
    Ok((def, setup))
}

/// `POST /api/queues`: create a queue (201).
async fn create(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    body: axum::body::Bytes,
) -> ApiResult {
    let (def, setup) = checked(&app, &body, None).await?;
    let name = setup.cfg.name.clone();
    apply(&app, QueueChange::Create(Box::new(setup))).await?;
    store(&app, &who, &name, Some(&def)).await?;
    let action = crm::AuditAction::QueueCreate;
    audit(&app, &who, remote, action, &name, def.to_string()).await?;
    Ok((StatusCode::CREATED, Json(def)).into_response())
}

/// `PUT /api/queues/{name}`: replace a queue's settings (callers keep their places).
async fn replace(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult {
    replace_with(&app, &who, remote, &name, &body).await
}

/// A queue's definition as it stands: the one stored through the API, else the configuration
/// file's `[[queues]]` entry. `Err`: 404 (unknown, or removed through the API) or 500.
async fn current_definition(app: &App, name: &str) -> ApiResult<Value> {
    let stored = app.crm.queue_definitions().await?;
    match stored.into_iter().find(|q| q.name == name) {
        Some(crm::StoredQueue {
            definition: Some(d),
            ..
        }) => serde_json::from_str(&d).map_err(|e| {
            tracing::error!(queue = %name, error = %e, "stored queue definition is not JSON");
            ApiError::new(ErrorKind::Internal, "stored definition unreadable")
        }),
        Some(_) => Err(ApiError::not_found(format!("no queue {name} (removed)"))),
        None => app
            .reloader
            .config()
            .queue_definitions
            .get(name)
            .cloned()
            .ok_or_else(|| ApiError::not_found(format!("no queue {name}"))),
    }
}

/// `GET /api/queues/{name}/definition`: the queue's settings, in the `[[queues]]` keys.
async fn definition(State(app): State<App>, Path(name): Path<String>) -> ApiResult {
    Ok(Json(current_definition(&app, &name).await?).into_response())
}

/// `PATCH /api/queues/{name}`: change some settings; the body's keys replace the current
/// definition's, a `null` puts a key back to its default. Then as `PUT`.
async fn patch(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult {
    let Value::Object(changes) = body_json(&body)? else {
        let whole = FieldError::new("", "expected a JSON object");
        return Err(ApiError::invalid(vec![whole]));
    };
    let Value::Object(mut def) = current_definition(&app, &name).await? else {
        return Err(ApiError::new(
            ErrorKind::Internal,
            "definition is not an object",
        ));
    };
    for (key, value) in changes {
        if value.is_null() {
            def.remove(&key);
        } else {
            def.insert(key, value);
        }
    }
    let merged = Value::Object(def).to_string();
    replace_with(&app, &who, remote, &name, merged.as_bytes()).await
}

/// Replace queue `name`'s settings with `body` (PUT, and PATCH once merged).
async fn replace_with(
    app: &App,
    who: &Principal,
    remote: SocketAddr,
    name: &str,
    body: &[u8],
) -> ApiResult {
    let (def, setup) = checked(app, body, Some(name)).await?;
    apply(app, QueueChange::Update(Box::new(setup))).await?;
    store(app, who, name, Some(&def)).await?;
    let action = crm::AuditAction::QueueUpdate;
    audit(app, who, remote, action, name, def.to_string()).await?;
    Ok(Json(def).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RemoveParams {
    /// `overflow`: send waiting callers to the queue's overflow target first.
    drain: Option<String>,
}

/// `DELETE /api/queues/{name}[?drain=overflow]`.
async fn remove(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    Path(name): Path<String>,
    Query(p): Query<RemoveParams>,
) -> ApiResult {
    let drain = match p.drain.as_deref() {
        None => false,
        Some("overflow") => true,
        Some(other) => {
            return Err(ApiError::invalid(vec![FieldError::new(
                "drain",
                format!("`{other}`: the only drain is `overflow`"),
            )]))
        }
    };
    let change = QueueChange::Remove {
        name: name.clone(),
        drain,
    };
    let drained = apply(&app, change).await?;
    // A configuration-file queue stays removed at the next start: keep a removal row.
    let from_file = app
        .reloader
        .config()
        .acd
        .queues
        .iter()
        .any(|q| q.cfg.name == name);
    if from_file {
        store(&app, &who, &name, None).await?;
    } else {
        app.crm.delete_queue_definition(&name).await?;
    }
    let detail = json!({ "drain": drain, "overflowed": drained }).to_string();
    let action = crm::AuditAction::QueueDelete;
    audit(&app, &who, remote, action, &name, detail).await?;
    Ok(Json(json!({ "removed": name, "overflowed": drained })).into_response())
}

/// `PUT /api/agents/{id}/queues` with `{"queues": ["general", {"queue": "vip", "weight": 2}]}`.
async fn memberships(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    Path(agent): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult {
    let list = match body_json(&body)? {
        Value::Object(map) if map.keys().all(|k| k == "queues") => {
            map.get("queues").cloned().unwrap_or(Value::Null)
        }
        _ => {
            return Err(ApiError::invalid(vec![FieldError::new(
                "",
                "expected {\"queues\": [...]} and nothing else",
            )]))
        }
    };
    let queues = parse_memberships(&list).map_err(ApiError::invalid)?;
    let stored = memberships_json(&queues);
    let change = QueueChange::Memberships {
        agent: agent.clone(),
        queues,
    };
    apply(&app, change).await?;
    let row = crm::StoredMemberships {
        agent_id: agent.clone(),
        queues: stored.to_string(),
        updated_at: chrono::Utc::now(),
        updated_by: who.username.clone(),
    };
    app.crm.set_agent_memberships(&row).await?;
    crate::http::agent_admin::memberships_changed(&app, &agent, &who).await?;
    let action = crm::AuditAction::AgentQueues;
    audit(&app, &who, remote, action, &agent, stored.to_string()).await?;
    Ok(Json(json!({ "agent": agent, "queues": stored })).into_response())
}
