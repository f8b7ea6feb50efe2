//! `[sip] nat`: a binding registered by one device on another's behalf (third-party
//! registration, RFC 3261 §10) is called at its Contact, while a phone behind NAT is still
//! called where its REGISTER came from.

use super::harness::{config, phone, TestSwitch};
use sip::Peer;
use switch::{NatMode, SwitchConfig};

const THIRD_PARTY: &str = "<sip:1002@198.51.100.7:5062>";

/// 1002's binding registered from another device (`registrar`) for a phone at
/// 198.51.100.7:5062; returns that phone (a `Phone` whose peer is the Contact).
fn register_on_behalf(ts: &mut TestSwitch, contact: &str) -> super::phone::Phone {
    let mut registrar = phone(1002);
    registrar.peer = Peer::udp("203.0.113.5:5060".parse().expect("addr"));
    let own = registrar.contact();
    let mut d = registrar.registration();
    let req = registrar
        .register(&mut d, 3600, None)
        .replace(&own, contact);
    ts.send(registrar.peer, &req);
    let challenge = ts.expect_status(&registrar, 401);
    let auth = registrar.authorization(&challenge, "REGISTER", &d.target, 1);
    let req = registrar
        .register(&mut d, 3600, Some(auth))
        .replace(&own, contact);
    ts.send(registrar.peer, &req);
    ts.expect_status(&registrar, 200);
    registrar
}

fn ring_1002(cfg: SwitchConfig, contact: &str) -> (TestSwitch, super::phone::Phone) {
    let mut ts = TestSwitch::with(cfg);
    let registrar = register_on_behalf(&mut ts, contact);
    let mut a = phone(1001);
    ts.register(&mut a, 3600);
    let sdp = a.sdp("sendrecv");
    ts.invite(&mut a, "1002", Some(&sdp));
    (ts, registrar)
}

/// Regression: INVITEs always went to the REGISTER's source, so a third-party binding was
/// unreachable.
#[test]
fn a_third_party_binding_is_called_at_its_contact() {
    let (mut ts, registrar) = ring_1002(config(), THIRD_PARTY);
    let mut device = registrar.clone();
    device.peer = Peer::udp("198.51.100.7:5062".parse().expect("addr"));
    let invite = ts.expect_request(&device, "INVITE");
    assert_eq!(invite.request_uri(), "sip:1002@198.51.100.7:5062");
    ts.assert_quiet(&registrar);
}

#[test]
fn a_private_contact_behind_nat_is_called_at_the_source() {
    let (mut ts, registrar) = ring_1002(config(), "<sip:1002@192.168.1.20:5060>");
    let invite = ts.expect_request(&registrar, "INVITE");
    assert_eq!(invite.request_uri(), "sip:1002@192.168.1.20:5060");
}

#[test]
fn nat_always_calls_the_source_even_for_a_third_party_binding() {
    let cfg = SwitchConfig {
        nat: NatMode::Always,
        ..config()
    };
    let (mut ts, registrar) = ring_1002(cfg, THIRD_PARTY);
    ts.expect_request(&registrar, "INVITE");
}

#[test]
fn nat_never_calls_even_a_private_contact_directly() {
    let cfg = SwitchConfig {
        nat: NatMode::Never,
        ..config()
    };
    let (mut ts, registrar) = ring_1002(cfg, "<sip:1002@192.168.1.20:5060>");
    let mut device = registrar.clone();
    device.peer = Peer::udp("192.168.1.20:5060".parse().expect("addr"));
    ts.expect_request(&device, "INVITE");
    ts.assert_quiet(&registrar);
}

/// Issue 14: the relay prefers the address the signalling names. Each side's SDP address goes
/// to the relay with the IP its SIP came from straight from the phone: the caller's INVITE
/// source, then the callee's answer source, so a phone whose SDP names a private address
/// latches only to media from its own NAT (`media` latch tests).
#[test]
fn each_side_s_signalling_source_goes_to_the_relay_with_its_sdp() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    ts.register(&mut b, 3600);
    ts.register(&mut a, 3600);
    ts.take_actions();
    let sdp = a.sdp("sendrecv");
    ts.invite(&mut a, "1002", Some(&sdp));
    let invite = ts.expect_request(&b, "INVITE");
    let answer = b.sdp("sendrecv");
    ts.send(
        b.peer,
        &b.respond(&invite, 200, "OK", Some("b1"), Some(&answer)),
    );
    let sources: Vec<_> = ts
        .take_actions()
        .into_iter()
        .filter_map(|x| match x {
            switch::Action::SignalSource { side, ip, .. } => Some((side, ip)),
            _ => None,
        })
        .collect();
    assert_eq!(
        sources,
        [
            (switch::Side::A, Some(a.peer.addr.ip())),
            (switch::Side::B, Some(b.peer.addr.ip())),
        ]
    );
}
