//! The tokio driver of the switch core: feeds it datagrams, media events and timeouts, and carries
//! out what it asks (send bytes, allocate and steer relay sessions, write CDRs).

use crate::driver::guard;
use crate::driver::live::{EventScope, LiveEvent};
use crate::switch::{Action, CallId, Switch, SwitchConfig};
use bytes::Bytes;
use sip::{Peer, Transport};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

mod monitor;
mod relay;

/// What the socket tasks hand to the driver.
#[derive(Debug)]
pub enum Inbound {
    /// A whole SIP message (a UDP datagram, or one framed off a TCP stream) that did not parse;
    /// the core answers it with a precise 400/505/501 where it can.
    Message {
        from: Peer,
        bytes: Bytes,
    },
    /// A message parsed on the socket's task, so parsing runs beside the core, not in it;
    /// `raw` is kept to log it and answer it should the core panic on it (`guard.rs`).
    Parsed {
        from: Peer,
        msg: Box<rsip::SipMessage>,
        raw: Bytes,
    },
    /// A TCP connection is open; responses and requests to `addr` go to `writer`.
    TcpUp {
        addr: SocketAddr,
        writer: mpsc::Sender<Bytes>,
    },
    TcpDown {
        addr: SocketAddr,
    },
}

/// What an agent page asks of the agent's consultation (switch/consult.rs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsultChange {
    Start { target: String, reason: String },
    Complete,
    Cancel,
    Conference,
    Status,
}

/// What a monitoring request asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonitorChange {
    Start(crate::switch::MonitorMode),
    Mode(crate::switch::MonitorMode),
    Stop,
}

/// Requests to the driver from the rest of the switch (reload, CRM answers).
pub enum Control {
    /// New dialplans and prompts, already loaded and checked; `applied` is answered once the
    /// next call follows them (so a reload request answers only then).
    Install {
        loaded: crate::config::dialplans::Loaded,
        applied: tokio::sync::oneshot::Sender<()>,
    },
    /// The CRM's answer to a caller lookup.
    Lookup {
        call: CallId,
        customer: Option<ivr::Customer>,
    },
    /// The relay's answer to an allocation.
    Media {
        call: CallId,
        result: Result<media::RelaySession, media::MediaError>,
    },
    /// An agent's login, logout, pause... from the HTTP API.
    Agent {
        agent: String,
        command: crate::switch::AgentCommand,
        reply: tokio::sync::oneshot::Sender<Result<(), crate::switch::AgentCommandError>>,
    },
    /// Pause or resume a call's recording (by CDR id).
    Recording {
        cdr_id: String,
        pause: bool,
        reply: tokio::sync::oneshot::Sender<Result<(), String>>,
    },
    /// Create, change or remove a queue, or set an agent's queues (HTTP API).
    Queues {
        change: crate::switch::QueueChange,
        reply: tokio::sync::oneshot::Sender<Result<Vec<String>, crate::switch::QueueChangeError>>,
    },
    /// A named trunk's addresses, from DNS (`dns.rs`), in the order to try them.
    TrunkAddresses {
        trunk: String,
        addrs: Vec<SocketAddr>,
    },
    /// Create, change or remove a trunk or a DID (HTTP API).
    Trunks {
        change: crate::driver::trunks::TrunkChange,
        reply: tokio::sync::oneshot::Sender<Result<(), crate::driver::trunks::TrunkChangeError>>,
    },
    /// The trunk plan and each trunk's state.
    TrunkView {
        reply: tokio::sync::oneshot::Sender<crate::driver::trunks::TrunkView>,
    },
    /// Click-to-dial for an agent (HTTP API): the call's CDR id, or why not.
    Dial {
        agent: String,
        number: String,
        reply: tokio::sync::oneshot::Sender<Result<String, crate::switch::ClickToDialError>>,
    },
    /// Monitoring from the HTTP API (switch/monitor.rs): start (rings the account's phone),
    /// change mode, stop.
    Monitor {
        account: String,
        agent: String,
        change: MonitorChange,
        reply: tokio::sync::oneshot::Sender<Result<(), crate::switch::MonitorError>>,
    },
    /// An agent's consultation from the HTTP API (switch/consult.rs); answered with where it
    /// stands after the change.
    Consult {
        agent: String,
        change: ConsultChange,
        reply: tokio::sync::oneshot::Sender<
            Result<crate::switch::ConsultStatus, crate::switch::ConsultError>,
        >,
    },
    /// Which agents each supervisor may monitor, from the QA teams (`http/monitor.rs`).
    SupervisorTeams(Option<crate::switch::SupervisorTeams>),
    /// The monitoring phones (extension → account) of the file's and the API's enabled
    /// supervisors and admins (`http/monitor.rs`): replaces the switch's map.
    SupervisorPhones(std::collections::HashMap<String, String>),
    /// The live view of queues and agents.
    AcdSnapshot {
        reply: tokio::sync::oneshot::Sender<crate::switch::AcdSnapshot>,
    },
    /// Add, change or remove an extension (HTTP API), then list them; `None` only lists.
    Users {
        change: Option<crate::switch::UserChange>,
        reply: tokio::sync::oneshot::Sender<
            Result<Vec<crate::switch::UserView>, crate::switch::QueueChangeError>,
        >,
    },
    /// Push a web call's progress to its task from now on (`driver/web/progress.rs`), by the
    /// call's SIP Call-ID.
    WatchWebProgress {
        sip_call_id: String,
        reply: tokio::sync::oneshot::Sender<crate::driver::web::progress::ProgressWatch>,
    },
    /// What a web call's visitor should see (`driver/web`), by the call's SIP Call-ID.
    WebProgress {
        sip_call_id: String,
        reply: tokio::sync::oneshot::Sender<Option<crate::switch::WebProgress>>,
    },
    /// One agent's settings as the switch runs them (HTTP API).
    AgentSetup {
        id: String,
        reply: tokio::sync::oneshot::Sender<Option<crate::switch::AgentSetup>>,
    },
}

/// A snapshot for the HTTP status endpoint.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Status {
    pub registered_contacts: usize,
    pub active_calls: usize,
    pub calls_started: u64,
    pub calls_answered: u64,
    pub parse_errors: u64,
    /// New INVITEs refused with 503 because the switch was full ([limits]).
    pub overload_refusals: u64,
    /// Digest attempts refused for a wrong password or unknown user, and requests refused
    /// unchecked while their address or extension was blocked.
    pub sip_auth_failures: u64,
    pub sip_auth_blocked: u64,
    pub relay_ports_in_use: usize,
    /// Web calls whose task is still running (`driver/web`): back to 0 once every browser
    /// has gone.
    pub web_calls: usize,
    /// RTP packets relayed caller→callee and callee→caller by calls that have ended.
    pub rtp_packets_a_to_b: u64,
    pub rtp_packets_b_to_a: u64,
    /// Media packets the relay refused since start: not from a side's latched source.
    pub rtp_foreign_dropped: u64,
    /// Recordings finished as not complete (no or partial audio, write errors) since start.
    pub recordings_incomplete: u64,
    /// Messages or timers whose handling panicked in the core (caught, see `guard.rs`).
    pub core_panics: u64,
    /// Each trunk's registration, health, channels and calls.
    pub trunks: Vec<crate::driver::trunks::TrunkFigures>,
}

/// Media totals of ended calls, summed by the tasks that close relay sessions.
#[derive(Debug, Default)]
struct MediaTotals {
    a_to_b: AtomicU64,
    b_to_a: AtomicU64,
}

/// Parse on the caller's task; unparsable bytes go to the core as they are.
pub fn parsed(from: Peer, bytes: &[u8]) -> Inbound {
    match sip::parse::parse(bytes) {
        Ok(msg) => Inbound::Parsed {
            from,
            msg: Box::new(msg),
            raw: Bytes::copy_from_slice(bytes),
        },
        Err(_) => Inbound::Message {
            from,
            bytes: Bytes::copy_from_slice(bytes),
        },
    }
}

pub struct Driver {
    switch: Switch,
    udp: Vec<Arc<UdpSocket>>,
    /// The socket to send from per address family, chosen once.
    udp4: Option<Arc<UdpSocket>>,
    udp6: Option<Arc<UdpSocket>>,
    inbound: mpsc::Sender<Inbound>,
    relay: media::MediaRelay,
    media_timeout: Option<Duration>,
    sessions: HashMap<CallId, media::RelaySession>,
    media_tx: mpsc::UnboundedSender<media::MediaEvent>,
    media_rx: mpsc::UnboundedReceiver<media::MediaEvent>,
    tcp: HashMap<SocketAddr, mpsc::Sender<Bytes>>,
    cdrs: crm::CdrSender,
    status: watch::Sender<Status>,
    status_at: Instant,
    /// Caught core panics since start, and the 500s they still owe (`guard.rs`).
    core_panics: u64,
    panic_replies: Vec<(Peer, Bytes)>,
    /// TCP connections whose reader ended: their writers are dropped after the next flush.
    tcp_closed: Vec<SocketAddr>,
    media_totals: Arc<MediaTotals>,
    prompts: Arc<HashMap<std::path::PathBuf, Arc<media::Prompt>>>,
    crm: crm::Crm,
    control_tx: mpsc::Sender<Control>,
    /// Queue and agent events for the live stream.
    events: tokio::sync::broadcast::Sender<LiveEvent>,
    recordings_dir: std::path::PathBuf,
    screens: Arc<crate::driver::screens::Screens>,
    /// Recordings in progress, by call.
    recordings: HashMap<CallId, crate::driver::recording::Active>,
    /// Consultations being recorded, by the customer's call (`Action::StartConsultRecording`).
    consult_recordings: HashMap<CallId, crate::driver::recording::Active>,
    /// Limits of TCP connections, ours to peers as well as theirs to us.
    tcp_limits: crate::config::limits::TcpLimits,
    /// Callback requests and their ends, written one after the other (a request's row must
    /// exist before it is closed).
    callback_log: mpsc::UnboundedSender<crate::switch::CallbackRecord>,
    /// The trunk plan the core runs; the DNS task follows it (`dns.rs`).
    trunk_plan: watch::Sender<trunk::TrunkPlan>,
    trunk_log: crate::driver::trunks::StateLog,
    /// The web calls' ends of the internal transport (`driver/web`).
    web_peers: Arc<crate::driver::web::WebPeers>,
    /// Web calls' progress, pushed to their tasks after every step (`driver/web/progress.rs`).
    web_progress: crate::driver::web::progress::ProgressWatchers,
}

/// Writes callback records in order; a failed write is logged (the callback itself goes on).
fn spawn_callback_log(crm: crm::Crm) -> mpsc::UnboundedSender<crate::switch::CallbackRecord> {
    use crate::switch::CallbackRecord;
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(record) = rx.recv().await {
            let result = match &record {
                CallbackRecord::Requested(r) => {
                    let request = crate::driver::call_records::callback_to_crm(r);
                    crm.callback_requested(&request).await
                }
                CallbackRecord::Done {
                    call_id,
                    at,
                    outcome,
                } => crm.callback_done(call_id, *at, outcome).await.map(|_| ()),
            };
            if let Err(e) = result {
                tracing::error!(?record, error = %e, "callback record not written");
            }
        }
    });
    tx
}

impl Driver {
    /// Where the core's messages to web calls go (the gateway's calls register there).
    pub fn with_web_peers(mut self, peers: Arc<crate::driver::web::WebPeers>) -> Self {
        self.web_peers = peers;
        self
    }

    /// The configured TCP limits for connections the switch opens (message and idle timeouts).
    pub fn with_tcp_limits(mut self, limits: crate::config::limits::TcpLimits) -> Self {
        self.tcp_limits = limits;
        self
    }

    #[allow(clippy::too_many_arguments)]
    pub fn new(
        cfg: SwitchConfig,
        dialplans: Option<crate::config::dialplans::Loaded>,
        udp: Vec<Arc<UdpSocket>>,
        inbound: mpsc::Sender<Inbound>,
        relay: media::MediaRelay,
        media_timeout: Option<Duration>,
        cdrs: crm::CdrSender,
        crm: crm::Crm,
        status: watch::Sender<Status>,
        control_tx: mpsc::Sender<Control>,
        events: tokio::sync::broadcast::Sender<LiveEvent>,
        recordings_dir: std::path::PathBuf,
        screens: Arc<crate::driver::screens::Screens>,
        trunk_plan: watch::Sender<trunk::TrunkPlan>,
    ) -> Self {
        let (media_tx, media_rx) = mpsc::unbounded_channel();
        let now = Instant::now();
        let prompts = dialplans
            .as_ref()
            .map(|d| d.prompts.clone())
            .unwrap_or_default();
        let family = |v4: bool| {
            udp.iter()
                .find(|s| s.local_addr().is_ok_and(|a| a.is_ipv4() == v4))
                .cloned()
        };
        let callback_log = spawn_callback_log(crm.clone());
        Driver {
            callback_log,
            switch: Switch::new(cfg, dialplans.map(|d| d.plans), now, chrono::Utc::now()),
            udp4: family(true),
            udp6: family(false),
            udp,
            inbound,
            relay,
            media_timeout,
            sessions: HashMap::new(),
            media_tx,
            media_rx,
            tcp: HashMap::new(),
            cdrs,
            status,
            status_at: now,
            core_panics: 0,
            panic_replies: Vec::new(),
            tcp_closed: Vec::new(),
            media_totals: Arc::default(),
            prompts,
            crm,
            control_tx,
            events,
            recordings_dir,
            screens,
            recordings: HashMap::new(),
            consult_recordings: HashMap::new(),
            tcp_limits: Default::default(),
            trunk_plan,
            trunk_log: Default::default(),
            web_peers: Arc::default(),
            web_progress: Default::default(),
        }
    }

    pub async fn run(
        mut self,
        mut inbound: mpsc::Receiver<Inbound>,
        mut control: mpsc::Receiver<Control>,
        shutdown: CancellationToken,
    ) {
        // Callbacks promised before the last stop wait again in their queues.
        match self.crm.pending_callbacks().await {
            Ok(pending) if !pending.is_empty() => {
                let pending = pending
                    .into_iter()
                    .map(crate::driver::call_records::callback_from_crm)
                    .collect();
                self.switch
                    .restore_callbacks(Instant::now(), chrono::Utc::now(), pending);
                self.flush().await;
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "pending callbacks not read; not restored"),
        }
        // Keeps the status snapshot fresh when no SIP arrives.
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let deadline = self.switch.poll_timeout();
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => break,
                msg = inbound.recv() => {
                    let Some(msg) = msg else { break };
                    self.on_inbound(msg);
                    // Take what else is queued before flushing: fewer wake-ups under load.
                    for _ in 0..64 {
                        match inbound.try_recv() {
                            Ok(m) => self.on_inbound(m),
                            Err(_) => break,
                        }
                    }
                }
                Some(ev) = self.media_rx.recv() => self.on_media_event(ev),
                Some(c) = control.recv() => match c {
                    Control::Install { loaded, applied } => {
                        tracing::info!(plans = loaded.plans.plan_names().len(), "dialplans reloaded");
                        self.prompts = loaded.prompts;
                        self.switch.reload_dialplans(Some(loaded.plans));
                        let _ = applied.send(());
                    }
                    Control::Lookup { call, customer } => {
                        self.switch.lookup_result(Instant::now(), call, customer)
                    }
                    Control::Media { call, result } => self.media_allocated(call, result),
                    Control::Agent { agent, command, reply } => {
                        let result = self.switch.agent_command(Instant::now(), &agent, command);
                        let _ = reply.send(result);
                    }
                    Control::Recording { cdr_id, pause, reply } => {
                        let _ = reply.send(self.switch.pause_recording(&cdr_id, pause));
                    }
                    Control::Queues { change, reply } => {
                        let _ = reply.send(self.switch.change_queues(Instant::now(), change));
                    }
                    Control::TrunkAddresses { trunk, addrs } => {
                        self.switch.trunk_addresses(Instant::now(), &trunk, addrs);
                    }
                    Control::Trunks { change, reply } => {
                        let _ = reply.send(self.change_trunks(change));
                    }
                    Control::TrunkView { reply } => {
                        let _ = reply.send(crate::driver::trunks::TrunkView {
                            plan: self.trunk_plan.borrow().clone(),
                            status: self.trunk_status(),
                        });
                    }
                    Control::Dial { agent, number, reply } => {
                        let switch = &mut self.switch;
                        let result = switch
                            .click_to_dial(Instant::now(), &agent, &number)
                            .map(|call| switch.cdr_id_of(call).unwrap_or_default());
                        let _ = reply.send(result);
                    }
                    Control::Monitor {
                        account,
                        agent,
                        change,
                        reply,
                    } => {
                        let now = Instant::now();
                        let switch = &mut self.switch;
                        let result = match change {
                            MonitorChange::Start(mode) => {
                                switch.start_monitor(now, &account, &agent, mode).map(|_| ())
                            }
                            MonitorChange::Mode(mode) => switch.set_monitor_mode(now, &agent, mode),
                            MonitorChange::Stop => switch.stop_monitor(now, &agent),
                        };
                        let _ = reply.send(result);
                    }
                    Control::Consult {
                        agent,
                        change,
                        reply,
                    } => {
                        let now = Instant::now();
                        let switch = &mut self.switch;
                        let result = match change {
                            ConsultChange::Start { target, reason } => switch
                                .start_consult(now, &agent, &target, &reason)
                                .map(|_| ()),
                            ConsultChange::Complete => switch.complete_consult(now, &agent),
                            ConsultChange::Cancel => switch.cancel_consult(now, &agent),
                            ConsultChange::Conference => switch.conference_consult(now, &agent),
                            ConsultChange::Status => Ok(()),
                        };
                        let _ = reply.send(result.map(|()| switch.consult_status(&agent)));
                    }
                    Control::SupervisorTeams(teams) => self.switch.set_supervisor_teams(teams),
                    Control::SupervisorPhones(phones) => self.switch.set_supervisor_phones(phones),
                    Control::AcdSnapshot { reply } => {
                        let _ = reply.send(self.switch.acd_snapshot(Instant::now()));
                    }
                    Control::Users { change, reply } => {
                        let changed = change.map_or(Ok(()), |c| self.switch.change_users(c));
                        let _ = reply.send(changed.map(|()| self.switch.users(Instant::now())));
                    }
                    Control::WatchWebProgress { sip_call_id, reply } => {
                        let _ = reply.send(self.web_progress.watch(sip_call_id));
                    }
                    Control::WebProgress { sip_call_id, reply } => {
                        let _ = reply.send(self.switch.web_progress(Instant::now(), &sip_call_id));
                    }
                    Control::AgentSetup { id, reply } => {
                        let _ = reply.send(self.switch.agent_setup(&id));
                    }
                },
                _ = sleep => {
                    let switch = &mut self.switch;
                    if let Err(why) = guard::run(|| switch.handle_timeout(Instant::now())) {
                        self.core_panics += 1;
                        tracing::error!(panic = %why, "the switch core panicked in a timer; other calls go on");
                    }
                }
                _ = tick.tick() => {}
            }
            self.flush().await;
            if !self.web_progress.is_empty() {
                let switch = &self.switch;
                self.web_progress
                    .publish(Instant::now(), |now, ids| switch.web_progress_of(now, ids));
            }
        }
        self.switch.shutdown(Instant::now());
        self.flush().await;
        for (call, session) in self.sessions.drain() {
            if let Some(active) = self.recordings.remove(&call) {
                crate::driver::recording::finish(&self.crm, &session, active).await;
            }
            session.close().await;
        }
    }

    fn on_inbound(&mut self, msg: Inbound) {
        match msg {
            Inbound::Message { from, bytes } => {
                let switch = &mut self.switch;
                let handled = guard::run(|| switch.handle_datagram(Instant::now(), from, &bytes));
                if let Err(why) = handled {
                    self.core_panicked(from, &bytes, &why);
                }
            }
            Inbound::Parsed { from, msg, raw } => {
                let switch = &mut self.switch;
                let handled = guard::run(|| switch.handle_message(Instant::now(), from, *msg));
                if let Err(why) = handled {
                    self.core_panicked(from, &raw, &why);
                }
            }
            Inbound::TcpUp { addr, writer } => {
                self.tcp_closed.retain(|a| *a != addr);
                self.tcp.insert(addr, writer);
            }
            // Dropped after the next flush, so answers to the connection's last messages (queued
            // before its close) still reach its writer, which drains them before it ends.
            Inbound::TcpDown { addr } => self.tcp_closed.push(addr),
        }
    }

    /// The core panicked on one message: log it, count it, answer a request with 500.
    fn core_panicked(&mut self, from: Peer, raw: &[u8], why: &str) {
        self.core_panics += 1;
        tracing::error!(
            %from,
            panic = %why,
            message = %guard::loggable(raw),
            "the switch core panicked on a message; answered 500, other calls go on"
        );
        if let Some(bytes) = guard::reply_500(raw) {
            self.panic_replies.push((from, bytes));
        }
    }

    /// Carry out everything the core asked for, until it asks for nothing more.
    async fn flush(&mut self) {
        for (to, bytes) in std::mem::take(&mut self.panic_replies) {
            self.send(to, bytes).await;
        }
        loop {
            let mut busy = false;
            while let Some(t) = self.switch.poll_transmit() {
                busy = true;
                self.send(t.to, t.bytes).await;
            }
            while let Some(action) = self.switch.poll_action() {
                busy = true;
                self.act(action).await;
            }
            if !busy {
                break;
            }
        }
        for addr in std::mem::take(&mut self.tcp_closed) {
            self.tcp.remove(&addr);
        }
        let now = Instant::now();
        if now.duration_since(self.status_at) >= Duration::from_millis(500) {
            self.status_at = now;
            let s = self.switch.stats();
            let trunks = self.trunk_status();
            self.trunk_log.observe(&trunks);
            self.status.send_replace(Status {
                registered_contacts: self.switch.registered_contacts(),
                active_calls: s.calls_active,
                calls_started: s.calls_started,
                calls_answered: s.calls_answered,
                parse_errors: s.parse_errors,
                overload_refusals: s.overload_refusals,
                sip_auth_failures: s.auth_failures,
                sip_auth_blocked: s.auth_blocked,
                relay_ports_in_use: self.relay.ports_in_use(),
                web_calls: self.web_peers.open_calls(),
                rtp_packets_a_to_b: self.media_totals.a_to_b.load(Ordering::Relaxed),
                rtp_packets_b_to_a: self.media_totals.b_to_a.load(Ordering::Relaxed),
                rtp_foreign_dropped: self.relay.foreign_packets_dropped(),
                recordings_incomplete: crate::driver::recording::incomplete_total(),
                core_panics: self.core_panics,
                trunks: trunks.iter().map(Into::into).collect(),
            });
        }
    }

    /// Each trunk's state now.
    fn trunk_status(&self) -> Vec<trunk::TrunkStatus> {
        self.switch.trunk_status(Instant::now())
    }

    /// Apply a checked change of the trunk plan (API); the DNS task re-resolves after it.
    fn change_trunks(
        &mut self,
        change: crate::driver::trunks::TrunkChange,
    ) -> Result<(), crate::driver::trunks::TrunkChangeError> {
        let next = crate::driver::trunks::apply(&self.trunk_plan.borrow(), change)?;
        self.switch.set_trunks(Instant::now(), next.clone());
        self.trunk_plan.send_replace(next);
        Ok(())
    }

    async fn send(&mut self, to: Peer, bytes: Bytes) {
        match to.transport {
            Transport::Udp => {
                let socket = if to.addr.is_ipv4() {
                    self.udp4.as_ref()
                } else {
                    self.udp6.as_ref()
                };
                if let Some(socket) = socket.or(self.udp.first()) {
                    if let Err(e) = socket.send_to(&bytes, to.addr).await {
                        tracing::debug!(%to, error = %e, "UDP send failed");
                    }
                }
            }
            Transport::Internal => self.web_peers.deliver(to.addr, &bytes),
            Transport::Tcp => match self.tcp.get(&to.addr) {
                Some(writer) => {
                    if writer.try_send(bytes).is_err() {
                        tracing::warn!(%to, "TCP connection congested or closed; message dropped");
                    }
                }
                None => {
                    tokio::spawn(crate::driver::tcp::connect_and_send(
                        to.addr,
                        bytes,
                        self.inbound.clone(),
                        self.tcp_limits,
                    ));
                }
            },
        }
    }

    async fn act(&mut self, action: Action) {
        match action {
            action @ (Action::AllocateMedia { .. }
            | Action::SetRemote { .. }
            | Action::SignalSource { .. }
            | Action::MediaTimeout { .. }
            | Action::ReleaseMedia { .. }
            | Action::Endpoint { .. }
            | Action::EndpointSide { .. }
            | Action::PassZrtp { .. }
            | Action::Play { .. }
            | Action::StopPlayback { .. }
            | Action::Bridge { .. }
            | Action::StartRecording { .. }
            | Action::StartConsultRecording { .. }
            | Action::StopConsultRecording { .. }
            | Action::RecordMessage { .. }
            | Action::PauseRecording { .. }) => self.relay_action(action).await,
            action @ (Action::AttachListener { .. }
            | Action::ListenerRemote { .. }
            | Action::ListenerMode { .. }
            | Action::RemoveListener { .. }
            | Action::ListenerPaired { .. }
            | Action::Monitor(_)) => self.monitor_action(action),
            Action::LookupCaller { call, number } => {
                let crm = self.crm.clone();
                let reply = self.control_tx.clone();
                tokio::spawn(async move {
                    let customer = crate::driver::lookup::customer(&crm, &number).await;
                    let _ = reply.send(Control::Lookup { call, customer }).await;
                });
            }
            Action::Cdr(ev) => {
                let channel = crate::driver::call_records::channel_link(&ev);
                let ev = crate::driver::call_records::cdr(ev);
                for ev in std::iter::once(ev).chain(channel) {
                    if let Err(e) = self.cdrs.send(ev) {
                        tracing::error!(call_id = e.0.call_id(), "CDR writer gone; CDR event lost");
                    }
                }
            }
            Action::ScreenPop(pop) => {
                let (crm, screens) = (self.crm.clone(), self.screens.clone());
                tokio::spawn(async move { screens.pop(&crm, *pop).await });
            }
            Action::Callback(record) => {
                if self.callback_log.send(record).is_err() {
                    tracing::error!("callback writer gone; callback record lost");
                }
            }
            Action::Contact { call, contact } => {
                let recording = self.recordings.get(&call).map(|r| r.id.clone());
                let contact = crate::driver::call_records::contact(contact, recording);
                let crm = self.crm.clone();
                tokio::spawn(async move {
                    if let Err(e) = crm.add_contact(&contact).await {
                        tracing::error!(call_id = ?contact.call_id, error = %e,
                            "contact history row not written");
                    }
                });
            }
            Action::Acd(record) => {
                let view = crate::switch::EventView::new(record.at, &record.event);
                tracing::debug!(?view, "ACD event");
                if self.events.receiver_count() > 0 {
                    if let Ok(json) = serde_json::to_string(&view) {
                        let _ = self.events.send(LiveEvent {
                            scope: EventScope::of(&record.event),
                            json: json.into(),
                        });
                    }
                }
                for ev in crate::driver::acd_records::to_crm(record) {
                    if let Err(e) = self.cdrs.send(ev) {
                        tracing::error!(call_id = e.0.call_id(), "CRM writer gone; ACD event lost");
                    }
                }
            }
        }
    }
}
