//! Closing a call's CDR: the legs' timeline, disposition and cause, and freeing its media.

use super::{Action, CallId, Switch};
use crate::records::{CdrEnd, CdrEvent, Contact, Direction, Disposition, HangupSide, Leg, LegRole};
use std::time::Instant;

impl Switch {
    pub(super) fn close_cdr(
        &mut self,
        now: Instant,
        id: CallId,
        disposition: Disposition,
        status: u16,
        cause: &str,
        side: Option<HangupSide>,
    ) {
        self.monitor_call_ended(now, id);
        self.consult_call_ended(now, id);
        if let Some(contact) = self.contact_of(now, id, disposition) {
            self.actions
                .push_back(Action::Contact { call: id, contact });
        }
        self.release_trunk_channels(id);
        self.queue_call_ended(now, id, side);
        let phones: Vec<String> = self
            .calls
            .get(&id)
            .map(|c| {
                std::iter::once(c.caller.number.clone())
                    .chain(
                        c.branches
                            .iter()
                            .filter(|b| b.answered.is_some() && b.agent.is_none())
                            .map(|b| b.extension.clone()),
                    )
                    // A click-to-dial's agent (its first leg) was made busy at the request.
                    .chain(
                        c.callback
                            .as_ref()
                            .filter(|_| self.is_click_to_dial(id))
                            .map(|cb| cb.extension.clone()),
                    )
                    .collect()
            })
            .unwrap_or_default();
        for ext in phones {
            self.agent_phone_free(now, &ext);
        }
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        super::call_log::end(call, now, disposition, status, cause, side);
        // A callback's first leg is the agent's, its branches dial the customer (the caller).
        let (a_role, b_role, a_extension) = if let Some(cb) = &call.callback {
            (LegRole::Callee, LegRole::Caller, cb.extension.clone())
        } else {
            let caller = call.caller.number.clone();
            (LegRole::Caller, LegRole::Callee, caller)
        };
        let wall = |t: Instant| self.wall(t);
        let mut legs = vec![Leg {
            role: a_role,
            sip_call_id: call.a.dialog.call_id.clone(),
            peer: call.a.dialog.peer.to_string(),
            extension: a_extension,
            started_at: wall(call.started),
            answered_at: call.answered.map(wall),
            ended_at: Some(wall(now)),
            final_status: Some(status),
        }];
        for b in &call.branches {
            legs.push(Leg {
                role: b_role,
                sip_call_id: b.dialog.call_id.clone(),
                peer: b.dialog.peer.to_string(),
                extension: b.extension.clone(),
                started_at: wall(b.started),
                answered_at: b.answered.map(wall),
                ended_at: Some(wall(b.ended.unwrap_or(now))),
                final_status: b.final_status,
            });
        }
        let end = CdrEnd {
            vars: call.vars.clone(),
            call_id: call.cdr_id.clone(),
            ended_at: wall(now),
            disposition,
            sip_status: status,
            hangup_cause: cause.to_string(),
            hangup_side: side,
            legs,
        };
        self.actions.push_back(Action::Cdr(CdrEvent::End(end)));
        if call.relay.is_some() {
            self.actions.push_back(Action::ReleaseMedia { call: id });
        }
    }

    /// The contact-history row of a customer-facing call: one that entered a queue, a web
    /// page's call, or a dialplan call from a caller who is not one of our extensions or whom
    /// the plan's CRM lookup knew as a customer. Calls between extensions (also through the default plan)
    /// and feature codes are not contacts.
    fn contact_of(&self, now: Instant, id: CallId, disposition: Disposition) -> Option<Contact> {
        if self.is_click_to_dial(id) {
            return self.click_to_dial_contact(now, id, disposition);
        }
        let call = self.calls.get(&id)?;
        // A consultation's third party (even at an outside number) is no customer: the
        // customer's call keeps the row.
        if matches!(call.route, super::call::Route::Consult(_)) {
            return None;
        }
        let queue = call.vars.get("queue").cloned();
        // An extension calling through the dialplans (the default plan dials extensions) is an
        // internal call unless the plan's CRM lookup knew the number as a customer's.
        let internal = self.cfg.users.contains_key(&call.caller.number)
            && call.vars.get("customer.known").map(String::as_str) != Some("true");
        // A call a carrier delivered, or one that went out over a trunk, is a customer's.
        let dialled_out = self.trunk_dialled(id).filter(|_| call.callback.is_none());
        let over_trunk = call.trunk_in.is_some() || dialled_out.is_some();
        let web = call.channel == crate::records::Channel::Web;
        if queue.is_none() && !over_trunk && !web && (call.route.plan().is_none() || internal) {
            return None;
        }
        // An agent calling out from their phone is the agent of the row.
        let caller_agent = || {
            self.acd
                .logged_in
                .iter()
                .find(|(_, ext)| **ext == call.caller.number)
                .map(|(agent, _)| agent.clone())
        };
        let agent = call
            .vars
            .get("agent")
            .cloned()
            .or_else(|| dialled_out.as_ref().and_then(|_| caller_agent()));
        let person_answered = call
            .answered_branch
            .and_then(|i| call.branches.get(i))
            .and_then(|b| b.answered);
        let outcome = match (&call.queue, person_answered, disposition) {
            // The caller left the queue to leave a message (switch/queue_exit.rs).
            (None, None, _) if call.vars.contains_key("message") => "message",
            // The caller asked to be called back (switch/callback.rs).
            (None, None, _) if call.vars.contains_key("callback") => "callback_requested",
            (Some(q), _, _) if q.agent.is_none() => "abandoned",
            // An agent handed the customer on (blind, attended or after a consultation): the
            // row notes it; the CDR's variables say by whom, to whom and when.
            (_, _, Disposition::Answered) if call.vars.contains_key("transferred_to") => {
                "transferred"
            }
            (_, Some(_), _) => "answered",
            // Nobody took an agent's own call out: what the far end said.
            (None, None, d) if dialled_out.is_some() => d.as_str(),
            (None, None, _) if agent.is_some() => "answered",
            (_, None, Disposition::Answered) => "self_service",
            (_, None, d) => d.as_str(),
        };
        let since = person_answered.or(call.answered).unwrap_or(call.started);
        Some(Contact {
            call_id: call.cdr_id.clone(),
            direction: if call.vars.contains_key("callback_of") || dialled_out.is_some() {
                Direction::Outbound
            } else {
                Direction::Inbound
            },
            number: dialled_out.unwrap_or_else(|| call.caller.number.clone()),
            at: self.wall(call.started),
            queue,
            agent,
            duration_ms: now.saturating_duration_since(since).as_millis() as i64,
            outcome: outcome.to_string(),
            channel: call.channel,
        })
    }
}
