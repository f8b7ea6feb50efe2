//! The ACD end to end: SIPp agents registered and logged in (HTTP API and feature code), SIPp
//! callers dialling a queue's number, distribution in `linear` order with no-answer
//! redistribution, and the queue events, CDR links, live view and metrics checked.

use std::time::{Duration, Instant};
use switchboard_e2e::{
    call, callee, callee_with, scenario, talking_caller, CallerPlan, Options, Switch,
};

/// Queue `support` at 7000 served in linear order: agent a2002 first, then a2003. Short ring
/// and retry so a no-answer moves on quickly: the callers hang up 2 s after the queue answers
/// them, so a second agent must be rung well before that.
const ACD: &str = r#"
[[queues]]
name = "support"
number = "7000"
strategy = "linear"
ring_timeout_s = 1
retry_s = 1

[[agents]]
id = "a2002"
name = "Bob Agent"
extension = "2002"
queues = [{ queue = "support", order = 0 }]

[[agents]]
id = "a2003"
name = "Carol"
extension = "2003"
queues = [{ queue = "support", order = 1 }]
"#;

fn start() -> Switch {
    Switch::start(Options {
        extra_toml: ACD.into(),
        ..Options::default()
    })
    .expect("switch starts")
}

fn post(sw: &Switch, path: &str) -> (u16, String) {
    sw.http("POST", path).expect("HTTP request")
}

/// A caller dialling 7000: answered by the queue at once, plays audio for 2 s, hangs up.
fn queue_caller(sw: &Switch, caller: &str) -> switchboard_e2e::Sipp {
    talking_caller(sw, caller, "7000", &[]).expect("sipp starts")
}

/// The stored queue events of the newest CDR, as kind names, once `done` says they are all in.
fn events_of_last_call(sw: &Switch, done: impl Fn(&[String]) -> bool) -> (crm::Cdr, Vec<String>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let crm = crm::Crm::connect(&sw.database_url).await.expect("db");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let cdrs = crm.recent_cdrs(10).await.expect("cdrs");
            let last = cdrs
                .into_iter()
                .find(|c| c.callee == "7000" || c.callee.starts_with("20"));
            if let Some(cdr) = last {
                let kinds: Vec<String> = crm
                    .queue_events(&cdr.call_id)
                    .await
                    .expect("queue events")
                    .iter()
                    .map(|e| match e.kind.agent() {
                        Some(a) => format!("{}:{a}", e.kind.as_str()),
                        None => e.kind.as_str().to_string(),
                    })
                    .collect();
                if (done(&kinds) && cdr.ended_at.is_some()) || Instant::now() > deadline {
                    return (cdr, kinds);
                }
            }
            if Instant::now() > deadline {
                panic!("no CDR for the queue call:\n{}", sw.log_text());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
}

#[test]
fn caller_reaches_the_logged_in_agent_and_everything_is_recorded() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let sw = start();
    // Logged out agents get nothing; log a2003 in through the API.
    let (code, body) = post(&sw, "/api/agents/a2003/login");
    assert_eq!(code, 200, "{body}");
    let (code, body) = post(&sw, "/api/agents/nobody/login");
    assert_eq!(code, 404, "{body}");
    let (code, body) = post(&sw, "/api/agents/a2003/dance");
    assert_eq!(code, 404, "{body}");
    let agent =
        callee_with(&sw, "2003", &scenario("uas_answer.xml"), &["-rtp_echo"]).expect("agent phone");
    let caller = queue_caller(&sw, "2001");
    let log = |e: anyhow::Error| panic!("{e}\n--- switch log ---\n{}", sw.log_text());
    caller.wait(Duration::from_secs(30)).unwrap_or_else(log);
    agent.wait(Duration::from_secs(10)).unwrap_or_else(log);

    let (cdr, kinds) = events_of_last_call(&sw, |k| k.iter().any(|e| e.starts_with("complete")));
    assert_eq!(
        kinds,
        ["enter", "ring:a2003", "connect:a2003", "complete:a2003"],
        "{}",
        sw.log_text()
    );
    assert_eq!(cdr.queue.as_deref(), Some("support"));
    assert_eq!(cdr.agent.as_deref(), Some("a2003"));
    assert_eq!(cdr.callee, "7000", "the number the customer dialled");
    assert!(
        cdr.legs
            .iter()
            .any(|l| l.extension == "2003" && l.answered_at.is_some()),
        "{:?}",
        cdr.legs
    );

    // One line per step of the call at `info`, each with its CDR id (issue 9: the log had none).
    let text = sw.log_text();
    let line = |what: &str| {
        text.lines()
            .find(|l| l.contains(what) && l.contains(&format!("cdr={}", cdr.call_id)))
            .unwrap_or_else(|| panic!("no `{what}` line for the call:\n{text}"))
            .to_string()
    };
    let start = line("call start");
    assert!(start.contains(" INFO "), "{start}");
    assert!(
        start.contains("caller=2001") && start.contains("dialled=7000"),
        "{start}"
    );
    assert!(
        start.contains("route=queue") && start.contains("target=support"),
        "{start}"
    );
    assert!(line("call queued").contains("queue=support"), "{text}");
    let agent_line = line("call answered by agent");
    assert!(
        agent_line.contains("agent=a2003") && agent_line.contains("extension=2003"),
        "{agent_line}"
    );
    let end = line("call end");
    assert!(
        end.contains("disposition=answered") && end.contains("duration_ms="),
        "{end}"
    );
    assert!(end.contains("cause="), "{end}");

    let queues = sw.http_get("/api/queues").expect("queues");
    assert!(queues.contains("\"name\":\"support\""), "{queues}");
    assert!(queues.contains("\"offered\":1"), "{queues}");
    assert!(queues.contains("\"answered\":1"), "{queues}");
    let agents = sw.http_get("/api/agents").expect("agents");
    assert!(agents.contains("\"id\":\"a2003\""), "{agents}");
    assert!(agents.contains("\"answered\":1"), "{agents}");
    let metrics = sw.http_get("/metrics").expect("metrics");
    assert!(
        metrics.contains("switchboard_queue_offered_today{queue=\"support\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("switchboard_queue_answered_today{queue=\"support\"} 1"),
        "{metrics}"
    );
}

#[test]
fn an_agent_who_does_not_answer_is_skipped_and_the_next_one_takes_the_call() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let sw = start();
    for a in ["a2002", "a2003"] {
        let (code, body) = post(&sw, &format!("/api/agents/{a}/login"));
        assert_eq!(code, 200, "{body}");
    }
    // a2002 comes first (linear) but only rings; a2003 answers.
    let ringer = callee(&sw, "2002", "uas_ring.xml", &[]).expect("ringing agent");
    let agent = callee_with(&sw, "2003", &scenario("uas_answer.xml"), &["-rtp_echo"])
        .expect("answering agent");
    let caller = queue_caller(&sw, "2001");
    let log = |e: anyhow::Error| panic!("{e}\n--- switch log ---\n{}", sw.log_text());
    caller.wait(Duration::from_secs(30)).unwrap_or_else(log);
    agent.wait(Duration::from_secs(10)).unwrap_or_else(log);
    ringer.wait(Duration::from_secs(10)).unwrap_or_else(log);
    let (cdr, kinds) = events_of_last_call(&sw, |k| k.iter().any(|e| e.starts_with("complete")));
    assert_eq!(
        kinds,
        [
            "enter",
            "ring:a2002",
            "ring_no_answer:a2002",
            "ring:a2003",
            "connect:a2003",
            "complete:a2003"
        ]
    );
    assert_eq!(cdr.agent.as_deref(), Some("a2003"));
    let now = chrono::Utc::now();
    let window = format!(
        "from={}&to={}",
        (now - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ"),
        (now + chrono::Duration::seconds(1)).format("%Y-%m-%dT%H:%M:%SZ")
    );
    let report = sw
        .http_get(&format!("/api/reports/agents?{window}&agent=a2003"))
        .expect("agent report");
    assert!(report.contains("\"agent\":\"a2003\""), "{report}");
    assert!(report.contains("\"calls_answered\":1"), "{report}");
    let report = sw
        .http_get(&format!("/api/reports/queues?{window}&queue=support"))
        .expect("queue report");
    assert!(report.contains("\"offered\":1"), "{report}");
    assert!(report.contains("\"answered\":1"), "{report}");
}

#[test]
fn feature_codes_log_an_agent_in_and_out() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let sw = start();
    call(&sw, "2003", "*91", CallerPlan::AnswerThenExpectBye).expect("*91 answered and hung up");
    let agents = sw.http_get("/api/agents").expect("agents");
    assert!(
        agents.contains("\"id\":\"a2003\",\"name\":\"Carol\",\"state\":\"available\""),
        "{agents}"
    );
    call(&sw, "2003", "*932", CallerPlan::AnswerThenExpectBye).expect("*932");
    let agents = sw.http_get("/api/agents").expect("agents");
    assert!(agents.contains("\"reason\":\"lunch\""), "{agents}");
    call(&sw, "2003", "*92", CallerPlan::AnswerThenExpectBye).expect("*92");
    let agents = sw.http_get("/api/agents").expect("agents");
    assert!(agents.contains("\"state\":\"logged_out\""), "{agents}");
    // Bad API input gets a clear 4xx.
    let (code, body) = sw
        .http("GET", "/api/reports/queues?from=yesterday&to=now")
        .expect("report");
    assert_eq!(code, 400, "{body}");
    let (code, body) = sw
        .http(
            "GET",
            "/api/reports/queues?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
        )
        .expect("report");
    assert_eq!(code, 400, "{body}");
}

/// Issue 9: an agent logged in whose phone is not registered showed `available` and was offered
/// the waiting caller every `retry_s` (each offer failing at once). Now it is shown with
/// `phone_offline`, offered nothing, and offered the caller the moment its phone registers.
#[test]
fn an_agent_whose_phone_is_offline_is_offered_the_caller_once_it_registers() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    use switchboard_e2e::{acd, wait_until};
    let sw = start();
    acd::login(&sw, "a2003").expect("login");
    let agents = sw.http_get("/api/agents").expect("agents");
    let a2003: serde_json::Value = serde_json::from_str::<Vec<serde_json::Value>>(&agents)
        .expect("json")
        .into_iter()
        .find(|a| a["id"] == "a2003")
        .expect("a2003");
    assert_eq!(a2003["state"], "available", "{agents}");
    assert_eq!(a2003["phone_offline"], true, "{agents}");

    let caller = acd::waiting_caller(&sw, "2001", "7000").expect("caller");
    // The caller waits past several retry delays (retry_s = 1) while the phone is away.
    wait_until(Duration::from_secs(20), "the caller to wait 3 s", || {
        let queues = sw.http_get("/api/queues").ok()?;
        let q: Vec<serde_json::Value> = serde_json::from_str(&queues).ok()?;
        (q.first()?["longest_wait_s"].as_f64()? >= 3.0).then_some(())
    })
    .expect("queued");
    let agent = acd::answering_agent(&sw, "2003", 1, Duration::from_secs(1)).expect("agent phone");
    acd::all_succeed(&sw, vec![caller, agent], Duration::from_secs(30)).expect("the call");
    let calls = acd::queue_calls(&sw, 1).expect("the stored call");
    assert_eq!(
        calls[0].summary(),
        ["enter", "ring:a2003", "connect:a2003", "complete:a2003"],
        "one offer, made when the phone registered\n{}",
        sw.log_text()
    );
    let agents = sw.http_get("/api/agents").expect("agents");
    assert!(agents.contains("\"phone_offline\":false"), "{agents}");
}
