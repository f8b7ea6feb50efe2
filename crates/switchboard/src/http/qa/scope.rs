//! Who may see and act on which task: admins every task; supervisors the tasks of the teams
//! they supervise (the team the task was drawn in); QA reviewers the tasks assigned to them;
//! agents their own reviews once submitted. A task the caller may not see answers 404, as if
//! it did not exist, so ids cannot be probed.

use crm::{QaTask, Role, TaskFilter};

use crate::http::error::ApiError;
use crate::http::qa::{crm_error, Caller, Qa};

/// The row-level view of one caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scope {
    All,
    Teams(String),
    Reviewer(String),
    Agent(String),
}

impl Scope {
    pub(crate) fn of(caller: &Caller) -> Scope {
        let who = &caller.who;
        match who.role {
            Role::Admin => Scope::All,
            Role::Supervisor => Scope::Teams(who.username.clone()),
            Role::Qa => Scope::Reviewer(who.username.clone()),
            Role::Agent => Scope::Agent(who.agent.clone().unwrap_or_default()),
        }
    }

    /// Narrows a list filter to what this caller may see.
    pub(crate) fn narrow(&self, mut f: TaskFilter) -> TaskFilter {
        match self {
            Scope::All => {}
            Scope::Teams(s) => f.supervisor = Some(s.clone()),
            Scope::Reviewer(r) => f.reviewer = Some(r.clone()),
            Scope::Agent(a) => {
                f.agent = Some(a.clone());
                f.submitted_only = true;
            }
        }
        f
    }

    /// Whether this caller may see `task`; `supervised` are the teams a supervisor has.
    pub(crate) fn sees(&self, task: &QaTask, supervised: &[String]) -> bool {
        match self {
            Scope::All => true,
            Scope::Teams(_) => task.team.as_ref().is_some_and(|t| supervised.contains(t)),
            Scope::Reviewer(r) => task.reviewer.as_ref() == Some(r),
            Scope::Agent(a) => task.agent == *a && task.status.is_submitted(),
        }
    }
}

/// The teams `account` supervises.
pub(crate) async fn supervised_teams(qa: &Qa, account: &str) -> Result<Vec<String>, ApiError> {
    Ok(qa
        .crm
        .qa_teams()
        .await
        .map_err(crm_error)?
        .into_iter()
        .filter(|t| t.supervisor == account)
        .map(|t| t.name)
        .collect())
}

/// The task `id` if the caller may see it; 404 otherwise.
pub(crate) async fn visible_task(qa: &Qa, caller: &Caller, id: &str) -> Result<QaTask, ApiError> {
    let missing = || ApiError::not_found(format!("no QA task {id:?}"));
    let task = qa
        .crm
        .qa_task(id)
        .await
        .map_err(crm_error)?
        .ok_or_else(missing)?;
    let scope = Scope::of(caller);
    let supervised = match &scope {
        Scope::Teams(s) => supervised_teams(qa, s).await?,
        _ => Vec::new(),
    };
    if scope.sees(&task, &supervised) {
        Ok(task)
    } else {
        Err(missing())
    }
}

/// The task, if the caller is its reviewer (403 for others who may see it).
pub(crate) async fn reviewers_task(qa: &Qa, caller: &Caller, id: &str) -> Result<QaTask, ApiError> {
    let task = visible_task(qa, caller, id).await?;
    if task.reviewer.as_deref() == Some(caller.who.username.as_str()) {
        Ok(task)
    } else {
        Err(ApiError::forbidden(format!(
            "task {id} is assigned to {}, not to you",
            task.reviewer.as_deref().unwrap_or("nobody")
        )))
    }
}
