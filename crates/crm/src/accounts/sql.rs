//! The SQL of accounts, sessions and the audit log, written once: `$N` parameters, `TRUE` /
//! `FALSE` and `RETURNING` work on SQLite and PostgreSQL alike; times are bound and read as
//! [`crate::db::DbTime`] (see [`crate::accounts::conn`]).

/// Account columns, table alias `a`.
const ACCOUNT: &str = "a.id, a.username, a.password_hash, a.token_hash, a.role, a.agent_id,
     a.extension, a.disabled, a.managed_by, a.created_at, a.updated_at, a.token_last_used_at";

pub(crate) fn all_accounts() -> String {
    format!("SELECT {ACCOUNT} FROM accounts a ORDER BY a.username")
}

pub(crate) fn account_by_username() -> String {
    format!("SELECT {ACCOUNT} FROM accounts a WHERE a.username = $1")
}

/// Only enabled accounts have a usable token.
pub(crate) fn account_by_token() -> String {
    format!("SELECT {ACCOUNT} FROM accounts a WHERE a.token_hash = $1 AND NOT a.disabled")
}

/// Tokens are cleared before the configured ones are written, so a token moving from one
/// account to another does not trip the unique index half way.
pub(crate) const CLEAR_TOKENS: &str =
    "UPDATE accounts SET token_hash = NULL WHERE token_hash IS NOT NULL";

/// The file's monitoring extensions are cleared before the configured ones are written, so an
/// extension moving from one file account to another does not trip the unique index, and an
/// account leaving the file leaves its phone.
pub(crate) const CLEAR_FILE_EXTENSIONS: &str =
    "UPDATE accounts SET extension = NULL WHERE extension IS NOT NULL AND managed_by = 'file'";

/// `$1` extension the file gives one of its accounts: an API account holding it loses it.
pub(crate) const TAKE_EXTENSION_FROM_API: &str =
    "UPDATE accounts SET extension = NULL WHERE extension = $1 AND managed_by = 'api'";

/// `$1` extension: the account whose monitoring phone it is.
pub(crate) const ACCOUNT_OF_EXTENSION: &str = "SELECT username FROM accounts WHERE extension = $1";

/// `$1` username, `$2` password_hash, `$3` token_hash, `$4` role, `$5` agent_id, `$6` now,
/// `$7` extension.
pub(crate) const UPSERT_ACCOUNT: &str =
    "INSERT INTO accounts (username, password_hash, token_hash, role, agent_id, extension,
                           disabled, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $7, FALSE, $6, $6)
     ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash,
         token_hash = excluded.token_hash, role = excluded.role, agent_id = excluded.agent_id,
         extension = excluded.extension, disabled = FALSE, managed_by = 'file',
         updated_at = excluded.updated_at";

/// `$1` username, `$2` password_hash, `$3` role, `$4` agent_id, `$5` now, `$6` extension.
pub(crate) const INSERT_API_ACCOUNT: &str =
    "INSERT INTO accounts (username, password_hash, token_hash, role, agent_id, extension,
                           disabled, managed_by, created_at, updated_at)
     VALUES ($1, $2, NULL, $3, $4, $6, FALSE, 'api', $5, $5)";

/// `$1` id, `$2` password_hash, `$3` role, `$4` agent_id, `$5` disabled, `$6` now,
/// `$7` extension.
pub(crate) const UPDATE_API_ACCOUNT: &str =
    "UPDATE accounts SET password_hash = $2, role = $3, agent_id = $4, disabled = $5,
         extension = $7, updated_at = $6 WHERE id = $1 AND managed_by = 'api'";

/// `$1` token_hash, `$2` now. Never moves the time backwards.
pub(crate) const TOUCH_TOKEN: &str = "UPDATE accounts SET token_last_used_at = $2
     WHERE token_hash = $1 AND (token_last_used_at IS NULL OR token_last_used_at < $2)";

/// `$1` account id: its token changed, so the last use belongs to the old one.
pub(crate) const FORGET_TOKEN_USE: &str =
    "UPDATE accounts SET token_last_used_at = NULL WHERE id = $1";

/// `$1` id, `$2` now.
pub(crate) const DISABLE_ACCOUNT: &str =
    "UPDATE accounts SET disabled = TRUE, token_hash = NULL, updated_at = $2 WHERE id = $1";

/// `$1` account id.
pub(crate) const END_SESSIONS_OF: &str = "DELETE FROM sessions WHERE account_id = $1";

/// `$1` token_hash, `$2` account_id, `$3` csrf_token, `$4` created_at (also the first use).
pub(crate) const INSERT_SESSION: &str =
    "INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, last_seen)
     VALUES ($1, $2, $3, $4, $4)";

/// `$1` token_hash, `$2` the oldest last use still valid, `$3` the oldest creation still valid.
pub(crate) fn session() -> String {
    format!(
        "SELECT s.token_hash AS session_token_hash, s.csrf_token, s.created_at AS session_created_at,
                s.last_seen AS session_last_seen, {ACCOUNT}
         FROM sessions s JOIN accounts a ON a.id = s.account_id
         WHERE s.token_hash = $1 AND s.last_seen >= $2 AND s.created_at >= $3 AND NOT a.disabled"
    )
}

/// `$1` token_hash, `$2` now. Never moves last_seen backwards.
pub(crate) const TOUCH_SESSION: &str =
    "UPDATE sessions SET last_seen = $2 WHERE token_hash = $1 AND last_seen < $2";

/// `$1` token_hash.
pub(crate) const DELETE_SESSION: &str = "DELETE FROM sessions WHERE token_hash = $1";

/// `$1` the oldest last use still valid, `$2` the oldest creation still valid.
pub(crate) const PURGE_SESSIONS: &str =
    "DELETE FROM sessions WHERE last_seen < $1 OR created_at < $2";

/// `$1` at, `$2` account, `$3` role, `$4` action, `$5` object_id, `$6` remote_addr, `$7` detail.
pub(crate) const INSERT_AUDIT: &str =
    "INSERT INTO audit_log (at, account, role, action, object_id, remote_addr, detail)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";

/// `$1` from (inclusive), `$2` to (exclusive), `$3` limit.
pub(crate) const AUDIT_BETWEEN: &str =
    "SELECT id, at, account, role, action, object_id, remote_addr, detail FROM audit_log
     WHERE at >= $1 AND at < $2 ORDER BY at, id LIMIT $3";
