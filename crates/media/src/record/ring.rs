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

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
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

/// A position counter on a cache line of its own, so the producer's stores to `head` do not
/// invalidate the line the consumer's `tail` is on, and the reverse.
#[repr(align(64))]
struct Padded(AtomicUsize);

struct Shared {
    words: Box<[AtomicU64]>,
    /// Words written so far (monotonic, wrapping); only the producer stores it.
    head: Padded,
    /// Words read so far; only the consumer stores it.
    tail: Padded,
}

/// Make a ring of `capacity` words (at least one record of [`MAX_PAYLOAD`] bytes).
pub(crate) fn ring(capacity: usize) -> (Producer, Consumer) {
    let capacity = capacity.max(record_words(MAX_PAYLOAD));
    let shared = Arc::new(Shared {
        words: (0..capacity).map(|_| AtomicU64::new(0)).collect(),
        head: Padded(AtomicUsize::new(0)),
        tail: Padded(AtomicUsize::new(0)),
    });
    (
        Producer {
            shared: Arc::clone(&shared),
            head: 0,
            tail: 0,
            at: 0,
        },
        Consumer { shared, at: 0 },
    )
}

/// The relay task's end.
pub(crate) struct Producer {
    shared: Arc<Shared>,
    /// Local copy of `head`.
    head: usize,
    /// The consumer's position as last read; re-read only when the ring looks full.
    tail: usize,
    /// Index of the next word to write (`head` modulo the capacity).
    at: usize,
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
        let capacity = self.shared.words.len();
        let need = record_words(payload.len());
        if capacity - self.head.wrapping_sub(self.tail) < need {
            self.tail = self.shared.tail.0.load(Ordering::Acquire);
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
        self.shared.head.0.store(self.head, Ordering::Release);
        true
    }

    #[inline(always)]
    fn put(&mut self, word: u64) {
        self.shared.words[self.at].store(word, Ordering::Relaxed);
        self.at += 1;
        if self.at == self.shared.words.len() {
            self.at = 0;
        }
    }
}

/// The recorder's end.
pub(crate) struct Consumer {
    shared: Arc<Shared>,
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
        let head = self.shared.head.0.load(Ordering::Acquire);
        let mut tail = self.shared.tail.0.load(Ordering::Relaxed);
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
            tail = tail.wrapping_add(record_words(len));
            each(frame);
            count += 1;
        }
        self.shared.tail.0.store(tail, Ordering::Release);
        count
    }

    #[inline(always)]
    fn get(&mut self) -> u64 {
        let word = self.shared.words[self.at].load(Ordering::Relaxed);
        self.at += 1;
        if self.at == self.shared.words.len() {
            self.at = 0;
        }
        word
    }
}

#[cfg(test)]
#[path = "ring_tests.rs"]
mod tests;
