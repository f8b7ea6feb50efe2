//! Click-to-dial from the agent desk in headless Chromium (issue 16; script
//! tests/browser/dial.mjs): the agent's phone is a SIPp UAS registered at 2002, the customer a
//! SIPp carrier on 127.0.0.2 (a `[[trunks]]` entry, as in click_to_dial.rs) that checks it is
//! called at the number as the trunk rewrites it. The agent dials an emergency number first (the page says
//! why not, in English and Korean, and nothing rings), then the customer: the phone and the
//! carrier answer, the pop shows, the agent wraps up. The CDR read through the API is outbound
//! over the trunk and it is the only call made.

use std::time::Duration;
use switchboard_e2e::browser::{json, missing_tools, Script};
use switchboard_e2e::carriers::{carrier_ip, carrier_uas, scenario_with};
use switchboard_e2e::{acd, free_port, Options, Switch};

const NUMBER: &str = "010-9999-8888";
/// What the carrier must be asked for: NUMBER's digits rewritten by the trunk (strip the
/// leading 0, prepend +82).
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
strip = 1
prepend = "+82"
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
        ..Default::default()
    })
    .expect("switch starts");
    // The carrier answers one call, and only at the rewritten number (else SIPp fails it).
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
        1,
        &["-rtp_echo"],
    )
    .unwrap_or_else(|e| fail(&sw, e));
    // The agent's phone answers one call and hangs up after 3 s.
    let phone = acd::answering_agent(&sw, "2002", 1, Duration::from_secs(3))
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
            ("SB_CODE", "sale"),
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
    script.passed(&sw, Duration::from_secs(60));
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
    assert_eq!(list.len(), 1, "one call in all: {cdrs:#}");
    let cdr = &list[0];
    assert_eq!(cdr["direction"], "outbound", "{cdr:#}");
    assert_eq!(cdr["trunk"], "carrier", "{cdr:#}");
    assert_eq!(cdr["agent"], "a2002", "{cdr:#}");
    assert_eq!(cdr["disposition"], "answered", "{cdr:#}");
    // The page's wrap-up went to this call: dial.mjs checked the API's answer to it (the
    // saved code, shown as "Wrap-up saved"); `GET /api/contacts?number=` does not list an
    // outbound contact by the number dialled, so it is not read back here.
}
