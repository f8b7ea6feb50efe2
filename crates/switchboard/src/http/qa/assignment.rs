//! `POST /api/qa/tasks/reassign` (admins and supervisors): the open tasks (assigned or in
//! draft) of reviewers who left — disabled, or no longer role `qa` — go to the reviewers
//! present by the draw's rules ([`qa::reassign_departed`]: fewest open tasks first, never the
//! agent's own account), drafts kept. Tasks of reviewers still present stay where they are.

use axum::extract::State;
use axum::response::IntoResponse;
use axum::Json;
use crm::{AuditAction, Role, TaskFilter, TaskStatus};

use crate::http::error::{ApiError, ApiResult};
use crate::http::qa::sampling::current_reviewers;
use crate::http::qa::{audit, crm_error, Caller, Qa};
use crate::http::routing::Routes;
use crate::http::App;

pub(super) fn routes() -> Routes {
    Routes::new().post(
        "/api/qa/tasks/reassign",
        |State(app): State<App>, caller: Caller| async move {
            ApiResult::Ok(Json(reassign(&app.qa, &caller).await?).into_response())
        },
    )
}

pub(crate) async fn reassign(qa: &Qa, caller: &Caller) -> Result<Vec<qa::Reassignment>, ApiError> {
    if !matches!(caller.who.role, Role::Admin | Role::Supervisor) {
        return Err(ApiError::forbidden(
            "only admins and supervisors may reassign tasks",
        ));
    }
    let mut held = Vec::new();
    for status in [TaskStatus::Assigned, TaskStatus::Draft] {
        let filter = TaskFilter {
            status: Some(status),
            ..Default::default()
        };
        for t in qa.crm.qa_tasks(&filter).await.map_err(crm_error)? {
            if let Some(reviewer) = t.reviewer {
                held.push(qa::HeldTask {
                    task_id: t.id,
                    agent: t.agent,
                    reviewer,
                });
            }
        }
    }
    let reviewers = current_reviewers(qa).await?;
    let moves = qa::reassign_departed(&held, &reviewers);
    let mut done = Vec::with_capacity(moves.len());
    for m in moves {
        let moved = qa
            .crm
            .reassign_qa_task(&m.task_id, &m.from, m.to.as_deref(), qa.now())
            .await
            .map_err(crm_error)?;
        // A task submitted meanwhile stays with its reviewer.
        if moved {
            let detail = format!("{} -> {}", m.from, m.to.as_deref().unwrap_or("nobody"));
            audit(qa, caller, AuditAction::ReviewReassign, &m.task_id, detail).await?;
            done.push(m);
        }
    }
    Ok(done)
}
