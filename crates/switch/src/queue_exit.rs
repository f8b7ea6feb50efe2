//! Leaving a queue with a key: a waiting caller's digit (RFC 4733, SIP INFO or in-band, routed
//! here by `Switch::dtmf`) is looked up in the queue's exit keys. A target (a queue, an
//! extension or a number the dialplans route) takes the caller there; `message` plays the
//! queue's message prompt and records the caller until `#`, the length limit or the hang-up;
//! `callback` confirms the caller's number (switch/callback.rs places the call later); a key
//! without a mapping is ignored.
//!
//! The same target resolution serves the queue's `overflow`.

use super::call::Phase;
use super::call::Route;
use super::{Action, CallId, CoreTimer, Switch};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// What a key pressed while waiting in a queue does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExitKey {
    /// Leave the queue and leave a message.
    Message,
    /// Leave the line but keep the place: the switch calls the caller back (switch/callback.rs).
    Callback,
    /// Leave the queue for a queue name, an extension or a number the dialplans route.
    Target(String),
}

/// A queue's exit keys and the prompt and limit of its message flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueExitSetup {
    pub keys: BTreeMap<char, ExitKey>,
    /// Prompt spec played before the message is recorded (default a beep).
    pub message_prompt: String,
    /// Longest message.
    pub message_max: Duration,
    /// Prompt spec played before the callback number is read back.
    pub callback_prompt: String,
    /// Directory (under the prompts directory) of the digit files `0.wav`..`9.wav` that read
    /// the callback number back.
    pub callback_digits: String,
}

/// The default message prompt: a 1 kHz beep of half a second.
pub const DEFAULT_MESSAGE_PROMPT: &str = "tone:1000:500";
/// The plan variable whose digits (a `collect` step's) a callback calls instead of the
/// authenticated caller.
pub const CALLBACK_NUMBER_VAR: &str = "callback_number";

/// The default callback confirmation: "You entered", then the number digit by digit.
pub const DEFAULT_CALLBACK_PROMPT: &str = "en/callback.wav";
/// The default digit files for reading the callback number back.
pub const DEFAULT_CALLBACK_DIGITS: &str = "en/digits";
/// The default longest message.
pub const DEFAULT_MESSAGE_MAX: Duration = Duration::from_secs(120);

impl Default for QueueExitSetup {
    fn default() -> Self {
        QueueExitSetup {
            keys: BTreeMap::new(),
            message_prompt: DEFAULT_MESSAGE_PROMPT.to_string(),
            message_max: DEFAULT_MESSAGE_MAX,
            callback_prompt: DEFAULT_CALLBACK_PROMPT.to_string(),
            callback_digits: DEFAULT_CALLBACK_DIGITS.to_string(),
        }
    }
}

/// Where a caller who left a queue with a key is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ExitState {
    /// The message prompt plays; recording starts when it ends.
    MessagePrompt { queue: String },
    /// The message is being recorded until `#`, `until` or the hang-up.
    Recording { until: Instant },
    /// The callback confirmation plays; the switch hangs up when it ends.
    CallbackPrompt,
}

/// A queue message for the CRM: the recording the driver starts is stored as a message left
/// in `queue` by `caller`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueMessage {
    pub cdr_id: String,
    pub queue: String,
    pub caller: String,
}

impl Switch {
    /// A digit from a caller waiting in a queue, or in an exit flow. True when it was taken
    /// here (the dialplan does not see it).
    pub(super) fn queue_digit(&mut self, now: Instant, id: CallId, digit: char) -> bool {
        match self.acd.exits.get(&id) {
            Some(ExitState::Recording { .. }) => {
                if digit == '#' {
                    self.message_done(now, id, "message left");
                }
                return true;
            }
            Some(_) => return true,
            None => {}
        }
        let Some(call) = self.calls.get(&id) else {
            return false;
        };
        let Some(q) = call
            .queue
            .as_ref()
            .filter(|q| q.agent.is_none() && call.phase != Phase::Ended)
        else {
            return false;
        };
        let Some(key) = self
            .acd
            .queues
            .get(&q.queue)
            .and_then(|s| s.exit.keys.get(&digit))
            .cloned()
        else {
            tracing::debug!(call = id, %digit, queue = %q.queue, "key without an exit: ignored");
            return true;
        };
        let (acd_key, queue) = (q.key.clone(), q.queue.clone());
        match key {
            ExitKey::Message => {
                if self.leave_queue(now, id, &acd_key, digit).is_some() {
                    self.start_message(id, &queue);
                }
            }
            ExitKey::Target(t) => {
                if let Some(priority) = self.leave_queue(now, id, &acd_key, digit) {
                    self.send_to_target(now, id, &t, priority, "queue exit");
                }
            }
            ExitKey::Callback => self.request_callback(now, id, &acd_key, &queue),
        }
        true
    }

    /// Tell the ACD the caller left with `digit`; the call is no longer queued. Its priority,
    /// or None when the ACD no longer had it (an offer was being answered).
    fn leave_queue(&mut self, now: Instant, id: CallId, key: &str, digit: char) -> Option<i32> {
        let input = acd::Input::ExitWithKey {
            call: key.to_string(),
            key: digit,
        };
        if let Err(e) = self.acd_input(now, input) {
            tracing::info!(call = id, error = %e, "exit key too late: ignored");
            return None;
        }
        self.acd.calls.remove(key);
        let call = self.calls.get_mut(&id)?;
        call.vars.insert("queue_exit".into(), digit.to_string());
        call.queue.take().map(|q| q.priority)
    }

    /// Send a caller who left a queue to `target`: a queue name, an extension, or a number a
    /// dialplan routes (the plan runs from that route's step); else hang up with `cause`.
    pub(super) fn send_to_target(
        &mut self,
        now: Instant,
        id: CallId,
        target: &str,
        priority: i32,
        cause: &str,
    ) {
        if self.acd.queues.contains_key(target) {
            let vars = self
                .calls
                .get(&id)
                .map(|c| c.vars.clone())
                .unwrap_or_default();
            self.enqueue(now, id, target, priority, &[], vars);
            return;
        }
        if self.cfg.users.contains_key(target) {
            let timeout = self.cfg.ring_timeout;
            self.ivr_dial(now, id, target, timeout);
            return;
        }
        let wall = self.wall(now);
        let session = match (&self.dialplans, self.calls.get(&id)) {
            (Some(plans), Some(call)) => ivr::Session::start(
                plans,
                now,
                wall,
                ivr::CallInfo {
                    caller: call.caller.number.clone(),
                    caller_name: call.caller.name.clone().unwrap_or_default(),
                    dialled: target.to_string(),
                },
            )
            .ok(),
            _ => None,
        };
        match (session, self.calls.get_mut(&id)) {
            (Some(session), Some(call)) => {
                call.route = Route::Dialplan(Box::new(session));
                call.phase = Phase::Held;
                self.drive_ivr(now, id);
            }
            _ => {
                tracing::warn!(call = id, %target, "target is no queue, extension or route");
                self.ivr_hangup(now, id, cause);
            }
        }
    }

    /// The caller chose to leave a message: the prompt plays first.
    fn start_message(&mut self, id: CallId, queue: &str) {
        let Some(setup) = self.acd.queues.get(queue) else {
            return;
        };
        // Without dialplans (or with a spec they cannot read) the caller still hears a beep.
        let prompt = self
            .dialplans
            .as_ref()
            .and_then(|d| d.prompt(&setup.exit.message_prompt))
            .unwrap_or(ivr::Prompt::Tone {
                freqs: vec![1000],
                duration: Duration::from_millis(500),
            });
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.vars.insert("message".into(), queue.to_string());
        let codec = call.caller_media.codec();
        self.acd.exits.insert(
            id,
            ExitState::MessagePrompt {
                queue: queue.to_string(),
            },
        );
        self.actions.push_back(Action::Play {
            call: id,
            prompts: vec![prompt],
            codec,
            looping: false,
        });
    }

    /// A waiting caller pressed the callback key: the ACD keeps the place for the caller's
    /// number (digits a plan collected into `callback_number`, else the authenticated caller),
    /// the caller hears the number read back and is hung up.
    /// Ignored while an agent is being rung for the call (the caller is about to be served).
    pub(super) fn request_callback(&mut self, now: Instant, id: CallId, key: &str, queue: &str) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if call.branches_ringing() {
            tracing::info!(call = id, "callback key while an agent rings: ignored");
            return;
        }
        // Never the From header: anyone can write any number there, and the switch would
        // place the call (toll fraud). The digits the plan collected, else who authenticated.
        let number = call
            .vars
            .get(CALLBACK_NUMBER_VAR)
            .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
            .cloned()
            .unwrap_or_else(|| call.caller.number.clone());
        if number.is_empty() {
            tracing::info!(call = id, "callback key without a caller number: ignored");
            return;
        }
        let input = acd::Input::Callback {
            call: key.to_string(),
            number: number.clone(),
        };
        if let Err(e) = self.acd_input(now, input) {
            tracing::info!(call = id, error = %e, "callback too late: ignored");
            return;
        }
        // The ACD entry lives on without this call: its offers place new calls.
        self.acd.calls.remove(key);
        self.callback_requested(now, key, queue, &number);
        let prompts = self.callback_confirmation(queue, &number);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.queue = None;
        call.vars.insert("callback".into(), number);
        let codec = call.caller_media.codec();
        self.acd.exits.insert(id, ExitState::CallbackPrompt);
        self.actions.push_back(Action::Play {
            call: id,
            prompts,
            codec,
            looping: false,
        });
    }

    /// The queue's callback prompt, then the number digit by digit; a beep when neither can be
    /// played (no dialplans, or specs they cannot read).
    fn callback_confirmation(&self, queue: &str, number: &str) -> Vec<ivr::Prompt> {
        let mut prompts = Vec::new();
        if let (Some(setup), Some(plans)) = (self.acd.queues.get(queue), self.dialplans.as_ref()) {
            prompts.extend(plans.prompt(&setup.exit.callback_prompt));
            let dir = &setup.exit.callback_digits;
            for d in number.chars().filter(char::is_ascii_digit) {
                prompts.extend(plans.prompt(&format!("{dir}/{d}.wav")));
            }
        }
        if prompts.is_empty() {
            prompts.push(ivr::Prompt::Tone {
                freqs: vec![1000],
                duration: Duration::from_millis(500),
            });
        }
        prompts
    }

    /// A prompt ended for a caller in an exit flow. True when it was one of ours.
    pub(super) fn exit_playback_done(&mut self, now: Instant, id: CallId) -> bool {
        match self.acd.exits.get(&id).cloned() {
            Some(ExitState::MessagePrompt { queue }) => {
                let Some(call) = self.calls.get(&id) else {
                    return true;
                };
                let until = now
                    + self
                        .acd
                        .queues
                        .get(&queue)
                        .map_or(DEFAULT_MESSAGE_MAX, |q| q.exit.message_max);
                let message = QueueMessage {
                    cdr_id: call.cdr_id.clone(),
                    queue,
                    caller: call.caller.number.clone(),
                };
                self.acd.exits.insert(id, ExitState::Recording { until });
                if let Some(call) = self.calls.get_mut(&id) {
                    call.recording = true;
                }
                self.actions
                    .push_back(Action::RecordMessage { call: id, message });
                self.arm(until, CoreTimer::Queue(id));
                true
            }
            Some(ExitState::Recording { .. }) => true,
            Some(ExitState::CallbackPrompt) => {
                self.acd.exits.remove(&id);
                self.hang_up(now, id, None, "callback requested");
                true
            }
            None => false,
        }
    }

    /// A queue-side timer of a call fired (the message's length limit).
    pub(super) fn queue_call_timeout(&mut self, now: Instant, id: CallId) {
        if let Some(ExitState::Recording { until }) = self.acd.exits.get(&id) {
            if *until <= now {
                self.message_done(now, id, "message length limit");
            }
        }
    }

    /// The message is complete: the switch hangs up, which ends the recording.
    fn message_done(&mut self, now: Instant, id: CallId, cause: &str) {
        self.acd.exits.remove(&id);
        self.hang_up(now, id, None, cause);
    }
}
