//! Calls through the ACD: a queue's number or a plan's queue step puts the caller on hold
//! music, agents' phones are rung as branches, answers bridge, misses are retried after the
//! retry delay and pause the agent, hang-ups become abandon or complete events, and agents log
//! in and out with feature codes.

use super::harness::{cdr_end, config, phone, TestSwitch};
use super::ivr_support::{
    answered_by_plan, call_of, dtmf, is_ringback, ivr_switch, playback_done, support_queue,
};
use super::phone::{Dlg, Msg, Phone};
use acd::{AgentEventKind, QueueEventKind};
use std::time::Duration;
use switch::{AcdEvent, Action, AgentCommand, AgentCommandError, CallId};

/// The queue event kinds among `events`, as short names, in order.
fn queue_kinds(events: &[AcdEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            AcdEvent::Queue(q) => Some(match &q.kind {
                QueueEventKind::Enter { position } => format!("enter@{position}"),
                QueueEventKind::Ring { agent } => format!("ring:{agent}"),
                QueueEventKind::RingNoAnswer { agent, .. } => format!("noanswer:{agent}"),
                QueueEventKind::Connect { agent, .. } => format!("connect:{agent}"),
                QueueEventKind::Complete { by, .. } => format!("complete:{by:?}"),
                QueueEventKind::Abandon { position, .. } => format!("abandon@{position}"),
                QueueEventKind::Overflow { target, .. } => format!("overflow:{target:?}"),
                other => format!("{other:?}"),
            }),
            _ => None,
        })
        .collect()
}

pub(super) fn agent_state(ts: &TestSwitch, agent: &str) -> &'static str {
    ts.sw
        .acd_snapshot(ts.now)
        .agents
        .into_iter()
        .find(|a| a.id == agent)
        .map(|a| a.state)
        .unwrap_or("missing")
}

/// A caller dials the queue's number 7000: answered by the switch with hold music (ringback
/// here), and the logged-in agent's phone rings.
fn queued_by_number(ts: &mut TestSwitch, a: &mut Phone, agent: &Phone) -> (CallId, Dlg, Msg) {
    let sdp = a.sdp("sendrecv");
    let mut ad = ts.invite(a, "7000", Some(&sdp));
    ts.expect_status(a, 100);
    let ok = ts.expect_status(a, 200);
    ad.learn(&ok);
    ts.send(a.peer, &a.ack_2xx(&ad));
    let actions = ts.take_actions();
    let call = call_of(&actions);
    assert!(
        actions.iter().any(|x| is_ringback(x, call)),
        "waiting caller hears ringback: {actions:?}"
    );
    let inv = ts.expect_request(agent, "INVITE");
    assert!(inv.request_uri().starts_with("sip:1003@"), "{}", inv.text);
    ts.send(agent.peer, &agent.respond(&inv, 100, "Trying", None, None));
    (call, ad, inv)
}

fn agent_answers(ts: &mut TestSwitch, agent: &Phone, inv: &Msg) -> Dlg {
    ts.send(
        agent.peer,
        &agent.respond(inv, 200, "OK", Some("agtag"), Some(&agent.sdp("sendrecv"))),
    );
    ts.expect_request(agent, "ACK");
    Dlg::uas(inv, "agtag")
}

/// The caller of a connected queue call hangs up: its BYE is answered, the agent's leg gets a
/// BYE and answers it. Returns the agent's BYE.
fn caller_hangs_up(ts: &mut TestSwitch, a: &mut Phone, ad: &mut Dlg, agent: &Phone) -> Msg {
    let bye = a.request(ad, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(a, 200);
    let agent_bye = ts.expect_request(agent, "BYE");
    ts.send(
        agent.peer,
        &agent.respond(&agent_bye, 200, "OK", None, None),
    );
    agent_bye
}

/// The caller hangs up while `agent` rings (`inv`): the agent's INVITE is cancelled (200 to
/// the CANCEL, 487 to the INVITE, ACKed).
fn caller_abandons_while_agent_rings(
    ts: &mut TestSwitch,
    a: &mut Phone,
    ad: &mut Dlg,
    agent: &Phone,
    inv: &Msg,
) {
    let bye = a.request(ad, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(a, 200);
    let cancel = ts.expect_request(agent, "CANCEL");
    ts.send(agent.peer, &agent.respond(&cancel, 200, "OK", None, None));
    ts.send(
        agent.peer,
        &agent.respond(inv, 487, "Request Terminated", Some("x"), None),
    );
    ts.expect_request(agent, "ACK");
}

#[test]
fn queue_number_rings_agent_and_bridges_then_agent_wraps_up() {
    let mut ts = ivr_switch();
    let (mut a, mut agent) = (phone(1001), phone(1003));
    ts.register(&mut agent, 3600);
    let (call, mut ad, inv) = queued_by_number(&mut ts, &mut a, &agent);
    assert_eq!(agent_state(&ts, "a1003"), "ringing");
    ts.advance(Duration::from_secs(3));
    let mut bd = agent_answers(&mut ts, &agent, &inv);
    assert!(ts.take_actions().contains(&Action::Bridge { call }));
    assert_eq!(agent_state(&ts, "a1003"), "on_call");
    let snap = ts.sw.acd_snapshot(ts.now);
    assert_eq!(snap.queues[0].answered, 1);
    assert_eq!(snap.queues[0].waiting, 0);

    ts.advance(Duration::from_secs(20));
    let agent_bye = caller_hangs_up(&mut ts, &mut a, &mut ad, &agent);
    assert_eq!(agent_bye.call_id(), bd.call_id);
    let _ = &mut bd;
    let end = cdr_end(&ts.take_cdrs());
    assert_eq!(end.hangup_side, Some(switch::HangupSide::Caller));
    assert_eq!(end.legs[1].extension, "1003");
    assert_eq!(end.vars.get("agent").map(String::as_str), Some("a1003"));
    assert_eq!(end.vars.get("queue").map(String::as_str), Some("support"));
    let events = ts.take_acd_events();
    assert_eq!(
        queue_kinds(&events),
        ["enter@1", "ring:a1003", "connect:a1003", "complete:Caller"]
    );
    let wait = events.iter().find_map(|e| match e {
        AcdEvent::Queue(q) => match &q.kind {
            QueueEventKind::Connect { wait, .. } => Some(*wait),
            _ => None,
        },
        _ => None,
    });
    assert_eq!(wait, Some(Duration::from_secs(3)));
    // No wrap-up configured: available again at once.
    assert_eq!(agent_state(&ts, "a1003"), "available");
    ts.finish();
}

#[test]
fn busy_agent_is_retried_after_the_delay_then_paused_and_the_caller_abandons() {
    let mut ts = ivr_switch();
    let (mut a, mut agent) = (phone(1001), phone(1003));
    ts.register(&mut agent, 3600);
    let (_call, mut ad, inv) = queued_by_number(&mut ts, &mut a, &agent);
    let mut inv = inv;
    for miss in 1..=3 {
        ts.send(
            agent.peer,
            &agent.respond(&inv, 486, "Busy Here", Some("b"), None),
        );
        ts.expect_request(&agent, "ACK");
        ts.assert_quiet(&a);
        if miss == 3 {
            break;
        }
        // Not again before the queue's 5 s retry delay.
        ts.advance(Duration::from_millis(4900));
        ts.assert_quiet(&agent);
        ts.advance(Duration::from_millis(100));
        inv = ts.expect_request(&agent, "INVITE");
        ts.send(agent.peer, &agent.respond(&inv, 100, "Trying", None, None));
    }
    assert_eq!(agent_state(&ts, "a1003"), "paused");
    ts.advance(Duration::from_secs(30));
    ts.assert_quiet(&agent);
    ts.assert_quiet(&a);

    let bye = a.request(&mut ad, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    let events = ts.take_acd_events();
    let kinds = queue_kinds(&events);
    assert_eq!(kinds.first().map(String::as_str), Some("enter@1"));
    assert_eq!(kinds.iter().filter(|k| *k == "noanswer:a1003").count(), 3);
    assert_eq!(kinds.last().map(String::as_str), Some("abandon@1"));
    assert!(
        events.iter().any(|e| matches!(e,
        AcdEvent::Agent(ev) if ev.kind == AgentEventKind::Pause { reason: acd::NO_ANSWER.into() }))
    );
    ts.finish();
}

#[test]
fn ring_timeout_cancels_the_agent_and_a_late_answer_is_hung_up() {
    let mut ts = ivr_switch();
    let (mut a, mut agent) = (phone(1001), phone(1003));
    ts.register(&mut agent, 3600);
    let (_call, mut ad, inv) = queued_by_number(&mut ts, &mut a, &agent);
    ts.send(
        agent.peer,
        &agent.respond(&inv, 180, "Ringing", Some("r1"), None),
    );
    ts.advance(Duration::from_secs(15));
    let cancel = ts.expect_request(&agent, "CANCEL");
    ts.send(agent.peer, &agent.respond(&cancel, 200, "OK", None, None));
    // The answer crossed the CANCEL: the switch takes it and hangs it up; the caller waits on.
    ts.send(
        agent.peer,
        &agent.respond(&inv, 200, "OK", Some("r1"), Some(&agent.sdp("sendrecv"))),
    );
    ts.expect_request(&agent, "ACK");
    let bye = ts.expect_request(&agent, "BYE");
    ts.send(agent.peer, &agent.respond(&bye, 200, "OK", None, None));
    ts.assert_quiet(&a);
    assert!(!ts
        .take_actions()
        .iter()
        .any(|x| matches!(x, Action::Bridge { .. })));
    // After the retry delay the (only) agent is offered the call again.
    ts.advance(Duration::from_secs(5));
    let again = ts.expect_request(&agent, "INVITE");
    let _ = agent_answers(&mut ts, &agent, &again);
    assert_eq!(agent_state(&ts, "a1003"), "on_call");
    caller_hangs_up(&mut ts, &mut a, &mut ad, &agent);
    ts.finish();
}

#[test]
fn caller_hanging_up_while_the_agent_rings_cancels_the_agent() {
    let mut ts = ivr_switch();
    let (mut a, mut agent) = (phone(1001), phone(1003));
    ts.register(&mut agent, 3600);
    let (_call, mut ad, inv) = queued_by_number(&mut ts, &mut a, &agent);
    ts.advance(Duration::from_secs(2));
    caller_abandons_while_agent_rings(&mut ts, &mut a, &mut ad, &agent, &inv);
    assert_eq!(agent_state(&ts, "a1003"), "available");
    let kinds = queue_kinds(&ts.take_acd_events());
    assert_eq!(kinds, ["enter@1", "ring:a1003", "abandon@1"]);
    ts.finish();
}

#[test]
fn plan_queue_step_enqueues_the_answered_caller() {
    let mut ts = ivr_switch();
    let (mut a, mut agent) = (phone(1001), phone(1003));
    ts.register(&mut agent, 3600);
    let c = answered_by_plan(&mut ts, &mut a, "1588");
    ts.take_actions();
    dtmf(&mut ts, c.call, '2');
    let inv = ts.expect_request(&agent, "INVITE");
    let actions = ts.take_actions();
    assert!(
        actions.iter().any(|x| is_ringback(x, c.call)),
        "{actions:?}"
    );
    let mut bd = agent_answers(&mut ts, &agent, &inv);
    assert!(ts.take_actions().contains(&Action::Bridge { call: c.call }));
    // The agent hangs up: the caller gets a BYE, the ACD records who ended it.
    let bye = agent.request(&mut bd, "BYE", &[], None);
    ts.send(agent.peer, &bye);
    ts.expect_status(&agent, 200);
    let a_bye = ts.expect_request(&a, "BYE");
    ts.send(a.peer, &a.respond(&a_bye, 200, "OK", None, None));
    let kinds = queue_kinds(&ts.take_acd_events());
    assert_eq!(kinds.last().map(String::as_str), Some("complete:Agent"));
    ts.finish();
}

#[test]
fn max_wait_overflows_to_an_extension() {
    let mut cfg = config();
    let mut setup = support_queue();
    setup.queues[0].cfg.max_wait = Some(Duration::from_secs(30));
    setup.queues[0].cfg.overflow = Some("1002".into());
    cfg.acd = setup;
    let mut ts = TestSwitch::with(cfg);
    let (mut a, mut b, agent) = (phone(1001), phone(1002), phone(1003));
    ts.register(&mut b, 3600);
    // Nobody is logged in: the caller waits, then goes to 1002.
    let sdp = a.sdp("sendrecv");
    let mut ad = ts.invite(&mut a, "7000", Some(&sdp));
    ts.expect_status(&a, 100);
    let ok = ts.expect_status(&a, 200);
    ad.learn(&ok);
    ts.send(a.peer, &a.ack_2xx(&ad));
    ts.advance(Duration::from_secs(29));
    ts.assert_quiet(&b);
    ts.advance(Duration::from_secs(1));
    let inv = ts.expect_request(&b, "INVITE");
    assert!(inv.request_uri().starts_with("sip:1002@"));
    ts.assert_quiet(&agent);
    ts.send(
        b.peer,
        &b.respond(&inv, 200, "OK", Some("bt"), Some(&b.sdp("sendrecv"))),
    );
    ts.expect_request(&b, "ACK");
    let bye = a.request(&mut ad, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    let b_bye = ts.expect_request(&b, "BYE");
    ts.send(b.peer, &b.respond(&b_bye, 200, "OK", None, None));
    let kinds = queue_kinds(&ts.take_acd_events());
    assert_eq!(kinds, ["enter@1", "overflow:Some(\"1002\")"]);
    ts.finish();
}

/// Dial `code` from `p` until the switch answered: the call and the actions so far.
fn dial_feature(ts: &mut TestSwitch, p: &mut Phone, code: &str) -> (CallId, Vec<Action>) {
    ts.take_actions();
    let sdp = p.sdp("sendrecv");
    let mut d = ts.invite(p, code, Some(&sdp));
    ts.expect_status(p, 100);
    let ok = ts.expect_status(p, 200);
    d.learn(&ok);
    ts.send(p.peer, &p.ack_2xx(&d));
    let actions = ts.take_actions();
    let call = call_of(&actions);
    (call, actions)
}

/// Dial a feature code from `p`; the switch answers, beeps, and hangs up. Returns the beeps'
/// first frequency (880: done, 400: refused).
fn feature(ts: &mut TestSwitch, p: &mut Phone, code: &str) -> u32 {
    let (call, actions) = dial_feature(ts, p, code);
    let tone = first_tone(&actions).expect("feature code beeps");
    playback_done(ts, call);
    let bye = ts.expect_request(p, "BYE");
    ts.send(p.peer, &p.respond(&bye, 200, "OK", None, None));
    tone
}

/// Dial `*91<agent>` from `p`: the switch answers with the PIN prompt (600 Hz); `typed` is
/// keyed in (None: nothing, the caller waits), then the verdict's first frequency.
fn feature_with_pin(ts: &mut TestSwitch, p: &mut Phone, code: &str, typed: Option<&str>) -> u32 {
    let (call, actions) = dial_feature(ts, p, code);
    assert_eq!(first_tone(&actions), Some(600), "the PIN prompt");
    playback_done(ts, call);
    ts.assert_quiet(p);
    match typed {
        Some(keys) => keys.chars().for_each(|k| dtmf(ts, call, k)),
        None => ts.advance(Duration::from_secs(16)),
    }
    let tone = first_tone(&ts.take_actions()).expect("the verdict beeps");
    playback_done(ts, call);
    let bye = ts.expect_request(p, "BYE");
    ts.send(p.peer, &p.respond(&bye, 200, "OK", None, None));
    tone
}

fn first_tone(actions: &[Action]) -> Option<u32> {
    actions.iter().find_map(|x| match x {
        Action::Play { prompts, .. } => prompts.iter().find_map(|p| match p {
            ivr::Prompt::Tone { freqs, .. } => freqs.first().copied(),
            _ => None,
        }),
        _ => None,
    })
}

/// Regression: `*91<agent>` from any phone logged that agent in there (calls for the agent
/// went to whoever dialled it).
#[test]
fn logging_an_agent_in_elsewhere_needs_its_pin() {
    let mut cfg = config();
    cfg.acd = support_queue();
    let mut ts = TestSwitch::with(cfg);
    let mut other = phone(1002);
    ts.register(&mut other, 3600);
    let refused = [
        ("*91a1003", None),
        ("*91a1003", Some("1234#")),
        ("*91a1003", Some("43210#")),
        ("*91nobody", Some("4321#")),
    ];
    for (code, typed) in refused {
        assert_eq!(
            feature_with_pin(&mut ts, &mut other, code, typed),
            400,
            "{code} {typed:?}"
        );
        assert_eq!(agent_state(&ts, "a1003"), "logged_out");
    }
    // `*` starts the PIN again.
    assert_eq!(
        feature_with_pin(&mut ts, &mut other, "*91a1003", Some("99*4321#")),
        880
    );
    let snap = ts.sw.acd_snapshot(ts.now);
    assert_eq!(snap.agents[0].extension.as_deref(), Some("1002"));
    ts.finish();
}

/// Wrong PINs count like wrong SIP passwords: after the per-extension limit (20 by default) for
/// `pin.a1003`, even the right PIN is refused, from any address.
#[test]
fn guessing_an_agents_pin_is_throttled() {
    let mut cfg = config();
    cfg.acd = support_queue();
    let mut ts = TestSwitch::with(cfg);
    let from = |i: u8| {
        let mut p = phone(1002);
        p.peer = sip::Peer::udp(std::net::SocketAddr::from(([10, 1, 0, i], 5060)));
        p
    };
    for i in 0..20 {
        let mut p = from(i);
        assert_eq!(
            feature_with_pin(&mut ts, &mut p, "*91a1003", Some("0000#")),
            400
        );
    }
    assert_eq!(ts.sw.stats().auth_failures, 20);
    let mut p = from(100);
    assert_eq!(
        feature_with_pin(&mut ts, &mut p, "*91a1003", Some("4321#")),
        400,
        "blocked: the right PIN is refused too"
    );
    assert_eq!(agent_state(&ts, "a1003"), "logged_out");
    ts.advance(std::time::Duration::from_secs(61));
    assert_eq!(
        feature_with_pin(&mut ts, &mut p, "*91a1003", Some("4321#")),
        880
    );
    ts.finish();
}

#[test]
fn feature_codes_log_in_pause_unpause_and_log_out() {
    let mut cfg = config();
    cfg.acd = support_queue();
    let mut ts = TestSwitch::with(cfg);
    let mut agent = phone(1003);
    let mut other = phone(1002);
    ts.register(&mut agent, 3600);
    assert_eq!(agent_state(&ts, "a1003"), "logged_out");
    assert_eq!(
        feature(&mut ts, &mut agent, "*92"),
        400,
        "not logged in yet"
    );
    assert_eq!(
        feature(&mut ts, &mut other, "*91"),
        400,
        "no agent works at 1002"
    );
    assert_eq!(feature(&mut ts, &mut agent, "*91"), 880);
    assert_eq!(agent_state(&ts, "a1003"), "available");
    assert_eq!(
        feature_with_pin(&mut ts, &mut other, "*91a1003", Some("4321#")),
        880,
        "an agent may move to another extension with its PIN"
    );
    let snap = ts.sw.acd_snapshot(ts.now);
    assert_eq!(snap.agents[0].extension.as_deref(), Some("1002"));
    assert_eq!(feature(&mut ts, &mut agent, "*91"), 880, "and back");
    assert_eq!(feature(&mut ts, &mut agent, "*932"), 880);
    let snap = ts.sw.acd_snapshot(ts.now);
    assert_eq!(snap.agents[0].state, "paused");
    assert_eq!(snap.agents[0].reason.as_deref(), Some("lunch"));
    assert_eq!(feature(&mut ts, &mut agent, "*939"), 400, "no reason 9");
    assert_eq!(feature(&mut ts, &mut agent, "*94"), 880);
    assert_eq!(agent_state(&ts, "a1003"), "available");
    assert_eq!(feature(&mut ts, &mut agent, "*92"), 880);
    assert_eq!(agent_state(&ts, "a1003"), "logged_out");
    let events = ts.take_acd_events();
    let agent_kinds: Vec<&AgentEventKind> = events
        .iter()
        .filter_map(|e| match e {
            AcdEvent::Agent(a) if !matches!(a.kind, AgentEventKind::StateChange { .. }) => {
                Some(&a.kind)
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        agent_kinds,
        [
            &AgentEventKind::Login,
            // 1002 is not registered: offline there, online again back at 1003.
            &AgentEventKind::Phone { online: false },
            &AgentEventKind::Phone { online: true },
            &AgentEventKind::Pause {
                reason: "lunch".into()
            },
            &AgentEventKind::Unpause,
            &AgentEventKind::Logout
        ]
    );
    ts.finish();
}

#[test]
fn api_login_checks_the_extension() {
    let mut cfg = config();
    cfg.acd = support_queue();
    let mut ts = TestSwitch::with(cfg);
    let now = ts.now;
    let err = |r: Result<(), AgentCommandError>| r.expect_err("refused").to_string();
    assert!(err(ts
        .sw
        .agent_command(now, "nobody", AgentCommand::Login { extension: None }))
    .contains("no agent"));
    assert!(err(ts.sw.agent_command(
        now,
        "a1003",
        AgentCommand::Login {
            extension: Some("9999".into())
        }
    ))
    .contains("no extension"));
    assert!(err(ts.sw.agent_command(now, "a1003", AgentCommand::Logout)).contains("a1003"));
    ts.sw
        .agent_command(now, "a1003", AgentCommand::Login { extension: None })
        .expect("login at the configured extension");
    assert_eq!(agent_state(&ts, "a1003"), "available");
}

#[test]
fn shutdown_ends_the_talk_and_logs_agents_out() {
    let mut ts = ivr_switch();
    let (mut a, mut agent) = (phone(1001), phone(1003));
    ts.register(&mut agent, 3600);
    let (_call, _ad, inv) = queued_by_number(&mut ts, &mut a, &agent);
    let _ = agent_answers(&mut ts, &agent, &inv);
    ts.take_acd_events();
    let now = ts.now;
    ts.sw.shutdown(now);
    ts.pump();
    ts.expect_request(&a, "BYE");
    ts.expect_request(&agent, "BYE");
    let events = ts.take_acd_events();
    assert_eq!(queue_kinds(&events), ["complete:Switch"]);
    assert!(events.iter().any(|e| matches!(e,
        AcdEvent::Agent(ev) if ev.kind == AgentEventKind::Logout && ev.agent == "a1003")));
    assert_eq!(agent_state(&ts, "a1003"), "logged_out");
}

fn contact_of(actions: &[Action]) -> Option<switch::Contact> {
    actions.iter().find_map(|x| match x {
        Action::Contact { contact, .. } => Some(contact.clone()),
        _ => None,
    })
}

#[test]
fn queue_calls_leave_a_contact_history_row_and_extension_calls_do_not() {
    let mut ts = ivr_switch();
    let (mut a, mut agent, mut b) = (phone(1001), phone(1003), phone(1002));
    ts.register(&mut agent, 3600);
    // Answered by the agent after 4 s, talked for 30 s.
    let (_call, mut ad, inv) = queued_by_number(&mut ts, &mut a, &agent);
    ts.advance(Duration::from_secs(4));
    let _bd = agent_answers(&mut ts, &agent, &inv);
    ts.take_actions();
    ts.advance(Duration::from_secs(30));
    caller_hangs_up(&mut ts, &mut a, &mut ad, &agent);
    let c = contact_of(&ts.take_actions()).expect("a contact");
    assert_eq!(c.outcome, "answered");
    assert_eq!(c.agent.as_deref(), Some("a1003"));
    assert_eq!(c.queue.as_deref(), Some("support"));
    assert_eq!(c.number, "1001");
    assert_eq!(c.direction, switch::Direction::Inbound);
    assert_eq!(c.duration_ms, 30_000, "talk time with the agent");

    // Abandoned in the queue.
    let (_call, mut ad, inv) = queued_by_number(&mut ts, &mut a, &agent);
    caller_abandons_while_agent_rings(&mut ts, &mut a, &mut ad, &agent, &inv);
    let c = contact_of(&ts.take_actions()).expect("a contact");
    assert_eq!(c.outcome, "abandoned");
    assert_eq!(c.agent, None);

    // A call between two extensions is not a customer contact.
    ts.register(&mut b, 3600);
    let call = super::harness::answered_call(&mut ts, &mut a, &mut b);
    let mut ad = call.a;
    let bye = a.request(&mut ad, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    let bbye = ts.expect_request(&b, "BYE");
    ts.send(b.peer, &b.respond(&bbye, 200, "OK", None, None));
    assert_eq!(contact_of(&ts.take_actions()), None);
    ts.finish();
}

/// File names (relative to the prompts directory) of a non-looping `Play`.
fn announced(actions: &[Action]) -> Option<Vec<String>> {
    actions.iter().find_map(|x| match x {
        Action::Play {
            prompts,
            looping: false,
            ..
        } => Some(
            prompts
                .iter()
                .map(|p| match p {
                    ivr::Prompt::File(f) => {
                        let parts: Vec<String> = f
                            .components()
                            .rev()
                            .take(2)
                            .map(|c| c.as_os_str().to_string_lossy().to_string())
                            .collect();
                        format!("{}/{}", parts[1], parts[0])
                    }
                    other => format!("{other:?}"),
                })
                .collect(),
        ),
        _ => None,
    })
}

#[test]
fn waiting_callers_hear_their_position_then_the_music_again() {
    let mut cfg = config();
    let mut setup = support_queue();
    setup.queues[0].cfg.announce_interval = Some(Duration::from_secs(30));
    setup.queues[0].announce = vec![
        "en/position.wav".into(),
        "number:${position}:digits".into(),
        "en/minutes.wav".into(),
    ];
    cfg.acd = setup;
    let plans =
        super::harness::load_plans(&[("p.toml", "[[step]]\nid = \"end\"\ntype = \"hangup\"\n")]);
    let mut ts = TestSwitch::with_plans(cfg, Some(plans));
    let mut a = phone(1001);
    // Nobody logged in: the caller waits.
    let sdp = a.sdp("sendrecv");
    let mut ad = ts.invite(&mut a, "7000", Some(&sdp));
    ts.expect_status(&a, 100);
    let ok = ts.expect_status(&a, 200);
    ad.learn(&ok);
    ts.send(a.peer, &a.ack_2xx(&ad));
    let call = call_of(&ts.take_actions());
    ts.advance(Duration::from_secs(29));
    assert_eq!(announced(&ts.take_actions()), None);
    ts.advance(Duration::from_secs(1));
    assert_eq!(
        announced(&ts.take_actions()),
        Some(vec![
            "en/position.wav".to_string(),
            "digits/1.wav".to_string(),
            "en/minutes.wav".to_string()
        ])
    );
    playback_done(&mut ts, call);
    let actions = ts.take_actions();
    assert!(
        actions.iter().any(|x| is_ringback(x, call)),
        "hold music again: {actions:?}"
    );
    ts.advance(Duration::from_secs(30));
    assert!(announced(&ts.take_actions()).is_some(), "every 30 s");
    let bye = a.request(&mut ad, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    ts.finish();
}

#[test]
fn an_agent_on_a_direct_call_is_not_offered_queue_calls_until_it_ends() {
    let mut ts = ivr_switch();
    let (mut a, mut agent, mut b) = (phone(1001), phone(1003), phone(1002));
    // The agent's phone calls 1002 directly.
    let call = super::harness::answered_call(&mut ts, &mut agent, &mut b);
    let snap = ts.sw.acd_snapshot(ts.now);
    assert_eq!(snap.agents[0].state, "paused");
    assert_eq!(snap.agents[0].reason.as_deref(), Some("on another call"));
    // A caller to the queue waits: nobody rings 1003.
    let sdp = a.sdp("sendrecv");
    let mut ad = ts.invite(&mut a, "7000", Some(&sdp));
    ts.expect_status(&a, 100);
    let ok = ts.expect_status(&a, 200);
    ad.learn(&ok);
    ts.send(a.peer, &a.ack_2xx(&ad));
    ts.advance(Duration::from_secs(5));
    ts.assert_quiet(&agent);
    // The direct call ends: the agent is free and gets the waiting caller.
    let mut agent_dialog = call.a;
    let bye = agent.request(&mut agent_dialog, "BYE", &[], None);
    ts.send(agent.peer, &bye);
    ts.expect_status(&agent, 200);
    let b_bye = ts.expect_request(&b, "BYE");
    ts.send(b.peer, &b.respond(&b_bye, 200, "OK", None, None));
    let inv = ts.expect_request(&agent, "INVITE");
    assert!(inv.request_uri().starts_with("sip:1003@"));
    let events = ts.take_acd_events();
    assert!(events.iter().any(|e| matches!(e,
        AcdEvent::Agent(ev) if ev.kind == AgentEventKind::Pause { reason: "on another call".into() })));
    assert!(events.iter().any(|e| matches!(e,
        AcdEvent::Agent(ev) if ev.kind == AgentEventKind::Unpause)));
    // A pause the agent chose is not undone by the end of a direct call.
    let now = ts.now;
    ts.send(
        agent.peer,
        &agent.respond(&inv, 486, "Busy Here", Some("x"), None),
    );
    ts.expect_request(&agent, "ACK");
    ts.sw
        .agent_command(
            now,
            "a1003",
            AgentCommand::Pause {
                reason: "lunch".into(),
            },
        )
        .expect("pause");
    let call = super::harness::answered_call(&mut ts, &mut agent, &mut b);
    let mut agent_dialog = call.a;
    let bye = agent.request(&mut agent_dialog, "BYE", &[], None);
    ts.send(agent.peer, &bye);
    ts.expect_status(&agent, 200);
    let b_bye = ts.expect_request(&b, "BYE");
    ts.send(b.peer, &b.respond(&b_bye, 200, "OK", None, None));
    let snap = ts.sw.acd_snapshot(ts.now);
    assert_eq!(snap.agents[0].reason.as_deref(), Some("lunch"));
    let bye = a.request(&mut ad, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    ts.finish();
}

/// The agent puts the caller on hold (re-INVITE sendonly) and takes them back: the time on
/// hold goes with the complete event.
fn agent_reinvite(ts: &mut TestSwitch, agent: &mut Phone, bd: &mut Dlg, a: &Phone, dir: &str) {
    let offer = agent.sdp(dir);
    let req = agent.request(bd, "INVITE", &[], Some(("application/sdp", &offer)));
    ts.send(agent.peer, &req);
    // The switch answers the agent's hold and resume itself (music to the caller, hold.rs).
    let ok = ts.expect_status(agent, 200);
    let answered = if dir == "sendonly" {
        "recvonly"
    } else {
        "sendrecv"
    };
    assert!(ok.body().contains(&format!("a={answered}")), "{}", ok.text);
    ts.send(agent.peer, &agent.ack_2xx(bd));
    ts.assert_quiet(a);
    ts.take_actions();
}

#[test]
fn time_on_hold_is_reported_with_the_completed_call() {
    let mut ts = ivr_switch();
    let (mut a, mut agent) = (phone(1001), phone(1003));
    ts.register(&mut agent, 3600);
    let (_call, mut ad, inv) = queued_by_number(&mut ts, &mut a, &agent);
    let mut bd = agent_answers(&mut ts, &agent, &inv);
    ts.take_actions();
    ts.advance(Duration::from_secs(5));
    agent_reinvite(&mut ts, &mut agent, &mut bd, &a, "sendonly");
    ts.advance(Duration::from_secs(12));
    agent_reinvite(&mut ts, &mut agent, &mut bd, &a, "sendrecv");
    ts.advance(Duration::from_secs(3));
    // On hold again when the caller gives up: that stretch counts too.
    agent_reinvite(&mut ts, &mut agent, &mut bd, &a, "sendonly");
    ts.advance(Duration::from_secs(4));
    caller_hangs_up(&mut ts, &mut a, &mut ad, &agent);
    let complete = ts.take_acd_events().into_iter().find_map(|e| match e {
        AcdEvent::Queue(q) => match q.kind {
            QueueEventKind::Complete { talk, hold, .. } => Some((talk, hold)),
            _ => None,
        },
        _ => None,
    });
    assert_eq!(
        complete,
        Some((Duration::from_secs(24), Duration::from_secs(16)))
    );
    ts.finish();
}
