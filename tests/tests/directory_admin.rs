//! Extensions, agents and accounts managed through the HTTP API, end to end with the real
//! binary and SIPp, no restart in between: an extension created by API registers and calls
//! another; its new password refuses the old one; deleted, its REGISTER is refused like an
//! unknown user's; bad bodies get 400 with the field; a restart keeps what was stored. An agent
//! created by API (skill, queue, weight) logs in through the API and a queued call reaches it.
//! Its changes (PIN kept when not sent, weights set through the membership endpoint) survive
//! a restart. A supervisor account created by API logs in and reads the wallboard's data; disabled, its
//! session ends at once and its event stream soon after. Every change is in the audit log.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use switchboard_e2e::acd::{login, queue_calls};
use switchboard_e2e::http_client::{open_event_stream, request, wait_stream_end, HttpResponse};
use switchboard_e2e::{
    callee_with, free_port, scenario, sipp, talking_caller, Options, Sipp, Switch,
};

const NEW_EXT: &str = "2105";
const FIRST_PASSWORD: &str = "first-2105-pass";
const SECOND_PASSWORD: &str = "second-2105-pass";

fn json(r: &HttpResponse) -> Value {
    serde_json::from_str(&r.body).unwrap_or(Value::Null)
}

fn send(sw: &Switch, method: &str, path: &str, body: &str) -> HttpResponse {
    sw.http_json(method, path, body).expect("HTTP request")
}

fn first_field(r: &HttpResponse) -> String {
    json(r)["errors"][0]["field"]
        .as_str()
        .unwrap_or("?")
        .to_string()
}

/// REGISTER `ext` with `password` from a fresh port (tests/sipp/register.xml: 401, then 200).
fn register_with(sw: &Switch, ext: &str, password: &str) -> Sipp {
    let port = free_port().to_string();
    sipp(
        sw,
        &format!("register-{ext}-{port}"),
        &scenario("register.xml"),
        &[
            "-s", ext, "-au", ext, "-ap", password, "-m", "1", "-p", &port,
        ],
    )
    .expect("sipp starts")
}

fn audit_actions(sw: &Switch) -> Vec<(String, String)> {
    let audit: Value =
        serde_json::from_str(&sw.http_get("/api/audit").expect("audit")).expect("JSON");
    audit
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    (
                        x["action"].as_str().unwrap_or_default().to_string(),
                        x["object_id"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn an_extension_made_by_api_registers_calls_changes_password_and_is_removed() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let mut sw = Switch::start(Options::default()).expect("switch starts");
    let log = |sw: &Switch| format!("\n--- switch log ---\n{}", sw.log_text());

    // Refusals first: weak password, bad extension, an extension that exists (400, by field).
    for (body, field) in [
        (
            r#"{"extension": "2105", "password": "1234567890"}"#,
            "password",
        ),
        (
            r#"{"extension": "21 05", "password": "first-2105-pass"}"#,
            "extension",
        ),
        (
            r#"{"extension": "2001", "password": "first-2105-pass"}"#,
            "extension",
        ),
        (r#"{"extension": "2105"}"#, "password"),
    ] {
        let r = send(&sw, "POST", "/api/users", body);
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert_eq!(first_field(&r), field, "{body}: {}", r.body);
    }

    let body = format!(
        r#"{{"extension": "{NEW_EXT}", "name": "Front Desk", "password": "{FIRST_PASSWORD}"}}"#
    );
    let r = send(&sw, "POST", "/api/users", &body);
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(
        r.body.find(FIRST_PASSWORD).is_none(),
        "write-only: {}",
        r.body
    );
    let users = send(&sw, "GET", "/api/users", "");
    assert!(!users.body.contains(FIRST_PASSWORD), "{}", users.body);
    let row = json(&users)
        .as_array()
        .and_then(|a| a.iter().find(|u| u["extension"] == NEW_EXT).cloned())
        .expect("listed");
    assert_eq!(
        (row["name"].as_str(), row["source"].as_str()),
        (Some("Front Desk"), Some("api"))
    );

    // The new extension registers and calls 2002 at once.
    register_with(&sw, NEW_EXT, FIRST_PASSWORD)
        .wait(Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("{e}{}", log(&sw)));
    let callee =
        callee_with(&sw, "2002", &scenario("uas_answer.xml"), &["-rtp_echo"]).expect("2002");
    let caller = talking_caller(&sw, NEW_EXT, "2002", &["-ap", FIRST_PASSWORD]).expect("caller");
    caller
        .wait(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{e}{}", log(&sw)));
    callee
        .wait(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}{}", log(&sw)));

    // A new password: the old one is refused, the new one works.
    let body = format!(r#"{{"name": "Front Desk", "password": "{SECOND_PASSWORD}"}}"#);
    let r = send(&sw, "PUT", &format!("/api/users/{NEW_EXT}"), &body);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(register_with(&sw, NEW_EXT, FIRST_PASSWORD)
        .wait(Duration::from_secs(20))
        .is_err());
    register_with(&sw, NEW_EXT, SECOND_PASSWORD)
        .wait(Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("{e}{}", log(&sw)));
    // A name change keeps the password.
    let r = send(
        &sw,
        "PUT",
        &format!("/api/users/{NEW_EXT}"),
        r#"{"name": "Lobby"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = send(&sw, "PUT", "/api/users/9999", r#"{"name": "x"}"#);
    assert_eq!(r.status, 404, "{}", r.body);

    // A restart keeps the stored extension and its password.
    sw.restart().expect("restart");
    register_with(&sw, NEW_EXT, SECOND_PASSWORD)
        .wait(Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("after restart: {e}{}", log(&sw)));

    // Deleted: its registrations go, and its REGISTER is refused as an unknown user's.
    let r = send(&sw, "DELETE", &format!("/api/users/{NEW_EXT}"), "");
    assert_eq!(r.status, 200, "{}", r.body);
    let users = send(&sw, "GET", "/api/users", "");
    assert!(!users.body.contains(NEW_EXT), "{}", users.body);
    let refused = register_with(&sw, NEW_EXT, SECOND_PASSWORD);
    let dir = refused.dir.clone();
    assert!(refused.wait(Duration::from_secs(20)).is_err());
    let messages = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect::<String>();
    assert!(messages.contains("SIP/2.0 403"), "{messages}");

    // An extension of the configuration file can be removed too, and stays removed.
    let r = send(&sw, "DELETE", "/api/users/2004", "");
    assert_eq!(r.status, 200, "{}", r.body);
    sw.restart().expect("restart");
    let users = send(&sw, "GET", "/api/users", "");
    assert!(!users.body.contains("\"2004\""), "{}", users.body);

    let actions = audit_actions(&sw);
    for expected in [
        ("user.create", NEW_EXT),
        ("user.update", NEW_EXT),
        ("user.delete", NEW_EXT),
        ("user.delete", "2004"),
    ] {
        assert!(
            actions.contains(&(expected.0.into(), expected.1.into())),
            "{expected:?} in {actions:?}"
        );
    }
}

#[test]
fn an_agent_made_by_api_logs_in_and_takes_a_queued_call() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let mut sw = Switch::start(Options {
        extra_toml: "[[queues]]\nname = \"loans\"\nnumber = \"7300\"\n".into(),
        ..Options::default()
    })
    .expect("switch starts");
    let log = |sw: &Switch| format!("\n--- switch log ---\n{}", sw.log_text());
    for (body, field) in [
        (r#"{"id": "a9", "extension": "9999"}"#, "extension"),
        (r#"{"id": "a9", "skills": "loans:7"}"#, "skills"),
        (r#"{"id": "a9", "pin": "12"}"#, "pin"),
        (r#"{"id": "a9", "queues": ["nope"]}"#, "queues[0]"),
    ] {
        let r = send(&sw, "POST", "/api/agents", body);
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert_eq!(first_field(&r), field, "{body}: {}", r.body);
    }
    let body = r#"{"id": "a2003", "name": "Carol", "extension": "2003", "pin": "4321",
                   "skills": "loans:4", "queues": [{"queue": "loans", "weight": 3}]}"#;
    let r = send(&sw, "POST", "/api/agents", body);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(json(&r)["has_pin"], true, "{}", r.body);
    assert!(!r.body.contains("4321"), "write-only: {}", r.body);
    let r = send(&sw, "POST", "/api/agents", body);
    assert_eq!(r.status, 400, "duplicate: {}", r.body);
    // The membership endpoint's reading keeps the weight.
    let r = send(&sw, "GET", "/api/agents/a2003/queues", "");
    assert_eq!(json(&r)["queues"][0]["weight"], 3, "{}", r.body);

    login(&sw, "a2003").unwrap_or_else(|e| panic!("{e}{}", log(&sw)));
    let agent =
        callee_with(&sw, "2003", &scenario("uas_answer.xml"), &["-rtp_echo"]).expect("agent");
    let caller = talking_caller(&sw, "2001", "7300", &[]).expect("caller");
    caller
        .wait(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{e}{}", log(&sw)));
    agent
        .wait(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}{}", log(&sw)));
    let calls = queue_calls(&sw, 1).expect("queue call");
    assert_eq!(calls[0].agent(), Some("a2003"), "{:?}", calls[0].summary());

    // A change without `pin` keeps it; new weights through the membership endpoint; both
    // survive a restart (the agent was stored through the API).
    let r = send(
        &sw,
        "PUT",
        "/api/agents/a2003",
        r#"{"name": "Carol Park", "extension": "2003", "skills": "loans:5",
            "queues": [{"queue": "loans", "weight": 3}]}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["has_pin"], true, "{}", r.body);
    let r = send(
        &sw,
        "PUT",
        "/api/agents/a2003/queues",
        r#"{"queues": [{"queue": "loans", "weight": 7}]}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    sw.restart().expect("restart");
    let r = send(&sw, "GET", "/api/agents/a2003/definition", "");
    assert_eq!(r.status, 200, "{}", r.body);
    let def = json(&r);
    assert_eq!(
        (
            &def["name"],
            &def["skills"],
            &def["has_pin"],
            &def["source"]
        ),
        (
            &json!("Carol Park"),
            &json!("loans:5"),
            &json!(true),
            &json!("api")
        ),
        "{def}"
    );
    assert_eq!(def["queues"][0]["weight"], 7, "{def}");
    login(&sw, "a2003").unwrap_or_else(|e| panic!("{e}{}", log(&sw)));

    // Logged in, it cannot be removed; logged out, it can.
    let r = send(&sw, "DELETE", "/api/agents/a2003", "");
    assert_eq!(r.status, 409, "{}", r.body);
    let (code, body) = sw.http("POST", "/api/agents/a2003/logout").expect("logout");
    assert_eq!(code, 200, "{body}");
    // Nor while an enabled account logs in as it.
    let r = send(
        &sw,
        "POST",
        "/api/accounts",
        r#"{"username": "carol", "role": "agent", "agent": "a2003", "password": "carol-pass-1"}"#,
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let r = send(&sw, "DELETE", "/api/agents/a2003", "");
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("carol"), "{}", r.body);
    let r = send(&sw, "PATCH", "/api/accounts/carol", r#"{"disabled": true}"#);
    assert_eq!(r.status, 200, "{}", r.body);
    let r = send(&sw, "DELETE", "/api/agents/a2003", "");
    assert_eq!(r.status, 200, "{}", r.body);
    let r = send(&sw, "GET", "/api/agents/a2003/definition", "");
    assert_eq!(r.status, 404, "{}", r.body);
    let actions = audit_actions(&sw);
    assert!(actions.contains(&("agent.create".into(), "a2003".into())));
    assert!(actions.contains(&("agent.delete".into(), "a2003".into())));
}

/// Log `user` in: status, cookie, CSRF token.
fn session_login(sw: &Switch, user: &str, password: &str) -> (u16, String, String) {
    let body = format!(r#"{{"username":"{user}","password":"{password}"}}"#);
    let h = [("Content-Type", "application/json")];
    let r = request(sw.http_port, "POST", "/api/login", &h, body.as_bytes()).expect("login");
    let cookie = r
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .unwrap_or_default()
        .to_owned();
    let csrf = json(&r)["csrf_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (r.status, cookie, csrf)
}

#[test]
fn a_supervisor_account_made_by_api_sees_the_wallboard_until_disabled() {
    let sw = Switch::start(Options::default()).expect("switch starts");
    let r = send(
        &sw,
        "POST",
        "/api/accounts",
        r#"{"username": "sue", "role": "supervisor", "password": "short"}"#,
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(first_field(&r), "password");
    let r = send(
        &sw,
        "POST",
        "/api/accounts",
        r#"{"username": "sue", "role": "supervisor", "password": "sue-first-pass"}"#,
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let r = send(
        &sw,
        "POST",
        "/api/accounts",
        r#"{"username": "sue", "role": "qa", "password": "sue-first-pass"}"#,
    );
    assert_eq!(r.status, 409, "{}", r.body);
    let r = send(&sw, "PATCH", "/api/accounts/admin", r#"{"disabled": true}"#);
    assert_eq!(r.status, 409, "own account: {}", r.body);

    let (status, cookie, _) = session_login(&sw, "sue", "sue-first-pass");
    assert_eq!(status, 200);
    let h = [("Cookie", cookie.as_str())];
    let r = request(sw.http_port, "GET", "/api/acd", &h, b"").expect("wallboard data");
    assert_eq!(r.status, 200, "{}", r.body);
    let r = request(sw.http_port, "GET", "/api/users", &h, b"").expect("users");
    assert_eq!(r.status, 403, "extensions are the admins': {}", r.body);

    let mut sse = open_event_stream(sw.http_port, &cookie);

    let r = send(&sw, "PATCH", "/api/accounts/sue", r#"{"disabled": true}"#);
    assert_eq!(r.status, 200, "{}", r.body);
    let disabled = Instant::now();
    let r = request(sw.http_port, "GET", "/api/acd", &h, b"").expect("after disabling");
    assert_eq!(r.status, 401, "the session ended: {}", r.body);
    wait_stream_end(&mut sse, disabled);
    assert!(disabled.elapsed() < Duration::from_secs(12));
    assert_eq!(session_login(&sw, "sue", "sue-first-pass").0, 401);

    // Enabled with a new password: the old one no longer logs in.
    let r = send(&sw, "PATCH", "/api/accounts/sue", r#"{"disabled": false}"#);
    assert_eq!(r.status, 200, "{}", r.body);
    let r = send(
        &sw,
        "POST",
        "/api/accounts/sue/password",
        r#"{"password": "sue-second-pass"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(session_login(&sw, "sue", "sue-first-pass").0, 401);
    assert_eq!(session_login(&sw, "sue", "sue-second-pass").0, 200);
    let accounts = send(&sw, "GET", "/api/accounts", "");
    let sue = json(&accounts)
        .as_array()
        .and_then(|a| a.iter().find(|x| x["username"] == "sue").cloned())
        .expect("listed");
    assert_eq!(sue["managed_by"], "api");
    let actions = audit_actions(&sw);
    for a in ["account.create", "account.update", "account.password"] {
        assert!(
            actions.contains(&(a.into(), "sue".into())),
            "{a} in {actions:?}"
        );
    }
}
