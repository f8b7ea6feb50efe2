//! Logins for the HTTP API: accounts with a role, browser sessions and their CSRF tokens.
//!
//! Nothing here hashes passwords or draws random tokens: the switch does that (argon2id for
//! passwords, SHA-256 for tokens) and hands this crate only the hashes.

mod admin;
pub(crate) mod audit;
pub(crate) mod conn;
pub(crate) mod sql;
mod store;

pub use admin::{AccountChange, AccountChanged};
pub use store::SessionLimits;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{CrmError, MAX_EXTENSION_CHARS};

/// Longest username.
pub const MAX_USERNAME_CHARS: usize = 64;
/// Longest stored password hash (a PHC string).
pub const MAX_PASSWORD_HASH_CHARS: usize = 512;
/// Longest ACD agent id an account may name.
pub const MAX_AGENT_ID_CHARS: usize = 100;

/// What an account may do; see `docs/operations.md` for the route table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including account administration.
    Admin,
    /// Everything but account administration.
    Supervisor,
    /// Quality assurance: CDRs, recordings, reports, customers (read).
    Qa,
    /// An ACD agent: their own state, their own calls and recordings, customers.
    Agent,
}

impl Role {
    /// The stored and configured name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Qa => "qa",
            Role::Agent => "agent",
        }
    }

    /// Parses a stored or configured name (`admin`, `supervisor`, `qa`, `agent`).
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "supervisor" => Some(Role::Supervisor),
            "qa" => Some(Role::Qa),
            "agent" => Some(Role::Agent),
            _ => None,
        }
    }

    pub(crate) fn from_stored(s: &str) -> Result<Role, CrmError> {
        Role::parse(s).ok_or_else(|| CrmError::CorruptValue {
            column: "role",
            value: s.to_owned(),
        })
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An account as configured, for [`crate::Crm::sync_accounts`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    /// Lower-case letters, digits and `. _ - @`; at most [`MAX_USERNAME_CHARS`].
    pub username: String,
    /// An argon2id PHC string (`$argon2id$v=19$...`).
    pub password_hash: String,
    /// Lowercase hex SHA-256 of the bearer token, if the account has one.
    pub token_hash: Option<String>,
    pub role: Role,
    /// The ACD agent id: required for [`Role::Agent`], refused for other roles.
    pub agent_id: Option<String>,
    /// The phone a supervisor or admin monitors agents from (`*96<agent>`, the wallboard's
    /// buttons): refused for other roles; one account per extension.
    pub extension: Option<String>,
}

impl NewAccount {
    pub(crate) fn validate(&self) -> Result<(), CrmError> {
        validate_username(&self.username)?;
        let invalid = |field, reason: &str| {
            Err(CrmError::InvalidField {
                field,
                reason: reason.to_owned(),
            })
        };
        if self.password_hash.is_empty() || self.password_hash.len() > MAX_PASSWORD_HASH_CHARS {
            return invalid("password_hash", "must be 1 to 512 characters");
        }
        if let Some(t) = &self.token_hash {
            if !is_sha256_hex(t) {
                return invalid("token_hash", "must be 64 lowercase hex digits");
            }
        }
        match (&self.role, &self.extension) {
            (Role::Admin | Role::Supervisor, Some(e))
                if e.is_empty() || e.chars().count() > MAX_EXTENSION_CHARS =>
            {
                return invalid("extension", "must be 1 to 64 characters");
            }
            (Role::Qa | Role::Agent, Some(_)) => {
                return invalid(
                    "extension",
                    "only for role supervisor or admin (the phone they monitor from)",
                );
            }
            _ => {}
        }
        match (&self.role, &self.agent_id) {
            (Role::Agent, None) => invalid("agent_id", "an agent account must name its agent"),
            (Role::Agent, Some(a)) if a.is_empty() || a.chars().count() > MAX_AGENT_ID_CHARS => {
                invalid("agent_id", "must be 1 to 100 characters")
            }
            (Role::Agent, Some(_)) => Ok(()),
            (_, Some(_)) => invalid("agent_id", "only agent accounts name an agent"),
            (_, None) => Ok(()),
        }
    }
}

/// Checks a username: 1 to [`MAX_USERNAME_CHARS`] of `a-z 0-9 . _ - @`.
pub fn validate_username(name: &str) -> Result<(), CrmError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_USERNAME_CHARS
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-@".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(CrmError::InvalidField {
            field: "username",
            reason: format!(
                "{name:?}: use 1 to {MAX_USERNAME_CHARS} lower-case letters, digits and . _ - @"
            ),
        })
    }
}

pub(crate) fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A stored account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub token_hash: Option<String>,
    pub role: Role,
    pub agent_id: Option<String>,
    /// The phone this supervisor or admin monitors agents from (see [`NewAccount::extension`]).
    pub extension: Option<String>,
    /// No longer configured, or disabled through the API: cannot log in, its sessions and
    /// token are refused.
    pub disabled: bool,
    /// Created through the HTTP API (`Crm::create_account`), not the configuration's
    /// `[[accounts]]`: the start-up sync leaves it alone, and only the API changes it.
    pub managed_by_api: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The bearer token's last use (to the minute: [`crate::Crm::token_used`]); `None` if the
    /// current token was never used.
    pub token_last_used_at: Option<DateTime<Utc>>,
}

/// What [`crate::Crm::sync_accounts`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountSync {
    /// Accounts inserted or updated (all the configured ones).
    pub upserted: u64,
    /// Accounts disabled because they are no longer configured.
    pub disabled: u64,
    /// Sessions ended because their account's password changed or it was disabled.
    pub sessions_ended: u64,
    /// API accounts that lost their monitoring extension because the file now gives it to
    /// one of its accounts (the file wins, as for usernames).
    pub extensions_taken: u64,
}

/// A new browser session (the cookie's token is hashed by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// Lowercase hex SHA-256 of the cookie's token.
    pub token_hash: String,
    pub account_id: i64,
    /// The CSRF token the browser must echo in `X-CSRF-Token` (32 to 128 characters).
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
}

impl NewSession {
    pub(crate) fn validate(&self) -> Result<(), CrmError> {
        if !is_sha256_hex(&self.token_hash) {
            return Err(CrmError::InvalidField {
                field: "token_hash",
                reason: "must be 64 lowercase hex digits".into(),
            });
        }
        if !(32..=128).contains(&self.csrf_token.len()) {
            return Err(CrmError::InvalidField {
                field: "csrf_token",
                reason: "must be 32 to 128 characters".into(),
            });
        }
        Ok(())
    }
}

/// A live session with its (enabled) account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    /// The previous use (before the lookup that returned this).
    pub last_seen: DateTime<Utc>,
    pub account: Account,
}
