//! The [`Crm`] handle: connecting (SQLite or PostgreSQL by URL), migrations, and the CDR
//! repository methods, each dispatched to the backend's SQL module.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::plan::{Plan, Unapplied};
use crate::{postgres, sqlite, Cdr, CdrEnd, CdrEvent, CdrStart, CrmError};

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

/// What one transaction of events achieved.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BatchOutcome {
    pub applied: u64,
    /// Events that can never apply (an answer or link for an unknown call), logged and skipped.
    pub rejected: u64,
}

impl Crm {
    /// Connects and runs the embedded migrations.
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
        Ok(Crm {
            db: Db::Sqlite(pool),
            default_cc: None,
        })
    }

    /// Connects to PostgreSQL with prepared options (used for per-test schemas) and migrates.
    pub(crate) async fn connect_postgres_with(opts: PgConnectOptions) -> Result<Self, CrmError> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(POOL_ACQUIRE_TIMEOUT)
            .connect_with(opts)
            .await?;
        POSTGRES_MIGRATOR.run(&pool).await?;
        Ok(Crm {
            db: Db::Postgres(pool),
            default_cc: None,
        })
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

    /// Records the start of a call. Repeating it is harmless; a start arriving after the end
    /// (out of order) fills in the numbers and start time the end could only guess.
    pub async fn cdr_start(&self, c: &CdrStart) -> Result<(), CrmError> {
        self.apply_plan(&Plan::start(c)).await.map(drop)
    }

    /// Records the answer time (the first answer wins). Fails with
    /// [`CrmError::UnknownCall`] if the call has no CDR.
    pub async fn cdr_answer(&self, call_id: &str, at: DateTime<Utc>) -> Result<(), CrmError> {
        let unknown = self.apply_plan(&Plan::answer(call_id, at)).await?;
        match unknown.answers.into_iter().next() {
            Some(id) => Err(CrmError::UnknownCall(id)),
            None => Ok(()),
        }
    }

    /// Completes the CDR and replaces its legs, in one transaction. An end for an unknown call
    /// inserts the whole row, taking numbers and start time from the legs.
    pub async fn cdr_end(&self, e: &CdrEnd) -> Result<(), CrmError> {
        self.apply_plan(&Plan::end(e)).await.map(drop)
    }

    /// Closes CDRs left open by a crash: disposition failed, cause "switch restarted", side
    /// switch, `recovered` set, ended at `now` (or at the latest time already recorded, if the
    /// clock went backwards). Returns how many were closed. Call once at startup, before new
    /// calls are accepted.
    pub async fn recover_open_cdrs(&self, now: DateTime<Utc>) -> Result<u64, CrmError> {
        let closed = match &self.db {
            Db::Sqlite(p) => sqlite::recover_open(&mut *p.acquire().await?, now).await?,
            Db::Postgres(p) => postgres::recover_open(&mut *p.acquire().await?, now).await?,
        };
        if closed > 0 {
            tracing::warn!(closed, "closed CDRs left open by a previous run");
        }
        Ok(closed)
    }

    /// One CDR with its legs.
    pub async fn cdr(&self, call_id: &str) -> Result<Option<Cdr>, CrmError> {
        match &self.db {
            Db::Sqlite(p) => sqlite::fetch_cdr(&mut *p.begin().await?, call_id).await,
            Db::Postgres(p) => postgres::fetch_cdr(&mut *p.acquire().await?, call_id).await,
        }
    }

    /// The most recently started CDRs, newest first, with their legs.
    pub async fn recent_cdrs(&self, limit: u32) -> Result<Vec<Cdr>, CrmError> {
        match &self.db {
            // A read transaction keeps the rows and their legs from one snapshot.
            Db::Sqlite(p) => sqlite::recent(&mut *p.begin().await?, limit).await,
            Db::Postgres(p) => postgres::recent(&mut *p.acquire().await?, limit).await,
        }
    }

    /// Applies events in ONE transaction (see [`crate::plan`] for the grouping). Answers and
    /// links for unknown calls are logged and counted as rejected; any database error aborts
    /// the whole batch (nothing is committed).
    pub(crate) async fn apply_batch(&self, events: &[CdrEvent]) -> Result<BatchOutcome, CrmError> {
        let unknown = self.apply_plan(&Plan::from_events(events)).await?;
        for call_id in &unknown.answers {
            tracing::warn!(call_id, "CDR answer for an unknown call: skipped");
        }
        for call_id in &unknown.links {
            tracing::warn!(call_id, "CDR link for an unknown call: skipped");
        }
        let rejected = unknown.count() as u64;
        Ok(BatchOutcome {
            applied: events.len() as u64 - rejected,
            rejected,
        })
    }

    /// Runs a plan in one transaction; returns the answers and links whose call is unknown.
    pub(crate) async fn apply_plan(&self, plan: &Plan<'_>) -> Result<Unapplied, CrmError> {
        let unknown = match &self.db {
            Db::Sqlite(p) => {
                let mut tx = p.begin().await?;
                let unknown = sqlite::apply_plan(&mut tx, plan).await?;
                tx.commit().await?;
                unknown
            }
            Db::Postgres(p) => {
                let mut tx = p.begin().await?;
                let unknown = postgres::apply_plan(&mut tx, plan).await?;
                tx.commit().await?;
                unknown
            }
        };
        Ok(unknown)
    }
}
