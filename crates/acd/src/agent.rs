//! An agent at run time: the state machine (logged out, available, ringing, on call, wrap-up,
//! paused) and the counters strategies rank by.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::config::AgentConfig;

/// Where an agent is in the state machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentState {
    /// Not logged in: never offered calls.
    LoggedOut,
    /// Waiting for a call.
    Available,
    /// Being offered `call`.
    Ringing { call: String },
    /// Talking on `call` of `queue` since `since`.
    OnCall {
        call: String,
        queue: String,
        since: Instant,
    },
    /// After-call work until `until` (or `WrapUpDone`).
    WrapUp { until: Instant },
    /// Away with a reason; not offered calls.
    Paused { reason: String },
}

impl AgentState {
    /// A short stable name for events and statistics.
    pub fn name(&self) -> &'static str {
        match self {
            AgentState::LoggedOut => "logged_out",
            AgentState::Available => "available",
            AgentState::Ringing { .. } => "ringing",
            AgentState::OnCall { .. } => "on_call",
            AgentState::WrapUp { .. } => "wrap_up",
            AgentState::Paused { .. } => "paused",
        }
    }
}

/// A read-only view of an agent for the live view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentStatus {
    /// Agent id.
    pub id: String,
    /// Current state.
    pub state: AgentState,
    /// When the current state began.
    pub since: Instant,
    /// Calls answered since the counters were reset.
    pub answered: u64,
    /// Talk time since the counters were reset.
    pub talk: Duration,
    /// Consecutive missed offers.
    pub missed: u32,
    /// The agent's phone cannot be reached (no registered contact): the state is kept, but no
    /// call is offered until the phone is back.
    pub phone_offline: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Agent {
    pub cfg: AgentConfig,
    pub state: AgentState,
    pub since: Instant,
    /// Since when the agent has been free for calls; longest-idle ranks by it.
    pub idle_since: Instant,
    pub missed: u32,
    pub answered: u64,
    pub answered_by_queue: BTreeMap<String, u64>,
    pub talk: Duration,
    /// A pause asked for while on a call, applied when the call's work is done.
    pub pending_pause: Option<String>,
    /// Set by [`crate::Input::AgentPhone`]; see [`AgentStatus::phone_offline`].
    pub phone_offline: bool,
}

impl Agent {
    pub fn new(cfg: AgentConfig, now: Instant) -> Self {
        Agent {
            cfg,
            state: AgentState::LoggedOut,
            since: now,
            idle_since: now,
            missed: 0,
            answered: 0,
            answered_by_queue: BTreeMap::new(),
            talk: Duration::ZERO,
            pending_pause: None,
            phone_offline: false,
        }
    }

    pub fn is_available(&self) -> bool {
        matches!(self.state, AgentState::Available)
    }

    /// Available and reachable: may be offered a call.
    pub fn is_offerable(&self) -> bool {
        self.is_available() && !self.phone_offline
    }

    pub fn is_logged_in(&self) -> bool {
        !matches!(self.state, AgentState::LoggedOut)
    }

    pub fn status(&self) -> AgentStatus {
        AgentStatus {
            id: self.cfg.id.clone(),
            state: self.state.clone(),
            since: self.since,
            answered: self.answered,
            talk: self.talk,
            missed: self.missed,
            phone_offline: self.phone_offline,
        }
    }
}
