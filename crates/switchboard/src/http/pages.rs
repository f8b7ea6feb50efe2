//! The web pages: `GET /` redirects to `/agent`, the agent desk, and `/wallboard` shows
//! supervisors the queues and agents live. Each is a plain HTML page with its script (and the
//! shared style sheet), all compiled into the binary (no build step, nothing from other sites).
//! The pages log in through the API and use its session cookie, so the pages themselves need no
//! login (see `auth::roles::is_open`). Every answer forbids other origins' content and must be
//! revalidated, so an upgraded switch never runs with a cached old script.

use crate::http::routing::Routes;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};

/// The paths this module serves; they are open to everyone (the data behind them is not).
pub const PATHS: [&str; 6] = [
    "/",
    "/agent",
    "/agent.js",
    "/agent.css",
    "/wallboard",
    "/wallboard.js",
];

/// The page's policy: scripts, styles, images and connections from the switch only.
pub const CSP: &str =
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const HTML: &str = include_str!("../../web/agent.html");
const JS: &str = include_str!("../../web/agent.js");
const CSS: &str = include_str!("../../web/agent.css");
const WALLBOARD_HTML: &str = include_str!("../../web/wallboard.html");
const WALLBOARD_JS: &str = include_str!("../../web/wallboard.js");

pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/", || async { Redirect::to("/agent") })
        .get("/agent", || async {
            asset("text/html; charset=utf-8", HTML)
        })
        .get("/agent.js", || async {
            asset("text/javascript; charset=utf-8", JS)
        })
        .get("/agent.css", || async {
            asset("text/css; charset=utf-8", CSS)
        })
        .get("/wallboard", || async {
            asset("text/html; charset=utf-8", WALLBOARD_HTML)
        })
        .get("/wallboard.js", || async {
            asset("text/javascript; charset=utf-8", WALLBOARD_JS)
        })
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
    fn the_pages_load_only_their_own_files_and_never_inline_code() {
        for (html, js, script) in [
            (HTML, JS, "/agent.js"),
            (WALLBOARD_HTML, WALLBOARD_JS, "/wallboard.js"),
        ] {
            assert!(html.contains(&format!(r#"<script src="{script}""#)));
            assert!(html.contains(r#"href="/agent.css""#));
            // The policy refuses inline scripts, styles and event handlers: the pages have none.
            assert_eq!(html.matches("<script").count(), 1);
            assert!(!html.contains("<style"));
            assert!(!html.contains(" style="));
            assert!(!html.contains(" onclick="));
            assert!(!html.contains("http://") && !html.contains("https://"));
            // Data goes in through textContent only.
            assert!(!js.contains("innerHTML"));
            assert!(!js.contains("insertAdjacentHTML"));
        }
    }
}
