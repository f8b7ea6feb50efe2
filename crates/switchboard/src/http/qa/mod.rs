//! The QA-review loop's JSON API (docs/qa.md): forms, teams and sampling settings (admins),
//! the monthly sampling (on demand here, on schedule by `driver::qa_schedule`), review tasks
//! with their call's context, drafts, comments and submission (reviewers), acknowledgement and
//! disputes (agents), settlements (supervisors), follow-ups and reports.
//!
//! The role table (`auth::roles`) says who may call a route at all; who may touch which task
//! (a reviewer's own, a supervisor's teams, an agent's own submitted reviews) is decided here,
//! in [`Scope`], because it depends on the rows. The work of each route is a function of
//! [`Qa`] (the database and an injectable clock) and the [`Caller`], so tests drive months of
//! the loop by moving the clock instead of sleeping; the axum handlers only decode requests.

mod assignment;
mod coaching;
mod follow_ups;
mod forms;
mod report_chart;
mod reports;
mod reviews;
mod sampling;
mod scope;
mod tasks;
mod teams;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use crm::{AuditAction, Crm, CrmError, Role};
use serde::de::DeserializeOwned;

use crate::config::qa::QaConfig;
use crate::http::auth::Principal;
use crate::http::error::{ApiError, ErrorKind};
use crate::http::routing::Routes;
use crate::http::App;

pub(crate) use sampling::run_sampling;

/// Where the loop reads the time: the system clock, or a test's.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// What the QA routes work with.
#[derive(Clone)]
pub struct Qa {
    pub crm: Crm,
    pub config: QaConfig,
    clock: Arc<dyn Clock>,
}

impl Qa {
    pub fn new(crm: Crm, config: QaConfig, clock: Arc<dyn Clock>) -> Self {
        Qa { crm, config, clock }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

/// Who is asking and from where (for the audit log).
#[derive(Debug, Clone)]
pub struct Caller {
    pub who: Principal,
    pub remote: Option<SocketAddr>,
}

impl Caller {
    fn is(&self, role: Role) -> bool {
        self.who.role == role
    }

    /// Refuses anyone but admins.
    fn admin_only(&self, what: &str) -> Result<(), ApiError> {
        if self.is(Role::Admin) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("only admins may {what}")))
        }
    }
}

impl FromRequestParts<App> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &App) -> Result<Self, Self::Rejection> {
        let who = parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or_else(|| ApiError::new(ErrorKind::Unauthorized, "login required"))?;
        let remote = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        Ok(Caller { who, remote })
    }
}

/// Largest JSON body a QA route takes (a form definition is the largest).
const BODY_LIMIT: usize = crm::MAX_QA_JSON_BYTES;

/// Decodes a JSON body; a malformed one is a 400 naming what is wrong.
pub(crate) fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    if bytes.len() > BODY_LIMIT {
        return Err(ApiError::new(
            ErrorKind::TooLarge,
            format!("body over {BODY_LIMIT} bytes"),
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad_request(format!("bad JSON body: {e}")))
}

/// The CRM's answers as HTTP: a bad field is 400 naming it, a missing object 404, a state
/// that does not allow the step 409; a database failure is 500 without details.
pub(crate) fn crm_error(e: CrmError) -> ApiError {
    match e {
        CrmError::InvalidField { field, reason } => {
            ApiError::field(ErrorKind::BadRequest, field, format!("{field} {reason}"))
        }
        CrmError::QaNotFound { .. } => ApiError::not_found(e.to_string()),
        CrmError::QaState(m) => ApiError::conflict(m),
        other => ApiError::database(other),
    }
}

/// Appends to the audit log, at the loop's clock.
pub(crate) async fn audit(
    qa: &Qa,
    caller: &Caller,
    action: AuditAction,
    object: &str,
    detail: String,
) -> Result<(), ApiError> {
    let detail: String = detail.chars().take(crm::MAX_AUDIT_DETAIL_CHARS).collect();
    let entry = crm::NewAuditEntry {
        at: qa.now(),
        account: caller.who.username.clone(),
        role: caller.who.role,
        action,
        object_id: object.chars().take(crm::MAX_AUDIT_OBJECT_CHARS).collect(),
        remote_addr: caller.remote.map(|r| r.to_string()),
        detail: Some(detail),
    };
    qa.crm.audit(&entry).await.map_err(crm_error)?;
    Ok(())
}

/// A month as the API takes it (`2026-02`), or 400.
pub(crate) fn month(field: &'static str, raw: &str) -> Result<qa::ReviewMonth, ApiError> {
    raw.parse()
        .map_err(|e: qa::MonthError| ApiError::field(ErrorKind::BadRequest, field, e.to_string()))
}

/// Every QA route.
pub(crate) fn routes() -> Routes {
    Routes::new()
        .merge(forms::routes())
        .merge(teams::routes())
        .merge(sampling::routes())
        .merge(assignment::routes())
        .merge(tasks::routes())
        .merge(reviews::routes())
        .merge(coaching::routes())
        .merge(follow_ups::routes())
        .merge(reports::routes())
        .merge(report_chart::routes())
}
