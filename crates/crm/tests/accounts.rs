//! Accounts, sessions and the audit log through the public API, on both backends: syncing the
//! configured accounts (update, disable, token moves, sessions ended on password change), the
//! idle expiry of sessions, and audit rows by time.

mod common;

use std::time::Duration;

use common::at;
use crm::{AuditAction, Crm, CrmError, NewAccount, NewAuditEntry, NewSession, Role, SessionLimits};

on_both_backends!(
    sync_inserts_updates_and_disables,
    tokens_move_between_accounts,
    sessions_expire_when_idle_and_end_on_password_change,
    sessions_end_at_their_lifetime_however_used,
    audit_rows_by_time,
    every_audit_action_is_stored_and_read_back,
    bad_input_is_refused,
);

fn hex(c: char) -> String {
    std::iter::repeat_n(c, 64).collect()
}

fn account(name: &str, role: Role, agent: Option<&str>, pw: &str) -> NewAccount {
    NewAccount {
        username: name.into(),
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1${pw}"),
        token_hash: None,
        role,
        agent_id: agent.map(Into::into),
        extension: None,
    }
}

fn session(token: char, account_id: i64, ms: i64) -> NewSession {
    NewSession {
        token_hash: hex(token),
        account_id,
        csrf_token: "c".repeat(43),
        created_at: at(ms),
    }
}

async fn sync_inserts_updates_and_disables(crm: &Crm) -> anyhow::Result<()> {
    let first = [
        account("admin", Role::Admin, None, "a"),
        account("alice", Role::Agent, Some("alice"), "b"),
    ];
    let r = crm.sync_accounts(&first, at(0)).await?;
    assert_eq!((r.upserted, r.disabled, r.sessions_ended), (2, 0, 0));
    let alice = crm.account_by_username("alice").await?.expect("alice");
    assert_eq!(alice.role, Role::Agent);
    assert_eq!(alice.agent_id.as_deref(), Some("alice"));
    assert!(!alice.disabled);
    assert_eq!(alice.created_at, at(0));

    // alice leaves the configuration, bob arrives, admin becomes a supervisor.
    let second = [
        account("admin", Role::Supervisor, None, "a"),
        account("bob", Role::Qa, None, "c"),
    ];
    let r = crm.sync_accounts(&second, at(1000)).await?;
    assert_eq!((r.upserted, r.disabled), (2, 1));
    let all = crm.accounts().await?;
    let names: Vec<_> = all
        .iter()
        .map(|a| (a.username.as_str(), a.role, a.disabled))
        .collect();
    assert_eq!(
        names,
        [
            ("admin", Role::Supervisor, false),
            ("alice", Role::Agent, true),
            ("bob", Role::Qa, false)
        ]
    );
    let admin = &all[0];
    assert_eq!((admin.created_at, admin.updated_at), (at(0), at(1000)));

    // Back in the configuration: enabled again, same id.
    crm.sync_accounts(&first, at(2000)).await?;
    let again = crm.account_by_username("alice").await?.expect("alice");
    assert!(!again.disabled);
    assert_eq!(again.id, alice.id);
    Ok(())
}

async fn tokens_move_between_accounts(crm: &Crm) -> anyhow::Result<()> {
    let mut a = account("prom", Role::Supervisor, None, "a");
    a.token_hash = Some(hex('a'));
    let b = account("ops", Role::Admin, None, "b");
    crm.sync_accounts(&[a.clone(), b.clone()], at(0)).await?;
    let found = crm.account_by_token_hash(&hex('a')).await?.expect("token");
    assert_eq!(found.username, "prom");
    assert!(crm.account_by_token_hash(&hex('b')).await?.is_none());

    // Its use is recorded like a session's last_seen: never backwards.
    assert_eq!(found.token_last_used_at, None);
    crm.token_used(&hex('a'), at(5)).await?;
    crm.token_used(&hex('a'), at(3)).await?;
    let used = crm.account_by_token_hash(&hex('a')).await?.expect("token");
    assert_eq!(used.token_last_used_at, Some(at(5)));
    // The same token configured again keeps its history.
    crm.sync_accounts(&[a.clone(), b.clone()], at(6)).await?;
    let kept = crm.account_by_username("prom").await?.expect("prom");
    assert_eq!(kept.token_last_used_at, Some(at(5)));

    // The same token now belongs to `ops`: no unique-index clash, `prom` lost it.
    let mut a2 = a.clone();
    a2.token_hash = None;
    let mut b2 = b.clone();
    b2.token_hash = Some(hex('a'));
    crm.sync_accounts(&[a2, b2], at(10)).await?;
    let found = crm.account_by_token_hash(&hex('a')).await?.expect("token");
    assert_eq!(found.username, "ops");
    assert_eq!(found.token_last_used_at, None, "a new token has no use yet");
    let prom = crm.account_by_username("prom").await?.expect("prom");
    assert_eq!(
        prom.token_last_used_at, None,
        "the use went with the old token"
    );

    // A disabled account's token is refused.
    crm.sync_accounts(&[a], at(20)).await?;
    assert!(crm.account_by_token_hash(&hex('a')).await?.is_some());
    crm.sync_accounts(&[], at(30)).await?;
    assert!(crm.account_by_token_hash(&hex('a')).await?.is_none());
    Ok(())
}

async fn sessions_expire_when_idle_and_end_on_password_change(crm: &Crm) -> anyhow::Result<()> {
    let accounts = [
        account("qa1", Role::Qa, None, "a"),
        account("sup", Role::Supervisor, None, "b"),
    ];
    crm.sync_accounts(&accounts, at(0)).await?;
    let qa = crm.account_by_username("qa1").await?.expect("qa1");
    let sup = crm.account_by_username("sup").await?.expect("sup");
    crm.create_session(&session('1', qa.id, 0)).await?;
    crm.create_session(&session('2', sup.id, 0)).await?;
    let idle = SessionLimits {
        idle: Duration::from_secs(60),
        lifetime: Duration::from_secs(3600),
    };

    // Used at 50 s: still valid, and that use moves the idle window.
    let s = crm
        .session(&hex('1'), at(50_000), idle)
        .await?
        .expect("valid");
    assert_eq!(s.account.username, "qa1");
    assert_eq!(s.last_seen, at(0));
    assert_eq!(s.csrf_token.len(), 43);
    let s = crm
        .session(&hex('1'), at(100_000), idle)
        .await?
        .expect("still valid");
    assert_eq!(s.last_seen, at(50_000));
    // Idle for 61 s: gone.
    assert!(crm.session(&hex('1'), at(161_000), idle).await?.is_none());
    assert_eq!(crm.purge_sessions(at(161_000), idle).await?, 2);

    // A password change ends the account's sessions; an unchanged one keeps them.
    crm.create_session(&session('3', qa.id, 200_000)).await?;
    crm.create_session(&session('4', sup.id, 200_000)).await?;
    let changed = [
        account("qa1", Role::Qa, None, "new"),
        account("sup", Role::Supervisor, None, "b"),
    ];
    let r = crm.sync_accounts(&changed, at(201_000)).await?;
    assert_eq!(r.sessions_ended, 1);
    assert!(crm.session(&hex('3'), at(202_000), idle).await?.is_none());
    assert!(crm.session(&hex('4'), at(202_000), idle).await?.is_some());

    // Logout.
    assert!(crm.delete_session(&hex('4')).await?);
    assert!(!crm.delete_session(&hex('4')).await?);
    assert!(crm.session(&hex('4'), at(202_000), idle).await?.is_none());

    // Disabling the account ends its sessions too.
    crm.create_session(&session('5', sup.id, 300_000)).await?;
    let r = crm.sync_accounts(&changed[..1], at(300_001)).await?;
    assert_eq!((r.disabled, r.sessions_ended), (1, 1));
    assert!(crm.session(&hex('5'), at(300_002), idle).await?.is_none());
    Ok(())
}

/// Regression: a session kept in use never ended (only idleness did), and nothing purged
/// expired ones.
async fn sessions_end_at_their_lifetime_however_used(crm: &Crm) -> anyhow::Result<()> {
    crm.sync_accounts(&[account("qa2", Role::Qa, None, "a")], at(0))
        .await?;
    let qa = crm.account_by_username("qa2").await?.expect("qa2");
    crm.create_session(&session('6', qa.id, 0)).await?;
    crm.create_session(&session('7', qa.id, 3_580_000)).await?;
    let limits = SessionLimits {
        idle: Duration::from_secs(60),
        lifetime: Duration::from_secs(3600),
    };
    // Used every 50 s for an hour: valid until its lifetime ends, however busy.
    let mut ms = 50_000;
    while ms < 3_600_000 {
        assert!(
            crm.session(&hex('6'), at(ms), limits).await?.is_some(),
            "{ms}"
        );
        ms += 50_000;
    }
    assert!(crm
        .session(&hex('6'), at(3_600_001), limits)
        .await?
        .is_none());
    assert!(crm
        .session(&hex('7'), at(3_590_000), limits)
        .await?
        .is_some());
    // The purge takes the old one and leaves the young one.
    assert_eq!(crm.purge_sessions(at(3_600_001), limits).await?, 1);
    assert!(crm
        .session(&hex('7'), at(3_600_002), limits)
        .await?
        .is_some());
    Ok(())
}

fn entry(ms: i64, action: AuditAction, object: &str) -> NewAuditEntry {
    NewAuditEntry {
        at: at(ms),
        account: "qa1".into(),
        role: Role::Qa,
        action,
        object_id: object.into(),
        remote_addr: Some("127.0.0.1:40000".into()),
        detail: Some("bytes 0-99/100".into()),
    }
}

async fn audit_rows_by_time(crm: &Crm) -> anyhow::Result<()> {
    let a = crm
        .audit(&entry(1000, AuditAction::RecordingPlay, "r1"))
        .await?;
    let b = crm
        .audit(&entry(2000, AuditAction::RecordingDownload, "r2"))
        .await?;
    crm.audit(&entry(3000, AuditAction::RecordingPlay, "r3"))
        .await?;
    assert!(b > a);
    let rows = crm.audit_between(at(1000), at(3000), 100).await?;
    assert_eq!(rows.len(), 2, "from is inclusive, to exclusive");
    assert_eq!(rows[0].object_id, "r1");
    assert_eq!(rows[0].action, AuditAction::RecordingPlay);
    assert_eq!(rows[1].action, AuditAction::RecordingDownload);
    assert_eq!(rows[1].at, at(2000));
    assert_eq!(rows[1].role, Role::Qa);
    assert_eq!(rows[1].remote_addr.as_deref(), Some("127.0.0.1:40000"));
    assert_eq!(crm.audit_between(at(0), at(10_000), 1).await?.len(), 1);
    Ok(())
}

async fn every_audit_action_is_stored_and_read_back(crm: &Crm) -> anyhow::Result<()> {
    for (i, action) in AuditAction::ALL.into_iter().enumerate() {
        let ms = i64::try_from(i)? * 10;
        crm.audit(&entry(ms, action, action.as_str())).await?;
    }
    let rows = crm.audit_between(at(0), at(1_000_000), 1000).await?;
    let read: Vec<AuditAction> = rows.iter().map(|r| r.action).collect();
    assert_eq!(read, AuditAction::ALL.to_vec());
    Ok(())
}

async fn bad_input_is_refused(crm: &Crm) -> anyhow::Result<()> {
    fn field<T: std::fmt::Debug>(r: Result<T, CrmError>) -> &'static str {
        match r {
            Err(CrmError::InvalidField { field, .. }) => field,
            other => panic!("expected InvalidField, got {other:?}"),
        }
    }
    let agent_without_id = account("x", Role::Agent, None, "a");
    assert_eq!(
        field(crm.sync_accounts(&[agent_without_id], at(0)).await),
        "agent_id"
    );
    let admin_with_agent = account("x", Role::Admin, Some("alice"), "a");
    assert_eq!(
        field(crm.sync_accounts(&[admin_with_agent], at(0)).await),
        "agent_id"
    );
    let upper = account("Admin", Role::Admin, None, "a");
    assert_eq!(field(crm.sync_accounts(&[upper], at(0)).await), "username");
    let twice = account("a", Role::Admin, None, "a");
    assert_eq!(
        field(crm.sync_accounts(&[twice.clone(), twice], at(0)).await),
        "username"
    );
    let mut bad_token = account("t", Role::Admin, None, "a");
    bad_token.token_hash = Some("XYZ".into());
    assert_eq!(
        field(crm.sync_accounts(&[bad_token], at(0)).await),
        "token_hash"
    );
    assert!(crm.accounts().await?.is_empty(), "nothing was written");
    let mut short_csrf = session('1', 1, 0);
    short_csrf.csrf_token = "short".into();
    assert_eq!(field(crm.create_session(&short_csrf).await), "csrf_token");
    let mut long_detail = entry(0, AuditAction::RecordingPlay, "r");
    long_detail.detail = Some("d".repeat(1001));
    assert_eq!(field(crm.audit(&long_detail).await), "detail");
    Ok(())
}
