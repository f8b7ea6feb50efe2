//! Queues and memberships stored by the HTTP API, on both backends: upsert replaces, removals
//! are kept as tombstones, deletes forget, bad JSON is refused, and queue changes go to the
//! audit log.

mod common;

use common::at;
use crm::{
    AuditAction, Crm, CrmError, NewAuditEntry, Role, StoredMemberships, StoredQueue,
    MAX_QUEUE_JSON_BYTES,
};

on_both_backends!(
    definitions_upsert_and_delete,
    memberships_replace,
    bad_definitions_are_refused,
    queue_changes_are_audited,
);

fn queue(name: &str, definition: Option<&str>, ms: i64) -> StoredQueue {
    StoredQueue {
        name: name.into(),
        definition: definition.map(Into::into),
        updated_at: at(ms),
        updated_by: "admin".into(),
    }
}

fn json_eq(a: &str, b: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(a).ok()
        == serde_json::from_str::<serde_json::Value>(b).ok()
}

async fn definitions_upsert_and_delete(crm: &Crm) -> anyhow::Result<()> {
    assert!(crm.queue_definitions().await?.is_empty());
    crm.upsert_queue_definition(&queue(
        "vip",
        Some(r#"{"name":"vip","number":"7100","strategy":"linear"}"#),
        0,
    ))
    .await?;
    crm.upsert_queue_definition(&queue("general", None, 5))
        .await?;
    crm.upsert_queue_definition(&queue(
        "vip",
        Some(r#"{"name":"vip","number":"7100","strategy":"ring-all","ring_timeout_s":9}"#),
        10,
    ))
    .await?;
    let all = crm.queue_definitions().await?;
    assert_eq!(all.len(), 2);
    assert_eq!(all[0], queue("general", None, 5), "a removal is kept");
    assert_eq!(all[1].name, "vip");
    assert_eq!(all[1].updated_at, at(10));
    let def = all[1].definition.as_deref().unwrap_or_default();
    assert!(
        json_eq(
            def,
            r#"{"name":"vip","number":"7100","strategy":"ring-all","ring_timeout_s":9}"#
        ),
        "replaced, not merged: {def}"
    );
    assert!(crm.delete_queue_definition("vip").await?);
    assert!(!crm.delete_queue_definition("vip").await?);
    assert_eq!(crm.queue_definitions().await?, [queue("general", None, 5)]);
    Ok(())
}

async fn memberships_replace(crm: &Crm) -> anyhow::Result<()> {
    let m = |queues: &str, ms: i64| StoredMemberships {
        agent_id: "alice".into(),
        queues: queues.into(),
        updated_at: at(ms),
        updated_by: "supervisor".into(),
    };
    crm.set_agent_memberships(&m(r#"[{"queue":"general","weight":0,"order":0}]"#, 0))
        .await?;
    crm.set_agent_memberships(&m(
        r#"[{"queue":"vip","weight":2,"order":1},{"queue":"general","weight":0,"order":2}]"#,
        7,
    ))
    .await?;
    let all = crm.agent_memberships().await?;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].updated_at, at(7));
    assert!(json_eq(
        &all[0].queues,
        r#"[{"queue":"vip","weight":2,"order":1},{"queue":"general","weight":0,"order":2}]"#
    ));
    crm.set_agent_memberships(&m("[]", 9)).await?;
    assert!(json_eq(&crm.agent_memberships().await?[0].queues, "[]"));
    Ok(())
}

async fn bad_definitions_are_refused(crm: &Crm) -> anyhow::Result<()> {
    for (q, field) in [
        (queue("q", Some("{not json"), 0), "definition"),
        (queue("q", Some("[1,2]"), 0), "definition"),
        (queue("", Some("{}"), 0), "name"),
        (queue(&"x".repeat(65), Some("{}"), 0), "name"),
    ] {
        match crm.upsert_queue_definition(&q).await {
            Err(CrmError::InvalidField { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{q:?}: {other:?}"),
        }
    }
    let big = format!(r#"{{"name":"{}"}}"#, "x".repeat(MAX_QUEUE_JSON_BYTES));
    assert!(matches!(
        crm.upsert_queue_definition(&queue("q", Some(&big), 0))
            .await,
        Err(CrmError::InvalidField {
            field: "definition",
            ..
        })
    ));
    let not_a_list = StoredMemberships {
        agent_id: "alice".into(),
        queues: r#"{"queue":"q"}"#.into(),
        updated_at: at(0),
        updated_by: "admin".into(),
    };
    assert!(matches!(
        crm.set_agent_memberships(&not_a_list).await,
        Err(CrmError::InvalidField {
            field: "queues",
            ..
        })
    ));
    assert!(crm.queue_definitions().await?.is_empty());
    assert!(crm.agent_memberships().await?.is_empty());
    Ok(())
}

async fn queue_changes_are_audited(crm: &Crm) -> anyhow::Result<()> {
    let actions = [
        (AuditAction::QueueCreate, "vip"),
        (AuditAction::QueueUpdate, "vip"),
        (AuditAction::AgentQueues, "alice"),
        (AuditAction::QueueDelete, "vip"),
        (AuditAction::RecordingPlay, "rec-1"),
        // Not a queue change, but the audit log of the same table (migration 0016).
        (AuditAction::AgentDial, "alice"),
    ];
    for (i, (action, object)) in actions.iter().enumerate() {
        crm.audit(&NewAuditEntry {
            at: at(i as i64),
            account: "admin".into(),
            role: Role::Supervisor,
            action: *action,
            object_id: (*object).into(),
            remote_addr: Some("127.0.0.1:5000".into()),
            detail: Some(r#"{"strategy":"linear"}"#.into()),
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
