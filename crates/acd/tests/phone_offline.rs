//! Agents whose phone is offline (docs/acd.md, "Phones offline"): logged in and available, but
//! offered no call until the phone is back, and then at once.

mod common;

use acd::{Action, AgentEventKind, AgentState, Input, QueueConfig};
use common::{agents, pair, secs, Sim};

fn phone(s: &mut Sim, agent: &str, online: bool) {
    s.ok(Input::AgentPhone {
        agent: agent.into(),
        online,
    });
}

/// Regression: an available agent whose phone had no registration was offered the waiting
/// call again after every retry delay while the caller waited.
#[test]
fn an_offline_agent_is_not_offered_calls_and_is_at_once_when_back() {
    let mut q = QueueConfig::new("q");
    q.retry = secs(5);
    let mut s = Sim::new(vec![q], agents(1, "q"));
    phone(&mut s, "a1", false);
    s.login("a1");
    s.call("c1", "q");
    s.run_to(120);
    assert_eq!(s.offers(), vec![], "never offered while offline");
    let status = s.acd.agent("a1").expect("agent");
    assert_eq!(status.state, AgentState::Available);
    assert!(status.phone_offline);
    let stats = s.acd.stats("q", s.now).expect("stats");
    assert_eq!((stats.agents.available, stats.agents.phone_offline), (1, 1));

    s.run_to(121);
    phone(&mut s, "a1", true);
    let acts = s.take();
    assert!(
        acts.iter().any(|a| matches!(a, Action::AgentEvent(e)
            if e.kind == AgentEventKind::Phone { online: true })),
        "{acts:?}"
    );
    assert_eq!(common::offers_in(&acts), vec![pair("c1", "a1")]);
    assert!(!s.acd.agent("a1").expect("agent").phone_offline);
}

#[test]
fn a_call_goes_to_the_online_agent_first() {
    let mut s = Sim::new(vec![QueueConfig::new("q")], agents(2, "q"));
    s.login("a1");
    s.run_to(1);
    s.login("a2");
    phone(&mut s, "a1", false);
    s.call("c1", "q");
    assert_eq!(
        s.offers(),
        vec![pair("c1", "a2")],
        "a1 idles longer but is offline"
    );
}

#[test]
fn back_online_waives_the_retry_delay_of_a_miss() {
    let mut q = QueueConfig::new("q");
    q.retry = secs(60);
    let mut s = Sim::new(vec![q], agents(1, "q"));
    s.login("a1");
    s.call("c1", "q");
    assert_eq!(s.offers(), vec![pair("c1", "a1")]);
    // The phone vanished: the offer failed at once, and the switch learns it is offline.
    s.ok(Input::OfferRejected {
        call: "c1".into(),
        agent: "a1".into(),
    });
    phone(&mut s, "a1", false);
    s.run_to(10);
    assert_eq!(s.offers(), vec![]);
    phone(&mut s, "a1", true);
    assert_eq!(
        s.offers(),
        vec![pair("c1", "a1")],
        "not after the 60 s retry"
    );
}

#[test]
fn repeated_reports_change_nothing_and_unknown_agents_are_refused() {
    let mut s = Sim::new(vec![QueueConfig::new("q")], agents(1, "q"));
    phone(&mut s, "a1", true);
    assert!(s.take().is_empty(), "online is the default: no event");
    phone(&mut s, "a1", false);
    phone(&mut s, "a1", false);
    let events = s
        .take()
        .into_iter()
        .filter(|a| matches!(a, Action::AgentEvent(_)))
        .count();
    assert_eq!(events, 1);
    assert!(s
        .send(Input::AgentPhone {
            agent: "nobody".into(),
            online: false
        })
        .is_err());
}
