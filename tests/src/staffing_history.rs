//! History for the staffing suites (tests/tests/staffing.rs, browser_staffing.rs), written
//! straight into a switch's database: the seeds' worked example (four Mondays with 100 support
//! calls of 180 s between 10:00 and 10:30 and 13 agents logged in) and a builder of queue and
//! agent events.

use crate::Switch;
use anyhow::ensure;
use chrono::{DateTime, Duration, TimeZone, Utc};
use crm::{AgentStateName, QueueEventKind};

/// Thirteen agents of support, one of sales (whose logged-in time must not count for support).
pub fn config() -> String {
    let mut toml = String::from(
        "[[queues]]\nname = \"support\"\nservice_level_target = 80\nservice_level_s = 20\n\
         [[queues]]\nname = \"sales\"\nservice_level_target = 100\n\
         [[agents]]\nid = \"x01\"\nqueues = [\"sales\"]\n\
         [[accounts]]\nusername = \"sup\"\npassword = \"sup-password\"\nrole = \"supervisor\"\n\
         [[accounts]]\nusername = \"qa\"\npassword = \"qa-password\"\nrole = \"qa\"\n\
         [[accounts]]\nusername = \"s01\"\npassword = \"s01-password\"\nrole = \"agent\"\nagent = \"s01\"\n",
    );
    for i in 1..=13 {
        toml.push_str(&format!(
            "[[agents]]\nid = \"s{i:02}\"\nqueues = [\"support\"]\n"
        ));
    }
    toml
}

/// The Mondays of the history; the planned week starts on the 31st.
pub fn monday(week: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 3, 10, 0, 0)
        .single()
        .expect("valid")
        + Duration::weeks(week)
}

/// Queue and agent events with unique ids, written into a switch's database.
#[derive(Default)]
pub struct Events(Vec<crm::CdrEvent>);

impl Events {
    pub fn agent(
        &mut self,
        at: DateTime<Utc>,
        agent: &str,
        from: AgentStateName,
        to: AgentStateName,
    ) {
        self.0.push(crm::CdrEvent::Agent(crm::AgentEventRecord {
            event_id: format!("e{}", self.0.len()),
            at,
            agent: agent.into(),
            kind: crm::AgentEventKind::State { from, to },
        }));
    }

    pub fn queue(&mut self, at: DateTime<Utc>, call_id: &str, kind: QueueEventKind) {
        self.0.push(crm::CdrEvent::Queue(crm::QueueEventRecord {
            event_id: format!("e{}", self.0.len()),
            at,
            queue: "support".into(),
            call_id: call_id.into(),
            kind,
        }));
    }

    /// A support call answered by `agent` after `wait` s, `talk` s long, with no wrap-up.
    pub fn answered(
        &mut self,
        at: DateTime<Utc>,
        call_id: &str,
        agent: &str,
        wait: i64,
        talk: u64,
    ) {
        self.queue(at, call_id, QueueEventKind::Enter { position: 1 });
        let connected = at + Duration::seconds(wait);
        let wait = std::time::Duration::from_secs(wait.unsigned_abs());
        let agent = agent.to_owned();
        self.queue(
            connected,
            call_id,
            QueueEventKind::Connect {
                agent: agent.clone(),
                wait,
            },
        );
        let end = connected + Duration::seconds(talk as i64);
        let talk = std::time::Duration::from_secs(talk);
        let (hold, ended_by) = (std::time::Duration::ZERO, crm::EndedBy::Caller);
        self.queue(
            end,
            call_id,
            QueueEventKind::Complete {
                agent: agent.clone(),
                talk,
                hold,
                ended_by,
            },
        );
        self.agent(
            end,
            &agent,
            AgentStateName::OnCall,
            AgentStateName::Available,
        );
    }

    pub fn write(self, database_url: &str) -> anyhow::Result<()> {
        let rt = tokio::runtime::Runtime::new()?;
        rt.block_on(async {
            let crm = crm::Crm::connect(database_url).await?;
            let n = self.0.len() as u64;
            let (sender, task) = crm::CdrWriter::spawn(crm.clone());
            for e in self.0 {
                sender.send(e)?;
            }
            let stats = task.shutdown().await?;
            ensure!((stats.written, stats.rejected) == (n, 0), "{stats:?}");
            crm.close().await;
            anyhow::Ok(())
        })
    }
}

/// Per Monday 10:00–10:30: 100 support calls (one every 18 s, answered at once, 180 s of talk,
/// no wrap-up), shared by s01..s13 who log in at 10:00 and out at 10:45; x01 (sales) too.
pub fn seed(s: &Switch) -> anyhow::Result<()> {
    use AgentStateName::*;
    let mut events = Events::default();
    let agents: Vec<String> = (1..=13)
        .map(|i| format!("s{i:02}"))
        .chain(["x01".into()])
        .collect();
    for week in 0..4 {
        let start = monday(week);
        for a in &agents {
            events.agent(start, a, LoggedOut, Available);
        }
        for call in 0..100 {
            let at = start + Duration::seconds(18 * call);
            let who = &agents[call as usize % 13];
            events.answered(at, &format!("w{week}c{call}"), who, 0, 180);
        }
        for a in &agents {
            events.agent(start + Duration::minutes(45), a, Available, LoggedOut);
        }
    }
    events.write(&s.database_url)
}
