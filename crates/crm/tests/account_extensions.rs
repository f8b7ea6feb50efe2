//! Supervisors' and admins' monitoring extensions (`accounts.extension`, migration 0027) on
//! both backends: one account per extension whether the file or the API gave it, refused for
//! other roles, cleared through the API, and the file winning an extension at its sync.

mod common;

use common::at;
use crm::{AccountChange, Crm, CrmError, NewAccount, Role};

on_both_backends!(
    an_extension_is_one_accounts_and_can_be_cleared,
    the_files_sync_moves_and_takes_extensions,
);

fn account(name: &str, role: Role, extension: Option<&str>) -> NewAccount {
    NewAccount {
        username: name.into(),
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1${name}"),
        token_hash: None,
        role,
        agent_id: (role == Role::Agent).then(|| name.to_string()),
        extension: extension.map(Into::into),
    }
}

async fn extension_of(crm: &Crm, name: &str) -> anyhow::Result<Option<String>> {
    let a = crm.account_by_username(name).await?;
    Ok(a.and_then(|a| a.extension))
}

fn set(extension: Option<&str>) -> AccountChange {
    AccountChange {
        extension: Some(extension.map(Into::into)),
        ..AccountChange::default()
    }
}

async fn an_extension_is_one_accounts_and_can_be_cleared(crm: &Crm) -> anyhow::Result<()> {
    let file = [account("carol", Role::Supervisor, Some("2003"))];
    crm.sync_accounts(&file, at(0)).await?;
    assert_eq!(extension_of(crm, "carol").await?.as_deref(), Some("2003"));

    // The file's account holds 2003: an API account cannot have it.
    let taken = crm
        .create_account(&account("sue", Role::Supervisor, Some("2003")), at(1))
        .await;
    assert!(
        matches!(&taken, Err(CrmError::ExtensionTaken { account, .. }) if account == "carol"),
        "{taken:?}"
    );
    assert!(crm.account_by_username("sue").await?.is_none());
    let sue = crm
        .create_account(&account("sue", Role::Supervisor, Some("2004")), at(1))
        .await?;
    assert_eq!(sue.extension.as_deref(), Some("2004"));
    let root = crm
        .create_account(&account("root", Role::Admin, None), at(1))
        .await?;
    assert_eq!(root.extension, None, "NULLs do not collide");
    crm.create_account(&account("ann", Role::Admin, None), at(1))
        .await?;

    // Another API account, even a disabled one, keeps it.
    let off = AccountChange {
        disabled: Some(true),
        ..AccountChange::default()
    };
    crm.change_account("sue", &off, at(2)).await?;
    let r = crm.change_account("root", &set(Some("2004")), at(2)).await;
    assert!(
        matches!(&r, Err(CrmError::ExtensionTaken { account, .. }) if account == "sue"),
        "{r:?}"
    );

    // Only supervisors and admins: at creation, and a role change that keeps it.
    let qa = crm
        .create_account(&account("quinn", Role::Qa, Some("2005")), at(3))
        .await;
    assert!(
        matches!(
            &qa,
            Err(CrmError::InvalidField {
                field: "extension",
                ..
            })
        ),
        "{qa:?}"
    );
    let demote = AccountChange {
        role: Some((Role::Qa, None)),
        ..AccountChange::default()
    };
    let r = crm.change_account("sue", &demote, at(3)).await;
    assert!(
        matches!(
            &r,
            Err(CrmError::InvalidField {
                field: "extension",
                ..
            })
        ),
        "{r:?}"
    );
    // Cleared in the same change, the demotion goes through.
    let demote_and_clear = AccountChange {
        role: Some((Role::Qa, None)),
        extension: Some(None),
        ..AccountChange::default()
    };
    let done = crm
        .change_account("sue", &demote_and_clear, at(4))
        .await?
        .expect("sue");
    assert_eq!(
        (done.account.role, done.account.extension),
        (Role::Qa, None)
    );

    // Now free: root takes it; setting the same again is no conflict with itself.
    crm.change_account("root", &set(Some("2004")), at(5))
        .await?;
    let again = crm
        .change_account("root", &set(Some("2004")), at(6))
        .await?
        .expect("root");
    assert_eq!(again.account.extension.as_deref(), Some("2004"));
    // A change that does not name the extension keeps it.
    let untouched = crm
        .change_account("root", &AccountChange::default(), at(7))
        .await?
        .expect("root");
    assert_eq!(untouched.account.extension.as_deref(), Some("2004"));
    crm.change_account("root", &set(None), at(8)).await?;
    assert_eq!(extension_of(crm, "root").await?, None);
    let bad = crm.change_account("ann", &set(Some("")), at(8)).await;
    assert!(
        matches!(
            &bad,
            Err(CrmError::InvalidField {
                field: "extension",
                ..
            })
        ),
        "{bad:?}"
    );
    Ok(())
}

async fn the_files_sync_moves_and_takes_extensions(crm: &Crm) -> anyhow::Result<()> {
    let first = [
        account("carol", Role::Supervisor, Some("2003")),
        account("dave", Role::Admin, None),
    ];
    crm.sync_accounts(&first, at(0)).await?;
    crm.create_account(&account("sue", Role::Supervisor, Some("2009")), at(1))
        .await?;

    // 2003 moves from carol to dave, and the file now gives sue's 2009 to carol: the file
    // wins, sue loses it.
    let second = [
        account("carol", Role::Supervisor, Some("2009")),
        account("dave", Role::Admin, Some("2003")),
    ];
    let r = crm.sync_accounts(&second, at(2)).await?;
    assert_eq!(r.extensions_taken, 1);
    assert_eq!(extension_of(crm, "carol").await?.as_deref(), Some("2009"));
    assert_eq!(extension_of(crm, "dave").await?.as_deref(), Some("2003"));
    assert_eq!(extension_of(crm, "sue").await?, None);

    // dave leaves the file: disabled, and his phone is free again.
    let third = [account("carol", Role::Supervisor, Some("2009"))];
    let r = crm.sync_accounts(&third, at(3)).await?;
    assert_eq!((r.disabled, r.extensions_taken), (1, 0));
    assert_eq!(extension_of(crm, "dave").await?, None);
    crm.change_account("sue", &set(Some("2003")), at(4)).await?;
    assert_eq!(extension_of(crm, "sue").await?.as_deref(), Some("2003"));

    // The same extension twice in the file is refused before anything is written.
    let twice = [
        account("carol", Role::Supervisor, Some("2009")),
        account("erin", Role::Admin, Some("2009")),
    ];
    let r = crm.sync_accounts(&twice, at(5)).await;
    assert!(
        matches!(
            &r,
            Err(CrmError::InvalidField {
                field: "extension",
                ..
            })
        ),
        "{r:?}"
    );
    Ok(())
}
