//! Narrowing an offer to what the switch can decode, so that whatever the two phones agree on
//! can be recorded and its DTMF detected: the first audio stream keeps only PCMU, PCMA and
//! telephone-event/8000 (in the offerer's order), end-to-end encryption keys are not passed on
//! (`a=crypto`, `a=zrtp-hash`, `a=fingerprint`), and `a=rtcp-mux` is removed because the relay
//! keeps RTP and RTCP on separate ports. No transcoding: the two sides can only agree on less.

use super::{LineKind, MediaDescription, SessionDescription};

/// Why an offer leaves nothing the switch could relay and record (the 488 reason).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NarrowError {
    #[error("no audio stream")]
    NoAudio,
    /// The audio stream's profile demands encryption end to end (`RTP/SAVP`, DTLS-SRTP).
    #[error("encrypted media only ({proto})")]
    EncryptedOnly { proto: String },
    /// None of the offered audio codecs is PCMU or PCMA.
    #[error("no codec the switch can record (offered: {offered})")]
    NoDecodableCodec { offered: String },
}

/// Attributes whose keys or hashes would let the two ends encrypt past the relay.
const KEY_ATTRIBUTES: &[&str] = &["crypto", "zrtp-hash", "fingerprint"];
/// Attributes that name a payload type first (`a=<name>:<pt> ...`).
const PER_FORMAT_ATTRIBUTES: &[&str] = &["rtpmap", "fmtp", "rtcp-fb"];

/// Which of the offered formats the switch can decode, by static number or by `a=rtpmap`.
fn decodable(m: &MediaDescription, format: &str) -> bool {
    let Ok(pt) = format.parse::<u8>() else {
        return false;
    };
    match m.rtpmaps.iter().find(|r| r.payload_type == pt) {
        Some(map) => {
            let name = map.encoding.to_ascii_lowercase();
            map.clock_rate == 8000
                && matches!(map.channels, None | Some(1))
                && matches!(name.as_str(), "pcmu" | "pcma" | "telephone-event")
        }
        // Static payload types need no rtpmap (RFC 3551).
        None => pt == 0 || pt == 8,
    }
}

fn is_voice(m: &MediaDescription, format: &str) -> bool {
    let pt = format.parse::<u8>().ok();
    let named_event = m
        .rtpmaps
        .iter()
        .any(|r| Some(r.payload_type) == pt && r.encoding.eq_ignore_ascii_case("telephone-event"));
    !named_event
}

/// `a=<name>[:<value>]` split, or `None` for a line that is not an attribute.
fn attribute(text: &str) -> Option<(&str, Option<&str>)> {
    let value = text.strip_prefix("a=")?;
    Some(match value.split_once(':') {
        Some((n, v)) => (n, Some(v)),
        None => (value, None),
    })
}

/// The narrowed description, or `None` when narrowing changes nothing (the caller keeps or
/// clones the source, which is what parsing the unchanged text again would give).
pub(super) fn narrow(sdp: &SessionDescription) -> Result<Option<SessionDescription>, NarrowError> {
    let (audio, m) = sdp
        .media
        .iter()
        .enumerate()
        .find(|(_, m)| m.media == "audio")
        .ok_or(NarrowError::NoAudio)?;
    let proto = m.proto.to_ascii_uppercase();
    if proto.contains("SAVP") || proto.contains("TLS") {
        return Err(NarrowError::EncryptedOnly {
            proto: m.proto.clone(),
        });
    }
    let kept: Vec<&str> = m
        .formats
        .iter()
        .filter(|f| decodable(m, f))
        .map(String::as_str)
        .collect();
    if !kept.iter().any(|f| is_voice(m, f)) && m.port != 0 {
        return Err(NarrowError::NoDecodableCodec {
            offered: m.formats.join(" "),
        });
    }

    let mut text = String::new();
    // Whether a line was dropped or rewritten; when none was, the result is the source.
    let mut changed = false;
    // Which media section a line is in (`None`: session level), followed as lines go by.
    let mut section: Option<usize> = None;
    for line in &sdp.lines {
        if let LineKind::Media(i) = line.kind {
            section = Some(i);
        }
        if let Some((name, value)) = attribute(&line.text) {
            let in_audio = section == Some(audio);
            if KEY_ATTRIBUTES.contains(&name) && (section.is_none() || in_audio) {
                changed = true;
                continue;
            }
            if in_audio && name == "rtcp-mux" {
                changed = true;
                continue;
            }
            if in_audio && PER_FORMAT_ATTRIBUTES.contains(&name) {
                let pt = value
                    .and_then(|v| v.split_whitespace().next())
                    .unwrap_or("");
                if pt != "*" && !kept.contains(&pt) {
                    changed = true;
                    continue;
                }
            }
        }
        if line.kind == LineKind::Media(audio) && m.port != 0 {
            let start = text.len();
            text.push_str(&format!("m={} {}", m.media, m.port));
            if let Some(n) = m.port_count {
                text.push_str(&format!("/{n}"));
            }
            text.push(' ');
            text.push_str(&m.proto);
            for f in &kept {
                text.push(' ');
                text.push_str(f);
            }
            changed |= text.get(start..) != Some(line.text.as_str());
        } else {
            text.push_str(&line.text);
        }
        text.push_str("\r\n");
    }
    // Nothing to narrow (a phone offering G.711 only, the common case): the text is the
    // source's as printed, and parsing it again would give the source back.
    if !changed && numbered_as_printed(sdp) {
        return Ok(None);
    }
    // What is left is the source's own lines minus some: it parses as the source did.
    super::parse::parse(&text)
        .map(Some)
        .map_err(|_| NarrowError::NoAudio)
}

/// Whether the line numbers the source keeps (of `m=` and `c=` lines) are those its printed
/// form has, i.e. the source had no blank lines that parsing skipped. Only then is parsing the
/// printed source a no-op.
fn numbered_as_printed(sdp: &SessionDescription) -> bool {
    let mut section: Option<usize> = None;
    let mut session_c = None;
    let mut media_c: Vec<Option<usize>> = vec![None; sdp.media.len()];
    for (at, line) in sdp.lines.iter().enumerate() {
        let number = at + 1;
        match line.kind {
            LineKind::Media(i) => {
                section = Some(i);
                if sdp.media.get(i).map(|m| m.line) != Some(number) {
                    return false;
                }
            }
            LineKind::Connection => match section.and_then(|i| media_c.get_mut(i)) {
                Some(c) => *c = Some(number),
                None => session_c = Some(number),
            },
            _ => {}
        }
    }
    sdp.connection.map(|c| c.line) == session_c
        && sdp
            .media
            .iter()
            .zip(&media_c)
            .all(|(m, c)| m.connection.map(|c| c.line) == *c)
}
