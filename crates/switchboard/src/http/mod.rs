//! The HTTP API: one axum router over the route modules, behind access control ([`auth`]).
//! Health, live status, CDRs and the dialplan reload are here; the rest by resource:
//! [`acd`] (live ACD view, agent actions, events, metrics), [`reports`] (tables, CSV, charts
//! drawn with [`chart`], the `queue_log` export), [`queue_admin`], [`trunks`], [`customers`],
//! [`recordings`], [`audio`], [`peaks`], [`messages`], [`desk`], [`dial`] (click-to-dial),
//! [`staffing`], [`qa`] (the QA-review loop), the [`pages`] and [`web`] (visitors' web calls:
//! widget, demo page, WebSocket).

pub mod account_admin;
pub mod acd;
pub mod agent_admin;
pub mod audio;
pub mod auth;
pub mod chart;
pub mod consult;
pub mod csv;
pub mod customers;
pub mod desk;
pub mod dial;
pub mod error;
pub mod limits;
pub mod messages;
pub mod monitor;
pub mod openapi;
pub mod pages;
pub mod peaks;
pub mod phone;
pub mod qa;
pub mod queue_admin;
pub mod queue_log;
pub mod recordings;
pub mod report_charts;
pub mod reports;
pub mod routing;
pub mod server_paths;
pub mod staffing;
pub mod trunks;
pub mod user_admin;
pub mod web;

use crate::driver::reload::Reloader;
use crate::driver::sip::Status;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use error::{ApiError, ApiResult, ErrorKind};
use routing::Routes;
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

#[derive(Clone)]
pub(crate) struct App {
    pub crm: crm::Crm,
    pub status: watch::Receiver<Status>,
    pub reloader: Reloader,
    pub control: tokio::sync::mpsc::Sender<crate::driver::sip::Control>,
    pub events: tokio::sync::broadcast::Sender<crate::driver::live::LiveEvent>,
    /// Screen pops and wrap-up codes for agents.
    pub screens: std::sync::Arc<crate::driver::screens::Screens>,
    /// Access control: settings and failed-login backoff (see `crate::http::auth`).
    pub auth: crate::http::auth::Auth,
    /// Password checks at once (argon2 takes 19 MiB each): past it, logins get 503.
    pub password_checks: crate::password::PasswordChecks,
    /// Visitors' web calls (`driver/web`).
    pub web: std::sync::Arc<crate::driver::web::WebGateway>,
    /// The QA-review loop's database, settings and clock.
    pub qa: qa::Qa,
}

#[allow(clippy::too_many_arguments)]
pub async fn serve(
    listener: TcpListener,
    crm: crm::Crm,
    status: watch::Receiver<Status>,
    reloader: Reloader,
    control: tokio::sync::mpsc::Sender<crate::driver::sip::Control>,
    events: tokio::sync::broadcast::Sender<crate::driver::live::LiveEvent>,
    screens: std::sync::Arc<crate::driver::screens::Screens>,
    web: std::sync::Arc<crate::driver::web::WebGateway>,
    shutdown: CancellationToken,
) {
    let config = reloader.config().clone();
    match crate::http::auth::accounts::sync(&crm, &config.accounts).await {
        Ok(s) => {
            tracing::info!(
                accounts = s.upserted,
                disabled = s.disabled,
                sessions_ended = s.sessions_ended,
                "HTTP accounts ready"
            );
            if s.extensions_taken > 0 {
                tracing::warn!(
                    accounts = s.extensions_taken,
                    "accounts made through the API lost their monitoring extension to [[accounts]] of the file"
                );
            }
        }
        // The API still runs on the accounts stored before; the log says why logins fail.
        Err(e) => tracing::error!(error = %e, "cannot write the configured HTTP accounts"),
    }
    // Monitoring follows the QA teams and the accounts' phones (issue 12): the switch learns
    // them now and at each change.
    crate::http::monitor::push_monitoring(&crm, &config.accounts, &control).await;
    if config.accounts.is_empty() {
        tracing::warn!("no [[accounts]] configured: the HTTP API refuses every request");
    }
    tokio::spawn(crate::http::auth::purge_sessions(
        crm.clone(),
        config.http_auth.clone(),
        shutdown.clone(),
    ));
    let qa = qa::Qa::new(crm.clone(), config.qa, std::sync::Arc::new(qa::SystemClock));
    if config.qa.schedule {
        tokio::spawn(crate::driver::qa_schedule::run(
            qa.clone(),
            shutdown.clone(),
        ));
    }
    let state = App {
        qa,
        crm,
        status,
        reloader,
        control,
        events,
        screens,
        auth: crate::http::auth::Auth::new(config.http_auth.clone()),
        password_checks: crate::password::PasswordChecks::new(config.limits.http.password_checks),
        web,
    };
    let app = routes()
        .into_router()
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::auth::middleware::guard,
        ))
        .with_state(state);
    limits::serve(listener, app, config.limits.http, shutdown).await;
}

/// Every route of the API, from every route module.
fn routes() -> Routes {
    Routes::new()
        .get("/health", || async { "ok\n" })
        .get("/api/status", status_handler)
        .get("/api/cdrs", cdrs)
        .get("/api/cdrs/{id}", cdr)
        .post("/api/dialplans/reload", reload)
        .merge(acd::routes())
        .merge(staffing::routes())
        .merge(reports::routes())
        .merge(queue_admin::routes())
        .merge(trunks::routes())
        .merge(user_admin::routes())
        .merge(agent_admin::routes())
        .merge(account_admin::routes())
        .merge(customers::routes())
        .merge(recordings::routes())
        .merge(messages::routes())
        .merge(desk::routes())
        .merge(dial::routes())
        .merge(monitor::routes())
        .merge(consult::routes())
        .merge(audio::routes())
        .merge(peaks::routes())
        .merge(auth::routes::routes())
        .merge(pages::routes())
        .merge(openapi::routes())
        .merge(web::routes())
        .merge(phone::routes())
        .merge(qa::routes())
}

/// The router's table of routes, for tests that check other tables against it.
#[cfg(test)]
pub(crate) fn routes_for_tests() -> Routes {
    routes()
}

async fn status_handler(State(app): State<App>) -> Json<Status> {
    Json(app.status.borrow().clone())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Limit {
    limit: Option<u32>,
}

async fn cdrs(
    State(app): State<App>,
    who: Option<axum::Extension<crate::http::auth::Principal>>,
    Query(q): Query<Limit>,
) -> ApiResult {
    let limit = q.limit.unwrap_or(50).clamp(1, 1000);
    // An agent sees only their own calls: look as far back as any list goes, then cut.
    let agent = who.as_ref().and_then(|w| w.only_agent());
    let fetch = if agent.is_some() { 1000 } else { limit };
    let mut list = app.crm.recent_cdrs(fetch).await?;
    if let Some(agent) = agent {
        list.retain(|c| c.agent.as_deref() == Some(agent));
        list.truncate(limit as usize);
    }
    Ok(Json(list).into_response())
}

async fn cdr(State(app): State<App>, Path(id): Path<String>) -> ApiResult {
    match app.crm.cdr(&id).await? {
        Some(c) => Ok(Json(c).into_response()),
        None => Err(ApiError::text(ErrorKind::NotFound, "no such CDR\n")),
    }
}

async fn reload(State(app): State<App>) -> Response {
    match app.reloader.reload().await {
        Ok(plans) => Json(serde_json::json!({ "reloaded": true, "plans": plans })).into_response(),
        Err(e) => {
            tracing::warn!(errors = %e, "dialplan reload refused");
            let config = app.reloader.config();
            let mut dirs = vec![config.prompts_dir.as_path()];
            if let Some((d, _)) = &config.dialplans_dir {
                dirs.push(d.as_path());
            }
            let e = server_paths::without_dirs(&e, &dirs);
            (
                ErrorKind::Unprocessable.status(),
                Json(
                    serde_json::json!({ "reloaded": false, "errors": e.lines().collect::<Vec<_>>() }),
                ),
            )
                .into_response()
        }
    }
}

/// Ask the switch core something through the driver's control channel and wait for the answer;
/// `None` when the switch is stopping.
pub(crate) async fn ask_switch<T>(
    app: &App,
    request: impl FnOnce(tokio::sync::oneshot::Sender<T>) -> crate::driver::sip::Control,
) -> Option<T> {
    let (reply, rx) = tokio::sync::oneshot::channel();
    app.control.send(request(reply)).await.ok()?;
    rx.await.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Guards against a route added without deciding who may call it (deny by default would
    /// hide the omission from everyone but admins and supervisors).
    #[test]
    fn every_route_has_a_permission_rule() {
        let routes = routes();
        let missing: Vec<String> = routes
            .list()
            .iter()
            .filter(|(m, path)| !auth::roles::has_rule(m, path))
            .map(|(m, path)| format!("{m} {path}"))
            .collect();
        assert!(
            missing.is_empty(),
            "routes with no rule in http::auth::roles (add one, or list the path as open): \
             {missing:#?}"
        );
        assert!(
            routes.list().len() >= 45,
            "the walk saw {} routes",
            routes.list().len()
        );
    }
}
