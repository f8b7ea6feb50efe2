//! Recording cost benchmark (loopback): the relay benchmark's traffic (N calls, 172-byte
//! PCMU RTP every 20 ms each way, the relay on its own pinned thread with a current_thread
//! runtime), once without and once with every call recorded. Prints one JSON line per run:
//! relay-thread CPU ns per forwarded packet, and process CPU per packet without the traffic
//! generator (relay + recorder threads), then the ratio on/off.
//!
//! Run: `cargo bench -p switchboard-media --bench record -- [CALLS...] [--secs S] [--rounds R]`
//! (default 100 calls, 5 s per run, 1 round). With several rounds the order alternates (off
//! then on, on then off, ...) and a last line gives the median ratios: single runs on a 2-vCPU
//! machine swing by about ±10 points. Files go to a temporary directory and are removed.

use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use media::{MediaRelay, RecordingOptions, RelayConfig, RelaySession, Side, StrictSource};

mod common;
use common::*;

struct RelayReport {
    forwarded: u64,
    cpu_ns: u64,
    recorded_frames: u64,
    dropped_frames: u64,
}

fn relay_thread(
    calls: usize,
    generator: SocketAddr,
    record_dir: Option<PathBuf>,
    ports_tx: std_mpsc::Sender<Vec<u16>>,
    stop: tokio::sync::oneshot::Receiver<()>,
) -> RelayReport {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let relay = MediaRelay::new(RelayConfig {
            bind_ip: LO,
            advertise_ip: LO,
            port_min: 30000,
            port_max: 30000 + (calls as u16) * 4 + 400,
            strict_source: StrictSource::default(),
        })
        .expect("relay config");
        let (events, _events_rx) = tokio::sync::mpsc::unbounded_channel();
        let mut sessions: Vec<RelaySession> = Vec::with_capacity(calls);
        for i in 0..calls {
            let s = relay
                .allocate(&format!("bench-{i}"), events.clone())
                .await
                .expect("allocate");
            s.set_remote(Side::A, generator, None);
            s.set_remote(Side::B, generator, None);
            if let Some(dir) = &record_dir {
                s.start_recording(
                    dir.join(format!("call-{i}.wav")),
                    RecordingOptions::default(),
                )
                .await
                .expect("start recording");
            }
            sessions.push(s);
        }
        // Pin only now: the recorder threads started above stay free to run elsewhere.
        pin_to_cpu(1);
        tokio::time::sleep(Duration::from_millis(50)).await;
        let ports = sessions
            .iter()
            .flat_map(|s| [s.local_port(Side::A), s.local_port(Side::B)])
            .collect();
        ports_tx.send(ports).expect("main thread waits");
        let c0 = thread_cpu_ns();
        let _ = stop.await;
        let cpu_ns = thread_cpu_ns() - c0;
        let mut report = RelayReport {
            forwarded: 0,
            cpu_ns,
            recorded_frames: 0,
            dropped_frames: 0,
        };
        // All at once: a stop waits for the recorder's next look (up to 100 ms), one after
        // the other that took most of a minute at 500 calls.
        let mut ending = tokio::task::JoinSet::new();
        for s in sessions {
            ending.spawn(async move {
                let forwarded = s.stats().await.forwarded_packets();
                let summary = s.stop_recording().await;
                s.close().await;
                (forwarded, summary)
            });
        }
        while let Some(ended) = ending.join_next().await {
            let (forwarded, summary) = ended.expect("session task");
            report.forwarded += forwarded;
            if let Some(summary) = summary {
                report.recorded_frames += summary.frames_written;
                report.dropped_frames += summary.frames_dropped;
            }
        }
        report
    })
}

struct Run {
    relay_ns_per_pkt: f64,
    total_ns_per_pkt: f64,
}

fn run(calls: usize, secs: u64, record: bool) -> Run {
    let record_dir = record.then(|| {
        let dir = std::env::temp_dir().join(format!("sb-record-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("bench dir");
        dir
    });
    let gen = UdpSocket::bind((LO, 0)).expect("generator socket");
    set_buffers(&gen, 16 << 20);
    gen.set_nonblocking(true).expect("nonblocking");
    let gen_addr = gen.local_addr().expect("addr");
    let (ports_tx, ports_rx) = std_mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
    let dir = record_dir.clone();
    let relay = std::thread::Builder::new()
        .name("relay".into())
        .spawn(move || relay_thread(calls, gen_addr, dir, ports_tx, stop_rx))
        .expect("relay thread");
    pin_to_cpu(0);
    let targets: Vec<SocketAddr> = ports_rx
        .recv()
        .expect("relay ready")
        .into_iter()
        .map(|p| SocketAddr::new(LO, p))
        .collect();

    let mut pkt = [0xd5u8; PKT];
    pkt[0] = 0x80;
    pkt[1] = 0; // PCMU: recorded as audio
    let (p0, g0) = (process_cpu_ns(), thread_cpu_ns());
    let (sent, back) = generate(&gen, &targets, &mut pkt, secs, true);
    std::thread::sleep(Duration::from_millis(100));
    let process_ns = process_cpu_ns() - p0;
    let gen_ns = thread_cpu_ns() - g0;
    let _ = stop_tx.send(());
    let report = relay.join().expect("relay thread");
    if let Some(dir) = record_dir {
        let _ = std::fs::remove_dir_all(dir);
    }
    let per = |ns: u64| ns as f64 / report.forwarded.max(1) as f64;
    let loss = 100.0 * (1.0 - back as f64 / sent.max(1) as f64);
    let result = Run {
        relay_ns_per_pkt: per(report.cpu_ns),
        total_ns_per_pkt: per(process_ns.saturating_sub(gen_ns)),
    };
    println!(
        "{{\"recording\":{record},\"calls\":{calls},\"secs\":{secs},\"forwarded\":{},\"loss_pct\":{loss:.3},\
\"relay_ns_per_pkt\":{:.0},\"relay_plus_recorder_ns_per_pkt\":{:.0},\"recorded_frames\":{},\"dropped_frames\":{}}}",
        report.forwarded,
        result.relay_ns_per_pkt,
        result.total_ns_per_pkt,
        report.recorded_frames,
        report.dropped_frames,
    );
    result
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn main() {
    let mut calls = Vec::new();
    let mut secs = 5;
    let mut rounds = 1;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--secs" => secs = args.next().and_then(|v| v.parse().ok()).unwrap_or(secs),
            "--rounds" => rounds = args.next().and_then(|v| v.parse().ok()).unwrap_or(rounds),
            "--bench" => {}
            other => calls.extend(other.parse::<usize>().ok()),
        }
    }
    if calls.is_empty() {
        calls = vec![100];
    }
    for n in calls {
        let (mut relay, mut total) = (Vec::new(), Vec::new());
        for round in 0..rounds.max(1) {
            let (off, on) = if round % 2 == 0 {
                let off = run(n, secs, false);
                (off, run(n, secs, true))
            } else {
                let on = run(n, secs, true);
                (run(n, secs, false), on)
            };
            relay.push(on.relay_ns_per_pkt / off.relay_ns_per_pkt.max(1.0));
            total.push(on.total_ns_per_pkt / off.total_ns_per_pkt.max(1.0));
            println!(
                "{{\"calls\":{n},\"round\":{round},\"relay_cpu_ratio_on_off\":{:.3},\"total_cpu_ratio_on_off\":{:.3},\"target_max\":1.2}}",
                relay[round], total[round],
            );
        }
        if rounds > 1 {
            println!(
                "{{\"calls\":{n},\"rounds\":{rounds},\"median_relay_cpu_ratio_on_off\":{:.3},\"median_total_cpu_ratio_on_off\":{:.3},\"target_max\":1.2}}",
                median(relay),
                median(total),
            );
        }
    }
}
