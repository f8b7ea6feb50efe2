//! Monitoring over HTTP (docs/acd.md, "Monitoring"): `POST /api/agents/{id}/monitor`
//! `{"mode": "listen"|"whisper"|"barge"}` rings the caller's phone (their account's
//! `extension`) and puts it on the agent's connected call once answered (202); `PATCH` with
//! `{"mode"}` switches the mode of a monitoring in progress; `DELETE` ends it (the supervisor's
//! call is hung up). Only supervisors and admins: an agent's request is refused with 403 and
//! written to the audit log (`monitor.refused`), as are the switch's refusals; the monitoring's
//! start, modes and stop are audited by the switch itself.

use crate::config::accounts::AccountSpec;
use crate::driver::sip::{Control, MonitorChange};
use crate::http::auth::Principal;
use crate::http::error::{ApiError, ApiResult};
use crate::http::routing::Routes;
use crate::http::{ask_switch, App};
use crate::switch::MonitorMode;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use crm::Role;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::net::SocketAddr;

pub(crate) fn routes() -> Routes {
    Routes::new()
        .post("/api/agents/{id}/monitor", start)
        .patch("/api/agents/{id}/monitor", change_mode)
        .delete("/api/agents/{id}/monitor", stop)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModeBody {
    mode: String,
}

fn mode_of(body: &[u8]) -> Result<MonitorMode, ApiError> {
    let body: ModeBody = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("bad JSON body: {e}")))?;
    body.mode.parse().map_err(|e: media::BadMonitorMode| {
        ApiError::field(
            crate::http::error::ErrorKind::BadRequest,
            "mode",
            e.to_string(),
        )
    })
}

/// Supervisors and admins only; anyone else is refused with 403 and audited.
async fn only_supervisors(
    app: &App,
    who: &Principal,
    remote: SocketAddr,
    agent: &str,
) -> ApiResult<()> {
    if matches!(who.role, Role::Admin | Role::Supervisor) {
        return Ok(());
    }
    let detail = json!({ "agent": agent, "reason": "not_supervisor" }).to_string();
    let action = crm::AuditAction::MonitorRefused;
    crate::http::queue_admin::audit(app, who, remote, action, agent, detail).await?;
    Err(ApiError::with_reason(
        crate::http::error::ErrorKind::Forbidden,
        "not_supervisor",
        "only supervisors and admins may monitor calls",
    ))
}

async fn ask(app: &App, who: &Principal, agent: String, change: MonitorChange) -> ApiResult<()> {
    let account = who.username.clone();
    let answer = ask_switch(app, |reply| Control::Monitor {
        account,
        agent,
        change,
        reply,
    })
    .await;
    Ok(answer.ok_or_else(ApiError::stopping)??)
}

/// `POST /api/agents/{id}/monitor`: 202 `{"agent", "mode"}`; the phone rings.
async fn start(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    Path(agent): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult {
    let mode = mode_of(&body)?;
    only_supervisors(&app, &who, remote, &agent).await?;
    ask(&app, &who, agent.clone(), MonitorChange::Start(mode)).await?;
    let answer = json!({ "agent": agent, "mode": mode.as_str() });
    Ok((StatusCode::ACCEPTED, Json(answer)).into_response())
}

/// `PATCH /api/agents/{id}/monitor`: 200 `{"agent", "mode"}`.
async fn change_mode(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    Path(agent): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult {
    let mode = mode_of(&body)?;
    only_supervisors(&app, &who, remote, &agent).await?;
    ask(&app, &who, agent.clone(), MonitorChange::Mode(mode)).await?;
    Ok(Json(json!({ "agent": agent, "mode": mode.as_str() })).into_response())
}

/// `DELETE /api/agents/{id}/monitor`: 204.
async fn stop(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    Path(agent): Path<String>,
) -> ApiResult {
    only_supervisors(&app, &who, remote, &agent).await?;
    ask(&app, &who, agent, MonitorChange::Stop).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Which agents each supervisor account may monitor: the agents of the teams they lead
/// (`/api/qa/teams`). `None` while no team exists, so a center without teams keeps letting
/// every supervisor monitor every agent. Admins are never restricted (not in the map).
pub(crate) async fn supervisor_teams(
    crm: &crm::Crm,
) -> Result<Option<crate::switch::SupervisorTeams>, crm::CrmError> {
    let teams = crm.qa_teams().await?;
    if teams.is_empty() {
        return Ok(None);
    }
    let mut map = crate::switch::SupervisorTeams::new();
    for account in crm.accounts().await? {
        if account.role == Role::Supervisor {
            map.entry(account.username).or_default();
        }
    }
    for team in teams {
        if let Some(agents) = map.get_mut(&team.supervisor) {
            agents.extend(team.agents);
        }
    }
    Ok(Some(map))
}

/// Tells the switch the supervisors' teams (at start, and after a team changes).
pub(crate) async fn push_supervisor_teams(
    crm: &crm::Crm,
    control: &tokio::sync::mpsc::Sender<Control>,
) {
    match supervisor_teams(crm).await {
        Ok(teams) => {
            let _ = control.send(Control::SupervisorTeams(teams)).await;
        }
        Err(e) => tracing::error!(error = %e, "cannot read the QA teams for monitoring"),
    }
}

/// The monitoring phones (extension → account): the file's `[[accounts]] extension`, then
/// the enabled API accounts' (an extension the file gives is the file's, as at the start-up
/// sync). Disabled accounts have none.
pub(crate) async fn supervisor_phones(
    crm: &crm::Crm,
    file: &[AccountSpec],
) -> Result<HashMap<String, String>, crm::CrmError> {
    let mut phones: HashMap<String, String> = file
        .iter()
        .filter_map(|a| Some((a.extension.clone()?, a.username.clone())))
        .collect();
    for a in crm.accounts().await? {
        let monitors = matches!(a.role, Role::Admin | Role::Supervisor);
        if !a.managed_by_api || a.disabled || !monitors {
            continue;
        }
        if let Some(ext) = a.extension {
            phones.entry(ext).or_insert(a.username);
        }
    }
    Ok(phones)
}

/// Tells the switch the monitoring phones and the supervisors' teams: at start and after an
/// account changes (a new supervisor joins the teams' map too).
pub(crate) async fn push_monitoring(
    crm: &crm::Crm,
    file: &[AccountSpec],
    control: &tokio::sync::mpsc::Sender<Control>,
) {
    match supervisor_phones(crm, file).await {
        Ok(phones) => {
            let _ = control.send(Control::SupervisorPhones(phones)).await;
        }
        Err(e) => tracing::error!(error = %e, "cannot read the accounts' monitoring phones"),
    }
    push_supervisor_teams(crm, control).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm::{NewAccount, QaTeam};

    fn account(name: &str, role: Role) -> NewAccount {
        NewAccount {
            username: name.into(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$x".into(),
            token_hash: None,
            role,
            agent_id: (role == Role::Agent).then(|| name.to_string()),
            extension: None,
        }
    }

    #[tokio::test]
    async fn supervisors_get_the_agents_of_the_teams_they_lead() -> anyhow::Result<()> {
        let crm = crm::Crm::connect("sqlite::memory:").await?;
        let at = chrono::DateTime::UNIX_EPOCH;
        let accounts = [
            account("kim", Role::Supervisor),
            account("lee", Role::Supervisor),
            account("root", Role::Admin),
            account("alice", Role::Agent),
        ];
        crm.sync_accounts(&accounts, at).await?;
        assert_eq!(
            supervisor_teams(&crm).await?,
            None,
            "no team: nobody restricted"
        );
        for (name, sup, agents) in [
            ("red", "kim", vec!["alice"]),
            ("blue", "kim", vec!["bob"]),
            ("ops", "root", vec!["carol"]),
        ] {
            let team = QaTeam {
                name: name.into(),
                supervisor: sup.into(),
                agents: agents.into_iter().map(String::from).collect(),
            };
            crm.set_qa_team(&team, at).await?;
        }
        let map = supervisor_teams(&crm).await?.expect("teams exist");
        let kim: Vec<&str> = {
            let mut v: Vec<&str> = map["kim"].iter().map(String::as_str).collect();
            v.sort();
            v
        };
        assert_eq!(kim, ["alice", "bob"]);
        assert!(
            map["lee"].is_empty(),
            "a supervisor without a team monitors nobody"
        );
        assert!(!map.contains_key("root"), "admins are not restricted");
        Ok(())
    }

    #[tokio::test]
    async fn phones_are_the_files_and_the_enabled_api_accounts() -> anyhow::Result<()> {
        let crm = crm::Crm::connect("sqlite::memory:").await?;
        let at = chrono::DateTime::UNIX_EPOCH;
        let mut carol = account("carol", Role::Supervisor);
        carol.extension = Some("2003".into());
        crm.sync_accounts(std::slice::from_ref(&carol), at).await?;
        let file = [AccountSpec {
            username: "carol".into(),
            secret: crate::config::accounts::Secret::Plain("carol-password".into()),
            role: Role::Supervisor,
            agent: None,
            extension: Some("2003".into()),
            token_hash: None,
        }];
        for (name, ext) in [("sue", "2004"), ("root", "2005")] {
            let mut a = account(name, Role::Supervisor);
            a.extension = Some(ext.into());
            crm.create_account(&a, at).await?;
        }
        let off = crm::AccountChange {
            disabled: Some(true),
            ..crm::AccountChange::default()
        };
        crm.change_account("root", &off, at).await?;
        let phones = supervisor_phones(&crm, &file).await?;
        let want = HashMap::from([
            ("2003".to_string(), "carol".to_string()),
            ("2004".to_string(), "sue".to_string()),
        ]);
        assert_eq!(phones, want, "root is disabled: no phone");
        Ok(())
    }
}
