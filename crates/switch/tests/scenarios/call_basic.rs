//! Answered calls: set-up with authentication and SDP rewriting, and hang-up from either side.

use super::harness::{answered_call, cdr_end, phone, TestSwitch, RELAY_A, RELAY_B};
use super::phone::{tag_of, Phone};
use std::net::SocketAddr;
use switch::{Action, Side};
use switch::{CdrEvent, Disposition, LegRole};

#[test]
fn basic_call_caller_hangs_up() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    ts.register(&mut a, 3600);
    ts.register(&mut b, 3600);
    ts.take_actions();

    // Unauthenticated INVITE: challenged for the proxy, no call yet.
    let sdp = a.sdp("sendrecv");
    let mut ad = a.new_dialog("1002", "sip:1002@switch.test");
    let req = a.invite(&mut ad, &[], Some(("application/sdp", &sdp)));
    ts.send(a.peer, &req);
    let challenge = ts.expect_status(&a, 407);
    assert!(challenge.header("Proxy-Authenticate").is_some());
    ts.send(a.peer, &a.ack_non2xx(&ad, &challenge));
    assert!(
        ts.take_actions().is_empty(),
        "no call before authentication"
    );
    ts.assert_quiet(&b);

    let auth = a.authorization(&challenge, "INVITE", &ad.target, 1);
    let req = a.invite(&mut ad, &[auth], Some(("application/sdp", &sdp)));
    ts.send(a.peer, &req);
    ts.expect_status(&a, 100);
    let actions = ts.take_actions();
    let (call, cdr_id) = match &actions[..] {
        [Action::Cdr(CdrEvent::Start(s)), Action::AllocateMedia { call }, Action::SetRemote {
            call: c2,
            side: Side::A,
            rtp,
            rtcp,
        }, Action::SignalSource {
            call: c3,
            side: Side::A,
            ip,
        }] => {
            assert_eq!((s.caller.as_str(), s.callee.as_str()), ("1001", "1002"));
            assert_eq!(c3, call);
            // The INVITE came straight from the phone: the relay learns where from.
            assert_eq!(*ip, Some(a.peer.addr.ip()));
            assert_eq!(s.callee_name.as_deref(), Some("User 1002"));
            assert_eq!(c2, call);
            assert_eq!(*rtp, a.media);
            assert_eq!(
                *rtcp,
                Some(SocketAddr::new(a.media.ip(), a.media.port() + 1))
            );
            (*call, s.call_id.clone())
        }
        other => panic!("unexpected actions {other:?}"),
    };

    // B gets an INVITE on its registered contact, with SDP pointing at the relay's B port.
    let inv = ts.expect_request(&b, "INVITE");
    assert_eq!(inv.request_uri(), format!("sip:1002@{}", b.peer.addr));
    assert_eq!(inv.sdp_line("c=").as_deref(), Some("c=IN IP4 127.0.0.1"));
    assert_eq!(
        inv.sdp_line("m=audio").as_deref(),
        Some(format!("m=audio {RELAY_B} RTP/AVP 0 101").as_str())
    );
    assert!(
        !inv.body().contains("10.0.0.1"),
        "A's address must not leak"
    );
    assert_eq!(inv.hdr("Max-Forwards"), "69");
    assert!(inv.hdr("From").contains("sip:1001@"), "{}", inv.hdr("From"));
    assert_ne!(inv.call_id(), ad.call_id, "B leg has its own Call-ID");

    ts.send(b.peer, &b.respond(&inv, 180, "Ringing", Some("btag"), None));
    let ringing = ts.expect_status(&a, 180);
    let a_tag = ringing.to_tag().expect("To-tag on 180");
    assert_ne!(a_tag, "btag", "A sees our tag, not B's");
    ts.assert_quiet(&b);

    let b_sdp = b.sdp("sendrecv");
    ts.send(
        b.peer,
        &b.respond(&inv, 200, "OK", Some("btag"), Some(&b_sdp)),
    );
    let ack = ts.expect_request(&b, "ACK");
    assert_eq!(ack.cseq(), (inv.cseq().0, "ACK".to_string()));
    assert_eq!(ack.request_uri(), uri_of_contact(&b));
    assert_eq!(ack.to_tag().as_deref(), Some("btag"));

    let ok = ts.expect_status(&a, 200);
    assert_eq!(ok.to_tag().as_deref(), Some(a_tag.as_str()));
    assert_eq!(ok.sdp_line("c=").as_deref(), Some("c=IN IP4 127.0.0.1"));
    assert_eq!(
        ok.sdp_line("m=audio").as_deref(),
        Some(format!("m=audio {RELAY_A} RTP/AVP 0 101").as_str())
    );
    assert!(ok.contact_uri().is_some(), "2xx carries our Contact");
    let actions = ts.take_actions();
    assert!(actions.contains(&Action::SetRemote {
        call,
        side: Side::B,
        rtp: b.media,
        rtcp: Some(SocketAddr::new(b.media.ip(), b.media.port() + 1)),
    }));
    assert!(actions.contains(&Action::MediaTimeout {
        call,
        enabled: true
    }));
    assert!(
        actions.iter().any(
            |x| matches!(x, Action::Cdr(CdrEvent::Answer { call_id, .. }) if *call_id == cdr_id)
        ),
        "{actions:?}"
    );
    ad.learn(&ok);
    ts.send(a.peer, &a.ack_2xx(&ad));
    ts.assert_quiet(&a);
    ts.assert_quiet(&b);
    assert_eq!(ts.sw.stats().calls_answered, 1);

    // A hangs up.
    let bye = a.request(&mut ad, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    let b_bye = ts.expect_request(&b, "BYE");
    assert_eq!(b_bye.call_id(), inv.call_id());
    assert_eq!(b_bye.to_tag().as_deref(), Some("btag"));
    assert_eq!(b_bye.tag_in_from(), inv.tag_in_from());
    assert_eq!(b_bye.request_uri(), uri_of_contact(&b));
    ts.send(b.peer, &b.respond(&b_bye, 200, "OK", None, None));

    let actions = ts.take_actions();
    assert!(actions.contains(&Action::ReleaseMedia { call }));
    let cdrs: Vec<CdrEvent> = actions
        .into_iter()
        .filter_map(|x| match x {
            Action::Cdr(e) => Some(e),
            _ => None,
        })
        .collect();
    let end = cdr_end(&cdrs);
    assert_eq!(end.call_id, cdr_id);
    assert_eq!(end.disposition, Disposition::Answered);
    assert_eq!(end.sip_status, 200);
    assert_eq!(end.hangup_side, Some(switch::HangupSide::Caller));
    assert_eq!(end.hangup_cause, "normal clearing");
    let roles: Vec<LegRole> = end.legs.iter().map(|l| l.role).collect();
    assert_eq!(roles, [LegRole::Caller, LegRole::Callee]);
    assert!(end.legs.iter().all(|l| l.answered_at.is_some()));
    assert_eq!(end.legs[1].sip_call_id, inv.call_id());
    ts.assert_quiet(&a);
    ts.assert_quiet(&b);
    ts.finish();
}

fn uri_of_contact(p: &Phone) -> String {
    super::phone::uri_of(&p.contact())
}

#[test]
fn callee_hangs_up() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    let mut call = answered_call(&mut ts, &mut a, &mut b);
    let bye = b.request(&mut call.b, "BYE", &[], None);
    ts.send(b.peer, &bye);
    ts.expect_status(&b, 200);
    let a_bye = ts.expect_request(&a, "BYE");
    assert_eq!(a_bye.call_id(), call.a.call_id);
    assert_eq!(a_bye.request_uri(), uri_of_contact(&a));
    // In A's dialog we are the UAS: our From is A's To (with our tag), our To is A's From.
    assert_eq!(a_bye.to_tag(), tag_of(&call.a.local));
    assert_eq!(a_bye.tag_in_from(), tag_of(&call.a.remote));
    ts.send(a.peer, &a.respond(&a_bye, 200, "OK", None, None));
    let cdrs = ts.take_cdrs();
    let end = cdr_end(&cdrs);
    assert_eq!(end.hangup_side, Some(switch::HangupSide::Callee));
    assert_eq!(end.disposition, Disposition::Answered);
    ts.assert_quiet(&a);
    ts.assert_quiet(&b);
    ts.finish();
}

#[test]
fn call_over_tcp_uses_tcp_contacts_and_no_retransmissions() {
    let mut ts = TestSwitch::new();
    let mut a = Phone::tcp("1001", "pw1001", 7001, phone(1001).media);
    let mut b = Phone::tcp("1002", "pw1002", 7002, phone(1002).media);
    let mut call = answered_call(&mut ts, &mut a, &mut b);
    assert!(call.a.target.contains("transport=tcp"), "{}", call.a.target);
    let inv = &call.b_invite;
    assert!(
        inv.hdr("Via").starts_with("SIP/2.0/TCP"),
        "{}",
        inv.hdr("Via")
    );
    // Parameter values are case-insensitive; rsip prints TCP.
    let uri = inv.request_uri().to_ascii_lowercase();
    assert!(uri.contains("transport=tcp"), "{uri}");
    // Over TCP the switch's 2xx and BYE are sent once (reliable transport).
    let bye = b.request(&mut call.b, "BYE", &[], None);
    ts.send(b.peer, &bye);
    ts.expect_status(&b, 200);
    let a_bye = ts.expect_request(&a, "BYE");
    assert!(
        a_bye.hdr("Via").starts_with("SIP/2.0/TCP"),
        "{}",
        a_bye.hdr("Via")
    );
    ts.advance(std::time::Duration::from_secs(2));
    ts.assert_quiet(&a);
    ts.send(a.peer, &a.respond(&a_bye, 200, "OK", None, None));
    ts.finish();
}

#[test]
fn bye_crossing_our_bye_gets_481_and_the_call_is_reaped() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    let mut call = answered_call(&mut ts, &mut a, &mut b);
    let b_bye = b.request(&mut call.b, "BYE", &[], None);
    ts.send(b.peer, &b_bye);
    ts.expect_status(&b, 200);
    let our_bye = ts.expect_request(&a, "BYE");
    // A hung up at the same moment: its BYE arrives after ours left.
    let a_bye = a.request(&mut call.a, "BYE", &[], None);
    ts.send(a.peer, &a_bye);
    // Our side of the dialog ended when we sent BYE (RFC 3261 §15.1.1).
    let r = ts.expect_status(&a, 481);
    assert_eq!(r.method(), "BYE");
    ts.send(a.peer, &a.respond(&our_bye, 200, "OK", None, None));
    assert_eq!(
        cdr_end(&ts.take_cdrs()).hangup_side,
        Some(switch::HangupSide::Callee)
    );
    ts.finish();
}

#[test]
fn next_call_may_reuse_the_nonce_with_a_higher_count() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    ts.register(&mut a, 3600);
    ts.register(&mut b, 3600);
    let sdp = a.sdp("sendrecv");
    let mut d = a.new_dialog("1002", "sip:1002@switch.test");
    let req = a.invite(&mut d, &[], Some(("application/sdp", &sdp)));
    ts.send(a.peer, &req);
    let challenge = ts.expect_status(&a, 407);
    ts.send(a.peer, &a.ack_non2xx(&d, &challenge));
    for nc in 1..=2 {
        // Phones keep the nonce and send credentials up front on later calls.
        let mut d = a.new_dialog("1002", "sip:1002@switch.test");
        let auth = a.authorization(&challenge, "INVITE", &d.target, nc);
        let req = a.invite(&mut d, &[auth], Some(("application/sdp", &sdp)));
        ts.send(a.peer, &req);
        ts.expect_status(&a, 100);
        let inv = ts.expect_request(&b, "INVITE");
        ts.send(b.peer, &b.respond(&inv, 486, "Busy Here", Some("bt"), None));
        ts.expect_request(&b, "ACK");
        let r = ts.expect_status(&a, 486);
        ts.send(a.peer, &a.ack_non2xx(&d, &r));
    }
    assert_eq!(ts.sw.stats().calls_started, 2);
    ts.finish();
}

/// Regression: the caller's display name was copied into the callee's From with quotes
/// dropped and backslashes left bare, so a name ending in `\` swallowed the closing quote.
#[test]
fn display_names_with_quotes_and_a_trailing_backslash_reach_the_callee_intact() {
    for name in [r#"Bob "the" Boss\"#, r"C:\", "Kim"] {
        let mut ts = TestSwitch::new();
        let (mut a, mut b) = (phone(1001), phone(1002));
        ts.register(&mut a, 3600);
        ts.register(&mut b, 3600);
        let sdp = a.sdp("sendrecv");
        let mut ad = a.new_dialog("1002", "sip:1002@switch.test");
        let escaped = name.replace('\\', r"\\").replace('"', r#"\""#);
        ad.local = format!("\"{escaped}\" {}", ad.local);
        let body = Some(("application/sdp", sdp.as_str()));
        let req = a.invite(&mut ad, &[], body);
        ts.send(a.peer, &req);
        let challenge = ts.expect_status(&a, 407);
        ts.send(a.peer, &a.ack_non2xx(&ad, &challenge));
        let auth = a.authorization(&challenge, "INVITE", &ad.target, 1);
        let req = a.invite(&mut ad, &[auth], body);
        ts.send(a.peer, &req);
        ts.expect_status(&a, 100);
        let inv = ts.expect_request(&b, "INVITE");
        let parsed = match sip::parse::parse(inv.text.as_bytes()) {
            Ok(rsip::SipMessage::Request(r)) => r,
            other => panic!(
                "the callee's INVITE does not parse: {other:?}\n{}",
                inv.text
            ),
        };
        assert_eq!(
            sip::message::from_display_name(&parsed).as_deref(),
            Some(name),
            "{}",
            inv.hdr("From")
        );
        assert!(
            inv.hdr("From").contains("<sip:1001@"),
            "{}",
            inv.hdr("From")
        );
    }
}
