//! The hand-over between the relay task and the recorder thread: one preallocated
//! single-producer/single-consumer ring per recording, holding variable-length frame records.
//!
//! Why not a channel of fixed-size frames: every `try_send` copied a 520-byte frame (zeroed
//! first) into a cold slot, nine cache lines per packet, and the 500 queues of a busy switch
//! spanned 66 MB. Here a 20 ms G.711 packet costs 23 words (184 bytes, three cache lines),
//! written once, with no read-modify-write, no lock and no allocation. A record is published
//! by its own first word (a release store of a stamp that says "a record starts here, at this
//! position"), so there is no shared head counter whose cache line every packet would have
//! to fetch; the consumer's position is re-read only when the ring looks full.
//!
//! Safe code only: the slots are `AtomicU64`s. The producer writes a record's other words
//! with relaxed stores, then its first word with a release store; the consumer loads a first
//! word with acquire and, if its stamp is the one expected at that position, reads the rest.
//! A stale first word from the previous lap carries a stamp one capacity lower, so it never
//! matches, and the word after each record is set to a value that cannot match before the
//! record is published, so a stale word (a payload word the network chose, say) is never
//! taken for a record either. The consumer hands space back with a release store of `tail`, once per drain.
//!
//! Record layout, in 64-bit words: `stamp | len << 32 | codec << 48 | channel << 49` (stamp:
//! the record's position in words since the start, plus one, modulo 2^32), `timestamp |
//! ssrc << 32`, arrival in nanoseconds since the recording's start, then the payload packed
//! eight bytes a word (little-endian, the last word zero-padded).

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::tap::{Channel, Frame, MAX_PAYLOAD};
use crate::g711::Codec;

/// Header words in front of every record's payload.
const HEADER_WORDS: usize = 3;

/// Words a record with `len` payload bytes takes.
pub(crate) const fn record_words(len: usize) -> usize {
    HEADER_WORDS + len.div_ceil(8)
}

/// Largest ring, in words (8 MiB): positions are 32-bit counters that wrap.
const MAX_WORDS: usize = 1 << 20;

/// A position counter on a cache line of its own, so the producer's stores to `head` do not
/// invalidate the line the consumer's `tail` is on, and the reverse.
#[repr(align(64))]
struct Padded(AtomicU32);

struct Positions {
    /// Words read so far (wrapping); only the consumer stores it.
    tail: Padded,
    /// Set when a control message was sent or the producer is gone: the consumer looks at
    /// the recording's control channel only then, not on every poll.
    signal: AtomicBool,
}

/// Make a ring for `capacity` words of records (at least one record of [`MAX_PAYLOAD`]
/// bytes, at most 8 MiB).
pub(crate) fn ring(capacity: usize) -> (Producer, Consumer) {
    // One word more for the end marker after the last record.
    let capacity = capacity.clamp(record_words(MAX_PAYLOAD), MAX_WORDS) + 1;
    let words: Arc<[AtomicU64]> = (0..capacity).map(|_| AtomicU64::new(0)).collect();
    let positions = Arc::new(Positions {
        tail: Padded(AtomicU32::new(0)),
        signal: AtomicBool::new(false),
    });
    (
        Producer {
            words: Arc::clone(&words),
            positions: Arc::clone(&positions),
            head: 0,
            tail: 0,
            at: 0,
        },
        Consumer {
            words,
            positions,
            tail: 0,
            at: 0,
        },
    )
}

/// The relay task's end. Everything `push` reads is in here, in 40 bytes, so a packet costs
/// the caller one cache line of state (the slice's length travels in the fat pointer, not
/// behind it) besides the slots it writes.
#[repr(C)]
pub(crate) struct Producer {
    words: Arc<[AtomicU64]>,
    positions: Arc<Positions>,
    /// Words written so far (wrapping).
    head: u32,
    /// The consumer's position as last read; re-read only when the ring looks full.
    tail: u32,
    /// Index of the next word to write (`head` modulo the capacity).
    at: u32,
}

/// What a record says besides its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameHead {
    pub channel: Channel,
    pub codec: Codec,
    pub timestamp: u32,
    pub ssrc: u32,
    /// Since the recording's start.
    pub arrival: Duration,
}

impl Producer {
    /// Append one record; `false` (nothing written) when it does not fit or `payload` is
    /// empty or longer than [`MAX_PAYLOAD`].
    #[inline]
    pub fn push(&mut self, head: &FrameHead, payload: &[u8]) -> bool {
        if payload.is_empty() || payload.len() > MAX_PAYLOAD {
            return false;
        }
        let capacity = self.words.len();
        // Both fit in u32: capacity is at most MAX_WORDS, a record at most 63 words. One word
        // more than the record: the end marker after it.
        let need = record_words(payload.len()) as u32;
        let fits = |tail: u32| capacity as u32 - self.head.wrapping_sub(tail) > need;
        if !fits(self.tail) {
            self.tail = self.positions.tail.0.load(Ordering::Acquire);
            if !fits(self.tail) {
                return false;
            }
        }
        let codec = match head.codec {
            Codec::Pcmu => 0,
            Codec::Pcma => 1,
        };
        let channel = match head.channel {
            Channel::Left => 0,
            Channel::Right => 1,
        };
        let nanos = u64::try_from(head.arrival.as_nanos()).unwrap_or(u64::MAX);
        let first_at = self.at as usize;
        let mut at = next(first_at, capacity);
        let mut put = |word: u64| {
            self.words[at].store(word, Ordering::Relaxed);
            at = next(at, capacity);
        };
        put(u64::from(head.timestamp) | u64::from(head.ssrc) << 32);
        put(nanos);
        let mut chunks = payload.chunks_exact(8);
        for chunk in &mut chunks {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(chunk);
            put(u64::from_le_bytes(bytes));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut bytes = [0u8; 8];
            bytes[..rest.len()].copy_from_slice(rest);
            put(u64::from_le_bytes(bytes));
        }
        // The end marker where the next record will start: whatever stale word of an earlier
        // lap is there (a payload word, say, which the network chose) must not pass for a
        // record before the next one is really written.
        let end = self.head.wrapping_add(need);
        self.words[at].store(u64::from(!stamp(end)), Ordering::Relaxed);
        self.at = at as u32;
        // Published: the words above are visible to whoever sees this one.
        let first = u64::from(stamp(self.head))
            | (payload.len() as u64) << 32
            | codec << 48
            | channel << 49;
        self.words[first_at].store(first, Ordering::Release);
        self.head = end;
        true
    }

    /// Tell the consumer to look at its control channel (call after sending on it).
    pub fn signal(&self) {
        self.positions.signal.store(true, Ordering::Release);
    }
}

impl Drop for Producer {
    fn drop(&mut self) {
        // Gone without a word (a recording the session never took): the consumer looks at
        // the control channel and finds it closed.
        self.signal();
    }
}

/// The recorder's end.
pub(crate) struct Consumer {
    words: Arc<[AtomicU64]>,
    positions: Arc<Positions>,
    /// Words read so far (wrapping); published to `positions.tail` after each drain.
    tail: u32,
    /// Index of the next word to read (`tail` modulo the capacity).
    at: usize,
}

impl Consumer {
    /// Hand every record published so far to `each`, in order, through one reused [`Frame`]
    /// whose arrival is `start` plus the record's offset; returns how many. The space goes
    /// back to the producer once, at the end.
    pub fn drain(
        &mut self,
        start: Instant,
        frame: &mut Frame,
        mut each: impl FnMut(&Frame),
    ) -> u64 {
        let capacity = self.words.len();
        let mut count = 0;
        loop {
            let first = self.words[self.at].load(Ordering::Acquire);
            if first as u32 != stamp(self.tail) {
                break;
            }
            // The producer never writes more than MAX_PAYLOAD; clamp anyway so a bug there
            // cannot make an index out of range.
            let len = ((first >> 32) as usize & 0xFFFF).min(MAX_PAYLOAD);
            frame.codec = if first >> 48 & 1 == 0 {
                Codec::Pcmu
            } else {
                Codec::Pcma
            };
            frame.channel = if first >> 49 & 1 == 0 {
                Channel::Left
            } else {
                Channel::Right
            };
            let mut at = next(self.at, capacity);
            let mut get = || {
                let word = self.words[at].load(Ordering::Relaxed);
                at = next(at, capacity);
                word
            };
            let rtp = get();
            frame.timestamp = rtp as u32;
            frame.ssrc = (rtp >> 32) as u32;
            frame.arrival = start + Duration::from_nanos(get());
            frame.len = len as u16;
            for chunk in frame.payload[..len.div_ceil(8) * 8].chunks_exact_mut(8) {
                chunk.copy_from_slice(&get().to_le_bytes());
            }
            self.at = at;
            self.tail = self.tail.wrapping_add(record_words(len) as u32);
            each(frame);
            count += 1;
        }
        if count > 0 {
            self.positions.tail.0.store(self.tail, Ordering::Release);
        }
        count
    }

    /// Whether [`Producer::signal`] was called (or the producer dropped) since the last time;
    /// clears it.
    pub fn take_signal(&self) -> bool {
        // Cheap test first: the swap would take the line from the producer every look.
        self.positions.signal.load(Ordering::Relaxed)
            && self.positions.signal.swap(false, Ordering::Acquire)
    }
}

/// The index after `at` in a ring of `capacity` words.
#[inline(always)]
fn next(at: usize, capacity: usize) -> usize {
    if at + 1 == capacity {
        0
    } else {
        at + 1
    }
}

/// What the first word of a record at `position` (in words since the start) says.
fn stamp(position: u32) -> u32 {
    position.wrapping_add(1)
}

#[cfg(test)]
#[path = "ring_tests.rs"]
mod tests;
