//! The steps of an agent's consultation (`consult.rs`) as queue events of the customer's call
//! (issue 12; docs/metrics.md): `ConsultStart`, `ConsultEnd`, `AttendedTransfer` and
//! `Conference`, stored with the ACD's own events so reports, the `queue_log` export and the
//! QA console follow the customer's journey. Only a queue call has them (the events belong to
//! a queue); every call has the CDR variables `consult.rs` sets.

use super::queue::{AcdEvent, AcdRecord};
use super::{Action, CallId, Switch};
use std::time::{Duration, Instant};

/// A consultation step, for [`Switch::consult_event`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    Start,
    /// Back to the customer, after this much talk with the third party.
    End(Duration),
    /// The agent left, after this much talk with the third party.
    Transfer(Duration),
    Conference,
}

impl Switch {
    /// Record `step` of `agent`'s consultation of `target` on the customer's call, if it is
    /// in a queue (connected to its agent: the ACD's entry for it still open).
    pub(super) fn consult_event(
        &mut self,
        now: Instant,
        customer: CallId,
        agent: &str,
        target: &str,
        step: Step,
    ) {
        let Some((queue, key)) = self
            .calls
            .get(&customer)
            .and_then(|c| c.queue.as_ref())
            .map(|q| (q.queue.clone(), q.key.clone()))
        else {
            return;
        };
        let (agent, target) = (agent.to_string(), target.to_string());
        let kind = match step {
            Step::Start => acd::QueueEventKind::ConsultStart { agent, target },
            Step::End(consult) => acd::QueueEventKind::ConsultEnd {
                agent,
                target,
                consult,
            },
            Step::Transfer(consult) => acd::QueueEventKind::AttendedTransfer {
                agent,
                target,
                consult,
            },
            Step::Conference => acd::QueueEventKind::Conference { agent, target },
        };
        let at = self.wall(now);
        self.actions.push_back(Action::Acd(AcdRecord {
            at,
            event: AcdEvent::Queue(acd::QueueEvent {
                at: now,
                queue,
                call: key,
                kind,
            }),
        }));
    }
}
