//! The stored queue visits (migration 0023) the queue report reads: written by the CDR writer
//! as events arrive, in any order and batching, they equal the visits recomputed from all the
//! raw events at once, on both backends; and a database written before 0023 gets them at
//! start-up.

mod common;

use common::acd::{secs, t, History};
use crm::{
    AgentStateName, CallChannel, CdrEvent, CdrWriter, Crm, Interval, OverflowReason,
    QueueEventKind, QueueReportRow, ReportQuery,
};

on_both_backends!(
    visits_written_piecemeal_equal_visits_from_all_events,
    consultations_change_no_counts,
);

/// A mixed Saturday morning, "support" unless noted:
///
/// | call | entered  | what happened                                                        |
/// |------|----------|----------------------------------------------------------------------|
/// | A    | 09:00:00 | abandon after 30 s                                                   |
/// | B    | 09:01:00 | short abandon after 2 s                                              |
/// | C    | 09:02:00 | sales: overflow max_wait after 60 s to support, answered there by ann, wait 70 (from sales), talk 100, wrap 20 |
/// | D    | 09:05:00 | web call; asks for a callback after 10 s, abandons after 15 s        |
/// | E    | 09:10:00 | sales: answered by bob, wait 5, talk 60, wrap 15; bob transfers it to support, answered by ann, wait 10, talk 30, no wrap |
/// | F    | 09:20:00 | refused: join_empty                                                  |
/// | G    | 09:30:00 | web call; exit key after 8 s                                         |
/// | H    | 09:40:00 | still waiting                                                        |
fn mixed() -> History {
    use AgentStateName::*;
    let mut h = History::default();
    let s = "support";
    let web = Some(CallChannel::Web);
    for (call, minute, channel) in [
        ("A", 0, None),
        ("B", 1, None),
        ("C", 2, None),
        ("D", 5, web),
        ("E", 10, None),
        ("F", 20, None),
        ("G", 30, web),
        ("H", 40, None),
    ] {
        h.cdr(t(1, 9, minute, 0), call, channel);
    }
    let abandon = |wait| QueueEventKind::Abandon {
        position: 1,
        wait: secs(wait),
    };
    h.left(t(1, 9, 0, 0), s, "A", 30, abandon(30));
    h.left(t(1, 9, 1, 0), s, "B", 2, abandon(2));

    let c_in = t(1, 9, 2, 0);
    h.q(c_in, "sales", "C", QueueEventKind::Enter { position: 1 });
    h.q(
        c_in + secs(60),
        "sales",
        "C",
        QueueEventKind::Overflow {
            reason: OverflowReason::MaxWait,
            target: Some(s.into()),
            wait: secs(60),
        },
    );
    h.q(
        c_in + secs(60),
        s,
        "C",
        QueueEventKind::Enter { position: 1 },
    );
    h.connect_and_complete(c_in, s, "C", "ann", 70, 100);
    h.state(c_in + secs(170), "ann", OnCall, WrapUp);
    h.state(c_in + secs(190), "ann", WrapUp, Available);

    let d_in = t(1, 9, 5, 0);
    h.q(d_in, s, "D", QueueEventKind::Enter { position: 1 });
    h.q(
        d_in + secs(10),
        s,
        "D",
        QueueEventKind::Callback {
            number: "0101234567".into(),
        },
    );
    h.q(d_in + secs(15), s, "D", abandon(15));

    let e_in = t(1, 9, 10, 0);
    h.q(e_in, "sales", "E", QueueEventKind::Enter { position: 1 });
    h.connect_and_complete(e_in, "sales", "E", "bob", 5, 60);
    h.state(e_in + secs(65), "bob", OnCall, WrapUp);
    h.state(e_in + secs(80), "bob", WrapUp, Available);
    h.q(
        e_in + secs(65),
        "sales",
        "E",
        QueueEventKind::Transfer { to_queue: s.into() },
    );
    h.q(
        e_in + secs(65),
        s,
        "E",
        QueueEventKind::Enter { position: 1 },
    );
    h.connect_and_complete(e_in + secs(65), s, "E", "ann", 10, 30);
    h.state(e_in + secs(105), "ann", OnCall, Available);

    h.q(
        t(1, 9, 20, 0),
        s,
        "F",
        QueueEventKind::Overflow {
            reason: OverflowReason::JoinEmpty,
            target: None,
            wait: secs(0),
        },
    );
    h.left(
        t(1, 9, 30, 0),
        s,
        "G",
        8,
        QueueEventKind::ExitKey {
            key: '0',
            wait: secs(8),
        },
    );
    h.q(
        t(1, 9, 40, 0),
        s,
        "H",
        QueueEventKind::Enter { position: 1 },
    );
    h
}

/// Writes `events` through a writer of its own (so they are committed apart from the others).
async fn write(crm: &Crm, events: &[CdrEvent]) -> anyhow::Result<()> {
    let (sender, task) = CdrWriter::spawn(crm.clone());
    for e in events {
        sender.send(e.clone())?;
    }
    let stats = task.shutdown().await?;
    assert_eq!(stats.rejected, 0, "{stats:?}");
    Ok(())
}

/// The reports compared: every queue by quarter hour, all together, and web calls.
async fn reports(crm: &Crm) -> anyhow::Result<Vec<Vec<QueueReportRow>>> {
    let window = ReportQuery::new(t(1, 0, 0, 0), t(2, 0, 0, 0));
    let mut out = Vec::new();
    for q in [
        window.clone(),
        ReportQuery {
            interval: Interval::Min15,
            ..window.clone()
        },
        ReportQuery {
            combine_queues: true,
            ..window.clone()
        },
        ReportQuery {
            channel: Some(CallChannel::Web),
            ..window.clone()
        },
    ] {
        out.push(crm.queue_report(&q).await?);
    }
    Ok(out)
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

/// Queue events written backwards, three per transaction, CDRs with them, the agents' state
/// changes afterwards two per transaction (so every wrap-up is found when the changes come,
/// not when the call's visit is written), one batch replayed: the visits then equal those
/// recomputed from all the events at once, and give the hand-counted report.
async fn visits_written_piecemeal_equal_visits_from_all_events(crm: &Crm) -> anyhow::Result<()> {
    let events = mixed().0;
    let (agents, calls): (Vec<CdrEvent>, Vec<CdrEvent>) = events
        .into_iter()
        .partition(|e| matches!(e, CdrEvent::Agent(_)));
    // CDR starts and links first (a link needs its CDR), then the queue events backwards.
    let (cdrs, mut queue): (Vec<CdrEvent>, Vec<CdrEvent>) = calls
        .into_iter()
        .partition(|e| matches!(e, CdrEvent::Start(_) | CdrEvent::Link(_)));
    write(crm, &cdrs).await?;
    queue.reverse();
    for chunk in queue.chunks(3) {
        write(crm, chunk).await?;
    }
    for chunk in agents.chunks(2) {
        write(crm, chunk).await?;
    }
    write(crm, &queue[..3]).await?;
    let piecemeal = reports(crm).await?;

    crm.rebuild_queue_visits().await?;
    let rebuilt = reports(crm).await?;
    assert_eq!(piecemeal, rebuilt);

    let total = &rebuilt[0];
    let s = total
        .iter()
        .find(|r| r.queue == "support")
        .ok_or_else(|| anyhow::anyhow!("no support row in {total:#?}"))?;
    // Offered A B C D E G H; answered C E; abandoned A B D, B short; F refused.
    assert_eq!(
        (s.offered, s.answered, s.abandoned, s.short_abandoned),
        (7, 2, 3, 1)
    );
    assert_eq!(
        (s.overflowed, s.exited, s.transferred, s.callbacks),
        (1, 1, 0, 1)
    );
    // Within 20 s: E (10); 1 / (2 + 3 - 1).
    assert_eq!(s.answered_within_sl, 1);
    assert!(close(s.service_level, 0.25), "{s:?}");
    assert!(close(s.asa_secs, 40.0), "{s:?}");
    // Talk (100 + 30) / 2, wraps (20 + 0) / 2, AHT (120 + 30) / 2.
    assert!(close(s.avg_talk_secs, 65.0), "{s:?}");
    assert!(close(s.avg_wrap_secs, 10.0), "{s:?}");
    assert!(close(s.aht_secs, 75.0), "{s:?}");
    assert!(close(s.max_wait_secs, 70.0), "{s:?}");
    assert!(close(s.avg_abandon_wait_secs, 47.0 / 3.0), "{s:?}");

    let sales = total
        .iter()
        .find(|r| r.queue == "sales")
        .ok_or_else(|| anyhow::anyhow!("no sales row in {total:#?}"))?;
    assert_eq!(
        (
            sales.offered,
            sales.answered,
            sales.overflowed,
            sales.transferred
        ),
        (2, 1, 1, 1)
    );
    assert!(close(sales.avg_wrap_secs, 15.0), "{sales:?}");
    assert!(close(sales.aht_secs, 75.0), "{sales:?}");
    assert!(close(sales.max_wait_secs, 60.0), "{sales:?}");

    // Web: D and G in support.
    let web = &rebuilt[3];
    assert_eq!(web.len(), 1, "{web:#?}");
    assert_eq!(
        (
            web[0].offered,
            web[0].abandoned,
            web[0].exited,
            web[0].callbacks
        ),
        (2, 1, 1, 1)
    );
    Ok(())
}

/// Two calls alike, one in "plain", the other in "consulted" where the agent consults twice
/// (once back to the caller, once ending in a conference and an attended transfer): the
/// consult events are stored and read back as written, and both queues' report rows are the
/// same but for the queue's name.
async fn consultations_change_no_counts(crm: &Crm) -> anyhow::Result<()> {
    let mut h = History::default();
    let at = t(3, 10, 0, 0);
    for (queue, call, agent) in [("plain", "P", "ann"), ("consulted", "Q", "cat")] {
        h.cdr(at, call, None);
        h.answered(at, queue, call, agent, 10, 100, 20);
    }
    let q = "consulted";
    let consult = |agent: &str, target: &str| QueueEventKind::ConsultStart {
        agent: agent.into(),
        target: target.into(),
    };
    let steps = [
        (30, consult("cat", "bob")),
        (
            50,
            QueueEventKind::ConsultEnd {
                agent: "cat".into(),
                target: "bob".into(),
                consult: secs(15),
            },
        ),
        (60, consult("cat", "+4930123")),
        (
            70,
            QueueEventKind::Conference {
                agent: "cat".into(),
                target: "+4930123".into(),
            },
        ),
        (
            110,
            QueueEventKind::AttendedTransfer {
                agent: "cat".into(),
                target: "+4930123".into(),
                consult: secs(45),
            },
        ),
    ];
    let mut written = Vec::new();
    for (s, kind) in steps {
        h.q(at + secs(s), q, "Q", kind);
        if let Some(CdrEvent::Queue(e)) = h.0.last() {
            written.push(e.clone());
        }
    }
    h.write(crm).await?;

    let stored = crm.queue_events("Q").await?;
    let consults: Vec<_> = stored
        .into_iter()
        .filter(|e| written.iter().any(|w| w.event_id == e.event_id))
        .collect();
    assert_eq!(consults, written);

    let rows = crm
        .queue_report(&ReportQuery::new(t(3, 0, 0, 0), t(4, 0, 0, 0)))
        .await?;
    let row = |name: &str| {
        rows.iter()
            .find(|r| r.queue == name)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("no {name} row in {rows:#?}"))
    };
    let (plain, consulted) = (row("plain")?, row(q)?);
    assert_eq!(
        (consulted.offered, consulted.answered, consulted.transferred),
        (1, 1, 0)
    );
    assert_eq!(
        QueueReportRow {
            queue: plain.queue.clone(),
            ..consulted
        },
        plain
    );
    Ok(())
}

/// A database whose events were written before migration 0023 (no visits, backfill pending)
/// gets its visits when it is opened, once.
#[tokio::test]
async fn visits_of_events_written_before_0023_are_computed_at_start() -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("crm-visits-{}", std::process::id()));
    let url = format!("sqlite://{}/crm.db", dir.display());
    let result = async {
        let crm = Crm::connect(&url).await?;
        let mut h = History::default();
        h.answered(t(1, 9, 0, 0), "support", "A", "ann", 10, 60, 20);
        h.write(&crm).await?;
        let query = ReportQuery::new(t(1, 0, 0, 0), t(2, 0, 0, 0));
        let before = crm.queue_report(&query).await?;
        assert_eq!(before.len(), 1);
        assert!(close(before[0].avg_wrap_secs, 20.0), "{before:?}");
        crm.close().await;

        // As before 0023: no visits; the migration leaves the backfill pending.
        common::as_before_migration(&url, &["queue_visits"], "queue_visits_backfill").await?;

        let crm = Crm::connect(&url).await?;
        assert_eq!(crm.queue_report(&query).await?, before);
        crm.close().await;
        // Opened again: the backfill does not run twice (the visits stay, once each).
        let crm = Crm::connect(&url).await?;
        assert_eq!(crm.queue_report(&query).await?, before);
        crm.close().await;
        anyhow::Ok(())
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}
