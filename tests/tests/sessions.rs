//! Sessions against the real binary: an event stream ends when its session does (it kept
//! streaming after a logout), and the login lockout counts the client a trusted proxy names,
//! so one client's failures cannot lock everybody behind the proxy out.

use std::time::{Duration, Instant};

use serde_json::Value;
use switchboard_e2e::http_client::{open_event_stream, request, wait_stream_end};
use switchboard_e2e::{Options, Switch};

const ACCOUNTS: &str = r#"
[[accounts]]
username = "sup"
password = "sup-password"
role = "supervisor"
"#;

fn start(http_extra: &str) -> Switch {
    Switch::start(Options {
        extra_toml: ACCOUNTS.into(),
        http_extra: http_extra.into(),
        ..Default::default()
    })
    .expect("switch starts")
}

/// Logs `sup` in from the client `forwarded` names (if any): status, cookie, CSRF token.
fn login(s: &Switch, password: &str, forwarded: Option<&str>) -> (u16, String, String) {
    let body = format!(r#"{{"username":"sup","password":"{password}"}}"#);
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(f) = forwarded {
        headers.push(("X-Forwarded-For", f));
    }
    let r = request(s.http_port, "POST", "/api/login", &headers, body.as_bytes()).expect("login");
    let cookie = r
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .unwrap_or_default()
        .to_owned();
    let csrf = serde_json::from_str::<Value>(&r.body).unwrap_or(Value::Null)["csrf_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (r.status, cookie, csrf)
}

#[test]
fn an_event_stream_ends_at_logout() {
    let s = start("");
    let (status, cookie, csrf) = login(&s, "sup-password", None);
    assert_eq!(status, 200);
    let mut sse = open_event_stream(s.http_port, &cookie);

    let h = [("Cookie", cookie.as_str()), ("X-CSRF-Token", csrf.as_str())];
    let r = request(s.http_port, "POST", "/api/logout", &h, b"").expect("logout");
    assert_eq!(r.status, 200);
    let logged_out = Instant::now();
    // The stream ends (the chunked body's last chunk, then the connection closes or idles).
    wait_stream_end(&mut sse, logged_out);
    assert!(
        logged_out.elapsed() < Duration::from_secs(12),
        "ended only after {:?}",
        logged_out.elapsed()
    );
}

#[test]
fn failed_logins_behind_a_trusted_proxy_lock_out_only_their_client() {
    let s = start(r#"trusted_proxies = ["127.0.0.1"]"#);
    for i in 0..5 {
        let (status, ..) = login(&s, "wrong-password", Some("198.51.100.7"));
        assert_eq!(status, 401, "failure {i}");
    }
    let (status, ..) = login(&s, "sup-password", Some("198.51.100.7"));
    assert_eq!(status, 429, "the guessing client is locked out");
    // The user, from another client behind the same proxy, still gets in; a forged entry in
    // front of the proxy's does not move the guesser elsewhere.
    let (status, ..) = login(&s, "sup-password", Some("203.0.113.9"));
    assert_eq!(status, 200, "the same user from another client");
    let (status, ..) = login(&s, "sup-password", Some("203.0.113.9, 198.51.100.7"));
    assert_eq!(status, 429, "the left entry is the client's own writing");
}
