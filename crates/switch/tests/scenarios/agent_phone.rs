//! Agents whose phone has no registered contact (docs/acd.md, "Phones offline"): shown
//! available with `phone_offline`, offered no call, and offered the waiting call the moment the
//! phone registers; an expired or removed registration takes the agent's phone offline again.

use super::harness::{phone, TestSwitch};
use super::ivr_support::ivr_switch;
use super::phone::Phone;
use acd::QueueEventKind;
use std::time::Duration;
use switch::AcdEvent;

fn rings(events: &[AcdEvent]) -> usize {
    events
        .iter()
        .filter(
            |e| matches!(e, AcdEvent::Queue(q) if matches!(q.kind, QueueEventKind::Ring { .. })),
        )
        .count()
}

fn agent_view(ts: &TestSwitch) -> switch::AgentView {
    ts.sw
        .acd_snapshot(ts.now)
        .agents
        .into_iter()
        .find(|a| a.id == "a1003")
        .expect("agent a1003")
}

/// A caller of 7000, answered by the switch and waiting.
fn caller_waits(ts: &mut TestSwitch, a: &mut Phone) {
    let sdp = a.sdp("sendrecv");
    let mut ad = ts.invite(a, "7000", Some(&sdp));
    let ok = ts.expect_status(a, 200);
    ad.learn(&ok);
    ts.send(a.peer, &a.ack_2xx(&ad));
}

/// Regression: a logged-in agent whose phone was not registered showed `available` and was
/// offered the waiting call every retry delay (5 s) while the caller waited.
#[test]
fn an_unregistered_agent_is_not_offered_calls_until_the_phone_registers() {
    let mut ts = ivr_switch(); // a1003 logged in at 1003, which has not registered
    let (mut a, mut agent) = (phone(1001), phone(1003));
    let view = agent_view(&ts);
    assert_eq!((view.state, view.phone_offline), ("available", true));
    let queue = ts.sw.acd_snapshot(ts.now).queues.remove(0);
    assert_eq!((queue.agents_available, queue.agents_phone_offline), (1, 1));

    caller_waits(&mut ts, &mut a);
    ts.advance(Duration::from_secs(60));
    assert_eq!(rings(&ts.take_acd_events()), 0, "no offer while offline");

    // The phone registers: the waiting caller is offered to the agent at once.
    ts.register(&mut agent, 3600);
    let inv = ts.expect_request(&agent, "INVITE");
    assert!(inv.request_uri().starts_with("sip:1003@"), "{}", inv.text);
    assert!(!agent_view(&ts).phone_offline);
    let events = ts.take_acd_events();
    assert_eq!(rings(&events), 1);
    assert!(events.iter().any(|e| matches!(e, AcdEvent::Agent(x)
        if x.kind == acd::AgentEventKind::Phone { online: true })));
}

#[test]
fn an_expired_or_removed_registration_takes_the_phone_offline() {
    let mut ts = ivr_switch();
    let mut agent = phone(1003);
    ts.register(&mut agent, 60);
    assert!(!agent_view(&ts).phone_offline);
    ts.advance(Duration::from_secs(59));
    assert!(!agent_view(&ts).phone_offline, "not yet expired");
    ts.advance(Duration::from_secs(2));
    let view = agent_view(&ts);
    assert_eq!((view.state, view.phone_offline), ("available", true));

    ts.register(&mut agent, 3600);
    assert!(!agent_view(&ts).phone_offline);
    ts.register(&mut agent, 0); // the phone signs off
    assert!(agent_view(&ts).phone_offline);

    let mut a = phone(1001);
    caller_waits(&mut ts, &mut a);
    ts.advance(Duration::from_secs(30));
    assert_eq!(rings(&ts.take_acd_events()), 0);
    ts.assert_quiet(&agent);
}

/// Regression (issue 9): the pop's "waited" counted the IVR too while the queue's wait did
/// not; the pop now says both. The caller spends 7 s in the menu, then 20 s in the queue while
/// the agent's phone is offline.
#[test]
fn the_screen_pop_tells_the_wait_in_the_queue_from_the_whole_wait() {
    let mut ts = ivr_switch();
    let (mut a, mut agent) = (phone(1001), phone(1003));
    let c = super::ivr_support::answered_by_plan(&mut ts, &mut a, "1588");
    let mut ad = c.a;
    ts.advance(Duration::from_secs(7));
    super::ivr_support::info_digit(&mut ts, &mut a, &mut ad, '2');
    ts.advance(Duration::from_secs(20));
    ts.take_actions();
    ts.register(&mut agent, 3600);
    let pop = ts
        .take_actions()
        .into_iter()
        .find_map(|x| match x {
            switch::Action::ScreenPop(p) => Some(p),
            _ => None,
        })
        .expect("the agent's screen pops once the phone registers");
    assert_eq!((pop.waited_total_s, pop.waited_in_queue_s), (27, 20));
    assert_eq!(
        pop.waited_s, pop.waited_total_s,
        "the old field is the whole wait"
    );
}
