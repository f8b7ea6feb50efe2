//! SDP parser and rewriter tests on offers shaped like the ones real phones send.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::*;

const LINPHONE: &str = "v=0\r\n\
o=alice 3016 1720 IN IP4 192.168.1.20\r\n\
s=Talk\r\n\
c=IN IP4 192.168.1.20\r\n\
t=0 0\r\n\
a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics\r\n\
m=audio 7078 RTP/AVP 96 97 98 0 8 101 99 100\r\n\
a=rtpmap:96 opus/48000/2\r\n\
a=fmtp:96 useinbandfec=1\r\n\
a=rtpmap:97 speex/16000\r\n\
a=fmtp:97 vbr=on\r\n\
a=rtpmap:98 speex/8000\r\n\
a=rtpmap:101 telephone-event/48000\r\n\
a=rtpmap:99 telephone-event/16000\r\n\
a=rtpmap:100 telephone-event/8000\r\n";

/// baresip style: LF-only line ends, trailing spaces, a=rtcp with an address, ptime.
const BARESIP: &str = "v=0\n\
o=- 1827498 3141 IN IP4 10.0.0.5  \n\
s=-\n\
c=IN IP4 10.0.0.5\n\
t=0 0\n\
m=audio 10000 RTP/AVP 0 8 101\n\
b=AS:64\n\
a=rtpmap:0 PCMU/8000\n\
a=rtpmap:8 PCMA/8000\n\
a=rtpmap:101 telephone-event/8000\n\
a=fmtp:101 0-15\n\
a=rtcp:10005 IN IP4 10.0.0.6\n\
a=ptime:20\n\
a=sendrecv\n\
\n";

/// SIPp style, IPv6.
const SIPP_V6: &str = "v=0\r\n\
o=user1 53655765 2353687637 IN IP6 2001:db8::10\r\n\
s=-\r\n\
c=IN IP6 2001:db8::10\r\n\
t=0 0\r\n\
m=audio 6000 RTP/AVP 0\r\n\
a=rtpmap:0 PCMU/8000\r\n";

const WITH_VIDEO: &str = "v=0\r\n\
o=bob 1 1 IN IP4 198.51.100.7\r\n\
s=call\r\n\
t=0 0\r\n\
m=audio 4000 RTP/AVP 0 101\r\n\
c=IN IP4 198.51.100.7\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=rtcp:4001\r\n\
a=candidate:1 1 UDP 2130706431 198.51.100.7 4000 typ host\r\n\
m=video 4002 RTP/AVP 96\r\n\
c=IN IP4 198.51.100.8\r\n\
a=rtpmap:96 H264/90000\r\n\
a=rtcp:4003\r\n";

const HOLD_OLD_STYLE: &str = "v=0\r\n\
o=carol 5 6 IN IP4 203.0.113.9\r\n\
s=-\r\n\
c=IN IP4 0.0.0.0\r\n\
t=0 0\r\n\
m=audio 5004 RTP/AVP 0\r\n\
a=sendonly\r\n";

fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
}

fn sa(ip: IpAddr, port: u16) -> SocketAddr {
    SocketAddr::new(ip, port)
}

#[test]
fn linphone_offer_parses() {
    let sdp = SessionDescription::parse(LINPHONE).unwrap();
    assert_eq!(sdp.origin().session_version, "1720");
    assert_eq!(sdp.media().len(), 1);
    let m = &sdp.media()[0];
    assert_eq!(m.proto, "RTP/AVP");
    assert_eq!(m.formats, ["96", "97", "98", "0", "8", "101", "99", "100"]);
    assert_eq!(m.rtpmaps.len(), 6);
    assert_eq!(m.rtpmaps[0].encoding, "opus");
    assert_eq!(m.rtpmaps[0].clock_rate, 48000);
    assert_eq!(m.rtpmaps[0].channels, Some(2));
    let target = sdp.audio_target().unwrap();
    assert_eq!(target.rtp, sa(v4(192, 168, 1, 20), 7078));
    assert_eq!(target.rtcp, Some(sa(v4(192, 168, 1, 20), 7079)));
    assert_eq!(target.direction, Direction::SendRecv);
    assert!(!target.rtcp_mux);
}

#[test]
fn baresip_lf_only_with_rtcp_address() {
    let sdp = SessionDescription::parse(BARESIP).unwrap();
    let target = sdp.audio_target().unwrap();
    assert_eq!(target.rtp, sa(v4(10, 0, 0, 5), 10000));
    assert_eq!(target.rtcp, Some(sa(v4(10, 0, 0, 6), 10005)));
    // Trailing whitespace is not part of the address.
    assert_eq!(sdp.origin().address, "10.0.0.5");
}

#[test]
fn ipv6_offer() {
    let sdp = SessionDescription::parse(SIPP_V6).unwrap();
    let ip: IpAddr = "2001:db8::10".parse().unwrap();
    let target = sdp.audio_target().unwrap();
    assert_eq!(target.rtp, sa(ip, 6000));
    assert_eq!(target.rtcp, Some(sa(ip, 6001)));
}

#[test]
fn media_level_connection_and_rtcp_port() {
    let sdp = SessionDescription::parse(WITH_VIDEO).unwrap();
    assert_eq!(sdp.connection(), None);
    let target = sdp.audio_target().unwrap();
    assert_eq!(target.rtp, sa(v4(198, 51, 100, 7), 4000));
    assert_eq!(target.rtcp, Some(sa(v4(198, 51, 100, 7), 4001)));
    assert_eq!(
        sdp.media_connection(1).map(|c| c.address),
        Some(v4(198, 51, 100, 8))
    );
}

#[test]
fn rtcp_mux_means_no_separate_rtcp_target() {
    let text = SIPP_V6.to_owned() + "a=rtcp-mux\r\n";
    let target = SessionDescription::parse(&text)
        .unwrap()
        .audio_target()
        .unwrap();
    assert!(target.rtcp_mux);
    assert_eq!(target.rtcp, None);
}

#[test]
fn hold_and_direction() {
    let sdp = SessionDescription::parse(HOLD_OLD_STYLE).unwrap();
    assert_eq!(sdp.media()[0].direction, Direction::SendOnly);
    // Nowhere to send to while held with c=0.0.0.0.
    assert_eq!(sdp.audio_target(), None);

    let session_level = "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n\
a=recvonly\r\nm=audio 9 RTP/AVP 0\r\nm=audio 11 RTP/AVP 0\r\na=inactive\r\n";
    let sdp = SessionDescription::parse(session_level).unwrap();
    assert_eq!(sdp.session_direction(), Some(Direction::RecvOnly));
    assert_eq!(sdp.media()[0].direction, Direction::RecvOnly);
    assert_eq!(sdp.media()[1].direction, Direction::Inactive);
    assert_eq!(sdp.audio_target().unwrap().direction, Direction::RecvOnly);
}

#[test]
fn declined_audio_has_no_target() {
    let text = LINPHONE.replace("m=audio 7078", "m=audio 0");
    assert_eq!(
        SessionDescription::parse(&text).unwrap().audio_target(),
        None
    );
}

#[test]
fn display_round_trips_and_normalises_line_ends() {
    for text in [LINPHONE, SIPP_V6, WITH_VIDEO, HOLD_OLD_STYLE] {
        let sdp = SessionDescription::parse(text).unwrap();
        assert_eq!(sdp.to_string(), text);
    }
    let sdp = SessionDescription::parse(BARESIP).unwrap();
    let printed = sdp.to_string();
    assert!(printed.starts_with("v=0\r\no=- 1827498 3141 IN IP4 10.0.0.5\r\n"));
    // Same lines, same numbering: the normalised text parses to the same description.
    assert_eq!(SessionDescription::parse(&printed).unwrap(), sdp);
}

#[test]
fn rewrite_linphone_keeps_codecs_byte_for_byte() {
    let relay = v4(203, 0, 113, 1);
    let out = SessionDescription::parse(LINPHONE)
        .unwrap()
        .rewrite_for_relay(relay, 30000);
    let expected = LINPHONE
        .replace(
            "o=alice 3016 1720 IN IP4 192.168.1.20",
            "o=alice 3016 1720 IN IP4 203.0.113.1",
        )
        .replace("c=IN IP4 192.168.1.20", "c=IN IP4 203.0.113.1")
        .replace("m=audio 7078 ", "m=audio 30000 ");
    assert_eq!(out, expected);
    let target = SessionDescription::parse(&out)
        .unwrap()
        .audio_target()
        .unwrap();
    assert_eq!(target.rtp, sa(relay, 30000));
    assert_eq!(target.rtcp, Some(sa(relay, 30001)));
}

#[test]
fn rewrite_disables_video_moves_rtcp_and_drops_ice() {
    let relay = v4(203, 0, 113, 1);
    let out = SessionDescription::parse(WITH_VIDEO)
        .unwrap()
        .rewrite_for_relay(relay, 30010);
    assert!(out.contains("m=audio 30010 RTP/AVP 0 101\r\n"));
    assert!(out.contains("a=rtcp:30011\r\n"));
    assert!(out.contains("m=video 0 RTP/AVP 96\r\n"));
    assert!(!out.contains("candidate"));
    assert!(!out.contains("198.51.100"));
    assert!(out.contains("a=rtpmap:101 telephone-event/8000\r\n"));
    let again = SessionDescription::parse(&out).unwrap();
    assert_eq!(again.media()[1].port, 0);
    assert_eq!(again.audio_target().unwrap().rtp, sa(relay, 30010));
}

#[test]
fn rewrite_rtcp_with_address_and_family_switch() {
    let relay6: IpAddr = "2001:db8::1".parse().unwrap();
    let out = SessionDescription::parse(BARESIP)
        .unwrap()
        .rewrite_for_relay(relay6, 40000);
    assert!(out.contains("o=- 1827498 3141 IN IP6 2001:db8::1\r\n"));
    assert!(out.contains("c=IN IP6 2001:db8::1\r\n"));
    assert!(out.contains("a=rtcp:40001 IN IP6 2001:db8::1\r\n"));
    assert!(out.contains("a=fmtp:101 0-15\r\n"));
    let target = SessionDescription::parse(&out)
        .unwrap()
        .audio_target()
        .unwrap();
    assert_eq!(target.rtp, sa(relay6, 40000));
    assert_eq!(target.rtcp, Some(sa(relay6, 40001)));

    let relay4 = v4(192, 0, 2, 1);
    let out = SessionDescription::parse(SIPP_V6)
        .unwrap()
        .rewrite_for_relay(relay4, 40002);
    assert!(out.contains("c=IN IP4 192.0.2.1\r\n"));
    assert!(out.contains("o=user1 53655765 2353687637 IN IP4 192.0.2.1\r\n"));
}

#[test]
fn rewrite_keeps_old_style_hold() {
    let out = SessionDescription::parse(HOLD_OLD_STYLE)
        .unwrap()
        .rewrite_for_relay(v4(192, 0, 2, 1), 40000);
    assert!(out.contains("c=IN IP4 0.0.0.0\r\n"));
    assert!(out.contains("a=sendonly\r\n"));
    assert!(out.contains("o=carol 5 6 IN IP4 192.0.2.1\r\n"));
    let out6 = SessionDescription::parse(HOLD_OLD_STYLE)
        .unwrap()
        .rewrite_for_relay(Ipv6Addr::LOCALHOST.into(), 40000);
    assert!(out6.contains("c=IN IP6 ::\r\n"));
}

#[test]
fn rewrite_is_stable_and_follows_source_version() {
    let relay = v4(192, 0, 2, 1);
    let first = SessionDescription::parse(LINPHONE)
        .unwrap()
        .rewrite_for_relay(relay, 30000);
    // Rewriting the rewritten text changes nothing: idempotent.
    let second = SessionDescription::parse(&first)
        .unwrap()
        .rewrite_for_relay(relay, 30000);
    assert_eq!(first, second);
    let bumped = LINPHONE.replace("3016 1720", "3016 1721");
    let out = SessionDescription::parse(&bumped)
        .unwrap()
        .rewrite_for_relay(relay, 30000);
    assert!(out.contains("o=alice 3016 1721 IN IP4 192.0.2.1\r\n"));
}

#[test]
fn malformed_inputs_error_with_line_numbers() {
    let cases: &[(&str, SdpError)] = &[
        ("", SdpError::NotSdp),
        ("INVITE sip:bob@example.com SIP/2.0\r\n", SdpError::NotSdp),
        ("v=1\r\n", SdpError::NotSdp),
        ("v=0\r\ns=-\r\n", SdpError::MissingOrigin),
        ("v=0\r\no=x\r\n", SdpError::BadOrigin { line: 2 }),
        ("v=0\r\no=- 1 x IN IP4 1.2.3.4\r\n", SdpError::BadOrigin { line: 2 }),
        ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nhello\r\n", SdpError::BadLine { line: 3 }),
        ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n=x\r\n", SdpError::BadLine { line: 3 }),
        ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4\r\n", SdpError::BadConnection { line: 3 }),
        ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 ::1\r\n", SdpError::BadConnection { line: 3 }),
        ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 phone.example\r\n", SdpError::BadConnection { line: 3 }),
        ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio\r\n", SdpError::BadMedia { line: 3 }),
        ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 70000 RTP/AVP 0\r\n", SdpError::BadMedia { line: 3 }),
        ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 5/x RTP/AVP 0\r\n", SdpError::BadMedia { line: 3 }),
        ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 5 RTP/AVP 0\r\n", SdpError::MissingConnection { index: 0 }),
        ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\nm=audio 5 RTP/AVP 0\r\na=rtcp:abc\r\n",
            SdpError::BadAttribute { line: 5, name: "rtcp" }),
        ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\nm=audio 5 RTP/AVP 0\r\na=rtcp:9 IN IP4\r\n",
            SdpError::BadAttribute { line: 5, name: "rtcp" }),
        ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\nm=audio 5 RTP/AVP 0\r\na=rtpmap:300 X/8000\r\n",
            SdpError::BadAttribute { line: 5, name: "rtpmap" }),
        ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\nm=audio 5 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n",
            SdpError::BadAttribute { line: 5, name: "rtpmap" }),
    ];
    for (text, expected) in cases {
        assert_eq!(
            SessionDescription::parse(text).as_ref().err(),
            Some(expected),
            "{text:?}"
        );
    }
    assert_eq!(
        SdpError::MissingConnection { index: 0 }.to_string(),
        "missing c= line for media 0"
    );
    assert_eq!(
        SdpError::BadMedia { line: 3 }.to_string(),
        "line 3: bad m= line"
    );
}

#[test]
fn declined_stream_without_connection_is_fine_and_unknown_lines_kept() {
    let text = "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nz=whatever\r\nk=prompt\r\nm=video 0 RTP/AVP 31\r\n";
    let sdp = SessionDescription::parse(text).unwrap();
    assert_eq!(sdp.to_string(), text);
    assert_eq!(sdp.audio_target(), None);
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A cheap deterministic fuzz: mutate real offers byte by byte and truncate them.
    let seeds = [LINPHONE, BARESIP, SIPP_V6, WITH_VIDEO, HOLD_OLD_STYLE];
    let replacements = [b'\n', b' ', b'=', b'/', b':', b'0', b'x', 0xff];
    for seed in seeds {
        let bytes = seed.as_bytes();
        for i in 0..bytes.len() {
            let text = String::from_utf8_lossy(&bytes[..i]);
            if let Ok(sdp) = SessionDescription::parse(&text) {
                let _ = sdp.rewrite_for_relay(v4(1, 1, 1, 1), 2);
            }
            for r in replacements {
                let mut mutated = bytes.to_vec();
                mutated[i] = r;
                let text = String::from_utf8_lossy(&mutated);
                if let Ok(sdp) = SessionDescription::parse(&text) {
                    let _ = sdp.audio_target();
                    let _ = sdp.rewrite_for_relay(v4(1, 1, 1, 1), 65535);
                }
            }
        }
    }
}

// ---- narrowing an offer to what the switch can decode (issue #15) ----

/// Linphone with SDES-SRTP offered as best effort on RTP/AVP, ZRTP and rtcp-mux.
const LINPHONE_AVP_KEYS: &str = "v=0\r\n\
o=alice 3016 1720 IN IP4 192.168.1.20\r\n\
s=Talk\r\n\
c=IN IP4 192.168.1.20\r\n\
t=0 0\r\n\
a=fingerprint:sha-256 AA:BB\r\n\
m=audio 7078 RTP/AVP 96 97 98 8 0 101 100\r\n\
a=rtpmap:96 opus/48000/2\r\n\
a=fmtp:96 useinbandfec=1\r\n\
a=rtpmap:97 speex/16000\r\n\
a=rtpmap:98 speex/8000\r\n\
a=rtpmap:101 telephone-event/48000\r\n\
a=rtpmap:100 telephone-event/8000\r\n\
a=fmtp:100 0-15\r\n\
a=rtcp-fb:* trr-int 1000\r\n\
a=rtcp-mux\r\n\
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n\
a=zrtp-hash:1.10 1234abcd\r\n\
a=sendrecv\r\n";

#[test]
fn narrowing_keeps_only_g711_and_telephone_event_8000_in_the_callers_order() {
    let sdp = SessionDescription::parse(LINPHONE).unwrap();
    let narrow = sdp.narrow_to_decodable().unwrap();
    let audio = &narrow.media()[0];
    assert_eq!(audio.formats, ["0", "8", "100"]);
    let text = narrow.to_string();
    for gone in [
        "opus",
        "speex",
        "telephone-event/48000",
        "telephone-event/16000",
        "fmtp:96",
        "fmtp:97",
    ] {
        assert!(!text.contains(gone), "{gone} still in\n{text}");
    }
    assert!(text.contains("a=rtpmap:100 telephone-event/8000\r\n"));
    assert!(text.contains("a=rtcp-xr:"), "session attributes stay");
}

#[test]
fn narrowing_drops_keys_and_rtcp_mux_and_keeps_the_order() {
    let sdp = SessionDescription::parse(LINPHONE_AVP_KEYS).unwrap();
    let narrow = sdp.narrow_to_decodable().unwrap();
    let text = narrow.to_string();
    assert!(text.contains("m=audio 7078 RTP/AVP 8 0 100\r\n"), "{text}");
    for gone in [
        "a=crypto",
        "a=zrtp-hash",
        "a=fingerprint",
        "a=rtcp-mux",
        "fmtp:96",
    ] {
        assert!(!text.contains(gone), "{gone} still in\n{text}");
    }
    assert!(
        text.contains("a=rtcp-fb:* trr-int 1000\r\n"),
        "wildcard attributes stay"
    );
    assert!(text.contains("a=fmtp:100 0-15\r\n"));
    // Without rtcp-mux the phone sends RTCP to port + 1, and the relay must expect it there.
    let target = narrow.audio_target().unwrap();
    assert!(!target.rtcp_mux);
    assert_eq!(target.rtcp, Some("192.168.1.20:7079".parse().unwrap()));
}

#[test]
fn narrowing_refuses_encrypted_profiles_and_offers_without_g711() {
    let savp = LINPHONE_AVP_KEYS.replace("RTP/AVP", "RTP/SAVP");
    let sdp = SessionDescription::parse(&savp).unwrap();
    assert_eq!(
        sdp.narrow_to_decodable(),
        Err(NarrowError::EncryptedOnly {
            proto: "RTP/SAVP".into()
        })
    );
    let dtls = LINPHONE_AVP_KEYS.replace("RTP/AVP", "UDP/TLS/RTP/SAVPF");
    let sdp = SessionDescription::parse(&dtls).unwrap();
    assert!(matches!(
        sdp.narrow_to_decodable(),
        Err(NarrowError::EncryptedOnly { .. })
    ));
    let opus_only = LINPHONE.replace("RTP/AVP 96 97 98 0 8 101 99 100", "RTP/AVP 96 97 98 101");
    let sdp = SessionDescription::parse(&opus_only).unwrap();
    let err = sdp.narrow_to_decodable().unwrap_err();
    assert_eq!(
        err,
        NarrowError::NoDecodableCodec {
            offered: "96 97 98 101".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "no codec the switch can record (offered: 96 97 98 101)"
    );
}

#[test]
fn narrowing_a_plain_g711_offer_changes_nothing() {
    let sdp = SessionDescription::parse(BARESIP).unwrap();
    let narrow = sdp.narrow_to_decodable().unwrap();
    assert_eq!(narrow.media(), sdp.media());
    assert_eq!(narrow.to_string(), sdp.to_string());
}

/// An offer with nothing to narrow comes back as parsing its printed form gives it (what
/// narrowing returned before it skipped that parse), line numbers included: blank lines,
/// LF line ends, trailing blanks, a media-level `c=`. An `m=` line spaced oddly is rewritten.
#[test]
fn narrowing_nothing_gives_what_parsing_the_printed_offer_gives() {
    let plain = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
                 m=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n";
    let blank_lines = plain.replace("t=0 0\r\n", "t=0 0\r\n\r\n");
    let lf = plain.replace("\r\n", "\n");
    let trailing = plain.replace("s=-\r\n", "s=-  \r\n");
    let media_c = format!("{plain}c=IN IP4 10.0.0.2\r\nc=IN IP4 10.0.0.3\r\n");
    let blank_then_c = format!("{plain}\r\nc=IN IP4 10.0.0.2\r\n");
    let spaced = plain.replace("4000 RTP/AVP 0", "4000  RTP/AVP 0");
    for text in [
        plain.to_string(),
        blank_lines,
        lf,
        trailing,
        media_c,
        blank_then_c,
        BARESIP.to_string(),
    ] {
        let sdp = SessionDescription::parse(&text).unwrap();
        let printed = SessionDescription::parse(&sdp.to_string()).unwrap();
        assert_eq!(sdp.narrow_to_decodable().unwrap(), printed, "{text}");
        assert_eq!(sdp.into_decodable().unwrap(), printed, "{text}");
    }
    let sdp = SessionDescription::parse(&spaced).unwrap();
    let narrow = sdp.narrow_to_decodable().unwrap();
    let text = narrow.to_string();
    assert!(
        text.contains("\r\nm=audio 4000 RTP/AVP 0 8 101\r\n"),
        "{text}"
    );
    assert_eq!(narrow, SessionDescription::parse(&text).unwrap());
    assert_eq!(sdp.into_decodable().unwrap(), narrow);
}

#[test]
fn narrowing_keeps_a_static_pcmu_without_rtpmap_and_other_streams_untouched() {
    let sdp = SessionDescription::parse(WITH_VIDEO).unwrap();
    let narrow = sdp.narrow_to_decodable().unwrap();
    assert_eq!(narrow.media()[0].formats, ["0", "101"]);
    assert_eq!(narrow.media()[1], sdp.media()[1]);
}
