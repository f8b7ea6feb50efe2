//! IPv6 references (RFC 5118) in a phone's own messages: a Contact at an IPv6 address is
//! registered and called at that address, written with its brackets on the wire.

use super::harness::{phone, TestSwitch};
use super::phone::DOMAIN;

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
    ts.send(
        b.peer,
        &b.respond(&invite, 486, "Busy Here", Some("b1"), None),
    );
    ts.expect_request(&b, "ACK");
    ts.expect_status(&a, 100);
    ts.expect_status(&a, 486);
    ts.finish();
}
