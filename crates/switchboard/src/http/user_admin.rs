//! Managing extensions (SIP users) over HTTP: `GET /api/users`, `POST /api/users`,
//! `PUT /api/users/{extension}` and `DELETE /api/users/{extension}` (admins only). Bodies use
//! the `[[users]]` keys and are checked by the configuration's rules (`directory_definition`);
//! the switch core applies the change at once (a new extension registers and calls without a
//! restart, a removed one loses its registrations while its calls go on), then the definition
//! is stored in the CRM database and the change written to the audit log. The SIP password is
//! write-only. An extension of the configuration file can be changed or removed too: the
//! stored row overrides the file at the next start, as for queues. docs/operations.md,
//! "Managing extensions, agents and accounts".

use crate::config::directory_definition::{parse_user, user_json};
use crate::config::queue_definition::FieldError;
use crate::driver::sip::Control;
use crate::http::auth::Principal;
use crate::http::error::{ApiError, ApiResult};
use crate::http::queue_admin::{audit, body_json};
use crate::http::routing::Routes;
use crate::http::{ask_switch, App};
use crate::switch::{UserChange, UserView};
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
        .get("/api/users", list)
        .post("/api/users", create)
        .put("/api/users/{extension}", replace)
        .delete("/api/users/{extension}", remove)
}

/// Change (or only list, `None`) the running switch's extensions.
async fn apply(app: &App, change: Option<UserChange>) -> ApiResult<Vec<UserView>> {
    let answer = ask_switch(app, |reply| Control::Users { change, reply }).await;
    Ok(answer.ok_or_else(ApiError::stopping)??)
}

/// The extensions the switch runs now (the file's, the stored ones, the API's changes).
pub(crate) async fn extensions(app: &App) -> ApiResult<HashSet<String>> {
    Ok(apply(app, None)
        .await?
        .into_iter()
        .map(|u| u.extension)
        .collect())
}

fn from_file(app: &App, extension: &str) -> bool {
    (app.reloader.config().users.iter()).any(|u| u.extension == extension)
}

/// Store an extension's or agent's definition, replacing what was stored for `key`.
pub(crate) async fn store_entry(
    app: &App,
    who: &Principal,
    dir: Directory,
    key: &str,
    definition: &Value,
) -> ApiResult<()> {
    let row = crm::StoredEntry {
        key: key.to_string(),
        definition: Some(definition.to_string()),
        updated_at: chrono::Utc::now(),
        updated_by: who.username.clone(),
    };
    Ok(app.crm.upsert_directory_entry(dir, &row).await?)
}

/// After a removal: a configuration-file entry gets a removal row (it stays removed at the
/// next start); an API-made one is forgotten.
pub(crate) async fn forget_entry(
    app: &App,
    who: &Principal,
    dir: Directory,
    key: &str,
    from_file: bool,
) -> ApiResult<()> {
    if from_file {
        let row = crm::StoredEntry {
            key: key.to_string(),
            definition: None,
            updated_at: chrono::Utc::now(),
            updated_by: who.username.clone(),
        };
        app.crm.upsert_directory_entry(dir, &row).await?;
    } else {
        app.crm.delete_directory_entry(dir, key).await?;
    }
    Ok(())
}

/// `GET /api/users`: every extension with its name, registered contacts and where it is
/// defined (`file`, or `api` once stored through the API).
async fn list(State(app): State<App>) -> ApiResult {
    let stored: HashSet<String> = (app.crm.directory(Directory::Users).await?)
        .into_iter()
        .filter(|r| r.definition.is_some())
        .map(|r| r.key)
        .collect();
    let users = apply(&app, None).await?;
    let rows: Vec<Value> = users
        .into_iter()
        .map(|u| {
            let source = if stored.contains(&u.extension) {
                "api"
            } else {
                "file"
            };
            json!({ "extension": u.extension, "name": u.name, "registered": u.registered,
                    "source": source })
        })
        .collect();
    Ok(Json(rows).into_response())
}

/// The password an extension has now: stored through the API, else the file's.
async fn current_password(app: &App, extension: &str) -> ApiResult<Option<String>> {
    let stored = app.crm.directory(Directory::Users).await?;
    if let Some(row) = stored.into_iter().find(|r| r.key == extension) {
        return Ok(row
            .definition
            .and_then(|d| serde_json::from_str::<Value>(&d).ok())
            .and_then(|v| v.get("password")?.as_str().map(str::to_string)));
    }
    Ok((app.reloader.config().users.iter())
        .find(|u| u.extension == extension)
        .map(|u| u.password.clone()))
}

/// Store the definition and write the audit row (the detail names no password).
async fn store_and_audit(
    app: &App,
    who: &Principal,
    remote: SocketAddr,
    user: &crate::config::User,
    action: crm::AuditAction,
    password_changed: bool,
) -> ApiResult<Value> {
    store_entry(
        app,
        who,
        Directory::Users,
        &user.extension,
        &user_json(user),
    )
    .await?;
    let shown = json!({ "extension": user.extension, "name": user.name });
    let detail = json!({ "name": user.name, "password_changed": password_changed });
    audit(
        app,
        who,
        remote,
        action,
        &user.extension,
        detail.to_string(),
    )
    .await?;
    Ok(shown)
}

/// `POST /api/users` with `{"extension", "name", "password"}` (201).
async fn create(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    body: axum::body::Bytes,
) -> ApiResult {
    let user = parse_user(&body_json(&body)?, None).map_err(ApiError::invalid)?;
    if extensions(&app).await?.contains(&user.extension) {
        return Err(ApiError::invalid(vec![FieldError::new(
            "extension",
            format!("extension {} exists already", user.extension),
        )]));
    }
    apply(&app, Some(put(&user))).await?;
    let action = crm::AuditAction::UserCreate;
    let shown = store_and_audit(&app, &who, remote, &user, action, true).await?;
    Ok((StatusCode::CREATED, Json(shown)).into_response())
}

fn put(u: &crate::config::User) -> UserChange {
    UserChange::Put {
        extension: u.extension.clone(),
        password: u.password.clone(),
        name: u.name.clone(),
    }
}

/// `PUT /api/users/{extension}`: a new name and, if given, a new password (the old one is
/// refused from then on).
async fn replace(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    Path(extension): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult {
    let mut body = body_json(&body)?;
    if let Value::Object(map) = &mut body {
        match map.get("extension") {
            None | Some(Value::Null) => {
                map.insert("extension".into(), Value::String(extension.clone()));
            }
            Some(Value::String(e)) if *e == extension => {}
            Some(_) => {
                return Err(ApiError::invalid(vec![FieldError::new(
                    "extension",
                    format!("must be `{extension}` as in the path (create another instead)"),
                )]))
            }
        }
    }
    if !extensions(&app).await?.contains(&extension) {
        return Err(ApiError::not_found(format!("no extension {extension}")));
    }
    let changed = body.get("password").is_some_and(|p| !p.is_null());
    let current = current_password(&app, &extension).await?;
    let user = parse_user(&body, current.as_deref()).map_err(ApiError::invalid)?;
    apply(&app, Some(put(&user))).await?;
    let action = crm::AuditAction::UserUpdate;
    let shown = store_and_audit(&app, &who, remote, &user, action, changed).await?;
    Ok(Json(shown).into_response())
}

/// `DELETE /api/users/{extension}`: its registrations are dropped, its calls go on.
async fn remove(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    Path(extension): Path<String>,
) -> ApiResult {
    let change = UserChange::Remove {
        extension: extension.clone(),
    };
    apply(&app, Some(change)).await?;
    let file = from_file(&app, &extension);
    forget_entry(&app, &who, Directory::Users, &extension, file).await?;
    let action = crm::AuditAction::UserDelete;
    audit(&app, &who, remote, action, &extension, "{}".into()).await?;
    Ok(Json(json!({ "removed": extension })).into_response())
}
