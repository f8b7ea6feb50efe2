//! After submission: the agent acknowledges (`POST /api/qa/tasks/{id}/acknowledge`) or
//! disputes with a comment (`.../dispute`); a supervisor of the task's team, or an admin,
//! settles the dispute (`.../settle`): the score kept, or changed by answering the form again
//! (scored the same way as a review), always with a reason.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::Json;
use crm::{AuditAction, DisputeOutcome, QaDispute, QaTask, Role};
use serde::Deserialize;

use crate::http::error::{ApiError, ApiResult, ErrorKind};
use crate::http::qa::scope::{supervised_teams, visible_task};
use crate::http::qa::{audit, body, crm_error, Caller, Qa};
use crate::http::routing::Routes;
use crate::http::App;

pub(super) fn routes() -> Routes {
    Routes::new()
        .post(
            "/api/qa/tasks/{id}/acknowledge",
            |State(app): State<App>, caller: Caller, Path(id): Path<String>| async move {
                acknowledge(&app.qa, &caller, &id).await?;
                ApiResult::Ok(Json(serde_json::json!({ "acknowledged": true })).into_response())
            },
        )
        .post(
            "/api/qa/tasks/{id}/dispute",
            |State(app): State<App>, caller: Caller, Path(id): Path<String>, b: Bytes| async move {
                ApiResult::Ok(Json(dispute(&app.qa, &caller, &id, &b).await?).into_response())
            },
        )
        .post(
            "/api/qa/tasks/{id}/settle",
            |State(app): State<App>, caller: Caller, Path(id): Path<String>, b: Bytes| async move {
                ApiResult::Ok(Json(settle(&app.qa, &caller, &id, &b).await?).into_response())
            },
        )
}

/// The task, if the caller is the agent whose call it is.
async fn agents_task(qa: &Qa, caller: &Caller, id: &str) -> Result<QaTask, ApiError> {
    let task = visible_task(qa, caller, id).await?;
    if caller.who.role == Role::Agent && caller.who.agent.as_deref() == Some(&task.agent) {
        Ok(task)
    } else {
        Err(ApiError::forbidden(
            "only the agent whose call was reviewed may acknowledge or dispute it",
        ))
    }
}

pub(crate) async fn acknowledge(qa: &Qa, caller: &Caller, id: &str) -> Result<(), ApiError> {
    agents_task(qa, caller, id).await?;
    qa.crm
        .acknowledge_qa_review(id, qa.now())
        .await
        .map_err(crm_error)?;
    audit(
        qa,
        caller,
        AuditAction::ReviewAcknowledge,
        id,
        String::new(),
    )
    .await
}

/// `{"comment": "..."}`.
pub(crate) async fn dispute(
    qa: &Qa,
    caller: &Caller,
    id: &str,
    bytes: &Bytes,
) -> Result<QaDispute, ApiError> {
    agents_task(qa, caller, id).await?;
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        comment: String,
    }
    let b: Body = body(bytes)?;
    qa.crm
        .dispute_qa_review(id, &b.comment, &caller.who.username, qa.now())
        .await
        .map_err(crm_error)?;
    audit(qa, caller, AuditAction::ReviewDispute, id, b.comment).await?;
    qa.crm
        .qa_dispute(id)
        .await
        .map_err(crm_error)?
        .ok_or_else(|| ApiError::conflict("the dispute vanished"))
}

/// `{"outcome": "kept", "reason": "..."}` or `{"outcome": "changed", "answers": {...},
/// "reason": "..."}`.
pub(crate) async fn settle(
    qa: &Qa,
    caller: &Caller,
    id: &str,
    bytes: &Bytes,
) -> Result<QaDispute, ApiError> {
    let task = visible_task(qa, caller, id).await?;
    let allowed = match (caller.who.role, &task.team) {
        (Role::Admin, _) => true,
        // A task drawn in no team is the admins' to settle.
        (Role::Supervisor, Some(team)) => supervised_teams(qa, &caller.who.username)
            .await?
            .contains(team),
        _ => false,
    };
    if !allowed {
        return Err(ApiError::forbidden(
            "only the supervisor of the agent's team or an admin may settle a dispute",
        ));
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        outcome: DisputeOutcome,
        reason: String,
        answers: Option<BTreeMap<String, qa::Answer>>,
    }
    let b: Body = body(bytes)?;
    let changed =
        match (b.outcome, b.answers) {
            (DisputeOutcome::Kept, None) => None,
            (DisputeOutcome::Kept, Some(_)) => {
                return Err(ApiError::field(
                    ErrorKind::BadRequest,
                    "answers",
                    "a kept score takes no answers",
                ))
            }
            (DisputeOutcome::Changed, None) => {
                return Err(ApiError::field(
                    ErrorKind::BadRequest,
                    "answers",
                    "a changed score needs the form answered again",
                ))
            }
            (DisputeOutcome::Changed, Some(answers)) => {
                let form = qa
                    .crm
                    .qa_form(&task.form_id, task.form_version)
                    .await
                    .map_err(crm_error)?
                    .ok_or_else(|| ApiError::new(ErrorKind::Unprocessable, "unknown form version"))?
                    .form;
                Some(qa::score(&form, &answers).map_err(|e| {
                    ApiError::field(ErrorKind::BadRequest, "answers", e.to_string())
                })?)
            }
        };
    let settled = qa
        .crm
        .settle_qa_dispute(
            id,
            changed.as_ref(),
            &b.reason,
            &caller.who.username,
            qa.now(),
        )
        .await
        .map_err(crm_error)?;
    let detail = format!(
        "{} {} -> {}: {}",
        b.outcome.as_str(),
        settled.score_before,
        settled
            .settlement
            .as_ref()
            .map_or(settled.score_before, |s| s.score_after),
        b.reason
    );
    audit(qa, caller, AuditAction::ReviewSettle, id, detail).await?;
    Ok(settled)
}
