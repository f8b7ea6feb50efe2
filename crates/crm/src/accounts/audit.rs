//! The audit log: one row each time someone plays or downloads a recording, or changes a
//! queue, an agent's queues, a trunk or a DID through the API.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{CrmError, Role};

/// Longest audited object id.
pub const MAX_AUDIT_OBJECT_CHARS: usize = 255;
/// Longest client address.
pub const MAX_AUDIT_ADDR_CHARS: usize = 64;
/// Longest detail text.
pub const MAX_AUDIT_DETAIL_CHARS: usize = 1000;
/// Most rows one [`crate::Crm::audit_between`] returns.
pub const MAX_AUDIT_PAGE: u32 = 10_000;

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AuditAction {
    /// Audio served for playing (a range request, as a browser's player sends).
    #[serde(rename = "recording.play")]
    RecordingPlay,
    /// The whole file served (no range: a download).
    #[serde(rename = "recording.download")]
    RecordingDownload,
    /// A queue created (object: the queue's name).
    #[serde(rename = "queue.create")]
    QueueCreate,
    /// A queue's settings replaced.
    #[serde(rename = "queue.update")]
    QueueUpdate,
    /// A queue removed.
    #[serde(rename = "queue.delete")]
    QueueDelete,
    /// An agent's queues set (object: the agent id).
    #[serde(rename = "agent.queues")]
    AgentQueues,
    /// A trunk created (object: the trunk's name; the detail never holds its password).
    #[serde(rename = "trunk.create")]
    TrunkCreate,
    #[serde(rename = "trunk.update")]
    TrunkUpdate,
    #[serde(rename = "trunk.delete")]
    TrunkDelete,
    /// A DID created (object: the number).
    #[serde(rename = "did.create")]
    DidCreate,
    #[serde(rename = "did.update")]
    DidUpdate,
    #[serde(rename = "did.delete")]
    DidDelete,
    /// A click-to-dial placed for an agent (object: the agent id; detail: the number and the
    /// call's CDR id).
    #[serde(rename = "agent.dial")]
    AgentDial,
    /// An extension created (object: the extension).
    #[serde(rename = "user.create")]
    UserCreate,
    /// An extension's name or SIP password changed.
    #[serde(rename = "user.update")]
    UserUpdate,
    /// An extension removed.
    #[serde(rename = "user.delete")]
    UserDelete,
    /// An agent created (object: the agent id).
    #[serde(rename = "agent.create")]
    AgentCreate,
    /// An agent's name, extension, skills, queues or PIN changed.
    #[serde(rename = "agent.update")]
    AgentUpdate,
    /// An agent removed.
    #[serde(rename = "agent.delete")]
    AgentDelete,
    /// An account created through the API (object: the username).
    #[serde(rename = "account.create")]
    AccountCreate,
    /// An account's role changed, or it was disabled or enabled.
    #[serde(rename = "account.update")]
    AccountUpdate,
    /// An account's password reset.
    #[serde(rename = "account.password")]
    AccountPassword,
    /// A month's QA sample drawn (object: the month; detail: the run and its task count).
    #[serde(rename = "qa.sample")]
    QaSample,
    /// The QA sampling settings replaced (object: `settings`).
    #[serde(rename = "qa.settings")]
    QaSettings,
    /// An evaluation form version stored (object: `form-id/version`).
    #[serde(rename = "form.create")]
    FormCreate,
    /// A QA team created or replaced (object: the team's name).
    #[serde(rename = "team.update")]
    TeamUpdate,
    /// A QA team removed.
    #[serde(rename = "team.delete")]
    TeamDelete,
    /// A time-stamped comment added to a review (object: the task id).
    #[serde(rename = "review.comment")]
    ReviewComment,
    /// A review submitted (object: the task id; detail: the score).
    #[serde(rename = "review.submit")]
    ReviewSubmit,
    /// The agent acknowledged a review.
    #[serde(rename = "review.acknowledge")]
    ReviewAcknowledge,
    /// The agent disputed a review.
    #[serde(rename = "review.dispute")]
    ReviewDispute,
    /// A supervisor settled a dispute (detail: kept or changed, the score).
    #[serde(rename = "review.settle")]
    ReviewSettle,
    /// A follow-up checked (object: its id; detail: the verdict and calls).
    #[serde(rename = "follow_up.check")]
    FollowUpCheck,
    /// Open tasks of reviewers who left moved to those present (object: the task id).
    #[serde(rename = "review.reassign")]
    ReviewReassign,
    /// A supervisor started monitoring a call (object: the call's CDR id, else the agent id;
    /// detail: the agent, the mode, the phone).
    #[serde(rename = "monitor.start")]
    MonitorStart,
    /// The monitoring's mode changed (listen, whisper, barge).
    #[serde(rename = "monitor.mode")]
    MonitorMode,
    #[serde(rename = "monitor.stop")]
    MonitorStop,
    /// Monitoring refused (detail: why): an agent asked, a call outside one's teams...
    #[serde(rename = "monitor.refused")]
    MonitorRefused,
}

impl AuditAction {
    /// Every action, so a test can write each one through both databases (their CHECK asks
    /// only for the `object.verb` shape since migration 0019). A new variant belongs here.
    pub const ALL: [AuditAction; 38] = [
        AuditAction::RecordingPlay,
        AuditAction::RecordingDownload,
        AuditAction::QueueCreate,
        AuditAction::QueueUpdate,
        AuditAction::QueueDelete,
        AuditAction::AgentQueues,
        AuditAction::TrunkCreate,
        AuditAction::TrunkUpdate,
        AuditAction::TrunkDelete,
        AuditAction::DidCreate,
        AuditAction::DidUpdate,
        AuditAction::DidDelete,
        AuditAction::AgentDial,
        AuditAction::UserCreate,
        AuditAction::UserUpdate,
        AuditAction::UserDelete,
        AuditAction::AgentCreate,
        AuditAction::AgentUpdate,
        AuditAction::AgentDelete,
        AuditAction::AccountCreate,
        AuditAction::AccountUpdate,
        AuditAction::AccountPassword,
        AuditAction::QaSample,
        AuditAction::QaSettings,
        AuditAction::FormCreate,
        AuditAction::TeamUpdate,
        AuditAction::TeamDelete,
        AuditAction::ReviewComment,
        AuditAction::ReviewSubmit,
        AuditAction::ReviewAcknowledge,
        AuditAction::ReviewDispute,
        AuditAction::ReviewSettle,
        AuditAction::FollowUpCheck,
        AuditAction::ReviewReassign,
        AuditAction::MonitorStart,
        AuditAction::MonitorMode,
        AuditAction::MonitorStop,
        AuditAction::MonitorRefused,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::RecordingPlay => "recording.play",
            AuditAction::RecordingDownload => "recording.download",
            AuditAction::QueueCreate => "queue.create",
            AuditAction::QueueUpdate => "queue.update",
            AuditAction::QueueDelete => "queue.delete",
            AuditAction::AgentQueues => "agent.queues",
            AuditAction::TrunkCreate => "trunk.create",
            AuditAction::TrunkUpdate => "trunk.update",
            AuditAction::TrunkDelete => "trunk.delete",
            AuditAction::DidCreate => "did.create",
            AuditAction::DidUpdate => "did.update",
            AuditAction::DidDelete => "did.delete",
            AuditAction::AgentDial => "agent.dial",
            AuditAction::UserCreate => "user.create",
            AuditAction::UserUpdate => "user.update",
            AuditAction::UserDelete => "user.delete",
            AuditAction::AgentCreate => "agent.create",
            AuditAction::AgentUpdate => "agent.update",
            AuditAction::AgentDelete => "agent.delete",
            AuditAction::AccountCreate => "account.create",
            AuditAction::AccountUpdate => "account.update",
            AuditAction::AccountPassword => "account.password",
            AuditAction::QaSample => "qa.sample",
            AuditAction::QaSettings => "qa.settings",
            AuditAction::FormCreate => "form.create",
            AuditAction::TeamUpdate => "team.update",
            AuditAction::TeamDelete => "team.delete",
            AuditAction::ReviewComment => "review.comment",
            AuditAction::ReviewSubmit => "review.submit",
            AuditAction::ReviewAcknowledge => "review.acknowledge",
            AuditAction::ReviewDispute => "review.dispute",
            AuditAction::ReviewSettle => "review.settle",
            AuditAction::FollowUpCheck => "follow_up.check",
            AuditAction::ReviewReassign => "review.reassign",
            AuditAction::MonitorStart => "monitor.start",
            AuditAction::MonitorMode => "monitor.mode",
            AuditAction::MonitorStop => "monitor.stop",
            AuditAction::MonitorRefused => "monitor.refused",
        }
    }

    pub(crate) fn from_stored(s: &str) -> Result<Self, CrmError> {
        match s {
            "recording.play" => Ok(AuditAction::RecordingPlay),
            "recording.download" => Ok(AuditAction::RecordingDownload),
            "queue.create" => Ok(AuditAction::QueueCreate),
            "queue.update" => Ok(AuditAction::QueueUpdate),
            "queue.delete" => Ok(AuditAction::QueueDelete),
            "agent.queues" => Ok(AuditAction::AgentQueues),
            "trunk.create" => Ok(AuditAction::TrunkCreate),
            "trunk.update" => Ok(AuditAction::TrunkUpdate),
            "trunk.delete" => Ok(AuditAction::TrunkDelete),
            "did.create" => Ok(AuditAction::DidCreate),
            "did.update" => Ok(AuditAction::DidUpdate),
            "did.delete" => Ok(AuditAction::DidDelete),
            "agent.dial" => Ok(AuditAction::AgentDial),
            "user.create" => Ok(AuditAction::UserCreate),
            "user.update" => Ok(AuditAction::UserUpdate),
            "user.delete" => Ok(AuditAction::UserDelete),
            "agent.create" => Ok(AuditAction::AgentCreate),
            "agent.update" => Ok(AuditAction::AgentUpdate),
            "agent.delete" => Ok(AuditAction::AgentDelete),
            "account.create" => Ok(AuditAction::AccountCreate),
            "account.update" => Ok(AuditAction::AccountUpdate),
            "account.password" => Ok(AuditAction::AccountPassword),
            "qa.sample" => Ok(AuditAction::QaSample),
            "qa.settings" => Ok(AuditAction::QaSettings),
            "form.create" => Ok(AuditAction::FormCreate),
            "team.update" => Ok(AuditAction::TeamUpdate),
            "team.delete" => Ok(AuditAction::TeamDelete),
            "review.comment" => Ok(AuditAction::ReviewComment),
            "review.submit" => Ok(AuditAction::ReviewSubmit),
            "review.acknowledge" => Ok(AuditAction::ReviewAcknowledge),
            "review.dispute" => Ok(AuditAction::ReviewDispute),
            "review.settle" => Ok(AuditAction::ReviewSettle),
            "follow_up.check" => Ok(AuditAction::FollowUpCheck),
            "review.reassign" => Ok(AuditAction::ReviewReassign),
            "monitor.start" => Ok(AuditAction::MonitorStart),
            "monitor.mode" => Ok(AuditAction::MonitorMode),
            "monitor.stop" => Ok(AuditAction::MonitorStop),
            "monitor.refused" => Ok(AuditAction::MonitorRefused),
            _ => Err(CrmError::CorruptValue {
                column: "action",
                value: s.to_owned(),
            }),
        }
    }
}

/// A row to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub at: DateTime<Utc>,
    /// The username.
    pub account: String,
    pub role: Role,
    pub action: AuditAction,
    /// The recording id, queue name or agent id.
    pub object_id: String,
    pub remote_addr: Option<String>,
    pub detail: Option<String>,
}

impl NewAuditEntry {
    pub(crate) fn validate(&self) -> Result<(), CrmError> {
        crate::accounts::validate_username(&self.account)?;
        let too_long = |field: &'static str, max: usize| CrmError::InvalidField {
            field,
            reason: format!("at most {max} characters"),
        };
        if self.object_id.is_empty() || self.object_id.chars().count() > MAX_AUDIT_OBJECT_CHARS {
            return Err(too_long("object_id", MAX_AUDIT_OBJECT_CHARS));
        }
        if self
            .remote_addr
            .as_ref()
            .is_some_and(|a| a.chars().count() > MAX_AUDIT_ADDR_CHARS)
        {
            return Err(too_long("remote_addr", MAX_AUDIT_ADDR_CHARS));
        }
        if self
            .detail
            .as_ref()
            .is_some_and(|d| d.chars().count() > MAX_AUDIT_DETAIL_CHARS)
        {
            return Err(too_long("detail", MAX_AUDIT_DETAIL_CHARS));
        }
        Ok(())
    }
}

/// A stored row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub account: String,
    pub role: Role,
    pub action: AuditAction,
    pub object_id: String,
    pub remote_addr: Option<String>,
    pub detail: Option<String>,
}
