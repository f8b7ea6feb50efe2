//! A connected leg without a browser (a full-ICE webrtc peer on loopback stands in for it):
//! audio and key presses both ways between the peer and the relay's socket, and a peer that
//! goes away ends its leg.

use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::time::timeout;
use webcall::{EndReason, LegEvent, WebCallConfig};

mod common;
use common::peer::{connected_leg, send_until_heard, PEER_EVENT_PT};

fn config() -> WebCallConfig {
    WebCallConfig {
        ports: 44000..=44999,
        disconnected_timeout: Duration::from_millis(500),
        failed_timeout: Duration::from_millis(500),
        ..WebCallConfig::default()
    }
}

fn rtp(pt: u8, seq: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x80, pt];
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    v.extend_from_slice(&7u32.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audio_and_key_presses_cross_the_leg_both_ways() {
    let relay = UdpSocket::bind("127.0.0.1:0").await.expect("relay");
    let (mut peer, leg) = connected_leg(&relay, &config()).await;

    // Peer to relay: PCMU unchanged on 0, the peer's telephone-event type becomes 101.
    let mut buf = [0u8; 1500];
    let heard = send_until_heard(&mut peer, &relay, &mut buf).await;
    assert_eq!(heard.1, leg.rtp_addr());
    let packet = media::RtpPacket::parse(&buf[..heard.0]).expect("RTP");
    assert_eq!(
        (packet.payload_type(), packet.payload()),
        (0, &[0x55; 160][..])
    );
    peer.send(PEER_EVENT_PT, &[1, 0x8a, 0, 160]).await;
    loop {
        let (n, _) = timeout(Duration::from_secs(5), relay.recv_from(&mut buf))
            .await
            .expect("the peer's key press reaches the relay")
            .expect("recv");
        let packet = media::RtpPacket::parse(&buf[..n]).expect("RTP");
        if packet.payload_type() != 0 {
            assert_eq!(
                (packet.payload_type(), packet.payload()),
                (101, &[1, 0x8a, 0, 160][..])
            );
            break;
        }
    }

    // Relay to peer: PCMU and events; a stranger's packets are not forwarded.
    let stranger = UdpSocket::bind("127.0.0.1:0").await.expect("stranger");
    stranger
        .send_to(&rtp(0, 1, &[0x11; 160]), leg.rtp_addr())
        .await
        .expect("send");
    relay
        .send_to(&rtp(0, 2, &[0x22; 160]), leg.rtp_addr())
        .await
        .expect("send");
    relay
        .send_to(&rtp(101, 3, &[2, 0x8a, 0, 160]), leg.rtp_addr())
        .await
        .expect("send");
    let first = timeout(Duration::from_secs(5), peer.heard.recv())
        .await
        .expect("the relay's audio reaches the peer")
        .expect("packet");
    assert_eq!(first.header.payload_type, 0);
    assert_eq!(first.payload.as_ref(), &[0x22; 160], "not the stranger's");
    let second = timeout(Duration::from_secs(5), peer.heard.recv())
        .await
        .expect("the relay's event reaches the peer")
        .expect("packet");
    assert_eq!(second.header.payload_type, PEER_EVENT_PT);
    assert_eq!(second.payload.as_ref(), &[2, 0x8a, 0, 160]);
    assert_eq!(first.header.ssrc, second.header.ssrc, "one stream");

    leg.close().await;
    let _ = peer.pc.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_goes_away_ends_its_leg() {
    let relay = UdpSocket::bind("127.0.0.1:0").await.expect("relay");
    let (peer, mut leg) = connected_leg(&relay, &config()).await;
    let ice = leg.ice_addr();
    peer.pc.close().await.expect("peer closed");
    let closed = std::time::Instant::now();
    let end = timeout(Duration::from_secs(10), leg.next_event())
        .await
        .expect("the leg ends within 10 s");
    eprintln!("peer closed: {end:?} after {:?}", closed.elapsed());
    // webrtc's close sends no DTLS close_notify (nor does a closing Chromium tab): the leg
    // ends when ICE gives the silent peer up.
    assert_eq!(end, Some(LegEvent::Ended(EndReason::ConsentLost)));
    std::net::UdpSocket::bind(ice).expect("the ICE port is free again");
}

/// The switch's side of the visitor's widget: the keypad as RFC 4733 events the leg writes
/// itself, mute as silence, and a relay address that is set once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keypad_and_mute_reach_the_relay_as_events_and_silence() {
    let relay = UdpSocket::bind("127.0.0.1:0").await.expect("relay");
    let (mut peer, leg) = connected_leg(&relay, &config()).await;
    let mut buf = [0u8; 1500];
    send_until_heard(&mut peer, &relay, &mut buf).await;
    assert!(!leg.bridge(relay.local_addr().expect("addr")), "set once");

    leg.set_muted(true);
    // Packets already on their way may still carry audio: wait for the silence.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let (n, _) = send_until_heard(&mut peer, &relay, &mut buf).await;
        let packet = media::RtpPacket::parse(&buf[..n]).expect("RTP");
        if packet.payload_type() == 0 && packet.payload().iter().all(|b| *b == 0xff) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "muted audio is silence"
        );
    }
    leg.set_muted(false);

    leg.send_dtmf('5');
    let mut events = Vec::new();
    while events.len() < 8 {
        let (n, _) = timeout(Duration::from_secs(5), relay.recv_from(&mut buf))
            .await
            .expect("the keypad's event reaches the relay")
            .expect("recv");
        let packet = media::RtpPacket::parse(&buf[..n]).expect("RTP");
        if packet.payload_type() == 101 {
            let event = media::dtmf::TelephoneEvent::parse(packet.payload()).expect("RFC 4733");
            events.push((event.event, event.end));
        }
    }
    assert!(events.iter().all(|(e, _)| *e == 5), "{events:?}");
    assert_eq!(
        events.iter().filter(|(_, end)| *end).count(),
        3,
        "{events:?}"
    );
    leg.close().await;
    let _ = peer.pc.close().await;
}
