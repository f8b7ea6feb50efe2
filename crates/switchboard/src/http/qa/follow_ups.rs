//! `GET /api/qa/follow-ups` lists follow-ups of improvement points (`?state=open|overdue|all`,
//! `&agent=`), each with whether it is overdue (due before today in the center's zone) and
//! flagged (carried forward); admins (the center head) see all, supervisors their teams'
//! agents, reviewers all, agents their own. `POST /api/qa/follow-ups/{id}/check` marks a point
//! improved or not, citing the agent's calls it was checked on; not improved carries it
//! forward a month, flagged.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::Json;
use crm::{AuditAction, QaFollowUp, Role, TaskFilter};
use serde::{Deserialize, Serialize};

use crate::http::error::{ApiError, ApiResult, ErrorKind};
use crate::http::qa::scope::supervised_teams;
use crate::http::qa::{audit, body, crm_error, Caller, Qa};
use crate::http::routing::Routes;
use crate::http::App;

pub(super) fn routes() -> Routes {
    Routes::new()
        .get(
            "/api/qa/follow-ups",
            |State(app): State<App>, caller: Caller, Query(q): Query<ListQuery>| async move {
                ApiResult::Ok(Json(list(&app.qa, &caller, q).await?).into_response())
            },
        )
        .post(
            "/api/qa/follow-ups/{id}/check",
            |State(app): State<App>, caller: Caller, Path(id): Path<String>, b: Bytes| async move {
                ApiResult::Ok(Json(check(&app.qa, &caller, &id, &b).await?).into_response())
            },
        )
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StateFilter {
    #[default]
    Open,
    Overdue,
    All,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    #[serde(default)]
    pub state: StateFilter,
    pub agent: Option<String>,
}

/// A follow-up as listed.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    #[serde(flatten)]
    pub follow_up: QaFollowUp,
    pub overdue: bool,
    pub flagged: bool,
}

/// The agents whose follow-ups the caller may see (`None`: all).
async fn visible_agents(qa: &Qa, caller: &Caller) -> Result<Option<Vec<String>>, ApiError> {
    Ok(match caller.who.role {
        Role::Admin | Role::Qa => None,
        Role::Agent => Some(caller.who.agent.clone().into_iter().collect()),
        Role::Supervisor => {
            let mine = supervised_teams(qa, &caller.who.username).await?;
            let teams = qa.crm.qa_teams().await.map_err(crm_error)?;
            Some(
                teams
                    .into_iter()
                    .filter(|t| mine.contains(&t.name))
                    .flat_map(|t| t.agents)
                    .collect(),
            )
        }
    })
}

pub(crate) async fn list(qa: &Qa, caller: &Caller, q: ListQuery) -> Result<Vec<Listed>, ApiError> {
    let all = qa
        .crm
        .qa_follow_ups(q.agent.as_deref(), q.state != StateFilter::All)
        .await
        .map_err(crm_error)?;
    let today = qa.now().with_timezone(&qa.config.zone).date_naive();
    let overdue: Vec<String> = {
        let states: Vec<qa::FollowUp> = all.iter().map(|f| f.follow_up.clone()).collect();
        qa::overdue(&states, today)
            .into_iter()
            .map(|f| f.point.clone())
            .collect()
    };
    let agents = visible_agents(qa, caller).await?;
    Ok(all
        .into_iter()
        .filter(|f| {
            agents
                .as_ref()
                .is_none_or(|a| a.contains(&f.follow_up.agent))
        })
        .map(|f| Listed {
            overdue: overdue.contains(&f.follow_up.point),
            flagged: f.follow_up.is_flagged(),
            follow_up: f,
        })
        .filter(|l| q.state != StateFilter::Overdue || l.overdue)
        .collect())
}

/// `{"verdict": "improved" | "not_improved", "calls": ["call-id", ...]}`.
pub(crate) async fn check(
    qa: &Qa,
    caller: &Caller,
    id: &str,
    bytes: &Bytes,
) -> Result<QaFollowUp, ApiError> {
    let missing = || ApiError::not_found(format!("no follow-up {id:?}"));
    let mut f = qa
        .crm
        .qa_follow_up(id)
        .await
        .map_err(crm_error)?
        .ok_or_else(missing)?;
    let agent = f.follow_up.agent.clone();
    let allowed = match caller.who.role {
        Role::Admin => true,
        Role::Supervisor => visible_agents(qa, caller)
            .await?
            .is_some_and(|a| a.contains(&agent)),
        // A reviewer checks the points of the follow-up tasks assigned to them.
        Role::Qa => qa
            .crm
            .qa_tasks(&TaskFilter {
                reviewer: Some(caller.who.username.clone()),
                agent: Some(agent.clone()),
                ..Default::default()
            })
            .await
            .map_err(crm_error)?
            .iter()
            .any(|t| t.points.iter().any(|p| p == id)),
        Role::Agent => false,
    };
    if !allowed {
        return Err(ApiError::forbidden(
            "only the follow-up's reviewer, the agent's supervisor or an admin may check it",
        ));
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        verdict: qa::Verdict,
        calls: Vec<String>,
    }
    let b: Body = body(bytes)?;
    for call in &b.calls {
        let cdr = qa.crm.cdr(call).await.map_err(crm_error)?;
        if cdr.and_then(|c| c.agent).as_deref() != Some(agent.as_str()) {
            return Err(ApiError::field(
                ErrorKind::BadRequest,
                "calls",
                format!("{call:?} is not a call of agent {agent}"),
            ));
        }
    }
    let now = qa.now();
    f.follow_up
        .check(b.verdict, now, qa.config.zone, b.calls.clone())
        .map_err(|e| match e {
            qa::FollowUpError::Closed(_) => ApiError::conflict(e.to_string()),
            _ => ApiError::field(ErrorKind::BadRequest, "calls", e.to_string()),
        })?;
    qa.crm
        .save_qa_follow_up_check(&f.follow_up, now)
        .await
        .map_err(crm_error)?;
    let verdict = match b.verdict {
        qa::Verdict::Improved => "improved",
        qa::Verdict::NotImproved => "not improved",
    };
    let detail = format!("{verdict}, citing {}", b.calls.join(" "));
    audit(qa, caller, AuditAction::FollowUpCheck, id, detail).await?;
    Ok(f)
}
