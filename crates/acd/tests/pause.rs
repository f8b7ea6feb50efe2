//! Pauses asked for while the agent is busy (docs/acd.md, "After the call" and "Offers"): during
//! a call the pause waits for the call and its wrap-up; while the phone rings it withdraws the
//! offer at once and the call goes to the next agent.

mod common;

use acd::{Action, AgentState, Input, QueueConfig};
use common::{agents, pair, secs, Sim};

fn pause(s: &mut Sim, agent: &str, reason: &str) {
    s.ok(Input::AgentPause {
        agent: agent.into(),
        reason: reason.into(),
    });
}

fn state(s: &Sim, agent: &str) -> AgentState {
    s.acd.agent(agent).expect("agent").state
}

#[test]
fn a_pause_asked_for_during_a_call_applies_after_the_wrap_up() {
    let mut s = common::one_agent_on_call(secs(30));
    s.take();
    s.run_to(10);

    pause(&mut s, "a1", "lunch");
    let acts = s.take();
    assert!(
        !acts.iter().any(|a| matches!(a, Action::AgentPaused { .. })),
        "the caller is not cut off: {acts:?}"
    );
    assert!(
        matches!(state(&s, "a1"), AgentState::OnCall { .. }),
        "{:?}",
        state(&s, "a1")
    );

    s.hang_up("c1");
    s.call("c2", "q");
    assert!(
        matches!(state(&s, "a1"), AgentState::WrapUp { .. }),
        "wrap-up first: {:?}",
        state(&s, "a1")
    );
    s.run_to(39);
    assert!(matches!(state(&s, "a1"), AgentState::WrapUp { .. }));
    s.run_to(40);
    assert_eq!(
        state(&s, "a1"),
        AgentState::Paused {
            reason: "lunch".into()
        }
    );
    assert_eq!(s.offers(), vec![], "a paused agent is offered nothing");
    s.run_to(100);
    assert_eq!(s.offers(), vec![]);
    s.ok(Input::AgentUnpause { agent: "a1".into() });
    assert_eq!(s.offers(), vec![pair("c2", "a1")]);
}

#[test]
fn a_pause_while_the_phone_rings_withdraws_the_offer() {
    let mut s = Sim::new(vec![QueueConfig::new("q")], agents(2, "q"));
    s.login("a1");
    s.run_to(1);
    s.login("a2");
    s.call("c1", "q");
    assert_eq!(s.offers(), vec![pair("c1", "a1")], "longest idle first");
    assert!(matches!(state(&s, "a1"), AgentState::Ringing { .. }));

    pause(&mut s, "a1", "break");
    let acts = s.take();
    assert!(
        acts.contains(&Action::CancelOffer {
            call: "c1".into(),
            agent: "a1".into()
        }),
        "{acts:?}"
    );
    assert_eq!(
        state(&s, "a1"),
        AgentState::Paused {
            reason: "break".into()
        }
    );
    assert_eq!(
        common::offers_in(&acts),
        vec![pair("c1", "a2")],
        "the call goes on to the next agent"
    );
    // The withdrawn offer is gone: a late answer from a1 loses.
    assert_eq!(
        s.send(Input::OfferAnswered {
            call: "c1".into(),
            agent: "a1".into()
        }),
        Err(acd::AcdError::NotOffered {
            call: "c1".into(),
            agent: "a1".into()
        })
    );
}
