//! Registering with a carrier (issue 16): the first REGISTER answered with credentials after
//! a 401, a refresh before expiry on the same Call-ID, backoff after failures, registering
//! again when the carrier forgets us, and the un-REGISTER of a removed trunk.

use super::harness::TestSwitch;
use super::phone::{Msg, Phone};
use super::trunk_support::*;
use std::time::Duration;
use trunk::{Credentials, RegisterSetup, Registration, TrunkPlan};

/// A plan with one carrier we register with (expiry 600 s).
fn registering_plan() -> TrunkPlan {
    let mut t = carrier_trunk("carrier-a", CARRIER_A);
    t.credentials = Some(Credentials {
        username: "acct".into(),
        password: "secret".into(),
        realm: None,
    });
    t.register = Some(RegisterSetup {
        expiry: Duration::from_secs(600),
        contact_user: None,
    });
    TrunkPlan {
        trunks: vec![t],
        ..trunk_plan()
    }
}

/// The carrier's 401 to `req`.
fn challenge(c: &Phone, req: &Msg, nonce: &str) -> String {
    let h = format!(
        "WWW-Authenticate: Digest realm=\"carrier.example\", nonce=\"{nonce}\", qop=\"auth\", algorithm=MD5"
    );
    c.respond(req, 401, "Unauthorized", Some("r1"), None)
        .replacen("Content-Length", &format!("{h}\r\nContent-Length"), 1)
}

/// The carrier's 200 granting `expires` seconds.
fn granted(c: &Phone, req: &Msg, expires: u32) -> String {
    c.respond(req, 200, "OK", Some("r1"), None).replacen(
        "Content-Length",
        &format!("Expires: {expires}\r\nContent-Length"),
        1,
    )
}

fn registration(ts: &TestSwitch) -> Registration {
    ts.sw.trunk_status(ts.now)[0].registration
}

#[test]
fn register_with_401_then_refresh_before_expiry() {
    let mut ts = trunk_switch(registering_plan());
    let c = carrier("x", CARRIER_A);
    ts.advance(Duration::ZERO);
    let first = ts.expect_request(&c, "REGISTER");
    assert_eq!(first.request_uri(), "sip:192.0.2.10:5060");
    assert!(first.hdr("To").contains("sip:acct@192.0.2.10"));
    assert_eq!(first.header("Expires").as_deref(), Some("600"));
    assert!(first.header("Authorization").is_none());
    assert_eq!(registration(&ts), Registration::Registering);
    ts.send(c.peer, &challenge(&c, &first, "n1"));
    let second = ts.expect_request(&c, "REGISTER");
    assert_eq!(second.call_id(), first.call_id());
    assert_eq!(second.cseq().0, first.cseq().0 + 1);
    let auth = second.hdr("Authorization");
    assert!(
        auth.contains("username=\"acct\"") && auth.contains("nonce=\"n1\""),
        "{auth}"
    );
    assert!(auth.contains("nc=00000001"));
    // The carrier grants less than asked: refresh at 80 % of that (240 s of 300).
    ts.send(c.peer, &granted(&c, &second, 300));
    assert_eq!(
        registration(&ts),
        Registration::Registered {
            expires_in: Duration::from_secs(300)
        }
    );
    ts.advance(Duration::from_secs(239));
    ts.assert_quiet(&c);
    ts.advance(Duration::from_secs(1));
    let refresh = ts.expect_request(&c, "REGISTER");
    assert_eq!(refresh.call_id(), first.call_id(), "the same registration");
    assert!(
        refresh.hdr("Authorization").contains("nc=00000002"),
        "the last challenge is answered again, counting"
    );
    assert!(matches!(registration(&ts), Registration::Registered { .. }));
    ts.send(c.peer, &granted(&c, &refresh, 300));
}

#[test]
fn failures_back_off_and_a_forgetful_carrier_is_answered_again() {
    let mut ts = trunk_switch(registering_plan());
    let c = carrier("x", CARRIER_A);
    ts.advance(Duration::ZERO);
    let first = ts.expect_request(&c, "REGISTER");
    ts.send(
        c.peer,
        &c.respond(&first, 403, "Forbidden", Some("r1"), None),
    );
    let Registration::Failed {
        status: 403,
        retry_in,
    } = registration(&ts)
    else {
        panic!("failed after 403: {:?}", registration(&ts));
    };
    assert!(retry_in <= Duration::from_secs(30) && retry_in >= Duration::from_secs(24));
    ts.advance(retry_in - Duration::from_millis(1));
    ts.assert_quiet(&c);
    ts.advance(Duration::from_millis(1));
    // The second attempt gets no answer at all (transaction timeout, 408): the wait doubles.
    ts.expect_request(&c, "REGISTER");
    ts.advance(Duration::from_secs(32));
    ts.drain(&c);
    let Registration::Failed {
        status: 408,
        retry_in,
    } = registration(&ts)
    else {
        panic!("failed after no answer: {:?}", registration(&ts));
    };
    assert!(retry_in <= Duration::from_secs(60) && retry_in >= Duration::from_secs(48));
    ts.advance(retry_in);
    let third = ts.expect_request(&c, "REGISTER");
    ts.send(c.peer, &challenge(&c, &third, "n2"));
    let answered = ts.expect_request(&c, "REGISTER");
    ts.send(c.peer, &granted(&c, &answered, 600));
    assert!(matches!(registration(&ts), Registration::Registered { .. }));
    // The carrier restarted and forgot us: the refresh is challenged with a new nonce and
    // answered; registered again.
    ts.advance(Duration::from_secs(480));
    let refresh = ts.expect_request(&c, "REGISTER");
    ts.send(c.peer, &challenge(&c, &refresh, "fresh"));
    let again = ts.expect_request(&c, "REGISTER");
    assert!(again.hdr("Authorization").contains("nonce=\"fresh\""));
    ts.send(c.peer, &granted(&c, &again, 600));
    assert!(matches!(registration(&ts), Registration::Registered { .. }));
}

#[test]
fn a_second_challenge_fails_and_a_removed_trunk_unregisters() {
    let mut ts = trunk_switch(registering_plan());
    let c = carrier("x", CARRIER_A);
    ts.advance(Duration::ZERO);
    let first = ts.expect_request(&c, "REGISTER");
    ts.send(c.peer, &challenge(&c, &first, "n1"));
    let second = ts.expect_request(&c, "REGISTER");
    ts.send(c.peer, &challenge(&c, &second, "n2"));
    let Registration::Failed {
        status: 401,
        retry_in,
    } = registration(&ts)
    else {
        panic!("a second challenge fails: {:?}", registration(&ts));
    };
    ts.assert_quiet(&c);
    // Retry succeeds, then the trunk is removed: REGISTER with Expires: 0.
    ts.advance(retry_in);
    let retry = ts.expect_request(&c, "REGISTER");
    ts.send(c.peer, &challenge(&c, &retry, "n3"));
    let ok = ts.expect_request(&c, "REGISTER");
    ts.send(c.peer, &granted(&c, &ok, 600));
    let now = ts.now;
    ts.sw.set_trunks(now, trunk_plan_without_trunks());
    ts.pump();
    let bye = ts.expect_request(&c, "REGISTER");
    assert_eq!(bye.header("Expires").as_deref(), Some("0"), "{}", bye.text);
    assert_eq!(bye.call_id(), first.call_id());
    assert!(ts.sw.trunk_status(ts.now).is_empty());
}

fn trunk_plan_without_trunks() -> TrunkPlan {
    TrunkPlan {
        trunks: vec![],
        ..trunk_plan()
    }
}
