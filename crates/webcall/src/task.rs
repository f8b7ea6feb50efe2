//! A leg's task: it owns the peer connection and the plain RTP socket until the leg ends.
//!
//! It ends the leg when it is closed or dropped, when the browser has not connected (ICE,
//! then DTLS) within the connect timeout, when ICE declares the path failed after the browser
//! fell silent (consent freshness: browsers send checks every few seconds and media every
//! 20 ms), or when the browser closes the connection. Ending closes the peer connection (its
//! driver and sockets), stops the reader of the browser's audio and drops the plain socket,
//! and only then reports [`LegEvent::Ended`], so a caller that saw it may reuse the ports.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{sleep_until, Instant};
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::{PeerConnection, RTCIceConnectionState, RTCPeerConnectionState};

use crate::packets::{self, EventTypes, ToBrowser};
use crate::{EndReason, LegEvent};

/// A datagram larger than any RTP packet the relay sends.
const MAX_DATAGRAM: usize = 1500;

/// What the peer connection's callbacks report to the leg's task. The callbacks run on the
/// stack's driver task, so they only send.
pub(crate) enum Signal {
    Ice(RTCIceConnectionState),
    Peer(RTCPeerConnectionState),
    Track(Arc<dyn TrackRemote>),
    /// The visitor pressed a key of the widget's keypad: an RFC 4733 event to the relay.
    Dtmf(char),
}

/// Where the plain side sends, set once (at the answer, or when the switch's call answered:
/// `WebLeg::bridge`); until then the browser's audio is dropped.
pub(crate) type Relay = Arc<OnceLock<SocketAddr>>;

/// The leg's task and everything it owns.
pub(crate) struct LegTask {
    pub(crate) pc: Arc<dyn PeerConnection>,
    pub(crate) track: Arc<TrackLocalStaticRTP>,
    pub(crate) socket: Arc<UdpSocket>,
    pub(crate) relay: Relay,
    pub(crate) muted: Arc<AtomicBool>,
    /// The SSRC and next sequence number of the events the switch sends for the keypad.
    pub(crate) keypad: (u32, u16),
    pub(crate) to_browser: ToBrowser,
    pub(crate) events: EventTypes,
    pub(crate) signals: mpsc::UnboundedReceiver<Signal>,
    pub(crate) stop: oneshot::Receiver<()>,
    pub(crate) report: mpsc::UnboundedSender<LegEvent>,
    pub(crate) connect_deadline: Instant,
    pub(crate) started: Instant,
}

impl LegTask {
    pub(crate) async fn run(mut self) {
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
                            self.relay.clone(),
                            self.events,
                            self.muted.clone(),
                        )));
                    }
                    Some(Signal::Dtmf(digit)) => self.send_dtmf(digit).await,
                },
                received = self.socket.recv_from(&mut buf) => {
                    // Only the relay may speak for the browser's ear.
                    if let Ok((n, from)) = received {
                        if Some(&from) == self.relay.get() {
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
        let LegTask { report, socket, .. } = self;
        drop(socket);
        let _ = report.send(LegEvent::Ended(reason));
    }

    /// One keypad event to the relay, on its own SSRC (the browser's stream keeps its
    /// sequence numbers); the timestamp follows the clock so each event is a new one.
    async fn send_dtmf(&mut self, digit: char) {
        let Some(relay) = self.relay.get().copied() else {
            return;
        };
        let (ssrc, seq) = self.keypad;
        let elapsed = self.started.elapsed().as_millis() as u32;
        let ts = elapsed.wrapping_mul(8);
        let packets = packets::dtmf_packets(digit, self.events.plain, ssrc, seq, ts);
        self.keypad.1 = seq.wrapping_add(packets.len() as u16);
        for p in &packets {
            let _ = self.socket.send_to(p, relay).await;
        }
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
    relay: Relay,
    events: EventTypes,
    muted: Arc<AtomicBool>,
) {
    let mut out = vec![0u8; MAX_DATAGRAM];
    while let Some(event) = track.poll().await {
        match event {
            TrackRemoteEvent::OnRtpPacket(packet) => {
                let Some(relay) = relay.get().copied() else {
                    continue;
                };
                if let Some(n) = packets::to_plain(&packet, events, &mut out) {
                    let Some(datagram) = out.get_mut(..n) else {
                        continue;
                    };
                    if muted.load(Ordering::Relaxed) {
                        packets::silence(datagram);
                    }
                    let _ = socket.send_to(datagram, relay).await;
                }
            }
            TrackRemoteEvent::OnEnded => break,
            _ => {}
        }
    }
}
