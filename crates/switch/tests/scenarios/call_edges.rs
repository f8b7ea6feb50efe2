//! Less common call paths: late offer, early media, BYE before answer, CANCEL crossing a 2xx,
//! no media ports, a callee that never answers, re-INVITE from the callee, unanswered INFO.

use super::harness::{answered_call, cdr_end, phone, ringing_call, TestSwitch, RELAY_A, RELAY_B};
use std::time::Duration;
use switch::Disposition;
use switch::{Action, Side};

fn m_audio(port: u16) -> String {
    format!("m=audio {port} RTP/AVP 0 101")
}

#[test]
fn late_offer_answer_travels_in_the_callers_ack() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    ts.register(&mut a, 3600);
    ts.register(&mut b, 3600);
    let mut ad = ts.invite(&mut a, "1002", None);
    let inv = ts.expect_request(&b, "INVITE");
    assert!(inv.body().is_empty(), "no offer to relay");
    let offer = b.sdp("sendrecv");
    ts.send(
        b.peer,
        &b.respond(&inv, 200, "OK", Some("bt"), Some(&offer)),
    );
    // B's offer goes to A; B's ACK must wait for A's answer.
    ts.assert_quiet(&b);
    ts.expect_status(&a, 100);
    let ok = ts.expect_status(&a, 200);
    assert_eq!(ok.sdp_line("m=audio"), Some(m_audio(RELAY_A)));
    ad.learn(&ok);
    let answer = a.sdp("sendrecv");
    let branch = a.branch();
    let ack = a.raw(
        &ad,
        "ACK",
        &ad.target,
        &ad.remote,
        ad.invite_cseq,
        &branch,
        &[],
        Some(("application/sdp", &answer)),
    );
    ts.send(a.peer, &ack);
    let b_ack = ts.expect_request(&b, "ACK");
    assert_eq!(b_ack.sdp_line("m=audio"), Some(m_audio(RELAY_B)));
    assert_eq!(b_ack.sdp_line("c=").as_deref(), Some("c=IN IP4 127.0.0.1"));
    let actions = ts.take_actions();
    for (side, media) in [(Side::A, a.media), (Side::B, b.media)] {
        assert!(
            actions.iter().any(
                |x| matches!(x, Action::SetRemote { side: s, rtp, .. } if *s == side && *rtp == media)
            ),
            "SetRemote {side:?}: {actions:?}"
        );
    }
    let bye = a.request(&mut ad, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    let b_bye = ts.expect_request(&b, "BYE");
    ts.send(b.peer, &b.respond(&b_bye, 200, "OK", None, None));
    ts.finish();
}

#[test]
fn early_media_sdp_is_rewritten_for_the_caller() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    let (ad, inv) = ringing_call(&mut ts, &mut a, &mut b);
    let early = b.sdp("sendrecv");
    ts.send(
        b.peer,
        &b.respond(&inv, 183, "Session Progress", Some("btag"), Some(&early)),
    );
    let progress = ts.expect_status(&a, 183);
    assert_eq!(progress.sdp_line("m=audio"), Some(m_audio(RELAY_A)));
    assert!(!progress.body().contains("10.0.0.2"));
    assert!(ts.take_actions().iter().any(|x| matches!(
        x,
        Action::SetRemote { side: Side::B, rtp, .. } if *rtp == b.media
    )));
    ts.send(
        b.peer,
        &b.respond(&inv, 486, "Busy Here", Some("btag"), None),
    );
    ts.expect_request(&b, "ACK");
    let r = ts.expect_status(&a, 486);
    ts.send(a.peer, &a.ack_non2xx(&ad, &r));
    ts.finish();
}

#[test]
fn caller_bye_before_answer_ends_the_call_like_cancel() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    let (mut ad, inv) = ringing_call(&mut ts, &mut a, &mut b);
    // The 180 gave A our To-tag; a (non-compliant) phone sends BYE in the early dialog.
    let bye = a.request(&mut ad, "BYE", &[], None);
    ts.send(a.peer, &bye);
    let ok = ts.expect_status(&a, 200);
    assert_eq!(ok.method(), "BYE");
    let r = ts.expect_status(&a, 487);
    ts.send(a.peer, &a.ack_non2xx(&ad, &r));
    let cancel = ts.expect_request(&b, "CANCEL");
    ts.send(b.peer, &b.respond(&cancel, 200, "OK", Some("btag"), None));
    ts.send(
        b.peer,
        &b.respond(&inv, 487, "Request Terminated", Some("btag"), None),
    );
    ts.expect_request(&b, "ACK");
    let end = cdr_end(&ts.take_cdrs());
    assert_eq!(end.disposition, Disposition::Cancelled);
    assert_eq!(end.hangup_cause, "caller hung up");
    ts.finish();
}

#[test]
fn answer_crossing_the_cancel_is_acked_and_hung_up() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    let (ad, inv) = ringing_call(&mut ts, &mut a, &mut b);
    ts.send(a.peer, &a.cancel(&ad));
    ts.expect_status(&a, 200);
    let r = ts.expect_status(&a, 487);
    ts.send(a.peer, &a.ack_non2xx(&ad, &r));
    let cancel = ts.expect_request(&b, "CANCEL");
    // B answered before our CANCEL reached it.
    let sdp = b.sdp("sendrecv");
    ts.send(
        b.peer,
        &b.respond(&inv, 200, "OK", Some("btag"), Some(&sdp)),
    );
    ts.send(b.peer, &b.respond(&cancel, 200, "OK", Some("btag"), None));
    ts.expect_request(&b, "ACK");
    let bye = ts.expect_request(&b, "BYE");
    assert_eq!(bye.to_tag().as_deref(), Some("btag"));
    ts.send(b.peer, &b.respond(&bye, 200, "OK", None, None));
    ts.assert_quiet(&a);
    assert_eq!(ts.sw.stats().calls_answered, 0);
    let end = cdr_end(&ts.take_cdrs());
    assert_eq!(end.disposition, Disposition::Cancelled);
    ts.finish();
}

#[test]
fn no_media_ports_gives_503() {
    let mut ts = TestSwitch::new();
    ts.auto_media = false;
    let (mut a, mut b) = (phone(1001), phone(1002));
    ts.register(&mut a, 3600);
    ts.register(&mut b, 3600);
    let sdp = a.sdp("sendrecv");
    let ad = ts.invite(&mut a, "1002", Some(&sdp));
    let call = ts
        .take_actions()
        .iter()
        .find_map(|x| match x {
            Action::AllocateMedia { call } => Some(*call),
            _ => None,
        })
        .expect("AllocateMedia");
    let now = ts.now;
    ts.sw
        .media_allocated(now, call, Err("port range exhausted".into()));
    ts.pump();
    let r = ts.expect_status(&a, 503);
    ts.send(a.peer, &a.ack_non2xx(&ad, &r));
    ts.assert_quiet(&b);
    let actions = ts.take_actions();
    assert!(
        !actions.contains(&Action::ReleaseMedia { call }),
        "nothing to release"
    );
    let cdrs: Vec<_> = actions
        .into_iter()
        .filter_map(|x| match x {
            Action::Cdr(e) => Some(e),
            _ => None,
        })
        .collect();
    let end = cdr_end(&cdrs);
    assert_eq!(end.disposition, Disposition::Failed);
    assert_eq!(end.sip_status, 503);
    ts.finish();
}

#[test]
fn cancel_before_media_is_allocated_releases_the_late_ports() {
    let mut ts = TestSwitch::new();
    ts.auto_media = false;
    let (mut a, mut b) = (phone(1001), phone(1002));
    ts.register(&mut a, 3600);
    ts.register(&mut b, 3600);
    let sdp = a.sdp("sendrecv");
    let ad = ts.invite(&mut a, "1002", Some(&sdp));
    ts.send(a.peer, &a.cancel(&ad));
    ts.expect_status(&a, 100);
    ts.expect_status(&a, 200);
    let r = ts.expect_status(&a, 487);
    ts.send(a.peer, &a.ack_non2xx(&ad, &r));
    let call = ts
        .take_actions()
        .iter()
        .find_map(|x| match x {
            Action::AllocateMedia { call } => Some(*call),
            _ => None,
        })
        .expect("AllocateMedia");
    let now = ts.now;
    ts.sw
        .media_allocated(now, call, Ok((super::harness::RELAY_IP, RELAY_A, RELAY_B)));
    ts.pump();
    assert_eq!(ts.take_actions(), [Action::ReleaseMedia { call }]);
    ts.assert_quiet(&b);
    ts.finish();
}

#[test]
fn silent_callee_times_out_without_cancel() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    ts.register(&mut a, 3600);
    ts.register(&mut b, 3600);
    let sdp = a.sdp("sendrecv");
    let ad = ts.invite(&mut a, "1002", Some(&sdp));
    ts.advance(Duration::from_secs(30));
    let copies = ts.drain(&b);
    assert!(copies.len() > 1 && copies.iter().all(|m| m.method() == "INVITE"));
    let r = ts.expect_status(&a, 480);
    ts.send(a.peer, &a.ack_non2xx(&ad, &r));
    // No provisional ever came, so no CANCEL may be sent (RFC 3261 §9.1).
    ts.advance(Duration::from_secs(5));
    assert!(ts.drain(&b).iter().all(|m| m.method() == "INVITE"));
    let end = cdr_end(&ts.take_cdrs());
    assert_eq!(end.disposition, Disposition::NoAnswer);
    ts.finish();
}

#[test]
fn reinvite_from_callee_reaches_caller() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    let mut call = answered_call(&mut ts, &mut a, &mut b);
    let offer = b.sdp("sendrecv");
    let req = b.request(
        &mut call.b,
        "INVITE",
        &[],
        Some(("application/sdp", &offer)),
    );
    ts.send(b.peer, &req);
    ts.expect_status(&b, 100);
    let fwd = ts.expect_request(&a, "INVITE");
    assert_eq!(fwd.call_id(), call.a.call_id);
    assert_eq!(fwd.sdp_line("m=audio"), Some(m_audio(RELAY_A)));
    let answer = a.sdp("sendrecv");
    ts.send(a.peer, &a.respond(&fwd, 200, "OK", None, Some(&answer)));
    ts.expect_request(&a, "ACK");
    let ok = ts.expect_status(&b, 200);
    assert_eq!(ok.sdp_line("m=audio"), Some(m_audio(RELAY_B)));
    assert!(ok.contact_uri().is_some());
    ts.send(b.peer, &b.ack_2xx(&call.b));
    let bye = b.request(&mut call.b, "BYE", &[], None);
    ts.send(b.peer, &bye);
    ts.expect_status(&b, 200);
    let a_bye = ts.expect_request(&a, "BYE");
    ts.send(a.peer, &a.respond(&a_bye, 200, "OK", None, None));
    ts.assert_quiet(&a);
    ts.assert_quiet(&b);
    ts.finish();
}

#[test]
fn unanswered_info_gets_408() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    let mut call = answered_call(&mut ts, &mut a, &mut b);
    let req = b.request(&mut call.b, "INFO", &[], None);
    ts.send(b.peer, &req);
    ts.advance(Duration::from_secs(33));
    assert!(ts.drain(&a).iter().all(|m| m.method() == "INFO"));
    let r = ts.expect_status(&b, 408);
    assert_eq!(r.method(), "INFO");
    assert_eq!(
        ts.sw.stats().calls_active,
        1,
        "a lost INFO does not end the call"
    );
    let bye = b.request(&mut call.b, "BYE", &[], None);
    ts.send(b.peer, &bye);
    ts.expect_status(&b, 200);
    let a_bye = ts.expect_request(&a, "BYE");
    ts.send(a.peer, &a.respond(&a_bye, 200, "OK", None, None));
    ts.finish();
}
