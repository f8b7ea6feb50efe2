//! Click-to-dial end to end (issue 16): the real binary with a trunk to a carrier (SIPp on
//! 127.0.0.2, recognised by address) and an agent's phone (SIPp, registered at 2002). The
//! agent logs in through the API and asks to call a customer; the switch rings the agent's
//! phone, then the carrier, which answers; the agent hangs up. The CDR, read back through the
//! API as the agent, is outbound over the trunk and linked to the agent; the agent wraps the
//! contact up; the request is in the audit log. An agent cannot dial as another.
//!
//! The `[[trunks]]` keys are the binary's (branch `trunkbin`, docs/trunks.md).

use serde_json::Value;
use std::time::Duration;
use switchboard_e2e::http_client::{HttpResponse, Session};
use switchboard_e2e::{acd, free_media_port, free_port, scenario, sipp, Options, Switch};

/// The carrier's address: not the phones' 127.0.0.1, so only the trunk knows it.
const CARRIER_IP: &str = "127.0.0.2";

fn config(carrier_port: u16) -> String {
    format!(
        r#"
[[queues]]
name = "support"
number = "7000"

[[agents]]
id = "a2002"
name = "Bob Agent"
extension = "2002"
queues = ["support"]

[[agents]]
id = "a2003"
extension = "2003"
queues = ["support"]

[[accounts]]
username = "bob"
password = "bob-password-2002"
role = "agent"
agent = "a2002"

[[trunks]]
name = "carrier"
host = "{CARRIER_IP}"
port = {carrier_port}
caller_id = "+8215881234"
"#
    )
}

fn json(r: &HttpResponse) -> Value {
    serde_json::from_str(&r.body).unwrap_or(Value::Null)
}

fn send(sw: &Switch, session: &Session, method: &str, path: &str, body: &str) -> HttpResponse {
    session
        .send(sw, method, path, body)
        .unwrap_or_else(|e| fail(sw, e))
}

/// Fail with the switch's log attached.
fn fail<T>(sw: &Switch, e: anyhow::Error) -> T {
    panic!("{e}\n--- switch log ---\n{}", sw.log_text())
}

#[test]
fn an_agent_clicks_to_dial_a_customer_over_a_trunk() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let carrier_port = free_port();
    let sw = Switch::start(Options {
        extra_toml: config(carrier_port),
        ..Default::default()
    })
    .expect("switch starts");
    // The carrier answers one call and waits for our BYE.
    let port = carrier_port.to_string();
    let media = free_media_port().to_string();
    let args = [
        "-i",
        CARRIER_IP,
        "-p",
        &port,
        "-mp",
        &media,
        "-m",
        "1",
        "-rtp_echo",
    ];
    let carrier = sipp(&sw, "carrier", &scenario("uas_answer.xml"), &args).expect("carrier");
    switchboard_e2e::wait_until(Duration::from_secs(10), "the carrier's SIPp", || {
        switchboard_e2e::udp_port_bound(carrier_port).then_some(())
    })
    .unwrap_or_else(|e| fail(&sw, e));
    // The agent's phone answers, talks for 3 s and hangs up.
    let phone = acd::answering_agent(&sw, "2002", 1, Duration::from_secs(3))
        .unwrap_or_else(|e| fail(&sw, e));
    let bob = Session::login(&sw, "bob", "bob-password-2002").unwrap_or_else(|e| fail(&sw, e));
    let r = send(&sw, &bob, "POST", "/api/agents/a2002/login", "");
    assert_eq!(r.status, 200, "{}", r.body);

    let dial = |agent: &str, number: &str| {
        let body = serde_json::json!({ "number": number }).to_string();
        send(
            &sw,
            &bob,
            "POST",
            &format!("/api/agents/{agent}/dial"),
            &body,
        )
    };
    // Not as another agent.
    let r = dial("a2003", "01099998888");
    assert_eq!(r.status, 403, "{}", r.body);
    // A denied number rings nothing.
    let r = dial("a2002", "112");
    assert_eq!(r.status, 403, "{}", r.body);

    let r = dial("a2002", "010-9999-8888");
    assert_eq!(r.status, 202, "{}", r.body);
    let call_id = json(&r)["call_id"].as_str().unwrap_or_default().to_string();
    assert!(!call_id.is_empty(), "{}", r.body);

    phone
        .wait(Duration::from_secs(30))
        .unwrap_or_else(|e| fail(&sw, e));
    carrier
        .wait(Duration::from_secs(30))
        .unwrap_or_else(|e| fail(&sw, e));

    // The CDR, as the agent sees it once the call ended.
    let cdr = switchboard_e2e::wait_until(Duration::from_secs(10), "the ended CDR", || {
        let r = send(&sw, &bob, "GET", &format!("/api/cdrs/{call_id}"), "");
        let v = json(&r);
        (r.status == 200 && !v["ended_at"].is_null()).then_some(v)
    })
    .unwrap_or_else(|e| fail(&sw, e));
    assert_eq!(cdr["direction"], "outbound", "{cdr:#}");
    assert_eq!(cdr["trunk"], "carrier", "{cdr:#}");
    assert_eq!(cdr["agent"], "a2002", "{cdr:#}");
    assert_eq!(cdr["disposition"], "answered", "{cdr:#}");

    // The contact row is the agent's: the wrap-up attaches to it.
    let body = r#"{"agent":"a2002","code":"sale","notes":"called back from the record"}"#;
    let r = send(
        &sw,
        &bob,
        "POST",
        &format!("/api/cdrs/{call_id}/wrap-up"),
        body,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let contact = json(&r);
    assert_eq!(contact["channel"], "voice_outbound", "{}", r.body);
    assert_eq!(contact["wrap_up_code"], "sale", "{}", r.body);

    // Audited.
    let r = sw.http_send("GET", "/api/audit", None, b"").expect("audit");
    let dialled = json(&r)
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .any(|row| row["action"] == "agent.dial" && row["object_id"] == "a2002");
    assert!(dialled, "{}", r.body);
}
