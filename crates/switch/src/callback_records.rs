//! Callbacks outlive the switch: a callback a caller asked for is written to the CRM
//! (`Action::Callback`), closed when an agent takes it (or it overflows), and put back in its
//! queue at the next start with the time it had already waited, so a restart never drops a
//! promise made to a customer.

use super::{Action, CallbackRecord, Switch};
use crate::records::CallbackRequest;
use chrono::{DateTime, Utc};
use std::time::Instant;

impl Switch {
    /// The ACD took a callback for entry `key`: keep it in the CRM.
    pub(super) fn callback_requested(
        &mut self,
        now: Instant,
        key: &str,
        queue: &str,
        number: &str,
    ) {
        let Some(entry) = self
            .acd
            .core
            .waiting(queue, now)
            .into_iter()
            .find(|w| w.call == key)
        else {
            return;
        };
        let wall = self.wall(now);
        let waited = chrono::Duration::from_std(entry.waited).unwrap_or_default();
        let request = CallbackRequest {
            call_id: key.to_string(),
            queue: queue.to_string(),
            number: number.to_string(),
            priority: entry.priority,
            skills: entry.skills.into_iter().collect(),
            enqueued_at: wall - waited,
            requested_at: wall,
        };
        self.acd.pending_callbacks.insert(key.to_string());
        self.actions
            .push_back(Action::Callback(CallbackRecord::Requested(request)));
    }

    /// Entry `key` left the queue (an agent took it, or it overflowed): if it was a callback,
    /// its CRM row is closed.
    pub(super) fn callback_done(&mut self, now: Instant, key: &str, outcome: &'static str) {
        if self.acd.pending_callbacks.remove(key) {
            let at = self.wall(now);
            self.actions
                .push_back(Action::Callback(CallbackRecord::Done {
                    call_id: key.to_string(),
                    at,
                    outcome,
                }));
        }
    }

    /// Put the callbacks the CRM still holds back into their queues, each with the time it
    /// had waited before (`wall` is the wall clock at `now`). One whose queue is gone is
    /// closed as `queue removed`.
    pub fn restore_callbacks(
        &mut self,
        now: Instant,
        wall: DateTime<Utc>,
        pending: Vec<CallbackRequest>,
    ) {
        for r in pending {
            let waited = (wall - r.enqueued_at).to_std().unwrap_or_default();
            let input = acd::Input::RestoreCallback {
                call: r.call_id.clone(),
                queue: r.queue.clone(),
                number: r.number.clone(),
                priority: r.priority,
                skills: r.skills.into_iter().collect(),
                waited,
            };
            match self.acd.core.handle(now, input) {
                Ok(()) => {
                    tracing::info!(call_id = %r.call_id, queue = %r.queue, number = %r.number,
                        "callback restored");
                    self.acd.pending_callbacks.insert(r.call_id);
                }
                Err(acd::AcdError::DuplicateCall(_)) => {}
                Err(e) => {
                    tracing::warn!(call_id = %r.call_id, error = %e, "callback not restored");
                    self.actions
                        .push_back(Action::Callback(CallbackRecord::Done {
                            call_id: r.call_id,
                            at: wall,
                            outcome: "queue removed",
                        }));
                }
            }
        }
        self.run_acd(now);
        self.process(now);
    }

    /// How many callbacks are kept in the CRM and not yet closed.
    pub fn kept_callbacks(&self) -> usize {
        self.acd.pending_callbacks.len()
    }
}
