//! The RTP/RTCP relay: [`MediaRelay`] owns the port range and hands out [`RelaySession`]s, one
//! per call. Each session is one tokio task owning its four sockets (RTP+RTCP for side A, which
//! faces the caller, and for side B, which faces the callee); the session handle talks to it
//! through a control channel, never per packet. The forwarding loop lives in `task.rs`, the
//! IVR's endpoint mode (prompts out, DTMF in, on side A) in `endpoint.rs`, and which sources a
//! socket accepts (strict latching with probation) in `latch.rs`.

mod endpoint;
mod latch;
mod listener;
mod task;
mod zrtp;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use crate::dtmf::DtmfSource;
use crate::g711::Codec;
use crate::mix::MonitorMode;
use crate::ports::PortPool;
use crate::prompt::Prompt;
use crate::record::{self, RecordError, RecordingOptions, RecordingSummary};
use crate::MediaError;
use listener::Listener;
use task::{Control, SessionTask};

pub use latch::judge_datagrams;
pub use latch::{BadStrictSource, StrictSource, PROBATION_RTCP, PROBATION_RTP};
pub use listener::ListenerStats;
pub use task::IDLE_CHECK_EVERY;

/// Where the relay binds and what it tells phones, and its port range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayConfig {
    pub bind_ip: IpAddr,
    /// The address written into rewritten SDP (differs from `bind_ip` behind 1:1 NAT or with a
    /// wildcard bind).
    pub advertise_ip: IpAddr,
    /// First RTP port; must be even.
    pub port_min: u16,
    /// Last port; the range must hold at least 4 ports (one call: two RTP/RTCP pairs).
    pub port_max: u16,
    /// Whether a latched side may move to another port of its IP without a new offer/answer.
    pub strict_source: StrictSource,
}

/// One side of a relayed call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Faces the caller.
    A,
    /// Faces the callee.
    B,
}

impl Side {
    pub(crate) fn index(self) -> usize {
        match self {
            Side::A => 0,
            Side::B => 1,
        }
    }
}

/// The key that names a session in its events, chosen by whoever allocates it (the switch
/// uses its call id), so events come back typed, without formatting and parsing a name.
pub type SessionLabel = u64;

/// What a session reports on the event channel given at [`MediaRelay::allocate`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaEvent {
    /// No RTP arrived from either side for `idle` (at least the configured media timeout).
    /// Reported once; reported again only after media resumed or the timeout was set again.
    Timeout { label: SessionLabel, idle: Duration },
    /// A key pressed by the caller on side A, in endpoint mode; each press once, whichever
    /// RTP-borne sources carried it (SIP INFO is the call's to merge, e.g. with
    /// [`crate::dtmf::Deduplicator`]).
    Dtmf {
        label: SessionLabel,
        digit: char,
        source: DtmfSource,
    },
    /// The prompts given to [`RelaySession::play`] have all been sent (not after
    /// [`RelaySession::stop_playback`], nor for music on hold, which loops).
    PlaybackDone { label: SessionLabel },
    /// A recording ended without [`RelaySession::stop_recording`] (the session closed or
    /// was dropped); the file is finished and this is its summary.
    RecordingFinished {
        label: SessionLabel,
        summary: Box<RecordingSummary>,
    },
    /// A key the session's listener (a supervisor) pressed, by RFC 4733 telephone-event with
    /// the payload type given to [`RelaySession::add_listener`]; each press once.
    ListenerDtmf { label: SessionLabel, digit: char },
}

/// Packets and bytes of one kind of traffic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlowStats {
    pub packets: u64,
    pub bytes: u64,
}

/// Traffic that arrived on one side and was meant for the other.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DirectionStats {
    /// Forwarded RTP.
    pub rtp: FlowStats,
    /// Forwarded RTCP.
    pub rtcp: FlowStats,
    /// Accepted but dropped because the other side's address was not known yet.
    pub dropped_no_remote: u64,
    /// Refused by the latching rule: a source other than the latched one, one that may not
    /// latch, or a datagram that is not RTP (RTCP) v2 from a source that has not latched.
    pub rejected_source: u64,
    /// Dropped while their source was on probation (it may latch with its next packets).
    pub dropped_probation: u64,
    /// The kernel refused to send (socket buffer full, unreachable family).
    pub send_failed: u64,
    /// ZRTP packets from the latched source, dropped so the phones stay in clear RTP
    /// (`zrtp.rs`; not while [`Session::pass_zrtp`] allows them).
    pub dropped_zrtp: u64,
}

/// A session's counters and latched peers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelayStats {
    /// Arrived on side A, sent out of side B.
    pub a_to_b: DirectionStats,
    /// Arrived on side B, sent out of side A.
    pub b_to_a: DirectionStats,
    /// Latched RTP source of side A / side B.
    pub latched_rtp: [Option<SocketAddr>; 2],
    /// Latched RTCP source of side A / side B.
    pub latched_rtcp: [Option<SocketAddr>; 2],
    /// Recording frames lost because the recorder's queue was full (all recordings of the
    /// session); the packets themselves were relayed.
    pub recording_dropped: u64,
    /// The supervisor monitoring the call, if any.
    pub listener: Option<ListenerStats>,
}

impl RelayStats {
    /// RTP + RTCP packets forwarded in both directions.
    pub fn forwarded_packets(&self) -> u64 {
        [self.a_to_b, self.b_to_a]
            .iter()
            .map(|d| d.rtp.packets + d.rtcp.packets)
            .sum()
    }
}

/// Cheap-clone handle on the relay's port range.
#[derive(Debug, Clone)]
pub struct MediaRelay {
    pool: Arc<PortPool>,
    advertise_ip: IpAddr,
    strict_source: StrictSource,
    foreign: Arc<AtomicU64>,
}

impl MediaRelay {
    /// Validates the range (even first port, at least 4 ports). Binds nothing yet.
    pub fn new(cfg: RelayConfig) -> Result<Self, MediaError> {
        Ok(Self {
            pool: PortPool::new(cfg.bind_ip, cfg.port_min, cfg.port_max)?,
            advertise_ip: cfg.advertise_ip,
            strict_source: cfg.strict_source,
            foreign: Arc::default(),
        })
    }

    /// Bind an RTP+RTCP pair for each side of a call and start its forwarding task. `label`
    /// names the session in events (e.g. the call id). Must run inside a tokio runtime.
    pub async fn allocate(
        &self,
        label: SessionLabel,
        events: mpsc::UnboundedSender<MediaEvent>,
    ) -> Result<RelaySession, MediaError> {
        let a = self.pool.bind_pair()?;
        let b = self.pool.bind_pair()?;
        let ports = [a.rtp_port, b.rtp_port];
        let (tx, rx) = mpsc::unbounded_channel();
        let task = SessionTask::new(
            label,
            [a, b],
            self.strict_source,
            Arc::clone(&self.foreign),
            rx,
            events,
        )?;
        tokio::spawn(task.run());
        Ok(RelaySession {
            control: tx,
            ports,
            advertise_ip: self.advertise_ip,
            pool: Arc::clone(&self.pool),
            strict_source: self.strict_source,
        })
    }

    /// Ports (RTP and RTCP) currently held by sessions: 4 per session.
    pub fn ports_in_use(&self) -> usize {
        self.pool.ports_in_use()
    }

    /// Packets all sessions, live and ended, refused since the relay was made
    /// ([`DirectionStats::rejected_source`] summed): a source that is not the latched one or
    /// may not latch. Live sessions add theirs every [`IDLE_CHECK_EVERY`] and when they end.
    pub fn foreign_packets_dropped(&self) -> u64 {
        self.foreign.load(Ordering::Relaxed)
    }
}

/// A call's relay, owned by the call task. Dropping it stops forwarding and frees the ports
/// (shortly after, when the task sees the channel close); [`RelaySession::close`] does the same
/// and waits until the ports are free.
#[derive(Debug)]
pub struct RelaySession {
    control: mpsc::UnboundedSender<Control>,
    ports: [u16; 2],
    advertise_ip: IpAddr,
    /// For a listener's pair.
    pool: Arc<PortPool>,
    strict_source: StrictSource,
}

impl RelaySession {
    /// RTP port of that side (RTCP is this + 1).
    pub fn local_port(&self, side: Side) -> u16 {
        self.ports[side.index()]
    }

    pub fn advertise_ip(&self) -> IpAddr {
        self.advertise_ip
    }

    /// Where packets going out of `side` are sent, as that side's SDP says (an offer or answer);
    /// RTCP defaults to the RTP port + 1. The side's sockets accept packets only from the
    /// source they latch to, and latch only to this address or, after probation, another port
    /// of its IP (docs/security.md, "Media"); once latched, packets go to the latched source.
    /// A changed address clears the side's latches; the same address again (session refresh)
    /// keeps them but lets another port of that IP take over after probation. An unspecified
    /// address or port 0 (hold, declined) means "unknown": nothing latches, packets are
    /// dropped.
    pub fn set_remote(&self, side: Side, rtp: SocketAddr, rtcp: Option<SocketAddr>) {
        let usable = |a: SocketAddr| (!a.ip().is_unspecified() && a.port() != 0).then_some(a);
        // A send error means the task is gone, i.e. the session is already over.
        let _ = self.control.send(Control::Remote {
            side,
            rtp: usable(rtp),
            rtcp: rtcp.and_then(usable),
        });
    }

    /// Where `side`'s SIP came from when it came straight from the phone (`None`: unknown, e.g.
    /// through a proxy): a side whose SDP names a private address then latches only to sources
    /// of that IP (its NAT), not to any public source that passes probation (docs/security.md).
    pub fn set_signalling_source(&self, side: Side, ip: Option<IpAddr>) {
        let _ = self.control.send(Control::Signal { side, ip });
    }

    /// Report [`MediaEvent::Timeout`] when no RTP arrives from either side for this long,
    /// counted from now. `None` disables it (e.g. on hold). Checked every
    /// [`IDLE_CHECK_EVERY`], so it fires up to two checks late.
    pub fn set_media_timeout(&self, timeout: Option<Duration>) {
        let _ = self.control.send(Control::MediaTimeout(timeout));
    }

    /// Endpoint mode (IVR): play `prompts` in order to side A, replacing any playback, then
    /// report [`MediaEvent::PlaybackDone`]. Until [`RelaySession::bridge`], RTP from A is not
    /// relayed but listened to for DTMF ([`MediaEvent::Dtmf`]), and B's traffic is dropped.
    pub fn play(&self, prompts: Vec<Arc<Prompt>>, codec: Codec) {
        let _ = self.control.send(Control::Play {
            prompts,
            codec,
            looping: false,
        });
    }

    /// Like [`RelaySession::play`] but looping until stopped: music on hold.
    pub fn play_looping(&self, prompts: Vec<Arc<Prompt>>, codec: Codec) {
        let _ = self.control.send(Control::Play {
            prompts,
            codec,
            looping: true,
        });
    }

    /// Stop the prompt at once (barge-in); stays in endpoint mode, no PlaybackDone.
    pub fn stop_playback(&self) {
        let _ = self.control.send(Control::StopPlayback);
    }

    /// Make endpoint mode play to and listen to `side` (A until told; [`RelaySession::bridge`]
    /// turns it back to A). Sent before [`RelaySession::play`] to play to B.
    pub fn endpoint_side(&self, side: Side) {
        let _ = self.control.send(Control::EndpointSide(side));
    }

    /// Endpoint mode without playing: listen to A for DTMF.
    pub fn listen(&self) {
        let _ = self.control.send(Control::Listen);
    }

    /// Leave endpoint mode: stop playback and relay A⇄B again (the IVR handed the call on).
    pub fn bridge(&self) {
        let _ = self.control.send(Control::Bridge);
    }

    /// Let ZRTP packets through (`true`: the call's offers went on as written, so its phones
    /// may keep their keys) or drop them (`false`, the default; see `zrtp.rs`).
    pub fn pass_zrtp(&self, pass: bool) {
        let _ = self.control.send(Control::PassZrtp(pass));
    }

    /// Payload type side A negotiated for telephone-event/8000 (RFC 4733); `None` leaves
    /// only in-band detection.
    pub fn set_telephone_event_pt(&self, pt: Option<u8>) {
        let _ = self.control.send(Control::TelephoneEvent(pt));
    }

    /// Start recording the call to a new stereo WAV file at `path` (an existing file is an
    /// error, never overwritten): caller on the left, what the caller hears on the right
    /// (side B while bridged, prompts in endpoint mode). Returns once the file exists.
    pub async fn start_recording(
        &self,
        path: PathBuf,
        opts: RecordingOptions,
    ) -> Result<(), RecordError> {
        self.start_tap(path, opts, false).await
    }

    /// Open the file and hand its recorder to the session: the call's recorder, or with
    /// `consult` the consultation's.
    async fn start_tap(
        &self,
        path: PathBuf,
        opts: RecordingOptions,
        consult: bool,
    ) -> Result<(), RecordError> {
        let parts = record::start(path, opts).await?;
        let (reply, answer) = oneshot::channel();
        let control = if consult {
            Control::StartConsultRecording { parts, reply }
        } else {
            Control::StartRecording { parts, reply }
        };
        if let Err(rejected) = self.control.send(control) {
            if let Control::StartRecording { parts, .. }
            | Control::StartConsultRecording { parts, .. } = rejected.0
            {
                parts.discard();
            }
            return Err(RecordError::SessionClosed);
        }
        match answer.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(parts)) => {
                parts.discard();
                Err(RecordError::AlreadyRecording)
            }
            Err(_) => Err(RecordError::SessionClosed),
        }
    }

    /// Start recording a consultation (the listener paired with the agent's side,
    /// `listener.rs`) to a new stereo WAV file at `path`: the agent's side on the left, the
    /// third party on the right, apart from the call's own recording. Returns once the file
    /// exists.
    pub async fn start_consult_recording(
        &self,
        path: PathBuf,
        opts: RecordingOptions,
    ) -> Result<(), RecordError> {
        self.start_tap(path, opts, true).await
    }

    /// Finish the consultation's recording (asked at once; the future, which does not borrow
    /// the session, gives its summary once written); `None` if none was running.
    pub fn stop_consult_recording(
        &self,
    ) -> impl std::future::Future<Output = Option<RecordingSummary>> + Send + 'static {
        let (tx, rx) = oneshot::channel();
        let sent = self.control.send(Control::StopConsultRecording(tx)).is_ok();
        async move {
            if sent {
                rx.await.ok()
            } else {
                None
            }
        }
    }

    /// Silence the recording from now until [`RelaySession::resume_recording`] (e.g. while a
    /// card number is read out); the span is listed in the summary. No-op if not recording.
    pub fn pause_recording(&self) {
        let _ = self
            .control
            .send(Control::PauseRecording(Instant::now(), true));
    }

    pub fn resume_recording(&self) {
        let _ = self
            .control
            .send(Control::PauseRecording(Instant::now(), false));
    }

    /// Finish the recording (written and fsynced when this returns) and get its summary;
    /// `None` if none was running.
    pub async fn stop_recording(&self) -> Option<RecordingSummary> {
        let (tx, rx) = oneshot::channel();
        self.control.send(Control::StopRecording(tx)).ok()?;
        rx.await.ok()
    }

    /// A supervisor joins the call in `mode` (`mix.rs`): a new RTP/RTCP pair from the relay's
    /// range, whose RTP port is returned (RTCP is + 1); `agent` is the side that faces the
    /// agent, `codec` what the supervisor's phone receives, `telephone_event_pt` the payload
    /// type of its RFC 4733 keys ([`MediaEvent::ListenerDtmf`]). Until
    /// [`RelaySession::set_listener_remote`] nothing latches and nothing goes to it. One
    /// listener per session: a second replaces the first. The recording keeps its two
    /// channels (side A left): the customer's side as sent, the agent's side as the customer
    /// hears it (with barge, the supervisor on the agent's channel).
    pub fn add_listener(
        &self,
        agent: Side,
        mode: MonitorMode,
        codec: Codec,
        telephone_event_pt: Option<u8>,
    ) -> Result<u16, MediaError> {
        let pair = self.pool.bind_pair()?;
        let port = pair.rtp_port;
        let listener = Listener::new(
            pair,
            self.strict_source,
            mode,
            agent,
            codec,
            telephone_event_pt,
        )?;
        // A closed session drops the listener and its ports with the message.
        let _ = self.control.send(Control::AddListener(Box::new(listener)));
        Ok(port)
    }

    /// Where the supervisor's phone receives, as its SDP says; the same rules as
    /// [`RelaySession::set_remote`].
    pub fn set_listener_remote(&self, rtp: SocketAddr, rtcp: Option<SocketAddr>) {
        let usable = |a: SocketAddr| (!a.ip().is_unspecified() && a.port() != 0).then_some(a);
        let _ = self.control.send(Control::ListenerRemote {
            rtp: usable(rtp),
            rtcp: rtcp.and_then(usable),
        });
    }

    /// Switch the listener's mode, from the next packet on.
    pub fn set_listener_mode(&self, mode: MonitorMode) {
        let _ = self.control.send(Control::ListenerMode(mode));
    }

    /// Wire the listener straight to `side` (a consultation's third party talks with that
    /// side only, as sent; the other side is not relayed) or, with `None`, mix again as its
    /// mode says (a conference is [`MonitorMode::Barge`]). From the next packet on.
    pub fn set_listener_paired(&self, side: Option<Side>) {
        let _ = self.control.send(Control::ListenerPaired(side));
    }

    /// The supervisor leaves: plain forwarding again, the listener's ports freed.
    pub fn remove_listener(&self) {
        let _ = self.control.send(Control::RemoveListener);
    }

    /// Current counters. Zeroes if the task is gone.
    pub async fn stats(&self) -> RelayStats {
        let (tx, rx) = oneshot::channel();
        if self.control.send(Control::Stats(tx)).is_err() {
            return RelayStats::default();
        }
        rx.await.unwrap_or_default()
    }

    /// Stop forwarding, free the ports (they are free when this returns), final counters. A
    /// recording still running is finished off the relay and reported as
    /// [`MediaEvent::RecordingFinished`].
    pub async fn close(self) -> RelayStats {
        let (tx, rx) = oneshot::channel();
        if self.control.send(Control::Close(tx)).is_err() {
            return RelayStats::default();
        }
        rx.await.unwrap_or_default()
    }
}
