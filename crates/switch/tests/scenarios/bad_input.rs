//! Malformed and unsupported input: the switch answers what deserves an answer and never panics.

use super::harness::{phone, TestSwitch};
use super::phone::{Dlg, Phone};

/// A stray phone that does not need to be registered.
fn stranger() -> Phone {
    phone(1004)
}

fn options(p: &mut Phone) -> (Dlg, String) {
    let mut d = p.new_dialog("1001", "sip:1001@switch.test");
    let req = p.request(&mut d, "OPTIONS", &[], None);
    (d, req)
}

#[test]
fn garbage_is_counted_and_ignored() {
    let mut ts = TestSwitch::new();
    let p = stranger();
    for junk in [
        &b"\x00\x01\x02hello\r\n\r\n"[..],
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"INVITE\r\n\r\n",
        b"\xff\xfe\xfd",
        b"SIP/2.0 200\r\n\r\n",
    ] {
        let now = ts.now;
        ts.sw.handle_datagram(now, p.peer, junk);
        ts.pump();
    }
    // Keep-alives are not errors.
    ts.send(p.peer, "\r\n\r\n");
    assert_eq!(ts.sw.stats().parse_errors, 5);
    assert_eq!(ts.sw.stats().calls_started, 0);
    // Nothing to answer: none of these has the headers a response needs.
    ts.assert_quiet(&p);
    assert!(ts.take_actions().is_empty());
    ts.finish();
}

#[test]
fn request_without_call_id_gets_400_with_reason() {
    let mut ts = TestSwitch::new();
    let mut p = stranger();
    let (_, req) = options(&mut p);
    let broken: String = req
        .split_inclusive("\r\n")
        .filter(|l| !l.starts_with("Call-ID"))
        .collect();
    let now = ts.now;
    ts.sw.handle_datagram(now, p.peer, broken.as_bytes());
    // A reply without Call-ID cannot pass our own parser, so read the raw bytes.
    let t = ts.sw.poll_transmit().expect("a 400");
    let text = String::from_utf8_lossy(&t.bytes);
    assert!(
        text.starts_with("SIP/2.0 400 Missing Call-ID"),
        "reason names the problem:\n{text}"
    );
    assert_eq!(t.to, p.peer);
    ts.finish();
}

#[test]
fn wrong_sip_version_gets_505() {
    let mut ts = TestSwitch::new();
    let mut p = stranger();
    let (_, req) = options(&mut p);
    let req = req.replacen("SIP/2.0\r\n", "SIP/3.0\r\n", 1);
    ts.send(p.peer, &req);
    let r = ts.expect_status(&p, 505);
    assert_eq!(r.method(), "OPTIONS");
    ts.finish();
}

#[test]
fn unknown_method_gets_501() {
    let mut ts = TestSwitch::new();
    let mut p = stranger();
    let mut d = p.new_dialog("1001", "sip:1001@switch.test");
    let req = p.request(&mut d, "FROBNICATE", &[], None);
    let now = ts.now;
    ts.sw.handle_datagram(now, p.peer, req.as_bytes());
    // rsip cannot represent the method, so the reply is read as raw text.
    let t = ts.sw.poll_transmit().expect("a 501");
    let text = String::from_utf8_lossy(&t.bytes);
    assert!(text.starts_with("SIP/2.0 501 "), "{text}");
    assert!(text.contains("CSeq: 1 FROBNICATE\r\n"), "{text}");
    ts.finish();
}

#[test]
fn options_gets_200_with_allow() {
    let mut ts = TestSwitch::new();
    let mut p = stranger();
    let (_, req) = options(&mut p);
    ts.send(p.peer, &req);
    let r = ts.expect_status(&p, 200);
    let allow = r.hdr("Allow");
    for m in ["INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", "REGISTER"] {
        assert!(allow.contains(m), "Allow lists {m}: {allow}");
    }
    assert_eq!(r.header("Accept").as_deref(), Some("application/sdp"));
    ts.finish();
}

#[test]
fn request_in_unknown_dialog_gets_481() {
    let mut ts = TestSwitch::new();
    let mut p = stranger();
    let mut d = p.new_dialog("1001", "sip:1001@switch.test");
    d.remote.push_str(";tag=nosuchdialog");
    for method in ["BYE", "INFO", "INVITE"] {
        let req = p.request(&mut d, method, &[], None);
        ts.send(p.peer, &req);
        let r = ts.expect_status(&p, 481);
        assert_eq!(r.method(), method);
        if method == "INVITE" {
            ts.send(p.peer, &p.ack_non2xx(&d, &r));
        }
    }
    assert_eq!(ts.sw.stats().calls_started, 0);
    ts.finish();
}

/// Register 1001 and 1002, then send an authenticated INVITE 1001 → 1002 with `body`.
fn invite_with_body(ctype: &str, body: &str) -> (TestSwitch, Phone, Dlg) {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    ts.register(&mut a, 3600);
    ts.register(&mut b, 3600);
    let mut d = a.new_dialog("1002", "sip:1002@switch.test");
    let req = a.invite(&mut d, &[], Some((ctype, body)));
    ts.send(a.peer, &req);
    let challenge = ts.expect_status(&a, 407);
    ts.send(a.peer, &a.ack_non2xx(&d, &challenge));
    let auth = a.authorization(&challenge, "INVITE", &d.target, 1);
    let req = a.invite(&mut d, &[auth], Some((ctype, body)));
    ts.send(a.peer, &req);
    ts.assert_quiet(&b);
    (ts, a, d)
}

#[test]
fn invite_with_broken_sdp_gets_488_with_reason() {
    let (mut ts, a, d) = invite_with_body("application/sdp", "v=0\r\nm=audio banana\r\n");
    let r = ts.expect_status(&a, 488);
    assert!(r.reason().starts_with("Bad SDP"), "reason: {}", r.reason());
    ts.send(a.peer, &a.ack_non2xx(&d, &r));
    assert_eq!(ts.sw.stats().calls_started, 0);
    assert!(ts.take_actions().is_empty(), "no media, no CDR");
    ts.finish();
}

#[test]
fn invite_with_non_sdp_body_gets_415_before_any_challenge() {
    // Validate first, then challenge: no credentials make a text/plain offer acceptable.
    let mut ts = TestSwitch::new();
    let mut a = phone(1001);
    let mut d = a.new_dialog("1002", "sip:1002@switch.test");
    let req = a.invite(&mut d, &[], Some(("text/plain", "hello")));
    ts.send(a.peer, &req);
    let r = ts.expect_status(&a, 415);
    assert_eq!(r.header("Accept").as_deref(), Some("application/sdp"));
    ts.send(a.peer, &a.ack_non2xx(&d, &r));
    assert_eq!(ts.sw.stats().calls_started, 0);
    ts.finish();
}

#[test]
fn invite_with_max_forwards_zero_gets_483() {
    let mut ts = TestSwitch::new();
    let mut a = phone(1001);
    let mut d = a.new_dialog("1002", "sip:1002@switch.test");
    let req = a
        .invite(&mut d, &[], None)
        .replace("Max-Forwards: 70", "Max-Forwards: 0");
    ts.send(a.peer, &req);
    let r = ts.expect_status(&a, 483);
    ts.send(a.peer, &a.ack_non2xx(&d, &r));
    assert_eq!(ts.sw.stats().calls_started, 0);
    ts.finish();
}

#[test]
fn invite_with_an_untyped_body_is_challenged_first_then_gets_415() {
    // A body without Content-Type is judged after the challenge, as before (SIPp scenarios
    // whose first INVITE has a blank line inside the head send their SDP this way).
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    ts.register(&mut b, 3600);
    let mut d = a.new_dialog("1002", "sip:1002@switch.test");
    let req = a.invite(&mut d, &[], Some(("application/sdp", "v=0\r\n")));
    let req = req.replace("Content-Type: application/sdp\r\n", "");
    ts.send(a.peer, &req);
    let challenge = ts.expect_status(&a, 407);
    ts.send(a.peer, &a.ack_non2xx(&d, &challenge));
    let auth = a.authorization(&challenge, "INVITE", &d.target, 1);
    let req = a.invite(&mut d, &[auth], Some(("application/sdp", "v=0\r\n")));
    let req = req.replace("Content-Type: application/sdp\r\n", "");
    ts.send(a.peer, &req);
    let r = ts.expect_status(&a, 415);
    ts.send(a.peer, &a.ack_non2xx(&d, &r));
    ts.assert_quiet(&b);
    ts.finish();
}

#[test]
fn invite_whose_accept_excludes_sdp_gets_406_before_any_challenge() {
    let mut ts = TestSwitch::new();
    let mut a = phone(1001);
    let mut d = a.new_dialog("1002", "sip:1002@switch.test");
    let sdp = a.sdp("sendrecv");
    let accept = "Accept: text/plain".to_string();
    let req = a.invite(&mut d, &[accept], Some(("application/sdp", &sdp)));
    ts.send(a.peer, &req);
    let r = ts.expect_status(&a, 406);
    ts.send(a.peer, &a.ack_non2xx(&d, &r));
    assert_eq!(ts.sw.stats().calls_started, 0);
    ts.finish();
}

/// Regression: `*9é` once panicked the core (the feature-code parser split the dialled
/// number at byte 2, inside the UTF-8 `é`), ending every call with it.
#[test]
fn feature_code_prefix_before_a_multibyte_character_gets_404_and_the_core_keeps_serving() {
    let mut ts = TestSwitch::new();
    let mut p = phone(1001);
    let sdp = p.sdp("sendrecv");
    ts.invite(&mut p, "*9é", Some(&sdp));
    ts.expect_status(&p, 404);
    // The core still answers the next request.
    let (_, req) = options(&mut p);
    ts.send(p.peer, &req);
    ts.expect_status(&p, 200);
    ts.finish();
}
