//! Concurrent web calls through the WebRTC gateway (docs/benchmarks.md, "Web calls").
//!
//! `cargo bench -p switchboard-webcall --bench web_calls -- N [WARMUP_S] [MEASURE_S]`
//!
//! N legs, each answered by [`WebLeg`] against a full-ICE webrtc peer (the browser stand-in of
//! the tests) and bridged to a plain RTP socket. Both ends send PCMU every 20 ms, so every leg
//! carries 50 packets/s each way through real DTLS-SRTP. Three runtimes, each on threads of its
//! own name, keep the costs apart: `gw` runs the legs (the gateway), `peer` the browser
//! stand-ins, `rtp` the plain RTP ends. The CPU time of each group's threads
//! (`/proc/self/task/*/stat`) over the measured interval gives the gateway's share alone.
//! Packets are counted at both ends: a run that lost more than 5 % fails.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::runtime::{Builder, Runtime};
use tokio::time::{interval, MissedTickBehavior};
use webcall::{WebCallConfig, WebLeg};

#[allow(dead_code)] // the bench uses the peer, not the tests' helpers
#[path = "../tests/common/peer.rs"]
mod peer;
use peer::Peer;

/// Packets sent and received by one kind of end, all legs together.
#[derive(Default)]
struct Counts {
    sent: AtomicU64,
    heard: AtomicU64,
}

fn runtime(name: &str, threads: usize) -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name(name)
        .enable_all()
        .build()
        .expect("runtime")
}

/// CPU ticks (utime + stime, USER_HZ) of this process's threads, by thread name.
fn thread_ticks() -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        if let Some(t) = parse_stat(&stat) {
            out.push(t);
        }
    }
    out
}

/// (comm, utime + stime) from a `/proc/.../stat` line.
fn parse_stat(stat: &str) -> Option<(String, u64)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_owned();
    let fields: Vec<&str> = stat.get(close + 2..)?.split_whitespace().collect();
    // After the name: state is field 3; utime and stime are fields 14 and 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((comm, utime + stime))
}

/// The whole process's ticks (threads that ended included).
fn process_ticks() -> u64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .as_deref()
        .and_then(parse_stat)
        .map_or(0, |(_, t)| t)
}

/// Ticks per group: gw, peer, rtp, other.
fn group_ticks() -> [u64; 4] {
    let mut g = [0u64; 4];
    for (name, ticks) in thread_ticks() {
        let i = match name.as_str() {
            "gw" => 0,
            "peer" => 1,
            "rtp" => 2,
            _ => 3,
        };
        g[i] += ticks;
    }
    g
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn pcmu(seq: u16) -> Vec<u8> {
    let mut v = vec![0x80, 0];
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&(u32::from(seq).wrapping_mul(160)).to_be_bytes());
    v.extend_from_slice(&0x5eed_u32.to_be_bytes());
    v.extend_from_slice(&[0x22; 160]);
    v
}

/// The plain RTP end of one leg: 50 packets/s to the leg, counting what comes back.
async fn plain_end(socket: UdpSocket, leg: SocketAddr, counts: Arc<Counts>) {
    let socket = Arc::new(socket);
    let rx = socket.clone();
    let heard = counts.clone();
    tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        while rx.recv_from(&mut buf).await.is_ok() {
            heard.heard.fetch_add(1, Ordering::Relaxed);
        }
    });
    let mut tick = interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut seq = 0u16;
    loop {
        tick.tick().await;
        seq = seq.wrapping_add(1);
        if socket.send_to(&pcmu(seq), leg).await.is_ok() {
            counts.sent.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The browser stand-in of one leg: 50 packets/s to the leg, counting what it hears.
async fn browser_end(mut peer: Peer, counts: Arc<Counts>) {
    let mut tick = interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                peer.send(0, &[0x55; 160]).await;
                counts.sent.fetch_add(1, Ordering::Relaxed);
            }
            got = peer.heard.recv() => match got {
                Some(_) => { counts.heard.fetch_add(1, Ordering::Relaxed); }
                None => return,
            },
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    // cargo bench passes `--bench`; the numbers are ours.
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(50) as usize;
    let warmup = Duration::from_secs(args.get(1).copied().unwrap_or(5));
    let measure = Duration::from_secs(args.get(2).copied().unwrap_or(20));

    let gw = runtime("gw", 2);
    let peers = runtime("peer", 2);
    let rtp = runtime("rtp", 1);
    let cfg = WebCallConfig {
        ports: 46000..=46999,
        ..WebCallConfig::default()
    };
    let browsers = Arc::new(Counts::default());
    let plains = Arc::new(Counts::default());
    let mut legs = Vec::with_capacity(n);
    let mut setups = Vec::with_capacity(n);
    let load_before = loadavg();
    let setup_started = Instant::now();
    for i in 0..n {
        let (mut peer, offer) = peers.block_on(Peer::offer());
        let socket = rtp.block_on(UdpSocket::bind("127.0.0.1:0")).expect("bind");
        let plain = socket.local_addr().expect("addr");
        // Offer → Connected: the answer, the peer's ICE checks and DTLS, the leg's Connected.
        let started = Instant::now();
        let cfg = cfg.clone();
        let (leg, answer) = gw
            .block_on(gw.spawn(async move { WebLeg::answer(&offer, &cfg, plain).await }))
            .expect("join")
            .unwrap_or_else(|e| panic!("leg {i}: {e}"));
        let accept = peers.spawn(async move {
            peer.accept(answer).await;
            peer
        });
        let mut leg = leg;
        let leg = gw
            .block_on(gw.spawn(async move { leg.connected().await.map(|()| leg) }))
            .expect("join")
            .unwrap_or_else(|e| panic!("leg {i} did not connect: {e}"));
        let peer = peers.block_on(accept).expect("peer connected");
        setups.push(started.elapsed());
        peers.spawn(browser_end(peer, browsers.clone()));
        rtp.spawn(plain_end(socket, leg.rtp_addr(), plains.clone()));
        legs.push(leg);
    }
    let setup_took = setup_started.elapsed();
    setups.sort();

    std::thread::sleep(warmup);
    let (g0, p0, b0, t0) = (
        group_ticks(),
        process_ticks(),
        directions(&browsers, &plains),
        Instant::now(),
    );
    std::thread::sleep(measure);
    let (g1, p1, b1, wall) = (
        group_ticks(),
        process_ticks(),
        directions(&browsers, &plains),
        t0.elapsed(),
    );
    let load_after = loadavg();

    // USER_HZ is 100 on Linux: a tick is 10 ms.
    let pct = |ticks: u64| ticks as f64 * 10.0 / wall.as_millis() as f64 * 100.0;
    let names = [
        "gateway (gw)",
        "browser peers",
        "plain RTP ends",
        "other threads",
    ];
    println!("web calls: {n} legs, warm-up {warmup:?}, measured {wall:.1?}");
    println!("load average before {load_before}, after {load_after}");
    println!(
        "setup offer→Connected: median {:.1?}, p95 {:.1?}, max {:.1?} ({n} legs one after another in {setup_took:.1?})",
        percentile(&setups, 0.5),
        percentile(&setups, 0.95),
        percentile(&setups, 1.0),
    );
    for (i, name) in names.iter().enumerate() {
        let d = g1[i].saturating_sub(g0[i]);
        println!(
            "CPU {name:>15}: {:6.1} % of a core, {:6.3} % per call",
            pct(d),
            pct(d) / n as f64
        );
    }
    println!(
        "CPU process total: {:.1} % of a core",
        pct(p1.saturating_sub(p0))
    );
    let secs = wall.as_secs_f64();
    let nominal = n as f64 * 50.0 * secs;
    let mut lost = false;
    let mut relayed = 0u64;
    for (label, (s0, h0), (s1, h1)) in [
        ("browser → plain", b0.0, b1.0),
        ("plain → browser", b0.1, b1.1),
    ] {
        let (sent, heard) = (s1 - s0, h1 - h0);
        relayed += heard;
        // What was in flight at either edge of the window: a packet per leg is noise.
        let delivered = heard as f64 / sent.max(1) as f64 * 100.0;
        let rate = sent as f64 / nominal * 100.0;
        println!(
            "packets {label}: sent {sent} ({rate:.1} % of 50/s per leg), delivered {heard} ({delivered:.1} %)"
        );
        if rate < 95.0 {
            println!("  (the senders fell behind: the per-packet figure below still holds)");
        }
        lost |= delivered < 95.0;
    }
    let gw_ticks = g1[0].saturating_sub(g0[0]);
    let gw_per_call = pct(gw_ticks) / n as f64;
    // A tick is 10 ms; a call at full rate relays 100 packets/s (50 each way).
    let us_per_packet = gw_ticks as f64 * 10_000.0 / relayed.max(1) as f64;
    println!(
        "gateway: {gw_per_call:.3} % of a core per web call as run, {us_per_packet:.1} µs CPU per relayed packet \
         = {:.0} web calls per core at 50 packets/s each way",
        1_000_000.0 / (us_per_packet * 100.0)
    );
    if lost {
        eprintln!("FAILED: packets were lost (above): the CPU numbers do not count");
        std::process::exit(1);
    }
    // Exit with the legs still up: tearing 200 connections down is not what was measured, and
    // the stand-ins' writes would fail (and panic) as their legs went.
    std::process::exit(0);
}

/// (sent, heard) browser → plain end, and plain end → browser.
type Directions = ((u64, u64), (u64, u64));

fn directions(browsers: &Counts, plains: &Counts) -> Directions {
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    (
        (get(&browsers.sent), get(&plains.heard)),
        (get(&plains.sent), get(&browsers.heard)),
    )
}
