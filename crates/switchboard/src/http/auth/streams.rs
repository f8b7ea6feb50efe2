//! Event streams (SSE) end with the session that opened them: a stream is checked every
//! [`CHECK_EVERY`] against the database, and ends once its session is gone (logout, idle or
//! lifetime expiry, the account disabled or its password changed) or its bearer token no longer
//! names an enabled account. Without this, a stream opened before a logout kept sending for
//! as long as the connection lived.

use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use chrono::Utc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::StreamExt;

use super::{Credential, Principal};
use crate::http::App;

/// How often an open stream's session is checked.
pub const CHECK_EVERY: Duration = Duration::from_secs(5);

/// Whether `response` is an event stream.
pub fn is_event_stream(response: &Response) -> bool {
    response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"))
}

/// Whether the credential of `principal` is still good.
async fn still_valid(app: &App, principal: &Principal, bearer_hash: Option<&str>) -> bool {
    let result = match (&principal.credential, bearer_hash) {
        (Credential::Session { token_hash, .. }, _) => app
            .crm
            .session(token_hash, Utc::now(), app.auth.settings.session_limits())
            .await
            .map(|s| s.is_some()),
        (Credential::Bearer, Some(hash)) => app
            .crm
            .account_by_token_hash(hash)
            .await
            .map(|a| a.is_some_and(|a| a.username == principal.username)),
        (Credential::Bearer, None) => Ok(false),
    };
    // A database hiccup does not end a stream; the next check decides.
    result.unwrap_or(true)
}

/// The response, with its body ending when the principal's session ends.
pub fn end_with_session(
    app: App,
    principal: Principal,
    bearer_hash: Option<String>,
    response: Response,
) -> Response {
    let (parts, body) = response.into_parts();
    let (ended, ended_rx) = tokio::sync::mpsc::channel::<()>(1);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = ended.closed() => return, // the client went away
                _ = tokio::time::sleep(CHECK_EVERY) => {}
            }
            if !still_valid(&app, &principal, bearer_hash.as_deref()).await {
                tracing::info!(username = %principal.username, "session over: event stream ended");
                let _ = ended.send(()).await;
                return;
            }
        }
    });
    enum Item {
        Data(Result<axum::body::Bytes, axum::Error>),
        End,
    }
    let data = body.into_data_stream().map(Item::Data);
    let end = ReceiverStream::new(ended_rx).map(|()| Item::End);
    let stream = data
        .merge(end)
        .take_while(|item| !matches!(item, Item::End))
        .filter_map(|item| match item {
            Item::Data(d) => Some(d),
            Item::End => None,
        });
    Response::from_parts(parts, Body::from_stream(stream))
}
