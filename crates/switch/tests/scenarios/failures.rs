//! Calls that are never answered: caller CANCEL, busy/decline, unreachable or unknown callee,
//! and the ring timeout.

use super::harness::{cdr_end, phone, ringing_call, TestSwitch};
use std::time::Duration;
use switch::Action;
use switch::Disposition;

#[test]
fn caller_cancels_while_ringing() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    let (ad, inv) = ringing_call(&mut ts, &mut a, &mut b);
    ts.send(a.peer, &a.cancel(&ad));
    let cancel_ok = ts.expect_status(&a, 200);
    assert_eq!(cancel_ok.method(), "CANCEL");
    let terminated = ts.expect_status(&a, 487);
    assert_eq!(terminated.method(), "INVITE");
    ts.send(a.peer, &a.ack_non2xx(&ad, &terminated));

    let cancel = ts.expect_request(&b, "CANCEL");
    assert_eq!(cancel.cseq().0, inv.cseq().0);
    assert_eq!(
        cancel.hdr("Via"),
        inv.hdr("Via"),
        "CANCEL reuses the INVITE's branch"
    );
    ts.send(b.peer, &b.respond(&cancel, 200, "OK", Some("btag"), None));
    ts.send(
        b.peer,
        &b.respond(&inv, 487, "Request Terminated", Some("btag"), None),
    );
    let ack = ts.expect_request(&b, "ACK");
    assert_eq!(ack.cseq().0, inv.cseq().0);

    let actions = ts.take_actions();
    assert!(actions
        .iter()
        .any(|x| matches!(x, Action::ReleaseMedia { .. })));
    let cdrs: Vec<_> = actions
        .into_iter()
        .filter_map(|x| match x {
            Action::Cdr(e) => Some(e),
            _ => None,
        })
        .collect();
    let end = cdr_end(&cdrs);
    assert_eq!(end.disposition, Disposition::Cancelled);
    assert_eq!(end.sip_status, 487);
    assert_eq!(end.hangup_side, Some(switch::HangupSide::Caller));
    assert!(end.legs.iter().all(|l| l.answered_at.is_none()));
    ts.assert_quiet(&a);
    ts.assert_quiet(&b);
    ts.finish();
}

/// B answers the INVITE with `code`; A must get `expect`, the CDR `disposition`. Returns the
/// CDR's end.
fn callee_refuses(
    code: u16,
    reason: &str,
    expect: u16,
    disposition: Disposition,
) -> switch::CdrEnd {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    let (ad, inv) = ringing_call(&mut ts, &mut a, &mut b);
    ts.send(b.peer, &b.respond(&inv, code, reason, Some("btag"), None));
    let ack = ts.expect_request(&b, "ACK");
    assert_eq!(ack.cseq().0, inv.cseq().0);
    let fin = ts.expect_status(&a, expect);
    assert_eq!(fin.method(), "INVITE");
    ts.send(a.peer, &a.ack_non2xx(&ad, &fin));
    let end = cdr_end(&ts.take_cdrs());
    assert_eq!(end.disposition, disposition);
    assert_eq!(end.sip_status, expect);
    assert_eq!(end.legs[1].final_status, Some(code));
    ts.assert_quiet(&a);
    ts.assert_quiet(&b);
    ts.finish();
    end
}

#[test]
fn callee_busy_gives_486() {
    let end = callee_refuses(486, "Busy Here", 486, Disposition::Busy);
    assert_eq!(end.hangup_side, None);
}

#[test]
fn callee_declines_gives_603() {
    // Issue #15: declined by the callee, not busy with no side.
    let end = callee_refuses(603, "Decline", 603, Disposition::Declined);
    assert_eq!(end.hangup_side, Some(switch::HangupSide::Callee));
}

#[test]
fn callee_not_registered_gives_480() {
    let mut ts = TestSwitch::new();
    let mut a = phone(1001);
    ts.register(&mut a, 3600);
    let sdp = a.sdp("sendrecv");
    let d = ts.invite(&mut a, "1003", Some(&sdp));
    let r = ts.expect_status(&a, 480);
    ts.send(a.peer, &a.ack_non2xx(&d, &r));
    ts.assert_quiet(&a);
    ts.finish();
}

#[test]
fn unknown_number_gives_404() {
    let mut ts = TestSwitch::new();
    let mut a = phone(1001);
    ts.register(&mut a, 3600);
    let sdp = a.sdp("sendrecv");
    let d = ts.invite(&mut a, "1999", Some(&sdp));
    let r = ts.expect_status(&a, 404);
    ts.send(a.peer, &a.ack_non2xx(&d, &r));
    assert_eq!(ts.sw.stats().calls_started, 0);
    ts.finish();
}

#[test]
fn no_answer_times_out_after_ring_timeout() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    let (ad, inv) = ringing_call(&mut ts, &mut a, &mut b);
    ts.advance(Duration::from_secs(29));
    ts.assert_quiet(&a);
    ts.assert_quiet(&b);
    ts.advance(Duration::from_secs(1));
    let r = ts.expect_status(&a, 480);
    ts.send(a.peer, &a.ack_non2xx(&ad, &r));
    let cancel = ts.expect_request(&b, "CANCEL");
    ts.send(b.peer, &b.respond(&cancel, 200, "OK", Some("btag"), None));
    ts.send(
        b.peer,
        &b.respond(&inv, 487, "Request Terminated", Some("btag"), None),
    );
    ts.expect_request(&b, "ACK");
    let end = cdr_end(&ts.take_cdrs());
    assert_eq!(end.disposition, Disposition::NoAnswer);
    assert_eq!(end.hangup_cause, "ring timeout");
    ts.assert_quiet(&a);
    ts.assert_quiet(&b);
    ts.finish();
}
