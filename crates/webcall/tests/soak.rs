//! Connected legs leave nothing behind (the soak, scaled for the test suite; set
//! `WEBCALL_SOAK_CYCLES` for more): connect a browser stand-in, pass a packet each way, close,
//! repeat; file descriptors and the runtime's live tasks return to where they were, and memory
//! grows by no more than a bound (webrtc 0.21.0 leaked every connection through a reference
//! cycle). In a process of its own: descriptors and memory are counted for the whole process.

use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::time::timeout;
use webcall::WebCallConfig;

mod common;
use common::peer::{connected_leg, send_until_heard};

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// Resident memory in kB (Linux: /proc/self/status, VmRSS).
fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// One call: connect, a packet each way, close both ends.
async fn one_call(relay: &UdpSocket, cfg: &WebCallConfig) {
    let (mut peer, leg) = connected_leg(relay, cfg).await;
    let mut buf = [0u8; 1500];
    let (_, from) = send_until_heard(&mut peer, relay, &mut buf).await;
    let mut back = vec![0x80, 0, 0, 1, 0, 0, 0, 160, 0, 0, 0, 7];
    back.extend_from_slice(&[0x22; 160]);
    relay.send_to(&back, from).await.expect("send");
    timeout(Duration::from_secs(5), peer.heard.recv())
        .await
        .expect("audio reaches the peer")
        .expect("packet");
    leg.close().await;
    peer.pc.close().await.expect("peer closed");
    // Drain what was in flight, so the next call starts from an empty socket.
    while let Ok(Ok(_)) = timeout(Duration::from_millis(1), relay.recv_from(&mut buf)).await {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_and_close_cycles_free_sockets_tasks_and_memory() {
    let cycles: usize = std::env::var("WEBCALL_SOAK_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let relay = UdpSocket::bind("127.0.0.1:0").await.expect("relay");
    let cfg = WebCallConfig {
        ports: 43000..=43999,
        ..WebCallConfig::default()
    };
    let metrics = tokio::runtime::Handle::current().metrics();
    // Warm-up: allocator arenas, lazily built process-wide state.
    for _ in 0..10 {
        one_call(&relay, &cfg).await;
    }
    let (fds, tasks, rss) = (open_fds(), metrics.num_alive_tasks(), rss_kb());
    let started = Instant::now();
    for _ in 0..cycles {
        one_call(&relay, &cfg).await;
    }
    let took = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(5);
    while metrics.num_alive_tasks() > tasks && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let grown = rss_kb().saturating_sub(rss);
    eprintln!(
        "soak: {cycles} calls in {took:?} ({:?} each), RSS {rss} kB -> +{grown} kB",
        took / cycles.max(1) as u32
    );
    assert_eq!(metrics.num_alive_tasks(), tasks, "tasks before and after");
    assert_eq!(open_fds(), fds, "file descriptors before and after");
    // A leaked connection holds its buffers, keys and tasks: well over 20 kB each.
    let bound = 20 * cycles as u64;
    assert!(
        grown <= bound.max(1024),
        "RSS grew {grown} kB over {cycles} calls"
    );
}
