//! `GET /api/staffing` against the real binary (SQLite): the seeds' worked example from a
//! history written into the switch's database (four Mondays with 100 calls of 180 s between
//! 10:00 and 10:30 and 13 agents logged in: 14 agents needed for 80 % in 20 s, giving 88.84 %,
//! while the 13 give 79.56 %), the what-ifs, CSV, roles and bad input.

use anyhow::{ensure, Context};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::Value;
use switchboard_e2e::http_client::{request, HttpResponse, Session};
use switchboard_e2e::{Options, Switch};

/// Thirteen agents of support, one of sales (whose logged-in time must not count for support).
fn config() -> String {
    let mut toml = String::from(
        "[[queues]]\nname = \"support\"\nservice_level_target = 80\nservice_level_s = 20\n\
         [[queues]]\nname = \"sales\"\n\
         [[agents]]\nid = \"x01\"\nqueues = [\"sales\"]\n\
         [[accounts]]\nusername = \"sup\"\npassword = \"sup-password\"\nrole = \"supervisor\"\n\
         [[accounts]]\nusername = \"qa\"\npassword = \"qa-password\"\nrole = \"qa\"\n\
         [[accounts]]\nusername = \"s01\"\npassword = \"s01-password\"\nrole = \"agent\"\nagent = \"s01\"\n",
    );
    for i in 1..=13 {
        toml.push_str(&format!(
            "[[agents]]\nid = \"s{i:02}\"\nqueues = [\"support\"]\n"
        ));
    }
    toml
}

/// The Mondays of the history; the planned week starts on the 31st.
fn monday(week: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 3, 10, 0, 0)
        .single()
        .expect("valid")
        + Duration::weeks(week)
}

/// Per Monday 10:00–10:30: 100 support calls (one every 18 s, answered at once, 180 s of talk,
/// no wrap-up), shared by s01..s13 who log in at 10:00 and out at 10:45; x01 (sales) too.
fn seed(s: &Switch) -> anyhow::Result<()> {
    use crm::{AgentEventKind, AgentEventRecord, AgentStateName::*, CdrEvent, QueueEventKind};
    use crm::{EndedBy, QueueEventRecord};
    let mut events = Vec::new();
    let mut id = 0;
    let mut next_id = || {
        id += 1;
        format!("e{id}")
    };
    let mut agent = |events: &mut Vec<CdrEvent>, at, agent: &str, from, to| {
        events.push(CdrEvent::Agent(AgentEventRecord {
            event_id: next_id(),
            at,
            agent: agent.into(),
            kind: AgentEventKind::State { from, to },
        }))
    };
    for week in 0..4 {
        let start = monday(week);
        let agents: Vec<String> = (1..=13)
            .map(|i| format!("s{i:02}"))
            .chain(["x01".into()])
            .collect();
        for a in &agents {
            agent(&mut events, start, a, LoggedOut, Available);
        }
        for call in 0..100 {
            let at = start + Duration::seconds(18 * call);
            let who = &agents[call as usize % 13];
            let call_id = format!("w{week}c{call}");
            let q = |at, kind| {
                CdrEvent::Queue(QueueEventRecord {
                    event_id: format!("{call_id}-{at}"),
                    at,
                    queue: "support".into(),
                    call_id: call_id.clone(),
                    kind,
                })
            };
            events.push(q(at, QueueEventKind::Enter { position: 1 }));
            events.push(q(
                at + Duration::milliseconds(1),
                QueueEventKind::Connect {
                    agent: who.clone(),
                    wait: std::time::Duration::ZERO,
                },
            ));
            let end = at + Duration::milliseconds(1) + Duration::seconds(180);
            events.push(q(
                end,
                QueueEventKind::Complete {
                    agent: who.clone(),
                    talk: std::time::Duration::from_secs(180),
                    hold: std::time::Duration::ZERO,
                    ended_by: EndedBy::Caller,
                },
            ));
            agent(&mut events, end, who, OnCall, Available);
        }
        for a in &agents {
            agent(
                &mut events,
                start + Duration::minutes(45),
                a,
                Available,
                LoggedOut,
            );
        }
    }
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let crm = crm::Crm::connect(&s.database_url).await?;
        let n = events.len() as u64;
        let (sender, task) = crm::CdrWriter::spawn(crm.clone());
        for e in events {
            sender.send(e)?;
        }
        let stats = task.shutdown().await?;
        ensure!((stats.written, stats.rejected) == (n, 0), "{stats:?}");
        crm.close().await;
        anyhow::Ok(())
    })
}

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
