//! Mixing for a supervisor on a call (listen, whisper, barge), sans-IO: the relay hands in each
//! RTP packet of the call and of the supervisor, the [`Mixer`] rewrites call packets in place
//! when the mode says their receiver hears the supervisor, and writes the packets the supervisor
//! hears. No clock, no I/O, no allocation: frames live in fixed buffers.
//!
//! Timing, without a jitter buffer and without delaying the call:
//! - What the supervisor hears is customer and agent summed. Call frames wait in a short queue
//!   per party ([`PAIR_DEPTH`] frames) for the other party's, and are summed and sent in order
//!   as soon as it comes; only when a party's queue is full (the other party is silent or gone)
//!   does its oldest frame go alone. So the supervisor's stream carries one packet per pair of
//!   call frames (its timestamps keep real time even when the two streams arrive in bursts), lags
//!   the call by at most [`PAIR_DEPTH`] frames, and never loses audio.
//! - What the supervisor says rides on the call's own packets: the latest supervisor frame
//!   waits in a slot per receiver and is summed into the next packet going to that receiver
//!   (the agent in whisper and barge, also the customer in barge), which keeps its header, so
//!   the call's sequence numbers, timestamps and timing stay the phones'. A supervisor frame
//!   that finds no packet going out before the next one replaces it (dropped, not queued).
//! - Only G.711 (PCMU, PCMA) is mixed; other payloads (telephone-event, comfort noise) pass
//!   untouched and are not heard by the supervisor. Frames longer than [`MAX_FRAME`] samples
//!   are mixed over their first [`MAX_FRAME`] samples.

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

use std::str::FromStr;

use crate::g711::Codec;
use crate::rtp::{RtpHeader, RtpPacket, HEADER_LEN};

/// Most samples of a frame the mixer handles: 60 ms at 8 kHz (ptime 20 is 160).
pub const MAX_FRAME: usize = 480;

/// Call frames of one party that wait for the other's before going alone (60 ms).
pub const PAIR_DEPTH: usize = 3;

/// Room for the longest packet the mixer writes for the supervisor.
pub const MAX_OUT_PACKET: usize = HEADER_LEN + MAX_FRAME;

/// How a supervisor takes part in a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MonitorMode {
    /// Hears customer and agent; heard by nobody.
    Listen,
    /// Hears both; heard by the agent only.
    Whisper,
    /// A three-way call: everybody hears everybody.
    Barge,
}

impl MonitorMode {
    pub const ALL: [MonitorMode; 3] = [Self::Listen, Self::Whisper, Self::Barge];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Listen => "listen",
            Self::Whisper => "whisper",
            Self::Barge => "barge",
        }
    }

    /// Whether the party receives the supervisor's voice in this mode.
    pub fn heard_by(self, receiver: Party) -> bool {
        match (self, receiver) {
            (Self::Listen, _) => false,
            (Self::Whisper, Party::Agent) => true,
            (Self::Whisper, Party::Customer) => false,
            (Self::Barge, _) => true,
        }
    }
}

/// Not `listen`, `whisper` or `barge`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("monitor mode must be \"listen\", \"whisper\" or \"barge\", not {0:?}")]
pub struct BadMonitorMode(pub String);

impl FromStr for MonitorMode {
    type Err = BadMonitorMode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| BadMonitorMode(s.to_string()))
    }
}

/// One of the two people in the monitored call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Party {
    Customer,
    Agent,
}

impl Party {
    fn other(self) -> Party {
        match self {
            Party::Customer => Party::Agent,
            Party::Agent => Party::Customer,
        }
    }
}

/// Linear samples of one frame; `len == 0` is an empty slot.
#[derive(Clone)]
struct Frame {
    samples: [i16; MAX_FRAME],
    len: usize,
}

impl Frame {
    const EMPTY: Frame = Frame {
        samples: [0; MAX_FRAME],
        len: 0,
    };

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn samples(&self) -> &[i16] {
        self.samples.get(..self.len).unwrap_or(&[])
    }

    fn decode(&mut self, codec: Codec, payload: &[u8]) {
        self.len = decode(codec, payload, &mut self.samples);
    }
}

/// Frames of one party waiting for the other's, oldest first.
#[derive(Clone)]
struct FrameQueue {
    frames: [Frame; PAIR_DEPTH],
    head: usize,
    len: usize,
}

impl FrameQueue {
    const EMPTY: FrameQueue = FrameQueue {
        frames: [Frame::EMPTY, Frame::EMPTY, Frame::EMPTY],
        head: 0,
        len: 0,
    };

    fn front(&self) -> Option<&Frame> {
        (self.len > 0).then(|| self.frames.get(self.head)).flatten()
    }

    fn pop(&mut self) {
        if self.len > 0 {
            self.head = (self.head + 1) % PAIR_DEPTH;
            self.len -= 1;
        }
    }

    /// Swap `frame` into the back (the caller checked there is room).
    fn push(&mut self, frame: &mut Frame) {
        if let Some(slot) = self.frames.get_mut((self.head + self.len) % PAIR_DEPTH) {
            std::mem::swap(slot, frame);
            self.len += 1;
        }
    }
}

/// Decode a G.711 payload into `out` (as much as fits); returns the samples written.
// A `u8` index into a 256-entry table cannot be out of bounds.
#[allow(clippy::indexing_slicing)]
pub fn decode(codec: Codec, payload: &[u8], out: &mut [i16]) -> usize {
    let table = codec.decode_table();
    let mut n = 0;
    for (o, &c) in out.iter_mut().zip(payload) {
        *o = table[usize::from(c)];
        n += 1;
    }
    n
}

/// Sum `add` into the G.711 payload in place, saturating: each code becomes
/// `encode(decode(code) + add)`; codes past `add`'s end are left as they are.
// A `u8` index into a 256-entry table cannot be out of bounds.
#[allow(clippy::indexing_slicing)]
pub fn mix_into_payload(codec: Codec, payload: &mut [u8], add: &[i16]) {
    let table = codec.decode_table();
    for (c, &a) in payload.iter_mut().zip(add) {
        *c = codec.encode(table[usize::from(*c)].saturating_add(a));
    }
}

/// Encode `a + b` (saturating; the longer one's tail alone) into `out`; returns the codes written.
pub fn encode_sum(codec: Codec, a: &[i16], b: &[i16], out: &mut [u8]) -> usize {
    let n = a.len().max(b.len()).min(out.len());
    for (i, o) in out.iter_mut().take(n).enumerate() {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        *o = codec.encode(x.saturating_add(y));
    }
    n
}

/// Counters of one monitoring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MixStats {
    /// Packets written for the supervisor.
    pub to_supervisor: u64,
    /// Call packets the supervisor's voice was summed into.
    pub mixed_into_call: u64,
    /// Supervisor frames replaced before a call packet could carry them.
    pub supervisor_dropped: u64,
}

/// The mixing state of one supervisor on one call.
pub struct Mixer {
    mode: MonitorMode,
    /// What the supervisor's phone receives.
    codec: Codec,
    /// Call frames waiting for the other party's: the customer's, the agent's.
    heard: [FrameQueue; 2],
    /// The supervisor's latest frame, waiting for the next packet to that receiver.
    spoken: [Frame; 2],
    /// Scratch for a call frame being decoded.
    scratch: Frame,
    header: RtpHeader,
    stats: MixStats,
}

impl Mixer {
    /// `ssrc`, `sequence` and `timestamp` start the supervisor's stream; they should be random
    /// (RFC 3550 §5.1).
    pub fn new(mode: MonitorMode, codec: Codec, ssrc: u32, sequence: u16, timestamp: u32) -> Self {
        Self {
            mode,
            codec,
            heard: [FrameQueue::EMPTY, FrameQueue::EMPTY],
            spoken: [Frame::EMPTY, Frame::EMPTY],
            scratch: Frame::EMPTY,
            header: RtpHeader {
                marker: true,
                payload_type: codec.payload_type(),
                sequence,
                timestamp,
                ssrc,
            },
            stats: MixStats::default(),
        }
    }

    pub fn mode(&self) -> MonitorMode {
        self.mode
    }

    /// Switch mode at once; a receiver that no longer hears the supervisor gets nothing more
    /// of what was waiting for it.
    pub fn set_mode(&mut self, mode: MonitorMode) {
        self.mode = mode;
        for receiver in [Party::Customer, Party::Agent] {
            if !mode.heard_by(receiver) {
                self.spoken_mut(receiver).len = 0;
            }
        }
    }

    fn spoken_mut(&mut self, receiver: Party) -> &mut Frame {
        let [to_customer, to_agent] = &mut self.spoken;
        match receiver {
            Party::Customer => to_customer,
            Party::Agent => to_agent,
        }
    }

    pub fn stats(&self) -> MixStats {
        self.stats
    }

    /// Whether a packet to `receiver` must be looked at (its payload may change). Nothing
    /// to do for a receiver that does not hear the supervisor.
    #[inline]
    pub fn touches(&self, receiver: Party) -> bool {
        self.mode.heard_by(receiver)
    }

    /// An RTP packet `from` one party, about to be relayed to the other: the supervisor's
    /// waiting frame is summed into it if the receiver hears the supervisor. When the
    /// supervisor has a frame to hear, it is written into `out` as a whole RTP packet and its
    /// length returned (`out` should hold [`MAX_OUT_PACKET`] bytes).
    pub fn on_call_packet(
        &mut self,
        from: Party,
        datagram: &mut [u8],
        out: &mut [u8],
    ) -> Option<usize> {
        let (codec, range) = {
            let packet = RtpPacket::parse(datagram).ok()?;
            let codec = Codec::from_payload_type(packet.payload_type())?;
            let end = datagram.len() - packet.padding_len();
            (codec, end - packet.payload().len()..end)
        };
        let payload = datagram.get_mut(range)?;
        // What the supervisor hears is the call before the supervisor is added to it.
        self.scratch.decode(codec, payload);
        let receiver = from.other();
        if self.mode.heard_by(receiver) {
            let spoken = self.spoken_mut(receiver);
            if !spoken.is_empty() {
                mix_into_payload(codec, payload, spoken.samples());
                spoken.len = 0;
                self.stats.mixed_into_call += 1;
            }
        }
        self.hear(from, out)
    }

    /// Pair the frame in `scratch` with the other party's oldest waiting one and write what is
    /// due for the supervisor. At most one party has frames waiting at a time.
    fn hear(&mut self, from: Party, out: &mut [u8]) -> Option<usize> {
        let [customer, agent] = &mut self.heard;
        let (mine, theirs) = match from {
            Party::Customer => (customer, agent),
            Party::Agent => (agent, customer),
        };
        let (header, codec) = (&mut self.header, self.codec);
        let len = if let Some(other) = theirs.front() {
            let len = write_packet(header, codec, out, self.scratch.samples(), other.samples());
            theirs.pop();
            len
        } else if mine.len == PAIR_DEPTH {
            // The other party sent nothing for a while: this one's oldest frame goes alone.
            let len = mine
                .front()
                .and_then(|f| write_packet(header, codec, out, f.samples(), &[]));
            mine.pop();
            mine.push(&mut self.scratch);
            len
        } else {
            mine.push(&mut self.scratch);
            return None;
        };
        if len.is_some() {
            self.stats.to_supervisor += 1;
        }
        len
    }

    /// An RTP packet from the supervisor's phone: kept for the receivers that hear it.
    pub fn on_supervisor_packet(&mut self, datagram: &[u8]) {
        if self.mode == MonitorMode::Listen {
            return;
        }
        let Ok(packet) = RtpPacket::parse(datagram) else {
            return;
        };
        let Some(codec) = Codec::from_payload_type(packet.payload_type()) else {
            return;
        };
        for receiver in [Party::Customer, Party::Agent] {
            if self.mode.heard_by(receiver) {
                let slot = self.spoken_mut(receiver);
                let replaced = !slot.is_empty();
                slot.decode(codec, packet.payload());
                self.stats.supervisor_dropped += u64::from(replaced);
            }
        }
    }
}

/// Write one packet of `a + b` for the supervisor and move the stream on by its samples.
fn write_packet(
    header: &mut RtpHeader,
    codec: Codec,
    out: &mut [u8],
    a: &[i16],
    b: &[i16],
) -> Option<usize> {
    let n = encode_sum(codec, a, b, out.get_mut(HEADER_LEN..)?);
    // The payload is in place already: write the header alone in front of it.
    header.write(&[], out.get_mut(..HEADER_LEN)?).ok()?;
    header.marker = false;
    header.sequence = header.sequence.wrapping_add(1);
    header.timestamp = header.timestamp.wrapping_add(n as u32);
    Some(HEADER_LEN + n)
}

#[cfg(test)]
#[path = "mix_tests.rs"]
mod tests;
