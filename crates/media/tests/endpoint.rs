//! Endpoint mode (IVR) over real loopback sockets: prompt playback pacing and content, DTMF
//! from RFC 4733 and in-band audio, barge-in, bridging back, and a DTMF flood that must not
//! disturb another session. Every wait is bounded.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use media::dtmf::TelephoneEvent;
use media::goertzel::power;
use media::{
    Codec, DtmfSource, MediaEvent, MediaRelay, Prompt, RelayConfig, RelaySession, RtpHeader,
    RtpPacket, Side, StrictSource,
};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::{timeout, Instant};

const LO: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const WAIT: Duration = Duration::from_secs(3);

fn free_range(len: u16) -> (u16, u16) {
    testkit::free_udp_range(40000, len)
}

fn relay(ports: u16) -> MediaRelay {
    let (port_min, port_max) = free_range(ports);
    MediaRelay::new(RelayConfig {
        bind_ip: LO,
        advertise_ip: LO,
        port_min,
        port_max,
        strict_source: StrictSource::default(),
    })
    .unwrap()
}

async fn phone() -> UdpSocket {
    UdpSocket::bind((LO, 0)).await.unwrap()
}

fn addr(sock: &UdpSocket) -> SocketAddr {
    sock.local_addr().unwrap()
}

fn rtp_addr(session: &RelaySession, side: Side) -> SocketAddr {
    SocketAddr::new(LO, session.local_port(side))
}

async fn recv(sock: &UdpSocket) -> Vec<u8> {
    let mut buf = [0u8; 2048];
    let (n, _) = timeout(WAIT, sock.recv_from(&mut buf))
        .await
        .expect("packet expected")
        .unwrap();
    buf[..n].to_vec()
}

async fn quiet_for(sock: &UdpSocket, ms: u64) -> bool {
    let mut buf = [0u8; 2048];
    timeout(Duration::from_millis(ms), sock.recv_from(&mut buf))
        .await
        .is_err()
}

/// Events until `within` passes without one.
async fn events_until_quiet(
    rx: &mut mpsc::UnboundedReceiver<MediaEvent>,
    within: Duration,
) -> Vec<MediaEvent> {
    let mut got = Vec::new();
    while let Ok(Some(e)) = timeout(within, rx.recv()).await {
        got.push(e);
    }
    got
}

/// Events until `n` of them pass `count` (or [`WAIT`] ends), then any more that follow
/// within `extra` (a duplicate would come right behind).
async fn events_until(
    rx: &mut mpsc::UnboundedReceiver<MediaEvent>,
    n: usize,
    count: impl Fn(&MediaEvent) -> bool,
    extra: Duration,
) -> Vec<MediaEvent> {
    let deadline = Instant::now() + WAIT;
    let mut got = Vec::new();
    while got.iter().filter(|e| count(e)).count() < n {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(e)) => got.push(e),
            _ => return got,
        }
    }
    got.extend(events_until_quiet(rx, extra).await);
    got
}

/// Events until `n` digits arrived, and what follows within 200 ms.
async fn digit_events(rx: &mut mpsc::UnboundedReceiver<MediaEvent>, n: usize) -> Vec<MediaEvent> {
    let is_digit = |e: &MediaEvent| matches!(e, MediaEvent::Dtmf { .. });
    events_until(rx, n, is_digit, Duration::from_millis(200)).await
}

fn digits(events: &[MediaEvent]) -> Vec<(char, DtmfSource)> {
    events
        .iter()
        .filter_map(|e| match e {
            MediaEvent::Dtmf { digit, source, .. } => Some((*digit, *source)),
            _ => None,
        })
        .collect()
}

fn packet(pt: u8, seq: u16, ts: u32, marker: bool, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; 12 + payload.len()];
    RtpHeader {
        marker,
        payload_type: pt,
        sequence: seq,
        timestamp: ts,
        ssrc: 0x5151,
    }
    .write(payload, &mut out)
    .unwrap();
    out
}

/// One RFC 4733 press: 3 updates then the end packet three times.
fn press(event: u8, ts: u32, seq: &mut u16) -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    for i in 1..=6u16 {
        let end = i > 3;
        let te = TelephoneEvent {
            event,
            end,
            volume: 10,
            duration: i.min(4) * 160,
        };
        *seq = seq.wrapping_add(1);
        v.push(packet(101, *seq, ts, i == 1, &te.to_bytes()));
    }
    v
}

/// Audio of `keys` as PCMU packets (80 ms tone, 80 ms silence each).
fn inband(keys: &str, seq: &mut u16, ts: &mut u32) -> Vec<Vec<u8>> {
    let mut pcm = Vec::new();
    for k in keys.chars() {
        pcm.extend(media::tone::dtmf(k, 6000.0, 80).unwrap());
        pcm.extend(vec![0i16; 640]);
    }
    pcm.chunks(160)
        .map(|c| {
            let payload: Vec<u8> = c.iter().map(|&s| Codec::Pcmu.encode(s)).collect();
            *seq = seq.wrapping_add(1);
            *ts = ts.wrapping_add(160);
            packet(0, *seq, *ts, false, &payload)
        })
        .collect()
}

#[tokio::test]
async fn tone_prompt_arrives_paced_continuous_and_at_1khz_then_playback_done() {
    let relay = relay(4);
    let (events, mut rx) = mpsc::unbounded_channel();
    let s = relay.allocate(1, events).await.unwrap();
    let (a, b) = (phone().await, phone().await);
    s.set_remote(Side::A, addr(&a), None);
    s.set_remote(Side::B, addr(&b), None);
    s.play(vec![Arc::new(Prompt::tone(1000.0, 1000))], Codec::Pcmu);

    let mut got = Vec::new();
    let mut arrivals = Vec::new();
    for _ in 0..50 {
        got.push(recv(&a).await);
        arrivals.push(Instant::now());
    }
    let span = arrivals[49] - arrivals[0];
    assert!(
        span >= Duration::from_millis(940) && span <= Duration::from_millis(1300),
        "50 packets took {span:?}"
    );
    let mut pcm = Vec::new();
    let first = RtpPacket::parse(&got[0]).unwrap();
    for (i, bytes) in got.iter().enumerate() {
        let p = RtpPacket::parse(bytes).unwrap();
        assert_eq!(p.payload_type(), 0);
        assert_eq!(p.marker(), i == 0, "marker on packet {i}");
        assert_eq!(p.ssrc(), first.ssrc());
        assert_eq!(p.sequence(), first.sequence().wrapping_add(i as u16));
        assert_eq!(
            p.timestamp(),
            first.timestamp().wrapping_add(160 * i as u32)
        );
        assert_eq!(p.payload().len(), 160);
        pcm.extend(p.payload().iter().map(|&c| Codec::Pcmu.decode(c)));
    }
    let on = power(1000.0, &pcm);
    assert!(on > 1e7, "1 kHz power {on}");
    for off in [500.0, 1500.0, 2000.0] {
        assert!(power(off, &pcm) < on / 1000.0, "{off} Hz present");
    }
    let done = timeout(WAIT, rx.recv()).await.unwrap();
    assert_eq!(done, Some(MediaEvent::PlaybackDone { label: 1 }));
    assert!(quiet_for(&a, 150).await, "packets after the prompt ended");
    assert!(quiet_for(&b, 10).await);
}

#[tokio::test]
async fn rfc4733_and_inband_digits_are_reported_once_and_not_relayed() {
    let relay = relay(4);
    let (events, mut rx) = mpsc::unbounded_channel();
    let s = relay.allocate(2, events).await.unwrap();
    let (a, b) = (phone().await, phone().await);
    s.set_remote(Side::A, addr(&a), None);
    s.set_remote(Side::B, addr(&b), None);
    s.set_telephone_event_pt(Some(101));
    s.listen();
    let to = rtp_addr(&s, Side::A);
    let mut seq = 0u16;
    for (i, event) in [1u8, 11, 0].into_iter().enumerate() {
        for p in press(event, 1000 + 8000 * i as u32, &mut seq) {
            a.send_to(&p, to).await.unwrap();
        }
    }
    let got = digit_events(&mut rx, 3).await;
    assert_eq!(
        digits(&got),
        vec![
            ('1', DtmfSource::Rfc4733),
            ('#', DtmfSource::Rfc4733),
            ('0', DtmfSource::Rfc4733)
        ]
    );

    let mut ts = 50_000;
    for p in inband("42", &mut seq, &mut ts) {
        a.send_to(&p, to).await.unwrap();
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let got = digit_events(&mut rx, 2).await;
    assert_eq!(
        digits(&got),
        vec![('4', DtmfSource::InBand), ('2', DtmfSource::InBand)]
    );

    // A phone sending both at once: the key is reported once.
    for p in inband("7", &mut seq, &mut ts) {
        a.send_to(&p, to).await.unwrap();
    }
    for p in press(7, 90_000, &mut seq) {
        a.send_to(&p, to).await.unwrap();
    }
    let got = digit_events(&mut rx, 1).await;
    assert_eq!(digits(&got).len(), 1, "{got:?}");
    assert_eq!(digits(&got)[0].0, '7');
    assert!(
        quiet_for(&b, 50).await,
        "A's media leaked to B in endpoint mode"
    );
    assert_eq!(s.stats().await.a_to_b.rtp.packets, 0);
}

#[tokio::test]
async fn barge_in_stops_at_once_and_bridge_relays_again() {
    let relay = relay(4);
    let (events, mut rx) = mpsc::unbounded_channel();
    let s = relay.allocate(3, events).await.unwrap();
    let (a, b) = (phone().await, phone().await);
    s.set_remote(Side::A, addr(&a), None);
    s.set_remote(Side::B, addr(&b), None);
    s.play(vec![Arc::new(Prompt::tone(440.0, 5000))], Codec::Pcma);
    let first = RtpPacket::parse(&recv(&a).await).map(|p| (p.payload_type(), p.marker()));
    assert_eq!(first, Ok((8, true)));
    s.stop_playback();
    // Once the session answers after the stop, it has applied it: drain what was sent before,
    // then silence, and no PlaybackDone.
    s.stats().await;
    while !quiet_for(&a, 10).await {}
    assert!(quiet_for(&a, 200).await);
    assert!(events_until_quiet(&mut rx, Duration::from_millis(100))
        .await
        .is_empty());

    // Music on hold loops past its length.
    s.play_looping(vec![Arc::new(Prompt::tone(300.0, 100))], Codec::Pcmu);
    for _ in 0..12 {
        recv(&a).await;
    }
    s.bridge();
    s.stats().await;
    while !quiet_for(&a, 10).await {}
    let audio = packet(0, 1, 160, false, &[0xFF; 160]);
    a.send_to(&audio, rtp_addr(&s, Side::A)).await.unwrap();
    assert_eq!(recv(&b).await, audio);
    b.send_to(&audio, rtp_addr(&s, Side::B)).await.unwrap();
    assert_eq!(recv(&a).await, audio);
}

/// Music for side B (a click-to-dial's customer): B hears it from B's port, A hears nothing and
/// B's own media goes nowhere; once bridged the session plays to A again by default.
#[tokio::test]
async fn endpoint_mode_plays_to_side_b_when_told_and_back_to_a_after_bridge() {
    let relay = relay(4);
    let (events, _rx) = mpsc::unbounded_channel();
    let s = relay.allocate(5, events).await.unwrap();
    let (a, b) = (phone().await, phone().await);
    s.set_remote(Side::A, addr(&a), None);
    s.set_remote(Side::B, addr(&b), None);
    s.endpoint_side(Side::B);
    s.play_looping(vec![Arc::new(Prompt::tone(300.0, 100))], Codec::Pcmu);
    let mut pcm = Vec::new();
    for _ in 0..10 {
        let (bytes, from) = {
            let mut buf = vec![0u8; 2048];
            let (n, from) = timeout(WAIT, b.recv_from(&mut buf)).await.unwrap().unwrap();
            buf.truncate(n);
            (buf, from)
        };
        assert_eq!(from, rtp_addr(&s, Side::B), "sent from B's own port");
        let p = RtpPacket::parse(&bytes).unwrap();
        pcm.extend(p.payload().iter().map(|&c| Codec::Pcmu.decode(c)));
    }
    assert!(power(300.0, &pcm) > 1e6, "B hears the music");
    let audio = packet(0, 1, 160, false, &[0xFF; 160]);
    b.send_to(&audio, rtp_addr(&s, Side::B)).await.unwrap();
    a.send_to(&audio, rtp_addr(&s, Side::A)).await.unwrap();
    assert!(quiet_for(&a, 100).await, "A hears neither music nor B");

    s.bridge();
    s.stats().await;
    while !quiet_for(&b, 10).await {}
    a.send_to(&audio, rtp_addr(&s, Side::A)).await.unwrap();
    assert_eq!(recv(&b).await, audio, "relayed again");
    s.play(vec![Arc::new(Prompt::tone(1000.0, 100))], Codec::Pcmu);
    recv(&a).await;
    assert!(quiet_for(&b, 50).await, "a later prompt goes to A");
}

#[tokio::test]
async fn dtmf_flood_and_garbage_do_not_stall_another_session() {
    let relay = relay(8);
    let (events, mut rx) = mpsc::unbounded_channel();
    let victim = relay.allocate(4, events.clone()).await.unwrap();
    let other = relay.allocate(5, events).await.unwrap();
    let (fa, oa) = (phone().await, phone().await);
    victim.set_remote(Side::A, addr(&fa), None);
    victim.set_telephone_event_pt(Some(101));
    victim.listen();
    other.set_remote(Side::A, addr(&oa), None);
    other.play(vec![Arc::new(Prompt::tone(1000.0, 600))], Codec::Pcmu);

    let to = rtp_addr(&victim, Side::A);
    let flood = async {
        let mut seq = 0u16;
        for i in 0..1000u32 {
            let te = TelephoneEvent {
                event: (i % 20) as u8,
                end: i % 2 == 0,
                volume: 5,
                duration: 160,
            };
            seq = seq.wrapping_add(1);
            fa.send_to(&packet(101, seq, i * 400, false, &te.to_bytes()), to)
                .await
                .unwrap();
            // Garbage and truncated packets between them.
            fa.send_to(&[0xFF; 7], to).await.unwrap();
            fa.send_to(&packet(101, seq, i, false, &[1]), to)
                .await
                .unwrap();
        }
    };
    let listen = async {
        let start = Instant::now();
        let mut seqs = Vec::new();
        for _ in 0..30 {
            let p = recv(&oa).await;
            seqs.push(RtpPacket::parse(&p).map(|p| p.sequence()).unwrap());
        }
        (start.elapsed(), seqs)
    };
    let ((), (elapsed, seqs)) = tokio::join!(flood, listen);
    assert!(
        elapsed < Duration::from_millis(900),
        "calm session stalled: {elapsed:?}"
    );
    assert!(seqs.windows(2).all(|w| w[1] == w[0].wrapping_add(1)));
    // The flooded session is alive and answering.
    let stats = timeout(WAIT, victim.stats()).await.unwrap();
    assert_eq!(stats.latched_rtp[0], Some(addr(&fa)));
    let flooded = |e: &MediaEvent| matches!(e, MediaEvent::Dtmf { label, .. } if *label == 4);
    let got = events_until(&mut rx, 101, flooded, Duration::from_millis(300)).await;
    let flood_digits = got.iter().filter(|e| flooded(e)).count();
    assert!(flood_digits > 100 && flood_digits <= 1000, "{flood_digits}");
}
