//! `POST /api/qa/sampling` draws a month's sample on demand (admins and supervisors), and
//! [`run_sampling`] is the same draw for the monthly scheduler: the month's answered, recorded
//! calls from the CRM, the teams, the QA reviewers now enabled with their open tasks, the open
//! follow-ups, through [`qa::draw`]; stored as one run with its tasks. A month is sampled once:
//! a second request says so (409) and changes nothing. `GET /api/qa/sampling/{month}` shows
//! the run's record (who, when, seed, population).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use crm::{AuditAction, NewQaRun, NewQaTask, QaRun, Role};
use serde::Serialize;

use crate::http::error::{ApiError, ApiResult};
use crate::http::qa::{audit, body, crm_error, month, Caller, Qa};
use crate::http::routing::Routes;
use crate::http::App;

pub(super) fn routes() -> Routes {
    Routes::new()
        .post(
            "/api/qa/sampling",
            |State(app): State<App>, caller: Caller, b: Bytes| async move {
                let done = sample(&app.qa, &caller, &b).await?;
                ApiResult::Ok((StatusCode::CREATED, Json(done)).into_response())
            },
        )
        .get(
            "/api/qa/sampling/{month}",
            |State(app): State<App>, Path(m): Path<String>| async move {
                ApiResult::Ok(Json(run_of(&app.qa, &m).await?).into_response())
            },
        )
}

/// What a draw stored.
#[derive(Debug, Clone, Serialize)]
pub struct Sampled {
    pub run_id: String,
    pub record: qa::SampleRecord,
    pub tasks: usize,
    pub follow_up_tasks: usize,
}

/// `{"month": "2026-02", "seed": 42}` (seed optional: a random one is drawn and recorded).
pub(crate) async fn sample(qa: &Qa, caller: &Caller, bytes: &Bytes) -> Result<Sampled, ApiError> {
    if !matches!(caller.who.role, Role::Admin | Role::Supervisor) {
        return Err(ApiError::forbidden(
            "only admins and supervisors may sample",
        ));
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Request {
        month: String,
        seed: Option<u64>,
    }
    let r: Request = body(bytes)?;
    let m = month("month", &r.month)?;
    if let Some(seed) = r.seed.filter(|s| *s > MAX_SEED) {
        return Err(ApiError::field(
            crate::http::error::ErrorKind::BadRequest,
            "seed",
            format!("{seed} is over {MAX_SEED}"),
        ));
    }
    let done = run_sampling(qa, m, r.seed, &caller.who.username).await?;
    let detail = format!(
        "run {} seed {}: {} tasks ({} follow-up), {} unassigned",
        done.run_id, done.record.seed, done.tasks, done.follow_up_tasks, done.record.unassigned
    );
    audit(qa, caller, AuditAction::QaSample, &r.month, detail).await?;
    Ok(done)
}

/// Seeds are stored as signed 64-bit integers.
const MAX_SEED: u64 = i64::MAX as u64;

/// Draws and stores `month`'s sample; `seed` `None` draws one at random.
pub(crate) async fn run_sampling(
    qa: &Qa,
    month: qa::ReviewMonth,
    seed: Option<u64>,
    requested_by: &str,
) -> Result<Sampled, ApiError> {
    let crm = &qa.crm;
    let settings = crm
        .qa_settings()
        .await
        .map_err(crm_error)?
        .ok_or_else(|| ApiError::conflict("no QA sampling settings yet: an admin sets them"))?;
    let form = crm
        .latest_qa_form(&settings.form_id)
        .await
        .map_err(crm_error)?
        .ok_or_else(|| ApiError::conflict(format!("no form {:?}", settings.form_id)))?
        .form;
    if let Some(run) = crm.qa_run(month).await.map_err(crm_error)? {
        return Err(already(&run));
    }
    let zone = qa.config.zone;
    let calls = crm
        .qa_month_calls(month.start(zone), month.end(zone))
        .await
        .map_err(crm_error)?;
    let recordings: BTreeMap<&str, &str> = calls
        .iter()
        .map(|c| (c.call.call_id.as_str(), c.recording_id.as_str()))
        .collect();
    let recorded: Vec<qa::RecordedCall> = calls.iter().map(|c| c.call.clone()).collect();
    let teams: Vec<qa::Team> = crm
        .qa_teams()
        .await
        .map_err(crm_error)?
        .into_iter()
        .map(|t| qa::Team {
            name: t.name,
            supervisor: t.supervisor,
            agents: t.agents,
        })
        .collect();
    let reviewers = current_reviewers(qa).await?;
    let open: Vec<qa::FollowUp> = crm
        .qa_follow_ups(None, true)
        .await
        .map_err(crm_error)?
        .into_iter()
        .map(|f| f.follow_up)
        .collect();
    let seed = seed.unwrap_or_else(|| rand::random::<u64>() & MAX_SEED);
    let sample = qa::draw(&qa::SampleRequest {
        month,
        zone,
        calls: &recorded,
        teams: &teams,
        size: settings.size.clone(),
        min_talk_ms: settings.min_talk_ms,
        reviewers: &reviewers,
        open_follow_ups: &open,
        follow_up_calls: settings.follow_up_calls,
        seed,
        requested_by: requested_by.to_owned(),
        requested_at: qa.now(),
    })
    .map_err(|e| ApiError::conflict(format!("cannot sample {month}: {e}")))?;
    let tasks: Vec<NewQaTask> = sample
        .tasks
        .iter()
        .map(|t| NewQaTask {
            id: uuid::Uuid::new_v4().to_string(),
            recording_id: recordings.get(t.call_id.as_str()).map(|r| (*r).to_owned()),
            task: t.clone(),
            form_id: form.id.clone(),
            form_version: form.version,
        })
        .collect();
    let run = NewQaRun {
        id: uuid::Uuid::new_v4().to_string(),
        record: sample.record,
    };
    crm.record_qa_run(&run, &tasks).await.map_err(crm_error)?;
    let follow_up_tasks = sample
        .tasks
        .iter()
        .filter(|t| matches!(t.kind, qa::TaskKind::FollowUp { .. }))
        .count();
    Ok(Sampled {
        run_id: run.id,
        record: run.record,
        tasks: tasks.len(),
        follow_up_tasks,
    })
}

/// The QA reviewers now: enabled accounts with role `qa`, with their open tasks.
pub(crate) async fn current_reviewers(qa: &Qa) -> Result<Vec<qa::Reviewer>, ApiError> {
    let load = qa.crm.qa_open_task_counts().await.map_err(crm_error)?;
    Ok(qa
        .crm
        .accounts()
        .await
        .map_err(crm_error)?
        .into_iter()
        .filter(|a| a.role == Role::Qa && !a.disabled)
        .map(|a| qa::Reviewer {
            open_tasks: load.get(&a.username).copied().unwrap_or(0),
            agent: a.agent_id,
            account: a.username,
        })
        .collect())
}

fn already(run: &QaRun) -> ApiError {
    ApiError::conflict(format!(
        "month {} was sampled already (run {} by {} at {})",
        run.month, run.id, run.requested_by, run.requested_at
    ))
}

/// The run of a month; 404 if it was not sampled.
pub(crate) async fn run_of(qa: &Qa, raw: &str) -> Result<QaRun, ApiError> {
    let m = month("month", raw)?;
    qa.crm
        .qa_run(m)
        .await
        .map_err(crm_error)?
        .ok_or_else(|| ApiError::not_found(format!("month {m} was not sampled")))
}
