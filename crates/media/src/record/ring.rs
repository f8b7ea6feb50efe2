//! The hand-over between the relay task and the recorder thread: one preallocated
//! single-producer/single-consumer ring per recording, holding variable-length frame records.
//!
//! Why not a channel of fixed-size frames: every `try_send` copied a 520-byte frame (zeroed
//! first) into a cold slot, nine cache lines per packet, and the 500 queues of a busy switch
//! spanned 66 MB. Here a 20 ms G.711 packet costs 23 words (184 bytes, three cache lines),
//! written once, and publishing it is one release store: no read-modify-write, no lock, no
//! allocation, and the consumer's position is re-read only when the ring looks full.
//!
//! Safe code only: the slots are `AtomicU64`s written and read with relaxed ordering (plain
//! moves on the platforms we run on); the release store of `head` after a record's words and
//! the acquire load of it before reading them order the words, the same pair on `tail` hands
//! the space back.
//!
//! Record layout, in 64-bit words: `timestamp | ssrc << 32`, arrival in nanoseconds since the
//! recording's start, `len | codec << 16 | channel << 17`, then the payload packed eight bytes
//! a word (little-endian, the last word zero-padded).

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

/// What the producer stores, on the line the consumer reads once per look.
#[repr(align(64))]
struct HeadLine {
    /// Words written so far (wrapping).
    head: AtomicU32,
    /// Set when a control message was sent or the producer is gone: the consumer looks at
    /// the recording's control channel only then, not on every poll.
    signal: AtomicBool,
}

struct Positions {
    head: HeadLine,
    /// Words read so far; only the consumer stores it.
    tail: Padded,
}

/// Make a ring of `capacity` words (at least one record of [`MAX_PAYLOAD`] bytes, at most
/// 8 MiB).
pub(crate) fn ring(capacity: usize) -> (Producer, Consumer) {
    let capacity = capacity.clamp(record_words(MAX_PAYLOAD), MAX_WORDS);
    let words: Arc<[AtomicU64]> = (0..capacity).map(|_| AtomicU64::new(0)).collect();
    let positions = Arc::new(Positions {
        head: HeadLine {
            head: AtomicU32::new(0),
            signal: AtomicBool::new(false),
        },
        tail: Padded(AtomicU32::new(0)),
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
    /// Local copy of `head`.
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
        // Both fit in u32: capacity is at most MAX_WORDS, a record at most 63 words.
        let capacity = self.words.len() as u32;
        let need = record_words(payload.len()) as u32;
        if capacity - self.head.wrapping_sub(self.tail) < need {
            self.tail = self.positions.tail.0.load(Ordering::Acquire);
            if capacity - self.head.wrapping_sub(self.tail) < need {
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
        self.put(u64::from(head.timestamp) | u64::from(head.ssrc) << 32);
        self.put(nanos);
        self.put(payload.len() as u64 | codec << 16 | channel << 17);
        let mut chunks = payload.chunks_exact(8);
        for chunk in &mut chunks {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(chunk);
            self.put(u64::from_le_bytes(bytes));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut bytes = [0u8; 8];
            bytes[..rest.len()].copy_from_slice(rest);
            self.put(u64::from_le_bytes(bytes));
        }
        self.head = self.head.wrapping_add(need);
        self.positions.head.head.store(self.head, Ordering::Release);
        true
    }

    /// Tell the consumer to look at its control channel (call after sending on it).
    pub fn signal(&self) {
        self.positions.head.signal.store(true, Ordering::Release);
    }

    #[inline(always)]
    fn put(&mut self, word: u64) {
        self.words[self.at as usize].store(word, Ordering::Relaxed);
        self.at += 1;
        if self.at as usize == self.words.len() {
            self.at = 0;
        }
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
    /// Index of the next word to read.
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
        let head = self.positions.head.head.load(Ordering::Acquire);
        let mut tail = self.positions.tail.0.load(Ordering::Relaxed);
        let mut count = 0;
        while tail != head {
            let first = self.get();
            let nanos = self.get();
            let meta = self.get();
            let len = (meta & 0xFFFF) as usize;
            frame.timestamp = first as u32;
            frame.ssrc = (first >> 32) as u32;
            frame.arrival = start + Duration::from_nanos(nanos);
            frame.codec = if meta >> 16 & 1 == 0 {
                Codec::Pcmu
            } else {
                Codec::Pcma
            };
            frame.channel = if meta >> 17 & 1 == 0 {
                Channel::Left
            } else {
                Channel::Right
            };
            // The producer never writes more than MAX_PAYLOAD; clamp anyway so a bug there
            // cannot make this index out of range.
            let len = len.min(MAX_PAYLOAD);
            frame.len = len as u16;
            for chunk in frame.payload[..len.div_ceil(8) * 8].chunks_exact_mut(8) {
                chunk.copy_from_slice(&self.get().to_le_bytes());
            }
            tail = tail.wrapping_add(record_words(len) as u32);
            each(frame);
            count += 1;
        }
        self.positions.tail.0.store(tail, Ordering::Release);
        count
    }

    /// Whether [`Producer::signal`] was called (or the producer dropped) since the last time;
    /// clears it.
    pub fn take_signal(&self) -> bool {
        // Cheap test first: the swap would take the line from the producer every look.
        self.positions.head.signal.load(Ordering::Relaxed)
            && self.positions.head.signal.swap(false, Ordering::Acquire)
    }

    #[inline(always)]
    fn get(&mut self) -> u64 {
        let word = self.words[self.at].load(Ordering::Relaxed);
        self.at += 1;
        if self.at == self.words.len() {
            self.at = 0;
        }
        word
    }
}

#[cfg(test)]
#[path = "ring_tests.rs"]
mod tests;
