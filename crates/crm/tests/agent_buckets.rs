//! The agents' stored quarter hours (migration 0028) the agent report sums: for random
//! histories written in random order and batches, the report from them equals the report
//! replayed from all the raw events (the computation before 0028) for random windows, on both
//! backends; and a database written before 0028 gets them at start-up.

mod common;

use common::acd::{t, History};
use common::random_history::{history_of, window, write_shuffled, Rng, AGENTS};
use crm::{AgentStateName, Crm};

on_both_backends!(buckets_give_the_report_of_the_events_for_any_window);

async fn compare_windows(crm: &Crm, rng: &mut Rng, seed: u64, n: usize) -> anyhow::Result<usize> {
    let mut with_rows = 0;
    for i in 0..n {
        let (from, to, now) = window(rng);
        // One agent of one of the seeds written so far (or a later one's: no rows).
        let agent = (rng.below(4) == 0)
            .then(|| format!("{}{}", AGENTS[rng.below(4) as usize], 1 + rng.below(3)));
        let agent = agent.as_deref();
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
        let mut rng = Rng::seeded(seed);
        let events = history_of(&mut rng, seed);
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
