//! What the switch tells the ACD: callers arriving and leaving, agents' actions, offer
//! outcomes and timeouts. The time of each input is passed next to it in [`crate::Acd::handle`].

use std::collections::BTreeMap;

use crate::config::Skills;

/// How a connected call ended, for the complete event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndedBy {
    /// The caller hung up.
    Caller,
    /// The agent hung up.
    Agent,
    /// The switch ended it (media timeout, shutdown, a failed leg).
    Switch,
}

/// A caller entering a queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enqueue {
    /// The switch's call id.
    pub call: String,
    /// Queue name.
    pub queue: String,
    /// Seconds added to the waiting time when ranking (VIP +120); may be negative.
    pub priority: i32,
    /// Strict emergency band: ranked before every non-emergency caller (can starve others).
    pub emergency: bool,
    /// Skills the dialplan asks for, merged into every step of the queue's profile.
    pub skills: Skills,
    /// Dialplan variables, carried for the switch.
    pub vars: BTreeMap<String, String>,
}

impl Enqueue {
    /// A plain caller: no priority, no skills, no variables.
    pub fn new(call: impl Into<String>, queue: impl Into<String>) -> Self {
        Enqueue {
            call: call.into(),
            queue: queue.into(),
            priority: 0,
            emergency: false,
            skills: Skills::new(),
            vars: BTreeMap::new(),
        }
    }

    /// Set the priority offset in seconds (builder style).
    pub fn priority(mut self, secs: i32) -> Self {
        self.priority = secs;
        self
    }

    /// Require a skill (builder style).
    pub fn skill(mut self, name: &str, level: u8) -> Self {
        self.skills.insert(name.to_string(), level);
        self
    }
}

/// An input to [`crate::Acd::handle`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Input {
    /// A caller joins a queue.
    Enqueue(Enqueue),
    /// A waiting or ringing caller hung up.
    Abandon { call: String },
    /// A waiting caller pressed the queue's exit key (leave a message, ...); the call leaves.
    ExitWithKey { call: String, key: char },
    /// A waiting caller asked to be called back at `number`: the caller hangs up but keeps
    /// the place and original enqueue time; the offer then carries the number.
    Callback { call: String, number: String },
    /// A callback stored before a restart comes back: it waits again in `queue` with the time
    /// it had already waited (`waited`), ranked as if it never left. No event is emitted and
    /// no counter moves: its `Enter` and `CallbackRequested` were recorded the first time.
    RestoreCallback {
        call: String,
        queue: String,
        number: String,
        priority: i32,
        skills: Skills,
        waited: std::time::Duration,
    },
    /// Move a call to another queue. A waiting call keeps its enqueue time; a connected call
    /// (agent blind transfer) ends for the agent and enters the queue afresh.
    Transfer {
        call: String,
        queue: String,
        priority: i32,
        skills: Skills,
    },
    /// An agent logs in (available at once).
    AgentLogin { agent: String },
    /// An agent logs out; refused while on a call.
    AgentLogout { agent: String },
    /// An agent pauses; while on a call the pause starts after the call and its wrap-up.
    AgentPause { agent: String, reason: String },
    /// A paused agent is available again.
    AgentUnpause { agent: String },
    /// The agent's phone went offline (its registration ended or expired) or came back. An
    /// offline agent keeps its state but is offered no call; coming back, it is offered waiting
    /// calls at once, even those it missed while offline (their retry delay is waived). Accepted
    /// in any state, also logged out, so the switch can say it before the login.
    AgentPhone { agent: String, online: bool },
    /// The agent picked up the offered call.
    OfferAnswered { call: String, agent: String },
    /// The agent's phone refused the offer (busy, declined).
    OfferRejected { call: String, agent: String },
    /// The agent's leg gave up ringing before the ACD's own ring timer.
    OfferTimeout { call: String, agent: String },
    /// A connected call ended; the agent goes to wrap-up.
    /// `hold` is how long the call was on hold (the switch sees the re-INVITEs), at most the
    /// talk time.
    CallEnded {
        call: String,
        by: EndedBy,
        hold: std::time::Duration,
    },
    /// The agent finished after-call work early.
    WrapUpDone { agent: String },
    /// The time from [`crate::Acd::poll_timeout`] arrived (early ones do nothing).
    Timeout,
}
