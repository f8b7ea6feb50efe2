//! Places frames on the recording's sample time line and hands out settled stereo samples.
//! Pure: times come in with the frames and calls, nothing reads a clock. The rules are in the
//! module documentation of `record`.

use std::time::{Duration, Instant};

use super::tap::Frame;
use super::{PausedSpan, SAMPLE_RATE};

/// A forward timestamp step larger than this (1 s) starts the channel's clock again.
const MAX_FORWARD_JUMP: i64 = SAMPLE_RATE as i64;
/// How late an in-order frame may be and still be kept by slipping its channel's clock.
const MAX_SLIP: u64 = 160;
/// Most samples held back before the oldest are written whatever comes (a frame far ahead).
const MAX_PENDING: u64 = 3 * SAMPLE_RATE as u64;

/// Samples handed to the sink at once, at most.
const CHUNK: usize = 2048;

/// What a gap without audio is written from.
static SILENCE: [[i16; 2]; CHUNK] = [[0; 2]; CHUNK];

/// Where settled samples go, in order, a chunk at a time.
pub(crate) trait SampleSink {
    fn pairs(&mut self, pairs: &[[i16; 2]]);
}

impl SampleSink for Vec<[i16; 2]> {
    fn pairs(&mut self, pairs: &[[i16; 2]]) {
        self.extend_from_slice(pairs);
    }
}

/// A channel's RTP clock: the newest timestamp seen and where it was placed.
#[derive(Debug, Clone, Copy)]
struct Clock {
    ssrc: u32,
    timestamp: u32,
    position: u64,
    /// Timestamp of the previous frame if it jumped backwards (a second one re-anchors).
    behind: Option<u32>,
}

#[derive(Debug, Clone, Copy)]
struct Span {
    start: u64,
    end: Option<u64>,
}

/// What happened to the frames given to [`Aligner::push`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct AlignCounters {
    pub placed: u64,
    pub late: u64,
    pub anchors: u64,
    pub slips: u64,
}

pub(crate) struct Aligner {
    start: Instant,
    jitter: u64,
    /// Samples (per channel) handed to the sink.
    written: u64,
    /// Samples from `written` on, not settled yet: index 0 is position `written`. A plain
    /// vector, so settled samples go to the sink as slices of it; what stays is moved to the
    /// front after each write (at most the jitter window, a few kilobytes).
    pending: Vec<[i16; 2]>,
    clocks: [Option<Clock>; 2],
    /// End of the newest audio placed on each channel.
    ends: [u64; 2],
    spans: Vec<Span>,
    /// First span that may still cover a position at or after `written`.
    span_cursor: usize,
    pub counters: AlignCounters,
    /// Frames placed per channel.
    placed: [u64; 2],
}

impl Aligner {
    pub fn new(start: Instant, jitter: Duration) -> Self {
        Self {
            start,
            jitter: samples_in(jitter),
            written: 0,
            pending: Vec::with_capacity(2 * SAMPLE_RATE as usize),
            clocks: [None; 2],
            ends: [0; 2],
            spans: Vec::new(),
            span_cursor: 0,
            counters: AlignCounters::default(),
            placed: [0; 2],
        }
    }

    /// Sample 0 of the recording.
    pub fn start(&self) -> Instant {
        self.start
    }

    /// Samples per channel written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    fn position_at(&self, at: Instant) -> u64 {
        samples_in(at.saturating_duration_since(self.start))
    }

    /// Place a frame's audio (written later by [`Aligner::commit`]). A frame far ahead of
    /// what is written makes the oldest held samples go to `sink` now.
    pub fn push(&mut self, frame: &Frame, sink: &mut impl SampleSink) {
        let Some(position) = self.place(frame) else {
            self.counters.late += 1;
            return;
        };
        let audio = frame.audio();
        let end = position + audio.len() as u64;
        if end > self.written + MAX_PENDING {
            self.advance_to(end - MAX_PENDING, sink);
        }
        let Some(offset) = position.checked_sub(self.written) else {
            self.counters.late += 1;
            return;
        };
        let needed = (end - self.written) as usize;
        if self.pending.len() < needed {
            self.pending.resize(needed, [0, 0]);
        }
        let c = frame.channel.index();
        let table = frame.codec.decode_table();
        let offset = offset as usize;
        for (pair, &code) in self.pending[offset..offset + audio.len()]
            .iter_mut()
            .zip(audio)
        {
            pair[c] = table[usize::from(code)];
        }
        self.ends[c] = self.ends[c].max(end);
        self.counters.placed += 1;
        self.placed[c] += 1;
    }

    /// The frame's position, updating the channel's clock; `None` if it is too late.
    fn place(&mut self, frame: &Frame) -> Option<u64> {
        let c = frame.channel.index();
        let arrival = self.position_at(frame.arrival);
        let Some(clock) = self.clocks[c].filter(|k| k.ssrc == frame.ssrc) else {
            return Some(self.anchor(frame, arrival));
        };
        let delta = i64::from(frame.timestamp.wrapping_sub(clock.timestamp) as i32);
        if delta > MAX_FORWARD_JUMP {
            return Some(self.anchor(frame, arrival));
        }
        if delta < -2 * self.jitter as i64 {
            // One packet far behind is late; a second one right after it is a new time line.
            let follows = clock.behind.is_some_and(|prev| {
                let step = i64::from(frame.timestamp.wrapping_sub(prev) as i32);
                step > 0 && step <= MAX_FORWARD_JUMP
            });
            if follows {
                return Some(self.anchor(frame, arrival));
            }
            if let Some(k) = &mut self.clocks[c] {
                k.behind = Some(frame.timestamp);
            }
            return None;
        }
        let position = clock.position.checked_add_signed(delta)?;
        if delta <= 0 {
            // Reordered or duplicate: in place if not written yet.
            return (position >= self.written).then_some(position);
        }
        let mut position = position;
        if position < self.written {
            let lateness = self.written - position;
            if lateness > MAX_SLIP {
                // Keep the clock (the stream stays in sync), lose this frame.
                self.clocks[c] = Some(Clock {
                    timestamp: frame.timestamp,
                    position,
                    behind: None,
                    ..clock
                });
                return None;
            }
            self.counters.slips += 1;
            position = self.written;
        }
        self.clocks[c] = Some(Clock {
            timestamp: frame.timestamp,
            position,
            behind: None,
            ..clock
        });
        Some(position)
    }

    /// Start the channel's clock at this frame: at its arrival time, never over the channel's
    /// earlier audio nor before what is written.
    fn anchor(&mut self, frame: &Frame, arrival: u64) -> u64 {
        let c = frame.channel.index();
        let position = arrival.max(self.ends[c]).max(self.written);
        self.clocks[c] = Some(Clock {
            ssrc: frame.ssrc,
            timestamp: frame.timestamp,
            position,
            behind: None,
        });
        self.counters.anchors += 1;
        position
    }

    /// Write what is older than the jitter window behind the newest audio.
    pub fn commit(&mut self, sink: &mut impl SampleSink) {
        let newest = self.ends[0].max(self.ends[1]);
        self.advance_to(newest.saturating_sub(self.jitter), sink);
    }

    /// Silence both channels from `at` until [`Aligner::resume`].
    pub fn pause(&mut self, at: Instant) {
        if self.spans.last().is_some_and(|s| s.end.is_none()) {
            return;
        }
        let start = self.position_at(at).max(self.written);
        self.spans.push(Span { start, end: None });
    }

    pub fn resume(&mut self, at: Instant) {
        let end = self.position_at(at);
        if let Some(span) = self.spans.last_mut().filter(|s| s.end.is_none()) {
            span.end = Some(end.max(span.start));
        }
    }

    /// Close a pause still open at `at` and write everything up to `at`: a side that stopped
    /// sending (silence suppression, hold, one-way audio) is silence to the end, so the file
    /// is as long as the recorded part of the call (issue #15). Audio placed past `at` (a
    /// clock running a little fast) is written too.
    pub fn finish(&mut self, at: Instant, sink: &mut impl SampleSink) {
        self.resume(at);
        let paused_end = self.spans.last().and_then(|s| s.end).unwrap_or(0);
        let end = self.ends[0]
            .max(self.ends[1])
            .max(paused_end)
            .max(self.position_at(at));
        self.advance_to(end, sink);
    }

    /// Frames placed on each channel (left, right), for telling a one-way recording.
    pub fn placed_per_channel(&self) -> [u64; 2] {
        self.placed
    }

    /// Paused spans in milliseconds; an open one ends at what is written.
    pub fn paused_spans(&self) -> Vec<PausedSpan> {
        self.spans
            .iter()
            .map(|s| {
                let end = s.end.unwrap_or(self.written).max(s.start);
                PausedSpan {
                    offset_ms: s.start * 1000 / u64::from(SAMPLE_RATE),
                    length_ms: (end - s.start) * 1000 / u64::from(SAMPLE_RATE),
                }
            })
            .collect()
    }

    /// Hand the sink everything before `target`: held samples (silenced where paused), then
    /// silence for a gap beyond them.
    fn advance_to(&mut self, target: u64, sink: &mut impl SampleSink) {
        if target <= self.written {
            return;
        }
        let from = self.written;
        let held = usize::try_from(target - from)
            .unwrap_or(usize::MAX)
            .min(self.pending.len());
        self.silence_paused(from, held);
        for chunk in self.pending[..held].chunks(CHUNK) {
            sink.pairs(chunk);
        }
        self.pending.drain(..held);
        self.written += held as u64;
        // Past the held samples there is no audio: silence, paused or not.
        while self.written < target {
            let n = usize::try_from(target - self.written)
                .unwrap_or(CHUNK)
                .min(CHUNK);
            sink.pairs(&SILENCE[..n]);
            self.written += n as u64;
        }
        self.skip_spans_before(self.written);
    }

    /// Zero the `len` held samples from position `from` that fall in a paused span.
    fn silence_paused(&mut self, from: u64, len: usize) {
        let to = from + len as u64;
        for span in &self.spans[self.span_cursor..] {
            if span.start >= to {
                break;
            }
            let (a, b) = (span.start.max(from), span.end.unwrap_or(u64::MAX).min(to));
            if a < b {
                self.pending[(a - from) as usize..(b - from) as usize].fill([0, 0]);
            }
        }
    }

    /// Move the span cursor past spans that end at or before `position`.
    fn skip_spans_before(&mut self, position: u64) {
        while let Some(span) = self.spans.get(self.span_cursor) {
            match span.end {
                Some(end) if end <= position => self.span_cursor += 1,
                _ => break,
            }
        }
    }
}

fn samples_in(d: Duration) -> u64 {
    (d.as_nanos() * u128::from(SAMPLE_RATE) / 1_000_000_000) as u64
}

#[cfg(test)]
#[path = "align_tests.rs"]
mod tests;
