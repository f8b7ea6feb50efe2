//! Responses on a callee's branch: ringing and early media, the answer that wins (or a late one
//! that is hung up), and failures. What a failure means depends on who is waiting for the
//! branch ([`Decider`]): a callback ends, the ACD offers the caller again, the dialplan hears
//! the dial result, or the caller hears the most telling status once every branch failed.

use super::call::{failure_rank, BranchState, Call, Phase, Side};
use super::dialog::set_body;
use super::invite::learn_remote;
use super::{sip_fields, Action, CallId, ClientPurpose, Switch};
use crate::records::{CdrEvent, Disposition, HangupSide};
use rsip::{Method, Response};
use sip::transaction::ClientTxId;
use std::time::Instant;

/// Who decides what a failed branch means for its call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decider {
    /// A callback's customer: when nobody rings any more, the callback ends.
    Callback,
    /// An agent offered a queued call: the ACD decides what the caller gets next.
    Queue,
    /// A dialplan's `dial` step: the plan hears the result.
    Dialplan,
    /// The caller dialled an extension: the most telling failure ends the call.
    Caller,
}

impl Decider {
    fn of(call: &Call) -> Decider {
        if call.callback.is_some() {
            Decider::Callback
        } else if call.queue.is_some() {
            Decider::Queue
        } else if call.route.plan().is_some() {
            Decider::Dialplan
        } else {
            Decider::Caller
        }
    }
}

impl Switch {
    /// A response (or `Err(408)`-style timeout, as `code` without `resp`) on branch `i`.
    pub(super) fn on_branch_response(
        &mut self,
        now: Instant,
        id: CallId,
        i: usize,
        tx: ClientTxId,
        code: u16,
        resp: Option<Response>,
    ) {
        if self.trunk_branch_response(now, id, i, code, resp.as_ref()) {
            return;
        }
        if code == 100 {
            return;
        }
        // Once a 2xx confirmed the dialog, its route set and target stay (RFC 3261 §12.1.2):
        // a reordered 18x cannot change them.
        if let (Some(r), Some(b)) = (
            &resp,
            self.calls.get_mut(&id).and_then(|c| c.branches.get_mut(i)),
        ) {
            if b.state != BranchState::Answered {
                learn_remote(&mut b.dialog, r);
            }
        }
        match code {
            101..=199 => self.branch_progress(now, id, i, code, resp),
            200..=299 => self.branch_answered(now, id, i, tx, code, resp),
            _ => self.branch_failed(now, id, i, code),
        }
    }

    /// Ringing or early media from a callee: passed on to a caller who has no answer yet.
    fn branch_progress(
        &mut self,
        now: Instant,
        id: CallId,
        i: usize,
        code: u16,
        resp: Option<Response>,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(branch) = call.branches.get_mut(i) else {
            return;
        };
        if branch.state == BranchState::Trying {
            branch.state = BranchState::Early;
        }
        if !matches!(call.phase, Phase::Ringing { .. }) || call.a.final_sent {
            return;
        }
        let Some(r) = resp else { return };
        let mut out = sip::message::make_response(
            &call.a.invite,
            code,
            Some(&sip_fields::reason(&r)),
            Some(&call.a.local_tag),
        );
        out.headers
            .push(self.cfg.me.contact(&call.callee.number, call.a.dialog.peer));
        let stx = call.a.invite_tx;
        // A caller that already has the switch's SDP (early media of a plan) hears ringing
        // only; otherwise the callee's early media is relayed.
        if !call.caller_media.is_switch() {
            let body = self.relay_sdp(id, Side::B, &r.headers, &r.body);
            if !self.calls.contains_key(&id) {
                return;
            }
            set_body(
                &mut out.headers,
                &mut out.body,
                body.map(|b| ("application/sdp", b)),
            );
        }
        if let Some(stx) = stx {
            self.respond(now, stx, out);
        }
    }

    /// A callee answered: the first answer the call still wants wins and cancels the other
    /// branches; any other is taken and hung up at once.
    fn branch_answered(
        &mut self,
        now: Instant,
        id: CallId,
        i: usize,
        tx: ClientTxId,
        code: u16,
        resp: Option<Response>,
    ) {
        let offer_open = self.offer_still_open(id, i);
        let wall = self.wall(now);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(branch) = call.branches.get_mut(i) else {
            return;
        };
        branch.invite_pending = false;
        let Some(r) = resp else { return };
        if !matches!(call.phase, Phase::Ringing { .. })
            || branch.state == BranchState::Cancelled
            || !offer_open
        {
            self.hang_up_late_answer(now, id, i, tx);
            return;
        }
        // The relay has one address of one family, written into both legs' SDP: a callee whose
        // answer puts its media in the other family could never reach it (nor it the callee).
        // Refused like a failed branch rather than set up silent (the caller's offer is checked
        // the same way in `ring.rs`).
        if answer_of_other_family(call.relay, &r) {
            tracing::info!(call = id, "callee answered with media of another address family than the relay's: hung up, 488");
            self.hang_up_late_answer(now, id, i, tx);
            self.branch_failed(now, id, i, 488);
            return;
        }
        branch.state = BranchState::Answered;
        branch.answered = Some(now);
        // A direct call answered at an agent's phone keeps the ACD away from it.
        let direct_answer = branch.agent.is_none().then(|| branch.extension.clone());
        branch.final_status = Some(code);
        call.answered_branch = Some(i);
        // A caller the plan answered keeps that time: its CDR leg was answered then.
        call.answered.get_or_insert(now);
        call.phase = Phase::Answered;
        let late_offer = call.a_sdp.is_none() && !call.caller_media.is_switch();
        let body = self.relay_sdp(id, Side::B, &r.headers, &r.body);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if late_offer {
            if let Some(b) = call.branches.get_mut(i) {
                b.ack_deferred = true;
            }
        } else if let Some(b) = call.branches.get(i) {
            let ack = b
                .dialog
                .request_with_cseq(Method::Ack, b.invite_cseq, &self.cfg.me, None);
            let _ = self.tx.ack_2xx(now, tx, b.dialog.peer, ack);
        }
        let others: Vec<ClientTxId> = call
            .branches
            .iter_mut()
            .enumerate()
            .filter(|(j, b)| *j != i && matches!(b.state, BranchState::Trying | BranchState::Early))
            .map(|(_, b)| {
                b.state = BranchState::Cancelled;
                b.tx
            })
            .collect();
        if call.caller_media.is_switch() {
            // The switch held the caller (plan, queue): relay caller and callee now.
            self.actions.push_back(Action::Bridge { call: id });
        }
        if let Some(session) = call.route.plan_mut() {
            session.handle(ivr::Input::DialResult {
                now,
                wall,
                outcome: ivr::DialOutcome::Answered,
            });
        }
        if call.a.final_sent {
            // The switch answered the caller already (IVR): nothing more to tell it.
            for t in others {
                let _ = self.tx.cancel(now, t);
            }
            if self.cfg.media_timeout {
                self.actions.push_back(Action::MediaTimeout {
                    call: id,
                    enabled: true,
                });
            }
            self.queue_answered(now, id, i);
            self.maybe_record(id, super::record::Moment::Answer);
            if let Some(ext) = direct_answer {
                self.agent_phone_busy(now, &ext);
            }
            self.drive_ivr(now, id);
            return;
        }
        let body = call.caller_media.sdp().cloned().or(body);
        let ok = call.caller_ok(&self.cfg.me, code, body);
        call.a.final_sent = true;
        let stx = call.a.invite_tx;
        let cdr_id = call.cdr_id.clone();
        for t in others {
            let _ = self.tx.cancel(now, t);
        }
        if let Some(stx) = stx {
            self.respond(now, stx, ok);
        }
        self.stats.calls_answered += 1;
        self.actions.push_back(Action::Cdr(CdrEvent::Answer {
            call_id: cdr_id,
            at: wall,
        }));
        if self.cfg.media_timeout {
            self.actions.push_back(Action::MediaTimeout {
                call: id,
                enabled: true,
            });
        }
        self.maybe_record(id, super::record::Moment::Answer);
        if let Some(ext) = direct_answer {
            self.agent_phone_busy(now, &ext);
        }
    }

    /// A late or second answer (or one the ACD no longer expects): ACK it and hang it up.
    fn hang_up_late_answer(&mut self, now: Instant, id: CallId, i: usize, tx: ClientTxId) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(branch) = call.branches.get_mut(i) else {
            return;
        };
        branch.state = BranchState::Cancelled;
        let ack =
            branch
                .dialog
                .request_with_cseq(Method::Ack, branch.invite_cseq, &self.cfg.me, None);
        let peer = branch.dialog.peer;
        let bye = branch.dialog.request(Method::Bye, &self.cfg.me, None);
        let _ = self.tx.ack_2xx(now, tx, peer, ack);
        if let Ok(btx) = self.tx.send_request(now, peer, bye) {
            call.open_client_txs += 1;
            self.client_txs.insert(btx, (id, ClientPurpose::Bye));
        }
    }

    /// A branch failed (or a CANCEL we sent ended it).
    pub(super) fn branch_failed(&mut self, now: Instant, id: CallId, i: usize, code: u16) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(branch) = call.branches.get_mut(i) else {
            return;
        };
        branch.invite_pending = false;
        if branch.state != BranchState::Cancelled {
            branch.state = BranchState::Failed(code);
        }
        branch.final_status = Some(code);
        branch.ended = Some(now);
        // Only a ringing call keeps its most telling failure: it is what the caller hears
        // when nobody rings any more.
        let mut best = 480;
        if let Phase::Ringing { best_failure, .. } = &mut call.phase {
            if best_failure.is_none_or(|b| failure_rank(code) > failure_rank(b)) {
                *best_failure = Some(code);
            }
            best = best_failure.unwrap_or(480);
        }
        let decider = Decider::of(call);
        let nobody_rings = matches!(call.phase, Phase::Ringing { .. }) && call.all_branches_done();
        match decider {
            Decider::Queue => self.queue_branch_done(now, id, i),
            _ if !nobody_rings => {}
            Decider::Callback => self.callback_not_answered(now, id, best),
            Decider::Dialplan => self.ivr_dial_result(now, id, dial_outcome(best)),
            Decider::Caller => {
                let (status, reason, disposition, cause) = caller_status(best);
                // A decline is the callee's own choice (issue #15); other failures are no side's.
                let side = (disposition == Disposition::Declined).then_some(HangupSide::Callee);
                self.finish_unanswered(now, id, status, reason, disposition, cause, side);
            }
        }
    }
}

/// How a failed dial looks to a dialplan.
fn dial_outcome(code: u16) -> ivr::DialOutcome {
    match code {
        486 | 600 | 603 => ivr::DialOutcome::Busy,
        408 | 480 | 487 => ivr::DialOutcome::NoAnswer,
        _ => ivr::DialOutcome::Failed,
    }
}

/// What the caller hears when no branch answered.
fn caller_status(code: u16) -> (u16, &'static str, Disposition, &'static str) {
    match code {
        486 | 600 => (486, "Busy Here", Disposition::Busy, "callee busy"),
        603 => (603, "Decline", Disposition::Declined, "callee declined"),
        408 | 480 | 487 => (
            480,
            "Temporarily Unavailable",
            Disposition::NoAnswer,
            "callee unavailable",
        ),
        404 | 604 => (
            404,
            "Not Found",
            Disposition::Failed,
            "callee unknown to its phone",
        ),
        // The callee refused the offer, or answered with media the relay cannot reach (another
        // address family): the caller's call cannot carry audio either.
        488 => (
            488,
            "Not Acceptable Here",
            Disposition::Failed,
            "callee media not acceptable",
        ),
        500..=599 => (502, "Bad Gateway", Disposition::Failed, "callee failed"),
        _ => (
            480,
            "Temporarily Unavailable",
            Disposition::Failed,
            "callee refused",
        ),
    }
}

/// Whether an answer's audio is of the other address family than the relay's.
fn answer_of_other_family(relay: Option<super::call::RelayPorts>, r: &Response) -> bool {
    let Some(relay) = relay else {
        return false;
    };
    if !sip_fields::is_sdp(&r.headers, &r.body) {
        return false;
    }
    super::sdp::parse_sdp(&r.body)
        .ok()
        .and_then(|s| s.audio_target())
        .is_some_and(|t| t.rtp.is_ipv4() != relay.ip.is_ipv4())
}
