//! Leaving a queue with a key: a target (extension, dialplan route), a key without a mapping,
//! and leaving a message (ended by `#`, by the length limit, or by the caller hanging up).

use super::harness::{cdr_end, config, load_plans, phone, TestSwitch};
use super::ivr_support::{call_of, dtmf, playback_done, played, support_queue, MENU_PLAN};
use super::phone::{Dlg, Phone};
use acd::QueueEventKind;
use std::time::Duration;
use switch::{AcdEvent, Action, CallId, ExitKey};

/// Queue `support` (number 7000, no agent logged in) with keys 1 message, 0 extension 1002,
/// 9 the menu plan's 1588; message prompt a 1 kHz beep, messages up to 60 s.
fn exit_switch() -> TestSwitch {
    let mut cfg = config();
    let mut setup = support_queue();
    let exit = &mut setup.queues[0].exit;
    exit.keys.insert('1', ExitKey::Message);
    exit.keys.insert('0', ExitKey::Target("1002".into()));
    exit.keys.insert('9', ExitKey::Target("1588".into()));
    exit.message_max = Duration::from_secs(60);
    cfg.acd = setup;
    let plans = load_plans(&[("menu.toml", MENU_PLAN)]);
    TestSwitch::with_plans(cfg, Some(plans))
}

/// `a` dials 7000 and waits in `support`: the call and A's dialog; actions and events cleared.
fn waiting(ts: &mut TestSwitch, a: &mut Phone) -> (CallId, Dlg) {
    let sdp = a.sdp("sendrecv");
    let mut ad = ts.invite(a, "7000", Some(&sdp));
    ts.expect_status(a, 100);
    let ok = ts.expect_status(a, 200);
    ad.learn(&ok);
    ts.send(a.peer, &a.ack_2xx(&ad));
    let call = call_of(&ts.take_actions());
    let events = ts.take_acd_events();
    assert!(
        events.iter().any(|e| matches!(e, AcdEvent::Queue(q)
            if matches!(q.kind, QueueEventKind::Enter { .. }))),
        "caller entered the queue: {events:?}"
    );
    (call, ad)
}

fn exit_key_of(events: &[AcdEvent]) -> Option<char> {
    events.iter().find_map(|e| match e {
        AcdEvent::Queue(q) => match q.kind {
            QueueEventKind::ExitWithKey { key, .. } => Some(key),
            _ => None,
        },
        _ => None,
    })
}

fn queue_kinds(events: &[AcdEvent]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, AcdEvent::Queue(_)))
        .count()
}

#[test]
fn exit_key_to_an_extension_rings_it_and_bridges() {
    let mut ts = exit_switch();
    let (mut a, mut b) = (phone(1001), phone(1002));
    ts.register(&mut b, 3600);
    let (call, mut ad) = waiting(&mut ts, &mut a);
    ts.advance(Duration::from_secs(4));
    dtmf(&mut ts, call, '0');
    let events = ts.take_acd_events();
    assert_eq!(exit_key_of(&events), Some('0'));
    assert_eq!(ts.sw.acd_snapshot(ts.now).queues[0].waiting, 0);
    let inv = ts.expect_request(&b, "INVITE");
    assert!(inv.request_uri().starts_with("sip:1002@"), "{}", inv.text);
    ts.send(
        b.peer,
        &b.respond(&inv, 200, "OK", Some("bt"), Some(&b.sdp("sendrecv"))),
    );
    ts.expect_request(&b, "ACK");
    assert!(ts.take_actions().contains(&Action::Bridge { call }));
    let bye = a.request(&mut ad, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    let b_bye = ts.expect_request(&b, "BYE");
    ts.send(b.peer, &b.respond(&b_bye, 200, "OK", None, None));
    let end = cdr_end(&ts.take_cdrs());
    assert_eq!(end.vars.get("queue_exit").map(String::as_str), Some("0"));
    assert_eq!(end.legs[1].extension, "1002");
    // No abandon: the caller left with the key.
    assert_eq!(queue_kinds(&ts.take_acd_events()), 0);
    ts.finish();
}

#[test]
fn a_key_without_a_mapping_is_ignored_and_the_caller_waits_on() {
    let mut ts = exit_switch();
    let mut a = phone(1001);
    let (call, mut ad) = waiting(&mut ts, &mut a);
    for digit in ['5', '#', '*'] {
        dtmf(&mut ts, call, digit);
    }
    assert!(ts.take_acd_events().is_empty());
    assert!(
        played(&ts.take_actions()).is_empty(),
        "nothing new is played"
    );
    assert_eq!(ts.sw.acd_snapshot(ts.now).queues[0].waiting, 1);
    ts.assert_quiet(&a);
    let bye = a.request(&mut ad, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    let events = ts.take_acd_events();
    assert!(events.iter().any(|e| matches!(e, AcdEvent::Queue(q)
        if matches!(q.kind, QueueEventKind::Abandon { .. }))));
    ts.finish();
}

#[test]
fn exit_key_to_a_dialplan_route_runs_that_plan() {
    let mut ts = exit_switch();
    let mut a = phone(1001);
    let (call, mut ad) = waiting(&mut ts, &mut a);
    dtmf(&mut ts, call, '9');
    assert_eq!(exit_key_of(&ts.take_acd_events()), Some('9'));
    // The menu of 1588 (its prompt is a 440 Hz tone) plays on the answered call.
    assert_eq!(played(&ts.take_actions()), vec![vec![440]]);
    ts.assert_quiet(&a);
    let bye = a.request(&mut ad, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    ts.finish();
}

/// The caller presses 1: the beep plays, then the recording of the message starts.
fn message_started(ts: &mut TestSwitch, call: CallId) {
    dtmf(ts, call, '1');
    assert_eq!(exit_key_of(&ts.take_acd_events()), Some('1'));
    assert_eq!(played(ts.actions()), vec![vec![1000]], "the message beep");
    assert!(!ts
        .actions()
        .iter()
        .any(|x| matches!(x, Action::RecordMessage { .. })));
    playback_done(ts, call);
    let record = ts.take_actions().into_iter().find_map(|x| match x {
        Action::RecordMessage { call: c, message } if c == call => Some(message),
        _ => None,
    });
    let message = record.expect("recording of the message starts after the beep");
    assert_eq!(message.queue, "support");
    assert_eq!(message.caller, "1001");
    assert_eq!(Some(message.cdr_id), ts.sw.cdr_id_of(call));
}

#[test]
fn message_ends_with_hash_and_the_switch_hangs_up() {
    let mut ts = exit_switch();
    let mut a = phone(1001);
    let (call, _ad) = waiting(&mut ts, &mut a);
    message_started(&mut ts, call);
    ts.advance(Duration::from_secs(12));
    dtmf(&mut ts, call, '7');
    ts.assert_quiet(&a);
    dtmf(&mut ts, call, '#');
    let bye = ts.expect_request(&a, "BYE");
    ts.send(a.peer, &a.respond(&bye, 200, "OK", None, None));
    let actions = ts.take_actions();
    assert!(actions.contains(&Action::ReleaseMedia { call }));
    let contact = actions.iter().find_map(|x| match x {
        Action::Contact { contact, .. } => Some(contact.clone()),
        _ => None,
    });
    let contact = contact.expect("a contact-history row");
    assert_eq!(contact.outcome, "message");
    assert_eq!(contact.queue.as_deref(), Some("support"));
    let end = actions
        .iter()
        .find_map(|x| match x {
            Action::Cdr(switch::CdrEvent::End(e)) => Some(e.clone()),
            _ => None,
        })
        .expect("CDR end");
    assert_eq!(end.hangup_cause, "message left");
    assert_eq!(end.vars.get("message").map(String::as_str), Some("support"));
    // Leaving a message is no abandon.
    assert_eq!(queue_kinds(&ts.take_acd_events()), 0);
    ts.finish();
}

#[test]
fn message_stops_at_its_length_limit() {
    let mut ts = exit_switch();
    let mut a = phone(1001);
    let (call, _ad) = waiting(&mut ts, &mut a);
    message_started(&mut ts, call);
    ts.advance(Duration::from_millis(59_900));
    ts.assert_quiet(&a);
    ts.advance(Duration::from_millis(100));
    let bye = ts.expect_request(&a, "BYE");
    ts.send(a.peer, &a.respond(&bye, 200, "OK", None, None));
    let end = cdr_end(&ts.take_cdrs());
    assert_eq!(end.hangup_cause, "message length limit");
    ts.finish();
}

#[test]
fn caller_hanging_up_mid_message_ends_it_without_an_abandon() {
    let mut ts = exit_switch();
    let mut a = phone(1001);
    let (call, mut ad) = waiting(&mut ts, &mut a);
    message_started(&mut ts, call);
    ts.advance(Duration::from_secs(5));
    let bye = a.request(&mut ad, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    let actions = ts.take_actions();
    assert!(actions.contains(&Action::ReleaseMedia { call }));
    let end = actions
        .iter()
        .find_map(|x| match x {
            Action::Cdr(switch::CdrEvent::End(e)) => Some(e.clone()),
            _ => None,
        })
        .expect("CDR end");
    assert_eq!(end.hangup_side, Some(switch::HangupSide::Caller));
    assert_eq!(queue_kinds(&ts.take_acd_events()), 0);
    // The length limit later finds nothing to do.
    ts.advance(Duration::from_secs(60));
    ts.assert_quiet(&a);
    ts.finish();
}
