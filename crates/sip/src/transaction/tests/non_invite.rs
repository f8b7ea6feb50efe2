//! Non-INVITE scenarios (BYE, OPTIONS): loss of request and response, Timer E pacing, Timer F,
//! TCP, and retransmitted requests in each server state.

use super::harness::{secs, Pair, Side};
use super::msgs::{request, respond};
use super::{codes, requests, start, terminated, timeouts};
use crate::transaction::Timer;
use crate::Transport::{Tcp, Udp};
use rsip::SipMessage;
use std::time::Duration;

fn at(list: &[f64]) -> Vec<Duration> {
    list.iter().copied().map(secs).collect()
}

#[test]
fn options_happy_path_then_timers_k_and_j() {
    let mut p = Pair::new(Udp);
    let (c, s, req) = start(&mut p, request(Udp, "OPTIONS", "z9hG4bKopt", "call-opt"));
    assert_eq!(req.method, rsip::Method::Options);
    assert!(
        p.sent(Side::Uas, "100").is_empty(),
        "no automatic 100 for non-INVITE"
    );
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 200))
        .unwrap();
    p.drive();
    assert_eq!(codes(&p.take_events(Side::Uac), c), [200]);
    p.advance(secs(4.9));
    assert_eq!(p.uac.tx.len(), 1);
    p.advance(secs(0.1));
    assert_eq!(p.uac.tx.len(), 0, "Timer K = T4");
    assert_eq!(p.uas.tx.len(), 1, "Timer J = 64*T1 still running");
    p.run_to_idle();
    assert_eq!(p.elapsed(), secs(32.0));
    assert_eq!(terminated(&p.take_events(Side::Uac)), [(secs(5.0), c)]);
    p.assert_clean();
}

#[test]
fn lost_bye_is_retransmitted_by_timer_e() {
    let mut p = Pair::new(Udp);
    p.drop_next(Side::Uac, "BYE", 2);
    let to = p.uas.peer;
    let c = p
        .uac
        .tx
        .send_request(p.now, to, request(Udp, "BYE", "z9hG4bKbye", "call-bye"))
        .unwrap();
    p.advance(secs(2.0));
    assert_eq!(p.sent_at(Side::Uac, "BYE"), at(&[0.0, 0.5, 1.5]));
    let reqs = requests(&p.take_events(Side::Uas));
    assert_eq!(reqs.len(), 1);
    let (s, req) = reqs.into_iter().next().unwrap();
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 200))
        .unwrap();
    p.run_to_idle();
    assert_eq!(codes(&p.take_events(Side::Uac), c), [200]);
    assert_eq!(
        p.sent_at(Side::Uac, "BYE").len(),
        3,
        "no retransmission after the 200"
    );
    p.assert_clean();
}

#[test]
fn lost_response_is_resent_when_the_request_is_retransmitted() {
    let mut p = Pair::new(Udp);
    p.drop_next(Side::Uas, "200 BYE", 1);
    let (c, s, req) = start(&mut p, request(Udp, "BYE", "z9hG4bKbye2", "call-bye2"));
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 200))
        .unwrap();
    p.advance(secs(1.0));
    assert_eq!(p.sent_at(Side::Uac, "BYE"), at(&[0.0, 0.5]));
    assert_eq!(p.sent_at(Side::Uas, "200"), at(&[0.0, 0.5]));
    let ev = p.take_events(Side::Uac);
    assert_eq!(codes(&ev, c), [200]);
    assert!(
        requests(&p.take_events(Side::Uas)).is_empty(),
        "retransmission, not a new request"
    );
    p.run_to_idle();
    p.assert_clean();
}

#[test]
fn unanswered_bye_backs_off_to_t2_then_timer_f() {
    let mut p = Pair::new(Udp);
    p.drop_next(Side::Uac, "BYE", usize::MAX);
    let to = p.uas.peer;
    let c = p
        .uac
        .tx
        .send_request(p.now, to, request(Udp, "BYE", "z9hG4bKbyef", "call-byef"))
        .unwrap();
    p.run_to_idle();
    assert_eq!(
        p.sent_at(Side::Uac, "BYE"),
        at(&[0.0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5])
    );
    let ev = p.take_events(Side::Uac);
    assert_eq!(timeouts(&ev), [(secs(32.0), c, Timer::F)]);
    assert_eq!(terminated(&ev), [(secs(32.0), c)]);
    p.assert_clean();
}

#[test]
fn provisional_sets_timer_e_to_t2_and_timer_f_still_fires() {
    let mut p = Pair::new(Udp);
    let (c, s, req) = start(&mut p, request(Udp, "OPTIONS", "z9hG4bKprov", "call-prov"));
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 100))
        .unwrap();
    p.advance(secs(33.0));
    // E was armed for T1 before the 100; then it repeats every T2.
    assert_eq!(
        p.sent_at(Side::Uac, "OPTIONS"),
        at(&[0.0, 0.5, 4.5, 8.5, 12.5, 16.5, 20.5, 24.5, 28.5])
    );
    assert_eq!(
        p.sent_at(Side::Uas, "100").len(),
        9,
        "provisional resent per copy"
    );
    let ev = p.take_events(Side::Uac);
    // §17.1.2.2: every provisional in Proceeding goes up to the TU, copies included.
    assert_eq!(codes(&ev, c), [100; 9]);
    assert_eq!(timeouts(&ev), [(secs(32.0), c, Timer::F)]);
    // The UAS TU answers late: the UAC has forgotten the transaction and drops it.
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 500))
        .unwrap();
    p.run_to_idle();
    assert_eq!(p.uac.tx.stats().stray_responses, 1);
    p.assert_clean();
}

#[test]
fn tcp_non_invite_sends_once_and_ends_at_once() {
    let mut p = Pair::new(Tcp);
    let (c, s, req) = start(&mut p, request(Tcp, "BYE", "z9hG4bKtcpbye", "call-tcpbye"));
    p.advance(secs(10.0));
    assert_eq!(p.sent_at(Side::Uac, "BYE"), [Duration::ZERO]);
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 200))
        .unwrap();
    p.drive();
    assert_eq!(codes(&p.take_events(Side::Uac), c), [200]);
    p.assert_clean();

    let mut p = Pair::new(Tcp);
    p.drop_next(Side::Uac, "BYE", 1);
    let to = p.uas.peer;
    let c = p
        .uac
        .tx
        .send_request(p.now, to, request(Tcp, "BYE", "z9hG4bKtcpf", "call-tcpf"))
        .unwrap();
    p.run_to_idle();
    assert_eq!(p.sent_at(Side::Uac, "BYE"), [Duration::ZERO]);
    assert_eq!(
        timeouts(&p.take_events(Side::Uac)),
        [(secs(32.0), c, Timer::F)]
    );
    p.assert_clean();
}

#[test]
fn retransmitted_request_in_each_server_state() {
    let mut p = Pair::new(Udp);
    let (_c, s, req) = start(&mut p, request(Udp, "BYE", "z9hG4bKnrtx", "call-nrtx"));
    let from = p.uac.peer;
    let inject = |p: &mut Pair| {
        p.uas
            .tx
            .handle_message(p.now, from, SipMessage::Request(req.clone()));
        p.drive();
    };
    // Trying: nothing to resend yet.
    let before = p.wire.len();
    inject(&mut p);
    assert_eq!(p.wire.len(), before);
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 100))
        .unwrap();
    p.drive();
    inject(&mut p);
    assert_eq!(p.sent_at(Side::Uas, "100").len(), 2);
    p.uas
        .tx
        .send_response(p.now, s, respond(&req, 200))
        .unwrap();
    p.drive();
    inject(&mut p);
    assert_eq!(p.sent_at(Side::Uas, "200").len(), 2);
    assert!(requests(&p.take_events(Side::Uas)).is_empty());
    assert_eq!(p.uas.tx.stats().retransmissions_absorbed, 3);
    p.run_to_idle();
    p.assert_clean();
}
