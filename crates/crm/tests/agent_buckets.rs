//! The agents' stored quarter hours (migration 0028) the agent report sums: for random
//! histories written in random order and batches, the report from them equals the report
//! replayed from all the raw events (the computation before 0028) for random windows, on both
//! backends; and a database written before 0028 gets them at start-up.

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use common::acd::{t, History};
use crm::{AgentEventKind, AgentStateName, CdrEvent, Crm};

on_both_backends!(buckets_give_the_report_of_the_events_for_any_window);

/// A small deterministic generator (xorshift64*), so a failure names its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// In `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const AGENTS: [&str; 4] = ["ann", "bob", "cat", "dan"];
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
fn history(rng: &mut Rng) -> Vec<CdrEvent> {
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
async fn write_shuffled(crm: &Crm, rng: &mut Rng, mut events: Vec<CdrEvent>) -> anyhow::Result<()> {
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
fn window(rng: &mut Rng) -> (DateTime<Utc>, DateTime<Utc>, DateTime<Utc>) {
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

async fn compare_windows(crm: &Crm, rng: &mut Rng, seed: u64, n: usize) -> anyhow::Result<usize> {
    let mut with_rows = 0;
    for i in 0..n {
        let (from, to, now) = window(rng);
        let agent = (rng.below(4) == 0).then(|| AGENTS[rng.below(4) as usize]);
        let summed = crm.agent_report(from, to, now, agent).await?;
        let replayed = crm.agent_report_from_events(from, to, now, agent).await?;
        assert_eq!(
            summed, replayed,
            "seed {seed}, window {i}: {from} – {to}, now {now}, agent {agent:?}"
        );
        with_rows += usize::from(!summed.is_empty());
    }
    Ok(with_rows)
}

async fn buckets_give_the_report_of_the_events_for_any_window(crm: &Crm) -> anyhow::Result<()> {
    let mut with_rows = 0;
    for seed in [1, 2, 3] {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed);
        // Each seed's agents are its own.
        let events: Vec<CdrEvent> = history(&mut rng)
            .into_iter()
            .map(|e| match e {
                CdrEvent::Agent(mut a) => {
                    a.agent = format!("{}{seed}", a.agent);
                    a.event_id = format!("{seed}-{}", a.event_id);
                    CdrEvent::Agent(a)
                }
                other => other,
            })
            .collect();
        write_shuffled(crm, &mut rng, events).await?;
        with_rows += compare_windows(crm, &mut rng, seed, 60).await?;
    }
    // Recomputed from scratch (the backfill's and the benchmark's way), the same again.
    crm.rebuild_agent_buckets().await?;
    let mut rng = Rng(42);
    with_rows += compare_windows(crm, &mut rng, 42, 60).await?;
    // The windows did see agents at work, not just empty reports.
    assert!(with_rows > 100, "{with_rows} of 240 windows had rows");
    Ok(())
}

/// A database whose agent events were written before migration 0028 (no quarter hours,
/// backfill pending) gets them when it is opened, once.
#[tokio::test]
async fn buckets_of_events_written_before_0028_are_computed_at_start() -> anyhow::Result<()> {
    use AgentStateName::*;
    let dir = std::env::temp_dir().join(format!("crm-agent-buckets-{}", std::process::id()));
    let url = format!("sqlite://{}/crm.db", dir.display());
    let result = async {
        let crm = Crm::connect(&url).await?;
        let mut h = History::default();
        h.state(t(1, 9, 0, 0), "ann", LoggedOut, Available);
        h.state(t(1, 9, 40, 0), "ann", Available, OnCall);
        h.state(t(1, 10, 5, 0), "ann", OnCall, Available);
        h.write(&crm).await?;
        let (from, to, now) = (t(1, 9, 0, 0), t(1, 11, 0, 0), t(2, 0, 0, 0));
        let before = crm.agent_report(from, to, now, None).await?;
        assert_eq!(before.len(), 1);
        assert_eq!(
            (before[0].on_call_secs, before[0].available_secs),
            (1500.0, 5700.0)
        );
        crm.close().await;

        // As before 0028: no quarter hours; the migration leaves the backfill pending.
        let derived = ["agent_buckets", "agent_bucket_pauses", "agent_bucket_tails"];
        common::as_before_migration(&url, &derived, "agent_buckets_backfill").await?;

        let crm = Crm::connect(&url).await?;
        assert_eq!(crm.agent_report(from, to, now, None).await?, before);
        crm.close().await;
        // Opened again: the backfill does not run twice (the rows stay, once each).
        let crm = Crm::connect(&url).await?;
        assert_eq!(crm.agent_report(from, to, now, None).await?, before);
        crm.close().await;
        anyhow::Ok(())
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}
