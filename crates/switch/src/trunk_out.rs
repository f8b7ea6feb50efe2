//! Calls out over trunks. A dialplan's `dial` step (or a callback) names the carriers and the
//! number: `trunk:carrier-a|carrier-b/${number}`, tried in that order. Before anything is
//! sent the number is checked against the plan's deny prefixes (403 to the plan). A trunk is
//! skipped when its pings say it is down, its host has no address yet, or it has no channel
//! or call-rate token left. The INVITE goes to the carrier with the number in its form
//! (`trunk::rewrite`), From and `P-Asserted-Identity` the presented number (the plan's
//! `caller_id` variable, else the trunk's `caller_id`, else the caller's), or `anonymous`
//! with `Privacy: id` when it is withheld (RFC 3325). A 401/407 is answered once with the
//! trunk's credentials (same Call-ID, next CSeq, new branch); a second challenge fails the
//! attempt. A 503, a 408 or no answer at all within the trunk's `answer_timeout` moves to the
//! trunk's next address (RFC 3263 §4.3: the order the driver resolved), then to the next
//! trunk; any other 5xx moves to the next trunk at once (that server answered, another
//! address of the same carrier would not do better); any other failure (busy, not found,
//! declined) ends the dial. Each attempt emits a `CdrEvent::Trunk`, so the last one names the
//! trunk that carried the call.

use super::call::{Branch, BranchState, Phase};
use super::dialog::Dialog;
use super::sdp::parse_sdp;
use super::trunk_state::Trunks;
use super::{Action, CallId, ClientPurpose, CoreTimer, Side, Switch};
use crate::records::{CdrEvent, CdrTrunk, Direction};
use rsip::{Header, Method, Response};
use sip::auth::client::Challenge;
use std::time::{Duration, Instant};

/// The prefix of dial targets that go out over trunks.
pub const TRUNK_PREFIX: &str = "trunk:";

/// `trunk:<name>[|<name>...]/<number>`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DialTarget {
    pub trunks: Vec<String>,
    pub number: String,
}

impl DialTarget {
    /// None: not a trunk target. Some(None): a trunk target that makes no sense.
    pub fn parse(target: &str) -> Option<Option<DialTarget>> {
        let rest = target.strip_prefix(TRUNK_PREFIX)?;
        let parsed = rest.split_once('/').and_then(|(names, number)| {
            let trunks: Vec<String> = names
                .split('|')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .collect();
            let number = number.trim().to_string();
            (!trunks.is_empty() && !number.is_empty()).then_some(DialTarget { trunks, number })
        });
        Some(parsed)
    }
}

/// A dial over trunks: what is left to try and what is being tried.
#[derive(Debug)]
pub struct TrunkDial {
    trunks: Vec<String>,
    next: usize,
    /// The number as dialled.
    number: String,
    /// The offer every attempt carries (the relay's side B).
    body: Option<Vec<u8>>,
    /// The addresses of the trunk being tried that are left, in order.
    spare: Vec<sip::Peer>,
    pub(super) attempt: Option<Attempt>,
}

/// One INVITE to one carrier.
#[derive(Debug)]
pub(super) struct Attempt {
    pub trunk: String,
    pub branch: usize,
    /// A 401/407 was answered already.
    pub challenged: bool,
    /// The carrier said anything (a provisional response).
    pub heard: bool,
    /// The attempt holds one of the trunk's channels.
    pub channel: bool,
    pub started: Instant,
    /// The trunk's `answer_timeout`: silence for this long gives the attempt up.
    pub answer_timeout: Duration,
    /// `P-Asserted-Identity` and `Privacy`, sent again with credentials.
    pub identity: Vec<Header>,
}

/// [`Attempt::branch`] of a consultation's leg to a carrier: the call's A leg, no branch.
const CONSULT_LEG: usize = usize::MAX;

/// Whether a failure moves on to the next trunk: the carrier's trouble, not the callee's.
fn fails_over(code: u16) -> bool {
    code == 408 || (500..600).contains(&code)
}

/// Whether a failure moves on to the trunk's next address first: that server is unreachable
/// or overloaded (RFC 3263 §4.3), another of the carrier's may take the call.
fn tries_next_address(code: u16) -> bool {
    code == 408 || code == 503
}

/// Who the carrier is told calls: `wanted` (a number, or `anonymous`), withheld or not;
/// `fallback` is asserted when `wanted` is `anonymous` and the trunk has no caller ID.
pub(super) struct Presented {
    pub wanted: String,
    pub withheld: bool,
    pub fallback: String,
}

/// The dialog of an INVITE to a carrier, with its identity headers.
pub(super) struct CarrierLeg {
    pub dialog: Dialog,
    pub local_tag: String,
    /// `P-Asserted-Identity` (and `Privacy: id` when withheld).
    pub identity: Vec<Header>,
    /// The number presented, for the CDR (`None`: withheld).
    pub caller_id: Option<String>,
}

/// The dialog towards `setup` at `peer` for `dialled` (already in the trunk's form): From and
/// `P-Asserted-Identity` as [`Presented`] says (RFC 3325), From's host the carrier's for a
/// registering trunk, else our domain.
pub(super) fn carrier_leg(
    setup: &trunk::TrunkSetup,
    peer: sip::Peer,
    dialled: &str,
    p: Presented,
    domain: &str,
) -> CarrierLeg {
    let asserted = if p.wanted.eq_ignore_ascii_case("anonymous") {
        setup.caller_id.clone().unwrap_or(p.fallback)
    } else {
        p.wanted.clone()
    };
    let from_host = if setup.register.is_some() {
        Trunks::host_port(setup)
    } else {
        domain.to_string()
    };
    let uri = format!("sip:{dialled}@{}", Trunks::host_port(setup));
    let local_tag = sip::message::new_tag();
    let local = if p.withheld {
        format!("\"Anonymous\" <sip:anonymous@anonymous.invalid>;tag={local_tag}")
    } else {
        format!("<sip:{}@{from_host}>;tag={local_tag}", p.wanted)
    };
    let dialog = Dialog {
        call_id: sip::message::new_call_id(domain),
        local,
        remote: format!("<{uri}>"),
        remote_target: uri,
        local_cseq: 0,
        peer,
        contact_user: if p.withheld {
            "anonymous".into()
        } else {
            p.wanted.clone()
        },
        // Learnt from the carrier's 18x/2xx Record-Route (`route_set.rs`).
        route_set: Vec::new(),
    };
    let mut identity = vec![Header::Other(
        "P-Asserted-Identity".into(),
        format!("<sip:{asserted}@{from_host}>"),
    )];
    if p.withheld {
        identity.push(Header::Other("Privacy".into(), "id".into()));
    }
    CarrierLeg {
        dialog,
        local_tag,
        identity,
        caller_id: (!p.withheld).then_some(p.wanted),
    }
}

/// The INVITE of `dialog` again after a carrier's challenge: built afresh on the same dialog
/// (next CSeq, new branch), with the first INVITE's identity headers and the answer to the
/// challenge with the trunk's credentials.
fn authorized_invite(
    dialog: &mut Dialog,
    me: &super::dialog::Me,
    body: Option<Vec<u8>>,
    identity: Vec<Header>,
    (challenge, creds): (&Challenge, &trunk::Credentials),
) -> rsip::Request {
    let uri = dialog.remote_target.clone();
    let mut invite = dialog.request(Method::Invite, me, body.map(|b| ("application/sdp", b)));
    invite
        .headers
        .push(Header::Allow(super::dialog::ALLOW.into()));
    invite.headers.extend(identity);
    let cnonce = sip::message::new_tag();
    invite.headers.push(challenge.answer(
        &creds.username,
        &creds.password,
        "INVITE",
        &uri,
        &cnonce,
        1,
    ));
    invite
}

impl Switch {
    /// Start dialling `target` for call `id` (its caller is held by the switch or waiting).
    /// On failure: the status, reason and CDR cause, and nothing was sent.
    pub(super) fn dial_trunks(
        &mut self,
        now: Instant,
        id: CallId,
        target: DialTarget,
        ring_timeout: Duration,
    ) -> Result<(), (u16, &'static str, &'static str)> {
        if let Some(prefix) = self.trunks.plan.denied(&target.number) {
            tracing::info!(call = id, number = %target.number, %prefix, "number denied for trunks");
            return Err((403, "Forbidden (Number Denied)", "number denied"));
        }
        let Some(call) = self.calls.get_mut(&id) else {
            return Err((500, "Server Internal Error", "call vanished"));
        };
        let Some(ports) = call.relay else {
            return Err((500, "Server Internal Error", "no media"));
        };
        let offer = match call.caller_media.sdp() {
            Some(ours) => parse_sdp(ours).ok(),
            None => call.a_sdp.clone(),
        };
        let body = offer.map(|s| s.rewrite_for_relay(ports.ip, ports.b_port).into_bytes());
        self.extension_calls.set_callee(call, target.number.clone());
        call.callee.name = None;
        call.trunk_out = Some(Box::new(TrunkDial {
            trunks: target.trunks,
            next: 0,
            number: target.number,
            body,
            spare: Vec::new(),
            attempt: None,
        }));
        if !self.next_trunk_attempt(now, id) {
            return Err((503, "Service Unavailable (No Trunk)", "no trunk available"));
        }
        let deadline = now + ring_timeout;
        if let Some(call) = self.calls.get_mut(&id) {
            call.phase = Phase::Ringing {
                deadline: Some(deadline),
                best_failure: None,
            };
        }
        self.arm(deadline, CoreTimer::RingTimeout(id));
        Ok(())
    }

    /// Send the INVITE to the next trunk that can take it. False: none is left.
    fn next_trunk_attempt(&mut self, now: Instant, id: CallId) -> bool {
        loop {
            let Some(dial) = self.calls.get_mut(&id).and_then(|c| c.trunk_out.as_mut()) else {
                return false;
            };
            let Some(name) = dial.trunks.get(dial.next).cloned() else {
                return false;
            };
            dial.next += 1;
            let Some(setup) = self.trunks.plan.trunk(&name).cloned() else {
                tracing::warn!(call = id, trunk = %name, "dial names an unknown trunk");
                continue;
            };
            let mut addresses = self.trunks.addresses(&setup).into_iter();
            let Some(peer) = addresses.next() else {
                tracing::info!(call = id, trunk = %name, "trunk has no address yet: skipped");
                continue;
            };
            let down = self
                .trunks
                .state
                .get(&name)
                .is_none_or(|r| r.health.as_ref().is_some_and(|h| !h.usable()));
            if down {
                tracing::info!(call = id, trunk = %name, "trunk down: skipped");
                continue;
            }
            dial.spare = addresses.collect();
            if self.try_trunk_address(now, id, &setup, peer) {
                return true;
            }
        }
    }

    /// Send the INVITE to the next address of the trunk just tried. False: none is left (or
    /// the trunk has no channel or call-rate token for it).
    fn next_address_attempt(&mut self, now: Instant, id: CallId) -> bool {
        let Some(dial) = self.calls.get_mut(&id).and_then(|c| c.trunk_out.as_mut()) else {
            return false;
        };
        let Some(name) = dial.attempt.as_ref().map(|a| a.trunk.clone()) else {
            return false;
        };
        if dial.spare.is_empty() {
            return false;
        }
        let peer = dial.spare.remove(0);
        let Some(setup) = self.trunks.plan.trunk(&name).cloned() else {
            return false;
        };
        tracing::info!(call = id, trunk = %name, %peer, "carrier address failed: next address");
        self.try_trunk_address(now, id, &setup, peer)
    }

    /// One attempt on `setup` at `peer`, if the trunk has a channel and a call-rate token.
    fn try_trunk_address(
        &mut self,
        now: Instant,
        id: CallId,
        setup: &trunk::TrunkSetup,
        peer: sip::Peer,
    ) -> bool {
        let Some(runtime) = self.trunks.state.get_mut(&setup.name) else {
            return false;
        };
        if !runtime.limits.take_outbound(now) {
            runtime.refused_full += 1;
            tracing::info!(call = id, trunk = %setup.name, "trunk full or over its call rate: skipped");
            return false;
        }
        runtime.calls_out += 1;
        if self.send_trunk_invite(now, id, setup, peer) {
            return true;
        }
        self.trunks.release(&setup.name);
        false
    }

    /// After a carrier's failure `code`: the trunk's next address when the code says so, else
    /// (or when none is left) the next trunk. False: nothing is left to try.
    fn fail_over(&mut self, now: Instant, id: CallId, code: u16) -> bool {
        (tries_next_address(code) && self.next_address_attempt(now, id))
            || self.next_trunk_attempt(now, id)
    }

    /// The INVITE of one attempt; false when it could not be sent.
    fn send_trunk_invite(
        &mut self,
        now: Instant,
        id: CallId,
        setup: &trunk::TrunkSetup,
        peer: sip::Peer,
    ) -> bool {
        let cc = self.trunks.plan.country_code.clone();
        let domain = self.cfg.domain.clone();
        let Some(call) = self.calls.get_mut(&id) else {
            return false;
        };
        let Some(dial) = call.trunk_out.as_ref() else {
            return false;
        };
        let dialled = trunk::rewrite(&dial.number, setup, &cc);
        let body = dial.body.clone();
        // The number we present: the plan's (per queue or campaign), the trunk's, a
        // callback's queue number, the caller's.
        let wanted = call
            .vars
            .get("caller_id")
            .filter(|v| !v.is_empty())
            .cloned()
            .or_else(|| setup.caller_id.clone())
            .or_else(|| call.callback.as_ref().map(|cb| cb.presented.clone()))
            .unwrap_or_else(|| call.caller.number.clone());
        let privacy_asked = call.a.invite.headers.iter().any(|h| {
            matches!(h, Header::Other(n, v) if n.eq_ignore_ascii_case("Privacy")
                && v.split(';').any(|p| p.trim().eq_ignore_ascii_case("id")))
        });
        let presented = Presented {
            withheld: privacy_asked || wanted.eq_ignore_ascii_case("anonymous"),
            wanted,
            fallback: call.caller.number.clone(),
        };
        let CarrierLeg {
            mut dialog,
            local_tag,
            identity,
            caller_id,
        } = carrier_leg(setup, peer, &dialled, presented, &domain);
        let b_call_id = dialog.call_id.clone();
        let mut invite = dialog.request(
            Method::Invite,
            &self.cfg.me,
            body.map(|b| ("application/sdp", b)),
        );
        invite
            .headers
            .push(Header::Allow(super::dialog::ALLOW.into()));
        invite.headers.extend(identity.clone());
        let tx = match self.tx.send_request(now, peer, invite) {
            Ok(tx) => tx,
            Err(e) => {
                tracing::warn!(call = id, trunk = %setup.name, error = %e, "INVITE to the carrier not sent");
                return false;
            }
        };
        let index = call.branches.len();
        call.branches
            .push(Branch::trying(tx, dialog, now, dialled.clone()));
        call.open_client_txs += 1;
        if let Some(dial) = call.trunk_out.as_mut() {
            dial.attempt = Some(Attempt {
                trunk: setup.name.clone(),
                branch: index,
                challenged: false,
                heard: false,
                channel: true,
                started: now,
                answer_timeout: setup.answer_timeout,
                identity,
            });
        }
        let cdr = CdrTrunk {
            call_id: call.cdr_id.clone(),
            direction: Direction::Outbound,
            trunk: setup.name.clone(),
            did: None,
            caller_id,
            dialled: Some(dialled),
        };
        self.client_txs
            .insert(tx, (id, ClientPurpose::BranchInvite(index)));
        self.dialogs.insert((b_call_id, local_tag), (id, Side::B));
        self.actions.push_back(Action::Cdr(CdrEvent::Trunk(cdr)));
        self.arm(now + setup.answer_timeout, CoreTimer::TrunkSetup(id));
        true
    }

    /// A response on branch `i` of call `id`, seen before the B2BUA's own handling. True when
    /// the trunk logic took it (a challenge answered, or a failover started).
    pub(super) fn trunk_branch_response(
        &mut self,
        now: Instant,
        id: CallId,
        i: usize,
        code: u16,
        resp: Option<&Response>,
    ) -> bool {
        let Some(attempt) = self
            .calls
            .get_mut(&id)
            .and_then(|c| c.trunk_out.as_mut())
            .and_then(|d| d.attempt.as_mut())
            .filter(|a| a.branch == i)
        else {
            return false;
        };
        if code < 200 {
            attempt.heard = true;
            return false;
        }
        if code < 300 {
            return false;
        }
        let trunk = attempt.trunk.clone();
        let challenged = attempt.challenged;
        if matches!(code, 401 | 407)
            && !challenged
            && self.answer_trunk_challenge(now, id, i, &trunk, resp)
        {
            return true;
        }
        self.end_attempt(now, id, i, code);
        let ringing = self
            .calls
            .get(&id)
            .is_some_and(|c| matches!(c.phase, Phase::Ringing { .. }));
        if fails_over(code) && ringing {
            tracing::info!(call = id, %trunk, status = code, "carrier failed: failing over");
            return self.fail_over(now, id, code);
        }
        false
    }

    /// The attempt on branch `i` is over: its channel is given back and the branch failed.
    fn end_attempt(&mut self, now: Instant, id: CallId, i: usize, code: u16) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let released = call
            .trunk_out
            .as_mut()
            .and_then(|d| d.attempt.as_mut())
            .filter(|a| a.branch == i && a.channel)
            .map(|a| {
                a.channel = false;
                a.trunk.clone()
            });
        if let Some(b) = call.branches.get_mut(i) {
            b.invite_pending = false;
            if b.state != BranchState::Cancelled {
                b.state = BranchState::Failed(code);
            }
            b.final_status = Some(code);
            b.ended.get_or_insert(now);
        }
        if let Some(t) = released {
            self.trunks.release(&t);
        }
    }

    /// Send the INVITE of branch `i` again with credentials for the carrier's challenge.
    /// False: no credentials, or a challenge we cannot answer.
    fn answer_trunk_challenge(
        &mut self,
        now: Instant,
        id: CallId,
        i: usize,
        trunk: &str,
        resp: Option<&Response>,
    ) -> bool {
        let Some(creds) = self
            .trunks
            .plan
            .trunk(trunk)
            .and_then(|t| t.credentials.clone())
        else {
            return false;
        };
        let Some(challenge) =
            resp.and_then(|r| Challenge::from_response(r, creds.realm.as_deref()).ok())
        else {
            return false;
        };
        let me = self.cfg.me.clone();
        let Some(call) = self.calls.get_mut(&id) else {
            return false;
        };
        let body = call.trunk_out.as_ref().and_then(|d| d.body.clone());
        let identity = call
            .trunk_out
            .as_ref()
            .and_then(|d| d.attempt.as_ref())
            .map(|a| a.identity.clone())
            .unwrap_or_default();
        let Some(branch) = call.branches.get_mut(i) else {
            return false;
        };
        let answer = (&challenge, &creds);
        let invite = authorized_invite(&mut branch.dialog, &me, body, identity, answer);
        let peer = branch.dialog.peer;
        let tx = match self.tx.send_request(now, peer, invite) {
            Ok(tx) => tx,
            Err(_) => return false,
        };
        branch.tx = tx;
        branch.invite_cseq = branch.dialog.local_cseq;
        branch.state = BranchState::Trying;
        branch.invite_pending = true;
        call.open_client_txs += 1;
        if let Some(a) = call.trunk_out.as_mut().and_then(|d| d.attempt.as_mut()) {
            a.challenged = true;
        }
        self.client_txs
            .insert(tx, (id, ClientPurpose::BranchInvite(i)));
        true
    }

    /// The trunk's `answer_timeout` after an attempt: a carrier that said nothing at all is
    /// given up (CANCEL, which the transaction layer holds until a provisional comes) and the
    /// trunk's next address, else the next trunk, tried.
    pub(super) fn trunk_setup_timeout(&mut self, now: Instant, id: CallId) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let Some(a) = call.trunk_out.as_ref().and_then(|d| d.attempt.as_ref()) else {
            return;
        };
        let silent = !a.heard
            && a.started + a.answer_timeout <= now
            && matches!(call.phase, Phase::Ringing { .. })
            && call
                .branches
                .get(a.branch)
                .is_some_and(|b| b.state == BranchState::Trying);
        if !silent {
            return;
        }
        let (i, trunk) = (a.branch, a.trunk.clone());
        if let Some(b) = self.calls.get_mut(&id).and_then(|c| c.branches.get_mut(i)) {
            b.state = BranchState::Cancelled;
            let _ = self.tx.cancel(now, b.tx);
        }
        self.end_attempt(now, id, i, 408);
        tracing::info!(call = id, %trunk, "carrier silent: failing over");
        if !self.fail_over(now, id, 408) {
            self.branch_failed(now, id, i, 408);
        }
    }

    /// A consultation's third party at an outside `number` (`consult_target.rs`): the first
    /// trunk in plan order that can take a call now (up, an address known, a channel and a
    /// call-rate token free, both taken here), and the dialog to its first address presenting
    /// `presented` (the customer's call's `caller_id` variable), else the trunk's caller ID,
    /// else `fallback` (the agent's extension). The carrier is the call's own A leg, not a branch, and there is no
    /// failover: a failure puts the agent back with the customer. The returned [`TrunkDial`]
    /// holds the channel, given back when the call ends. `None`: no trunk can.
    pub(super) fn consult_over_trunk(
        &mut self,
        now: Instant,
        number: &str,
        presented: Option<String>,
        fallback: &str,
    ) -> Option<(CarrierLeg, Box<TrunkDial>, CdrTrunk)> {
        let cc = self.trunks.plan.country_code.clone();
        let setups: Vec<trunk::TrunkSetup> = self.trunks.plan.trunks.clone();
        for setup in setups {
            if !self.trunks.can_try(&setup) {
                continue;
            }
            let Some(peer) = self.trunks.peer(&setup) else {
                continue;
            };
            let Some(runtime) = self.trunks.state.get_mut(&setup.name) else {
                continue;
            };
            if !runtime.limits.take_outbound(now) {
                runtime.refused_full += 1;
                continue;
            }
            runtime.calls_out += 1;
            let dialled = trunk::rewrite(number, &setup, &cc);
            let wanted = presented
                .clone()
                .or_else(|| setup.caller_id.clone())
                .unwrap_or_else(|| fallback.to_string());
            let p = Presented {
                withheld: wanted.eq_ignore_ascii_case("anonymous"),
                wanted,
                fallback: fallback.to_string(),
            };
            let leg = carrier_leg(&setup, peer, &dialled, p, &self.cfg.domain);
            let cdr = CdrTrunk {
                call_id: String::new(),
                direction: Direction::Outbound,
                trunk: setup.name.clone(),
                did: None,
                caller_id: leg.caller_id.clone(),
                dialled: Some(dialled),
            };
            let dial = Box::new(TrunkDial {
                trunks: vec![setup.name.clone()],
                next: 1,
                number: number.to_string(),
                body: None,
                spare: Vec::new(),
                attempt: Some(Attempt {
                    trunk: setup.name.clone(),
                    branch: CONSULT_LEG,
                    challenged: false,
                    heard: false,
                    channel: true,
                    started: now,
                    answer_timeout: setup.answer_timeout,
                    identity: leg.identity.clone(),
                }),
            });
            tracing::info!(trunk = %setup.name, %number, "consultation over a trunk");
            return Some((leg, dial, cdr));
        }
        None
    }

    /// A carrier challenged (401/407) the INVITE of consultation leg `id`: send it again with
    /// the trunk's credentials, once. False: not a trunk leg, challenged already, or no
    /// credentials for this challenge.
    pub(super) fn consult_trunk_challenge(
        &mut self,
        now: Instant,
        id: CallId,
        resp: &Response,
    ) -> bool {
        let Some(attempt) = self
            .calls
            .get(&id)
            .and_then(|c| c.trunk_out.as_ref())
            .and_then(|d| d.attempt.as_ref())
            .filter(|a| a.branch == CONSULT_LEG && !a.challenged)
        else {
            return false;
        };
        let identity = attempt.identity.clone();
        let Some(creds) = self
            .trunks
            .plan
            .trunk(&attempt.trunk)
            .and_then(|t| t.credentials.clone())
        else {
            return false;
        };
        let Ok(challenge) = Challenge::from_response(resp, creds.realm.as_deref()) else {
            return false;
        };
        let me = self.cfg.me.clone();
        let Some(call) = self.calls.get_mut(&id) else {
            return false;
        };
        let body = call.caller_media.sdp().cloned();
        let answer = (&challenge, &creds);
        let invite = authorized_invite(&mut call.a.dialog, &me, body, identity, answer);
        call.a.invite = invite.clone();
        let peer = call.a.dialog.peer;
        let Ok(tx) = self.tx.send_request(now, peer, invite) else {
            return false;
        };
        call.open_client_txs += 1;
        if let Some(a) = call.trunk_out.as_mut().and_then(|d| d.attempt.as_mut()) {
            a.challenged = true;
        }
        self.client_txs
            .insert(tx, (id, ClientPurpose::ConsultInvite));
        true
    }

    /// For the contact row of an outbound trunk call: the number dialled.
    pub(super) fn trunk_dialled(&self, id: CallId) -> Option<String> {
        let dial = self.calls.get(&id)?.trunk_out.as_ref()?;
        Some(trunk::to_e164(
            &dial.number,
            trunk::NumberFormat::National,
            &self.trunks.plan.country_code,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dial_targets_parse() {
        assert_eq!(DialTarget::parse("1002"), None);
        assert_eq!(
            DialTarget::parse("trunk:a|b/01012345678"),
            Some(Some(DialTarget {
                trunks: vec!["a".into(), "b".into()],
                number: "01012345678".into()
            }))
        );
        assert_eq!(DialTarget::parse("trunk:a/"), Some(None));
        assert_eq!(DialTarget::parse("trunk:/123"), Some(None));
        assert_eq!(DialTarget::parse("trunk:a"), Some(None));
        assert!(fails_over(503) && fails_over(500) && fails_over(408));
        assert!(!fails_over(486) && !fails_over(404) && !fails_over(603));
        assert!(tries_next_address(503) && tries_next_address(408));
        assert!(!tries_next_address(500) && !tries_next_address(502));
    }
}
