//! Issue #15: what the callee is offered. By default only what the switch can decode and
//! record (PCMU, PCMA, telephone-event/8000, in the caller's order), no end-to-end keys, no
//! rtcp-mux; an offer that leaves nothing acceptable gets 488 and a CDR saying why.

use super::harness::{answered_call, cdr_end, config, phone, TestSwitch};
use super::phone::Phone;
use switch::{Action, Disposition, HangupSide, OfferPolicy, PolicyEntry, RecordMode, SwitchConfig};

/// Linphone's offer: opus and speex first, G.711 behind, best-effort SDES keys, ZRTP, rtcp-mux.
fn linphone_offer(proto: &str, port: u16) -> String {
    format!(
        "v=0\r\no=alice 3016 1720 IN IP4 127.0.0.1\r\ns=Talk\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio {port} {proto} 96 97 98 0 8 18 101\r\n\
         a=rtpmap:96 opus/48000/2\r\na=fmtp:96 useinbandfec=1\r\n\
         a=rtpmap:97 speex/16000\r\na=rtpmap:98 speex/8000\r\na=rtpmap:18 G729/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\na=rtcp-mux\r\n\
         a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n\
         a=zrtp-hash:1.10 1234abcd\r\n"
    )
}

/// A switch with this policy and two registered phones; the caller sends `offer(caller's
/// media port)`. CDRs of the registrations are taken away.
fn call_with(offers: OfferPolicy, offer: impl Fn(u16) -> String) -> (TestSwitch, Phone, Phone) {
    let mut cfg = config();
    cfg.recording.offers = offers;
    call_under(cfg, offer)
}

/// [`call_with`] under a whole configuration: 1001 calls 1002.
fn call_under(cfg: SwitchConfig, offer: impl Fn(u16) -> String) -> (TestSwitch, Phone, Phone) {
    let mut ts = TestSwitch::with(cfg);
    let (mut a, mut b) = (phone(1001), phone(1002));
    ts.register(&mut a, 3600);
    ts.register(&mut b, 3600);
    ts.take_cdrs();
    let sdp = offer(a.media.port());
    ts.invite(&mut a, "1002", Some(&sdp));
    (ts, a, b)
}

#[test]
fn the_callee_is_offered_only_what_the_switch_can_decode() {
    let (mut ts, _a, b) = call_with(OfferPolicy::Decodable, |p| linphone_offer("RTP/AVP", p));
    let inv = ts.expect_request(&b, "INVITE");
    let body = inv.body();
    assert!(body.contains("RTP/AVP 0 8 101\r\n"), "{body}");
    for gone in [
        "opus",
        "speex",
        "G729",
        "fmtp:96",
        "a=crypto",
        "a=zrtp-hash",
        "a=rtcp-mux",
    ] {
        assert!(
            !body.contains(gone),
            "{gone} offered to the callee:\n{body}"
        );
    }
    assert!(body.contains("a=rtpmap:101 telephone-event/8000"));
}

#[test]
fn offers_go_on_as_written_when_configured_as_is() {
    let (mut ts, _a, b) = call_with(OfferPolicy::AsIs, |p| linphone_offer("RTP/AVP", p));
    let inv = ts.expect_request(&b, "INVITE");
    let body = inv.body();
    assert!(body.contains("RTP/AVP 96 97 98 0 8 18 101\r\n"), "{body}");
    assert!(body.contains("a=crypto") && body.contains("a=rtcp-mux"));
}

#[test]
fn an_encrypted_only_offer_gets_488_and_a_cdr_saying_why() {
    let (mut ts, a, b) = call_with(OfferPolicy::Decodable, |p| linphone_offer("RTP/SAVP", p));
    let resp = ts.expect_status(&a, 488);
    assert_eq!(resp.reason(), "Not Acceptable Here");
    let warning = resp.header("Warning").expect("a Warning header");
    assert!(warning.starts_with("302 "), "{warning}");
    assert!(
        warning.contains("encrypted media only (RTP/SAVP)"),
        "{warning}"
    );
    ts.assert_quiet(&b);
    let end = cdr_end(&ts.take_cdrs());
    assert_eq!(end.disposition, Disposition::Failed);
    assert_eq!(end.sip_status, 488);
    assert_eq!(end.hangup_side, Some(HangupSide::Switch));
    assert_eq!(
        end.hangup_cause,
        "offer not acceptable: encrypted media only (RTP/SAVP)"
    );
}

#[test]
fn an_offer_without_g711_gets_488_with_the_offered_formats() {
    let (mut ts, a, _b) = call_with(OfferPolicy::Decodable, |p| {
        linphone_offer("RTP/AVP", p).replace(" 0 8 18 101", " 18 101")
    });
    let resp = ts.expect_status(&a, 488);
    let warning = resp.header("Warning").expect("a Warning header");
    assert!(warning.starts_with("305 "), "{warning}");
    let end = cdr_end(&ts.take_cdrs());
    assert_eq!(
        end.hangup_cause,
        "offer not acceptable: no codec the switch can record (offered: 96 97 98 18 101)"
    );
}

/// 1001 calls 1002, both answer, then 1001 sends Linphone's SRTP-only offer in a re-INVITE.
fn srtp_reinvite(ts: &mut TestSwitch) -> (Phone, Phone, super::harness::Answered) {
    let (mut a, mut b) = (phone(1001), phone(1002));
    let mut call = answered_call(ts, &mut a, &mut b);
    let offer = linphone_offer("RTP/SAVP", a.media.port());
    let req = a.request(
        &mut call.a,
        "INVITE",
        &[],
        Some(("application/sdp", &offer)),
    );
    ts.send(a.peer, &req);
    (a, b, call)
}

#[test]
fn an_srtp_only_reinvite_gets_488_and_the_call_goes_on() {
    let mut ts = TestSwitch::new();
    let (mut a, b, mut call) = srtp_reinvite(&mut ts);
    let resp = ts.expect_status(&a, 488);
    assert!(resp
        .header("Warning")
        .is_some_and(|w| w.starts_with("302 ")));
    ts.assert_quiet(&b);
    // A plain re-INVITE afterwards is relayed as usual: the call was not touched.
    let hold = a.sdp("sendonly");
    let req = a.request(&mut call.a, "INVITE", &[], Some(("application/sdp", &hold)));
    ts.send(a.peer, &req);
    ts.expect_request(&b, "INVITE");
}

/// A configuration where these extensions carry their own offer policy.
fn with_entries(entries: &[(&str, OfferPolicy)]) -> SwitchConfig {
    let mut cfg = config();
    for (ext, p) in entries {
        cfg.recording
            .entries
            .insert(PolicyEntry::Extension(ext.to_string()), *p);
    }
    cfg
}

/// What the callee (1002) is offered when 1001 calls it with Linphone's offer.
fn callee_offer(cfg: SwitchConfig) -> String {
    let (mut ts, _a, b) = call_under(cfg, |p| linphone_offer("RTP/AVP", p));
    ts.expect_request(&b, "INVITE").body().to_string()
}

const AS_WRITTEN: &str = "RTP/AVP 96 97 98 0 8 18 101\r\n";
const NARROWED: &str = "RTP/AVP 0 8 101\r\n";

#[test]
fn an_as_is_caller_or_callee_passes_offers_as_written() {
    let body = callee_offer(with_entries(&[("1001", OfferPolicy::AsIs)]));
    assert!(
        body.contains(AS_WRITTEN) && body.contains("a=crypto"),
        "{body}"
    );
    let body = callee_offer(with_entries(&[("1002", OfferPolicy::AsIs)]));
    assert!(body.contains(AS_WRITTEN), "{body}");
}

#[test]
fn a_decodable_entry_wins_over_an_as_is_one_and_the_default() {
    let body = callee_offer(with_entries(&[
        ("1001", OfferPolicy::AsIs),
        ("1002", OfferPolicy::Decodable),
    ]));
    assert!(
        body.contains(NARROWED) && !body.contains("a=crypto"),
        "{body}"
    );
    let mut cfg = with_entries(&[("1002", OfferPolicy::Decodable)]);
    cfg.recording.offers = OfferPolicy::AsIs;
    let body = callee_offer(cfg);
    assert!(body.contains(NARROWED), "{body}");
}

/// Issue #15: a call that will be recorded is never as-is, whatever its entries say.
#[test]
fn a_recorded_call_is_decodable_even_from_an_as_is_extension() {
    let mut cfg = with_entries(&[("1001", OfferPolicy::AsIs)]);
    cfg.recording.mode = RecordMode::Selected {
        queues: Default::default(),
        extensions: ["1002".to_string()].into(),
    };
    let body = callee_offer(cfg.clone());
    assert!(
        body.contains(NARROWED) && !body.contains("zrtp-hash"),
        "{body}"
    );
    cfg.recording.mode = RecordMode::All;
    let body = callee_offer(cfg);
    assert!(body.contains(NARROWED), "{body}");
}

/// The policy chosen at the INVITE holds for the whole call: an as-is call relays an
/// SRTP-only re-INVITE that a decodable call would refuse.
#[test]
fn an_as_is_call_relays_an_srtp_reinvite() {
    let mut ts = TestSwitch::with(with_entries(&[("1001", OfferPolicy::AsIs)]));
    let (_a, b, _call) = srtp_reinvite(&mut ts);
    let inv = ts.expect_request(&b, "INVITE");
    assert!(inv.body().contains("RTP/SAVP 96"), "{}", inv.body());
}

/// Issue #15: ZRTP keys are agreed in the media, not the offer; the relay drops ZRTP unless the
/// call's offers went on as written.
#[test]
fn only_an_as_is_call_lets_zrtp_through() {
    let passes = |cfg| {
        let (mut ts, _a, b) = call_under(cfg, |p| linphone_offer("RTP/AVP", p));
        ts.expect_request(&b, "INVITE");
        ts.take_actions()
            .iter()
            .any(|x| matches!(x, Action::PassZrtp { .. }))
    };
    assert!(passes(with_entries(&[("1002", OfferPolicy::AsIs)])));
    assert!(!passes(config()));
}
