//! RFC 4733 telephone-events in RTP. Payload: event (8 bits), E (end), R, volume (6 bits),
//! duration (16 bits, in timestamp units). One key press is one RTP timestamp: the sender
//! repeats the packet while the key is held and sends the end packet three times, so a press
//! is reported once per (SSRC, timestamp), at its first end packet. A press whose end was lost
//! is reported when the next one starts.

use std::time::Duration;

use super::{digit_from_code, DtmfEvent, DtmfSource};
use crate::rtp::RtpPacket;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rfc4733Error {
    #[error("telephone-event payload of {0} bytes, need 4")]
    TooShort(usize),
}

/// One telephone-event payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    pub event: u8,
    pub end: bool,
    /// Power level in -dBm0 (0–63).
    pub volume: u8,
    /// In timestamp units since the event's timestamp.
    pub duration: u16,
}

impl TelephoneEvent {
    /// Parse the first event of a payload (redundant blocks after it are ignored).
    pub fn parse(payload: &[u8]) -> Result<Self, Rfc4733Error> {
        let [event, flags, d0, d1, ..] = *payload else {
            return Err(Rfc4733Error::TooShort(payload.len()));
        };
        Ok(Self {
            event,
            end: flags & 0x80 != 0,
            volume: flags & 0x3F,
            duration: u16::from_be_bytes([d0, d1]),
        })
    }

    pub fn to_bytes(self) -> [u8; 4] {
        let [d0, d1] = self.duration.to_be_bytes();
        [
            self.event,
            (u8::from(self.end) << 7) | (self.volume & 0x3F),
            d0,
            d1,
        ]
    }
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    ssrc: u32,
    timestamp: u32,
    digit: char,
    duration: u16,
}

/// Turns a stream of telephone-event packets into one [`DtmfEvent`] per press.
#[derive(Debug, Clone)]
pub struct Rfc4733Detector {
    payload_type: u8,
    clock_rate: u32,
    pending: Option<Pending>,
    /// (SSRC, timestamp) of the last press reported: its retransmissions and anything older
    /// are ignored.
    last_reported: Option<(u32, u32)>,
}

impl Rfc4733Detector {
    /// `payload_type` as negotiated in SDP; `clock_rate` from its rtpmap (8000 for
    /// telephone-event/8000).
    pub fn new(payload_type: u8, clock_rate: u32) -> Self {
        Self {
            payload_type,
            clock_rate: clock_rate.max(1),
            pending: None,
            last_reported: None,
        }
    }

    pub fn payload_type(&self) -> u8 {
        self.payload_type
    }

    /// Feed a packet; other payload types, short payloads and non-DTMF events are ignored.
    pub fn on_packet(&mut self, packet: &RtpPacket<'_>, mut on_digit: impl FnMut(DtmfEvent)) {
        if packet.payload_type() != self.payload_type {
            return;
        }
        let Ok(event) = TelephoneEvent::parse(packet.payload()) else {
            return;
        };
        let (ssrc, ts) = (packet.ssrc(), packet.timestamp());
        if let Some((last_ssrc, last_ts)) = self.last_reported {
            // Serial-number comparison: a timestamp not after the last press is old news.
            if last_ssrc == ssrc && (ts.wrapping_sub(last_ts) as i32) <= 0 {
                return;
            }
        }
        let Some(digit) = digit_from_code(event.event) else {
            return;
        };
        let held_so_far = match self.pending {
            Some(p) if p.ssrc == ssrc && p.timestamp == ts => p.duration,
            Some(p) => {
                // A new press began while the previous one never ended: it is over.
                self.report(p, &mut on_digit);
                0
            }
            None => 0,
        };
        let pending = Pending {
            ssrc,
            timestamp: ts,
            digit,
            // Updates can arrive reordered: the longest duration seen is the press's.
            duration: event.duration.max(held_so_far),
        };
        if event.end {
            self.report(pending, &mut on_digit);
        } else {
            self.pending = Some(pending);
        }
    }

    /// Report a press whose end never came (call leaving the IVR, stream stopped).
    pub fn flush(&mut self, on_digit: impl FnMut(DtmfEvent)) {
        if let Some(p) = self.pending {
            self.report(p, on_digit);
        }
    }

    fn report(&mut self, p: Pending, mut on_digit: impl FnMut(DtmfEvent)) {
        self.pending = None;
        self.last_reported = Some((p.ssrc, p.timestamp));
        on_digit(DtmfEvent {
            digit: p.digit,
            source: DtmfSource::Rfc4733,
            duration: Duration::from_micros(
                u64::from(p.duration) * 1_000_000 / u64::from(self.clock_rate),
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtp::RtpHeader;

    const PT: u8 = 101;

    fn packet(ts: u32, seq: u16, event: u8, end: bool, duration: u16) -> Vec<u8> {
        let payload = TelephoneEvent {
            event,
            end,
            volume: 10,
            duration,
        }
        .to_bytes();
        let mut out = vec![0u8; 16];
        RtpHeader {
            marker: duration <= 160 && !end,
            payload_type: PT,
            sequence: seq,
            timestamp: ts,
            ssrc: 42,
        }
        .write(&payload, &mut out)
        .unwrap();
        out
    }

    fn run(det: &mut Rfc4733Detector, packets: &[Vec<u8>]) -> Vec<DtmfEvent> {
        let mut got = Vec::new();
        for p in packets {
            det.on_packet(&RtpPacket::parse(p).unwrap(), |e| got.push(e));
        }
        got
    }

    /// A press as a phone sends it: updates every 20 ms, then the end packet three times.
    fn press(ts: u32, seq: &mut u16, event: u8, updates: u16) -> Vec<Vec<u8>> {
        let mut v = Vec::new();
        for i in 1..=updates {
            *seq += 1;
            v.push(packet(ts, *seq, event, false, i * 160));
        }
        for _ in 0..3 {
            *seq += 1;
            v.push(packet(ts, *seq, event, true, (updates + 1) * 160));
        }
        v
    }

    #[test]
    fn parses_the_payload_fields() {
        let e = TelephoneEvent::parse(&[11, 0x8A, 0x03, 0x20]).unwrap();
        assert_eq!(
            e,
            TelephoneEvent {
                event: 11,
                end: true,
                volume: 10,
                duration: 800
            }
        );
        assert_eq!(e.to_bytes(), [11, 0x8A, 0x03, 0x20]);
        assert_eq!(
            TelephoneEvent::parse(&[1, 2, 3]),
            Err(Rfc4733Error::TooShort(3))
        );
    }

    #[test]
    fn one_report_per_press_despite_end_retransmissions() {
        let mut det = Rfc4733Detector::new(PT, 8000);
        let mut seq = 0;
        let mut packets = press(1000, &mut seq, 5, 5);
        packets.extend(press(9000, &mut seq, 5, 3));
        packets.extend(press(17000, &mut seq, 11, 2));
        // A late duplicate of the first press's end, after newer presses.
        packets.push(packet(1000, 1, 5, true, 960));
        let got = run(&mut det, &packets);
        let digits: Vec<char> = got.iter().map(|e| e.digit).collect();
        assert_eq!(digits, vec!['5', '5', '#']);
        assert_eq!(got[0].duration, Duration::from_millis(120));
        assert_eq!(got[2].duration, Duration::from_millis(60));
        assert!(got.iter().all(|e| e.source == DtmfSource::Rfc4733));
    }

    #[test]
    fn lost_end_is_reported_when_the_next_press_starts_and_on_flush() {
        let mut det = Rfc4733Detector::new(PT, 8000);
        let packets = vec![
            packet(100, 1, 1, false, 160),
            packet(100, 2, 1, false, 320),
            packet(900, 3, 2, false, 160),
        ];
        let got = run(&mut det, &packets);
        assert_eq!(got.len(), 1);
        assert_eq!(
            (got[0].digit, got[0].duration),
            ('1', Duration::from_millis(40))
        );
        let mut flushed = Vec::new();
        det.flush(|e| flushed.push(e.digit));
        assert_eq!(flushed, vec!['2']);
        det.flush(|e| flushed.push(e.digit));
        assert_eq!(flushed.len(), 1);
    }

    #[test]
    fn other_payload_types_short_payloads_and_non_dtmf_events_are_ignored() {
        let mut det = Rfc4733Detector::new(96, 8000);
        assert!(run(&mut det, &[packet(1, 1, 5, true, 160)]).is_empty());
        let mut det = Rfc4733Detector::new(PT, 8000);
        let mut short = packet(1, 1, 5, true, 160);
        short.truncate(14);
        let flash = packet(2, 2, 16, true, 160);
        assert!(run(&mut det, &[short, flash]).is_empty());
    }
}
