//! Callbacks for waiting callers. A caller presses the queue's `callback` key (handled in
//! switch/queue_exit.rs): the switch tells the ACD (`acd::Input::Callback`: the entry keeps its
//! place and enqueue time), reads the number back and hangs up. When the ACD offers that entry
//! (`Offer { callback: Some(..) }`) the switch places a new call whose first leg (A) is the
//! agent: an INVITE of its own to the agent's phone, with the relay's port A in the offer. The
//! agent's answer, rejection or silence reaches the ACD like any offer's. Once the agent
//! answers, the agent hears ringback from the switch while the customer's number is dialled
//! through the normal routing (an extension, or a dialplan route whose `dial` step rings
//! someone, else out over the trunks in plan order with their failover, `trunk_out.rs`); the
//! customer's answer bridges the two. A customer who is busy, does not answer or
//! cannot be reached ends the call: the agent's leg is hung up, the CDR says why and the agent
//! goes to wrap-up. There is no retry: the ACD entry was answered by the agent, so the callback
//! is done either way.

use super::call::{Call, CallerLeg, CallerMedia, Party, Phase, Route, Side};
use super::queue::ScreenPop;
use super::queue_leg::QueueLeg;
use super::record::PolicyEntry;
use super::sdp::endpoint_sdp;
use super::{sip_fields, Action, CallId, ClientPurpose, Switch};
use crate::records::{CdrEvent, CdrLink, CdrStart, Disposition, HangupSide};
use rsip::{Header, Method, Response};
use sip::transaction::ClientTxId;
use std::time::Instant;

/// A call the switch places agent first: a callback for the ACD, or an agent's
/// click-to-dial (`click_to_dial.rs`).
#[derive(Debug, Clone)]
pub struct CallbackLeg {
    pub origin: CallbackOrigin,
    pub agent: String,
    /// The agent's extension, which the first leg rings (the call's callee number changes
    /// to the customer's when a trunk dials it).
    pub extension: String,
    /// The customer's number.
    pub number: String,
    /// Who the customer sees calling: the queue's number (a callback) or the agent's
    /// extension; a trunk's own caller ID wins over it (`trunk_out.rs`).
    pub presented: String,
    pub phase: CallbackPhase,
}

/// Why the switch placed an agent-first call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackOrigin {
    /// The ACD offered a queue's callback entry: `key` is the entry's id (the CDR id of the
    /// call that asked for the callback). The ACD rings, connects and wraps the agent up.
    Queue { key: String, queue: String },
    /// The agent asked for the call (the HTTP API): no ACD entry; the switch times the
    /// agent's ringing and its CDR opens at the request, so an unanswered one is recorded.
    ClickToDial,
}

impl CallbackLeg {
    /// The ACD entry and queue of a queue's callback (None: a click-to-dial).
    pub fn entry(&self) -> Option<(&str, &str)> {
        match &self.origin {
            CallbackOrigin::Queue { key, queue } => Some((key, queue)),
            CallbackOrigin::ClickToDial => None,
        }
    }
}

/// Where a callback call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackPhase {
    /// Waiting for relay ports before the agent's INVITE goes out.
    Media,
    /// The agent's phone rings (this INVITE).
    AgentRinging(ClientTxId),
    /// The agent answered; the customer is being dialled.
    Dialling,
    /// The customer answered: agent and customer talk.
    Connected,
}

impl Switch {
    /// The ACD offers a callback to `agent`: a new call whose first leg rings the agent's
    /// phone (its most recent registration) once relay ports are ready.
    pub(super) fn offer_callback(
        &mut self,
        now: Instant,
        key: &str,
        agent: &str,
        queue: &str,
        number: &str,
    ) {
        let reject = acd::Input::OfferRejected {
            call: key.to_string(),
            agent: agent.to_string(),
        };
        let Some(ext) = self.acd.logged_in.get(agent).cloned() else {
            let _ = self.acd.core.handle(now, reject);
            return;
        };
        let Some(binding) = self.agent_binding(now, &ext) else {
            tracing::info!(%agent, extension = %ext, "agent cannot be rung for a callback");
            let _ = self.acd.core.handle(now, reject);
            return;
        };
        let presented = self
            .acd
            .queues
            .get(queue)
            .and_then(|q| q.number.clone())
            .unwrap_or_else(|| ext.clone());
        let mut vars = std::collections::BTreeMap::new();
        vars.insert("queue".to_string(), queue.to_string());
        vars.insert("agent".to_string(), agent.to_string());
        vars.insert("callback_of".to_string(), key.to_string());
        let leg = CallbackLeg {
            origin: CallbackOrigin::Queue {
                key: key.to_string(),
                queue: queue.to_string(),
            },
            agent: agent.to_string(),
            extension: ext.clone(),
            number: number.to_string(),
            presented,
            phase: CallbackPhase::Media,
        };
        let offers = self
            .cfg
            .recording
            .offers_for(&ext, Some(&PolicyEntry::Queue(queue.to_string())));
        self.place_agent_leg(now, binding, "Callback", leg, vars.clone(), offers);
        let waited = self.acd.core.waited(key, now).unwrap_or_default().as_secs();
        let pop = ScreenPop {
            agent: agent.to_string(),
            call_id: key.to_string(),
            caller: number.to_string(),
            caller_name: None,
            dialled: number.to_string(),
            queue: queue.to_string(),
            offered_at: self.wall(now),
            waited_s: 0,
            // The customer is not on the line: these count from the first queue entry.
            waited_total_s: waited,
            waited_in_queue_s: waited,
            vars,
        };
        self.actions.push_back(Action::ScreenPop(Box::new(pop)));
    }

    /// The most recent registration of `extension`: its contact and where requests to it go.
    pub(super) fn agent_binding(
        &self,
        now: Instant,
        extension: &str,
    ) -> Option<super::route_set::BindingTarget> {
        self.registrar
            .lookup(now, extension)
            .into_iter()
            .next()
            .map(|b| super::route_set::BindingTarget::of(self.cfg.nat, b))
    }

    /// A new agent-first call: its first leg (A) rings the agent's extension at `binding`
    /// once relay ports are ready, showing `display` and the customer's number as the caller.
    pub(super) fn place_agent_leg(
        &mut self,
        now: Instant,
        target: super::route_set::BindingTarget,
        display: &str,
        leg: CallbackLeg,
        vars: std::collections::BTreeMap<String, String>,
        offers: super::record::OfferPolicy,
    ) -> CallId {
        let id = self.next_call;
        self.next_call += 1;
        let domain = self.cfg.domain.clone();
        let local_tag = sip::message::new_tag();
        let number = leg.number.clone();
        let ext = leg.extension.clone();
        let display = display.replace(['"', '\\'], "");
        let dialog = target.dialog(
            sip::message::new_call_id(&domain),
            format!("\"{display}\" <sip:{number}@{domain}>;tag={local_tag}"),
            format!("<sip:{ext}@{domain}>"),
            number.clone(),
        );
        let agent_name = self.acd.agents.get(&leg.agent).and_then(|a| a.name.clone());
        let caller = Party { number, name: None };
        let callee = Party {
            number: ext,
            name: agent_name.or_else(|| Some(leg.agent.clone())),
        };
        let call = self.originated_call(now, dialog, local_tag, (caller, callee), Route::Extension);
        let call = Call {
            vars,
            callback: Some(leg),
            offers,
            ..call
        };
        self.store_originated(id, call);
        self.actions.push_back(Action::AllocateMedia { call: id });
        id
    }

    /// A call whose first leg (A) the switch places on `dialog` (its INVITE, with SDP, goes
    /// out later): what `place_agent_leg` and a monitoring asked for over the API share.
    pub(super) fn originated_call(
        &self,
        now: Instant,
        dialog: super::dialog::Dialog,
        local_tag: String,
        (caller, callee): (Party, Party),
        route: Route,
    ) -> Call {
        // The real INVITE (with the relay's SDP) replaces this one once media is ready.
        let invite = dialog.request_with_cseq(Method::Invite, 1, &self.cfg.me, None);
        Call {
            cdr_id: uuid::Uuid::new_v4().to_string(),
            phase: Phase::AwaitingMedia,
            caller,
            callee,
            a: CallerLeg {
                invite_tx: None,
                invite,
                dialog,
                local_tag,
                final_sent: false,
                gone: false,
            },
            branches: Vec::new(),
            answered_branch: None,
            started: now,
            answered: None,
            a_sdp: None,
            relay: None,
            open_client_txs: 0,
            reinvite_pending: false,
            route,
            caller_media: CallerMedia::Relayed,
            moh: None,
            last_dtmf: None,
            vars: Default::default(),
            queue: None,
            callback: None,
            recording: false,
            offers: Default::default(),
            trunk_in: None,
            trunk_out: None,
            channel: crate::records::Channel::Voice,
        }
    }

    /// Keep an originated call: its dialog is known by its tag, it counts for its phone.
    pub(super) fn store_originated(&mut self, id: CallId, call: Call) {
        self.dialogs.insert(
            (call.a.dialog.call_id.clone(), call.a.local_tag.clone()),
            (id, Side::A),
        );
        self.extension_calls.started(&call);
        self.calls.insert(id, call);
    }

    /// The CDR of an agent-first call opens (the customer as caller, the agent's extension as
    /// callee), linked to the agent and a callback's queue.
    pub(super) fn open_agent_cdr(
        &mut self,
        id: CallId,
        started_at: chrono::DateTime<chrono::Utc>,
        queue: Option<&String>,
        agent: &str,
    ) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let start = CdrStart {
            call_id: call.cdr_id.clone(),
            caller: call.caller.number.clone(),
            caller_name: None,
            callee: call.callee.number.clone(),
            callee_name: call.callee.name.clone(),
            started_at,
            channel: call.channel,
        };
        let link = CdrLink {
            call_id: call.cdr_id.clone(),
            queue: queue.cloned(),
            agent: Some(agent.to_string()),
        };
        self.stats.calls_started += 1;
        super::call_log::start(call);
        self.actions.push_back(Action::Cdr(CdrEvent::Start(start)));
        self.actions.push_back(Action::Cdr(CdrEvent::Link(link)));
    }

    /// Relay ports for a callback: the INVITE to the agent goes out, offering G.711 (both
    /// laws) and telephone-event on port A.
    pub(super) fn callback_media_ready(&mut self, now: Instant, id: CallId) {
        let me = self.cfg.me.clone();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some((sdp, _, _)) = endpoint_sdp(call) else {
            self.abandon_callback_attempt(now, id, true);
            return;
        };
        call.caller_media = CallerMedia::Switch {
            sdp: sdp.clone(),
            codec: call.caller_media.codec(),
        };
        let mut invite = call
            .a
            .dialog
            .request(Method::Invite, &me, Some(("application/sdp", sdp)));
        invite
            .headers
            .push(Header::Allow(super::dialog::ALLOW.into()));
        let peer = call.a.dialog.peer;
        call.a.invite = invite.clone();
        let tx = match self.tx.send_request(now, peer, invite) {
            Ok(tx) => tx,
            Err(e) => {
                tracing::warn!(call = id, error = %e, "callback INVITE to the agent not sent");
                self.abandon_callback_attempt(now, id, true);
                return;
            }
        };
        call.open_client_txs += 1;
        // The ACD times a callback's offer; the switch times a click-to-dial's ringing.
        let deadline = call
            .callback
            .as_ref()
            .filter(|cb| cb.entry().is_none())
            .map(|_| now + self.cfg.ring_timeout);
        call.phase = Phase::Ringing {
            deadline,
            best_failure: None,
        };
        if let Some(at) = deadline {
            self.arm(at, super::CoreTimer::RingTimeout(id));
        }
        self.client_txs
            .insert(tx, (id, ClientPurpose::CallbackAgent));
        if let Some(cb) = self.calls.get_mut(&id).and_then(|c| c.callback.as_mut()) {
            cb.phase = CallbackPhase::AgentRinging(tx);
        }
    }

    /// A final response (or a timeout, `resp` None) to the agent's INVITE of a callback.
    pub(super) fn on_callback_agent_response(
        &mut self,
        now: Instant,
        id: CallId,
        tx: ClientTxId,
        code: u16,
        resp: Option<Response>,
    ) {
        let ringing = self
            .calls
            .get(&id)
            .and_then(|c| c.callback.as_ref())
            .filter(|cb| cb.phase == CallbackPhase::AgentRinging(tx))
            .cloned();
        if !(200..300).contains(&code) {
            // Declined, busy or no reply: a missed offer, unless we cancelled it ourselves.
            match ringing.as_ref().map(CallbackLeg::entry) {
                Some(Some(_)) => self.abandon_callback_attempt(now, id, true),
                Some(None) => self.click_to_dial_agent_failed(now, id, code),
                None => {}
            }
            return;
        }
        let Some(resp) = resp else {
            return;
        };
        let me = self.cfg.me.clone();
        let still_offered = ringing.as_ref().is_some_and(|cb| match cb.entry() {
            Some((key, _)) => self.acd.core.agent(&cb.agent).is_some_and(
                |s| matches!(&s.state, acd::AgentState::Ringing { call } if call == key),
            ),
            // Ours unless we gave up on it meanwhile (its ring timeout).
            None => self.calls.get(&id).is_some_and(|c| c.phase != Phase::Ended),
        });
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        super::invite::learn_remote(&mut call.a.dialog, &resp);
        let seq = sip_fields::cseq(&call.a.invite).map_or(1, |(s, _)| s);
        let ack = call.a.dialog.request_with_cseq(Method::Ack, seq, &me, None);
        let peer = call.a.dialog.peer;
        let _ = self.tx.ack_2xx(now, tx, peer, ack);
        if !still_offered {
            // The ACD's ring timer won (or the call is over): take the answer and hang it up.
            let bye = call.a.dialog.request(Method::Bye, &me, None);
            if let Ok(btx) = self.tx.send_request(now, peer, bye) {
                call.open_client_txs += 1;
                self.client_txs.insert(btx, (id, ClientPurpose::Bye));
            }
            if ringing.is_some() {
                self.abandon_callback_attempt(now, id, false);
            }
            return;
        }
        self.callback_agent_answered(now, id, &resp);
    }

    /// The agent took the call: ringback to the agent, and the customer's number is dialled.
    /// A queue's callback also connects the agent in the ACD and starts its CDR (a
    /// click-to-dial's started at the request).
    fn callback_agent_answered(&mut self, now: Instant, id: CallId, resp: &Response) {
        let Some(cb) = self.calls.get_mut(&id).and_then(|c| c.callback.as_mut()) else {
            return;
        };
        cb.phase = CallbackPhase::Dialling;
        let cb = cb.clone();
        let entry = cb.entry().map(|(k, q)| (k.to_string(), q.to_string()));
        if let Some((key, _)) = &entry {
            self.callback_done(now, key, "agent answered");
        }
        // The agent's answer points the relay's side A at the phone and picks the codec the
        // customer is offered (one law, so the bridge needs no transcoding).
        let _ = self.relay_sdp(id, Side::A, &resp.headers, &resp.body);
        let started = self.calls.get(&id).map(|c| self.wall(c.started));
        let wall = self.wall(now);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.a.final_sent = true;
        call.answered = Some(now);
        call.phase = Phase::Held;
        let te = endpoint_sdp(call).map(|(sdp, codec, te)| {
            call.caller_media = CallerMedia::Switch { sdp, codec };
            te
        });
        if let Some((key, queue)) = &entry {
            call.queue = Some(QueueLeg {
                key: key.clone(),
                queue: queue.clone(),
                priority: 0,
                agent: Some(cb.agent.clone()),
                hold: Default::default(),
            });
            self.acd.calls.insert(key.clone(), id);
            self.open_agent_cdr(id, started.unwrap_or(wall), Some(queue), &cb.agent);
        }
        self.actions.push_back(Action::Endpoint {
            call: id,
            telephone_event_pt: te.flatten(),
        });
        self.play_waiting(id, None);
        if let Some((key, _)) = entry {
            let input = acd::Input::OfferAnswered {
                call: key.clone(),
                agent: cb.agent.clone(),
            };
            if let Err(e) = self.acd_input(now, input) {
                tracing::warn!(call = id, error = %e, "ACD refused the callback's answer");
                if let Some(call) = self.calls.get_mut(&id) {
                    call.queue = None;
                }
                self.acd.calls.remove(&key);
                self.end_callback(
                    now,
                    id,
                    Disposition::Failed,
                    500,
                    "callback offer lost",
                    None,
                );
                return;
            }
        }
        self.callback_dial(now, id, &cb.number);
    }

    /// Dial the customer: an extension directly, else the dialplan route for the number (its
    /// `dial` step rings someone; the plan's failure steps do not run for a callback).
    fn callback_dial(&mut self, now: Instant, id: CallId, number: &str) {
        if self.cfg.users.contains_key(number) {
            let timeout = self.cfg.ring_timeout;
            if let Err((status, _, cause)) = self.ring(now, id, number, timeout) {
                tracing::info!(call = id, %number, %cause, "callback number not reachable");
                let cause = format!("{} not reachable", self.callback_kind(id));
                self.end_callback(now, id, Disposition::Failed, status, &cause, None);
            }
            return;
        }
        let wall = self.wall(now);
        let session = match (&self.dialplans, self.calls.get(&id)) {
            (Some(plans), Some(call)) => ivr::Session::start(
                plans,
                now,
                wall,
                ivr::CallInfo {
                    caller: call.callee.number.clone(),
                    caller_name: call.callee.name.clone().unwrap_or_default(),
                    dialled: number.to_string(),
                },
            )
            .ok(),
            _ => None,
        };
        match (session, self.calls.get_mut(&id)) {
            (Some(session), Some(call)) => {
                call.route = Route::Dialplan(Box::new(session));
                self.drive_ivr(now, id);
            }
            _ if !self.trunks.plan.trunks.is_empty() => {
                // A customer's own number goes out over the trunks, in plan order, failing
                // over as a dial step's (trunk_out.rs).
                let target = super::trunk_out::DialTarget {
                    trunks: self
                        .trunks
                        .plan
                        .trunks
                        .iter()
                        .map(|t| t.name.clone())
                        .collect(),
                    number: number.to_string(),
                };
                let timeout = self.cfg.ring_timeout;
                if let Err((status, _, cause)) = self.dial_trunks(now, id, target, timeout) {
                    tracing::info!(call = id, %number, %cause, "callback not sent over trunks");
                    self.end_callback(now, id, Disposition::Failed, status, cause, None);
                }
            }
            _ => {
                tracing::info!(call = id, %number, "callback number is no extension or route");
                let cause = format!("{} number not routable", self.callback_kind(id));
                self.end_callback(now, id, Disposition::Failed, 404, &cause, None);
            }
        }
    }

    /// A callback call's ring deadline passed: a click-to-dial's agent did not answer, or the
    /// customer did not.
    pub(super) fn callback_ring_timeout(&mut self, now: Instant, id: CallId) {
        let agent_ringing = self
            .calls
            .get(&id)
            .and_then(|c| c.callback.as_ref())
            .is_some_and(|cb| matches!(cb.phase, CallbackPhase::AgentRinging(_)));
        if agent_ringing {
            let cause = "agent did not answer";
            self.click_to_dial_unanswered(now, id, Disposition::NoAnswer, 480, cause);
            return;
        }
        self.cancel_branches(now, id);
        self.callback_not_answered(now, id, 480);
    }

    /// Every branch to the customer failed (`code`: the most telling status) or rang out.
    pub(super) fn callback_not_answered(&mut self, now: Instant, id: CallId, code: u16) {
        let (disposition, what) = match code {
            486 | 600 | 603 => (Disposition::Busy, "busy"),
            408 | 480 | 487 => (Disposition::NoAnswer, "not answered"),
            _ => (Disposition::Failed, "not reachable"),
        };
        let cause = format!("{} {what}", self.callback_kind(id));
        self.end_callback(now, id, disposition, code, &cause, None);
    }

    /// What an agent-first call is called in its CDR causes: `callback` or `click-to-dial`.
    pub(super) fn callback_kind(&self, id: CallId) -> &'static str {
        if self.is_click_to_dial(id) {
            "click-to-dial"
        } else {
            "callback"
        }
    }

    /// The customer answered (the B2BUA already bridged the legs): the call's answer time.
    pub(super) fn callback_customer_answered(&mut self, now: Instant, id: CallId) {
        if let Some(cb) = self.calls.get_mut(&id).and_then(|c| c.callback.as_mut()) {
            cb.phase = CallbackPhase::Connected;
        }
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let at = self.wall(now);
        self.actions.push_back(Action::Cdr(CdrEvent::Answer {
            call_id: call.cdr_id.clone(),
            at,
        }));
    }

    /// End a callback call whose agent answered: CANCEL the customer's branches, BYE every
    /// confirmed leg but `by`'s, close the CDR (the ACD hears the end: the agent wraps up).
    pub(super) fn end_callback(
        &mut self,
        now: Instant,
        id: CallId,
        disposition: Disposition,
        status: u16,
        cause: &str,
        by: Option<(Side, HangupSide)>,
    ) {
        self.cancel_branches(now, id);
        let me = self.cfg.me.clone();
        let mut byes = Vec::new();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.phase == Phase::Ended {
            return;
        }
        self.extension_calls.end(call);
        for side in [Side::A, Side::B] {
            let confirmed = match side {
                Side::A => call.a.final_sent,
                Side::B => call.answered_branch.is_some(),
            };
            if !confirmed || by.is_some_and(|(s, _)| s == side) {
                continue;
            }
            if let Some(d) = call.answered_dialog_mut(side) {
                let bye = d.request(Method::Bye, &me, None);
                byes.push((d.peer, bye));
            }
        }
        if let Some(b) = call.answered_branch.and_then(|i| call.branches.get_mut(i)) {
            b.ended = Some(now);
        }
        for (peer, bye) in byes {
            if let Ok(t) = self.tx.send_request(now, peer, bye) {
                if let Some(call) = self.calls.get_mut(&id) {
                    call.open_client_txs += 1;
                }
                self.client_txs.insert(t, (id, ClientPurpose::Bye));
            }
        }
        let side = by.map(|(_, s)| s).or(Some(HangupSide::Switch));
        self.close_cdr(now, id, disposition, status, cause, side);
        self.reap(id);
    }

    /// A callback attempt that never reached the agent ends without a CDR: the INVITE is
    /// cancelled, the media released, and with `missed` the ACD hears of a missed offer.
    /// A click-to-dial's agent was not reached: its CDR closes (`click_to_dial.rs`).
    pub(super) fn abandon_callback_attempt(&mut self, now: Instant, id: CallId, missed: bool) {
        if self.is_click_to_dial(id) {
            let cause = "agent's phone not reached";
            self.click_to_dial_unanswered(now, id, Disposition::Failed, 500, cause);
            return;
        }
        let Some(cb) = self.calls.get_mut(&id).and_then(|c| c.callback.take()) else {
            return;
        };
        if let CallbackPhase::AgentRinging(tx) = cb.phase {
            let _ = self.tx.cancel(now, tx);
        }
        if let Some(call) = self.calls.get_mut(&id) {
            self.extension_calls.end(call);
            if call.relay.is_some() {
                self.actions.push_back(Action::ReleaseMedia { call: id });
            }
        }
        self.reap(id);
        if let (true, CallbackOrigin::Queue { key, .. }) = (missed, cb.origin) {
            let input = acd::Input::OfferRejected {
                call: key,
                agent: cb.agent,
            };
            let _ = self.acd_input(now, input);
        }
    }

    /// The ACD stops ringing `agent` for the callback `key`. False when no such callback rings.
    pub(super) fn cancel_callback_offer(&mut self, now: Instant, key: &str, agent: &str) -> bool {
        let ringing = self
            .calls
            .iter()
            .filter_map(|(id, c)| Some((id, c.callback.as_ref()?)))
            .find(|(_, cb)| {
                cb.entry().is_some_and(|(k, _)| k == key)
                    && cb.agent == agent
                    && matches!(
                        cb.phase,
                        CallbackPhase::Media | CallbackPhase::AgentRinging(_)
                    )
            })
            .map(|(id, _)| *id);
        match ringing {
            Some(id) => {
                self.abandon_callback_attempt(now, id, false);
                true
            }
            None => false,
        }
    }

    /// A callback call is to end before its customer answered (shutdown, no media, a dialplan
    /// hang-up): handled here instead of as an unanswered caller. False for other calls.
    pub(super) fn callback_unanswered(
        &mut self,
        now: Instant,
        id: CallId,
        disposition: Disposition,
        status: u16,
        cause: &str,
    ) -> bool {
        let Some((phase, queued)) = self
            .calls
            .get(&id)
            .and_then(|c| c.callback.as_ref())
            .map(|cb| (cb.phase, cb.entry().is_some()))
        else {
            return false;
        };
        match phase {
            CallbackPhase::Media | CallbackPhase::AgentRinging(_) if !queued => {
                self.click_to_dial_unanswered(now, id, disposition, status, cause)
            }
            CallbackPhase::Media | CallbackPhase::AgentRinging(_) => {
                self.abandon_callback_attempt(now, id, true)
            }
            CallbackPhase::Dialling | CallbackPhase::Connected => {
                self.end_callback(now, id, disposition, status, cause, None)
            }
        }
        true
    }

    /// Which party a leg is for the CDR and the ACD: a callback's first leg is the agent.
    pub(super) fn party_of(&self, id: CallId, side: Side) -> HangupSide {
        match (
            side,
            self.calls.get(&id).is_some_and(|c| c.callback.is_some()),
        ) {
            (Side::A, false) | (Side::B, true) => HangupSide::Caller,
            _ => HangupSide::Callee,
        }
    }

    /// Who the callback's customer sees calling, for the call `id` (None: not a callback).
    pub(super) fn callback_presented(&self, id: CallId) -> Option<String> {
        self.calls
            .get(&id)
            .and_then(|c| c.callback.as_ref())
            .map(|cb| cb.presented.clone())
    }

    /// Whether `id` is a callback call.
    pub(super) fn is_callback(&self, id: CallId) -> bool {
        self.calls.get(&id).is_some_and(|c| c.callback.is_some())
    }
}
