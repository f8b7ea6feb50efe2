//! Dialplan variables stored with CDRs, on both backends: round trip, the truncation rule, the
//! batching writer, and rows written before the `vars` column existed.

mod common;

use std::path::{Path, PathBuf};
use std::str::FromStr;

use common::{answered_end, at, start};
use crm::{
    bounded_vars, Cdr, CdrVars, CdrWriter, Crm, MAX_VARS, MAX_VAR_VALUE_CHARS, TRUNCATED_VAR,
};
use sqlx::migrate::Migrator;

on_both_backends!(
    vars_round_trip_verbatim,
    open_recovered_and_plain_cdrs_have_no_vars,
    replayed_end_replaces_vars,
    oversized_vars_are_cut_and_the_cdr_kept,
    writer_stores_vars,
);

fn vars(pairs: &[(&str, &str)]) -> CdrVars {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

async fn must_get(crm: &Crm, call_id: &str) -> anyhow::Result<Cdr> {
    crm.cdr(call_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no CDR for {call_id}"))
}

async fn vars_round_trip_verbatim(crm: &Crm) -> anyhow::Result<()> {
    let given = vars(&[
        ("menu_choice", "2"),
        ("account_masked", "****1234"),
        ("grade", "gold"),
        ("lang", "Zoë Ångström 張偉 📞"),
        (
            "'; DROP TABLE cdrs; --",
            "Robert'); DELETE FROM cdr_legs WHERE ('1'='1",
        ),
        ("json\"}{", "back\\slash \"quoted\" }] $1 ?1 %s"),
        ("ctl", "line\nbreak\ttab\u{1}\u{7f}"),
        ("empty", ""),
        ("", "empty name"),
        ("📞", "\u{FEFF}bom and \u{2028} separator"),
    ]);
    crm.cdr_start(&start("v1", 0)).await?;
    crm.cdr_end(&crm::CdrEnd {
        vars: given.clone(),
        ..answered_end("v1", 1_000, 9_000)
    })
    .await?;
    let cdr = must_get(crm, "v1").await?;
    assert_eq!(cdr.vars, given);
    assert!(!cdr.vars.contains_key(TRUNCATED_VAR));
    let recent = crm.recent_cdrs(10).await?;
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0].vars, given);

    // The table survived the injection-looking strings.
    assert_eq!(cdr.legs.len(), 2);

    // Serialized as a JSON object, not a list of pairs.
    let json = serde_json::to_value(&cdr)?;
    assert_eq!(json["vars"]["grade"], "gold");
    assert_eq!(json["vars"]["lang"], "Zoë Ångström 張偉 📞");
    Ok(())
}

async fn open_recovered_and_plain_cdrs_have_no_vars(crm: &Crm) -> anyhow::Result<()> {
    crm.cdr_start(&start("open", 0)).await?;
    assert!(must_get(crm, "open").await?.vars.is_empty());
    crm.cdr_start(&start("plain", 0)).await?;
    crm.cdr_end(&answered_end("plain", 1_000, 2_000)).await?;
    assert!(must_get(crm, "plain").await?.vars.is_empty());

    assert_eq!(crm.recover_open_cdrs(at(60_000)).await?, 1);
    let recovered = must_get(crm, "open").await?;
    assert!(recovered.recovered);
    assert!(recovered.vars.is_empty());

    let json = serde_json::to_value(&recovered)?;
    assert_eq!(json["vars"], serde_json::json!({}));
    Ok(())
}

async fn replayed_end_replaces_vars(crm: &Crm) -> anyhow::Result<()> {
    // An end without a start still carries its variables.
    let first = crm::CdrEnd {
        vars: vars(&[("a", "1"), ("b", "2")]),
        ..answered_end("again", 1_000, 5_000)
    };
    crm.cdr_end(&first).await?;
    assert_eq!(must_get(crm, "again").await?.vars, first.vars);

    let second = crm::CdrEnd {
        vars: vars(&[("b", "3")]),
        ..answered_end("again", 1_000, 6_000)
    };
    crm.cdr_end(&second).await?;
    // A late start does not touch them.
    crm.cdr_start(&start("again", 0)).await?;
    let cdr = must_get(crm, "again").await?;
    assert_eq!(cdr.vars, vars(&[("b", "3")]));
    assert_eq!(cdr.ended_at, Some(at(6_000)));
    Ok(())
}

/// 70 variables, one name too long, one value too long (multi-byte characters).
fn oversized() -> CdrVars {
    let mut v: CdrVars = (0..70)
        .map(|i| (format!("var{i:02}"), format!("value {i}")))
        .collect();
    v.insert("var00".into(), "é".repeat(MAX_VAR_VALUE_CHARS + 500));
    v.insert("a".repeat(65), "dropped: name too long".into());
    v
}

async fn oversized_vars_are_cut_and_the_cdr_kept(crm: &Crm) -> anyhow::Result<()> {
    let given = oversized();
    crm.cdr_start(&start("big", 0)).await?;
    crm.cdr_end(&crm::CdrEnd {
        vars: given.clone(),
        ..answered_end("big", 1_000, 9_000)
    })
    .await?;
    let cdr = must_get(crm, "big").await?;
    assert_eq!(cdr.duration_s, Some(9));
    assert_eq!(cdr.vars.len(), MAX_VARS + 1);
    assert_eq!(cdr.vars[TRUNCATED_VAR], "true");
    assert_eq!(cdr.vars["var00"], "é".repeat(MAX_VAR_VALUE_CHARS));
    assert_eq!(cdr.vars["var01"], "value 1");
    assert_eq!(cdr.vars["var63"], "value 63");
    assert!(!cdr.vars.contains_key("var64"));
    assert!(!cdr.vars.keys().any(|k| k.starts_with("aaa")));
    assert_eq!(cdr.vars, bounded_vars(&given).into_owned());

    // NUL cannot live in PostgreSQL text; it is removed on both backends, not a lost CDR.
    crm.cdr_end(&crm::CdrEnd {
        vars: vars(&[("nul", "a\0b")]),
        ..answered_end("nul", 1_000, 2_000)
    })
    .await?;
    let nul = must_get(crm, "nul").await?;
    assert_eq!(nul.vars, vars(&[("nul", "ab"), (TRUNCATED_VAR, "true")]));
    Ok(())
}

async fn writer_stores_vars(crm: &Crm) -> anyhow::Result<()> {
    let (sender, task) = CdrWriter::spawn(crm.clone());
    for i in 0..50 {
        let id = format!("w{i:02}");
        sender.start(start(&id, i))?;
        sender.answer(id.clone(), at(i + 1_000))?;
        sender.end(crm::CdrEnd {
            vars: vars(&[
                ("n", &i.to_string()),
                ("lang", "ελληνικά"),
                ("q", "x'); --"),
            ]),
            ..answered_end(&id, i + 1_000, i + 4_000)
        })?;
    }
    sender.end(crm::CdrEnd {
        vars: oversized(),
        ..answered_end("w-big", 1_000, 4_000)
    })?;
    let stats = task.shutdown().await?;
    assert_eq!(stats.written, 151);
    assert_eq!(stats.rejected, 0);

    for i in [0, 17, 49] {
        let cdr = must_get(crm, &format!("w{i:02}")).await?;
        assert_eq!(
            cdr.vars,
            vars(&[
                ("n", &i.to_string()),
                ("lang", "ελληνικά"),
                ("q", "x'); --")
            ])
        );
    }
    let big = must_get(crm, "w-big").await?;
    assert_eq!(big.vars, bounded_vars(&oversized()).into_owned());
    Ok(())
}

/// A directory holding copies of the migrations before `0003_cdr_vars.sql`, removed on drop.
struct OldMigrations(PathBuf);

impl OldMigrations {
    fn copy(backend: &str) -> anyhow::Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!(
            "crm-oldmig-{backend}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir)?;
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../migrations")
            .join(backend);
        // Identical files give identical checksums, so the full migrator later accepts them.
        for name in ["0001_cdrs.sql", "0002_customers.sql"] {
            std::fs::copy(src.join(name), dir.join(name))?;
        }
        Ok(Self(dir))
    }

    async fn migrator(&self) -> anyhow::Result<Migrator> {
        Ok(Migrator::new(self.0.as_path()).await?)
    }
}

impl Drop for OldMigrations {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn old_rows_read_back_with_no_vars_sqlite() -> anyhow::Result<()> {
    let old = OldMigrations::copy("sqlite")?;
    let db = old.0.join("crm.db");
    let url = format!("sqlite://{}", db.display());
    {
        let opts = sqlx::sqlite::SqliteConnectOptions::from_str(&url)?.create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(opts).await?;
        old.migrator().await?.run(&pool).await?;
        sqlx::query(
            "INSERT INTO cdrs (call_id, caller, callee, started_at, ended_at, disposition,
                               sip_status, hangup_cause, hangup_side)
             VALUES ('legacy', '1001', '2002', '2025-03-01T09:00:00.000000Z',
                     '2025-03-01T09:00:30.000000Z', 'answered', 200, 'bye', 'caller')",
        )
        .execute(&pool)
        .await?;
        pool.close().await;
    }
    let crm = Crm::connect(&url).await?;
    let cdr = must_get(&crm, "legacy").await?;
    assert!(cdr.vars.is_empty());
    assert_eq!(cdr.duration_s, Some(30));
    // The upgraded table takes new rows with variables next to the old one.
    crm.cdr_end(&crm::CdrEnd {
        vars: vars(&[("lang", "de")]),
        ..answered_end("new", 1_000, 2_000)
    })
    .await?;
    assert_eq!(must_get(&crm, "new").await?.vars, vars(&[("lang", "de")]));
    assert_eq!(crm.recent_cdrs(10).await?.len(), 2);
    crm.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_rows_read_back_with_no_vars_postgres() -> anyhow::Result<()> {
    let Some(url) =
        crm::testing::postgres_url_for_test("old_rows_read_back_with_no_vars_postgres").await
    else {
        return Ok(());
    };
    let old = OldMigrations::copy("postgres")?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let schema = format!("sbtest_old_{}_{nanos}", std::process::id());
    let base = sqlx::postgres::PgConnectOptions::from_str(&url)?;
    let admin = sqlx::PgPool::connect_with(base.clone()).await?;
    sqlx::query(&format!("CREATE SCHEMA \"{schema}\""))
        .execute(&admin)
        .await?;
    let result = async {
        let scoped =
            sqlx::PgPool::connect_with(base.clone().options([("search_path", schema.as_str())]))
                .await?;
        old.migrator().await?.run(&scoped).await?;
        sqlx::query(
            "INSERT INTO cdrs (call_id, caller, callee, started_at, ended_at, disposition,
                               sip_status, hangup_cause, hangup_side)
             VALUES ('legacy', '1001', '2002', '2025-03-01T09:00:00Z',
                     '2025-03-01T09:00:30Z', 'answered', 200, 'bye', 'caller')",
        )
        .execute(&scoped)
        .await?;
        scoped.close().await;

        let sep = if url.contains('?') { '&' } else { '?' };
        let crm = Crm::connect(&format!("{url}{sep}options=-c%20search_path%3D{schema}")).await?;
        let cdr = must_get(&crm, "legacy").await?;
        assert!(cdr.vars.is_empty());
        assert_eq!(cdr.duration_s, Some(30));
        crm.cdr_end(&crm::CdrEnd {
            vars: vars(&[("lang", "de")]),
            ..answered_end("new", 1_000, 2_000)
        })
        .await?;
        assert_eq!(must_get(&crm, "new").await?.vars, vars(&[("lang", "de")]));
        crm.close().await;
        anyhow::Ok(())
    }
    .await;
    crm::testing::drop_isolated_postgres(&url, &schema).await?;
    admin.close().await;
    result
}
