//! One web call, from the WebSocket's first message to the last freed port: the visitor's
//! offer, the admission, the leg, the INVITE into the core, then the call's life (the
//! visitor's keypad, mute and hang-up; the core's answer and BYE; the leg's end; the progress
//! the core pushes, shown to the visitor) until one side ends it. Whatever ends it, the task ends the rest:
//! BYE (or CANCEL) to the core, the leg closed (its sockets and tasks freed), the WebSocket
//! closed, the admission given back (`Ticket`).

use super::progress::ProgressWatch;
use super::sip_leg::{self, Dialog};
use super::{PeerGuard, Ticket, WebGateway};
use crate::config::web::{WebEntry, WebTarget};
use axum::extract::ws::{Message, WebSocket};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use switch::WebProgress;
use webcall::signal::{self, CallState, ClientMessage, ErrorCode, Identity, ServerMessage};
use webcall::{LegEvent, WebLeg};

/// How long a page may take to send its offer after the WebSocket opened.
const OFFER_WAIT: Duration = Duration::from_secs(15);
/// How long the core may take to answer the INVITE (it answers at once, or refuses).
const ANSWER_WAIT: Duration = Duration::from_secs(10);
/// How often the visitor's view is read from the core besides the pushed changes
/// (`progress.rs`): a slow fallback that only matters for the estimated wait.
const REFRESH_EVERY: Duration = Duration::from_secs(10);
/// A ping keeps the WebSocket (and its HTTP idle timeout) alive through a quiet call.
const PING_EVERY: Duration = Duration::from_secs(15);

/// Runs the call on `socket` for `entry`, from `ip`.
pub async fn run(gw: Arc<WebGateway>, entry: WebEntry, ip: IpAddr, mut socket: WebSocket) {
    if let Some(closed) = &entry.closed_message {
        refuse(&mut socket, ErrorCode::Closed, closed).await;
        return;
    }
    let ticket = match gw.admit(ip) {
        Ok(t) => t,
        Err(refusal) => {
            let code = match refusal {
                webcall::admission::Refusal::RateLimited(_) => ErrorCode::RateLimited,
                _ => ErrorCode::Busy,
            };
            tracing::info!(%ip, entry = %entry.name, %refusal, "web call refused");
            refuse(&mut socket, code, &refusal.to_string()).await;
            return;
        }
    };
    let (sdp, context) = match tokio::time::timeout(OFFER_WAIT, first_offer(&mut socket)).await {
        Ok(Ok(offer)) => offer,
        Ok(Err(e)) => {
            refuse(&mut socket, e.code(), &e.to_string()).await;
            return;
        }
        Err(_) => {
            refuse(&mut socket, ErrorCode::BadMessage, "no offer in time").await;
            return;
        }
    };
    let now_s = chrono::Utc::now().timestamp();
    let identity = match signal::identify(context.as_ref(), entry.secret.as_deref(), now_s) {
        Ok(id) => id,
        Err(e) => {
            tracing::warn!(%ip, entry = %entry.name, "web call with a forged customer signature refused");
            refuse(&mut socket, e.code(), &e.to_string()).await;
            return;
        }
    };
    let (leg, answer) = match WebLeg::answer_unbridged(&sdp, &gw.settings.media).await {
        Ok(x) => x,
        Err(e) => {
            let code = match e {
                webcall::WebCallError::BadSdp(_) | webcall::WebCallError::NoPcmu => {
                    ErrorCode::BadOffer
                }
                // Every web port taken: as busy as the cap.
                webcall::WebCallError::NoPort { .. } => ErrorCode::Busy,
                _ => ErrorCode::Failed,
            };
            tracing::warn!(%ip, entry = %entry.name, error = %e, "web call not answered");
            refuse(&mut socket, code, &e.to_string()).await;
            return;
        }
    };
    if !send(&mut socket, &ServerMessage::Answer { sdp: answer }).await {
        leg.close().await;
        return;
    }
    send(&mut socket, &ServerMessage::State(CallState::Connecting)).await;
    let invite = invite_of(&gw, &entry, &identity, signal::page_url(context.as_ref())).await;
    let (peer, sip) = gw.peers.open();
    let call = Call {
        gw,
        socket,
        leg,
        peer,
        sip,
        dialog: None,
        progress: None,
        shown: None,
        _ticket: ticket,
    };
    call.run(invite).await;
}

/// The first message must be the offer.
async fn first_offer(
    socket: &mut WebSocket,
) -> Result<(String, Option<signal::VisitorContext>), signal::SignalError> {
    loop {
        match socket.recv().await {
            Some(Ok(Message::Text(text))) => {
                return match signal::parse_client(text.as_str())? {
                    ClientMessage::Offer { sdp, context } => Ok((sdp, context)),
                    _ => Err(signal::SignalError::BadJson(
                        "the first message must be the offer".into(),
                    )),
                };
            }
            Some(Ok(Message::Binary(_))) => {
                return Err(signal::SignalError::BadJson(
                    "binary messages are not read".into(),
                ))
            }
            Some(Ok(_)) => continue,
            _ => return Err(signal::SignalError::BadJson("the page went away".into())),
        }
    }
}

/// The INVITE's description of the visitor: a verified customer the CRM knows calls as
/// their number (so the plan's lookup and the queue's priority trust it), anyone else as `web`.
async fn invite_of(
    gw: &WebGateway,
    entry: &WebEntry,
    identity: &Identity,
    page_url: Option<String>,
) -> switch::WebInvite {
    let target = match &entry.target {
        WebTarget::Route(r) => switch::WebTarget::Route(r.clone()),
        WebTarget::Queue(q) => switch::WebTarget::Queue(q.clone()),
    };
    let (caller, caller_name, customer_id, verified) = match identity {
        Identity::Anonymous => ("web".to_string(), "Web visitor".to_string(), None, false),
        Identity::Unverified(id) => (
            "web".to_string(),
            format!("Web visitor (unverified {id})"),
            Some(id.clone()),
            false,
        ),
        Identity::Verified(id) => {
            let (number, name) = gw
                .customer(id)
                .await
                .unwrap_or_else(|| ("web".to_string(), format!("Web customer {id}")));
            (number, name, Some(id.clone()), true)
        }
    };
    switch::WebInvite {
        entry: entry.name.clone(),
        target,
        caller,
        caller_name,
        customer_id,
        verified,
        page_url,
    }
}

async fn send(socket: &mut WebSocket, msg: &ServerMessage) -> bool {
    socket
        .send(Message::Text(signal::to_text(msg).into()))
        .await
        .is_ok()
}

/// An error for the page, then the close.
async fn refuse(socket: &mut WebSocket, code: ErrorCode, message: &str) {
    let _ = send(
        socket,
        &ServerMessage::Error {
            code,
            message: message.to_string(),
        },
    )
    .await;
    let _ = socket.send(Message::Close(None)).await;
}

/// A call in progress and everything it owns.
struct Call {
    gw: Arc<WebGateway>,
    socket: WebSocket,
    leg: WebLeg,
    peer: PeerGuard,
    sip: tokio::sync::mpsc::UnboundedReceiver<rsip::SipMessage>,
    /// The dialog with the core (answered once `to` is known).
    dialog: Option<Dialog>,
    /// The core's changes of the call's progress, pushed (`progress.rs`).
    progress: Option<ProgressWatch>,
    /// The last state the visitor was shown.
    shown: Option<CallState>,
    _ticket: Ticket,
}

/// Who ended the call, and what the visitor is told.
enum End {
    /// The visitor: hang-up, tab closed, WebSocket lost.
    Visitor(&'static str),
    /// The switch's side: the agent or the plan hung up.
    Switch(String),
    /// The core refused the call (no route, full...): the visitor is told it failed.
    Refused(String),
    /// The browser's media went away.
    Media(String),
}

impl Call {
    async fn run(mut self, invite: switch::WebInvite) {
        let call_id = format!("{}@web", uuid::Uuid::new_v4());
        let tag = sip::message::new_tag();
        let sdp = sip_leg::offer_sdp(
            self.leg.rtp_addr(),
            self.gw.settings.media.telephone_event_pt,
        );
        let bytes = invite.to_bytes(&call_id, &tag, &self.gw.domain, &sdp);
        // Watched before the core has the call, so no change is missed.
        self.progress = self.gw.watch_progress(&call_id).await;
        self.dialog = match sip::parse::parse(&bytes) {
            Ok(rsip::SipMessage::Request(r)) => Dialog::of_invite(&r),
            _ => None,
        };
        let end = if self.dialog.is_none() || !self.gw.to_core(self.peer.peer, &bytes).await {
            End::Switch("the switch could not take the call".into())
        } else {
            tracing::info!(entry = %invite.entry, caller = %invite.caller, %call_id, "web call placed");
            self.life(&call_id).await
        };
        self.finish(end).await;
    }

    /// Until something ends the call.
    async fn life(&mut self, call_id: &str) -> End {
        let answer_by = tokio::time::Instant::now() + ANSWER_WAIT;
        let mut refresh = tokio::time::interval(REFRESH_EVERY);
        let mut ping = tokio::time::interval(PING_EVERY);
        loop {
            let answered = self.dialog.as_ref().is_some_and(|d| d.to.is_some());
            tokio::select! {
                msg = self.socket.recv() => match msg {
                    Some(Ok(Message::Text(text))) => {
                        if let Some(end) = self.on_page_message(text.as_str()).await {
                            return end;
                        }
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                        return End::Visitor("the page closed");
                    }
                    Some(Ok(Message::Binary(_))) => {
                        self.error(ErrorCode::BadMessage, "binary messages are not read").await;
                        return End::Visitor("bad message");
                    }
                    Some(Ok(_)) => {}
                },
                msg = self.sip.recv() => match msg {
                    Some(msg) => {
                        if let Some(end) = self.on_core_message(msg, call_id).await {
                            return end;
                        }
                    }
                    None => return End::Switch("the switch stopped".into()),
                },
                event = self.leg.next_event() => match event {
                    Some(LegEvent::Connected) => {
                        tracing::debug!(%call_id, "web call's media connected");
                    }
                    Some(LegEvent::Ended(reason)) => return End::Media(reason.to_string()),
                    None => return End::Media("the leg stopped".into()),
                },
                _ = tokio::time::sleep_until(answer_by), if !answered => {
                    return End::Switch("the switch did not answer".into());
                }
                pushed = pushed(&mut self.progress), if answered => match pushed {
                    Some(Some(p)) => self.show(state_of(p)).await,
                    Some(None) => return End::Switch("the call ended".into()),
                    // The driver stopped pushing: the refresh goes on alone.
                    None => self.progress = None,
                },
                _ = refresh.tick(), if answered => {
                    match self.gw.progress(call_id).await {
                        Some(p) => self.show(state_of(p)).await,
                        None => return End::Switch("the call ended".into()),
                    }
                }
                _ = ping.tick() => {
                    if self.socket.send(Message::Ping(Default::default())).await.is_err() {
                        return End::Visitor("the page went away");
                    }
                }
            }
        }
    }

    /// A message of the page; `Some` when it ends the call.
    async fn on_page_message(&mut self, text: &str) -> Option<End> {
        match signal::parse_client(text) {
            Ok(ClientMessage::Dtmf { digit }) => {
                if let Ok(d) = signal::dtmf_digit(&digit) {
                    self.leg.send_dtmf(d);
                }
                None
            }
            Ok(ClientMessage::Mute { muted }) => {
                self.leg.set_muted(muted);
                None
            }
            Ok(ClientMessage::Hangup) => Some(End::Visitor("hang-up")),
            Ok(ClientMessage::Offer { .. }) => {
                self.error(ErrorCode::BadMessage, "the call already has its offer")
                    .await;
                Some(End::Visitor("bad message"))
            }
            Err(e) => {
                self.error(e.code(), &e.to_string()).await;
                Some(End::Visitor("bad message"))
            }
        }
    }

    /// A message of the core; `Some` when it ends the call.
    async fn on_core_message(&mut self, msg: rsip::SipMessage, call_id: &str) -> Option<End> {
        match msg {
            rsip::SipMessage::Response(resp) => {
                let code = resp.status_code.code();
                let is_invite = resp.headers.iter().any(
                    |h| matches!(h, rsip::Header::CSeq(c) if c.to_string().ends_with("INVITE")),
                );
                if !is_invite || code < 200 {
                    return None;
                }
                if code >= 300 {
                    let reason = sip::message::status_reason(&resp.status_code).to_string();
                    tracing::info!(%call_id, code, %reason, "web call refused by the switch");
                    if let Some(d) = self.dialog.as_mut() {
                        // The INVITE's transaction is over: nothing to CANCEL any more.
                        d.to = None;
                        d.invite_branch.clear();
                    }
                    return Some(End::Refused(format!("{code} {reason}")));
                }
                let Some(relay) = sip_leg::relay_of(&resp) else {
                    return Some(End::Switch("the switch's answer has no audio".into()));
                };
                self.leg.bridge(relay);
                let ack = self.dialog.as_mut().and_then(|d| {
                    d.answered(&resp);
                    d.ack()
                });
                if let Some(ack) = ack {
                    self.gw.to_core(self.peer.peer, &ack).await;
                }
                // The driver pushed the state before the answer left it: shown at once.
                let now = self.progress.as_mut().and_then(|w| *w.borrow_and_update());
                match now {
                    Some(p) => self.show(state_of(p)).await,
                    None => {
                        if let Some(p) = self.gw.progress(call_id).await {
                            self.show(state_of(p)).await;
                        }
                    }
                }
                None
            }
            rsip::SipMessage::Request(req) => {
                let bye = req.method == rsip::Method::Bye;
                if req.method != rsip::Method::Ack {
                    self.gw.to_core(self.peer.peer, &sip_leg::ok_to(&req)).await;
                }
                if bye {
                    if let Some(d) = self.dialog.as_mut() {
                        // The core ended the dialog: no BYE of ours.
                        d.to = None;
                    }
                    return Some(End::Switch("the call ended".into()));
                }
                None
            }
        }
    }

    async fn show(&mut self, state: CallState) {
        if self.shown.as_ref() != Some(&state) {
            send(&mut self.socket, &ServerMessage::State(state.clone())).await;
            self.shown = Some(state);
        }
    }

    async fn error(&mut self, code: ErrorCode, message: &str) {
        let _ = send(
            &mut self.socket,
            &ServerMessage::Error {
                code,
                message: message.to_string(),
            },
        )
        .await;
    }

    /// Ends what is left: the core's dialog, the leg, the page.
    async fn finish(mut self, end: End) {
        let (reason, log) = match &end {
            End::Visitor(why) => ("hangup".to_string(), why.to_string()),
            End::Switch(why) | End::Refused(why) => ("remote".to_string(), why.clone()),
            End::Media(why) => ("media".to_string(), why.clone()),
        };
        if let Some(d) = self.dialog.as_mut() {
            let goodbye = match d.to.is_some() {
                true => d.bye(),
                false if !d.invite_branch.is_empty() => Some(d.cancel()),
                false => None,
            };
            if let Some(bytes) = goodbye {
                self.gw.to_core(self.peer.peer, &bytes).await;
            }
        }
        tracing::info!(%reason, why = %log, "web call ended");
        self.leg.close().await;
        let last = match end {
            End::Refused(why) => ServerMessage::Error {
                code: ErrorCode::Failed,
                message: why,
            },
            _ => ServerMessage::State(CallState::Ended { reason }),
        };
        send(&mut self.socket, &last).await;
        let _ = self.socket.send(Message::Close(None)).await;
    }
}

/// The next progress the core pushes (`Some(None)`: the core forgot the call); `None` when
/// nothing pushes any more; never without a channel.
async fn pushed(watch: &mut Option<ProgressWatch>) -> Option<Option<WebProgress>> {
    let Some(w) = watch else {
        return std::future::pending().await;
    };
    w.changed().await.ok()?;
    let now = *w.borrow_and_update();
    Some(now)
}

fn state_of(p: WebProgress) -> CallState {
    match p {
        WebProgress::Ivr => CallState::Ivr,
        WebProgress::Queued {
            position,
            estimated_wait,
        } => CallState::Queued {
            position,
            estimated_wait_s: estimated_wait.as_secs(),
        },
        WebProgress::Ringing => CallState::Ringing,
        WebProgress::Connected => CallState::Connected,
    }
}
