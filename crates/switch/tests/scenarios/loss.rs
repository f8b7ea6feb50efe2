//! Lost and duplicated messages on UDP: the transaction layer's retransmissions must carry the
//! call through, and a caller that never ACKs must not leave the call up.

use super::harness::{cdr_end, phone, TestSwitch};
use super::phone::Dlg;
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

#[test]
fn lost_invite_to_callee_is_retransmitted() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    ts.register(&mut a, 3600);
    ts.register(&mut b, 3600);
    let dropped = Rc::new(Cell::new(0));
    let counter = dropped.clone();
    let b_peer = b.peer;
    ts.set_loss(move |to, m| {
        let lose = to == b_peer && m.method() == "INVITE" && !m.is_response() && counter.get() == 0;
        if lose {
            counter.set(1);
        }
        lose
    });
    let sdp = a.sdp("sendrecv");
    let mut ad = ts.invite(&mut a, "1002", Some(&sdp));
    assert_eq!(dropped.get(), 1, "the first INVITE to B was lost");
    ts.assert_quiet(&b);
    ts.advance(Duration::from_millis(499));
    ts.assert_quiet(&b);
    ts.advance(Duration::from_millis(1));
    let inv = ts.expect_request(&b, "INVITE");
    ts.clear_loss();
    let b_sdp = b.sdp("sendrecv");
    ts.send(
        b.peer,
        &b.respond(&inv, 200, "OK", Some("bt"), Some(&b_sdp)),
    );
    ts.expect_request(&b, "ACK");
    ts.expect_status(&a, 100);
    let ok = ts.expect_status(&a, 200);
    ad.learn(&ok);
    ts.send(a.peer, &a.ack_2xx(&ad));
    ts.assert_quiet(&a);
    ts.assert_quiet(&b);
    let bye = a.request(&mut ad, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    let b_bye = ts.expect_request(&b, "BYE");
    ts.send(b.peer, &b.respond(&b_bye, 200, "OK", None, None));
    ts.finish();
}

#[test]
fn retransmitted_2xx_from_callee_gets_the_ack_again() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    ts.register(&mut a, 3600);
    ts.register(&mut b, 3600);
    let sdp = a.sdp("sendrecv");
    let mut ad = ts.invite(&mut a, "1002", Some(&sdp));
    let inv = ts.expect_request(&b, "INVITE");
    let b_sdp = b.sdp("sendrecv");
    let ok_text = b.respond(&inv, 200, "OK", Some("bt"), Some(&b_sdp));
    // Our ACK is lost, so B retransmits its 2xx (Timer G): it must be ACKed again.
    ts.send(b.peer, &ok_text);
    let first_ack = ts.expect_request(&b, "ACK");
    ts.send(b.peer, &ok_text);
    let second_ack = ts.expect_request(&b, "ACK");
    assert_eq!(first_ack.cseq(), second_ack.cseq());
    assert_eq!(first_ack.request_uri(), second_ack.request_uri());
    ts.expect_status(&a, 100);
    let ok = ts.expect_status(&a, 200);
    ts.assert_quiet(&a);
    assert_eq!(ts.sw.stats().calls_answered, 1, "one answer, not two");
    ad.learn(&ok);
    ts.send(a.peer, &a.ack_2xx(&ad));
    let bye = a.request(&mut ad, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    let b_bye = ts.expect_request(&b, "BYE");
    ts.send(b.peer, &b.respond(&b_bye, 200, "OK", None, None));
    ts.finish();
}

#[test]
fn caller_that_never_acks_is_hung_up_after_64_t1() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    ts.register(&mut a, 3600);
    ts.register(&mut b, 3600);
    let sdp = a.sdp("sendrecv");
    let _ad = ts.invite(&mut a, "1002", Some(&sdp));
    let inv = ts.expect_request(&b, "INVITE");
    let b_sdp = b.sdp("sendrecv");
    ts.send(
        b.peer,
        &b.respond(&inv, 200, "OK", Some("bt"), Some(&b_sdp)),
    );
    ts.expect_request(&b, "ACK");
    ts.expect_status(&a, 100);
    ts.expect_status(&a, 200);
    ts.take_actions();

    // No ACK from A: the 2xx is retransmitted, then Timer L (64*T1 = 32 s) ends the call.
    ts.advance(Duration::from_millis(31_900));
    let retransmitted = ts.drain(&a);
    assert!(
        retransmitted.len() >= 5 && retransmitted.iter().all(|m| m.status() == 200),
        "2xx retransmitted until ACK: {} copies",
        retransmitted.len()
    );
    ts.assert_quiet(&b);
    ts.advance(Duration::from_millis(200));
    let a_bye = ts
        .drain(&a)
        .into_iter()
        .find(|m| m.method() == "BYE" && !m.is_response())
        .expect("BYE to the caller");
    ts.send(a.peer, &a.respond(&a_bye, 200, "OK", None, None));
    let b_bye = ts.expect_request(&b, "BYE");
    ts.send(b.peer, &b.respond(&b_bye, 200, "OK", None, None));
    let end = cdr_end(&ts.take_cdrs());
    assert_eq!(end.hangup_cause, "no ACK from caller");
    assert_eq!(end.hangup_side, Some(switch::HangupSide::Switch));
    ts.finish();
}

#[test]
fn retransmitted_invite_from_caller_makes_one_call() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    ts.register(&mut a, 3600);
    ts.register(&mut b, 3600);
    let sdp = a.sdp("sendrecv");
    let mut ad: Dlg = a.new_dialog("1002", "sip:1002@switch.test");
    let first = a.invite(&mut ad, &[], Some(("application/sdp", &sdp)));
    ts.send(a.peer, &first);
    let challenge = ts.expect_status(&a, 407);
    ts.send(a.peer, &a.ack_non2xx(&ad, &challenge));
    let auth = a.authorization(&challenge, "INVITE", &ad.target, 1);
    let invite = a.invite(&mut ad, &[auth], Some(("application/sdp", &sdp)));
    ts.send(a.peer, &invite);
    ts.advance(Duration::from_millis(500));
    ts.send(a.peer, &invite);
    ts.advance(Duration::from_millis(1000));
    assert_eq!(ts.sw.stats().calls_started, 1);
    assert_eq!(ts.sw.stats().calls_active, 1);
    let invites = ts.drain(&b);
    assert_eq!(
        invites.iter().filter(|m| m.method() == "INVITE").count(),
        // One INVITE plus Timer A retransmissions of that same one (B has not answered).
        invites.len()
    );
    assert!(invites.iter().all(|m| m.call_id() == invites[0].call_id()));
    let to_a = ts.drain(&a);
    assert!(
        to_a.iter().all(|m| m.status() == 100),
        "only 100 Trying so far"
    );
    assert!(
        !to_a.is_empty(),
        "the retransmission is answered with 100 again"
    );

    ts.send(a.peer, &a.cancel(&ad));
    ts.expect_status(&a, 200);
    let r = ts.expect_status(&a, 487);
    ts.send(a.peer, &a.ack_non2xx(&ad, &r));
    // B never sent a provisional; the CANCEL is held until it does or the INVITE times out.
    let inv = invites[0].clone();
    ts.send(b.peer, &b.respond(&inv, 180, "Ringing", Some("bt"), None));
    let cancel = ts
        .drain(&b)
        .into_iter()
        .find(|m| m.method() == "CANCEL")
        .expect("CANCEL after B's provisional");
    ts.send(b.peer, &b.respond(&cancel, 200, "OK", Some("bt"), None));
    ts.send(
        b.peer,
        &b.respond(&inv, 487, "Request Terminated", Some("bt"), None),
    );
    ts.expect_request(&b, "ACK");
    ts.finish();
}
