//! Every distribution strategy end to end: three SIPp agent phones registered and logged in
//! through the HTTP API, SIPp callers dialling the queue's number, and for each call the agent
//! the strategy must pick, checked in the stored queue events and the CDR's `queue`/`agent`.

use crm::{EndedBy, QueueEventKind};
use std::time::Duration;
use switchboard_e2e::acd::{
    all_succeed, answering_agent, login, overlapping_calls, queue_calls, ringing_agent,
    wait_for_agent_state, waiting_caller, QueueCall,
};
use switchboard_e2e::{Options, Switch};

/// Agent ids and their extensions, in membership order (`order` 0, 1, 2).
const AGENTS: [(&str, &str); 3] = [("a2002", "2002"), ("a2003", "2003"), ("a2004", "2004")];

/// A switch with queue `sales` at 7000 using `strategy`, served by all three agents.
fn switch(strategy: &str) -> Switch {
    let mut toml = format!(
        "[[queues]]\nname = \"sales\"\nnumber = \"7000\"\nstrategy = \"{strategy}\"\n\
         ring_timeout_s = 5\nretry_s = 1\n"
    );
    for (order, (id, ext)) in AGENTS.iter().enumerate() {
        toml.push_str(&format!(
            "[[agents]]\nid = \"{id}\"\nextension = \"{ext}\"\n\
             queues = [{{ queue = \"sales\", order = {order} }}]\n"
        ));
    }
    Switch::start(Options {
        extra_toml: toml,
        ..Options::default()
    })
    .expect("switch starts")
}

/// Log agents in one by one, a little apart so their idle-since instants differ clearly.
fn login_in_order(sw: &Switch, agents: &[&str]) {
    for a in agents {
        login(sw, a).unwrap_or_else(|e| panic!("{e}"));
        std::thread::sleep(Duration::from_millis(30));
    }
}

/// One caller after another, each waiting until its agent hangs up.
fn sequential_calls(sw: &Switch, n: usize) {
    for _ in 0..n {
        let caller = waiting_caller(sw, "2001", "7000").expect("caller starts");
        all_succeed(sw, vec![caller], Duration::from_secs(20)).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// The stored calls (exactly `n`), each checked as answered by its agent and completed by the
/// agent hanging up; returns the agents in call order.
fn answered_by(sw: &Switch, n: usize) -> Vec<String> {
    let calls = queue_calls(sw, n).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(calls.len(), n, "{:?}", summaries(&calls));
    calls.iter().map(check_answered).collect()
}

fn summaries(calls: &[QueueCall]) -> Vec<Vec<String>> {
    calls.iter().map(QueueCall::summary).collect()
}

/// A call rung at one agent who answered and later hung up: events and CDR agree.
fn check_answered(call: &QueueCall) -> String {
    let agent = call
        .agent()
        .unwrap_or_else(|| panic!("not connected: {:?}", call.summary()))
        .to_string();
    assert_eq!(
        call.summary(),
        [
            "enter".to_string(),
            format!("ring:{agent}"),
            format!("connect:{agent}"),
            format!("complete:{agent}"),
        ]
    );
    assert!(call.events.iter().all(|e| e.queue == "sales"));
    let ended_by = call.events.iter().find_map(|e| match &e.kind {
        QueueEventKind::Complete { ended_by, .. } => Some(*ended_by),
        _ => None,
    });
    assert_eq!(ended_by, Some(EndedBy::Agent), "the agent's phone hung up");
    assert_eq!(call.cdr.queue.as_deref(), Some("sales"));
    assert_eq!(call.cdr.agent.as_deref(), Some(agent.as_str()));
    assert_eq!(call.cdr.callee, "7000");
    assert_eq!(call.cdr.hangup_side, Some(crm::Side::Callee));
    let ext = &agent[1..];
    assert!(
        call.cdr
            .legs
            .iter()
            .any(|l| l.extension == ext && l.answered_at.is_some()),
        "{:?}",
        call.cdr.legs
    );
    agent
}

#[test]
fn longest_idle_offers_the_agent_waiting_longest() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let sw = switch("longest-idle");
    let talk = Duration::from_millis(400);
    let phones = vec![
        answering_agent(&sw, "2002", 1, talk).expect("a2002"),
        answering_agent(&sw, "2003", 1, talk).expect("a2003"),
        answering_agent(&sw, "2004", 2, talk).expect("a2004"),
    ];
    // Logged in 2004, 2002, 2003: that is the idle order; each call sends its agent to the back.
    login_in_order(&sw, &["a2004", "a2002", "a2003"]);
    sequential_calls(&sw, 4);
    all_succeed(&sw, phones, Duration::from_secs(10)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answered_by(&sw, 4), ["a2004", "a2002", "a2003", "a2004"]);
}

#[test]
fn round_robin_follows_membership_order_after_the_last_agent_offered() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let sw = switch("round-robin");
    let talk = Duration::from_millis(400);
    let phones = vec![
        answering_agent(&sw, "2002", 2, talk).expect("a2002"),
        answering_agent(&sw, "2003", 1, talk).expect("a2003"),
        answering_agent(&sw, "2004", 1, talk).expect("a2004"),
    ];
    // Reverse login order: longest-idle would start with a2004, round-robin starts at order 0.
    login_in_order(&sw, &["a2004", "a2003", "a2002"]);
    sequential_calls(&sw, 4);
    all_succeed(&sw, phones, Duration::from_secs(10)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answered_by(&sw, 4), ["a2002", "a2003", "a2004", "a2002"]);
}

#[test]
fn fewest_calls_prefers_agents_who_answered_less_in_the_queue() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let sw = switch("fewest-calls");
    let talk = Duration::from_millis(400);
    let phones = vec![
        answering_agent(&sw, "2002", 2, talk).expect("a2002"),
        answering_agent(&sw, "2003", 2, talk).expect("a2003"),
        answering_agent(&sw, "2004", 1, talk).expect("a2004"),
    ];
    // a2002 alone takes two calls; then a2003 and a2004 join. a2002 is the longest idle, but
    // has answered the most, so the next calls go to the others (ties: longest idle).
    login_in_order(&sw, &["a2002"]);
    sequential_calls(&sw, 2);
    login_in_order(&sw, &["a2003", "a2004"]);
    sequential_calls(&sw, 3);
    all_succeed(&sw, phones, Duration::from_secs(10)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        answered_by(&sw, 5),
        ["a2002", "a2002", "a2003", "a2004", "a2003"]
    );
}

#[test]
fn least_talk_time_prefers_the_agent_who_talked_least() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let sw = switch("least-talk-time");
    // a2002 talks 1.5 s a call, a2003 0.3 s.
    let phones = vec![
        answering_agent(&sw, "2002", 1, Duration::from_millis(1500)).expect("a2002"),
        answering_agent(&sw, "2003", 2, Duration::from_millis(300)).expect("a2003"),
    ];
    login_in_order(&sw, &["a2002", "a2003"]);
    // Call 3: both answered one call and a2002 has been idle longer (fewest-calls and
    // longest-idle would pick a2002), but a2003 talked less.
    sequential_calls(&sw, 3);
    all_succeed(&sw, phones, Duration::from_secs(10)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answered_by(&sw, 3), ["a2002", "a2003", "a2003"]);
    let agents: serde_json::Value =
        serde_json::from_str(&sw.http_get("/api/agents").expect("agents")).expect("JSON");
    let talk_of = |id: &str| {
        agents
            .as_array()
            .or_else(|| agents["agents"].as_array())
            .and_then(|list| list.iter().find(|a| a["id"] == id))
            .and_then(|a| a["talk_s"].as_f64())
            .unwrap_or_else(|| panic!("no talk_s for {id}: {agents}"))
    };
    assert!(talk_of("a2002") >= 1.4, "{agents}");
    assert!(talk_of("a2003") < 1.2, "{agents}");
}

#[test]
fn ring_all_rings_everyone_and_the_first_answer_wins() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let sw = switch("ring-all");
    let phones = vec![
        answering_agent(&sw, "2002", 1, Duration::from_millis(500)).expect("a2002"),
        ringing_agent(&sw, "2003", 1).expect("a2003"),
        ringing_agent(&sw, "2004", 1).expect("a2004"),
    ];
    login_in_order(&sw, &["a2004", "a2003", "a2002"]);
    sequential_calls(&sw, 1);
    // The ringing phones ended cleanly: the switch cancelled them.
    all_succeed(&sw, phones, Duration::from_secs(10)).unwrap_or_else(|e| panic!("{e}"));
    let calls = queue_calls(&sw, 1).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(calls.len(), 1);
    let mut kinds = calls[0].summary();
    // All three are rung in the same instant; their order among themselves does not matter.
    kinds[1..4].sort();
    assert_eq!(
        kinds,
        [
            "enter",
            "ring:a2002",
            "ring:a2003",
            "ring:a2004",
            "connect:a2002",
            "complete:a2002"
        ]
    );
    assert_eq!(calls[0].cdr.agent.as_deref(), Some("a2002"));
    // Losing a ring-all race is not a missed call.
    let agents = sw.http_get("/api/agents").expect("agents");
    assert!(!agents.contains("\"missed_in_a_row\":1"), "{agents}");
    assert!(!agents.contains("\"state\":\"paused\""), "{agents}");
}

#[test]
fn linear_always_starts_at_the_first_agent_and_skips_busy_ones() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let sw = switch("linear");
    let phones = vec![
        answering_agent(&sw, "2002", 2, Duration::from_millis(2000)).expect("a2002"),
        answering_agent(&sw, "2003", 1, Duration::from_millis(500)).expect("a2003"),
    ];
    login_in_order(&sw, &["a2004", "a2003", "a2002"]);
    // Two callers overlap: a2002 (order 0) takes the first, a2003 the second while a2002
    // talks. Then a third caller on its own goes to a2002 again; a2004 is never needed.
    let first = waiting_caller(&sw, "2001", "7000").expect("caller 1");
    wait_for_agent_state(&sw, "a2002", "on_call", Duration::from_secs(15))
        .unwrap_or_else(|e| panic!("{e}"));
    let second = waiting_caller(&sw, "2001", "7000").expect("caller 2");
    all_succeed(&sw, vec![first, second], Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("{e}"));
    sequential_calls(&sw, 1);
    all_succeed(&sw, phones, Duration::from_secs(10)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answered_by(&sw, 3), ["a2002", "a2003", "a2002"]);
}

#[test]
fn random_uses_every_agent_and_never_a_busy_one() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let sw = switch("random");
    let waves = 10;
    let talk = Duration::from_millis(500);
    // Each phone could be picked for any number of calls: enough room, stopped at the end.
    let _phones: Vec<_> = AGENTS
        .iter()
        .map(|(_, ext)| answering_agent(&sw, ext, 2 * waves, talk).expect("agent phone"))
        .collect();
    login_in_order(&sw, &["a2002", "a2003", "a2004"]);
    // Two callers at a time: the second is always offered while the first agent is busy, so
    // each wave leaves out one agent at random (all three missing from 10 waves: 3 × 3^-10).
    for _ in 0..waves {
        let callers = vec![
            waiting_caller(&sw, "2001", "7000").expect("caller"),
            waiting_caller(&sw, "2001", "7000").expect("caller"),
        ];
        all_succeed(&sw, callers, Duration::from_secs(20)).unwrap_or_else(|e| panic!("{e}"));
    }
    let n = 2 * waves;
    let agents = answered_by(&sw, n);
    for (id, _) in AGENTS {
        assert!(
            agents.iter().any(|a| a == id),
            "{id} never used: {agents:?}"
        );
    }
    let calls = queue_calls(&sw, n).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        overlapping_calls(&calls),
        [],
        "an agent was offered a call while busy"
    );
}
