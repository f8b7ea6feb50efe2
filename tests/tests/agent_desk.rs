//! The agent's desk end to end: a known customer calls the queue twice; each offer pops the
//! agent's screen with the customer record and, the second time, the first call in the history;
//! the agent wraps the first call up with a code and notes, and the customer's contact history
//! shows it. Bad wrap-ups are refused.

use std::time::{Duration, Instant};
use switchboard_e2e::{callee_with, scenario, talking_caller, Options, Switch};

const ACD: &str = r#"
[[queues]]
name = "support"
number = "7000"

[[agents]]
id = "a2003"
name = "Carol"
extension = "2003"
queues = ["support"]
"#;

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Wait until `GET path` answers 200 with JSON that `ok` accepts.
fn wait_for(sw: &Switch, path: &str, ok: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (code, body) = sw.http("GET", path).expect("GET");
        if code == 200 {
            let v = json(&body);
            if ok(&v) {
                return v;
            }
        }
        if Instant::now() > deadline {
            panic!(
                "{path} never became ready: {code} {body}\n{}",
                sw.log_text()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn one_call(sw: &Switch) {
    let agent =
        callee_with(sw, "2003", &scenario("uas_answer.xml"), &["-rtp_echo"]).expect("agent phone");
    let caller = talking_caller(sw, "2001", "7000", &[]).expect("caller");
    let log = |e: anyhow::Error| panic!("{e}\n--- switch log ---\n{}", sw.log_text());
    caller.wait(Duration::from_secs(30)).unwrap_or_else(log);
    agent.wait(Duration::from_secs(10)).unwrap_or_else(log);
}

#[test]
fn screen_pop_shows_the_customer_and_history_and_wrap_up_lands_in_the_history() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let sw = Switch::start(Options {
        extra_toml: ACD.into(),
        ..Options::default()
    })
    .expect("switch starts");
    let created = sw
        .http_json(
            "POST",
            "/api/customers",
            r#"{"name": "Kim Min-ji", "grade": "vip", "notes": "prefers Korean",
                "phones": [{"number": "2001", "label": "work"}]}"#,
        )
        .expect("create customer");
    assert_eq!(created.status, 201, "{}", created.body);
    let customer_id = json(&created.body)["id"].as_i64().expect("id");
    let (code, body) = sw.http("POST", "/api/agents/a2003/login").expect("login");
    assert_eq!(code, 200, "{body}");
    let (code, _) = sw
        .http("GET", "/api/agents/a2003/screen/last")
        .expect("last");
    assert_eq!(code, 404, "no pop before any call");
    let reasons = json(&sw.http_get("/api/pause-reasons").expect("pause reasons"));
    assert_eq!(reasons[1], "lunch", "{reasons}");

    one_call(&sw);
    let pop = wait_for(&sw, "/api/agents/a2003/screen/last", |_| true);
    assert_eq!(pop["caller"], "2001");
    assert_eq!(pop["queue"], "support");
    assert_eq!(pop["dialled"], "7000");
    assert_eq!(pop["customer"]["name"], "Kim Min-ji");
    assert_eq!(pop["customer"]["grade"], "vip");
    assert_eq!(pop["history"].as_array().map(Vec::len), Some(0));
    let first_call = pop["call_id"].as_str().expect("call id").to_string();

    // The contact row is written when the call ends.
    let contacts = wait_for(
        &sw,
        &format!("/api/customers/{customer_id}/contacts"),
        |v| v.as_array().is_some_and(|a| !a.is_empty()),
    );
    assert_eq!(contacts[0]["call_id"], first_call.as_str());
    assert_eq!(contacts[0]["outcome"], "answered");
    assert_eq!(contacts[0]["agent"], "a2003");

    // Bad wrap-ups: unknown code, another agent, unknown call, unknown field.
    let wrap = |call: &str, body: &str| {
        sw.http_json("POST", &format!("/api/cdrs/{call}/wrap-up"), body)
            .expect("wrap-up")
    };
    let r = wrap(&first_call, r#"{"agent": "a2003", "code": "made_up"}"#);
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("resolved"), "lists the codes: {}", r.body);
    let r = wrap(&first_call, r#"{"agent": "a9999", "code": "resolved"}"#);
    assert_eq!(r.status, 403, "{}", r.body);
    let r = wrap("no-such-call", r#"{"agent": "a2003", "code": "resolved"}"#);
    assert_eq!(r.status, 404, "{}", r.body);
    let r = wrap(
        &first_call,
        r#"{"agent": "a2003", "code": "resolved", "x": 1}"#,
    );
    assert_eq!(r.status, 422, "{}", r.body);
    let r = wrap(
        &first_call,
        r#"{"agent": "a2003", "code": "follow_up", "notes": "call back Monday", "ready": true}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let wrapped = json(&r.body);
    assert_eq!(wrapped["wrap_up_code"], "follow_up");
    assert_eq!(wrapped["notes"], "call back Monday");
    assert_eq!(wrapped["wrapped_up_by"], "a2003");

    // The second call's pop carries the first one, wrapped up, in the history.
    one_call(&sw);
    let pop = wait_for(&sw, "/api/agents/a2003/screen/last", |p| {
        p["call_id"].as_str() != Some(first_call.as_str())
    });
    let history = pop["history"].as_array().expect("history");
    assert_eq!(history.len(), 1, "{pop}");
    assert_eq!(history[0]["call_id"], first_call.as_str());
    assert_eq!(history[0]["wrap_up_code"], "follow_up");
}
