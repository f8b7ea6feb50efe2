//! A PostgreSQL database of its own for one end-to-end test: a fresh schema on the server
//! tests/run.sh provides (SWITCHBOARD_TEST_PG_URL) or the local default, dropped afterwards.

/// A migrated schema; `url` points the switch at it. Dropping it drops the schema.
pub struct PgSchema {
    /// The URL with `options[search_path]` set to the schema.
    pub url: String,
    base: String,
    schema: String,
}

impl PgSchema {
    /// A fresh, migrated schema. `None` only when no server is configured or reachable and
    /// SWITCHBOARD_TEST_PG_URL is unset (tests/run.sh always sets it, so CI never skips).
    pub fn create(test: &str) -> Option<PgSchema> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        rt.block_on(async {
            let base = crm::testing::postgres_url_for_test(test).await?;
            let (crm, schema) = match crm::connect_isolated_postgres(&base).await {
                Ok(v) => v,
                Err(e) => panic!("creating a schema on {base}: {e}"),
            };
            crm.close().await;
            let sep = if base.contains('?') { '&' } else { '?' };
            Some(PgSchema {
                url: format!("{base}{sep}options[search_path]={schema}"),
                base,
                schema,
            })
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
