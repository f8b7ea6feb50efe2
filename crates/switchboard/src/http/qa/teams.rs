//! `/api/qa/teams` (agents and their supervisor) and `/api/qa/settings` (what the monthly
//! sample takes): admins change them; supervisors see their own teams, reviewers all teams
//! (to filter their tasks) and the settings.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::Json;
use crm::{AuditAction, QaSettings, QaTeam, Role};

use crate::http::error::{ApiError, ApiResult};
use crate::http::qa::{audit, body, crm_error, Caller, Qa};
use crate::http::routing::Routes;
use crate::http::App;

pub(super) fn routes() -> Routes {
    Routes::new()
        .get(
            "/api/qa/teams",
            |State(app): State<App>, caller: Caller| async move {
                ApiResult::Ok(Json(list(&app.qa, &caller).await?).into_response())
            },
        )
        .put(
            "/api/qa/teams/{name}",
            |State(app): State<App>, caller: Caller, Path(name): Path<String>, b: Bytes| async move {
                let team = put(&app.qa, &caller, &name, &b).await?;
                crate::http::monitor::push_supervisor_teams(&app.crm, &app.control).await;
                ApiResult::Ok(Json(team).into_response())
            },
        )
        .delete(
            "/api/qa/teams/{name}",
            |State(app): State<App>, caller: Caller, Path(name): Path<String>| async move {
                remove(&app.qa, &caller, &name).await?;
                crate::http::monitor::push_supervisor_teams(&app.crm, &app.control).await;
                ApiResult::Ok(axum::http::StatusCode::NO_CONTENT.into_response())
            },
        )
        .get(
            "/api/qa/settings",
            |State(app): State<App>| async move {
                ApiResult::Ok(Json(settings(&app.qa).await?).into_response())
            },
        )
        .put(
            "/api/qa/settings",
            |State(app): State<App>, caller: Caller, b: Bytes| async move {
                ApiResult::Ok(Json(set_settings(&app.qa, &caller, &b).await?).into_response())
            },
        )
}

/// The teams the caller may see: supervisors their own, admins and reviewers all.
pub(crate) async fn list(qa: &Qa, caller: &Caller) -> Result<Vec<QaTeam>, ApiError> {
    let teams = qa.crm.qa_teams().await.map_err(crm_error)?;
    Ok(match caller.who.role {
        Role::Supervisor => teams
            .into_iter()
            .filter(|t| t.supervisor == caller.who.username)
            .collect(),
        _ => teams,
    })
}

/// Creates or replaces team `name`: `{"supervisor": "kim", "agents": ["a1", "a2"]}`. The
/// supervisor must be an account with role supervisor or admin.
pub(crate) async fn put(
    qa: &Qa,
    caller: &Caller,
    name: &str,
    bytes: &Bytes,
) -> Result<QaTeam, ApiError> {
    caller.admin_only("configure teams")?;
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct TeamBody {
        supervisor: String,
        #[serde(default)]
        agents: Vec<String>,
    }
    let b: TeamBody = body(bytes)?;
    let account = qa
        .crm
        .account_by_username(&b.supervisor)
        .await
        .map_err(crm_error)?;
    if !account.is_some_and(|a| matches!(a.role, Role::Supervisor | Role::Admin) && !a.disabled) {
        return Err(ApiError::field(
            crate::http::error::ErrorKind::BadRequest,
            "supervisor",
            format!(
                "{:?} is not an enabled supervisor or admin account",
                b.supervisor
            ),
        ));
    }
    let team = QaTeam {
        name: name.to_owned(),
        supervisor: b.supervisor,
        agents: b.agents,
    };
    qa.crm
        .set_qa_team(&team, qa.now())
        .await
        .map_err(crm_error)?;
    let detail = format!(
        "supervisor {}, agents {}",
        team.supervisor,
        team.agents.join(" ")
    );
    audit(qa, caller, AuditAction::TeamUpdate, name, detail).await?;
    Ok(team)
}

pub(crate) async fn remove(qa: &Qa, caller: &Caller, name: &str) -> Result<(), ApiError> {
    caller.admin_only("configure teams")?;
    if !qa.crm.delete_qa_team(name).await.map_err(crm_error)? {
        return Err(ApiError::not_found(format!("no team {name:?}")));
    }
    audit(qa, caller, AuditAction::TeamDelete, name, String::new()).await
}

/// The settings; 404 until an admin saved some.
pub(crate) async fn settings(qa: &Qa) -> Result<QaSettings, ApiError> {
    qa.crm
        .qa_settings()
        .await
        .map_err(crm_error)?
        .ok_or_else(|| ApiError::not_found("no QA sampling settings yet: an admin sets them"))
}

/// Replaces the settings; the form must exist, the sizes be sane.
pub(crate) async fn set_settings(
    qa: &Qa,
    caller: &Caller,
    bytes: &Bytes,
) -> Result<QaSettings, ApiError> {
    caller.admin_only("configure sampling")?;
    let s: QaSettings = body(bytes)?;
    let bad = |field: &str, m: String| {
        ApiError::field(crate::http::error::ErrorKind::BadRequest, field, m)
    };
    let sizes = std::iter::once(s.size.default)
        .chain(s.size.per_team.values().copied())
        .chain(s.size.per_agent.values().copied());
    if let Some(n) = sizes.into_iter().find(|n| *n > MAX_SAMPLE) {
        return Err(bad(
            "size",
            format!("{n} calls per agent is over {MAX_SAMPLE}"),
        ));
    }
    if s.follow_up_calls > MAX_SAMPLE {
        return Err(bad("follow_up_calls", format!("over {MAX_SAMPLE}")));
    }
    if qa
        .crm
        .latest_qa_form(&s.form_id)
        .await
        .map_err(crm_error)?
        .is_none()
    {
        return Err(bad("form_id", format!("no form {:?}", s.form_id)));
    }
    qa.crm
        .set_qa_settings(&s, &caller.who.username, qa.now())
        .await
        .map_err(crm_error)?;
    let detail = serde_json::to_string(&s).unwrap_or_default();
    audit(qa, caller, AuditAction::QaSettings, "settings", detail).await?;
    Ok(s)
}

/// Most calls per agent a month's sample may take.
const MAX_SAMPLE: u32 = 100;
