//! The agent's desk over HTTP: screen pops (live, and the latest), wrap-up of a finished call
//! with a disposition code and notes, and contact history of a customer or a number.

use crate::driver::sip::Control;
use crate::http::error::{ApiError, ApiResult, ErrorKind};
use crate::http::routing::Routes;
use crate::http::{ask_switch, App};
use crate::switch::AgentCommand;
use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use std::convert::Infallible;
use std::time::Duration;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::StreamExt;

pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/api/agents/{id}/screen", screen_stream)
        .get("/api/agents/{id}/screen/last", screen_last)
        .get("/api/wrap-up-codes", codes)
        .get("/api/pause-reasons", pause_reasons)
        .post("/api/cdrs/{id}/wrap-up", wrap_up)
        .get("/api/customers/{id}/contacts", customer_contacts)
        .get("/api/contacts", number_contacts)
}

/// The agent's pops as server-sent events (`event: pop`), starting with the latest one.
async fn screen_stream(State(app): State<App>, Path(agent): Path<String>) -> impl IntoResponse {
    let first = app.screens.last(&agent);
    let live = BroadcastStream::new(app.screens.subscribe()).filter_map(move |item| {
        let (to, json) = item.ok()?;
        (to == agent).then_some(json)
    });
    let stream = tokio_stream::iter(first)
        .chain(live)
        .map(|json| Ok::<Event, Infallible>(Event::default().event("pop").data(json.as_ref())));
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

async fn screen_last(State(app): State<App>, Path(agent): Path<String>) -> ApiResult {
    let json = app
        .screens
        .last(&agent)
        .ok_or_else(|| ApiError::not_found("no call offered to this agent yet"))?;
    let json_type = [(axum::http::header::CONTENT_TYPE, "application/json")];
    Ok((json_type, json.to_string()).into_response())
}

async fn codes(State(app): State<App>) -> Json<Vec<String>> {
    Json(app.screens.wrap_up_codes.clone())
}

async fn pause_reasons(State(app): State<App>) -> Json<Vec<String>> {
    Json(app.screens.pause_reasons.clone())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WrapUp {
    /// The agent who talked to the caller.
    agent: String,
    code: String,
    notes: Option<String>,
    /// Also end the agent's after-call work now.
    #[serde(default)]
    ready: bool,
}

/// POST /api/cdrs/{call_id}/wrap-up: the disposition and notes of a finished call, stored in its
/// contact-history row.
async fn wrap_up(
    State(app): State<App>,
    Path(call_id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult {
    let w: WrapUp = serde_json::from_slice(&body)
        .map_err(|e| ApiError::new(ErrorKind::Unprocessable, format!("bad body: {e}")))?;
    if !app.screens.wrap_up_codes.contains(&w.code) {
        return Err(ApiError::bad_request(format!(
            "code `{}` is not one of: {}",
            w.code,
            app.screens.wrap_up_codes.join(", ")
        )));
    }
    let contact = app
        .crm
        .contact_by_call(&call_id)
        .await?
        .ok_or_else(|| ApiError::not_found("no contact for this call (yet)"))?;
    if contact.agent.as_deref() != Some(w.agent.as_str()) {
        return Err(ApiError::forbidden(
            "the call was not handled by this agent",
        ));
    }
    let at = chrono::Utc::now();
    match app
        .crm
        .wrap_up_contact(contact.id, &w.code, w.notes.as_deref(), &w.agent, at)
        .await
    {
        Ok(()) => {}
        Err(crm::CrmError::InvalidField { .. }) => {
            return Err(ApiError::bad_request(
                "notes too long (4000 characters at most)",
            ))
        }
        Err(e) => return Err(e.into()),
    }
    if w.ready {
        let ready = ask_switch(&app, |reply| Control::Agent {
            agent: w.agent.clone(),
            command: AgentCommand::Ready,
            reply,
        })
        .await;
        if let Some(Err(reason)) = ready {
            tracing::debug!(agent = %w.agent, %reason, "ready after wrap-up refused");
        }
    }
    match app.crm.contact(contact.id).await? {
        Some(c) => Ok(Json(c).into_response()),
        None => Err(ApiError::not_found("contact vanished")),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Page {
    number: Option<String>,
    limit: Option<u32>,
}

async fn customer_contacts(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(p): Query<Page>,
) -> ApiResult {
    let Ok(id) = id.parse::<i64>() else {
        return Err(ApiError::bad_request("customer id must be a number"));
    };
    let limit = p.limit.unwrap_or(50).clamp(1, 500);
    Ok(Json(app.crm.contacts_of_customer(id, limit).await?).into_response())
}

async fn number_contacts(State(app): State<App>, Query(p): Query<Page>) -> ApiResult {
    let Some(number) = p.number else {
        return Err(ApiError::bad_request("give ?number="));
    };
    let limit = p.limit.unwrap_or(50).clamp(1, 500);
    Ok(Json(app.crm.contacts_of_number(&number, limit).await?).into_response())
}
