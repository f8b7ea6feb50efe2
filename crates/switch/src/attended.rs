//! Attended transfer as phones do it (RFC 5589 §7, RFC 3891): the agent holds the customer
//! (call C1; the switch plays music, `hold.rs`), dials a colleague through the switch (call C2),
//! talks, then sends REFER on one of its two dialogs with `Refer-To: <sip:x@switch?Replaces=
//! <the other dialog>>`. The switch does not send anyone an INVITE with Replaces: it owns both
//! calls, so it joins them inside itself.
//!
//! - The call kept is the older one (C1, the customer's): its CDR, recording, queue entry and
//!   relay go on. The colleague's dialog moves into it as its answered branch: the switch
//!   re-INVITEs the colleague with SDP naming C1's relay port that faced the agent, and on the
//!   answer points that port at the colleague (`SetRemote`). The customer's phone is never
//!   re-INVITEd: it was held by the switch, not by a re-INVITE passed to it. Its music stops.
//! - The REFER is accepted (202) and NOTIFY says `SIP/2.0 200 OK`; the switch then BYEs both of
//!   the agent's legs. A BYE the phone sends itself on those legs meanwhile (RFC 5589 lets the
//!   transferor do either) is answered 200 (`TransferredLegs`).
//! - C2 ends for the record (CDR closed with `attended_transfer_into` = C1's CDR id) and its
//!   relay is released. C1's CDR gets `transfer=attended`, `transferred_by`, `transferred_to`
//!   and `transferred_at`; a queue call ends for its agent as a normal end (wrap-up follows).
//!   A colleague who answered C2 through a queue keeps that queue call, moved onto C1: on a
//!   call for the ACD until C1 ends (`move_queue_leg`).
//! - The REFER may come on C1 (Replaces naming C2) or on C2 (naming C1): the same join.
//! - Refused with a NOTIFY failure sipfrag, the calls left as they were: a Replaces that names
//!   no call of the switch (481), C2 still ringing (early attended transfer is not offered:
//!   the agent waits for the answer or transfers blind; 491 "Transfer Target Not Answered"),
//!   and shapes the join does not handle (501): the agent being the caller of C1
//!   (click-to-dial) or the callee of C2.

use super::call::{Branch, BranchState, Phase, Side};
use super::consult_events::Step;
use super::sdp::{codec_of, OwnSdp};
use super::{read_tag, sip_fields, Action, CallId, ClientPurpose, Switch};
use crate::records::{Disposition, HangupSide};
use rsip::{Method, Request};
use sip::transaction::{ClientTxId, ServerTxId};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A dialog named by a `Replaces` header (RFC 3891 §6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Replaces {
    pub call_id: String,
    pub to_tag: String,
    pub from_tag: String,
}

/// The `Replaces` carried in the REFER's Refer-To URI headers (`?Replaces=...`), decoded.
/// `None`: no Replaces (a blind transfer); `Some(None)`: there but unreadable.
pub(super) fn replaces_in_refer(req: &Request) -> Option<Option<Replaces>> {
    let value = super::transfer::refer_to(req)?;
    let inner = match (value.find('<'), value.rfind('>')) {
        (Some(a), Some(b)) if a < b => value.get(a + 1..b)?,
        _ => value.as_str(),
    };
    let (_, headers) = inner.split_once('?')?;
    let raw = headers.split('&').find_map(|h| {
        let (name, v) = h.split_once('=')?;
        name.eq_ignore_ascii_case("Replaces").then_some(v)
    })?;
    Some(percent_decode(raw).and_then(|text| parse_replaces(&text)))
}

/// `call-id;to-tag=x;from-tag=y` (parameters in any order, `early-only` ignored).
fn parse_replaces(text: &str) -> Option<Replaces> {
    let mut parts = text.split(';');
    let call_id = parts.next()?.trim().to_string();
    let (mut to_tag, mut from_tag) = (None, None);
    for p in parts {
        match p.trim().split_once('=') {
            Some((n, v)) if n.eq_ignore_ascii_case("to-tag") => to_tag = Some(v.to_string()),
            Some((n, v)) if n.eq_ignore_ascii_case("from-tag") => from_tag = Some(v.to_string()),
            _ => {}
        }
    }
    (!call_id.is_empty()).then_some(())?;
    Some(Replaces {
        call_id,
        to_tag: to_tag?,
        from_tag: from_tag?,
    })
}

/// RFC 3986 percent-decoding; `None` for a broken escape or bytes that are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The agent's legs the switch hung up after a transfer, so that the phone's own BYE on them
/// gets 200 rather than 481. Kept for a minute (the BYEs cross within a round trip).
#[derive(Debug, Default)]
pub(super) struct TransferredLegs(HashMap<(String, String), Instant>);

const KEEP_TRANSFERRED_LEG: Duration = Duration::from_secs(64);

impl TransferredLegs {
    fn insert(&mut self, now: Instant, key: (String, String)) {
        self.0
            .retain(|_, at| now.saturating_duration_since(*at) < KEEP_TRANSFERRED_LEG);
        self.0.insert(key, now);
    }
}

/// The colleague's re-INVITE that moves it onto the customer's call.
#[derive(Debug)]
pub(super) struct Join {
    /// The colleague's extension (for the log).
    pub target: String,
}

/// The facts of one transfer, gathered before anything changes.
struct Plan {
    keep: CallId,
    moved: CallId,
    /// The REFER's own dialog (where the NOTIFY goes).
    refer: (CallId, Side),
    agent: String,
    target: String,
}

impl Switch {
    /// A REFER whose Refer-To carries Replaces, on either of the agent's two calls.
    pub(super) fn attended_transfer(
        &mut self,
        now: Instant,
        id: CallId,
        side: Side,
        tx: ServerTxId,
        req: Request,
    ) {
        let Some(Some(replaces)) = replaces_in_refer(&req) else {
            self.reply(now, tx, &req, 400, "Bad Replaces in Refer-To");
            return;
        };
        self.reply(now, tx, &req, 202, "Accepted");
        // Phones put our tag as to-tag (RFC 5589) or, seen from their side, as from-tag.
        let other = [&replaces.to_tag, &replaces.from_tag]
            .into_iter()
            .find_map(|tag| {
                self.dialogs
                    .get(&(replaces.call_id.clone(), tag.clone()))
                    .copied()
            })
            .filter(|&(o, _)| o != id);
        let Some((other, other_side)) = other else {
            tracing::info!(call = id, replaces = %replaces.call_id, "attended transfer: no such call");
            self.notify_refer(now, id, side, "481 Call/Transaction Does Not Exist");
            return;
        };
        if self.calls.get(&other).map(|c| c.phase) != Some(Phase::Answered) {
            self.notify_refer(now, id, side, "491 Transfer Target Not Answered");
            return;
        }
        let ((keep, keep_side), (moved, moved_side)) = if id < other {
            ((id, side), (other, other_side))
        } else {
            ((other, other_side), (id, side))
        };
        if keep_side != Side::B || moved_side != Side::A {
            self.notify_refer(now, id, side, "501 Transfer Of This Call Not Supported");
            return;
        }
        let names = self.calls.get(&moved).and_then(|m| {
            let b = m.branches.get(m.answered_branch?)?;
            Some((m.caller.number.clone(), b.extension.clone()))
        });
        let Some((agent, target)) = names else {
            self.notify_refer(now, id, side, "500 Server Internal Error");
            return;
        };
        let plan = Plan {
            keep,
            moved,
            refer: (id, side),
            agent,
            target,
        };
        self.join(now, plan);
    }

    /// NOTIFY the referrer how the transfer went (RFC 3515 §2.4.5), ending the subscription.
    fn notify_refer(&mut self, now: Instant, id: CallId, side: Side, status: &str) {
        let me = self.cfg.me.clone();
        let Some(d) = self
            .calls
            .get_mut(&id)
            .and_then(|c| c.answered_dialog_mut(side))
        else {
            return;
        };
        let notify = super::transfer::refer_notify(d, &me, status);
        let peer = d.peer;
        self.send_tracked(now, id, peer, notify, ClientPurpose::Bye);
    }

    /// Send a request of call `id` and count it open until its final response.
    fn send_tracked(
        &mut self,
        now: Instant,
        id: CallId,
        peer: sip::Peer,
        req: Request,
        purpose: ClientPurpose,
    ) {
        match self.tx.send_request(now, peer, req) {
            Ok(t) => {
                if let Some(call) = self.calls.get_mut(&id) {
                    call.open_client_txs += 1;
                }
                self.client_txs.insert(t, (id, purpose));
            }
            Err(e) => tracing::warn!(call = id, error = %e, "transfer request not sent"),
        }
    }

    /// Join the customer's call with the colleague: see the module's notes.
    fn join(&mut self, now: Instant, plan: Plan) {
        let Plan {
            keep,
            moved,
            refer,
            agent,
            target,
        } = plan;
        let me = self.cfg.me.clone();
        // The colleague's dialog leaves C2 (its branch stays there for C2's CDR, ended).
        let Some(m) = self.calls.get_mut(&moved) else {
            return;
        };
        let Some(j) = m.answered_branch.take() else {
            return;
        };
        let Some(mb) = m.branches.get_mut(j) else {
            return;
        };
        mb.ended = Some(now);
        mb.state = BranchState::Cancelled;
        let mut colleague = Branch::trying(mb.tx, mb.dialog.clone(), mb.started, target.clone());
        colleague.invite_cseq = mb.invite_cseq;
        colleague.state = BranchState::Answered;
        colleague.answered = mb.answered;
        colleague.final_status = mb.final_status;
        colleague.invite_pending = false;
        let colleague_key = (mb.dialog.call_id.clone(), read_tag(&mb.dialog.local));
        let consulted = mb
            .answered
            .map_or(Duration::ZERO, |a| now.saturating_duration_since(a));
        m.vars.insert("transfer".into(), "attended".into());
        let keep_cdr = self.calls.get(&keep).map(|k| k.cdr_id.clone());
        if let (Some(m), Some(cdr)) = (self.calls.get_mut(&moved), keep_cdr) {
            m.vars.insert("attended_transfer_into".into(), cdr);
        }

        // Tell the referrer first: the NOTIFY goes on the REFER's dialog before its BYE.
        self.notify_refer(now, refer.0, refer.1, "200 OK");

        // The agent's leg of C1 ends; the colleague becomes C1's answered branch.
        let at = self.wall(now).to_rfc3339();
        let Some(k) = self.calls.get_mut(&keep) else {
            return;
        };
        let Some(i) = k.answered_branch else {
            return;
        };
        let Some(kb) = k.branches.get_mut(i) else {
            return;
        };
        kb.ended = Some(now);
        kb.state = BranchState::Cancelled;
        let agent_bye_c1 = (kb.dialog.peer, kb.dialog.request(Method::Bye, &me, None));
        let agent_key_c1 = (kb.dialog.call_id.clone(), read_tag(&kb.dialog.local));
        k.branches.push(colleague);
        k.answered_branch = Some(k.branches.len() - 1);
        k.reinvite_pending = true;
        k.vars.insert("transfer".into(), "attended".into());
        k.vars.insert("transferred_by".into(), agent.clone());
        k.vars.insert("transferred_to".into(), target.clone());
        k.vars.insert("transferred_at".into(), at);
        self.extension_calls.set_callee(k, target.clone());
        let offer = self.join_offer(keep);

        // The agent's leg of C2 ends with C2.
        let agent_bye_c2 = self.calls.get_mut(&moved).map(|m| {
            let key = (m.a.dialog.call_id.clone(), m.a.local_tag.clone());
            (
                m.a.dialog.peer,
                m.a.dialog.request(Method::Bye, &me, None),
                key,
            )
        });
        let (peer, bye) = agent_bye_c1;
        self.send_tracked(now, keep, peer, bye, ClientPurpose::Bye);
        if let (cid, Some(tag)) = agent_key_c1 {
            self.dialogs.remove(&(cid.clone(), tag.clone()));
            self.transferred_legs.insert(now, (cid, tag));
        }
        if let Some((peer, bye, key)) = agent_bye_c2 {
            self.send_tracked(now, moved, peer, bye, ClientPurpose::Bye);
            self.dialogs.remove(&key);
            self.transferred_legs.insert(now, key);
        }
        if let (cid, Some(tag)) = colleague_key {
            self.dialogs.insert((cid, tag), (keep, Side::B));
        }
        if let Some(m) = self.calls.get_mut(&moved) {
            self.extension_calls.end(m);
        }
        // The queue's events follow the customer: the agent handed the call on after talking
        // with the colleague this long (as a consultation from the agent page does).
        let by = (self.calls.get(&keep))
            .and_then(|k| k.queue.as_ref()?.agent.clone())
            .unwrap_or_else(|| agent.clone());
        self.consult_event(now, keep, &by, &target, Step::Transfer(consulted));
        // For the queue the agent's call is complete: wrap-up follows as after any call.
        self.queue_call_ended(now, keep, Some(HangupSide::Callee));
        // A colleague who took C2 through a queue stays on that queue call until C1 ends.
        self.move_queue_leg(moved, keep);
        self.close_cdr(
            now,
            moved,
            Disposition::Answered,
            200,
            "attended transfer",
            Some(HangupSide::Caller),
        );
        // Closing C2 freed the colleague's phone for the ACD; the colleague is still talking.
        self.agent_phone_busy(now, &target);
        self.resume_from_hold(keep);
        tracing::info!(call = keep, from = moved, %agent, to = %target, "attended transfer");

        // The colleague now talks to C1's relay port that faced the agent.
        let me = self.cfg.me.clone();
        let reinvite = self.calls.get_mut(&keep).and_then(|k| {
            let d = k.answered_dialog_mut(Side::B)?;
            let req = d.request(Method::Invite, &me, offer.map(|b| ("application/sdp", b)));
            Some((d.peer, req))
        });
        match reinvite {
            Some((peer, req)) => {
                self.send_tracked(now, keep, peer, req, ClientPurpose::Join(Join { target }))
            }
            None => self.hang_up(now, keep, None, "transfer target lost"),
        }
        self.reap(moved);
    }

    /// C2 reached the colleague through a queue (the agent dialled a queue's number): its
    /// place in the ACD moves to C1 with the colleague, so the colleague stays on a call for
    /// the ACD (no new offers, no wrap-up) until the customer's call ends, and that queue's
    /// visit completes then, its talk time the colleague's whole conversation (docs/acd.md).
    fn move_queue_leg(&mut self, from: CallId, to: CallId) {
        let Some(leg) = self
            .calls
            .get_mut(&from)
            .and_then(|c| c.queue.take_if(|q| q.agent.is_some()))
        else {
            return;
        };
        self.acd.exits.remove(&from);
        let Some(keep) = self.calls.get_mut(&to) else {
            // C1 is gone: C2's visit ends with C2, as it would have.
            if let Some(c) = self.calls.get_mut(&from) {
                c.queue = Some(leg);
            }
            return;
        };
        if let Some(b) = keep.answered_branch.and_then(|i| keep.branches.get_mut(i)) {
            b.agent = leg.agent.clone();
        }
        self.acd.calls.insert(leg.key.clone(), to);
        keep.queue = Some(leg);
    }

    /// The switch's offer to the colleague: C1's relay port B, in the customer's G.711 law.
    fn join_offer(&self, keep: CallId) -> Option<Vec<u8>> {
        let call = self.calls.get(&keep)?;
        let relay = call.relay?;
        let (codec, te) = match &call.caller_media {
            super::call::CallerMedia::Switch { codec, .. } => {
                let te = call.a_sdp.as_ref().and_then(codec_of).and_then(|(_, t)| t);
                (*codec, te)
            }
            super::call::CallerMedia::Relayed => call.a_sdp.as_ref().and_then(codec_of)?,
        };
        OwnSdp {
            port: relay.port(Side::B),
            codec,
            telephone_event: te,
            both_laws: false,
            direction: "sendrecv",
        }
        .render(call)
    }

    /// The colleague answered the join re-INVITE: point the relay at it and ACK; a refusal
    /// ends the customer's call (nobody is left to talk to).
    pub(super) fn on_join_response(
        &mut self,
        now: Instant,
        id: CallId,
        ctx: ClientTxId,
        join: Join,
        code: u16,
        resp: Option<rsip::Response>,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.reinvite_pending = false;
        if call.phase != Phase::Answered {
            return;
        }
        let Some(resp) = resp.filter(|_| (200..300).contains(&code)) else {
            tracing::info!(call = id, target = %join.target, code, "transfer target refused the join");
            self.hang_up(now, id, None, "transfer target lost");
            return;
        };
        let target = sip_fields::is_sdp(&resp.headers, &resp.body)
            .then(|| super::sdp::parse_sdp(&resp.body).ok())
            .flatten()
            .and_then(|s| s.audio_target());
        let signal = super::sdp::signalling_ip(call, Side::B);
        if let Some(t) = target {
            self.point_relay(id, Side::B, t, signal);
        }
        if self.cfg.media_timeout {
            self.actions.push_back(Action::MediaTimeout {
                call: id,
                enabled: true,
            });
        }
        if let Some((seq, _)) = sip_fields::cseq(&resp) {
            self.ack_forwarded(now, id, ctx, Side::B, seq, None);
        }
    }

    /// A request on a leg a transfer took the agent off: BYE is answered 200, the rest 481.
    /// False when the dialog was never one of those.
    pub(super) fn on_transferred_leg(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        req: &Request,
        key: &(String, String),
    ) -> bool {
        if !self.transferred_legs.0.contains_key(key) {
            return false;
        }
        match req.method {
            Method::Bye => {
                self.transferred_legs.0.remove(key);
                self.reply(now, tx, req, 200, "OK");
            }
            _ => self.reply(now, tx, req, 481, "Call/Transaction Does Not Exist"),
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transfer::tests::refer;

    #[test]
    fn replaces_is_read_from_the_refer_to_uri() {
        let r = refer("<sip:1004@h?Replaces=abc%40host%3Bto-tag%3Dt1%3Bfrom-tag%3Df1>");
        assert_eq!(
            replaces_in_refer(&r),
            Some(Some(Replaces {
                call_id: "abc@host".into(),
                to_tag: "t1".into(),
                from_tag: "f1".into()
            }))
        );
        // Order of parameters, other URI headers and lower-case escapes as phones send them.
        let r = refer("<sip:1004@h?Require=replaces&Replaces=x%3bfrom-tag%3df%3bto-tag%3dt>");
        assert_eq!(
            replaces_in_refer(&r)
                .flatten()
                .map(|r| (r.to_tag, r.from_tag)),
            Some(("t".into(), "f".into()))
        );
    }

    #[test]
    fn a_blind_refer_has_no_replaces_and_a_broken_one_is_told_apart() {
        assert_eq!(replaces_in_refer(&refer("<sip:1004@h>")), None);
        assert_eq!(
            replaces_in_refer(&refer("<sip:1004@h?Replaces=x%3Bto-tag%3Dt>")),
            Some(None)
        );
        assert_eq!(
            replaces_in_refer(&refer("<sip:1004@h?Replaces=x%zz>")),
            Some(None)
        );
    }
}
