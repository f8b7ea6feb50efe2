//! Why an agent's consultation (`consult.rs`) could not start or change: the typed refusals
//! of the agent page's API, each with the stable `reason` its error body carries.

/// Why a consultation could not start or change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConsultError {
    #[error("no agent {0}")]
    UnknownAgent(String),
    #[error("agent {0} is not on a connected call")]
    NotOnCall(String),
    /// A call the agent dialled from the phone (not by click-to-dial): the switch cannot drop
    /// its calling side.
    #[error("agent {0} placed this call from the phone; consulting works on calls answered or placed by click-to-dial")]
    AgentIsCaller(String),
    /// A queue as the target of a click-to-dial call (the queue takes callers, and there the
    /// customer is the called side).
    #[error("agent {0} placed this call: it cannot go to a queue; consult an agent instead")]
    QueueFromPlacedCall(String),
    #[error("agent {0}'s call is being monitored")]
    Monitored(String),
    #[error("agent {0} is consulting already")]
    AlreadyConsulting(String),
    #[error("agent {0} is not consulting")]
    NotConsulting(String),
    /// Complete or conference while the third party's phone still rings.
    #[error("the third party has not answered yet")]
    NotAnswered,
    #[error("the target is empty")]
    EmptyTarget,
    /// Not a queue, agent, extension or phone number.
    #[error("no queue, agent, extension or number {0}")]
    UnknownTarget(String),
    /// An outside number starting with one of the plan's deny prefixes.
    #[error("calls to {number} are not allowed (denied prefix {prefix})")]
    NumberDenied { number: String, prefix: String },
    /// An outside number no trunk can carry now (none configured, or all down or full).
    #[error("no trunk can carry a call to {0} now")]
    NoTrunk(String),
    #[error("{0} is the agent's own phone")]
    OwnPhone(String),
    /// The target agent is logged out, or the extension has no registered phone.
    #[error("{0} has no registered phone")]
    TargetOffline(String),
}

impl ConsultError {
    /// A short stable name for the API's error body and the page's messages.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::UnknownAgent(_) => "unknown_agent",
            Self::NotOnCall(_) => "not_on_call",
            Self::AgentIsCaller(_) => "agent_is_caller",
            Self::QueueFromPlacedCall(_) => "queue_from_placed_call",
            Self::Monitored(_) => "monitored",
            Self::AlreadyConsulting(_) => "already_consulting",
            Self::NotConsulting(_) => "not_consulting",
            Self::NotAnswered => "not_answered",
            Self::EmptyTarget => "empty_target",
            Self::UnknownTarget(_) => "unknown_target",
            Self::NumberDenied { .. } => "number_denied",
            Self::NoTrunk(_) => "no_trunk",
            Self::OwnPhone(_) => "own_phone",
            Self::TargetOffline(_) => "target_offline",
        }
    }
}
