//! Which calls are recorded and from when: the core asks the driver to start a recording when a
//! call reaches the moment the policy names (its start, or a person answering) and the call is
//! selected (every call, or its queue or one of its extensions is listed). Feature-code calls
//! are never recorded. Pause and resume come from the HTTP API (a card number read out).

use super::call::Phase;
use super::{Action, CallId, Switch};
use std::collections::HashSet;

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
    /// What the offers passed between the legs may carry.
    pub offers: OfferPolicy,
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
