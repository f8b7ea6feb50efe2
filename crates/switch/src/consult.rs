//! An agent consults a third party from the agent page, whatever the agent's phone (issue 12;
//! docs/acd.md, "Consult, transfer, conference"). The switch, not the phone, does it:
//!
//! - [`Switch::start_consult`]: the customer (side A of the agent's call) hears hold music
//!   (the relay's endpoint on side A), the third party's phone is rung by the switch with an
//!   offer of a *listener* leg on the customer's relay session (the monitoring machinery,
//!   `monitor_dial.rs`), and that leg is paired with the agent's side: agent and third party
//!   talk, their RTP relayed as sent ([`Action::ListenerPaired`]). A queue as the target is no
//!   consultation (nobody to talk to yet): the call is transferred to the queue at once, its
//!   variables naming who transferred it and why, which the next agent's screen pop shows.
//! - [`Switch::complete_consult`]: the agent's leg is hung up (the ACD counts the agent's talk
//!   complete, wrap-up follows) and the listener is paired with the customer's side instead:
//!   customer and third party talk. The customer's call goes on, and ends with either of them.
//! - [`Switch::cancel_consult`]: the third party's call is hung up (or its ringing cancelled);
//!   the listener leaves and customer and agent talk again. The same happens when the third
//!   party hangs up, declines, is busy or does not answer (the outcome is kept for
//!   [`Switch::consult_status`]).
//! - [`Switch::conference_consult`]: the listener is unpaired and mixes as a barging
//!   supervisor does: all three hear each other.
//!
//! Hang-ups: the customer hanging up ends the third party's call too. The agent hanging up
//! while talking with the third party (or in conference) completes the transfer, as
//! Asterisk's attended transfer and most PBXs do; while it still rings, the whole call ends.
//!
//! The steps are in the customer call's variables (so in its CDR and the screen pop):
//! `consult_to`, `consult_reason`, `consult_started_at`, `consult_s` (seconds talked with the
//! third party), `transferred_by`, `transfer_reason`, `transferred_to`, `transferred_at`. The
//! third party's call has a CDR of its own (caller the agent's extension), with `consult_by`,
//! `consult_for` (the customer's CDR id) and `consult_reason`.
//!
//! The agent may be either side of the call: side B when they answered it (a queue call, a
//! direct call), side A when they placed it by click-to-dial. On a click-to-dial call the
//! customer is side B: the relay's endpoint mode is turned to B for the music while the agent
//! consults (`Action::EndpointSide`); complete hangs up the agent's own leg (side A) and the call goes on
//! between the customer and the third party (`consult_leg.rs`).

use super::call::{Phase, Side};
pub use super::consult_error::ConsultError;
use super::consult_events::Step;
use super::consult_target::{Placing, Third};
use super::monitor::{MonitorError, MonitorMode};
use super::sdp::codec_of;
use super::transfer::{AgentLeg, Target};
use super::{Action, CallId, ClientPurpose, Switch};
use crate::records::HangupSide;
use rsip::Response;
use sip::transaction::ClientTxId;
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// The agent's extension on the customer's call, the agent being `side` of it: the answered
/// branch's (B), or a click-to-dial's agent leg (A).
fn agent_extension(call: &super::call::Call, side: Side) -> String {
    match side {
        Side::B => call
            .answered_branch
            .and_then(|i| call.branches.get(i))
            .map(|b| b.extension.clone()),
        Side::A => call.callback.as_ref().map(|cb| cb.extension.clone()),
    }
    .unwrap_or_default()
}

/// Where a consultation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsultState {
    /// The third party's phone rings; the customer hears music.
    Ringing,
    /// Agent and third party talk; the customer hears music.
    Talking,
    /// All three hear each other.
    Conference,
    /// The agent left: customer and third party talk.
    Transferred,
}

impl ConsultState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ringing => "ringing",
            Self::Talking => "talking",
            Self::Conference => "conference",
            Self::Transferred => "transferred",
        }
    }
}

/// What [`Switch::start_consult`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsultStarted {
    /// The third party's phone rings.
    Ringing,
    /// The target was a queue: the call was transferred to it.
    QueueTransfer(String),
}

/// An agent's consultation for the agent page: the one in progress, and how the last ended.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsultStatus {
    pub state: Option<ConsultState>,
    pub target: Option<String>,
    pub reason: Option<String>,
    /// `completed`, `cancelled`, `busy`, `declined`, `no_answer`, `failed`,
    /// `third_hung_up`, `customer_hung_up`, `transferred` (to a queue).
    pub last: Option<&'static str>,
}

#[derive(Debug, Clone)]
pub(crate) struct Consult {
    /// The agent's call with the customer; it owns the relay session.
    customer: CallId,
    agent: String,
    target: String,
    reason: String,
    codec: media::g711::Codec,
    /// The side of the customer's call that is the agent's (A for a click-to-dial).
    agent_side: Side,
    state: ConsultState,
    /// When the third party answered.
    talking_since: Option<Instant>,
    /// How it ended, when the switch knows better than the state (busy, cancelled).
    outcome: Option<&'static str>,
    /// The talk with the third party is being recorded (the customer's call is).
    recording: bool,
}

/// The consultations in progress, by the third party's call, and each agent's last outcome.
#[derive(Debug, Default)]
pub(crate) struct Consults {
    by_third: HashMap<CallId, Consult>,
    last: HashMap<String, &'static str>,
}

impl Consult {
    /// How long agent and third party have talked (zero before the answer).
    fn talked(&self, now: Instant) -> Duration {
        self.talking_since
            .map_or(Duration::ZERO, |since| now.saturating_duration_since(since))
    }
}

impl Consults {
    /// Whether a consultation is on `call` (the customer's): its relay's listener is taken.
    pub fn on_call(&self, call: CallId) -> bool {
        self.by_third.values().any(|c| c.customer == call)
    }

    pub fn is_third(&self, id: CallId) -> bool {
        self.by_third.contains_key(&id)
    }

    fn of_agent(&self, agent: &str) -> Option<(CallId, &Consult)> {
        self.by_third
            .iter()
            .find(|(_, c)| c.agent == agent && c.state != ConsultState::Transferred)
            .map(|(&id, c)| (id, c))
    }

    fn of_customer(&self, customer: CallId) -> Option<(CallId, &Consult)> {
        self.by_third
            .iter()
            .find(|(_, c)| c.customer == customer)
            .map(|(&id, c)| (id, c))
    }
}

impl Switch {
    /// `agent` puts the customer on hold and calls `target` (a queue name or number, an agent
    /// id or an extension), telling it `reason`. See the module's documentation.
    pub fn start_consult(
        &mut self,
        now: Instant,
        agent: &str,
        target: &str,
        reason: &str,
    ) -> Result<ConsultStarted, ConsultError> {
        let (customer, side) = self.agent_call(agent).map_err(|e| match e {
            MonitorError::UnknownAgent(a) => ConsultError::UnknownAgent(a),
            _ => ConsultError::NotOnCall(agent.to_string()),
        })?;
        let placed = side == Side::A;
        if placed && !self.is_click_to_dial(customer) {
            return Err(ConsultError::AgentIsCaller(agent.to_string()));
        }
        if self.consults.on_call(customer) {
            return Err(ConsultError::AlreadyConsulting(agent.to_string()));
        }
        if self.monitors.values().any(|m| m.monitored == customer) {
            return Err(ConsultError::Monitored(agent.to_string()));
        }
        let target = target.trim();
        let reason = reason.trim();
        if target.is_empty() {
            return Err(ConsultError::EmptyTarget);
        }
        let queue = self.acd.numbers.get(target).cloned().or_else(|| {
            self.acd
                .queues
                .contains_key(target)
                .then(|| target.to_string())
        });
        if let (Some(_), true) = (&queue, placed) {
            return Err(ConsultError::QueueFromPlacedCall(agent.to_string()));
        }
        if let Some(queue) = queue {
            self.note_transfer(now, customer, agent, target, reason);
            if self.release_agent_leg(now, customer, AgentLeg::Bye) {
                self.hold_and_send(now, customer, target, Target::Queue(queue.clone()));
            }
            self.consults.last.insert(agent.to_string(), "transferred");
            tracing::info!(call = customer, %agent, %queue, "transferred to a queue from the agent page");
            self.process(now);
            return Ok(ConsultStarted::QueueTransfer(queue));
        }
        let third = self.consult_target(target)?;
        // An outside number is kept as it is dialled (separators gone).
        let target = match &third {
            Third::Outside(number) => number.clone(),
            Third::Extension(_) => target.to_string(),
        };
        let target = target.as_str();
        let Some(call) = self.calls.get(&customer) else {
            return Err(ConsultError::NotOnCall(agent.to_string()));
        };
        let agent_ext = agent_extension(call, side);
        if matches!(&third, Third::Extension(ext) if *ext == agent_ext) {
            return Err(ConsultError::OwnPhone(agent_ext));
        }
        let codec = call.caller_media.codec();
        let queue = call.vars.get("queue").cloned();
        let from = Placing {
            agent,
            agent_name: self.acd.agents.get(agent).and_then(|a| a.name.clone()),
            agent_ext: &agent_ext,
            customer_cdr: call.cdr_id.clone(),
            caller_id: call
                .vars
                .get("caller_id")
                .filter(|v| !v.is_empty())
                .cloned(),
            reason,
        };
        let id = self.place_third(now, third, from)?;
        self.consults.by_third.insert(
            id,
            Consult {
                customer,
                agent: agent.to_string(),
                target: target.to_string(),
                reason: reason.to_string(),
                codec,
                agent_side: side,
                state: ConsultState::Ringing,
                talking_since: None,
                outcome: None,
                recording: false,
            },
        );
        self.consult_event(now, customer, agent, target, Step::Start);
        let started_at = self.wall(now).to_rfc3339();
        if let Some(call) = self.calls.get_mut(&customer) {
            call.vars.insert("consult_to".into(), target.to_string());
            call.vars.insert("consult_started_at".into(), started_at);
            if !reason.is_empty() {
                call.vars
                    .insert("consult_reason".into(), reason.to_string());
            }
        }
        // The customer hears the queue's music (or the call's, or ringback) from now on: side
        // A of an answered call; side B of a click-to-dial, in the law the phones agreed.
        let music = match queue {
            Some(q) => self.queue_music(customer, &q),
            None => self.calls.get(&customer).and_then(|c| c.moh.clone()),
        };
        if side == Side::B {
            self.play_waiting(customer, music);
        } else {
            let codec = (self.calls.get(&customer))
                .and_then(|c| c.a_sdp.as_ref())
                .and_then(codec_of)
                .map_or(media::g711::Codec::Pcmu, |(codec, _)| codec);
            self.actions.push_back(Action::EndpointSide {
                call: customer,
                side: Side::B,
            });
            self.play_waiting_in(customer, music, codec);
        }
        self.actions.push_back(Action::AttachListener {
            call: customer,
            listener: id,
            agent_side: side,
            mode: MonitorMode::Listen,
            codec,
            telephone_event_pt: Some(101),
        });
        self.actions.push_back(Action::ListenerPaired {
            call: customer,
            side: Some(side),
        });
        tracing::info!(call = customer, consult = id, %agent, to = %target, "consultation: ringing the third party");
        Ok(ConsultStarted::Ringing)
    }

    /// The agent leaves; customer and third party talk on (see the module's documentation).
    pub fn complete_consult(&mut self, now: Instant, agent: &str) -> Result<(), ConsultError> {
        let third = self.talking_consult(agent)?;
        self.complete_inner(now, third, AgentLeg::Bye);
        self.process(now);
        Ok(())
    }

    /// The third party's call ends; the agent is back with the customer.
    pub fn cancel_consult(&mut self, now: Instant, agent: &str) -> Result<(), ConsultError> {
        let third = self
            .consults
            .of_agent(agent)
            .map(|(id, _)| id)
            .ok_or_else(|| ConsultError::NotConsulting(agent.to_string()))?;
        if let Some(c) = self.consults.by_third.get_mut(&third) {
            c.outcome = Some("cancelled");
        }
        self.end_third(now, third);
        self.process(now);
        Ok(())
    }

    /// Customer, agent and third party all hear each other.
    pub fn conference_consult(&mut self, now: Instant, agent: &str) -> Result<(), ConsultError> {
        let third = self.talking_consult(agent)?;
        let Some(c) = self.consults.by_third.get_mut(&third) else {
            return Err(ConsultError::NotConsulting(agent.to_string()));
        };
        if c.state == ConsultState::Conference {
            return Ok(());
        }
        c.state = ConsultState::Conference;
        let (customer, target) = (c.customer, c.target.clone());
        self.stop_consult_recording(third);
        self.consult_event(now, customer, agent, &target, Step::Conference);
        self.actions.extend([
            Action::ListenerMode {
                call: customer,
                mode: MonitorMode::Barge,
            },
            Action::ListenerPaired {
                call: customer,
                side: None,
            },
            Action::Bridge { call: customer },
        ]);
        let at = self.epoch_wall(now);
        if let Some(call) = self.calls.get_mut(&customer) {
            call.vars.insert("conference_at".into(), at);
        }
        tracing::info!(call = customer, %agent, "consultation: conference");
        Ok(())
    }

    /// The agent's consultation, in progress or just ended.
    pub fn consult_status(&self, agent: &str) -> ConsultStatus {
        let current = self.consults.of_agent(agent).map(|(_, c)| c);
        ConsultStatus {
            state: current.map(|c| c.state),
            target: current.map(|c| c.target.clone()),
            reason: current.map(|c| c.reason.clone()),
            last: self.consults.last.get(agent).copied(),
        }
    }

    fn epoch_wall(&self, now: Instant) -> String {
        self.wall(now).to_rfc3339()
    }

    /// The agent's consultation whose third party answered.
    fn talking_consult(&self, agent: &str) -> Result<CallId, ConsultError> {
        let (third, c) = self
            .consults
            .of_agent(agent)
            .ok_or_else(|| ConsultError::NotConsulting(agent.to_string()))?;
        match c.state {
            ConsultState::Ringing => Err(ConsultError::NotAnswered),
            _ => Ok(third),
        }
    }

    /// The customer's call says who transferred it, to whom, why and when.
    fn note_transfer(
        &mut self,
        now: Instant,
        customer: CallId,
        agent: &str,
        target: &str,
        reason: &str,
    ) {
        let at = self.epoch_wall(now);
        if let Some(call) = self.calls.get_mut(&customer) {
            call.vars.insert("transferred_by".into(), agent.to_string());
            call.vars
                .insert("transferred_to".into(), target.to_string());
            call.vars.insert("transferred_at".into(), at);
            if !reason.is_empty() {
                call.vars
                    .insert("transfer_reason".into(), reason.to_string());
            }
        }
    }

    /// The agent's leg leaves the customer's call (`how`: the switch hangs it up, or it hung
    /// up itself) and the third party is wired to the customer.
    fn complete_inner(&mut self, now: Instant, third: CallId, how: AgentLeg) {
        let Some(c) = self.consults.by_third.get_mut(&third) else {
            return;
        };
        c.state = ConsultState::Transferred;
        let c = c.clone();
        self.stop_consult_recording(third);
        self.consults.last.insert(c.agent.clone(), "completed");
        self.note_talk(now, &c);
        let target = self
            .calls
            .get(&third)
            .map(|t| t.caller.number.clone())
            .unwrap_or_else(|| c.target.clone());
        self.note_transfer(now, c.customer, &c.agent, &target, &c.reason);
        let talked = c.talked(now);
        self.consult_event(now, c.customer, &c.agent, &c.target, Step::Transfer(talked));
        // For the queue the agent's call is complete: wrap-up, then the next call.
        self.queue_call_ended(now, c.customer, Some(HangupSide::Callee));
        if c.agent_side == Side::B {
            self.release_agent_leg(now, c.customer, how);
        } else {
            self.release_caller_agent(now, c.customer, &target, how);
        }
        self.actions.extend([
            Action::ListenerPaired {
                call: c.customer,
                side: Some(c.agent_side.other()),
            },
            Action::Bridge { call: c.customer },
        ]);
        tracing::info!(call = c.customer, agent = %c.agent, "consultation: transferred");
    }

    /// The third party answered: record the consultation when the customer's call is
    /// recorded (docs/acd.md, "Record").
    fn record_consult(&mut self, third: CallId) {
        let Some(c) = self.consults.by_third.get(&third) else {
            return;
        };
        let customer = c.customer;
        let recorded = self.calls.get(&customer).is_some_and(|k| k.recording);
        let Some(cdr_id) = self.cdr_id_of(third).filter(|_| recorded) else {
            return;
        };
        if let Some(c) = self.consults.by_third.get_mut(&third) {
            c.recording = true;
        }
        self.actions.push_back(Action::StartConsultRecording {
            call: customer,
            cdr_id,
        });
    }

    /// The consultation's recording, if any, ends (talk over, conference or transfer).
    fn stop_consult_recording(&mut self, third: CallId) {
        let Some(c) = self
            .consults
            .by_third
            .get_mut(&third)
            .filter(|c| c.recording)
        else {
            return;
        };
        c.recording = false;
        let call = c.customer;
        self.actions
            .push_back(Action::StopConsultRecording { call });
    }

    /// The seconds agent and third party talked, on the customer's call.
    fn note_talk(&mut self, now: Instant, c: &Consult) {
        let Some(since) = c.talking_since else {
            return;
        };
        let secs = now.saturating_duration_since(since).as_secs();
        if let Some(call) = self.calls.get_mut(&c.customer) {
            call.vars.insert("consult_s".into(), secs.to_string());
        }
    }

    /// Hang up the third party's call, or cancel its ringing.
    fn end_third(&mut self, now: Instant, third: CallId) {
        let phase = self.calls.get(&third).map(|c| c.phase);
        match phase {
            Some(Phase::Answered) => self.hang_up(now, third, None, "consultation ended"),
            Some(Phase::Ended) | None => {}
            Some(Phase::Ringing { .. }) => {
                let pending: Vec<ClientTxId> = self
                    .client_txs
                    .iter()
                    .filter(|(_, (c, p))| *c == third && matches!(p, ClientPurpose::ConsultInvite))
                    .map(|(tx, _)| *tx)
                    .collect();
                for tx in pending {
                    let _ = self.tx.cancel(now, tx);
                }
                self.finish_unanswered(
                    now,
                    third,
                    487,
                    "Request Terminated",
                    crate::records::Disposition::Cancelled,
                    "consultation cancelled",
                    None,
                );
            }
            Some(_) => self.fail_call(
                now,
                third,
                487,
                "Request Terminated",
                "consultation cancelled",
            ),
        }
    }

    /// The relay has a listener for third party `id` (or none): ring its phone.
    pub(super) fn consult_attached(
        &mut self,
        now: Instant,
        id: CallId,
        result: Result<(IpAddr, u16), String>,
    ) {
        let Some(codec) = self.consults.by_third.get(&id).map(|c| c.codec) else {
            return;
        };
        match result {
            Ok(at) => self.listener_invite(now, id, at, codec, ClientPurpose::ConsultInvite),
            Err(reason) => {
                tracing::warn!(call = id, %reason, "no listener for a consultation");
                if let Some(c) = self.consults.by_third.get_mut(&id) {
                    c.outcome = Some("failed");
                }
                self.fail_call(now, id, 503, "No Media Ports", "no media ports");
            }
        }
        self.process(now);
    }

    /// The third party's phone answered the INVITE (`code`), or not.
    pub(super) fn on_consult_invite_response(
        &mut self,
        now: Instant,
        id: CallId,
        tx: ClientTxId,
        code: u16,
        resp: Option<Response>,
    ) {
        let wanted = self.consults.is_third(id);
        // A carrier's challenge is answered once with the trunk's credentials.
        if wanted && matches!(code, 401 | 407) {
            if let Some(r) = resp.as_ref() {
                if self.consult_trunk_challenge(now, id, r) {
                    return;
                }
            }
        }
        if let Some(c) = self.consults.by_third.get_mut(&id) {
            if !(200..300).contains(&code) && c.outcome.is_none() {
                c.outcome = Some(match code {
                    486 | 600 => "busy",
                    603 => "declined",
                    408 | 480 | 487 => "no_answer",
                    _ => "failed",
                });
            }
        }
        let who = "the consulted phone";
        let Some(resp) = self.listener_phone_answered(now, (id, tx), code, resp, wanted, who)
        else {
            return;
        };
        let target = super::sdp::parse_sdp(&resp.body)
            .ok()
            .and_then(|s| s.audio_target());
        let Some(c) = self.consults.by_third.get_mut(&id) else {
            return;
        };
        let Some(t) = target else {
            c.outcome = Some("failed");
            self.hang_up(now, id, None, "the consulted phone answered without media");
            return;
        };
        c.state = ConsultState::Talking;
        c.talking_since = Some(now);
        let customer = c.customer;
        self.actions.push_back(Action::ListenerRemote {
            call: customer,
            rtp: t.rtp,
            rtcp: t.rtcp,
        });
        self.record_consult(id);
        tracing::info!(call = customer, consult = id, "consultation: talking");
    }

    /// Call `id` is ending (from `close_cdr`): a third party's call ends its consultation (the
    /// agent back with the customer, or, once transferred, the customer's call ends too); a
    /// customer's call ends its third party's.
    pub(super) fn consult_call_ended(&mut self, now: Instant, id: CallId) {
        self.stop_consult_recording(id);
        if let Some(c) = self.consults.by_third.remove(&id) {
            let outcome = c.outcome.unwrap_or(match c.state {
                ConsultState::Ringing => "no_answer",
                ConsultState::Talking | ConsultState::Conference => "third_hung_up",
                ConsultState::Transferred => "completed",
            });
            if c.state != ConsultState::Transferred {
                self.consults.last.insert(c.agent.clone(), outcome);
                self.note_talk(now, &c);
                let step = Step::End(c.talked(now));
                self.consult_event(now, c.customer, &c.agent, &c.target, step);
            }
            tracing::info!(call = c.customer, consult = id, agent = %c.agent, %outcome, "consultation ended");
            if c.state == ConsultState::Transferred {
                self.hang_up(now, c.customer, None, "transfer target hung up");
                return;
            }
            // Back to the customer: the listener leaves, the music stops, A⇄B again.
            self.actions.extend([
                Action::RemoveListener { call: c.customer },
                Action::Bridge { call: c.customer },
            ]);
            return;
        }
        while let Some((third, c)) = self.consults.of_customer(id) {
            let c = c.clone();
            self.stop_consult_recording(third);
            self.consults.by_third.remove(&third);
            if c.state != ConsultState::Transferred {
                self.consults
                    .last
                    .insert(c.agent.clone(), "customer_hung_up");
                let step = Step::End(c.talked(now));
                self.consult_event(now, id, &c.agent, &c.target, step);
            }
            self.end_third(now, third);
        }
    }

    /// Side `by` hung up call `id` (from `hang_up`): when it is the agent, talking with a
    /// third party (or in conference), the transfer completes instead of the call ending.
    /// True if so.
    pub(super) fn consult_agent_left(
        &mut self,
        now: Instant,
        id: CallId,
        by: Option<(Side, HangupSide)>,
    ) -> bool {
        let Some((side, _)) = by else {
            return false;
        };
        let third = match self.consults.of_customer(id) {
            Some((third, c))
                if c.agent_side == side
                    && matches!(c.state, ConsultState::Talking | ConsultState::Conference) =>
            {
                third
            }
            _ => return false,
        };
        self.complete_inner(now, third, AgentLeg::Gone);
        true
    }
}
