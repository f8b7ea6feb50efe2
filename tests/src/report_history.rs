//! A known morning of queue and agent history (Monday 2025-03-03, UTC) written straight into a
//! test switch's database, for the reports API and page tests. The figures the reports must
//! show are worked out next to the events.
//!
//! | call | queue   | entered  | channel | what happened                                        |
//! |------|---------|----------|---------|------------------------------------------------------|
//! | c1   | support | 09:00:00 | voice   | ann answers after 10 s, talk 100 s (20 on hold), caller hangs up |
//! | c2   | support | 09:05:00 | voice   | abandons after 30 s                                  |
//! | c3   | support | 09:20:00 | web     | bob answers after 25 s, talk 60 s, agent hangs up    |
//! | c4   | support | 09:40:00 | voice   | rings ann 15 s (no answer), bob answers after 40 s, talk 30 s |
//! | c5   | =sales  | 09:10:00 | voice   | leaves with key 1 after 5 s                          |
//! | c6   | =sales  | 09:50:00 | voice   | refused: the queue was empty (join_empty)            |
//!
//! ann logs in at 08:55 and pauses for "lunch" at 10:00; bob logs in at 09:15. Each agent is
//! on_call from the connection to the completion. The queue
//! `=sales` starts with `=` so CSV exports must neutralise it.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use crm::{
    AgentEventKind, AgentEventRecord, AgentStateName, CallChannel, CdrEvent, CdrLink, CdrStart,
    CdrWriter, EndedBy, OverflowReason, QueueEventKind, QueueEventRecord,
};

use crate::Switch;

/// 2025-03-03 (a Monday) at `h:m:s` UTC.
pub fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 3, h, m, s)
        .single()
        .expect("valid time")
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// The callers' numbers, by call.
pub fn caller(call: &str) -> String {
    format!("0105555{}", &call[1..])
}

/// The history's events, in time order.
pub fn events() -> Vec<CdrEvent> {
    use AgentStateName::*;
    let mut out = Vec::new();
    let mut n = 0;
    let mut id = || {
        n += 1;
        format!("ev-{n}")
    };
    let mut q = |out: &mut Vec<CdrEvent>, t: DateTime<Utc>, queue: &str, call: &str, kind| {
        out.push(CdrEvent::Queue(QueueEventRecord {
            event_id: id(),
            at: t,
            queue: queue.into(),
            call_id: call.into(),
            kind,
        }))
    };
    let connect = |agent: &str, wait| QueueEventKind::Connect {
        agent: agent.into(),
        wait: secs(wait),
    };
    let complete = |agent: &str, talk, hold, ended_by| QueueEventKind::Complete {
        agent: agent.into(),
        talk: secs(talk),
        hold: secs(hold),
        ended_by,
    };
    for (call, queue, t, channel) in [
        ("c1", "support", at(9, 0, 0), CallChannel::Voice),
        ("c2", "support", at(9, 5, 0), CallChannel::Voice),
        ("c3", "support", at(9, 20, 0), CallChannel::Web),
        ("c4", "support", at(9, 40, 0), CallChannel::Voice),
        ("c5", "=sales", at(9, 10, 0), CallChannel::Voice),
        ("c6", "=sales", at(9, 50, 0), CallChannel::Voice),
    ] {
        out.push(CdrEvent::Start(CdrStart {
            call_id: call.into(),
            caller: caller(call),
            caller_name: None,
            callee: "1500".into(),
            callee_name: None,
            started_at: t,
        }));
        out.push(CdrEvent::Link(CdrLink {
            call_id: call.into(),
            queue: Some(queue.into()),
            agent: None,
            customer_id: None,
            channel: Some(channel),
        }));
    }
    let state = |from, to| AgentEventKind::State { from, to };
    let mut agent_events: Vec<(DateTime<Utc>, &str, AgentEventKind)> = vec![
        (at(8, 55, 0), "ann", AgentEventKind::Login),
        (at(8, 55, 0), "ann", state(LoggedOut, Available)),
        (at(9, 15, 0), "bob", AgentEventKind::Login),
        (at(9, 15, 0), "bob", state(LoggedOut, Available)),
        (
            at(10, 0, 0),
            "ann",
            AgentEventKind::Pause {
                reason: "lunch".into(),
            },
        ),
        (at(10, 0, 0), "ann", state(Available, Paused)),
    ];
    // On call from each connection to its completion.
    for (agent, start, end) in [
        ("ann", at(9, 0, 10), at(9, 1, 50)),
        ("bob", at(9, 20, 25), at(9, 21, 25)),
        ("bob", at(9, 40, 40), at(9, 41, 10)),
    ] {
        agent_events.push((start, agent, state(Available, OnCall)));
        agent_events.push((end, agent, state(OnCall, Available)));
    }
    let e = QueueEventKind::Enter { position: 1 };
    q(&mut out, at(9, 0, 0), "support", "c1", e.clone());
    q(&mut out, at(9, 0, 10), "support", "c1", connect("ann", 10));
    q(
        &mut out,
        at(9, 1, 50),
        "support",
        "c1",
        complete("ann", 100, 20, EndedBy::Caller),
    );
    q(&mut out, at(9, 5, 0), "support", "c2", e.clone());
    q(
        &mut out,
        at(9, 5, 30),
        "support",
        "c2",
        QueueEventKind::Abandon {
            position: 1,
            wait: secs(30),
        },
    );
    q(&mut out, at(9, 10, 0), "=sales", "c5", e.clone());
    q(
        &mut out,
        at(9, 10, 5),
        "=sales",
        "c5",
        QueueEventKind::ExitKey {
            key: '1',
            wait: secs(5),
        },
    );
    q(&mut out, at(9, 20, 0), "support", "c3", e.clone());
    q(&mut out, at(9, 20, 25), "support", "c3", connect("bob", 25));
    q(
        &mut out,
        at(9, 21, 25),
        "support",
        "c3",
        complete("bob", 60, 0, EndedBy::Agent),
    );
    q(&mut out, at(9, 40, 0), "support", "c4", e);
    q(
        &mut out,
        at(9, 40, 0),
        "support",
        "c4",
        QueueEventKind::Ring {
            agent: "ann".into(),
        },
    );
    q(
        &mut out,
        at(9, 40, 15),
        "support",
        "c4",
        QueueEventKind::RingNoAnswer {
            agent: "ann".into(),
            rang: secs(15),
        },
    );
    q(&mut out, at(9, 40, 40), "support", "c4", connect("bob", 40));
    q(
        &mut out,
        at(9, 41, 10),
        "support",
        "c4",
        complete("bob", 30, 0, EndedBy::Caller),
    );
    q(
        &mut out,
        at(9, 50, 0),
        "=sales",
        "c6",
        QueueEventKind::Overflow {
            reason: OverflowReason::JoinEmpty,
            target: None,
            wait: Duration::ZERO,
        },
    );
    agent_events.sort_by_key(|(t, _, _)| *t);
    for (t, agent, kind) in agent_events.drain(..) {
        out.push(CdrEvent::Agent(AgentEventRecord {
            event_id: id(),
            at: t,
            agent: agent.into(),
            kind,
        }));
    }
    out
}

/// Writes [`events`] into the switch's database.
pub fn write(s: &Switch) -> anyhow::Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let crm = crm::Crm::connect(&s.database_url).await?;
        let (sender, task) = CdrWriter::spawn(crm.clone());
        let all = events();
        let n = all.len() as u64;
        for e in all {
            sender.send(e)?;
        }
        let stats = task.shutdown().await?;
        anyhow::ensure!(
            (stats.written, stats.rejected) == (n, 0),
            "history not written: {stats:?}"
        );
        crm.close().await;
        anyhow::Ok(())
    })
}
