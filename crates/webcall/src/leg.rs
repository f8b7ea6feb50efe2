//! One browser's call: the answer to its offer, then a task that owns the peer connection and
//! the plain RTP socket until the leg ends.
//!
//! The task ends the leg when it is closed or dropped, when the browser has not connected
//! (ICE, then DTLS) within the connect timeout, when ICE declares the path failed after the
//! browser fell silent (consent freshness: browsers send checks every few seconds and media
//! every 20 ms), or when the browser closes the connection. Ending closes the peer connection
//! (its driver and sockets), stops the reader of the browser's audio and drops the plain
//! socket, and only then reports [`LegEvent::Ended`], so a caller that saw it may reuse the
//! ports.

use std::net::SocketAddr;
use std::sync::Arc;
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
use tokio::time::{sleep_until, timeout, Instant};
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::{
    configure_rtcp_reports, MediaEngine, PeerConnection, PeerConnectionBuilder,
    PeerConnectionEventHandler, RTCIceConnectionState, RTCIceGatheringState,
    RTCPeerConnectionState, RTCSessionDescription, Registry, SettingEngineBuilder,
};

use crate::packets::{self, EventTypes, ToBrowser};
use crate::{sdp, EndReason, WebCallConfig, WebCallError};

/// How long the answer waits for the leg's own candidate (one local socket, no STUN: quick).
const GATHER_TIMEOUT: Duration = Duration::from_secs(5);
/// A datagram larger than any RTP packet the relay sends.
const MAX_DATAGRAM: usize = 1500;

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
}

/// What the peer connection's callbacks report to the leg's task. The callbacks run on the
/// stack's driver task, so they only send.
enum Signal {
    Ice(RTCIceConnectionState),
    Peer(RTCPeerConnectionState),
    Track(Arc<dyn TrackRemote>),
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
            signals: signals_tx,
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
        let task = Leg {
            pc,
            track,
            socket: Arc::new(socket),
            relay,
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
            },
            answer,
        ))
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

/// The leg's task and everything it owns.
struct Leg {
    pc: Arc<dyn PeerConnection>,
    track: Arc<TrackLocalStaticRTP>,
    socket: Arc<UdpSocket>,
    relay: SocketAddr,
    to_browser: ToBrowser,
    events: EventTypes,
    signals: mpsc::UnboundedReceiver<Signal>,
    stop: oneshot::Receiver<()>,
    report: mpsc::UnboundedSender<LegEvent>,
    connect_deadline: Instant,
}

impl Leg {
    async fn run(mut self) {
        let mut reader: Option<JoinHandle<()>> = None;
        let mut ice_up = false;
        let mut connected = false;
        let mut buf = vec![0u8; MAX_DATAGRAM];
        let reason = loop {
            tokio::select! {
                _ = &mut self.stop => break EndReason::Closed,
                _ = sleep_until(self.connect_deadline), if !connected => {
                    break if ice_up { EndReason::DtlsTimeout } else { EndReason::IceTimeout };
                }
                signal = self.signals.recv() => match signal {
                    None => break EndReason::Failed("the WebRTC driver stopped".into()),
                    Some(Signal::Ice(state)) => {
                        tracing::debug!(?state, "web leg ICE");
                        if matches!(
                            state,
                            RTCIceConnectionState::Connected | RTCIceConnectionState::Completed
                        ) {
                            ice_up = true;
                        }
                    }
                    Some(Signal::Peer(state)) => {
                        tracing::debug!(?state, "web leg connection");
                        match state {
                            RTCPeerConnectionState::Connected if !connected => {
                                connected = true;
                                let _ = self.report.send(LegEvent::Connected);
                            }
                            RTCPeerConnectionState::Failed if connected => {
                                break EndReason::ConsentLost;
                            }
                            RTCPeerConnectionState::Failed => {
                                break EndReason::Failed(if ice_up {
                                    "DTLS failed".into()
                                } else {
                                    "ICE failed".into()
                                });
                            }
                            RTCPeerConnectionState::Closed => break EndReason::RemoteClosed,
                            _ => {}
                        }
                    }
                    Some(Signal::Track(track)) => {
                        if let Some(old) = reader.take() {
                            old.abort();
                        }
                        reader = Some(tokio::spawn(forward_to_relay(
                            track,
                            self.socket.clone(),
                            self.relay,
                            self.events,
                        )));
                    }
                },
                received = self.socket.recv_from(&mut buf) => {
                    // Only the relay may speak for the browser's ear.
                    if let Ok((n, from)) = received {
                        if from == self.relay {
                            self.forward_to_browser(buf.get(..n).unwrap_or_default()).await;
                        }
                    }
                }
            }
        };
        if let Some(reader) = reader.take() {
            reader.abort();
            let _ = reader.await;
        }
        if let Err(e) = self.pc.close().await {
            tracing::debug!(error = %e, "closing a web leg's peer connection");
        }
        tracing::info!(%reason, "web leg ended");
        let Leg { report, socket, .. } = self;
        drop(socket);
        let _ = report.send(LegEvent::Ended(reason));
    }

    async fn forward_to_browser(&mut self, datagram: &[u8]) {
        let Some(packet) = self.to_browser.packet(datagram) else {
            return;
        };
        // Before DTLS is up the track is not bound yet: such packets are simply lost.
        if let Err(e) = self.track.write_rtp(packet).await {
            tracing::trace!(error = %e, "web leg: packet to the browser dropped");
        }
    }
}

/// The browser's audio to the relay, one packet at a time, until the track ends.
async fn forward_to_relay(
    track: Arc<dyn TrackRemote>,
    socket: Arc<UdpSocket>,
    relay: SocketAddr,
    events: EventTypes,
) {
    let mut out = vec![0u8; MAX_DATAGRAM];
    while let Some(event) = track.poll().await {
        match event {
            TrackRemoteEvent::OnRtpPacket(packet) => {
                if let Some(n) = packets::to_plain(&packet, events, &mut out) {
                    let _ = socket
                        .send_to(out.get(..n).unwrap_or_default(), relay)
                        .await;
                }
            }
            TrackRemoteEvent::OnEnded => break,
            _ => {}
        }
    }
}
