//! Requests inside an answered call: re-INVITE (hold, glare), INFO, and the relay's media timeout.

use super::harness::{answered_call, cdr_end, phone, TestSwitch, RELAY_A, RELAY_B};
use switch::{Action, Side};

#[test]
fn hold_reinvite_is_relayed_with_rewritten_sdp_and_pauses_media_timeout() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    let mut call = answered_call(&mut ts, &mut a, &mut b);

    let hold = a.sdp("sendonly");
    let req = a.request(&mut call.a, "INVITE", &[], Some(("application/sdp", &hold)));
    ts.send(a.peer, &req);
    let fwd = ts.expect_request(&b, "INVITE");
    assert_eq!(fwd.call_id(), call.b_invite.call_id(), "sent in B's dialog");
    assert_eq!(fwd.to_tag().as_deref(), Some("btag1"));
    assert!(
        fwd.cseq().0 > call.b_invite.cseq().0,
        "CSeq grows in B's dialog"
    );
    assert_eq!(fwd.sdp_line("c=").as_deref(), Some("c=IN IP4 127.0.0.1"));
    assert_eq!(
        fwd.sdp_line("m=audio").as_deref(),
        Some(format!("m=audio {RELAY_B} RTP/AVP 0 101").as_str())
    );
    assert!(
        fwd.body().contains("a=sendonly"),
        "direction kept:\n{}",
        fwd.body()
    );
    let actions = ts.take_actions();
    assert!(
        actions.contains(&Action::MediaTimeout {
            call: call.call,
            enabled: false
        }),
        "hold pauses the silence check: {actions:?}"
    );

    let answer = b.sdp("recvonly");
    ts.send(b.peer, &b.respond(&fwd, 200, "OK", None, Some(&answer)));
    let ack = ts.expect_request(&b, "ACK");
    assert_eq!(ack.cseq().0, fwd.cseq().0);
    let ok = ts.expect_status(&a, 200);
    assert_eq!(ok.method(), "INVITE");
    assert_eq!(
        ok.sdp_line("m=audio").as_deref(),
        Some(format!("m=audio {RELAY_A} RTP/AVP 0 101").as_str())
    );
    assert!(ok.body().contains("a=recvonly"));
    assert_eq!(ok.to_tag(), super::phone::tag_of(&call.a.remote));
    ts.send(a.peer, &a.ack_2xx(&call.a));
    assert!(ts.take_actions().contains(&Action::SetRemote {
        call: call.call,
        side: Side::B,
        rtp: b.media,
        rtcp: Some(std::net::SocketAddr::new(b.media.ip(), b.media.port() + 1)),
    }));

    // Resume: the silence check comes back.
    let resume = a.sdp("sendrecv");
    let req = a.request(
        &mut call.a,
        "INVITE",
        &[],
        Some(("application/sdp", &resume)),
    );
    ts.send(a.peer, &req);
    let fwd = ts.expect_request(&b, "INVITE");
    assert!(ts.take_actions().contains(&Action::MediaTimeout {
        call: call.call,
        enabled: true
    }));
    let answer = b.sdp("sendrecv");
    ts.send(b.peer, &b.respond(&fwd, 200, "OK", None, Some(&answer)));
    ts.expect_request(&b, "ACK");
    ts.expect_status(&a, 200);
    ts.send(a.peer, &a.ack_2xx(&call.a));
    ts.assert_quiet(&a);
    ts.assert_quiet(&b);

    hang_up_from_a(&mut ts, &a, &b, &mut call);
    ts.finish();
}

fn hang_up_from_a(
    ts: &mut TestSwitch,
    a: &super::phone::Phone,
    b: &super::phone::Phone,
    call: &mut super::harness::Answered,
) {
    let mut a = a.clone();
    let bye = a.request(&mut call.a, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    let b_bye = ts.expect_request(b, "BYE");
    ts.send(b.peer, &b.respond(&b_bye, 200, "OK", None, None));
    ts.assert_quiet(&a);
    ts.assert_quiet(b);
}

#[test]
fn reinvite_glare_gets_491() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    let mut call = answered_call(&mut ts, &mut a, &mut b);
    let hold = a.sdp("sendonly");
    let req = a.request(&mut call.a, "INVITE", &[], Some(("application/sdp", &hold)));
    ts.send(a.peer, &req);
    let fwd = ts.expect_request(&b, "INVITE");

    // B re-INVITEs before answering ours.
    let offer = b.sdp("sendrecv");
    let req = b.request(
        &mut call.b,
        "INVITE",
        &[],
        Some(("application/sdp", &offer)),
    );
    ts.send(b.peer, &req);
    let pending = ts.expect_status(&b, 491);
    assert_eq!(pending.method(), "INVITE");
    ts.send(b.peer, &b.ack_non2xx(&call.b, &pending));

    // The first re-INVITE still completes.
    let answer = b.sdp("recvonly");
    ts.send(b.peer, &b.respond(&fwd, 200, "OK", None, Some(&answer)));
    ts.expect_request(&b, "ACK");
    ts.expect_status(&a, 200);
    ts.send(a.peer, &a.ack_2xx(&call.a));
    ts.assert_quiet(&a);
    ts.assert_quiet(&b);
    hang_up_from_a(&mut ts, &a, &b, &mut call);
    ts.finish();
}

#[test]
fn info_from_callee_is_relayed_to_caller() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    let mut call = answered_call(&mut ts, &mut a, &mut b);
    let dtmf = "Signal=5\r\nDuration=160\r\n";
    let req = b.request(
        &mut call.b,
        "INFO",
        &[],
        Some(("application/dtmf-relay", dtmf)),
    );
    ts.send(b.peer, &req);
    let info = ts.expect_request(&a, "INFO");
    assert_eq!(info.call_id(), call.a.call_id);
    assert_eq!(info.hdr("Content-Type"), "application/dtmf-relay");
    assert_eq!(info.body(), dtmf);
    ts.assert_quiet(&b);
    ts.send(a.peer, &a.respond(&info, 200, "OK", None, None));
    let ok = ts.expect_status(&b, 200);
    assert_eq!(ok.method(), "INFO");
    assert_eq!(ok.cseq().0, call.b.cseq);
    ts.assert_quiet(&a);
    hang_up_from_a(&mut ts, &a, &b, &mut call);
    ts.finish();
}

#[test]
fn media_timeout_hangs_up_both_sides() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    let call = answered_call(&mut ts, &mut a, &mut b);
    ts.advance(std::time::Duration::from_secs(5));
    let now = ts.now;
    ts.sw.media_timeout(now, call.call);
    ts.pump();
    for p in [&a, &b] {
        let bye = ts.expect_request(p, "BYE");
        ts.send(p.peer, &p.respond(&bye, 200, "OK", None, None));
    }
    let actions = ts.take_actions();
    assert!(actions.contains(&Action::ReleaseMedia { call: call.call }));
    let cdrs: Vec<_> = actions
        .into_iter()
        .filter_map(|x| match x {
            Action::Cdr(e) => Some(e),
            _ => None,
        })
        .collect();
    let end = cdr_end(&cdrs);
    assert_eq!(end.hangup_cause, "media timeout");
    assert_eq!(end.hangup_side, Some(switch::HangupSide::Switch));
    assert_eq!(end.disposition, switch::Disposition::Answered);
    // CDR times follow the virtual clock: answered, then 5 s of talk.
    let talk = end.ended_at - end.legs[0].answered_at.expect("answered");
    assert_eq!(talk, chrono::Duration::seconds(5));
    ts.assert_quiet(&a);
    ts.assert_quiet(&b);
    ts.finish();
}

#[test]
fn rejected_reinvite_is_relayed_and_clears_the_pending_flag() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    let mut call = answered_call(&mut ts, &mut a, &mut b);
    for round in 0..2 {
        let offer = a.sdp("sendonly");
        let req = a.request(
            &mut call.a,
            "INVITE",
            &[],
            Some(("application/sdp", &offer)),
        );
        ts.send(a.peer, &req);
        let fwd = ts.expect_request(&b, "INVITE");
        ts.send(
            b.peer,
            &b.respond(&fwd, 488, "Not Acceptable Here", None, None),
        );
        // The transaction layer ACKs B's non-2xx itself.
        ts.expect_request(&b, "ACK");
        let r = ts.expect_status(&a, 488);
        assert_eq!(r.method(), "INVITE", "round {round}");
        ts.send(a.peer, &a.ack_non2xx(&call.a, &r));
        ts.assert_quiet(&a);
        ts.assert_quiet(&b);
    }
    assert_eq!(
        ts.sw.stats().calls_active,
        1,
        "a refused re-INVITE keeps the call"
    );
    hang_up_from_a(&mut ts, &a, &b, &mut call);
    ts.finish();
}

/// Regression: an offerless re-INVITE's answer (in the originator's ACK) was dropped and the
/// other leg got an ACK without SDP.
#[test]
fn offerless_reinvite_relays_the_answer_in_the_ack() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    let mut call = answered_call(&mut ts, &mut a, &mut b);
    let req = a.request(&mut call.a, "INVITE", &[], None);
    ts.send(a.peer, &req);
    let fwd = ts.expect_request(&b, "INVITE");
    assert!(fwd.body().is_empty());
    let offer = b.sdp("sendrecv");
    ts.send(b.peer, &b.respond(&fwd, 200, "OK", None, Some(&offer)));
    // B's ACK must wait for A's answer.
    ts.assert_quiet(&b);
    let ok = ts.expect_status(&a, 200);
    assert_eq!(
        ok.sdp_line("m=audio").as_deref(),
        Some(format!("m=audio {RELAY_A} RTP/AVP 0 101").as_str())
    );
    let answer = a.sdp("sendrecv");
    let branch = a.branch();
    let d = &call.a;
    let ack = a.raw(
        d,
        "ACK",
        &d.target,
        &d.remote,
        d.invite_cseq,
        &branch,
        &[],
        Some(("application/sdp", &answer)),
    );
    ts.send(a.peer, &ack);
    let b_ack = ts.expect_request(&b, "ACK");
    assert_eq!(b_ack.cseq().0, fwd.cseq().0);
    assert_eq!(
        b_ack.sdp_line("m=audio").as_deref(),
        Some(format!("m=audio {RELAY_B} RTP/AVP 0 101").as_str())
    );
    assert!(ts.take_actions().contains(&Action::SetRemote {
        call: call.call,
        side: Side::A,
        rtp: a.media,
        rtcp: Some(std::net::SocketAddr::new(a.media.ip(), a.media.port() + 1)),
    }));
    ts.assert_quiet(&a);
    ts.assert_quiet(&b);
    hang_up_from_a(&mut ts, &a, &b, &mut call);
    ts.finish();
}
