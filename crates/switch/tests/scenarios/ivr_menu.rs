//! Dialplan menus in the switch core: the plan answers with the switch's SDP, a key dials an
//! extension that is bridged without a second answer, menu timeouts and invalid keys under the
//! virtual clock, digits by SIP INFO, and re-INVITEs while the switch is the caller's far end.

use super::harness::{cdr_end, phone, RELAY_A, RELAY_B};
use super::ivr_support::{
    answered_by_plan, assert_switch_sdp, dtmf, is_ringback, ivr_switch, playback_done, played,
    MENU_TIMEOUT,
};
use super::phone::Dlg;
use std::net::SocketAddr;
use std::time::Duration;
use switch::{Action, Side};
use switch::{CdrEvent, Disposition, LegRole};

#[test]
fn menu_key_dials_extension_and_bridges() {
    let mut ts = ivr_switch();
    let (mut a, mut b) = (phone(1001), phone(1002));
    ts.register(&mut b, 3600);
    ts.take_actions();

    let c = answered_by_plan(&mut ts, &mut a, "1588");
    let call = c.call;
    assert_switch_sdp(&c.ok);
    assert!(c.ok.contact_uri().is_some(), "2xx carries our Contact");
    let actions = ts.take_actions();
    assert!(
        actions.contains(&Action::Endpoint {
            call,
            telephone_event_pt: Some(101)
        }),
        "{actions:?}"
    );
    assert!(actions.contains(&Action::SetRemote {
        call,
        side: Side::A,
        rtp: a.media,
        rtcp: Some(SocketAddr::new(a.media.ip(), a.media.port() + 1)),
    }));
    assert_eq!(played(&actions), [vec![440]]);
    assert!(actions.iter().any(|x| matches!(
        x,
        Action::Play {
            codec: media::g711::Codec::Pcmu,
            ..
        }
    )));
    let answered_at = actions
        .iter()
        .find_map(|x| match x {
            Action::Cdr(CdrEvent::Answer { at, .. }) => Some(*at),
            _ => None,
        })
        .expect("CDR answer at the plan's answer");
    ts.assert_quiet(&a);
    ts.assert_quiet(&b);

    // The caller presses 1 during the prompt: the prompt stops and 1002 rings.
    ts.advance(Duration::from_millis(300));
    dtmf(&mut ts, call, '1');
    let actions = ts.take_actions();
    assert_eq!(actions.len(), 2, "{actions:?}");
    assert_eq!(actions[0], Action::StopPlayback { call });
    assert!(is_ringback(&actions[1], call), "{actions:?}");
    let inv = ts.expect_request(&b, "INVITE");
    assert_eq!(inv.request_uri(), format!("sip:1002@{}", b.peer.addr));
    assert_eq!(
        inv.sdp_line("m=audio").as_deref(),
        Some(format!("m=audio {RELAY_B} RTP/AVP 0 101").as_str()),
        "B is offered the switch's SDP on relay port B"
    );
    assert!(inv.body().contains("a=rtpmap:101 telephone-event/8000"));
    assert!(!inv.body().contains("10.0.0."), "A's address must not leak");
    assert!(inv.hdr("From").contains("sip:1001@"), "{}", inv.hdr("From"));

    // Ringing is not news to a caller the switch already answered.
    ts.send(b.peer, &b.respond(&inv, 180, "Ringing", Some("btag"), None));
    ts.assert_quiet(&a);

    ts.advance(Duration::from_secs(2));
    let b_sdp = b.sdp("sendrecv");
    ts.send(
        b.peer,
        &b.respond(&inv, 200, "OK", Some("btag"), Some(&b_sdp)),
    );
    let ack = ts.expect_request(&b, "ACK");
    assert_eq!(ack.to_tag().as_deref(), Some("btag"));
    ts.assert_quiet(&a);
    let actions = ts.take_actions();
    assert!(actions.contains(&Action::Bridge { call }), "{actions:?}");
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
        !actions
            .iter()
            .any(|x| matches!(x, Action::Cdr(CdrEvent::Answer { .. }))),
        "the call was answered once, by the plan: {actions:?}"
    );
    assert_eq!(ts.sw.stats().calls_answered, 1);

    // A hangs up: B gets the BYE on its own dialog.
    let mut ad = c.a;
    let bye = a.request(&mut ad, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    let b_bye = ts.expect_request(&b, "BYE");
    assert_eq!(b_bye.call_id(), inv.call_id());
    assert_eq!(b_bye.to_tag().as_deref(), Some("btag"));
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
    assert_eq!(end.disposition, Disposition::Answered);
    assert_eq!(end.hangup_side, Some(switch::HangupSide::Caller));
    let roles: Vec<LegRole> = end.legs.iter().map(|l| l.role).collect();
    assert_eq!(roles, [LegRole::Caller, LegRole::Callee]);
    assert_eq!(
        end.legs[0].answered_at,
        Some(answered_at),
        "the caller was answered by the plan, before B answered"
    );
    assert!(end.legs[1].answered_at.is_some_and(|t| t > answered_at));
    assert_eq!(end.legs[1].extension, "1002");
    ts.assert_quiet(&a);
    ts.assert_quiet(&b);
    ts.finish();
}

/// A menu's prompt ends, nothing is pressed: the timeout prompt and the menu again; a second
/// silence falls back to `goodbye`, which plays and hangs up (BYE, the switch's side).
#[test]
fn menu_timeouts_fall_back_after_max_attempts() {
    let mut ts = ivr_switch();
    let mut a = phone(1001);
    let c = answered_by_plan(&mut ts, &mut a, "1588");
    let call = c.call;
    assert_eq!(played(&ts.take_actions()), [vec![440]]);

    // The timer only starts once the prompt has played.
    ts.advance(MENU_TIMEOUT * 2);
    assert!(played(&ts.take_actions()).is_empty());
    playback_done(&mut ts, call);
    ts.advance(MENU_TIMEOUT - Duration::from_millis(1));
    assert!(ts.take_actions().is_empty(), "too early for the timeout");
    ts.advance(Duration::from_millis(1));
    assert_eq!(played(&ts.take_actions()), [vec![660, 440]]);
    ts.assert_quiet(&a);

    playback_done(&mut ts, call);
    ts.advance(MENU_TIMEOUT);
    assert_eq!(played(&ts.take_actions()), [vec![300]], "fallback: goodbye");
    ts.assert_quiet(&a);
    playback_done(&mut ts, call);
    let bye = ts.expect_request(&a, "BYE");
    assert_eq!(bye.call_id(), c.a.call_id);
    assert_eq!(bye.tag_in_from(), c.ok.to_tag());
    ts.send(a.peer, &a.respond(&bye, 200, "OK", None, None));
    let end = cdr_end(&ts.take_cdrs());
    assert_eq!(end.disposition, Disposition::Answered);
    assert_eq!(end.hangup_side, Some(switch::HangupSide::Switch));
    assert_eq!(end.hangup_cause, "normal");
    ts.finish();
}

/// Invalid keys replay the menu after the invalid prompt; the second one falls back.
#[test]
fn menu_invalid_keys_fall_back() {
    let mut ts = ivr_switch();
    let mut a = phone(1001);
    let c = answered_by_plan(&mut ts, &mut a, "1588");
    let call = c.call;
    ts.take_actions();
    playback_done(&mut ts, call);
    ts.advance(Duration::from_secs(1));
    dtmf(&mut ts, call, '9');
    let actions = ts.take_actions();
    assert!(
        !actions.contains(&Action::StopPlayback { call }),
        "nothing was playing"
    );
    assert_eq!(played(&actions), [vec![620, 440]]);
    // A key during the replayed prompt barges in and counts.
    dtmf(&mut ts, call, '#');
    let actions = ts.take_actions();
    assert_eq!(actions[0], Action::StopPlayback { call });
    assert_eq!(played(&actions), [vec![300]], "fallback: goodbye");
    playback_done(&mut ts, call);
    let bye = ts.expect_request(&a, "BYE");
    ts.send(a.peer, &a.respond(&bye, 200, "OK", None, None));
    ts.assert_quiet(&a);
    ts.finish();
}

/// A digit by SIP INFO (application/dtmf-relay) drives the menu like an RTP event; the INFO is
/// answered 200. Key 2 queues `support`, served by extension 1003.
#[test]
fn info_digit_drives_menu() {
    let mut ts = ivr_switch();
    let (mut a, mut agent) = (phone(1001), phone(1003));
    ts.register(&mut agent, 3600);
    let c = answered_by_plan(&mut ts, &mut a, "1588");
    let call = c.call;
    ts.take_actions();
    let mut ad = c.a;
    let ok = super::ivr_support::info_digit(&mut ts, &mut a, &mut ad, '2');
    assert_eq!(ok.method(), "INFO");
    let actions = ts.take_actions();
    assert_eq!(actions.len(), 3, "{actions:?}");
    assert_eq!(actions[0], Action::StopPlayback { call });
    assert!(is_ringback(&actions[1], call), "{actions:?}");
    assert!(
        matches!(&actions[2], Action::ScreenPop(p) if p.agent == "a1003" && p.dialled == "1588"),
        "the agent's screen pops: {actions:?}"
    );
    let inv = ts.expect_request(&agent, "INVITE");
    assert_eq!(inv.request_uri(), format!("sip:1003@{}", agent.peer.addr));
    ts.assert_quiet(&a);

    // An INFO that is not a digit is still answered, and changes nothing.
    let info = a.request(&mut ad, "INFO", &[], Some(("application/x-other", "hello")));
    ts.send(a.peer, &info);
    ts.expect_status(&a, 200);

    // The agent answers: bridged; then hangs up, and A gets the BYE.
    ts.send(
        agent.peer,
        &agent.respond(&inv, 200, "OK", Some("agtag"), Some(&agent.sdp("sendrecv"))),
    );
    ts.expect_request(&agent, "ACK");
    assert!(ts.take_actions().contains(&Action::Bridge { call }));
    let mut bd = Dlg::uas(&inv, "agtag");
    let bye = agent.request(&mut bd, "BYE", &[], None);
    ts.send(agent.peer, &bye);
    ts.expect_status(&agent, 200);
    let a_bye = ts.expect_request(&a, "BYE");
    assert_eq!(a_bye.call_id(), ad.call_id);
    ts.send(a.peer, &a.respond(&a_bye, 200, "OK", None, None));
    let end = cdr_end(&ts.take_cdrs());
    assert_eq!(end.hangup_side, Some(switch::HangupSide::Callee));
    assert_eq!(end.legs[1].extension, "1003");
    ts.finish();
}

/// A re-INVITE while the plan runs gets the SDP the switch answered with, unchanged, and moves
/// where the relay sends the caller's media.
#[test]
fn reinvite_in_ivr_gets_same_sdp() {
    let mut ts = ivr_switch();
    let mut a = phone(1001);
    let c = answered_by_plan(&mut ts, &mut a, "1588");
    let call = c.call;
    ts.take_actions();
    let mut ad = c.a;
    let moved = SocketAddr::from(([10, 0, 0, 77], 30000));
    let offer = a
        .sdp("sendrecv")
        .replace("10.0.0.1", "10.0.0.77")
        .replace(&format!("m=audio {} ", a.media.port()), "m=audio 30000 ");
    let reinvite = a.invite(&mut ad, &[], Some(("application/sdp", &offer)));
    ts.send(a.peer, &reinvite);
    let ok = ts.expect_status(&a, 200);
    assert_eq!(ok.method(), "INVITE");
    assert_eq!(ok.body(), c.ok.body(), "same SDP as the answer");
    assert_eq!(ok.to_tag(), c.ok.to_tag());
    assert!(ok
        .sdp_line("m=audio")
        .is_some_and(|m| m.contains(&RELAY_A.to_string())));
    ts.send(a.peer, &a.ack_2xx(&ad));
    let actions = ts.take_actions();
    assert!(
        actions.contains(&Action::SetRemote {
            call,
            side: Side::A,
            rtp: moved,
            rtcp: Some(SocketAddr::from(([10, 0, 0, 77], 30001))),
        }),
        "{actions:?}"
    );
    assert!(played(&actions).is_empty(), "the plan is not disturbed");
    // The menu still works afterwards.
    dtmf(&mut ts, call, '7');
    assert_eq!(played(&ts.take_actions()), [vec![620, 440]]);
    let bye = a.request(&mut ad, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    ts.assert_quiet(&a);
    ts.finish();
}
