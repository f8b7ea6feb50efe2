//! Matching corner cases (stray responses, unmatched ACKs, RFC 2543 peers, sent-by, forked
//! 2xx), API misuse, and many calls over a lossy network ending with nothing left behind.

use super::harness::{secs, Pair, Side};
use super::msgs::{ack_for_2xx, invite, parse_request, request, respond};
use super::{codes, start};
use crate::transaction::{ClientTxId, ServerTxId, TransactionError, TransactionEvent};
use crate::Transport::Udp;
use rsip::SipMessage;
use std::collections::HashMap;

#[test]
fn stray_response_is_counted_and_dropped() {
    let mut p = Pair::new(Udp);
    let req = invite(Udp, "z9hG4bKnobody", "call-stray");
    let from = p.uas.peer;
    p.uac
        .tx
        .handle_message(p.now, from, SipMessage::Response(respond(&req, 200)));
    p.drive();
    assert_eq!(p.uac.tx.stats().stray_responses, 1);
    assert!(p.take_events(Side::Uac).is_empty());
    assert!(p.wire.is_empty());
    p.assert_clean();
}

#[test]
fn unmatched_ack_goes_to_the_tu() {
    let mut p = Pair::new(Udp);
    let req = invite(Udp, "z9hG4bKx", "call-unmatched");
    let ack = ack_for_2xx(Udp, &respond(&req, 200), "z9hG4bKlateack");
    let from = p.uac.peer;
    p.uas
        .tx
        .handle_message(p.now, from, SipMessage::Request(ack.clone()));
    p.drive();
    let ev = p.take_events(Side::Uas);
    assert_eq!(
        ev.into_iter().map(|(_, e)| e).collect::<Vec<_>>(),
        [TransactionEvent::Ack {
            tx: None,
            from,
            request: ack
        }]
    );
    p.assert_clean();
}

#[test]
fn same_branch_from_another_sent_by_is_another_transaction() {
    let mut p = Pair::new(Udp);
    let (_c, _s, _) = start(&mut p, request(Udp, "OPTIONS", "z9hG4bKsame", "call-sb"));
    let other = parse_request(
        "OPTIONS sip:bob@10.0.0.2 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKsame\r\n\
         From: <sip:eve@e.example>;tag=e1\r\n\
         To: <sip:bob@b.example>\r\n\
         Call-ID: call-other\r\n\
         CSeq: 1 OPTIONS\r\n\
         Content-Length: 0\r\n\r\n",
    );
    let from = p.uac.peer;
    p.uas
        .tx
        .handle_message(p.now, from, SipMessage::Request(other));
    assert!(matches!(
        p.uas.tx.poll_event(),
        Some(TransactionEvent::Request { .. })
    ));
    assert_eq!(p.uas.tx.len(), 2);
}

#[test]
fn rfc2543_requests_match_on_dialog_identifiers() {
    let mut p = Pair::new(Udp);
    let old = parse_request(
        "INVITE sip:bob@10.0.0.2 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 10.0.0.1:5060\r\n\
         From: <sip:alice@a.example>;tag=old1\r\n\
         To: <sip:bob@b.example>\r\n\
         Call-ID: call-2543\r\n\
         CSeq: 3 INVITE\r\n\
         Content-Length: 0\r\n\r\n",
    );
    let from = p.uac.peer;
    let feed = |p: &mut Pair, text: &str| {
        p.uas
            .tx
            .handle_message(p.now, from, SipMessage::Request(parse_request(text)));
        p.uas.tx.poll_event()
    };
    p.uas
        .tx
        .handle_message(p.now, from, SipMessage::Request(old.clone()));
    let s = match p.uas.tx.poll_event() {
        Some(TransactionEvent::Request { tx, .. }) => tx,
        other => panic!("{other:?}"),
    };
    p.uas
        .tx
        .handle_message(p.now, from, SipMessage::Request(old.clone()));
    assert_eq!(p.uas.tx.poll_event(), None, "retransmission absorbed");
    p.uas
        .tx
        .send_response(p.now, s, respond(&old, 486))
        .unwrap();
    let ack = |tag: &str| {
        format!(
            "ACK sip:bob@10.0.0.2 SIP/2.0\r\n\
             Via: SIP/2.0/UDP 10.0.0.1:5060\r\n\
             From: <sip:alice@a.example>;tag=old1\r\n\
             To: <sip:bob@b.example>;tag={tag}\r\n\
             Call-ID: call-2543\r\n\
             CSeq: 3 ACK\r\n\
             Content-Length: 0\r\n\r\n"
        )
    };
    // An ACK carrying another To tag is not for our 486.
    assert!(matches!(
        feed(&mut p, &ack("someoneelse")),
        Some(TransactionEvent::Ack { tx: None, .. })
    ));
    assert_eq!(feed(&mut p, &ack("bob1")), None, "absorbed: Confirmed");
    p.run_to_idle();
    p.assert_clean();
}

#[test]
fn forked_2xx_with_a_new_tag_is_reported_and_acked_separately() {
    let mut p = Pair::new(Udp);
    let (c, s, req) = start(&mut p, invite(Udp, "z9hG4bKfork", "call-fork"));
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 200))
        .unwrap();
    p.drive();
    let mut other = respond(&req, 200);
    for h in other.headers.iter_mut() {
        if let rsip::Header::To(t) = h {
            *t = "<sip:bob@b.example>;tag=fork2".into();
        }
    }
    let from = p.uas.peer;
    p.uac
        .tx
        .handle_message(p.now, from, SipMessage::Response(other.clone()));
    let ev = p.take_events(Side::Uac);
    assert_eq!(codes(&ev, c), [100, 200]);
    assert_eq!(
        p.uac.tx.poll_event(),
        Some(TransactionEvent::Response {
            tx: c,
            response: other.clone()
        })
    );
    let ack2 = ack_for_2xx(Udp, &other, "z9hG4bKforkack2");
    p.uac.tx.ack_2xx(p.now, c, from, ack2).unwrap();
    p.drive();
    p.uac
        .tx
        .handle_message(p.now, from, SipMessage::Response(other));
    p.drive();
    assert_eq!(
        p.sent(Side::Uac, "ACK").len(),
        2,
        "each copy of the fork re-ACKed"
    );
}

#[test]
fn api_misuse_is_reported() {
    let mut p = Pair::new(Udp);
    let to = p.uas.peer;
    let req = invite(Udp, "z9hG4bKapi", "call-api");
    let ack = ack_for_2xx(Udp, &respond(&req, 200), "z9hG4bKapiack");
    assert_eq!(
        p.uac.tx.send_request(p.now, to, ack.clone()),
        Err(TransactionError::AckIsNotATransaction)
    );
    let mut no_branch = req.clone();
    for h in no_branch.headers.iter_mut() {
        if let rsip::Header::Via(v) = h {
            *v = "SIP/2.0/UDP 10.0.0.1:5060".into();
        }
    }
    assert_eq!(
        p.uac.tx.send_request(p.now, to, no_branch),
        Err(TransactionError::MissingBranch)
    );
    let (c, s, req) = start(&mut p, req);
    assert_eq!(
        p.uac.tx.send_request(p.now, to, req.clone()),
        Err(TransactionError::DuplicateBranch)
    );
    assert_eq!(
        p.uac.tx.ack_2xx(p.now, c, to, ack.clone()),
        Err(TransactionError::NotAccepted(c))
    );
    let mut bad = respond(&req, 200);
    bad.status_code = rsip::StatusCode::Other(700, "Nope".into());
    assert_eq!(
        p.uas.tx.send_response(p.now, s, bad),
        Err(TransactionError::InvalidStatus(700))
    );
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 486))
        .unwrap();
    assert_eq!(
        p.uas.tx.send_response(p.now, s, respond(&req, 200)),
        Err(TransactionError::FinalAlreadySent(s))
    );
    let ghost = ServerTxId(999);
    assert_eq!(
        p.uas.tx.send_response(p.now, ghost, respond(&req, 200)),
        Err(TransactionError::UnknownServer(ghost))
    );
    p.run_to_idle();
    p.assert_clean();
}

/// Many calls at 20 % loss with a TU that answers every INVITE 180 + 200 (even calls) or 486,
/// ACKs every 2xx and sends OPTIONS alongside. Every client transaction must terminate exactly
/// once and both sides must end empty.
#[test]
fn many_calls_over_a_lossy_network_leave_nothing_behind() {
    let mut p = Pair::new(Udp);
    p.random_loss(20, 7);
    let to = p.uas.peer;
    let mut started: Vec<ClientTxId> = Vec::new();
    for i in 0..60 {
        let req = if i % 3 == 2 {
            request(Udp, "OPTIONS", &format!("z9hG4bKo{i}"), &format!("c{i}"))
        } else {
            invite(Udp, &format!("z9hG4bKi{i}"), &format!("c{i}"))
        };
        started.push(p.uac.tx.send_request(p.now, to, req).unwrap());
        p.advance(secs(0.01));
    }
    let mut ended: HashMap<ClientTxId, usize> = HashMap::new();
    let mut finals = 0;
    for _ in 0..100_000 {
        p.drive();
        let mut acted = false;
        for (_, e) in p.take_events(Side::Uas) {
            if let TransactionEvent::Request { tx, request, .. } = e {
                acted = true;
                let odd = super::super::key::call_id(&request.headers)
                    .and_then(|c| c[1..].parse::<u32>().ok())
                    .is_some_and(|n| n % 2 == 1);
                if request.method == rsip::Method::Invite {
                    p.uas
                        .tx
                        .send_response(p.now, tx, respond(&request, 180))
                        .unwrap();
                }
                let code = if odd { 486 } else { 200 };
                p.uas
                    .tx
                    .send_response(p.now, tx, respond(&request, code))
                    .unwrap();
            }
        }
        for (_, e) in p.take_events(Side::Uac) {
            match e {
                TransactionEvent::Response { tx, response } => {
                    let code = response.status_code.code();
                    if code >= 200 {
                        finals += 1;
                    }
                    let is_invite = super::super::key::cseq(&response.headers)
                        .is_some_and(|c| c.method == rsip::Method::Invite);
                    if is_invite && (200..300).contains(&code) {
                        acted = true;
                        let ack = ack_for_2xx(Udp, &response, &format!("z9hG4bKa{tx:?}"));
                        p.uac.tx.ack_2xx(p.now, tx, to, ack).unwrap();
                    }
                }
                TransactionEvent::Terminated { tx } => *ended.entry(tx).or_default() += 1,
                _ => {}
            }
        }
        if acted {
            continue;
        }
        match p.next_wakeup() {
            Some(at) => {
                let step = at.saturating_duration_since(p.now);
                p.advance(step);
            }
            None => break,
        }
    }
    assert!(
        p.lost() > 20,
        "the network did lose messages ({})",
        p.lost()
    );
    assert!(finals >= 55, "most transactions got a final ({finals})");
    for id in &started {
        assert_eq!(ended.get(id), Some(&1), "{id:?} terminated exactly once");
    }
    assert_eq!(ended.len(), started.len());
    p.assert_clean();
}
