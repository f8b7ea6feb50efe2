//! Password guessing (SIPVicious' svcrack found 1001's password in 501 tries with nothing
//! logged or blocked): failures are limited per address and per extension with growing blocks,
//! and while blocked even the right password is refused unchecked.

use super::harness::{config, phone, TestSwitch};
use super::phone::{Phone, DOMAIN};
use sip::Peer;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;
use switch::{SwitchConfig, ThrottleConfig};

fn throttled() -> SwitchConfig {
    SwitchConfig {
        auth_throttle: ThrottleConfig {
            max_failures_per_address: 5,
            max_failures_per_extension: 8,
            window: Duration::from_secs(60),
            block: Duration::from_secs(30),
            max_block: Duration::from_secs(600),
        },
        ..config()
    }
}

/// No answer at all (a blocked address).
const SILENCE: u16 = 0;

/// One REGISTER attempt of `p` with its password: challenge, then credentials; the answer.
fn attempt(ts: &mut TestSwitch, p: &mut Phone) -> u16 {
    let mut d = p.registration();
    let req = p.register(&mut d, 3600, None);
    ts.send(p.peer, &req);
    let Some(first) = ts.recv(p) else {
        return SILENCE;
    };
    if first.status() != 401 {
        return first.status();
    }
    let auth = p.authorization(&first, "REGISTER", &d.target, 1);
    let req = p.register(&mut d, 3600, Some(auth));
    ts.send(p.peer, &req);
    ts.recv(p).expect("an answer to the credentials").status()
}

/// A fresh client of `ext` at `ip` (its own port, so its transactions are new ones).
fn guesser(ext: &str, password: &str, ip: [u8; 4]) -> Phone {
    static PORT: AtomicU16 = AtomicU16::new(7000);
    let port = PORT.fetch_add(1, Ordering::Relaxed);
    let mut p = Phone::udp(ext, password, port, phone(1001).media);
    p.peer = Peer::udp(SocketAddr::from((ip, port)));
    p
}

#[test]
fn an_address_that_keeps_guessing_is_blocked_and_the_block_grows() {
    let mut ts = TestSwitch::with(throttled());
    for i in 0..5 {
        let mut g = guesser("1001", &format!("guess-{i}"), [192, 0, 2, 1]);
        assert_eq!(attempt(&mut ts, &mut g), 403, "guess {i}");
    }
    // Blocked: the address is not answered at all, even with the right password.
    let mut right = guesser("1001", "pw1001", [192, 0, 2, 1]);
    assert_eq!(attempt(&mut ts, &mut right), SILENCE);
    assert_eq!(ts.sw.registered_contacts(), 0);
    // The owner's phone elsewhere is not locked out by a few failures on its extension.
    let mut owner = phone(1001);
    ts.register(&mut owner, 3600);
    let stats = ts.sw.stats();
    assert_eq!(stats.auth_failures, 5);
    assert!(stats.auth_blocked >= 1);

    // After the first block (30 s) the address may try again; five more failures block it for
    // twice as long.
    ts.advance(Duration::from_secs(31));
    let mut right = guesser("1001", "pw1001", [192, 0, 2, 1]);
    assert_eq!(attempt(&mut ts, &mut right), 200);
    for i in 0..5 {
        let mut g = guesser("1002", &format!("again-{i}"), [192, 0, 2, 1]);
        assert_eq!(attempt(&mut ts, &mut g), 403);
    }
    ts.advance(Duration::from_secs(45));
    let mut right = guesser("1002", "pw1002", [192, 0, 2, 1]);
    assert_eq!(
        attempt(&mut ts, &mut right),
        SILENCE,
        "second block lasts 60 s"
    );
    ts.advance(Duration::from_secs(16));
    assert_eq!(attempt(&mut ts, &mut right), 200);
    ts.finish();
}

#[test]
fn an_extension_guessed_from_many_addresses_is_blocked() {
    let mut ts = TestSwitch::with(throttled());
    for i in 0..8u8 {
        let mut g = guesser("1003", &format!("guess-{i}"), [198, 51, 100, i]);
        assert_eq!(attempt(&mut ts, &mut g), 403);
    }
    let mut right = guesser("1003", "pw1003", [203, 0, 113, 9]);
    assert_eq!(attempt(&mut ts, &mut right), 403, "extension blocked");
    // Another extension from that address is unaffected.
    let mut other = guesser("1004", "pw1004", [203, 0, 113, 9]);
    assert_eq!(attempt(&mut ts, &mut other), 200);
    ts.advance(Duration::from_secs(31));
    assert_eq!(attempt(&mut ts, &mut right), 200);
    ts.finish();
}

#[test]
fn guessing_an_unknown_extension_answers_like_a_known_one() {
    let mut ts = TestSwitch::with(throttled());
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for i in 0..10u8 {
        let mut k = guesser("1001", "wrong-guess", [198, 51, 100, i]);
        known.push(attempt(&mut ts, &mut k));
        let mut u = guesser("4711", "wrong-guess", [203, 0, 113, i]);
        unknown.push(attempt(&mut ts, &mut u));
    }
    assert_eq!(known, unknown);
    assert!(known.iter().all(|c| *c == 403));
    ts.finish();
}

#[test]
fn invites_count_and_are_blocked_too() {
    let mut ts = TestSwitch::with(throttled());
    let mut b = phone(1002);
    ts.register(&mut b, 3600);
    for i in 0..5 {
        let mut g = guesser("1001", &format!("guess-{i}"), [192, 0, 2, 7]);
        let d = ts.invite(&mut g, "1002", None);
        let refused = ts.expect_status(&g, 403);
        ts.send(g.peer, &g.ack_non2xx(&d, &refused));
    }
    let mut g = guesser("1001", "pw1001", [192, 0, 2, 7]);
    let mut d = g.new_dialog("1002", &format!("sip:1002@{DOMAIN}"));
    let req = g.invite(&mut d, &[], None);
    ts.send(g.peer, &req);
    ts.assert_quiet(&g);
    assert_eq!(ts.sw.stats().calls_started, 0);
    ts.finish();
}
