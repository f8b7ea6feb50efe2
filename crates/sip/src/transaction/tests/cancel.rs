//! CANCEL scenarios (§9): after and before the provisional, final racing ahead of the CANCEL,
//! 200 racing with CANCEL, CANCEL matching nothing, and a UAS that never sends 487.

use super::harness::{secs, Pair, Side};
use super::msgs::{ack_for_2xx, as_request, invite, parse_request, respond, values};
use super::{codes, start, terminated, timeouts};
use crate::transaction::{Timer, TransactionError, TransactionEvent};
use crate::Transport::Udp;
use rsip::SipMessage;
use std::time::Duration;

fn cancelled(events: &[(Duration, TransactionEvent)]) -> Vec<super::ServerTxId> {
    events
        .iter()
        .filter_map(|(_, e)| match e {
            TransactionEvent::Cancelled { tx, .. } => Some(*tx),
            _ => None,
        })
        .collect()
}

#[test]
fn cancel_after_provisional_gets_200_then_487_and_layer_acks() {
    let mut p = Pair::new(Udp);
    let (c, s, req) = start(&mut p, invite(Udp, "z9hG4bKcan1", "call-can1"));
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 180))
        .unwrap();
    p.advance(secs(1.0));
    let cid = p.uac.tx.cancel(p.now, c).unwrap();
    assert_eq!(
        p.uac.tx.cancel(p.now, c),
        Ok(cid),
        "asking twice is harmless"
    );
    p.drive();
    assert_eq!(p.sent_at(Side::Uac, "CANCEL"), [secs(1.0)]);

    // §9.1: same Request-URI, Call-ID, From, To (no tag), CSeq number, single Via, Route.
    let cancel = SipMessage::Request(as_request(p.sent(Side::Uac, "CANCEL")[0]).clone());
    let inv = SipMessage::Request(invite(Udp, "z9hG4bKcan1", "call-can1"));
    assert_eq!(as_request(&cancel).uri.to_string(), "sip:bob@10.0.0.2");
    for h in ["Via", "From", "To", "Call-ID", "Route"] {
        assert_eq!(values(&cancel, h), values(&inv, h), "{h}");
    }
    assert_eq!(values(&cancel, "CSeq"), ["7 CANCEL"]);

    let ev = p.take_events(Side::Uas);
    assert_eq!(cancelled(&ev), [s]);
    assert_eq!(p.sent_at(Side::Uas, "200 CANCEL"), [secs(1.0)]);
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 487))
        .unwrap();
    p.drive();
    let ev = p.take_events(Side::Uac);
    assert_eq!(codes(&ev, cid), [200]);
    assert_eq!(codes(&ev, c), [100, 180, 487]);
    assert_eq!(p.sent_at(Side::Uac, "ACK"), [secs(1.0)]);
    p.run_to_idle();
    let t = terminated(&p.take_events(Side::Uac));
    assert!(
        t.contains(&(secs(6.0), cid)),
        "Timer K on the CANCEL: {t:?}"
    );
    assert!(t.contains(&(secs(33.0), c)), "Timer D on the INVITE: {t:?}");
    p.assert_clean();
}

#[test]
fn cancel_before_provisional_waits_for_it() {
    let mut p = Pair::new(Udp);
    p.drop_next(Side::Uas, "100", 1);
    let to = p.uas.peer;
    let c = p
        .uac
        .tx
        .send_request(p.now, to, invite(Udp, "z9hG4bKcan2", "call-can2"))
        .unwrap();
    let cid = p.uac.tx.cancel(p.now, c).unwrap();
    p.advance(secs(0.4));
    assert!(
        p.sent(Side::Uac, "CANCEL").is_empty(),
        "§9.1: not before a provisional"
    );
    // The INVITE retransmission at T1 draws the 100 again; the CANCEL follows at once.
    p.advance(secs(0.2));
    assert_eq!(p.sent_at(Side::Uac, "CANCEL"), [secs(0.5)]);
    let ev = p.take_events(Side::Uas);
    let s = match &ev[..] {
        [(_, TransactionEvent::Request { tx, .. }), (_, TransactionEvent::Cancelled { tx: t2, .. })]
            if tx == t2 =>
        {
            *tx
        }
        other => panic!("unexpected UAS events {other:?}"),
    };
    let req = invite(Udp, "z9hG4bKcan2", "call-can2");
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 487))
        .unwrap();
    p.run_to_idle();
    let ev = p.take_events(Side::Uac);
    assert_eq!(codes(&ev, c), [100, 487]);
    assert_eq!(codes(&ev, cid), [200]);
    p.assert_clean();
}

#[test]
fn final_before_provisional_means_the_cancel_is_never_sent() {
    let mut p = Pair::new(Udp);
    p.drop_next(Side::Uas, "100", 1);
    let (c, s, req) = start(&mut p, invite(Udp, "z9hG4bKcan3", "call-can3"));
    let cid = p.uac.tx.cancel(p.now, c).unwrap();
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 486))
        .unwrap();
    p.drive();
    let ev = p.take_events(Side::Uac);
    assert_eq!(codes(&ev, c), [486]);
    assert_eq!(terminated(&ev), [(Duration::ZERO, cid)]);
    assert_eq!(
        p.uac.tx.cancel(p.now, c),
        Err(TransactionError::AlreadyFinal(c))
    );
    p.run_to_idle();
    assert!(p.sent(Side::Uac, "CANCEL").is_empty());
    p.assert_clean();
}

#[test]
fn cancel_racing_with_200_changes_nothing() {
    let mut p = Pair::new(Udp);
    let (c, s, req) = start(&mut p, invite(Udp, "z9hG4bKcan4", "call-can4"));
    p.drive();
    // Both leave at the same instant and cross on the wire.
    let cid = p.uac.tx.cancel(p.now, c).unwrap();
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 200))
        .unwrap();
    p.drive();
    assert_eq!(p.sent(Side::Uac, "CANCEL").len(), 1);
    let ev = p.take_events(Side::Uas);
    assert!(
        cancelled(&ev).is_empty(),
        "final already sent: no Cancelled"
    );
    assert_eq!(
        p.sent(Side::Uas, "200 CANCEL").len(),
        1,
        "CANCEL still answered 200"
    );
    let ev = p.take_events(Side::Uac);
    assert_eq!(codes(&ev, c), [100, 200]);
    assert_eq!(codes(&ev, cid), [200]);
    let ok = match ev.iter().rev().find_map(|(_, e)| match e {
        TransactionEvent::Response { tx, response } if *tx == c => Some(response.clone()),
        _ => None,
    }) {
        Some(r) => r,
        None => panic!("no 200"),
    };
    p.uac
        .tx
        .ack_2xx(
            p.now,
            c,
            p.uas.peer,
            ack_for_2xx(Udp, &ok, "z9hG4bKcan4ack"),
        )
        .unwrap();
    p.run_to_idle();
    assert!(p
        .take_events(Side::Uas)
        .iter()
        .any(|(_, e)| matches!(e, TransactionEvent::Ack { tx: Some(t), .. } if *t == s)));
    p.assert_clean();
}

#[test]
fn cancel_matching_nothing_is_answered_481() {
    let mut p = Pair::new(Udp);
    let cancel = parse_request(
        "CANCEL sip:bob@10.0.0.2 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKnothing\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@a.example>;tag=alice1\r\n\
         To: <sip:bob@b.example>\r\n\
         Call-ID: call-none\r\n\
         CSeq: 1 CANCEL\r\n\
         Content-Length: 0\r\n\r\n",
    );
    let to = p.uas.peer;
    let cid = p.uac.tx.send_request(p.now, to, cancel).unwrap();
    p.run_to_idle();
    assert_eq!(codes(&p.take_events(Side::Uac), cid), [481]);
    assert!(p.take_events(Side::Uas).is_empty(), "the TU never sees it");
    let resp = &p.sent(Side::Uas, "481")[0];
    assert!(
        values(resp, "To")[0].contains(";tag="),
        "final responses carry a To tag"
    );
    p.assert_clean();
}

#[test]
fn cancel_without_487_ends_the_invite_by_timer_b() {
    let mut p = Pair::new(Udp);
    let (c, s, req) = start(&mut p, invite(Udp, "z9hG4bKcan5", "call-can5"));
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 180))
        .unwrap();
    p.advance(secs(1.0));
    p.uac.tx.cancel(p.now, c).unwrap();
    // The UAS TU ignores the Cancelled event.
    p.advance(secs(40.0));
    let ev = p.take_events(Side::Uac);
    assert_eq!(timeouts(&ev), [(secs(33.0), c, Timer::B)]);
    assert_eq!(p.uac.tx.len(), 0);
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 487))
        .unwrap();
    p.run_to_idle();
    assert_eq!(
        p.uac.tx.stats().stray_responses,
        11,
        "487 copies until Timer H"
    );
    p.assert_clean();
}

#[test]
fn cancel_misuse_is_rejected() {
    let mut p = Pair::new(Udp);
    let to = p.uas.peer;
    let bye = super::msgs::request(Udp, "BYE", "z9hG4bKcanbye", "call-cb");
    let b = p.uac.tx.send_request(p.now, to, bye).unwrap();
    assert_eq!(
        p.uac.tx.cancel(p.now, b),
        Err(TransactionError::NotInvite(b))
    );
    p.run_to_idle();
    assert_eq!(
        p.uac.tx.cancel(p.now, b),
        Err(TransactionError::UnknownClient(b))
    );
}
