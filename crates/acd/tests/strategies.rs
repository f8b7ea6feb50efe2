//! Each distribution strategy under a virtual clock.

mod common;

use acd::{AcdError, Action, AgentState, Input, QueueConfig, Strategy};
use common::{agents, pair, Sim};

fn sim(strategy: Strategy) -> Sim {
    let mut q = QueueConfig::new("q");
    q.strategy = strategy;
    let mut s = Sim::new(vec![q], agents(3, "q"));
    // Logged in last-to-first so idle order and membership order disagree.
    for (t, a) in [(0, "a3"), (1, "a2"), (2, "a1")] {
        s.run_to(t);
        s.login(a);
    }
    s.run_to(10);
    s
}

/// Offer `call`, answer it and hang up at once; returns the agent.
fn serve(s: &mut Sim, call: &str) -> String {
    s.call(call, "q");
    let offers = s.offers();
    assert_eq!(offers.len(), 1, "{offers:?}");
    let agent = offers[0].1.clone();
    s.answer(call, &agent);
    s.run_to(s.t() + 1);
    s.hang_up(call);
    agent
}

#[test]
fn longest_idle_picks_the_agent_free_longest() {
    let mut s = sim(Strategy::LongestIdle);
    assert_eq!(serve(&mut s, "c1"), "a3");
    assert_eq!(serve(&mut s, "c2"), "a2");
    assert_eq!(serve(&mut s, "c3"), "a1");
    assert_eq!(serve(&mut s, "c4"), "a3");
}

#[test]
fn linear_always_starts_at_the_top() {
    let mut s = sim(Strategy::Linear);
    assert_eq!(serve(&mut s, "c1"), "a1");
    assert_eq!(serve(&mut s, "c2"), "a1");
    s.call("c3", "q");
    assert_eq!(s.offers(), vec![pair("c3", "a1")]);
    s.answer("c3", "a1");
    s.call("c4", "q");
    assert_eq!(
        s.offers(),
        vec![pair("c4", "a2")],
        "next down when the top is busy"
    );
}

#[test]
fn round_robin_rotates_in_membership_order() {
    let mut s = sim(Strategy::RoundRobin);
    let got: Vec<String> = (1..=5).map(|i| serve(&mut s, &format!("c{i}"))).collect();
    assert_eq!(got, ["a1", "a2", "a3", "a1", "a2"]);
}

#[test]
fn fewest_calls_and_least_talk_time() {
    let mut s = sim(Strategy::Linear);
    // a1 takes two short calls, a2 one long call.
    assert_eq!(serve(&mut s, "c1"), "a1");
    assert_eq!(serve(&mut s, "c2"), "a1");
    s.call("c3", "q");
    s.call("c4", "q");
    assert_eq!(s.offers(), vec![pair("c3", "a1"), pair("c4", "a2")]);
    s.answer("c4", "a2");
    s.ok(Input::OfferRejected {
        call: "c3".into(),
        agent: "a1".into(),
    });
    assert_eq!(
        s.offers(),
        vec![pair("c3", "a3")],
        "a miss moves the call on"
    );
    s.answer("c3", "a3");
    s.run_to(s.t() + 100);
    s.hang_up("c4");
    s.run_to(s.t() + 100);
    s.hang_up("c3");
    // answered: a1 2, a2 1, a3 1 (talk a2 100 s, a3 200 s, a1 2 s).
    let mut q = QueueConfig::new("q");
    q.strategy = Strategy::FewestCalls;
    s.acd.add_queue(q.clone()).unwrap();
    // a2 and a3 tie on calls: the longer idle (a2) wins.
    assert_eq!(serve(&mut s, "c5"), "a2");
    q.strategy = Strategy::LeastTalkTime;
    s.acd.add_queue(q).unwrap();
    assert_eq!(serve(&mut s, "c6"), "a1");
}

#[test]
fn ring_all_rings_everyone_and_the_first_answer_wins() {
    let mut s = sim(Strategy::RingAll);
    s.call("c1", "q");
    let mut offers = s.offers();
    offers.sort();
    assert_eq!(
        offers,
        vec![pair("c1", "a1"), pair("c1", "a2"), pair("c1", "a3")]
    );
    s.answer("c1", "a2");
    let cancels: Vec<_> = s
        .take()
        .into_iter()
        .filter_map(|a| match a {
            Action::CancelOffer { call, agent } => Some((call, agent)),
            _ => None,
        })
        .collect();
    assert_eq!(cancels, vec![pair("c1", "a1"), pair("c1", "a3")]);
    assert_eq!(s.acd.agent("a1").unwrap().state, AgentState::Available);
    assert!(matches!(
        s.acd.agent("a2").unwrap().state,
        AgentState::OnCall { .. }
    ));
    let late = s.send(Input::OfferAnswered {
        call: "c1".into(),
        agent: "a3".into(),
    });
    assert_eq!(
        late,
        Err(AcdError::NotOffered {
            call: "c1".into(),
            agent: "a3".into()
        }),
        "a second answer loses the race"
    );
}

#[test]
fn random_is_reproducible_and_spreads() {
    let run = || {
        let mut s = sim(Strategy::Random);
        (0..60)
            .map(|i| serve(&mut s, &format!("c{i}")))
            .collect::<Vec<_>>()
    };
    let first = run();
    assert_eq!(first, run(), "same seed, same picks");
    for a in ["a1", "a2", "a3"] {
        let n = first.iter().filter(|x| *x == a).count();
        assert!((8..=32).contains(&n), "{a} got {n} of 60");
    }
}
