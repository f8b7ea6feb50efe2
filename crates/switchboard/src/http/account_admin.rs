//! Managing accounts over HTTP (admins only): `POST /api/accounts` creates an account with a
//! role and an initial password, `PATCH /api/accounts/{username}` changes its role or disables
//! (or enables) it, `POST /api/accounts/{username}/password` sets a new password. Passwords
//! follow the configuration's rule (`MIN_PASSWORD_CHARS`) and are hashed with argon2id on the
//! blocking pool. Disabling or a new password ends the account's sessions at once (its next
//! request is a 401) and its event streams within `streams::CHECK_EVERY`. Accounts of the
//! configuration's `[[accounts]]` are the file's: the API lists them but refuses to change
//! them (409), since the next start would undo it. Every change is audited.
//!
//! A supervisor or admin may have a monitoring `extension` (docs/acd.md, "Monitoring"): an
//! extension of the directory (400 otherwise), nobody else's, file or API account, enabled or
//! not (409), and only for those two roles (400, as the configuration's check; a change of
//! role away from them must clear it in the same request, `"extension": null`). The switch
//! learns the phones after every change ([`crate::http::monitor::push_monitoring`]).

use crate::config::accounts::MIN_PASSWORD_CHARS;
use crate::config::queue_definition::FieldError;
use crate::http::auth::Principal;
use crate::http::error::{ApiError, ApiResult};
use crate::http::queue_admin::{audit, body_json};
use crate::http::routing::Routes;
use crate::http::App;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use crm::{AccountChange, CrmError, Role};
use serde::Deserialize;
use serde_json::{json, Value};
use std::net::SocketAddr;

/// Longest password hashed (argon2 takes any length; this bounds the work).
const MAX_PASSWORD_CHARS: usize = 1024;

pub(crate) fn routes() -> Routes {
    Routes::new()
        .post("/api/accounts", create)
        .patch("/api/accounts/{username}", change)
        .post("/api/accounts/{username}/password", password)
}

fn field(name: &str, message: impl Into<String>) -> ApiError {
    ApiError::invalid(vec![FieldError::new(name, message)])
}

/// The CRM's refusals as the API's answers: bad fields 400, taken or file-owned 409.
fn refused(e: CrmError) -> ApiError {
    match e {
        CrmError::InvalidField { field: f, reason } => {
            let f = if f == "agent_id" { "agent" } else { f };
            field(f, reason)
        }
        CrmError::AccountExists(_)
        | CrmError::AccountFromFile(_)
        | CrmError::ExtensionTaken { .. } => ApiError::conflict(e.to_string()),
        other => ApiError::database(other),
    }
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> ApiResult<T> {
    let v = body_json(body)?;
    serde_path_to_error::deserialize(v)
        .map_err(|e| ApiError::invalid(vec![crate::config::queue_definition::field_error(e)]))
}

fn role_of(name: &str) -> ApiResult<Role> {
    Role::parse(name).ok_or_else(|| field("role", "one of admin, supervisor, qa, agent"))
}

async fn hashed(password: String) -> ApiResult<String> {
    let n = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&n) {
        return Err(field(
            "password",
            format!("{MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    tokio::task::spawn_blocking(move || crate::password::hash_password(&password))
        .await
        .map_err(|e| ApiError::new(crate::http::error::ErrorKind::Internal, e.to_string()))?
        .map_err(|e| ApiError::new(crate::http::error::ErrorKind::Internal, e))
}

fn shown(a: &crm::Account) -> Value {
    json!({
        "username": a.username, "role": a.role, "agent": a.agent_id, "disabled": a.disabled,
        "extension": a.extension, "managed_by": if a.managed_by_api { "api" } else { "file" },
    })
}

/// A monitoring extension as given: blank is none; otherwise it must be one of the
/// directory's extensions (the phone must exist to ring it).
async fn extension_of(app: &App, given: Option<String>) -> ApiResult<Option<String>> {
    let Some(ext) = given
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty())
    else {
        return Ok(None);
    };
    if !crate::http::user_admin::extensions(app)
        .await?
        .contains(&ext)
    {
        return Err(field(
            "extension",
            format!("no extension {ext} in the directory"),
        ));
    }
    Ok(Some(ext))
}

/// The switch learns the accounts' phones (and the supervisors' teams) after a change.
async fn tell_switch(app: &App) {
    let file = &app.reloader.config().accounts;
    crate::http::monitor::push_monitoring(&app.crm, file, &app.control).await;
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAccountBody {
    username: String,
    role: String,
    #[serde(default)]
    agent: Option<String>,
    /// A supervisor's or admin's monitoring phone.
    #[serde(default)]
    extension: Option<String>,
    password: String,
}

/// `POST /api/accounts` with `{"username", "role", "agent"?, "extension"?, "password"}` (201).
async fn create(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    body: axum::body::Bytes,
) -> ApiResult {
    let b: NewAccountBody = parse(&body)?;
    let username = b.username.trim().to_ascii_lowercase();
    crm::validate_username(&username).map_err(refused)?;
    let role = role_of(&b.role)?;
    let extension = extension_of(&app, b.extension).await?;
    let new = crm::NewAccount {
        username,
        password_hash: hashed(b.password).await?,
        token_hash: None,
        role,
        agent_id: b.agent.filter(|a| !a.is_empty()),
        extension,
    };
    let account = app
        .crm
        .create_account(&new, chrono::Utc::now())
        .await
        .map_err(refused)?;
    tell_switch(&app).await;
    let detail = json!({
        "role": account.role, "agent": account.agent_id, "extension": account.extension,
    });
    let action = crm::AuditAction::AccountCreate;
    audit(
        &app,
        &who,
        remote,
        action,
        &account.username,
        detail.to_string(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(shown(&account))).into_response())
}

/// Apply `change` to `username`, audit it (`detail` plus the sessions ended) and answer with
/// the account.
async fn changed(
    app: &App,
    who: &Principal,
    remote: SocketAddr,
    username: &str,
    change: &AccountChange,
    action: crm::AuditAction,
    mut detail: Value,
) -> ApiResult {
    let done = app
        .crm
        .change_account(username, change, chrono::Utc::now())
        .await
        .map_err(refused)?
        .ok_or_else(|| ApiError::not_found(format!("no account {username}")))?;
    tell_switch(app).await;
    if let Value::Object(map) = &mut detail {
        map.insert("sessions_ended".into(), json!(done.sessions_ended));
    }
    audit(app, who, remote, action, username, detail.to_string()).await?;
    Ok(Json(shown(&done.account)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeBody {
    #[serde(default)]
    role: Option<String>,
    /// With `role: "agent"`: the agent id.
    #[serde(default)]
    agent: Option<String>,
    #[serde(default)]
    disabled: Option<bool>,
    /// The monitoring phone; `null` (or `""`) clears it.
    #[serde(default, deserialize_with = "crate::http::customers::present")]
    extension: Option<Option<String>>,
}

/// `PATCH /api/accounts/{username}` with any of `{"role", "agent", "disabled", "extension"}`. An admin
/// cannot disable or demote their own account (the last way in could go).
async fn change(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    Path(username): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult {
    let b: ChangeBody = parse(&body)?;
    if b.agent.is_some() && b.role.is_none() {
        return Err(field("role", "give the role with its agent"));
    }
    let role = b.role.as_deref().map(role_of).transpose()?;
    if username == who.username
        && (b.disabled == Some(true) || role.is_some_and(|r| r != Role::Admin))
    {
        return Err(ApiError::conflict(
            "you cannot disable or demote your own account",
        ));
    }
    let extension = match b.extension {
        Some(given) => Some(extension_of(&app, given).await?),
        None => None,
    };
    let change = AccountChange {
        role: role.map(|r| (r, b.agent.clone().filter(|a| !a.is_empty()))),
        disabled: b.disabled,
        password_hash: None,
        extension: extension.clone(),
    };
    let mut detail = json!({ "role": b.role, "agent": b.agent, "disabled": b.disabled });
    if let (Some(ext), Value::Object(map)) = (extension, &mut detail) {
        map.insert("extension".into(), json!(ext));
    }
    let action = crm::AuditAction::AccountUpdate;
    changed(&app, &who, remote, &username, &change, action, detail).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    password: String,
}

/// `POST /api/accounts/{username}/password` with `{"password"}`: the account's sessions end.
async fn password(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    Path(username): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult {
    let b: PasswordBody = parse(&body)?;
    let change = AccountChange {
        password_hash: Some(hashed(b.password).await?),
        ..AccountChange::default()
    };
    let action = crm::AuditAction::AccountPassword;
    changed(&app, &who, remote, &username, &change, action, json!({})).await
}
