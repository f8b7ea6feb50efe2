//! Setting up a call: the caller's INVITE (and its route), CANCEL, the ring timeout and ending
//! a call nobody answered. The callee's branches' responses are in `branch.rs`.

use super::call::{BranchState, Call, CallerLeg, CallerMedia, Party, Phase, Route, Side};
use super::dialog::Dialog;
use super::sdp::parse_sdp;
use super::{sip_fields, Action, CallId, ClientPurpose, Switch};
use crate::records::{CdrEnd, CdrEvent, CdrStart, Channel, Disposition, HangupSide, Leg, LegRole};
use rsip::headers::UntypedHeader;
use rsip::{Header, Request, Response};
use sip::transaction::{ClientTxId, ServerTxId};
use sip::Peer;
use std::time::Instant;

/// A body of a type we do not read (415 before any challenge). A body with no Content-Type at
/// all is judged after the challenge (see `on_new_invite`).
fn has_unreadable_body(req: &Request) -> bool {
    let typed_body = sip_fields::content_type(&req.headers).is_some() && !req.body.is_empty();
    typed_body && !sip_fields::is_sdp(&req.headers, &req.body)
}

/// What no credentials can make acceptable, answered (415, 406) before any challenge.
pub(super) fn refused_before_challenge(req: &Request) -> bool {
    has_unreadable_body(req) || !sip_fields::accepts_sdp(&req.headers)
}

impl Switch {
    /// 415 with the one type we read.
    fn refuse_media_type(&mut self, now: Instant, tx: ServerTxId, req: &Request) {
        let mut resp = sip::message::make_response(
            req,
            415,
            Some("Unsupported Media Type"),
            Some(&sip::message::new_tag()),
        );
        resp.headers.push(Header::Accept("application/sdp".into()));
        self.respond(now, tx, resp);
    }

    pub(super) fn on_new_invite(&mut self, now: Instant, tx: ServerTxId, from: Peer, req: Request) {
        // What no credentials can make acceptable is refused before the challenge: a caller
        // would otherwise answer a 407 only to be refused anyway. That is a body of a type we
        // do not read; a body with no Content-Type at all is judged after the challenge, as it
        // always was (a client whose first INVITE has a stray blank line in its head sends its
        // SDP that way, and its authenticated retry is well-formed).
        if has_unreadable_body(&req) {
            self.refuse_media_type(now, tx, &req);
            return;
        }
        if !sip_fields::accepts_sdp(&req.headers) {
            // Every answer to an INVITE carries SDP (RFC 4475 §3.3.15).
            self.reply(now, tx, &req, 406, "Not Acceptable");
            return;
        }
        // The web gateway's calls come from inside the process (web_in.rs).
        if from.transport == sip::Transport::Internal {
            self.on_web_invite(now, tx, from, req);
            return;
        }
        // A carrier's call is known by where it comes from, not by credentials (trunk_in.rs).
        if let Some(trunk) = self.trunk_of(from, &req) {
            self.on_trunk_invite(now, tx, from, req, trunk);
            return;
        }
        let Some(caller) = self.authenticate(now, tx, from, &req, true) else {
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
        self.admit(now, tx, from, req, (caller, callee), route);
    }

    /// Take a new call whose caller and route are known (an extension's, or a carrier's,
    /// `trunk_in.rs`): refuse what cannot ring, else create it and ask for media. Returns the
    /// call, or None when it was refused.
    pub(super) fn admit(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        from: Peer,
        req: Request,
        (caller, callee): (String, String),
        route: Route,
    ) -> Option<CallId> {
        // The per-extension cap is for our phones; a carrier's callers (many of them
        // `anonymous`) are bounded by the trunk's channels instead.
        if self.cfg.users.contains_key(&caller) && self.extension_full(&caller) {
            self.reply(now, tx, &req, 403, "Too Many Calls");
            return None;
        }
        let callee_name = self.cfg.users.get(&callee).and_then(|(_, n)| n.clone());
        if matches!(route, Route::Extension) {
            if !self.cfg.users.contains_key(&callee) {
                self.reply(now, tx, &req, 404, "Not Found");
                return None;
            }
            if self.registrar.lookup(now, &callee).is_empty() {
                self.reply(
                    now,
                    tx,
                    &req,
                    480,
                    "Temporarily Unavailable (Not Registered)",
                );
                return None;
            }
            if self.extension_full(&callee) {
                self.reply(now, tx, &req, 486, "Busy Here");
                return None;
            }
        }
        let offers = self
            .cfg
            .recording
            .offers_for(&caller, route.policy_entry(&callee).as_ref());
        let a_sdp = if req.body.is_empty() {
            None
        } else if !sip_fields::is_sdp(&req.headers, &req.body) {
            self.refuse_media_type(now, tx, &req);
            return None;
        } else {
            match parse_sdp(&req.body) {
                Ok(sdp) if sdp.audio_target().is_some() => match offers.apply(sdp) {
                    Ok(sdp) => Some(sdp),
                    Err(e) => {
                        self.refuse_offer(now, tx, from, &req, (&caller, &callee), &e);
                        return None;
                    }
                },
                Ok(_) => {
                    self.reply(now, tx, &req, 488, "No Audio Stream In SDP");
                    return None;
                }
                Err(reason) => {
                    self.reply(now, tx, &req, 488, &reason);
                    return None;
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
        let mut dialog = Dialog {
            call_id: a_call_id.clone(),
            local: format!("{to_value};tag={local_tag}"),
            remote: from_value,
            remote_target: sip_fields::contact_uri(&req).unwrap_or_else(|| req.uri.to_string()),
            local_cseq: 0,
            peer: from,
            route_set: Vec::new(),
            contact_user: callee.clone(),
        };
        dialog.follow(super::route_set::as_uas(&req));
        let call = Call {
            cdr_id: uuid::Uuid::new_v4().to_string(),
            phase: Phase::AwaitingMedia,
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
                gone: false,
            },
            branches: Vec::new(),
            answered_branch: None,
            started: now,
            answered: None,
            a_sdp,
            relay: None,
            open_client_txs: 0,
            reinvite_pending: false,
            route,
            caller_media: CallerMedia::Relayed,
            moh: None,
            vars: Default::default(),
            last_dtmf: None,
            queue: None,
            callback: None,
            recording: false,
            offers,
            trunk_in: None,
            trunk_out: None,
            channel: Channel::of(from),
        };
        self.actions
            .push_back(Action::Cdr(CdrEvent::Start(CdrStart {
                call_id: call.cdr_id.clone(),
                caller: call.caller.number.clone(),
                caller_name: call.caller.name.clone(),
                callee: call.callee.number.clone(),
                callee_name: call.callee.name.clone(),
                started_at: self.wall(now),
                channel: call.channel,
            })));
        self.stats.calls_started += 1;
        super::call_log::start(&call);
        let placed_by_agent = (!call.route.is_feature()).then(|| call.caller.number.clone());
        self.dialogs.insert((a_call_id, local_tag), (id, Side::A));
        self.invite_servers.insert(tx, id);
        self.extension_calls.started(&call);
        self.calls.insert(id, call);
        self.actions.push_back(Action::AllocateMedia { call: id });
        if let Some(ext) = placed_by_agent {
            self.agent_phone_busy(now, &ext);
        }
        Some(id)
    }

    /// 488 to an offer that leaves nothing the switch could relay and record (issue #15), with
    /// the reason in a Warning header, and a CDR of its own saying why.
    fn refuse_offer(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        from: Peer,
        req: &Request,
        (caller, callee): (&str, &str),
        e: &media::sdp::NarrowError,
    ) {
        self.refuse_with_488(now, tx, req, e);
        tracing::info!(caller, callee, reason = %e, "offer refused: 488");
        let cdr_id = uuid::Uuid::new_v4().to_string();
        let at = self.wall(now);
        self.actions
            .push_back(Action::Cdr(CdrEvent::Start(CdrStart {
                call_id: cdr_id.clone(),
                caller: caller.to_string(),
                caller_name: sip_fields::from_display_name(req),
                callee: callee.to_string(),
                callee_name: None,
                started_at: at,
                channel: Channel::of(from),
            })));
        self.actions.push_back(Action::Cdr(CdrEvent::End(CdrEnd {
            call_id: cdr_id,
            ended_at: at,
            disposition: Disposition::Failed,
            sip_status: 488,
            hangup_cause: format!("offer not acceptable: {e}"),
            hangup_side: Some(HangupSide::Switch),
            legs: vec![Leg {
                role: LegRole::Caller,
                sip_call_id: sip_fields::call_id(req).unwrap_or_default(),
                peer: from.to_string(),
                extension: caller.to_string(),
                started_at: at,
                answered_at: None,
                ended_at: Some(at),
                final_status: Some(488),
            }],
            vars: Default::default(),
        })));
    }

    /// `488 Not Acceptable Here` to an offer the offer policy leaves nothing of, the reason in
    /// a Warning header (RFC 3261 §20.43).
    pub(super) fn refuse_with_488(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        req: &Request,
        e: &media::sdp::NarrowError,
    ) {
        let mut resp = sip::message::make_response(
            req,
            488,
            Some("Not Acceptable Here"),
            Some(&sip::message::new_tag()),
        );
        let text = e.to_string().replace('"', "'");
        resp.headers.push(Header::Other(
            "Warning".into(),
            format!(
                "{} {} \"{text}\"",
                super::sdp::warning_code(e),
                self.cfg.domain
            ),
        ));
        self.respond(now, tx, resp);
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
        if self.trunk_response(now, tx, &resp) {
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
            ClientPurpose::MonitorInvite => {
                self.on_monitor_invite_response(now, call, tx, code, resp.ok())
            }
            ClientPurpose::ConsultInvite => {
                self.on_consult_invite_response(now, call, tx, code, resp.ok())
            }
            ClientPurpose::Bye => {}
            ClientPurpose::Forward(f) => {
                self.on_forward_response(now, call, tx, f, code, resp.ok())
            }
            ClientPurpose::Join(j) => self.on_join_response(now, call, tx, j, code, resp.ok()),
        }
        self.reap(call);
    }

    /// The ring timeout expired.
    pub(super) fn ring_timeout(&mut self, now: Instant, id: CallId) {
        if self.monitor_ring_timeout(now, id) {
            return;
        }
        // A queued call's offers are timed by the ACD, not here (a callback's customer is).
        let callback = self.is_callback(id);
        let due = self.calls.get(&id).is_some_and(|c| {
            matches!(c.phase, Phase::Ringing { deadline: Some(d), .. } if d <= now)
                && (c.queue.is_none() || callback)
        });
        if due && callback {
            self.callback_ring_timeout(now, id);
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
                    c.phase,
                    Phase::AwaitingMedia | Phase::Ringing { .. } | Phase::Held
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
        let open = self.calls.get(&id).is_some_and(|c| c.phase != Phase::Ended);
        if open && self.callback_unanswered(now, id, disposition, status, cause) {
            return;
        }
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.phase == Phase::Ended {
            return;
        }
        self.extension_calls.end(call);
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

/// Learn the remote tag, target and route set of a dialog we opened from a response to its
/// INVITE that carries them (an 18x with a tag or the 2xx; the 2xx's route set is the one kept,
/// RFC 3261 §12.1.2).
pub(super) fn learn_remote(dialog: &mut Dialog, resp: &Response) {
    let code = sip_fields::status(resp);
    if sip_fields::to_tag(resp).is_some() && (101..300).contains(&code) {
        dialog.follow(super::route_set::as_uac(resp));
    }
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
