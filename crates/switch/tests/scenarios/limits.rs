//! Bounded resources: stateless challenges, the overload cap (503 with Retry-After) and the
//! per-extension cap on concurrent calls.

use super::harness::{config, phone, TestSwitch};
use super::phone::Phone;
use sip::{Peer, Transport};
use std::net::SocketAddr;
use std::time::Duration;
use switch::SwitchConfig;

fn with_limits(f: impl FnOnce(&mut SwitchConfig)) -> TestSwitch {
    let mut cfg = config();
    f(&mut cfg);
    TestSwitch::with(cfg)
}

/// Start a call from `a` to `callee` through the challenge and leave it ringing (the callee's
/// phone gets the INVITE and never answers).
fn ring(ts: &mut TestSwitch, a: &mut Phone, callee: &mut Phone) {
    let sdp = a.sdp("sendrecv");
    ts.invite(a, &callee.user.clone(), Some(&sdp));
    ts.expect_status(a, 100);
    ts.expect_request(callee, "INVITE");
}

/// Nothing waiting for `p` is an INVITE from `caller` (retransmissions of others may be).
fn assert_no_invite_from(ts: &mut TestSwitch, p: &Phone, caller: &str) {
    for m in ts.drain(p) {
        let from_caller = m.hdr("From").contains(&format!("sip:{caller}@"));
        assert!(
            m.is_response() || !from_caller,
            "{} rang for {caller}:\n{}",
            p.user,
            m.text
        );
    }
}

/// Guards against the amplification of challenges: one 10.5 KB INVITE drew 12 answers
/// (100 Trying, the 407 and its 10 retransmissions), 127 KB in all.
#[test]
fn a_challenge_is_one_answer_to_the_source_and_never_retransmitted() {
    let mut ts = TestSwitch::new();
    let mut a = phone(1001);
    // A Via padded to ~10 KB, as an attacker would; the packet comes from another address than
    // the Via names.
    let mut d = a.new_dialog("1002", "sip:1002@switch.test");
    let pad = format!(
        "Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKpad;x={}",
        "y".repeat(10_000)
    );
    let req = a.invite(&mut d, &[], Some(("application/sdp", &a.sdp("sendrecv"))));
    let req = req.replacen("\r\n", &format!("\r\n{pad}\r\n"), 1);
    let source = Peer {
        addr: SocketAddr::from(([198, 51, 100, 7], 5070)),
        transport: Transport::Udp,
    };
    ts.send(source, &req);
    ts.advance(Duration::from_secs(40));
    let mut answers = Vec::new();
    let mut probe = phone(1001);
    probe.peer = source;
    while let Some(m) = ts.recv(&probe) {
        answers.push(m);
    }
    let codes: Vec<u16> = answers.iter().map(|m| m.status()).collect();
    assert_eq!(
        codes,
        [407],
        "one challenge, no 100 Trying, never retransmitted"
    );
    let bytes: usize = answers.iter().map(|m| m.text.len()).sum();
    assert!(bytes < req.len() + 2_000, "{bytes} bytes answered");
    ts.assert_quiet(&a);
    assert_eq!(ts.sw.stats().calls_active, 0);

    // INVITEs with credentials that fail go through a transaction: 100 Trying, then one
    // answer (a new challenge for an unknown nonce, 400 for a malformed header), never
    // retransmitted either.
    let cases = [
        (
            "qop=auth, nc=00000001, cnonce=\"c\", ",
            "407 Proxy Authentication Required",
        ),
        ("", "400 Bad Authorization: qop=auth required"),
    ];
    for (qop, answer) in cases {
        let mut d = a.new_dialog("1002", "sip:1002@switch.test");
        let creds = format!(
            "Proxy-Authorization: Digest username=\"1001\", realm=\"switch.test\", \
             nonce=\"bogus\", uri=\"sip:1002@switch.test\", response=\"00\", {qop}algorithm=MD5"
        );
        let req = a.invite(&mut d, &[creds], None);
        ts.send(a.peer, &req);
        ts.advance(Duration::from_secs(40));
        let answers: Vec<String> = ts
            .drain(&a)
            .iter()
            .map(|m| format!("{} {}", m.status(), m.reason()))
            .collect();
        assert_eq!(answers, ["100 Trying", answer]);
    }

    // REGISTER: one 401, and nothing more.
    let mut r = a.registration();
    let req = a.register(&mut r, 3600, None);
    ts.send(a.peer, &req);
    ts.advance(Duration::from_secs(40));
    let codes: Vec<u16> = ts.drain(&a).iter().map(|m| m.status()).collect();
    assert_eq!(codes, [401]);

    // A retransmitted INVITE is simply challenged again (one answer for one packet), and the
    // whole handshake still works.
    ts.register(&mut a, 3600);
    let mut b = phone(1002);
    ts.register(&mut b, 3600);
    ring(&mut ts, &mut a, &mut b);
}

/// Guards against a switch that takes calls until it falls over: past `max_calls` a new
/// INVITE gets 503 with Retry-After at once (before any challenge), and the switch takes calls
/// again once the load drops.
#[test]
fn overload_is_refused_with_503_and_retry_after_then_recovers() {
    let mut ts = with_limits(|c| {
        c.limits.max_calls = 2;
        c.limits.retry_after = Duration::from_secs(7);
    });
    let (mut a, mut b, mut c) = (phone(1001), phone(1002), phone(1003));
    for p in [&mut a, &mut b, &mut c] {
        ts.register(p, 3600);
    }
    ring(&mut ts, &mut a, &mut b);
    ring(&mut ts, &mut a, &mut b);

    let mut d = c.new_dialog("1002", "sip:1002@switch.test");
    let req = c.invite(&mut d, &[], Some(("application/sdp", &c.sdp("sendrecv"))));
    ts.send(c.peer, &req);
    let refused = ts.recv(&c).expect("an answer");
    assert_eq!(refused.status(), 503, "at once, without 100 Trying");
    assert_eq!(refused.hdr("Retry-After"), "7");
    ts.advance(Duration::from_secs(10));
    assert!(
        ts.drain(&c).is_empty(),
        "the 503 is not retransmitted (stateless)"
    );
    assert_eq!(ts.sw.stats().overload_refusals, 1);
    assert_no_invite_from(&mut ts, &b, "1003");

    // The ringing calls time out and end; the switch takes calls again.
    ts.advance(Duration::from_secs(100));
    ts.drain(&a);
    ts.drain(&b);
    assert_eq!(ts.sw.stats().calls_active, 0);
    ring(&mut ts, &mut c, &mut b);
}

/// Guards against one extension taking every relay port (one extension held all 100).
#[test]
fn an_extension_has_at_most_its_cap_of_calls() {
    let mut ts = with_limits(|c| c.limits.max_calls_per_extension = 2);
    let (mut a, mut b, mut c, mut e) = (phone(1001), phone(1002), phone(1003), phone(1004));
    for p in [&mut a, &mut b, &mut c, &mut e] {
        ts.register(p, 3600);
    }
    ring(&mut ts, &mut a, &mut b);
    ring(&mut ts, &mut a, &mut c);

    // The caller is full: refused after authentication, before anything rings.
    let sdp = a.sdp("sendrecv");
    ts.invite(&mut a, "1004", Some(&sdp));
    ts.expect_status(&a, 403);
    ts.assert_quiet(&e);

    // A full callee is busy to others.
    ring(&mut ts, &mut e, &mut b);
    let sdp = c.sdp("sendrecv");
    ts.invite(&mut c, "1002", Some(&sdp));
    let busy = ts.expect_status(&c, 486);
    assert_eq!(busy.reason(), "Busy Here");
    assert_no_invite_from(&mut ts, &b, "1003");

    // Once the calls end, the extension may call again.
    ts.advance(Duration::from_secs(100));
    for p in [&a, &b, &c, &e] {
        ts.drain(p);
    }
    ring(&mut ts, &mut a, &mut e);
}
