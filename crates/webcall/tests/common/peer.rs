//! A browser stand-in for tests that need a connected leg without Chromium: a full-ICE
//! webrtc peer on loopback that offers PCMU and telephone-event/8000 (on 126, as Chromium
//! does) and records what it hears.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rtc::ice::mdns::MulticastDnsMode;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::media_engine::{
    MIME_TYPE_PCMU, MIME_TYPE_TELEPHONE_EVENT,
};
use rtc::rtp;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters, RTCRtpEncodingParameters,
    RtpCodecKind,
};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use tokio::time::timeout;
use webcall::{WebCallConfig, WebLeg};
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::{
    MediaEngine, PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler,
    RTCIceGatheringState, RTCPeerConnectionState, RTCSessionDescription, Registry,
    SettingEngineBuilder,
};

/// The stand-in's payload type for telephone-event/8000.
pub const PEER_EVENT_PT: u8 = 126;

pub struct Peer {
    pub pc: Arc<dyn PeerConnection>,
    track: Arc<TrackLocalStaticRTP>,
    ssrc: u32,
    seq: u16,
    /// RTP packets heard from the leg.
    pub heard: mpsc::UnboundedReceiver<rtp::Packet>,
    state: watch::Receiver<RTCPeerConnectionState>,
}

struct Handler {
    gathered: watch::Sender<bool>,
    state: watch::Sender<RTCPeerConnectionState>,
    heard: mpsc::UnboundedSender<rtp::Packet>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            let _ = self.gathered.send(true);
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        let _ = self.state.send(state);
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let heard = self.heard.clone();
        tokio::spawn(async move {
            while let Some(event) = track.poll().await {
                if let TrackRemoteEvent::OnRtpPacket(p) = event {
                    let _ = heard.send(p);
                }
            }
        });
    }
}

fn codec(mime: &str, pt: u8) -> RTCRtpCodecParameters {
    RTCRtpCodecParameters {
        rtp_codec: RTCRtpCodec {
            mime_type: mime.to_owned(),
            clock_rate: 8000,
            channels: 0,
            sdp_fmtp_line: String::new(),
            rtcp_feedback: vec![],
        },
        payload_type: pt,
    }
}

impl Peer {
    /// A peer and its offer (candidates included).
    pub async fn offer() -> (Peer, String) {
        let mut media = MediaEngine::default();
        media
            .register_codec(codec(MIME_TYPE_PCMU, 0), RtpCodecKind::Audio)
            .expect("PCMU");
        media
            .register_codec(
                codec(MIME_TYPE_TELEPHONE_EVENT, PEER_EVENT_PT),
                RtpCodecKind::Audio,
            )
            .expect("events");
        let settings = SettingEngineBuilder::new()
            .with_multicast_dns_mode(MulticastDnsMode::Disabled)
            .with_include_loopback_candidate(true)
            .build();
        let (gathered_tx, mut gathered) = watch::channel(false);
        let (state_tx, state) = watch::channel(RTCPeerConnectionState::New);
        let (heard_tx, heard) = mpsc::unbounded_channel();
        let pc: Arc<dyn PeerConnection> = Arc::new(
            PeerConnectionBuilder::new()
                .with_media_engine(media)
                .with_setting_engine(settings)
                .with_interceptor_registry(Registry::new())
                .with_handler(Arc::new(Handler {
                    gathered: gathered_tx,
                    state: state_tx,
                    heard: heard_tx,
                }))
                .with_udp_addrs(vec![SocketAddr::from(([127, 0, 0, 1], 0))])
                .build()
                .await
                .expect("peer"),
        );
        let ssrc = rand::random();
        let track = Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
            "peer".to_owned(),
            "peer-audio".to_owned(),
            "peer".to_owned(),
            RtpCodecKind::Audio,
            vec![RTCRtpEncodingParameters {
                rtp_coding_parameters: RTCRtpCodingParameters {
                    ssrc: Some(ssrc),
                    ..Default::default()
                },
                codec: codec(MIME_TYPE_PCMU, 0).rtp_codec,
                ..Default::default()
            }],
        )));
        let local: Arc<dyn TrackLocal> = track.clone();
        pc.add_track(local).await.expect("track");
        let offer = pc.create_offer(None).await.expect("offer");
        pc.set_local_description(offer).await.expect("local");
        tokio::time::timeout(Duration::from_secs(5), gathered.wait_for(|g| *g))
            .await
            .expect("gathered")
            .expect("gathering");
        // webrtc offers only the track's codec; a browser offers telephone-events besides.
        let sdp = pc
            .local_description()
            .await
            .expect("description")
            .sdp
            .replace(
                "RTP/SAVPF 0\r\n",
                &format!("RTP/SAVPF 0 {PEER_EVENT_PT}\r\n"),
            )
            .replace(
                "a=rtpmap:0 PCMU/8000\r\n",
                &format!(
                    "a=rtpmap:0 PCMU/8000\r\na=rtpmap:{PEER_EVENT_PT} telephone-event/8000\r\n"
                ),
            );
        let peer = Peer {
            pc,
            track,
            ssrc,
            seq: 1,
            heard,
            state,
        };
        (peer, sdp)
    }

    /// Applies the leg's answer and waits until connected.
    pub async fn accept(&mut self, answer: String) {
        let answer = RTCSessionDescription::answer(answer).expect("answer");
        self.pc
            .set_remote_description(answer)
            .await
            .expect("remote");
        tokio::time::timeout(
            Duration::from_secs(10),
            self.state
                .wait_for(|s| *s == RTCPeerConnectionState::Connected),
        )
        .await
        .expect("the peer connects within 10 s")
        .expect("state");
    }

    /// Sends one packet of `payload` with payload type `pt`.
    pub async fn send(&mut self, pt: u8, payload: &[u8]) {
        let packet = rtp::Packet {
            header: rtp::header::Header {
                version: 2,
                payload_type: pt,
                sequence_number: self.seq,
                timestamp: u32::from(self.seq) * 160,
                ssrc: self.ssrc,
                ..Default::default()
            },
            payload: Bytes::copy_from_slice(payload),
        };
        self.seq = self.seq.wrapping_add(1);
        self.track.write_rtp(packet).await.expect("write");
    }
}

/// A peer connected to a new leg whose relay is `relay`.
pub async fn connected_leg(relay: &UdpSocket, cfg: &WebCallConfig) -> (Peer, WebLeg) {
    let (mut peer, offer) = Peer::offer().await;
    let (mut leg, answer) = WebLeg::answer(&offer, cfg, relay.local_addr().expect("addr"))
        .await
        .expect("answered");
    peer.accept(answer).await;
    timeout(Duration::from_secs(10), leg.connected())
        .await
        .expect("connected in time")
        .expect("connected");
    (peer, leg)
}

/// Sends PCMU from the peer until the relay hears it (the peer may call itself connected a
/// moment before the leg has its SRTP keys); returns the datagram's length and sender.
pub async fn send_until_heard(
    peer: &mut Peer,
    relay: &UdpSocket,
    buf: &mut [u8],
) -> (usize, SocketAddr) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the peer's audio reaches the relay within 5 s"
        );
        peer.send(0, &[0x55; 160]).await;
        if let Ok(got) = timeout(Duration::from_millis(50), relay.recv_from(buf)).await {
            return got.expect("recv");
        }
    }
}
