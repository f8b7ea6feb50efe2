//! Issue #15: what the callee is offered. By default only what the switch can decode and
//! record (PCMU, PCMA, telephone-event/8000, in the caller's order), no end-to-end keys, no
//! rtcp-mux; an offer that leaves nothing acceptable gets 488 and a CDR saying why.

use super::harness::{answered_call, cdr_end, config, phone, TestSwitch};
use super::phone::Phone;
use switch::{Disposition, HangupSide, OfferPolicy};

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

#[test]
fn an_srtp_only_reinvite_gets_488_and_the_call_goes_on() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    let mut call = answered_call(&mut ts, &mut a, &mut b);
    let offer = linphone_offer("RTP/SAVP", a.media.port());
    let req = a.request(
        &mut call.a,
        "INVITE",
        &[],
        Some(("application/sdp", &offer)),
    );
    ts.send(a.peer, &req);
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
