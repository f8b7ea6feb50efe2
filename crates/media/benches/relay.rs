//! RTP relay cost benchmark (loopback): N relayed calls, a generator thread playing both phones
//! of every call from one socket (172-byte RTP every 20 ms each way, like the C reference in
//! shared/perfkit/relaybench), the relay on its own thread with a tokio current_thread runtime.
//! Reports relay-thread CPU ns per forwarded packet, loss, and RSS per session, one JSON line
//! per call count.
//!
//! Run: `cargo bench -p switchboard-media --bench relay -- [CALLS...] [--secs S]
//! [--monitor listen|whisper|barge]` (default 50 200 500, 8 s). `benches/relay_vs_c.sh` runs
//! it next to the C relay. With `--monitor` every call also has a supervisor (a listener on
//! side B's agent, fed by the generator too in whisper and barge): the relay then also sends
//! one mixed packet per frame pair to the supervisor, counted apart from `forwarded`.

use std::net::{SocketAddr, UdpSocket};
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use media::{Codec, MediaRelay, MonitorMode, RelayConfig, RelaySession, Side, StrictSource};

mod common;
use common::*;

struct RelayReport {
    forwarded: u64,
    /// Mixed packets sent to supervisors.
    to_supervisors: u64,
    cpu_ns: u64,
    rss_before_kb: u64,
    rss_allocated_kb: u64,
    rss_after_traffic_kb: u64,
}

/// The relay thread: allocate `calls` sessions pointing both sides at the generator, report
/// the RTP ports, forward until told to stop.
fn relay_thread(
    calls: usize,
    monitor: Option<MonitorMode>,
    generator: SocketAddr,
    ports_tx: std_mpsc::Sender<Vec<u16>>,
    stop: tokio::sync::oneshot::Receiver<()>,
) -> RelayReport {
    pin_to_cpu(1);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let relay = MediaRelay::new(RelayConfig {
            bind_ip: LO,
            advertise_ip: LO,
            port_min: 30000,
            port_max: 30000 + (calls as u16) * 6 + 400,
            strict_source: StrictSource::default(),
        })
        .expect("relay config");
        let (events, _events_rx) = tokio::sync::mpsc::unbounded_channel();
        let rss_before_kb = rss_kb();
        let mut sessions: Vec<RelaySession> = Vec::with_capacity(calls);
        for i in 0..calls {
            let s = relay
                .allocate(i as u64, events.clone())
                .await
                .expect("allocate");
            s.set_remote(Side::A, generator, None);
            s.set_remote(Side::B, generator, None);
            sessions.push(s);
        }
        let mut listeners = Vec::new();
        if let Some(mode) = monitor {
            for s in &sessions {
                let port = s
                    .add_listener(Side::B, mode, Codec::Pcmu, None)
                    .expect("listener");
                s.set_listener_remote(generator, None);
                // The supervisor talks only where someone hears it.
                if mode != MonitorMode::Listen {
                    listeners.push(port);
                }
            }
        }
        // Let every task start and register its sockets before measuring.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let rss_allocated_kb = rss_kb();
        let ports = sessions
            .iter()
            .flat_map(|s| [s.local_port(Side::A), s.local_port(Side::B)])
            .chain(listeners)
            .collect();
        ports_tx.send(ports).expect("main thread waits");
        let c0 = thread_cpu_ns();
        let _ = stop.await;
        let cpu_ns = thread_cpu_ns() - c0;
        let rss_after_traffic_kb = rss_kb();
        let (mut forwarded, mut to_supervisors) = (0, 0);
        for s in &sessions {
            let stats = s.stats().await;
            forwarded += stats.forwarded_packets();
            to_supervisors += stats.listener.map_or(0, |l| l.mix.to_supervisor);
        }
        for s in sessions {
            s.close().await;
        }
        RelayReport {
            forwarded,
            to_supervisors,
            cpu_ns,
            rss_before_kb,
            rss_allocated_kb,
            rss_after_traffic_kb,
        }
    })
}

fn run(calls: usize, secs: u64, monitor: Option<MonitorMode>) {
    let gen = UdpSocket::bind((LO, 0)).expect("generator socket");
    set_buffers(&gen, 16 << 20);
    gen.set_nonblocking(true).expect("nonblocking");
    let gen_addr = gen.local_addr().expect("addr");
    let (ports_tx, ports_rx) = std_mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
    let relay = std::thread::Builder::new()
        .name("relay".into())
        .spawn(move || relay_thread(calls, monitor, gen_addr, ports_tx, stop_rx))
        .expect("relay thread");
    pin_to_cpu(0);
    let targets: Vec<SocketAddr> = ports_rx
        .recv()
        .expect("relay ready")
        .into_iter()
        .map(|p| SocketAddr::new(LO, p))
        .collect();

    // PCMU (payload type 0) so a listener's mixer decodes it.
    let mut pkt = [0xd5u8; PKT];
    pkt[0] = 0x80;
    pkt[1] = 0;
    let (sent, mut back) = generate(&gen, &targets, &mut pkt, secs, false);
    std::thread::sleep(Duration::from_millis(100));
    let _ = stop_tx.send(());
    let report = relay.join().expect("relay thread");
    let mut rbuf = [0u8; 2048];
    for _ in 0..50 {
        while gen.recv_from(&mut rbuf).is_ok() {
            back += 1;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let ns_per = if report.forwarded > 0 {
        report.cpu_ns as f64 / report.forwarded as f64
    } else {
        0.0
    };
    let loss = if sent > 0 {
        100.0 * (1.0 - back as f64 / sent as f64)
    } else {
        0.0
    };
    let per_session = |kb: u64| kb.saturating_sub(report.rss_before_kb) as f64 / calls as f64;
    println!(
        "{{\"mode\":\"rust-tokio\",\"monitor\":\"{}\",\"calls\":{calls},\"secs\":{secs},\"offered_pps\":{},\"sent\":{sent},\
\"forwarded\":{},\"to_supervisors\":{},\"received_back\":{back},\"loss_pct\":{loss:.3},\"relay_cpu_pct_one_core\":{:.1},\
\"relay_ns_per_pkt\":{ns_per:.0},\"rss_kb_per_session_idle\":{:.1},\"rss_kb_per_session_after_traffic\":{:.1}}}",
        monitor.map_or("none", MonitorMode::as_str),
        100 * calls,
        report.forwarded,
        report.to_supervisors,
        100.0 * report.cpu_ns as f64 / (secs as f64 * 1e9),
        per_session(report.rss_allocated_kb),
        per_session(report.rss_after_traffic_kb),
    );
}

fn main() {
    let mut calls = Vec::new();
    let mut secs = 8;
    let mut monitor = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--secs" => secs = args.next().and_then(|v| v.parse().ok()).unwrap_or(secs),
            "--bench" => {}
            "--monitor" => monitor = args.next().and_then(|m| m.parse().ok()),
            other => calls.extend(other.parse::<usize>().ok()),
        }
    }
    if calls.is_empty() {
        calls = vec![50, 200, 500];
    }
    for n in calls {
        run(n, secs, monitor);
    }
}
