//! The reviewer's side of a task: `PUT /api/qa/tasks/{id}/draft` saves the form as typed
//! (idempotent, any time before submission), `POST .../comments` adds a time-stamped comment
//! inside the recording, `POST .../submit` scores the answers on the task's form version with
//! [`qa::score`] and opens a follow-up per improvement point. A call without a recording, a
//! missing form version or answers that do not score are refused with a 4xx and change nothing.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use crm::{AuditAction, NewQaFollowUp, QaComment, QaDraft, QaTask, Recording, RecordingStatus};
use serde::{Deserialize, Serialize};

use crate::http::error::{ApiError, ApiResult, ErrorKind};
use crate::http::qa::scope::reviewers_task;
use crate::http::qa::{audit, body, crm_error, Caller, Qa};
use crate::http::routing::Routes;
use crate::http::App;

pub(super) fn routes() -> Routes {
    Routes::new()
        .put(
            "/api/qa/tasks/{id}/draft",
            |State(app): State<App>, caller: Caller, Path(id): Path<String>, b: Bytes| async move {
                ApiResult::Ok(Json(save_draft(&app.qa, &caller, &id, &b).await?).into_response())
            },
        )
        .post(
            "/api/qa/tasks/{id}/comments",
            |State(app): State<App>, caller: Caller, Path(id): Path<String>, b: Bytes| async move {
                let c = comment(&app.qa, &caller, &id, &b).await?;
                ApiResult::Ok((StatusCode::CREATED, Json(c)).into_response())
            },
        )
        .post(
            "/api/qa/tasks/{id}/submit",
            |State(app): State<App>, caller: Caller, Path(id): Path<String>, b: Bytes| async move {
                ApiResult::Ok(Json(submit(&app.qa, &caller, &id, &b).await?).into_response())
            },
        )
}

/// Saves the draft as typed: `{"answers": {...}, "points": [...], "summary": "..."}`.
pub(crate) async fn save_draft(
    qa: &Qa,
    caller: &Caller,
    id: &str,
    bytes: &Bytes,
) -> Result<QaDraft, ApiError> {
    reviewers_task(qa, caller, id).await?;
    let draft: QaDraft = body(bytes)?;
    qa.crm
        .save_qa_draft(id, &draft, qa.now())
        .await
        .map_err(crm_error)?;
    Ok(draft)
}

/// The recording a review is made on; a call without one (or whose file was deleted) cannot
/// be reviewed (422).
async fn recording_of(qa: &Qa, task: &QaTask) -> Result<Recording, ApiError> {
    let none = || {
        ApiError::new(
            ErrorKind::Unprocessable,
            format!("call {} has no recording to review", task.call_id),
        )
    };
    let id = task.recording_id.as_deref().ok_or_else(none)?;
    let r = qa
        .crm
        .recording(id)
        .await
        .map_err(crm_error)?
        .ok_or_else(none)?;
    if r.status == RecordingStatus::Deleted {
        return Err(ApiError::new(
            ErrorKind::Unprocessable,
            format!("the recording of call {} was deleted", task.call_id),
        ));
    }
    Ok(r)
}

/// `{"at_ms": 133000, "text": "interrupted the customer"}`: inside the recording, or 400.
pub(crate) async fn comment(
    qa: &Qa,
    caller: &Caller,
    id: &str,
    bytes: &Bytes,
) -> Result<QaComment, ApiError> {
    let task = reviewers_task(qa, caller, id).await?;
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct NewComment {
        at_ms: u64,
        text: String,
    }
    let b: NewComment = body(bytes)?;
    let recording = recording_of(qa, &task).await?;
    let length = u64::try_from(recording.duration_ms.unwrap_or(0)).unwrap_or(0);
    let timed = qa::TimedComment::new(b.at_ms, &b.text, length).map_err(|e| {
        let field = match e {
            qa::CommentError::Empty => "text",
            _ => "at_ms",
        };
        ApiError::field(ErrorKind::BadRequest, field, e.to_string())
    })?;
    let c = QaComment {
        id: uuid::Uuid::new_v4().to_string(),
        task_id: id.to_owned(),
        at_ms: timed.at_ms,
        text: timed.text.clone(),
        author: caller.who.username.clone(),
        created_at: qa.now(),
    };
    qa.crm.add_qa_comment(&c).await.map_err(crm_error)?;
    let detail = format!("{} {}", timed.label(), timed.text);
    audit(qa, caller, AuditAction::ReviewComment, id, detail).await?;
    Ok(c)
}

/// What a submission answers.
#[derive(Debug, Clone, Serialize)]
pub struct Submitted {
    pub score: qa::Score,
    /// The follow-ups opened, one per improvement point.
    pub follow_ups: Vec<String>,
}

/// Submits the review. With a body (a draft, as for `PUT .../draft`) that draft is submitted;
/// with none, the saved draft.
pub(crate) async fn submit(
    qa: &Qa,
    caller: &Caller,
    id: &str,
    bytes: &Bytes,
) -> Result<Submitted, ApiError> {
    let task = reviewers_task(qa, caller, id).await?;
    recording_of(qa, &task).await?;
    let draft: QaDraft = if bytes.iter().all(u8::is_ascii_whitespace) {
        qa.crm
            .qa_review(id)
            .await
            .map_err(crm_error)?
            .map(|r| r.draft)
            .ok_or_else(|| ApiError::bad_request("nothing to submit: no body and no draft"))?
    } else {
        body(bytes)?
    };
    let form = qa
        .crm
        .qa_form(&task.form_id, task.form_version)
        .await
        .map_err(crm_error)?
        .ok_or_else(|| {
            ApiError::new(
                ErrorKind::Unprocessable,
                format!(
                    "unknown form version {} v{}",
                    task.form_id, task.form_version
                ),
            )
        })?
        .form;
    let answers: BTreeMap<String, qa::Answer> = serde_json::from_value(draft.answers.clone())
        .map_err(|e| ApiError::field(ErrorKind::BadRequest, "answers", e.to_string()))?;
    let score = qa::score(&form, &answers)
        .map_err(|e| ApiError::field(ErrorKind::BadRequest, "answers", e.to_string()))?;
    let now = qa.now();
    let follow_ups: Vec<NewQaFollowUp> = draft
        .points
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .map(|text| NewQaFollowUp {
            text: text.to_owned(),
            follow_up: qa::FollowUp::open(
                &uuid::Uuid::new_v4().to_string(),
                id,
                &task.agent,
                now,
                qa.config.zone,
            ),
        })
        .collect();
    qa.crm
        .submit_qa_review(id, &draft, &score, &follow_ups, now)
        .await
        .map_err(crm_error)?;
    let detail = format!("score {} on {} v{}", score.total, form.id, form.version);
    audit(qa, caller, AuditAction::ReviewSubmit, id, detail).await?;
    Ok(Submitted {
        score,
        follow_ups: follow_ups.into_iter().map(|f| f.follow_up.point).collect(),
    })
}
