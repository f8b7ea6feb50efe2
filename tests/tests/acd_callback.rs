//! Queue callbacks end to end: a SIPp caller waiting in a queue presses the callback key (RFC
//! 4733 events in its RTP, from `switchboard_e2e::pcap`) and is hung up; an agent logs in and answers the
//! call the switch places; the customer (a SIPp phone registered at the caller's extension) is
//! called back, answers and hangs up. The queue events and both CDRs are read back from the
//! database.

use std::time::{Duration, Instant};
use switchboard_e2e::pcap::{tone_scenario, write_tone_pcap, ToneStream};
use switchboard_e2e::{callee, password, sipp, Options, Switch};

/// Queue `support` at 7000 with key 1 = callback; agent a2002 at 2002, logged out at start.
const ACD: &str = r#"
[[queues]]
name = "support"
number = "7000"
ring_timeout_s = 10
exit_keys = { "1" = "callback" }

[[agents]]
id = "a2002"
name = "Bob Agent"
extension = "2002"
queues = ["support"]
"#;

/// The CDRs and the original call's queue events, once both calls have ended (10 s at most).
fn stored(sw: &Switch) -> (Vec<crm::Cdr>, Vec<String>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let crm = crm::Crm::connect(&sw.database_url).await.expect("db");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let cdrs = crm.recent_cdrs(10).await.expect("cdrs");
            let original = cdrs.iter().find(|c| c.callee == "7000");
            let mut kinds = Vec::new();
            if let Some(o) = original {
                kinds = crm
                    .queue_events(&o.call_id)
                    .await
                    .expect("queue events")
                    .iter()
                    .map(|e| match e.kind.agent() {
                        Some(a) => format!("{}:{a}", e.kind.as_str()),
                        None => e.kind.as_str().to_string(),
                    })
                    .collect();
            }
            let done = cdrs.len() >= 2
                && cdrs.iter().all(|c| c.ended_at.is_some())
                && kinds.iter().any(|k| k.starts_with("complete"));
            if done || Instant::now() > deadline {
                return (cdrs, kinds);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
}

/// Fail with the switch's log attached.
fn fail<T>(sw: &Switch, e: anyhow::Error) -> T {
    panic!("{e}\n--- switch log ---\n{}", sw.log_text())
}

#[test]
fn a_caller_who_asks_for_a_callback_is_called_back_by_the_agent() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    callback_flow(false);
}

/// The switch restarts between the request and the agent's login: the callback comes back
/// from the CRM with its place and is placed all the same.
#[test]
fn a_callback_survives_a_restart_of_the_switch() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    callback_flow(true);
}

fn callback_flow(restart: bool) {
    let mut sw = Switch::start(Options {
        extra_toml: ACD.into(),
        ..Options::default()
    })
    .expect("switch starts");

    // 440 Hz with key 1 pressed 1.5 s after the queue answers; then the caller waits for the
    // switch's BYE.
    let pcap = sw.dir.path().join("callback-key.pcap");
    write_tone_pcap(&pcap, &ToneStream::new(440.0, 3).key_at(1500, '1')).expect("pcap");
    let scenario = tone_scenario(sw.dir.path(), "uac_keys_await_bye.xml", &pcap).expect("scenario");
    let (port, media) = (
        switchboard_e2e::free_port().to_string(),
        switchboard_e2e::free_media_port().to_string(),
    );
    let caller = sipp(
        &sw,
        "callback-caller",
        &scenario,
        &[
            "-s",
            "7000",
            "-au",
            "2001",
            "-ap",
            password("2001"),
            "-key",
            "caller",
            "2001",
            "-p",
            &port,
            "-mp",
            &media,
            "-m",
            "1",
        ],
    )
    .unwrap_or_else(|e| fail(&sw, e));
    // The key press, the read-back and the switch's BYE.
    caller
        .wait(Duration::from_secs(20))
        .unwrap_or_else(|e| fail(&sw, e));
    let queues = sw.http_get("/api/queues").expect("queues");
    assert!(
        queues.contains("\"waiting\":1"),
        "the place is kept: {queues}"
    );
    if restart {
        sw.restart().unwrap_or_else(|e| fail(&sw, e));
        let queues = sw.http_get("/api/queues").expect("queues");
        assert!(
            queues.contains("\"waiting\":1") && sw.log_text().contains("callback restored"),
            "the callback is back after the restart: {queues}\n{}",
            sw.log_text()
        );
    }

    // The customer's own phone: registered at 2001, answers, talks 2 s and hangs up.
    let customer =
        callee(&sw, "2001", "uas_answer_bye.xml", &["-d", "2000"]).unwrap_or_else(|e| fail(&sw, e));

    // The agent's phone answers and waits for the BYE; the agent logs in through the API.
    let agent =
        callee(&sw, "2002", "uas_answer.xml", &["-rtp_echo"]).unwrap_or_else(|e| fail(&sw, e));
    let (code, body) = sw
        .http("POST", "/api/agents/a2002/login")
        .expect("HTTP request");
    assert_eq!(code, 200, "{body}");
    customer
        .wait(Duration::from_secs(20))
        .unwrap_or_else(|e| fail(&sw, e));
    agent
        .wait(Duration::from_secs(10))
        .unwrap_or_else(|e| fail(&sw, e));

    let (cdrs, kinds) = stored(&sw);
    let original = cdrs
        .iter()
        .find(|c| c.callee == "7000")
        .unwrap_or_else(|| panic!("no original CDR: {cdrs:?}\n{}", sw.log_text()));
    assert_eq!(original.caller, "2001");
    assert_eq!(
        original.hangup_cause.as_deref(),
        Some("callback requested"),
        "{original:?}"
    );
    assert_eq!(
        original.vars.get("callback").map(String::as_str),
        Some("2001")
    );
    assert_eq!(
        kinds,
        [
            "enter",
            "callback",
            "ring:a2002",
            "connect:a2002",
            "complete:a2002"
        ],
        "{}",
        sw.log_text()
    );

    let callback = cdrs
        .iter()
        .find(|c| c.vars.get("callback_of") == Some(&original.call_id))
        .unwrap_or_else(|| panic!("no callback CDR: {cdrs:?}\n{}", sw.log_text()));
    assert_eq!(
        callback.caller, "2001",
        "the customer is the callback's caller"
    );
    assert_eq!(callback.callee, "2002");
    let log = sw.log_text();
    assert!(
        log.lines().any(|l| l.contains("call start")
            && l.contains(&format!("cdr={}", callback.call_id))
            && l.contains("route=callback target=support")),
        "the callback's start is logged: {log}"
    );
    assert_eq!(callback.queue.as_deref(), Some("support"));
    assert_eq!(callback.agent.as_deref(), Some("a2002"));
    assert_eq!(
        callback.disposition.map(|d| d.as_str()),
        Some("answered"),
        "{callback:?}"
    );
    assert!(callback.answered_at.is_some(), "{callback:?}");
    assert_eq!(callback.hangup_side.map(|s| s.as_str()), Some("caller"));
    let customer_leg = callback
        .legs
        .iter()
        .find(|l| l.role == crm::LegRole::Caller)
        .expect("customer leg");
    assert_eq!(customer_leg.extension, "2001");
    assert!(customer_leg.answered_at.is_some(), "{:?}", callback.legs);
    let agent_leg = callback
        .legs
        .iter()
        .find(|l| l.role == crm::LegRole::Callee)
        .expect("agent leg");
    assert_eq!(agent_leg.extension, "2002");
    let queues = sw.http_get("/api/queues").expect("queues");
    assert!(queues.contains("\"waiting\":0"), "{queues}");
}
