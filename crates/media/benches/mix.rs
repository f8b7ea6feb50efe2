//! The monitoring mixer alone (`media::mix`), without sockets: N monitored calls, each with a
//! customer, an agent and a supervisor sending a 20 ms PCMU frame per tick, for S seconds of
//! audio. Reports thread CPU ns per call packet handed to the mixer and the share of one core
//! the mixing of N calls takes in real time, one JSON line per mode.
//!
//! Run: `cargo bench -p switchboard-media --bench mix -- [CALLS] [--secs S]` (default 100, 10).

use media::mix::{Mixer, MonitorMode, Party, MAX_OUT_PACKET};
use media::rtp::RtpHeader;
use media::{tone, Codec};

mod common;
use common::thread_cpu_ns;

fn frames(freq: f64, ssrc: u32) -> Vec<Vec<u8>> {
    let samples = tone::sine(freq, 8000.0, 8000);
    samples
        .chunks(160)
        .enumerate()
        .map(|(n, s)| {
            let payload: Vec<u8> = s.iter().map(|&x| Codec::Pcmu.encode(x)).collect();
            let mut out = vec![0; 12 + payload.len()];
            RtpHeader {
                marker: false,
                payload_type: 0,
                sequence: n as u16,
                timestamp: 160 * n as u32,
                ssrc,
            }
            .write(&payload, &mut out)
            .expect("fits");
            out
        })
        .collect()
}

fn run(calls: usize, secs: usize, mode: MonitorMode) {
    let (customer, agent, supervisor) = (frames(1000.0, 1), frames(440.0, 2), frames(770.0, 3));
    let mut mixers: Vec<Mixer> = (0..calls)
        .map(|i| Mixer::new(mode, Codec::Pcmu, i as u32, 0, 0))
        .collect();
    let mut out = [0u8; MAX_OUT_PACKET];
    let mut packet = vec![0u8; 172];
    let ticks = secs * 50;
    let mut written = 0u64;
    let c0 = thread_cpu_ns();
    for t in 0..ticks {
        let f = t % customer.len();
        for m in &mut mixers {
            if mode != MonitorMode::Listen {
                m.on_supervisor_packet(&supervisor[f]);
            }
            packet.copy_from_slice(&customer[f]);
            written += u64::from(
                m.on_call_packet(Party::Customer, &mut packet, &mut out)
                    .is_some(),
            );
            packet.copy_from_slice(&agent[f]);
            written += u64::from(
                m.on_call_packet(Party::Agent, &mut packet, &mut out)
                    .is_some(),
            );
        }
    }
    let cpu = thread_cpu_ns() - c0;
    let call_packets = (ticks * calls * 2) as f64;
    println!(
        "{{\"bench\":\"mix\",\"mode\":\"{}\",\"calls\":{calls},\"audio_secs\":{secs},\
\"ns_per_call_packet\":{:.0},\"cpu_pct_one_core_realtime\":{:.2},\"to_supervisor\":{written}}}",
        mode.as_str(),
        cpu as f64 / call_packets,
        100.0 * cpu as f64 / (secs as f64 * 1e9),
    );
}

fn main() {
    let mut calls = 100;
    let mut secs = 10;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--secs" => secs = args.next().and_then(|v| v.parse().ok()).unwrap_or(secs),
            "--bench" => {}
            other => calls = other.parse().unwrap_or(calls),
        }
    }
    for mode in MonitorMode::ALL {
        run(calls, secs, mode);
    }
}
