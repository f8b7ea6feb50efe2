//! The access-control layer in front of every route: identify the caller, refuse what the
//! route table refuses, check CSRF on cookie requests, and check agents' scopes against the
//! database. 401 means "log in", 403 "not for you".

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::roles::{self, Decision, Scope};
use super::{password, Credential, Principal, CSRF_HEADER, SESSION_COOKIE};
use crate::http::error::{ApiError, ErrorKind};
use crate::http::App;

fn refuse(kind: ErrorKind, message: &str) -> Response {
    let mut r = ApiError::new(kind, message).into_response();
    if kind == ErrorKind::Unauthorized {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer realm=\"switchboard\""),
        );
    }
    r
}

/// The value of cookie `name`, if sent.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Who is asking: `Ok(None)` when no credential was sent, `Err` for a database failure.
async fn identify(app: &App, headers: &HeaderMap) -> Result<Option<Principal>, crm::CrmError> {
    if let Some(token) = bearer(headers) {
        let hash = password::token_hash(token);
        let account = app.crm.account_by_token_hash(&hash).await?;
        // Its use is kept like a session's last use, to the minute (one write a minute).
        let now = Utc::now();
        if account.as_ref().is_some_and(|a| {
            a.token_last_used_at
                .is_none_or(|t| now - t >= chrono::Duration::seconds(TOKEN_USE_GRANULARITY_S))
        }) {
            app.crm.token_used(&hash, now).await?;
        }
        return Ok(account.map(|a| Principal {
            username: a.username,
            role: a.role,
            agent: a.agent_id,
            credential: Credential::Bearer,
        }));
    }
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = password::token_hash(token);
    let session = app
        .crm
        .session(&hash, Utc::now(), app.auth.settings.session_limits())
        .await?;
    Ok(session.map(|s| Principal {
        username: s.account.username,
        role: s.account.role,
        agent: s.account.agent_id,
        credential: Credential::Session {
            token_hash: hash,
            csrf_token: s.csrf_token,
        },
    }))
}

/// How stale an account's `token_last_used_at` may get before a request with the token
/// writes it again.
const TOKEN_USE_GRANULARITY_S: i64 = 60;

fn state_changing(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Percent-decodes one path segment as axum's `Path` does (invalid UTF-8 refuses it).
fn decode_segment(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Whether an agent may touch the object the scope names.
async fn in_scope(app: &App, scope: Scope, path: &str, agent: &str) -> Result<bool, crm::CrmError> {
    let segment = |n: usize| path.split('/').nth(n + 1).and_then(decode_segment);
    let owns_call = |call_id: String| async move {
        Ok::<_, crm::CrmError>(
            app.crm
                .cdr(&call_id)
                .await?
                .is_some_and(|c| c.agent.as_deref() == Some(agent)),
        )
    };
    match scope {
        Scope::Any => Ok(true),
        Scope::OwnAgent(n) => Ok(segment(n).is_some_and(|s| s == agent)),
        Scope::OwnCall(n) => match segment(n) {
            Some(call_id) => owns_call(call_id).await,
            None => Ok(false),
        },
        Scope::OwnRecording(n) => match segment(n) {
            Some(id) => match app.crm.recording(&id).await? {
                Some(r) => owns_call(r.call_id).await,
                None => Ok(false),
            },
            None => Ok(false),
        },
    }
}

/// The layer: see the module doc.
pub async fn guard(State(app): State<App>, mut req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    if roles::is_open(&method, &path, app.auth.settings.open_metrics) {
        return next.run(req).await;
    }
    let principal = match identify(&app, req.headers()).await {
        Ok(Some(p)) => p,
        // A browser without a live session: the handler answers `{"logged_in": false}`. A
        // wrong bearer token still gets 401 (a script's mistake, not a page's first look).
        Ok(None) if roles::login_optional(&method, &path) && bearer(req.headers()).is_none() => {
            return next.run(req).await
        }
        Ok(None) => return refuse(ErrorKind::Unauthorized, "login required"),
        Err(e) => return ApiError::from(e).into_response(),
    };
    if let Credential::Session { csrf_token, .. } = &principal.credential {
        if state_changing(&method) {
            let sent = req
                .headers()
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !password::tokens_equal(sent, csrf_token) {
                return refuse(ErrorKind::Forbidden, "missing or wrong X-CSRF-Token");
            }
        }
    }
    match roles::decide(principal.role, &method, &path) {
        Decision::Allow(Scope::Any) => {}
        Decision::Allow(scope) => {
            let agent = principal.only_agent().unwrap_or("");
            match in_scope(&app, scope, &path, agent).await {
                Ok(true) => {}
                Ok(false) => return refuse(ErrorKind::Forbidden, "not one of your calls"),
                Err(e) => return ApiError::from(e).into_response(),
            }
        }
        Decision::Deny => {
            return refuse(
                ErrorKind::Forbidden,
                &format!("role {} may not {method} {path}", principal.role),
            )
        }
    }
    let bearer_hash = bearer(req.headers()).map(password::token_hash);
    req.extensions_mut().insert(principal.clone());
    let response = next.run(req).await;
    if super::streams::is_event_stream(&response) {
        return super::streams::end_with_session(app, principal, bearer_hash, response);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_bearer_tokens_are_found() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; sb_session=abc ; b=2".parse().expect("value"),
        );
        assert_eq!(cookie(&h, "sb_session"), Some("abc"));
        assert_eq!(cookie(&h, "sb"), None);
        h.insert(
            header::AUTHORIZATION,
            "bearer tok123".parse().expect("value"),
        );
        assert_eq!(bearer(&h), Some("tok123"));
        h.insert(header::AUTHORIZATION, "Basic xyz".parse().expect("value"));
        assert_eq!(bearer(&h), None);
    }

    #[test]
    fn segments_decode_like_axum() {
        assert_eq!(decode_segment("a%40b").as_deref(), Some("a@b"));
        assert_eq!(decode_segment("plain").as_deref(), Some("plain"));
        assert_eq!(decode_segment("bad%4"), None);
        assert_eq!(decode_segment("%ff"), None);
    }
}
