//! `GET /api/staffing` against the real binary (SQLite): the seeds' worked example from a
//! history written into the switch's database (four Mondays with 100 calls of 180 s between
//! 10:00 and 10:30 and 13 agents logged in: 14 agents needed for 80 % in 20 s, giving 88.84 %,
//! while the 13 give 79.56 %), the what-ifs, CSV, roles and bad input.

use anyhow::{ensure, Context};
use chrono::Duration;
use crm::QueueEventKind;
use serde_json::Value;
use switchboard_e2e::http_client::{request, HttpResponse, Session};
use switchboard_e2e::postgres::PgSchema;
use switchboard_e2e::staffing_history::{config, monday, seed, Events};
use switchboard_e2e::{Options, Switch};

fn get(s: &Switch, who: &Session, path: &str) -> anyhow::Result<HttpResponse> {
    who.send(s, "GET", path, "")
}

fn json(r: &HttpResponse) -> anyhow::Result<Value> {
    ensure!(r.status == 200, "{} {}", r.status, r.body);
    Ok(serde_json::from_str(&r.body)?)
}

/// The Monday 10:00 row.
fn ten(plan: &Value) -> anyhow::Result<&Value> {
    plan["rows"]
        .as_array()
        .context("rows")?
        .iter()
        .find(|r| r["date"] == "2025-03-31" && r["start"] == "10:00")
        .with_context(|| format!("no Monday 10:00 row in {plan}"))
}

fn percent(v: &Value) -> f64 {
    (v.as_f64().unwrap_or(f64::NAN) * 10_000.0).round() / 100.0
}

#[test]
fn staffing_from_history_what_ifs_csv_roles_and_bad_input() -> anyhow::Result<()> {
    let s = Switch::start(Options {
        extra_toml: config(),
        ..Options::default()
    })?;
    seed(&s)?;
    let sup = Session::login(&s, "sup", "sup-password")?;
    let base = "/api/staffing?queues=support&week=2025-04-02&interval=30";

    // The worked example, with no shrinkage so the scheduled agents are all on the phone.
    let plan = json(&get(&s, &sup, &format!("{base}&shrinkage=0"))?)?;
    ensure!(plan["week"] == "2025-03-31", "{plan}");
    ensure!(plan["model"] == "erlang_c" && plan["patience_secs"].is_null());
    // The queue's own target is the default.
    ensure!(plan["sl_target_percent"] == 80.0 && plan["sl_seconds"] == 20.0);
    ensure!(plan["forecast"]["weeks_used"] == 4, "{plan}");
    ensure!(plan["forecast"]["weekly_growth"] == 1.0, "{plan}");
    // Each of weeks 2..4 forecast from those before it is exact: no error.
    ensure!(plan["forecast"]["error"]["weeks"] == 3 && plan["forecast"]["error"]["wape"] == 0.0);
    let r = ten(&plan)?;
    ensure!(r["weekday"] == "mon" && r["forecast_calls"] == 100.0, "{r}");
    ensure!(r["aht_secs"].as_f64() == Some(180.0), "{r}");
    ensure!(r["needed_erlang_c"] == 14 && r["needed"] == 14 && r["to_schedule"] == 14);
    ensure!(r["needed_erlang_a"].is_null(), "{r}");
    ensure!(percent(&r["service_level"]) == 88.84, "{r}");
    ensure!((r["asa_secs"].as_f64().unwrap_or_default() - 7.84).abs() < 0.01);
    ensure!(r["scheduled"] == 13.0, "{r}");
    ensure!(percent(&r["scheduled_service_level"]) == 79.56, "{r}");
    // 10:30: no calls, the agents' last quarter hour.
    let after = plan["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["start"] == "10:30"))
        .context("10:30")?;
    ensure!(after["needed"] == 0 && after["scheduled"] == 6.5, "{after}");

    // All queues: every agent counts, x01 of sales too.
    let all = json(&get(&s, &sup, "/api/staffing?week=2025-03-31&shrinkage=0")?)?;
    ensure!(
        all["queues"].is_null() && ten(&all)?["scheduled"] == 14.0,
        "{all}"
    );
    // Quarter hours: 50 calls in each of 10:00 and 10:15 (one every 18 s); agents alone at
    // 10:30; nothing at all from 10:45, so no row.
    let quarters = json(&get(
        &s,
        &sup,
        "/api/staffing?queues=support&week=2025-03-31&interval=15",
    )?)?;
    ensure!(quarters["interval_minutes"] == 15, "{quarters}");
    let starts: Vec<(&str, f64)> = quarters["rows"]
        .as_array()
        .context("rows")?
        .iter()
        .filter(|r| r["date"] == "2025-03-31")
        .filter_map(|r| Some((r["start"].as_str()?, r["forecast_calls"].as_f64()?)))
        .collect();
    ensure!(
        starts == [("10:00", 50.0), ("10:15", 50.0), ("10:30", 0.0)],
        "{starts:?}"
    );

    // Shrinkage by default (30 %): 14 on the phone are 20 scheduled; 13 logged in are 9.
    let r = ten(&json(&get(&s, &sup, base)?)?)?.clone();
    ensure!(r["needed"] == 14 && r["to_schedule"] == 20, "{r}");
    ensure!(r["scheduled_service_level"].as_f64() < Some(0.2), "{r}");

    // What-ifs: a stricter target, longer calls, more calls each need more agents.
    for (what, more_than) in [
        ("&sl_target=90", 14),
        ("&aht=360", 20),
        ("&forecast_scale=2", 20),
    ] {
        let r = ten(&json(&get(&s, &sup, &format!("{base}{what}"))?)?)?.clone();
        let needed = r["needed"].as_u64().unwrap_or_default();
        ensure!(needed > more_than, "{what}: {r}");
    }
    let r = ten(&json(&get(&s, &sup, &format!("{base}&forecast_scale=2"))?)?)?.clone();
    ensure!(
        r["forecast_calls"] == 200.0 && r["needed_erlang_c"] == 24,
        "{r}"
    );

    // CSV: the same row, and a download name.
    let csv = get(&s, &sup, &format!("{base}&shrinkage=0&format=csv"))?;
    ensure!(csv.status == 200, "{}", csv.body);
    ensure!(csv.header("content-type") == Some("text/csv; charset=utf-8"));
    ensure!(csv
        .header("content-disposition")
        .is_some_and(|d| d.contains("staffing-2025-03-31.csv")));
    let mut lines = csv.body.lines();
    ensure!(lines
        .next()
        .is_some_and(|h| h.starts_with("date,weekday,start,forecast_calls")));
    ensure!(
        csv.body
            .lines()
            .any(|l| l
                .starts_with("2025-03-31,mon,10:00,100.00,180.0,10.000,14,,14,14,13.00,0.8884,")),
        "{}",
        csv.body
    );

    // Roles: supervisors and admins only.
    for (user, password) in [("qa", "qa-password"), ("s01", "s01-password")] {
        let who = Session::login(&s, user, password)?;
        let r = get(&s, &who, base)?;
        ensure!(r.status == 403, "{user}: {} {}", r.status, r.body);
    }
    let anonymous = request(s.http_port, "GET", base, &[], b"")?;
    ensure!(anonymous.status == 401, "{}", anonymous.status);
    let admin = s.http_send("GET", base, None, b"")?;
    ensure!(admin.status == 200, "{}", admin.body);

    // Bad input: a clear 400 naming the parameter; no history: 422.
    for (query, field, says) in [
        ("interval=20", "interval", "15, 30 or 60"),
        ("queues=nope", "queues", "unknown queue `nope`"),
        // Sales aims at 100 %, which no staffing reaches.
        ("queues=sales", "sl_target", "give sl_target below 100"),
        ("sl_target=120", "sl_target", "sl_target"),
        ("aht=-5", "aht", "aht"),
        ("shrinkage=abc", "shrinkage", "shrinkage"),
        ("week=2025-13-01", "week", "YYYY-MM-DD"),
        ("format=xlsx", "format", "json or csv"),
    ] {
        let r = get(&s, &sup, &format!("/api/staffing?{query}"))?;
        let b: Value = serde_json::from_str(&r.body).unwrap_or_default();
        ensure!(
            r.status == 400
                && b["field"] == field
                && b["error"].as_str().is_some_and(|e| e.contains(says)),
            "{query}: {} {}",
            r.status,
            r.body
        );
    }
    let r = get(&s, &sup, "/api/staffing?unknown=1")?;
    ensure!(r.status == 400, "{} {}", r.status, r.body);
    let r = get(&s, &sup, "/api/staffing?queues=support&week=2020-01-06")?;
    ensure!(
        r.status == 422 && r.body.contains("no history"),
        "{}",
        r.body
    );
    Ok(())
}

/// The synthetic history's slots: weekday (days from Monday), start, calls in the planned
/// week, talk seconds.
const SLOTS: [(i64, u32, u32, f64, u64); 3] = [
    (0, 9, 0, 60.0, 200),
    (0, 9, 30, 30.0, 240),
    (3, 14, 0, 20.0, 150),
];
/// Calls grow 5 % a week.
const GROWTH: f64 = 1.05;
/// Every tenth call of a slot gives up after this many seconds; the others wait 5 s.
const ABANDON_WAIT: i64 = 30;

/// Calls of `slot` in week `w` (negative: before the planned week): the pattern, rounded.
fn calls(slot: usize, w: i64) -> u32 {
    (SLOTS[slot].3 * GROWTH.powi(w as i32)).round() as u32
}

/// Eight weeks of the pattern before the week of 2025-03-31: calls answered after 5 s, but
/// every tenth abandons after [`ABANDON_WAIT`].
fn seed_pattern(database_url: &str) -> anyhow::Result<()> {
    let mut events = Events::default();
    for w in -8..0 {
        for (i, &(day, h, m, _, talk)) in SLOTS.iter().enumerate() {
            let start = monday(4 + w)
                + Duration::days(day)
                + Duration::hours(i64::from(h) - 10)
                + Duration::minutes(i64::from(m));
            let n = calls(i, w);
            for c in 0..n {
                let at = start + Duration::seconds(i64::from(1800 / n * c));
                if c % 10 == 9 {
                    let call = format!("p{w}s{i}c{c}");
                    events.queue(at, &call, QueueEventKind::Enter { position: 1 });
                    let abandon = QueueEventKind::Abandon {
                        position: 1,
                        wait: std::time::Duration::from_secs(ABANDON_WAIT as u64),
                    };
                    events.queue(at + Duration::seconds(ABANDON_WAIT), &call, abandon);
                    continue;
                }
                events.answered(
                    at,
                    &format!("p{w}s{i}c{c}"),
                    &format!("p{}", c % 7),
                    5,
                    talk,
                );
            }
        }
    }
    events.write(database_url)
}

/// The forecast through the API recovers the pattern: the formula of docs/staffing.md on the
/// stored counts exactly, the true volume within 1.5 %, the growth within 1 %.
fn forecast_recovers_the_pattern(database_url: Option<String>) -> anyhow::Result<()> {
    let s = Switch::start(Options {
        database_url,
        extra_toml: config(),
        ..Options::default()
    })?;
    seed_pattern(&s.database_url)?;
    let plan = json(&s.http_send(
        "GET",
        "/api/staffing?queues=support&week=2025-03-31&interval=30",
        None,
        b"",
    )?)?;
    let total = |w: i64| {
        (0..SLOTS.len())
            .map(|i| f64::from(calls(i, w)))
            .sum::<f64>()
    };
    let growth = ((total(-1) + total(-2)) / (total(-3) + total(-4))).sqrt();
    let g = plan["forecast"]["weekly_growth"]
        .as_f64()
        .context("growth")?;
    ensure!(
        (g - growth).abs() < 1e-9 && (g / GROWTH - 1.0).abs() < 0.01,
        "{g}"
    );
    ensure!(plan["forecast"]["weeks_used"] == 4);
    let error = &plan["forecast"]["error"];
    ensure!(
        error["weeks"] == 4 && error["wape"].as_f64() < Some(0.03),
        "{error}"
    );
    // Patience from the abandons: every wait (answered 5 s, abandoned 30 s) / abandons.
    let (mut answered, mut abandoned) = (0.0, 0.0);
    for w in -8..0 {
        for i in 0..SLOTS.len() {
            let n = f64::from(calls(i, w));
            let gave_up = f64::from(calls(i, w) / 10);
            abandoned += gave_up;
            answered += n - gave_up;
        }
    }
    let patience = (answered * 5.0 + abandoned * ABANDON_WAIT as f64) / abandoned;
    ensure!(plan["model"] == "erlang_a", "{}", plan["model"]);
    let p = plan["patience_secs"].as_f64().context("patience")?;
    ensure!((p - patience).abs() < 1e-9, "patience {p} vs {patience}");
    let rows = plan["rows"].as_array().context("rows")?;
    for (i, &(day, h, m, truth, talk)) in SLOTS.iter().enumerate() {
        let date = (monday(4) + Duration::days(day)).date_naive().to_string();
        let start = format!("{h:02}:{m:02}");
        let r = rows
            .iter()
            .find(|r| r["date"] == date.as_str() && r["start"] == start.as_str())
            .with_context(|| format!("{date} {start}"))?;
        let mean = (1..=4).map(|w| f64::from(calls(i, -w))).sum::<f64>() / 4.0;
        let expected = mean * growth.powf(2.5);
        let got = r["forecast_calls"].as_f64().context("forecast")?;
        ensure!(
            (got - expected).abs() < 1e-9,
            "{date} {start}: {got} vs {expected}"
        );
        ensure!(
            (got / truth - 1.0).abs() < 0.015,
            "{date} {start}: {got} vs {truth}"
        );
        ensure!(r["aht_secs"].as_f64() == Some(talk as f64), "{r}");
        // Erlang A decides; callers giving up never need more agents than Erlang C's.
        let a = r["needed_erlang_a"].as_u64().context("Erlang A")?;
        ensure!(r["needed"].as_u64() == Some(a) && a > 0, "{r}");
        ensure!(Some(a) <= r["needed_erlang_c"].as_u64(), "{r}");
        ensure!(r["abandon_rate"].as_f64().is_some_and(|x| x > 0.0), "{r}");
    }
    // Slots never seen are not planned: only the three slots.
    ensure!(rows.len() == 3, "{}", rows.len());
    Ok(())
}

#[test]
fn forecast_recovers_a_known_pattern_on_sqlite() -> anyhow::Result<()> {
    forecast_recovers_the_pattern(None)
}

#[test]
fn forecast_recovers_a_known_pattern_on_postgres() -> anyhow::Result<()> {
    let Some(db) = PgSchema::create("staffing_pattern") else {
        return Ok(());
    };
    forecast_recovers_the_pattern(Some(db.url.clone()))
}
