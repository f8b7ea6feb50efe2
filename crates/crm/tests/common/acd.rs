//! Builders for ACD history tests: times on a fixed March 2025 week and a [`History`] of queue
//! and agent events with unique ids, written through the batching writer.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use crm::{
    AgentEventKind, AgentEventRecord, AgentStateName, CallChannel, CdrEvent, CdrLink, CdrStart,
    CdrWriter, Crm, EndedBy, QueueEventKind, QueueEventRecord,
};

/// 2025-03-`day` (the 1st is a Saturday, the 3rd a Monday) at `h:m:s` UTC.
pub fn t(day: u32, h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, day, h, m, s)
        .single()
        .expect("valid test time")
}

pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Builds events with unique ids.
#[derive(Default)]
pub struct History(pub Vec<CdrEvent>);

impl History {
    pub fn q(&mut self, at: DateTime<Utc>, queue: &str, call: &str, kind: QueueEventKind) {
        let event_id = format!("q{}", self.0.len());
        self.0.push(CdrEvent::Queue(QueueEventRecord {
            event_id,
            at,
            queue: queue.into(),
            call_id: call.into(),
            kind,
        }));
    }

    pub fn agent(&mut self, at: DateTime<Utc>, agent: &str, kind: AgentEventKind) {
        let event_id = format!("a{}", self.0.len());
        self.0.push(CdrEvent::Agent(AgentEventRecord {
            event_id,
            at,
            agent: agent.into(),
            kind,
        }));
    }

    pub fn state(
        &mut self,
        at: DateTime<Utc>,
        agent: &str,
        from: AgentStateName,
        to: AgentStateName,
    ) {
        self.agent(at, agent, AgentEventKind::State { from, to });
    }

    /// Enter, connect after `wait`, complete after `talk`; the agent leaves on_call for
    /// wrap-up lasting `wrap` (or straight to available when `wrap` is zero).
    #[allow(clippy::too_many_arguments)]
    pub fn answered(
        &mut self,
        entered: DateTime<Utc>,
        queue: &str,
        call: &str,
        agent: &str,
        wait: u64,
        talk: u64,
        wrap: u64,
    ) {
        use AgentStateName::*;
        self.q(entered, queue, call, QueueEventKind::Enter { position: 1 });
        self.connect_and_complete(entered, queue, call, agent, wait, talk);
        let ended = entered + secs(wait + talk);
        if wrap == 0 {
            self.state(ended, agent, OnCall, Available);
        } else {
            self.state(ended, agent, OnCall, WrapUp);
            self.state(ended + secs(wrap), agent, WrapUp, Available);
        }
    }

    pub fn connect_and_complete(
        &mut self,
        entered: DateTime<Utc>,
        queue: &str,
        call: &str,
        agent: &str,
        wait: u64,
        talk: u64,
    ) {
        let connected = entered + secs(wait);
        self.q(
            connected,
            queue,
            call,
            QueueEventKind::Connect {
                agent: agent.into(),
                wait: secs(wait),
            },
        );
        self.q(
            connected + secs(talk),
            queue,
            call,
            QueueEventKind::Complete {
                agent: agent.into(),
                talk: secs(talk),
                // A quarter of every conversation on hold, so reports can be checked.
                hold: secs(talk) / 4,
                ended_by: EndedBy::Caller,
            },
        );
    }

    pub fn left(
        &mut self,
        entered: DateTime<Utc>,
        queue: &str,
        call: &str,
        wait: u64,
        kind: QueueEventKind,
    ) {
        self.q(entered, queue, call, QueueEventKind::Enter { position: 2 });
        self.q(entered + secs(wait), queue, call, kind);
    }

    /// The call's CDR (its start), with its channel set by a link unless `None` (then the
    /// column's default, voice).
    pub fn cdr(&mut self, at: DateTime<Utc>, call: &str, channel: Option<CallChannel>) {
        self.0.push(CdrEvent::Start(CdrStart {
            call_id: call.into(),
            caller: "0101234567".into(),
            caller_name: None,
            callee: "1500".into(),
            callee_name: None,
            started_at: at,
        }));
        if channel.is_some() {
            self.0.push(CdrEvent::Link(CdrLink {
                call_id: call.into(),
                queue: None,
                agent: None,
                customer_id: None,
                channel,
            }));
        }
    }

    pub async fn write(self, crm: &Crm) -> anyhow::Result<()> {
        let n = self.0.len() as u64;
        let (sender, task) = CdrWriter::spawn(crm.clone());
        for e in self.0 {
            sender.send(e)?;
        }
        let stats = task.shutdown().await?;
        assert_eq!((stats.written, stats.rejected), (n, 0), "{stats:?}");
        Ok(())
    }
}
