//! The switch core: registrar, authentication and B2BUA calls, as one sans-IO state machine.
//!
//! Drive it like quinn-proto or str0m: hand in what arrived (`handle_datagram`), what the media
//! relay answered (`media_allocated`, `media_timeout`) and the time (`handle_timeout`), then drain
//! `poll_transmit` (bytes for the wire), `poll_action` (media and CDR work for the driver) and
//! `poll_timeout` (when to call `handle_timeout` next). It never reads a clock and never does I/O,
//! so tests run whole calls, with loss and timeouts, under a virtual clock (`clippy.toml` keeps
//! the clock out; the scenario tests in `tests/scenarios` drive it through this public API).
//!
//! What it reports for the call history is in its own types ([`CdrEvent`], [`Contact`],
//! [`CallbackRecord`], [`AcdRecord`]); the binary maps them to CRM rows. It depends on no
//! database and no runtime: `media` is used for SDP, G.711 and DTMF parsing only.

// Bytes from the network must never panic the process: no unchecked indexing, slicing or
// unwrapping outside tests (an invariant that truly holds is a reviewed `#[allow]` with a reason).
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::string_slice,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

mod acd_view;
mod agent_admin;
mod agent_phones;
mod agents;
mod attended;
mod branch;
mod call;
mod call_log;
mod callback;
mod callback_records;
mod cdr;
mod click_to_dial;
mod consult;
mod consult_error;
mod consult_events;
mod consult_leg;
mod consult_target;
mod dialog;
mod dialplan;
mod extension_calls;
mod feature;
mod hold;
mod indialog;
mod invite;
mod limits;
mod monitor;
mod monitor_dial;
mod nat;
mod queue;
mod queue_admin;
mod queue_exit;
mod queue_leg;
mod record;
mod records;
mod register;
mod ring;
mod route_set;
mod sdp;
mod sip_fields;
mod throttle;
mod transfer;
mod trunk_in;
mod trunk_out;
mod trunk_register;
mod trunk_state;
mod user_admin;
mod web_in;

pub use acd_view::{AcdSnapshot, AgentView, EventView, MonitorView, QueueView};
pub use agents::AgentCommandError;
pub use call::{CallId, Side};
pub use click_to_dial::ClickToDialError;
pub use consult::{ConsultError, ConsultStarted, ConsultState, ConsultStatus};
pub use dialog::Me;
pub use limits::Limits;
pub use monitor::{MonitorError, MonitorEvent, MonitorMode, MonitorRecord, SupervisorTeams};
pub use nat::NatMode;
pub use queue::{AcdEvent, AcdRecord, AcdSetup, AgentCommand, AgentSetup, QueueSetup, ScreenPop};
pub use queue_admin::{QueueChange, QueueChangeError};
pub use queue_exit::{ExitKey, QueueExitSetup, QueueMessage};
pub use record::{OfferPolicy, PolicyEntry, RecordMode, RecordPolicy};
pub use records::{
    CallbackRequest, CdrEnd, CdrEvent, CdrLink, CdrStart, CdrTrunk, Channel, Contact, Direction,
    Disposition, HangupSide, Leg, LegRole,
};
pub use throttle::ThrottleConfig;
pub use user_admin::{UserChange, UserView};
pub use web_in::{WebInvite, WebProgress, WebTarget};

use call::{Call, RelayPorts};
use chrono::{DateTime, Utc};
use rsip::{Header, Method, Request, SipMessage};
use sip::auth::DigestAuth;
use sip::registrar::Registrar;
use sip::transaction::{ClientTxId, ServerTxId, TimerConfig, TransactionEvent, Transactions};
use sip::{Peer, Transmit};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// What the switch needs to know to run.
#[derive(Debug, Clone)]
pub struct SwitchConfig {
    pub domain: String,
    pub me: Me,
    pub timers: TimerConfig,
    pub ring_timeout: Duration,
    pub registrar: sip::registrar::RegistrarConfig,
    pub nonce_lifetime: Duration,
    pub nonce_secret: [u8; 32],
    pub auth_algorithms: Vec<sip::auth::Algorithm>,
    /// Limits on failed digest attempts per source address and per extension.
    pub auth_throttle: ThrottleConfig,
    /// extension → (password, display name)
    pub users: HashMap<String, (String, Option<String>)>,
    /// Whether the media relay ends silent calls (the core enables it on answer).
    pub media_timeout: bool,
    /// The ACD's queues and agents.
    pub acd: AcdSetup,
    /// Which calls are recorded.
    pub recording: RecordPolicy,
    /// Caps on calls and transactions (`limits.rs`).
    pub limits: Limits,
    /// Where requests for a registered contact go: its Contact or the REGISTER's source
    /// (`nat.rs`).
    pub nat: NatMode,
    /// Carriers, their numbers and the deny list (empty: no trunks).
    pub trunks: trunk::TrunkPlan,
    /// Phones that may monitor agents' calls (`*96`): extension → the supervisor's or
    /// admin's account (`monitor.rs`).
    pub supervisor_phones: HashMap<String, String>,
}

/// Work the driver does for the core.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Allocate relay ports for a new call and answer with `Switch::media_allocated`.
    AllocateMedia {
        call: CallId,
    },
    /// Where a side of the call wants to receive media (from its SDP).
    SetRemote {
        call: CallId,
        side: Side,
        rtp: SocketAddr,
        rtcp: Option<SocketAddr>,
    },
    /// Where a side's SIP came from when it came straight from the phone (`None`: unknown, e.g.
    /// through a proxy): follows each `SetRemote`, so that a side whose SDP names a private
    /// address latches only to its NAT's IP (`media::RelaySession::set_signalling_source`).
    SignalSource {
        call: CallId,
        side: Side,
        ip: Option<std::net::IpAddr>,
    },
    /// Turn the relay's silence detection on (answered, media flowing) or off (hold, ringing).
    MediaTimeout {
        call: CallId,
        enabled: bool,
    },
    /// The call is over: stop relaying and free its ports.
    ReleaseMedia {
        call: CallId,
    },
    /// A CDR change for the CRM database.
    Cdr(CdrEvent),
    /// The switch is the caller's media endpoint now (IVR): stop relaying side A to B, detect
    /// DTMF (RFC 4733 with this payload type, and in-band).
    Endpoint {
        call: CallId,
        telephone_event_pt: Option<u8>,
    },
    /// Endpoint mode plays to and listens to `side` from now on (A unless told; `Bridge` turns
    /// it back to A): music for a click-to-dial's customer, who is side B.
    EndpointSide {
        call: CallId,
        side: Side,
    },
    /// Play prompts to the caller; answer with `Switch::playback_done` when they end.
    Play {
        call: CallId,
        prompts: Vec<ivr::Prompt>,
        codec: media::g711::Codec,
        /// Music on hold and ringback loop until stopped, and report no end.
        looping: bool,
    },
    StopPlayback {
        call: CallId,
    },
    /// Relay caller and callee again (the plan handed the call to a person).
    Bridge {
        call: CallId,
    },
    /// Look the caller up in the CRM; answer with `Switch::lookup_result`.
    LookupCaller {
        call: CallId,
        number: String,
    },
    /// A queue or agent event for the CRM database and the live view.
    Acd(AcdRecord),
    /// Let the relay pass ZRTP packets (RFC 6189) for this call: its offers went on as written
    /// (`OfferPolicy::AsIs`), so its phones may keep their keys. Other calls' ZRTP is dropped.
    PassZrtp {
        call: CallId,
    },
    /// Record the call (caller left, what the caller hears right) until its media is released.
    StartRecording {
        call: CallId,
        cdr_id: String,
    },
    PauseRecording {
        call: CallId,
        paused: bool,
    },
    /// Record the consultation on `call` (the customer's, which is recorded): the agent's
    /// side left, the third party right, in a recording of its own under the third party's
    /// CDR (`cdr_id`), until [`Action::StopConsultRecording`] or the media's release.
    StartConsultRecording {
        call: CallId,
        cdr_id: String,
    },
    StopConsultRecording {
        call: CallId,
    },
    /// Record the caller's message for a queue (stop any recording of the call first); the
    /// recording runs until the media is released.
    RecordMessage {
        call: CallId,
        message: QueueMessage,
    },
    /// A queued call is being offered to an agent: show the agent who is calling.
    ScreenPop(Box<ScreenPop>),
    /// A customer-facing call ended: its contact-history row (the driver adds the recording).
    Contact {
        call: CallId,
        contact: Contact,
    },
    /// A callback promised to a caller, or its end: kept in the CRM so a restart keeps it.
    Callback(CallbackRecord),
    /// Put a supervisor on `call`'s relay (`monitor.rs`): a listener in `mode`, `agent_side`
    /// facing the agent, sending `codec` to the supervisor; answer with
    /// `Switch::listener_attached(listener, port)`.
    AttachListener {
        call: CallId,
        listener: CallId,
        agent_side: Side,
        mode: MonitorMode,
        codec: media::g711::Codec,
        telephone_event_pt: Option<u8>,
    },
    /// Where the supervisor on `call` receives (from its SDP).
    ListenerRemote {
        call: CallId,
        rtp: SocketAddr,
        rtcp: Option<SocketAddr>,
    },
    ListenerMode {
        call: CallId,
        mode: MonitorMode,
    },
    /// The supervisor left `call`: plain forwarding again.
    RemoveListener {
        call: CallId,
    },
    /// A monitoring step for the audit log.
    Monitor(MonitorRecord),
    /// Wire `call`'s listener straight to `side` (a consultation's third party talks with
    /// that side only), or mix again as its mode says (`None`; `consult.rs`).
    ListenerPaired {
        call: CallId,
        side: Option<Side>,
    },
}

/// What the CRM keeps of callbacks ([`CallbackRequest`]), written in this order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackRecord {
    /// A caller asked to be called back.
    Requested(CallbackRequest),
    /// The callback left the queue: an agent took it, or it overflowed.
    Done {
        call_id: String,
        at: DateTime<Utc>,
        outcome: &'static str,
    },
}

/// Why the core wants to wake up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum CoreTimer {
    RingTimeout(CallId),
    Ivr(CallId),
    Acd,
    /// A queue-side timer of one call (the length limit of a message).
    Queue(CallId),
    /// The time a caller has to type an agent's PIN after `*91<agent>`.
    AgentPin(CallId),
    /// An outbound trunk attempt's carrier has had its time to answer (`trunk_out.rs`).
    TrunkSetup(CallId),
}

/// Counters for logs and metrics.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub parse_errors: u64,
    pub calls_started: u64,
    pub calls_answered: u64,
    pub calls_active: usize,
    /// New INVITEs refused with 503 because the switch was full.
    pub overload_refusals: u64,
    /// Digest attempts refused for a wrong password or an unknown user.
    pub auth_failures: u64,
    /// Requests refused unchecked because their address or extension was blocked.
    pub auth_blocked: u64,
}

/// The B2BUA, registrar and authenticator.
pub struct Switch {
    cfg: SwitchConfig,
    /// Maps the virtual clock to wall time for CDRs.
    epoch: (Instant, DateTime<Utc>),
    tx: Transactions,
    auth: DigestAuth,
    throttle: throttle::AuthThrottle,
    /// When the throttle last dropped its quiet keys.
    throttle_swept: Instant,
    registrar: Registrar,
    calls: HashMap<CallId, Call>,
    /// Calls in progress per extension, for the per-extension cap.
    extension_calls: extension_calls::ExtensionCalls,
    next_call: CallId,
    /// (Call-ID, our tag on that leg) → call and side, for in-dialog requests.
    dialogs: HashMap<(String, String), (CallId, Side)>,
    /// INVITE server transactions of callers.
    invite_servers: HashMap<ServerTxId, CallId>,
    client_txs: HashMap<ClientTxId, (CallId, ClientPurpose)>,
    /// Forwarded offerless re-INVITEs, by the originator's server transaction.
    deferred_acks: HashMap<ServerTxId, call::DeferredAck>,
    timers: BinaryHeap<Reverse<(Instant, CoreTimer)>>,
    transmits: VecDeque<Transmit>,
    actions: VecDeque<Action>,
    stats: Stats,
    /// Inbound routing and IVR plans (None: extensions dial each other directly).
    dialplans: Option<ivr::Dialplans>,
    acd: queue::AcdRuntime,
    /// Trunks to carriers: plan, limits, health, registrations (`trunk_state.rs`).
    trunks: trunk_state::Trunks,
    /// Web calls by their SIP Call-ID, for the gateway's progress queries (`web_in.rs`).
    web_calls: HashMap<String, CallId>,
    /// Supervisors on agents' calls, by the supervisor's call (`monitor.rs`).
    monitors: HashMap<CallId, monitor::Monitoring>,
    /// Which agents each supervisor may monitor (`None`: no teams set up).
    supervisor_teams: Option<monitor::SupervisorTeams>,
    /// Agents' consultations of a third party, by the third party's call (`consult.rs`).
    consults: consult::Consults,
    /// Calls whose callee holds them while the switch plays the caller music (`hold.rs`).
    holds: hold::SwitchHolds,
    /// Agents' legs an attended transfer hung up, for the phone's crossing BYE (`attended.rs`).
    transferred_legs: attended::TransferredLegs,
}

/// Why we opened a client transaction.
#[derive(Debug)]
enum ClientPurpose {
    BranchInvite(usize),
    /// The INVITE to the agent's phone that opens a callback call (switch/callback.rs).
    CallbackAgent,
    /// The INVITE to a supervisor's phone for monitoring asked for over the API
    /// (switch/monitor_dial.rs).
    MonitorInvite,
    /// The INVITE to a consultation's third party (switch/consult.rs).
    ConsultInvite,
    Bye,
    Forward(Box<call::Forwarded>),
    /// The re-INVITE that joins an attended transfer's target to the customer (`attended.rs`).
    Join(attended::Join),
}

impl Switch {
    pub fn new(
        cfg: SwitchConfig,
        dialplans: Option<ivr::Dialplans>,
        now: Instant,
        wall: DateTime<Utc>,
    ) -> Self {
        let auth = DigestAuth::new(&cfg.domain, cfg.nonce_lifetime, cfg.nonce_secret)
            .with_algorithms(&cfg.auth_algorithms);
        let mut seed = [0u8; 8];
        seed.copy_from_slice(&cfg.nonce_secret[..8]);
        let acd = queue::AcdRuntime::new(cfg.acd.clone(), now, wall, u64::from_le_bytes(seed));
        let trunks = trunk_state::Trunks::new(
            cfg.trunks.clone(),
            now,
            u64::from_le_bytes(seed).rotate_left(17),
        );
        Switch {
            trunks,
            acd,
            tx: Transactions::new(cfg.timers),
            registrar: Registrar::new(cfg.registrar),
            auth,
            throttle: throttle::AuthThrottle::new(cfg.auth_throttle),
            throttle_swept: now,
            cfg,
            epoch: (now, wall),
            calls: HashMap::new(),
            extension_calls: Default::default(),
            next_call: 1,
            dialogs: HashMap::new(),
            invite_servers: HashMap::new(),
            client_txs: HashMap::new(),
            deferred_acks: HashMap::new(),
            timers: BinaryHeap::new(),
            transmits: VecDeque::new(),
            actions: VecDeque::new(),
            stats: Stats::default(),
            dialplans,
            web_calls: HashMap::new(),
            monitors: HashMap::new(),
            supervisor_teams: None,
            consults: Default::default(),
            holds: Default::default(),
            transferred_legs: Default::default(),
        }
    }

    pub fn stats(&self) -> Stats {
        Stats {
            calls_active: self.calls.len(),
            ..self.stats.clone()
        }
    }

    pub fn registered_contacts(&self) -> usize {
        self.registrar.registered_count()
    }

    /// Bytes arrived from `from`.
    pub fn handle_datagram(&mut self, now: Instant, from: Peer, bytes: &[u8]) {
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return; // keep-alive (RFC 5626 CRLF ping)
        }
        match sip::parse::parse(bytes) {
            Ok(msg) => self.handle_message(now, from, msg),
            Err(e) => {
                self.stats.parse_errors += 1;
                tracing::debug!(%from, error = %e, "unparsable SIP message");
                // 505 and 501 have fixed phrases; a 400's phrase says what is wrong.
                let code = e.status_code();
                let reason = match code {
                    400 => e.to_string(),
                    _ => sip::message::reason_phrase(code).to_string(),
                };
                let reply = sip::parse::respond_unparsable(bytes, code, &reason);
                if let Some(bytes) = reply {
                    self.transmits.push_back(Transmit { to: from, bytes });
                }
            }
        }
    }

    /// A parsed message arrived from `from`.
    pub fn handle_message(&mut self, now: Instant, from: Peer, msg: SipMessage) {
        if self.drops_blocked(now, from, &msg) {
            return;
        }
        if let SipMessage::Request(req) = &msg {
            if self.answer_without_state(now, from, req) {
                return;
            }
        }
        self.tx.handle_message(now, from, msg);
        self.process(now);
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        self.tx.handle_timeout(now);
        // One pass over the bindings: agents' phones are rechecked only when one expired.
        if self.registrar.expire(now) > 0 {
            self.recheck_agent_phones(now);
        }
        if now.saturating_duration_since(self.throttle_swept) >= Duration::from_secs(60) {
            self.throttle_swept = now;
            self.throttle.forget_quiet(now);
        }
        while let Some(Reverse((at, timer))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            match timer {
                CoreTimer::RingTimeout(call) => self.ring_timeout(now, call),
                CoreTimer::Ivr(call) => self.ivr_timeout(now, call),
                CoreTimer::Acd => self.acd_timeout(now),
                CoreTimer::Queue(call) => self.queue_call_timeout(now, call),
                CoreTimer::AgentPin(call) => self.pin_timeout(now, call),
                CoreTimer::TrunkSetup(call) => self.trunk_setup_timeout(now, call),
            }
        }
        self.trunk_timers(now);
        self.process(now);
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.tx.poll_timeout(),
            self.registrar.poll_timeout(),
            self.trunks.poll_timeout(),
            self.timers.peek().map(|Reverse((at, _))| *at),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits
            .pop_front()
            .or_else(|| self.tx.poll_transmit())
    }

    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// The relay answered an `AllocateMedia`.
    pub fn media_allocated(
        &mut self,
        now: Instant,
        call: CallId,
        result: Result<(IpAddr, u16, u16), String>,
    ) {
        match result {
            Ok((ip, a_port, b_port)) => {
                self.media_ready(now, call, RelayPorts { ip, a_port, b_port })
            }
            Err(reason) => {
                tracing::warn!(call, %reason, "no media for call");
                self.fail_call(now, call, 503, "No Media Ports", "no media ports");
            }
        }
        self.process(now);
    }

    /// The relay saw no RTP for the configured time.
    pub fn media_timeout(&mut self, now: Instant, call: CallId) {
        self.hang_up(now, call, None, "media timeout");
        self.process(now);
    }

    /// The switch is stopping: hang up every call (BYE or a final response) and close its CDR.
    pub fn shutdown(&mut self, now: Instant) {
        let ids: Vec<CallId> = self.calls.keys().copied().collect();
        for id in ids {
            match self.calls.get(&id).map(|c| (c.phase, c.a.final_sent)) {
                Some((call::Phase::Ended, _)) | None => {}
                Some((call::Phase::Answered, _)) | Some((_, true)) => {
                    self.hang_up(now, id, None, "switch shutdown")
                }
                Some(_) => self.fail_call(now, id, 503, "Service Unavailable", "switch shutdown"),
            }
        }
        // Agents are logged out so their stored state history ends here, not at the next event.
        let mut agents: Vec<String> = self.acd.logged_in.keys().cloned().collect();
        agents.sort();
        for agent in agents {
            if let Err(e) = self.agent_command(now, &agent, queue::AgentCommand::Logout) {
                tracing::warn!(%agent, error = %e, "agent not logged out at shutdown");
            }
        }
        self.process(now);
    }

    /// Map the virtual clock to wall time.
    fn wall(&self, at: Instant) -> DateTime<Utc> {
        let delta = at.saturating_duration_since(self.epoch.0);
        self.epoch.1 + chrono::Duration::from_std(delta).unwrap_or_default()
    }

    /// Drain transaction events until the layer is quiet.
    fn process(&mut self, now: Instant) {
        while let Some(ev) = self.tx.poll_event() {
            match ev {
                TransactionEvent::Request { tx, from, request } => {
                    self.on_request(now, tx, from, request)
                }
                TransactionEvent::Ack { tx, request, .. } => self.on_ack(now, tx, request),
                TransactionEvent::Cancelled { tx, .. } => self.on_cancelled(now, tx),
                TransactionEvent::Response { tx, response } => {
                    self.on_response(now, tx, Ok(response))
                }
                TransactionEvent::Timeout { tx, .. } => self.on_response(now, tx, Err(408)),
                TransactionEvent::AckTimeout { tx } => {
                    if let Some(d) = self.deferred_acks.remove(&tx) {
                        // No answer will come; confirm the other leg's 2xx anyway.
                        self.ack_forwarded(now, d.call, d.ctx, d.to, d.seq, None);
                    }
                    if let Some(&call) = self.invite_servers.get(&tx) {
                        self.hang_up(now, call, None, "no ACK from caller");
                    }
                }
                _ => {}
            }
        }
    }

    fn on_request(&mut self, now: Instant, tx: ServerTxId, from: Peer, mut req: Request) {
        route_set::strip_own_routes(&self.cfg.me, &self.cfg.domain, &mut req);
        let in_dialog = sip_fields::to_tag(&req).is_some();
        // A new INVITE is relayed to the callee, so Max-Forwards 0 must stop it here (483):
        // clamping it to 1 would let a loop through the switch run for ever.
        let will_forward = req.method == Method::Invite && !in_dialog;
        if let Err(rej) = sip::validate::check_request_opts(&req, &[], will_forward) {
            let mut resp = sip::message::make_response(&req, rej.code, Some(&rej.reason), None);
            resp.headers.extend(rej.extra_headers);
            self.respond(now, tx, resp);
            return;
        }
        match req.method {
            Method::Register => self.on_register(now, tx, from, req),
            Method::Options if !in_dialog => {
                let mut resp =
                    sip::message::make_response(&req, 200, None, Some(&sip::message::new_tag()));
                resp.headers.push(Header::Allow(dialog::ALLOW.into()));
                resp.headers.push(Header::Accept("application/sdp".into()));
                resp.headers.push(self.cfg.me.server());
                self.respond(now, tx, resp);
            }
            Method::Invite if !in_dialog => match self.overloaded() {
                Some(why) => self.refuse_overloaded(tx, &req, why),
                None => self.on_new_invite(now, tx, from, req),
            },
            _ if in_dialog => self.on_in_dialog(now, tx, req),
            Method::Bye | Method::Info | Method::Update => {
                self.reply(now, tx, &req, 481, "Call/Transaction Does Not Exist")
            }
            Method::Subscribe
            | Method::Publish
            | Method::Notify
            | Method::Message
            | Method::Refer => {
                let mut resp = sip::message::make_response(&req, 405, None, None);
                resp.headers.push(Header::Allow(dialog::ALLOW.into()));
                self.respond(now, tx, resp);
            }
            _ => self.reply(now, tx, &req, 501, "Not Implemented"),
        }
    }

    fn respond(&mut self, now: Instant, tx: ServerTxId, resp: rsip::Response) {
        if let Err(e) = self.tx.send_response(now, tx, resp) {
            tracing::debug!(error = %e, "response not sent");
        }
    }

    fn reply(&mut self, now: Instant, tx: ServerTxId, req: &Request, code: u16, reason: &str) {
        let resp =
            sip::message::make_response(req, code, Some(reason), Some(&sip::message::new_tag()));
        self.respond(now, tx, resp);
    }

    fn arm(&mut self, at: Instant, timer: CoreTimer) {
        self.timers.push(Reverse((at, timer)));
    }

    /// Forget a call once it is over and nothing of it is in flight.
    fn reap(&mut self, call: CallId) {
        let Some(c) = self.calls.get(&call) else {
            return;
        };
        if c.phase != call::Phase::Ended || c.open_client_txs > 0 {
            return;
        }
        self.release_trunk_channels(call);
        self.holds.forget(call);
        if let Some(c) = self.calls.remove(&call) {
            self.dialogs
                .remove(&(c.a.dialog.call_id.clone(), c.a.local_tag.clone()));
            for b in &c.branches {
                if let Some(tag) = read_tag(&b.dialog.local) {
                    let key = (b.dialog.call_id.clone(), tag);
                    // An attended transfer may have moved the dialog on to another call.
                    if self
                        .dialogs
                        .get(&key)
                        .is_some_and(|&(owner, _)| owner == call)
                    {
                        self.dialogs.remove(&key);
                    }
                }
            }
            if let Some(tx) = c.a.invite_tx {
                self.invite_servers.remove(&tx);
            }
            if c.channel == Channel::Web {
                self.web_calls.remove(&c.a.dialog.call_id);
            }
        }
    }
}

/// The `tag` parameter of a From/To header value we built.
fn read_tag(header_value: &str) -> Option<String> {
    header_value
        .split(';')
        .skip(1)
        .find_map(|p| p.trim().strip_prefix("tag=").map(str::to_string))
}
