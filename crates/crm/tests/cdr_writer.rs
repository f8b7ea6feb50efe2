//! The batching CDR writer, on both backends: volume, shutdown flush, bad events.

mod common;

use common::{answered_end, at, start};
use crm::{CdrEvent, CdrStart, CdrWriter, Crm, Disposition};

on_both_backends!(
    shutdown_flushes_5000_calls,
    writer_stops_when_every_sender_is_dropped,
    bad_events_are_counted_and_the_rest_written,
    repeated_events_in_one_batch_apply_once,
);

async fn shutdown_flushes_5000_calls(crm: &Crm) -> anyhow::Result<()> {
    const CALLS: i64 = 5_000;
    let (sender, task) = CdrWriter::spawn(crm.clone());
    let began = std::time::Instant::now();
    for i in 0..CALLS {
        let id = format!("bulk-{i:05}");
        let t0 = i * 10;
        sender.start(start(&id, t0))?;
        sender.answer(id.clone(), at(t0 + 1_000))?;
        sender.end(answered_end(&id, t0 + 1_000, t0 + 61_000))?;
    }
    let keep = sender.clone();
    let stats = task.shutdown().await?;
    println!(
        "{} wrote {CALLS} calls: {stats:?} in {:?}",
        crm.backend(),
        began.elapsed()
    );

    assert_eq!(stats.written, 3 * CALLS as u64);
    assert_eq!(stats.rejected, 0);
    // One transaction per batch, never one per event.
    assert!(
        stats.batches >= 30 && stats.batches < 3 * CALLS as u64 / 2,
        "{stats:?}"
    );

    let all = crm.recent_cdrs(CALLS as u32 + 10).await?;
    assert_eq!(all.len(), CALLS as usize);
    assert!(all.iter().all(|c| c.duration_s == Some(61)
        && c.billable_s == Some(60)
        && c.disposition == Some(Disposition::Answered)
        && c.legs.len() == 2));
    assert_eq!(all[0].call_id, "bulk-04999");

    // After shutdown the channel is closed: the event comes back instead of vanishing.
    let refused = keep.start(start("too-late", 0)).map_err(|e| *e.0);
    assert!(matches!(refused, Err(CdrEvent::Start(ref s)) if s.call_id == "too-late"));
    Ok(())
}

async fn writer_stops_when_every_sender_is_dropped(crm: &Crm) -> anyhow::Result<()> {
    let (sender, task) = CdrWriter::spawn(crm.clone());
    let other = sender.clone();
    sender.start(start("a", 0))?;
    other.end(answered_end("a", 100, 2_000))?;
    drop(sender);
    drop(other);
    let stats = task.shutdown().await?;
    assert_eq!((stats.written, stats.rejected), (2, 0));
    assert_eq!(crm.cdr("a").await?.and_then(|c| c.duration_s), Some(2));
    Ok(())
}

async fn bad_events_are_counted_and_the_rest_written(crm: &Crm) -> anyhow::Result<()> {
    let (sender, task) = CdrWriter::spawn(crm.clone());
    sender.start(start("good-1", 0))?;
    // Never applicable, but no database error: skipped inside the batch.
    sender.answer("ghost", at(10))?;
    // Refused by the schema (empty call id): forces the batch to be replayed event by event.
    sender.start(CdrStart {
        call_id: String::new(),
        ..start("x", 0)
    })?;
    sender.answer("good-1", at(500))?;
    sender.end(answered_end("good-1", 500, 3_000))?;
    sender.start(start("good-2", 100))?;
    let stats = task.shutdown().await?;

    assert_eq!((stats.written, stats.rejected), (4, 2), "{stats:?}");
    let good = crm
        .cdr("good-1")
        .await?
        .ok_or_else(|| anyhow::anyhow!("good-1 lost"))?;
    assert_eq!((good.duration_s, good.billable_s), (Some(3), Some(3)));
    assert!(crm.cdr("good-2").await?.is_some());
    assert_eq!(crm.cdr("ghost").await?, None);
    assert_eq!(crm.recent_cdrs(10).await?.len(), 2);
    Ok(())
}

async fn repeated_events_in_one_batch_apply_once(crm: &Crm) -> anyhow::Result<()> {
    let (sender, task) = CdrWriter::spawn(crm.clone());
    // An end before its start, then everything repeated, as a confused caller might send. The
    // legs agree with the answer event, so the result cannot depend on how batches are cut.
    for _ in 0..2 {
        sender.end(answered_end("dup", 1_500, 10_000))?;
        sender.start(start("dup", 0))?;
        sender.answer("dup", at(1_500))?;
    }
    sender.answer("dup", at(4_000))?;
    let stats = task.shutdown().await?;
    assert_eq!((stats.written, stats.rejected), (7, 0), "{stats:?}");

    let cdr = crm
        .cdr("dup")
        .await?
        .ok_or_else(|| anyhow::anyhow!("dup lost"))?;
    assert_eq!(cdr.legs, answered_end("dup", 1_500, 10_000).legs);
    assert_eq!(cdr.started_at, at(0));
    assert_eq!(cdr.caller_name.as_deref(), Some("Alice"));
    assert_eq!(cdr.answered_at, Some(at(1_500)));
    assert_eq!((cdr.duration_s, cdr.billable_s), (Some(10), Some(9)));
    Ok(())
}
