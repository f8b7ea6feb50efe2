//! INVITE scenarios: happy path, loss of each message, missing ACK, failures, Timer B, TCP,
//! and retransmitted INVITEs in every server state.

use super::harness::{secs, Pair, Side};
use super::msgs::{ack_for_2xx, as_request, invite, respond, values};
use super::{codes, requests, start, terminated, timeouts};
use crate::transaction::{Timer, TransactionEvent};
use crate::Transport::{Tcp, Udp};
use rsip::{Response, SipMessage};
use std::time::Duration;

/// The last Response event with `code` among the UAC's events.
fn response(events: &[(Duration, TransactionEvent)], code: u16) -> Response {
    events
        .iter()
        .rev()
        .find_map(|(_, e)| match e {
            TransactionEvent::Response { response, .. } if response.status_code.code() == code => {
                Some(response.clone())
            }
            _ => None,
        })
        .expect("response event")
}

fn server_acks(
    events: &[(Duration, TransactionEvent)],
) -> Vec<(Duration, Option<super::ServerTxId>)> {
    events
        .iter()
        .filter_map(|(at, e)| match e {
            TransactionEvent::Ack { tx, .. } => Some((*at, *tx)),
            _ => None,
        })
        .collect()
}

#[test]
fn happy_path_invite_100_180_200_ack() {
    let mut p = Pair::new(Udp);
    let (c, s, req) = start(&mut p, invite(Udp, "z9hG4bKhappy", "call-happy"));
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 180))
        .unwrap();
    p.drive();
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 200))
        .unwrap();
    p.drive();
    let ev = p.take_events(Side::Uac);
    assert_eq!(codes(&ev, c), [100, 180, 200]);
    let ok = response(&ev, 200);
    let ack = ack_for_2xx(Udp, &ok, "z9hG4bKhappyack");
    p.uac.tx.ack_2xx(p.now, c, p.uas.peer, ack).unwrap();
    p.drive();
    assert_eq!(
        server_acks(&p.take_events(Side::Uas)),
        [(Duration::ZERO, Some(s))]
    );

    p.run_to_idle();
    assert_eq!(p.sent_at(Side::Uac, "INVITE"), [Duration::ZERO]);
    assert_eq!(p.sent_at(Side::Uas, "100"), [Duration::ZERO]);
    assert_eq!(p.sent_at(Side::Uas, "180"), [Duration::ZERO]);
    assert_eq!(p.sent_at(Side::Uas, "200"), [Duration::ZERO]);
    assert_eq!(p.sent_at(Side::Uac, "ACK"), [Duration::ZERO]);
    // Timer M (64*T1) ends the Accepted client transaction; no AckTimeout on the server.
    assert_eq!(terminated(&p.take_events(Side::Uac)), [(secs(32.0), c)]);
    assert!(p.take_events(Side::Uas).is_empty());
    p.assert_clean();
}

#[test]
fn lost_invites_are_retransmitted_by_timer_a_with_doubling_intervals() {
    let mut p = Pair::new(Udp);
    p.drop_next(Side::Uac, "INVITE", 3);
    let to = p.uas.peer;
    let c = p
        .uac
        .tx
        .send_request(p.now, to, invite(Udp, "z9hG4bKlossinv", "call-li"))
        .unwrap();
    p.advance(secs(10.0));
    assert_eq!(
        p.sent_at(Side::Uac, "INVITE"),
        [secs(0.0), secs(0.5), secs(1.5), secs(3.5)],
        "retransmitted after T1, 2*T1, 4*T1; stopped by the 100"
    );
    let reqs = requests(&p.take_events(Side::Uas));
    assert_eq!(reqs.len(), 1);
    let (s, req) = reqs.into_iter().next().unwrap();
    assert_eq!(codes(&p.take_events(Side::Uac), c), [100]);
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 486))
        .unwrap();
    p.run_to_idle();
    assert_eq!(codes(&p.take_events(Side::Uac), c), [486]);
    p.assert_clean();
}

#[test]
fn lost_100_and_180_are_recovered_by_invite_retransmission() {
    let mut p = Pair::new(Udp);
    p.drop_next(Side::Uas, "100", 1);
    p.drop_next(Side::Uas, "180", 1);
    let (c, s, req) = start(&mut p, invite(Udp, "z9hG4bKloss18x", "call-l18x"));
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 180))
        .unwrap();
    p.advance(secs(1.0));
    // The retransmitted INVITE at T1 is absorbed and answered with the latest provisional.
    assert_eq!(p.sent_at(Side::Uac, "INVITE"), [secs(0.0), secs(0.5)]);
    assert_eq!(p.sent_at(Side::Uas, "180"), [secs(0.0), secs(0.5)]);
    assert_eq!(p.sent_at(Side::Uas, "100"), [secs(0.0)]);
    assert!(
        requests(&p.take_events(Side::Uas)).is_empty(),
        "no second Request"
    );
    assert_eq!(p.uas.tx.stats().retransmissions_absorbed, 1);
    assert_eq!(codes(&p.take_events(Side::Uac), c), [180]);
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 486))
        .unwrap();
    p.run_to_idle();
    p.assert_clean();
}

#[test]
fn lost_200_is_retransmitted_until_acked() {
    let mut p = Pair::new(Udp);
    p.drop_next(Side::Uas, "200 INVITE", 2);
    let (c, s, req) = start(&mut p, invite(Udp, "z9hG4bKloss200", "call-l200"));
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 200))
        .unwrap();
    p.advance(secs(1.5));
    let ev = p.take_events(Side::Uac);
    assert_eq!(codes(&ev, c), [100, 200]);
    let ack = ack_for_2xx(Udp, &response(&ev, 200), "z9hG4bKloss200ack");
    p.uac.tx.ack_2xx(p.now, c, p.uas.peer, ack).unwrap();
    p.run_to_idle();
    assert_eq!(
        p.sent_at(Side::Uas, "200"),
        [secs(0.0), secs(0.5), secs(1.5)]
    );
    assert_eq!(
        server_acks(&p.take_events(Side::Uas)),
        [(secs(1.5), Some(s))]
    );
    assert_eq!(p.sent_at(Side::Uac, "ACK"), [secs(1.5)]);
    p.assert_clean();
}

#[test]
fn lost_ack_is_resent_for_each_2xx_copy() {
    let mut p = Pair::new(Udp);
    p.drop_next(Side::Uac, "ACK", 2);
    let (c, s, req) = start(&mut p, invite(Udp, "z9hG4bKlossack", "call-lack"));
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 200))
        .unwrap();
    p.drive();
    let ev = p.take_events(Side::Uac);
    let ack = ack_for_2xx(Udp, &response(&ev, 200), "z9hG4bKlossackack");
    p.uac.tx.ack_2xx(p.now, c, p.uas.peer, ack).unwrap();
    p.run_to_idle();
    // 2xx at 0, 0.5, 1.5; the UAC answers each copy with the stored ACK, the third gets through.
    assert_eq!(
        p.sent_at(Side::Uas, "200"),
        [secs(0.0), secs(0.5), secs(1.5)]
    );
    assert_eq!(
        p.sent_at(Side::Uac, "ACK"),
        [secs(0.0), secs(0.5), secs(1.5)]
    );
    let acks = p.sent(Side::Uac, "ACK");
    assert!(
        acks.windows(2).all(|w| w[0] == w[1]),
        "the same ACK each time"
    );
    assert_eq!(
        server_acks(&p.take_events(Side::Uas)),
        [(secs(1.5), Some(s))]
    );
    assert_eq!(
        codes(&p.take_events(Side::Uac), c),
        Vec::<u16>::new(),
        "copies absorbed"
    );
    assert_eq!(p.uac.tx.stats().retransmissions_absorbed, 2);
    p.assert_clean();
}

#[test]
fn missing_ack_raises_ack_timeout_after_timer_l() {
    let mut p = Pair::new(Udp);
    let (c, s, req) = start(&mut p, invite(Udp, "z9hG4bKnoack", "call-noack"));
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 200))
        .unwrap();
    p.run_to_idle();
    let expected: Vec<Duration> = [0.0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
        .into_iter()
        .map(secs)
        .collect();
    assert_eq!(
        p.sent_at(Side::Uas, "200"),
        expected,
        "T1 doubling capped at T2"
    );
    let ev = p.take_events(Side::Uas);
    assert_eq!(ev.len(), 1);
    assert!(
        matches!(ev[0], (at, TransactionEvent::AckTimeout { tx }) if tx == s && at == secs(32.0))
    );
    assert_eq!(codes(&p.take_events(Side::Uac), c), [100, 200]);
    p.assert_clean();
}

#[test]
fn busy_with_lost_ack_timer_g_retransmits_and_ack_is_absorbed() {
    let mut p = Pair::new(Udp);
    p.drop_next(Side::Uac, "ACK", 1);
    let (c, s, req) = start(&mut p, invite(Udp, "z9hG4bKbusy", "call-busy"));
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 486))
        .unwrap();
    p.advance(secs(5.4));
    assert_eq!(p.sent_at(Side::Uas, "486"), [secs(0.0), secs(0.5)]);
    assert_eq!(p.sent_at(Side::Uac, "ACK"), [secs(0.0), secs(0.5)]);
    assert_eq!(p.uas.tx.len(), 1, "Confirmed until Timer I");
    p.advance(secs(0.1));
    assert_eq!(p.uas.tx.len(), 0, "Timer I = T4 after the ACK at 0.5 s");
    assert!(
        p.take_events(Side::Uas).is_empty(),
        "non-2xx ACK never reaches the TU"
    );

    // §17.1.1.3: the layer's ACK reuses the INVITE's branch, URI, From, Call-ID, Route.
    let ack = as_request(p.sent(Side::Uac, "ACK")[0]).clone();
    let inv = SipMessage::Request(invite(Udp, "z9hG4bKbusy", "call-busy"));
    let ack_msg = SipMessage::Request(ack.clone());
    assert_eq!(ack.uri.to_string(), "sip:bob@10.0.0.2");
    assert_eq!(values(&ack_msg, "Via"), values(&inv, "Via"));
    assert_eq!(values(&ack_msg, "Route"), values(&inv, "Route"));
    assert_eq!(values(&ack_msg, "From"), values(&inv, "From"));
    assert_eq!(values(&ack_msg, "Call-ID"), ["call-busy"]);
    assert_eq!(values(&ack_msg, "CSeq"), ["7 ACK"]);
    assert_eq!(values(&ack_msg, "To"), ["<sip:bob@b.example>;tag=bob1"]);

    p.run_to_idle();
    let ev = p.take_events(Side::Uac);
    assert_eq!(
        codes(&ev, c),
        [100, 486],
        "the retransmitted 486 is absorbed"
    );
    assert_eq!(terminated(&ev), [(secs(32.0), c)], "Timer D");
    p.assert_clean();
}

#[test]
fn no_response_at_all_fires_timer_b_at_32s() {
    let mut p = Pair::new(Udp);
    p.drop_next(Side::Uac, "INVITE", usize::MAX);
    let to = p.uas.peer;
    let c = p
        .uac
        .tx
        .send_request(p.now, to, invite(Udp, "z9hG4bKtimerb", "call-b"))
        .unwrap();
    p.run_to_idle();
    let expected: Vec<Duration> = [0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
        .into_iter()
        .map(secs)
        .collect();
    assert_eq!(
        p.sent_at(Side::Uac, "INVITE"),
        expected,
        "Timer A is not capped at T2"
    );
    let ev = p.take_events(Side::Uac);
    assert_eq!(timeouts(&ev), [(secs(32.0), c, Timer::B)]);
    assert_eq!(terminated(&ev), [(secs(32.0), c)]);
    assert!(p.take_events(Side::Uas).is_empty());
    p.assert_clean();
}

#[test]
fn tcp_invite_has_no_retransmissions_but_timer_b() {
    let mut p = Pair::new(Tcp);
    let (c, s, req) = start(&mut p, invite(Tcp, "z9hG4bKtcp", "call-tcp"));
    p.advance(secs(10.0));
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 200))
        .unwrap();
    p.advance(secs(10.0));
    let ev = p.take_events(Side::Uac);
    let ack = ack_for_2xx(Tcp, &response(&ev, 200), "z9hG4bKtcpack");
    p.uac.tx.ack_2xx(p.now, c, p.uas.peer, ack).unwrap();
    p.run_to_idle();
    assert_eq!(p.sent_at(Side::Uac, "INVITE"), [secs(0.0)]);
    assert_eq!(
        p.sent_at(Side::Uas, "200"),
        [secs(10.0)],
        "no 2xx retransmission on TCP"
    );
    assert_eq!(
        server_acks(&p.take_events(Side::Uas)),
        [(secs(20.0), Some(s))]
    );
    p.assert_clean();

    let mut p = Pair::new(Tcp);
    p.drop_next(Side::Uac, "INVITE", usize::MAX);
    let to = p.uas.peer;
    let c = p
        .uac
        .tx
        .send_request(p.now, to, invite(Tcp, "z9hG4bKtcpb", "call-tcpb"))
        .unwrap();
    p.run_to_idle();
    assert_eq!(p.sent_at(Side::Uac, "INVITE"), [secs(0.0)]);
    assert_eq!(
        timeouts(&p.take_events(Side::Uac)),
        [(secs(32.0), c, Timer::B)]
    );
    p.assert_clean();
}

#[test]
fn tcp_failure_ends_both_sides_at_once() {
    let mut p = Pair::new(Tcp);
    let (c, s, req) = start(&mut p, invite(Tcp, "z9hG4bKtcpf", "call-tcpf"));
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 486))
        .unwrap();
    p.drive();
    // Timer D and Timer I are zero on reliable transports.
    let ev = p.take_events(Side::Uac);
    assert_eq!(codes(&ev, c), [100, 486]);
    assert_eq!(terminated(&ev), [(Duration::ZERO, c)]);
    assert_eq!(p.sent_at(Side::Uac, "ACK"), [Duration::ZERO]);
    p.assert_clean();
}

#[test]
fn retransmitted_invite_in_each_server_state() {
    let mut p = Pair::new(Udp);
    p.drop_next(Side::Uac, "ACK", 1);
    let (_c, s, req) = start(&mut p, invite(Udp, "z9hG4bKrtx", "call-rtx"));
    let from = p.uac.peer;
    let inject = |p: &mut Pair| {
        p.uas
            .tx
            .handle_message(p.now, from, SipMessage::Request(req.clone()));
        p.drive();
    };
    // Proceeding, only the layer's 100 so far: it is resent.
    inject(&mut p);
    assert_eq!(p.sent_at(Side::Uas, "100").len(), 2);
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 180))
        .unwrap();
    p.drive();
    inject(&mut p);
    assert_eq!(p.sent_at(Side::Uas, "180").len(), 2);
    // Completed (the first ACK is lost): the 486 is resent; the UAC answers it with the ACK,
    // which moves the server to Confirmed.
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 486))
        .unwrap();
    p.drive();
    assert_eq!(p.sent_at(Side::Uas, "486").len(), 1);
    inject(&mut p);
    assert_eq!(p.sent_at(Side::Uas, "486").len(), 2);
    assert_eq!(p.sent_at(Side::Uac, "ACK").len(), 2);
    // Confirmed: absorbed without a word.
    let before = p.wire.len();
    inject(&mut p);
    assert_eq!(p.wire.len(), before);
    assert!(requests(&p.take_events(Side::Uas)).is_empty());
    assert_eq!(p.uas.tx.stats().retransmissions_absorbed, 4);
    p.run_to_idle();
    p.assert_clean();
}

#[test]
fn retransmitted_invite_in_accepted_resends_2xx_until_acked() {
    let mut p = Pair::new(Udp);
    let (c, s, req) = start(&mut p, invite(Udp, "z9hG4bKacc", "call-acc"));
    let from = p.uac.peer;
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 200))
        .unwrap();
    p.drive();
    p.uas
        .tx
        .handle_message(p.now, from, SipMessage::Request(req.clone()));
    p.drive();
    assert_eq!(p.sent_at(Side::Uas, "200").len(), 2);
    let ev = p.take_events(Side::Uac);
    assert_eq!(codes(&ev, c), [100, 200], "2xx copy absorbed by the UAC");
    let ack = ack_for_2xx(Udp, &response(&ev, 200), "z9hG4bKaccack");
    p.uac.tx.ack_2xx(p.now, c, p.uas.peer, ack).unwrap();
    p.drive();
    p.uas
        .tx
        .handle_message(p.now, from, SipMessage::Request(req.clone()));
    p.drive();
    assert_eq!(p.sent_at(Side::Uas, "200").len(), 2, "absorbed once ACKed");
    assert!(requests(&p.take_events(Side::Uas)).is_empty());
    p.run_to_idle();
    p.assert_clean();
}

/// Guards the RSS growth under load: finished client transactions linger for Timer D/K/M and
/// must not keep the request they no longer send.
#[test]
fn client_transactions_release_their_request_after_a_final() {
    use super::super::TransactionError;
    use super::msgs::request;
    let mut p = Pair::new(Udp);
    let (ok, s_ok, req_ok) = start(&mut p, invite(Udp, "z9hG4bKrel1", "call-rel1"));
    let (busy, s_busy, req_busy) = start(&mut p, invite(Udp, "z9hG4bKrel2", "call-rel2"));
    let (opt, s_opt, req_opt) = start(&mut p, request(Udp, "OPTIONS", "z9hG4bKrel3", "c-3"));
    for c in [ok, busy, opt] {
        assert_eq!(p.uac.tx.client_holds_request(c), Some(true), "{c:?}");
    }
    p.uas
        .tx
        .send_response(p.now, s_ok, respond(&req_ok, 200))
        .unwrap();
    p.uas
        .tx
        .send_response(p.now, s_busy, respond(&req_busy, 486))
        .unwrap();
    p.uas
        .tx
        .send_response(p.now, s_opt, respond(&req_opt, 200))
        .unwrap();
    p.drive();
    for c in [ok, busy, opt] {
        assert_eq!(p.uac.tx.client_holds_request(c), Some(false), "{c:?}");
    }
    // Still INVITE transactions to the API, and the failure ACK was built before the release.
    assert_eq!(
        p.uac.tx.cancel(p.now, ok),
        Err(TransactionError::AlreadyFinal(ok))
    );
    assert_eq!(p.sent_at(Side::Uac, "ACK"), [Duration::ZERO]);
    let ev = p.take_events(Side::Uac);
    let ack = ack_for_2xx(Udp, &response(&ev, 200), "z9hG4bKrel1ack");
    p.uac.tx.ack_2xx(p.now, ok, p.uas.peer, ack).unwrap();
    p.run_to_idle();
    p.assert_clean();
}
