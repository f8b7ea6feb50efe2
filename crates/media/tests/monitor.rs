//! A supervisor on a real relay session over loopback: customer (side A, 1 kHz), agent (side B,
//! 440 Hz) and supervisor (the listener's pair, 770 Hz) send tones every 20 ms; what each
//! socket receives is decoded and checked by frequency with Goertzel, and the recording's
//! channels too. Every wait is bounded.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use media::rtp::RtpHeader;
use media::{
    goertzel, tone, Codec, MediaRelay, MonitorMode, RecordingOptions, RelayConfig, RelaySession,
    RtpPacket, Side, StrictSource,
};
use tokio::net::UdpSocket;
use tokio::time::{interval, timeout, MissedTickBehavior};

const LO: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const CUSTOMER: f64 = 1000.0;
const AGENT: f64 = 440.0;
const SUPERVISOR: f64 = 770.0;

fn free_range(len: u16) -> (u16, u16) {
    testkit::free_udp_range(42000, len)
}

/// A phone: its socket and its tone as 20 ms PCMU packets.
struct Phone {
    socket: UdpSocket,
    pcmu: Vec<u8>,
    ssrc: u32,
    to: SocketAddr,
}

impl Phone {
    async fn new(freq: f64, ssrc: u32) -> Self {
        let samples = tone::sine(freq, 8000.0, 8000 * 4);
        Self {
            socket: UdpSocket::bind((LO, 0)).await.unwrap(),
            pcmu: samples.iter().map(|&s| Codec::Pcmu.encode(s)).collect(),
            ssrc,
            to: SocketAddr::new(LO, 9),
        }
    }

    fn addr(&self) -> SocketAddr {
        self.socket.local_addr().unwrap()
    }

    async fn send(&self, n: usize) {
        let at = (n * 160) % (self.pcmu.len() - 160);
        let header = RtpHeader {
            marker: n == 0,
            payload_type: 0,
            sequence: n as u16,
            timestamp: 160 * n as u32,
            ssrc: self.ssrc,
        };
        let mut out = [0u8; 172];
        let len = header.write(&self.pcmu[at..at + 160], &mut out).unwrap();
        self.socket.send_to(&out[..len], self.to).await.unwrap();
    }

    /// Everything queued on the socket, decoded; also the number of packets.
    fn heard(&self) -> (Vec<i16>, usize) {
        let mut buf = [0u8; 2048];
        let (mut samples, mut packets) = (vec![], 0);
        while let Ok((n, _)) = self.socket.try_recv_from(&mut buf) {
            let p = RtpPacket::parse(&buf[..n]).unwrap();
            let codec = Codec::from_payload_type(p.payload_type()).unwrap();
            samples.extend(p.payload().iter().map(|&c| codec.decode(c)));
            packets += 1;
        }
        (samples, packets)
    }
}

fn hears(samples: &[i16], freq: f64) -> bool {
    // A 8000-peak sine has 3.2e7; µ-law noise and the other tones stay far below 1e5.
    goertzel::power(freq, samples) > 1e6
}

struct Call {
    session: RelaySession,
    events: tokio::sync::mpsc::UnboundedReceiver<media::MediaEvent>,
    customer: Phone,
    agent: Phone,
    supervisor: Phone,
}

impl Call {
    async fn new(mode: MonitorMode) -> Self {
        Self::with_agent_on(Side::B, mode).await
    }

    /// The agent on `agent` (side A in a click-to-dial call, where the switch rings the
    /// agent first), the customer on the other side.
    async fn with_agent_on(agent_side: Side, mode: MonitorMode) -> Self {
        let (port_min, port_max) = free_range(12);
        let relay = MediaRelay::new(RelayConfig {
            bind_ip: LO,
            advertise_ip: LO,
            port_min,
            port_max,
            strict_source: StrictSource::default(),
        })
        .unwrap();
        let (tx, events) = tokio::sync::mpsc::unbounded_channel();
        let session = relay.allocate(3, tx).await.unwrap();
        let mut customer = Phone::new(CUSTOMER, 1).await;
        let mut agent = Phone::new(AGENT, 2).await;
        let mut supervisor = Phone::new(SUPERVISOR, 3).await;
        let customer_side = match agent_side {
            Side::A => Side::B,
            Side::B => Side::A,
        };
        session.set_remote(customer_side, customer.addr(), None);
        session.set_remote(agent_side, agent.addr(), None);
        let port = session
            .add_listener(agent_side, mode, Codec::Pcmu, Some(101))
            .unwrap();
        assert_eq!(relay.ports_in_use(), 6);
        session.set_listener_remote(supervisor.addr(), None);
        customer.to = SocketAddr::new(LO, session.local_port(customer_side));
        agent.to = SocketAddr::new(LO, session.local_port(agent_side));
        supervisor.to = SocketAddr::new(LO, port);
        Self {
            session,
            events,
            customer,
            agent,
            supervisor,
        }
    }

    /// All three talk for `frames` 20 ms frames; then what each heard.
    async fn talk(&self, frames: usize) -> [(Vec<i16>, usize); 3] {
        let mut tick = interval(Duration::from_millis(20));
        tick.set_missed_tick_behavior(MissedTickBehavior::Burst);
        for n in 0..frames {
            tick.tick().await;
            self.supervisor.send(n).await;
            self.customer.send(n).await;
            self.agent.send(n).await;
        }
        tokio::time::sleep(Duration::from_millis(80)).await;
        [
            self.customer.heard(),
            self.agent.heard(),
            self.supervisor.heard(),
        ]
    }
}

#[tokio::test]
async fn listen_whisper_barge_and_back_to_plain_forwarding() {
    let call = Call::new(MonitorMode::Listen).await;
    let [(customer, _), (agent, _), (supervisor, n)] = call.talk(40).await;
    assert!(hears(&supervisor, CUSTOMER) && hears(&supervisor, AGENT));
    assert!(n >= 35, "supervisor got {n} packets for 40 frames");
    assert!(!hears(&supervisor, SUPERVISOR));
    assert!(!hears(&agent, SUPERVISOR) && !hears(&customer, SUPERVISOR));
    assert!(hears(&agent, CUSTOMER) && hears(&customer, AGENT));

    call.session.set_listener_mode(MonitorMode::Whisper);
    let [(customer, _), (agent, _), (supervisor, _)] = call.talk(40).await;
    assert!(hears(&agent, SUPERVISOR) && hears(&agent, CUSTOMER));
    assert!(!hears(&customer, SUPERVISOR) && hears(&customer, AGENT));
    assert!(hears(&supervisor, CUSTOMER) && hears(&supervisor, AGENT));

    call.session.set_listener_mode(MonitorMode::Barge);
    let [(customer, _), (agent, _), (supervisor, _)] = call.talk(40).await;
    assert!(hears(&agent, SUPERVISOR) && hears(&agent, CUSTOMER));
    assert!(hears(&customer, SUPERVISOR) && hears(&customer, AGENT));
    assert!(hears(&supervisor, CUSTOMER) && hears(&supervisor, AGENT));
    assert!(!hears(&supervisor, SUPERVISOR));

    let stats = call.session.stats().await.listener.unwrap();
    assert_eq!(stats.mode, MonitorMode::Barge);
    assert_eq!(stats.latched_rtp, Some(call.supervisor.addr()));
    assert_eq!(stats.received, 120);
    assert!(stats.mix.mixed_into_call > 60, "{stats:?}");
    assert_eq!(stats.send_failed, 0);

    call.session.remove_listener();
    let [(customer, cn), (agent, an), (_, sn)] = call.talk(20).await;
    assert_eq!((cn, an, sn), (20, 20, 0));
    assert!(!hears(&customer, SUPERVISOR) && !hears(&agent, SUPERVISOR));
    assert!(call.session.stats().await.listener.is_none());
}

#[tokio::test]
async fn without_a_listener_packets_pass_byte_for_byte() {
    let call = Call::new(MonitorMode::Whisper).await;
    call.session.remove_listener();
    call.customer.send(7).await;
    let mut buf = [0u8; 256];
    let (n, _) = timeout(
        Duration::from_secs(2),
        call.agent.socket.recv_from(&mut buf),
    )
    .await
    .unwrap()
    .unwrap();
    let at = 7 * 160;
    assert_eq!(&buf[12..n], &call.customer.pcmu[at..at + 160]);
}

#[tokio::test]
async fn the_listener_latches_strictly() {
    let call = Call::new(MonitorMode::Barge).await;
    // A stranger on another address sends to the listener's port first: refused, not heard,
    // sent nothing. (Another port of the supervisor's own IP may latch after probation, as on
    // the call's sides; see latch.rs.)
    let mut stranger = Phone::new(SUPERVISOR, 66).await;
    stranger.socket = UdpSocket::bind((Ipv4Addr::new(127, 0, 0, 2), 0))
        .await
        .unwrap();
    stranger.to = call.supervisor.to;
    let mut tick = interval(Duration::from_millis(20));
    for n in 0..20 {
        tick.tick().await;
        stranger.send(n).await;
        call.customer.send(n).await;
        call.agent.send(n).await;
    }
    tokio::time::sleep(Duration::from_millis(60)).await;
    let (customer, _) = call.customer.heard();
    let (agent, _) = call.agent.heard();
    assert!(!hears(&customer, SUPERVISOR) && !hears(&agent, SUPERVISOR));
    let stats = call.session.stats().await.listener.unwrap();
    assert_eq!((stats.received, stats.rejected_source), (0, 20));
    assert_eq!(stats.latched_rtp, None);
    assert_eq!(stranger.heard().1, 0);
    // The supervisor's phone, at its SDP address, latches at once and is heard.
    let [(customer, _), ..] = call.talk(20).await;
    assert!(hears(&customer, SUPERVISOR));
    let stats = call.session.stats().await.listener.unwrap();
    assert_eq!(stats.latched_rtp, Some(call.supervisor.addr()));
}

#[tokio::test]
async fn recording_keeps_customer_and_agent_and_barge_joins_the_agent_channel() {
    let (customer, agent) = record_whisper_then_barge(Side::B, "queue").await;
    // Whisper: nobody's channel has the supervisor (the customer did not hear it).
    let half = customer.len() / 2;
    assert!(hears(&customer[800..half - 1600], CUSTOMER));
    assert!(!hears(&customer[800..half - 1600], SUPERVISOR));
    assert!(hears(&agent[800..half - 1600], AGENT));
    assert!(!hears(&agent[800..half - 1600], SUPERVISOR));
    // Barge: the supervisor is in what the customer hears, the agent's channel.
    assert!(hears(&agent[half + 1600..], SUPERVISOR) && hears(&agent[half + 1600..], AGENT));
    assert!(!hears(&customer[half + 1600..], SUPERVISOR));
}

#[tokio::test]
async fn with_the_agent_on_side_a_barge_still_joins_the_agent_channel() {
    let (customer, agent) = record_whisper_then_barge(Side::A, "click").await;
    let half = customer.len() / 2;
    assert!(hears(&customer[800..half - 1600], CUSTOMER));
    assert!(hears(&agent[800..half - 1600], AGENT));
    assert!(!hears(&agent[800..half - 1600], SUPERVISOR));
    assert!(hears(&agent[half + 1600..], SUPERVISOR) && hears(&agent[half + 1600..], AGENT));
    assert!(!hears(&customer[half + 1600..], SUPERVISOR));
    assert!(hears(&customer[half + 1600..], CUSTOMER));
}

/// A call with the agent on `agent_side` recorded while the supervisor whispers, then barges;
/// the recording's channels as (customer's, agent's): side A is the left channel.
async fn record_whisper_then_barge(agent_side: Side, name: &str) -> (Vec<i16>, Vec<i16>) {
    let dir = std::env::temp_dir().join(format!("sb-monitor-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path: PathBuf = dir.join("call.wav");
    let _ = std::fs::remove_file(&path);
    let call = Call::with_agent_on(agent_side, MonitorMode::Whisper).await;
    call.session
        .start_recording(path.clone(), RecordingOptions::default())
        .await
        .unwrap();
    call.talk(40).await;
    call.session.set_listener_mode(MonitorMode::Barge);
    call.talk(40).await;
    tokio::time::sleep(Duration::from_millis(60)).await;
    timeout(Duration::from_secs(5), call.session.stop_recording())
        .await
        .unwrap()
        .unwrap();
    let mut reader = hound::WavReader::open(&path).unwrap();
    let all: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
    let left: Vec<i16> = all.iter().step_by(2).copied().collect();
    let right: Vec<i16> = all.iter().skip(1).step_by(2).copied().collect();
    let _ = std::fs::remove_dir_all(&dir);
    match agent_side {
        Side::A => (right, left),
        Side::B => (left, right),
    }
}

#[tokio::test]
async fn the_supervisors_keys_are_reported() {
    let mut call = Call::new(MonitorMode::Listen).await;
    // Key 6 as RFC 4733 events (PT 101): three updates and three end packets, one timestamp.
    for (n, end) in [
        (0u16, false),
        (1, false),
        (2, false),
        (3, true),
        (4, true),
        (5, true),
    ] {
        let header = RtpHeader {
            marker: n == 0,
            payload_type: 101,
            sequence: n,
            timestamp: 800,
            ssrc: 3,
        };
        let duration = 160 * (n.min(3) + 1);
        let [d0, d1] = duration.to_be_bytes();
        let payload = [6, if end { 0x80 | 10 } else { 10 }, d0, d1];
        let mut out = [0u8; 16];
        let len = header.write(&payload, &mut out).unwrap();
        call.supervisor
            .socket
            .send_to(&out[..len], call.supervisor.to)
            .await
            .unwrap();
    }
    let event = timeout(Duration::from_secs(2), call.events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        event,
        media::MediaEvent::ListenerDtmf {
            label: 3,
            digit: '6'
        }
    );
    tokio::time::sleep(Duration::from_millis(60)).await;
    assert!(call.events.try_recv().is_err(), "one press, reported once");
}
