//! ACD history through the batching writer, on both backends: queue and agent events read back,
//! replays stored once, CDR links.

mod common;

use std::time::Duration;

use common::{answered_end, at, start};
use crm::{
    AgentEventKind, AgentEventRecord, AgentStateName, CdrEvent, CdrLink, CdrWriter, Crm, CrmError,
    EndedBy, NewCustomer, OverflowReason, QueueEventKind, QueueEventRecord,
};

on_both_backends!(
    queue_and_agent_events_read_back_in_order,
    replayed_events_are_stored_once,
    links_set_only_the_given_columns,
    links_for_unknown_calls_or_customers_are_rejected,
    every_overflow_reason_is_stored,
);

fn qe(id: &str, ms: i64, queue: &str, call: &str, kind: QueueEventKind) -> QueueEventRecord {
    QueueEventRecord {
        event_id: id.into(),
        at: at(ms),
        queue: queue.into(),
        call_id: call.into(),
        kind,
    }
}

fn ae(id: &str, ms: i64, agent: &str, kind: AgentEventKind) -> AgentEventRecord {
    AgentEventRecord {
        event_id: id.into(),
        at: at(ms),
        agent: agent.into(),
        kind,
    }
}

fn state(from: AgentStateName, to: AgentStateName) -> AgentEventKind {
    AgentEventKind::State { from, to }
}

/// A call's full life in "support", then a second call that tries every other kind.
fn sample_queue_events() -> Vec<QueueEventRecord> {
    let ms = Duration::from_millis;
    vec![
        qe(
            "q1",
            0,
            "support",
            "c1",
            QueueEventKind::Enter { position: 1 },
        ),
        qe(
            "q2",
            0,
            "support",
            "c1",
            QueueEventKind::Ring {
                agent: "ann".into(),
            },
        ),
        qe(
            "q3",
            15_000,
            "support",
            "c1",
            QueueEventKind::RingNoAnswer {
                agent: "ann".into(),
                rang: ms(15_000),
            },
        ),
        qe(
            "q4",
            15_000,
            "support",
            "c1",
            QueueEventKind::Ring {
                agent: "bob".into(),
            },
        ),
        qe(
            "q5",
            18_250,
            "support",
            "c1",
            QueueEventKind::Connect {
                agent: "bob".into(),
                wait: ms(18_250),
            },
        ),
        qe(
            "q6",
            78_250,
            "support",
            "c1",
            QueueEventKind::Complete {
                agent: "bob".into(),
                talk: ms(60_000),
                hold: ms(15_000),
                ended_by: EndedBy::Switch,
            },
        ),
        qe(
            "q7",
            1_000,
            "sales",
            "c2",
            QueueEventKind::Enter { position: 2 },
        ),
        qe(
            "q8",
            2_000,
            "sales",
            "c2",
            QueueEventKind::Callback {
                number: "+4930999".into(),
            },
        ),
        qe(
            "q9",
            3_000,
            "sales",
            "c2",
            QueueEventKind::Transfer {
                to_queue: "support".into(),
            },
        ),
        qe(
            "q10",
            3_000,
            "support",
            "c2",
            QueueEventKind::Enter { position: 1 },
        ),
        qe(
            "q11",
            4_000,
            "support",
            "c2",
            QueueEventKind::ExitKey {
                key: '#',
                wait: ms(3_000),
            },
        ),
        qe(
            "q12",
            5_000,
            "sales",
            "c3",
            QueueEventKind::Overflow {
                reason: OverflowReason::MaxLength,
                target: Some("voicemail".into()),
                wait: ms(0),
            },
        ),
        qe(
            "q13",
            6_000,
            "sales",
            "c4",
            QueueEventKind::Abandon {
                position: 3,
                wait: ms(2_500),
            },
        ),
    ]
}

fn sample_agent_events() -> Vec<AgentEventRecord> {
    use AgentStateName::*;
    vec![
        ae("a1", 0, "ann", AgentEventKind::Login),
        ae("a2", 0, "ann", state(LoggedOut, Available)),
        ae(
            "a3",
            15_000,
            "ann",
            AgentEventKind::Pause {
                reason: "no answer".into(),
            },
        ),
        ae("a4", 15_000, "ann", state(Ringing, Paused)),
        ae("a5", 20_000, "ann", AgentEventKind::Unpause),
        ae("a6", 20_000, "ann", state(Paused, Available)),
        ae("a7", 30_000, "bob", state(OnCall, WrapUp)),
        ae("a8", 40_000, "ann", AgentEventKind::Logout),
    ]
}

async fn queue_and_agent_events_read_back_in_order(crm: &Crm) -> anyhow::Result<()> {
    let (sender, task) = CdrWriter::spawn(crm.clone());
    let queue = sample_queue_events();
    let agent = sample_agent_events();
    for e in &queue {
        sender.queue_event(e.clone())?;
    }
    for e in &agent {
        sender.agent_event(e.clone())?;
    }
    let stats = task.shutdown().await?;
    assert_eq!((stats.written, stats.rejected), (21, 0), "{stats:?}");

    let c1: Vec<_> = queue
        .iter()
        .filter(|e| e.call_id == "c1")
        .cloned()
        .collect();
    assert_eq!(crm.queue_events("c1").await?, c1);
    // c2 moved from sales to support: both queues' events, in time then insertion order.
    let c2 = crm.queue_events("c2").await?;
    let ids: Vec<_> = c2.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids, ["q7", "q8", "q9", "q10", "q11"]);
    assert!(crm.queue_events("nobody").await?.is_empty());

    // The window is half-open: 3 s is in, 6 s is out.
    let sales = crm
        .queue_events_between(at(3_000), at(6_000), Some("sales"))
        .await?;
    let ids: Vec<_> = sales.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids, ["q9", "q12"]);
    assert_eq!(
        crm.queue_events_between(at(0), at(100_000), None)
            .await?
            .len(),
        queue.len()
    );

    let ann = crm
        .agent_events_between(at(0), at(40_000), Some("ann"))
        .await?;
    assert_eq!(ann, agent[..6].to_vec());
    let all = crm.agent_events_between(at(0), at(40_001), None).await?;
    assert_eq!(all.len(), agent.len());
    assert!(matches!(
        crm.agent_events_between(at(10), at(0), None).await,
        Err(CrmError::InvalidField { field: "to", .. })
    ));
    Ok(())
}

async fn replayed_events_are_stored_once(crm: &Crm) -> anyhow::Result<()> {
    let queue = sample_queue_events();
    let agent = sample_agent_events();
    // First pass: one batch with a duplicate inside it and an event the schema refuses (empty
    // call id), so the batch is replayed one event per transaction.
    let (sender, task) = CdrWriter::spawn(crm.clone());
    for e in &queue {
        sender.queue_event(e.clone())?;
    }
    sender.queue_event(queue[0].clone())?;
    sender.queue_event(qe(
        "bad",
        0,
        "support",
        "",
        QueueEventKind::Enter { position: 1 },
    ))?;
    sender.agent_event(agent[0].clone())?;
    let stats = task.shutdown().await?;
    assert_eq!(stats.rejected, 1, "{stats:?}");

    // Second pass: everything again, as a writer retry after an ambiguous commit would.
    let (sender, task) = CdrWriter::spawn(crm.clone());
    for e in &queue {
        sender.queue_event(e.clone())?;
    }
    for e in &agent {
        sender.agent_event(e.clone())?;
    }
    let stats = task.shutdown().await?;
    assert_eq!(stats.rejected, 0, "{stats:?}");

    // Each event once, in time order; ties keep the order they were sent in.
    let stored = crm.queue_events_between(at(0), at(100_000), None).await?;
    let mut expected = queue.clone();
    expected.sort_by_key(|e| e.at);
    assert_eq!(stored, expected);
    assert_eq!(
        crm.agent_events_between(at(0), at(100_000), None).await?,
        agent
    );
    Ok(())
}

async fn links_set_only_the_given_columns(crm: &Crm) -> anyhow::Result<()> {
    let customer = crm
        .create_customer(
            &NewCustomer {
                name: "Alice".into(),
                ..NewCustomer::default()
            },
            at(0),
        )
        .await?;
    let link = |queue: Option<&str>, agent: Option<&str>, customer_id| CdrLink {
        call_id: "call-1".into(),
        queue: queue.map(Into::into),
        agent: agent.map(Into::into),
        customer_id,
        channel: None,
    };
    let (sender, task) = CdrWriter::spawn(crm.clone());
    // The link rides in the same batch as the start, after it.
    sender.start(start("call-1", 0))?;
    sender.link(link(Some("sales"), None, Some(customer.id)))?;
    sender.link(link(None, Some("ann"), None))?;
    let stats = task.shutdown().await?;
    assert_eq!((stats.written, stats.rejected), (3, 0), "{stats:?}");
    let cdr = crm
        .cdr("call-1")
        .await?
        .ok_or_else(|| anyhow::anyhow!("lost"))?;
    assert_eq!(cdr.queue.as_deref(), Some("sales"));
    assert_eq!(cdr.agent.as_deref(), Some("ann"));
    assert_eq!(cdr.customer_id, Some(customer.id));

    // After the end (which rewrites most columns) a later link still applies; None keeps.
    crm.cdr_end(&answered_end("call-1", 1_000, 5_000)).await?;
    crm.cdr_link(&link(Some("support"), None, None)).await?;
    crm.cdr_link(&link(Some("support"), None, None)).await?;
    let cdr = crm
        .cdr("call-1")
        .await?
        .ok_or_else(|| anyhow::anyhow!("lost"))?;
    assert_eq!(
        (cdr.queue.as_deref(), cdr.agent.as_deref(), cdr.customer_id),
        (Some("support"), Some("ann"), Some(customer.id))
    );
    assert_eq!(cdr.duration_s, Some(5));
    // A call never linked reads back with nothing set.
    crm.cdr_start(&start("call-2", 0)).await?;
    let other = crm
        .cdr("call-2")
        .await?
        .ok_or_else(|| anyhow::anyhow!("lost"))?;
    assert_eq!(
        (other.queue, other.agent, other.customer_id),
        (None, None, None)
    );
    Ok(())
}

async fn links_for_unknown_calls_or_customers_are_rejected(crm: &Crm) -> anyhow::Result<()> {
    let ghost = CdrLink {
        call_id: "ghost".into(),
        queue: Some("sales".into()),
        agent: None,
        customer_id: None,
        channel: None,
    };
    assert!(matches!(
        crm.cdr_link(&ghost).await,
        Err(CrmError::UnknownCall(id)) if id == "ghost"
    ));

    let (sender, task) = CdrWriter::spawn(crm.clone());
    sender.start(start("real", 0))?;
    sender.send(CdrEvent::Link(ghost))?;
    // No such customer: the foreign key refuses it and only this event is lost.
    sender.link(CdrLink {
        call_id: "real".into(),
        queue: None,
        agent: None,
        customer_id: Some(999_999),
        channel: None,
    })?;
    sender.link(CdrLink {
        call_id: "real".into(),
        queue: Some("sales".into()),
        agent: None,
        customer_id: None,
        channel: None,
    })?;
    let stats = task.shutdown().await?;
    assert_eq!((stats.written, stats.rejected), (2, 2), "{stats:?}");
    let cdr = crm
        .cdr("real")
        .await?
        .ok_or_else(|| anyhow::anyhow!("lost"))?;
    assert_eq!(
        (cdr.queue.as_deref(), cdr.customer_id),
        (Some("sales"), None)
    );
    assert_eq!(crm.cdr("ghost").await?, None);
    Ok(())
}

async fn every_overflow_reason_is_stored(crm: &Crm) -> anyhow::Result<()> {
    let reasons = [
        OverflowReason::MaxWait,
        OverflowReason::MaxLength,
        OverflowReason::JoinEmpty,
        OverflowReason::LeaveEmpty,
        OverflowReason::QueueRemoved,
    ];
    let (sender, task) = CdrWriter::spawn(crm.clone());
    let events: Vec<_> = reasons
        .iter()
        .enumerate()
        .map(|(i, reason)| {
            qe(
                &format!("o{i}"),
                i as i64 * 1_000,
                "gone",
                "c9",
                QueueEventKind::Overflow {
                    reason: *reason,
                    target: Some("general".into()),
                    wait: Duration::from_millis(500),
                },
            )
        })
        .collect();
    for e in &events {
        sender.queue_event(e.clone())?;
    }
    let stats = task.shutdown().await?;
    assert_eq!((stats.written, stats.rejected), (5, 0), "{stats:?}");
    assert_eq!(crm.queue_events("c9").await?, events);
    Ok(())
}
