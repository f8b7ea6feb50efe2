use std::time::{Duration, Instant};

use super::super::tap::{Channel, Frame, MAX_PAYLOAD};
use super::*;
use crate::g711::Codec;

const L: Channel = Channel::Left;
const R: Channel = Channel::Right;

/// A 20 ms PCMU frame whose every sample decodes to `level`'s G.711 value.
fn frame(t0: Instant, channel: Channel, ssrc: u32, ts: u32, at_ms: u64, level: i16) -> Frame {
    let mut payload = [0u8; MAX_PAYLOAD];
    payload[..160].fill(Codec::Pcmu.encode(level));
    Frame {
        arrival: t0 + Duration::from_millis(at_ms),
        timestamp: ts,
        ssrc,
        len: 160,
        codec: Codec::Pcmu,
        channel,
        payload,
    }
}

fn q(level: i16) -> i16 {
    Codec::Pcmu.decode(Codec::Pcmu.encode(level))
}

/// Push all frames (committing after each, as the writer does), then finish.
fn run(t0: Instant, frames: &[Frame]) -> (Vec<[i16; 2]>, Aligner) {
    let mut aligner = Aligner::new(t0, Duration::from_millis(160));
    let mut out = Vec::new();
    for f in frames {
        aligner.push(f, &mut out);
        aligner.commit(&mut out);
    }
    let end = frames.iter().map(|f| f.arrival).max().unwrap_or(t0);
    aligner.finish(end, &mut out);
    assert_eq!(aligner.written(), out.len() as u64);
    (out, aligner)
}

/// Every sample of `channel` in `[from, to)` (sample positions) equals `value`.
fn all(out: &[[i16; 2]], channel: Channel, from: usize, to: usize, value: i16) -> bool {
    out[from..to].iter().all(|s| s[channel.index()] == value)
}

/// A steady stream: `n` frames, 20 ms apart, timestamps from `ts0`, arriving from `at0_ms`.
fn stream(t0: Instant, ch: Channel, ssrc: u32, ts0: u32, at0_ms: u64, n: u32) -> Vec<Frame> {
    (0..n)
        .map(|k| {
            let ts = ts0.wrapping_add(160 * k);
            frame(t0, ch, ssrc, ts, at0_ms + 20 * u64::from(k), 1000)
        })
        .collect()
}

#[test]
fn lost_packets_become_silence_and_later_audio_stays_in_place() {
    let t0 = Instant::now();
    let mut frames = stream(t0, L, 1, 5000, 0, 50);
    // Packets 20..30 lost (200 ms).
    frames.drain(20..30);
    let (out, a) = run(t0, &frames);
    assert_eq!(out.len(), 50 * 160);
    assert!(all(&out, L, 0, 20 * 160, q(1000)));
    assert!(all(&out, L, 20 * 160, 30 * 160, 0));
    assert!(all(&out, L, 30 * 160, 50 * 160, q(1000)));
    // The channel with no audio is silence all along.
    assert!(all(&out, R, 0, out.len(), 0));
    assert_eq!(
        (a.counters.placed, a.counters.late, a.counters.anchors),
        (40, 0, 1)
    );
}

#[test]
fn reordered_packets_within_the_window_land_in_place_and_too_late_ones_are_counted() {
    let t0 = Instant::now();
    let mut frames: Vec<Frame> = (0..30u32)
        .map(|k| frame(t0, L, 1, 160 * k, 20 * u64::from(k), 100 * (k as i16 + 1)))
        .collect();
    // Frame 10 arrives after frame 13 (60 ms late): inside the 160 ms window.
    let f10 = frames.remove(10);
    frames.insert(13, f10);
    // Frame 20 arrives after frame 29 (180 ms): its place is written by then.
    let f20 = frames.remove(20);
    frames.push(f20);
    let (out, a) = run(t0, &frames);
    for k in 0..30usize {
        let expected = if k == 20 { 0 } else { q(100 * (k as i16 + 1)) };
        assert!(all(&out, L, k * 160, (k + 1) * 160, expected), "frame {k}");
    }
    assert_eq!((a.counters.placed, a.counters.late), (29, 1));
}

#[test]
fn duplicates_are_harmless() {
    let t0 = Instant::now();
    let mut frames = stream(t0, L, 1, 0, 0, 10);
    let dup = frames[4];
    frames.insert(6, dup);
    let (out, a) = run(t0, &frames);
    assert_eq!(out.len(), 10 * 160);
    assert!(all(&out, L, 0, out.len(), q(1000)));
    assert_eq!(a.counters.anchors, 1);
}

#[test]
fn timestamp_wrap_at_u32_max_is_seamless() {
    let t0 = Instant::now();
    let frames = stream(t0, L, 9, u32::MAX - 3 * 160 + 1, 0, 10);
    let (out, a) = run(t0, &frames);
    assert_eq!(out.len(), 10 * 160);
    assert!(all(&out, L, 0, out.len(), q(1000)));
    assert_eq!((a.counters.anchors, a.counters.late), (1, 0));
}

#[test]
fn channels_start_where_they_arrive_in_wall_time() {
    let t0 = Instant::now();
    let mut frames = Vec::new();
    // The caller talks from 0 ms, the agent's first packet arrives at 500 ms.
    for k in 0..50u32 {
        frames.push(frame(t0, L, 1, 777 + 160 * k, 20 * u64::from(k), 1000));
        if k >= 25 {
            frames.push(frame(
                t0,
                R,
                2,
                99 + 160 * (k - 25),
                20 * u64::from(k),
                -2000,
            ));
        }
    }
    let (out, _) = run(t0, &frames);
    assert_eq!(out.len(), 50 * 160);
    assert!(all(&out, L, 0, 50 * 160, q(1000)));
    assert!(all(&out, R, 0, 4000, 0));
    assert!(all(&out, R, 4000, 8000, q(-2000)));
}

#[test]
fn new_ssrc_restarts_the_clock_at_arrival_without_overlapping() {
    let t0 = Instant::now();
    // A prompt (SSRC 5) for 200 ms, then the agent (SSRC 6) from 300 ms with unrelated
    // timestamps; then a third source arriving before the agent's audio ended.
    let mut frames = stream(t0, R, 5, 1_000_000, 0, 10);
    frames.extend((0..10u32).map(|k| {
        frame(
            t0,
            R,
            6,
            3_000_000_000 + 160 * k,
            300 + 20 * u64::from(k),
            -500,
        )
    }));
    frames.push(frame(t0, R, 7, 12, 480, 3000));
    let (out, a) = run(t0, &frames);
    assert!(all(&out, R, 0, 1600, q(1000)));
    assert!(all(&out, R, 1600, 2400, 0));
    assert!(all(&out, R, 2400, 4000, q(-500)));
    // SSRC 7 arrived at 480 ms (3840) but SSRC 6 played until 4000: it follows on.
    assert!(all(&out, R, 4000, 4160, q(3000)));
    assert_eq!(out.len(), 4160);
    assert_eq!(a.counters.anchors, 3);
}

#[test]
fn a_jump_over_one_second_follows_arrival_time() {
    let t0 = Instant::now();
    // Hold: the phone stops for 3 s and resumes with timestamps 10 s ahead.
    let mut frames = stream(t0, L, 1, 0, 0, 10);
    frames.extend(stream(t0, L, 1, 80_000, 3200, 10));
    let (out, a) = run(t0, &frames);
    assert_eq!(out.len(), 3400 * 8);
    assert!(all(&out, L, 1600, 3200 * 8, 0));
    assert!(all(&out, L, 3200 * 8, 3400 * 8, q(1000)));
    assert_eq!(a.counters.anchors, 2);
}

#[test]
fn backwards_jump_re_anchors_but_a_single_stray_packet_is_only_late() {
    let t0 = Instant::now();
    let mut frames = stream(t0, L, 1, 100_000, 0, 10);
    // One stray packet from far behind, then the stream goes on.
    frames.push(frame(t0, L, 1, 50_000, 200, 5000));
    frames.extend(stream(t0, L, 1, 100_000 + 1600, 200, 5));
    // The sender restarts its timestamps far behind: two packets in a row re-anchor.
    frames.extend(stream(t0, L, 1, 40_000, 300, 5));
    let (out, a) = run(t0, &frames);
    assert!(all(&out, L, 0, 15 * 160, q(1000)), "stray packet written");
    assert_eq!(a.counters.late, 2); // the stray one and the first of the restart
    assert_eq!(a.counters.anchors, 2);
    // The restart continues right after the earlier audio (arrival 320 ms = 2560).
    assert!(all(&out, L, 2560, 2560 + 4 * 160, q(1000)));
}

#[test]
fn slow_rtp_clock_slips_instead_of_losing_audio() {
    let t0 = Instant::now();
    let mut frames = Vec::new();
    // L runs normally; R's timestamps advance 150 per 20 ms (a slow clock): R falls behind
    // by 10 samples a frame and would soon land in written ground.
    for k in 0..200u32 {
        frames.push(frame(t0, L, 1, 160 * k, 20 * u64::from(k), 1000));
        frames.push(frame(t0, R, 2, 150 * k, 20 * u64::from(k), 1000));
    }
    let (_, a) = run(t0, &frames);
    assert_eq!(a.counters.late, 0);
    assert_eq!(a.counters.placed, 400);
    assert!(a.counters.slips > 0);
}

#[test]
fn a_stalled_stream_loses_what_is_too_late_and_shifts_at_most_one_frame() {
    let t0 = Instant::now();
    let mut frames = Vec::new();
    for k in 0..60u32 {
        frames.push(frame(t0, L, 1, 160 * k, 20 * u64::from(k), 1000));
        // R's packets 20..35 are held up and all arrive at 700 ms.
        let at = if (20..35).contains(&k) {
            700
        } else {
            20 * u64::from(k)
        };
        frames.push(frame(t0, R, 2, 160 * k, at, -1000));
    }
    frames.sort_by_key(|f| f.arrival);
    let (out, a) = run(t0, &frames);
    // The stalled packets whose place was written by 700 ms are lost, not squeezed in.
    assert!(a.counters.late >= 6, "late: {}", a.counters.late);
    assert!(a.counters.slips <= 1);
    // After the stall R is where its timestamps say, give or take the one slipped frame.
    let shift = out.len() - 60 * 160;
    assert!(shift <= 160, "shift {shift}");
    assert!(all(&out, R, 40 * 160 + shift, 60 * 160 + shift, q(-1000)));
    assert!(all(&out, L, 0, 60 * 160, q(1000)));
}

#[test]
fn pause_silences_both_channels_and_lists_the_span() {
    let t0 = Instant::now();
    let mut a = Aligner::new(t0, Duration::from_millis(160));
    let mut out = Vec::new();
    for k in 0..100u32 {
        let at = u64::from(k) * 20;
        if at == 500 {
            a.pause(t0 + Duration::from_millis(500));
        }
        if at == 1300 {
            a.resume(t0 + Duration::from_millis(1300));
        }
        a.push(&frame(t0, L, 1, 160 * k, at, 1000), &mut out);
        a.push(&frame(t0, R, 2, 160 * k, at, 2000), &mut out);
        a.commit(&mut out);
    }
    a.finish(t0 + Duration::from_millis(2000), &mut out);
    assert_eq!(out.len(), 16_000);
    assert!(all(&out, L, 0, 4000, q(1000)) && all(&out, R, 0, 4000, q(2000)));
    assert!(all(&out, L, 4000, 10_400, 0) && all(&out, R, 4000, 10_400, 0));
    assert!(all(&out, L, 10_400, 16_000, q(1000)));
    assert_eq!(
        a.paused_spans(),
        vec![PausedSpan {
            offset_ms: 500,
            length_ms: 800
        }]
    );
}

#[test]
fn stop_while_paused_writes_the_pause_to_its_end() {
    let t0 = Instant::now();
    let mut a = Aligner::new(t0, Duration::from_millis(160));
    let mut out = Vec::new();
    for f in stream(t0, L, 1, 0, 0, 25) {
        a.push(&f, &mut out);
    }
    a.pause(t0 + Duration::from_millis(500));
    a.finish(t0 + Duration::from_millis(900), &mut out);
    assert_eq!(out.len(), 900 * 8);
    assert!(all(&out, L, 4000, 7200, 0));
    assert_eq!(
        a.paused_spans(),
        vec![PausedSpan {
            offset_ms: 500,
            length_ms: 400
        }]
    );
}

#[test]
fn a_frame_far_ahead_writes_the_gap_without_holding_it_in_memory() {
    let t0 = Instant::now();
    let mut a = Aligner::new(t0, Duration::from_millis(160));
    let mut out = Vec::new();
    a.push(&frame(t0, L, 1, 0, 0, 1000), &mut out);
    // Ten minutes later (a new source, e.g. after a long hold).
    a.push(&frame(t0, L, 2, 0, 600_000, 1000), &mut out);
    assert!(a.pending.len() as u64 <= MAX_PENDING);
    a.finish(t0 + Duration::from_millis(600_020), &mut out);
    assert_eq!(out.len(), 600_020 * 8);
    assert!(all(&out, L, 160, 600_000 * 8, 0));
    assert!(all(&out, L, 600_000 * 8, 600_020 * 8, q(1000)));
}

#[test]
fn a_caller_who_stops_sending_is_silence_to_the_end_of_the_call() {
    // Issue #15: 7 s of caller audio in a 20 s call left a 7 s file.
    let t0 = Instant::now();
    let mut a = Aligner::new(t0, Duration::from_millis(160));
    let mut out = Vec::new();
    let caller = stream(t0, L, 1, 0, 0, 350);
    let agent = stream(t0, R, 2, 0, 0, 1000);
    for (k, f) in agent.iter().enumerate() {
        if let Some(c) = caller.get(k) {
            a.push(c, &mut out);
        }
        a.push(f, &mut out);
        a.commit(&mut out);
    }
    a.finish(t0 + Duration::from_secs(20), &mut out);
    assert_eq!(out.len(), 20 * 8000);
    assert!(all(&out, L, 0, 7 * 8000, q(1000)));
    assert!(all(&out, L, 7 * 8000, 20 * 8000, 0));
    assert!(all(&out, R, 0, 20 * 8000, q(1000)));
    assert_eq!(a.placed_per_channel(), [350, 1000]);
}

#[test]
fn a_recording_without_any_audio_is_as_long_as_it_ran() {
    // Issue #15: callers whose audio ended in the queue left 0 ms files.
    let t0 = Instant::now();
    let mut a = Aligner::new(t0, Duration::from_millis(160));
    let mut out = Vec::new();
    a.finish(t0 + Duration::from_millis(1500), &mut out);
    assert_eq!(out.len(), 1500 * 8);
    assert!(all(&out, L, 0, 1500 * 8, 0) && all(&out, R, 0, 1500 * 8, 0));
    assert_eq!(a.placed_per_channel(), [0, 0]);
}
