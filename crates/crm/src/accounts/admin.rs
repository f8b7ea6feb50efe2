//! Accounts managed through the HTTP API: created with a role and an initial password, then
//! given another role, disabled or enabled, or a new password. Only accounts the API created
//! (`managed_by = 'api'`) change here; the configuration's `[[accounts]]` stay the file's (the
//! start-up sync rewrites them). Disabling or a new password ends the account's sessions in the
//! same transaction, so no request after the answer still gets through on an old cookie.
//! A supervisor's or admin's monitoring extension is one account's only: another account's
//! (file or API, enabled or not) is refused with [`CrmError::ExtensionTaken`]; changing the
//! role away from supervisor or admin while the account keeps its extension is refused (clear
//! it in the same change).

use chrono::{DateTime, Utc};

use crate::accounts::conn::AccountConn;
use crate::accounts::sql;
use crate::db::{in_transaction, DbTime};
use crate::{Account, Crm, CrmError, NewAccount, Role};

/// What to change on an API account; `None` keeps the current value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountChange {
    /// The new role and, for [`Role::Agent`], its agent id (the pair is checked together).
    pub role: Option<(Role, Option<String>)>,
    pub disabled: Option<bool>,
    /// A new argon2id PHC string.
    pub password_hash: Option<String>,
    /// The monitoring extension: `Some(None)` clears it.
    pub extension: Option<Option<String>>,
}

/// The account after a change, and how many of its sessions ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountChanged {
    pub account: Account,
    pub sessions_ended: u64,
}

/// Why the API may not create or change an account.
fn refused(reason: impl Into<String>) -> CrmError {
    CrmError::InvalidField {
        field: "username",
        reason: reason.into(),
    }
}

impl Crm {
    /// Creates an account owned by the API (no bearer token). Refused when the username is
    /// taken (by any account, disabled ones included: the audit log names them).
    pub async fn create_account(
        &self,
        a: &NewAccount,
        now: DateTime<Utc>,
    ) -> Result<Account, CrmError> {
        a.validate()?;
        if a.token_hash.is_some() {
            return Err(CrmError::InvalidField {
                field: "token_hash",
                reason: "accounts made through the API have no bearer token".into(),
            });
        }
        in_transaction!(self, |conn| {
            let taken = sqlx::query(&sql::account_by_username())
                .bind(&a.username)
                .fetch_optional(&mut *conn)
                .await?
                .is_some();
            if taken {
                return Err(CrmError::AccountExists(a.username.clone()));
            }
            conn.refuse_taken_extension(a.extension.as_deref()).await?;
            sqlx::query(sql::INSERT_API_ACCOUNT)
                .bind(&a.username)
                .bind(&a.password_hash)
                .bind(a.role.as_str())
                .bind(&a.agent_id)
                .bind(DbTime(now))
                .bind(&a.extension)
                .execute(&mut *conn)
                .await?;
        });
        self.account_by_username(&a.username)
            .await?
            .ok_or_else(|| refused("the new account was not found after its insert"))
    }

    /// Changes an API account. `Ok(None)`: no such account. A configuration-file account is
    /// refused ([`CrmError::AccountFromFile`]).
    pub async fn change_account(
        &self,
        username: &str,
        change: &AccountChange,
        now: DateTime<Utc>,
    ) -> Result<Option<AccountChanged>, CrmError> {
        let Some(old) = self.account_by_username(username).await? else {
            return Ok(None);
        };
        if !old.managed_by_api {
            return Err(CrmError::AccountFromFile(old.username));
        }
        let (role, agent_id) = change
            .role
            .clone()
            .unwrap_or((old.role, old.agent_id.clone()));
        let next = NewAccount {
            username: old.username.clone(),
            password_hash: change
                .password_hash
                .clone()
                .unwrap_or_else(|| old.password_hash.clone()),
            token_hash: None,
            role,
            agent_id,
            extension: change
                .extension
                .clone()
                .unwrap_or_else(|| old.extension.clone()),
        };
        next.validate()?;
        let new_extension = (next.extension != old.extension)
            .then_some(next.extension.as_deref())
            .flatten();
        let disabled = change.disabled.unwrap_or(old.disabled);
        let end_sessions = (disabled && !old.disabled) || next.password_hash != old.password_hash;
        let sessions_ended = in_transaction!(self, |conn| {
            conn.refuse_taken_extension(new_extension).await?;
            sqlx::query(sql::UPDATE_API_ACCOUNT)
                .bind(old.id)
                .bind(&next.password_hash)
                .bind(next.role.as_str())
                .bind(&next.agent_id)
                .bind(disabled)
                .bind(DbTime(now))
                .bind(&next.extension)
                .execute(&mut *conn)
                .await?;
            if end_sessions {
                sqlx::query(sql::END_SESSIONS_OF)
                    .bind(old.id)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected()
            } else {
                0
            }
        });
        let account = self
            .account_by_username(username)
            .await?
            .ok_or_else(|| refused("the account vanished during its change"))?;
        Ok(Some(AccountChanged {
            account,
            sessions_ended,
        }))
    }
}
