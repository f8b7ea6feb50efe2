//! Login, logout and the session; account and audit listings.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, DefaultBodyLimit, Query, State};
use axum::handler::Handler;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{password, Credential, Principal, SESSION_COOKIE};
use crate::http::error::{ApiError, ApiResult, ErrorKind};
use crate::http::routing::Routes;
use crate::http::App;

/// Largest login body.
const LOGIN_LIMIT: usize = 4 * 1024;
/// Longest password looked at (argon2 takes any length; this bounds the work).
const MAX_PASSWORD_BYTES: usize = 1024;

pub(crate) fn routes() -> Routes {
    Routes::new()
        .post(
            "/api/login",
            login.layer(DefaultBodyLimit::max(LOGIN_LIMIT)),
        )
        .post("/api/logout", logout)
        .get("/api/session", session)
        .get("/api/accounts", accounts)
        .get("/api/audit", audit)
}

#[derive(Deserialize)]
struct Login {
    username: String,
    password: String,
}

async fn login(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<Login>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    let Ok(Json(login)) = body else {
        return Err(ApiError::bad_request(
            "send {\"username\": \"...\", \"password\": \"...\"}",
        ));
    };
    let user = login.username.trim().to_ascii_lowercase();
    // Behind a trusted proxy, the client it names: else every user shares the proxy's address
    // and anyone could lock anyone out.
    let ip = super::client_addr::client_ip(peer.ip(), &headers, &app.auth.settings.trusted_proxies);
    if let Some(wait) = app
        .auth
        .with_lockout(|l| l.locked(&user, ip, Instant::now()))
    {
        let refused = "too many failed logins: try again later";
        let mut r = ApiError::new(ErrorKind::TooManyRequests, refused).into_response();
        let secs = wait.as_secs().max(1).to_string();
        if let Ok(v) = HeaderValue::from_str(&secs) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(r);
    }
    let account = app
        .crm
        .account_by_username(&user)
        .await?
        .filter(|a| !a.disabled);
    // Unknown users are checked against a dummy hash: same work, same answer.
    let hash = match &account {
        Some(a) => a.password_hash.clone(),
        None => app.auth.dummy_hash().await,
    };
    let pw = login.password;
    let verified = if pw.len() > MAX_PASSWORD_BYTES {
        false
    } else {
        match app.password_checks.verify(pw, hash).await {
            Ok(v) => v,
            Err(busy) => {
                // Not a failed login: the client retries (docs/security.md, "Limits").
                let mut r = ApiError::new(ErrorKind::Unavailable, busy.to_string()).into_response();
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                return Ok(r);
            }
        }
    };
    let Some(account) = account.filter(|_| verified) else {
        let locked = app
            .auth
            .with_lockout(|l| l.failed(&user, ip, Instant::now()));
        tracing::warn!(username = %user, addr = %ip, locked = locked.is_some(), "failed login");
        let invalid = "invalid username or password";
        return Err(ApiError::new(ErrorKind::Unauthorized, invalid));
    };
    app.auth.with_lockout(|l| l.succeeded(&user, ip));
    let token = password::random_token();
    let csrf = password::random_token();
    let new = crm::NewSession {
        token_hash: password::token_hash(&token),
        account_id: account.id,
        csrf_token: csrf.clone(),
        created_at: Utc::now(),
    };
    app.crm.create_session(&new).await?;
    tracing::info!(username = %user, addr = %ip, role = %account.role, "login");
    let cookie = format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}",
        app.auth.settings.session_idle.as_secs(),
        if app.auth.settings.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    );
    let mut r = Json(serde_json::json!({
        "username": account.username,
        "role": account.role,
        "agent": account.agent_id,
        "csrf_token": csrf,
        "browser_phone": app.web.settings.agent_phones,
    }))
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

async fn logout(State(app): State<App>, Extension(who): Extension<Principal>) -> ApiResult {
    if let Credential::Session { token_hash, .. } = &who.credential {
        app.crm.delete_session(token_hash).await?;
    }
    let mut r = Json(serde_json::json!({ "logged_out": true })).into_response();
    let expired = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    if let Ok(v) = HeaderValue::from_str(&expired) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

/// Who is logged in, and the CSRF token again (a page reloaded after login needs it); without
/// a live session, `{"logged_in": false}` with 200, so a page's first look logs no error.
/// Who is logged in, and whether the agent page may offer the browser phone
/// (`[web] agent_phones`).
async fn session(State(app): State<App>, who: Option<Extension<Principal>>) -> Response {
    let Some(Extension(who)) = who else {
        return Json(serde_json::json!({ "logged_in": false })).into_response();
    };
    let csrf = match &who.credential {
        Credential::Session { csrf_token, .. } => Some(csrf_token.clone()),
        Credential::Bearer => None,
    };
    Json(serde_json::json!({
        "logged_in": true,
        "username": who.username,
        "role": who.role,
        "agent": who.agent,
        "csrf_token": csrf,
        "browser_phone": app.web.settings.agent_phones,
    }))
    .into_response()
}

async fn accounts(State(app): State<App>) -> ApiResult {
    let list = app.crm.accounts().await?;
    Ok(Json(
        list.into_iter()
            .map(|a| {
                serde_json::json!({
                    "username": a.username,
                    "role": a.role,
                    "agent": a.agent_id,
                    "extension": a.extension,
                    "disabled": a.disabled,
                    "bearer_token": a.token_hash.is_some(),
                    "token_last_used_at": a.token_last_used_at,
                    "managed_by": if a.managed_by_api { "api" } else { "file" },
                    "created_at": a.created_at,
                    "updated_at": a.updated_at,
                })
            })
            .collect::<Vec<_>>(),
    )
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Between {
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    limit: Option<u32>,
}

/// `GET /api/audit?from=&to=&limit=`: RFC 3339 times, default the last 24 hours.
async fn audit(
    State(app): State<App>,
    q: Result<Query<Between>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let Ok(Query(q)) = q else {
        return Err(ApiError::bad_request(
            "from and to are RFC 3339 times (2025-03-01T09:00:00Z), limit a number",
        ));
    };
    let to =
        q.to.unwrap_or_else(|| Utc::now() + chrono::Duration::seconds(1));
    let from = q.from.unwrap_or(to - chrono::Duration::days(1));
    let rows = app
        .crm
        .audit_between(from, to, q.limit.unwrap_or(1000))
        .await?;
    Ok(Json(rows).into_response())
}
