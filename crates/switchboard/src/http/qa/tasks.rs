//! `GET /api/qa/tasks` (filtered by month, agent, team, queue and status, within the caller's
//! [`Scope`]) and `GET /api/qa/tasks/{id}`: the task with everything a review needs beside the
//! player — the form version it is reviewed on, the draft or review, comments, dispute, the
//! points it opened or re-checks, and the call's context (CDR, customer and grade, queue, IVR
//! variables, wait, wrap-up, contact history, recording and its length).

use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, Utc};
use crm::{
    Cdr, Contact, QaComment, QaDispute, QaFollowUp, QaReview, QaTask, TaskFilter, TaskStatus,
};
use serde::{Deserialize, Serialize};

use crate::http::error::{ApiError, ApiResult};
use crate::http::qa::scope::{visible_task, Scope};
use crate::http::qa::{crm_error, month, Caller, Qa};
use crate::http::routing::Routes;
use crate::http::App;

pub(super) fn routes() -> Routes {
    Routes::new()
        .get(
            "/api/qa/tasks",
            |State(app): State<App>, caller: Caller, Query(q): Query<ListQuery>| async move {
                ApiResult::Ok(Json(list(&app.qa, &caller, q).await?).into_response())
            },
        )
        .get(
            "/api/qa/tasks/{id}",
            |State(app): State<App>, caller: Caller, Path(id): Path<String>| async move {
                ApiResult::Ok(Json(detail(&app.qa, &caller, &id).await?).into_response())
            },
        )
}

/// The list's filters, all optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub month: Option<String>,
    pub agent: Option<String>,
    pub team: Option<String>,
    pub queue: Option<String>,
    pub status: Option<TaskStatus>,
}

pub(crate) async fn list(qa: &Qa, caller: &Caller, q: ListQuery) -> Result<Vec<QaTask>, ApiError> {
    if let Some(m) = &q.month {
        month("month", m)?;
    }
    let filter = Scope::of(caller).narrow(TaskFilter {
        month: q.month,
        agent: q.agent,
        team: q.team,
        queue: q.queue,
        status: q.status,
        ..Default::default()
    });
    qa.crm.qa_tasks(&filter).await.map_err(crm_error)
}

/// A task and its call, as the review page shows them.
#[derive(Debug, Clone, Serialize)]
pub struct TaskDetail {
    pub task: QaTask,
    pub form: qa::Form,
    pub review: Option<QaReview>,
    pub comments: Vec<QaComment>,
    pub dispute: Option<QaDispute>,
    /// The improvement points this task's review opened.
    pub opened: Vec<QaFollowUp>,
    /// The points a follow-up task re-checks.
    pub rechecks: Vec<QaFollowUp>,
    pub call: CallContext,
}

/// What is known about the reviewed call.
#[derive(Debug, Clone, Serialize)]
pub struct CallContext {
    pub cdr: Option<Cdr>,
    pub customer: Option<CustomerBrief>,
    pub queue: Option<String>,
    /// From the call's start to its answer.
    pub wait_ms: Option<i64>,
    pub wrap_up_code: Option<String>,
    pub wrap_up_notes: Option<String>,
    /// The caller's other contacts, newest first.
    pub history: Vec<Contact>,
    pub recording: Option<RecordingBrief>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CustomerBrief {
    pub id: i64,
    pub name: String,
    pub grade: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecordingBrief {
    pub id: String,
    pub duration_ms: Option<i64>,
    pub channels: u16,
    pub started_at: DateTime<Utc>,
    /// `/api/recordings/{id}/audio`, for the player.
    pub audio: String,
}

/// How many of the caller's other contacts the context lists.
const HISTORY: u32 = 20;

pub(crate) async fn detail(qa: &Qa, caller: &Caller, id: &str) -> Result<TaskDetail, ApiError> {
    let task = visible_task(qa, caller, id).await?;
    let crm = &qa.crm;
    let form = crm
        .qa_form(&task.form_id, task.form_version)
        .await
        .map_err(crm_error)?
        .ok_or_else(|| ApiError::conflict("the task's form version is missing"))?
        .form;
    let review = crm.qa_review(id).await.map_err(crm_error)?;
    let follow_ups = crm
        .qa_follow_ups(Some(&task.agent), false)
        .await
        .map_err(crm_error)?;
    let (opened, rechecks) = follow_ups
        .into_iter()
        .filter(|f| f.task_id == task.id || task.points.contains(&f.follow_up.point))
        .partition(|f| f.task_id == task.id);
    let call = context(qa, &task).await?;
    Ok(TaskDetail {
        form,
        review,
        comments: crm.qa_comments(id).await.map_err(crm_error)?,
        dispute: crm.qa_dispute(id).await.map_err(crm_error)?,
        opened,
        rechecks,
        call,
        task,
    })
}

async fn context(qa: &Qa, task: &QaTask) -> Result<CallContext, ApiError> {
    let crm = &qa.crm;
    let cdr = crm.cdr(&task.call_id).await.map_err(crm_error)?;
    let customer = match cdr.as_ref().and_then(|c| c.customer_id) {
        Some(id) => crm
            .customer(id)
            .await
            .map_err(crm_error)?
            .map(|c| CustomerBrief {
                id: c.id,
                name: c.name,
                grade: c.grade,
            }),
        None => None,
    };
    let mut history = match (&customer, &cdr) {
        (Some(c), _) => crm.contacts_of_customer(c.id, HISTORY).await,
        (None, Some(cdr)) => crm.contacts_of_number(&cdr.caller, HISTORY).await,
        (None, None) => Ok(Vec::new()),
    }
    .map_err(crm_error)?;
    let contact = crm
        .contact_by_call(&task.call_id)
        .await
        .map_err(crm_error)?;
    history.retain(|c| c.call_id.as_deref() != Some(task.call_id.as_str()));
    let recording = match &task.recording_id {
        Some(r) => crm
            .recording(r)
            .await
            .map_err(crm_error)?
            .map(|r| RecordingBrief {
                audio: format!("/api/recordings/{}/audio", r.id),
                id: r.id,
                duration_ms: r.duration_ms,
                channels: r.channels,
                started_at: r.started_at,
            }),
        None => None,
    };
    Ok(CallContext {
        wait_ms: cdr
            .as_ref()
            .and_then(|c| Some((c.answered_at? - c.started_at).num_milliseconds())),
        queue: task.queue.clone(),
        wrap_up_code: contact.as_ref().and_then(|c| c.wrap_up_code.clone()),
        wrap_up_notes: contact.and_then(|c| c.notes),
        customer,
        history,
        recording,
        cdr,
    })
}
