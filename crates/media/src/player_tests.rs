//! Player scenarios under a virtual clock.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;
use crate::g711::Codec;
use crate::prompt::Prompt;
use crate::rtp::RtpHeader;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Poll at `now` until nothing is due; headers of what came out.
fn drain(player: &mut Player, now: Instant) -> Vec<RtpHeader> {
    let mut out = Vec::new();
    while let Some(p) = player.poll_packet(now) {
        assert_eq!(p.payload.len(), 160);
        out.push(p.header);
    }
    out
}

#[test]
fn packets_follow_the_grid_with_continuous_seq_ts_and_one_marker() {
    let t0 = Instant::now();
    let mut player = Player::new(0xABCD, 0, 65534, u32::MAX - 200);
    assert_eq!(player.poll_timeout(), None);
    let a = Arc::new(Prompt::tone(1000.0, 60));
    let b = Arc::new(Prompt::silence(40));
    player.play(t0, vec![a.clone(), b], Codec::Pcmu, false);
    let mut got = Vec::new();
    for step in 0..10u64 {
        let now = t0 + ms(step * 20);
        assert_eq!(player.poll_timeout(), Some(now));
        got.extend(drain(&mut player, now));
        assert_eq!(player.poll_packet(now + ms(19)), None);
        if step == 5 {
            assert_eq!(player.poll_event(), Some(PlayerEvent::Finished));
            assert!(!player.is_playing());
            break;
        }
        assert_eq!(player.poll_event(), None);
    }
    assert_eq!(got.len(), 5);
    for (i, h) in got.iter().enumerate() {
        assert_eq!(h.marker, i == 0);
        assert_eq!(h.sequence, 65534u16.wrapping_add(i as u16));
        assert_eq!(h.timestamp, (u32::MAX - 200).wrapping_add(160 * i as u32));
        assert_eq!((h.ssrc, h.payload_type), (0xABCD, 0));
    }
    assert_eq!(player.poll_timeout(), None);
}

#[test]
fn payload_is_the_prompt_frame_in_the_chosen_law() {
    let t0 = Instant::now();
    let prompt = Arc::new(Prompt::tone(440.0, 40));
    let mut player = Player::new(1, 8, 0, 0);
    player.play(t0, vec![prompt.clone()], Codec::Pcma, false);
    let p = player.poll_packet(t0).unwrap();
    assert_eq!(Some(p.payload), prompt.frame(Codec::Pcma, 0));
    let mut buf = [0u8; 200];
    let n = p.write(&mut buf).unwrap();
    assert_eq!(n, 172);
    let parsed = crate::rtp::RtpPacket::parse(&buf[..n]).unwrap();
    assert_eq!((parsed.payload_type(), parsed.marker()), (8, true));
}

#[test]
fn an_hour_of_music_on_hold_is_exactly_180000_packets_without_drift() {
    let t0 = Instant::now();
    let moh = Arc::new(Prompt::tone(400.0, 1_330)); // odd length: wraps mid-grid
    let mut player = Player::new(7, 0, 100, 5000);
    player.play(t0, vec![moh], Codec::Pcmu, true);
    let mut count = 0u64;
    let mut last: Option<RtpHeader> = None;
    // A jittery driver: wakes 0–7 ms late, sometimes skips a wake-up entirely.
    let mut jitter = 1u64;
    while let Some(due) = player.poll_timeout() {
        jitter = jitter
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1)
            % 1_000_003;
        let now = due
            + Duration::from_micros(
                jitter % 7000 + if jitter.is_multiple_of(10) { 20_000 } else { 0 },
            );
        if now > t0 + Duration::from_secs(3600) {
            break;
        }
        for h in drain(&mut player, now) {
            if let Some(prev) = last {
                assert_eq!(h.sequence, prev.sequence.wrapping_add(1));
                assert_eq!(h.timestamp, prev.timestamp.wrapping_add(160));
                assert!(!h.marker);
            }
            last = Some(h);
            count += 1;
        }
    }
    assert_eq!(count, 180_000);
    let last = last.unwrap();
    assert_eq!(last.timestamp, 5000 + 179_999 * 160);
    // The next packet is due exactly one hour after the start: no drift.
    assert_eq!(player.poll_timeout(), Some(t0 + Duration::from_secs(3600)));
    assert_eq!(player.poll_event(), None);
}

#[test]
fn stop_is_immediate_and_silent_and_the_next_talkspurt_follows_the_clock() {
    let t0 = Instant::now();
    let mut player = Player::new(1, 0, 10, 1000);
    player.play(
        t0,
        vec![Arc::new(Prompt::tone(1000.0, 1000))],
        Codec::Pcmu,
        false,
    );
    assert_eq!(drain(&mut player, t0 + ms(40)).len(), 3);
    player.stop();
    assert_eq!(player.poll_timeout(), None);
    assert_eq!(player.poll_packet(t0 + ms(60)), None);
    assert_eq!(player.poll_event(), None);
    // 1 s later: new talkspurt with marker, seq continues, ts jumped by the elapsed 1 s.
    let t1 = t0 + ms(1000);
    player.play(t1, vec![Arc::new(Prompt::silence(20))], Codec::Pcmu, false);
    let h = drain(&mut player, t1);
    assert_eq!(h.len(), 1);
    assert!(h[0].marker);
    assert_eq!(h[0].sequence, 13);
    assert_eq!(h[0].timestamp, 1000 + 8000);
    assert_eq!(player.poll_event(), None);
    assert!(drain(&mut player, t1 + ms(20)).is_empty());
    assert_eq!(player.poll_event(), Some(PlayerEvent::Finished));
}

#[test]
fn replacing_a_running_prompt_keeps_timestamps_contiguous() {
    let t0 = Instant::now();
    let mut player = Player::new(1, 0, 0, 0);
    player.play(
        t0,
        vec![Arc::new(Prompt::tone(500.0, 200))],
        Codec::Pcmu,
        false,
    );
    assert_eq!(drain(&mut player, t0 + ms(20)).len(), 2);
    player.play(
        t0 + ms(30),
        vec![Arc::new(Prompt::tone(700.0, 40))],
        Codec::Pcmu,
        false,
    );
    let h = drain(&mut player, t0 + ms(30));
    assert_eq!((h[0].timestamp, h[0].marker, h[0].sequence), (320, true, 2));
}

#[test]
fn empty_queues_finish_at_once_and_never_spin() {
    let t0 = Instant::now();
    let mut player = Player::new(1, 0, 0, 0);
    player.play(t0, vec![], Codec::Pcmu, true);
    assert!(drain(&mut player, t0).is_empty());
    assert_eq!(player.poll_event(), Some(PlayerEvent::Finished));
    player.play(
        t0,
        vec![Arc::new(Prompt::silence(0)), Arc::new(Prompt::silence(20))],
        Codec::Pcmu,
        false,
    );
    assert_eq!(drain(&mut player, t0).len(), 1);
}
