//! DTMF from its three sources, as one stream of [`DtmfEvent`]s:
//! - RFC 4733 telephone-events in RTP ([`rfc4733`]),
//! - SIP INFO bodies ([`info`]),
//! - in-band tones in G.711 audio ([`inband`], on [`goertzel`] filters).
//!
//! Phones often send a key two ways at once (RFC 4733 and in-band audio, or INFO and RTP);
//! [`Deduplicator`] keeps the first report of a key press and drops the copies from the other
//! sources. [`RtpDtmf`] bundles the RTP-borne detectors with one deduplicator, as the relay
//! runs them per call.

// Media from the network must never panic the process (see the crate's hardening lints).
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::string_slice,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

pub mod goertzel;
pub mod inband;
pub mod info;
pub mod rfc4733;

#[cfg(test)]
mod inband_tests;

use std::time::{Duration, Instant};

use crate::g711::Codec;
use crate::rtp::RtpPacket;

pub use inband::InbandDetector;
pub use info::{parse_info, InfoError};
pub use rfc4733::{Rfc4733Detector, Rfc4733Error, TelephoneEvent};

/// Where a digit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtmfSource {
    /// RTP telephone-event (RFC 4733).
    Rfc4733,
    /// SIP INFO (`application/dtmf-relay` or `application/dtmf`).
    SipInfo,
    /// Tones in the audio, found by the Goertzel detector.
    InBand,
}

impl DtmfSource {
    fn bit(self) -> u8 {
        match self {
            DtmfSource::Rfc4733 => 1,
            DtmfSource::SipInfo => 2,
            DtmfSource::InBand => 4,
        }
    }
}

/// One key press: `digit` is one of `0-9 * # A-D`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfEvent {
    pub digit: char,
    pub source: DtmfSource,
    /// How long the key was held, as far as the source tells.
    pub duration: Duration,
}

/// The key of an RFC 4733 event code 0–15 (also used by SIP INFO bodies that send codes).
pub fn digit_from_code(code: u8) -> Option<char> {
    b"0123456789*#ABCD"
        .get(usize::from(code))
        .map(|&b| char::from(b))
}

/// Reports of the same key from a different source within this window are copies.
pub const DEDUP_WINDOW: Duration = Duration::from_millis(800);

#[derive(Debug, Clone, Copy)]
struct Recent {
    digit: char,
    at: Instant,
    sources: u8,
}

/// Merges the sources: the first report of a press wins, a report of the same key from another
/// source within [`DEDUP_WINDOW`] is dropped. Repeats from the same source are new presses
/// (each source already reports a press once), so "5 5" typed fast stays two digits.
#[derive(Debug, Clone, Default)]
pub struct Deduplicator {
    recent: [Option<Recent>; 4],
    next: usize,
}

impl Deduplicator {
    pub fn new() -> Self {
        Self::default()
    }

    /// The event if it is a new press, `None` if it copies one already reported.
    pub fn accept(&mut self, event: DtmfEvent, now: Instant) -> Option<DtmfEvent> {
        let bit = event.source.bit();
        let copy = self.recent.iter_mut().flatten().find(|r| {
            r.digit == event.digit
                && r.sources & bit == 0
                && now.saturating_duration_since(r.at) <= DEDUP_WINDOW
        });
        if let Some(original) = copy {
            original.sources |= bit;
            return None;
        }
        if let Some(slot) = self.recent.get_mut(self.next) {
            *slot = Some(Recent {
                digit: event.digit,
                at: now,
                sources: bit,
            });
        }
        self.next = (self.next + 1) % self.recent.len();
        Some(event)
    }
}

/// The DTMF detectors for one RTP stream (what a caller sends to the IVR), deduplicated.
#[derive(Debug, Clone)]
pub struct RtpDtmf {
    telephone_event: Option<Rfc4733Detector>,
    inband: InbandDetector,
    dedup: Deduplicator,
}

impl RtpDtmf {
    /// `telephone_event_pt`: the payload type negotiated for telephone-event/8000, if any.
    pub fn new(telephone_event_pt: Option<u8>) -> Self {
        Self {
            telephone_event: telephone_event_pt.map(|pt| Rfc4733Detector::new(pt, 8000)),
            inband: InbandDetector::new(),
            dedup: Deduplicator::new(),
        }
    }

    /// The negotiated telephone-event payload type changed (re-INVITE).
    pub fn set_telephone_event_pt(&mut self, pt: Option<u8>) {
        if self
            .telephone_event
            .as_ref()
            .map(Rfc4733Detector::payload_type)
            != pt
        {
            self.telephone_event = pt.map(|pt| Rfc4733Detector::new(pt, 8000));
        }
    }

    /// Feed one RTP packet: telephone-events by payload type, G.711 audio to the in-band
    /// detector, anything else ignored. New presses go to `on_digit`.
    pub fn on_rtp(
        &mut self,
        packet: &RtpPacket<'_>,
        now: Instant,
        mut on_digit: impl FnMut(DtmfEvent),
    ) {
        let dedup = &mut self.dedup;
        let mut emit = |e: DtmfEvent| {
            if let Some(e) = dedup.accept(e, now) {
                on_digit(e);
            }
        };
        if let Some(te) = &mut self.telephone_event {
            if packet.payload_type() == te.payload_type() {
                te.on_packet(packet, &mut emit);
                return;
            }
        }
        let Some(codec) = Codec::from_payload_type(packet.payload_type()) else {
            return;
        };
        let mut pcm = [0i16; 160];
        for chunk in packet.payload().chunks(pcm.len()) {
            for (out, &code) in pcm.iter_mut().zip(chunk) {
                *out = codec.decode(code);
            }
            self.inband
                .push(pcm.get(..chunk.len()).unwrap_or_default(), &mut emit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(digit: char, source: DtmfSource) -> DtmfEvent {
        DtmfEvent {
            digit,
            source,
            duration: Duration::from_millis(100),
        }
    }

    #[test]
    fn a_press_seen_by_two_sources_is_reported_once_but_repeats_are_kept() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let mut d = Deduplicator::new();
        assert!(d.accept(ev('5', DtmfSource::Rfc4733), at(0)).is_some());
        assert!(d.accept(ev('5', DtmfSource::InBand), at(30)).is_none());
        // Second press of the same key, both sources again.
        assert!(d.accept(ev('5', DtmfSource::Rfc4733), at(200)).is_some());
        assert!(d.accept(ev('5', DtmfSource::InBand), at(230)).is_none());
        // Another key, then a copy arriving in the other order.
        assert!(d.accept(ev('7', DtmfSource::InBand), at(400)).is_some());
        assert!(d.accept(ev('7', DtmfSource::SipInfo), at(420)).is_none());
        assert!(d.accept(ev('7', DtmfSource::Rfc4733), at(430)).is_none());
        // Outside the window a different source counts as a new press.
        assert!(d
            .accept(ev('7', DtmfSource::Rfc4733), at(430 + 900))
            .is_some());
        assert!(d.accept(ev('9', DtmfSource::InBand), at(2000)).is_some());
    }

    #[test]
    fn codes_map_to_keys() {
        assert_eq!(digit_from_code(0), Some('0'));
        assert_eq!(digit_from_code(10), Some('*'));
        assert_eq!(digit_from_code(11), Some('#'));
        assert_eq!(digit_from_code(15), Some('D'));
        assert_eq!(digit_from_code(16), None);
    }
}
