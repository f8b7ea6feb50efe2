//! The prompt player, sans-IO: a queue of prompts becomes RTP packets on a fixed 20 ms grid.
//! Packet `n` of a talkspurt is due at `t0 + n·20 ms` (computed from `t0`, never by adding
//! 20 ms to the previous deadline, so nothing drifts over hours of music on hold), carries
//! timestamp +160 per packet, and the first packet of each talkspurt has the marker bit.
//! Between talkspurts the timestamp advances with the wall clock, as RFC 3550 asks.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::g711::Codec;
use crate::prompt::{Prompt, FRAME_SAMPLES};
use crate::rtp::{RtpError, RtpHeader};

/// Packet interval.
pub const PTIME: Duration = Duration::from_millis(20);

/// One packet to send; `payload` borrows the prompt's pre-encoded frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    pub header: RtpHeader,
    pub payload: &'a [u8],
}

impl Packet<'_> {
    /// Serialise into `out`; returns the length.
    pub fn write(&self, out: &mut [u8]) -> Result<usize, RtpError> {
        self.header.write(self.payload, out)
    }
}

/// What the player reports besides packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlayerEvent {
    /// The queue played to its end (never for a looping queue, nor after [`Player::stop`]).
    Finished,
}

#[derive(Debug)]
struct Playback {
    prompts: Vec<Arc<Prompt>>,
    codec: Codec,
    looping: bool,
    /// Position of the next frame to send (valid unless `exhausted`).
    prompt: usize,
    frame: usize,
    exhausted: bool,
    /// Start of this talkspurt and packets sent in it.
    t0: Instant,
    sent: u64,
    /// Timestamp of the talkspurt's first packet.
    ts0: u32,
}

impl Playback {
    fn due(&self, packet: u64) -> Instant {
        // From t0 each time, so rounding never accumulates.
        self.t0 + Duration::from_micros(packet * PTIME.as_micros() as u64)
    }

    /// Move the position onto a frame that exists: past empty prompts, around a looping queue;
    /// `exhausted` when there is none.
    fn settle(&mut self) {
        let mut wrapped = false;
        loop {
            if self.prompt >= self.prompts.len() {
                if !self.looping || wrapped || self.prompts.is_empty() {
                    self.exhausted = true;
                    return;
                }
                self.prompt = 0;
                wrapped = true;
            }
            if self.frame < self.prompts[self.prompt].frames() {
                return;
            }
            self.prompt += 1;
            self.frame = 0;
        }
    }
}

/// A sans-IO RTP sender for prompts. Drive it with [`Player::poll_packet`] at
/// [`Player::poll_timeout`], and read [`Player::poll_event`] after.
#[derive(Debug)]
pub struct Player {
    ssrc: u32,
    payload_type: u8,
    next_seq: u16,
    start_ts: u32,
    /// When the stream's timestamp was `start_ts`; set by the first play.
    epoch: Option<Instant>,
    /// Timestamp the next packet would have if the stream were contiguous.
    next_ts: u32,
    playing: Option<Playback>,
    finished: bool,
}

impl Player {
    pub fn new(ssrc: u32, payload_type: u8, start_seq: u16, start_ts: u32) -> Self {
        Self {
            ssrc,
            payload_type,
            next_seq: start_seq,
            start_ts,
            epoch: None,
            next_ts: start_ts,
            playing: None,
            finished: false,
        }
    }

    /// Play `prompts` in order from `now` (looping forever if `looping`: music on hold),
    /// replacing whatever was playing. The first packet is due at once, with the marker bit.
    pub fn play(&mut self, now: Instant, prompts: Vec<Arc<Prompt>>, codec: Codec, looping: bool) {
        let epoch = *self.epoch.get_or_insert(now);
        let ts0 = if self.playing.is_some() {
            // Replacing a running talkspurt: its timestamps go on without a gap.
            self.next_ts
        } else {
            // After silence the timestamp reflects elapsed time, but never goes back.
            let elapsed = now.saturating_duration_since(epoch);
            let wall = self
                .start_ts
                .wrapping_add((elapsed.as_micros() * 8 / 1000) as u32);
            if (wall.wrapping_sub(self.next_ts) as i32) > 0 {
                wall
            } else {
                self.next_ts
            }
        };
        self.finished = false;
        let mut playback = Playback {
            prompts,
            codec,
            looping,
            prompt: 0,
            frame: 0,
            exhausted: false,
            t0: now,
            sent: 0,
            ts0,
        };
        playback.settle();
        self.playing = Some(playback);
    }

    /// Payload type of the packets from now on (the codec of the next [`Player::play`] may
    /// differ from the first one's).
    pub fn set_payload_type(&mut self, payload_type: u8) {
        self.payload_type = payload_type;
    }

    /// Stop at once (barge-in). No [`PlayerEvent::Finished`] follows.
    pub fn stop(&mut self) {
        self.playing = None;
        self.finished = false;
    }

    pub fn is_playing(&self) -> bool {
        self.playing.is_some()
    }

    /// When the next packet (or the end of the last one) is due; `None` when idle.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.playing.as_ref().map(|p| p.due(p.sent))
    }

    /// The next packet if it is due at `now`. Call until `None`: a caller that woke late gets
    /// the packets it missed back to back, which keeps the stream on its grid. The queue
    /// finishes when its last packet's 20 ms have passed.
    pub fn poll_packet(&mut self, now: Instant) -> Option<Packet<'_>> {
        let p = self.playing.as_mut()?;
        if now < p.due(p.sent) {
            return None;
        }
        if p.exhausted {
            self.playing = None;
            self.finished = true;
            return None;
        }
        let (prompt, frame) = (p.prompt, p.frame);
        let timestamp = p
            .ts0
            .wrapping_add((p.sent as u32).wrapping_mul(FRAME_SAMPLES as u32));
        let header = RtpHeader {
            marker: p.sent == 0,
            payload_type: self.payload_type,
            sequence: self.next_seq,
            timestamp,
            ssrc: self.ssrc,
        };
        p.sent += 1;
        p.frame += 1;
        p.settle();
        self.next_seq = self.next_seq.wrapping_add(1);
        self.next_ts = timestamp.wrapping_add(FRAME_SAMPLES as u32);
        let p = self.playing.as_ref()?;
        let payload = p.prompts[prompt].frame(p.codec, frame)?;
        Some(Packet { header, payload })
    }

    /// Events since the last call.
    pub fn poll_event(&mut self) -> Option<PlayerEvent> {
        std::mem::take(&mut self.finished).then_some(PlayerEvent::Finished)
    }
}

#[cfg(test)]
#[path = "player_tests.rs"]
mod tests;
