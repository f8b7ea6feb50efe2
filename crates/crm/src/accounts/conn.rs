//! Account, session and audit statements ([`AccountConn`]), written once for both backends
//! with the SQL of [`crate::accounts::sql`].

use chrono::{DateTime, Utc};

use crate::accounts::sql;
use crate::db::{for_each_backend, DbTime, RowExt};
use crate::{
    Account, AccountSync, AuditAction, AuditEntry, CrmError, NewAccount, NewAuditEntry, NewSession,
    Role, Session,
};

/// The account, session and audit statements a backend's connection runs.
pub(crate) trait AccountConn {
    async fn all_accounts(&mut self) -> Result<Vec<Account>, CrmError>;
    async fn account_by_username(&mut self, username: &str) -> Result<Option<Account>, CrmError>;
    async fn account_by_token(&mut self, token_hash: &str) -> Result<Option<Account>, CrmError>;
    async fn touch_token(&mut self, token_hash: &str, now: DateTime<Utc>) -> Result<(), CrmError>;
    /// [`CrmError::ExtensionTaken`] when `extension` is some account's monitoring phone.
    async fn refuse_taken_extension(&mut self, extension: Option<&str>) -> Result<(), CrmError>;
    /// Runs inside the caller's transaction.
    async fn sync_accounts(
        &mut self,
        accounts: &[NewAccount],
        now: DateTime<Utc>,
    ) -> Result<AccountSync, CrmError>;
    async fn insert_session(&mut self, s: &NewSession) -> Result<(), CrmError>;
    async fn session(
        &mut self,
        token_hash: &str,
        now: DateTime<Utc>,
        oldest: (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<Option<Session>, CrmError>;
    async fn delete_session(&mut self, token_hash: &str) -> Result<bool, CrmError>;
    async fn purge_sessions(
        &mut self,
        oldest: (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<u64, CrmError>;
    async fn insert_audit(&mut self, e: &NewAuditEntry) -> Result<i64, CrmError>;
    async fn audit_between(
        &mut self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, CrmError>;
}

for_each_backend! {
    impl AccountConn for Conn {
        async fn all_accounts(&mut self) -> Result<Vec<Account>, CrmError> {
            let rows = sqlx::query(&sql::all_accounts()).fetch_all(self).await?;
            rows.iter().map(account).collect()
        }

        async fn account_by_username(
            &mut self,
            username: &str,
        ) -> Result<Option<Account>, CrmError> {
            let row = sqlx::query(&sql::account_by_username())
                .bind(username)
                .fetch_optional(self)
                .await?;
            row.as_ref().map(account).transpose()
        }

        async fn account_by_token(
            &mut self,
            token_hash: &str,
        ) -> Result<Option<Account>, CrmError> {
            let row = sqlx::query(&sql::account_by_token())
                .bind(token_hash)
                .fetch_optional(self)
                .await?;
            row.as_ref().map(account).transpose()
        }

        async fn touch_token(
            &mut self,
            token_hash: &str,
            now: DateTime<Utc>,
        ) -> Result<(), CrmError> {
            sqlx::query(sql::TOUCH_TOKEN)
                .bind(token_hash)
                .bind(DbTime(now))
                .execute(self)
                .await?;
            Ok(())
        }

        async fn refuse_taken_extension(
            &mut self,
            extension: Option<&str>,
        ) -> Result<(), CrmError> {
            let Some(ext) = extension else {
                return Ok(());
            };
            let holder: Option<String> = sqlx::query_scalar(sql::ACCOUNT_OF_EXTENSION)
                .bind(ext)
                .fetch_optional(self)
                .await?;
            match holder {
                Some(account) => Err(CrmError::ExtensionTaken {
                    extension: ext.to_owned(),
                    account,
                }),
                None => Ok(()),
            }
        }

        async fn sync_accounts(
            &mut self,
            accounts: &[NewAccount],
            now: DateTime<Utc>,
        ) -> Result<AccountSync, CrmError> {
            let before = self.all_accounts().await?;
            sqlx::query(sql::CLEAR_TOKENS).execute(&mut *self).await?;
            sqlx::query(sql::CLEAR_FILE_EXTENSIONS)
                .execute(&mut *self)
                .await?;
            let mut report = AccountSync::default();
            for ext in accounts.iter().filter_map(|a| a.extension.as_ref()) {
                let taken = sqlx::query(sql::TAKE_EXTENSION_FROM_API)
                    .bind(ext)
                    .execute(&mut *self)
                    .await?;
                report.extensions_taken += taken.rows_affected();
            }
            for a in accounts {
                sqlx::query(sql::UPSERT_ACCOUNT)
                    .bind(&a.username)
                    .bind(&a.password_hash)
                    .bind(&a.token_hash)
                    .bind(a.role.as_str())
                    .bind(&a.agent_id)
                    .bind(DbTime(now))
                    .bind(&a.extension)
                    .execute(&mut *self)
                    .await?;
                report.upserted += 1;
                if let Some(old) = before.iter().find(|o| o.username == a.username) {
                    if old.token_hash != a.token_hash {
                        sqlx::query(sql::FORGET_TOKEN_USE)
                            .bind(old.id)
                            .execute(&mut *self)
                            .await?;
                    }
                    if old.password_hash != a.password_hash {
                        let ended = sqlx::query(sql::END_SESSIONS_OF)
                            .bind(old.id)
                            .execute(&mut *self)
                            .await?;
                        report.sessions_ended += ended.rows_affected();
                    }
                }
            }
            // Accounts created through the API are not the file's to disable.
            for old in before.iter().filter(|o| !o.disabled && !o.managed_by_api) {
                if accounts.iter().any(|a| a.username == old.username) {
                    continue;
                }
                sqlx::query(sql::DISABLE_ACCOUNT)
                    .bind(old.id)
                    .bind(DbTime(now))
                    .execute(&mut *self)
                    .await?;
                report.disabled += 1;
                let ended = sqlx::query(sql::END_SESSIONS_OF)
                    .bind(old.id)
                    .execute(&mut *self)
                    .await?;
                report.sessions_ended += ended.rows_affected();
            }
            Ok(report)
        }

        async fn insert_session(&mut self, s: &NewSession) -> Result<(), CrmError> {
            sqlx::query(sql::INSERT_SESSION)
                .bind(&s.token_hash)
                .bind(s.account_id)
                .bind(&s.csrf_token)
                .bind(DbTime(s.created_at))
                .execute(self)
                .await?;
            Ok(())
        }

        async fn session(
            &mut self,
            token_hash: &str,
            now: DateTime<Utc>,
            oldest: (DateTime<Utc>, DateTime<Utc>),
        ) -> Result<Option<Session>, CrmError> {
            let Some(row) = sqlx::query(&sql::session())
                .bind(token_hash)
                .bind(DbTime(oldest.0))
                .bind(DbTime(oldest.1))
                .fetch_optional(&mut *self)
                .await?
            else {
                return Ok(None);
            };
            let session = Session {
                token_hash: row.col("session_token_hash")?,
                csrf_token: row.col("csrf_token")?,
                created_at: row.time("session_created_at")?,
                last_seen: row.time("session_last_seen")?,
                account: account(&row)?,
            };
            sqlx::query(sql::TOUCH_SESSION)
                .bind(token_hash)
                .bind(DbTime(now))
                .execute(self)
                .await?;
            Ok(Some(session))
        }

        async fn delete_session(&mut self, token_hash: &str) -> Result<bool, CrmError> {
            let done = sqlx::query(sql::DELETE_SESSION)
                .bind(token_hash)
                .execute(self)
                .await?;
            Ok(done.rows_affected() > 0)
        }

        async fn purge_sessions(
            &mut self,
            oldest: (DateTime<Utc>, DateTime<Utc>),
        ) -> Result<u64, CrmError> {
            let done = sqlx::query(sql::PURGE_SESSIONS)
                .bind(DbTime(oldest.0))
                .bind(DbTime(oldest.1))
                .execute(self)
                .await?;
            Ok(done.rows_affected())
        }

        async fn insert_audit(&mut self, e: &NewAuditEntry) -> Result<i64, CrmError> {
            let id = sqlx::query_scalar(sql::INSERT_AUDIT)
                .bind(DbTime(e.at))
                .bind(&e.account)
                .bind(e.role.as_str())
                .bind(e.action.as_str())
                .bind(&e.object_id)
                .bind(&e.remote_addr)
                .bind(&e.detail)
                .fetch_one(self)
                .await?;
            Ok(id)
        }

        async fn audit_between(
            &mut self,
            from: DateTime<Utc>,
            to: DateTime<Utc>,
            limit: u32,
        ) -> Result<Vec<AuditEntry>, CrmError> {
            let rows = sqlx::query(sql::AUDIT_BETWEEN)
                .bind(DbTime(from))
                .bind(DbTime(to))
                .bind(i64::from(limit))
                .fetch_all(self)
                .await?;
            rows.iter()
                .map(|row| {
                    Ok(AuditEntry {
                        id: row.col("id")?,
                        at: row.time("at")?,
                        account: row.col("account")?,
                        role: Role::from_stored(&row.col::<String>("role")?)?,
                        action: AuditAction::from_stored(&row.col::<String>("action")?)?,
                        object_id: row.col("object_id")?,
                        remote_addr: row.col("remote_addr")?,
                        detail: row.col("detail")?,
                    })
                })
                .collect()
        }
    }

    fn account(row: &DbRow) -> Result<Account, CrmError> {
        Ok(Account {
            id: row.col("id")?,
            username: row.col("username")?,
            password_hash: row.col("password_hash")?,
            token_hash: row.col("token_hash")?,
            role: Role::from_stored(&row.col::<String>("role")?)?,
            agent_id: row.col("agent_id")?,
            extension: row.col("extension")?,
            disabled: row.col("disabled")?,
            managed_by_api: row.col::<String>("managed_by")? == "api",
            created_at: row.time("created_at")?,
            updated_at: row.time("updated_at")?,
            token_last_used_at: row.opt_time("token_last_used_at")?,
        })
    }
}
