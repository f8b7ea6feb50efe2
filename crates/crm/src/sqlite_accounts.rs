//! Account, session and audit statements for SQLite (see [`crate::account_sql`]); times are the
//! fixed-width text of [`crate::sqlite`].

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use crate::account_sql as sql;
use crate::sqlite::{get_ts, ts};
use crate::{
    Account, AccountSync, AuditAction, AuditEntry, CrmError, NewAccount, NewAuditEntry, NewSession,
    Role, Session,
};

fn account(row: &SqliteRow) -> Result<Account, CrmError> {
    Ok(Account {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        password_hash: row.try_get("password_hash")?,
        token_hash: row.try_get("token_hash")?,
        role: Role::from_stored(&row.try_get::<String, _>("role")?)?,
        agent_id: row.try_get("agent_id")?,
        disabled: row.try_get("disabled")?,
        created_at: get_ts(row, "created_at")?,
        updated_at: get_ts(row, "updated_at")?,
    })
}

pub(crate) async fn all(conn: &mut SqliteConnection) -> Result<Vec<Account>, CrmError> {
    let rows = sqlx::query(&sql::all_accounts()).fetch_all(conn).await?;
    rows.iter().map(account).collect()
}

pub(crate) async fn by_username(
    conn: &mut SqliteConnection,
    username: &str,
) -> Result<Option<Account>, CrmError> {
    let row = sqlx::query(&sql::account_by_username())
        .bind(username)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(account).transpose()
}

pub(crate) async fn by_token(
    conn: &mut SqliteConnection,
    token_hash: &str,
) -> Result<Option<Account>, CrmError> {
    let row = sqlx::query(&sql::account_by_token())
        .bind(token_hash)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(account).transpose()
}

/// Runs inside the caller's transaction.
pub(crate) async fn sync(
    conn: &mut SqliteConnection,
    accounts: &[NewAccount],
    now: DateTime<Utc>,
) -> Result<AccountSync, CrmError> {
    let before = all(&mut *conn).await?;
    sqlx::query(sql::CLEAR_TOKENS).execute(&mut *conn).await?;
    let mut report = AccountSync::default();
    for a in accounts {
        sqlx::query(sql::UPSERT_ACCOUNT)
            .bind(&a.username)
            .bind(&a.password_hash)
            .bind(&a.token_hash)
            .bind(a.role.as_str())
            .bind(&a.agent_id)
            .bind(ts(now))
            .execute(&mut *conn)
            .await?;
        report.upserted += 1;
        if let Some(old) = before.iter().find(|o| o.username == a.username) {
            if old.password_hash != a.password_hash {
                let ended = sqlx::query(sql::END_SESSIONS_OF)
                    .bind(old.id)
                    .execute(&mut *conn)
                    .await?;
                report.sessions_ended += ended.rows_affected();
            }
        }
    }
    for old in before.iter().filter(|o| !o.disabled) {
        if accounts.iter().any(|a| a.username == old.username) {
            continue;
        }
        sqlx::query(sql::DISABLE_ACCOUNT)
            .bind(old.id)
            .bind(ts(now))
            .execute(&mut *conn)
            .await?;
        report.disabled += 1;
        let ended = sqlx::query(sql::END_SESSIONS_OF)
            .bind(old.id)
            .execute(&mut *conn)
            .await?;
        report.sessions_ended += ended.rows_affected();
    }
    Ok(report)
}

pub(crate) async fn insert_session(
    conn: &mut SqliteConnection,
    s: &NewSession,
) -> Result<(), CrmError> {
    sqlx::query(sql::INSERT_SESSION)
        .bind(&s.token_hash)
        .bind(s.account_id)
        .bind(&s.csrf_token)
        .bind(ts(s.created_at))
        .execute(conn)
        .await?;
    Ok(())
}

pub(crate) async fn session(
    conn: &mut SqliteConnection,
    token_hash: &str,
    now: DateTime<Utc>,
    oldest: DateTime<Utc>,
) -> Result<Option<Session>, CrmError> {
    let Some(row) = sqlx::query(&sql::session())
        .bind(token_hash)
        .bind(ts(oldest))
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let session = Session {
        token_hash: row.try_get("session_token_hash")?,
        csrf_token: row.try_get("csrf_token")?,
        created_at: get_ts(&row, "session_created_at")?,
        last_seen: get_ts(&row, "session_last_seen")?,
        account: account(&row)?,
    };
    sqlx::query(sql::TOUCH_SESSION)
        .bind(token_hash)
        .bind(ts(now))
        .execute(conn)
        .await?;
    Ok(Some(session))
}

pub(crate) async fn delete_session(
    conn: &mut SqliteConnection,
    token_hash: &str,
) -> Result<bool, CrmError> {
    let done = sqlx::query(sql::DELETE_SESSION)
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub(crate) async fn purge_sessions(
    conn: &mut SqliteConnection,
    oldest: DateTime<Utc>,
) -> Result<u64, CrmError> {
    let done = sqlx::query(sql::PURGE_SESSIONS)
        .bind(ts(oldest))
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

pub(crate) async fn insert_audit(
    conn: &mut SqliteConnection,
    e: &NewAuditEntry,
) -> Result<i64, CrmError> {
    let id = sqlx::query_scalar(sql::INSERT_AUDIT)
        .bind(ts(e.at))
        .bind(&e.account)
        .bind(e.role.as_str())
        .bind(e.action.as_str())
        .bind(&e.object_id)
        .bind(&e.remote_addr)
        .bind(&e.detail)
        .fetch_one(conn)
        .await?;
    Ok(id)
}

pub(crate) async fn audit_between(
    conn: &mut SqliteConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<AuditEntry>, CrmError> {
    let rows = sqlx::query(sql::AUDIT_BETWEEN)
        .bind(ts(from))
        .bind(ts(to))
        .bind(i64::from(limit))
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(AuditEntry {
                id: row.try_get("id")?,
                at: get_ts(row, "at")?,
                account: row.try_get("account")?,
                role: Role::from_stored(&row.try_get::<String, _>("role")?)?,
                action: AuditAction::from_stored(&row.try_get::<String, _>("action")?)?,
                object_id: row.try_get("object_id")?,
                remote_addr: row.try_get("remote_addr")?,
                detail: row.try_get("detail")?,
            })
        })
        .collect()
}
