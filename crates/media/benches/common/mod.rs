//! What the relay and recording benchmarks share: packet size, CPU pinning, CPU-time clocks
//! (the same clocks the C reference relay reads), socket buffers and RSS.
#![allow(dead_code)] // each benchmark uses its own subset

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

/// One RTP packet: 12-byte header + 20 ms of G.711.
pub const PKT: usize = 172;
pub const LO: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

pub fn pin_to_cpu(cpu: usize) {
    // SAFETY: plain libc call on a zeroed cpu_set_t for the calling thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

fn cpu_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// CPU time of the calling thread.
pub fn thread_cpu_ns() -> u64 {
    cpu_ns(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// CPU time of the whole process.
pub fn process_cpu_ns() -> u64 {
    cpu_ns(libc::CLOCK_PROCESS_CPUTIME_ID)
}

pub fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

pub fn set_buffers(sock: &UdpSocket, bytes: i32) {
    for opt in [libc::SO_RCVBUF, libc::SO_SNDBUF] {
        // SAFETY: setsockopt on a valid fd with a pointer to an i32 of the right size.
        unsafe {
            libc::setsockopt(
                sock.as_raw_fd(),
                libc::SOL_SOCKET,
                opt,
                (&bytes as *const i32).cast(),
                std::mem::size_of::<i32>() as libc::socklen_t,
            );
        }
    }
}

/// Play both phones of every call from `gen` for `secs`: one `pkt` to every target per 20 ms,
/// spread over 1 ms slices, reading back what the relay forwards in between. With
/// `advance_rtp`, sequence number and timestamp move on every 20 ms (a real stream, for the
/// recorder). Returns (sent, received back).
pub fn generate(
    gen: &UdpSocket,
    targets: &[SocketAddr],
    pkt: &mut [u8; PKT],
    secs: u64,
    advance_rtp: bool,
) -> (u64, u64) {
    let mut rbuf = [0u8; 2048];
    let (mut sent, mut back) = (0u64, 0u64);
    let slices = 20usize;
    let slice = Duration::from_millis(1);
    let t0 = Instant::now();
    let end = t0 + Duration::from_secs(secs);
    let mut next = t0;
    let mut s = 0usize;
    let mut seq = 0u16;
    while Instant::now() < end {
        let n = targets.len();
        if advance_rtp && s == 0 {
            seq = seq.wrapping_add(1);
            pkt[2..4].copy_from_slice(&seq.to_be_bytes());
            pkt[4..8].copy_from_slice(&(u32::from(seq) * 160).to_be_bytes());
        }
        for target in &targets[n * s / slices..n * (s + 1) / slices] {
            if gen.send_to(&pkt[..], target).is_ok() {
                sent += 1;
            }
        }
        s = (s + 1) % slices;
        next += slice;
        loop {
            while gen.recv_from(&mut rbuf).is_ok() {
                back += 1;
            }
            let now = Instant::now();
            if now >= next {
                break;
            }
            if next - now > Duration::from_micros(200) {
                std::thread::sleep(Duration::from_micros(100));
            }
        }
    }
    (sent, back)
}
