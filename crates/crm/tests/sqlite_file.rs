//! SQLite on disk: directory creation, WAL, persistence across a restart, crash recovery, and
//! the writer retrying while another process holds the write lock.

mod common;

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use common::{at, start};
use crm::{CdrWriter, Crm, CrmError, Disposition};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Row};

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Self(std::env::temp_dir().join(format!("crm-{tag}-{}-{nanos}", std::process::id())))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn file_database_survives_a_crash_and_recovers() -> anyhow::Result<()> {
    let dir = TempDir::new("crash");
    let path = dir.0.join("nested/deeper/crm.db");
    let url = format!("sqlite://{}", path.display());

    let crm = Crm::connect(&url).await?;
    crm.cdr_start(&start("in-flight", 0)).await?;
    crm.cdr_answer("in-flight", at(1_000)).await?;
    crm.mark_alive(at(45_000)).await?;
    // The process dies here: no end is ever written.
    drop(crm);
    assert!(path.is_file());

    let mut probe = SqliteConnectOptions::from_str(&url)?.connect().await?;
    let mode: String = sqlx::query("PRAGMA journal_mode")
        .fetch_one(&mut probe)
        .await?
        .try_get(0)?;
    assert_eq!(mode, "wal");
    drop(probe);

    // Restart: migrations run again harmlessly, then recovery closes the call.
    let crm = Crm::connect(&url).await?;
    assert_eq!(crm.recover_open_cdrs(at(90_000)).await?, 1);
    let cdr = crm
        .cdr("in-flight")
        .await?
        .ok_or_else(|| anyhow::anyhow!("lost"))?;
    assert!(cdr.recovered);
    // Answered and talking: kept answered, ended when the switch was last known alive.
    assert_eq!(cdr.disposition, Some(Disposition::Answered));
    assert_eq!((cdr.duration_s, cdr.billable_s), (Some(45), Some(44)));
    crm.close().await;
    Ok(())
}

#[tokio::test]
async fn writer_retries_while_the_database_is_locked() -> anyhow::Result<()> {
    let dir = TempDir::new("locked");
    let url = format!("sqlite://{}", dir.0.join("crm.db").display());
    let crm = Crm::connect(&url).await?;

    // Another writer holds the lock longer than the busy timeout (5 s).
    let mut other = SqliteConnectOptions::from_str(&url)?.connect().await?;
    sqlx::query("BEGIN IMMEDIATE").execute(&mut other).await?;

    let (sender, task) = CdrWriter::spawn(crm.clone());
    sender.start(start("patient", 0))?;
    tokio::time::sleep(Duration::from_millis(6_500)).await;
    sqlx::query("COMMIT").execute(&mut other).await?;
    drop(sender);

    let stats = task.shutdown().await?;
    assert!(stats.retries >= 1, "{stats:?}");
    assert_eq!((stats.written, stats.rejected), (1, 0));
    assert!(crm.cdr("patient").await?.is_some());
    Ok(())
}

#[tokio::test]
async fn unsupported_urls_are_refused() {
    let r = Crm::connect("mysql://localhost/crm").await;
    assert!(matches!(r, Err(CrmError::InvalidUrl { .. })), "{r:?}");
}
