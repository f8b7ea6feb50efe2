//! Logins, roles, CSRF and audit for the HTTP API (docs/operations.md, "Access control").
//!
//! - [`accounts`]: the configured accounts (`config::accounts`), written to the database at
//!   start;
//! - [`roles`]: the route table (deny by default), pure;
//! - [`middleware`]: who is asking (session cookie or bearer token), CSRF, the role and scope
//!   checks; puts a [`Principal`] into the request for handlers;
//! - [`routes`]: login, logout, the session, accounts and the audit log;
//! - [`lockout`]: backoff for failed logins, per username and [`client_addr`];
//! - [`streams`]: event streams end with their session; [`purge_sessions`] drops dead ones.

pub mod accounts;
pub mod client_addr;
pub mod lockout;
pub mod middleware;
pub mod roles;
pub mod routes;
pub mod streams;

use std::sync::{Arc, Mutex};

use crm::Role;
use tokio::sync::OnceCell;

use crate::config::accounts::AuthSettings;
use crate::password;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "sb_session";
/// The header carrying the CSRF token on state-changing requests.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How a request proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A browser session; state-changing requests must echo `csrf_token`.
    Session {
        token_hash: String,
        csrf_token: String,
    },
    /// `Authorization: Bearer`: no cookie, so no CSRF check.
    Bearer,
}

/// The logged-in account behind a request (a request extension set by the middleware).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub username: String,
    pub role: Role,
    /// The ACD agent id of an agent account.
    pub agent: Option<String>,
    pub credential: Credential,
}

impl Principal {
    /// The agent id whose objects alone this principal may see, if restricted.
    pub fn only_agent(&self) -> Option<&str> {
        match self.role {
            Role::Agent => Some(self.agent.as_deref().unwrap_or("")),
            _ => None,
        }
    }
}

/// Shared access-control state of the HTTP server.
#[derive(Clone)]
pub struct Auth {
    pub settings: AuthSettings,
    lockout: Arc<Mutex<lockout::Lockout>>,
    /// An argon2 hash of a random password, verified for unknown users so that a failed login
    /// takes as long whether or not the username exists.
    dummy_hash: Arc<OnceCell<String>>,
}

impl Auth {
    /// Access control with these settings.
    pub fn new(settings: AuthSettings) -> Self {
        Auth {
            lockout: Arc::new(Mutex::new(lockout::Lockout::new(settings.login_lockout))),
            settings,
            dummy_hash: Arc::new(OnceCell::new()),
        }
    }

    async fn dummy_hash(&self) -> String {
        self.dummy_hash
            .get_or_init(|| async {
                let random = password::random_token();
                tokio::task::spawn_blocking(move || password::hash_password(&random))
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .unwrap_or_default()
            })
            .await
            .clone()
    }

    fn with_lockout<T>(&self, f: impl FnOnce(&mut lockout::Lockout) -> T) -> T {
        // A panic while holding the lock leaves counts that are still meaningful.
        let mut guard = self
            .lockout
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }
}

/// How often sessions past their idle time or lifetime are deleted.
const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// Deletes expired sessions now and every [`PURGE_EVERY`] until `shutdown`.
pub async fn purge_sessions(
    crm: crm::Crm,
    settings: AuthSettings,
    shutdown: tokio_util::sync::CancellationToken,
) {
    loop {
        match crm
            .purge_sessions(chrono::Utc::now(), settings.session_limits())
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "expired sessions deleted"),
            Err(e) => tracing::warn!(error = %e, "cannot delete expired sessions"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(PURGE_EVERY) => {}
        }
    }
}
