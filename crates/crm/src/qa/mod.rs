//! Storage of the monthly QA-review loop: teams, evaluation forms (versioned), the sampling
//! settings, sampling runs and their review tasks, reviews (drafts, then submitted), comments on
//! the recording, follow-ups of improvement points, and disputes.
//!
//! The rules live in the `qa` crate (sampling, scores, follow-up dates); this module stores
//! their results and guards the task's life: `assigned` → `draft` (saved as typed) →
//! `submitted` → `acknowledged` | `disputed` → `settled`. Each transition is one conditional
//! statement inside a transaction, so two people acting at once cannot both win: the loser
//! gets [`CrmError::QaState`]. A form version is never changed (a change is a new version), so
//! a review keeps the form it was made with.
//!
//! Layout: one file per concept (`teams`, `forms` with the settings, `runs` with the month's
//! recorded calls, `tasks`, `reviews` with comments and disputes, `follow_ups`), each with its
//! statement trait written once for both backends and its [`Crm`](crate::Crm) methods.

mod follow_ups;
mod forms;
mod reviews;
mod runs;
mod tasks;
mod teams;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::cdr::stored_text;
use crate::customer::{check_len, check_one_line, invalid};
use crate::CrmError;

pub use tasks::TaskFilter;

/// Longest team name, form id and account name stored by the loop.
pub const MAX_QA_NAME_CHARS: usize = 64;
/// Longest form name.
pub const MAX_QA_FORM_NAME_CHARS: usize = 200;
/// Longest comment or improvement point.
pub const MAX_QA_TEXT_CHARS: usize = 2000;
/// Longest review summary, dispute comment or settlement reason.
pub const MAX_QA_LONG_TEXT_CHARS: usize = 4000;
/// Most improvement points one review may open.
pub const MAX_QA_POINTS: usize = 20;
/// Largest definition or draft, as JSON text.
pub const MAX_QA_JSON_BYTES: usize = 256 * 1024;

/// A team: its supervisor account and its agents (each agent in one team at a time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QaTeam {
    pub name: String,
    /// The supervisor's account (username).
    pub supervisor: String,
    pub agents: Vec<String>,
}

/// A stored form version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredForm {
    #[serde(flatten)]
    pub form: qa::Form,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// The sampling settings an admin configures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QaSettings {
    /// N per agent: the agent's own figure, else its team's, else the default.
    pub size: qa::SampleSize,
    /// Calls with less talk time are left out of the sample.
    pub min_talk_ms: u64,
    /// Calls per agent picked to re-check its open improvement points.
    pub follow_up_calls: u32,
    /// The form new tasks are reviewed with (its latest version at sampling time).
    pub form_id: String,
}

/// An answered, recorded call of the month, as the sampling reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QaCall {
    pub call: qa::RecordedCall,
    /// The call's first finished recording.
    pub recording_id: String,
}

/// A task's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Waiting for its reviewer.
    Assigned,
    /// The reviewer saved a draft.
    Draft,
    /// The review is done; the agent sees it.
    Submitted,
    /// The agent acknowledged it.
    Acknowledged,
    /// The agent disputed it; a supervisor settles.
    Disputed,
    /// A supervisor settled the dispute.
    Settled,
}

stored_text!(TaskStatus, "status", {
    Assigned => "assigned",
    Draft => "draft",
    Submitted => "submitted",
    Acknowledged => "acknowledged",
    Disputed => "disputed",
    Settled => "settled",
});

impl TaskStatus {
    /// The review is submitted (the agent may see it).
    pub fn is_submitted(self) -> bool {
        !matches!(self, TaskStatus::Assigned | TaskStatus::Draft)
    }
}

/// Why a task exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskPurpose {
    /// Drawn at random for the month.
    Regular,
    /// Picked to re-check open improvement points.
    FollowUp,
}

stored_text!(TaskPurpose, "purpose", { Regular => "regular", FollowUp => "follow_up" });

/// How a dispute was settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeOutcome {
    Kept,
    Changed,
}

stored_text!(DisputeOutcome, "outcome", { Kept => "kept", Changed => "changed" });

/// A sampling run to store with its tasks.
#[derive(Debug, Clone, PartialEq)]
pub struct NewQaRun {
    pub id: String,
    pub record: qa::SampleRecord,
}

/// A stored sampling run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QaRun {
    pub id: String,
    pub month: String,
    pub seed: u64,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub record: qa::SampleRecord,
}

/// A task to store with its run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewQaTask {
    pub id: String,
    pub recording_id: Option<String>,
    pub task: qa::ReviewTask,
    pub form_id: String,
    pub form_version: u32,
}

/// A stored task, with its review's score and its dispute's outcome when there are.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QaTask {
    pub id: String,
    pub run_id: String,
    pub month: String,
    pub call_id: String,
    pub recording_id: Option<String>,
    pub agent: String,
    pub team: Option<String>,
    pub queue: Option<String>,
    pub channel: String,
    pub answered_at: DateTime<Utc>,
    pub reviewer: Option<String>,
    pub form_id: String,
    pub form_version: u32,
    pub status: TaskStatus,
    pub purpose: TaskPurpose,
    /// The follow-ups a follow-up task re-checks.
    pub points: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The review's current score (after a changed settlement, the new one).
    pub score: Option<f64>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub dispute_outcome: Option<DisputeOutcome>,
}

/// A draft as the reviewer typed it: answers are checked only when submitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QaDraft {
    /// Question id → answer, as typed (a JSON object).
    #[serde(default = "empty_object")]
    pub answers: serde_json::Value,
    /// Improvement points, one text each.
    #[serde(default)]
    pub points: Vec<String>,
    #[serde(default)]
    pub summary: String,
}

impl Default for QaDraft {
    fn default() -> Self {
        Self {
            answers: empty_object(),
            points: Vec::new(),
            summary: String::new(),
        }
    }
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

/// A stored review.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QaReview {
    pub task_id: String,
    #[serde(flatten)]
    pub draft: QaDraft,
    pub saved_at: DateTime<Utc>,
    pub score: Option<qa::Score>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
}

/// A time-stamped comment on a task's recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QaComment {
    pub id: String,
    pub task_id: String,
    pub at_ms: u64,
    pub text: String,
    pub author: String,
    pub created_at: DateTime<Utc>,
}

/// A follow-up of an improvement point, opened when its review was submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QaFollowUp {
    /// The point's text.
    pub text: String,
    /// The task whose review opened it.
    pub task_id: String,
    pub opened_at: DateTime<Utc>,
    /// Its state by the `qa` rules; `follow_up.point` is this follow-up's id.
    #[serde(flatten)]
    pub follow_up: qa::FollowUp,
}

/// A follow-up to open (its `follow_up.point` is its id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewQaFollowUp {
    pub text: String,
    pub follow_up: qa::FollowUp,
}

/// A dispute and, once settled, its settlement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QaDispute {
    pub task_id: String,
    pub comment: String,
    pub disputed_by: String,
    pub disputed_at: DateTime<Utc>,
    pub score_before: f64,
    pub settlement: Option<QaSettlement>,
}

/// How a supervisor settled a dispute.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QaSettlement {
    pub outcome: DisputeOutcome,
    /// The score kept, or the new one.
    pub score_after: f64,
    pub reason: String,
    pub settled_by: String,
    pub settled_at: DateTime<Utc>,
}

/// A required one-line name of at most [`MAX_QA_NAME_CHARS`] characters.
pub(crate) fn name(field: &'static str, value: &str) -> Result<(), CrmError> {
    text(field, value, MAX_QA_NAME_CHARS)?;
    check_one_line(field, value)
}

/// A required, non-blank text of at most `max` characters.
pub(crate) fn text(field: &'static str, value: &str, max: usize) -> Result<(), CrmError> {
    if value.trim().is_empty() {
        return Err(invalid(field, "is empty"));
    }
    check_len(field, value, max)
}

/// JSON text of a value we serialize ourselves.
pub(crate) fn json<T: Serialize>(value: &T) -> Result<String, CrmError> {
    serde_json::to_string(value).map_err(|e| invalid("json", e.to_string()))
}

/// A stored JSON column decoded, or [`CrmError::CorruptValue`] naming the column.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    column: &'static str,
    text: &str,
) -> Result<T, CrmError> {
    serde_json::from_str(text).map_err(|_| CrmError::CorruptValue {
        column,
        value: text.chars().take(200).collect(),
    })
}

/// A stored non-negative integer as the unsigned type the rules use.
pub(crate) fn unsigned<T: TryFrom<i64>>(column: &'static str, v: i64) -> Result<T, CrmError> {
    T::try_from(v).map_err(|_| CrmError::CorruptValue {
        column,
        value: v.to_string(),
    })
}
