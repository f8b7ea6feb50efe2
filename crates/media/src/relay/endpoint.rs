//! Endpoint mode of a relay session: the switch itself is the far end of side A (the IVR), or
//! of side B when told (music for a click-to-dial's customer). Prompts go out of that side's
//! RTP socket on the player's 20 ms grid, paced by one timer reset to
//! the player's next deadline; RTP from A goes to the DTMF detectors instead of to B.
//! Per packet: a frame copy into a stack buffer and one `sendto`, no allocation.

use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Context;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::{Instant, Sleep};

use super::{MediaEvent, SessionLabel, Side};
use crate::dtmf::RtpDtmf;
use crate::g711::Codec;
use crate::player::{Player, PlayerEvent};
use crate::prompt::Prompt;
use crate::record::{Channel, Tap};
use crate::rtp::RtpPacket;

/// Room for a 20 ms G.711 frame and its header.
const OUT_BUFFER: usize = 256;

pub(crate) struct Endpoint {
    /// False while relaying (the default): everything below is idle then.
    pub active: bool,
    /// The side played to and listened to: A (the caller) unless told otherwise, e.g. hold
    /// music for a click-to-dial's customer on B; back to A when bridged.
    pub side: Side,
    player: Player,
    dtmf: RtpDtmf,
    timer: Pin<Box<Sleep>>,
    /// Packets the kernel refused (buffer full, no route).
    pub send_failed: u64,
}

impl Endpoint {
    pub fn new(label: SessionLabel, port: u16) -> Self {
        // SSRC, first sequence number and timestamp must be random (RFC 3550 §5.1); the std
        // hasher's per-process random keys are enough for that.
        let r = RandomState::new().hash_one((label, port));
        Self {
            active: false,
            side: Side::A,
            player: Player::new(r as u32, 0, (r >> 32) as u16, (r >> 48) as u32 * 7919),
            dtmf: RtpDtmf::new(None),
            timer: Box::pin(tokio::time::sleep_until(Instant::now())),
            send_failed: 0,
        }
    }

    pub fn play(&mut self, prompts: Vec<Arc<Prompt>>, codec: Codec, looping: bool) {
        self.active = true;
        self.player.set_payload_type(codec.payload_type());
        self.player
            .play(Instant::now().into_std(), prompts, codec, looping);
    }

    pub fn stop(&mut self) {
        self.player.stop();
    }

    pub fn listen(&mut self) {
        self.active = true;
    }

    pub fn bridge(&mut self) {
        self.active = false;
        self.side = Side::A;
        self.player.stop();
    }

    pub fn set_telephone_event_pt(&mut self, pt: Option<u8>) {
        self.dtmf.set_telephone_event_pt(pt);
    }

    /// Send what is due, report the end of playback, and arm the timer for the next packet.
    /// What reaches A is also given to the recording, if any (the caller hears it).
    pub fn pump(
        &mut self,
        cx: &mut Context<'_>,
        socket: &UdpSocket,
        to: Option<SocketAddr>,
        label: SessionLabel,
        events: &mpsc::UnboundedSender<MediaEvent>,
        mut tap: Option<&mut Tap>,
    ) {
        if !self.active {
            return;
        }
        let mut out = [0u8; OUT_BUFFER];
        loop {
            let now = Instant::now().into_std();
            let due = self.player.poll_timeout().is_some_and(|at| at <= now);
            // Tokio only tries a send once it has seen the socket writable (not yet right
            // after binding): wait for that rather than lose the packets; the player's grid
            // lets them go out late, back to back, when it is.
            if due && socket.poll_send_ready(cx).is_pending() {
                return;
            }
            while let Some(packet) = self.player.poll_packet(now) {
                let Ok(len) = packet.write(&mut out) else {
                    continue;
                };
                // No known address yet (no SDP, nothing latched): the packet is lost, the
                // schedule goes on as a real phone's would.
                if let Some(to) = to {
                    match socket.try_send_to(&out[..len], to) {
                        Ok(_) => {
                            // What the side hears: A hears on the right channel, B the left.
                            let heard = match self.side {
                                Side::A => Channel::Right,
                                Side::B => Channel::Left,
                            };
                            if let Some(tap) = tap.as_deref_mut() {
                                tap.record(heard, &out[..len], now);
                            }
                        }
                        Err(_) => self.send_failed += 1,
                    }
                }
            }
            if let Some(PlayerEvent::Finished) = self.player.poll_event() {
                let _ = events.send(MediaEvent::PlaybackDone { label });
            }
            let Some(deadline) = self.player.poll_timeout() else {
                return;
            };
            self.timer.as_mut().reset(Instant::from_std(deadline));
            if self.timer.as_mut().poll(cx).is_pending() {
                return;
            }
        }
    }

    /// RTP that arrived from the endpoint's side while in endpoint mode.
    pub fn on_rtp(
        &mut self,
        datagram: &[u8],
        now: std::time::Instant,
        label: SessionLabel,
        events: &mpsc::UnboundedSender<MediaEvent>,
    ) {
        let Ok(packet) = RtpPacket::parse(datagram) else {
            return;
        };
        self.dtmf.on_rtp(&packet, now, |e| {
            let _ = events.send(MediaEvent::Dtmf {
                label,
                digit: e.digit,
                source: e.source,
            });
        });
    }
}
