//! A monitoring phone given through the API (issue 12's leftover): the file's carol keeps 2003;
//! an account made by `POST /api/accounts` with `"extension": "2004"` dials `*96bob` from 2004
//! while bob is on a call with the customer and hears both, without a restart; after a `PATCH`
//! clearing it, `*96bob` from 2004 is refused. On the way, the API's rules: 400 for a role
//! without phones or an extension the directory lacks, 409 for another account's phone (the
//! file's included), the listing and the audit log.

mod monitor_support;

use media::g711::Codec;
use monitor_support::*;
use serde_json::Value;
use std::time::Duration;
use switchboard_e2e::http_client::HttpResponse;
use switchboard_e2e::{caller_scenario, scenario, CallerPlan, Options, Switch};

const CONFIG: &str = r#"
[[queues]]
name = "support"

[[agents]]
id = "bob"
extension = "2002"
queues = ["support"]

[[accounts]]
username = "carol"
password = "carol-password"
role = "supervisor"
extension = "2003"
"#;

/// The harness's admin (bearer token) sends `body`.
fn send(sw: &Switch, method: &str, path: &str, body: &str) -> HttpResponse {
    sw.http_json(method, path, body).expect("HTTP request")
}

fn json(r: &HttpResponse) -> Value {
    serde_json::from_str(&r.body).unwrap_or_default()
}

/// The first field a 400 names.
fn field(r: &HttpResponse) -> String {
    json(r)["errors"][0]["field"]
        .as_str()
        .unwrap_or("?")
        .to_string()
}

fn create(sw: &Switch, name: &str, role: &str, extension: &str) -> HttpResponse {
    let body = format!(
        r#"{{"username": "{name}", "role": "{role}", "extension": "{extension}", "password": "{name}-password"}}"#
    );
    send(sw, "POST", "/api/accounts", &body)
}

/// The API's rules for the monitoring extension, then dave (supervisor) with 2004.
fn dave_gets_2004(sw: &Switch) {
    let r = create(sw, "dave", "supervisor", "2003");
    assert_eq!(r.status, 409, "carol's (the file's): {}", r.body);
    assert!(r.body.contains("carol"), "{}", r.body);
    let r = create(sw, "dave", "supervisor", "2999");
    assert_eq!(
        (r.status, field(&r)),
        (400, "extension".into()),
        "{}",
        r.body
    );
    let r = create(sw, "dave", "qa", "2004");
    assert_eq!(
        (r.status, field(&r)),
        (400, "extension".into()),
        "{}",
        r.body
    );
    assert!(r.body.contains("supervisor or admin"), "{}", r.body);

    let r = create(sw, "dave", "supervisor", "2004");
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(json(&r)["extension"], "2004");
    let r = create(sw, "erin", "admin", "2004");
    assert_eq!(r.status, 409, "dave's: {}", r.body);
    let r = send(sw, "PATCH", "/api/accounts/dave", r#"{"role": "qa"}"#);
    assert_eq!(
        (r.status, field(&r)),
        (400, "extension".into()),
        "{}",
        r.body
    );
    let r = send(sw, "PATCH", "/api/accounts/carol", r#"{"extension": null}"#);
    assert_eq!(r.status, 409, "the file's account: {}", r.body);

    let listed = json(&send(sw, "GET", "/api/accounts", ""));
    let phone_of = |name: &str| {
        (listed.as_array().into_iter().flatten())
            .find(|a| a["username"] == name)
            .map(|a| a["extension"].clone())
    };
    assert_eq!(phone_of("dave"), Some(Value::from("2004")));
    assert_eq!(phone_of("carol"), Some(Value::from("2003")));
}

#[test]
fn an_api_accounts_phone_monitors_at_once_and_is_refused_once_cleared() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let sw = Switch::start(Options {
        extra_toml: CONFIG.into(),
        ..Options::default()
    })
    .expect("switch starts");
    dave_gets_2004(&sw);

    // Bob talks with the customer; dave dials *96bob from 2004 (PCMA) and hangs up after 4 s.
    let mut customer = Phone::new(CUSTOMER_HZ, Codec::Pcmu);
    let mut agent = Phone::new(AGENT_HZ, Codec::Pcmu);
    let mut supervisor = Phone::new(SUPERVISOR_HZ, Codec::Pcma);
    let (_customer_sipp, _bob) = connected_call(&sw, &mut customer, &mut agent, 30_000);
    let dave_xml = scenario_at(
        &sw,
        &scenario("uac_hangup_after.xml"),
        "dave.xml",
        "m=audio [media_port] RTP/AVP 8 101",
        &format!("m=audio {} RTP/AVP 8 101", supervisor.port()),
    );
    let dave = caller(&sw, "2004", "*96bob", &dave_xml, &["-d", "4000"]);
    supervisor.relay = Some(relay_port(&dave, supervisor.port(), &sw));
    let mut all = [&mut customer, &mut agent, &mut supervisor];
    talk(&mut all, 300);
    let heard = talk(&mut all, 1500);
    assert!(
        hears(&heard[2], CUSTOMER_HZ) && hears(&heard[2], AGENT_HZ),
        "dave hears the call\n{}",
        sw.log_text()
    );
    assert!(quiet(&heard[0], SUPERVISOR_HZ) && quiet(&heard[1], SUPERVISOR_HZ));
    dave.wait(Duration::from_secs(15))
        .unwrap_or_else(|e| panic!("{e}\n{}", sw.log_text()));
    assert!(
        !sw.log_text()
            .contains("is not a supervisor's or admin's phone"),
        "{}",
        sw.log_text()
    );

    // Cleared: 2004 is nobody's phone again; the switch answers, beeps and hangs up.
    let r = send(&sw, "PATCH", "/api/accounts/dave", r#"{"extension": null}"#);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["extension"], Value::Null);
    let uac = caller_scenario(sw.dir.path(), CallerPlan::AnswerThenExpectBye).expect("uac");
    caller(&sw, "2004", "*96bob", &uac, &[])
        .wait(Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("{e}\n{}", sw.log_text()));
    assert!(
        sw.log_text()
            .contains("is not a supervisor's or admin's phone"),
        "{}",
        sw.log_text()
    );

    // Audited: the creation with its phone, the clearing.
    let dave_rows: Vec<(String, Value)> = audit(&sw)
        .iter()
        .filter(|e| e["object_id"] == "dave")
        .map(|e| {
            let detail = e["detail"].as_str().unwrap_or("{}");
            let detail: Value = serde_json::from_str(detail).unwrap_or_default();
            (e["action"].as_str().unwrap_or("").to_string(), detail)
        })
        .collect();
    assert!(
        dave_rows
            .iter()
            .any(|(a, d)| a == "account.create" && d["extension"] == "2004"),
        "{dave_rows:?}"
    );
    assert!(
        dave_rows
            .iter()
            .any(|(a, d)| a == "account.update" && d.get("extension").is_some_and(Value::is_null)),
        "{dave_rows:?}"
    );
}
