//! Instructions per call through the sans-IO core, for callgrind (not a timing benchmark).
//!
//! Drives whole authenticated calls the way `tests/bench/uac_auth.xml` does against the real
//! switch: the callee registers once (401 challenge), then per call INVITE → 407 → ACK →
//! INVITE with digest → 100/180/200 → ACK, and the oldest call is hung up (BYE → 200 on both
//! legs) once the calls held at once (default 100) are up, so the switch carries as many as it
//! would at 1 000 calls/s with short holds. The virtual clock moves 1 ms per call (1 000
//! calls/s), so transactions linger and expire as they do under load. Every datagram goes
//! through [`driver_input`], the driver's per-message work: the raw copy its panic guard
//! keeps, parsing, then `Switch::handle_message`; media allocation is answered at once.
//!
//! Callgrind counts instructions, so the result repeats on a busy machine. Only the switch's
//! work is counted (the fake phones' own parsing is left out with `--toggle-collect` on the
//! core's entry points): `benches/callgrind.sh [calls] [at-once]` builds this in release, runs
//! it with 0 calls and with `calls`, and prints instructions per call and the top functions
//! (docs/benchmarks.md, "Instructions per call").
//!
//! Arguments: calls (default 2000) and calls held at once (default 100).

#[allow(dead_code)]
#[path = "../tests/scenarios/harness.rs"]
mod harness;
#[allow(dead_code)]
#[path = "../tests/scenarios/phone.rs"]
mod phone;

use harness::{config, phone, TestSwitch};
use phone::{Dlg, Msg, Phone, DOMAIN};
use sip::Peer;
use std::collections::VecDeque;
use std::time::{Duration, Instant};
use switch::{Limits, Switch};

/// The driver's work for one datagram (`driver/sip.rs` `parsed` and the core's input): keep
/// the raw bytes for the panic guard, parse, hand the message to the core.
#[inline(never)]
fn driver_input(sw: &mut Switch, now: Instant, from: Peer, bytes: &[u8]) {
    match sip::parse::parse(bytes) {
        Ok(msg) => {
            let raw = std::hint::black_box(bytes.to_vec());
            sw.handle_message(now, from, msg);
            drop(raw);
        }
        Err(_) => sw.handle_datagram(now, from, bytes),
    }
}

fn deliver(ts: &mut TestSwitch, from: &Phone, text: &str) {
    driver_input(&mut ts.sw, ts.now, from.peer, text.as_bytes());
    ts.pump();
}

fn register(ts: &mut TestSwitch, p: &mut Phone) {
    let mut d = p.registration();
    let req = p.register(&mut d, 3600, None);
    deliver(ts, p, &req);
    let challenge = ts.expect_status(p, 401);
    let auth = p.authorization(&challenge, "REGISTER", &d.target, 1);
    let req = p.register(&mut d, 3600, Some(auth));
    deliver(ts, p, &req);
    ts.expect_status(p, 200);
}

/// One call from `a` to `b` up to the caller's ACK; returns both sides' dialogs.
fn call(ts: &mut TestSwitch, a: &mut Phone, b: &mut Phone, sdp_a: &str, sdp_b: &str) -> (Dlg, Dlg) {
    let mut ad = a.new_dialog(&b.user, &format!("sip:{}@{DOMAIN}", b.user));
    let body = Some(("application/sdp", sdp_a));
    let req = a.invite(&mut ad, &[], body);
    deliver(ts, a, &req);
    let challenge = ts.expect_status(a, 407);
    deliver(ts, a, &a.ack_non2xx(&ad, &challenge));
    let auth = a.authorization(&challenge, "INVITE", &ad.target, 1);
    let req = a.invite(&mut ad, &[auth], body);
    deliver(ts, a, &req);
    ts.expect_status(a, 100);
    let inv = ts.expect_request(b, "INVITE");
    deliver(ts, b, &b.respond(&inv, 180, "Ringing", Some("btag"), None));
    deliver(
        ts,
        b,
        &b.respond(&inv, 200, "OK", Some("btag"), Some(sdp_b)),
    );
    ts.expect_request(b, "ACK");
    ts.expect_status(a, 180);
    let ok: Msg = ts.expect_status(a, 200);
    ad.learn(&ok);
    let ack = a.ack_2xx(&ad);
    deliver(ts, a, &ack);
    (ad, Dlg::uas(&inv, "btag"))
}

/// The caller hangs up; the callee answers the BYE it gets.
fn hang_up(ts: &mut TestSwitch, a: &mut Phone, b: &mut Phone, ad: &mut Dlg) {
    let bye = a.request(ad, "BYE", &[], None);
    deliver(ts, a, &bye);
    ts.expect_status(a, 200);
    let b_bye = ts.expect_request(b, "BYE");
    deliver(ts, b, &b.respond(&b_bye, 200, "OK", None, None));
}

fn main() {
    let mut args = std::env::args().skip(1);
    let calls: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(2000);
    let concurrent: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(100);
    let mut cfg = config();
    cfg.limits = Limits {
        max_calls: concurrent + 10,
        max_calls_per_extension: concurrent + 10,
        ..Limits::default()
    };
    let mut ts = TestSwitch::with(cfg);
    let (mut a, mut b) = (phone(1001), phone(1002));
    register(&mut ts, &mut a);
    register(&mut ts, &mut b);
    let (sdp_a, sdp_b) = (a.sdp("sendrecv"), b.sdp("sendrecv"));
    let mut up = VecDeque::new();
    for _ in 0..calls {
        up.push_back(call(&mut ts, &mut a, &mut b, &sdp_a, &sdp_b));
        if up.len() > concurrent {
            if let Some((mut ad, _)) = up.pop_front() {
                hang_up(&mut ts, &mut a, &mut b, &mut ad);
            }
        }
        ts.take_actions();
        ts.advance(Duration::from_millis(1));
    }
    while let Some((mut ad, _)) = up.pop_front() {
        hang_up(&mut ts, &mut a, &mut b, &mut ad);
    }
    ts.assert_quiet(&a);
    ts.assert_quiet(&b);
    println!("{calls} calls, {concurrent} at once");
}
