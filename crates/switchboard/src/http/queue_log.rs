//! `GET /api/reports/queue_log?from&to`: the stored queue and agent events of the window as
//! Asterisk `queue_log` lines (`staffing::queue_log`, mapping in docs/reports.md), so a center
//! can keep the reporting tool it has. The body is streamed a day at a time: a year of events
//! is never held in memory at once, and the exporter carries what a call's later lines need
//! (entry position, wait) from one day to the next.

use crate::http::error::{ApiError, ApiResult};
use crate::http::reports::ReportParams;
use crate::http::App;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use staffing::queue_log::{self as ql, QueueLogExport};
use tokio_stream::wrappers::ReceiverStream;

/// Events are read a day at a time.
const CHUNK: chrono::TimeDelta = chrono::TimeDelta::days(1);

pub(crate) async fn export(State(app): State<App>, Query(p): Query<ReportParams>) -> ApiResult {
    p.check_window()?;
    let (from, to) = (p.from, p.to);
    // The first day is read before answering, so a database error there is a 500; a later one
    // cuts the body short (the client sees an incomplete chunked transfer, not a clean end).
    let mut export = QueueLogExport::new();
    let mut start = (from + CHUNK).min(to);
    let first = lines_between(&app, &mut export, from, start).await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<String, std::io::Error>>(4);
    tokio::spawn(async move {
        if tx.send(Ok(first)).await.is_err() {
            return;
        }
        while start < to {
            let end = (start + CHUNK).min(to);
            let chunk = lines_between(&app, &mut export, start, end)
                .await
                .map_err(|e| {
                    tracing::warn!(error = ?e, %start, "queue_log export cut short");
                    std::io::Error::other("cannot read the events")
                });
            let failed = chunk.is_err();
            if tx.send(chunk).await.is_err() || failed {
                return;
            }
            start = end;
        }
    });
    let mut r = Response::new(Body::from_stream(ReceiverStream::new(rx)));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"queue_log\""),
    );
    Ok(r.into_response())
}

/// The lines of the events in `[from, to)`, each ending with `\n`.
async fn lines_between(
    app: &App,
    export: &mut QueueLogExport,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<String, ApiError> {
    let queue = app.crm.queue_events_between(from, to, None).await?;
    let agent = app.crm.agent_events_between(from, to, None).await?;
    let entering: Vec<&str> = queue
        .iter()
        .filter(|e| matches!(e.kind, crm::QueueEventKind::Enter { .. }))
        .map(|e| e.call_id.as_str())
        .collect();
    let callers = app.crm.callers(&entering).await?;
    let mut events: Vec<ql::Event> = queue
        .iter()
        .map(|e| ql::Event::Queue(queue_event(e, callers.get(&e.call_id).cloned())))
        .chain(agent.iter().map(|e| ql::Event::Agent(agent_event(e))))
        .collect();
    // Stable: events of one instant keep their stored order, queue events first.
    events.sort_by_key(|e| match e {
        ql::Event::Queue(q) => q.at,
        ql::Event::Agent(a) => a.at,
    });
    let mut out = String::new();
    for e in &events {
        if let Some(line) = export.line(e) {
            out.push_str(&line.to_string());
            out.push('\n');
        }
    }
    Ok(out)
}

fn queue_event(e: &crm::QueueEventRecord, caller: Option<String>) -> ql::QueueEvent {
    use crm::QueueEventKind as C;
    use ql::QueueEventKind as K;
    let kind = match &e.kind {
        C::Enter { position } => K::Enter {
            position: *position,
            caller,
        },
        C::Ring { agent } => K::Ring {
            agent: agent.clone(),
        },
        C::RingNoAnswer { agent, rang } => K::RingNoAnswer {
            agent: agent.clone(),
            rang: *rang,
        },
        C::Connect { agent, wait } => K::Connect {
            agent: agent.clone(),
            wait: *wait,
        },
        C::Complete {
            agent,
            talk,
            hold,
            ended_by,
        } => K::Complete {
            agent: agent.clone(),
            talk: *talk,
            hold: *hold,
            ended_by: match ended_by {
                crm::EndedBy::Caller => ql::EndedBy::Caller,
                crm::EndedBy::Agent => ql::EndedBy::Agent,
                crm::EndedBy::Switch => ql::EndedBy::Switch,
            },
        },
        C::Abandon { position, wait } => K::Abandon {
            position: *position,
            wait: *wait,
        },
        C::Overflow {
            reason,
            target,
            wait,
        } => K::Overflow {
            reason: match reason {
                crm::OverflowReason::MaxWait => ql::OverflowReason::MaxWait,
                crm::OverflowReason::MaxLength => ql::OverflowReason::MaxLength,
                crm::OverflowReason::JoinEmpty => ql::OverflowReason::JoinEmpty,
                crm::OverflowReason::LeaveEmpty => ql::OverflowReason::LeaveEmpty,
                crm::OverflowReason::QueueRemoved => ql::OverflowReason::QueueRemoved,
            },
            target: target.clone(),
            wait: *wait,
        },
        C::ExitKey { key, wait } => K::ExitKey {
            key: *key,
            wait: *wait,
        },
        C::Callback { number } => K::Callback {
            number: number.clone(),
        },
        C::Transfer { to_queue } => K::Transfer {
            to_queue: to_queue.clone(),
        },
        C::ConsultStart { agent, target } => K::ConsultStart {
            agent: agent.clone(),
            target: target.clone(),
        },
        C::ConsultEnd {
            agent,
            target,
            consult,
        } => K::ConsultEnd {
            agent: agent.clone(),
            target: target.clone(),
            consult: *consult,
        },
        C::AttendedTransfer {
            agent,
            target,
            consult,
        } => K::AttendedTransfer {
            agent: agent.clone(),
            target: target.clone(),
            consult: *consult,
        },
        C::Conference { agent, target } => K::Conference {
            agent: agent.clone(),
            target: target.clone(),
        },
        // A kind added to the CRM later writes no line until it is mapped (a ring writes none).
        _ => K::Ring {
            agent: String::new(),
        },
    };
    ql::QueueEvent {
        at: e.at,
        queue: e.queue.clone(),
        call_id: e.call_id.clone(),
        kind,
    }
}

fn agent_event(e: &crm::AgentEventRecord) -> ql::AgentEvent {
    use crm::AgentEventKind as C;
    use ql::AgentEventKind as K;
    let kind = match &e.kind {
        C::Login => K::Login,
        C::Logout => K::Logout,
        C::Pause { reason } => K::Pause {
            reason: reason.clone(),
        },
        C::Unpause => K::Unpause,
        C::State { from, to } => K::State {
            from: from.as_str().to_owned(),
            to: to.as_str().to_owned(),
        },
        // A kind added later: a state change to itself writes no line.
        _ => K::State {
            from: String::new(),
            to: String::new(),
        },
    };
    ql::AgentEvent {
        at: e.at,
        agent: e.agent.clone(),
        kind,
    }
}
