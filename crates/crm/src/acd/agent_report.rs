//! The agent report: time in each state from the agents' state changes, clipped to the window.
//! Pure functions over fetched rows. Definitions: `docs/metrics.md`.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::{AgentEventKind, AgentEventRecord, AgentStateName};

/// One agent's line of [`crate::Crm::agent_report`]. Times are seconds inside the window.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AgentReportRow {
    pub agent: String,
    /// Time in any state but logged_out.
    pub logged_in_secs: f64,
    pub available_secs: f64,
    pub ringing_secs: f64,
    pub on_call_secs: f64,
    pub wrap_up_secs: f64,
    pub paused_secs: f64,
    /// `paused_secs` split by the reason of the pause (the last `pause` event's reason; a
    /// pause with no recorded reason counts under `""`).
    pub paused_by_reason: BTreeMap<String, f64>,
    /// Changes into on_call inside the window.
    pub calls_answered: u64,
    /// Calls the agent completed inside the window (their `complete` queue events).
    pub calls_completed: u64,
    /// Hold time of those calls (part of their on_call time).
    pub hold_secs: f64,
    /// Queue calls offered to the agent that rang without an answer (`ring_no_answer`).
    pub missed_offers: u64,
    /// (on_call + wrap_up) / calls answered; `None` without calls.
    pub avg_handle_secs: Option<f64>,
    /// (on_call + wrap_up) / (on_call + wrap_up + available + ringing), 0..1; `None` when the
    /// agent was never in any of these states.
    pub occupancy: Option<f64>,
}

#[derive(Debug, Default)]
struct Spans {
    secs: [f64; 6],
    calls_answered: u64,
    paused_by_reason: BTreeMap<String, f64>,
}

/// An agent's queue calls inside a report window, counted by the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AgentCallTotals {
    pub agent: String,
    pub completed: u64,
    pub hold: Duration,
    pub missed_offers: u64,
}

impl AgentCallTotals {
    pub fn new(agent: String) -> Self {
        AgentCallTotals {
            agent,
            completed: 0,
            hold: Duration::ZERO,
            missed_offers: 0,
        }
    }
}

/// What an agent is doing while the events are replayed: the state, since when, and the
/// reason of the current (or last) pause.
struct Current<'a> {
    state: AgentStateName,
    since: DateTime<Utc>,
    pause_reason: &'a str,
}

/// Adds the span of `current` up to `end`.
fn add<'a>(
    spans: &mut BTreeMap<&'a str, Spans>,
    agent: &'a str,
    c: &Current<'_>,
    end: DateTime<Utc>,
) {
    let s = spans.entry(agent).or_default();
    let secs = (end - c.since).to_std().unwrap_or_default().as_secs_f64();
    s.secs[slot(c.state)] += secs;
    if c.state == AgentStateName::Paused && secs > 0.0 {
        *s.paused_by_reason
            .entry(c.pause_reason.to_owned())
            .or_default() += secs;
    }
}

fn slot(s: AgentStateName) -> usize {
    match s {
        AgentStateName::LoggedOut => 0,
        AgentStateName::Available => 1,
        AgentStateName::Ringing => 2,
        AgentStateName::OnCall => 3,
        AgentStateName::WrapUp => 4,
        AgentStateName::Paused => 5,
    }
}

/// Computes the report for `[from, to)` from each agent's last state change before `from`
/// and, for agents paused then, their last pause before `from` (`before`), the agent events
/// inside the window (`inside`, ordered by time, then insertion) and the agents' queue call
/// totals inside it (empty where only states matter: the staffing history). An agent with no
/// change before the window starts it logged out. Agents who were logged out for the whole
/// window are left out.
pub(crate) fn compute<'a>(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    before: impl IntoIterator<Item = &'a AgentEventRecord>,
    inside: impl IntoIterator<Item = &'a AgentEventRecord>,
    calls: &[AgentCallTotals],
) -> Vec<AgentReportRow> {
    let mut current: BTreeMap<&str, Current<'_>> = BTreeMap::new();
    let mut spans: BTreeMap<&str, Spans> = BTreeMap::new();
    let start = |state| Current {
        state,
        since: from,
        pause_reason: "",
    };
    for e in before.into_iter().chain(inside) {
        let at = e.at.clamp(from, to);
        let c = current
            .entry(&e.agent)
            .or_insert_with(|| start(AgentStateName::LoggedOut));
        match &e.kind {
            AgentEventKind::State { to: state, .. } => {
                add(&mut spans, &e.agent, c, at);
                c.state = *state;
                c.since = at;
                if *state == AgentStateName::OnCall && e.at >= from {
                    spans.entry(&e.agent).or_default().calls_answered += 1;
                }
            }
            // A new reason while paused splits the pause.
            AgentEventKind::Pause { reason } => {
                add(&mut spans, &e.agent, c, at);
                c.since = at;
                c.pause_reason = reason;
            }
            _ => {}
        }
    }
    for (agent, c) in &current {
        add(&mut spans, agent, c, to);
    }
    let calls: BTreeMap<&str, &AgentCallTotals> =
        calls.iter().map(|c| (c.agent.as_str(), c)).collect();
    spans
        .into_iter()
        .filter_map(|(agent, s)| {
            let [_, available, ringing, on_call, wrap_up, paused] = s.secs;
            let logged_in = available + ringing + on_call + wrap_up + paused;
            if logged_in == 0.0 && s.calls_answered == 0 {
                return None;
            }
            let busy = on_call + wrap_up;
            let staffed = busy + available + ringing;
            Some(AgentReportRow {
                agent: agent.to_owned(),
                logged_in_secs: logged_in,
                available_secs: available,
                ringing_secs: ringing,
                on_call_secs: on_call,
                wrap_up_secs: wrap_up,
                paused_secs: paused,
                paused_by_reason: s.paused_by_reason,
                calls_answered: s.calls_answered,
                calls_completed: calls.get(agent).map_or(0, |c| c.completed),
                hold_secs: calls.get(agent).map_or(0.0, |c| c.hold.as_secs_f64()),
                missed_offers: calls.get(agent).map_or(0, |c| c.missed_offers),
                avg_handle_secs: (s.calls_answered > 0).then(|| busy / s.calls_answered as f64),
                occupancy: (staffed > 0.0).then(|| busy / staffed),
            })
        })
        .collect()
}
