//! The [`Crm`] handle and how the crate reaches its two databases with one body of code.
//!
//! The pattern, used by every repository in this crate:
//! - SQL text is written once with `$N` parameters (sqlx's SQLite driver numbers `$N` like
//!   PostgreSQL does);
//! - values whose storage differs are newtypes that bind and decode the right way on each
//!   backend: [`DbTime`] (SQLite fixed-width text, PostgreSQL `TIMESTAMPTZ`) and [`DbJson`]
//!   (SQLite `TEXT`, PostgreSQL `JSONB`); integers use the width of the PostgreSQL column;
//! - each domain has one trait of statements (`CustomerConn`, `ContactConn`...), implemented
//!   for both connection types by one block of code inside [`for_each_backend!`], and its logic
//!   written once over `impl ThatTrait`;
//! - a [`Crm`] method reaches the pool with [`with_conn!`] or [`in_transaction!`], whose body
//!   is compiled once per backend (the `match` on the pool is written once, in [`each_pool!`]).
//!
//! What really differs per backend stays a `match` on [`Backend`] inside that one block, with
//! a comment saying why (a function's name, how a transaction begins).

mod json;
mod time;

pub(crate) use json::DbJson;
pub(crate) use time::DbTime;

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ColumnIndex, Decode, Row, Type};

use crate::CrmError;

static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("../../migrations/postgres");

/// How long a writer waits for another SQLite writer before failing with "database is locked".
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const POOL_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// Which database engine a [`Crm`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        })
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The CRM database. Cheap to clone: clones share the connection pool.
#[derive(Debug, Clone)]
pub struct Crm {
    pub(crate) db: Db,
    /// Country code for national phone numbers (see [`Crm::with_default_country_code`]).
    pub(crate) default_cc: Option<std::sync::Arc<str>>,
}

/// Compiles the items once per backend, in two modules `sqlite` and `postgres`: inside,
/// `Conn` is that backend's connection, `DbRow` its row, `Engine` its sqlx database and
/// `BACKEND` its [`Backend`]. A domain's statement trait is implemented once this way
/// (`impl ContactConn for Conn { ... }`); the compiler checks each copy with concrete types,
/// which sqlx's generic bounds would make unreadable.
macro_rules! for_each_backend {
    ($($item:item)*) => {
        mod sqlite {
            #![allow(dead_code, unused_imports)]
            use super::*;
            type Conn = sqlx::SqliteConnection;
            type DbRow = sqlx::sqlite::SqliteRow;
            type Engine = sqlx::Sqlite;
            const BACKEND: $crate::Backend = $crate::Backend::Sqlite;
            $($item)*
        }
        mod postgres {
            #![allow(dead_code, unused_imports)]
            use super::*;
            type Conn = sqlx::PgConnection;
            type DbRow = sqlx::postgres::PgRow;
            type Engine = sqlx::Postgres;
            const BACKEND: $crate::Backend = $crate::Backend::Postgres;
            $($item)*
        }
    };
}
pub(crate) use for_each_backend;

/// `each_pool!(crm, |pool| body)`: runs `body` with `pool` the pool of the backend `crm` uses.
/// The body is compiled once per backend (the two pools are different types with the same
/// methods); the macros below build on it.
macro_rules! each_pool {
    ($crm:expr, |$pool:ident| $body:expr) => {
        match &$crm.db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use each_pool;

/// `with_conn!(crm, |conn| body)`: runs `body` with `conn` a `&mut` pooled connection of the
/// backend `crm` uses. The body is compiled once per backend, so it calls statement traits
/// implemented for both connections; it must evaluate to the same type on both (decode rows
/// inside it). Evaluates to the body's value; a failed acquire returns early with `?`.
macro_rules! with_conn {
    ($crm:expr, |$conn:ident| $body:expr) => {
        $crate::db::each_pool!($crm, |pool| {
            let mut pooled = pool.acquire().await?;
            let $conn = &mut *pooled;
            $body
        })
    };
}
pub(crate) use with_conn;

/// How a transaction starts ([`in_transaction!`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxKind {
    /// The default.
    Plain,
    /// Writes that follow reads: SQLite takes the write lock at once (a deferred transaction
    /// would fail instead of waiting if another writer committed in between).
    Immediate,
    /// Reads that must see one state across statements (a row and its children, a report's
    /// events and agent states): PostgreSQL's default isolation takes a snapshot per
    /// statement, so ask for repeatable read; an SQLite transaction reads one snapshot anyway.
    Snapshot,
}

/// The statement that opens a transaction of `kind` on `backend`.
pub(crate) fn begin_sql(backend: Backend, kind: TxKind) -> &'static str {
    match (backend, kind) {
        (Backend::Sqlite, TxKind::Immediate) => "BEGIN IMMEDIATE",
        (Backend::Postgres, TxKind::Snapshot) => "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        _ => "BEGIN",
    }
}

/// `in_transaction!(crm, |conn| body)`: like [`with_conn!`] inside one transaction, committed
/// when the body yields its value; a `?` inside returns early and the transaction rolls back
/// on drop. `in_transaction!(immediate crm, ...)` and `in_transaction!(snapshot crm, ...)` pick
/// the [`TxKind`].
macro_rules! in_transaction {
    (immediate $crm:expr, |$conn:ident| $body:expr) => {
        $crate::db::in_transaction!(@kind Immediate, $crm, |$conn| $body)
    };
    (snapshot $crm:expr, |$conn:ident| $body:expr) => {
        $crate::db::in_transaction!(@kind Snapshot, $crm, |$conn| $body)
    };
    (@kind $kind:ident, $crm:expr, |$conn:ident| $body:expr) => {{
        let begin = $crate::db::begin_sql($crm.backend(), $crate::db::TxKind::$kind);
        $crate::db::each_pool!($crm, |pool| {
            let mut tx = pool.begin_with(begin).await?;
            let value = {
                let $conn = &mut *tx;
                $body
            };
            tx.commit().await?;
            value
        })
    }};
    ($crm:expr, |$conn:ident| $body:expr) => {
        $crate::db::in_transaction!(@kind Plain, $crm, |$conn| $body)
    };
}
pub(crate) use in_transaction;

/// Reading columns of either backend's rows, with our errors.
pub(crate) trait RowExt: Row {
    /// The column decoded as `T`. A value that does not decode (text that is not a time, an
    /// unexpected type) is [`CrmError::CorruptValue`] naming the column.
    fn col<'r, T>(&'r self, column: &'static str) -> Result<T, CrmError>
    where
        T: Decode<'r, Self::Database> + Type<Self::Database>,
        &'static str: ColumnIndex<Self>,
    {
        self.try_get(column).map_err(|e| match e {
            sqlx::Error::ColumnDecode { source, .. } => CrmError::CorruptValue {
                column,
                value: match source.downcast::<time::CorruptTime>() {
                    Ok(bad) => bad.0,
                    Err(other) => other.to_string(),
                },
            },
            other => CrmError::Database(other),
        })
    }

    /// A time column ([`DbTime`]).
    fn time<'r>(&'r self, column: &'static str) -> Result<DateTime<Utc>, CrmError>
    where
        DbTime: Decode<'r, Self::Database> + Type<Self::Database>,
        &'static str: ColumnIndex<Self>,
    {
        Ok(self.col::<DbTime>(column)?.0)
    }

    /// A nullable time column.
    fn opt_time<'r>(&'r self, column: &'static str) -> Result<Option<DateTime<Utc>>, CrmError>
    where
        DbTime: Decode<'r, Self::Database> + Type<Self::Database>,
        &'static str: ColumnIndex<Self>,
    {
        Ok(self.col::<Option<DbTime>>(column)?.map(|t| t.0))
    }
}

impl<R: Row> RowExt for R {}

impl Crm {
    /// Connects and runs the embedded migrations (and, once each, the backfills of the queue
    /// visits of migration 0023 and the agent quarter hours of 0028 from the events already
    /// stored).
    ///
    /// `sqlite://path/to/file.db` creates the file and its parent directories if missing and uses
    /// WAL with `synchronous=NORMAL` (durable across process crashes, fast enough for thousands
    /// of calls per second). `sqlite::memory:` gives a private in-memory database (tests).
    /// `postgres://...` (or `postgresql://`) connects to PostgreSQL; the URL may carry
    /// `?options=-c search_path=...`.
    pub async fn connect(url: &str) -> Result<Self, CrmError> {
        if url.starts_with("sqlite:") {
            Self::connect_sqlite(url).await
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?;
            Self::connect_postgres_with(opts).await
        } else {
            Err(CrmError::InvalidUrl {
                url: url.to_owned(),
                reason: "expected sqlite://..., sqlite::memory: or postgres://...".into(),
            })
        }
    }

    async fn connect_sqlite(url: &str) -> Result<Self, CrmError> {
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(SQLITE_BUSY_TIMEOUT);
        let pool = if in_memory {
            // An in-memory database lives as long as one connection to it; keep exactly one,
            // forever, so the data is not lost when the pool trims idle connections.
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .acquire_timeout(POOL_ACQUIRE_TIMEOUT)
                .connect_with(opts)
                .await?
        } else {
            let path = opts.get_filename();
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|source| CrmError::CreateDir {
                    path: dir.display().to_string(),
                    source,
                })?;
            }
            SqlitePoolOptions::new()
                .max_connections(4)
                .acquire_timeout(POOL_ACQUIRE_TIMEOUT)
                .connect_with(
                    opts.journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal),
                )
                .await?
        };
        SQLITE_MIGRATOR.run(&pool).await?;
        let crm = Crm {
            db: Db::Sqlite(pool),
            default_cc: None,
        };
        crm.backfill_queue_visits().await?;
        crm.backfill_agent_buckets().await?;
        Ok(crm)
    }

    /// Connects to PostgreSQL with prepared options (used for per-test schemas) and migrates.
    pub(crate) async fn connect_postgres_with(opts: PgConnectOptions) -> Result<Self, CrmError> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(POOL_ACQUIRE_TIMEOUT)
            .connect_with(opts)
            .await?;
        POSTGRES_MIGRATOR.run(&pool).await?;
        let crm = Crm {
            db: Db::Postgres(pool),
            default_cc: None,
        };
        crm.backfill_queue_visits().await?;
        crm.backfill_agent_buckets().await?;
        Ok(crm)
    }

    /// The engine behind this handle, for logs.
    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Closes every pooled connection; waits for connections in use to be returned.
    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite(p) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use sqlx::Row;

    use super::*;
    use crate::CdrStart;

    /// Existing databases must keep working: a time written through [`DbTime`] on SQLite is
    /// the same fixed-width text as before the backends shared their code.
    #[tokio::test]
    async fn sqlite_times_stay_fixed_width_text() -> Result<(), CrmError> {
        let crm = Crm::connect("sqlite::memory:").await?;
        let started_at = Utc
            .with_ymd_and_hms(2025, 3, 1, 9, 0, 0)
            .single()
            .expect("valid time")
            + chrono::Duration::microseconds(250);
        crm.cdr_start(&CdrStart {
            call_id: "c1".into(),
            caller: "1001".into(),
            caller_name: None,
            callee: "2002".into(),
            callee_name: None,
            started_at,
        })
        .await?;
        let Db::Sqlite(pool) = &crm.db else {
            unreachable!("connected to SQLite")
        };
        let row = sqlx::query("SELECT started_at, typeof(started_at) AS t FROM cdrs")
            .fetch_one(pool)
            .await?;
        assert_eq!(row.try_get::<String, _>("t")?, "text");
        assert_eq!(
            row.try_get::<String, _>("started_at")?,
            "2025-03-01T09:00:00.000250Z"
        );
        Ok(())
    }
}
