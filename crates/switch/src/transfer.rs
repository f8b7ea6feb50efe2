//! Blind transfer (RFC 3515 REFER) by the answering side, the agent's usual "transfer to the
//! loans team" or "to my supervisor": the switch accepts the REFER (202), tells the referrer the
//! transfer went through (NOTIFY with a `SIP/2.0 200 OK` sipfrag) and hangs its leg up, then holds
//! the caller (hold music or ringback) and sends the call to the target: a queue (its name or
//! number; the ACD records a transfer event and the call waits afresh) or an extension (rung like
//! a dialplan's dial). A REFER from the caller's side is passed through to the other party.

use super::call::{BranchState, CallerMedia, Phase};
use super::dialog::{Dialog, Me};
use super::sdp::endpoint_sdp;
use super::{read_tag, Action, CallId, ClientPurpose, Switch};
use crate::records::HangupSide;
use rsip::{Header, Method, Request};
use sip::transaction::ServerTxId;
use std::time::Instant;

/// How the callee leg leaves a call ([`Switch::release_agent_leg`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AgentLeg {
    /// It sent REFER: NOTIFY the outcome, then BYE.
    Referred,
    /// The switch drops it: BYE.
    Bye,
    /// It hung up already.
    Gone,
}

/// Where a transfer goes.
pub(super) enum Target {
    Queue(String),
    Extension(String),
}

/// The Refer-To header's value, as written.
pub(super) fn refer_to(req: &Request) -> Option<String> {
    req.headers.iter().find_map(|h| match h {
        Header::Other(name, value)
            if name.eq_ignore_ascii_case("Refer-To") || name.eq_ignore_ascii_case("r") =>
        {
            Some(value.clone())
        }
        _ => None,
    })
}

/// The user part of the Refer-To URI: `<sip:7001@host;transport=udp>` gives `7001`.
pub(super) fn refer_to_user(req: &Request) -> Option<String> {
    let value = refer_to(req)?;
    let inner = match (value.find('<'), value.find('>')) {
        (Some(a), Some(b)) if a < b => value.get(a + 1..b).unwrap_or_default(),
        _ => value.as_str(),
    };
    let rest = inner
        .trim()
        .strip_prefix("sips:")
        .or_else(|| inner.trim().strip_prefix("sip:"))
        .or_else(|| inner.trim().strip_prefix("tel:"))?;
    let user: String = rest
        .chars()
        .take_while(|c| !matches!(c, '@' | ';' | '?' | '>'))
        .collect();
    (!user.is_empty()).then_some(user)
}

/// The NOTIFY that tells a referrer how its REFER ended (RFC 3515 §2.4.5): `status` as a
/// sipfrag status line (`200 OK`), the implicit subscription terminated with it.
pub(super) fn refer_notify(dialog: &mut Dialog, me: &Me, status: &str) -> Request {
    let sipfrag = format!("SIP/2.0 {status}\r\n").into_bytes();
    let mut notify = dialog.request(
        Method::Notify,
        me,
        Some(("message/sipfrag;version=2.0", sipfrag)),
    );
    notify.headers.push(Header::Event("refer".into()));
    notify.headers.push(Header::SubscriptionState(
        "terminated;reason=noresource".into(),
    ));
    notify
}

impl Switch {
    /// The callee or agent side sent REFER on an answered call.
    pub(super) fn blind_transfer(
        &mut self,
        now: Instant,
        id: CallId,
        tx: ServerTxId,
        req: Request,
    ) {
        let Some(user) = refer_to_user(&req) else {
            self.reply(now, tx, &req, 400, "Missing or Unreadable Refer-To");
            return;
        };
        let target = if let Some(q) = self.acd.numbers.get(&user) {
            Target::Queue(q.clone())
        } else if self.acd.queues.contains_key(&user) {
            Target::Queue(user.clone())
        } else if self.cfg.users.contains_key(&user) {
            Target::Extension(user.clone())
        } else {
            self.reply(now, tx, &req, 404, "Transfer Target Not Found");
            return;
        };
        self.reply(now, tx, &req, 202, "Accepted");
        if self.release_agent_leg(now, id, AgentLeg::Referred) {
            self.hold_and_send(now, id, &user, target);
        }
    }

    /// Take the answered callee (agent) leg off call `id`: a referrer is told the transfer
    /// went through (NOTIFY) and hung up, a leg the switch drops is hung up, a leg that hung
    /// up itself is only forgotten. Late requests on the old leg no longer touch the call.
    /// False if the call has no answered callee.
    pub(super) fn release_agent_leg(&mut self, now: Instant, id: CallId, how: AgentLeg) -> bool {
        let me = self.cfg.me.clone();
        let Some(call) = self.calls.get_mut(&id) else {
            return false;
        };
        let Some(i) = call.answered_branch.take() else {
            return false;
        };
        let Some(b) = call.branches.get_mut(i) else {
            return false;
        };
        let mut requests = Vec::new();
        if how == AgentLeg::Referred {
            requests.push(refer_notify(&mut b.dialog, &me, "200 OK"));
        }
        if how != AgentLeg::Gone {
            requests.push(b.dialog.request(Method::Bye, &me, None));
        }
        let peer = b.dialog.peer;
        b.ended = Some(now);
        b.state = BranchState::Cancelled;
        let old_dialog = (b.dialog.call_id.clone(), read_tag(&b.dialog.local));
        for request in requests {
            match self.tx.send_request(now, peer, request) {
                Ok(t) => {
                    if let Some(call) = self.calls.get_mut(&id) {
                        call.open_client_txs += 1;
                    }
                    self.client_txs.insert(t, (id, ClientPurpose::Bye));
                }
                Err(e) => tracing::warn!(call = id, error = %e, "transfer request not sent"),
            }
        }
        if let (cid, Some(tag)) = old_dialog {
            self.dialogs.remove(&(cid, tag));
        }
        true
    }

    /// The caller of call `id`, whose callee left, waits on hold (music or ringback) while the
    /// call goes to `target` (`user` as dialled).
    pub(super) fn hold_and_send(&mut self, now: Instant, id: CallId, user: &str, target: Target) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.phase = Phase::Held;
        call.vars.insert("transferred_to".into(), user.to_string());
        // The switch holds the caller now: its side of the relay becomes an endpoint again.
        let mut endpoint = None;
        if !call.caller_media.is_switch() {
            if let Some((sdp, codec, te)) = endpoint_sdp(call) {
                call.caller_media = CallerMedia::Switch { sdp, codec };
                endpoint = Some(te);
            }
        } else {
            endpoint = Some(None);
        }
        if let Some(te) = endpoint {
            self.actions.push_back(Action::Endpoint {
                call: id,
                telephone_event_pt: te,
            });
        }
        tracing::info!(call = id, to = %user, "blind transfer");
        match target {
            Target::Queue(queue) => self.transfer_to_queue(now, id, &queue),
            Target::Extension(ext) => {
                // Out of the ACD: for the queue the agent's call is complete.
                self.queue_call_ended(now, id, Some(HangupSide::Callee));
                let timeout = self.cfg.ring_timeout;
                self.ivr_dial(now, id, &ext, timeout);
            }
        }
    }

    fn transfer_to_queue(&mut self, now: Instant, id: CallId, queue: &str) {
        let connected = self
            .calls
            .get(&id)
            .and_then(|c| c.queue.as_ref())
            .map(|q| q.key.clone());
        let Some(key) = connected else {
            let vars = self
                .calls
                .get(&id)
                .map(|c| c.vars.clone())
                .unwrap_or_default();
            self.enqueue(now, id, queue, 0, &[], vars);
            return;
        };
        if let Some(leg) = self.calls.get_mut(&id).and_then(|c| c.queue.as_mut()) {
            leg.queue = queue.to_string();
            leg.agent = None;
        }
        if let Some(call) = self.calls.get_mut(&id) {
            call.vars.insert("queue".into(), queue.to_string());
        }
        let moh = self.queue_music(id, queue);
        self.play_waiting(id, moh);
        let input = acd::Input::Transfer {
            call: key,
            queue: queue.to_string(),
            priority: 0,
            skills: acd::Skills::new(),
        };
        if let Err(e) = self.acd_input(now, input) {
            tracing::warn!(call = id, %queue, error = %e, "queue refused the transfer");
            self.ivr_hangup(now, id, "transfer failed");
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A REFER with `Refer-To: value`.
    pub(crate) fn refer(value: &str) -> Request {
        let text = format!(
            "REFER sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\n\
             To: <sip:b@h>;tag=2\r\nCall-ID: c\r\nCSeq: 3 REFER\r\nRefer-To: {value}\r\n\
             Content-Length: 0\r\n\r\n"
        );
        match sip::parse::parse(text.as_bytes()) {
            Ok(rsip::SipMessage::Request(r)) => r,
            other => panic!("not a request: {other:?}"),
        }
    }

    #[test]
    fn refer_to_user_reads_common_forms() {
        assert_eq!(
            refer_to_user(&refer("<sip:7001@10.0.0.1;transport=udp>")).as_deref(),
            Some("7001")
        );
        assert_eq!(refer_to_user(&refer("sip:2003@h")).as_deref(), Some("2003"));
        assert_eq!(
            refer_to_user(&refer("<sip:loans@h?Replaces=x>")).as_deref(),
            Some("loans")
        );
        assert_eq!(refer_to_user(&refer("<mailto:x@y>")), None);
    }
}
