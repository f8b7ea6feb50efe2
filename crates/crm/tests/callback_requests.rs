//! Callback requests on both backends: stored once, listed while open (oldest place first)
//! with their skills, closed once, and bad rows refused.

mod common;

use common::at;
use crm::{CallbackRequest, Crm, CrmError};

on_both_backends!(requests_stay_open_until_done, bad_requests_are_refused,);

fn request(call: &str, enqueued_ms: i64) -> CallbackRequest {
    CallbackRequest {
        call_id: call.into(),
        queue: "support".into(),
        number: "+82212345678".into(),
        priority: 120,
        skills: [("loans".to_string(), 4u8), ("ko".to_string(), 3u8)]
            .into_iter()
            .collect(),
        enqueued_at: at(enqueued_ms),
        requested_at: at(enqueued_ms + 30_000),
    }
}

async fn requests_stay_open_until_done(crm: &Crm) -> anyhow::Result<()> {
    let (late, early) = (request("c-late", 50_000), request("c-early", 10_000));
    crm.callback_requested(&late).await?;
    crm.callback_requested(&early).await?;
    // Asking twice (a replay) changes nothing.
    let mut again = early.clone();
    again.number = "999".into();
    crm.callback_requested(&again).await?;
    assert_eq!(
        crm.pending_callbacks().await?,
        [early.clone(), late.clone()]
    );

    assert!(
        crm.callback_done("c-early", at(90_000), "agent answered")
            .await?
    );
    assert!(
        !crm.callback_done("c-early", at(95_000), "again").await?,
        "closed once"
    );
    assert!(!crm.callback_done("nobody", at(95_000), "x").await?);
    assert_eq!(crm.pending_callbacks().await?, [late]);
    Ok(())
}

async fn bad_requests_are_refused(crm: &Crm) -> anyhow::Result<()> {
    let mut r = request("c1", 0);
    r.number = String::new();
    assert!(matches!(
        crm.callback_requested(&r).await,
        Err(CrmError::InvalidField {
            field: "number",
            ..
        })
    ));
    let mut r = request("c1", 0);
    r.queue = "q".repeat(65);
    assert!(matches!(
        crm.callback_requested(&r).await,
        Err(CrmError::InvalidField { field: "queue", .. })
    ));
    assert!(matches!(
        crm.callback_done("c1", at(0), &"x".repeat(65)).await,
        Err(CrmError::InvalidField {
            field: "outcome",
            ..
        })
    ));
    assert!(crm.pending_callbacks().await?.is_empty());
    Ok(())
}
