//! Run-time changes under a virtual clock: a queue's settings changed while callers wait
//! (strategy, ring timeout, profile, maximum wait), queues created and removed (refused while
//! busy, or with callers sent to overflow), and agents' memberships changed.

mod common;

use acd::{
    Acd, AcdError, Action, AgentConfig, AgentState, Input, Membership, OverflowReason, QueueConfig,
    QueueEventKind, Strategy, Timer,
};
use common::{agents, pair, secs, Sim};

fn member(queue: &str, weight: u32, order: u32) -> Membership {
    Membership {
        queue: queue.into(),
        weight,
        order,
    }
}

/// Everything the ACD asked for since the last look, including after direct API calls.
fn after(s: &mut Sim) -> Vec<Action> {
    let mut v = s.take();
    while let Some(a) = s.acd.poll_action() {
        v.push(a);
    }
    v
}

fn waiting_ids(acd: &Acd, queue: &str, now: std::time::Instant) -> Vec<(String, u64)> {
    acd.waiting(queue, now)
        .into_iter()
        .map(|w| (w.call, w.waited.as_secs()))
        .collect()
}

/// Two agents on calls, both in 30 s wrap-up ending at t=40; c1 and c2 wait meanwhile. When
/// `ring_all_at_20` the queue switches from linear to ring-all at t=20.
fn wrap_up_race(ring_all_at_20: bool) -> (Sim, Vec<(String, String)>) {
    let mut q = QueueConfig::new("q");
    q.strategy = Strategy::Linear;
    q.wrap_up = secs(30);
    let mut s = Sim::new(vec![q.clone()], agents(2, "q"));
    s.login("a1");
    s.login("a2");
    s.call("b1", "q");
    s.call("b2", "q");
    assert_eq!(s.offers(), [pair("b1", "a1"), pair("b2", "a2")]);
    s.answer("b1", "a1");
    s.answer("b2", "a2");
    s.run_to(10);
    s.hang_up("b1");
    s.hang_up("b2");
    s.run_to(11);
    s.call("c1", "q");
    s.run_to(12);
    s.call("c2", "q");
    s.run_to(20);
    s.take();
    if ring_all_at_20 {
        let before = waiting_ids(&s.acd, "q", s.now);
        q.strategy = Strategy::RingAll;
        s.acd.update_queue(s.now, q).unwrap();
        assert_eq!(
            waiting_ids(&s.acd, "q", s.now),
            before,
            "callers keep places and waits"
        );
    }
    s.run_to(40);
    let offers = s.offers();
    (s, offers)
}

#[test]
fn strategy_changes_while_callers_wait() {
    let (_, linear) = wrap_up_race(false);
    assert_eq!(linear, [pair("c1", "a1"), pair("c2", "a2")]);
    let (mut s, ring_all) = wrap_up_race(true);
    assert_eq!(
        ring_all,
        [pair("c1", "a1"), pair("c1", "a2")],
        "the first caller rings both agents; the second keeps waiting"
    );
    s.answer("c1", "a2");
    let actions = after(&mut s);
    assert!(actions.contains(&Action::CancelOffer {
        call: "c1".into(),
        agent: "a1".into()
    }));
    assert_eq!(
        common::offers_in(&actions),
        [pair("c2", "a1")],
        "a1 is free again and takes c2"
    );
}

#[test]
fn an_offer_in_flight_survives_an_update() {
    let mut q = QueueConfig::new("q");
    q.ring_timeout = secs(15);
    let mut s = Sim::new(vec![q.clone()], agents(2, "q"));
    s.login("a1");
    s.call("c1", "q");
    assert_eq!(s.offers(), [pair("c1", "a1")]);
    s.run_to(5);
    q.ring_timeout = secs(2);
    q.strategy = Strategy::RoundRobin;
    q.wrap_up = secs(10);
    s.acd.update_queue(s.now, q).unwrap();
    let actions = after(&mut s);
    assert!(
        !actions
            .iter()
            .any(|a| matches!(a, Action::CancelOffer { .. } | Action::Offer { .. })),
        "nothing withdrawn or re-offered: {actions:?}"
    );
    assert_eq!(
        s.acd.poll_timeout(),
        Some((s.t0 + secs(15), Timer::Ring { call: "c1".into() })),
        "the ring keeps the timeout it started with"
    );
    s.run_to(14);
    assert!(s.take().is_empty());
    s.answer("c1", "a1");
    assert!(matches!(
        s.acd.agent("a1").unwrap().state,
        AgentState::OnCall { .. }
    ));
    s.hang_up("c1");
    assert!(
        matches!(s.acd.agent("a1").unwrap().state, AgentState::WrapUp { until } if until == s.now + secs(10)),
        "the new wrap-up applies to the call that was in flight"
    );
}

#[test]
fn a_new_profile_applies_to_waiting_callers() {
    let q = QueueConfig::new("q");
    let novice = AgentConfig::new("novice")
        .skill("loans", 1)
        .member_of("q", 1);
    let mut s = Sim::new(vec![q.clone()], vec![novice]);
    s.login("novice");
    s.enqueue(acd::Enqueue::new("c1", "q").skill("loans", 3));
    assert!(s.offers().is_empty(), "loans:3 asked for 60 s");
    s.run_to(5);
    let mut q2 = q.clone();
    q2.call_skills_for = secs(10);
    s.acd.update_queue(s.now, q2).unwrap();
    s.run_to(9);
    assert!(s.offers().is_empty());
    s.run_to(10);
    assert_eq!(
        s.offers(),
        [pair("c1", "novice")],
        "widened 10 s after the caller entered"
    );
}

#[test]
fn a_shorter_maximum_wait_applies_at_once() {
    let mut q = QueueConfig::new("q");
    q.overflow = Some("2001".into());
    let mut s = Sim::new(vec![q.clone()], agents(1, "q"));
    s.call("c1", "q");
    s.run_to(100);
    s.call("c2", "q");
    s.run_to(120);
    after(&mut s);
    q.max_wait = Some(secs(60));
    s.acd.update_queue(s.now, q).unwrap();
    let actions = after(&mut s);
    assert!(actions.contains(&Action::Overflow {
        call: "c1".into(),
        queue: "q".into(),
        target: Some("2001".into()),
        reason: OverflowReason::MaxWait,
    }));
    assert_eq!(waiting_ids(&s.acd, "q", s.now), [("c2".to_string(), 20)]);
    s.run_to(159);
    assert!(s.take().is_empty());
    s.run_to(160);
    assert_eq!(s.take().len(), 2, "c2 overflows at 60 s: action and event");
}

#[test]
fn updating_an_unknown_or_invalid_queue_changes_nothing() {
    let mut s = Sim::new(vec![QueueConfig::new("q")], agents(1, "q"));
    let now = s.now;
    assert_eq!(
        s.acd.update_queue(now, QueueConfig::new("nope")),
        Err(AcdError::UnknownQueue("nope".into()))
    );
    let mut bad = QueueConfig::new("q");
    bad.ring_timeout = secs(0);
    assert!(matches!(
        s.acd.update_queue(now, bad),
        Err(AcdError::InvalidConfig(_))
    ));
    assert_eq!(s.acd.queue_config("q").unwrap().ring_timeout, secs(15));
    assert_eq!(
        s.acd.create_queue(now, QueueConfig::new("q")),
        Err(AcdError::DuplicateQueue("q".into()))
    );
}

#[test]
fn removing_a_busy_queue_is_refused_then_drained_to_overflow() {
    let mut q = QueueConfig::new("q");
    q.overflow = Some("general".into());
    let general = QueueConfig::new("general");
    let a1 = AgentConfig::new("a1")
        .member_of("q", 1)
        .member_of("general", 2);
    let mut s = Sim::new(vec![q, general], vec![a1]);
    s.login("a1");
    s.call("c1", "q");
    s.run_to(3);
    s.call("c2", "q");
    s.call("g1", "general");
    assert_eq!(s.offers(), [pair("c1", "a1")]);
    assert_eq!(
        s.acd.remove_queue(s.now, "q", false),
        Err(AcdError::QueueBusy {
            queue: "q".into(),
            waiting: 2
        })
    );
    assert!(after(&mut s).is_empty(), "refused: nothing happened");
    assert_eq!(s.acd.queue_names(), ["general", "q"]);

    let drained = s.acd.remove_queue(s.now, "q", true).unwrap();
    assert_eq!(drained, ["c1", "c2"]);
    let actions = after(&mut s);
    let overflowed: Vec<_> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Overflow {
                call,
                target,
                reason,
                ..
            } => Some((call.as_str(), target.as_deref(), *reason)),
            _ => None,
        })
        .collect();
    assert_eq!(
        overflowed,
        [
            ("c1", Some("general"), OverflowReason::QueueRemoved),
            ("c2", Some("general"), OverflowReason::QueueRemoved)
        ]
    );
    assert!(actions.contains(&Action::CancelOffer {
        call: "c1".into(),
        agent: "a1".into()
    }));
    assert_eq!(
        common::offers_in(&actions),
        [pair("g1", "a1")],
        "the freed agent takes the other queue's caller"
    );
    assert_eq!(s.acd.queue_names(), ["general"]);
    assert_eq!(s.acd.memberships("a1").unwrap(), [member("general", 0, 2)]);
    assert!(matches!(
        s.acd.stats("q", s.now),
        Err(AcdError::UnknownQueue(_))
    ));
    assert_eq!(
        s.acd.remove_queue(s.now, "q", true),
        Err(AcdError::UnknownQueue("q".into()))
    );
}

#[test]
fn a_connected_call_outlives_its_queue() {
    let mut s = common::one_agent_on_call(secs(30));
    after(&mut s);
    assert_eq!(s.acd.remove_queue(s.now, "q", false), Ok(vec![]));
    s.run_to(20);
    s.hang_up("c1");
    let actions = after(&mut s);
    assert!(actions.iter().any(|a| matches!(
        a,
        Action::QueueEvent(e) if matches!(&e.kind, QueueEventKind::Complete { talk, .. } if *talk == secs(20))
    )));
    assert_eq!(
        s.acd.agent("a1").unwrap().state,
        AgentState::Available,
        "no queue wrap-up left"
    );
}

#[test]
fn a_new_queue_gets_agents_by_membership() {
    let mut s = Sim::new(vec![QueueConfig::new("q")], agents(1, "q"));
    s.login("a1");
    s.call("old", "q");
    s.answer("old", "a1");
    s.run_to(1);
    s.call("c1", "q");
    s.run_to(50);
    s.acd.create_queue(s.now, QueueConfig::new("vip")).unwrap();
    s.call("v1", "vip");
    s.take();
    // Unknown queues and duplicates are refused and change nothing.
    assert_eq!(
        s.acd
            .set_memberships(s.now, "a1", vec![member("nope", 0, 0)]),
        Err(AcdError::UnknownQueue("nope".into()))
    );
    assert!(matches!(
        s.acd
            .set_memberships(s.now, "a1", vec![member("vip", 0, 0), member("vip", 1, 1)]),
        Err(AcdError::InvalidConfig(_))
    ));
    assert_eq!(
        s.acd.set_memberships(s.now, "ghost", vec![]),
        Err(AcdError::UnknownAgent("ghost".into()))
    );
    assert_eq!(s.acd.memberships("a1").unwrap(), [member("q", 0, 1)]);
    // Both queues, vip weighted higher: its caller goes first although c1 waited longer.
    s.acd
        .set_memberships(s.now, "a1", vec![member("q", 0, 1), member("vip", 5, 2)])
        .unwrap();
    s.hang_up("old");
    assert_eq!(s.offers(), [pair("v1", "a1")]);
    assert_eq!(
        s.acd.stats("vip", s.now).unwrap().agents.logged_in,
        1,
        "the live view counts the new member"
    );
}

#[test]
fn dropping_the_last_member_triggers_leave_when_empty() {
    let mut q = QueueConfig::new("q");
    q.leave_when_empty = acd::EmptyRule::NoAgentsLoggedIn;
    let mut s = Sim::new(vec![q, QueueConfig::new("other")], agents(1, "q"));
    s.login("a1");
    s.ok(Input::AgentPause {
        agent: "a1".into(),
        reason: "break".into(),
    });
    s.call("c1", "q");
    after(&mut s);
    s.acd
        .set_memberships(s.now, "a1", vec![member("other", 0, 0)])
        .unwrap();
    let actions = after(&mut s);
    assert!(actions.iter().any(|a| matches!(
        a,
        Action::Overflow { call, reason: OverflowReason::LeaveEmpty, .. } if call == "c1"
    )));
}

#[test]
fn agents_are_added_live_and_removed_only_when_logged_out() {
    let mut s = Sim::new(vec![QueueConfig::new("q")], Vec::new());
    s.call("c1", "q");
    assert!(s.offers().is_empty(), "nobody to offer to yet");
    // An agent added while the switch runs takes the waiting call once logged in.
    s.acd
        .add_agent(AgentConfig::new("new").member_of("q", 0))
        .unwrap();
    s.login("new");
    assert_eq!(s.offers(), [pair("c1", "new")]);
    let busy = s.acd.remove_agent(s.now, "new");
    assert!(
        matches!(
            busy,
            Err(AcdError::InvalidState {
                state: "ringing",
                ..
            })
        ),
        "{busy:?}"
    );
    assert!(s.acd.agent("new").is_some(), "refused: nothing changed");
    s.ok(Input::AgentLogout {
        agent: "new".into(),
    });
    s.acd.remove_agent(s.now, "new").unwrap();
    assert!(s.acd.agent("new").is_none());
    assert_eq!(
        s.acd.remove_agent(s.now, "new"),
        Err(AcdError::UnknownAgent("new".into()))
    );
}
