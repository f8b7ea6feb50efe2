//! Callbacks: a waiting caller presses the callback key, hears the number read back and is hung
//! up while the ACD keeps the place; the ACD's offer rings the agent in a call the switch
//! places, and once the agent answers the customer is dialled and bridged. Also: an agent who
//! does not answer (the next one is offered the callback), a busy or silent customer, the
//! customer hanging up, and the callback's place ahead of a caller who came later.

use super::harness::{cdr_end, config, load_plans, phone, TestSwitch, RELAY_A, RELAY_B};
use super::ivr_support::{
    answered_by_plan, call_of, dtmf, playback_done, support_queue, MENU_PLAN,
};
use super::phone::{Dlg, Msg, Phone, DOMAIN};
use acd::QueueEventKind;
use std::time::Duration;
use switch::{AcdEvent, Action, AgentCommand, AgentSetup, CallId, ExitKey, RecordMode};

/// Queue `support` (number 7000, 15 s ring, 5 s retry) with key 2 = callback (prompt a 700 Hz
/// tone, digits from `en/digits`); agents a1003 (1003) and a1004 (1004), both logged out.
pub(super) fn callback_switch() -> TestSwitch {
    callback_switch_with(|_| {})
}

/// [`callback_switch`], every call recorded unless `configure` says otherwise.
fn callback_switch_with(configure: impl FnOnce(&mut switch::SwitchConfig)) -> TestSwitch {
    let mut cfg = config();
    let mut setup = support_queue();
    let exit = &mut setup.queues[0].exit;
    exit.keys.insert('2', ExitKey::Callback);
    exit.callback_prompt = "tone:700:300".into();
    setup.agents.push(AgentSetup {
        cfg: acd::AgentConfig::new("a1004").member_of("support", 0),
        name: Some("Agent Lee".into()),
        extension: Some("1004".into()),
        pin: None,
    });
    cfg.acd = setup;
    cfg.recording.mode = RecordMode::All;
    configure(&mut cfg);
    let plans = load_plans(&[("menu.toml", MENU_PLAN)]);
    TestSwitch::with_plans(cfg, Some(plans))
}

/// The queue event kinds among `events` as short names, in order.
fn kinds(events: &[AcdEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            AcdEvent::Queue(q) => Some(match &q.kind {
                QueueEventKind::Enter { position } => format!("enter@{position}"),
                QueueEventKind::Ring { agent } => format!("ring:{agent}"),
                QueueEventKind::RingNoAnswer { agent, .. } => format!("noanswer:{agent}"),
                QueueEventKind::Connect { agent, .. } => format!("connect:{agent}"),
                QueueEventKind::Complete { by, .. } => format!("complete:{by:?}"),
                QueueEventKind::Abandon { .. } => "abandon".to_string(),
                QueueEventKind::CallbackRequested { number } => format!("callback:{number}"),
                other => format!("{other:?}"),
            }),
            _ => None,
        })
        .collect()
}

/// The call ids of the queue events among `events`.
fn event_calls(events: &[AcdEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            AcdEvent::Queue(q) => Some(q.call.clone()),
            _ => None,
        })
        .collect()
}

fn agent_state(ts: &TestSwitch, agent: &str) -> &'static str {
    ts.sw
        .acd_snapshot(ts.now)
        .agents
        .into_iter()
        .find(|a| a.id == agent)
        .map(|a| a.state)
        .unwrap_or("missing")
}

pub(super) fn login(ts: &mut TestSwitch, agent: &str) {
    let now = ts.now;
    ts.sw
        .agent_command(now, agent, AgentCommand::Login { extension: None })
        .expect("agent logs in");
    ts.pump();
}

/// `a` dials 7000 and waits: the call and the CDR id the ACD knows it by.
pub(super) fn waiting(ts: &mut TestSwitch, a: &mut Phone) -> (CallId, Dlg, String) {
    let sdp = a.sdp("sendrecv");
    let mut ad = ts.invite(a, "7000", Some(&sdp));
    ts.expect_status(a, 100);
    let ok = ts.expect_status(a, 200);
    ad.learn(&ok);
    ts.send(a.peer, &a.ack_2xx(&ad));
    let call = call_of(&ts.take_actions());
    let key = ts.sw.cdr_id_of(call).expect("call in progress");
    let events = ts.take_acd_events();
    assert!(
        kinds(&events)
            .first()
            .is_some_and(|k| k.starts_with("enter@")),
        "{events:?}"
    );
    (call, ad, key)
}

/// Regression: the callback number was the From header's user, which any caller may set: an
/// authenticated 1001 claiming to be 0900555000 had the switch call 0900555000.
#[test]
fn a_callback_calls_the_authenticated_caller_not_the_from_header() {
    let mut ts = callback_switch();
    let mut a = phone(1001);
    let sdp = a.sdp("sendrecv");
    let mut d = a.new_dialog("7000", &format!("sip:7000@{DOMAIN}"));
    d.local = d.local.replace("sip:1001@", "sip:0900555000@");
    let body = Some(("application/sdp", sdp.as_str()));
    let req = a.invite(&mut d, &[], body);
    ts.send(a.peer, &req);
    let challenge = ts.expect_status(&a, 407);
    ts.send(a.peer, &a.ack_non2xx(&d, &challenge));
    let auth = a.authorization(&challenge, "INVITE", &d.target, 1);
    let req = a.invite(&mut d, &[auth], body);
    ts.send(a.peer, &req);
    ts.expect_status(&a, 100);
    let ok = ts.expect_status(&a, 200);
    d.learn(&ok);
    ts.send(a.peer, &a.ack_2xx(&d));
    let call = call_of(&ts.take_actions());
    ts.take_acd_events();
    dtmf(&mut ts, call, '2');
    assert_eq!(kinds(&ts.take_acd_events()), ["callback:1001"]);
}

/// 1599: the caller types the number to call back (and `#`), then waits in `support`.
const TYPED_NUMBER_PLAN: &str = r#"
[plan]
entry = "start"

[[route]]
number = "1599"

[[step]]
id = "start"
type = "answer"

[[step]]
id = "ask"
type = "collect"
var = "callback_number"
prompts = ["tone:500:100"]
max = 15
next = "wait"

[[step]]
id = "wait"
type = "queue"
queue = "support"
"#;

/// The digits a caller typed are the callback number (not the From header either).
#[test]
fn a_callback_calls_the_digits_the_caller_typed() {
    let mut cfg = config();
    let mut setup = support_queue();
    setup.queues[0].exit.keys.insert('2', ExitKey::Callback);
    setup.queues[0].exit.callback_prompt = "tone:700:300".into();
    cfg.acd = setup;
    let plans = load_plans(&[("typed.toml", TYPED_NUMBER_PLAN)]);
    let mut ts = TestSwitch::with_plans(cfg, Some(plans));
    let mut a = phone(1001);
    let call = answered_by_plan(&mut ts, &mut a, "1599").call;
    playback_done(&mut ts, call);
    for digit in "0215550100#".chars() {
        dtmf(&mut ts, call, digit);
    }
    ts.take_acd_events();
    dtmf(&mut ts, call, '2');
    assert_eq!(kinds(&ts.take_acd_events()), ["callback:0215550100"]);
}

/// The waiting caller on `a` presses 2: the prompt and the number play, then the switch hangs
/// up with "callback requested". Returns the original call's CDR end.
pub(super) fn request_callback(ts: &mut TestSwitch, a: &Phone, call: CallId) -> switch::CdrEnd {
    dtmf(ts, call, '2');
    let events = ts.take_acd_events();
    assert_eq!(kinds(&events), ["callback:1001"]);
    let play = ts.take_actions().into_iter().find_map(|x| match x {
        Action::Play {
            call: c,
            prompts,
            looping: false,
            ..
        } if c == call => Some(prompts),
        _ => None,
    });
    let prompts = play.expect("the confirmation plays");
    assert!(
        matches!(&prompts[0], ivr::Prompt::Tone { freqs, .. } if freqs == &[700]),
        "{prompts:?}"
    );
    let digits: Vec<String> = prompts[1..]
        .iter()
        .map(|p| match p {
            ivr::Prompt::File(f) => f
                .strip_prefix(f.parent().and_then(|d| d.parent()).unwrap_or(f))
                .map(|r| r.display().to_string())
                .unwrap_or_default(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        digits,
        [
            "digits/1.wav",
            "digits/0.wav",
            "digits/0.wav",
            "digits/1.wav"
        ]
    );
    ts.assert_quiet(a);
    // Keys pressed during the confirmation change nothing.
    dtmf(ts, call, '2');
    assert!(ts.take_acd_events().is_empty());
    playback_done(ts, call);
    let bye = ts.expect_request(a, "BYE");
    ts.send(a.peer, &a.respond(&bye, 200, "OK", None, None));
    let actions = ts.take_actions();
    let contact = actions.iter().find_map(|x| match x {
        Action::Contact { contact, .. } => Some(contact.clone()),
        _ => None,
    });
    assert_eq!(
        contact.map(|c| c.outcome),
        Some("callback_requested".to_string())
    );
    let end = actions
        .iter()
        .find_map(|x| match x {
            Action::Cdr(switch::CdrEvent::End(e)) => Some(e.clone()),
            _ => None,
        })
        .expect("the original call's CDR ends");
    assert_eq!(end.hangup_cause, "callback requested");
    assert_eq!(end.vars.get("callback").map(String::as_str), Some("1001"));
    // No abandon: the place is kept.
    assert!(ts.take_acd_events().is_empty());
    let snap = ts.sw.acd_snapshot(ts.now);
    assert_eq!(snap.queues[0].waiting, 1);
    end
}

/// The latest call placed among `actions` (earlier attempts may have rung other agents).
fn latest_call(actions: &[Action]) -> CallId {
    actions
        .iter()
        .rev()
        .find_map(|x| match x {
            Action::AllocateMedia { call } => Some(*call),
            _ => None,
        })
        .expect("the callback call")
}

/// The switch rings `agent` for a callback to 1001: the INVITE, checked for the caller shown
/// and the relay's port A in the offer.
fn agent_invite(ts: &mut TestSwitch, agent: &Phone) -> Msg {
    let inv = ts.expect_request(agent, "INVITE");
    assert!(
        inv.request_uri()
            .starts_with(&format!("sip:{}@", agent.user)),
        "{}",
        inv.text
    );
    assert!(inv.hdr("From").contains("sip:1001@"), "{}", inv.text);
    assert_eq!(
        inv.sdp_line("m=audio").as_deref(),
        Some(format!("m=audio {RELAY_A} RTP/AVP 0 8 101").as_str()),
        "{}",
        inv.text
    );
    ts.send(agent.peer, &agent.respond(&inv, 100, "Trying", None, None));
    inv
}

/// `agent` answers the callback's INVITE: ACKed; the agent hears ringback and the customer
/// (1001) is rung with the queue's number as the caller. Returns the agent's dialog, the
/// customer's INVITE and the callback call.
fn agent_answers(
    ts: &mut TestSwitch,
    agent: &Phone,
    inv: &Msg,
    customer: &Phone,
) -> (Dlg, Msg, CallId) {
    ts.send(
        agent.peer,
        &agent.respond(inv, 200, "OK", Some("agtag"), Some(&agent.sdp("sendrecv"))),
    );
    ts.expect_request(agent, "ACK");
    let cinv = ts.expect_request(customer, "INVITE");
    assert!(cinv.request_uri().starts_with("sip:1001@"), "{}", cinv.text);
    assert!(cinv.hdr("From").contains("sip:7000@"), "{}", cinv.text);
    assert_eq!(
        cinv.sdp_line("m=audio").as_deref(),
        Some(format!("m=audio {RELAY_B} RTP/AVP 0 101").as_str()),
        "the customer is offered the agent's codec: {}",
        cinv.text
    );
    ts.send(
        customer.peer,
        &customer.respond(&cinv, 100, "Trying", None, None),
    );
    let actions = ts.take_actions();
    let call = latest_call(&actions);
    assert!(
        actions
            .iter()
            .any(|x| matches!(x, Action::Endpoint { call: c, .. } if *c == call)),
        "{actions:?}"
    );
    assert!(
        actions
            .iter()
            .any(|x| super::ivr_support::is_ringback(x, call)),
        "the agent hears ringback: {actions:?}"
    );
    let start = actions.iter().find_map(|x| match x {
        Action::Cdr(switch::CdrEvent::Start(s)) => Some(s.clone()),
        _ => None,
    });
    let start = start.expect("the callback's CDR starts when the agent answers");
    assert_eq!(start.caller, "1001");
    assert_eq!(start.callee, agent.user);
    (Dlg::uas(inv, "agtag"), cinv, call)
}

/// The customer answers: ACKed, caller and agent bridged, the answer time recorded and the
/// recording started.
fn customer_answers(ts: &mut TestSwitch, customer: &Phone, cinv: &Msg, call: CallId) -> Dlg {
    ts.send(
        customer.peer,
        &customer.respond(
            cinv,
            200,
            "OK",
            Some("ctag"),
            Some(&customer.sdp("sendrecv")),
        ),
    );
    ts.expect_request(customer, "ACK");
    let actions = ts.take_actions();
    assert!(actions.contains(&Action::Bridge { call }), "{actions:?}");
    assert!(actions
        .iter()
        .any(|x| matches!(x, Action::Cdr(switch::CdrEvent::Answer { .. }))));
    assert!(actions
        .iter()
        .any(|x| matches!(x, Action::StartRecording { call: c, .. } if *c == call)));
    Dlg::uas(cinv, "ctag")
}

#[test]
fn callback_rings_the_agent_then_dials_and_bridges_the_customer() {
    let mut ts = callback_switch();
    let (mut a, mut agent) = (phone(1001), phone(1003));
    ts.register(&mut a, 3600);
    ts.register(&mut agent, 3600);
    let (call, _ad, key) = waiting(&mut ts, &mut a);
    ts.take_acd_events();
    ts.advance(Duration::from_secs(10));
    request_callback(&mut ts, &a, call);

    ts.advance(Duration::from_secs(20));
    login(&mut ts, "a1003");
    let inv = agent_invite(&mut ts, &agent);
    let pop = ts.actions().iter().find_map(|x| match x {
        Action::ScreenPop(p) => Some(p.clone()),
        _ => None,
    });
    assert_eq!(pop.map(|p| p.caller), Some("1001".to_string()));
    ts.advance(Duration::from_secs(2));
    let (mut agent_dlg, cinv, cb) = agent_answers(&mut ts, &agent, &inv, &a);
    assert_eq!(agent_state(&ts, "a1003"), "on_call");
    ts.advance(Duration::from_secs(3));
    let _customer_dlg = customer_answers(&mut ts, &a, &cinv, cb);

    ts.advance(Duration::from_secs(30));
    let bye = agent.request(&mut agent_dlg, "BYE", &[], None);
    ts.send(agent.peer, &bye);
    ts.expect_status(&agent, 200);
    let cbye = ts.expect_request(&a, "BYE");
    ts.send(a.peer, &a.respond(&cbye, 200, "OK", None, None));
    let actions = ts.take_actions();
    let contact = actions.iter().find_map(|x| match x {
        Action::Contact { contact, .. } => Some(contact.clone()),
        _ => None,
    });
    let contact = contact.expect("a contact row for the callback");
    assert_eq!(contact.direction, switch::Direction::Outbound);
    assert_eq!(contact.outcome, "answered");
    assert_eq!(contact.agent.as_deref(), Some("a1003"));
    let cdrs: Vec<switch::CdrEvent> = actions
        .into_iter()
        .filter_map(|x| match x {
            Action::Cdr(e) => Some(e),
            _ => None,
        })
        .collect();
    let end = cdr_end(&cdrs);
    assert_eq!(end.vars.get("callback_of"), Some(&key));
    assert_eq!(end.vars.get("agent").map(String::as_str), Some("a1003"));
    assert_eq!(end.vars.get("queue").map(String::as_str), Some("support"));
    assert_eq!(end.hangup_side, Some(switch::HangupSide::Callee));
    assert_eq!(end.disposition, switch::Disposition::Answered);
    assert_eq!(end.legs[0].role, switch::LegRole::Callee);
    assert_eq!(end.legs[0].extension, "1003");
    assert_eq!(end.legs[1].role, switch::LegRole::Caller);
    assert_eq!(end.legs[1].extension, "1001");
    let events = ts.take_acd_events();
    assert_eq!(
        kinds(&events),
        ["ring:a1003", "connect:a1003", "complete:Agent"]
    );
    assert!(event_calls(&events).iter().all(|c| *c == key));
    let wait = events.iter().find_map(|e| match e {
        AcdEvent::Queue(q) => match &q.kind {
            QueueEventKind::Connect { wait, .. } => Some(*wait),
            _ => None,
        },
        _ => None,
    });
    // Counted from the original enqueue: 10 s waiting + 20 s + 2 s ringing the agent.
    assert_eq!(wait, Some(Duration::from_secs(32)));
    assert_eq!(agent_state(&ts, "a1003"), "available");
    ts.finish();
}

#[test]
fn an_agent_who_does_not_answer_leaves_the_callback_to_the_next() {
    let mut ts = callback_switch();
    let (mut a, mut first, mut second) = (phone(1001), phone(1003), phone(1004));
    ts.register(&mut a, 3600);
    ts.register(&mut first, 3600);
    ts.register(&mut second, 3600);
    let (call, _ad, key) = waiting(&mut ts, &mut a);
    request_callback(&mut ts, &a, call);
    login(&mut ts, "a1003");
    let inv = agent_invite(&mut ts, &first);
    ts.send(
        first.peer,
        &first.respond(&inv, 180, "Ringing", Some("r1"), None),
    );
    login(&mut ts, "a1004");
    ts.assert_quiet(&second);
    ts.advance(Duration::from_secs(15));
    let cancel = ts.expect_request(&first, "CANCEL");
    ts.send(first.peer, &first.respond(&cancel, 200, "OK", None, None));
    ts.send(
        first.peer,
        &first.respond(&inv, 487, "Request Terminated", Some("r1"), None),
    );
    ts.expect_request(&first, "ACK");
    // The ACD moves on at once: the other agent rings, the place is kept.
    let inv2 = agent_invite(&mut ts, &second);
    assert!(
        !ts.actions()
            .iter()
            .any(|x| matches!(x, Action::Cdr(switch::CdrEvent::Start(_)))),
        "a callback the agent did not take leaves no CDR"
    );
    let (mut agent_dlg, cinv, cb) = agent_answers(&mut ts, &second, &inv2, &a);
    let events = ts.take_acd_events();
    assert_eq!(
        kinds(&events),
        [
            "ring:a1003",
            "noanswer:a1003",
            "ring:a1004",
            "connect:a1004"
        ]
    );
    assert!(event_calls(&events).iter().all(|c| *c == key));
    // The agent gives up while the customer's phone rings: the customer's INVITE is cancelled.
    let bye = second.request(&mut agent_dlg, "BYE", &[], None);
    ts.send(second.peer, &bye);
    ts.expect_status(&second, 200);
    let cancel = ts.expect_request(&a, "CANCEL");
    ts.send(a.peer, &a.respond(&cancel, 200, "OK", None, None));
    ts.send(
        a.peer,
        &a.respond(&cinv, 487, "Request Terminated", Some("c"), None),
    );
    ts.expect_request(&a, "ACK");
    let end = cdr_end(&ts.take_cdrs());
    assert_eq!(end.hangup_cause, "agent hung up");
    assert_eq!(end.hangup_side, Some(switch::HangupSide::Callee));
    assert_eq!(
        kinds(&ts.take_acd_events()),
        ["complete:Agent"],
        "the callback is over, not retried"
    );
    let _ = cb;
    assert_eq!(ts.sw.acd_snapshot(ts.now).queues[0].waiting, 0);
    ts.finish();
}

/// A callback up to the customer's phone ringing: 1001 asked, agent a1003 logged in and
/// answered (events so far taken). Returns the customer's phone, the agent's phone and the
/// customer's INVITE.
fn customer_rung(ts: &mut TestSwitch) -> (Phone, Phone, Msg) {
    let (mut a, mut agent) = (phone(1001), phone(1003));
    ts.register(&mut a, 3600);
    ts.register(&mut agent, 3600);
    let (call, _ad, _key) = waiting(ts, &mut a);
    request_callback(ts, &a, call);
    login(ts, "a1003");
    ts.take_acd_events();
    let inv = agent_invite(ts, &agent);
    let (_agent_dlg, cinv, _cb) = agent_answers(ts, &agent, &inv, &a);
    (a, agent, cinv)
}

#[test]
fn a_busy_customer_ends_the_callback_and_the_agent_wraps_up() {
    let mut ts = callback_switch();
    let (a, agent, cinv) = customer_rung(&mut ts);
    ts.send(a.peer, &a.respond(&cinv, 486, "Busy Here", Some("c"), None));
    ts.expect_request(&a, "ACK");
    let bye = ts.expect_request(&agent, "BYE");
    ts.send(agent.peer, &agent.respond(&bye, 200, "OK", None, None));
    let end = cdr_end(&ts.take_cdrs());
    assert_eq!(end.hangup_cause, "callback busy");
    assert_eq!(end.disposition, switch::Disposition::Busy);
    assert_eq!(end.hangup_side, Some(switch::HangupSide::Switch));
    assert_eq!(
        kinds(&ts.take_acd_events()),
        ["connect:a1003", "complete:Switch"]
    );
    assert_eq!(ts.sw.acd_snapshot(ts.now).queues[0].waiting, 0);
    ts.finish();
}

#[test]
fn a_customer_who_does_not_answer_ends_the_callback_at_the_ring_timeout() {
    let mut ts = callback_switch();
    let (a, agent, cinv) = customer_rung(&mut ts);
    ts.send(a.peer, &a.respond(&cinv, 180, "Ringing", Some("c"), None));
    ts.advance(Duration::from_millis(29_900));
    ts.assert_quiet(&agent);
    ts.advance(Duration::from_millis(100));
    let cancel = ts.expect_request(&a, "CANCEL");
    ts.send(a.peer, &a.respond(&cancel, 200, "OK", None, None));
    ts.send(
        a.peer,
        &a.respond(&cinv, 487, "Request Terminated", Some("c"), None),
    );
    ts.expect_request(&a, "ACK");
    let bye = ts.expect_request(&agent, "BYE");
    ts.send(agent.peer, &agent.respond(&bye, 200, "OK", None, None));
    let end = cdr_end(&ts.take_cdrs());
    assert_eq!(end.hangup_cause, "callback not answered");
    assert_eq!(end.disposition, switch::Disposition::NoAnswer);
    ts.finish();
}

#[test]
fn the_customer_hanging_up_completes_the_callback() {
    let mut ts = callback_switch();
    let (mut a, mut agent) = (phone(1001), phone(1003));
    ts.register(&mut a, 3600);
    ts.register(&mut agent, 3600);
    let (call, _ad, _key) = waiting(&mut ts, &mut a);
    request_callback(&mut ts, &a, call);
    login(&mut ts, "a1003");
    ts.take_acd_events();
    let inv = agent_invite(&mut ts, &agent);
    let (_agent_dlg, cinv, cb) = agent_answers(&mut ts, &agent, &inv, &a);
    let mut customer_dlg = customer_answers(&mut ts, &a, &cinv, cb);
    ts.advance(Duration::from_secs(45));
    let bye = a.request(&mut customer_dlg, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    let abye = ts.expect_request(&agent, "BYE");
    ts.send(agent.peer, &agent.respond(&abye, 200, "OK", None, None));
    let actions = ts.take_actions();
    assert!(actions.contains(&Action::ReleaseMedia { call: cb }));
    let end = actions
        .iter()
        .find_map(|x| match x {
            Action::Cdr(switch::CdrEvent::End(e)) => Some(e.clone()),
            _ => None,
        })
        .expect("CDR end");
    assert_eq!(end.hangup_side, Some(switch::HangupSide::Caller));
    assert_eq!(end.disposition, switch::Disposition::Answered);
    let events = ts.take_acd_events();
    assert_eq!(kinds(&events), ["connect:a1003", "complete:Caller"]);
    let talk = events.iter().find_map(|e| match e {
        AcdEvent::Queue(q) => match &q.kind {
            QueueEventKind::Complete { talk, .. } => Some(*talk),
            _ => None,
        },
        _ => None,
    });
    assert_eq!(talk, Some(Duration::from_secs(45)));
    ts.finish();
}

#[test]
fn a_callback_keeps_its_place_ahead_of_a_caller_who_came_later() {
    let mut ts = callback_switch();
    let (mut a, mut b, mut agent) = (phone(1001), phone(1002), phone(1003));
    ts.register(&mut a, 3600);
    ts.register(&mut agent, 3600);
    let (call, _ad, key) = waiting(&mut ts, &mut a);
    ts.advance(Duration::from_secs(5));
    request_callback(&mut ts, &a, call);
    ts.advance(Duration::from_secs(5));
    let (_later, mut bd, later_key) = waiting(&mut ts, &mut b);
    // The later caller queues behind the callback.
    let position = ts.sw.acd_snapshot(ts.now).queues[0]
        .callers
        .iter()
        .find(|c| c.call_id == later_key)
        .map(|c| c.position);
    assert_eq!(position, Some(2));
    login(&mut ts, "a1003");
    // The agent is rung for the callback (From 1001), not for the caller on the line.
    let inv = agent_invite(&mut ts, &agent);
    let events = ts.take_acd_events();
    assert_eq!(kinds(&events), ["ring:a1003"]);
    assert_eq!(event_calls(&events), [key]);
    let (mut agent_dlg, cinv, cb) = agent_answers(&mut ts, &agent, &inv, &a);
    let _customer = customer_answers(&mut ts, &a, &cinv, cb);
    let bye = agent.request(&mut agent_dlg, "BYE", &[], None);
    ts.send(agent.peer, &bye);
    ts.expect_status(&agent, 200);
    let cbye = ts.expect_request(&a, "BYE");
    ts.send(a.peer, &a.respond(&cbye, 200, "OK", None, None));
    // Then the later caller gets the agent.
    let inv2 = ts.expect_request(&agent, "INVITE");
    assert!(inv2.hdr("From").contains("sip:1002@"), "{}", inv2.text);
    let events = ts.take_acd_events();
    assert_eq!(event_calls(&events).last(), Some(&later_key));
    ts.send(
        agent.peer,
        &agent.respond(&inv2, 486, "Busy Here", Some("x"), None),
    );
    ts.expect_request(&agent, "ACK");
    let bye = b.request(&mut bd, "BYE", &[], None);
    ts.send(b.peer, &bye);
    ts.expect_status(&b, 200);
    ts.finish();
}

/// The callback is written to the CRM when asked for; a restarted switch (a new core given the
/// stored request) puts it back with the time already waited, offers it to the agent and
/// closes it when the agent answers.
#[test]
fn a_callback_is_kept_for_the_crm_and_survives_a_restart() {
    use switch::CallbackRecord;
    let mut ts = callback_switch();
    let (mut a, mut agent) = (phone(1001), phone(1003));
    ts.register(&mut a, 3600);
    ts.register(&mut agent, 3600);
    let (call, _ad, key) = waiting(&mut ts, &mut a);
    ts.take_acd_events();
    ts.advance(Duration::from_secs(30));
    dtmf(&mut ts, call, '2');
    let requested = ts
        .actions()
        .iter()
        .find_map(|x| match x {
            Action::Callback(CallbackRecord::Requested(r)) => Some(r.clone()),
            _ => None,
        })
        .expect("the request is kept");
    assert_eq!(
        (
            requested.call_id.as_str(),
            requested.queue.as_str(),
            requested.number.as_str()
        ),
        (key.as_str(), "support", "1001")
    );
    assert_eq!(
        requested.requested_at - requested.enqueued_at,
        chrono::Duration::seconds(30)
    );

    // The switch restarts a minute later: the stored request comes back.
    let mut ts = callback_switch();
    ts.register(&mut a, 3600);
    ts.register(&mut agent, 3600);
    let wall = requested.requested_at + chrono::Duration::seconds(60);
    let now = ts.now;
    ts.sw.restore_callbacks(now, wall, vec![requested]);
    let snapshot = ts.sw.acd_snapshot(ts.now);
    let waiting = &snapshot
        .queues
        .iter()
        .find(|q| q.name == "support")
        .expect("support queue")
        .callers;
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].call_id, key);
    assert_eq!(waiting[0].waited_s, 90.0);
    assert!(ts.take_acd_events().is_empty(), "no second enter");
    login(&mut ts, "a1003");
    let inv = agent_invite(&mut ts, &agent);
    ts.take_actions();
    ts.send(
        agent.peer,
        &agent.respond(&inv, 200, "OK", Some("agtag"), Some(&agent.sdp("sendrecv"))),
    );
    let done = ts.actions().iter().find_map(|x| match x {
        Action::Callback(CallbackRecord::Done {
            call_id, outcome, ..
        }) => Some((call_id.clone(), *outcome)),
        _ => None,
    });
    assert_eq!(done, Some((key, "agent answered")));
    assert_eq!(ts.sw.kept_callbacks(), 0);

    // A request whose queue no longer exists is closed at once.
    let gone = switch::CallbackRequest {
        call_id: "old".into(),
        queue: "removed".into(),
        number: "1001".into(),
        priority: 0,
        skills: Default::default(),
        enqueued_at: wall,
        requested_at: wall,
    };
    ts.take_actions();
    let now = ts.now;
    ts.sw.restore_callbacks(now, wall, vec![gone]);
    ts.pump();
    let closed = ts.actions().iter().any(|x| {
        matches!(x, Action::Callback(CallbackRecord::Done { call_id, outcome: "queue removed", .. }) if call_id == "old")
    });
    assert!(closed, "{:?}", ts.actions());
}

/// Regression: a callback's offer policy was resolved for the agent's id as if it were an
/// extension, so an agent extension selected for recording did not make the call's offers
/// decodable (with `offers = "as-is"` the relay let ZRTP through a call it would record).
#[test]
fn a_selected_agents_callback_is_decodable() {
    let mut ts = callback_switch_with(|cfg| {
        cfg.recording.mode = RecordMode::Selected {
            queues: Default::default(),
            extensions: ["1003".to_string()].into_iter().collect(),
        };
        cfg.recording.offers = switch::OfferPolicy::AsIs;
    });
    let (mut a, mut agent) = (phone(1001), phone(1003));
    ts.register(&mut a, 3600);
    ts.register(&mut agent, 3600);
    let (call, _ad, _key) = waiting(&mut ts, &mut a);
    request_callback(&mut ts, &a, call);
    login(&mut ts, "a1003");
    agent_invite(&mut ts, &agent);
    let actions = ts.take_actions();
    let placed = latest_call(&actions);
    assert!(
        !actions
            .iter()
            .any(|x| matches!(x, Action::PassZrtp { call } if *call == placed)),
        "{actions:?}"
    );
}
