//! Rows written straight into a test switch's database, so HTTP behaviour is checked on known
//! data: a CDR with its recording, and raw SQL for states the switch would reach only slowly
//! (a deleted recording, a failing audit table).

use crate::Switch;

/// Writes a CDR handled by `agent` and its recording (a file of `len` known bytes).
pub fn recording(
    s: &Switch,
    call: &str,
    agent: &str,
    len: usize,
) -> anyhow::Result<(String, Vec<u8>)> {
    let rt = tokio::runtime::Runtime::new()?;
    let path = s.dir.path().join(format!("{call}.wav"));
    let bytes: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, &bytes)?;
    let id = format!("rec-{call}");
    rt.block_on(async {
        let crm = crm::Crm::connect(&s.database_url).await?;
        let now = chrono::Utc::now();
        crm.cdr_start(&crm::CdrStart {
            call_id: call.into(),
            caller: "2004".into(),
            caller_name: None,
            callee: "7000".into(),
            callee_name: None,
            started_at: now,
        })
        .await?;
        crm.cdr_link(&crm::CdrLink {
            call_id: call.into(),
            queue: Some("general".into()),
            agent: Some(agent.into()),
            customer_id: None,
            channel: None,
        })
        .await?;
        crm.recording_started(&crm::NewRecording {
            id: id.clone(),
            call_id: call.into(),
            path: path.display().to_string(),
            started_at: now,
            sample_rate: 8000,
            channels: 2,
        })
        .await?;
        crm.recording_finished(&crm::RecordingDone {
            id: id.clone(),
            ended_at: now,
            duration_ms: 1000,
            size_bytes: len as i64,
            sha256: None,
            paused: vec![],
            frames_dropped: 0,
            status: crm::RecordingStatus::Complete,
            error: None,
        })
        .await?;
        crm.close().await;
        anyhow::Ok(())
    })?;
    Ok((id, bytes))
}

/// Run `statements` (SQL, `;`-separated) on the switch's SQLite database (the default).
pub fn sql(s: &Switch, statements: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let mut conn = sqlx::SqliteConnection::connect(&s.database_url).await?;
        sqlx::raw_sql(statements).execute(&mut conn).await?;
        conn.close().await?;
        anyhow::Ok(())
    })
}

/// Makes the audit table refuse every row (`mend`: accept them again), to check that what must
/// be audited is refused when it cannot be.
pub fn audit_down(s: &Switch, down: bool) -> anyhow::Result<()> {
    sql(
        s,
        if down {
            "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log
             BEGIN SELECT RAISE(ABORT, 'audit store down'); END;"
        } else {
            "DROP TRIGGER audit_down;"
        },
    )
}
