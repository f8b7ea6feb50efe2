//! Errors the ACD returns for inputs it cannot apply; state is unchanged when one is returned.

/// Why an input or configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AcdError {
    /// No queue by this name.
    #[error("unknown queue {0}")]
    UnknownQueue(String),
    /// No agent by this id.
    #[error("unknown agent {0}")]
    UnknownAgent(String),
    /// The call is not waiting, ringing or connected here.
    #[error("unknown call {0}")]
    UnknownCall(String),
    /// A call with this id is already in the ACD.
    #[error("call {0} is already queued or connected")]
    DuplicateCall(String),
    /// An answer, reject or timeout for an offer that no longer exists (a race the switch lost:
    /// it should hang up the agent leg).
    #[error("call {call} is not being offered to agent {agent}")]
    NotOffered {
        /// The call named in the input.
        call: String,
        /// The agent named in the input.
        agent: String,
    },
    /// The agent's state does not allow this input.
    #[error("agent {agent} cannot {what} while {state}")]
    InvalidState {
        /// The agent.
        agent: String,
        /// What was attempted.
        what: &'static str,
        /// The agent's current state.
        state: &'static str,
    },
    /// A skill string from the dialplan is not `name` or `name:1..5`.
    #[error("invalid skill requirement {0:?}")]
    InvalidSkill(String),
    /// A queue cannot be removed while callers wait in it or ring an agent for it (remove it
    /// with their overflow, or wait until they are served).
    #[error("queue {queue} has {waiting} caller(s) waiting")]
    QueueBusy {
        /// The queue.
        queue: String,
        /// Callers waiting or being offered, callbacks included.
        waiting: usize,
    },
    /// A queue by this name already exists.
    #[error("queue {0} already exists")]
    DuplicateQueue(String),
    /// A configuration value is out of range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
}
