//! Relay behaviour over real loopback sockets: forwarding, latching, drops, media timeout, port
//! lifecycle. Every wait is bounded.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use media::{MediaError, MediaEvent, MediaRelay, RelayConfig, RelaySession, Side, RELATCH_AFTER};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::timeout;

const LO: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const WAIT: Duration = Duration::from_secs(2);

/// A window of `len` ports (even start) that were all free a moment ago. Tests in this binary
/// run in parallel, so each call scans from a different place.
fn free_range(len: u16) -> (u16, u16) {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let start = 20000 + (std::process::id() % 1000) as u16 * 30;
    loop {
        let base = start + NEXT.fetch_add(len + 2, Ordering::Relaxed) % 30000;
        let base = base & !1;
        let all_free = (base..base + len).all(|p| std::net::UdpSocket::bind((LO, p)).is_ok());
        if all_free {
            return (base, base + len - 1);
        }
    }
}

fn relay(ports: u16) -> MediaRelay {
    let (port_min, port_max) = free_range(ports);
    MediaRelay::new(RelayConfig {
        bind_ip: LO,
        advertise_ip: LO,
        port_min,
        port_max,
    })
    .unwrap()
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
        .send_to(b"rtcp-from-a", relay_addr(&s, Side::A, true))
        .await
        .unwrap();
    assert_eq!(
        recv(&b_rtcp).await,
        (b"rtcp-from-a".to_vec(), relay_addr(&s, Side::B, true))
    );
    b_rtcp
        .send_to(b"rtcp-b", relay_addr(&s, Side::B, true))
        .await
        .unwrap();
    assert_eq!(
        recv(&a_rtcp).await,
        (b"rtcp-b".to_vec(), relay_addr(&s, Side::A, true))
    );

    let stats = s.stats().await;
    assert_eq!((stats.a_to_b.rtp.packets, stats.a_to_b.rtp.bytes), (1, 172));
    assert_eq!((stats.b_to_a.rtp.packets, stats.b_to_a.rtp.bytes), (1, 172));
    assert_eq!(
        (stats.a_to_b.rtcp.packets, stats.a_to_b.rtcp.bytes),
        (1, 11)
    );
    assert_eq!((stats.b_to_a.rtcp.packets, stats.b_to_a.rtcp.bytes), (1, 6));
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
    // No RTCP address known for B either (rtcp None): RTCP is dropped too.
    a.send_to(b"rtcp", relay_addr(&s, Side::A, true))
        .await
        .unwrap();
    s.set_remote(Side::B, addr(&b), None);
    a.send_to(&rtp(9), relay_addr(&s, Side::A, false))
        .await
        .unwrap();
    assert_eq!(recv(&b).await.0, rtp(9));
    let stats = s.stats().await;
    assert_eq!(stats.a_to_b.dropped_no_remote, 4);
    assert_eq!(stats.a_to_b.rtp.packets, 1);
}

/// Phone A is behind NAT: its SDP names an address it never sends from.
#[tokio::test]
async fn latches_to_natted_source_refuses_injection_and_relatches_after_silence() {
    let relay = relay(4);
    let (events, _rx) = mpsc::unbounded_channel();
    let s = relay.allocate(3, events).await.unwrap();
    let (sdp_addr, natted, injector, b) =
        (phone().await, phone().await, phone().await, phone().await);
    s.set_remote(Side::A, addr(&sdp_addr), None);
    s.set_remote(Side::B, addr(&b), None);
    let to_a = relay_addr(&s, Side::A, false);
    let to_b = relay_addr(&s, Side::B, false);

    // Before A has sent anything, the SDP address is used.
    b.send_to(&rtp(1), to_b).await.unwrap();
    assert_eq!(recv(&sdp_addr).await.0, rtp(1));
    // A's first packet latches its NAT address; B's media now goes there.
    natted.send_to(&rtp(2), to_a).await.unwrap();
    assert_eq!(recv(&b).await.0, rtp(2));
    b.send_to(&rtp(3), to_b).await.unwrap();
    assert_eq!(recv(&natted).await.0, rtp(3));
    // A third party on A's port is refused while A talks.
    injector.send_to(&rtp(66), to_a).await.unwrap();
    nothing_arrives(&b).await;
    assert_eq!(s.stats().await.a_to_b.rejected_source, 1);

    // After RELATCH_AFTER of silence from the latched source, a new source takes over.
    tokio::time::sleep(RELATCH_AFTER + Duration::from_millis(300)).await;
    injector.send_to(&rtp(4), to_a).await.unwrap();
    assert_eq!(recv(&b).await.0, rtp(4));
    b.send_to(&rtp(5), to_b).await.unwrap();
    assert_eq!(recv(&injector).await.0, rtp(5));
    natted.send_to(&rtp(67), to_a).await.unwrap();
    nothing_arrives(&b).await;

    // Same SDP again (session refresh) keeps the latch; a new SDP address clears it.
    s.set_remote(Side::A, addr(&sdp_addr), None);
    b.send_to(&rtp(6), to_b).await.unwrap();
    assert_eq!(recv(&injector).await.0, rtp(6));
    let moved = phone().await;
    s.set_remote(Side::A, addr(&moved), None);
    b.send_to(&rtp(7), to_b).await.unwrap();
    assert_eq!(recv(&moved).await.0, rtp(7));
    let stats = s.stats().await;
    assert_eq!(stats.latched_rtp[0], None);
    assert_eq!(stats.a_to_b.rejected_source, 2);
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
    assert_eq!(
        (second.local_port(Side::A), second.local_port(Side::B)),
        ports
    );
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
