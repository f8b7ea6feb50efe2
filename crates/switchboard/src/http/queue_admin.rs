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
use crate::http::{ask_switch, internal, App};
use crate::switch::{QueueChange, QueueChangeError};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::net::SocketAddr;

pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/api/queues", post(create))
        .route(
            "/api/queues/{name}",
            put(replace).patch(patch).delete(remove),
        )
        .route("/api/queues/{name}/definition", get(definition))
        .route("/api/agents/{id}/queues", put(memberships))
}

fn error(code: StatusCode, message: impl Into<String>) -> Response {
    (code, Json(json!({ "error": message.into() }))).into_response()
}

fn invalid(errors: Vec<FieldError>) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "errors": errors }))).into_response()
}

fn body_json(body: &[u8]) -> Result<Value, Vec<FieldError>> {
    serde_json::from_slice(body)
        .map_err(|e| vec![FieldError::new("", format!("bad JSON body: {e}"))])
}

/// What the switch answered, as a response (the change is applied when `Ok`).
fn refused(e: QueueChangeError) -> Response {
    match e {
        QueueChangeError::NotFound(m) => error(StatusCode::NOT_FOUND, m),
        QueueChangeError::Conflict(m) => error(StatusCode::CONFLICT, m),
        QueueChangeError::Invalid { field, message } => {
            invalid(vec![FieldError::new(field, message)])
        }
    }
}

async fn apply(app: &App, change: QueueChange) -> Result<Vec<String>, Response> {
    match ask_switch(app, |reply| Control::Queues { change, reply }).await {
        Some(Ok(drained)) => Ok(drained),
        Some(Err(e)) => Err(refused(e)),
        None => Err(error(StatusCode::SERVICE_UNAVAILABLE, "switch is stopping")),
    }
}

/// Names of the queues running now, but `except`.
async fn other_queues(app: &App, except: &str) -> Result<HashSet<String>, Response> {
    let snapshot = ask_switch(app, |reply| Control::AcdSnapshot { reply })
        .await
        .ok_or_else(|| error(StatusCode::SERVICE_UNAVAILABLE, "switch is stopping"))?;
    Ok(snapshot
        .queues
        .into_iter()
        .map(|q| q.name)
        .filter(|n| n != except)
        .collect())
}

fn extensions(app: &App) -> HashSet<String> {
    app.reloader
        .config()
        .users
        .iter()
        .map(|u| u.extension.clone())
        .collect()
}

async fn audit(
    app: &App,
    who: &Principal,
    remote: SocketAddr,
    action: crm::AuditAction,
    object: &str,
    detail: String,
) -> Result<(), Response> {
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
    app.crm.audit(&entry).await.map(|_| ()).map_err(internal)
}

async fn store(
    app: &App,
    who: &Principal,
    name: &str,
    def: Option<&Value>,
) -> Result<(), Response> {
    let row = crm::StoredQueue {
        name: name.to_string(),
        definition: def.map(Value::to_string),
        updated_at: chrono::Utc::now(),
        updated_by: who.username.clone(),
    };
    app.crm
        .upsert_queue_definition(&row)
        .await
        .map_err(internal)
}

/// Check a body against the running queues and extensions; `name` from the path (PUT).
async fn checked(
    app: &App,
    body: &[u8],
    name: Option<&str>,
) -> Result<(Value, crate::switch::QueueSetup), Response> {
    let mut def = body_json(body).map_err(invalid)?;
    if let (Some(path_name), Value::Object(map)) = (name, &mut def) {
        match map.get("name") {
            None | Some(Value::Null) => {
                map.insert("name".into(), Value::String(path_name.to_string()));
            }
            Some(Value::String(n)) if n == path_name => {}
            Some(_) => {
                return Err(invalid(vec![FieldError::new(
                    "name",
                    format!("must be `{path_name}` as in the path (a queue cannot be renamed)"),
                )]))
            }
        }
    }
    let own = def.get("name").and_then(Value::as_str).unwrap_or_default();
    let others = other_queues(app, own).await?;
    let setup = parse_queue(&def, &others, &extensions(app)).map_err(invalid)?;
    Ok((def, setup))
}

/// `POST /api/queues`: create a queue (201).
async fn create(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    body: axum::body::Bytes,
) -> Response {
    let (def, setup) = match checked(&app, &body, None).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let name = setup.cfg.name.clone();
    if let Err(r) = apply(&app, QueueChange::Create(Box::new(setup))).await {
        return r;
    }
    if let Err(r) = store(&app, &who, &name, Some(&def)).await {
        return r;
    }
    let action = crm::AuditAction::QueueCreate;
    if let Err(r) = audit(&app, &who, remote, action, &name, def.to_string()).await {
        return r;
    }
    (StatusCode::CREATED, Json(def)).into_response()
}

/// `PUT /api/queues/{name}`: replace a queue's settings (callers keep their places).
async fn replace(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    replace_with(&app, &who, remote, &name, &body).await
}

/// A queue's definition as it stands: the one stored through the API, else the configuration
/// file's `[[queues]]` entry. `Err`: 404 (unknown, or removed through the API) or 500.
async fn current_definition(app: &App, name: &str) -> Result<Value, Response> {
    let stored = app.crm.queue_definitions().await.map_err(internal)?;
    match stored.into_iter().find(|q| q.name == name) {
        Some(crm::StoredQueue {
            definition: Some(d),
            ..
        }) => serde_json::from_str(&d).map_err(|e| {
            tracing::error!(queue = %name, error = %e, "stored queue definition is not JSON");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "stored definition unreadable",
            )
        }),
        Some(_) => Err(error(
            StatusCode::NOT_FOUND,
            format!("no queue {name} (removed)"),
        )),
        None => app
            .reloader
            .config()
            .queue_definitions
            .get(name)
            .cloned()
            .ok_or_else(|| error(StatusCode::NOT_FOUND, format!("no queue {name}"))),
    }
}

/// `GET /api/queues/{name}/definition`: the queue's settings, in the `[[queues]]` keys.
async fn definition(State(app): State<App>, Path(name): Path<String>) -> Response {
    match current_definition(&app, &name).await {
        Ok(def) => Json(def).into_response(),
        Err(r) => r,
    }
}

/// `PATCH /api/queues/{name}`: change some settings; the body's keys replace the current
/// definition's, a `null` puts a key back to its default. Then as `PUT`.
async fn patch(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let changes = match body_json(&body) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return invalid(vec![FieldError::new("", "expected a JSON object")]),
        Err(e) => return invalid(e),
    };
    let mut def = match current_definition(&app, &name).await {
        Ok(Value::Object(map)) => map,
        Ok(_) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "definition is not an object",
            )
        }
        Err(r) => return r,
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
) -> Response {
    let (app, who, name) = (app.clone(), who.clone(), name.to_string());
    let (def, setup) = match checked(&app, body, Some(&name)).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Err(r) = apply(&app, QueueChange::Update(Box::new(setup))).await {
        return r;
    }
    if let Err(r) = store(&app, &who, &name, Some(&def)).await {
        return r;
    }
    let action = crm::AuditAction::QueueUpdate;
    if let Err(r) = audit(&app, &who, remote, action, &name, def.to_string()).await {
        return r;
    }
    Json(def).into_response()
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
) -> Response {
    let drain = match p.drain.as_deref() {
        None => false,
        Some("overflow") => true,
        Some(other) => {
            return invalid(vec![FieldError::new(
                "drain",
                format!("`{other}`: the only drain is `overflow`"),
            )])
        }
    };
    let drained = match apply(
        &app,
        QueueChange::Remove {
            name: name.clone(),
            drain,
        },
    )
    .await
    {
        Ok(d) => d,
        Err(r) => return r,
    };
    // A configuration-file queue stays removed at the next start: keep a removal row.
    let from_file = app
        .reloader
        .config()
        .acd
        .queues
        .iter()
        .any(|q| q.cfg.name == name);
    let stored = if from_file {
        store(&app, &who, &name, None).await
    } else {
        app.crm
            .delete_queue_definition(&name)
            .await
            .map(|_| ())
            .map_err(internal)
    };
    if let Err(r) = stored {
        return r;
    }
    let detail = json!({ "drain": drain, "overflowed": drained }).to_string();
    let action = crm::AuditAction::QueueDelete;
    if let Err(r) = audit(&app, &who, remote, action, &name, detail).await {
        return r;
    }
    Json(json!({ "removed": name, "overflowed": drained })).into_response()
}

/// `PUT /api/agents/{id}/queues` with `{"queues": ["general", {"queue": "vip", "weight": 2}]}`.
async fn memberships(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    Path(agent): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let body = match body_json(&body) {
        Ok(b) => b,
        Err(e) => return invalid(e),
    };
    let list = match &body {
        Value::Object(map) if map.keys().all(|k| k == "queues") => {
            map.get("queues").cloned().unwrap_or(Value::Null)
        }
        _ => {
            return invalid(vec![FieldError::new(
                "",
                "expected {\"queues\": [...]} and nothing else",
            )])
        }
    };
    let queues = match parse_memberships(&list) {
        Ok(q) => q,
        Err(e) => return invalid(e),
    };
    let stored = memberships_json(&queues);
    let change = QueueChange::Memberships {
        agent: agent.clone(),
        queues,
    };
    if let Err(r) = apply(&app, change).await {
        return r;
    }
    let row = crm::StoredMemberships {
        agent_id: agent.clone(),
        queues: stored.to_string(),
        updated_at: chrono::Utc::now(),
        updated_by: who.username.clone(),
    };
    if let Err(e) = app.crm.set_agent_memberships(&row).await {
        return internal(e);
    }
    let action = crm::AuditAction::AgentQueues;
    if let Err(r) = audit(&app, &who, remote, action, &agent, stored.to_string()).await {
        return r;
    }
    Json(json!({ "agent": agent, "queues": stored })).into_response()
}
