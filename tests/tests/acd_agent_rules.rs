//! Agent rules end to end with SIPp phones: wrap-up keeps the next caller waiting until it ends
//! (or until `POST /api/agents/{id}/ready`), and an agent whose phone never answers is paused
//! with reason "no answer" after `max_missed` missed offers. Checked in the stored queue and
//! agent events and through the HTTP API.

use crm::{AgentEventKind, AgentStateName, QueueEventKind};
use std::time::{Duration, Instant};
use switchboard_e2e::acd::{
    self, agent_events, all_succeed, answering_agent, impatient_caller, login, queue_calls,
    ringing_agent, waiting_caller, QueueCall,
};
use switchboard_e2e::{Options, Switch};

fn start(queue_keys: &str, agent_keys: &str) -> Switch {
    Switch::start(Options {
        extra_toml: format!(
            "[[queues]]\nname = \"support\"\nnumber = \"7000\"\n{queue_keys}\n\
             [[agents]]\nid = \"a2002\"\nextension = \"2002\"\nqueues = [\"support\"]\n{agent_keys}\n"
        ),
        ..Options::default()
    })
    .expect("switch starts")
}

fn panic_on(e: anyhow::Error) -> ! {
    panic!("{e}")
}

fn agent_view(sw: &Switch, id: &str) -> serde_json::Value {
    acd::agent_view(sw, id).unwrap_or_else(|e| panic_on(e))
}

fn wait_for_state(sw: &Switch, id: &str, state: &str, within: Duration) {
    acd::wait_for_agent_state(sw, id, state, within).unwrap_or_else(|e| panic_on(e))
}

/// Two callers for one agent, the second once the first is in the queue; returns (first call,
/// second call).
fn two_callers(sw: &Switch, between: impl FnOnce()) -> (QueueCall, QueueCall) {
    let offered = |q: &serde_json::Value| q["offered"].as_u64().unwrap_or(0);
    let before = offered(&acd::queue_view(sw, "support").unwrap_or_else(|e| panic_on(e)));
    let first = waiting_caller(sw, "2001", "7000").expect("caller 1");
    acd::wait_for_queue(sw, "support", "the first caller in the queue", |q| {
        offered(q) > before
    })
    .unwrap_or_else(|e| panic_on(e));
    let second = waiting_caller(sw, "2003", "7000").expect("caller 2");
    between();
    all_succeed(sw, vec![first, second], Duration::from_secs(20)).unwrap_or_else(|e| panic_on(e));
    let calls = queue_calls(sw, 2).unwrap_or_else(|e| panic_on(e));
    let mut last_two = calls.into_iter().rev().take(2).collect::<Vec<_>>();
    let first = last_two.pop().expect("two calls");
    let second = last_two.pop().expect("two calls");
    (first, second)
}

/// From the first call's `complete` to the second call's `connect`.
fn gap(first: &QueueCall, second: &QueueCall) -> Duration {
    let completed = first.event("complete").map(|e| e.at).expect("complete");
    let (_, _, connected) = second.connect().expect("second connected");
    (connected - completed).to_std().unwrap_or_default()
}

#[test]
fn wrap_up_holds_the_next_call_until_it_ends_or_the_agent_is_ready() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let sw = start("wrap_up_s = 3", "");
    let phone = answering_agent(&sw, "2002", 4, Duration::from_millis(500)).expect("agent");
    login(&sw, "a2002").unwrap_or_else(|e| panic_on(e));

    // Wrap-up runs its full 3 s: the second caller waits for it.
    let (first, second) = two_callers(&sw, || {});
    for c in [&first, &second] {
        assert_eq!(
            c.summary(),
            ["enter", "ring:a2002", "connect:a2002", "complete:a2002"]
        );
    }
    let waited = gap(&first, &second);
    assert!(
        waited >= Duration::from_millis(2900) && waited < Duration::from_millis(4500),
        "next call {waited:?} after the last one ended"
    );
    let (_, wait, _) = second.connect().expect("connected");
    assert!(wait >= Duration::from_millis(3000), "connect wait {wait:?}");

    // The agent says ready during wrap-up: the next caller is connected at once.
    wait_for_state(&sw, "a2002", "available", Duration::from_secs(5));
    let (third, fourth) = two_callers(&sw, || {
        wait_for_state(&sw, "a2002", "wrap_up", Duration::from_secs(10));
        let (code, body) = sw.http("POST", "/api/agents/a2002/ready").expect("ready");
        assert_eq!(code, 200, "{body}");
    });
    let waited = gap(&third, &fourth);
    assert!(
        waited < Duration::from_millis(1500),
        "{waited:?} despite ready\n{}",
        sw.log_text()
    );
    all_succeed(&sw, vec![phone], Duration::from_secs(10)).unwrap_or_else(|e| panic_on(e));
    // Ready is refused when there is no wrap-up to end.
    wait_for_state(&sw, "a2002", "wrap_up", Duration::from_secs(5));
    wait_for_state(&sw, "a2002", "available", Duration::from_secs(5));
    let (code, body) = sw.http("POST", "/api/agents/a2002/ready").expect("ready");
    assert_eq!(code, 409, "{body}");

    // Four calls, four wrap-ups, each ended (by time, or by ready) in the stored events.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (into, out) = wrap_ups(&sw, "a2002");
        if (into, out) == (4, 4) {
            break;
        }
        assert!(Instant::now() < deadline, "wrap-ups in/out: {into}/{out}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// How often the stored events show `agent` entering and leaving wrap-up.
fn wrap_ups(sw: &Switch, agent: &str) -> (usize, usize) {
    let states: Vec<(AgentStateName, AgentStateName)> = agent_events(sw, agent)
        .unwrap_or_else(|e| panic_on(e))
        .into_iter()
        .filter_map(|e| match e.kind {
            AgentEventKind::State { from, to } => Some((from, to)),
            _ => None,
        })
        .collect();
    let count =
        |pair: (AgentStateName, AgentStateName)| states.iter().filter(|s| **s == pair).count();
    (
        count((AgentStateName::OnCall, AgentStateName::WrapUp)),
        count((AgentStateName::WrapUp, AgentStateName::Available)),
    )
}

#[test]
fn an_agent_who_never_answers_is_paused_for_no_answer() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let sw = start("ring_timeout_s = 1\nretry_s = 1", "max_missed = 2");
    let phone = ringing_agent(&sw, "2002", 2).expect("ringing phone");
    login(&sw, "a2002").unwrap_or_else(|e| panic_on(e));
    // Rung twice (1 s each, 1 s apart), then paused; the caller gives up after 4.5 s.
    let caller =
        impatient_caller(&sw, "2001", "7000", Duration::from_millis(4500)).expect("caller");
    all_succeed(&sw, vec![caller, phone], Duration::from_secs(20)).unwrap_or_else(|e| panic_on(e));

    let calls = queue_calls(&sw, 1).unwrap_or_else(|e| panic_on(e));
    assert_eq!(
        calls[0].summary(),
        [
            "enter",
            "ring:a2002",
            "ring_no_answer:a2002",
            "ring:a2002",
            "ring_no_answer:a2002",
            "abandon"
        ]
    );
    for e in &calls[0].events {
        if let QueueEventKind::RingNoAnswer { rang, .. } = &e.kind {
            assert!(
                *rang >= Duration::from_millis(900) && *rang < Duration::from_millis(2000),
                "rang {rang:?}"
            );
        }
    }
    assert_eq!(calls[0].cdr.agent, None);

    let view = agent_view(&sw, "a2002");
    assert_eq!(view["state"], "paused", "{view}");
    assert_eq!(view["reason"], "no answer", "{view}");
    let events = agent_events(&sw, "a2002").unwrap_or_else(|e| panic_on(e));
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds.first(), Some(&"login"), "{kinds:?}");
    let pauses: Vec<&str> = events
        .iter()
        .filter_map(|e| match &e.kind {
            AgentEventKind::Pause { reason } => Some(reason.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(pauses, ["no answer"]);
    let rung = events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                AgentEventKind::State {
                    to: AgentStateName::Ringing,
                    ..
                }
            )
        })
        .count();
    assert_eq!(rung, 2, "offered twice, then never again: {kinds:?}");
}
