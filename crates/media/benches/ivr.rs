//! Per-packet CPU cost of the IVR's media work, to hold against the relay's ~5 µs kernel cost
//! per packet: in-band DTMF detection on a 20 ms G.711 frame (decode + Goertzel bank), the
//! RFC 4733 path, and producing one prompt packet. Run: `cargo bench -p switchboard-media
//! --bench ivr`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use media::dtmf::RtpDtmf;
use media::{Codec, Player, Prompt, RtpHeader, RtpPacket};

const ROUNDS: u32 = 200_000;

fn report(name: &str, elapsed: Duration) {
    println!(
        "{name:<40} {:>8.0} ns/packet",
        elapsed.as_nanos() as f64 / f64::from(ROUNDS)
    );
}

fn packet(pt: u8, seq: u16, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; 12 + payload.len()];
    let header = RtpHeader {
        marker: false,
        payload_type: pt,
        sequence: seq,
        timestamp: u32::from(seq) * 160,
        ssrc: 1,
    };
    let _ = header.write(payload, &mut out);
    out
}

fn main() {
    // Speech-like audio: a tone prompt is enough to exercise every filter.
    let prompt = Prompt::tone(440.0, 1000);
    let frames: Vec<Vec<u8>> = (0..prompt.frames())
        .map(|i| {
            packet(
                0,
                i as u16,
                prompt.frame(Codec::Pcmu, i).unwrap_or_default(),
            )
        })
        .collect();
    let mut dtmf = RtpDtmf::new(Some(101));
    let now = Instant::now();
    let start = Instant::now();
    for i in 0..ROUNDS {
        let bytes = &frames[i as usize % frames.len()];
        if let Ok(p) = RtpPacket::parse(bytes) {
            dtmf.on_rtp(&p, now, |e| {
                black_box(e);
            });
        }
    }
    report("in-band DTMF on a PCMU frame", start.elapsed());

    let te = packet(101, 1, &[5, 0x0A, 0, 160]);
    let start = Instant::now();
    for _ in 0..ROUNDS {
        if let Ok(p) = RtpPacket::parse(black_box(&te)) {
            dtmf.on_rtp(&p, now, |e| {
                black_box(e);
            });
        }
    }
    report("RFC 4733 packet", start.elapsed());

    let mut player = Player::new(1, 0, 0, 0);
    player.play(now, vec![Arc::new(prompt)], Codec::Pcmu, true);
    let mut out = [0u8; 256];
    let start = Instant::now();
    let mut at = now;
    for _ in 0..ROUNDS {
        at += Duration::from_millis(20);
        if let Some(p) = player.poll_packet(at) {
            black_box(p.write(&mut out).ok());
        }
    }
    report("player packet (build + header write)", start.elapsed());
}
