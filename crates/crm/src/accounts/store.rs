//! Accounts, sessions and the audit log on [`Crm`]: direct statements, not through the batching
//! [`crate::CdrWriter`] (a login or a playback waits for its row).

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::accounts::conn::AccountConn;
use crate::db::{in_transaction, with_conn};
use crate::{
    Account, AccountSync, AuditEntry, Crm, CrmError, NewAccount, NewAuditEntry, NewSession,
    Session, MAX_AUDIT_PAGE,
};

/// `now - idle`, saturating (an absurd idle timeout means "never expires").
/// How long a browser session lives: unused for `idle`, or `lifetime` after its login
/// (however much it is used), it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    pub idle: Duration,
    pub lifetime: Duration,
}

impl SessionLimits {
    /// The oldest last use and the oldest login still valid at `now`.
    fn oldest_valid(self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            oldest_valid(now, self.idle),
            oldest_valid(now, self.lifetime),
        )
    }
}

fn oldest_valid(now: DateTime<Utc>, idle: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(idle)
        .ok()
        .and_then(|d| now.checked_sub_signed(d))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

impl Crm {
    /// Makes the stored accounts match the configured ones, in one transaction: each is
    /// inserted or updated (and enabled), every other account is disabled (kept, so the audit
    /// log still names it) and loses its token, and sessions end for accounts whose password
    /// hash changed or that were disabled. Usernames must be distinct.
    pub async fn sync_accounts(
        &self,
        accounts: &[NewAccount],
        now: DateTime<Utc>,
    ) -> Result<AccountSync, CrmError> {
        for (i, a) in accounts.iter().enumerate() {
            a.validate()?;
            if accounts[..i].iter().any(|b| b.username == a.username) {
                return Err(CrmError::InvalidField {
                    field: "username",
                    reason: format!("{:?} is listed twice", a.username),
                });
            }
            if a.extension.is_some() && accounts[..i].iter().any(|b| b.extension == a.extension) {
                return Err(CrmError::InvalidField {
                    field: "extension",
                    reason: format!("{:?} is given to two accounts", a.extension),
                });
            }
        }
        Ok(in_transaction!(self, |conn| conn
            .sync_accounts(accounts, now)
            .await?))
    }

    /// Every account, enabled or not, by username.
    pub async fn accounts(&self) -> Result<Vec<Account>, CrmError> {
        with_conn!(self, |conn| conn.all_accounts().await)
    }

    /// One account by username (disabled ones too: the caller checks `disabled`).
    pub async fn account_by_username(&self, username: &str) -> Result<Option<Account>, CrmError> {
        with_conn!(self, |conn| conn.account_by_username(username).await)
    }

    /// The enabled account whose bearer token hashes to `token_hash`.
    pub async fn account_by_token_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<Account>, CrmError> {
        with_conn!(self, |conn| conn.account_by_token(token_hash).await)
    }

    /// Records that the bearer token hashing to `token_hash` was used at `now`. The switch
    /// calls it when the account's `token_last_used_at` is a minute old or more, so a busy
    /// script costs one write a minute, not one per request.
    pub async fn token_used(&self, token_hash: &str, now: DateTime<Utc>) -> Result<(), CrmError> {
        with_conn!(self, |conn| conn.touch_token(token_hash, now).await)
    }

    /// Stores a new session (a login).
    pub async fn create_session(&self, s: &NewSession) -> Result<(), CrmError> {
        s.validate()?;
        with_conn!(self, |conn| conn.insert_session(s).await)
    }

    /// The session whose cookie token hashes to `token_hash`, if it was used within the idle
    /// time before `now`, is younger than its lifetime and its account is enabled; marks it
    /// used at `now`.
    pub async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        limits: SessionLimits,
    ) -> Result<Option<Session>, CrmError> {
        let oldest = limits.oldest_valid(now);
        with_conn!(self, |conn| conn.session(token_hash, now, oldest).await)
    }

    /// Ends a session (logout); returns whether there was one.
    pub async fn delete_session(&self, token_hash: &str) -> Result<bool, CrmError> {
        with_conn!(self, |conn| conn.delete_session(token_hash).await)
    }

    /// Deletes sessions idle too long or older than their lifetime at `now`; returns how many.
    pub async fn purge_sessions(
        &self,
        now: DateTime<Utc>,
        limits: SessionLimits,
    ) -> Result<u64, CrmError> {
        let oldest = limits.oldest_valid(now);
        with_conn!(self, |conn| conn.purge_sessions(oldest).await)
    }

    /// Appends an audit row; returns its id.
    pub async fn audit(&self, e: &NewAuditEntry) -> Result<i64, CrmError> {
        e.validate()?;
        with_conn!(self, |conn| conn.insert_audit(e).await)
    }

    /// Audit rows with `from <= at < to`, oldest first, at most `limit` (capped at
    /// [`MAX_AUDIT_PAGE`]).
    pub async fn audit_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, CrmError> {
        let limit = limit.min(MAX_AUDIT_PAGE);
        with_conn!(self, |conn| conn.audit_between(from, to, limit).await)
    }
}
