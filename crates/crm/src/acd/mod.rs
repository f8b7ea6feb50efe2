//! ACD history records: what happened to a call in a queue ([`QueueEventRecord`]), what an agent
//! did ([`AgentEventRecord`]), and the link from a CDR to its queue, agent and customer
//! ([`CdrLink`]). The switch converts the ACD's events into these and sends them through the
//! [`crate::CdrWriter`]; this crate does not depend on the ACD crate, so the types are plain.
//!
//! Durations are stored as whole milliseconds (anything finer is truncated). Each record
//! carries an `event_id` chosen by the switch (a UUID v4 as text): the database keeps the first
//! record with a given id and ignores later ones, so a writer retry or replay never duplicates
//! an event.

pub(crate) mod agent_buckets;
pub(crate) mod agent_report;
pub(crate) mod conn;
pub(crate) mod queue_report;
pub(crate) mod report;
pub(crate) mod rows;
pub(crate) mod sql;
pub(crate) mod staffing_history;
mod store;
pub(crate) mod visit_store;
pub(crate) mod visits;

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::cdr::stored_text;
use crate::CrmError;

/// Longest accepted `event_id` (a UUID in text form is 36 characters).
pub const MAX_EVENT_ID_CHARS: usize = 64;

/// Something that happened to a call in a queue.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QueueEventRecord {
    /// Unique per event (a UUID v4 as text); a second record with the same id is ignored.
    pub event_id: String,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The queue.
    pub queue: String,
    /// The CDR's `call_id`.
    pub call_id: String,
    /// What happened, with its details.
    pub kind: QueueEventKind,
}

/// The kinds of queue events and their details (the ACD's `QueueEventKind`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum QueueEventKind {
    /// Joined the queue at this 1-based position.
    Enter { position: u32 },
    /// An agent is being rung.
    Ring { agent: String },
    /// The agent did not answer (timeout or reject) after ringing this long.
    RingNoAnswer { agent: String, rang: Duration },
    /// Connected to an agent after waiting this long (for a call moved from another queue
    /// while waiting, the wait counts from when it first entered a queue).
    Connect { agent: String, wait: Duration },
    /// The conversation ended after this much talk, of which `hold` on hold.
    Complete {
        agent: String,
        talk: Duration,
        hold: Duration,
        ended_by: EndedBy,
    },
    /// The caller hung up while waiting.
    Abandon { position: u32, wait: Duration },
    /// The caller was sent to overflow (refused on arrival: wait zero and no `Enter`).
    Overflow {
        reason: OverflowReason,
        target: Option<String>,
        wait: Duration,
    },
    /// The caller left with the exit key.
    ExitKey { key: char, wait: Duration },
    /// The caller asked for a callback at this number and keeps the place.
    Callback { number: String },
    /// The call moved to another queue (an `Enter` there follows).
    Transfer { to_queue: String },
    /// The agent put the caller on hold to consult `target` (an agent, extension or number).
    ConsultStart { agent: String, target: String },
    /// The consultation ended without a transfer; `consult`: agent and target's talk.
    ConsultEnd {
        agent: String,
        target: String,
        consult: Duration,
    },
    /// The agent left the caller with `target` after consulting it (a `Complete` follows).
    AttendedTransfer {
        agent: String,
        target: String,
        consult: Duration,
    },
    /// Caller, agent and `target` in a conference.
    Conference { agent: String, target: String },
}

/// Who ended a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EndedBy {
    Caller,
    Agent,
    /// The switch ended it (media timeout, shutdown).
    Switch,
}

/// Why a caller left a queue without an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OverflowReason {
    /// Waited longer than the queue's maximum wait.
    MaxWait,
    /// Arrived when the queue was full.
    MaxLength,
    /// Arrived when the queue was empty by its join-empty rule.
    JoinEmpty,
    /// The queue became empty by its leave-when-empty rule.
    LeaveEmpty,
    /// The queue was removed (through the API) while the caller waited.
    QueueRemoved,
}

/// Something an agent did, or a change of the agent's state.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AgentEventRecord {
    /// Unique per event (a UUID v4 as text); a second record with the same id is ignored.
    pub event_id: String,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The agent.
    pub agent: String,
    /// What happened.
    pub kind: AgentEventKind,
}

/// The kinds of agent events (the ACD's `AgentEventKind`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AgentEventKind {
    Login,
    Logout,
    /// Paused with a reason (break, lunch, "no answer"...).
    Pause {
        reason: String,
    },
    Unpause,
    /// Any state change. Reports are computed from these alone.
    State {
        from: AgentStateName,
        to: AgentStateName,
    },
}

/// The states of an agent, named as the ACD's `AgentState::name` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentStateName {
    LoggedOut,
    Available,
    Ringing,
    OnCall,
    WrapUp,
    Paused,
}

/// Links a CDR to the queue, agent and customer of its call. Only the `Some` fields are
/// written (a later `Some` replaces an earlier one); `None` leaves the column as it is, so
/// links can be sent piecemeal and replayed. The CDR must exist: send the link after the
/// call's start (same batch is fine) or after its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdrLink {
    /// The CDR's `call_id`.
    pub call_id: String,
    /// The (last) queue the call went through.
    pub queue: Option<String>,
    /// The (last) agent who talked to the caller.
    pub agent: Option<String>,
    /// The customer the caller was identified as (`customers.id`); must exist.
    pub customer_id: Option<i64>,
    /// How the caller reached us; a CDR is [`CallChannel::Voice`] until a link says otherwise.
    pub channel: Option<CallChannel>,
}

/// How a call reached the switch: the `channel` column of a CDR (migration 0020), a dimension
/// of the reports. Calls from phones and trunks are `voice`; browser calls are `web`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallChannel {
    Voice,
    Web,
}

impl std::str::FromStr for CallChannel {
    type Err = CrmError;

    /// Parses the stored name (`"voice"`, `"web"`).
    fn from_str(s: &str) -> Result<Self, CrmError> {
        CallChannel::from_stored(s)
    }
}

stored_text!(CallChannel, "channel", { Voice => "voice", Web => "web" });
stored_text!(EndedBy, "ended_by", { Caller => "caller", Agent => "agent", Switch => "switch" });
stored_text!(OverflowReason, "reason", {
    MaxWait => "max_wait",
    MaxLength => "max_length",
    JoinEmpty => "join_empty",
    LeaveEmpty => "leave_empty",
    QueueRemoved => "queue_removed",
});
stored_text!(AgentStateName, "to_state", {
    LoggedOut => "logged_out",
    Available => "available",
    Ringing => "ringing",
    OnCall => "on_call",
    WrapUp => "wrap_up",
    Paused => "paused",
});

impl std::str::FromStr for AgentStateName {
    type Err = CrmError;

    /// Parses the ACD's state name (`"on_call"`...).
    fn from_str(s: &str) -> Result<Self, CrmError> {
        AgentStateName::from_stored(s)
    }
}

impl QueueEventKind {
    /// The text stored in the `kind` column.
    pub fn as_str(&self) -> &'static str {
        match self {
            QueueEventKind::Enter { .. } => "enter",
            QueueEventKind::Ring { .. } => "ring",
            QueueEventKind::RingNoAnswer { .. } => "ring_no_answer",
            QueueEventKind::Connect { .. } => "connect",
            QueueEventKind::Complete { .. } => "complete",
            QueueEventKind::Abandon { .. } => "abandon",
            QueueEventKind::Overflow { .. } => "overflow",
            QueueEventKind::ExitKey { .. } => "exit_key",
            QueueEventKind::Callback { .. } => "callback",
            QueueEventKind::Transfer { .. } => "transfer",
            QueueEventKind::ConsultStart { .. } => "consult_start",
            QueueEventKind::ConsultEnd { .. } => "consult_end",
            QueueEventKind::AttendedTransfer { .. } => "attended_transfer",
            QueueEventKind::Conference { .. } => "conference",
        }
    }

    /// The agent the event is about, if any.
    pub fn agent(&self) -> Option<&str> {
        match self {
            QueueEventKind::Ring { agent }
            | QueueEventKind::RingNoAnswer { agent, .. }
            | QueueEventKind::Connect { agent, .. }
            | QueueEventKind::Complete { agent, .. }
            | QueueEventKind::ConsultStart { agent, .. }
            | QueueEventKind::ConsultEnd { agent, .. }
            | QueueEventKind::AttendedTransfer { agent, .. }
            | QueueEventKind::Conference { agent, .. } => Some(agent),
            _ => None,
        }
    }
}

impl AgentEventKind {
    /// The text stored in the `kind` column.
    pub fn as_str(&self) -> &'static str {
        match self {
            AgentEventKind::Login => "login",
            AgentEventKind::Logout => "logout",
            AgentEventKind::Pause { .. } => "pause",
            AgentEventKind::Unpause => "unpause",
            AgentEventKind::State { .. } => "state",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_state_names_parse_the_acd_names() {
        assert_eq!(
            "wrap_up".parse::<AgentStateName>().ok(),
            Some(AgentStateName::WrapUp)
        );
        assert!("WrapUp".parse::<AgentStateName>().is_err());
    }
}
