//! Trunks and DIDs stored by the HTTP API, on both backends: upsert replaces, removals are kept
//! as tombstones, deletes forget, bad JSON is refused, and changes go to the audit log.

mod common;

use common::at;
use crm::{AuditAction, Crm, CrmError, NewAuditEntry, Role, StoredDefinition};

on_both_backends!(
    trunks_and_dids_upsert_and_delete,
    bad_definitions_are_refused,
    trunk_changes_are_audited,
);

fn def(key: &str, json: Option<&str>, ms: i64) -> StoredDefinition {
    StoredDefinition {
        key: key.into(),
        definition: json.map(Into::into),
        updated_at: at(ms),
        updated_by: "admin".into(),
    }
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).expect("test JSON")
}

async fn trunks_and_dids_upsert_and_delete(crm: &Crm) -> anyhow::Result<()> {
    assert!(crm.trunk_definitions().await?.is_empty());
    crm.upsert_trunk_definition(&def(
        "carrier-a",
        Some(r#"{"name":"carrier-a","host":"192.0.2.1"}"#),
        0,
    ))
    .await?;
    crm.upsert_trunk_definition(&def("file-trunk", None, 1))
        .await?;
    crm.upsert_trunk_definition(&def(
        "carrier-a",
        Some(r#"{"name":"carrier-a","host":"sip.example.net","max_channels":30}"#),
        2,
    ))
    .await?;
    let all = crm.trunk_definitions().await?;
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].key, "carrier-a");
    assert_eq!(
        json(all[0].definition.as_deref().unwrap_or("null")),
        json(r#"{"name":"carrier-a","host":"sip.example.net","max_channels":30}"#)
    );
    assert_eq!(all[1], def("file-trunk", None, 1), "a removal is kept");

    crm.upsert_did_definition(&def(
        "+8215880000",
        Some(r#"{"number":"+8215880000","route":"1588"}"#),
        3,
    ))
    .await?;
    assert_eq!(crm.did_definitions().await?.len(), 1);
    assert!(crm.delete_did_definition("+8215880000").await?);
    assert!(!crm.delete_did_definition("+8215880000").await?);
    assert!(crm.did_definitions().await?.is_empty());
    assert!(crm.delete_trunk_definition("carrier-a").await?);
    assert_eq!(crm.trunk_definitions().await?, [def("file-trunk", None, 1)]);
    Ok(())
}

async fn bad_definitions_are_refused(crm: &Crm) -> anyhow::Result<()> {
    for bad in [
        def("t", Some("[1]"), 0),
        def("t", Some("{nope"), 0),
        def("", Some("{}"), 0),
    ] {
        assert!(
            matches!(
                crm.upsert_trunk_definition(&bad).await,
                Err(CrmError::InvalidField { .. })
            ),
            "{bad:?}"
        );
    }
    let long_did = "1".repeat(crm::MAX_DID_CHARS + 1);
    assert!(crm
        .upsert_did_definition(&def(&long_did, Some("{}"), 0))
        .await
        .is_err());
    assert!(crm.trunk_definitions().await?.is_empty());
    Ok(())
}

async fn trunk_changes_are_audited(crm: &Crm) -> anyhow::Result<()> {
    let actions = [
        (AuditAction::TrunkCreate, "carrier-a"),
        (AuditAction::TrunkUpdate, "carrier-a"),
        (AuditAction::TrunkDelete, "carrier-a"),
        (AuditAction::DidCreate, "+8215880000"),
        (AuditAction::DidUpdate, "+8215880000"),
        (AuditAction::DidDelete, "+8215880000"),
    ];
    for (i, (action, object)) in actions.iter().enumerate() {
        crm.audit(&NewAuditEntry {
            at: at(i as i64),
            account: "admin".into(),
            role: Role::Admin,
            action: *action,
            object_id: (*object).into(),
            remote_addr: Some("127.0.0.1:5000".into()),
            detail: None,
        })
        .await?;
    }
    let rows = crm.audit_between(at(0), at(100), 100).await?;
    let got: Vec<_> = rows
        .iter()
        .map(|r| (r.action, r.object_id.as_str()))
        .collect();
    assert_eq!(got, actions);
    Ok(())
}
