//! One browser's call: the answer to its offer (the stack configured as DESIGN.md records,
//! the offer fixed, the leg's candidate checked), then the leg's task (`task.rs`) runs it.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rtc::ice::mdns::MulticastDnsMode;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::media_engine::{
    MIME_TYPE_PCMU, MIME_TYPE_TELEPHONE_EVENT,
};
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters, RTCRtpEncodingParameters,
    RtpCodecKind,
};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::{timeout, Instant};
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_remote::TrackRemote;
use webrtc::peer_connection::{
    configure_rtcp_reports, MediaEngine, PeerConnection, PeerConnectionBuilder,
    PeerConnectionEventHandler, RTCIceConnectionState, RTCIceGatheringState,
    RTCPeerConnectionState, RTCSessionDescription, Registry, SettingEngineBuilder,
};

use crate::packets::{self, EventTypes, ToBrowser};
use crate::task::{LegTask, Relay, Signal};
use crate::{sdp, EndReason, WebCallConfig, WebCallError};

/// How long the answer waits for the leg's own candidate (one local socket, no STUN: quick).
const GATHER_TIMEOUT: Duration = Duration::from_secs(5);

/// What happens to a leg, in order: `Connected` at most once, then `Ended` exactly once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegEvent {
    /// ICE and DTLS are up: media flows both ways.
    Connected,
    /// The leg is over and its sockets and tasks are gone.
    Ended(EndReason),
}

/// A browser's audio as a plain RTP leg. See the crate documentation.
#[derive(Debug)]
pub struct WebLeg {
    rtp_addr: SocketAddr,
    ice_addr: SocketAddr,
    events: mpsc::UnboundedReceiver<LegEvent>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    relay: Relay,
    muted: Arc<AtomicBool>,
    signals: mpsc::UnboundedSender<Signal>,
}

struct Handler {
    signals: mpsc::UnboundedSender<Signal>,
    gathered: watch::Sender<bool>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            let _ = self.gathered.send(true);
        }
    }

    async fn on_ice_connection_state_change(&self, state: RTCIceConnectionState) {
        let _ = self.signals.send(Signal::Ice(state));
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        let _ = self.signals.send(Signal::Peer(state));
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let _ = self.signals.send(Signal::Track(track));
    }
}

impl WebLeg {
    /// Answers the browser's `offer_sdp` and starts the leg: the browser's audio goes as plain
    /// RTP to `relay` (PCMU, PT 0; telephone-events on `cfg.telephone_event_pt`), and RTP that
    /// `relay` sends to [`rtp_addr`](Self::rtp_addr) goes to the browser. Returns the answer SDP
    /// (with the leg's one ICE-lite host candidate) for the browser.
    pub async fn answer(
        offer_sdp: &str,
        cfg: &WebCallConfig,
        relay: SocketAddr,
    ) -> Result<(WebLeg, String), WebCallError> {
        let (leg, answer) = Self::answer_unbridged(offer_sdp, cfg).await?;
        leg.bridge(relay);
        Ok((leg, answer))
    }

    /// Answers like [`answer`](Self::answer) before the relay address is known (the switch's
    /// call is set up with [`rtp_addr`](Self::rtp_addr) in its offer, and its answer names
    /// the relay): until [`bridge`](Self::bridge), the browser's audio is dropped.
    pub async fn answer_unbridged(
        offer_sdp: &str,
        cfg: &WebCallConfig,
    ) -> Result<(WebLeg, String), WebCallError> {
        cfg.validate()?;
        let offer = sdp::prepare_offer(offer_sdp)?;
        let socket = UdpSocket::bind(SocketAddr::new(cfg.rtp_bind_ip, 0)).await?;
        let rtp_addr = socket.local_addr()?;
        let ice_addr = SocketAddr::new(
            cfg.bind_ip,
            crate::ports::free_port(cfg.bind_ip, &cfg.ports)?,
        );

        let (signals_tx, signals) = mpsc::unbounded_channel();
        let (gathered_tx, gathered) = watch::channel(false);
        let handler = Arc::new(Handler {
            signals: signals_tx.clone(),
            gathered: gathered_tx,
        });
        let mut media = MediaEngine::default();
        for (mime, pt) in [
            (MIME_TYPE_PCMU, packets::PCMU),
            (MIME_TYPE_TELEPHONE_EVENT, cfg.telephone_event_pt),
        ] {
            media
                .register_codec(codec_parameters(mime, pt), RtpCodecKind::Audio)
                .map_err(WebCallError::rtc("codec"))?;
        }
        let settings = SettingEngineBuilder::new()
            .with_lite(true)
            // Without multicast (containers, most servers) mDNS fails the connection; a lite
            // agent needs no remote candidates anyway: the browser's checks reveal its address.
            .with_multicast_dns_mode(MulticastDnsMode::Disabled)
            .with_include_loopback_candidate(cfg.bind_ip.is_loopback())
            .with_ice_timeouts(
                Some(cfg.disconnected_timeout),
                Some(cfg.failed_timeout),
                None,
            )
            .build();
        let pc: Arc<dyn PeerConnection> = Arc::new(
            PeerConnectionBuilder::new()
                .with_media_engine(media)
                .with_setting_engine(settings)
                .with_interceptor_registry(configure_rtcp_reports(Registry::new()))
                .with_handler(handler)
                .with_udp_addrs(vec![ice_addr])
                .build()
                .await
                .map_err(WebCallError::rtc("peer connection"))?,
        );
        let ssrc = rand::random::<u32>();
        let track = Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
            "switchboard".to_owned(),
            "switchboard-audio".to_owned(),
            "switchboard".to_owned(),
            RtpCodecKind::Audio,
            vec![RTCRtpEncodingParameters {
                rtp_coding_parameters: RTCRtpCodingParameters {
                    ssrc: Some(ssrc),
                    ..Default::default()
                },
                codec: codec_parameters(MIME_TYPE_PCMU, packets::PCMU).rtp_codec,
                ..Default::default()
            }],
        )));
        let answer = match negotiate(&pc, &track, offer.sdp, gathered, ice_addr).await {
            Ok(answer) => answer,
            Err(e) => {
                let _ = pc.close().await;
                return Err(e);
            }
        };
        let events = EventTypes {
            browser: sdp::telephone_event_pt(&answer),
            plain: cfg.telephone_event_pt,
        };
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let (stop_tx, stop) = oneshot::channel();
        let relay: Relay = Arc::new(OnceLock::new());
        let muted = Arc::new(AtomicBool::new(false));
        let task = LegTask {
            pc,
            track,
            socket: Arc::new(socket),
            relay: relay.clone(),
            muted: muted.clone(),
            keypad: (rand::random(), rand::random()),
            started: Instant::now(),
            to_browser: ToBrowser::new(ssrc, rand::random(), events),
            events,
            signals,
            stop,
            report: events_tx,
            connect_deadline: Instant::now() + cfg.connect_timeout,
        };
        let task = tokio::spawn(task.run());
        Ok((
            WebLeg {
                rtp_addr,
                ice_addr,
                events: events_rx,
                stop: Some(stop_tx),
                task: Some(task),
                relay,
                muted,
                signals: signals_tx,
            },
            answer,
        ))
    }

    /// Where the leg's plain RTP goes from now on; `false` (and no change) if it was set.
    pub fn bridge(&self, relay: SocketAddr) -> bool {
        self.relay.set(relay).is_ok()
    }

    /// Sends the keypad's `digit` (0-9, `*`, `#`, A-D) to the relay as an RFC 4733 event;
    /// other characters are ignored.
    pub fn send_dtmf(&self, digit: char) {
        let _ = self.signals.send(Signal::Dtmf(digit));
    }

    /// While muted, the browser's audio reaches the relay as silence (events still pass).
    pub fn set_muted(&self, muted: bool) {
        self.muted.store(muted, Ordering::Relaxed);
    }

    /// The leg's plain RTP socket: where the relay sends what the browser should hear.
    pub fn rtp_addr(&self) -> SocketAddr {
        self.rtp_addr
    }

    /// The leg's WebRTC address (its ICE candidate), a port of the configured range.
    pub fn ice_addr(&self) -> SocketAddr {
        self.ice_addr
    }

    /// The next event, `None` after [`LegEvent::Ended`].
    pub async fn next_event(&mut self) -> Option<LegEvent> {
        self.events.recv().await
    }

    /// Waits until the browser has connected, or fails with why the leg ended first.
    pub async fn connected(&mut self) -> Result<(), WebCallError> {
        match self.events.recv().await {
            Some(LegEvent::Connected) => Ok(()),
            Some(LegEvent::Ended(reason)) => Err(WebCallError::Ended(reason)),
            None => Err(WebCallError::Ended(EndReason::Closed)),
        }
    }

    /// Ends the leg and waits until its sockets and tasks are gone.
    pub async fn close(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// Dropping a leg ends it too (without waiting): its task sees the stop channel close.
impl Drop for WebLeg {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn codec_parameters(mime: &str, payload_type: u8) -> RTCRtpCodecParameters {
    RTCRtpCodecParameters {
        rtp_codec: RTCRtpCodec {
            mime_type: mime.to_owned(),
            clock_rate: 8000,
            channels: 0,
            sdp_fmtp_line: if mime == MIME_TYPE_TELEPHONE_EVENT {
                "0-16".to_owned()
            } else {
                String::new()
            },
            rtcp_feedback: vec![],
        },
        payload_type,
    }
}

/// Offer in, answer out, with the leg's candidate in it.
async fn negotiate(
    pc: &Arc<dyn PeerConnection>,
    track: &Arc<TrackLocalStaticRTP>,
    offer: String,
    mut gathered: watch::Receiver<bool>,
    ice_addr: SocketAddr,
) -> Result<String, WebCallError> {
    // Added before the offer is applied, so the offer's audio stream takes this track and is
    // answered sendrecv.
    let local: Arc<dyn TrackLocal> = track.clone();
    pc.add_track(local)
        .await
        .map_err(WebCallError::rtc("add track"))?;
    let offer = RTCSessionDescription::offer(offer).map_err(WebCallError::rtc("offer"))?;
    pc.set_remote_description(offer)
        .await
        .map_err(WebCallError::rtc("set remote description"))?;
    let answer = pc
        .create_answer(None)
        .await
        .map_err(WebCallError::rtc("create answer"))?;
    pc.set_local_description(answer)
        .await
        .map_err(WebCallError::rtc("set local description"))?;
    // Gathering's end is a state: wait for it, bounded.
    // (`matches!` drops the watch's guard at once: held across an await, it would make
    // `answer` a future that cannot move between threads.)
    let done = matches!(
        timeout(GATHER_TIMEOUT, gathered.wait_for(|done| *done)).await,
        Ok(Ok(_))
    );
    if !done {
        return Err(WebCallError::Config(format!(
            "no ICE candidate on {ice_addr} within {GATHER_TIMEOUT:?}"
        )));
    }
    let answer = pc
        .local_description()
        .await
        .map(|d| d.sdp)
        .unwrap_or_default();
    // The driver binds the port itself: if someone took it since it was picked, there is
    // no candidate on it and the browser could never connect.
    let candidate = format!(" {} {} typ host", ice_addr.ip(), ice_addr.port());
    if !answer.contains(&candidate) {
        return Err(WebCallError::NoPort {
            ip: ice_addr.ip(),
            min: ice_addr.port(),
            max: ice_addr.port(),
        });
    }
    Ok(answer)
}
