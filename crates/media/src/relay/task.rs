//! The per-session forwarding task: one future that polls the control channel, a coarse idle
//! tick and the four sockets by hand. Per packet it does one `recvfrom`, a latch check (an
//! address comparison once latched, see `latch.rs`), one `sendto` and counter bumps: no
//! allocation (one buffer per session), no lock, no channel, no timer. The clock is read once
//! per wake-up, not per packet. Refused packets are counted per session and added to the
//! relay-wide total on the coarse tick.
//!
//! While recording, A's RTP and what goes out to A are also copied into the recording's
//! preallocated ring (`record::Tap`): the payload's words and one release store, never a wait.
//!
//! In endpoint mode (IVR) the task also plays prompts out of side A and feeds A's RTP to the
//! DTMF detectors instead of forwarding it; see `endpoint.rs`.

use std::future::poll_fn;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::ReadBuf;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, Interval, MissedTickBehavior};

use super::endpoint::Endpoint;
use super::latch::{Kind, Latch, StrictSource, Verdict};
use super::listener::Listener;
use super::zrtp;
use super::{DirectionStats, MediaEvent, RelayStats, SessionLabel, Side};
use crate::g711::Codec;
use crate::mix::MonitorMode;
use crate::ports::{BoundPair, PairLease};
use crate::prompt::Prompt;
use crate::record::{Channel, Tap, TapParts};
use crate::MediaError;

/// How often a session checks for media timeout.
pub const IDLE_CHECK_EVERY: Duration = Duration::from_millis(250);

/// Packets taken from one socket per wake-up before yielding, so a flood on one call cannot
/// starve the other sessions on the same runtime thread.
const BUDGET_PER_SOCKET: usize = 32;

/// Large enough for any RTP/RTCP datagram on an Ethernet path; bigger ones get truncated.
const BUFFER_SIZE: usize = 2048;

pub(crate) enum Control {
    Remote {
        side: Side,
        rtp: Option<SocketAddr>,
        rtcp: Option<SocketAddr>,
    },
    /// The IP a side's signalling came from, straight from the phone (`None`: unknown).
    Signal {
        side: Side,
        ip: Option<std::net::IpAddr>,
    },
    MediaTimeout(Option<Duration>),
    Play {
        prompts: Vec<Arc<Prompt>>,
        codec: Codec,
        looping: bool,
    },
    StopPlayback,
    Listen,
    /// The side endpoint mode plays to and listens to from now on (A until told).
    EndpointSide(Side),
    Bridge,
    TelephoneEvent(Option<u8>),
    PassZrtp(bool),
    Stats(oneshot::Sender<RelayStats>),
    Close(oneshot::Sender<RelayStats>),
    /// Answered `Err(parts)` when a recording is already running.
    StartRecording {
        parts: TapParts,
        reply: oneshot::Sender<Result<(), TapParts>>,
    },
    /// `true` pauses, `false` resumes, as of that instant.
    PauseRecording(std::time::Instant, bool),
    StopRecording(oneshot::Sender<crate::record::RecordingSummary>),
    /// Record a consultation (`listener.rs`): the paired side's RTP left, the third party's
    /// right. Answered `Err(parts)` when one is already running.
    StartConsultRecording {
        parts: TapParts,
        reply: oneshot::Sender<Result<(), TapParts>>,
    },
    StopConsultRecording(oneshot::Sender<crate::record::RecordingSummary>),
    /// A supervisor joins (replacing any other).
    AddListener(Box<Listener>),
    ListenerRemote {
        rtp: Option<SocketAddr>,
        rtcp: Option<SocketAddr>,
    },
    ListenerMode(MonitorMode),
    ListenerPaired(Option<Side>),
    RemoveListener,
}

pub(super) struct Leg {
    // Sockets before the lease: fields drop in order, so the ports are closed before the pool
    // hands them out again.
    pub rtp: UdpSocket,
    pub rtcp: UdpSocket,
    _lease: PairLease,
    remote_rtp: Option<SocketAddr>,
    remote_rtcp: Option<SocketAddr>,
    pub latch_rtp: Latch,
    pub latch_rtcp: Latch,
}

impl Leg {
    pub fn new(pair: BoundPair, mode: StrictSource) -> Result<Self, MediaError> {
        Ok(Self {
            rtp: UdpSocket::from_std(pair.rtp)?,
            rtcp: UdpSocket::from_std(pair.rtcp)?,
            _lease: pair.lease,
            remote_rtp: None,
            remote_rtcp: None,
            latch_rtp: Latch::new(Kind::Rtp, mode),
            latch_rtcp: Latch::new(Kind::Rtcp, mode),
        })
    }

    /// Where the side's SDP says it receives (see `RelaySession::set_remote`).
    pub fn set_remote(&mut self, rtp: Option<SocketAddr>, rtcp: Option<SocketAddr>) {
        self.remote_rtp = rtp;
        self.remote_rtcp = rtcp;
        // Without an RTCP address in the SDP, RTCP is expected from RTP's port + 1.
        let rtcp = rtcp
            .or_else(|| rtp.and_then(|a| Some(SocketAddr::new(a.ip(), a.port().checked_add(1)?))));
        self.latch_rtp.expect(rtp);
        self.latch_rtcp.expect(rtcp);
    }

    /// Where the side's SIP came from straight from the phone (see `Latch::signalled_from`).
    pub fn set_signal(&mut self, ip: Option<std::net::IpAddr>) {
        self.latch_rtp.signalled_from(ip);
        self.latch_rtcp.signalled_from(ip);
    }

    pub fn socket(&self, rtcp: bool) -> &UdpSocket {
        if rtcp {
            &self.rtcp
        } else {
            &self.rtp
        }
    }

    /// Latched source first (symmetric RTP), else what the SDP said: never a source that did
    /// not latch.
    pub fn destination(&self, rtcp: bool) -> Option<SocketAddr> {
        if rtcp {
            self.latch_rtcp.peer().or(self.remote_rtcp)
        } else {
            self.latch_rtp.peer().or(self.remote_rtp)
        }
    }
}

/// Media-timeout bookkeeping, advanced only on the coarse tick.
struct Idle {
    timeout: Option<Duration>,
    rtp_since_tick: bool,
    last_rtp: Instant,
    reported: bool,
}

pub(crate) struct SessionTask {
    label: SessionLabel,
    legs: [Leg; 2],
    buf: Box<[u8; BUFFER_SIZE]>,
    /// Index 0: arrived on A (A to B); index 1: arrived on B.
    directions: [DirectionStats; 2],
    control: mpsc::UnboundedReceiver<Control>,
    events: mpsc::UnboundedSender<MediaEvent>,
    tick: Interval,
    idle: Idle,
    endpoint: Endpoint,
    recorder: Option<Tap>,
    /// A consultation's own recording (agent left, third party right), while one runs.
    consult_recorder: Option<Tap>,
    /// A supervisor monitoring the call (`listener.rs`).
    listener: Option<Box<Listener>>,
    /// Relay ZRTP packets rather than drop them (`zrtp.rs`).
    pass_zrtp: bool,
    /// Queue-full drops of recordings already stopped.
    recording_dropped: u64,
    /// The relay-wide count of refused packets, and how much of ours is in it already.
    foreign_total: Arc<AtomicU64>,
    foreign_reported: u64,
}

impl SessionTask {
    pub fn new(
        label: SessionLabel,
        pairs: [BoundPair; 2],
        mode: StrictSource,
        foreign_total: Arc<AtomicU64>,
        control: mpsc::UnboundedReceiver<Control>,
        events: mpsc::UnboundedSender<MediaEvent>,
    ) -> Result<Self, MediaError> {
        let [a, b] = pairs;
        let endpoint = Endpoint::new(label, a.rtp_port);
        let now = Instant::now();
        let mut tick = tokio::time::interval_at(now + IDLE_CHECK_EVERY, IDLE_CHECK_EVERY);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Ok(Self {
            label,
            legs: [Leg::new(a, mode)?, Leg::new(b, mode)?],
            buf: Box::new([0; BUFFER_SIZE]),
            directions: [DirectionStats::default(); 2],
            control,
            events,
            tick,
            idle: Idle {
                timeout: None,
                rtp_since_tick: false,
                last_rtp: now,
                reported: false,
            },
            endpoint,
            recorder: None,
            consult_recorder: None,
            listener: None,
            pass_zrtp: false,
            recording_dropped: 0,
            foreign_total,
            foreign_reported: 0,
        })
    }

    pub async fn run(mut self) {
        let close = poll_fn(|cx| self.poll(cx)).await;
        self.report_foreign();
        let stats = self.stats();
        // Free the sockets and ports before answering, so the caller of close() can reuse them.
        drop(self);
        if let Some(reply) = close {
            let _ = reply.send(stats);
        }
    }

    /// Ready when the session ends: `Some` on close(), `None` when the handle was dropped.
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Option<oneshot::Sender<RelayStats>>> {
        loop {
            match self.control.poll_recv(cx) {
                Poll::Ready(Some(Control::Close(reply))) => return Poll::Ready(Some(reply)),
                Poll::Ready(Some(msg)) => self.handle(msg),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => break,
            }
        }
        while let Poll::Ready(now) = self.tick.poll_tick(cx) {
            self.on_tick(now);
        }
        let leg = &self.legs[self.endpoint.side.index()];
        self.endpoint.pump(
            cx,
            &leg.rtp,
            leg.destination(false),
            self.label,
            &self.events,
            self.recorder.as_mut(),
        );
        let now = Instant::now().into_std();
        let mut more = false;
        for socket in 0..4 {
            more |= self.drain(cx, socket / 2, socket % 2 == 1, now);
        }
        if let Some(listener) = &mut self.listener {
            let ev = super::listener::Events {
                label: self.label,
                events: &self.events,
                now,
            };
            let mut out = super::listener::Outbound {
                legs: &self.legs,
                recorder: self.recorder.as_mut(),
                consult: self.consult_recorder.as_mut(),
            };
            more |= listener.drain(cx, &mut self.buf[..], &ev, &mut out);
        }
        if more {
            // Budget spent with packets left: come back after the other tasks had their turn.
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }

    /// Forward what is queued on one socket; true if the budget ran out first.
    fn drain(
        &mut self,
        cx: &mut Context<'_>,
        side: usize,
        rtcp: bool,
        now: std::time::Instant,
    ) -> bool {
        let [a, b] = &mut self.legs;
        let (inbound, outbound) = if side == 0 { (a, &*b) } else { (b, &*a) };
        let stats = &mut self.directions[side];
        for _ in 0..BUDGET_PER_SOCKET {
            let mut buf = ReadBuf::new(&mut self.buf[..]);
            let from = match inbound.socket(rtcp).poll_recv_from(cx, &mut buf) {
                Poll::Pending => return false,
                Poll::Ready(Err(_)) => continue,
                Poll::Ready(Ok(from)) => from,
            };
            let latch = if rtcp {
                &mut inbound.latch_rtcp
            } else {
                &mut inbound.latch_rtp
            };
            match latch.admit(from, buf.filled()) {
                Verdict::Accept => {}
                // Neither relayed nor counted as media: a stranger cannot keep a call alive.
                Verdict::Probation => {
                    stats.dropped_probation += 1;
                    continue;
                }
                Verdict::Foreign => {
                    stats.rejected_source += 1;
                    continue;
                }
            }
            // Only a packet that is not RTP v2 is looked at twice (`zrtp.rs`).
            if !rtcp
                && zrtp::maybe_zrtp(buf.filled())
                && !self.pass_zrtp
                && zrtp::is_zrtp(buf.filled())
            {
                stats.dropped_zrtp += 1;
                continue;
            }
            // The customer's channel is what the customer says, taken before any mix; the
            // agent's is what the customer hears, taken after it, so a barging supervisor is
            // on the agent's channel whichever side the agent is (side A in click-to-dial).
            // Without a listener, A is recorded as sent and B as relayed, which is the same.
            let channel = if side == 0 {
                Channel::Left
            } else {
                Channel::Right
            };
            let after_mix = match &self.listener {
                Some(listener) => listener.agent_index() == side,
                None => side == 1,
            };
            if !rtcp {
                self.idle.rtp_since_tick = true;
                // In endpoint mode only the side played to is recorded as it speaks: the
                // other channel is what that side hears, the prompts (`endpoint.rs`), so the
                // other side's voice (an agent holding, or consulting a colleague) stays out.
                let record_now = if self.endpoint.active {
                    side == self.endpoint.side.index()
                } else {
                    !after_mix
                };
                if record_now {
                    if let Some(tap) = &mut self.recorder {
                        tap.record(channel, buf.filled(), now);
                    }
                }
            }
            // A consultation's third party wired straight to one side (`listener.rs`): that
            // side talks with it only; the other side is not relayed (hold music from the
            // endpoint, or nobody). RTCP across the rewiring is absorbed.
            if let Some(paired) = self.listener.as_ref().and_then(|l| l.paired_index()) {
                if rtcp {
                    continue;
                }
                if paired == side {
                    if let Some(listener) = &mut self.listener {
                        listener.forward_from_call(buf.filled());
                    }
                    if let Some(tap) = &mut self.consult_recorder {
                        tap.record(Channel::Left, buf.filled(), now);
                    }
                    continue;
                }
                if !self.endpoint.active {
                    continue;
                }
            }
            if self.endpoint.active {
                // The switch is the far end of its side (A, or B when told): that side's RTP
                // is listened to, nothing is relayed.
                if side == self.endpoint.side.index() && !rtcp {
                    self.endpoint
                        .on_rtp(buf.filled(), now, self.label, &self.events);
                }
                continue;
            }
            let Some(to) = outbound.destination(rtcp) else {
                stats.dropped_no_remote += 1;
                continue;
            };
            if !rtcp {
                if let Some(listener) = &mut self.listener {
                    listener.on_call_rtp(side, buf.filled_mut());
                }
            }
            let packet = buf.filled();
            match outbound.socket(rtcp).try_send_to(packet, to) {
                Ok(_) => {
                    if after_mix && !rtcp {
                        if let Some(tap) = &mut self.recorder {
                            tap.record(channel, packet, now);
                        }
                    }
                    let flow = if rtcp {
                        &mut stats.rtcp
                    } else {
                        &mut stats.rtp
                    };
                    flow.packets += 1;
                    flow.bytes += packet.len() as u64;
                }
                Err(_) => stats.send_failed += 1,
            }
        }
        true
    }

    fn handle(&mut self, msg: Control) {
        match msg {
            Control::Remote { side, rtp, rtcp } => {
                self.legs[side.index()].set_remote(rtp, rtcp);
            }
            Control::Signal { side, ip } => self.legs[side.index()].set_signal(ip),
            Control::MediaTimeout(timeout) => {
                self.idle = Idle {
                    timeout,
                    rtp_since_tick: false,
                    last_rtp: Instant::now(),
                    reported: false,
                };
            }
            Control::Play {
                prompts,
                codec,
                looping,
            } => self.endpoint.play(prompts, codec, looping),
            Control::StopPlayback => self.endpoint.stop(),
            Control::Listen => self.endpoint.listen(),
            Control::EndpointSide(side) => self.endpoint.side = side,
            Control::Bridge => self.endpoint.bridge(),
            Control::PassZrtp(pass) => self.pass_zrtp = pass,
            Control::TelephoneEvent(pt) => self.endpoint.set_telephone_event_pt(pt),
            Control::Stats(reply) => {
                let _ = reply.send(self.stats());
            }
            // Should start_recording() have been cancelled meanwhile, the recording still
            // runs and is reported when the session ends.
            Control::StartRecording { parts, reply } => {
                let (label, events) = (self.label, self.events.clone());
                install(&mut self.recorder, parts, reply, label, events);
            }
            Control::PauseRecording(at, pause) => {
                if let Some(tap) = &mut self.recorder {
                    if pause {
                        tap.pause(at);
                    } else {
                        tap.resume(at);
                    }
                }
            }
            Control::StopRecording(reply) => {
                if let Some(tap) = self.recorder.take() {
                    self.recording_dropped += tap.dropped();
                    tap.stop(Some(reply));
                }
            }
            Control::StartConsultRecording { parts, reply } => {
                let (label, events) = (self.label, self.events.clone());
                install(&mut self.consult_recorder, parts, reply, label, events);
            }
            Control::StopConsultRecording(reply) => {
                if let Some(tap) = self.consult_recorder.take() {
                    self.recording_dropped += tap.dropped();
                    tap.stop(Some(reply));
                }
            }
            Control::AddListener(listener) => self.listener = Some(listener),
            Control::ListenerRemote { rtp, rtcp } => {
                if let Some(listener) = &mut self.listener {
                    listener.set_remote(rtp, rtcp);
                }
            }
            Control::ListenerMode(mode) => {
                if let Some(listener) = &mut self.listener {
                    listener.set_mode(mode);
                }
            }
            Control::ListenerPaired(side) => {
                if let Some(listener) = &mut self.listener {
                    listener.set_paired(side);
                }
            }
            Control::RemoveListener => self.listener = None,
            // poll() handles Close itself because it ends the task.
            Control::Close(reply) => {
                let _ = reply.send(self.stats());
            }
        }
    }

    /// Add the packets refused since the last report to the relay-wide count.
    fn report_foreign(&mut self) {
        let total: u64 = self.directions.iter().map(|d| d.rejected_source).sum();
        let new = total - self.foreign_reported;
        if new > 0 {
            self.foreign_total.fetch_add(new, Ordering::Relaxed);
            self.foreign_reported = total;
        }
    }

    fn on_tick(&mut self, now: Instant) {
        self.report_foreign();
        let idle = &mut self.idle;
        if std::mem::take(&mut idle.rtp_since_tick) {
            idle.last_rtp = now;
            idle.reported = false;
        }
        let Some(timeout) = idle.timeout else { return };
        let silent = now.saturating_duration_since(idle.last_rtp);
        if silent >= timeout && !idle.reported {
            idle.reported = true;
            let _ = self.events.send(MediaEvent::Timeout {
                label: self.label,
                idle: silent,
            });
        }
    }

    fn stats(&self) -> RelayStats {
        let [a, b] = &self.legs;
        RelayStats {
            a_to_b: self.directions[0],
            b_to_a: self.directions[1],
            latched_rtp: [a.latch_rtp.peer(), b.latch_rtp.peer()],
            latched_rtcp: [a.latch_rtcp.peer(), b.latch_rtcp.peer()],
            recording_dropped: self.recording_dropped
                + self.recorder.as_ref().map_or(0, Tap::dropped),
            listener: self.listener.as_ref().map(|l| l.stats()),
        }
    }
}

/// A recorder for `slot`, unless one runs there already (then the parts go back).
fn install(
    slot: &mut Option<Tap>,
    parts: TapParts,
    reply: oneshot::Sender<Result<(), TapParts>>,
    label: SessionLabel,
    events: mpsc::UnboundedSender<MediaEvent>,
) {
    if slot.is_some() {
        if let Err(Err(parts)) = reply.send(Err(parts)) {
            parts.discard();
        }
    } else {
        *slot = Some(Tap::new(parts, label, events));
        let _ = reply.send(Ok(()));
    }
}
