//! Plans that do not end at a menu: early media before a refusal, CRM lookups, callers leaving
//! mid-prompt, queues, reloads under running calls, and shutdown.

use super::harness::{cdr_end, config, load_plans, phone, TestSwitch, RELAY_A};
use super::ivr_support::{
    answered_by_plan, call_of, dtmf, ivr_switch, playback_done, played, MENU_PLAN,
};
use std::time::Duration;
use switch::Action;
use switch::{CdrEvent, Disposition};

/// Early media: a prompt without an answer (183 with the switch's SDP), then busy: 486.
#[test]
fn early_media_then_busy() {
    let mut ts = ivr_switch();
    let mut a = phone(1001);
    let sdp = a.sdp("sendrecv");
    let ad = ts.invite(&mut a, "1700", Some(&sdp));
    ts.expect_status(&a, 100);
    let progress = ts.expect_status(&a, 183);
    assert_eq!(
        progress.sdp_line("m=audio").as_deref(),
        Some(format!("m=audio {RELAY_A} RTP/AVP 0 101").as_str())
    );
    assert!(progress.to_tag().is_some());
    ts.assert_quiet(&a);
    let actions = ts.take_actions();
    let call = call_of(&actions);
    assert!(actions.contains(&Action::Endpoint {
        call,
        telephone_event_pt: Some(101)
    }));
    assert_eq!(played(&actions), [vec![425]]);
    assert!(
        !actions
            .iter()
            .any(|x| matches!(x, Action::Cdr(CdrEvent::Answer { .. }))),
        "early media is no answer"
    );

    ts.advance(Duration::from_secs(1));
    playback_done(&mut ts, call);
    let busy = ts.expect_status(&a, 486);
    assert_eq!(busy.to_tag(), progress.to_tag(), "same dialog as the 183");
    ts.send(a.peer, &a.ack_non2xx(&ad, &busy));
    let end = cdr_end(&ts.take_cdrs());
    assert_eq!(end.disposition, Disposition::Busy);
    assert_eq!(end.sip_status, 486);
    assert_eq!(end.legs.len(), 1);
    assert_eq!(end.legs[0].answered_at, None);
    ts.assert_quiet(&a);
    assert_eq!(ts.sw.stats().calls_answered, 0);
    ts.finish();
}

/// The caller CANCELs during early media: 200 to the CANCEL, 487 to the INVITE, CDR cancelled.
#[test]
fn cancel_during_early_media() {
    let mut ts = ivr_switch();
    let mut a = phone(1001);
    let sdp = a.sdp("sendrecv");
    let ad = ts.invite(&mut a, "1700", Some(&sdp));
    ts.expect_status(&a, 100);
    ts.expect_status(&a, 183);
    let call = call_of(&ts.take_actions());
    ts.send(a.peer, &a.cancel(&ad));
    let ok = ts.expect_status(&a, 200);
    assert_eq!(ok.method(), "CANCEL");
    let terminated = ts.expect_status(&a, 487);
    ts.send(a.peer, &a.ack_non2xx(&ad, &terminated));
    let actions = ts.take_actions();
    assert!(actions.contains(&Action::ReleaseMedia { call }));
    let end = cdr_end(
        &actions
            .into_iter()
            .filter_map(|x| match x {
                Action::Cdr(e) => Some(e),
                _ => None,
            })
            .collect::<Vec<_>>(),
    );
    assert_eq!(end.disposition, Disposition::Cancelled);
    assert_eq!(end.hangup_side, Some(switch::HangupSide::Caller));
    // The relay's late report of the prompt's end finds no call.
    playback_done(&mut ts, call);
    assert!(ts.take_actions().is_empty());
    ts.assert_quiet(&a);
    ts.finish();
}

/// The caller hangs up in the middle of a prompt: 200, media released, CDR closed by the caller;
/// a late playback report changes nothing.
#[test]
fn caller_bye_while_plan_plays() {
    let mut ts = ivr_switch();
    let mut a = phone(1001);
    let c = answered_by_plan(&mut ts, &mut a, "1588");
    ts.take_actions();
    ts.advance(Duration::from_millis(500));
    let mut ad = c.a;
    let bye = a.request(&mut ad, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    let actions = ts.take_actions();
    assert!(actions.contains(&Action::ReleaseMedia { call: c.call }));
    let end = cdr_end(
        &actions
            .into_iter()
            .filter_map(|x| match x {
                Action::Cdr(e) => Some(e),
                _ => None,
            })
            .collect::<Vec<_>>(),
    );
    assert_eq!(end.disposition, Disposition::Answered);
    assert_eq!(end.hangup_side, Some(switch::HangupSide::Caller));
    playback_done(&mut ts, c.call);
    dtmf(&mut ts, c.call, '1');
    assert!(ts.take_actions().is_empty());
    ts.assert_quiet(&a);
    ts.finish();
}

#[test]
fn lookup_premium_and_unknown_branches() {
    let mut ts = ivr_switch();
    let mut a = phone(1001);
    for (customer, tone) in [
        (
            Some(ivr::Customer {
                name: "Kim".into(),
                grade: "premium".into(),
                segment: "retail".into(),
            }),
            1111,
        ),
        (None, 2222),
        (
            Some(ivr::Customer {
                name: "Lee".into(),
                grade: "standard".into(),
                segment: "retail".into(),
            }),
            3333,
        ),
    ] {
        let c = answered_by_plan(&mut ts, &mut a, "1600");
        let actions = ts.take_actions();
        assert!(
            actions.contains(&Action::LookupCaller {
                call: c.call,
                number: "1001".into()
            }),
            "{actions:?}"
        );
        assert!(played(&actions).is_empty(), "waits for the CRM");
        let now = ts.now;
        let known = customer.is_some();
        ts.sw.lookup_result(now, c.call, customer);
        ts.pump();
        assert_eq!(played(&ts.take_actions()), [vec![tone]]);
        playback_done(&mut ts, c.call);
        let bye = ts.expect_request(&a, "BYE");
        ts.send(a.peer, &a.respond(&bye, 200, "OK", None, None));
        // Extension 1001 is one of ours: its call is a customer contact only when the CRM
        // knows the number as a customer's.
        let contact = ts.take_actions().into_iter().find_map(|x| match x {
            Action::Contact { contact, .. } => Some(contact),
            _ => None,
        });
        assert_eq!(contact.is_some(), known, "{contact:?}");
        if let Some(c) = contact {
            assert_eq!(c.outcome, "self_service");
        }
    }
    ts.finish();
}

/// The CRM does not answer within the lookup's 2 s: the caller counts as unknown.
#[test]
fn lookup_timeout_counts_as_unknown() {
    let mut ts = ivr_switch();
    let mut a = phone(1001);
    let c = answered_by_plan(&mut ts, &mut a, "1600");
    ts.take_actions();
    ts.advance(Duration::from_millis(1999));
    assert!(played(&ts.take_actions()).is_empty());
    ts.advance(Duration::from_millis(1));
    assert_eq!(played(&ts.take_actions()), [vec![2222]]);
    // A CRM answer after the timeout is ignored.
    let now = ts.now;
    ts.sw.lookup_result(
        now,
        c.call,
        Some(ivr::Customer {
            grade: "premium".into(),
            ..Default::default()
        }),
    );
    ts.pump();
    assert!(played(&ts.take_actions()).is_empty());
    playback_done(&mut ts, c.call);
    let bye = ts.expect_request(&a, "BYE");
    ts.send(a.peer, &a.respond(&bye, 200, "OK", None, None));
    ts.finish();
}

/// A queue with no extension configured: the plan has let go, so the switch hangs up.
#[test]
fn unmapped_queue_hangs_up() {
    let mut ts = ivr_switch();
    let mut a = phone(1001);
    let c = answered_by_plan(&mut ts, &mut a, "1588");
    ts.take_actions();
    dtmf(&mut ts, c.call, '3');
    let bye = ts.expect_request(&a, "BYE");
    assert_eq!(bye.call_id(), c.a.call_id);
    ts.send(a.peer, &a.respond(&bye, 200, "OK", None, None));
    let end = cdr_end(&ts.take_cdrs());
    assert_eq!(end.hangup_cause, "queue unavailable");
    assert_eq!(end.hangup_side, Some(switch::HangupSide::Switch));
    ts.finish();
}

/// A reload changes what new calls hear; a call in progress keeps the plan it started on.
#[test]
fn reload_keeps_running_calls_on_their_plan() {
    let v1 = load_plans(&[("menu.toml", MENU_PLAN)]);
    let mut ts = TestSwitch::with_plans(config(), Some(v1));
    let mut a = phone(1001);
    let first = answered_by_plan(&mut ts, &mut a, "1588");
    assert_eq!(played(&ts.take_actions()), [vec![440]]);

    let v2 = MENU_PLAN
        .replace("tone:440:1000", "tone:880:1000")
        .replace("tone:620:300", "tone:720:300");
    ts.sw
        .reload_dialplans(Some(load_plans(&[("menu.toml", v2.as_str())])));
    let second = answered_by_plan(&mut ts, &mut a, "1588");
    assert_ne!(first.call, second.call);
    assert_eq!(
        played(&ts.take_actions()),
        [vec![880]],
        "new call, new plan"
    );

    dtmf(&mut ts, first.call, '9');
    assert_eq!(
        played(&ts.take_actions()),
        [vec![620, 440]],
        "old call, old plan"
    );
    dtmf(&mut ts, second.call, '9');
    assert_eq!(played(&ts.take_actions()), [vec![720, 880]]);

    // Without plans, 1588 is no extension any more.
    ts.sw.reload_dialplans(None);
    let mut d = a.new_dialog("1588", "sip:1588@switch.test");
    let inv = a.invite(&mut d, &[], None);
    ts.send(a.peer, &inv);
    let challenge = ts.expect_status(&a, 407);
    ts.send(a.peer, &a.ack_non2xx(&d, &challenge));
    let auth = a.authorization(&challenge, "INVITE", &d.target, 1);
    let inv = a.invite(&mut d, &[auth], None);
    ts.send(a.peer, &inv);
    ts.expect_status(&a, 100);
    let nf = ts.expect_status(&a, 404);
    ts.send(a.peer, &a.ack_non2xx(&d, &nf));

    for c in [first, second] {
        let mut ad = c.a;
        let bye = a.request(&mut ad, "BYE", &[], None);
        ts.send(a.peer, &bye);
        ts.expect_status(&a, 200);
    }
    ts.assert_quiet(&a);
    ts.finish();
}

/// With plans loaded, a number no route matches still rings the extension directly.
#[test]
fn unrouted_number_dials_extension_directly() {
    let mut ts = ivr_switch();
    let (mut a, mut b) = (phone(1001), phone(1002));
    ts.register(&mut b, 3600);
    let sdp = a.sdp("sendrecv");
    ts.invite(&mut a, "1002", Some(&sdp));
    ts.expect_status(&a, 100);
    let inv = ts.expect_request(&b, "INVITE");
    assert!(inv.request_uri().starts_with("sip:1002@"));
    let actions = ts.take_actions();
    assert!(!actions
        .iter()
        .any(|x| matches!(x, Action::Endpoint { .. } | Action::Play { .. })));
    ts.send(b.peer, &b.respond(&inv, 486, "Busy Here", Some("bt"), None));
    ts.expect_request(&b, "ACK");
    let busy = ts.expect_status(&a, 486);
    assert_eq!(busy.method(), "INVITE");
    ts.finish();
}

/// Shutdown: an answered IVR call gets a BYE; one in early media gets 503.
#[test]
fn shutdown_during_ivr_calls() {
    let mut ts = ivr_switch();
    let (mut a, mut e) = (phone(1001), phone(1004));
    let c = answered_by_plan(&mut ts, &mut a, "1588");
    let sdp = e.sdp("sendrecv");
    let ed = ts.invite(&mut e, "1700", Some(&sdp));
    ts.expect_status(&e, 100);
    ts.expect_status(&e, 183);
    ts.take_actions();

    let now = ts.now;
    ts.sw.shutdown(now);
    ts.pump();
    let bye = ts.expect_request(&a, "BYE");
    assert_eq!(bye.call_id(), c.a.call_id);
    ts.send(a.peer, &a.respond(&bye, 200, "OK", None, None));
    let refused = ts.expect_status(&e, 503);
    ts.send(e.peer, &e.ack_non2xx(&ed, &refused));
    let cdrs = ts.take_cdrs();
    let ends: Vec<_> = cdrs
        .iter()
        .filter_map(|x| match x {
            CdrEvent::End(end) => Some((end.disposition, end.hangup_cause.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(ends.len(), 2, "{cdrs:?}");
    assert!(ends.contains(&(Disposition::Answered, "switch shutdown".to_string())));
    assert!(ends.contains(&(Disposition::Failed, "switch shutdown".to_string())));
    ts.assert_quiet(&a);
    ts.assert_quiet(&e);
    ts.finish();
}

/// A caller that never ACKs the plan's 200: retransmitted 200s, then the switch gives up and
/// hangs up (BYE), and the plan stops with it.
#[test]
fn no_ack_for_plan_answer_hangs_up() {
    let mut ts = ivr_switch();
    let mut a = phone(1001);
    let sdp = a.sdp("sendrecv");
    ts.invite(&mut a, "1588", Some(&sdp));
    ts.expect_status(&a, 100);
    ts.expect_status(&a, 200);
    let call = call_of(&ts.take_actions());
    ts.advance(Duration::from_secs(2));
    assert!(
        ts.drain(&a).iter().all(|m| m.status() == 200),
        "only 200 retransmissions"
    );
    ts.advance(Duration::from_secs(40));
    let msgs = ts.drain(&a);
    let bye = msgs
        .iter()
        .find(|m| !m.is_response() && m.method() == "BYE")
        .unwrap_or_else(|| panic!("no BYE after the ACK timeout: {msgs:?}"));
    ts.send(a.peer, &a.respond(bye, 200, "OK", None, None));
    let actions = ts.take_actions();
    assert!(actions.contains(&Action::ReleaseMedia { call }));
    let end = cdr_end(
        &actions
            .into_iter()
            .filter_map(|x| match x {
                Action::Cdr(e) => Some(e),
                _ => None,
            })
            .collect::<Vec<_>>(),
    );
    assert_eq!(end.hangup_cause, "no ACK from caller");
    ts.finish();
}
