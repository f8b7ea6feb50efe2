use std::time::{Duration, Instant};

use super::*;

fn head(timestamp: u32, channel: Channel, codec: Codec) -> FrameHead {
    FrameHead {
        channel,
        codec,
        timestamp,
        ssrc: timestamp.wrapping_mul(7) ^ 0xDEAD_BEEF,
        arrival: Duration::from_micros(u64::from(timestamp) * 125),
    }
}

/// A payload whose bytes all depend on `timestamp`, so a record mixed from two writes shows.
fn payload(timestamp: u32, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (timestamp as usize).wrapping_mul(31).wrapping_add(i) as u8)
        .collect()
}

fn drain_all(rx: &mut Consumer, start: Instant) -> Vec<Frame> {
    let mut out = Vec::new();
    rx.drain(start, &mut Frame::empty(start), |f| out.push(*f));
    out
}

fn check(frame: &Frame, start: Instant, expect: &FrameHead, len: usize) {
    assert_eq!(frame.timestamp, expect.timestamp);
    assert_eq!(frame.ssrc, expect.ssrc);
    assert_eq!(frame.channel, expect.channel);
    assert_eq!(frame.codec, expect.codec);
    assert_eq!(frame.arrival, start + expect.arrival);
    assert_eq!(frame.audio(), &payload(expect.timestamp, len)[..]);
}

#[test]
fn records_come_back_whole_for_every_length() {
    let (mut tx, mut rx) = ring(1024);
    let start = Instant::now();
    let lengths = [1, 7, 8, 9, 160, 161, MAX_PAYLOAD];
    let heads: Vec<FrameHead> = lengths
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let (ch, codec) = if i % 2 == 0 {
                (Channel::Left, Codec::Pcmu)
            } else {
                (Channel::Right, Codec::Pcma)
            };
            head(1000 + i as u32, ch, codec)
        })
        .collect();
    for (h, &len) in heads.iter().zip(&lengths) {
        assert!(tx.push(h, &payload(h.timestamp, len)));
    }
    let frames = drain_all(&mut rx, start);
    assert_eq!(frames.len(), lengths.len());
    for ((f, h), &len) in frames.iter().zip(&heads).zip(&lengths) {
        check(f, start, h, len);
    }
    assert!(drain_all(&mut rx, start).is_empty());
}

#[test]
fn empty_and_oversized_payloads_are_refused() {
    let (mut tx, mut rx) = ring(1024);
    let h = head(1, Channel::Left, Codec::Pcmu);
    assert!(!tx.push(&h, &[]));
    assert!(!tx.push(&h, &[0; MAX_PAYLOAD + 1]));
    assert!(drain_all(&mut rx, Instant::now()).is_empty());
}

#[test]
fn records_wrap_around_the_end_of_the_ring() {
    // 100 words: a 160-byte record is 23 words, so the records straddle the end at
    // different offsets as the rounds go on.
    let (mut tx, mut rx) = ring(100);
    let start = Instant::now();
    let mut ts = 0u32;
    for round in 0..200 {
        let n = 1 + round % 4;
        let mut sent = Vec::new();
        for _ in 0..n {
            let h = head(ts, Channel::Left, Codec::Pcmu);
            let len = 150 + (ts as usize % 11);
            assert!(tx.push(&h, &payload(ts, len)), "round {round}");
            sent.push((h, len));
            ts += 1;
        }
        let frames = drain_all(&mut rx, start);
        assert_eq!(frames.len(), sent.len());
        for (f, (h, len)) in frames.iter().zip(&sent) {
            check(f, start, h, *len);
        }
    }
}

#[test]
fn a_full_ring_refuses_until_the_consumer_frees_space() {
    let (mut tx, mut rx) = ring(5 * record_words(160));
    let start = Instant::now();
    let mut refused = 0;
    for ts in 0..8 {
        if !tx.push(&head(ts, Channel::Left, Codec::Pcmu), &payload(ts, 160)) {
            refused += 1;
        }
    }
    assert_eq!(refused, 3);
    let frames = drain_all(&mut rx, start);
    let timestamps: Vec<u32> = frames.iter().map(|f| f.timestamp).collect();
    assert_eq!(timestamps, [0, 1, 2, 3, 4]);
    // The space is back: the next five fit again, and they follow the first ones.
    for ts in 8..13 {
        assert!(tx.push(&head(ts, Channel::Left, Codec::Pcmu), &payload(ts, 160)));
    }
    let frames = drain_all(&mut rx, start);
    assert_eq!(frames.len(), 5);
    check(&frames[0], start, &head(8, Channel::Left, Codec::Pcmu), 160);
}

#[test]
fn a_consumer_slower_than_the_producer_loses_whole_records_only() {
    let (mut tx, mut rx) = ring(20 * record_words(160));
    let start = Instant::now();
    const N: u32 = 20_000;
    let producer = std::thread::spawn(move || {
        let mut refused = 0u32;
        for ts in 0..N {
            let len = 80 + (ts as usize % 100);
            if !tx.push(&head(ts, Channel::Right, Codec::Pcma), &payload(ts, len)) {
                refused += 1;
            }
            if ts % 64 == 0 {
                std::thread::yield_now();
            }
        }
        refused
    });
    let mut received = Vec::new();
    let mut frame = Frame::empty(start);
    loop {
        let done = producer.is_finished();
        rx.drain(start, &mut frame, |f| {
            let expect = head(f.timestamp, Channel::Right, Codec::Pcma);
            check(f, start, &expect, 80 + (f.timestamp as usize % 100));
            received.push(f.timestamp);
        });
        if done {
            break;
        }
        // Slower than the producer: the ring fills up between looks.
        std::thread::sleep(Duration::from_micros(300));
    }
    let refused = producer.join().expect("producer");
    assert!(refused > 0, "the consumer was never behind");
    assert_eq!(received.len() as u32 + refused, N);
    assert!(received.windows(2).all(|w| w[0] < w[1]), "order kept");
}

#[test]
fn the_signal_is_seen_once_and_a_dropped_producer_raises_it() {
    let (tx, rx) = ring(1024);
    assert!(!rx.take_signal());
    tx.signal();
    assert!(rx.take_signal());
    assert!(!rx.take_signal(), "cleared by the first look");
    drop(tx);
    assert!(rx.take_signal());
}

/// Regression: with records of different lengths, the consumer's next position in a later
/// lap can fall on a stale payload word, which the network chose.
#[test]
fn a_stale_payload_word_never_passes_for_a_record() {
    let (mut tx, mut rx) = ring(100);
    let capacity = tx.words.len() as u64;
    let start = Instant::now();
    // Lap 1: one big record whose every payload word looks like the first word of a
    // 160-byte record at its own position one lap later.
    let mut forged = Vec::new();
    for k in 0..(MAX_PAYLOAD / 8) as u64 {
        let position = capacity + 3 + k;
        forged.extend_from_slice(&((position + 1) | 160 << 32).to_le_bytes());
    }
    assert!(tx.push(&head(0, Channel::Left, Codec::Pcmu), &forged));
    assert_eq!(drain_all(&mut rx, start).len(), 1);
    // Lap 2 and on: 160-byte records, each drained on its own, land the consumer on those
    // stale words.
    for ts in 1..20 {
        assert!(tx.push(&head(ts, Channel::Left, Codec::Pcmu), &payload(ts, 160)));
        let frames = drain_all(&mut rx, start);
        assert_eq!(frames.len(), 1, "record {ts}");
        check(
            &frames[0],
            start,
            &head(ts, Channel::Left, Codec::Pcmu),
            160,
        );
    }
}
