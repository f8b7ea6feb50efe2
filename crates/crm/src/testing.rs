//! Test support shared with the end-to-end suite: one throwaway PostgreSQL schema per test, so
//! tests run in parallel against one server without seeing each other's rows. Behind the
//! `testing` feature: not part of the production API.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

use crate::{Crm, CrmError};

/// Environment variable the test command sets to the server from `tests/ensure-postgres.sh`.
pub const PG_URL_ENV: &str = "SWITCHBOARD_TEST_PG_URL";
/// Tried when [`PG_URL_ENV`] is unset (a developer's local server).
pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The PostgreSQL URL a test should use, or `None` when the test is to be skipped.
///
/// If [`PG_URL_ENV`] is set it is returned unchecked, so an unreachable server then fails the
/// test. Otherwise [`DEFAULT_PG_URL`] is probed; if it does not answer, the test cannot run:
/// [`testkit::cannot_run`] fails it, unless `SWITCHBOARD_SKIP` names `postgres` (then the skip
/// is recorded and `None` returned). `test` names the test in the reason.
pub async fn postgres_url_for_test(test: &str) -> Option<String> {
    url_for_test(test, std::env::var(PG_URL_ENV).ok(), DEFAULT_PG_URL).await
}

/// [`postgres_url_for_test`] with the variable's value and the default passed in.
async fn url_for_test(test: &str, configured: Option<String>, default: &str) -> Option<String> {
    if let Some(url) = configured {
        return Some(url);
    }
    let probe = match PgConnectOptions::from_str(default) {
        Ok(opts) => match tokio::time::timeout(Duration::from_secs(3), opts.connect()).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("no answer within 3 s".to_owned()),
        },
        Err(e) => Err(e.to_string()),
    };
    match probe {
        Ok(()) => Some(default.to_owned()),
        Err(e) => {
            let why = format!("{test}: {PG_URL_ENV} is unset and {default} is not reachable ({e})");
            testkit::cannot_run("postgres", &why);
            None
        }
    }
}

/// Creates a fresh schema with a random name on the server at `base_url` and connects a
/// [`Crm`] whose `search_path` is that schema (migrations run inside it). Returns the schema
/// name for [`drop_isolated_postgres`].
pub async fn connect_isolated_postgres(base_url: &str) -> Result<(Crm, String), CrmError> {
    let base = PgConnectOptions::from_str(base_url)?;
    let schema = random_schema_name();
    let mut admin = base.connect().await?;
    sqlx::query(&format!("CREATE SCHEMA \"{schema}\""))
        .execute(&mut admin)
        .await?;
    admin.close().await?;
    let crm = Crm::connect_postgres_with(base.options([("search_path", schema.as_str())])).await?;
    Ok((crm, schema))
}

/// Drops a schema made by [`connect_isolated_postgres`] and everything in it. Close the
/// [`Crm`] first so no pooled connection holds locks in it.
pub async fn drop_isolated_postgres(base_url: &str, schema: &str) -> Result<(), CrmError> {
    if schema.is_empty()
        || !schema
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(CrmError::InvalidSchemaName(schema.to_owned()));
    }
    let mut admin = PgConnectOptions::from_str(base_url)?.connect().await?;
    sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
        .execute(&mut admin)
        .await?;
    admin.close().await?;
    Ok(())
}

fn random_schema_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    // RandomState is seeded from OS randomness per thread and advanced per instance; mixing in
    // a counter and the pid keeps names apart across tests and processes without a rand crate.
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    format!("sbtest_{:016x}", h.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_distinct_identifiers() {
        let a = random_schema_name();
        let b = random_schema_name();
        assert_ne!(a, b);
        assert!(a.starts_with("sbtest_") && a.len() == 23);
    }

    /// The rule of crates/testkit: a test that cannot reach PostgreSQL fails (it used to pass
    /// silently). Checked only where SWITCHBOARD_SKIP does not allow skipping, so it records
    /// no skip.
    #[tokio::test]
    async fn an_unreachable_server_fails_the_test() {
        let skip_allowed = std::env::var(testkit::SKIP_ENV)
            .is_ok_and(|list| testkit::skip_allowed(&list, "postgres"));
        if skip_allowed {
            return;
        }
        let nobody = "postgres://postgres@127.0.0.1:1/test";
        let probe = tokio::spawn(async move { url_for_test("t", None, nobody).await }).await;
        assert!(
            probe.is_err_and(|e| e.is_panic()),
            "expected the test to fail"
        );
    }

    #[tokio::test]
    async fn a_configured_url_is_taken_unchecked() {
        let url = url_for_test(
            "t",
            Some("postgres://x@192.0.2.1/db".into()),
            DEFAULT_PG_URL,
        )
        .await;
        assert_eq!(url.as_deref(), Some("postgres://x@192.0.2.1/db"));
    }

    #[tokio::test]
    async fn drop_refuses_names_that_would_need_quoting() {
        let r = drop_isolated_postgres(DEFAULT_PG_URL, "x\"; DROP TABLE cdrs; --").await;
        assert!(matches!(r, Err(CrmError::InvalidSchemaName(_))));
    }
}

/// A finished, answered call with a complete recording, as the switch would have stored it
/// (CDR, its link to queue and agent, the recording row): what the QA sampling draws from.
#[derive(Debug, Clone)]
pub struct SeedCall<'a> {
    pub call_id: &'a str,
    pub agent: &'a str,
    pub queue: Option<&'a str>,
    pub answered_at: chrono::DateTime<chrono::Utc>,
    pub talk_ms: i64,
    /// `None`: no recording.
    pub recording_id: Option<&'a str>,
}

/// Stores `c` (see [`SeedCall`]).
pub async fn seed_recorded_call(crm: &Crm, c: &SeedCall<'_>) -> Result<(), CrmError> {
    use crate::{
        CdrEnd, CdrLink, CdrStart, Disposition, NewRecording, RecordingDone, RecordingStatus, Side,
    };
    let started = c.answered_at - chrono::Duration::seconds(5);
    let ended = c.answered_at + chrono::Duration::milliseconds(c.talk_ms);
    crm.cdr_start(&CdrStart {
        call_id: c.call_id.into(),
        caller: "+821012345678".into(),
        caller_name: None,
        callee: "1000".into(),
        callee_name: None,
        started_at: started,
    })
    .await?;
    crm.cdr_answer(c.call_id, c.answered_at).await?;
    crm.cdr_end(&CdrEnd {
        call_id: c.call_id.into(),
        ended_at: ended,
        disposition: Disposition::Answered,
        sip_status: 200,
        hangup_cause: "caller hung up".into(),
        hangup_side: Some(Side::Caller),
        legs: Vec::new(),
        vars: Default::default(),
    })
    .await?;
    crm.cdr_link(&CdrLink {
        call_id: c.call_id.into(),
        queue: c.queue.map(Into::into),
        agent: Some(c.agent.into()),
        customer_id: None,
        channel: None,
    })
    .await?;
    if let Some(id) = c.recording_id {
        crm.recording_started(&NewRecording {
            id: id.into(),
            call_id: c.call_id.into(),
            path: format!("/tmp/{id}.wav"),
            started_at: c.answered_at,
            sample_rate: 8000,
            channels: 2,
        })
        .await?;
        crm.recording_finished(&RecordingDone {
            id: id.into(),
            ended_at: ended,
            duration_ms: c.talk_ms,
            size_bytes: c.talk_ms * 32,
            sha256: None,
            paused: Vec::new(),
            frames_dropped: 0,
            status: RecordingStatus::Complete,
            error: None,
        })
        .await?;
    }
    Ok(())
}

/// Defines `mod $name { sqlite, postgres }` tests calling `async fn $name(&Crm)`.
/// PostgreSQL gets its own schema, dropped afterwards even if the scenario failed; a missing
/// server is handled by [`postgres_url_for_test`].
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() -> anyhow::Result<()> {
                let crm = crm::Crm::connect("sqlite::memory:").await?;
                assert_eq!(crm.backend(), crm::Backend::Sqlite);
                super::$name(&crm).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() -> anyhow::Result<()> {
                let test = concat!(module_path!(), "::postgres");
                let Some(url) = crm::testing::postgres_url_for_test(test).await else {
                    return Ok(());
                };
                let (crm, schema) = crm::connect_isolated_postgres(&url).await?;
                assert_eq!(crm.backend(), crm::Backend::Postgres);
                let result = super::$name(&crm).await;
                crm.close().await;
                crm::testing::drop_isolated_postgres(&url, &schema).await?;
                result
            }
        }
    )+};
}

/// Makes the CDR writer leave the agents' quarter hours (migration 0028) alone, or keep them
/// again: only for the benchmark that measures what their upkeep costs the writer. Process-wide.
pub fn skip_agent_buckets(skip: bool) {
    crate::acd::agent_buckets::SKIP_UPKEEP.store(skip, std::sync::atomic::Ordering::Relaxed);
}

/// Writes `events` in one transaction, as one batch of the CDR writer (without its wait for
/// more events and its retries): for benchmarks of the writer's statements. Returns how many
/// were applied.
pub async fn write_batch(crm: &Crm, events: &[crate::CdrEvent]) -> Result<u64, CrmError> {
    Ok(crm.apply_batch(events).await?.applied)
}
