//! Requests inside an established call: BYE ends both legs, re-INVITE/UPDATE/INFO and the like
//! are passed to the other leg with SDP rewritten for the relay, and ACKs close INVITEs.

use super::call::{DeferredAck, Forwarded, Phase, Side};
use super::dialog::{body_of, set_body};
use super::record::OfferPolicy;
use super::sdp::parse_sdp;
use super::{sip_fields, Action, CallId, ClientPurpose, Switch};
use crate::records::{Disposition, HangupSide};
use rsip::{Header, Method, Request, Response};
use sip::transaction::{ClientTxId, ServerTxId};
use std::time::Instant;

impl Switch {
    pub(super) fn on_in_dialog(&mut self, now: Instant, tx: ServerTxId, req: Request) {
        let key = (
            sip_fields::call_id(&req).unwrap_or_default(),
            sip_fields::to_tag(&req).unwrap_or_default(),
        );
        let Some(&(id, side)) = self.dialogs.get(&key) else {
            if !self.on_transferred_leg(now, tx, &req, &key) {
                self.reply(now, tx, &req, 481, "Call/Transaction Does Not Exist");
            }
            return;
        };
        let state = self.calls.get(&id).map(|c| c.phase);
        let switch_answered = self.calls.get(&id).is_some_and(|c| {
            c.a.final_sent && matches!(c.phase, Phase::Held | Phase::Ringing { .. })
        });
        if switch_answered && side == Side::A {
            self.in_dialog_with_switch(now, id, tx, req);
            return;
        }
        match (req.method, state) {
            (Method::Refer, Some(Phase::Answered))
                if super::attended::replaces_in_refer(&req).is_some() =>
            {
                self.attended_transfer(now, id, side, tx, req)
            }
            (Method::Refer, Some(Phase::Answered)) if side == Side::B => {
                self.blind_transfer(now, id, tx, req)
            }
            (Method::Bye, Some(Phase::Answered)) => {
                self.reply(now, tx, &req, 200, "OK");
                let s = self.party_of(id, side);
                self.hang_up(now, id, Some((side, s)), "normal clearing");
            }
            (Method::Bye, Some(Phase::Ringing { .. } | Phase::AwaitingMedia))
                if side == Side::A =>
            {
                // A caller may not BYE before the answer (it must CANCEL), but treat it as one.
                self.reply(now, tx, &req, 200, "OK");
                self.finish_unanswered(
                    now,
                    id,
                    487,
                    "Request Terminated",
                    Disposition::Cancelled,
                    "caller hung up",
                    Some(HangupSide::Caller),
                );
            }
            (_, Some(Phase::Answered)) => self.forward(now, id, side, tx, req),
            _ => self.reply(now, tx, &req, 481, "Call/Transaction Does Not Exist"),
        }
    }

    /// A request from a caller whose far end is the switch itself (IVR, or ringing a callee after
    /// the IVR answered): BYE ends the call, INFO may carry a digit, a re-INVITE gets the same SDP.
    fn in_dialog_with_switch(&mut self, now: Instant, id: CallId, tx: ServerTxId, req: Request) {
        match req.method {
            Method::Bye if self.is_callback(id) => {
                // A callback's agent gave up before the customer answered.
                self.reply(now, tx, &req, 200, "OK");
                self.end_callback(
                    now,
                    id,
                    Disposition::Cancelled,
                    487,
                    "agent hung up",
                    Some((Side::A, HangupSide::Callee)),
                );
            }
            Method::Bye => {
                self.reply(now, tx, &req, 200, "OK");
                self.hang_up(
                    now,
                    id,
                    Some((Side::A, HangupSide::Caller)),
                    "caller hung up",
                );
            }
            Method::Info => {
                let ctype = sip_fields::content_type(&req.headers).unwrap_or_default();
                let digit = std::str::from_utf8(&req.body)
                    .ok()
                    .and_then(|body| media::dtmf::parse_info(&ctype, body).ok())
                    .map(|e| e.digit);
                self.reply(now, tx, &req, 200, "OK");
                if let Some(digit) = digit {
                    self.dtmf(now, id, digit, true);
                }
            }
            Method::Invite | Method::Update => {
                let Some(call) = self.calls.get(&id) else {
                    return;
                };
                let mut ok = sip::message::make_response(&req, 200, None, None);
                ok.headers
                    .push(self.cfg.me.contact(&call.callee.number, call.a.dialog.peer));
                let sdp = call.caller_media.sdp().cloned();
                if sip_fields::is_sdp(&req.headers, &req.body) {
                    if let Ok(offer) = parse_sdp(&req.body) {
                        if let Some(t) = offer.audio_target() {
                            self.actions.push_back(Action::SetRemote {
                                call: id,
                                side: Side::A,
                                rtp: t.rtp,
                                rtcp: t.rtcp,
                            });
                            self.actions.push_back(Action::SignalSource {
                                call: id,
                                side: Side::A,
                                ip: super::sdp::signalling_ip(call, Side::A),
                            });
                        }
                    }
                }
                set_body(
                    &mut ok.headers,
                    &mut ok.body,
                    sdp.map(|b| ("application/sdp", b)),
                );
                self.respond(now, tx, ok);
            }
            _ => self.reply(now, tx, &req, 200, "OK"),
        }
    }

    /// Pass an in-dialog request to the other leg; its final response comes back to `tx`.
    fn forward(&mut self, now: Instant, id: CallId, side: Side, tx: ServerTxId, req: Request) {
        let is_invite = req.method == Method::Invite;
        if is_invite && self.calls.get(&id).is_some_and(|c| c.reinvite_pending) {
            let mut resp = sip::message::make_response(&req, 491, Some("Request Pending"), None);
            resp.headers.push(Header::RetryAfter("1".into()));
            self.respond(now, tx, resp);
            return;
        }
        let body = if sip_fields::is_sdp(&req.headers, &req.body) {
            match parse_sdp(&req.body) {
                Ok(offer) => {
                    // An offer the policy leaves nothing of (SRTP only, no G.711) is refused
                    // here; the call goes on as it was (RFC 3261 §14.2).
                    let offers = self
                        .calls
                        .get(&id)
                        .map_or(OfferPolicy::Decodable, |c| c.offers);
                    if let Err(e) = offers.apply(offer.clone()) {
                        self.refuse_with_488(now, tx, &req, &e);
                        return;
                    }
                    if is_invite {
                        self.hold_check(now, id, &offer);
                        let ours = side == Side::B || self.is_click_to_dial(id);
                        if ours && self.hold_by_switch(id, side, tx, &req, &offer, now) {
                            return;
                        }
                    }
                    self.relay_sdp(id, side, &req.headers, &req.body)
                        .map(|b| ("application/sdp".to_string(), b))
                }
                Err(reason) => {
                    self.reply(now, tx, &req, 488, &reason);
                    return;
                }
            }
        } else {
            body_of(&req.headers, &req.body)
        };
        let me = self.cfg.me.clone();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(dialog) = call.answered_dialog_mut(side.other()) else {
            self.reply(now, tx, &req, 481, "Call/Transaction Does Not Exist");
            return;
        };
        let mut out = dialog.request(
            req.method,
            &me,
            body.as_ref().map(|(c, b)| (c.as_str(), b.clone())),
        );
        // Keep end-to-end headers that describe the content of INFO/NOTIFY/MESSAGE.
        for h in req.headers.iter() {
            if let Header::Other(name, _) = h {
                let n = name.to_ascii_lowercase();
                if n == "event" || n == "subscription-state" || n == "info-package" {
                    out.headers.push(h.clone());
                }
            }
            if matches!(h, Header::Event(_) | Header::SubscriptionState(_)) {
                out.headers.push(h.clone());
            }
        }
        let peer = dialog.peer;
        if is_invite {
            call.reinvite_pending = true;
        }
        let method = req.method;
        let ctx = match self.tx.send_request(now, peer, out) {
            Ok(t) => t,
            Err(e) => {
                call.reinvite_pending = false;
                tracing::warn!(call = id, error = %e, "in-dialog request not forwarded");
                self.reply(now, tx, &req, 500, "Server Internal Error");
                return;
            }
        };
        call.open_client_txs += 1;
        self.client_txs.insert(
            ctx,
            (
                id,
                ClientPurpose::Forward(Box::new(Forwarded {
                    origin: tx,
                    from: side,
                    method,
                    request: req,
                })),
            ),
        );
    }

    /// The other leg answered a forwarded request: answer the originator the same way.
    pub(super) fn on_forward_response(
        &mut self,
        now: Instant,
        id: CallId,
        ctx: ClientTxId,
        f: Box<Forwarded>,
        code: u16,
        resp: Option<Response>,
    ) {
        if f.method == Method::Invite {
            if let Some(c) = self.calls.get_mut(&id) {
                c.reinvite_pending = false;
            }
        }
        let reason = resp.as_ref().map(sip_fields::reason);
        let mut out = sip::message::make_response(&f.request, code, reason.as_deref(), None);
        if let Some(r) = &resp {
            let body = if sip_fields::is_sdp(&r.headers, &r.body) {
                self.relay_sdp(id, f.from.other(), &r.headers, &r.body)
                    .map(|b| ("application/sdp".to_string(), b))
            } else {
                body_of(&r.headers, &r.body)
            };
            if f.method == Method::Invite && (200..300).contains(&code) {
                // We confirm the other leg's 2xx ourselves (B2BUA); the originator's ACK ends its
                // side, unless the 2xx holds an offer: then that ACK carries the answer we relay.
                let answer_in_ack =
                    f.request.body.is_empty() && sip_fields::is_sdp(&r.headers, &r.body);
                if let Some((seq, _)) = sip_fields::cseq(r) {
                    let to = f.from.other();
                    if answer_in_ack {
                        let d = DeferredAck {
                            call: id,
                            ctx,
                            to,
                            seq,
                        };
                        self.deferred_acks.insert(f.origin, d);
                    } else {
                        self.ack_forwarded(now, id, ctx, to, seq, None);
                    }
                }
            }
            if let Some(c) = self.calls.get(&id) {
                let user = match f.from {
                    Side::A => &c.callee.number,
                    Side::B => &c.caller.number,
                };
                if matches!(f.method, Method::Invite | Method::Update) && (200..300).contains(&code)
                {
                    let a = c.a.dialog.peer;
                    let t = match f.from {
                        Side::A => a,
                        Side::B => c
                            .answered_branch
                            .and_then(|i| c.branches.get(i))
                            .map_or(a, |b| b.dialog.peer),
                    };
                    out.headers.push(self.cfg.me.contact(user, t));
                }
            }
            set_body(
                &mut out.headers,
                &mut out.body,
                body.as_ref().map(|(c, b)| (c.as_str(), b.clone())),
            );
        }
        // A fresh To-tag is wrong inside a dialog: our tag on the originator's leg is in its request.
        self.respond(now, f.origin, out);
    }

    pub(super) fn ack_forwarded(
        &mut self,
        now: Instant,
        id: CallId,
        ctx: ClientTxId,
        side: Side,
        seq: u32,
        sdp: Option<Vec<u8>>,
    ) {
        let me = self.cfg.me.clone();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(d) = call.answered_dialog_mut(side) else {
            return;
        };
        let ack = d.request_with_cseq(Method::Ack, seq, &me, sdp.map(|b| ("application/sdp", b)));
        let peer = d.peer;
        if let Err(e) = self.tx.ack_2xx(now, ctx, peer, ack) {
            tracing::debug!(call = id, error = %e, "ACK for re-INVITE not sent");
        }
    }

    /// An ACK for a 2xx we sent to the caller: for late-offer calls it carries the answer that the
    /// callee's 2xx is still waiting for.
    pub(super) fn on_ack(&mut self, now: Instant, stx: Option<ServerTxId>, ack: Request) {
        let Some(stx) = stx else { return };
        if let Some(d) = self.deferred_acks.remove(&stx) {
            let sdp = self.relay_sdp(d.call, d.to.other(), &ack.headers, &ack.body);
            self.ack_forwarded(now, d.call, d.ctx, d.to, d.seq, sdp);
            return;
        }
        let Some(&id) = self.invite_servers.get(&stx) else {
            return;
        };
        let deferred = self.calls.get(&id).and_then(|c| {
            let i = c.answered_branch?;
            c.branches.get(i)?.ack_deferred.then_some(i)
        });
        let Some(i) = deferred else { return };
        let body = self.relay_sdp(id, Side::A, &ack.headers, &ack.body);
        let me = self.cfg.me.clone();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(b) = call.branches.get_mut(i) else {
            return;
        };
        b.ack_deferred = false;
        let out = b.dialog.request_with_cseq(
            Method::Ack,
            b.invite_cseq,
            &me,
            body.map(|b| ("application/sdp", b)),
        );
        let (tx, peer) = (b.tx, b.dialog.peer);
        let _ = self.tx.ack_2xx(now, tx, peer, out);
    }

    /// End an answered call: BYE to the leg(s) that did not hang up, CDR closed, media released.
    /// `by` names the side that sent BYE (None: the switch ends it, e.g. media timeout).
    pub(super) fn hang_up(
        &mut self,
        now: Instant,
        id: CallId,
        by: Option<(Side, HangupSide)>,
        cause: &str,
    ) {
        if self.consult_agent_left(now, id, by) {
            return;
        }
        let state = self.calls.get(&id).map(|c| (c.phase, c.a.final_sent));
        match state {
            Some((Phase::Answered, _)) => {}
            // The switch answered the caller (IVR), maybe while a callee rings.
            Some((Phase::Held | Phase::Ringing { .. }, true)) => self.cancel_branches(now, id),
            Some((Phase::AwaitingMedia | Phase::Ringing { .. } | Phase::Held, false)) => {
                self.fail_call(now, id, 500, "Server Internal Error", cause);
                return;
            }
            _ => return,
        }
        let me = self.cfg.me.clone();
        let mut byes = Vec::new();
        if let Some(call) = self.calls.get_mut(&id) {
            self.extension_calls.end(call);
            for side in [Side::A, Side::B] {
                if by.is_some_and(|(s, _)| s == side) {
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
        self.close_cdr(now, id, Disposition::Answered, 200, cause, side);
        self.reap(id);
    }

    /// Hold (sendonly/recvonly/inactive or a 0.0.0.0 address) stops RTP legitimately: pause the
    /// silence check. sendonly is the usual hold offer (RFC 6337 §5.3) and the holding phone
    /// often sends nothing, so it counts as hold too. A queue call connected to an agent also
    /// counts its time on hold for the reports.
    fn hold_check(&mut self, now: Instant, id: CallId, sdp: &media::sdp::SessionDescription) {
        let held = sdp.audio_target().is_none_or(|t| {
            matches!(
                t.direction,
                media::sdp::Direction::Inactive
                    | media::sdp::Direction::RecvOnly
                    | media::sdp::Direction::SendOnly
            )
        });
        if let Some(q) = self
            .calls
            .get_mut(&id)
            .and_then(|c| c.queue.as_mut())
            .filter(|q| q.agent.is_some())
        {
            q.hold.set(now, held);
        }
        if self.cfg.media_timeout {
            self.actions.push_back(Action::MediaTimeout {
                call: id,
                enabled: !held,
            });
        }
    }
}
