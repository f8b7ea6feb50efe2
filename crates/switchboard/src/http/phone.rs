//! The agent's browser phone's WebSocket (`GET /api/agents/me/phone/ws`, docs/webcall.md,
//! "The agent's browser phone"): the logged-in agent's page becomes that agent's phone while
//! the socket lives (`driver/web/phone`). Only for oneself: the path names no agent, the
//! session does. A GET needs no CSRF header, so the page's first message carries the
//! session's CSRF token, and a page of another site that borrowed the cookie cannot open it.

use crate::http::auth::{Credential, Principal};
use crate::http::routing::Routes;
use crate::http::App;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;

pub(crate) fn routes() -> Routes {
    Routes::new().get("/api/agents/me/phone/ws", socket)
}

async fn socket(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !app.web.settings.agent_phones {
        let why = "browser phones are off ([web] agent_phones)\n";
        return (StatusCode::NOT_FOUND, why).into_response();
    }
    let Some(agent) = who.agent.clone().filter(|a| !a.is_empty()) else {
        return (StatusCode::FORBIDDEN, "this account is not an agent\n").into_response();
    };
    // A bearer token is no ambient credential: nothing to forge across sites.
    let csrf = match &who.credential {
        Credential::Session { csrf_token, .. } => Some(csrf_token.clone()),
        Credential::Bearer => None,
    };
    let gateway = app.web.clone();
    upgrade
        .max_message_size(webcall::signal::MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| crate::driver::web::phone::run(gateway, agent, csrf, socket))
}
