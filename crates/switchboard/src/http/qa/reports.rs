//! `GET /api/qa/reports?from=2026-01&to=2026-06` and `GET /api/qa/reports.csv`: per agent and
//! per team, month by month, the reviews due (tasks drawn) and done (submitted), the average
//! score and its change from the month before, improvement points opened (by that month's
//! reviews), improved and carried forward (by checks made in that month), and disputes with
//! their outcome. Admins see everyone, supervisors their teams. CSV text cells that start with
//! `=`, `+`, `-` or `@` are prefixed with `'` so a spreadsheet does not run them as formulas.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use crm::{DisputeOutcome, QaFollowUp, QaTask, Role, TaskFilter};
use serde::{Deserialize, Serialize};

use crate::http::error::{ApiError, ApiResult, ErrorKind};
use crate::http::qa::scope::Scope;
use crate::http::qa::{crm_error, month, Caller, Qa};
use crate::http::routing::Routes;
use crate::http::App;

pub(super) fn routes() -> Routes {
    Routes::new()
        .get(
            "/api/qa/reports",
            |State(app): State<App>, caller: Caller, Query(q): Query<ReportQuery>| async move {
                ApiResult::Ok(Json(report(&app.qa, &caller, q).await?).into_response())
            },
        )
        .get(
            "/api/qa/reports.csv",
            |State(app): State<App>, caller: Caller, Query(q): Query<ReportQuery>| async move {
                let r = report(&app.qa, &caller, q).await?;
                ApiResult::Ok(
                    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv(&r)).into_response(),
                )
            },
        )
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// First month (default: five months before `to`).
    pub from: Option<String>,
    /// Last month (default: this month in the center's zone).
    pub to: Option<String>,
}

/// One agent's or team's month.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MonthLine {
    pub month: String,
    pub due: u32,
    pub done: u32,
    /// Average of the submitted reviews' scores (after settlements).
    pub average: Option<f64>,
    /// `average` minus the previous month's, when both exist.
    pub change: Option<f64>,
    pub points_opened: u32,
    pub points_improved: u32,
    pub points_carried: u32,
    pub disputes: u32,
    pub disputes_kept: u32,
    pub disputes_changed: u32,
    #[serde(skip)]
    pub(crate) score_sum: f64,
}

/// An agent's or a team's months.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub name: String,
    /// An agent's team (at sampling), if any.
    pub team: Option<String>,
    pub months: Vec<MonthLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub months: Vec<String>,
    pub agents: Vec<Series>,
    pub teams: Vec<Series>,
}

/// Most months one report covers.
const MAX_MONTHS: usize = 36;

fn months(qa: &Qa, q: &ReportQuery) -> Result<Vec<qa::ReviewMonth>, ApiError> {
    let to = match &q.to {
        Some(t) => month("to", t)?,
        None => qa::ReviewMonth::of(qa.now(), qa.config.zone),
    };
    let mut from = match &q.from {
        Some(f) => month("from", f)?,
        None => (0..5).fold(to, |m, _| m.previous()),
    };
    if from > to {
        return Err(ApiError::field(
            ErrorKind::BadRequest,
            "from",
            "is after to",
        ));
    }
    let mut out = Vec::new();
    while from <= to {
        if out.len() == MAX_MONTHS {
            return Err(ApiError::field(
                ErrorKind::BadRequest,
                "from",
                format!("a report covers at most {MAX_MONTHS} months"),
            ));
        }
        out.push(from);
        from = from.next();
    }
    Ok(out)
}

pub(crate) async fn report(qa: &Qa, caller: &Caller, q: ReportQuery) -> Result<Report, ApiError> {
    if !matches!(caller.who.role, Role::Admin | Role::Supervisor) {
        return Err(ApiError::forbidden(
            "reports are for admins and supervisors",
        ));
    }
    let months = months(qa, &q)?;
    let names: Vec<String> = months.iter().map(ToString::to_string).collect();
    let filter = Scope::of(caller).narrow(TaskFilter::default());
    let tasks: Vec<QaTask> = qa
        .crm
        .qa_tasks(&filter)
        .await
        .map_err(crm_error)?
        .into_iter()
        .filter(|t| names.contains(&t.month))
        .collect();
    let agents_seen: Vec<&str> = tasks.iter().map(|t| t.agent.as_str()).collect();
    let follow_ups: Vec<QaFollowUp> = qa
        .crm
        .qa_follow_ups(None, false)
        .await
        .map_err(crm_error)?
        .into_iter()
        .filter(|f| agents_seen.contains(&f.follow_up.agent.as_str()))
        .collect();
    let team_of: BTreeMap<&str, Option<String>> = tasks
        .iter()
        .map(|t| (t.agent.as_str(), t.team.clone()))
        .collect();

    let mut agents: BTreeMap<String, BTreeMap<String, MonthLine>> = BTreeMap::new();
    let mut teams: BTreeMap<String, BTreeMap<String, MonthLine>> = BTreeMap::new();
    let mut each = |agent: &str, team: Option<&String>, m: &str, f: &dyn Fn(&mut MonthLine)| {
        f(agents
            .entry(agent.to_owned())
            .or_default()
            .entry(m.to_owned())
            .or_default());
        if let Some(team) = team {
            f(teams
                .entry(team.clone())
                .or_default()
                .entry(m.to_owned())
                .or_default());
        }
    };
    for t in &tasks {
        each(&t.agent, t.team.as_ref(), &t.month, &|l: &mut MonthLine| {
            l.due += 1;
            if let (true, Some(score)) = (t.status.is_submitted(), t.score) {
                l.done += 1;
                l.score_sum += score;
            }
            if let Some(outcome) = t.dispute_outcome {
                l.disputes_kept += u32::from(outcome == DisputeOutcome::Kept);
                l.disputes_changed += u32::from(outcome == DisputeOutcome::Changed);
            }
            if matches!(
                t.status,
                crm::TaskStatus::Disputed | crm::TaskStatus::Settled
            ) {
                l.disputes += 1;
            }
        });
    }
    let task_month: BTreeMap<&str, &str> = tasks
        .iter()
        .map(|t| (t.id.as_str(), t.month.as_str()))
        .collect();
    for f in &follow_ups {
        let agent = f.follow_up.agent.as_str();
        let team = team_of.get(agent).cloned().flatten();
        if let Some(m) = task_month.get(f.task_id.as_str()) {
            each(agent, team.as_ref(), m, &|l: &mut MonthLine| {
                l.points_opened += 1
            });
        }
        for c in &f.follow_up.checks {
            let m = qa::ReviewMonth::of(c.at, qa.config.zone).to_string();
            if names.contains(&m) {
                each(
                    agent,
                    team.as_ref(),
                    &m,
                    &|l: &mut MonthLine| match c.verdict {
                        qa::Verdict::Improved => l.points_improved += 1,
                        qa::Verdict::NotImproved => l.points_carried += 1,
                    },
                );
            }
        }
    }
    let series = |map: BTreeMap<String, BTreeMap<String, MonthLine>>, teams: bool| {
        map.into_iter()
            .map(|(name, mut by_month)| {
                let mut previous: Option<f64> = None;
                let months = names
                    .iter()
                    .map(|m| {
                        let mut l = by_month.remove(m).unwrap_or_default();
                        l.month = m.clone();
                        l.average = (l.done > 0)
                            .then(|| (l.score_sum / f64::from(l.done) * 100.0).round() / 100.0);
                        l.change = match (l.average, previous) {
                            (Some(a), Some(p)) => Some(((a - p) * 100.0).round() / 100.0),
                            _ => None,
                        };
                        previous = l.average.or(previous);
                        l
                    })
                    .collect();
                Series {
                    team: if teams {
                        None
                    } else {
                        team_of.get(name.as_str()).cloned().flatten()
                    },
                    name,
                    months,
                }
            })
            .collect::<Vec<_>>()
    };
    Ok(Report {
        agents: series(agents, false),
        teams: series(teams, true),
        months: names,
    })
}

/// A text cell, neutralised when a spreadsheet would read it as a formula, quoted when needed.
fn cell(text: &str) -> String {
    let safe = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if safe.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", safe.replace('"', "\"\""))
    } else {
        safe
    }
}

fn number(n: Option<f64>) -> String {
    n.map(|v| v.to_string()).unwrap_or_default()
}

/// The report as CSV, one line per agent or team and month.
pub(crate) fn csv(r: &Report) -> String {
    let mut out = String::from(
        "kind,name,team,month,due,done,average,change,points_opened,points_improved,\
         points_carried,disputes,disputes_kept,disputes_changed\n",
    );
    for (kind, list) in [("agent", &r.agents), ("team", &r.teams)] {
        for s in list {
            for l in &s.months {
                out.push_str(&format!(
                    "{kind},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                    cell(&s.name),
                    cell(s.team.as_deref().unwrap_or("")),
                    l.month,
                    l.due,
                    l.done,
                    number(l.average),
                    number(l.change),
                    l.points_opened,
                    l.points_improved,
                    l.points_carried,
                    l.disputes,
                    l.disputes_kept,
                    l.disputes_changed
                ));
            }
        }
    }
    out
}
