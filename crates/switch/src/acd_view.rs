//! The live view of the ACD for supervisors and wallboards: each queue with its callers, agents
//! by state and today's counters, and each agent with state, time in state and calls handled.

use super::queue::AcdEvent;
use super::Switch;
use serde::Serialize;
use std::time::Instant;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AcdSnapshot {
    pub queues: Vec<QueueView>,
    pub agents: Vec<AgentView>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QueueView {
    pub name: String,
    pub number: Option<String>,
    pub waiting: usize,
    pub longest_wait_s: f64,
    pub agents_logged_in: usize,
    pub agents_available: usize,
    pub agents_ringing: usize,
    pub agents_on_call: usize,
    pub agents_wrap_up: usize,
    pub agents_paused: usize,
    /// Logged-in agents whose phone is not registered (offered no calls).
    pub agents_phone_offline: usize,
    /// Today's counters (reset at midnight UTC).
    pub offered: u64,
    pub answered: u64,
    pub answered_within_sl: u64,
    pub abandoned: u64,
    pub short_abandoned: u64,
    pub overflowed: u64,
    /// Answered within the threshold / (answered + abandoned after the short threshold).
    pub service_level: Option<f64>,
    pub service_level_threshold_s: u64,
    /// The queue's target share answered within the threshold, in percent.
    pub service_level_target: u8,
    pub asa_s: Option<f64>,
    pub callers: Vec<CallerView>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CallerView {
    pub call_id: String,
    pub position: usize,
    pub waited_s: f64,
    pub priority: i32,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AgentView {
    pub id: String,
    pub name: Option<String>,
    pub state: &'static str,
    /// The pause reason while paused.
    pub reason: Option<String>,
    /// The call being offered or talked on.
    pub call_id: Option<String>,
    pub extension: Option<String>,
    pub in_state_s: f64,
    pub answered: u64,
    pub talk_s: f64,
    pub missed_in_a_row: u32,
    /// The phone at `extension` has no registered contact: whatever the state says, no call
    /// is offered until it registers (the pages show "available (phone offline)").
    pub phone_offline: bool,
    pub queues: Vec<String>,
    /// On a connected call a supervisor may monitor (any call, not only the ACD's).
    pub on_monitorable_call: bool,
    /// The supervisor on the agent's call, once their phone answered.
    pub monitor: Option<MonitorView>,
}

/// Who monitors an agent's call and how (`monitor.rs`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MonitorView {
    pub account: String,
    pub mode: &'static str,
}

impl Switch {
    /// Queues and agents as they are now.
    pub fn acd_snapshot(&self, now: Instant) -> AcdSnapshot {
        let mut queues: Vec<QueueView> = self
            .acd
            .core
            .queue_names()
            .into_iter()
            .filter_map(|name| {
                let st = self.acd.core.stats(&name, now).ok()?;
                let setup = self.acd.queues.get(&name);
                let callers = self
                    .acd
                    .core
                    .waiting(&name, now)
                    .into_iter()
                    .map(|w| CallerView {
                        call_id: w.call,
                        position: w.position,
                        waited_s: w.waited.as_secs_f64(),
                        priority: w.priority,
                    })
                    .collect();
                Some(QueueView {
                    number: setup.and_then(|s| s.number.clone()),
                    service_level_threshold_s: setup.map_or(0, |s| s.cfg.service_level.as_secs()),
                    service_level_target: setup.map_or(80, |s| s.cfg.service_level_target),
                    name,
                    waiting: st.waiting,
                    longest_wait_s: st.longest_wait.as_secs_f64(),
                    agents_logged_in: st.agents.logged_in,
                    agents_available: st.agents.available,
                    agents_ringing: st.agents.ringing,
                    agents_on_call: st.agents.on_call,
                    agents_wrap_up: st.agents.wrap_up,
                    agents_paused: st.agents.paused,
                    agents_phone_offline: st.agents.phone_offline,
                    offered: st.counters.offered,
                    answered: st.counters.answered,
                    answered_within_sl: st.counters.answered_in_sl,
                    abandoned: st.counters.abandoned,
                    short_abandoned: st.counters.short_abandoned,
                    overflowed: st.counters.overflowed,
                    service_level: st.service_level,
                    asa_s: st.average_speed_of_answer.map(|d| d.as_secs_f64()),
                    callers,
                })
            })
            .collect();
        queues.sort_by(|a, b| a.name.cmp(&b.name));
        let mut agents: Vec<AgentView> =
            self.acd
                .core
                .agents()
                .into_iter()
                .map(|s| {
                    let setup = self.acd.agents.get(&s.id);
                    let (reason, call_id) = match &s.state {
                        acd::AgentState::Paused { reason } => (Some(reason.clone()), None),
                        acd::AgentState::Ringing { call }
                        | acd::AgentState::OnCall { call, .. } => (None, Some(call.clone())),
                        _ => (None, None),
                    };
                    AgentView {
                        name: setup.and_then(|a| a.name.clone()),
                        state: s.state.name(),
                        reason,
                        call_id,
                        extension: self.acd.logged_in.get(&s.id).cloned(),
                        in_state_s: now.saturating_duration_since(s.since).as_secs_f64(),
                        answered: s.answered,
                        talk_s: s.talk.as_secs_f64(),
                        missed_in_a_row: s.missed,
                        phone_offline: s.phone_offline,
                        queues: setup
                            .map(|a| a.cfg.queues.iter().map(|m| m.queue.clone()).collect())
                            .unwrap_or_default(),
                        on_monitorable_call: self.agent_call(&s.id).is_ok(),
                        monitor: self.monitor_of(&s.id),
                        id: s.id,
                    }
                })
                .collect();
        agents.sort_by(|a, b| a.id.cmp(&b.id));
        AcdSnapshot { queues, agents }
    }
}

/// One event as the live stream and the logs show it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EventView {
    pub at: String,
    /// `queue` or `agent`.
    pub scope: &'static str,
    pub kind: &'static str,
    pub queue: Option<String>,
    pub call_id: Option<String>,
    pub agent: Option<String>,
    /// Kind-specific detail: position, wait, reason, states.
    pub detail: serde_json::Value,
}

impl EventView {
    pub fn new(at: chrono::DateTime<chrono::Utc>, event: &AcdEvent) -> EventView {
        use acd::{AgentEventKind as A, QueueEventKind as Q};
        use serde_json::json;
        let at = at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let ms = |d: &std::time::Duration| d.as_millis() as u64;
        match event {
            AcdEvent::Queue(e) => {
                let (kind, agent, detail) = match &e.kind {
                    Q::Enter { position } => ("enter", None, json!({ "position": position })),
                    Q::Ring { agent } => ("ring", Some(agent), json!({})),
                    Q::RingNoAnswer { agent, rang } => (
                        "ring_no_answer",
                        Some(agent),
                        json!({ "rang_ms": ms(rang) }),
                    ),
                    Q::Connect { agent, wait } => {
                        ("connect", Some(agent), json!({ "wait_ms": ms(wait) }))
                    }
                    Q::Complete {
                        agent,
                        talk,
                        hold,
                        by,
                    } => (
                        "complete",
                        Some(agent),
                        json!({ "talk_ms": ms(talk), "hold_ms": ms(hold), "ended_by": ended_by(*by) }),
                    ),
                    Q::Abandon { position, wait } => (
                        "abandon",
                        None,
                        json!({ "position": position, "wait_ms": ms(wait) }),
                    ),
                    Q::Overflow {
                        reason,
                        target,
                        wait,
                    } => (
                        "overflow",
                        None,
                        json!({ "reason": overflow_reason(*reason), "target": target,
                                "wait_ms": ms(wait) }),
                    ),
                    Q::ExitWithKey { key, wait } => (
                        "exit_key",
                        None,
                        json!({ "key": key.to_string(), "wait_ms": ms(wait) }),
                    ),
                    Q::CallbackRequested { number } => {
                        ("callback", None, json!({ "number": number }))
                    }
                    Q::Transfer { to_queue } => ("transfer", None, json!({ "to": to_queue })),
                    Q::ConsultStart { agent, target } => {
                        ("consult_start", Some(agent), json!({ "target": target }))
                    }
                    Q::ConsultEnd {
                        agent,
                        target,
                        consult,
                    } => (
                        "consult_end",
                        Some(agent),
                        json!({ "target": target, "consult_ms": ms(consult) }),
                    ),
                    Q::AttendedTransfer {
                        agent,
                        target,
                        consult,
                    } => (
                        "attended_transfer",
                        Some(agent),
                        json!({ "target": target, "consult_ms": ms(consult) }),
                    ),
                    Q::Conference { agent, target } => {
                        ("conference", Some(agent), json!({ "target": target }))
                    }
                    _ => ("other", None, json!({})),
                };
                EventView {
                    at,
                    scope: "queue",
                    kind,
                    queue: Some(e.queue.clone()),
                    call_id: Some(e.call.clone()),
                    agent: agent.cloned(),
                    detail,
                }
            }
            AcdEvent::Agent(e) => {
                let (kind, detail) = match &e.kind {
                    A::Login => ("login", json!({})),
                    A::Logout => ("logout", json!({})),
                    A::Pause { reason } => ("pause", json!({ "reason": reason })),
                    A::Unpause => ("unpause", json!({})),
                    A::Phone { online } => ("phone", json!({ "phone_offline": !online })),
                    A::StateChange { from, to } => ("state", json!({ "from": from, "to": to })),
                    _ => ("other", json!({})),
                };
                EventView {
                    at,
                    scope: "agent",
                    kind,
                    queue: None,
                    call_id: None,
                    agent: Some(e.agent.clone()),
                    detail,
                }
            }
        }
    }
}

pub fn ended_by(by: acd::EndedBy) -> &'static str {
    match by {
        acd::EndedBy::Caller => "caller",
        acd::EndedBy::Agent => "agent",
        acd::EndedBy::Switch => "switch",
    }
}

pub fn overflow_reason(r: acd::OverflowReason) -> &'static str {
    match r {
        acd::OverflowReason::MaxWait => "max_wait",
        acd::OverflowReason::MaxLength => "max_length",
        acd::OverflowReason::JoinEmpty => "join_empty",
        acd::OverflowReason::LeaveEmpty => "leave_empty",
        acd::OverflowReason::QueueRemoved => "queue_removed",
    }
}
