//! The agent's leg leaving a click-to-dial call at the end of a consultation (`consult.rs`):
//! there the agent is side A, the leg the switch placed first, and the customer side B. The
//! switch hangs the leg up (unless the agent did), marks it gone so that nothing is sent on
//! it any more (a request the customer's phone sends for it gets 481, as after a transfer the
//! other way round), and the call goes on between the customer and the third party, who
//! takes the agent's place as the call's party (its extension count, `limits.rs`). The agent's
//! phone is free for the ACD again at once.

use super::call::Side;
use super::transfer::AgentLeg;
use super::{CallId, ClientPurpose, Switch};
use rsip::Method;
use std::time::Instant;

impl Switch {
    /// The agent's side-A leg of call `id` leaves; `target` (the third party's number) takes
    /// its place. `how`: the switch hangs it up, or it hung up itself.
    pub(super) fn release_caller_agent(
        &mut self,
        now: Instant,
        id: CallId,
        target: &str,
        how: AgentLeg,
    ) {
        let me = self.cfg.me.clone();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let bye = (how != AgentLeg::Gone).then(|| {
            (
                call.a.dialog.peer,
                call.a.dialog.request(Method::Bye, &me, None),
            )
        });
        call.a.gone = true;
        let key = (call.a.dialog.call_id.clone(), call.a.local_tag.clone());
        let agent_ext = call.callback.as_ref().map(|cb| cb.extension.clone());
        self.extension_calls.set_callee(call, target.to_string());
        call.callee.name = None;
        self.dialogs.remove(&key);
        if let Some((peer, bye)) = bye {
            match self.tx.send_request(now, peer, bye) {
                Ok(t) => {
                    if let Some(call) = self.calls.get_mut(&id) {
                        call.open_client_txs += 1;
                    }
                    self.client_txs.insert(t, (id, ClientPurpose::Bye));
                }
                Err(e) => tracing::warn!(call = id, error = %e, "BYE to the agent not sent"),
            }
        }
        if let Some(ext) = agent_ext {
            self.agent_phone_free(now, &ext);
        }
        tracing::info!(call = id, side = ?Side::A, "the agent left the click-to-dial call");
    }
}
