//! Queues managed through the HTTP API, end to end with the real binary: a queue created by
//! API gets an agent by API and a SIPp call to its number is answered by that agent; its
//! strategy changes (PUT), some settings change (PATCH) and definitions read back; it survives a
//! restart (stored in the CRM database); it is removed (409 while a caller waits, then drained
//! to overflow); bad bodies get 400 with the field, used numbers 409, and an agent's token 403.
//! Every change is in the audit log.

use std::time::Duration;
use switchboard_e2e::acd::{login, queue_calls, waiting_caller, with_crm};
use switchboard_e2e::http_client::{request, HttpResponse};
use switchboard_e2e::{callee_with, scenario, talking_caller, Options, Switch};

const AGENT_TOKEN: &str = "agent-token-0123456789abcdef0123456789abcdef";

/// One file queue; agent a2003 serves no queue until the API gives it one.
fn config() -> String {
    format!(
        r#"
[[queues]]
name = "support"
number = "7000"

[[agents]]
id = "a2003"
name = "Carol"
extension = "2003"

[[accounts]]
username = "carol"
password = "carol-password"
role = "agent"
agent = "a2003"
token = "{AGENT_TOKEN}"
"#
    )
}

fn json(r: &HttpResponse) -> serde_json::Value {
    serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null)
}

fn send(sw: &Switch, method: &str, path: &str, body: &str) -> HttpResponse {
    sw.http_json(method, path, body).expect("HTTP request")
}

fn as_agent(sw: &Switch, method: &str, path: &str, body: &str) -> HttpResponse {
    let bearer = format!("Bearer {AGENT_TOKEN}");
    let headers = [
        ("Authorization", bearer.as_str()),
        ("Content-Type", "application/json"),
    ];
    request(sw.http_port, method, path, &headers, body.as_bytes()).expect("HTTP request")
}

/// The live queues as (name, number).
fn live_queues(sw: &Switch) -> Vec<(String, Option<String>)> {
    let v: serde_json::Value =
        serde_json::from_str(&sw.http_get("/api/queues").expect("queues")).expect("JSON");
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|q| {
                    (
                        q["name"].as_str().unwrap_or_default().to_string(),
                        q["number"].as_str().map(str::to_string),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn agent_queues(sw: &Switch, agent: &str) -> Vec<String> {
    let v: serde_json::Value =
        serde_json::from_str(&sw.http_get("/api/agents").expect("agents")).expect("JSON");
    v.as_array()
        .and_then(|a| a.iter().find(|x| x["id"] == agent))
        .and_then(|x| x["queues"].as_array())
        .map(|q| {
            q.iter()
                .filter_map(|n| n.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn waiting_in(sw: &Switch, queue: &str) -> u64 {
    let v: serde_json::Value =
        serde_json::from_str(&sw.http_get("/api/queues").expect("queues")).expect("JSON");
    v.as_array()
        .and_then(|a| a.iter().find(|q| q["name"] == queue))
        .and_then(|q| q["waiting"].as_u64())
        .unwrap_or(0)
}

#[test]
fn a_queue_made_by_api_takes_calls_survives_a_restart_and_is_removed() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let mut sw = Switch::start(Options {
        extra_toml: config(),
        ..Options::default()
    })
    .expect("switch starts");
    let log = |sw: &Switch| format!("\n--- switch log ---\n{}", sw.log_text());

    // Create, with the [[queues]] keys.
    let r = send(
        &sw,
        "POST",
        "/api/queues",
        r#"{"name": "vip", "number": "7100", "strategy": "linear", "ring_timeout_s": 5}"#,
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(live_queues(&sw).contains(&("vip".into(), Some("7100".into()))));

    // Refusals: bad fields (400 with the field), a name or number in use (409).
    let r = send(
        &sw,
        "POST",
        "/api/queues",
        r#"{"name": "bad", "strategy": "fastest", "profile": [{"skills": "loans:9", "for_s": 5}]}"#,
    );
    assert_eq!(r.status, 400, "{}", r.body);
    let fields: Vec<String> = json(&r)["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|x| x["field"].as_str().unwrap_or("?").to_string())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(fields, ["strategy", "profile[0].skills"], "{}", r.body);
    let r = send(&sw, "POST", "/api/queues", "{not json");
    assert_eq!(r.status, 400, "{}", r.body);
    // Targets must lead somewhere, as at start: 8888 is no queue, extension or route.
    for (body, field) in [
        (r#"{"name": "t1", "overflow": "8888"}"#, "overflow"),
        (
            r#"{"name": "t2", "exit_keys": {"0": "8888"}}"#,
            "exit_keys.0",
        ),
    ] {
        let r = send(&sw, "POST", "/api/queues", body);
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert_eq!(json(&r)["errors"][0]["field"], field, "{}", r.body);
    }
    for body in [
        r#"{"name": "vip"}"#,
        r#"{"name": "x", "number": "2001"}"#,
        r#"{"name": "y", "number": "7000"}"#,
    ] {
        let r = send(&sw, "POST", "/api/queues", body);
        assert_eq!(r.status, 409, "{body}: {}", r.body);
    }
    assert!(!live_queues(&sw)
        .iter()
        .any(|(n, _)| n == "x" || n == "y" || n == "bad"));

    // An agent's token may not manage queues, not even its own memberships.
    let r = as_agent(&sw, "POST", "/api/queues", r#"{"name": "mine"}"#);
    assert_eq!(r.status, 403, "{}", r.body);
    let r = as_agent(
        &sw,
        "PUT",
        "/api/agents/a2003/queues",
        r#"{"queues": ["vip"]}"#,
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let r = as_agent(&sw, "DELETE", "/api/queues/vip", "");
    assert_eq!(r.status, 403, "{}", r.body);

    // Memberships: unknown queue 400, unknown agent 404, then vip for a2003.
    let r = send(
        &sw,
        "PUT",
        "/api/agents/a2003/queues",
        r#"{"queues": ["nope"]}"#,
    );
    assert_eq!(r.status, 400, "{}", r.body);
    let r = send(&sw, "PUT", "/api/agents/ghost/queues", r#"{"queues": []}"#);
    assert_eq!(r.status, 404, "{}", r.body);
    let r = send(
        &sw,
        "PUT",
        "/api/agents/a2003/queues",
        r#"{"queues": [{"queue": "vip", "weight": 1}]}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(agent_queues(&sw, "a2003"), ["vip"]);

    // A call to the new queue's number is answered by the agent.
    login(&sw, "a2003").expect("login");
    let agent =
        callee_with(&sw, "2003", &scenario("uas_answer.xml"), &["-rtp_echo"]).expect("agent phone");
    let caller = talking_caller(&sw, "2001", "7100", &[]).expect("caller");
    caller
        .wait(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{e}{}", log(&sw)));
    agent
        .wait(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}{}", log(&sw)));
    let calls = queue_calls(&sw, 1).expect("queue call");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].cdr.queue.as_deref(), Some("vip"));
    assert_eq!(calls[0].agent(), Some("a2003"), "{:?}", calls[0].summary());

    // Change the strategy (the whole definition is replaced: same keys, same defaults).
    let r = send(
        &sw,
        "PUT",
        "/api/queues/vip",
        r#"{"number": "7100", "strategy": "ring-all", "overflow": "support"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = send(&sw, "PUT", "/api/queues/vip", r#"{"name": "other"}"#);
    assert_eq!(r.status, 400, "renaming: {}", r.body);
    let r = send(&sw, "PUT", "/api/queues/nope", r#"{}"#);
    assert_eq!(r.status, 404, "{}", r.body);

    // Definitions read back: a file queue's `[[queues]]` entry, an API queue's stored one.
    let r = send(&sw, "GET", "/api/queues/support/definition", "");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        json(&r),
        serde_json::json!({"name": "support", "number": "7000"})
    );
    let r = send(&sw, "GET", "/api/queues/nope/definition", "");
    assert_eq!(r.status, 404, "{}", r.body);
    // PATCH changes some keys and keeps the rest; null puts a key back to its default.
    let r = send(
        &sw,
        "PATCH",
        "/api/queues/vip",
        r#"{"wrap_up_s": 15, "overflow": null}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = send(&sw, "GET", "/api/queues/vip/definition", "");
    assert_eq!(
        json(&r),
        serde_json::json!({"name": "vip", "number": "7100", "strategy": "ring-all", "wrap_up_s": 15}),
        "{}",
        r.body
    );
    let r = send(
        &sw,
        "PATCH",
        "/api/queues/vip",
        r#"{"strategy": "fastest"}"#,
    );
    assert_eq!(r.status, 400, "{}", r.body);
    let r = send(&sw, "PATCH", "/api/queues/vip", r#"["strategy"]"#);
    assert_eq!(r.status, 400, "{}", r.body);
    let r = send(&sw, "PATCH", "/api/queues/nope", r#"{"wrap_up_s": 1}"#);
    assert_eq!(r.status, 404, "{}", r.body);
    let r = as_agent(&sw, "PATCH", "/api/queues/vip", r#"{"wrap_up_s": 1}"#);
    assert_eq!(r.status, 403, "{}", r.body);
    // Back to what the rest of the test expects.
    let r = send(
        &sw,
        "PATCH",
        "/api/queues/vip",
        r#"{"wrap_up_s": null, "overflow": "support", "service_level_target": 90}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);

    // After a restart the queue, its settings and the membership are still there.
    sw.restart().expect("restart");
    assert!(
        live_queues(&sw).contains(&("vip".into(), Some("7100".into()))),
        "{:?}{}",
        live_queues(&sw),
        log(&sw)
    );
    assert_eq!(agent_queues(&sw, "a2003"), ["vip"]);
    // The wallboard compares the queue's service level with its own target.
    let queues: serde_json::Value =
        serde_json::from_str(&sw.http_get("/api/queues").expect("queues")).expect("JSON");
    let vip = queues
        .as_array()
        .and_then(|a| a.iter().find(|q| q["name"] == "vip"));
    assert_eq!(
        vip.map(|q| q["service_level_target"].clone()),
        Some(90.into())
    );
    let stored = with_crm(&sw, async |crm| Ok(crm.queue_definitions().await?)).expect("db");
    let vip = stored.iter().find(|q| q.name == "vip").expect("stored vip");
    let def: serde_json::Value =
        serde_json::from_str(vip.definition.as_deref().unwrap_or("{}")).expect("JSON");
    assert_eq!(def["strategy"], "ring-all");
    assert_eq!(vip.updated_by, "admin");

    // Removal: refused while a caller waits (a2003 is logged out after the restart), then
    // drained to the overflow queue.
    let waiting = waiting_caller(&sw, "2001", "7100").expect("caller");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while waiting_in(&sw, "vip") == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(waiting_in(&sw, "vip"), 1, "{}", log(&sw));
    let r = send(&sw, "DELETE", "/api/queues/vip", "");
    assert_eq!(r.status, 409, "{}", r.body);
    let r = send(&sw, "DELETE", "/api/queues/vip?drain=everyone", "");
    assert_eq!(r.status, 400, "{}", r.body);
    let r = send(&sw, "DELETE", "/api/queues/support", "");
    assert_eq!(r.status, 409, "vip overflows to support: {}", r.body);
    let r = send(&sw, "DELETE", "/api/queues/vip?drain=overflow", "");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["overflowed"].as_array().map(Vec::len), Some(1));
    assert!(!live_queues(&sw).iter().any(|(n, _)| n == "vip"));
    assert!(agent_queues(&sw, "a2003").is_empty());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while waiting_in(&sw, "support") == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(waiting_in(&sw, "support"), 1, "the caller moved to support");
    let r = send(&sw, "DELETE", "/api/queues/vip", "");
    assert_eq!(r.status, 404, "{}", r.body);

    // A file queue removed through the API stays removed after a restart.
    let r = send(&sw, "DELETE", "/api/queues/support?drain=overflow", "");
    assert_eq!(r.status, 200, "{}", r.body);
    waiting
        .wait(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("overflow without target hangs up: {e}{}", log(&sw)));
    sw.restart().expect("restart");
    assert!(live_queues(&sw).is_empty(), "{:?}", live_queues(&sw));

    // Every change is in the audit log, with who made it.
    let audit: serde_json::Value =
        serde_json::from_str(&sw.http_get("/api/audit").expect("audit")).expect("JSON");
    let rows: Vec<(String, String)> = audit
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|x| x["account"] == "admin")
                .map(|x| {
                    (
                        x["action"].as_str().unwrap_or_default().to_string(),
                        x["object_id"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let expected: Vec<(String, String)> = [
        ("queue.create", "vip"),
        ("agent.queues", "a2003"),
        ("queue.update", "vip"),
        // The two PATCHes that passed.
        ("queue.update", "vip"),
        ("queue.update", "vip"),
        ("queue.delete", "vip"),
        ("queue.delete", "support"),
    ]
    .iter()
    .map(|(a, o)| (a.to_string(), o.to_string()))
    .collect();
    assert_eq!(rows, expected);
}
