//! The agent report: time in each state from the agents' state changes, clipped to the window.
//! Pure functions over fetched rows. Definitions: `docs/metrics.md`.

use std::collections::BTreeMap;

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
    /// Changes into on_call inside the window.
    pub calls_answered: u64,
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
}

fn add<'a>(
    spans: &mut BTreeMap<&'a str, Spans>,
    agent: &'a str,
    state: AgentStateName,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) {
    let s = spans.entry(agent).or_default();
    s.secs[slot(state)] += (end - start).to_std().unwrap_or_default().as_secs_f64();
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
/// (`before`) and the agent events inside the window (`inside`, ordered by time, then
/// insertion). An agent with no change before the window starts it logged out. Agents who were
/// logged out for the whole window are left out.
pub(crate) fn compute<'a>(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    before: impl IntoIterator<Item = &'a AgentEventRecord>,
    inside: impl IntoIterator<Item = &'a AgentEventRecord>,
) -> Vec<AgentReportRow> {
    // Per agent: the state being timed and since when.
    let mut current: BTreeMap<&str, (AgentStateName, DateTime<Utc>)> = BTreeMap::new();
    let mut spans: BTreeMap<&str, Spans> = BTreeMap::new();
    for e in before {
        if let AgentEventKind::State { to: state, .. } = e.kind {
            current.insert(&e.agent, (state, from));
        }
    }
    for e in inside {
        let AgentEventKind::State { to: state, .. } = e.kind else {
            continue;
        };
        let at = e.at.clamp(from, to);
        let (was, since) = current
            .insert(&e.agent, (state, at))
            .unwrap_or((AgentStateName::LoggedOut, from));
        add(&mut spans, &e.agent, was, since, at);
        if state == AgentStateName::OnCall {
            spans.entry(&e.agent).or_default().calls_answered += 1;
        }
    }
    for (agent, (state, since)) in current {
        add(&mut spans, agent, state, since, to);
    }
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
                calls_answered: s.calls_answered,
                avg_handle_secs: (s.calls_answered > 0).then(|| busy / s.calls_answered as f64),
                occupancy: (staffed > 0.0).then(|| busy / staffed),
            })
        })
        .collect()
}
