//! The web console: `GET /` redirects to `/agent`; `/agent` is the agent desk, `/wallboard`
//! the supervisors' live view, `/reports` the reports (tables, charts, CSV), `/staffing` the
//! week's staffing plan, `/admin` the administration of extensions, queues, agents, dialplans
//! and accounts, and `/review` the QA tasks and the review of a call's recording (`?task=`,
//! `?cdr=`), `/qa-reports` the QA reports. Every page shares one layout, script and style sheet (`app.js`, `app.css`:
//! header, navigation by role, login, language, formats) and the message files
//! `/i18n/en.json` and `/i18n/ko.json`; all are compiled into the binary (no build step,
//! nothing from other sites). The pages log in through the API and use its session cookie, so
//! the files themselves need no login (see `auth::roles::is_open`). Every answer forbids other
//! origins' content and must be revalidated, so an upgraded switch never runs an old script.

use crate::http::routing::Routes;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};

/// The page's policy: scripts, styles, images and connections from the switch only.
pub const CSP: &str =
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// (path, content type, body) of every file of the console.
const ASSETS: [(&str, &str, &str); 35] = [
    ("/agent", HTML, include_str!("../../web/agent.html")),
    ("/wallboard", HTML, include_str!("../../web/wallboard.html")),
    ("/admin", HTML, include_str!("../../web/admin.html")),
    ("/staffing", HTML, include_str!("../../web/staffing.html")),
    ("/staffing.js", JS, include_str!("../../web/staffing.js")),
    (
        "/staffing-chart.js",
        JS,
        include_str!("../../web/staffing-chart.js"),
    ),
    ("/reports", HTML, include_str!("../../web/reports.html")),
    ("/reports.js", JS, include_str!("../../web/reports.js")),
    ("/app.js", JS, include_str!("../../web/app.js")),
    ("/app.css", CSS, include_str!("../../web/app.css")),
    ("/agent.js", JS, include_str!("../../web/agent.js")),
    (
        "/agent-dial.js",
        JS,
        include_str!("../../web/agent-dial.js"),
    ),
    (
        "/agent-consult.js",
        JS,
        include_str!("../../web/agent-consult.js"),
    ),
    (
        "/agent-phone.js",
        JS,
        include_str!("../../web/agent-phone.js"),
    ),
    ("/wallboard.js", JS, include_str!("../../web/wallboard.js")),
    ("/admin.js", JS, include_str!("../../web/admin.js")),
    (
        "/admin-form.js",
        JS,
        include_str!("../../web/admin-form.js"),
    ),
    (
        "/admin-users.js",
        JS,
        include_str!("../../web/admin-users.js"),
    ),
    (
        "/admin-agents.js",
        JS,
        include_str!("../../web/admin-agents.js"),
    ),
    (
        "/admin-accounts.js",
        JS,
        include_str!("../../web/admin-accounts.js"),
    ),
    (
        "/admin-trunks.js",
        JS,
        include_str!("../../web/admin-trunks.js"),
    ),
    ("/review", HTML, include_str!("../../web/review.html")),
    ("/review.js", JS, include_str!("../../web/review.js")),
    (
        "/review-context.js",
        JS,
        include_str!("../../web/review-context.js"),
    ),
    (
        "/review-task.js",
        JS,
        include_str!("../../web/review-task.js"),
    ),
    (
        "/review-tasks.js",
        JS,
        include_str!("../../web/review-tasks.js"),
    ),
    (
        "/qa-reports",
        HTML,
        include_str!("../../web/qa-reports.html"),
    ),
    (
        "/qa-reports.js",
        JS,
        include_str!("../../web/qa-reports.js"),
    ),
    ("/player.js", JS, include_str!("../../web/player.js")),
    ("/qa-form.js", JS, include_str!("../../web/qa-form.js")),
    // The review page's evaluation form until forms come from the QA API.
    (
        "/qa-default-form.json",
        JSON,
        include_str!("../../web/qa-default-form.json"),
    ),
    ("/i18n.js", JS, include_str!("../../web/i18n.js")),
    (
        "/i18n/en.json",
        JSON,
        include_str!("../../web/i18n/en.json"),
    ),
    (
        "/i18n/ko.json",
        JSON,
        include_str!("../../web/i18n/ko.json"),
    ),
    // Linked by every page, so browsers do not ask for /favicon.ico (a 401 in the console).
    ("/favicon.svg", SVG, include_str!("../../web/favicon.svg")),
];

/// Whether `path` is one of the console's files (open to everyone; the data behind is not).
pub fn is_page(path: &str) -> bool {
    path == "/" || ASSETS.iter().any(|(p, _, _)| *p == path)
}

pub(crate) fn routes() -> Routes {
    ASSETS.iter().fold(
        Routes::new().get("/", || async { Redirect::to("/agent") }),
        |routes, &(path, content_type, body)| {
            routes.get(path, move || async move { asset(content_type, body) })
        },
    )
}

pub(crate) fn asset(content_type: &'static str, body: &'static str) -> Response {
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
    use std::collections::BTreeSet;

    fn body(path: &str) -> &'static str {
        ASSETS
            .iter()
            .find(|(p, _, _)| *p == path)
            .map(|(_, _, b)| *b)
            .unwrap_or_else(|| panic!("no asset {path}"))
    }

    fn messages(path: &str) -> serde_json::Map<String, serde_json::Value> {
        match serde_json::from_str(body(path)) {
            Ok(serde_json::Value::Object(m)) => m,
            other => panic!("{path} is not a JSON object: {other:?}"),
        }
    }

    /// The quoted keys after each `marker` (`t('key'` in scripts, `data-i18n="key"` in pages)
    /// that starts a word (`get('Retry-After'` is not a `t('` call).
    fn keys_after<'a>(text: &'a str, marker: &str, quote: char) -> Vec<&'a str> {
        text.match_indices(marker)
            .filter(|(at, _)| {
                let before = text.get(..*at).and_then(|b| b.chars().next_back());
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
            })
            .filter_map(|(at, _)| text.get(at + marker.len()..)?.split(quote).next())
            .collect()
    }

    #[test]
    fn assets_carry_their_type_and_the_policy() {
        let r = asset(CSS, body("/app.css"));
        let h = r.headers();
        assert_eq!(h[header::CONTENT_TYPE], "text/css; charset=utf-8");
        assert!(h[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .is_ok_and(|v| v.starts_with("default-src 'self'")));
        assert_eq!(h[header::CACHE_CONTROL], "no-cache");
        assert!(is_page("/i18n/ko.json") && is_page("/") && !is_page("/i18n/fr.json"));
    }

    #[test]
    fn the_pages_load_only_their_own_files_and_never_inline_code() {
        for (page, script) in [
            ("/agent", "/agent.js"),
            ("/wallboard", "/wallboard.js"),
            ("/admin", "/admin.js"),
            ("/review", "/review.js"),
            ("/qa-reports", "/qa-reports.js"),
            ("/reports", "/reports.js"),
        ] {
            let html = body(page);
            assert!(html.contains(&format!(r#"<script type="module" src="{script}""#)));
            assert!(html.contains(r#"href="/app.css""#));
            // The policy refuses inline scripts, styles and event handlers: the pages have none.
            assert_eq!(html.matches("<script").count(), 1, "{page}");
            assert!(!html.contains("<style"));
            assert!(!html.contains(" style="));
            assert!(!html.contains(" onclick="));
            assert!(!html.contains("http://") && !html.contains("https://"));
        }
        for (path, _, text) in ASSETS.iter().filter(|(_, ty, _)| *ty == JS) {
            // Data goes in through textContent only.
            assert!(!text.contains("innerHTML"), "{path}");
            assert!(!text.contains("insertAdjacentHTML"), "{path}");
        }
    }

    /// Both languages say everything: the same keys, none empty, and every key a page or a
    /// script names (`data-i18n="…"`, `t('…')`) is in them.
    #[test]
    fn every_message_the_console_uses_exists_in_english_and_korean() {
        let en = messages("/i18n/en.json");
        let ko = messages("/i18n/ko.json");
        let en_keys: BTreeSet<_> = en.keys().collect();
        let ko_keys: BTreeSet<_> = ko.keys().collect();
        assert_eq!(
            en_keys.symmetric_difference(&ko_keys).collect::<Vec<_>>(),
            Vec::<&&String>::new(),
            "keys in one language only"
        );
        for (key, value) in en.iter().chain(ko.iter()) {
            assert!(
                value.as_str().is_some_and(|v| !v.trim().is_empty()),
                "{key}: {value}"
            );
        }
        let mut used = Vec::new();
        for (path, ty, text) in ASSETS {
            if ty == HTML {
                for attr in ["data-i18n=\"", "data-i18n-label=\""] {
                    used.extend(keys_after(text, attr, '"').into_iter().map(|k| (path, k)));
                }
            } else if ty == JS {
                used.extend(keys_after(text, "t('", '\'').into_iter().map(|k| (path, k)));
            }
        }
        assert!(used.len() > 50, "the scan finds the keys: {used:?}");
        for (path, key) in used {
            // A key built at run time (`t(`state.${s}`)`) is checked by the browser test.
            if key.contains('$') {
                continue;
            }
            assert!(
                en.contains_key(key),
                "{path} uses `{key}`, missing from en.json"
            );
        }
    }
}
