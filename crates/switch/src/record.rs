//! Which calls are recorded and from when: the core asks the driver to start a recording when a
//! call reaches the moment the policy names (its start, or a person answering) and the call is
//! selected (every call, or its queue or one of its extensions is listed). Feature-code calls
//! are never recorded. Pause and resume come from the HTTP API (a card number read out).

use super::call::{Phase, Route};
use super::{Action, CallId, Switch};
use std::collections::{HashMap, HashSet};

/// Which calls are recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RecordMode {
    #[default]
    None,
    All,
    /// Calls through one of these queues, or from or to one of these extensions.
    Selected {
        queues: HashSet<String>,
        extensions: HashSet<String>,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordPolicy {
    pub mode: RecordMode,
    /// From the call's start (IVR included) rather than from the answer.
    pub from_start: bool,
    /// What the offers passed between the legs may carry, unless an entry says otherwise.
    pub offers: OfferPolicy,
    /// The offer policy of some entries (a caller's extension, a dialled extension or queue).
    pub entries: HashMap<PolicyEntry, OfferPolicy>,
}

/// Something a call comes from or goes to that may carry its own [`OfferPolicy`]. Trunks and
/// web (WebRTC) entries will be variants of their own, resolved the same way.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PolicyEntry {
    /// A `[[users]]` extension, as the caller or as the number dialled.
    Extension(String),
    /// A `[[queues]]` queue, dialled by its number.
    Queue(String),
}

impl RecordPolicy {
    /// The offer policy of one call: `Decodable` when the call may be recorded (every call, or
    /// one of its parties or its queue is selected), whatever the entries say; otherwise
    /// `Decodable` if any of its entries asks for it, `AsIs` if one asks for that and none for
    /// `Decodable`, and the `[recording]` default when none has a policy of its own.
    pub fn offers_for(&self, caller: &str, dialled: Option<&PolicyEntry>) -> OfferPolicy {
        let recorded = match &self.mode {
            RecordMode::None => false,
            RecordMode::All => true,
            RecordMode::Selected { queues, extensions } => {
                extensions.contains(caller)
                    || match dialled {
                        Some(PolicyEntry::Extension(e)) => extensions.contains(e),
                        Some(PolicyEntry::Queue(q)) => queues.contains(q),
                        None => false,
                    }
            }
        };
        if recorded {
            return OfferPolicy::Decodable;
        }
        let caller = PolicyEntry::Extension(caller.to_string());
        let own: Vec<OfferPolicy> = std::iter::once(&caller)
            .chain(dialled)
            .filter_map(|e| self.entries.get(e).copied())
            .collect();
        if own.contains(&OfferPolicy::Decodable) {
            OfferPolicy::Decodable
        } else if own.contains(&OfferPolicy::AsIs) {
            OfferPolicy::AsIs
        } else {
            self.offers
        }
    }
}

impl Route {
    /// The entry a call is dialled to, as far as it is known when the INVITE arrives (a
    /// dialplan decides later, so its calls follow the caller and the default).
    pub(super) fn policy_entry(&self, dialled: &str) -> Option<PolicyEntry> {
        match self {
            Route::Extension => Some(PolicyEntry::Extension(dialled.to_string())),
            Route::QueueNumber(q) => Some(PolicyEntry::Queue(q.clone())),
            _ => None,
        }
    }
}

/// What an SDP offer passed from one leg to the other may carry (`switch/sdp.rs`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OfferPolicy {
    /// Only what the switch can decode (PCMU, PCMA, telephone-event/8000), no end-to-end
    /// encryption keys, no rtcp-mux: every call can be recorded and its DTMF detected.
    /// An offer that allows nothing else is refused with 488.
    #[default]
    Decodable,
    /// Offers go on as the phone wrote them (only addresses rewritten): the phones may agree
    /// on a codec or on encryption the recorder cannot follow.
    AsIs,
}

/// When `maybe_record` is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Moment {
    /// Media is ready, or the call joined a queue.
    Start,
    /// A person answered.
    Answer,
}

impl Switch {
    pub(super) fn maybe_record(&mut self, id: CallId, moment: Moment) {
        let policy = &self.cfg.recording;
        if moment == Moment::Start && !policy.from_start {
            return;
        }
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if call.recording
            || call.phase == Phase::Ended
            || call.relay.is_none()
            || call.route.is_feature()
        {
            return;
        }
        let selected = match &policy.mode {
            RecordMode::None => false,
            RecordMode::All => true,
            RecordMode::Selected { queues, extensions } => {
                call.queue
                    .as_ref()
                    .is_some_and(|q| queues.contains(&q.queue))
                    || extensions.contains(&call.caller.number)
                    || extensions.contains(&call.callee.number)
                    // An agent-first call's agent (its callee number is the customer's once
                    // a trunk dials it).
                    || call
                        .callback
                        .as_ref()
                        .is_some_and(|cb| extensions.contains(&cb.extension))
                    || call
                        .answered_branch
                        .and_then(|i| call.branches.get(i))
                        .is_some_and(|b| extensions.contains(&b.extension))
            }
        };
        if !selected {
            return;
        }
        let cdr_id = call.cdr_id.clone();
        if let Some(call) = self.calls.get_mut(&id) {
            call.recording = true;
        }
        self.actions
            .push_back(Action::StartRecording { call: id, cdr_id });
    }

    /// The CDR id of a call in progress.
    pub fn cdr_id_of(&self, id: CallId) -> Option<String> {
        self.calls.get(&id).map(|c| c.cdr_id.clone())
    }

    /// Pause or resume the recording of the call with this CDR id (HTTP API).
    pub fn pause_recording(&mut self, cdr_id: &str, pause: bool) -> Result<(), String> {
        let Some((&id, call)) = self.calls.iter().find(|(_, c)| c.cdr_id == cdr_id) else {
            return Err(format!("no call {cdr_id} in progress"));
        };
        if !call.recording {
            return Err(format!("call {cdr_id} is not being recorded"));
        }
        self.actions.push_back(Action::PauseRecording {
            call: id,
            paused: pause,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(mode: RecordMode, entries: &[(PolicyEntry, OfferPolicy)]) -> RecordPolicy {
        RecordPolicy {
            mode,
            entries: entries.iter().cloned().collect(),
            ..Default::default()
        }
    }

    #[test]
    fn a_queue_entry_sets_the_policy_of_calls_to_it() {
        let sales = PolicyEntry::Queue("sales".into());
        let p = policy(RecordMode::None, &[(sales.clone(), OfferPolicy::AsIs)]);
        assert_eq!(p.offers_for("1001", Some(&sales)), OfferPolicy::AsIs);
        let help = PolicyEntry::Queue("help".into());
        assert_eq!(p.offers_for("1001", Some(&help)), OfferPolicy::Decodable);
        assert_eq!(p.offers_for("1001", None), OfferPolicy::Decodable);
    }

    #[test]
    fn a_recorded_queue_or_extension_is_always_decodable() {
        let sales = PolicyEntry::Queue("sales".into());
        let mode = RecordMode::Selected {
            queues: ["sales".to_string()].into(),
            extensions: ["1001".to_string()].into(),
        };
        let p = RecordPolicy {
            offers: OfferPolicy::AsIs,
            ..policy(mode, &[(sales.clone(), OfferPolicy::AsIs)])
        };
        assert_eq!(p.offers_for("1002", Some(&sales)), OfferPolicy::Decodable);
        assert_eq!(p.offers_for("1001", None), OfferPolicy::Decodable);
        // Neither recorded: the default (as-is) applies.
        assert_eq!(p.offers_for("1002", None), OfferPolicy::AsIs);
    }
}
