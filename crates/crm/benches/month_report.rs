//! Report benchmark: the month report over a generated history of N calls, on SQLite and
//! PostgreSQL. The history is generated in bulk by SQL (`INSERT ... SELECT` over a series):
//! calls spread evenly over M months in 4 queues, 80 % answered by one of 50 agents (enter,
//! connect, complete; the agent's ringing → on_call → wrap_up → available changes) and 20 %
//! abandoned; one CDR per call, 10 % of them web calls; then the queue visits and the agents'
//! quarter hours the reports read, computed from those events by the CDR writer's code
//! ([`Crm::rebuild_queue_visits`], [`Crm::rebuild_agent_buckets`]). Then, timed: the queue
//! report of the last full month by day and by quarter hour, the same for the web channel, the
//! agent report of the month, and the same agent report replayed from the raw events (the
//! computation before migration 0028, which it must equal); then the staffing history of the
//! 8 weeks up to the end of that month per quarter hour, and the same with its logged-in agents
//! replayed from the raw events (which it must equal), for all queues and for the agents alone. Prints one JSON line per backend and
//! report.
//!
//! Run: `cargo bench -p switchboard-crm --bench month_report -- [--calls N] [--months M]
//! [--backend sqlite|postgres|both] [--rounds R]` (defaults: 1,000,000 calls, 12 months, both,
//! 3 rounds; the best round is reported with the others). PostgreSQL is
//! `SWITCHBOARD_TEST_PG_URL` or `postgres://127.0.0.1:5432/test`, in a schema of its own that
//! is dropped at the end. docs/benchmarks.md ("Reports") has the results.

use std::str::FromStr;
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, TimeZone, Utc};
use crm::{CallChannel, Crm, Interval, ReportQuery, StaffingHistoryQuery};
use sqlx::Connection;

/// The first generated call: 2025-01-01 00:00 UTC.
const START: i64 = 1_735_689_600;

struct Args {
    calls: u64,
    months: u32,
    backends: Vec<&'static str>,
    rounds: usize,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        calls: 1_000_000,
        months: 12,
        backends: vec!["sqlite", "postgres"],
        rounds: 3,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--calls" => a.calls = value()?.parse()?,
            "--months" => a.months = value()?.parse()?,
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
    anyhow::ensure!(a.calls > 0 && a.months > 0 && a.rounds > 0, "nothing to do");
    Ok(a)
}

/// The backend's spelling of a time `expr` seconds after the epoch, and of the series 0..n.
struct Dialect {
    time: fn(&str) -> String,
    series: fn(u64) -> String,
}

const SQLITE: Dialect = Dialect {
    // The repository's fixed-width text (docs in 0001_cdrs.sql).
    time: |e| format!("(strftime('%Y-%m-%dT%H:%M:%S', {e}, 'unixepoch') || '.000000Z')"),
    series: |n| {
        format!(
            "RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {})",
            n - 1
        )
    },
};

const POSTGRES: Dialect = Dialect {
    time: |e| format!("to_timestamp({e})"),
    series: |n| format!("n(i) AS (SELECT generate_series(0::BIGINT, {}))", n - 1),
};

/// The statements that generate the history.
fn history(d: &Dialect, calls: u64, months: u32) -> Vec<String> {
    let spacing = (i64::from(months) * 30 * 86_400) / calls as i64;
    let spacing = spacing.max(1);
    let series = (d.series)(calls);
    let t = |offset: &str| (d.time)(&format!("({START} + i * {spacing} + {offset})"));
    // Per call i: wait i % 40 s, talk 60 + i % 240 s, hold a tenth of it, wrap-up 30 s.
    let (enter, connect, complete, wrapped) = (
        t("0"),
        t("i % 40"),
        t("i % 40 + 60 + i % 240"),
        t("i % 40 + 60 + i % 240 + 30"),
    );
    let answered = "i % 5 <> 0";
    let agent = "'a' || (i % 50)";
    let q = "INSERT INTO queue_events (event_id, at, queue, call_id, kind, agent, position, wait_ms, talk_ms, hold_ms, ended_by)";
    let a = "INSERT INTO agent_events (event_id, at, agent, kind, from_state, to_state)";
    vec![
        format!(
            "WITH {series} INSERT INTO cdrs (call_id, caller, callee, started_at, channel)
             SELECT 'c' || i, '010' || (i % 9999991), '7000', {enter},
                    CASE WHEN i % 10 = 0 THEN 'web' ELSE 'voice' END FROM n"
        ),
        format!(
            "WITH {series} {q} SELECT 'e' || i, {enter}, 'q' || (i % 4), 'c' || i, 'enter',
                    NULL, 1, NULL, NULL, NULL, NULL FROM n"
        ),
        format!(
            "WITH {series} {q} SELECT 'k' || i, {connect}, 'q' || (i % 4), 'c' || i, 'connect',
                    {agent}, NULL, (i % 40) * 1000, NULL, NULL, NULL FROM n WHERE {answered}"
        ),
        format!(
            "WITH {series} {q} SELECT 'd' || i, {complete}, 'q' || (i % 4), 'c' || i, 'complete',
                    {agent}, NULL, NULL, (60 + i % 240) * 1000, (60 + i % 240) * 100, 'caller'
             FROM n WHERE {answered}"
        ),
        format!(
            "WITH {series} {q} SELECT 'x' || i, {connect}, 'q' || (i % 4), 'c' || i, 'abandon',
                    NULL, 1, (i % 40) * 1000, NULL, NULL, NULL FROM n WHERE NOT ({answered})"
        ),
        format!(
            "WITH {series} {a} SELECT 's' || i, {connect}, {agent}, 'state', 'ringing', 'on_call'
             FROM n WHERE {answered}"
        ),
        format!(
            "WITH {series} {a} SELECT 'w' || i, {complete}, {agent}, 'state', 'on_call', 'wrap_up'
             FROM n WHERE {answered}"
        ),
        format!(
            "WITH {series} {a} SELECT 'v' || i, {wrapped}, {agent}, 'state', 'wrap_up', 'available'
             FROM n WHERE {answered}"
        ),
    ]
}

/// The last full month of the history (the first when it spans one): [first of month, first
/// of next month). Generated months are 30 days, so the twelfth is cut short.
fn last_month(months: u32) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = Utc.timestamp_opt(START, 0).single().unwrap_or_default();
    let month0 = start.month0() + months.saturating_sub(2);
    let first = |m0: u32| {
        Utc.with_ymd_and_hms(start.year() + (m0 / 12) as i32, m0 % 12 + 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default()
    };
    (first(month0), first(month0 + 1))
}

/// Generates the history by SQL, then its queue visits and agent quarter hours through the CDR
/// writer's code, then ANALYZE. Returns how long each of the three took.
async fn generate(
    backend: &str,
    url: &str,
    schema: Option<&str>,
    a: &Args,
    crm: &Crm,
) -> anyhow::Result<[Duration; 3]> {
    let started = Instant::now();
    let statements = match backend {
        "sqlite" => history(&SQLITE, a.calls, a.months),
        _ => history(&POSTGRES, a.calls, a.months),
    };
    let (events, visits);
    if backend == "sqlite" {
        let mut conn = sqlx::SqliteConnection::connect(url).await?;
        let mut tx = conn.begin().await?;
        for s in &statements {
            sqlx::query(s).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        events = started.elapsed();
        crm.rebuild_queue_visits().await?;
        visits = started.elapsed();
        crm.rebuild_agent_buckets().await?;
        sqlx::query("ANALYZE").execute(&mut conn).await?;
        conn.close().await?;
    } else {
        let opts = sqlx::postgres::PgConnectOptions::from_str(url)?
            .options([("search_path", schema.unwrap_or("public"))]);
        let mut conn = sqlx::PgConnection::connect_with(&opts).await?;
        for s in &statements {
            sqlx::query(s).execute(&mut conn).await?;
        }
        events = started.elapsed();
        // The visits' wrap-up look-ups need the agent events' statistics.
        sqlx::query("ANALYZE").execute(&mut conn).await?;
        crm.rebuild_queue_visits().await?;
        visits = started.elapsed();
        crm.rebuild_agent_buckets().await?;
        sqlx::query("ANALYZE").execute(&mut conn).await?;
        conn.close().await?;
    }
    Ok([events, visits - events, started.elapsed() - visits])
}

async fn measure(backend: &str, crm: &Crm, a: &Args) -> anyhow::Result<()> {
    let (from, to) = last_month(a.months);
    let q = |interval, channel| ReportQuery {
        interval,
        channel,
        ..ReportQuery::new(from, to)
    };
    let reports: [(&str, ReportQuery); 3] = [
        ("queues_by_day", q(Interval::Day, None)),
        ("queues_by_15m", q(Interval::Min15, None)),
        (
            "web_queues_by_day",
            q(Interval::Day, Some(CallChannel::Web)),
        ),
    ];
    for (name, query) in &reports {
        let mut times = Vec::new();
        let mut offered = 0;
        for _ in 0..a.rounds {
            let t = Instant::now();
            let rows = crm.queue_report(query).await?;
            times.push(t.elapsed().as_secs_f64());
            offered = rows.iter().map(|r| r.offered).sum::<u64>();
        }
        print_line(backend, name, a, offered, &times);
    }
    let mut times = Vec::new();
    let mut agents = 0;
    for _ in 0..a.rounds {
        let t = Instant::now();
        let rows = crm.agent_report(from, to, to, None).await?;
        times.push(t.elapsed().as_secs_f64());
        agents = rows.len() as u64;
    }
    print_line(backend, "agents", a, agents, &times);
    let summed = crm.agent_report(from, to, to, None).await?;
    let mut times = Vec::new();
    for _ in 0..a.rounds {
        let t = Instant::now();
        let replayed = crm.agent_report_from_events(from, to, to, None).await?;
        times.push(t.elapsed().as_secs_f64());
        anyhow::ensure!(
            replayed == summed,
            "the quarter hours and the events disagree"
        );
    }
    print_line(backend, "agents_from_events", a, agents, &times);
    staffing(backend, crm, a, to).await
}

/// The staffing history of the 8 weeks up to `to`, all agents, per quarter hour: its
/// logged-in agents from the quarter hours, then replayed from the raw events (which must give
/// the same rows); for all queues (`staffing_8_weeks`), then for a queue without calls
/// (`staffing_8_weeks_agents`: the logged-in agents alone, without the calls' queue report).
async fn staffing(backend: &str, crm: &Crm, a: &Args, to: DateTime<Utc>) -> anyhow::Result<()> {
    let q = |queues| StaffingHistoryQuery {
        from: to - chrono::Duration::weeks(8),
        to,
        now: to,
        queues,
        agents: None,
        interval: Interval::Min15,
        tz_offset_minutes: 0,
    };
    let runs = [
        ("staffing_8_weeks", q(None)),
        ("staffing_8_weeks_agents", q(Some(vec!["no calls".into()]))),
    ];
    for (name, q) in &runs {
        let mut summed = Vec::new();
        let mut times = Vec::new();
        for _ in 0..a.rounds {
            let t = Instant::now();
            summed = crm.staffing_history(q).await?;
            times.push(t.elapsed().as_secs_f64());
        }
        let intervals = summed.len() as u64;
        print_line(backend, name, a, intervals, &times);
        let mut times = Vec::new();
        for _ in 0..a.rounds {
            let t = Instant::now();
            let replayed = crm.staffing_history_from_events(q).await?;
            times.push(t.elapsed().as_secs_f64());
            anyhow::ensure!(
                replayed == summed,
                "the staffing history's quarter hours and events disagree"
            );
        }
        print_line(
            backend,
            &format!("{name}_from_events"),
            a,
            intervals,
            &times,
        );
    }
    Ok(())
}

fn print_line(backend: &str, report: &str, a: &Args, rows: u64, times: &[f64]) {
    let best = times.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "{}",
        serde_json::json!({
            "backend": backend,
            "report": report,
            "calls": a.calls,
            "months": a.months,
            "counted": rows,
            "best_s": (best * 1000.0).round() / 1000.0,
            "rounds_s": times.iter().map(|t| (t * 1000.0).round() / 1000.0).collect::<Vec<_>>(),
        })
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let a = args()?;
    for backend in a.backends.clone() {
        if backend == "sqlite" {
            let dir = tempfile_dir()?;
            let url = format!("sqlite://{}/bench.db", dir.display());
            let crm = Crm::connect(&url).await?;
            let took = generate(backend, &url, None, &a, &crm).await?;
            generated(backend, &a, took);
            measure(backend, &crm, &a).await?;
            crm.close().await;
            std::fs::remove_dir_all(&dir)?;
        } else {
            let url = std::env::var(crm::testing::PG_URL_ENV)
                .unwrap_or_else(|_| crm::testing::DEFAULT_PG_URL.to_owned());
            let (crm, schema) = crm::testing::connect_isolated_postgres(&url).await?;
            let result = async {
                let took = generate(backend, &url, Some(&schema), &a, &crm).await?;
                generated(backend, &a, took);
                measure(backend, &crm, &a).await
            }
            .await;
            crm.close().await;
            crm::testing::drop_isolated_postgres(&url, &schema).await?;
            result?;
        }
    }
    Ok(())
}

fn generated(backend: &str, a: &Args, [events, visits, buckets]: [Duration; 3]) {
    eprintln!(
        "{backend}: generated {} calls in {:.1} s, their visits in {:.1} s, the agents' quarter \
         hours in {:.1} s",
        a.calls,
        events.as_secs_f64(),
        visits.as_secs_f64(),
        buckets.as_secs_f64()
    );
}

/// A fresh directory under the system's temporary directory.
fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("sb-month-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
