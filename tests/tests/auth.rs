//! Access control of the HTTP API against the real binary (SQLite): logins and their cookie,
//! CSRF, lockout, bearer tokens, 401 on every /api route without a login, and every role
//! against every recording endpoint, with an audit row for each playback.
//!
//! Recordings are seeded straight into the switch's database (a CDR linked to an agent, a
//! recording row and a WAV file on disk), so each role and scope is checked on known data.

use serde_json::Value;
use switchboard_e2e::http_client::{request, HttpResponse, Session};
use switchboard_e2e::{seed, Options, Switch, ADMIN_TOKEN};

const ACCOUNTS: &str = r#"
[[agents]]
id = "alice"
extension = "2001"
[[agents]]
id = "bob"
extension = "2002"
[[accounts]]
username = "sup"
password = "sup-password"
role = "supervisor"
[[accounts]]
username = "qa"
password = "qa-password"
role = "qa"
token = "qa-token-0123456789abcdef0123456789abcdef"
[[accounts]]
username = "alice"
password = "alice-password"
role = "agent"
agent = "alice"
[[accounts]]
username = "bob"
password = "bob-password"
role = "agent"
agent = "bob"
"#;

fn start() -> Switch {
    Switch::start(Options {
        extra_toml: ACCOUNTS.into(),
        ..Default::default()
    })
    .expect("switch starts")
}

fn json(r: &HttpResponse) -> Value {
    serde_json::from_str(&r.body).unwrap_or(Value::Null)
}

/// A browser session: the cookie and the CSRF token.
type Login = Session;

fn login(s: &Switch, user: &str, pw: &str) -> anyhow::Result<Login> {
    Session::login(s, user, pw)
}

fn get(s: &Switch, l: &Login, path: &str, extra: &[(&str, &str)]) -> HttpResponse {
    let mut h = vec![("Cookie", l.cookie.as_str())];
    h.extend_from_slice(extra);
    request(s.http_port, "GET", path, &h, b"").expect("request")
}

fn audit(s: &Switch) -> Vec<Value> {
    let r = s.http_send("GET", "/api/audit", None, b"").expect("audit");
    assert_eq!(r.status, 200, "{}", r.body);
    json(&r).as_array().cloned().unwrap_or_default()
}

#[test]
fn every_api_route_needs_a_login_and_health_does_not() {
    let s = start();
    let routes = [
        ("GET", "/api/status"),
        ("GET", "/api/cdrs"),
        ("GET", "/api/cdrs/c1"),
        ("GET", "/api/cdrs/c1/recordings"),
        ("POST", "/api/cdrs/c1/recording/pause"),
        ("GET", "/api/recordings/r1"),
        ("GET", "/api/recordings/r1/audio"),
        ("POST", "/api/dialplans/reload"),
        ("GET", "/api/acd"),
        ("GET", "/api/queues"),
        ("GET", "/api/agents"),
        ("POST", "/api/agents/alice/pause"),
        ("GET", "/api/events"),
        ("GET", "/api/reports/queues"),
        ("GET", "/api/reports/agents"),
        ("GET", "/api/customers"),
        ("POST", "/api/customers"),
        ("POST", "/api/customers/import"),
        ("GET", "/api/customers/1"),
        ("PATCH", "/api/customers/1"),
        ("GET", "/api/customers/by-number/123"),
        ("GET", "/api/audit"),
        ("GET", "/api/accounts"),
        ("POST", "/api/logout"),
        ("GET", "/metrics"),
    ];
    for (m, p) in routes {
        let r = request(s.http_port, m, p, &[], b"").expect("request");
        assert_eq!(r.status, 401, "{m} {p}: {}", r.body);
        let bad = [("Authorization", "Bearer not-a-token")];
        let r = request(s.http_port, m, p, &bad, b"").expect("request");
        assert_eq!(r.status, 401, "{m} {p} with a wrong token");
        let bad = [("Cookie", "sb_session=0000")];
        let r = request(s.http_port, m, p, &bad, b"").expect("request");
        assert_eq!(r.status, 401, "{m} {p} with a wrong cookie");
    }
    // A page's first look: who is logged in, answered without an error (issue 9: the agent
    // page logged a 401 in the browser's console on first load); a wrong token is still 401.
    for headers in [&[][..], &[("Cookie", "sb_session=0000")][..]] {
        let r = request(s.http_port, "GET", "/api/session", headers, b"").expect("session");
        assert_eq!(r.status, 200, "{headers:?}: {}", r.body);
        assert!(r.body.contains(r#""logged_in":false"#), "{}", r.body);
    }
    let bad = [("Authorization", "Bearer not-a-token")];
    let r = request(s.http_port, "GET", "/api/session", &bad, b"").expect("session");
    assert_eq!(r.status, 401, "a wrong bearer token: {}", r.body);
    let r = request(s.http_port, "GET", "/health", &[], b"").expect("health");
    assert_eq!(r.status, 200);
    // The API's description is open too (issue 11), and names the routes it guards.
    let r = request(s.http_port, "GET", "/api/openapi.json", &[], b"").expect("openapi");
    assert_eq!(r.status, 200, "{}", r.body);
    let doc: serde_json::Value = serde_json::from_str(&r.body).expect("JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["paths"]["/api/cdrs/{id}"]["get"]["x-roles"],
        serde_json::json!(["admin", "supervisor", "qa", "agent"])
    );
    // The harness's bearer token is an admin.
    let r = s
        .http_send("GET", "/api/status", None, b"")
        .expect("status");
    assert_eq!(r.status, 200);
}

#[test]
fn login_sets_a_strict_http_only_cookie_and_logout_ends_it() {
    let s = start();
    let r = request(
        s.http_port,
        "POST",
        "/api/login",
        &[("Content-Type", "application/json")],
        br#"{"username":"Alice","password":"alice-password"}"#,
    )
    .expect("login");
    assert_eq!(r.status, 200, "{}", r.body);
    let body = json(&r);
    assert_eq!(body["role"], "agent");
    assert_eq!(body["agent"], "alice");
    assert_eq!(body["csrf_token"].as_str().map(str::len), Some(64));
    let cookie = r.header("set-cookie").expect("cookie");
    let token = cookie
        .strip_prefix("sb_session=")
        .and_then(|c| c.split(';').next())
        .expect("sb_session");
    assert_eq!(token.len(), 64, "256-bit token: {cookie}");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} in {cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP by default: {cookie}"
    );
    let l = login(&s, "alice", "alice-password").expect("login");
    assert_eq!(get(&s, &l, "/api/session", &[]).status, 200);

    // Logout needs the CSRF token like any POST, then the cookie is dead.
    let h = [("Cookie", l.cookie.as_str())];
    let r = request(s.http_port, "POST", "/api/logout", &h, b"").expect("logout");
    assert_eq!(r.status, 403);
    let h = [
        ("Cookie", l.cookie.as_str()),
        ("X-CSRF-Token", l.csrf.as_str()),
    ];
    let r = request(s.http_port, "POST", "/api/logout", &h, b"").expect("logout");
    assert_eq!(r.status, 200);
    let after = get(&s, &l, "/api/session", &[]);
    assert!(
        after.body.contains(r#""logged_in":false"#),
        "{}",
        after.body
    );

    // Wrong password and unknown user: the same answer.
    let bad = |u: &str, p: &str| {
        let body = format!(r#"{{"username":"{u}","password":"{p}"}}"#);
        let ct = [("Content-Type", "application/json")];
        request(s.http_port, "POST", "/api/login", &ct, body.as_bytes()).expect("login")
    };
    let (a, b) = (bad("alice", "nope-nope"), bad("nobody", "nope-nope"));
    assert_eq!((a.status, b.status), (401, 401));
    assert_eq!(a.body, b.body);
    // The database holds argon2id hashes only.
    let accounts = s
        .http_send("GET", "/api/accounts", None, b"")
        .expect("accounts");
    assert_eq!(accounts.status, 200);
    assert!(!accounts.body.contains("alice-password"));
    // Issue 9: a bearer token's use is kept like a session's (this request used the admin's).
    let list: Vec<serde_json::Value> = serde_json::from_str(&accounts.body).expect("json");
    let admin = list
        .iter()
        .find(|a| a["username"] == switchboard_e2e::ADMIN_USER)
        .expect("admin");
    assert!(admin["token_last_used_at"].is_string(), "{}", accounts.body);
    let alice = list
        .iter()
        .find(|a| a["username"] == "alice")
        .expect("alice");
    assert!(alice["token_last_used_at"].is_null(), "{}", accounts.body);
}

#[test]
fn state_changes_with_a_cookie_need_the_csrf_token_and_bearer_does_not() {
    let s = start();
    let l = login(&s, "sup", "sup-password").expect("login");
    let body = br#"{"name":"Kim","phones":[{"number":"+821012345678"}]}"#;
    let post =
        |h: &[(&str, &str)]| request(s.http_port, "POST", "/api/customers", h, body).expect("post");
    let ct = ("Content-Type", "application/json");
    let r = post(&[("Cookie", &l.cookie), ct]);
    assert_eq!(r.status, 403, "no token: {}", r.body);
    let r = post(&[
        ("Cookie", &l.cookie),
        ct,
        ("X-CSRF-Token", "0".repeat(64).as_str()),
    ]);
    assert_eq!(r.status, 403, "wrong token");
    let r = post(&[("Cookie", &l.cookie), ct, ("X-CSRF-Token", &l.csrf)]);
    assert_eq!(r.status, 201, "{}", r.body);
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    let body2 = br#"{"name":"Lee","phones":[{"number":"+821087654321"}]}"#;
    let r = request(
        s.http_port,
        "POST",
        "/api/customers",
        &[("Authorization", &bearer), ct],
        body2,
    )
    .expect("post");
    assert_eq!(r.status, 201, "bearer needs no CSRF: {}", r.body);
}

#[test]
fn five_failed_logins_lock_the_username_for_a_while() {
    let s = start();
    let try_login = |pw: &str| {
        let body = format!(r#"{{"username":"qa","password":"{pw}"}}"#);
        let ct = [("Content-Type", "application/json")];
        request(s.http_port, "POST", "/api/login", &ct, body.as_bytes()).expect("login")
    };
    for i in 0..5 {
        assert_eq!(try_login("wrong-password").status, 401, "failure {i}");
    }
    let r = try_login("qa-password");
    assert_eq!(r.status, 429, "locked even with the right password");
    assert!(r.header("retry-after").is_some());
    // Another username is not affected.
    assert!(login(&s, "sup", "sup-password").is_ok());
}

#[test]
fn every_role_against_every_recording_endpoint() {
    let s = start();
    let (alice_rec, bytes) = seed::recording(&s, "call-alice", "alice", 4000).expect("seed");
    let (bob_rec, _) = seed::recording(&s, "call-bob", "bob", 100).expect("seed");
    let logins = [
        (
            "admin",
            login(&s, "admin", switchboard_e2e::ADMIN_PASSWORD).expect("admin"),
        ),
        ("sup", login(&s, "sup", "sup-password").expect("sup")),
        ("qa", login(&s, "qa", "qa-password").expect("qa")),
        (
            "alice",
            login(&s, "alice", "alice-password").expect("alice"),
        ),
        ("bob", login(&s, "bob", "bob-password").expect("bob")),
    ];
    let endpoints = |rec: &str, call: &str| {
        [
            format!("/api/recordings/{rec}"),
            format!("/api/cdrs/{call}/recordings"),
            format!("/api/cdrs/{call}"),
            format!("/api/recordings/{rec}/audio"),
        ]
    };
    let mut plays = 0;
    for (who, l) in &logins {
        for path in endpoints(&alice_rec, "call-alice") {
            let r = get(&s, l, &path, &[]);
            let allowed = *who != "bob";
            assert_eq!(r.status, if allowed { 200 } else { 403 }, "{who} {path}");
            if allowed && path.ends_with("/audio") {
                plays += 1;
                assert_eq!(r.header("content-type"), Some("audio/wav"));
                assert_eq!(r.header("accept-ranges"), Some("bytes"));
                assert_eq!(r.body, String::from_utf8_lossy(&bytes));
                let r = get(&s, l, &path, &[("Range", "bytes=100-199")]);
                plays += 1;
                assert_eq!(r.status, 206, "{who} range");
                assert_eq!(r.header("content-range"), Some("bytes 100-199/4000"));
                assert_eq!(r.header("content-length"), Some("100"));
                assert_eq!(r.body, String::from_utf8_lossy(&bytes[100..200]));
                let r = get(&s, l, &path, &[("Range", "bytes=-10")]);
                plays += 1;
                assert_eq!(r.header("content-range"), Some("bytes 3990-3999/4000"));
                let r = get(&s, l, &path, &[("Range", "bytes=5000-")]);
                assert_eq!(r.status, 416);
                assert_eq!(r.header("content-range"), Some("bytes */4000"));
            }
        }
        // Bob's recording: alice may not have it, bob may.
        let audio = format!("/api/recordings/{bob_rec}/audio");
        let r = get(&s, l, &audio, &[("Range", "bytes=0-9")]);
        let allowed = *who != "alice";
        assert_eq!(r.status, if allowed { 206 } else { 403 }, "{who} {audio}");
        if allowed {
            plays += 1;
        }
    }
    // A QA bearer token works too (no CSRF needed for GET anyway).
    let bearer = "Bearer qa-token-0123456789abcdef0123456789abcdef";
    let audio = format!("/api/recordings/{alice_rec}/audio");
    let r = request(
        s.http_port,
        "GET",
        &audio,
        &[("Authorization", bearer)],
        b"",
    )
    .expect("qa");
    assert_eq!(r.status, 200);
    plays += 1;
    // Agents see only their own calls in the list.
    let alice = &logins[3].1;
    let list = json(&get(&s, alice, "/api/cdrs", &[]));
    let ids: Vec<_> = list
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["call_id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(ids, ["call-alice"]);
    // QA and agents may not read the audit log; every playback is in it.
    assert_eq!(get(&s, &logins[2].1, "/api/audit", &[]).status, 403);
    assert_eq!(get(&s, alice, "/api/audit", &[]).status, 403);
    let rows = audit(&s);
    assert_eq!(rows.len(), plays, "{rows:?}");
    let first = &rows[0];
    assert_eq!(first["account"], "admin");
    assert_eq!(first["action"], "recording.download");
    assert_eq!(first["object_id"], alice_rec.as_str());
    assert_eq!(first["detail"], "bytes 0-3999/4000");
    assert!(first["remote_addr"]
        .as_str()
        .is_some_and(|a| a.starts_with("127.0.0.1:")));
    assert_eq!(rows[1]["action"], "recording.play");
    assert_eq!(rows[1]["detail"], "bytes 100-199/4000");
    let by_alice = rows.iter().filter(|r| r["account"] == "alice").count();
    assert_eq!(by_alice, 3, "alice played only her own recording");
    assert!(rows
        .iter()
        .all(|r| !(r["account"] == "alice" && r["object_id"] == bob_rec.as_str())));
}
