//! The browser's offer, made fit for the WebRTC stack before it sees it.
//!
//! Chromium offers telephone-event twice, at 48000 Hz (for Opus) and at 8000 Hz. webrtc 0.21.1
//! matches telephone-event ignoring the clock rate and then repeats the entry in its answer, so
//! the 48 kHz one is removed here (its payload type leaves the `m=` line, with its `rtpmap`,
//! `fmtp` and `rtcp-fb` lines). The leg answers PCMU on its static payload type 0 only: an
//! offer without it cannot be bridged to the relay without transcoding and is refused.

use crate::WebCallError;

/// The offer as the stack gets it, and what the leg needs to know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedOffer {
    /// The offer without the telephone-events the stack mishandles (CRLF line ends).
    pub sdp: String,
    /// The browser's payload type for telephone-event/8000 in its first audio stream, if any.
    pub telephone_event_pt: Option<u8>,
}

/// One media section's lines (its `m=` line first), or the session part.
struct Section<'a> {
    lines: Vec<&'a str>,
}

impl Section<'_> {
    fn is_audio(&self) -> bool {
        self.lines
            .first()
            .is_some_and(|l| l.starts_with("m=audio "))
    }

    /// `(payload type, encoding, clock rate)` of each `a=rtpmap` line.
    fn rtpmaps(&self) -> Vec<(&str, &str, &str)> {
        self.lines
            .iter()
            .filter_map(|l| l.strip_prefix("a=rtpmap:"))
            .filter_map(|rest| {
                let (pt, codec) = rest.split_once(' ')?;
                let mut parts = codec.trim().split('/');
                let encoding = parts.next()?;
                let rate = parts.next()?;
                Some((pt.trim(), encoding, rate))
            })
            .collect()
    }

    /// The formats of the `m=` line (everything after the protocol).
    fn formats(&self) -> Vec<&str> {
        self.lines
            .first()
            .map(|m| m.split_whitespace().skip(3).collect())
            .unwrap_or_default()
    }
}

/// Strips telephone-events other than 8000 Hz, checks PCMU is offered, and returns the offer.
pub fn prepare_offer(offer: &str) -> Result<PreparedOffer, WebCallError> {
    let bad = |why: &str| Err(WebCallError::BadSdp(why.to_owned()));
    let lines: Vec<&str> = offer
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.is_empty())
        .collect();
    if lines.first() != Some(&"v=0") {
        return bad("an offer starts with v=0");
    }
    if let Some(l) = lines.iter().find(|l| l.as_bytes().get(1) != Some(&b'=')) {
        return Err(WebCallError::BadSdp(format!("not an SDP line: {l:.60}")));
    }
    let mut sections = vec![Section { lines: Vec::new() }];
    for line in lines {
        if line.starts_with("m=") {
            sections.push(Section { lines: Vec::new() });
        }
        if let Some(section) = sections.last_mut() {
            section.lines.push(line);
        }
    }
    let Some(audio) = sections.iter().position(Section::is_audio) else {
        return bad("no audio stream (m=audio)");
    };
    let mut telephone_event_pt = None;
    let mut out: Vec<String> = Vec::new();
    for (index, section) in sections.iter().enumerate() {
        if !section.is_audio() {
            out.extend(section.lines.iter().map(|l| (*l).to_owned()));
            continue;
        }
        let maps = section.rtpmaps();
        let is_event = |enc: &str| enc.eq_ignore_ascii_case("telephone-event");
        let dropped: Vec<&str> = maps
            .iter()
            .filter(|(_, enc, rate)| is_event(enc) && *rate != "8000")
            .map(|(pt, _, _)| *pt)
            .collect();
        let formats = section.formats();
        if index == audio {
            if !formats.contains(&"0") {
                return Err(WebCallError::NoPcmu);
            }
            telephone_event_pt = maps
                .iter()
                .find(|(pt, enc, rate)| is_event(enc) && *rate == "8000" && formats.contains(pt))
                .and_then(|(pt, _, _)| pt.parse().ok());
        }
        for (i, line) in section.lines.iter().enumerate() {
            if i == 0 {
                let head: Vec<&str> = line.split_whitespace().take(3).collect();
                let kept = formats.iter().filter(|f| !dropped.contains(f));
                let m: Vec<&str> = head.into_iter().chain(kept.copied()).collect();
                out.push(m.join(" "));
            } else if !names_dropped_pt(line, &dropped) {
                out.push((*line).to_owned());
            }
        }
    }
    let mut sdp = out.join("\r\n");
    sdp.push_str("\r\n");
    Ok(PreparedOffer {
        sdp,
        telephone_event_pt,
    })
}

/// The payload type of telephone-event/8000 in `sdp` (the leg's answer: one audio stream).
pub fn telephone_event_pt(sdp: &str) -> Option<u8> {
    sdp.lines().find_map(|line| {
        let rest = line.trim_end().strip_prefix("a=rtpmap:")?;
        let (pt, codec) = rest.split_once(' ')?;
        codec
            .eq_ignore_ascii_case("telephone-event/8000")
            .then(|| pt.parse().ok())
            .flatten()
    })
}

/// Whether `line` is an `rtpmap`, `fmtp` or `rtcp-fb` attribute of one of `dropped`.
fn names_dropped_pt(line: &str, dropped: &[&str]) -> bool {
    ["a=rtpmap:", "a=fmtp:", "a=rtcp-fb:"].iter().any(|prefix| {
        line.strip_prefix(prefix)
            .and_then(|rest| rest.split_whitespace().next())
            .is_some_and(|pt| dropped.contains(&pt))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The audio part of an offer from Chromium 156 (createOffer with one microphone track).
    const CHROMIUM: &str = "v=0\r\n\
o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n\
s=-\r\n\
t=0 0\r\n\
a=group:BUNDLE 0\r\n\
a=msid-semantic: WMS\r\n\
m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n\
c=IN IP4 0.0.0.0\r\n\
a=rtcp:9 IN IP4 0.0.0.0\r\n\
a=ice-ufrag:abcd\r\n\
a=ice-pwd:aaaaaaaaaaaaaaaaaaaaaaaa\r\n\
a=fingerprint:sha-256 00:11\r\n\
a=setup:actpass\r\n\
a=mid:0\r\n\
a=sendrecv\r\n\
a=rtcp-mux\r\n\
a=rtpmap:111 opus/48000/2\r\n\
a=rtcp-fb:111 transport-cc\r\n\
a=fmtp:111 minptime=10;useinbandfec=1\r\n\
a=rtpmap:63 red/48000/2\r\n\
a=fmtp:63 111/111\r\n\
a=rtpmap:9 G722/8000\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:13 CN/8000\r\n\
a=rtpmap:110 telephone-event/48000\r\n\
a=fmtp:110 0-15\r\n\
a=rtpmap:126 telephone-event/8000\r\n\
a=fmtp:126 0-15\r\n";

    #[test]
    fn telephone_event_48000_is_stripped_and_8000_kept() {
        let p = prepare_offer(CHROMIUM).expect("prepared");
        assert!(
            p.sdp
                .contains("m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 126\r\n"),
            "{}",
            p.sdp
        );
        assert!(!p.sdp.contains("telephone-event/48000"));
        assert!(!p.sdp.contains("a=fmtp:110"));
        assert!(p.sdp.contains("a=rtpmap:126 telephone-event/8000\r\n"));
        assert!(p.sdp.contains("a=fmtp:126 0-15\r\n"));
        assert!(p.sdp.contains("a=rtpmap:0 PCMU/8000\r\n"));
        // The rest is untouched, in order.
        assert!(p
            .sdp
            .starts_with("v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"));
        assert!(p.sdp.contains("a=fmtp:111 minptime=10;useinbandfec=1\r\n"));
        assert_eq!(p.telephone_event_pt, Some(126));
    }

    #[test]
    fn the_answers_telephone_event_type_is_found() {
        assert_eq!(telephone_event_pt(CHROMIUM), Some(126));
        assert_eq!(telephone_event_pt("v=0\r\na=rtpmap:0 PCMU/8000\r\n"), None);
    }

    #[test]
    fn an_offer_without_telephone_events_passes_unchanged() {
        let offer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=rtpmap:0 PCMU/8000\r\n";
        let p = prepare_offer(offer).expect("prepared");
        assert_eq!(p.sdp, offer);
        assert_eq!(p.telephone_event_pt, None);
    }

    #[test]
    fn lf_line_ends_are_accepted_and_answered_in_crlf() {
        let p = prepare_offer(&CHROMIUM.replace("\r\n", "\n")).expect("prepared");
        assert!(p
            .sdp
            .contains("\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 126\r\n"));
    }

    #[test]
    fn an_offer_without_pcmu_is_refused() {
        let offer = CHROMIUM
            .replace(" 0 8 13", " 8 13")
            .replace("a=rtpmap:0 PCMU/8000\r\n", "");
        assert!(matches!(prepare_offer(&offer), Err(WebCallError::NoPcmu)));
    }

    #[test]
    fn what_is_not_an_audio_offer_is_bad_sdp() {
        for (offer, why) in [
            ("", "v=0"),
            ("hello", "v=0"),
            ("v=0\r\nthis is not sdp\r\n", "not an SDP line"),
            ("v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n", "no audio"),
        ] {
            match prepare_offer(offer) {
                Err(WebCallError::BadSdp(m)) => assert!(m.contains(why), "{offer:?}: {m}"),
                other => panic!("{offer:?}: {other:?}"),
            }
        }
    }
}
