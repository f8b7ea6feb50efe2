//! The trunk columns of CDRs (issue 16), on both backends: set directly and through the
//! batching writer, replaced by a failover's later event, read back, refused for an unknown call.

mod common;

use common::{answered_end, start};
use crm::{CallDirection, CdrEvent, CdrTrunk, CdrWriter, Crm, CrmError};

on_both_backends!(
    inbound_trunk_call_reads_back,
    failover_replaces_the_trunk_and_keeps_the_did,
    trunk_for_an_unknown_call_is_refused,
    calls_between_extensions_have_no_trunk,
);

fn inbound(call_id: &str) -> CdrTrunk {
    CdrTrunk {
        call_id: call_id.into(),
        direction: CallDirection::Inbound,
        trunk: "carrier-a".into(),
        did: Some("+8215880000".into()),
        caller_id: None,
        dialled: None,
    }
}

async fn inbound_trunk_call_reads_back(crm: &Crm) -> anyhow::Result<()> {
    crm.cdr_start(&start("in-1", 0)).await?;
    crm.cdr_trunk(&inbound("in-1")).await?;
    crm.cdr_end(&answered_end("in-1", 1_000, 9_000)).await?;
    let cdr = crm.cdr("in-1").await?.expect("stored");
    assert_eq!(cdr.direction, Some(CallDirection::Inbound));
    assert_eq!(cdr.trunk.as_deref(), Some("carrier-a"));
    assert_eq!(cdr.did.as_deref(), Some("+8215880000"));
    assert_eq!((&cdr.caller_id, &cdr.dialled), (&None, &None));
    let json = serde_json::to_value(&cdr)?;
    assert_eq!(json["direction"], "inbound");
    assert_eq!(json["trunk"], "carrier-a");
    let recent = crm.recent_cdrs(5).await?;
    assert_eq!(recent[0].trunk.as_deref(), Some("carrier-a"));
    Ok(())
}

async fn failover_replaces_the_trunk_and_keeps_the_did(crm: &Crm) -> anyhow::Result<()> {
    let (sender, task) = CdrWriter::spawn(crm.clone());
    let out = |trunk: &str, dialled: &str, did: Option<&str>| CdrTrunk {
        call_id: "out-1".into(),
        direction: CallDirection::Outbound,
        trunk: trunk.into(),
        did: did.map(Into::into),
        caller_id: Some("+8215880000".into()),
        dialled: Some(dialled.into()),
    };
    sender.send(CdrEvent::Start(start("out-1", 0)))?;
    sender.send(CdrEvent::Trunk(out(
        "carrier-a",
        "0212345678",
        Some("+8215881111"),
    )))?;
    sender.send(CdrEvent::Trunk(out("carrier-b", "+82212345678", None)))?;
    let stats = task.shutdown().await?;
    assert_eq!(stats.rejected, 0, "{stats:?}");
    let cdr = crm.cdr("out-1").await?.expect("stored");
    assert_eq!(cdr.direction, Some(CallDirection::Outbound));
    assert_eq!(cdr.trunk.as_deref(), Some("carrier-b"));
    assert_eq!(cdr.dialled.as_deref(), Some("+82212345678"));
    assert_eq!(cdr.caller_id.as_deref(), Some("+8215880000"));
    assert_eq!(cdr.did.as_deref(), Some("+8215881111"));
    // The same again in two transactions: a later event alone replaces too.
    crm.cdr_trunk(&out("carrier-c", "0299999999", None)).await?;
    let cdr = crm.cdr("out-1").await?.expect("stored");
    assert_eq!(cdr.trunk.as_deref(), Some("carrier-c"));
    assert_eq!(cdr.did.as_deref(), Some("+8215881111"));
    Ok(())
}

async fn trunk_for_an_unknown_call_is_refused(crm: &Crm) -> anyhow::Result<()> {
    match crm.cdr_trunk(&inbound("ghost")).await {
        Err(CrmError::UnknownCall(id)) => assert_eq!(id, "ghost"),
        other => panic!("expected UnknownCall, got {other:?}"),
    }
    let mut long = inbound("ghost");
    long.trunk = "x".repeat(crm::MAX_TRUNK_NAME_CHARS + 1);
    assert!(matches!(
        crm.cdr_trunk(&long).await,
        Err(CrmError::InvalidField { field: "trunk", .. })
    ));
    Ok(())
}

async fn calls_between_extensions_have_no_trunk(crm: &Crm) -> anyhow::Result<()> {
    crm.cdr_start(&start("ext-1", 0)).await?;
    let cdr = crm.cdr("ext-1").await?.expect("stored");
    assert_eq!((cdr.direction, cdr.trunk, cdr.did), (None, None, None));
    Ok(())
}
