//! The recordings repository through the public API, on both backends: the start/finish
//! lifecycle and its idempotency, crash recovery, retention by age and queue, deletion, and
//! refused input.

mod common;

use common::{at, start};
use crm::{
    CdrLink, Crm, CrmError, NewRecording, PausedSpan, RecordingDone, RecordingStatus,
    MAX_RECORDING_ERROR_CHARS,
};

on_both_backends!(
    start_then_finish_round_trip,
    starts_and_finishes_are_idempotent,
    open_recordings_are_recovered,
    retention_by_age_queue_and_limit,
    deletion_is_recorded_once,
    bad_input_is_refused_and_unknown_ids_are_typed,
);

fn new(id: &str, call: &str, ms: i64) -> NewRecording {
    NewRecording {
        id: id.into(),
        call_id: call.into(),
        path: format!("/var/lib/switchboard/rec/{id}.wav"),
        started_at: at(ms),
        sample_rate: 8000,
        channels: 2,
    }
}

fn done(id: &str, ended_ms: i64, status: RecordingStatus) -> RecordingDone {
    RecordingDone {
        id: id.into(),
        ended_at: at(ended_ms),
        duration_ms: 61_250,
        size_bytes: 1_960_044,
        sha256: Some("0f".repeat(32)),
        paused: vec![
            PausedSpan {
                offset_ms: 5_000,
                length_ms: 12_340,
            },
            PausedSpan {
                offset_ms: 30_000,
                length_ms: 1,
            },
        ],
        frames_dropped: 3,
        status,
        error: None,
    }
}

fn ids(rs: &[crm::Recording]) -> Vec<&str> {
    rs.iter().map(|r| r.id.as_str()).collect()
}

async fn start_then_finish_round_trip(crm: &Crm) -> anyhow::Result<()> {
    crm.recording_started(&new("r1", "call-1", 250)).await?;
    let open = crm.recording("r1").await?.expect("stored");
    assert_eq!(open.status, RecordingStatus::Recording);
    assert_eq!(
        (
            open.call_id.as_str(),
            open.started_at,
            open.sample_rate,
            open.channels
        ),
        ("call-1", at(250), 8000, 2)
    );
    assert_eq!(open.path, "/var/lib/switchboard/rec/r1.wav");
    assert_eq!(
        (open.ended_at, open.duration_ms, open.size_bytes),
        (None, None, None)
    );
    assert!(open.paused.is_empty() && open.sha256.is_none() && open.frames_dropped == 0);

    let mut d = done("r1", 61_500, RecordingStatus::Failed);
    d.error = Some("disk full".into());
    crm.recording_finished(&d).await?;
    let r = crm.recording("r1").await?.expect("stored");
    assert_eq!(r.status, RecordingStatus::Failed);
    assert_eq!(r.ended_at, Some(at(61_500)));
    assert_eq!(
        (r.duration_ms, r.size_bytes),
        (Some(61_250), Some(1_960_044))
    );
    assert_eq!(r.paused, d.paused);
    assert_eq!(r.sha256.as_deref(), Some("0f".repeat(32).as_str()));
    assert_eq!(
        (r.frames_dropped, r.error.as_deref()),
        (3, Some("disk full"))
    );
    assert_eq!((r.deleted_at, r.deleted_reason), (None, None));

    // Two recordings of one call (stopped and restarted), oldest first; other calls apart.
    crm.recording_started(&new("r3", "call-1", 90_000)).await?;
    crm.recording_started(&new("r2", "call-1", 70_000)).await?;
    crm.recording_started(&new("r9", "call-2", 0)).await?;
    assert_eq!(
        ids(&crm.recordings_of_call("call-1").await?),
        ["r1", "r2", "r3"]
    );
    assert!(crm.recordings_of_call("call-3").await?.is_empty());
    assert!(crm.recording("nope").await?.is_none());
    Ok(())
}

async fn starts_and_finishes_are_idempotent(crm: &Crm) -> anyhow::Result<()> {
    crm.recording_started(&new("r1", "call-1", 0)).await?;
    crm.recording_finished(&done("r1", 70_000, RecordingStatus::Complete))
        .await?;
    // A retried start changes nothing, not even the status.
    let mut again = new("r1", "call-other", 5);
    again.path = "/elsewhere.wav".into();
    crm.recording_started(&again).await?;
    let r = crm.recording("r1").await?.expect("stored");
    assert_eq!((r.call_id.as_str(), r.started_at), ("call-1", at(0)));
    assert_eq!(r.status, RecordingStatus::Complete);
    // A repeated end replaces the earlier one.
    let mut second = done("r1", 71_000, RecordingStatus::Complete);
    second.paused.clear();
    second.sha256 = None;
    crm.recording_finished(&second).await?;
    let r = crm.recording("r1").await?.expect("stored");
    assert_eq!(
        (r.ended_at, r.paused.len(), r.sha256),
        (Some(at(71_000)), 0, None)
    );
    assert_eq!(crm.recordings_of_call("call-1").await?.len(), 1);
    Ok(())
}

async fn open_recordings_are_recovered(crm: &Crm) -> anyhow::Result<()> {
    crm.recording_started(&new("late", "call-2", 2_000)).await?;
    crm.recording_started(&new("early", "call-1", 1_000))
        .await?;
    crm.recording_started(&new("done", "call-3", 0)).await?;
    crm.recording_finished(&done("done", 9_000, RecordingStatus::Complete))
        .await?;
    assert_eq!(ids(&crm.open_recordings().await?), ["early", "late"]);

    let mut repaired = done("early", 50_000, RecordingStatus::Recovered);
    repaired.sha256 = None;
    repaired.error = Some("header repaired after restart".into());
    crm.recording_finished(&repaired).await?;
    assert_eq!(ids(&crm.open_recordings().await?), ["late"]);
    let r = crm.recording("early").await?.expect("stored");
    assert_eq!(r.status, RecordingStatus::Recovered);
    assert_eq!(r.error.as_deref(), Some("header repaired after restart"));
    Ok(())
}

async fn retention_by_age_queue_and_limit(crm: &Crm) -> anyhow::Result<()> {
    // Calls: c1, c2 in "sales", c3 in "support", c4 never queued.
    for (call, queue) in [
        ("c1", Some("sales")),
        ("c2", Some("sales")),
        ("c3", Some("support")),
        ("c4", None),
    ] {
        crm.cdr_start(&start(call, 0)).await?;
        crm.cdr_link(&CdrLink {
            call_id: call.into(),
            queue: queue.map(Into::into),
            agent: None,
            customer_id: None,
            channel: None,
        })
        .await?;
    }
    let finished = [
        ("a", "c1", 10_000, RecordingStatus::Complete),
        ("b", "c2", 20_000, RecordingStatus::Recovered),
        ("c", "c3", 30_000, RecordingStatus::Failed),
        ("d", "c4", 40_000, RecordingStatus::Complete),
        ("e", "c1", 90_000, RecordingStatus::Complete),
    ];
    for (id, call, ended, status) in finished {
        crm.recording_started(&new(id, call, 0)).await?;
        crm.recording_finished(&done(id, ended, status)).await?;
    }
    crm.recording_started(&new("open", "c1", 0)).await?; // still recording: never listed
    crm.recording_started(&new("gone", "c2", 0)).await?;
    crm.recording_finished(&done("gone", 5_000, RecordingStatus::Complete))
        .await?;
    crm.mark_recording_deleted("gone", at(6_000), "retention")
        .await?;

    // Ended strictly before the cut-off, oldest first.
    assert_eq!(
        ids(&crm.recordings_older_than(at(40_000), None, 100).await?),
        ["a", "b", "c"]
    );
    assert_eq!(
        ids(&crm.recordings_older_than(at(40_001), None, 100).await?),
        ["a", "b", "c", "d"]
    );
    assert_eq!(
        ids(&crm.recordings_older_than(at(100_000), None, 2).await?),
        ["a", "b"]
    );
    assert!(crm
        .recordings_older_than(at(100_000), None, 0)
        .await?
        .is_empty());
    assert_eq!(
        ids(&crm
            .recordings_older_than(at(100_000), Some("sales"), 100)
            .await?),
        ["a", "b", "e"]
    );
    assert_eq!(
        ids(&crm
            .recordings_older_than(at(100_000), Some("support"), 100)
            .await?),
        ["c"]
    );
    assert!(crm
        .recordings_older_than(at(100_000), Some("billing"), 100)
        .await?
        .is_empty());

    // The caller's loop: delete, mark, ask again.
    for r in crm.recordings_older_than(at(25_000), None, 100).await? {
        crm.mark_recording_deleted(&r.id, at(200_000), "retention: 30 days")
            .await?;
    }
    assert_eq!(
        ids(&crm.recordings_older_than(at(100_000), None, 100).await?),
        ["c", "d", "e"]
    );
    Ok(())
}

async fn deletion_is_recorded_once(crm: &Crm) -> anyhow::Result<()> {
    crm.recording_started(&new("r1", "call-1", 0)).await?;
    crm.recording_finished(&done("r1", 1_000, RecordingStatus::Complete))
        .await?;
    crm.mark_recording_deleted("r1", at(5_000), "customer request")
        .await?;
    crm.mark_recording_deleted("r1", at(9_000), "retention")
        .await?;
    // A late end (a retried report) does not revive a deleted recording.
    crm.recording_finished(&done("r1", 2_000, RecordingStatus::Complete))
        .await?;
    let r = crm.recording("r1").await?.expect("row kept");
    assert_eq!(r.status, RecordingStatus::Deleted);
    assert_eq!(r.deleted_at, Some(at(5_000)));
    assert_eq!(r.deleted_reason.as_deref(), Some("customer request"));
    assert_eq!(r.ended_at, Some(at(1_000)));
    assert!(crm.open_recordings().await?.is_empty());
    Ok(())
}

async fn bad_input_is_refused_and_unknown_ids_are_typed(crm: &Crm) -> anyhow::Result<()> {
    let field = |r: Result<(), CrmError>| match r {
        Err(CrmError::InvalidField { field, .. }) => field,
        other => panic!("expected a field error, got {other:?}"),
    };
    assert_eq!(field(crm.recording_started(&new("", "c", 0)).await), "id");
    assert_eq!(
        field(crm.recording_started(&new(&"x".repeat(65), "c", 0)).await),
        "id"
    );
    assert_eq!(
        field(crm.recording_started(&new("r", "", 0)).await),
        "call_id"
    );
    let mut n = new("r", "c", 0);
    n.sample_rate = 0;
    assert_eq!(field(crm.recording_started(&n).await), "sample_rate");
    let mut n = new("r", "c", 0);
    n.path = "/tmp/a\nb.wav".into();
    assert_eq!(field(crm.recording_started(&n).await), "path");
    assert!(crm.recording("r").await?.is_none(), "nothing stored");

    crm.recording_started(&new("r", "c", 0)).await?;
    let mut d = done("r", 1_000, RecordingStatus::Deleted);
    assert_eq!(field(crm.recording_finished(&d).await), "status");
    d.status = RecordingStatus::Complete;
    d.size_bytes = -1;
    assert_eq!(field(crm.recording_finished(&d).await), "size_bytes");
    assert_eq!(
        field(crm.mark_recording_deleted("r", at(1), "").await),
        "reason"
    );
    let r = crm.recording("r").await?.expect("stored");
    assert_eq!(
        r.status,
        RecordingStatus::Recording,
        "refused writes changed nothing"
    );

    // An over-long error text is cut, not refused.
    let mut d = done("r", 1_000, RecordingStatus::Failed);
    d.error = Some("é".repeat(MAX_RECORDING_ERROR_CHARS * 2));
    crm.recording_finished(&d).await?;
    let r = crm.recording("r").await?.expect("stored");
    assert_eq!(
        r.error.map(|e| e.chars().count()),
        Some(MAX_RECORDING_ERROR_CHARS)
    );

    let unknown = crm
        .recording_finished(&done("missing", 1, RecordingStatus::Complete))
        .await;
    assert!(matches!(unknown, Err(CrmError::UnknownRecording(id)) if id == "missing"));
    let unknown = crm
        .mark_recording_deleted("missing", at(1), "retention")
        .await;
    assert!(matches!(unknown, Err(CrmError::UnknownRecording(id)) if id == "missing"));
    Ok(())
}
