//! The ACD over HTTP: the live view of queues and agents, agent login/logout/pause through the
//! API, a server-sent event stream of queue and agent events for wallboards, and the Prometheus
//! `/metrics` endpoint (reports are in `reports`). docs/api.md lists them.

use crate::driver::sip::Control;
use crate::http::error::{ApiError, ApiResult};
use crate::http::routing::Routes;
use crate::http::{ask_switch, App};
use crate::switch::{AcdSnapshot, AgentCommand};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::IntoResponse;
use axum::Json;
use chrono::Utc;
use serde::Deserialize;
use std::convert::Infallible;
use std::fmt::Write;
use std::time::Duration;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::StreamExt;

pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/api/acd", snapshot)
        .get("/api/queues", queues)
        .get("/api/agents", agents)
        .post("/api/agents/{id}/{action}", agent_action)
        .get("/api/events", events)
        .get("/metrics", metrics)
}

pub(crate) async fn take_snapshot(app: &App) -> ApiResult<AcdSnapshot> {
    ask_switch(app, |reply| Control::AcdSnapshot { reply })
        .await
        .ok_or_else(ApiError::stopping)
}

async fn snapshot(State(app): State<App>) -> ApiResult {
    Ok(Json(take_snapshot(&app).await?).into_response())
}

async fn queues(State(app): State<App>) -> ApiResult {
    Ok(Json(take_snapshot(&app).await?.queues).into_response())
}

async fn agents(State(app): State<App>) -> ApiResult {
    Ok(Json(take_snapshot(&app).await?.agents).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentBody {
    extension: Option<String>,
    reason: Option<String>,
}

/// POST /api/agents/{id}/{login|logout|pause|unpause|ready}, with an optional JSON body
/// `{"extension": "1001"}` (login) or `{"reason": "lunch"}` (pause).
async fn agent_action(
    State(app): State<App>,
    Path((agent, action)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> ApiResult {
    let body: AgentBody = if body.iter().all(u8::is_ascii_whitespace) {
        AgentBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("bad JSON body: {e}")))?
    };
    let command = match action.as_str() {
        "login" => AgentCommand::Login {
            extension: body.extension,
        },
        "logout" => AgentCommand::Logout,
        "pause" => {
            let reason = body.reason.unwrap_or_else(|| "break".into());
            if reason.is_empty() || reason.len() > 64 {
                return Err(ApiError::bad_request("reason: 1 to 64 characters"));
            }
            AgentCommand::Pause { reason }
        }
        "unpause" => AgentCommand::Unpause,
        "ready" => AgentCommand::Ready,
        other => {
            return Err(ApiError::not_found(format!(
                "unknown action `{other}` (login, logout, pause, unpause, ready)"
            )))
        }
    };
    let result = ask_switch(&app, |reply| Control::Agent {
        agent: agent.clone(),
        command,
        reply,
    })
    .await;
    result.ok_or_else(ApiError::stopping)??;
    Ok(Json(serde_json::json!({ "agent": agent, "done": action })).into_response())
}

/// Queue and agent events as server-sent events (`event: queue` / `event: agent`).
async fn events(State(app): State<App>) -> impl IntoResponse {
    let stream = BroadcastStream::new(app.events.subscribe()).filter_map(|item| {
        let live = item.ok()?;
        let event = Event::default().event(live.scope.name());
        Some(Ok::<Event, Infallible>(event.data(live.json.as_ref())))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// Prometheus text exposition: the switch's counters, the live ACD view, and today's queue
/// figures from the stored events (docs/metrics.md defines each).
async fn metrics(State(app): State<App>) -> ApiResult {
    let status = app.status.borrow().clone();
    let snapshot = take_snapshot(&app).await?;
    let now = Utc::now();
    let midnight = now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now);
    let today = app
        .crm
        .queue_report(&crm::ReportQuery::new(
            midnight,
            now + chrono::Duration::seconds(1),
        ))
        .await?;
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, kind: &str, samples: &[(String, f64)]| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, v) in samples {
            let _ = writeln!(out, "{name}{labels} {v}");
        }
    };
    let one = |v: f64| vec![(String::new(), v)];
    gauge(
        "switchboard_calls_active",
        "Calls in progress.",
        "gauge",
        &one(status.active_calls as f64),
    );
    gauge(
        "switchboard_calls_started_total",
        "Calls started since the switch started.",
        "counter",
        &one(status.calls_started as f64),
    );
    gauge(
        "switchboard_calls_answered_total",
        "Calls answered since the switch started.",
        "counter",
        &one(status.calls_answered as f64),
    );
    gauge(
        "switchboard_web_calls",
        "Web calls in progress (visitors' browser calls, docs/webcall.md).",
        "gauge",
        &one(status.web_calls as f64),
    );
    gauge(
        "switchboard_registered_contacts",
        "Registered SIP contacts.",
        "gauge",
        &one(status.registered_contacts as f64),
    );
    gauge(
        "switchboard_sip_parse_errors_total",
        "Unparsable SIP messages.",
        "counter",
        &one(status.parse_errors as f64),
    );
    gauge(
        "switchboard_sip_overload_refusals_total",
        "New INVITEs refused with 503 because the switch was full.",
        "counter",
        &one(status.overload_refusals as f64),
    );
    gauge(
        "switchboard_sip_auth_failures_total",
        "SIP digest attempts refused for a wrong password or an unknown user.",
        "counter",
        &one(status.sip_auth_failures as f64),
    );
    gauge(
        "switchboard_sip_auth_blocked_total",
        "SIP requests refused unchecked because their address or extension was blocked for guessing.",
        "counter",
        &one(status.sip_auth_blocked as f64),
    );
    gauge(
        "switchboard_rtp_foreign_packets_dropped_total",
        "RTP/RTCP packets the relay dropped because they were not from a side's latched source.",
        "counter",
        &one(status.rtp_foreign_dropped as f64),
    );
    gauge(
        "switchboard_recordings_incomplete_total",
        "Recordings finished without the call's whole audio (stored as failed, with the reason).",
        "counter",
        &one(status.recordings_incomplete as f64),
    );
    gauge(
        "switchboard_core_panics_total",
        "Messages or timers whose handling panicked in the switch core (caught; other calls go on).",
        "counter",
        &one(status.core_panics as f64),
    );
    crate::http::trunks::metrics(&mut gauge, &status.trunks);
    let per_queue = |f: &dyn Fn(&crate::switch::QueueView) -> f64| {
        snapshot
            .queues
            .iter()
            .map(|q| (format!("{{queue=\"{}\"}}", q.name), f(q)))
            .collect::<Vec<_>>()
    };
    gauge(
        "switchboard_queue_waiting",
        "Callers waiting in the queue now.",
        "gauge",
        &per_queue(&|q| q.waiting as f64),
    );
    gauge(
        "switchboard_queue_longest_wait_seconds",
        "Longest current wait.",
        "gauge",
        &per_queue(&|q| q.longest_wait_s),
    );
    let mut by_state = Vec::new();
    for q in &snapshot.queues {
        for (state, n) in [
            ("available", q.agents_available),
            ("ringing", q.agents_ringing),
            ("on_call", q.agents_on_call),
            ("wrap_up", q.agents_wrap_up),
            ("paused", q.agents_paused),
        ] {
            by_state.push((
                format!("{{queue=\"{}\",state=\"{state}\"}}", q.name),
                n as f64,
            ));
        }
    }
    gauge(
        "switchboard_queue_agents",
        "Logged-in agents of the queue by state.",
        "gauge",
        &by_state,
    );
    let today_of = |f: &dyn Fn(&crm::QueueReportRow) -> f64| {
        today
            .iter()
            .map(|r| (format!("{{queue=\"{}\"}}", r.queue), f(r)))
            .collect::<Vec<_>>()
    };
    for (name, help, f) in [
        (
            "switchboard_queue_offered_today",
            "Calls that entered the queue today (UTC).",
            (&|r: &crm::QueueReportRow| r.offered as f64) as &dyn Fn(&crm::QueueReportRow) -> f64,
        ),
        (
            "switchboard_queue_answered_today",
            "Calls of today connected to an agent.",
            &|r: &crm::QueueReportRow| r.answered as f64,
        ),
        (
            "switchboard_queue_abandoned_today",
            "Calls of today abandoned while waiting (short abandons included).",
            &|r: &crm::QueueReportRow| r.abandoned as f64,
        ),
        (
            "switchboard_queue_short_abandoned_today",
            "Abandons of today under the short-abandon threshold.",
            &|r: &crm::QueueReportRow| r.short_abandoned as f64,
        ),
        (
            "switchboard_queue_service_level_today",
            "Service level of today, 0..1 (NaN before any call counts).",
            &|r: &crm::QueueReportRow| r.service_level.unwrap_or(f64::NAN),
        ),
        (
            "switchboard_queue_asa_seconds_today",
            "Average speed of answer of today.",
            &|r: &crm::QueueReportRow| r.asa_secs.unwrap_or(f64::NAN),
        ),
    ] {
        gauge(name, help, "gauge", &today_of(f));
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response())
}
