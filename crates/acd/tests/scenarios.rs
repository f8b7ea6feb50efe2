//! Queue behaviour under a virtual clock: priority, FIFO, skill widening, wrap-up, missed
//! offers, abandon, overflow, empty rules, callbacks, transfers, announcements, statistics.

mod common;

use acd::{
    AcdError, Action, AgentConfig, AgentState, EmptyRule, Enqueue, Input, OverflowReason,
    QueueConfig, QueueEventKind, RoutingStep, NO_ANSWER,
};
use common::{agents, pair, secs, Sim};

fn one_agent(q: QueueConfig) -> Sim {
    let mut s = Sim::new(vec![q], agents(1, "q"));
    s.login("a1");
    s.take();
    s
}

fn overflows(actions: &[Action]) -> Vec<(String, Option<String>, OverflowReason)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Overflow {
                call,
                target,
                reason,
                ..
            } => Some((call.clone(), target.clone(), *reason)),
            _ => None,
        })
        .collect()
}

#[test]
fn vip_offset_overtakes_and_equal_priority_is_fifo() {
    let mut s = one_agent(QueueConfig::new("q"));
    s.call("busy", "q");
    s.answer("busy", "a1");
    s.call("c1", "q");
    s.run_to(10);
    s.call("c2", "q");
    s.run_to(100);
    s.enqueue(Enqueue::new("vip", "q").priority(120));
    s.run_to(250);
    s.enqueue(Enqueue::new("late-vip", "q").priority(120));
    s.take();
    let mut served = Vec::new();
    for call in ["busy", "vip", "c1", "c2", "late-vip"] {
        s.hang_up(call);
        let offers = s.offers();
        if let Some((next, _)) = offers.first() {
            served.push(next.clone());
            s.answer(&next.clone(), "a1");
        }
    }
    // At 250 s: vip scores 150+120, c1 250, c2 240, late-vip 0+120.
    assert_eq!(served, ["vip", "c1", "c2", "late-vip"]);
}

#[test]
fn skills_widen_on_time() {
    let mut q = QueueConfig::new("q");
    q.profile = vec![
        RoutingStep {
            skills: [("loans".into(), 3)].into(),
            duration: secs(30),
        },
        RoutingStep {
            skills: [("loans".into(), 1)].into(),
            duration: secs(60),
        },
    ];
    let novice = AgentConfig::new("novice")
        .skill("loans", 1)
        .member_of("q", 1);
    let plain = AgentConfig::new("plain").member_of("q", 2);
    let expert = AgentConfig::new("expert")
        .skill("loans", 4)
        .member_of("q", 3);
    let mut s = Sim::new(vec![q], vec![novice, plain, expert]);
    s.login("novice");
    s.login("plain");
    s.call("c1", "q");
    assert_eq!(s.offers(), vec![], "nobody has loans:3");
    s.run_to(29);
    assert_eq!(s.offers(), vec![]);
    s.run_to(30);
    assert_eq!(s.offers(), vec![pair("c1", "novice")]);
    assert_eq!(s.t(), 30);

    s.ok(Input::AgentPause {
        agent: "novice".into(),
        reason: "break".into(),
    });
    s.take();
    s.run_to(89);
    assert_eq!(
        s.offers(),
        vec![],
        "plain lacks loans until the profile ends"
    );
    s.run_to(90);
    assert_eq!(s.offers(), vec![pair("c1", "plain")]);

    // Dialplan skills merge into each step: korean:4 must be met too.
    s.login("expert");
    s.enqueue(Enqueue::new("c2", "q").skill("korean", 4));
    assert_eq!(s.offers(), vec![], "expert has loans but no korean");
}

#[test]
fn wrap_up_is_honoured_and_can_end_early() {
    let mut q = QueueConfig::new("q");
    q.wrap_up = secs(30);
    let mut s = one_agent(q);
    s.call("c1", "q");
    s.answer("c1", "a1");
    s.run_to(10);
    s.hang_up("c1");
    s.take();
    s.call("c2", "q");
    assert_eq!(s.offers(), vec![]);
    s.run_to(39);
    assert_eq!(s.offers(), vec![]);
    s.run_to(40);
    assert_eq!(s.offers(), vec![pair("c2", "a1")]);
    s.answer("c2", "a1");
    s.hang_up("c2");
    s.call("c3", "q");
    assert!(matches!(
        s.acd.agent("a1").unwrap().state,
        AgentState::WrapUp { .. }
    ));
    s.ok(Input::WrapUpDone { agent: "a1".into() });
    assert_eq!(s.offers(), vec![pair("c3", "a1")]);
}

#[test]
fn missed_offers_move_on_then_pause_the_agent() {
    let mut q = QueueConfig::new("q");
    q.ring_timeout = secs(15);
    let mut cfg = agents(2, "q");
    cfg[0].max_missed = 2;
    let mut s = Sim::new(vec![q], cfg);
    s.login("a1");
    s.run_to(1);
    s.login("a2");
    s.call("c1", "q");
    assert_eq!(s.offers(), vec![pair("c1", "a1")]);
    s.run_to(16);
    let acts = s.take();
    assert!(acts.contains(&Action::CancelOffer {
        call: "c1".into(),
        agent: "a1".into()
    }));
    assert_eq!(
        common::offers_in(&acts),
        vec![pair("c1", "a2")],
        "next agent"
    );
    s.ok(Input::OfferRejected {
        call: "c1".into(),
        agent: "a2".into(),
    });
    // Both missed it just now: nobody is offered the call again before the retry delay.
    assert_eq!(s.offers(), vec![]);
    s.run_to(20);
    assert_eq!(s.offers(), vec![]);
    s.run_to(21);
    assert_eq!(s.offers(), vec![pair("c1", "a1")]);
    s.run_to(36);
    let acts = s.take();
    assert!(acts.contains(&Action::AgentPaused {
        agent: "a1".into(),
        reason: NO_ANSWER.into()
    }));
    assert_eq!(
        s.acd.agent("a1").unwrap().state,
        AgentState::Paused {
            reason: NO_ANSWER.into()
        }
    );
    assert_eq!(common::offers_in(&acts), vec![pair("c1", "a2")]);
    // A late answer from the paused agent loses the race.
    assert_eq!(
        s.send(Input::OfferAnswered {
            call: "c1".into(),
            agent: "a1".into()
        }),
        Err(AcdError::NotOffered {
            call: "c1".into(),
            agent: "a1".into()
        })
    );
}

#[test]
fn abandon_records_position_and_wait_and_frees_the_ringing_agent() {
    let mut s = one_agent(QueueConfig::new("q"));
    s.call("c1", "q");
    s.run_to(3);
    s.ok(Input::Abandon { call: "c1".into() });
    let acts = s.take();
    assert!(acts.contains(&Action::CancelOffer {
        call: "c1".into(),
        agent: "a1".into()
    }));
    assert_eq!(s.acd.agent("a1").unwrap().state, AgentState::Available);
    let ev = acts.iter().find_map(|a| match a {
        Action::QueueEvent(e) => match &e.kind {
            QueueEventKind::Abandon { position, wait } => Some((*position, *wait)),
            _ => None,
        },
        _ => None,
    });
    assert_eq!(ev, Some((1, secs(3))));
    let st = s.acd.stats("q", s.now).unwrap();
    assert_eq!((st.counters.abandoned, st.counters.short_abandoned), (1, 1));
}

#[test]
fn overflow_on_max_wait_and_max_length() {
    let mut q = QueueConfig::new("q");
    q.max_wait = Some(secs(60));
    q.max_len = Some(1);
    q.overflow = Some("voicemail".into());
    let mut s = Sim::new(vec![q], agents(1, "q"));
    s.call("c1", "q");
    s.call("c2", "q");
    assert_eq!(
        overflows(&s.take()),
        vec![(
            "c2".into(),
            Some("voicemail".into()),
            OverflowReason::MaxLength
        )]
    );
    s.run_to(59);
    assert_eq!(overflows(&s.take()), vec![]);
    s.run_to(60);
    assert_eq!(
        overflows(&s.take()),
        vec![(
            "c1".into(),
            Some("voicemail".into()),
            OverflowReason::MaxWait
        )]
    );
    assert_eq!(s.acd.stats("q", s.now).unwrap().waiting, 0);
}

#[test]
fn join_empty_and_leave_when_empty() {
    let mut q = QueueConfig::new("q");
    q.join_empty = EmptyRule::NoAgentsLoggedIn;
    q.leave_when_empty = EmptyRule::AllPaused;
    // A skill nobody has keeps callers waiting for a while.
    q.profile = vec![RoutingStep {
        skills: [("x".into(), 1)].into(),
        duration: secs(300),
    }];
    let mut s = Sim::new(vec![q], agents(1, "q"));
    s.call("c1", "q");
    assert_eq!(
        overflows(&s.take()),
        vec![("c1".into(), None, OverflowReason::JoinEmpty)]
    );
    s.login("a1");
    s.call("c2", "q");
    assert_eq!(overflows(&s.take()), vec![]);
    s.ok(Input::AgentPause {
        agent: "a1".into(),
        reason: "lunch".into(),
    });
    assert_eq!(
        overflows(&s.take()),
        vec![("c2".into(), None, OverflowReason::LeaveEmpty)]
    );
}

#[test]
fn callback_keeps_place_and_enqueue_time() {
    let mut q = QueueConfig::new("q");
    q.max_wait = Some(secs(100));
    let mut s = Sim::new(vec![q], agents(1, "q"));
    s.call("c1", "q");
    s.run_to(10);
    s.call("c2", "q");
    s.run_to(20);
    s.ok(Input::Callback {
        call: "c1".into(),
        number: "+15550100".into(),
    });
    s.run_to(90);
    s.ok(Input::Abandon { call: "c2".into() });
    s.run_to(200);
    assert_eq!(overflows(&s.take()), vec![], "a callback does not time out");
    let w = s.acd.waiting("q", s.now);
    assert_eq!((w[0].call.as_str(), w[0].waited), ("c1", secs(200)));
    s.login("a1");
    let offer = s
        .take()
        .into_iter()
        .find(|a| matches!(a, Action::Offer { .. }));
    assert_eq!(
        offer,
        Some(Action::Offer {
            call: "c1".into(),
            agent: "a1".into(),
            queue: "q".into(),
            ring_timeout: secs(15),
            callback: Some("+15550100".into()),
        })
    );
}

#[test]
fn agent_transfers_a_call_back_into_another_queue() {
    let mut s = Sim::new(
        vec![QueueConfig::new("q"), QueueConfig::new("loans")],
        vec![
            AgentConfig::new("a1").member_of("q", 1),
            AgentConfig::new("a2").member_of("loans", 1),
        ],
    );
    s.login("a1");
    s.call("c1", "q");
    s.answer("c1", "a1");
    s.run_to(40);
    s.take();
    let t = Input::Transfer {
        call: "c1".into(),
        queue: "loans".into(),
        priority: 0,
        skills: Default::default(),
    };
    s.ok(t);
    let kinds: Vec<_> = s
        .take()
        .into_iter()
        .filter_map(|a| match a {
            Action::QueueEvent(e) => Some((e.queue, e.kind)),
            _ => None,
        })
        .collect();
    assert!(kinds.contains(&(
        "q".into(),
        QueueEventKind::Transfer {
            to_queue: "loans".into()
        }
    )));
    assert!(kinds.iter().any(|(q, k)| q == "q"
        && matches!(k, QueueEventKind::Complete { talk, .. } if *talk == secs(40))));
    assert!(kinds.contains(&("loans".into(), QueueEventKind::Enter { position: 1 })));
    assert_eq!(s.acd.agent("a1").unwrap().state, AgentState::Available);
    s.login("a2");
    assert_eq!(s.offers(), vec![pair("c1", "a2")]);
}

#[test]
fn announcements_give_position_and_estimate() {
    let mut q = QueueConfig::new("q");
    q.announce_interval = Some(secs(30));
    let mut s = one_agent(q);
    s.call("busy", "q");
    s.answer("busy", "a1");
    s.call("c1", "q");
    s.call("c2", "q");
    s.take();
    s.run_to(30);
    let ann: Vec<_> = s
        .take()
        .into_iter()
        .filter_map(|a| match a {
            Action::Announce {
                call,
                position,
                estimated_wait,
            } => Some((call, position, estimated_wait)),
            _ => None,
        })
        .collect();
    // No answered waits yet except "busy" (0 s): the average of recent waits is 0.
    assert_eq!(
        ann,
        vec![("c1".into(), 1, secs(0)), ("c2".into(), 2, secs(0))]
    );
    s.run_to(59);
    assert!(s
        .take()
        .iter()
        .all(|a| !matches!(a, Action::Announce { .. })));
    s.run_to(60);
    assert_eq!(
        s.take()
            .iter()
            .filter(|a| matches!(a, Action::Announce { .. }))
            .count(),
        2
    );
}

#[test]
fn service_level_excludes_short_abandons() {
    let mut s = one_agent(QueueConfig::new("q"));
    s.call("fast", "q");
    s.answer("fast", "a1");
    s.call("slow", "q");
    s.call("short", "q");
    s.call("long", "q");
    s.run_to(2);
    s.ok(Input::Abandon {
        call: "short".into(),
    });
    s.run_to(30);
    s.ok(Input::Abandon {
        call: "long".into(),
    });
    s.hang_up("fast");
    s.answer("slow", "a1");
    let st = s.acd.stats("q", s.now).unwrap();
    assert_eq!(st.counters.offered, 4);
    assert_eq!(st.counters.answered, 2);
    assert_eq!(st.counters.answered_in_sl, 1, "slow waited 30 s > 20 s");
    // 1 in SL / (2 answered + 1 long abandon).
    assert_eq!(st.service_level, Some(1.0 / 3.0));
    assert_eq!(st.agents.on_call, 1);
}

#[test]
fn hold_time_is_reported_with_the_talk_and_never_exceeds_it() {
    let mut s = one_agent(QueueConfig::new("q"));
    for (call, hold, want) in [("c1", 7, 7), ("c2", 999, 30)] {
        s.call(call, "q");
        s.answer(call, "a1");
        s.take();
        let t = s.t();
        s.run_to(t + 30);
        s.ok(Input::CallEnded {
            call: call.into(),
            by: acd::EndedBy::Agent,
            hold: secs(hold),
        });
        let complete = s.take().into_iter().find_map(|a| match a {
            Action::QueueEvent(e) => match e.kind {
                QueueEventKind::Complete { talk, hold, .. } => Some((talk, hold)),
                _ => None,
            },
            _ => None,
        });
        assert_eq!(complete, Some((secs(30), secs(want))), "{call}");
    }
}

#[test]
fn a_restored_callback_waits_again_with_its_place_and_no_new_events() {
    let mut s = Sim::new(vec![QueueConfig::new("q")], agents(1, "q"));
    s.run_to(100);
    s.call("new", "q");
    s.ok(Input::RestoreCallback {
        call: "old".into(),
        queue: "q".into(),
        number: "2001".into(),
        priority: 0,
        skills: Default::default(),
        waited: secs(90),
    });
    let restored: Vec<_> = s
        .take()
        .into_iter()
        .filter(|a| matches!(a, Action::QueueEvent(e) if e.call == "old"))
        .collect();
    assert!(restored.is_empty(), "{restored:?}");
    let waiting = s.acd.waiting("q", s.now);
    assert_eq!(waiting[0].call, "old", "90 s of waiting rank first");
    assert_eq!(waiting[0].waited, secs(90));
    assert_eq!(waiting[0].callback.as_deref(), Some("2001"));
    // Offered first, as a callback, once an agent is there.
    s.login("a1");
    let offer = s.take().into_iter().find_map(|a| match a {
        Action::Offer { call, callback, .. } => Some((call, callback)),
        _ => None,
    });
    assert_eq!(offer, Some(("old".into(), Some("2001".into()))));
    // A queue that is gone, or the same call twice, is refused.
    let gone = s.send(Input::RestoreCallback {
        call: "x".into(),
        queue: "removed".into(),
        number: "2001".into(),
        priority: 0,
        skills: Default::default(),
        waited: secs(1),
    });
    assert!(matches!(gone, Err(acd::AcdError::UnknownQueue(_))));
    let twice = s.send(Input::RestoreCallback {
        call: "old".into(),
        queue: "q".into(),
        number: "2001".into(),
        priority: 0,
        skills: Default::default(),
        waited: secs(1),
    });
    assert!(matches!(twice, Err(acd::AcdError::DuplicateCall(_))));
}
