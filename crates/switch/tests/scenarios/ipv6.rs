//! IPv6 references (RFC 5118) in a phone's own messages: a Contact at an IPv6 address is
//! registered and called at that address, written with its brackets on the wire.

use super::harness::{phone, TestSwitch};
use super::phone::{Msg, Phone, DOMAIN};

const CONTACT: &str = "<sip:1002@[2001:db8::2]:5062>";

#[test]
fn a_contact_at_an_ipv6_address_is_registered_and_called_there() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    let own = b.contact();
    let mut d = b.registration();
    let req = b.register(&mut d, 3600, None).replace(&own, CONTACT);
    ts.send(b.peer, &req);
    let challenge = ts.expect_status(&b, 401);
    let auth = b.authorization(&challenge, "REGISTER", &d.target, 1);
    let req = b.register(&mut d, 3600, Some(auth)).replace(&own, CONTACT);
    ts.send(b.peer, &req);
    let ok = ts.expect_status(&b, 200);
    assert!(
        ok.hdr("Contact").starts_with(CONTACT),
        "the binding is echoed as registered:\n{}",
        ok.text
    );

    ts.register(&mut a, 3600);
    let sdp = a.sdp("sendrecv");
    ts.invite(&mut a, "1002", Some(&sdp));
    // Sent where the phone registered from; addressed to its Contact.
    let invite = ts.expect_request(&b, "INVITE");
    assert_eq!(invite.request_uri(), "sip:1002@[2001:db8::2]:5062");
    assert!(invite.hdr("To").contains(&format!("sip:1002@{DOMAIN}")));
    busy(&mut ts, &a, &b, &invite);
}

/// Regression: a switch listening on IPv4 and IPv6 named itself by its first (IPv4) listener
/// in the Via and Contact of an INVITE to an IPv6 phone, which then could not answer.
#[test]
fn a_dual_stack_switch_names_itself_in_the_family_of_the_phone() {
    let mut cfg = super::harness::config();
    cfg.me.udp6 = Some("[2001:db8::1]:5060".parse().expect("addr"));
    let mut ts = TestSwitch::with(cfg);
    let (mut a, mut b) = (phone(1001), phone(1002));
    b.peer = sip::Peer::udp("[2001:db8::2]:5062".parse().expect("addr"));
    ts.register(&mut b, 3600);
    ts.register(&mut a, 3600);
    let sdp = a.sdp("sendrecv");
    ts.invite(&mut a, "1002", Some(&sdp));
    let invite = ts.expect_request(&b, "INVITE");
    assert!(
        invite.hdr("Via").contains("[2001:db8::1]:5060"),
        "IPv6 Via to an IPv6 phone:\n{}",
        invite.text
    );
    assert!(
        invite.hdr("Contact").contains("[2001:db8::1]:5060"),
        "IPv6 Contact to an IPv6 phone:\n{}",
        invite.text
    );
    busy(&mut ts, &a, &b, &invite);
}

/// `b` answers `invite` (from `a`) busy; the call ends cleanly.
fn busy(ts: &mut TestSwitch, a: &Phone, b: &Phone, invite: &Msg) {
    ts.send(
        b.peer,
        &b.respond(invite, 486, "Busy Here", Some("b1"), None),
    );
    ts.expect_request(b, "ACK");
    ts.expect_status(a, 100);
    ts.expect_status(a, 486);
    ts.finish();
}

/// A call whose caller's media is IPv6 while the relay is IPv4 is refused with a clear 488
/// (the relay has one address for both legs; docs/configuration.md), not set up silent.
#[test]
fn caller_media_of_the_other_family_than_the_relay_is_refused_with_488() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    ts.register(&mut b, 3600);
    ts.register(&mut a, 3600);
    let sdp = a
        .sdp("sendrecv")
        .replace(&format!("IN IP4 {}", a.media.ip()), "IN IP6 2001:db8::20");
    ts.invite(&mut a, "1002", Some(&sdp));
    ts.expect_status(&a, 100);
    let refused = ts.expect_status(&a, 488);
    assert!(refused.text.contains("Address Family"), "{}", refused.text);
    ts.assert_quiet(&b);
}

/// A callee that answers with media of the other family than the relay's could never exchange
/// audio through it: its answer is taken, ACKed and hung up at once, and the caller is refused
/// with 488, as a caller's own offer of the other family is.
#[test]
fn callee_answering_with_media_of_the_other_family_is_hung_up_and_the_caller_refused() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    ts.register(&mut b, 3600);
    ts.register(&mut a, 3600);
    let sdp = a.sdp("sendrecv");
    ts.invite(&mut a, "1002", Some(&sdp));
    let invite = ts.expect_request(&b, "INVITE");
    let answer = b
        .sdp("sendrecv")
        .replace(&format!("IN IP4 {}", b.media.ip()), "IN IP6 2001:db8::30");
    ts.send(
        b.peer,
        &b.respond(&invite, 200, "OK", Some("b1"), Some(&answer)),
    );
    ts.expect_request(&b, "ACK");
    let bye = ts.expect_request(&b, "BYE");
    ts.send(b.peer, &b.respond(&bye, 200, "OK", None, None));
    ts.expect_status(&a, 100);
    ts.expect_status(&a, 488);
    let cdrs = ts.take_cdrs();
    let end = super::harness::cdr_end(&cdrs);
    assert_eq!(end.sip_status, 488, "{end:?}");
    assert_eq!(end.hangup_cause, "callee media not acceptable");
    ts.assert_quiet(&a);
}
