//! Forking: a callee registered from two contacts rings on both; the first answer wins.

use super::harness::{cdr_end, phone, TestSwitch};
use super::phone::{Msg, Phone};
use std::net::SocketAddr;
use switch::Disposition;

/// Caller 1001 plus two registered contacts of 1002; A's INVITE has reached both.
struct Fork {
    ts: TestSwitch,
    a: Phone,
    b1: Phone,
    b2: Phone,
    ad: super::phone::Dlg,
    inv1: Msg,
    inv2: Msg,
}

fn fork() -> Fork {
    let mut ts = TestSwitch::new();
    let mut a = phone(1001);
    let mut b1 = phone(1002);
    let mut b2 = Phone::udp(
        "1002",
        "pw1002",
        7002,
        SocketAddr::from(([10, 0, 0, 22], 30000)),
    );
    ts.register(&mut a, 3600);
    ts.register(&mut b1, 3600);
    ts.register(&mut b2, 3600);
    assert_eq!(ts.sw.registered_contacts(), 3);
    let sdp = a.sdp("sendrecv");
    let ad = ts.invite(&mut a, "1002", Some(&sdp));
    ts.expect_status(&a, 100);
    let inv1 = ts.expect_request(&b1, "INVITE");
    let inv2 = ts.expect_request(&b2, "INVITE");
    assert_ne!(
        inv1.call_id(),
        inv2.call_id(),
        "each branch is its own dialog"
    );
    for (p, inv, tag) in [(&b1, &inv1, "b1tag"), (&b2, &inv2, "b2tag")] {
        ts.send(p.peer, &p.respond(inv, 180, "Ringing", Some(tag), None));
    }
    ts.expect_status(&a, 180);
    ts.drain(&a); // the second 180 may or may not be relayed: not what these tests assert
    ts.take_actions();
    Fork {
        ts,
        a,
        b1,
        b2,
        ad,
        inv1,
        inv2,
    }
}

#[test]
fn first_answer_wins_and_other_branch_is_cancelled() {
    let Fork {
        mut ts,
        mut a,
        b1,
        b2,
        mut ad,
        inv1,
        inv2,
    } = fork();
    let sdp = b1.sdp("sendrecv");
    ts.send(
        b1.peer,
        &b1.respond(&inv1, 200, "OK", Some("b1tag"), Some(&sdp)),
    );
    ts.expect_request(&b1, "ACK");
    let ok = ts.expect_status(&a, 200);
    ad.learn(&ok);
    ts.send(a.peer, &a.ack_2xx(&ad));
    let cancel = ts.expect_request(&b2, "CANCEL");
    assert_eq!(cancel.call_id(), inv2.call_id());
    ts.send(
        b2.peer,
        &b2.respond(&cancel, 200, "OK", Some("b2tag"), None),
    );
    ts.send(
        b2.peer,
        &b2.respond(&inv2, 487, "Request Terminated", Some("b2tag"), None),
    );
    ts.expect_request(&b2, "ACK");
    ts.assert_quiet(&b1);
    ts.assert_quiet(&b2);

    let bye = a.request(&mut ad, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    let b_bye = ts.expect_request(&b1, "BYE");
    ts.send(b1.peer, &b1.respond(&b_bye, 200, "OK", None, None));
    ts.assert_quiet(&b2);
    let end = cdr_end(&ts.take_cdrs());
    assert_eq!(end.disposition, Disposition::Answered);
    assert_eq!(end.legs.len(), 3, "caller plus two callee branches");
    assert_eq!(end.legs[1].final_status, Some(200));
    assert_eq!(end.legs[2].final_status, Some(487));
    ts.finish();
}

#[test]
fn all_branches_fail_and_busy_wins() {
    let Fork {
        mut ts,
        a,
        b1,
        b2,
        ad,
        inv1,
        inv2,
    } = fork();
    ts.send(
        b1.peer,
        &b1.respond(&inv1, 480, "Temporarily Unavailable", Some("b1tag"), None),
    );
    ts.expect_request(&b1, "ACK");
    ts.assert_quiet(&a);
    ts.send(
        b2.peer,
        &b2.respond(&inv2, 486, "Busy Here", Some("b2tag"), None),
    );
    ts.expect_request(&b2, "ACK");
    let r = ts.expect_status(&a, 486);
    ts.send(a.peer, &a.ack_non2xx(&ad, &r));
    let end = cdr_end(&ts.take_cdrs());
    assert_eq!(end.disposition, Disposition::Busy);
    assert_eq!(end.sip_status, 486);
    ts.assert_quiet(&a);
    ts.finish();
}

#[test]
fn late_answer_from_cancelled_branch_is_acked_and_hung_up() {
    let Fork {
        mut ts,
        mut a,
        b1,
        b2,
        mut ad,
        inv1,
        inv2,
    } = fork();
    let sdp1 = b1.sdp("sendrecv");
    ts.send(
        b1.peer,
        &b1.respond(&inv1, 200, "OK", Some("b1tag"), Some(&sdp1)),
    );
    ts.expect_request(&b1, "ACK");
    let ok = ts.expect_status(&a, 200);
    ad.learn(&ok);
    ts.send(a.peer, &a.ack_2xx(&ad));
    let cancel = ts.expect_request(&b2, "CANCEL");
    // B2 answered before the CANCEL arrived: its 2xx crosses our CANCEL.
    let sdp2 = b2.sdp("sendrecv");
    ts.send(
        b2.peer,
        &b2.respond(&inv2, 200, "OK", Some("b2tag"), Some(&sdp2)),
    );
    ts.send(
        b2.peer,
        &b2.respond(&cancel, 200, "OK", Some("b2tag"), None),
    );
    let ack = ts.expect_request(&b2, "ACK");
    assert_eq!(ack.to_tag().as_deref(), Some("b2tag"));
    let bye = ts.expect_request(&b2, "BYE");
    assert_eq!(bye.call_id(), inv2.call_id());
    assert_eq!(bye.to_tag().as_deref(), Some("b2tag"));
    ts.send(b2.peer, &b2.respond(&bye, 200, "OK", None, None));
    ts.assert_quiet(&a);
    ts.assert_quiet(&b1);
    ts.assert_quiet(&b2);
    assert_eq!(ts.sw.stats().calls_active, 1, "the answered call goes on");

    let bye = a.request(&mut ad, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    let b_bye = ts.expect_request(&b1, "BYE");
    ts.send(b1.peer, &b1.respond(&b_bye, 200, "OK", None, None));
    ts.finish();
}
