//! Queue messages through the public API, on both backends: a recording marked as a message is
//! listed for its queue (newest first, with the recording's length once it ends), repeats are
//! harmless, other queues see nothing, and bad input is refused.

mod common;

use common::at;
use crm::{Crm, CrmError, NewQueueMessage, NewRecording, RecordingDone, RecordingStatus};

on_both_backends!(messages_are_listed_per_queue, bad_input_is_refused);

fn recording(id: &str, call: &str, ms: i64) -> NewRecording {
    NewRecording {
        id: id.into(),
        call_id: call.into(),
        path: format!("/var/lib/switchboard/rec/{id}.wav"),
        started_at: at(ms),
        sample_rate: 8000,
        channels: 2,
    }
}

fn message(id: &str, call: &str, queue: &str, caller: &str, ms: i64) -> NewQueueMessage {
    NewQueueMessage {
        recording_id: id.into(),
        call_id: call.into(),
        queue: queue.into(),
        caller: caller.into(),
        left_at: at(ms),
    }
}

async fn messages_are_listed_per_queue(crm: &Crm) -> anyhow::Result<()> {
    crm.recording_started(&recording("r1", "c1", 0)).await?;
    crm.queue_message_left(&message("r1", "c1", "support", "1001", 0))
        .await?;
    crm.recording_finished(&RecordingDone {
        id: "r1".into(),
        ended_at: at(14_500),
        duration_ms: 14_480,
        size_bytes: 231_724,
        sha256: None,
        paused: Vec::new(),
        frames_dropped: 0,
        status: RecordingStatus::Complete,
        error: None,
    })
    .await?;
    crm.recording_started(&recording("r2", "c2", 60_000))
        .await?;
    crm.queue_message_left(&message("r2", "c2", "support", "+821012345678", 60_000))
        .await?;
    // A repeat is ignored.
    crm.queue_message_left(&message("r2", "c2", "support", "+821012345678", 60_000))
        .await?;
    crm.queue_message_left(&message("r3", "c3", "loans", "1002", 1_000))
        .await?;

    let list = crm.queue_messages("support", 100).await?;
    let ids: Vec<&str> = list.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["r2", "r1"], "newest first");
    assert_eq!(list[1].duration_ms, Some(14_480));
    assert_eq!(list[1].status, Some(RecordingStatus::Complete));
    assert_eq!(list[1].caller, "1001");
    assert_eq!(list[1].left_at, at(0));
    assert_eq!(list[0].duration_ms, None, "still recording");
    assert_eq!(list[0].status, Some(RecordingStatus::Recording));
    assert_eq!(crm.queue_messages("support", 1).await?.len(), 1);
    // A message whose recording row is missing is still listed.
    let loans = crm.queue_messages("loans", 10).await?;
    assert_eq!(loans.len(), 1);
    assert_eq!(loans[0].status, None);
    assert!(crm.queue_messages("sales", 10).await?.is_empty());
    Ok(())
}

async fn bad_input_is_refused(crm: &Crm) -> anyhow::Result<()> {
    for bad in [
        message("", "c", "q", "1001", 0),
        message("r", "", "q", "1001", 0),
        message("r", "c", "", "1001", 0),
        message("r", "c", "q", "10\n01", 0),
        message("r", "c", &"q".repeat(101), "1001", 0),
    ] {
        let err = crm.queue_message_left(&bad).await.unwrap_err();
        assert!(matches!(err, CrmError::InvalidField { .. }), "{err:?}");
    }
    for limit in [0, crm::MAX_MESSAGES_PAGE + 1] {
        let err = crm.queue_messages("q", limit).await.unwrap_err();
        assert!(matches!(err, CrmError::InvalidField { .. }), "{err:?}");
    }
    Ok(())
}
