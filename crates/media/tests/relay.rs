//! Relay behaviour over real loopback sockets: forwarding, drops, media timeout, port
//! lifecycle, and strict latching against an attacker spraying the port range (from another
//! loopback address, 127.0.0.66: Linux routes all of 127/8 to lo). Every wait is bounded.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use media::{MediaError, MediaEvent, MediaRelay, RelayConfig, RelaySession, Side, StrictSource};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::timeout;

const LO: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const WAIT: Duration = Duration::from_secs(2);

/// A window of `len` ports (even start) that were all free a moment ago. Tests in this binary
/// run in parallel, so each call scans from a different place.
fn free_range(len: u16) -> (u16, u16) {
    testkit::free_udp_range(20000, len)
}

fn relay(ports: u16) -> MediaRelay {
    relay_with_range(ports, StrictSource::Address).0
}

async fn phone() -> UdpSocket {
    UdpSocket::bind((LO, 0)).await.unwrap()
}

fn addr(sock: &UdpSocket) -> SocketAddr {
    sock.local_addr().unwrap()
}

fn relay_addr(session: &RelaySession, side: Side, rtcp: bool) -> SocketAddr {
    SocketAddr::new(LO, session.local_port(side) + u16::from(rtcp))
}

async fn recv(sock: &UdpSocket) -> (Vec<u8>, SocketAddr) {
    let mut buf = [0u8; 2048];
    let (n, from) = timeout(WAIT, sock.recv_from(&mut buf))
        .await
        .expect("packet expected")
        .unwrap();
    (buf[..n].to_vec(), from)
}

async fn nothing_arrives(sock: &UdpSocket) {
    let mut buf = [0u8; 2048];
    let got = timeout(Duration::from_millis(200), sock.recv_from(&mut buf)).await;
    assert!(got.is_err(), "unexpected packet: {got:?}");
}

fn rtp(seq: u8) -> Vec<u8> {
    let mut p = vec![0xd5; 172];
    p[0] = 0x80;
    p[3] = seq;
    p
}

/// A valid RTCP receiver report (no report blocks) carrying `tag` as its SSRC.
fn rtcp(tag: u8) -> Vec<u8> {
    vec![0x80, 201, 0, 1, 0, 0, 0, tag]
}

#[tokio::test]
async fn forwards_rtp_and_rtcp_both_ways_untouched() {
    let relay = relay(8);
    let (events, _rx) = mpsc::unbounded_channel();
    let s = relay.allocate(1, events).await.unwrap();
    assert_eq!(relay.ports_in_use(), 4);
    assert_eq!(s.advertise_ip(), LO);
    assert_eq!(s.local_port(Side::A) % 2, 0);
    assert_ne!(s.local_port(Side::A), s.local_port(Side::B));
    let (a_rtp, a_rtcp, b_rtp, b_rtcp) =
        (phone().await, phone().await, phone().await, phone().await);
    s.set_remote(Side::A, addr(&a_rtp), Some(addr(&a_rtcp)));
    s.set_remote(Side::B, addr(&b_rtp), Some(addr(&b_rtcp)));

    a_rtp
        .send_to(&rtp(1), relay_addr(&s, Side::A, false))
        .await
        .unwrap();
    assert_eq!(recv(&b_rtp).await, (rtp(1), relay_addr(&s, Side::B, false)));
    b_rtp
        .send_to(&rtp(2), relay_addr(&s, Side::B, false))
        .await
        .unwrap();
    assert_eq!(recv(&a_rtp).await, (rtp(2), relay_addr(&s, Side::A, false)));
    a_rtcp
        .send_to(&rtcp(1), relay_addr(&s, Side::A, true))
        .await
        .unwrap();
    assert_eq!(
        recv(&b_rtcp).await,
        (rtcp(1), relay_addr(&s, Side::B, true))
    );
    b_rtcp
        .send_to(&rtcp(2), relay_addr(&s, Side::B, true))
        .await
        .unwrap();
    assert_eq!(
        recv(&a_rtcp).await,
        (rtcp(2), relay_addr(&s, Side::A, true))
    );

    let stats = s.stats().await;
    assert_eq!((stats.a_to_b.rtp.packets, stats.a_to_b.rtp.bytes), (1, 172));
    assert_eq!((stats.b_to_a.rtp.packets, stats.b_to_a.rtp.bytes), (1, 172));
    assert_eq!((stats.a_to_b.rtcp.packets, stats.a_to_b.rtcp.bytes), (1, 8));
    assert_eq!((stats.b_to_a.rtcp.packets, stats.b_to_a.rtcp.bytes), (1, 8));
    assert_eq!(stats.latched_rtp, [Some(addr(&a_rtp)), Some(addr(&b_rtp))]);
    assert_eq!(
        stats.latched_rtcp,
        [Some(addr(&a_rtcp)), Some(addr(&b_rtcp))]
    );
    assert_eq!(stats.forwarded_packets(), 4);
    let last = s.close().await;
    assert_eq!(last, stats);
    assert_eq!(relay.ports_in_use(), 0);
}

#[tokio::test]
async fn counts_packets_dropped_before_the_other_remote_is_known() {
    let relay = relay(4);
    let (events, _rx) = mpsc::unbounded_channel();
    let s = relay.allocate(2, events).await.unwrap();
    let (a, b) = (phone().await, phone().await);
    s.set_remote(Side::A, addr(&a), None);
    for seq in 0..3 {
        a.send_to(&rtp(seq), relay_addr(&s, Side::A, false))
            .await
            .unwrap();
    }
    nothing_arrives(&b).await;
    let stats = s.stats().await;
    assert_eq!(stats.a_to_b.dropped_no_remote, 3);
    assert_eq!(stats.a_to_b.rtp.packets, 0);
    // No RTCP address known for B either (rtcp None): RTCP is dropped too. A's RTCP comes
    // from its RTP port, not the expected RTP port + 1, so it latches after probation.
    for _ in 0..media::PROBATION_RTCP {
        a.send_to(&rtcp(1), relay_addr(&s, Side::A, true))
            .await
            .unwrap();
    }
    s.set_remote(Side::B, addr(&b), None);
    a.send_to(&rtp(9), relay_addr(&s, Side::A, false))
        .await
        .unwrap();
    assert_eq!(recv(&b).await.0, rtp(9));
    let stats = s.stats().await;
    assert_eq!(stats.a_to_b.dropped_no_remote, 4);
    assert_eq!(stats.a_to_b.rtp.packets, 1);
}

async fn next_event(
    rx: &mut mpsc::UnboundedReceiver<MediaEvent>,
    within: Duration,
) -> Option<MediaEvent> {
    timeout(within, rx.recv()).await.ok().flatten()
}

#[tokio::test]
async fn media_timeout_fires_when_idle_and_not_while_rtp_flows() {
    let relay = relay(4);
    let (events, mut rx) = mpsc::unbounded_channel();
    let s = relay.allocate(4, events).await.unwrap();
    let (a, b) = (phone().await, phone().await);
    s.set_remote(Side::A, addr(&a), None);
    s.set_remote(Side::B, addr(&b), None);
    let limit = Duration::from_millis(400);
    s.set_media_timeout(Some(limit));

    // 1.5 s of RTP every 20 ms, only from A: no timeout.
    let to_a = relay_addr(&s, Side::A, false);
    for seq in 0..75u8 {
        a.send_to(&rtp(seq), to_a).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(rx.try_recv().ok(), None, "timeout while media flows");
    }
    // Silence: the event comes, once, with the label and an idle time of at least the limit.
    let event = next_event(&mut rx, Duration::from_secs(2)).await;
    match event {
        Some(MediaEvent::Timeout { label, idle }) => {
            assert_eq!(label, 4);
            assert!(idle >= limit, "{idle:?}");
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(next_event(&mut rx, Duration::from_millis(700)).await, None);

    // Disabled (hold): no event however long the silence.
    s.set_media_timeout(None);
    assert_eq!(next_event(&mut rx, Duration::from_millis(900)).await, None);
    // Re-armed: counts from now, fires again.
    s.set_media_timeout(Some(Duration::from_millis(300)));
    assert!(next_event(&mut rx, Duration::from_secs(2)).await.is_some());
}

#[tokio::test]
async fn ports_are_freed_by_close_and_by_drop_and_exhaustion_is_reported() {
    // Exactly one call's worth of ports.
    let relay = relay(4);
    let (events, _rx) = mpsc::unbounded_channel();
    let first = relay.allocate(5, events.clone()).await.unwrap();
    let ports = (first.local_port(Side::A), first.local_port(Side::B));
    match relay.allocate(6, events.clone()).await {
        Err(MediaError::PortsExhausted { .. }) => {}
        other => panic!("expected PortsExhausted, got {other:?}"),
    }
    assert_eq!(relay.ports_in_use(), 4);
    first.close().await;
    assert_eq!(relay.ports_in_use(), 0);

    let second = relay.allocate(6, events.clone()).await.unwrap();
    // The same two pairs, perhaps the other way round (pairs are picked at random).
    let again = (second.local_port(Side::A), second.local_port(Side::B));
    assert!(again == ports || again == (ports.1, ports.0), "{again:?}");
    drop(second);
    // Drop frees asynchronously (the task notices the closed channel): bounded wait.
    let freed = async {
        while relay.ports_in_use() != 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    timeout(WAIT, freed).await.expect("ports freed after drop");
    let third = relay.allocate(7, events).await.unwrap();
    // The sockets really are new: traffic flows on the reused ports.
    let (a, b) = (phone().await, phone().await);
    third.set_remote(Side::A, addr(&a), None);
    third.set_remote(Side::B, addr(&b), None);
    a.send_to(&rtp(1), relay_addr(&third, Side::A, false))
        .await
        .unwrap();
    assert_eq!(recv(&b).await.0, rtp(1));
}

#[tokio::test]
async fn rejects_bad_ranges() {
    let cfg = |port_min, port_max| RelayConfig {
        bind_ip: LO,
        advertise_ip: LO,
        port_min,
        port_max,
        strict_source: StrictSource::Address,
    };
    assert!(matches!(
        MediaRelay::new(cfg(30001, 30100)),
        Err(MediaError::BadPortRange { .. })
    ));
    assert!(matches!(
        MediaRelay::new(cfg(30000, 30002)),
        Err(MediaError::BadPortRange { .. })
    ));
}

#[tokio::test]
async fn two_sessions_run_concurrently_without_crosstalk() {
    let relay = relay(8);
    let (events, _rx) = mpsc::unbounded_channel();
    let s1 = relay.allocate(8, events.clone()).await.unwrap();
    let s2 = relay.allocate(9, events).await.unwrap();
    assert_eq!(relay.ports_in_use(), 8);
    let mut phones = Vec::new();
    for s in [&s1, &s2] {
        let (a, b) = (phone().await, phone().await);
        s.set_remote(Side::A, addr(&a), None);
        s.set_remote(Side::B, addr(&b), None);
        phones.push((a, b));
    }
    for round in 0..20u8 {
        for (i, s) in [&s1, &s2].into_iter().enumerate() {
            let (a, b) = &phones[i];
            let tag = round * 2 + i as u8;
            a.send_to(&rtp(tag), relay_addr(s, Side::A, false))
                .await
                .unwrap();
            b.send_to(&rtp(tag + 100), relay_addr(s, Side::B, false))
                .await
                .unwrap();
        }
        for (i, (a, b)) in phones.iter().enumerate() {
            let tag = round * 2 + i as u8;
            assert_eq!(recv(b).await.0, rtp(tag));
            assert_eq!(recv(a).await.0, rtp(tag + 100));
        }
    }
    for s in [s1, s2] {
        let stats = s.close().await;
        assert_eq!(stats.a_to_b.rtp.packets, 20);
        assert_eq!(stats.b_to_a.rtp.packets, 20);
    }
    assert_eq!(relay.ports_in_use(), 0);
}

/// Where the attacker sends from: not the phones' IP.
const ATTACKER_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 66));

/// A socket that never spoke SIP, spraying every port of the relay's range with well-formed
/// RTP (one SSRC and consecutive sequence numbers per port, the best a blind attacker can do)
/// every 5 ms, and counting what comes back.
struct Attacker {
    received: Arc<AtomicU64>,
    tasks: [tokio::task::JoinHandle<()>; 2],
}

impl Attacker {
    async fn spray(range: (u16, u16)) -> Attacker {
        let sock = Arc::new(UdpSocket::bind((ATTACKER_IP, 0)).await.unwrap());
        let received = Arc::new(AtomicU64::new(0));
        let (tx, count) = (Arc::clone(&sock), Arc::clone(&received));
        let listen = tokio::spawn(async move {
            let mut buf = [0u8; 2048];
            while tx.recv_from(&mut buf).await.is_ok() {
                count.fetch_add(1, Ordering::Relaxed);
            }
        });
        let send = tokio::spawn(async move {
            for seq in 0u16.. {
                for port in range.0..=range.1 {
                    let mut p = rtp(0);
                    p[2..4].copy_from_slice(&seq.to_be_bytes());
                    p[8..12].copy_from_slice(&u32::from(port).to_be_bytes());
                    let _ = sock.send_to(&p, (LO, port)).await;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
        Attacker {
            received,
            tasks: [listen, send],
        }
    }

    fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }
}

impl Drop for Attacker {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// A relay of `ports` ports and its range.
fn relay_with_range(ports: u16, strict_source: StrictSource) -> (MediaRelay, (u16, u16)) {
    let (port_min, port_max) = free_range(ports);
    let relay = MediaRelay::new(RelayConfig {
        bind_ip: LO,
        advertise_ip: LO,
        port_min,
        port_max,
        strict_source,
    })
    .unwrap();
    (relay, (port_min, port_max))
}

/// A session of a fresh 4-port relay (the session holds every port of the range, so the
/// attacker sprays no one else's sockets), with phones A and B at their SDP addresses.
struct Call {
    range: (u16, u16),
    s: RelaySession,
    a: UdpSocket,
    b: UdpSocket,
    events: mpsc::UnboundedReceiver<MediaEvent>,
}

async fn call(strict_source: StrictSource) -> Call {
    let (relay, range) = relay_with_range(4, strict_source);
    let (events, rx) = mpsc::unbounded_channel();
    let s = relay.allocate(7, events).await.unwrap();
    let (a, b) = (phone().await, phone().await);
    s.set_remote(Side::A, addr(&a), None);
    s.set_remote(Side::B, addr(&b), None);
    Call {
        range,
        s,
        a,
        b,
        events: rx,
    }
}

/// `count` packets of one stream from `from` to `to`, 20 ms apart, sequence numbers from
/// `first`.
async fn talk(from: &UdpSocket, to: SocketAddr, first: u8, count: u8) {
    for seq in first..first + count {
        from.send_to(&rtp(seq), to).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Everything queued on `sock` within `within`.
async fn drain(sock: &UdpSocket, within: Duration) -> Vec<Vec<u8>> {
    let mut got = Vec::new();
    let mut buf = [0u8; 2048];
    while let Ok(Ok((n, _))) = timeout(within, sock.recv_from(&mut buf)).await {
        got.push(buf[..n].to_vec());
    }
    got
}

/// Regression: a socket that sprays the relay ports before either phone has sent latched a
/// side and received the other side's audio.
#[tokio::test]
async fn an_attacker_spraying_before_the_first_packet_gets_nothing() {
    let (relay, range) = relay_with_range(4, StrictSource::Address);
    let (events, _rx) = mpsc::unbounded_channel();
    let s = relay.allocate(8, events).await.unwrap();
    let attacker = Attacker::spray(range).await;
    // The attacker has the ports to itself for a while before the call's SDP is known...
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (a, b) = (phone().await, phone().await);
    s.set_remote(Side::A, addr(&a), None);
    s.set_remote(Side::B, addr(&b), None);
    // ... and after it, before the phones speak.
    tokio::time::sleep(Duration::from_millis(300)).await;
    talk(&a, relay_addr(&s, Side::A, false), 0, 25).await;
    talk(&b, relay_addr(&s, Side::B, false), 100, 25).await;
    assert_eq!(drain(&b, Duration::from_millis(100)).await.len(), 25);
    assert_eq!(drain(&a, Duration::from_millis(100)).await.len(), 25);
    let stats = s.stats().await;
    assert_eq!(attacker.received(), 0);
    assert_eq!(stats.latched_rtp, [Some(addr(&a)), Some(addr(&b))]);
    assert!(stats.a_to_b.rejected_source > 50, "{stats:?}");
    assert!(stats.b_to_a.rejected_source > 50, "{stats:?}");
    // The relay-wide counter has them (sessions report on their tick and at the end).
    s.close().await;
    let total = stats.a_to_b.rejected_source + stats.b_to_a.rejected_source;
    assert!(relay.foreign_packets_dropped() >= total);
}

/// Regression: 300 packets of the caller's audio went to an attacker while the callee was
/// silent.
#[tokio::test]
async fn an_attacker_gets_nothing_while_the_callee_is_silent() {
    let Call { range, s, a, b, .. } = call(StrictSource::Address).await;
    let attacker = Attacker::spray(range).await;
    talk(&a, relay_addr(&s, Side::A, false), 0, 100).await;
    // The callee hears all of it, from its SDP address, without ever having sent.
    assert_eq!(drain(&b, Duration::from_millis(100)).await.len(), 100);
    assert_eq!(attacker.received(), 0);
    let stats = s.stats().await;
    assert_eq!(stats.latched_rtp[1], None);
    assert_eq!(stats.a_to_b.rtp.packets, 100);
    assert_eq!(stats.b_to_a.rtp.packets, 0);
    assert!(stats.b_to_a.rejected_source > 100, "{stats:?}");
}

/// Regression: when the callee paused for 2 s, the attacker took its side over and the callee
/// got nothing from then on.
#[tokio::test]
async fn an_attacker_cannot_take_over_while_the_callee_pauses() {
    let Call { range, s, a, b, .. } = call(StrictSource::Address).await;
    let (to_a, to_b) = (
        relay_addr(&s, Side::A, false),
        relay_addr(&s, Side::B, false),
    );
    talk(&b, to_b, 0, 10).await;
    talk(&a, to_a, 0, 10).await;
    assert_eq!(drain(&a, Duration::from_millis(100)).await.len(), 10);
    assert_eq!(drain(&b, Duration::from_millis(100)).await.len(), 10);
    let attacker = Attacker::spray(range).await;
    // The callee pauses for 2.5 s (past the old 2 s take-over) while the caller talks.
    talk(&a, to_a, 10, 125).await;
    assert_eq!(drain(&b, Duration::from_millis(100)).await.len(), 125);
    // The callee is back: both ways still work and the attacker got nothing.
    talk(&b, to_b, 10, 10).await;
    assert_eq!(drain(&a, Duration::from_millis(100)).await.len(), 10);
    assert_eq!(attacker.received(), 0);
    let stats = s.stats().await;
    assert_eq!(stats.latched_rtp, [Some(addr(&a)), Some(addr(&b))]);
}

/// With `strict_source = "ip"` the attacker (another IP) is refused just the same.
#[tokio::test]
async fn strict_ip_refuses_other_ips_too() {
    let Call { range, s, a, b, .. } = call(StrictSource::Ip).await;
    let attacker = Attacker::spray(range).await;
    talk(&a, relay_addr(&s, Side::A, false), 0, 50).await;
    assert_eq!(drain(&b, Duration::from_millis(100)).await.len(), 50);
    assert_eq!(attacker.received(), 0);
}

/// A phone behind NAT: its SDP names a port it never sends from (same IP). Its stream latches
/// after probation; both ways work from then on, to and from the NAT's port.
#[tokio::test]
async fn a_phone_behind_nat_gets_two_way_audio_after_probation() {
    let Call {
        range,
        s,
        a: sdp_addr,
        b,
        ..
    } = call(StrictSource::Address).await;
    let natted = phone().await;
    let attacker = Attacker::spray(range).await;
    let (to_a, to_b) = (
        relay_addr(&s, Side::A, false),
        relay_addr(&s, Side::B, false),
    );

    // Before A has sent anything, B's media goes to A's SDP address.
    b.send_to(&rtp(1), to_b).await.unwrap();
    assert_eq!(recv(&sdp_addr).await.0, rtp(1));
    // A's stream from the NAT's port: the probation packets are dropped, the rest relayed.
    talk(&natted, to_a, 0, 20).await;
    let got = drain(&b, Duration::from_millis(100)).await;
    let probation = usize::from(media::PROBATION_RTP) - 1;
    assert_eq!(got, (probation as u8..20).map(rtp).collect::<Vec<_>>());
    // B's media now goes to the NAT's port, not the SDP's.
    talk(&b, to_b, 2, 5).await;
    assert_eq!(drain(&natted, Duration::from_millis(100)).await.len(), 5);
    nothing_arrives(&sdp_addr).await;
    let stats = s.stats().await;
    assert_eq!(stats.latched_rtp[0], Some(addr(&natted)));
    assert_eq!(stats.a_to_b.dropped_probation, probation as u64);
    // Latched: another port of the same IP is refused (strict address).
    let other = phone().await;
    talk(&other, to_a, 50, 10).await;
    nothing_arrives(&b).await;
    assert_eq!(attacker.received(), 0);
}

/// A re-INVITE to a new address (new offer/answer) moves the media there; the old address is
/// a stranger from then on.
#[tokio::test]
async fn a_new_sdp_address_moves_the_media() {
    let Call { s, a, b, .. } = call(StrictSource::Address).await;
    let (to_a, to_b) = (
        relay_addr(&s, Side::A, false),
        relay_addr(&s, Side::B, false),
    );
    talk(&b, to_b, 0, 3).await;
    assert_eq!(drain(&a, Duration::from_millis(100)).await.len(), 3);
    // Same address again (session refresh): the latch stays.
    s.set_remote(Side::B, addr(&b), None);
    talk(&a, to_a, 0, 3).await;
    assert_eq!(drain(&b, Duration::from_millis(100)).await.len(), 3);

    // The phone moved to another network (another IP).
    let moved = UdpSocket::bind((Ipv4Addr::new(127, 0, 0, 2), 0))
        .await
        .unwrap();
    s.set_remote(Side::B, addr(&moved), None);
    // A's media goes to B's new address at once, before B has sent from it.
    talk(&a, to_a, 3, 3).await;
    assert_eq!(drain(&moved, Duration::from_millis(100)).await.len(), 3);
    nothing_arrives(&b).await;
    // The old address is refused; the new one latches with its first packet.
    talk(&b, to_b, 3, 3).await;
    nothing_arrives(&a).await;
    talk(&moved, to_b, 10, 3).await;
    assert_eq!(drain(&a, Duration::from_millis(100)).await.len(), 3);
    let stats = s.stats().await;
    assert_eq!(stats.latched_rtp[1], Some(addr(&moved)));
    assert_eq!(stats.b_to_a.rejected_source, 3);
}

/// Packets that were refused or on probation do not keep a call alive.
#[tokio::test]
async fn refused_packets_do_not_hold_off_the_media_timeout() {
    let Call {
        range,
        s,
        events: mut rx,
        ..
    } = call(StrictSource::Address).await;
    let _attacker = Attacker::spray(range).await;
    // Also a same-IP source that never passes probation (sequence numbers jump).
    let natted = phone().await;
    let to_a = relay_addr(&s, Side::A, false);
    let prober = tokio::spawn(async move {
        for seq in (0..=255u8).step_by(2).cycle() {
            let _ = natted.send_to(&rtp(seq), to_a).await;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    s.set_media_timeout(Some(Duration::from_millis(400)));
    let event = next_event(&mut rx, Duration::from_secs(2)).await;
    prober.abort();
    assert!(
        matches!(event, Some(MediaEvent::Timeout { .. })),
        "{event:?}"
    );
    let stats = s.stats().await;
    assert!(stats.a_to_b.dropped_probation > 10, "{stats:?}");
    assert_eq!(stats.latched_rtp, [None, None]);
}

/// A ZRTP Hello's header (RFC 6189 §5): version bits 0001, sequence `seq`, the `ZRTP` cookie.
fn zrtp_hello(seq: u8) -> Vec<u8> {
    let mut p = vec![0x10, 0, 0, seq];
    p.extend_from_slice(b"ZRTP");
    p.extend_from_slice(&[0, 0, 0, 7, 0x50, 0x5a, 0, 0x1d]);
    p.extend_from_slice(b"Hello   1.10");
    p
}

/// Issue #15: ZRTP keys cannot be agreed through the relay (the phones stay in clear RTP the
/// recorder can decode), unless the call's offers went on as written.
#[tokio::test]
async fn zrtp_packets_are_dropped_and_counted_unless_passed() {
    let relay = relay(8);
    let (events, _rx) = mpsc::unbounded_channel();
    let s = relay.allocate(1, events).await.unwrap();
    let (a, b) = (phone().await, phone().await);
    s.set_remote(Side::A, addr(&a), None);
    s.set_remote(Side::B, addr(&b), None);
    let (to_a, to_b) = (
        relay_addr(&s, Side::A, false),
        relay_addr(&s, Side::B, false),
    );
    // Latched by its first RTP packet, A's ZRTP Hello goes no further; RTP still does.
    a.send_to(&rtp(1), to_a).await.unwrap();
    assert_eq!(recv(&b).await.0, rtp(1));
    a.send_to(&zrtp_hello(1), to_a).await.unwrap();
    b.send_to(&zrtp_hello(1), to_b).await.unwrap();
    a.send_to(&rtp(2), to_a).await.unwrap();
    assert_eq!(recv(&b).await.0, rtp(2));
    nothing_arrives(&a).await;
    let stats = s.stats().await;
    assert_eq!(stats.a_to_b.dropped_zrtp, 1, "{stats:?}");
    assert_eq!(stats.a_to_b.rtp.packets, 2, "{stats:?}");
    // B had not latched: its Hello was not RTP from the SDP address, refused as such.
    assert_eq!(stats.b_to_a.rejected_source, 1, "{stats:?}");

    s.pass_zrtp(true);
    a.send_to(&zrtp_hello(2), to_a).await.unwrap();
    assert_eq!(recv(&b).await.0, zrtp_hello(2));
    assert_eq!(s.stats().await.a_to_b.dropped_zrtp, 1);
}
