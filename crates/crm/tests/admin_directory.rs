//! What the admin API stores, on both backends: extensions and agents (upsert, removal
//! tombstones, delete), and accounts created through the API — changed, disabled (ending their
//! sessions) and left alone by the start-up sync of the configured accounts.

mod common;

use common::at;
use crm::{
    AccountChange, AuditAction, Crm, CrmError, Directory, NewAccount, NewAuditEntry, NewSession,
    Role, SessionLimits, StoredEntry,
};
use std::time::Duration;

on_both_backends!(
    directory_entries_upsert_and_delete,
    api_accounts_change_and_survive_the_sync,
    admin_changes_are_audited,
);

fn entry(key: &str, definition: Option<&str>, ms: i64) -> StoredEntry {
    StoredEntry {
        key: key.into(),
        definition: definition.map(Into::into),
        updated_at: at(ms),
        updated_by: "admin".into(),
    }
}

async fn directory_entries_upsert_and_delete(crm: &Crm) -> anyhow::Result<()> {
    let users = Directory::Users;
    crm.upsert_directory_entry(users, &entry("2001", Some(r#"{"extension":"2001"}"#), 0))
        .await?;
    crm.upsert_directory_entry(users, &entry("1001", None, 1))
        .await?;
    crm.upsert_directory_entry(
        users,
        &entry("2001", Some(r#"{"extension":"2001","name":"Kim"}"#), 2),
    )
    .await?;
    let rows = crm.directory(users).await?;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].key, "1001");
    assert_eq!(rows[0].definition, None, "a removal tombstone");
    let def: serde_json::Value =
        serde_json::from_str(rows[1].definition.as_deref().unwrap_or("null"))?;
    assert_eq!(def["name"], "Kim");
    assert_eq!(rows[1].updated_at, at(2));
    assert!(
        crm.directory(Directory::Agents).await?.is_empty(),
        "tables apart"
    );
    assert!(crm.delete_directory_entry(users, "2001").await?);
    assert!(!crm.delete_directory_entry(users, "2001").await?);
    let bad = crm
        .upsert_directory_entry(users, &entry("x", Some("[1]"), 3))
        .await;
    assert!(matches!(
        bad,
        Err(CrmError::InvalidField {
            field: "definition",
            ..
        })
    ));
    Ok(())
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

async fn api_accounts_change_and_survive_the_sync(crm: &Crm) -> anyhow::Result<()> {
    crm.sync_accounts(&[account("admin", Role::Admin, None, "a")], at(0))
        .await?;
    let sup = crm
        .create_account(&account("sue", Role::Supervisor, None, "s"), at(1))
        .await?;
    assert!(sup.managed_by_api && !sup.disabled);
    let again = crm
        .create_account(&account("sue", Role::Qa, None, "x"), at(2))
        .await;
    assert!(
        matches!(again, Err(CrmError::AccountExists(_))),
        "{again:?}"
    );
    let file = crm
        .change_account("admin", &AccountChange::default(), at(2))
        .await;
    assert!(
        matches!(file, Err(CrmError::AccountFromFile(_))),
        "{file:?}"
    );
    assert!(crm
        .change_account("nobody", &AccountChange::default(), at(2))
        .await?
        .is_none());

    // A restart's sync of the configured accounts leaves the API's alone.
    let r = crm
        .sync_accounts(&[account("admin", Role::Admin, None, "a")], at(3))
        .await?;
    assert_eq!(r.disabled, 0);
    let limits = SessionLimits {
        idle: Duration::from_secs(3600),
        lifetime: Duration::from_secs(36000),
    };
    let token = "e".repeat(64);
    crm.create_session(&NewSession {
        token_hash: token.clone(),
        account_id: sup.id,
        csrf_token: "c".repeat(43),
        created_at: at(4),
    })
    .await?;
    assert!(crm.session(&token, at(5), limits).await?.is_some());

    // A role change keeps the session; the role must fit its agent id.
    let role = AccountChange {
        role: Some((Role::Agent, None)),
        ..Default::default()
    };
    let bad = crm.change_account("sue", &role, at(6)).await;
    assert!(matches!(
        bad,
        Err(CrmError::InvalidField {
            field: "agent_id",
            ..
        })
    ));
    let role = AccountChange {
        role: Some((Role::Qa, None)),
        ..Default::default()
    };
    let changed = crm.change_account("sue", &role, at(6)).await?.expect("sue");
    assert_eq!(
        (changed.account.role, changed.sessions_ended),
        (Role::Qa, 0)
    );
    assert!(crm.session(&token, at(7), limits).await?.is_some());

    // Disabling ends the session, and the account stays disabled until enabled.
    let off = AccountChange {
        disabled: Some(true),
        ..Default::default()
    };
    let changed = crm.change_account("sue", &off, at(8)).await?.expect("sue");
    assert!(changed.account.disabled);
    assert_eq!(changed.sessions_ended, 1);
    assert!(crm.session(&token, at(9), limits).await?.is_none());
    let on = AccountChange {
        disabled: Some(false),
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$new".into()),
        ..Default::default()
    };
    let changed = crm.change_account("sue", &on, at(10)).await?.expect("sue");
    assert!(!changed.account.disabled);
    assert!(changed.account.password_hash.ends_with("$new"));
    Ok(())
}

async fn admin_changes_are_audited(crm: &Crm) -> anyhow::Result<()> {
    for (i, action) in [
        AuditAction::UserCreate,
        AuditAction::UserUpdate,
        AuditAction::UserDelete,
        AuditAction::AgentCreate,
        AuditAction::AgentUpdate,
        AuditAction::AgentDelete,
        AuditAction::AccountCreate,
        AuditAction::AccountUpdate,
        AuditAction::AccountPassword,
    ]
    .into_iter()
    .enumerate()
    {
        crm.audit(&NewAuditEntry {
            at: at(i as i64),
            account: "admin".into(),
            role: Role::Admin,
            action,
            object_id: "2001".into(),
            remote_addr: None,
            detail: None,
        })
        .await?;
    }
    let rows = crm.audit_between(at(0), at(100), 100).await?;
    assert_eq!(rows.len(), 9);
    assert_eq!(rows[8].action, AuditAction::AccountPassword);
    Ok(())
}
