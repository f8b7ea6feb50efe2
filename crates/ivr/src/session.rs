//! The interpreter's public face: one `Session` per call, fed `Input` values with the time
//! passed in, drained of `Action` values. No I/O and no clock inside (str0m style): the call
//! task plays prompts, collects digits, asks the CRM and dials, and reports back.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::model::{Dialplans, PlanSet, StepRef};
use crate::prompt::Prompt;

/// Who is calling whom, as the switch saw it on the INVITE.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallInfo {
    /// Caller number (user part of From / P-Asserted-Identity).
    pub caller: String,
    /// Caller display name, possibly empty.
    pub caller_name: String,
    /// The dialled number (user part of the request URI).
    pub dialled: String,
}

/// A CRM answer about the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Customer {
    /// Display name.
    pub name: String,
    /// Customer grade, e.g. "premium".
    pub grade: String,
    /// Segment, e.g. "retail" or "business".
    pub segment: String,
}

/// How a `Dial` action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialOutcome {
    /// The extension answered: the call is bridged and leaves the plan.
    Answered,
    /// 486/600 or the extension is in a call.
    Busy,
    /// The ring timeout passed.
    NoAnswer,
    /// Anything else (not registered, error response).
    Failed,
}

impl DialOutcome {
    fn as_str(self) -> &'static str {
        match self {
            DialOutcome::Answered => "answered",
            DialOutcome::Busy => "busy",
            DialOutcome::NoAnswer => "no_answer",
            DialOutcome::Failed => "failed",
        }
    }
}

/// Something that happened to the call, with the time it happened.
///
/// `now` drives timers; `wall` is the calendar time conditions (business hours) are judged by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A DTMF digit (0-9, *, #, A-D), already deduplicated across RFC 4733, INFO and in-band.
    Digit {
        now: Instant,
        wall: DateTime<Utc>,
        digit: char,
    },
    /// The last `Play` finished. Not to be reported for a playback stopped by `StopPlayback`.
    PlaybackDone { now: Instant, wall: DateTime<Utc> },
    /// The time from `poll_timeout` arrived (early or spurious timeouts are ignored).
    Timeout { now: Instant, wall: DateTime<Utc> },
    /// Answer to `LookupCaller`; `None` when the number is not a known customer.
    LookupResult {
        now: Instant,
        wall: DateTime<Utc>,
        customer: Option<Customer>,
    },
    /// Answer to `Dial`.
    DialResult {
        now: Instant,
        wall: DateTime<Utc>,
        outcome: DialOutcome,
    },
}

impl Input {
    fn times(&self) -> (Instant, DateTime<Utc>) {
        match self {
            Input::Digit { now, wall, .. }
            | Input::PlaybackDone { now, wall }
            | Input::Timeout { now, wall }
            | Input::LookupResult { now, wall, .. }
            | Input::DialResult { now, wall, .. } => (*now, *wall),
        }
    }
}

/// What the call task must do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Answer the call (200 OK) if not yet answered.
    Answer,
    /// Play these in sequence and report `PlaybackDone`; a digit may interrupt when `barge_in`.
    Play {
        prompts: Vec<Prompt>,
        barge_in: bool,
    },
    /// Stop the current playback at once (a digit barged in).
    StopPlayback,
    /// Ask the CRM about this number and report `LookupResult`.
    LookupCaller { number: String },
    /// Call an extension and report `DialResult`; give up after `ring_timeout`.
    Dial {
        extension: String,
        ring_timeout: Duration,
    },
    /// Hand the call to the ACD; the plan is done with it.
    Enqueue {
        queue: String,
        priority: i32,
        skills: Vec<String>,
        vars: BTreeMap<String, String>,
    },
    /// Play this music-on-hold source whenever the caller waits without a prompt.
    MusicOnHold { source: String },
    /// Pause (true) or resume (false) the call's recording, if it is being recorded.
    Recording { pause: bool },
    /// Hang up with this cause (for the CDR and a Reason header).
    Hangup { cause: String },
    /// A variable changed (for the CDR).
    SetVar { name: String, value: String },
}

/// Which timer `poll_timeout` reports, so tests and logs can say what fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// A menu waits for a key after its prompt.
    MenuInput,
    /// A collect waits for the first digit.
    FirstDigit,
    /// A collect waits for the next digit.
    InterDigit,
    /// The CRM did not answer a lookup in time.
    Lookup,
}

/// No route matches the dialled number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no dialplan route for `{dialled}`")]
pub struct NoRoute {
    /// The number that matched nothing.
    pub dialled: String,
}

/// Most steps one input may run before the plan is declared runaway.
pub const MAX_STEPS_PER_INPUT: u32 = 1000;
/// Deepest nesting of `call` steps.
pub const MAX_CALL_DEPTH: usize = 16;

#[derive(Debug, Clone)]
pub(crate) enum Wait {
    Playback {
        then: AfterPlay,
        barge_in: bool,
    },
    Menu {
        at: StepRef,
        attempt: u32,
        playing: bool,
        deadline: Option<Instant>,
    },
    Collect {
        at: StepRef,
        attempt: u32,
        buf: String,
        playing: bool,
        deadline: Option<Instant>,
    },
    Lookup {
        next: Option<StepRef>,
        deadline: Instant,
    },
    Dial {
        at: StepRef,
    },
    Finished,
}

#[derive(Debug, Clone)]
pub(crate) enum AfterPlay {
    Continue(Option<StepRef>),
    Hangup(String),
}

/// One call's walk through a plan.
#[derive(Debug)]
pub struct Session {
    pub(crate) set: Arc<PlanSet>,
    pub(crate) vars: BTreeMap<String, String>,
    pub(crate) actions: VecDeque<Action>,
    pub(crate) wait: Wait,
    pub(crate) stack: Vec<Option<StepRef>>,
    pub(crate) typeahead: VecDeque<char>,
    pub(crate) wall: DateTime<Utc>,
    pub(crate) budget: u32,
    pub(crate) current: Option<StepRef>,
}

impl Session {
    /// Routes the dialled number and runs the plan up to its first wait.
    pub fn start(
        plans: &Dialplans,
        now: Instant,
        wall: DateTime<Utc>,
        call: CallInfo,
    ) -> Result<Session, NoRoute> {
        let (target, prefix) = plans
            .inner
            .route_match(&call.dialled)
            .ok_or_else(|| NoRoute {
                dialled: call.dialled.clone(),
            })?;
        let mut vars = BTreeMap::new();
        // The digits after the route's prefix (`9` + a number to call out), for dial targets
        // such as `trunk:carrier-a/${number}`; the whole number for exact and pattern routes.
        let number = call.dialled.get(prefix..).unwrap_or_default().to_string();
        vars.insert("number".to_string(), number);
        vars.insert("caller".to_string(), call.caller);
        vars.insert("caller_name".to_string(), call.caller_name);
        vars.insert("dialled".to_string(), call.dialled);
        let mut s = Session {
            set: plans.inner.clone(),
            vars,
            actions: VecDeque::new(),
            wait: Wait::Finished,
            stack: Vec::new(),
            typeahead: VecDeque::new(),
            wall,
            budget: MAX_STEPS_PER_INPUT,
            current: None,
        };
        s.run(now, Some(target));
        Ok(s)
    }

    /// Feeds one input; then drain `poll_action` and re-read `poll_timeout`.
    pub fn handle(&mut self, input: Input) {
        let (now, wall) = input.times();
        self.wall = wall;
        self.budget = MAX_STEPS_PER_INPUT;
        match input {
            Input::Digit { digit, .. } => self.on_digit(now, digit),
            Input::PlaybackDone { .. } => self.on_playback_done(now),
            Input::Timeout { .. } => self.on_timeout(now),
            Input::LookupResult { customer, .. } => self.on_lookup(now, customer),
            Input::DialResult { outcome, .. } => self.on_dial(now, outcome),
        }
    }

    /// The next thing to do, oldest first.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When to send `Input::Timeout`, if a timer runs.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.pending_timer().map(|(at, _)| at)
    }

    /// The running timer and what it is for.
    pub fn pending_timer(&self) -> Option<(Instant, Timer)> {
        match &self.wait {
            Wait::Menu {
                deadline: Some(d), ..
            } => Some((*d, Timer::MenuInput)),
            Wait::Collect {
                deadline: Some(d),
                buf,
                ..
            } => Some((
                *d,
                if buf.is_empty() {
                    Timer::FirstDigit
                } else {
                    Timer::InterDigit
                },
            )),
            Wait::Lookup { deadline, .. } => Some((*deadline, Timer::Lookup)),
            _ => None,
        }
    }

    /// The call's variables: `caller`, `caller_name`, `dialled`, `number` (the dialled number
    /// after the route's prefix), `customer.*`, user variables.
    pub fn vars(&self) -> &BTreeMap<String, String> {
        &self.vars
    }

    /// True once the plan has let go of the call (hung up, enqueued or bridged by a dial).
    pub fn is_finished(&self) -> bool {
        matches!(self.wait, Wait::Finished)
    }

    /// `plan:step` the session is at, for logs and the CDR.
    pub fn position(&self) -> Option<String> {
        let at = self.current?;
        let plan = self.set.plans.get(at.plan)?;
        Some(format!("{}:{}", plan.name, plan.steps.get(at.step)?.id))
    }

    pub(crate) fn set_var(&mut self, name: &str, value: String) {
        self.actions.push_back(Action::SetVar {
            name: name.to_string(),
            value: value.clone(),
        });
        self.vars.insert(name.to_string(), value);
    }

    pub(crate) fn hangup(&mut self, cause: &str) {
        self.actions.push_back(Action::Hangup {
            cause: cause.to_string(),
        });
        self.wait = Wait::Finished;
    }

    fn on_lookup(&mut self, now: Instant, customer: Option<Customer>) {
        let Wait::Lookup { next, .. } = self.wait else {
            return;
        };
        let known = customer.is_some();
        let c = customer.unwrap_or_default();
        self.set_var("customer.known", known.to_string());
        self.set_var("customer.name", c.name);
        self.set_var("customer.grade", c.grade);
        self.set_var("customer.segment", c.segment);
        self.run(now, next);
    }

    fn on_dial(&mut self, now: Instant, outcome: DialOutcome) {
        let Wait::Dial { at } = self.wait else {
            return;
        };
        self.set_var("dial.outcome", outcome.as_str().to_string());
        let Some(crate::model::StepKind::Dial {
            on_busy,
            on_no_answer,
            on_failure,
            ..
        }) = self.set.step(at).map(|s| &s.kind)
        else {
            return;
        };
        let next = match outcome {
            DialOutcome::Answered => {
                self.wait = Wait::Finished;
                return;
            }
            DialOutcome::Busy => *on_busy,
            DialOutcome::NoAnswer => *on_no_answer,
            DialOutcome::Failed => *on_failure,
        };
        self.run(now, next);
    }
}
