//! What keeping the agents' quarter hours (migration 0028) costs the CDR writer: agent state
//! changes written through [`CdrWriter`] per second, with the upkeep and without it
//! (`crm::testing::skip_agent_buckets`), each on a fresh database. The changes are those of
//! the report benchmark's agents (`month_report.rs`): 50 agents taking calls in turn, one every
//! 31 s, each call ringing → on_call → wrap_up → available, in time order.
//!
//! Two ways of arriving: `bulk`, all sent at once to a [`CdrWriter`] (it takes batches of up to
//! [`crm::MAX_BATCH`] events, about ten per agent), and `single`, each event committed as a
//! batch of its own (`crm::testing::write_batch`: the writer's transaction without its 20 ms
//! wait for more events; a quiet switch, the upkeep's worst case).
//!
//! Run: `cargo bench -p switchboard-crm --bench agent_writer -- [--events N] [--single N]
//! [--rounds R] [--backend sqlite|postgres|both]` (defaults: 30,000 bulk, 1,500 single, 3
//! rounds, both; the best round is reported with the others). SQLite is a file in the system's
//! temporary directory (WAL, as the switch opens it); PostgreSQL is `SWITCHBOARD_TEST_PG_URL` or
//! `postgres://127.0.0.1:5432/test`, in a schema of its own per round. docs/benchmarks.md
//! ("Reports") has the results.

use std::time::Instant;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use crm::{AgentEventKind, AgentEventRecord, AgentStateName, CdrEvent, CdrWriter, Crm};

struct Args {
    bulk: usize,
    single: usize,
    rounds: usize,
    backends: Vec<&'static str>,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        bulk: 30_000,
        single: 1_500,
        rounds: 3,
        backends: vec!["sqlite", "postgres"],
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--events" => a.bulk = value()?.parse()?,
            "--single" => a.single = value()?.parse()?,
            "--rounds" => a.rounds = value()?.parse()?,
            "--backend" => {
                a.backends = match value()?.as_str() {
                    "sqlite" => vec!["sqlite"],
                    "postgres" => vec!["postgres"],
                    "both" => vec!["sqlite", "postgres"],
                    other => anyhow::bail!("--backend {other}: sqlite, postgres or both"),
                }
            }
            // `cargo bench` passes --bench.
            "--bench" => {}
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    anyhow::ensure!(a.bulk > 0 && a.single > 0 && a.rounds > 0, "nothing to do");
    Ok(a)
}

/// The first `n` state changes of the report benchmark's agents from 2025-01-01.
fn events(n: usize) -> Vec<CdrEvent> {
    use AgentStateName::*;
    let start: DateTime<Utc> = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let mut out = Vec::with_capacity(n + 3);
    let mut call = 0i64;
    while out.len() < n {
        let at = |s: i64| start + TimeDelta::seconds(call * 31 + s);
        let agent = format!("a{}", call % 50);
        let (wait, talk) = (call % 40, 60 + call % 240);
        for (i, (s, from, to)) in [
            (wait, Ringing, OnCall),
            (wait + talk, OnCall, WrapUp),
            (wait + talk + 30, WrapUp, Available),
        ]
        .into_iter()
        .enumerate()
        {
            out.push(CdrEvent::Agent(AgentEventRecord {
                event_id: format!("{call}-{i}"),
                at: at(s),
                agent: agent.clone(),
                kind: AgentEventKind::State { from, to },
            }));
        }
        call += 1;
    }
    out.truncate(n);
    out
}

/// Writes `events` through a writer, all at once or one batch each; events per second.
async fn write(crm: &Crm, events: Vec<CdrEvent>, single: bool) -> anyhow::Result<f64> {
    let n = events.len();
    let started = Instant::now();
    if single {
        for e in events {
            let written = crm::testing::write_batch(crm, std::slice::from_ref(&e)).await?;
            anyhow::ensure!(written == 1, "{e:?} not written");
        }
    } else {
        let (sender, task) = CdrWriter::spawn(crm.clone());
        for e in events {
            sender.send(e)?;
        }
        let stats = task.shutdown().await?;
        anyhow::ensure!(stats.written == n as u64, "{stats:?}");
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

/// One round on a fresh database of `backend`.
async fn round(backend: &str, events: Vec<CdrEvent>, single: bool) -> anyhow::Result<f64> {
    if backend == "sqlite" {
        let dir = std::env::temp_dir().join(format!("sb-agent-writer-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let crm = Crm::connect(&format!("sqlite://{}/bench.db", dir.display())).await?;
        let rate = write(&crm, events, single).await;
        crm.close().await;
        std::fs::remove_dir_all(&dir)?;
        rate
    } else {
        let url = std::env::var(crm::testing::PG_URL_ENV)
            .unwrap_or_else(|_| crm::testing::DEFAULT_PG_URL.to_owned());
        let (crm, schema) = crm::testing::connect_isolated_postgres(&url).await?;
        let rate = write(&crm, events, single).await;
        crm.close().await;
        crm::testing::drop_isolated_postgres(&url, &schema).await?;
        rate
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let a = args()?;
    for backend in a.backends.clone() {
        for (mode, n, single) in [("bulk", a.bulk, false), ("single", a.single, true)] {
            let mut rates = [Vec::new(), Vec::new()];
            // Alternating, so a change of the machine's load touches both alike.
            for _ in 0..a.rounds {
                for (i, skip) in [true, false].into_iter().enumerate() {
                    crm::testing::skip_agent_buckets(skip);
                    rates[i].push(round(backend, events(n), single).await?);
                }
            }
            crm::testing::skip_agent_buckets(false);
            for (rates, upkeep) in rates.iter().zip([false, true]) {
                let best = rates.iter().copied().fold(0.0, f64::max);
                println!(
                    "{}",
                    serde_json::json!({
                        "backend": backend,
                        "arrival": mode,
                        "events": n,
                        "agent_buckets": upkeep,
                        "best_events_per_s": best.round(),
                        "rounds_events_per_s": rates.iter().map(|r| r.round()).collect::<Vec<_>>(),
                    })
                );
            }
        }
    }
    Ok(())
}
