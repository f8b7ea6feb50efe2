//! A plan's dial that does not end in an answer: the extension is not registered, busy, or rings
//! out, and the plan's own failure steps take the call on; and the caller leaving while the
//! plan's dial still rings.

use super::harness::{cdr_end, phone, TestSwitch, RELAY_B};
use super::ivr_support::{
    answered_by_plan, call_of, dtmf, is_ringback, ivr_switch, playback_done, played, IvrCall,
};
use super::phone::Phone;
use std::time::Duration;
use switch::Action;
use switch::Disposition;

/// After the plan played its hang-up prompt the caller gets a BYE; the CDR closes as an answered
/// call the switch ended with `cause`.
fn plan_hangs_up(ts: &mut TestSwitch, a: &Phone, c: &IvrCall, cause: &str) {
    playback_done(ts, c.call);
    let bye = ts.expect_request(a, "BYE");
    assert_eq!(bye.call_id(), c.a.call_id);
    ts.send(a.peer, &a.respond(&bye, 200, "OK", None, None));
    let end = cdr_end(&ts.take_cdrs());
    assert_eq!(end.disposition, Disposition::Answered);
    assert_eq!(end.hangup_side, Some(switch::HangupSide::Switch));
    assert_eq!(end.hangup_cause, cause);
    ts.assert_quiet(a);
}

/// The plan's dial is ringing: the menu prompt the key interrupted stops and the caller hears
/// ringback; nothing else.
fn assert_ringback(ts: &mut TestSwitch, call: switch::CallId) {
    let actions = ts.take_actions();
    assert_eq!(actions.len(), 2, "{actions:?}");
    assert_eq!(actions[0], Action::StopPlayback { call });
    assert!(is_ringback(&actions[1], call), "{actions:?}");
}

/// An extension with no registration is a failure, not "no answer": `on_failure` runs.
#[test]
fn dial_unregistered_extension_runs_on_failure() {
    let mut ts = ivr_switch();
    let (mut a, b) = (phone(1001), phone(1002));
    let c = answered_by_plan(&mut ts, &mut a, "1588");
    ts.take_actions();
    dtmf(&mut ts, c.call, '1');
    let actions = ts.take_actions();
    assert_eq!(played(&actions), [vec![950]], "on_failure plays 950 Hz");
    ts.assert_quiet(&b);
    ts.assert_quiet(&a);
    plan_hangs_up(&mut ts, &a, &c, "unavailable");
    ts.finish();
}

#[test]
fn dial_busy_runs_on_busy() {
    let mut ts = ivr_switch();
    let (mut a, mut b) = (phone(1001), phone(1002));
    ts.register(&mut b, 3600);
    let c = answered_by_plan(&mut ts, &mut a, "1588");
    ts.take_actions();
    dtmf(&mut ts, c.call, '1');
    assert_ringback(&mut ts, c.call);
    let inv = ts.expect_request(&b, "INVITE");
    ts.send(b.peer, &b.respond(&inv, 486, "Busy Here", Some("bt"), None));
    let ack = ts.expect_request(&b, "ACK");
    assert_eq!(ack.cseq().0, inv.cseq().0);
    ts.assert_quiet(&a);
    let actions = ts.take_actions();
    assert_eq!(played(&actions), [vec![480]], "on_busy plays 480 Hz");
    assert!(!actions.iter().any(|x| matches!(x, Action::Bridge { .. })));
    plan_hangs_up(&mut ts, &a, &c, "busy");
    ts.finish();
}

/// The plan's own ring timeout (20 s, not the switch's 30 s) cancels B and runs `on_no_answer`.
#[test]
fn dial_ring_timeout_cancels_and_runs_on_no_answer() {
    let mut ts = ivr_switch();
    let (mut a, mut b) = (phone(1001), phone(1002));
    ts.register(&mut b, 3600);
    let c = answered_by_plan(&mut ts, &mut a, "1588");
    ts.take_actions();
    dtmf(&mut ts, c.call, '1');
    assert_ringback(&mut ts, c.call);
    let inv = ts.expect_request(&b, "INVITE");
    ts.send(b.peer, &b.respond(&inv, 180, "Ringing", Some("bt"), None));
    ts.advance(Duration::from_millis(19_900));
    ts.assert_quiet(&b);
    assert!(played(&ts.take_actions()).is_empty());
    ts.advance(Duration::from_millis(100));
    let cancel = ts.expect_request(&b, "CANCEL");
    assert_eq!(cancel.cseq().0, inv.cseq().0);
    assert_eq!(played(&ts.take_actions()), [vec![400]], "on_no_answer");
    ts.send(b.peer, &b.respond(&cancel, 200, "OK", None, None));
    ts.send(
        b.peer,
        &b.respond(&inv, 487, "Request Terminated", Some("bt"), None),
    );
    ts.expect_request(&b, "ACK");
    ts.assert_quiet(&a);
    plan_hangs_up(&mut ts, &a, &c, "no answer");
    ts.finish();
}

/// A caller that hangs up while the plan's dial rings: CANCEL to B, and B's late 487 ends nothing
/// twice.
#[test]
fn caller_bye_while_plan_dial_rings() {
    let mut ts = ivr_switch();
    let (mut a, mut b) = (phone(1001), phone(1002));
    ts.register(&mut b, 3600);
    let c = answered_by_plan(&mut ts, &mut a, "1588");
    ts.take_actions();
    dtmf(&mut ts, c.call, '1');
    assert_ringback(&mut ts, c.call);
    let inv = ts.expect_request(&b, "INVITE");
    ts.send(b.peer, &b.respond(&inv, 180, "Ringing", Some("bt"), None));
    let mut ad = c.a;
    let bye = a.request(&mut ad, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    let cancel = ts.expect_request(&b, "CANCEL");
    ts.send(b.peer, &b.respond(&cancel, 200, "OK", None, None));
    ts.send(
        b.peer,
        &b.respond(&inv, 487, "Request Terminated", Some("bt"), None),
    );
    ts.expect_request(&b, "ACK");
    let actions = ts.take_actions();
    assert!(actions.contains(&Action::ReleaseMedia { call: c.call }));
    assert!(
        played(&actions).is_empty(),
        "no failure step for a caller who left"
    );
    let cdrs: Vec<switch::CdrEvent> = actions
        .into_iter()
        .filter_map(|x| match x {
            Action::Cdr(e) => Some(e),
            _ => None,
        })
        .collect();
    let end = cdr_end(&cdrs);
    assert_eq!(end.hangup_side, Some(switch::HangupSide::Caller));
    assert_eq!(end.legs.len(), 2);
    assert_eq!(end.legs[1].answered_at, None);
    ts.assert_quiet(&a);
    ts.assert_quiet(&b);
    ts.finish();
}

/// A plan that dials after early media, without answering: B's 180 reaches A without SDP (A has
/// the switch's already), B's 200 answers A with that same SDP, and the CDR's answer is B's.
#[test]
fn dial_after_early_media_answers_caller_with_same_sdp() {
    let mut ts = ivr_switch();
    let (mut a, mut b) = (phone(1001), phone(1002));
    ts.register(&mut b, 3600);
    ts.take_actions();
    let sdp = a.sdp("sendrecv");
    let mut ad = ts.invite(&mut a, "1800", Some(&sdp));
    ts.expect_status(&a, 100);
    let progress = ts.expect_status(&a, 183);
    let actions = ts.take_actions();
    let call = call_of(&actions);
    assert_eq!(played(&actions), [vec![500]]);
    ts.assert_quiet(&b);

    playback_done(&mut ts, call);
    let actions = ts.take_actions();
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert!(is_ringback(&actions[0], call), "{actions:?}");
    let inv = ts.expect_request(&b, "INVITE");
    assert_eq!(
        inv.sdp_line("m=audio").as_deref(),
        Some(format!("m=audio {RELAY_B} RTP/AVP 0 101").as_str())
    );
    ts.send(b.peer, &b.respond(&inv, 180, "Ringing", Some("bt"), None));
    let ringing = ts.expect_status(&a, 180);
    assert_eq!(ringing.body(), "", "A keeps the early media SDP it has");
    assert_eq!(ringing.to_tag(), progress.to_tag());

    ts.advance(Duration::from_secs(3));
    ts.send(
        b.peer,
        &b.respond(&inv, 200, "OK", Some("bt"), Some(&b.sdp("sendrecv"))),
    );
    ts.expect_request(&b, "ACK");
    let ok = ts.expect_status(&a, 200);
    assert_eq!(ok.body(), progress.body(), "the SDP A's media already uses");
    assert_eq!(ok.to_tag(), progress.to_tag());
    let actions = ts.take_actions();
    assert!(actions.contains(&Action::Bridge { call }), "{actions:?}");
    assert!(actions
        .iter()
        .any(|x| matches!(x, Action::Cdr(switch::CdrEvent::Answer { .. }))));
    ad.learn(&ok);
    ts.send(a.peer, &a.ack_2xx(&ad));
    ts.assert_quiet(&a);

    let bye = a.request(&mut ad, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    let b_bye = ts.expect_request(&b, "BYE");
    ts.send(b.peer, &b.respond(&b_bye, 200, "OK", None, None));
    let end = cdr_end(&ts.take_cdrs());
    assert_eq!(end.disposition, Disposition::Answered);
    assert_eq!(end.legs[0].answered_at, end.legs[1].answered_at);
    assert!(end.legs[0].answered_at.is_some());
    ts.finish();
}

/// Shutdown while the plan's dial rings: BYE to the answered caller, CANCEL to the callee.
#[test]
fn shutdown_while_plan_dial_rings() {
    let mut ts = ivr_switch();
    let (mut a, mut b) = (phone(1001), phone(1002));
    ts.register(&mut b, 3600);
    let c = answered_by_plan(&mut ts, &mut a, "1588");
    ts.take_actions();
    dtmf(&mut ts, c.call, '1');
    assert_ringback(&mut ts, c.call);
    let inv = ts.expect_request(&b, "INVITE");
    ts.send(b.peer, &b.respond(&inv, 180, "Ringing", Some("bt"), None));
    let now = ts.now;
    ts.sw.shutdown(now);
    ts.pump();
    let bye = ts.expect_request(&a, "BYE");
    ts.send(a.peer, &a.respond(&bye, 200, "OK", None, None));
    let cancel = ts.expect_request(&b, "CANCEL");
    ts.send(b.peer, &b.respond(&cancel, 200, "OK", None, None));
    ts.send(
        b.peer,
        &b.respond(&inv, 487, "Request Terminated", Some("bt"), None),
    );
    ts.expect_request(&b, "ACK");
    let end = cdr_end(&ts.take_cdrs());
    assert_eq!(end.hangup_cause, "switch shutdown");
    ts.assert_quiet(&a);
    ts.assert_quiet(&b);
    ts.finish();
}
