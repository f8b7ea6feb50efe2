//! Click-to-dial from the agent desk in headless Chromium (issue 16; script
//! tests/browser/dial.mjs): the agent's phone is a SIPp UAS registered at 2002, the customer a
//! SIPp carrier on 127.0.0.2 (a `[[trunks]]` entry, as in click_to_dial.rs) that checks it is
//! called at the number in the trunk's E.164 form. The agent dials an emergency number first
//! (the page says why not, in English and Korean, and nothing rings), then the customer from
//! the "Call a customer" field, then again with the "Call" button of the history row: each
//! time the phone and the carrier answer, the pop shows the customer and the agent wraps up.
//! The CDRs read through the API are outbound over the trunk and the customer's contacts carry
//! the page's two wrap-ups.

use serde_json::Value;
use std::time::Duration;
use switchboard_e2e::browser::{json, missing_tools, Script};
use switchboard_e2e::carriers::{carrier_ip, carrier_uas, scenario_with};
use switchboard_e2e::{acd, free_port, Options, Switch};

const NUMBER: &str = "010-9999-8888";
const CUSTOMER: &str = "Kim Min-ji";
/// What the carrier must be asked for: NUMBER as the trunk writes it (E.164, country 82).
const NUMBER_ON_TRUNK: &str = r"\+821099998888";

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

[[accounts]]
username = "bob"
password = "bob-password-2002"
role = "agent"
agent = "a2002"

[[trunks]]
name = "carrier"
host = "127.0.0.2"
port = {carrier_port}
caller_id = "+8215881234"
"#
    )
}

/// Fail with the switch's log attached.
fn fail<T>(sw: &Switch, e: anyhow::Error) -> T {
    panic!("{e}\n--- switch log ---\n{}", sw.log_text())
}

#[test]
fn an_agent_clicks_to_dial_from_the_desk_and_wraps_the_call_up_in_headless_chromium() {
    if let Some(why) = missing_tools() {
        testkit::cannot_run("browser", &why);
        return;
    }
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let carrier_port = free_port();
    let sw = Switch::start(Options {
        extra_toml: config(carrier_port),
        database_extra: "default_country_code = \"82\"".into(),
        ..Default::default()
    })
    .expect("switch starts");
    let created = sw
        .http_json(
            "POST",
            "/api/customers",
            &format!(r#"{{"name": "{CUSTOMER}", "phones": [{{"number": "{NUMBER}"}}]}}"#),
        )
        .expect("create customer");
    assert_eq!(created.status, 201, "{}", created.body);
    let customer_id = json(&created.body)["id"].as_i64().expect("customer id");
    // The carrier answers two calls, and only at the rewritten number (else SIPp fails them).
    let checked = scenario_with(
        &sw,
        "uas_answer.xml",
        "carrier_checks_number.xml",
        &[(
            r#"<recv request="INVITE" crlf="true"/>"#,
            &format!(
                r#"<recv request="INVITE" crlf="true"><action><ereg regexp="^INVITE sip:{NUMBER_ON_TRUNK}@" search_in="msg" check_it="true" assign_to="ruri"/></action></recv><Reference variables="ruri"/>"#
            ),
        )],
    )
    .unwrap_or_else(|e| fail(&sw, e));
    let carrier = carrier_uas(
        &sw,
        carrier_ip(2),
        carrier_port,
        &checked,
        2,
        &["-rtp_echo"],
    )
    .unwrap_or_else(|e| fail(&sw, e));
    // The agent's phone answers two calls and hangs up each after 3 s.
    let phone = acd::answering_agent(&sw, "2002", 2, Duration::from_secs(3))
        .unwrap_or_else(|e| fail(&sw, e));

    let mut script = Script::start(
        &sw,
        "dial",
        "dial",
        [
            ("SB_USER", "bob"),
            ("SB_PASSWORD", "bob-password-2002"),
            ("SB_DENIED", "112"),
            ("SB_NUMBER", NUMBER),
            ("SB_CUSTOMER", CUSTOMER),
            ("SB_CODE", "sale"),
            ("SB_AGAIN_CODE", "follow_up"),
        ],
    );
    script.expect(
        &sw,
        "DENIED",
        Duration::from_secs(40),
        "the page never showed the refused number",
    );
    // Nothing rang for the denied number: no CDR at all.
    let (code, body) = sw.http("GET", "/api/cdrs").expect("cdrs");
    assert_eq!(code, 200, "{body}");
    assert_eq!(json(&body).as_array().map(Vec::len), Some(0), "{body}");
    script.passed(&sw, Duration::from_secs(90));
    phone
        .wait(Duration::from_secs(10))
        .unwrap_or_else(|e| fail(&sw, e));
    carrier
        .wait(Duration::from_secs(10))
        .unwrap_or_else(|e| fail(&sw, e));

    let (code, body) = sw.http("GET", "/api/cdrs").expect("cdrs");
    assert_eq!(code, 200, "{body}");
    let cdrs = json(&body);
    let list = cdrs.as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 2, "two calls in all: {cdrs:#}");
    for cdr in &list {
        assert_eq!(cdr["direction"], "outbound", "{cdr:#}");
        assert_eq!(cdr["trunk"], "carrier", "{cdr:#}");
        assert_eq!(cdr["agent"], "a2002", "{cdr:#}");
        assert_eq!(cdr["disposition"], "answered", "{cdr:#}");
    }
    // The page's wrap-ups went to the two calls' contacts, newest first.
    let (code, body) = sw
        .http("GET", &format!("/api/customers/{customer_id}/contacts"))
        .expect("contacts");
    assert_eq!(code, 200, "{body}");
    let contacts = json(&body);
    let codes: Vec<(Value, Value, Value)> = contacts
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|c| {
            (
                c["channel"].clone(),
                c["wrap_up_code"].clone(),
                c["wrapped_up_by"].clone(),
            )
        })
        .collect();
    let row = |code: &str| {
        (
            Value::from("voice_outbound"),
            Value::from(code),
            Value::from("a2002"),
        )
    };
    assert_eq!(codes, vec![row("follow_up"), row("sale")], "{contacts:#}");
    for c in contacts.as_array().into_iter().flatten() {
        assert!(
            list.iter().any(|cdr| cdr["call_id"] == c["call_id"]),
            "contact of another call: {c:#}"
        );
    }
}
