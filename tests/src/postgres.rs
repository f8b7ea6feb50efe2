//! A PostgreSQL database of its own for one end-to-end test: a fresh schema on the server
//! tests/run.sh provides (SWITCHBOARD_TEST_PG_URL) or the local default, dropped afterwards.

use std::time::Duration;

/// A migrated schema; `url` points the switch at it. Dropping it drops the schema.
pub struct PgSchema {
    /// The URL with `options[search_path]` set to the schema.
    pub url: String,
    base: String,
    schema: String,
}

impl PgSchema {
    /// A fresh, migrated schema on the server of `SWITCHBOARD_TEST_PG_URL` (else the local
    /// default). When no server answers, the test fails, unless `SWITCHBOARD_SKIP` names
    /// `postgres`: then the skip is logged and this returns `None` for the test to return.
    pub fn create(test: &str) -> Option<PgSchema> {
        let base = std::env::var(crm::testing::PG_URL_ENV)
            .unwrap_or_else(|_| crm::testing::DEFAULT_PG_URL.to_owned());
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => panic!("{test}: a runtime for PostgreSQL: {e}"),
        };
        let made = rt.block_on(async {
            tokio::time::timeout(
                Duration::from_secs(10),
                crm::connect_isolated_postgres(&base),
            )
            .await
        });
        let (crm, schema) = match made {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => {
                testkit::cannot_run("postgres", &format!("{base}: {e}"));
                return None;
            }
            Err(_) => {
                testkit::cannot_run("postgres", &format!("{base}: no answer within 10 s"));
                return None;
            }
        };
        rt.block_on(crm.close());
        let sep = if base.contains('?') { '&' } else { '?' };
        Some(PgSchema {
            url: format!("{base}{sep}options[search_path]={schema}"),
            base,
            schema,
        })
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            let _ = rt.block_on(crm::testing::drop_isolated_postgres(
                &self.base,
                &self.schema,
            ));
        }
    }
}
