//! The agent report: time in each state from the agents' state changes, clipped to the window.
//! Pure functions over fetched rows. Definitions: `docs/metrics.md`.
//!
//! The replay ([`Replay`]) counts slices of time into [`Tally`]s of whole microseconds, so the
//! tallies of adjacent slices add up to the tally of the whole exactly: the report sums the
//! stored quarter hours of [`crate::acd::agent_buckets`] with replayed edges, and [`rows`]
//! turns the sum into the report's rows, whichever way it was added up.

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

/// What one agent did inside a slice of time: microseconds per state (indexed by [`slot`]; the
/// events' precision, so slices add up exactly), pauses by reason, changes into on_call.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Tally {
    pub us: [i64; 6],
    pub calls_answered: u64,
    pub paused_by_reason: BTreeMap<String, i64>,
}

impl Tally {
    /// Adds another slice's tally.
    pub fn merge(&mut self, other: &Tally) {
        for (a, b) in self.us.iter_mut().zip(other.us) {
            *a += b;
        }
        self.calls_answered += other.calls_answered;
        for (reason, us) in &other.paused_by_reason {
            *self.paused_by_reason.entry(reason.clone()).or_default() += us;
        }
    }

    /// Time in any state but logged_out, microseconds.
    pub fn logged_in_us(&self) -> i64 {
        self.us[1..].iter().sum()
    }

    /// Nothing but logged-out time.
    pub fn is_empty(&self) -> bool {
        self.us[1..].iter().all(|&us| us == 0) && self.calls_answered == 0
    }
}

/// Per agent.
pub(crate) type Tallies = BTreeMap<String, Tally>;

/// Adds each agent's tally of `more` to `into`.
pub(crate) fn merge(into: &mut Tallies, more: &Tallies) {
    for (agent, t) in more {
        into.entry(agent.clone()).or_default().merge(t);
    }
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
#[derive(Debug, Clone)]
pub(crate) struct Current {
    pub state: AgentStateName,
    pub since: DateTime<Utc>,
    pub pause_reason: String,
}

/// Agent events replayed in order (time, then insertion) into each agent's state and the
/// tallies of the slice being counted. An agent first seen starts logged out.
#[derive(Debug, Default)]
pub(crate) struct Replay {
    pub current: BTreeMap<String, Current>,
    tallies: Tallies,
}

impl Replay {
    /// Applies one event of the slice `[from, to)`: its time is clamped into the slice (events
    /// before it set the state the slice opens with), and a change into on_call at or after
    /// `from` counts as answered.
    pub fn apply(&mut self, e: &AgentEventRecord, from: DateTime<Utc>, to: DateTime<Utc>) {
        let at = e.at.clamp(from, to);
        let c = self
            .current
            .entry(e.agent.clone())
            .or_insert_with(|| Current {
                state: AgentStateName::LoggedOut,
                since: from,
                pause_reason: String::new(),
            });
        match &e.kind {
            AgentEventKind::State { to: state, .. } => {
                add(&mut self.tallies, &e.agent, c, at);
                c.state = *state;
                c.since = at;
                if *state == AgentStateName::OnCall && e.at >= from {
                    self.tallies
                        .entry(e.agent.clone())
                        .or_default()
                        .calls_answered += 1;
                }
            }
            // A new reason while paused splits the pause.
            AgentEventKind::Pause { reason } => {
                add(&mut self.tallies, &e.agent, c, at);
                c.since = at;
                reason.clone_into(&mut c.pause_reason);
            }
            _ => {}
        }
    }

    /// Ends the slice at `end`: every agent's current span is counted up to it (the next slice
    /// goes on from there), and the slice's tallies are handed over.
    pub fn cut(&mut self, end: DateTime<Utc>) -> Tallies {
        for (agent, c) in &mut self.current {
            add(&mut self.tallies, agent, c, end);
            c.since = end;
        }
        std::mem::take(&mut self.tallies)
    }
}

/// Adds the span of `c` up to `end`.
fn add(tallies: &mut Tallies, agent: &str, c: &Current, end: DateTime<Utc>) {
    let us = (end - c.since).num_microseconds().unwrap_or(0).max(0);
    let t = match tallies.get_mut(agent) {
        Some(t) => t,
        None => tallies.entry(agent.to_owned()).or_default(),
    };
    t.us[slot(c.state)] += us;
    if c.state == AgentStateName::Paused && us > 0 {
        *t.paused_by_reason
            .entry(c.pause_reason.clone())
            .or_default() += us;
    }
}

pub(crate) fn slot(s: AgentStateName) -> usize {
    match s {
        AgentStateName::LoggedOut => 0,
        AgentStateName::Available => 1,
        AgentStateName::Ringing => 2,
        AgentStateName::OnCall => 3,
        AgentStateName::WrapUp => 4,
        AgentStateName::Paused => 5,
    }
}

/// The tallies of `[from, to)` replayed from each agent's last state change before `from`
/// and, for agents paused then, their last pause before `from` (`before`), and the agent
/// events inside the window (`inside`, ordered by time, then insertion). An agent with no
/// change before the window starts it logged out.
pub(crate) fn tally<'a>(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    before: impl IntoIterator<Item = &'a AgentEventRecord>,
    inside: impl IntoIterator<Item = &'a AgentEventRecord>,
) -> Tallies {
    let mut replay = Replay::default();
    for e in before.into_iter().chain(inside) {
        replay.apply(e, from, to);
    }
    replay.cut(to)
}

fn secs(us: i64) -> f64 {
    us as f64 / 1e6
}

/// The report's rows from the window's tallies (however they were added up) and the agents'
/// call totals. Agents who were logged out for the whole window are left out.
pub(crate) fn rows(tallies: &Tallies, calls: &[AgentCallTotals]) -> Vec<AgentReportRow> {
    let calls: BTreeMap<&str, &AgentCallTotals> =
        calls.iter().map(|c| (c.agent.as_str(), c)).collect();
    tallies
        .iter()
        .filter(|(_, t)| !t.is_empty())
        .map(|(agent, t)| {
            let [_, available, ringing, on_call, wrap_up, paused] = t.us;
            let logged_in = secs(t.logged_in_us());
            let busy = secs(on_call + wrap_up);
            let staffed = secs(on_call + wrap_up + available + ringing);
            let calls = calls.get(agent.as_str());
            AgentReportRow {
                agent: agent.clone(),
                logged_in_secs: logged_in,
                available_secs: secs(available),
                ringing_secs: secs(ringing),
                on_call_secs: secs(on_call),
                wrap_up_secs: secs(wrap_up),
                paused_secs: secs(paused),
                paused_by_reason: t
                    .paused_by_reason
                    .iter()
                    .map(|(r, &us)| (r.clone(), secs(us)))
                    .collect(),
                calls_answered: t.calls_answered,
                calls_completed: calls.map_or(0, |c| c.completed),
                hold_secs: calls.map_or(0.0, |c| c.hold.as_secs_f64()),
                missed_offers: calls.map_or(0, |c| c.missed_offers),
                avg_handle_secs: (t.calls_answered > 0).then(|| busy / t.calls_answered as f64),
                occupancy: (staffed > 0.0).then(|| busy / staffed),
            }
        })
        .collect()
}
