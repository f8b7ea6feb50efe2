//! Shared by the CDR test files: run one scenario on SQLite and on PostgreSQL, and build values.
#![allow(dead_code)]

pub mod acd;
pub mod random_history;

use chrono::{DateTime, Duration, TimeZone, Utc};
use crm::{CdrEnd, CdrStart, Disposition, Leg, LegRole, Side};

/// Defines `mod $name { sqlite, postgres }` tests calling `async fn $name(&Crm)`
/// ([`crm::on_both_backends`], shared with other crates' tests).
#[macro_export]
macro_rules! on_both_backends {
    ($($t:tt)*) => { crm::on_both_backends!($($t)*); };
}

/// A fixed instant plus `ms` milliseconds, so expected durations are exact.
pub fn at(ms: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0)
        .single()
        .expect("valid base time")
        + Duration::milliseconds(ms)
}

pub fn start(call_id: &str, ms: i64) -> CdrStart {
    CdrStart {
        call_id: call_id.into(),
        caller: "+4930123456".into(),
        caller_name: Some("Alice".into()),
        callee: "2001".into(),
        callee_name: None,
        started_at: at(ms),
    }
}

pub fn leg(role: LegRole, ext: &str, started: i64, answered: Option<i64>, ended: i64) -> Leg {
    Leg {
        role,
        sip_call_id: format!("{ext}-{started}@192.0.2.10"),
        peer: "192.0.2.10:5060".into(),
        extension: ext.into(),
        started_at: at(started),
        answered_at: answered.map(at),
        ended_at: Some(at(ended)),
        final_status: Some(if answered.is_some() { 200 } else { 487 }),
    }
}

pub fn answered_end(call_id: &str, answered: i64, ended: i64) -> CdrEnd {
    CdrEnd {
        call_id: call_id.into(),
        ended_at: at(ended),
        disposition: Disposition::Answered,
        sip_status: 200,
        hangup_cause: "caller hung up".into(),
        hangup_side: Some(Side::Caller),
        legs: vec![
            leg(LegRole::Caller, "+4930123456", 0, Some(answered), ended),
            leg(LegRole::Callee, "2001", 100, Some(answered), ended),
        ],
        vars: Default::default(),
    }
}

/// Makes the SQLite database at `url` look as if its events had been written before the
/// migration that added the derived tables `derived`: empties them and marks the migration's
/// backfill (`backfill`, a one-row table) pending again.
pub async fn as_before_migration(
    url: &str,
    derived: &[&str],
    backfill: &str,
) -> anyhow::Result<()> {
    use sqlx::ConnectOptions;
    use std::str::FromStr;
    let mut conn = sqlx::sqlite::SqliteConnectOptions::from_str(url)?
        .connect()
        .await?;
    for table in derived {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut conn)
            .await?;
    }
    sqlx::query(&format!("INSERT INTO {backfill} (pending) VALUES (1)"))
        .execute(&mut conn)
        .await?;
    Ok(())
}
