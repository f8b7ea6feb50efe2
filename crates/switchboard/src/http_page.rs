//! The agent page: `GET /` redirects to `/agent`, which serves a plain HTML page with its script
//! and style sheet, all compiled into the binary (no build step, nothing from other sites). The
//! page logs in through the API and uses its session cookie, so the page itself needs no login
//! (see `auth::roles::is_open`). Every answer forbids other origins' content and must be
//! revalidated, so an upgraded switch never runs with a cached old script.

use crate::http::App;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

/// The paths this module serves; they are open to everyone (the data behind them is not).
pub const PATHS: [&str; 4] = ["/", "/agent", "/agent.js", "/agent.css"];

/// The page's policy: scripts, styles, images and connections from the switch only.
pub const CSP: &str =
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const HTML: &str = include_str!("../web/agent.html");
const JS: &str = include_str!("../web/agent.js");
const CSS: &str = include_str!("../web/agent.css");

pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/agent") }))
        .route(
            "/agent",
            get(|| async { asset("text/html; charset=utf-8", HTML) }),
        )
        .route(
            "/agent.js",
            get(|| async { asset("text/javascript; charset=utf-8", JS) }),
        )
        .route(
            "/agent.css",
            get(|| async { asset("text/css; charset=utf-8", CSS) }),
        )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_carry_their_type_and_the_policy() {
        let r = asset("text/css; charset=utf-8", CSS);
        let h = r.headers();
        assert_eq!(h[header::CONTENT_TYPE], "text/css; charset=utf-8");
        assert!(h[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .is_ok_and(|v| v.starts_with("default-src 'self'")));
        assert_eq!(h[header::CACHE_CONTROL], "no-cache");
    }

    #[test]
    fn the_page_loads_only_its_own_files_and_never_inline_code() {
        assert!(HTML.contains(r#"<script src="/agent.js""#));
        assert!(HTML.contains(r#"href="/agent.css""#));
        // The policy refuses inline scripts, styles and event handlers: the page has none.
        assert_eq!(HTML.matches("<script").count(), 1);
        assert!(!HTML.contains("<style"));
        assert!(!HTML.contains(" style="));
        assert!(!HTML.contains(" onclick="));
        assert!(!HTML.contains("http://") && !HTML.contains("https://"));
        // Data goes in through textContent only.
        assert!(!JS.contains("innerHTML"));
        assert!(!JS.contains("insertAdjacentHTML"));
    }
}
