//! Setting up a call: the caller's INVITE, forking to the callee's contacts, answers, failures,
//! CANCEL and the ring timeout.

use super::call::{
    failure_rank, BranchState, Call, CallState, CallerLeg, CallerMedia, Party, Route, Side,
};
use super::dialog::{set_body, Dialog};
use super::sdp::parse_sdp;
use super::{sip_fields, Action, CallId, ClientPurpose, Switch};
use crate::records::{CdrEvent, CdrStart, Disposition, HangupSide};
use rsip::headers::UntypedHeader;
use rsip::{Header, Method, Request, Response};
use sip::transaction::{ClientTxId, ServerTxId};
use sip::Peer;
use std::time::Instant;

impl Switch {
    pub(super) fn on_new_invite(&mut self, now: Instant, tx: ServerTxId, from: Peer, req: Request) {
        let Some(caller) = self.authenticate(now, tx, &req, true) else {
            return;
        };
        let Some(callee) = sip_fields::request_user(&req) else {
            self.reply(now, tx, &req, 404, "No User In Request-URI");
            return;
        };
        // Feature codes and queue numbers first, then a dialplan route; without one, the
        // number must be an extension.
        let queue_number = self.acd.numbers.get(&callee).cloned();
        let route = match (
            super::feature::parse(&callee),
            queue_number,
            &self.dialplans,
        ) {
            (Some(code), _, _) => Route::Feature(code),
            (None, Some(queue), _) => Route::QueueNumber(queue),
            (None, None, Some(plans)) => ivr::Session::start(
                plans,
                now,
                self.wall(now),
                ivr::CallInfo {
                    caller: caller.clone(),
                    caller_name: sip_fields::from_display_name(&req).unwrap_or_default(),
                    dialled: callee.clone(),
                },
            )
            .map_or(Route::Extension, |s| Route::Dialplan(Box::new(s))),
            (None, None, None) => Route::Extension,
        };
        let callee_name = self.cfg.users.get(&callee).and_then(|(_, n)| n.clone());
        if matches!(route, Route::Extension) {
            if !self.cfg.users.contains_key(&callee) {
                self.reply(now, tx, &req, 404, "Not Found");
                return;
            }
            if self.registrar.lookup(now, &callee).is_empty() {
                self.reply(
                    now,
                    tx,
                    &req,
                    480,
                    "Temporarily Unavailable (Not Registered)",
                );
                return;
            }
        }
        let a_sdp = if req.body.is_empty() {
            None
        } else if !sip_fields::is_sdp(&req.headers, &req.body) {
            let mut resp =
                sip::message::make_response(&req, 415, None, Some(&sip::message::new_tag()));
            resp.headers.push(Header::Accept("application/sdp".into()));
            self.respond(now, tx, resp);
            return;
        } else {
            match parse_sdp(&req.body) {
                Ok(sdp) if sdp.audio_target().is_some() => Some(sdp),
                Ok(_) => {
                    self.reply(now, tx, &req, 488, "No Audio Stream In SDP");
                    return;
                }
                Err(reason) => {
                    self.reply(now, tx, &req, 488, &reason);
                    return;
                }
            }
        };

        let id = self.next_call;
        self.next_call += 1;
        let local_tag = sip::message::new_tag();
        let a_call_id = sip_fields::call_id(&req).unwrap_or_default();
        let to_value = header_value(&req.headers, |h| match h {
            Header::To(t) => Some(t.value().to_string()),
            _ => None,
        });
        let from_value = header_value(&req.headers, |h| match h {
            Header::From(f) => Some(f.value().to_string()),
            _ => None,
        });
        let caller_name = sip_fields::from_display_name(&req)
            .or_else(|| self.cfg.users.get(&caller).and_then(|(_, n)| n.clone()));
        let dialog = Dialog {
            call_id: a_call_id.clone(),
            local: format!("{to_value};tag={local_tag}"),
            remote: from_value,
            remote_target: sip_fields::contact_uri(&req).unwrap_or_else(|| req.uri.to_string()),
            local_cseq: 0,
            peer: from,
            contact_user: callee.clone(),
        };
        let call = Call {
            cdr_id: uuid::Uuid::new_v4().to_string(),
            state: CallState::AwaitingMedia,
            caller: Party {
                number: caller.clone(),
                name: caller_name,
            },
            callee: Party {
                number: callee,
                name: callee_name,
            },
            a: CallerLeg {
                invite_tx: Some(tx),
                invite: req,
                dialog,
                local_tag: local_tag.clone(),
                final_sent: false,
            },
            branches: Vec::new(),
            answered_branch: None,
            started: now,
            answered: None,
            ring_deadline: None,
            a_sdp,
            relay: None,
            open_client_txs: 0,
            reinvite_pending: false,
            best_failure: None,
            route,
            caller_media: CallerMedia::Relayed,
            moh: None,
            vars: Default::default(),
            last_dtmf: None,
            queue: None,
            recording: false,
        };
        self.actions
            .push_back(Action::Cdr(CdrEvent::Start(CdrStart {
                call_id: call.cdr_id.clone(),
                caller: call.caller.number.clone(),
                caller_name: call.caller.name.clone(),
                callee: call.callee.number.clone(),
                callee_name: call.callee.name.clone(),
                started_at: self.wall(now),
            })));
        self.stats.calls_started += 1;
        let placed_by_agent = (!call.route.is_feature()).then(|| call.caller.number.clone());
        self.dialogs.insert((a_call_id, local_tag), (id, Side::A));
        self.invite_servers.insert(tx, id);
        self.calls.insert(id, call);
        self.actions.push_back(Action::AllocateMedia { call: id });
        if let Some(ext) = placed_by_agent {
            self.agent_phone_busy(now, &ext);
        }
    }

    /// A response (or a timeout, as `Err(408)`) on one of our client transactions.
    pub(super) fn on_response(
        &mut self,
        now: Instant,
        tx: ClientTxId,
        resp: Result<Response, u16>,
    ) {
        let code = match &resp {
            Ok(r) => sip_fields::status(r),
            Err(c) => *c,
        };
        let final_ = code >= 200;
        if !final_ {
            // Provisional responses matter only for INVITEs to the callee (ringing, early media).
            if let Some(&(call, ClientPurpose::BranchInvite(i))) = self.client_txs.get(&tx) {
                self.on_branch_response(now, call, i, tx, code, resp.ok());
            }
            return;
        }
        let Some((call, purpose)) = self.client_txs.remove(&tx) else {
            return;
        };
        if let Some(c) = self.calls.get_mut(&call) {
            c.open_client_txs = c.open_client_txs.saturating_sub(1);
        }
        match purpose {
            ClientPurpose::BranchInvite(i) => {
                self.on_branch_response(now, call, i, tx, code, resp.ok())
            }
            ClientPurpose::CallbackAgent => {
                self.on_callback_agent_response(now, call, tx, code, resp.ok())
            }
            ClientPurpose::Bye => {}
            ClientPurpose::Forward(f) => {
                self.on_forward_response(now, call, tx, f, code, resp.ok())
            }
        }
        self.reap(call);
    }

    fn on_branch_response(
        &mut self,
        now: Instant,
        id: CallId,
        i: usize,
        tx: ClientTxId,
        code: u16,
        resp: Option<Response>,
    ) {
        if code == 100 {
            return;
        }
        let offer_open = self.offer_still_open(id, i);
        let wall = self.wall(now);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(branch) = call.branches.get_mut(i) else {
            return;
        };
        if let Some(r) = &resp {
            learn_remote(&mut branch.dialog, r);
        }
        match code {
            101..=199 => {
                if branch.state == BranchState::Trying {
                    branch.state = BranchState::Early;
                }
                if call.state != CallState::Ringing || call.a.final_sent {
                    return;
                }
                let Some(r) = resp else { return };
                if call.caller_media.is_switch() {
                    // The caller already has the switch's SDP (IVR early media): ringing only.
                    let mut out = sip::message::make_response(
                        &call.a.invite,
                        code,
                        Some(&sip_fields::reason(&r)),
                        Some(&call.a.local_tag),
                    );
                    out.headers.push(
                        self.cfg
                            .me
                            .contact(&call.callee.number, call.a.dialog.peer.transport),
                    );
                    if let Some(stx) = call.a.invite_tx {
                        self.respond(now, stx, out);
                    }
                    return;
                }
                let mut out = sip::message::make_response(
                    &call.a.invite,
                    code,
                    Some(&sip_fields::reason(&r)),
                    Some(&call.a.local_tag),
                );
                out.headers.push(
                    self.cfg
                        .me
                        .contact(&call.callee.number, call.a.dialog.peer.transport),
                );
                let body = self.relay_sdp(id, Side::B, &r.headers, &r.body);
                if let Some(call) = self.calls.get_mut(&id) {
                    set_body(
                        &mut out.headers,
                        &mut out.body,
                        body.as_ref().map(|b| ("application/sdp", b.clone())),
                    );
                    if let Some(stx) = call.a.invite_tx {
                        self.respond(now, stx, out);
                    }
                }
            }
            200..=299 => {
                branch.invite_pending = false;
                let Some(r) = resp else { return };
                if call.state != CallState::Ringing
                    || branch.state == BranchState::Cancelled
                    || !offer_open
                {
                    // A late or second answer: take it and hang it up at once.
                    branch.state = BranchState::Cancelled;
                    let ack = branch.dialog.request_with_cseq(
                        Method::Ack,
                        branch.invite_cseq,
                        &self.cfg.me,
                        None,
                    );
                    let peer = branch.dialog.peer;
                    let bye = branch.dialog.request(Method::Bye, &self.cfg.me, None);
                    let _ = self.tx.ack_2xx(now, tx, peer, ack);
                    if let Ok(btx) = self.tx.send_request(now, peer, bye) {
                        call.open_client_txs += 1;
                        self.client_txs.insert(btx, (id, ClientPurpose::Bye));
                    }
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
                call.state = CallState::Answered;
                let late_offer = call.a_sdp.is_none() && !call.caller_media.is_switch();
                let body = self.relay_sdp(id, Side::B, &r.headers, &r.body);
                let Some(call) = self.calls.get_mut(&id) else {
                    return;
                };
                if late_offer {
                    call.branches[i].ack_deferred = true;
                } else {
                    let b = &call.branches[i];
                    let ack =
                        b.dialog
                            .request_with_cseq(Method::Ack, b.invite_cseq, &self.cfg.me, None);
                    let _ = self.tx.ack_2xx(now, tx, b.dialog.peer, ack);
                }
                let others: Vec<ClientTxId> = call
                    .branches
                    .iter_mut()
                    .enumerate()
                    .filter(|(j, b)| {
                        *j != i && matches!(b.state, BranchState::Trying | BranchState::Early)
                    })
                    .map(|(_, b)| {
                        b.state = BranchState::Cancelled;
                        b.tx
                    })
                    .collect();
                if call.caller_media.is_switch() {
                    // The switch held the caller (plan, queue): relay caller and callee now.
                    self.actions.push_back(Action::Bridge { call: id });
                }
                if call.route.plan().is_some() {
                    if let Some(session) = call.route.plan_mut() {
                        session.handle(ivr::Input::DialResult {
                            now,
                            wall,
                            outcome: ivr::DialOutcome::Answered,
                        });
                    }
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
                let mut ok = sip::message::make_response(
                    &call.a.invite,
                    code,
                    None,
                    Some(&call.a.local_tag),
                );
                ok.headers.push(
                    self.cfg
                        .me
                        .contact(&call.callee.number, call.a.dialog.peer.transport),
                );
                ok.headers.push(Header::Allow(super::dialog::ALLOW.into()));
                ok.headers.push(self.cfg.me.server());
                set_body(
                    &mut ok.headers,
                    &mut ok.body,
                    body.map(|b| ("application/sdp", b)),
                );
                call.a.final_sent = true;
                let stx = call.a.invite_tx;
                for t in others {
                    let _ = self.tx.cancel(now, t);
                }
                if let Some(stx) = stx {
                    self.respond(now, stx, ok);
                }
                self.stats.calls_answered += 1;
                let at = self.wall(now);
                let cdr_id = self
                    .calls
                    .get(&id)
                    .map(|c| c.cdr_id.clone())
                    .unwrap_or_default();
                self.actions.push_back(Action::Cdr(CdrEvent::Answer {
                    call_id: cdr_id,
                    at,
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
            _ => {
                branch.invite_pending = false;
                if branch.state != BranchState::Cancelled {
                    branch.state = BranchState::Failed(code);
                }
                branch.final_status = Some(code);
                branch.ended = Some(now);
                if failure_rank(code) > call.best_failure.map_or(0, failure_rank)
                    || call.best_failure.is_none()
                {
                    call.best_failure = Some(code);
                }
                if self.acd.callbacks.contains_key(&id) {
                    // A callback's customer: when nobody rings any more, the callback ends.
                    if call.state == CallState::Ringing && call.all_branches_done() {
                        let best = call.best_failure.unwrap_or(480);
                        self.callback_not_answered(now, id, best);
                    }
                    return;
                }
                if call.queue.is_some() {
                    // The ACD decides what a queued caller gets next.
                    self.queue_branch_done(now, id, i);
                    return;
                }
                if call.state == CallState::Ringing && call.all_branches_done() {
                    let best = call.best_failure.unwrap_or(480);
                    if call.route.plan().is_some() {
                        self.ivr_dial_result(now, id, dial_outcome(best));
                        return;
                    }
                    let (status, reason, disposition, cause) = caller_status(best);
                    self.finish_unanswered(now, id, status, reason, disposition, cause, None);
                }
            }
        }
    }

    /// The ring timeout expired.
    pub(super) fn ring_timeout(&mut self, now: Instant, id: CallId) {
        // A queued call's offers are timed by the ACD, not here (a callback's customer is).
        let callback = self.is_callback(id);
        let due = self.calls.get(&id).is_some_and(|c| {
            c.state == CallState::Ringing
                && (c.queue.is_none() || callback)
                && c.ring_deadline.is_some_and(|d| d <= now)
        });
        if due && callback {
            self.cancel_branches(now, id);
            self.callback_not_answered(now, id, 480);
            return;
        }
        if due
            && self
                .calls
                .get(&id)
                .is_some_and(|c| c.route.plan().is_some())
        {
            self.cancel_branches(now, id);
            self.ivr_dial_result(now, id, ivr::DialOutcome::NoAnswer);
            return;
        }
        if due {
            self.finish_unanswered(
                now,
                id,
                480,
                "No Answer",
                Disposition::NoAnswer,
                "ring timeout",
                None,
            );
        }
    }

    /// The caller cancelled its INVITE.
    pub(super) fn on_cancelled(&mut self, now: Instant, stx: ServerTxId) {
        let Some(&id) = self.invite_servers.get(&stx) else {
            return;
        };
        let ringing = self.calls.get(&id).is_some_and(|c| {
            !c.a.final_sent
                && matches!(
                    c.state,
                    CallState::AwaitingMedia | CallState::Ringing | CallState::Ivr
                )
        });
        if ringing {
            self.finish_unanswered(
                now,
                id,
                487,
                "Request Terminated",
                Disposition::Cancelled,
                "caller cancelled",
                Some(HangupSide::Caller),
            );
        }
    }

    /// End a call that never got answered: final response to the caller, CANCEL to every branch
    /// still ringing, CDR closed.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn finish_unanswered(
        &mut self,
        now: Instant,
        id: CallId,
        status: u16,
        reason: &str,
        disposition: Disposition,
        cause: &str,
        side: Option<HangupSide>,
    ) {
        let open = self
            .calls
            .get(&id)
            .is_some_and(|c| c.state != CallState::Ended);
        if open && self.callback_unanswered(now, id, disposition, status, cause) {
            return;
        }
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.state == CallState::Ended {
            return;
        }
        call.state = CallState::Ended;
        let mut cancels = Vec::new();
        for b in call.branches.iter_mut() {
            if matches!(b.state, BranchState::Trying | BranchState::Early) {
                b.state = BranchState::Cancelled;
                cancels.push(b.tx);
            }
            if b.ended.is_none() {
                b.ended = Some(now);
            }
        }
        let stx = call.a.invite_tx;
        let resp = (!call.a.final_sent).then(|| {
            call.a.final_sent = true;
            sip::message::make_response(
                &call.a.invite,
                status,
                Some(reason),
                Some(&call.a.local_tag),
            )
        });
        for t in cancels {
            let _ = self.tx.cancel(now, t);
        }
        if let (Some(r), Some(stx)) = (resp, stx) {
            self.respond(now, stx, r);
        }
        self.close_cdr(now, id, disposition, status, cause, side);
        self.reap(id);
    }

    pub(super) fn fail_call(
        &mut self,
        now: Instant,
        id: CallId,
        status: u16,
        reason: &str,
        cause: &str,
    ) {
        self.finish_unanswered(
            now,
            id,
            status,
            reason,
            Disposition::Failed,
            cause,
            Some(HangupSide::Switch),
        );
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
        603 => (603, "Decline", Disposition::Busy, "callee declined"),
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
        500..=599 => (502, "Bad Gateway", Disposition::Failed, "callee failed"),
        _ => (
            480,
            "Temporarily Unavailable",
            Disposition::Failed,
            "callee refused",
        ),
    }
}

/// Learn the remote tag and target of a branch from a response that carries them.
pub(super) fn learn_remote(dialog: &mut Dialog, resp: &Response) {
    if sip_fields::to_tag(resp).is_some() {
        if let Some(to) = header_value_opt(&resp.headers, |h| match h {
            Header::To(t) => Some(t.value().to_string()),
            _ => None,
        }) {
            dialog.remote = to;
        }
    }
    if let Some(c) = sip_fields::contact_uri(resp) {
        dialog.remote_target = c;
    }
}

fn header_value_opt(
    headers: &rsip::Headers,
    f: impl Fn(&Header) -> Option<String>,
) -> Option<String> {
    headers.iter().find_map(f)
}

pub(super) fn header_value(
    headers: &rsip::Headers,
    f: impl Fn(&Header) -> Option<String>,
) -> String {
    header_value_opt(headers, f).unwrap_or_default()
}
