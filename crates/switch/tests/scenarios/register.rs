//! REGISTER: digest challenge, credentials checks, unregistering and expiry.

use super::harness::{phone, TestSwitch};
use super::phone::{Phone, DOMAIN};
use std::time::Duration;

#[test]
fn register_is_challenged_then_accepted_with_contact_and_expiry() {
    let mut ts = TestSwitch::new();
    let mut p = phone(1001);
    let mut d = p.registration();
    let req = p.register(&mut d, 1800, None);
    ts.send(p.peer, &req);
    let challenge = ts.expect_status(&p, 401);
    let offered = challenge.headers("WWW-Authenticate");
    assert_eq!(offered.len(), 2, "MD5 and SHA-256 challenges");
    assert!(
        offered[0].contains("algorithm=MD5"),
        "MD5 offered first: {offered:?}"
    );
    assert!(offered[0].contains(&format!("realm=\"{DOMAIN}\"")));
    assert!(offered[0].contains("qop=\"auth\""));
    assert_eq!(ts.sw.registered_contacts(), 0);

    let auth = p.authorization(&challenge, "REGISTER", &d.target, 1);
    let req = p.register(&mut d, 1800, Some(auth));
    ts.send(p.peer, &req);
    let ok = ts.expect_status(&p, 200);
    let contact = ok.hdr("Contact");
    assert!(
        contact.contains(&p.contact()),
        "bound contact echoed: {contact}"
    );
    assert!(
        contact.contains("expires=1800"),
        "granted interval: {contact}"
    );
    assert_eq!(ts.sw.registered_contacts(), 1);
    ts.assert_quiet(&p);
    ts.finish();
}

#[test]
fn wrong_password_is_forbidden() {
    let mut ts = TestSwitch::new();
    let mut p = Phone::udp("1001", "not-the-password", 6001, phone(1001).media);
    let mut d = p.registration();
    let req = p.register(&mut d, 3600, None);
    ts.send(p.peer, &req);
    let challenge = ts.expect_status(&p, 401);
    let auth = p.authorization(&challenge, "REGISTER", &d.target, 1);
    let req = p.register(&mut d, 3600, Some(auth));
    ts.send(p.peer, &req);
    ts.expect_status(&p, 403);
    assert_eq!(ts.sw.registered_contacts(), 0);
    ts.finish();
}

#[test]
fn replayed_nonce_count_is_forbidden() {
    let mut ts = TestSwitch::new();
    let mut p = phone(1002);
    let mut d = p.registration();
    let req = p.register(&mut d, 3600, None);
    ts.send(p.peer, &req);
    let challenge = ts.expect_status(&p, 401);
    let auth = p.authorization(&challenge, "REGISTER", &d.target, 1);
    let req = p.register(&mut d, 3600, Some(auth.clone()));
    ts.send(p.peer, &req);
    ts.expect_status(&p, 200);
    // Same credentials (nonce and nc=1) on a new transaction: a captured header replayed.
    let req = p.register(&mut d, 3600, Some(auth));
    ts.send(p.peer, &req);
    let refused = ts.expect_status(&p, 403);
    assert!(
        refused.reason().contains("Replayed"),
        "{}",
        refused.reason()
    );
    // The next count on the same nonce is fine.
    let auth = p.authorization(&challenge, "REGISTER", &d.target, 2);
    // authorization() draws a new cnonce, so the digest differs from the replayed one.
    let req = p.register(&mut d, 3600, Some(auth));
    ts.send(p.peer, &req);
    ts.expect_status(&p, 200);
    ts.finish();
}

#[test]
fn unknown_extension_is_challenged_then_refused() {
    let mut ts = TestSwitch::new();
    // A stranger: challenged like anyone (no hint that 1999 does not exist), then refused.
    let mut p = Phone::udp("1999", "whatever", 6999, phone(1001).media);
    let mut d = p.registration();
    let req = p.register(&mut d, 3600, None);
    ts.send(p.peer, &req);
    let challenge = ts.expect_status(&p, 401);
    let auth = p.authorization(&challenge, "REGISTER", &d.target, 1);
    let req = p.register(&mut d, 3600, Some(auth));
    ts.send(p.peer, &req);
    ts.expect_status(&p, 403);

    // A known user registering a missing extension learns it does not exist.
    let mut u = phone(1001);
    let mut d = u.new_dialog("1999", &format!("sip:{DOMAIN}"));
    let req = u.register(&mut d, 3600, None);
    ts.send(u.peer, &req);
    let challenge = ts.expect_status(&u, 401);
    let auth = u.authorization(&challenge, "REGISTER", &d.target, 1);
    let req = u.register(&mut d, 3600, Some(auth));
    ts.send(u.peer, &req);
    ts.expect_status(&u, 404);
    assert_eq!(ts.sw.registered_contacts(), 0);
    ts.finish();
}

#[test]
fn expires_zero_unregisters() {
    let mut ts = TestSwitch::new();
    let mut p = phone(1003);
    ts.register(&mut p, 3600);
    assert_eq!(ts.sw.registered_contacts(), 1);
    ts.register(&mut p, 0);
    assert_eq!(ts.sw.registered_contacts(), 0);
    ts.finish();
}

#[test]
fn binding_expires_after_its_interval_and_calls_then_get_480() {
    let mut ts = TestSwitch::new();
    let mut a = phone(1001);
    let mut b = phone(1002);
    ts.register(&mut a, 3600);
    ts.register(&mut b, 60);
    assert_eq!(ts.sw.registered_contacts(), 2);
    ts.advance(Duration::from_secs(59));
    assert_eq!(
        ts.sw.registered_contacts(),
        2,
        "still bound before the interval ends"
    );
    ts.advance(Duration::from_secs(2));
    assert_eq!(ts.sw.registered_contacts(), 1, "1002's binding expired");

    let sdp = a.sdp("sendrecv");
    let d = ts.invite(&mut a, "1002", Some(&sdp));
    let r = ts.expect_status(&a, 480);
    ts.send(a.peer, &a.ack_non2xx(&d, &r));
    assert_eq!(
        ts.sw.stats().calls_started,
        0,
        "no call for an unregistered callee"
    );
    ts.assert_quiet(&b);
    ts.finish();
}

#[test]
fn expired_nonce_is_rechallenged_as_stale() {
    let mut ts = TestSwitch::new();
    let mut p = phone(1004);
    let mut d = p.registration();
    let req = p.register(&mut d, 3600, None);
    ts.send(p.peer, &req);
    let challenge = ts.expect_status(&p, 401);
    assert!(!challenge.hdr("WWW-Authenticate").contains("stale"));
    // Nonces live 300 s in the test config.
    ts.advance(Duration::from_secs(301));
    let auth = p.authorization(&challenge, "REGISTER", &d.target, 1);
    let req = p.register(&mut d, 3600, Some(auth));
    ts.send(p.peer, &req);
    let again = ts.expect_status(&p, 401);
    assert!(
        again.hdr("WWW-Authenticate").contains("stale=true"),
        "{}",
        again.text
    );
    let auth = p.authorization(&again, "REGISTER", &d.target, 1);
    let req = p.register(&mut d, 3600, Some(auth));
    ts.send(p.peer, &req);
    ts.expect_status(&p, 200);
    ts.finish();
}
