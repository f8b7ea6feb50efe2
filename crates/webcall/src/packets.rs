//! RTP between the two sides of a leg, as pure functions of packets (no sockets, no clock).
//!
//! Browser to relay: PCMU keeps payload type 0; the browser's telephone-event/8000 type becomes
//! the plain side's ([`WebCallConfig::telephone_event_pt`](crate::WebCallConfig)); header
//! extensions (meaningful only inside the WebRTC session) are dropped; anything else is
//! dropped. Sequence numbers, timestamps and SSRC pass unchanged, so the relay's latching,
//! recorder and RFC 4733 detector see an ordinary SIP phone.
//!
//! Relay to browser: the track has one SSRC and the browser's jitter buffer expects one stream,
//! but what the relay sends changes source (a prompt, then hold music, then the agent), each with
//! its own SSRC, sequence and timestamp. So packets are restamped: our own sequence numbers,
//! and timestamps that continue one frame after the previous source's last packet.

use bytes::Bytes;
use rtc::rtp;
use rtc::shared::marshal::Unmarshal;

/// PCMU's static payload type (RFC 3551).
pub(crate) const PCMU: u8 = 0;
/// Samples in a 20 ms PCMU frame: the step between two sources' timestamps.
const FRAME: u32 = 160;
/// The fixed RTP header the plain side writes (no CSRC, no extension).
const HEADER: usize = 12;

/// The telephone-event payload types on both sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EventTypes {
    /// What the browser negotiated for telephone-event/8000, if it did.
    pub browser: Option<u8>,
    /// What the relay side uses.
    pub plain: u8,
}

/// Writes the browser's packet as plain RTP into `out`; `None` when it is not forwarded.
pub(crate) fn to_plain(packet: &rtp::Packet, events: EventTypes, out: &mut [u8]) -> Option<usize> {
    let h = &packet.header;
    let pt = match h.payload_type {
        PCMU => PCMU,
        pt if Some(pt) == events.browser => events.plain,
        _ => return None,
    };
    let len = HEADER + packet.payload.len();
    let dst = out.get_mut(..len)?;
    let (head, body) = dst.split_at_mut(HEADER);
    head[0] = 0x80;
    head[1] = (u8::from(h.marker) << 7) | pt;
    head[2..4].copy_from_slice(&h.sequence_number.to_be_bytes());
    head[4..8].copy_from_slice(&h.timestamp.to_be_bytes());
    head[8..12].copy_from_slice(&h.ssrc.to_be_bytes());
    body.copy_from_slice(&packet.payload);
    Some(len)
}

/// Replaces a plain PCMU packet's audio with silence (the visitor muted); events pass.
pub(crate) fn silence(packet: &mut [u8]) {
    if packet.get(1).is_some_and(|b| b & 0x7f == PCMU) {
        if let Some(audio) = packet.get_mut(HEADER..) {
            // µ-law 0xFF is zero amplitude.
            audio.fill(0xff);
        }
    }
}

/// The RFC 4733 event code of a DTMF digit (0-9, `*`, `#`, A-D).
pub(crate) fn dtmf_event_code(digit: char) -> Option<u8> {
    match digit.to_ascii_uppercase() {
        d @ '0'..='9' => Some(d as u8 - b'0'),
        '*' => Some(10),
        '#' => Some(11),
        d @ 'A'..='D' => Some(d as u8 - b'A' + 12),
        _ => None,
    }
}

/// Steps of an event the switch sends for the visitor's keypad: 5 × 20 ms, then the end
/// packet three times (RFC 4733 §2.5.1.4: the end is repeated against loss).
const DTMF_STEPS: u16 = 5;
const DTMF_END_REPEATS: u16 = 3;

/// The plain RTP packets of one telephone-event for `digit` (payload type `pt`), starting at
/// sequence `seq`, all with timestamp `ts` (the event's start): a 100 ms event.
pub(crate) fn dtmf_packets(digit: char, pt: u8, ssrc: u32, seq: u16, ts: u32) -> Vec<[u8; 16]> {
    let Some(event) = dtmf_event_code(digit) else {
        return Vec::new();
    };
    let step = FRAME as u16;
    (0..DTMF_STEPS + DTMF_END_REPEATS)
        .map(|i| {
            let end = i >= DTMF_STEPS;
            let duration = step * (i.min(DTMF_STEPS - 1) + 1);
            let mut p = [0u8; 16];
            p[0] = 0x80;
            p[1] = (u8::from(i == 0) << 7) | pt;
            p[2..4].copy_from_slice(&seq.wrapping_add(i).to_be_bytes());
            p[4..8].copy_from_slice(&ts.to_be_bytes());
            p[8..12].copy_from_slice(&ssrc.to_be_bytes());
            p[12] = event;
            // End bit, volume 10 (-10 dBm0).
            p[13] = (u8::from(end) << 7) | 10;
            p[14..16].copy_from_slice(&duration.to_be_bytes());
            p
        })
        .collect()
}

/// Turns the relay's packets into the browser track's one stream.
#[derive(Debug)]
pub(crate) struct ToBrowser {
    ssrc: u32,
    events: EventTypes,
    next_seq: u16,
    /// The relay-side SSRC of the last packet, and the offset added to its timestamps.
    source: Option<(u32, u32)>,
    last_ts: u32,
}

impl ToBrowser {
    /// `ssrc` is the track's; `first_seq` a random start (RFC 3550 §5.1).
    pub(crate) fn new(ssrc: u32, first_seq: u16, events: EventTypes) -> Self {
        Self {
            ssrc,
            events,
            next_seq: first_seq,
            source: None,
            last_ts: 0,
        }
    }

    /// The packet for the browser, or `None` when `datagram` is not RTP the browser takes.
    pub(crate) fn packet(&mut self, datagram: &[u8]) -> Option<rtp::Packet> {
        let mut buf = datagram;
        let mut packet = rtp::Packet::unmarshal(&mut buf).ok()?;
        let h = &mut packet.header;
        h.payload_type = match h.payload_type {
            PCMU => PCMU,
            pt if pt == self.events.plain => self.events.browser?,
            _ => return None,
        };
        let offset = match self.source {
            Some((ssrc, offset)) if ssrc == h.ssrc => offset,
            Some(_) => self.last_ts.wrapping_add(FRAME).wrapping_sub(h.timestamp),
            None => 0,
        };
        self.source = Some((h.ssrc, offset));
        h.timestamp = h.timestamp.wrapping_add(offset);
        self.last_ts = h.timestamp;
        h.ssrc = self.ssrc;
        h.sequence_number = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        h.csrc.clear();
        h.extension = false;
        h.extensions.clear();
        h.extensions_padding = 0;
        h.padding = false;
        packet.payload = Bytes::copy_from_slice(&packet.payload);
        Some(packet)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENTS: EventTypes = EventTypes {
        browser: Some(126),
        plain: 101,
    };

    fn plain(pt: u8, seq: u16, ts: u32, ssrc: u32, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0x80, pt];
        v.extend_from_slice(&seq.to_be_bytes());
        v.extend_from_slice(&ts.to_be_bytes());
        v.extend_from_slice(&ssrc.to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    fn browser(pt: u8, marker: bool, payload: &'static [u8]) -> rtp::Packet {
        rtp::Packet {
            header: rtp::header::Header {
                version: 2,
                marker,
                payload_type: pt,
                sequence_number: 7,
                timestamp: 1600,
                ssrc: 0xdead_beef,
                extension: true,
                extension_profile: 0xBEDE,
                extensions: vec![rtp::header::Extension {
                    id: 1,
                    payload: Bytes::from_static(&[0x30]),
                }],
                ..Default::default()
            },
            payload: Bytes::from_static(payload),
        }
    }

    #[test]
    fn browser_pcmu_and_events_become_plain_rtp_without_extensions() {
        let mut out = [0u8; 1500];
        let n = to_plain(&browser(0, false, &[0xff; 160]), EVENTS, &mut out).expect("pcmu");
        assert_eq!(n, 12 + 160);
        assert_eq!(out[..12], plain(0, 7, 1600, 0xdead_beef, &[])[..]);
        let n = to_plain(&browser(126, true, &[5, 0x8a, 0, 160]), EVENTS, &mut out).expect("dtmf");
        assert_eq!(
            out[..n],
            plain(101 | 0x80, 7, 1600, 0xdead_beef, &[5, 0x8a, 0, 160])[..]
        );
        assert_eq!(
            to_plain(&browser(111, false, &[1]), EVENTS, &mut out),
            None,
            "opus"
        );
        let short = &mut [0u8; 20];
        assert_eq!(
            to_plain(&browser(0, false, &[0xff; 160]), EVENTS, short),
            None
        );
    }

    #[test]
    fn a_keypad_digit_is_one_rfc4733_event() {
        let packets = dtmf_packets('#', 101, 7, 65534, 8000);
        assert_eq!(packets.len(), 8);
        // Marker on the first only; one timestamp; sequence numbers run on (and wrap).
        assert_eq!(packets[0][1], 0x80 | 101);
        assert!(packets[1..].iter().all(|p| p[1] == 101));
        assert!(packets.iter().all(|p| p[4..8] == 8000u32.to_be_bytes()));
        assert_eq!(packets[1][2..4], 65535u16.to_be_bytes());
        assert_eq!(packets[2][2..4], 0u16.to_be_bytes());
        // Event 11 (#), growing durations, then the end bit three times at 100 ms.
        assert!(packets.iter().all(|p| p[12] == 11));
        assert_eq!(packets[0][14..16], 160u16.to_be_bytes());
        assert_eq!(packets[4][14..16], 800u16.to_be_bytes());
        assert!(packets[..5].iter().all(|p| p[13] & 0x80 == 0));
        assert!(packets[5..]
            .iter()
            .all(|p| p[13] & 0x80 != 0 && p[14..16] == 800u16.to_be_bytes()));
        assert_eq!(dtmf_event_code('7'), Some(7));
        assert_eq!(dtmf_event_code('*'), Some(10));
        assert_eq!(dtmf_event_code('d'), Some(15));
        assert!(dtmf_packets('x', 101, 7, 0, 0).is_empty());
    }

    #[test]
    fn relay_packets_join_one_stream_across_source_changes() {
        let mut tb = ToBrowser::new(42, 1000, EVENTS);
        let a = tb.packet(&plain(0, 500, 8000, 1, &[1; 160])).expect("a");
        assert_eq!((a.header.ssrc, a.header.sequence_number), (42, 1000));
        assert_eq!(a.header.timestamp, 8000);
        assert_eq!(a.payload.as_ref(), &[1; 160]);
        let b = tb.packet(&plain(0, 501, 8160, 1, &[1; 160])).expect("b");
        assert_eq!((b.header.sequence_number, b.header.timestamp), (1001, 8160));
        // Another source (hold music): one frame after the last packet, our next sequence.
        let c = tb.packet(&plain(0, 9, 99, 2, &[2; 160])).expect("c");
        assert_eq!((c.header.ssrc, c.header.sequence_number), (42, 1002));
        assert_eq!(c.header.timestamp, 8320);
        let d = tb.packet(&plain(0, 10, 259, 2, &[2; 160])).expect("d");
        assert_eq!(d.header.timestamp, 8480);
        // Events take the browser's type; what the browser cannot take is dropped.
        let e = tb
            .packet(&plain(101, 11, 419, 2, &[1, 0, 0, 160]))
            .expect("event");
        assert_eq!(e.header.payload_type, 126);
        assert!(
            tb.packet(&plain(8, 12, 579, 2, &[0; 160])).is_none(),
            "PCMA"
        );
        assert!(tb.packet(&[0x80, 0]).is_none(), "truncated");
        let mut none = ToBrowser::new(
            42,
            0,
            EventTypes {
                browser: None,
                plain: 101,
            },
        );
        assert!(none.packet(&plain(101, 1, 1, 1, &[1, 0, 0, 160])).is_none());
    }
}
