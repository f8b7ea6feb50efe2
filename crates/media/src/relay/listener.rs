//! A supervisor's leg on a relay session (monitoring: listen, whisper, barge). It has its own
//! RTP/RTCP pair from the relay's port range, latched as strictly as the call's sides
//! (`latch.rs`), and a [`Mixer`] (`mix.rs`) that the forwarding loop hands the call's RTP to.
//! Without a listener the loop does one `Option` check per packet and nothing else; with one,
//! each call packet is decoded for the supervisor's mix and, only when the mode says its
//! receiver hears the supervisor, re-encoded in place with the supervisor's latest frame.
//!
//! The same leg carries the third party of an agent's consultation (`switch/consult.rs`): then
//! it is *paired* with one side ([`Listener::set_paired`]): that side's RTP goes to the third
//! party as it came and the third party's RTP goes to that side as it came (no mixing, no
//! re-encoding; the third party's phone was offered the call's codec), while the other side is
//! not relayed (it hears the switch's hold music, or nobody once the agent has left).

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use tokio::io::ReadBuf;
use tokio::sync::mpsc;

use super::latch::Verdict;
use super::task::Leg;
use super::{MediaEvent, SessionLabel, Side};
use crate::dtmf::{Deduplicator, Rfc4733Detector};
use crate::g711::Codec;
use crate::mix::{MixStats, Mixer, MonitorMode, Party, MAX_OUT_PACKET};
use crate::ports::BoundPair;
use crate::MediaError;

/// Packets taken from the listener's sockets per wake-up (as for the call's sockets).
const BUDGET: usize = 32;

/// Counters of a session's listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenerStats {
    pub mode: MonitorMode,
    /// Latched RTP source of the supervisor's phone.
    pub latched_rtp: Option<SocketAddr>,
    /// RTP accepted from the supervisor's phone.
    pub received: u64,
    /// Packets from sources that may not latch (see [`super::DirectionStats::rejected_source`]).
    pub rejected_source: u64,
    /// Packets for the supervisor dropped: no address known yet, or the kernel refused.
    pub send_failed: u64,
    pub mix: MixStats,
}

/// Where the listener reports what it hears from the supervisor, and when it is.
pub(super) struct Events<'a> {
    pub label: SessionLabel,
    pub events: &'a mpsc::UnboundedSender<MediaEvent>,
    pub now: std::time::Instant,
}

/// The session's legs and recorder, for a paired leg's packets going straight to a side.
pub(super) struct Outbound<'a> {
    pub legs: &'a [Leg; 2],
    pub recorder: Option<&'a mut crate::record::Tap>,
    /// A consultation's own recording: the third party's RTP goes on its right channel.
    pub consult: Option<&'a mut crate::record::Tap>,
}

impl Outbound<'_> {
    /// Send the third party's RTP out of `side`; what goes to side A (the customer) is on the
    /// recording's right channel, as everything the customer hears.
    fn send(&mut self, side: Side, datagram: &[u8], now: std::time::Instant) {
        if let Some(tap) = self.consult.as_deref_mut() {
            tap.record(crate::record::Channel::Right, datagram, now);
        }
        let leg = &self.legs[side.index()];
        let Some(to) = leg.destination(false) else {
            return;
        };
        if leg.rtp.try_send_to(datagram, to).is_ok() && side == Side::A {
            if let Some(tap) = self.recorder.as_deref_mut() {
                tap.record(crate::record::Channel::Right, datagram, now);
            }
        }
    }
}

pub(super) struct Listener {
    leg: Leg,
    mixer: Mixer,
    /// The session's side that faces the agent; the other faces the customer.
    agent: Side,
    /// The session side this leg is wired straight to, instead of mixing (a consultation).
    paired: Option<Side>,
    /// Keys the supervisor presses (RFC 4733 only: in-band detection on a voice that talks
    /// into the call would mistake speech for digits), reported as
    /// [`MediaEvent::ListenerDtmf`].
    dtmf: Option<(Rfc4733Detector, Deduplicator)>,
    out: Box<[u8; MAX_OUT_PACKET]>,
    received: u64,
    rejected_source: u64,
    send_failed: u64,
}

impl Listener {
    pub fn new(
        pair: BoundPair,
        mode: super::StrictSource,
        monitor: MonitorMode,
        agent: Side,
        codec: Codec,
        telephone_event_pt: Option<u8>,
    ) -> Result<Self, MediaError> {
        // SSRC, first sequence number and timestamp random (RFC 3550 §5.1).
        let r = RandomState::new().hash_one(pair.rtp_port);
        Ok(Self {
            leg: Leg::new(pair, mode)?,
            mixer: Mixer::new(monitor, codec, r as u32, (r >> 32) as u16, (r >> 48) as u32),
            agent,
            paired: None,
            dtmf: telephone_event_pt
                .map(|pt| (Rfc4733Detector::new(pt, 8000), Deduplicator::new())),
            out: Box::new([0; MAX_OUT_PACKET]),
            received: 0,
            rejected_source: 0,
            send_failed: 0,
        })
    }

    pub fn set_remote(&mut self, rtp: Option<SocketAddr>, rtcp: Option<SocketAddr>) {
        self.leg.set_remote(rtp, rtcp);
    }

    /// The index of the session side that faces the agent.
    pub fn agent_index(&self) -> usize {
        self.agent.index()
    }

    pub fn set_mode(&mut self, mode: MonitorMode) {
        self.mixer.set_mode(mode);
    }

    /// Wire the leg straight to session side `side` (`None`: mix as the mode says).
    pub fn set_paired(&mut self, side: Option<Side>) {
        self.paired = side;
    }

    /// The index of the session side the leg is wired straight to, if any.
    #[inline]
    pub fn paired_index(&self) -> Option<usize> {
        self.paired.map(Side::index)
    }

    /// RTP from the paired side, sent to the third party as it came.
    #[inline]
    pub fn forward_from_call(&mut self, datagram: &[u8]) {
        let sent = match self.leg.destination(false) {
            Some(to) => self.leg.rtp.try_send_to(datagram, to).is_ok(),
            None => false,
        };
        self.send_failed += u64::from(!sent);
    }

    /// RTP that arrived on session side `side` and is about to be relayed: mixed in place if
    /// its receiver hears the supervisor; what the supervisor hears goes out now.
    #[inline]
    pub fn on_call_rtp(&mut self, side: usize, datagram: &mut [u8]) {
        let from = if side == self.agent.index() {
            Party::Agent
        } else {
            Party::Customer
        };
        let Some(len) = self.mixer.on_call_packet(from, datagram, &mut self.out[..]) else {
            return;
        };
        let sent = match (self.leg.destination(false), self.out.get(..len)) {
            (Some(to), Some(packet)) => self.leg.rtp.try_send_to(packet, to).is_ok(),
            _ => false,
        };
        self.send_failed += u64::from(!sent);
    }

    /// Take what the supervisor's phone sent (RTP to the mixer, RTCP latched and absorbed);
    /// true if the budget ran out with packets left.
    pub fn drain(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
        ev: &Events<'_>,
        out: &mut Outbound<'_>,
    ) -> bool {
        let mut more = false;
        for rtcp in [false, true] {
            more |= self.drain_socket(cx, buf, rtcp, ev, out);
        }
        more
    }

    fn drain_socket(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
        rtcp: bool,
        ev: &Events<'_>,
        out: &mut Outbound<'_>,
    ) -> bool {
        for _ in 0..BUDGET {
            let mut read = ReadBuf::new(buf);
            let from = match self.leg.socket(rtcp).poll_recv_from(cx, &mut read) {
                Poll::Pending => return false,
                Poll::Ready(Err(_)) => continue,
                Poll::Ready(Ok(from)) => from,
            };
            let latch = if rtcp {
                &mut self.leg.latch_rtcp
            } else {
                &mut self.leg.latch_rtp
            };
            match latch.admit(from, read.filled()) {
                Verdict::Accept => {}
                Verdict::Probation => continue,
                Verdict::Foreign => {
                    self.rejected_source += 1;
                    continue;
                }
            }
            if !rtcp {
                self.received += 1;
                match self.paired {
                    Some(side) => out.send(side, read.filled(), ev.now),
                    None => self.mixer.on_supervisor_packet(read.filled()),
                }
                self.detect_dtmf(read.filled(), ev);
            }
        }
        true
    }

    fn detect_dtmf(&mut self, datagram: &[u8], ev: &Events<'_>) {
        let Some((detector, dedup)) = &mut self.dtmf else {
            return;
        };
        let Ok(packet) = crate::rtp::RtpPacket::parse(datagram) else {
            return;
        };
        detector.on_packet(&packet, |e| {
            if let Some(e) = dedup.accept(e, ev.now) {
                let _ = ev.events.send(MediaEvent::ListenerDtmf {
                    label: ev.label,
                    digit: e.digit,
                });
            }
        });
    }

    pub fn stats(&self) -> ListenerStats {
        ListenerStats {
            mode: self.mixer.mode(),
            latched_rtp: self.leg.latch_rtp.peer(),
            received: self.received,
            rejected_source: self.rejected_source,
            send_failed: self.send_failed,
            mix: self.mixer.stats(),
        }
    }
}
