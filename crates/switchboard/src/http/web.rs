//! Web calls' HTTP side (docs/webcall.md): the widget's files (`/widget.js`, `/widget.css`),
//! the demo bank page (`/demo`, when `[web] demo_page` names an entry), an entry's public
//! description (`GET /api/web/{entry}`) and the call's WebSocket (`GET /api/web/{entry}/ws`).
//! All open: a bank's visitors have no login. What protects them is the entry's allowed
//! origins (403 before the upgrade), the per-address rate and the cap on calls
//! (`driver/web`).

use crate::http::routing::Routes;
use crate::http::App;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::net::SocketAddr;

const WIDGET_JS: &str = include_str!("../../web/widget.js");
const WIDGET_CSS: &str = include_str!("../../web/widget.css");
const DEMO_HTML: &str = include_str!("../../web/demo.html");

/// Whether `path` is one of the open web-call paths.
pub fn is_open(path: &str) -> bool {
    path == "/widget.js"
        || path == "/widget.css"
        || path == "/demo"
        || path
            .strip_prefix("/api/web/")
            .is_some_and(|rest| !rest.is_empty())
}

pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/widget.js", || async {
            file("text/javascript; charset=utf-8", WIDGET_JS)
        })
        .get("/widget.css", || async {
            file("text/css; charset=utf-8", WIDGET_CSS)
        })
        .get("/demo", demo)
        .get("/api/web/{entry}", describe)
        .get("/api/web/{entry}/ws", socket)
}

/// The widget is loaded by other sites' pages: any origin may take it.
fn file(content_type: &'static str, body: &'static str) -> Response {
    let mut r = crate::http::pages::asset(content_type, body);
    r.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r
}

async fn demo(State(app): State<App>) -> Response {
    let Some(entry) = app.web.settings.demo_page.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut r = DEMO_HTML.replace("{{entry}}", entry).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(crate::http::pages::CSP),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

/// The page's Origin, if the entry allows it.
fn allowed_origin(headers: &HeaderMap, allowed: &[String]) -> Option<String> {
    let origin = headers
        .get(header::ORIGIN)?
        .to_str()
        .ok()?
        .to_ascii_lowercase();
    allowed.contains(&origin).then_some(origin)
}

/// What the widget shows before a call: the entry's message, or that it is closed.
async fn describe(
    State(app): State<App>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(entry) = app.web.settings.entry(&name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let body = serde_json::json!({
        "entry": entry.name,
        "message": entry.message,
        "closed": entry.closed_message.is_some(),
        "closed_message": entry.closed_message,
    });
    let mut r = Json(body).into_response();
    if let Some(origin) = allowed_origin(&headers, &entry.allowed_origins) {
        if let Ok(v) = HeaderValue::from_str(&origin) {
            r.headers_mut()
                .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
            r.headers_mut()
                .insert(header::VARY, HeaderValue::from_static("Origin"));
        }
    }
    r
}

/// The call's WebSocket: the entry must exist and the page's origin be one it allows.
async fn socket(
    State(app): State<App>,
    Path(name): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Some(entry) = app.web.settings.entry(&name).cloned() else {
        return (StatusCode::NOT_FOUND, "no such web entry\n").into_response();
    };
    if allowed_origin(&headers, &entry.allowed_origins).is_none() {
        let origin = headers
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok())
            .unwrap_or("(none)");
        tracing::info!(entry = %name, %origin, "web call from an origin the entry does not allow: 403");
        return (StatusCode::FORBIDDEN, "this page may not call this entry\n").into_response();
    }
    let ip = crate::http::auth::client_addr::client_ip(
        peer.ip(),
        &headers,
        &app.auth.settings.trusted_proxies,
    );
    let gateway = app.web.clone();
    upgrade
        .max_message_size(webcall::signal::MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| crate::driver::web::call::run(gateway, entry, ip, socket))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_origins_may_call() {
        let allowed = vec!["https://bank.example".to_string()];
        let mut h = HeaderMap::new();
        assert_eq!(allowed_origin(&h, &allowed), None, "no Origin");
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://Bank.example"),
        );
        assert_eq!(
            allowed_origin(&h, &allowed).as_deref(),
            Some("https://bank.example")
        );
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert_eq!(allowed_origin(&h, &allowed), None);
        assert!(is_open("/api/web/loans/ws") && is_open("/widget.js"));
        assert!(!is_open("/api/web/") && !is_open("/api/webx"));
    }
}
