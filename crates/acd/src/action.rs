//! What the ACD asks the switch to do, and the event records it emits for the database.

use std::time::{Duration, Instant};

use crate::input::EndedBy;

/// Why a caller left the queue without an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverflowReason {
    /// Waited longer than the queue's maximum wait.
    MaxWait,
    /// Arrived when the queue was full.
    MaxLength,
    /// Arrived when the queue was empty by its join-empty rule.
    JoinEmpty,
    /// The queue became empty by its leave-when-empty rule.
    LeaveEmpty,
    /// The queue was removed at run time with its callers sent to overflow.
    QueueRemoved,
}

/// An instruction for the switch, drained with [`crate::Acd::poll_action`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Ring `agent` for `call`; report `OfferAnswered`, `OfferRejected` or `OfferTimeout`.
    /// The ACD also times the ring itself and sends `CancelOffer` when it expires.
    Offer {
        call: String,
        agent: String,
        queue: String,
        ring_timeout: Duration,
        /// Set for a callback: ring the agent, then dial this number.
        callback: Option<String>,
    },
    /// Stop ringing `agent` for `call` (answered elsewhere, caller gone, ring timeout).
    CancelOffer { call: String, agent: String },
    /// Send the caller to `target` (the switch interprets it; `None`: switch's default).
    Overflow {
        call: String,
        queue: String,
        target: Option<String>,
        reason: OverflowReason,
    },
    /// Tell the caller their position (1-based) and estimated wait.
    Announce {
        call: String,
        position: usize,
        estimated_wait: Duration,
    },
    /// The agent was paused automatically (reason "no answer").
    AgentPaused { agent: String, reason: String },
    /// A queue event record for the database.
    QueueEvent(QueueEvent),
    /// An agent event record for the database.
    AgentEvent(AgentEvent),
}

/// A queue event: something that happened to a call in a queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEvent {
    /// When it happened (the `now` of the input that caused it).
    pub at: Instant,
    /// The queue.
    pub queue: String,
    /// The call.
    pub call: String,
    /// What happened.
    pub kind: QueueEventKind,
}

/// The kinds of queue events.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueueEventKind {
    /// Joined at this 1-based position.
    Enter { position: usize },
    /// An agent is being rung.
    Ring { agent: String },
    /// The agent did not answer (timeout or reject).
    RingNoAnswer { agent: String, rang: Duration },
    /// Connected to an agent after waiting this long.
    Connect { agent: String, wait: Duration },
    /// The conversation ended. `talk` runs from connect to the end and includes `hold`, the
    /// part of it the call was on hold.
    Complete {
        agent: String,
        talk: Duration,
        hold: Duration,
        by: EndedBy,
    },
    /// The caller hung up while waiting.
    Abandon { position: usize, wait: Duration },
    /// The caller was sent to overflow.
    Overflow {
        reason: OverflowReason,
        target: Option<String>,
        wait: Duration,
    },
    /// The caller left with the exit key.
    ExitWithKey { key: char, wait: Duration },
    /// The caller asked for a callback and keeps the place.
    CallbackRequested { number: String },
    /// The call moved to another queue.
    Transfer { to_queue: String },
    /// The agent put the caller on hold to call `target` (an agent, an extension or an outside
    /// number). The ACD itself never emits the consult kinds: the switch does (issue 12).
    ConsultStart { agent: String, target: String },
    /// The consultation ended without a transfer (cancelled, or the third party hung up,
    /// declined or did not answer): the agent is back with the caller. `consult` is how long
    /// agent and third party talked (zero if it never answered).
    ConsultEnd {
        agent: String,
        target: String,
        consult: Duration,
    },
    /// The agent left the caller talking with `target` after consulting it for `consult`
    /// (the `Complete` for the agent follows).
    AttendedTransfer {
        agent: String,
        target: String,
        consult: Duration,
    },
    /// Caller, agent and `target` hear each other.
    Conference { agent: String, target: String },
}

/// An agent event: login, logout, pause, unpause and every state change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentEvent {
    /// When it happened.
    pub at: Instant,
    /// The agent.
    pub agent: String,
    /// What happened.
    pub kind: AgentEventKind,
}

/// The kinds of agent events.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AgentEventKind {
    /// Logged in.
    Login,
    /// Logged out.
    Logout,
    /// Paused with a reason (break, lunch, training, "no answer").
    Pause { reason: String },
    /// Back from a pause.
    Unpause,
    /// The agent's phone went offline or came back ([`crate::Input::AgentPhone`]).
    Phone { online: bool },
    /// Any state change, with the state names of [`crate::AgentState::name`].
    StateChange {
        from: &'static str,
        to: &'static str,
    },
}
