//! Random agent histories and report windows (shared by the tests that check a stored summary
//! of the agent events against the replay of the events themselves).

use chrono::{DateTime, TimeDelta, Utc};
use crm::{AgentEventKind, AgentStateName, CdrEvent, Crm};

use super::acd::{t, History};

/// A small deterministic generator (xorshift64*), so a failure names its seed.
pub struct Rng(pub u64);

impl Rng {
    /// The generator of test seed `seed`.
    pub fn seeded(seed: u64) -> Self {
        Rng(0x9e37_79b9_7f4a_7c15 ^ seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// In `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub const AGENTS: [&str; 4] = ["ann", "bob", "cat", "dan"];
const STATES: [AgentStateName; 6] = [
    AgentStateName::LoggedOut,
    AgentStateName::Available,
    AgentStateName::Ringing,
    AgentStateName::OnCall,
    AgentStateName::WrapUp,
    AgentStateName::Paused,
];
const REASONS: [&str; 4] = ["lunch", "break", "", "no answer"];

/// Two days of random agent events from 2025-03-01 00:00: state changes after gaps from zero
/// (same instant) to three hours, at microsecond precision; every change into paused preceded
/// by a pause event at the same instant (as the ACD records it), new reasons while paused,
/// and logins, logouts and unpauses (which the report ignores) in between.
pub fn history(rng: &mut Rng) -> Vec<CdrEvent> {
    let mut h = History::default();
    for agent in AGENTS {
        let mut at = t(1, 0, 0, 0) + TimeDelta::seconds(rng.below(3600) as i64);
        let mut state = AgentStateName::LoggedOut;
        while at < t(3, 0, 0, 0) {
            let gap = match rng.below(4) {
                0 => 0,
                1 => rng.below(60_000_000),
                2 => rng.below(900_000_000),
                _ => rng.below(3 * 3600 * 1_000_000),
            };
            at += TimeDelta::microseconds(gap as i64);
            match rng.below(10) {
                0 => h.agent(at, agent, AgentEventKind::Login),
                1 => h.agent(at, agent, AgentEventKind::Unpause),
                2 if state == AgentStateName::Paused => {
                    let reason = REASONS[rng.below(4) as usize].to_owned();
                    h.agent(at, agent, AgentEventKind::Pause { reason });
                }
                _ => {
                    let to = STATES[rng.below(6) as usize];
                    if to == AgentStateName::Paused {
                        let reason = REASONS[rng.below(4) as usize].to_owned();
                        h.agent(at, agent, AgentEventKind::Pause { reason });
                    }
                    h.state(at, agent, state, to);
                    state = to;
                }
            }
        }
    }
    h.0
}

/// Writes the events in 1 to 4 batches of random membership, each batch in random order (late
/// and out-of-order events, and events of one instant possibly swapped).
pub async fn write_shuffled(
    crm: &Crm,
    rng: &mut Rng,
    mut events: Vec<CdrEvent>,
) -> anyhow::Result<()> {
    for i in (1..events.len()).rev() {
        events.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let batches = 1 + rng.below(4) as usize;
    let size = events.len().div_ceil(batches);
    let mut rest = events.into_iter().peekable();
    while rest.peek().is_some() {
        let batch: Vec<CdrEvent> = rest.by_ref().take(size).collect();
        History(batch).write(crm).await?;
    }
    Ok(())
}

/// A random window over the history (and a little beyond it): often on quarter hours, often
/// not; from a few seconds to a day and a half; `now` sometimes inside it.
pub fn window(rng: &mut Rng) -> (DateTime<Utc>, DateTime<Utc>, DateTime<Utc>) {
    let base = t(1, 0, 0, 0);
    let mut from = base + TimeDelta::seconds(rng.below(50 * 3600) as i64);
    if rng.below(3) == 0 {
        from = base + TimeDelta::seconds(rng.below(200) as i64 * 900);
    } else {
        from += TimeDelta::microseconds(rng.below(1_000_000) as i64);
    }
    let length = match rng.below(4) {
        0 => TimeDelta::seconds(1 + rng.below(900) as i64),
        1 => TimeDelta::seconds(900 * (1 + rng.below(8) as i64)),
        2 => TimeDelta::seconds(1 + rng.below(6 * 3600) as i64),
        _ => TimeDelta::seconds(1 + rng.below(36 * 3600) as i64),
    };
    let to = from + length;
    let now = if rng.below(4) == 0 {
        from + TimeDelta::seconds(rng.below(length.num_seconds() as u64 + 1) as i64)
    } else {
        t(5, 0, 0, 0)
    };
    (from, to, now)
}

/// [`history`] with agents of seed `seed`'s own (`ann1`, `bob1`... for seed 1), so histories
/// of several seeds can share a database.
pub fn history_of(rng: &mut Rng, seed: u64) -> Vec<CdrEvent> {
    history(rng)
        .into_iter()
        .map(|e| match e {
            CdrEvent::Agent(mut a) => {
                a.agent = format!("{}{seed}", a.agent);
                a.event_id = format!("{seed}-{}", a.event_id);
                CdrEvent::Agent(a)
            }
            other => other,
        })
        .collect()
}
