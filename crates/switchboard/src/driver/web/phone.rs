//! The agent's browser phone: one task per open agent page with "Answer in the browser" on.
//! It registers the page as the agent's extension on the internal transport (a binding like a
//! SIP phone's, refreshed while the socket lives), so the ACD's offers ring the page. A call
//! is the callee's side of the core's INVITE: 180 and `incoming` to the page; the page's
//! `accept` carries its WebRTC offer, answered by a [`WebLeg`] bridged to the relay address
//! of the core's offer, and the core gets 200 with the leg's plain RTP socket. Hang-up,
//! decline, mute and DTMF follow; hold is a desk phone's: a re-INVITE offering `sendonly`
//! (`sendrecv` to resume), so the core plays the caller the queue's music and counts the hold
//! (`switch::hold`), and the page hears `held` once the core agreed. The core's CANCEL, BYE
//! and re-INVITEs are answered.
//!
//! When the socket goes (tab closed, page left, network lost), the task answers a ringing
//! offer 480 (the queue offers the call to someone else), ends a call in progress with BYE,
//! removes its binding and closes the leg, freeing its ports.

use super::phone_sip::{self, Offered};
use super::{PeerGuard, WebGateway};
use axum::extract::ws::{Message, WebSocket};
use rsip::{Method, SipMessage};
use std::sync::Arc;
use std::time::Duration;
use webcall::phone_signal::{self, PhoneError, PhoneEvent, PhoneRequest};
use webcall::{LegEvent, WebLeg};

/// How long the page may take to send its `register`.
const REGISTER_WAIT: Duration = Duration::from_secs(15);
/// How long the core may take to answer a REGISTER (it answers at once).
const CORE_WAIT: Duration = Duration::from_secs(10);
/// The binding's asked interval; refreshed at half of what the registrar grants.
const EXPIRES_S: u32 = 600;
/// A ping keeps the WebSocket (and its HTTP idle timeout) alive while nothing rings.
const PING_EVERY: Duration = Duration::from_secs(15);

/// Runs agent `agent`'s phone on `socket`; `csrf` is the session's token the page must send
/// (`None` for a bearer token's client).
pub async fn run(gw: Arc<WebGateway>, agent: String, csrf: Option<String>, mut socket: WebSocket) {
    match tokio::time::timeout(REGISTER_WAIT, first_request(&mut socket)).await {
        Ok(Some(PhoneRequest::Register { csrf: sent }))
            if csrf
                .as_deref()
                .is_none_or(|ours| crate::password::tokens_equal(&sent, ours)) => {}
        Ok(Some(PhoneRequest::Register { .. })) => {
            refuse(
                &mut socket,
                PhoneError::Forbidden,
                "missing or wrong CSRF token",
            )
            .await;
            return;
        }
        _ => {
            let why = "the first message must be register";
            refuse(&mut socket, PhoneError::BadMessage, why).await;
            return;
        }
    }
    let Some(extension) = gw.agent_extension(&agent).await else {
        let why = format!("agent {agent} has no extension");
        refuse(&mut socket, PhoneError::NoExtension, &why).await;
        return;
    };
    let (peer, sip) = gw.peers.open();
    let page = format!("p{}", uuid::Uuid::new_v4().simple());
    let phone = Phone {
        contact: phone_sip::contact(&extension, &page),
        register_id: format!("{page}@web"),
        register_cseq: 0,
        gw,
        socket,
        peer,
        sip,
        agent,
        extension,
        line: Line::Idle,
        registered: false,
        muted: false,
        held: false,
        held_by_core: false,
        reinvite: None,
    };
    phone.run().await;
}

/// The page's first message, if it is one at all.
async fn first_request(socket: &mut WebSocket) -> Option<PhoneRequest> {
    loop {
        match socket.recv().await? {
            Ok(Message::Text(text)) => return phone_signal::parse_request(text.as_str()).ok(),
            Ok(Message::Ping(_) | Message::Pong(_)) => continue,
            _ => return None,
        }
    }
}

async fn send(socket: &mut WebSocket, event: &PhoneEvent) -> bool {
    let text = phone_signal::event_text(event);
    socket.send(Message::Text(text.into())).await.is_ok()
}

/// An error for the page, then the close.
async fn refuse(socket: &mut WebSocket, code: PhoneError, message: &str) {
    let error = PhoneEvent::Error {
        code,
        message: message.to_string(),
    };
    let _ = send(socket, &error).await;
    let _ = socket.send(Message::Close(None)).await;
}

/// What the page's line is doing.
enum Line {
    Idle,
    /// A call rings the page.
    Ringing(Offered),
    /// The page answered: the call's dialog and the browser's audio.
    Talking {
        call: Offered,
        leg: WebLeg,
    },
}

/// Why the phone stops.
enum Stop {
    /// The page went (closed, left, lost) or hung up the phone.
    Page(&'static str),
    /// The page broke the protocol.
    Bad(PhoneError, String),
    /// The core refused or forgot the phone.
    Core(String),
}

struct Phone {
    gw: Arc<WebGateway>,
    socket: WebSocket,
    peer: PeerGuard,
    sip: tokio::sync::mpsc::UnboundedReceiver<SipMessage>,
    agent: String,
    extension: String,
    contact: String,
    register_id: String,
    register_cseq: u32,
    line: Line,
    registered: bool,
    muted: bool,
    /// The page wants the call held.
    held: bool,
    /// The core has the call on hold (it answered our sendonly re-INVITE).
    held_by_core: bool,
    /// Our hold or resume re-INVITE the core has not answered yet.
    reinvite: Option<Reinvite>,
}

/// A hold (`held`) or resume re-INVITE in flight: what its ACK needs.
struct Reinvite {
    cseq: u32,
    branch: String,
    held: bool,
}

/// The leg's next event, or never while no call is up.
async fn leg_event(line: &mut Line) -> Option<LegEvent> {
    match line {
        Line::Talking { leg, .. } => leg.next_event().await,
        _ => std::future::pending().await,
    }
}

impl Phone {
    async fn run(mut self) {
        let stop = self.life().await;
        self.finish(stop).await;
    }

    /// Hands `bytes` to the core. Borrows nothing of `self` across the await: the phone holds
    /// the WebSocket, which is not `Sync`.
    fn to_core(&self, bytes: &[u8]) -> impl std::future::Future<Output = ()> + Send + 'static {
        let (gw, peer, bytes) = (self.gw.clone(), self.peer.peer, bytes.to_vec());
        async move {
            gw.to_core(peer, &bytes).await;
        }
    }

    async fn register(&mut self, expires: u32) {
        self.register_cseq += 1;
        let bytes = phone_sip::register(
            &self.extension,
            &self.contact,
            &self.gw.domain,
            &self.register_id,
            self.register_cseq,
            expires,
        );
        self.to_core(&bytes).await;
    }

    /// Until the page or the core ends the phone.
    async fn life(&mut self) -> Stop {
        self.register(EXPIRES_S).await;
        let mut refresh_at = tokio::time::Instant::now() + CORE_WAIT;
        let mut awaiting = true;
        let mut ping = tokio::time::interval(PING_EVERY);
        loop {
            tokio::select! {
                msg = self.socket.recv() => match msg {
                    Some(Ok(Message::Text(text))) => {
                        if let Some(stop) = self.on_page(text.as_str()).await {
                            return stop;
                        }
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                        return Stop::Page("the page closed");
                    }
                    Some(Ok(Message::Binary(_))) => {
                        return Stop::Bad(PhoneError::BadMessage, "binary messages are not read".into());
                    }
                    Some(Ok(_)) => {}
                },
                msg = self.sip.recv() => match msg {
                    Some(SipMessage::Request(req)) => self.on_core_request(req).await,
                    Some(SipMessage::Response(resp)) => match sip::message::cseq(&resp) {
                        Some((_, Method::Register)) => {
                            if resp.status_code.code() >= 300 {
                                let reason = sip::message::status_reason(&resp.status_code).to_string();
                                return Stop::Core(format!("{} {reason}", resp.status_code.code()));
                            }
                            if resp.status_code.code() >= 200 {
                                awaiting = false;
                                let granted = phone_sip::granted(&resp).unwrap_or(EXPIRES_S);
                                refresh_at = tokio::time::Instant::now()
                                    + Duration::from_secs(u64::from(granted.max(2) / 2));
                                if !self.registered {
                                    self.registered = true;
                                    tracing::info!(agent = %self.agent, extension = %self.extension, "browser phone registered");
                                    let extension = self.extension.clone();
                                    send(&mut self.socket, &PhoneEvent::Registered { extension }).await;
                                }
                            }
                        }
                        Some((cseq, Method::Invite)) => self.on_reinvite_answer(cseq, &resp).await,
                        // The answer to our BYE: the call is over either way.
                        _ => {}
                    },
                    None => return Stop::Core("the switch stopped".into()),
                },
                event = leg_event(&mut self.line) => {
                    match event {
                        Some(LegEvent::Connected) => {
                            tracing::debug!(agent = %self.agent, "browser phone's media connected");
                        }
                        Some(LegEvent::Ended(reason)) => {
                            tracing::info!(agent = %self.agent, %reason, "browser phone's media lost");
                            self.hang_up("media").await;
                        }
                        None => self.hang_up("media").await,
                    }
                }
                _ = tokio::time::sleep_until(refresh_at) => {
                    if awaiting {
                        return Stop::Core("the switch did not answer the registration".into());
                    }
                    self.register(EXPIRES_S).await;
                    // Until its answer sets the next one: a silent core ends the phone.
                    refresh_at = tokio::time::Instant::now() + CORE_WAIT;
                    awaiting = true;
                }
                _ = ping.tick() => {
                    if self.socket.send(Message::Ping(Default::default())).await.is_err() {
                        return Stop::Page("the page went away");
                    }
                }
            }
        }
    }

    /// A message of the page; `Some` when it ends the phone.
    async fn on_page(&mut self, text: &str) -> Option<Stop> {
        let request = match phone_signal::parse_request(text) {
            Ok(r) => r,
            Err(e) => return Some(Stop::Bad(PhoneError::BadMessage, e.to_string())),
        };
        match (request, &self.line) {
            (PhoneRequest::Accept { sdp }, Line::Ringing(_)) => self.accept(&sdp).await,
            (PhoneRequest::Decline | PhoneRequest::Hangup, Line::Ringing(_)) => {
                self.decline(486, "declined").await;
            }
            (PhoneRequest::Hangup, Line::Talking { .. }) => self.hang_up("hangup").await,
            (PhoneRequest::Mute { muted }, _) => {
                self.muted = muted;
                self.silence();
            }
            (PhoneRequest::Hold { held }, _) => {
                self.held = held;
                self.silence();
                self.sync_hold().await;
            }
            (PhoneRequest::Dtmf { digit }, Line::Talking { leg, .. }) => {
                if let Ok(d) = webcall::signal::dtmf_digit(&digit) {
                    leg.send_dtmf(d);
                }
            }
            // A late click (the call ended meanwhile) is harmless.
            (
                PhoneRequest::Accept { .. }
                | PhoneRequest::Decline
                | PhoneRequest::Hangup
                | PhoneRequest::Dtmf { .. },
                _,
            ) => {}
            (PhoneRequest::Register { .. }, _) => {
                return Some(Stop::Bad(
                    PhoneError::BadMessage,
                    "the phone is already registered".into(),
                ));
            }
        }
        None
    }

    /// Held or muted: the caller hears silence from the agent.
    fn silence(&self) {
        if let Line::Talking { leg, .. } = &self.line {
            leg.set_muted(self.muted || self.held);
        }
    }

    /// The page answers the ringing call with its WebRTC offer.
    async fn accept(&mut self, sdp: &str) {
        let Line::Ringing(call) = std::mem::replace(&mut self.line, Line::Idle) else {
            return;
        };
        let Some(relay) = phone_sip::relay_in(&call.invite) else {
            tracing::warn!(agent = %self.agent, "the core's offer to a browser phone has no audio");
            self.to_core(&call.respond(&call.invite, 488, None)).await;
            send(&mut self.socket, &ended("failed")).await;
            return;
        };
        let (leg, answer) = match WebLeg::answer_unbridged(sdp, &self.gw.settings.media).await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(agent = %self.agent, error = %e, "browser phone's answer failed");
                // Unavailable, not busy: the queue offers the call to someone else.
                self.to_core(&call.respond(&call.invite, 480, None)).await;
                let code = match e {
                    webcall::WebCallError::BadSdp(_) | webcall::WebCallError::NoPcmu => {
                        PhoneError::BadOffer
                    }
                    _ => PhoneError::Failed,
                };
                let error = PhoneEvent::Error {
                    code,
                    message: e.to_string(),
                };
                send(&mut self.socket, &error).await;
                send(&mut self.socket, &ended("failed")).await;
                return;
            }
        };
        leg.bridge(relay);
        leg.set_muted(self.muted || self.held);
        send(&mut self.socket, &PhoneEvent::Answer { sdp: answer }).await;
        let ours =
            super::sip_leg::offer_sdp(leg.rtp_addr(), self.gw.settings.media.telephone_event_pt);
        self.to_core(&call.respond(&call.invite, 200, Some(&ours)))
            .await;
        tracing::info!(agent = %self.agent, call = %call.call_id(), "browser phone answered");
        send(&mut self.socket, &PhoneEvent::Connected).await;
        self.line = Line::Talking { call, leg };
        // Hold clicked while answering: the core's dialog is up now.
        self.sync_hold().await;
    }

    /// The ringing call refused with `code`; the page told `reason`.
    async fn decline(&mut self, code: u16, reason: &str) {
        if let Line::Ringing(call) = std::mem::replace(&mut self.line, Line::Idle) {
            self.to_core(&call.respond(&call.invite, code, None)).await;
            send(&mut self.socket, &ended(reason)).await;
        }
    }

    /// The call in progress ended from our side: BYE, the leg closed.
    async fn hang_up(&mut self, reason: &str) {
        if let Line::Talking { mut call, leg } = std::mem::replace(&mut self.line, Line::Idle) {
            if let Some(bye) = call.bye() {
                self.to_core(&bye).await;
            }
            leg.close().await;
            send(&mut self.socket, &ended(reason)).await;
        }
        self.call_over();
    }

    /// The call is gone: nothing held, nothing in flight.
    fn call_over(&mut self) {
        self.held = false;
        self.held_by_core = false;
        self.reinvite = None;
    }

    /// Asks the core for what the page wants: a re-INVITE offering `sendonly` (hold: the core
    /// plays the caller the queue's music, `switch::hold`) or `sendrecv` (resume), one at a
    /// time; a click while one is in flight is sent when it is answered.
    async fn sync_hold(&mut self) {
        if self.reinvite.is_some() || self.held == self.held_by_core {
            return;
        }
        let te = self.gw.settings.media.telephone_event_pt;
        let Line::Talking { call, leg } = &mut self.line else {
            return;
        };
        let direction = if self.held { "sendonly" } else { "sendrecv" };
        let sdp = super::sip_leg::sdp_with_direction(leg.rtp_addr(), te, direction);
        let Some((bytes, cseq, branch)) = call.reinvite(&sdp) else {
            return;
        };
        self.reinvite = Some(Reinvite {
            cseq,
            branch,
            held: self.held,
        });
        tracing::info!(agent = %self.agent, call = %call.call_id(), held = self.held, "browser phone holds");
        self.to_core(&bytes).await;
    }

    /// The core answered our hold or resume re-INVITE `cseq`: ACK it, tell the page where the
    /// hold stands, then send what the page asked for meanwhile.
    async fn on_reinvite_answer(&mut self, cseq: u32, resp: &rsip::Response) {
        let code = resp.status_code.code();
        if code < 200 || self.reinvite.as_ref().is_none_or(|r| r.cseq != cseq) {
            return;
        }
        let Some(sent) = self.reinvite.take() else {
            return;
        };
        let Line::Talking { call, leg } = &self.line else {
            return;
        };
        if let Some(ack) = call.ack(sent.cseq, &sent.branch, code < 300) {
            self.to_core(&ack).await;
        }
        if code < 300 {
            if let Some(relay) = super::sip_leg::relay_of(resp) {
                leg.bridge(relay);
            }
            self.held_by_core = sent.held;
        } else {
            // Refused (491 glare, or the call is going): the page learns it is as it was.
            tracing::warn!(agent = %self.agent, code, "the switch refused the browser phone's hold");
            self.held = self.held_by_core;
            self.silence();
        }
        let held = self.held_by_core;
        send(&mut self.socket, &PhoneEvent::Held { held }).await;
        self.sync_hold().await;
    }

    /// A request of the core: an offer, or one in a call's dialog.
    async fn on_core_request(&mut self, req: rsip::Request) {
        let call_id = sip::message::call_id(&req).unwrap_or("").to_string();
        let ours = match &self.line {
            Line::Ringing(c) | Line::Talking { call: c, .. } => c.call_id() == call_id,
            Line::Idle => false,
        };
        match req.method {
            Method::Invite if sip::message::to_tag(&req).is_none() => {
                if !matches!(self.line, Line::Idle) {
                    let busy = Offered::new(req.clone(), &self.contact);
                    self.to_core(&busy.respond(&req, 486, None)).await;
                    return;
                }
                let call = Offered::new(req, &self.contact);
                self.to_core(&call.respond(&call.invite, 180, None)).await;
                let (caller, caller_name) = call.caller();
                tracing::info!(agent = %self.agent, %caller, "browser phone rings");
                send(
                    &mut self.socket,
                    &PhoneEvent::Incoming {
                        caller,
                        caller_name,
                    },
                )
                .await;
                self.line = Line::Ringing(call);
            }
            Method::Invite => {
                // A re-INVITE of the call (the switch moved its media): same answer, new target.
                let reply = match &self.line {
                    Line::Talking { call, leg } if ours => {
                        if let Some(relay) = phone_sip::relay_in(&req) {
                            leg.bridge(relay);
                        }
                        let sdp = super::sip_leg::offer_sdp(
                            leg.rtp_addr(),
                            self.gw.settings.media.telephone_event_pt,
                        );
                        call.respond(&req, 200, Some(&sdp))
                    }
                    _ => unknown(&req),
                };
                self.to_core(&reply).await;
            }
            Method::Ack => {}
            Method::Cancel => {
                let Line::Ringing(call) = &self.line else {
                    self.to_core(&unknown(&req)).await;
                    return;
                };
                if !ours {
                    self.to_core(&unknown(&req)).await;
                    return;
                }
                self.to_core(&call.respond(&req, 200, None)).await;
                self.decline(487, "cancelled").await;
            }
            Method::Bye => {
                let Line::Talking { call, .. } = &self.line else {
                    self.to_core(&unknown(&req)).await;
                    return;
                };
                if !ours {
                    self.to_core(&unknown(&req)).await;
                    return;
                }
                self.to_core(&call.respond(&req, 200, None)).await;
                if let Line::Talking { leg, .. } = std::mem::replace(&mut self.line, Line::Idle) {
                    leg.close().await;
                }
                self.call_over();
                send(&mut self.socket, &ended("remote")).await;
            }
            _ => {
                let ok = sip::message::make_response(&req, 200, None, None);
                self.to_core(&sip::message::response_to_bytes(&ok)).await;
            }
        }
    }

    /// Ends what is left: the call, the binding, the page.
    async fn finish(mut self, stop: Stop) {
        match std::mem::replace(&mut self.line, Line::Idle) {
            Line::Ringing(call) => {
                // A phone that stopped answering: the queue offers the call to someone else.
                self.to_core(&call.respond(&call.invite, 480, None)).await;
            }
            Line::Talking { mut call, leg } => {
                if let Some(bye) = call.bye() {
                    self.to_core(&bye).await;
                }
                leg.close().await;
            }
            Line::Idle => {}
        }
        self.register(0).await;
        let why = match &stop {
            Stop::Page(why) => why.to_string(),
            Stop::Bad(_, why) | Stop::Core(why) => why.clone(),
        };
        tracing::info!(agent = %self.agent, extension = %self.extension, %why, "browser phone closed");
        match stop {
            Stop::Page(_) => {}
            Stop::Bad(code, message) => refuse(&mut self.socket, code, &message).await,
            Stop::Core(message) => refuse(&mut self.socket, PhoneError::Failed, &message).await,
        }
    }
}

fn ended(reason: &str) -> PhoneEvent {
    PhoneEvent::Ended {
        reason: reason.to_string(),
    }
}

/// 481 to a request of no call of ours.
fn unknown(req: &rsip::Request) -> Vec<u8> {
    let resp = sip::message::make_response(req, 481, None, None);
    sip::message::response_to_bytes(&resp).to_vec()
}
