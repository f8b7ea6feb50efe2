//! Closing a call's CDR: the legs' timeline, disposition and cause, and freeing its media.

use super::{Action, CallId, Switch};
use crm::{CdrEvent, Disposition};
use std::time::Instant;

impl Switch {
    pub(super) fn close_cdr(
        &mut self,
        now: Instant,
        id: CallId,
        disposition: Disposition,
        status: u16,
        cause: &str,
        side: Option<crm::Side>,
    ) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let wall = |t: Instant| self.wall(t);
        let mut legs = vec![crm::Leg {
            role: crm::LegRole::Caller,
            sip_call_id: call.a.dialog.call_id.clone(),
            peer: call.a.dialog.peer.to_string(),
            extension: call.caller.number.clone(),
            started_at: wall(call.started),
            answered_at: call.answered.map(wall),
            ended_at: Some(wall(now)),
            final_status: Some(status),
        }];
        for b in &call.branches {
            legs.push(crm::Leg {
                role: crm::LegRole::Callee,
                sip_call_id: b.dialog.call_id.clone(),
                peer: b.dialog.peer.to_string(),
                extension: call.callee.number.clone(),
                started_at: wall(b.started),
                answered_at: b.answered.map(wall),
                ended_at: Some(wall(b.ended.unwrap_or(now))),
                final_status: b.final_status,
            });
        }
        let end = crm::CdrEnd {
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
}
