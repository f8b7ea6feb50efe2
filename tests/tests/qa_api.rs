//! The QA loop's HTTP API against the real binary, on SQLite and on PostgreSQL: the routes
//! behind the login, the role table and the handlers' row scopes, JSON in and out, a 4xx for
//! bad input, a draft kept across a restart, CSV, and the audit log. (The loop's months under a test clock are driven in
//! process: `crates/switchboard/src/http/qa/tests.rs`.)

use anyhow::{ensure, Context};
use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use switchboard_e2e::http_client::{request, HttpResponse, Session};
use switchboard_e2e::postgres::PgSchema;
use switchboard_e2e::{Options, Switch};

const CONFIG: &str = r#"
[qa]
time_zone = "Asia/Seoul"
schedule = false
[[agents]]
id = "alice"
extension = "2001"
[[accounts]]
username = "sup"
password = "sup-password"
role = "supervisor"
[[accounts]]
username = "rev"
password = "rev-password"
role = "qa"
[[accounts]]
username = "alice"
password = "alice-password"
role = "agent"
agent = "alice"
"#;

const FORM: &str = r#"{"id": "inbound", "name": "Inbound calls", "sections": [
    {"title": "Opening", "questions": [
        {"id": "greet", "text": "Greeted by name", "weight": 1, "kind": {"type": "yes_no"}},
        {"id": "tone", "text": "Tone", "weight": 3, "kind": {"type": "scale", "max": 5}}]}]}"#;

fn body(r: &HttpResponse) -> Value {
    serde_json::from_str(&r.body).unwrap_or(Value::Null)
}

fn expect(r: HttpResponse, status: u16) -> anyhow::Result<Value> {
    ensure!(
        r.status == status,
        "expected {status}, got {} {}",
        r.status,
        r.body
    );
    Ok(body(&r))
}

/// Two February calls of alice, recorded, straight into the switch's database.
fn seed_calls(s: &Switch) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let crm = crm::Crm::connect(&s.database_url).await?;
        for (call, day) in [("qa-c1", 3), ("qa-c2", 4)] {
            let rec = format!("rec-{call}");
            crm::testing::seed_recorded_call(
                &crm,
                &crm::testing::SeedCall {
                    call_id: call,
                    agent: "alice",
                    queue: Some("sales"),
                    answered_at: Utc
                        .with_ymd_and_hms(2026, 2, day, 2, 0, 0)
                        .single()
                        .context("time")?,
                    talk_ms: 120_000,
                    recording_id: Some(&rec),
                },
            )
            .await?;
        }
        crm.close().await;
        anyhow::Ok(())
    })
}

fn scenario(s: &mut Switch) -> anyhow::Result<()> {
    seed_calls(s)?;
    let r = request(s.http_port, "GET", "/api/qa/tasks", &[], b"")?;
    ensure!(r.status == 401, "no login: {}", r.status);
    let sup = Session::login(s, "sup", "sup-password")?;
    let rev = Session::login(s, "rev", "rev-password")?;
    let alice = Session::login(s, "alice", "alice-password")?;

    // The admin configures; the others may not (the role table answers before the handler).
    expect(rev.send(s, "POST", "/api/qa/forms", FORM)?, 403)?;
    expect(sup.send(s, "POST", "/api/qa/forms", FORM)?, 403)?;
    let form = expect(s.http_json("POST", "/api/qa/forms", FORM)?, 201)?;
    ensure!(form["version"] == 1, "{form}");
    expect(alice.send(s, "GET", "/api/qa/forms/inbound/1", "")?, 200)?;
    let team = json!({"supervisor": "sup", "agents": ["alice"]}).to_string();
    expect(s.http_json("PUT", "/api/qa/teams/red", &team)?, 200)?;
    let settings = json!({"size": {"default": 5}, "min_talk_ms": 60000, "follow_up_calls": 1,
        "form_id": "inbound"})
    .to_string();
    expect(rev.send(s, "PUT", "/api/qa/settings", &settings)?, 403)?;
    expect(s.http_json("PUT", "/api/qa/settings", &settings)?, 200)?;

    // Sampling, once.
    let month = json!({"month": "2026-02", "seed": 3}).to_string();
    expect(rev.send(s, "POST", "/api/qa/sampling", &month)?, 403)?;
    let done = expect(sup.send(s, "POST", "/api/qa/sampling", &month)?, 201)?;
    ensure!(done["tasks"] == 2, "{done}");
    let again = expect(sup.send(s, "POST", "/api/qa/sampling", &month)?, 409)?;
    ensure!(
        again["error"]
            .as_str()
            .unwrap_or("")
            .contains("sampled already"),
        "{again}"
    );
    expect(
        sup.send(s, "POST", "/api/qa/sampling", r#"{"month": "2026-13"}"#)?,
        400,
    )?;

    // The reviewer's tasks; a draft, a comment past the end refused, a submission.
    let tasks = expect(
        rev.send(s, "GET", "/api/qa/tasks?month=2026-02&status=assigned", "")?,
        200,
    )?;
    let list = tasks.as_array().context("a list")?;
    ensure!(list.len() == 2, "{tasks}");
    expect(alice.send(s, "GET", "/api/qa/tasks", "")?, 200).and_then(|v| {
        ensure!(
            v.as_array().is_some_and(Vec::is_empty),
            "nothing submitted yet: {v}"
        );
        Ok(())
    })?;
    let id = list[0]["id"].as_str().context("id")?.to_owned();
    let detail = expect(rev.send(s, "GET", &format!("/api/qa/tasks/{id}"), "")?, 200)?;
    ensure!(
        detail["call"]["recording"]["duration_ms"] == 120_000,
        "{detail}"
    );
    ensure!(detail["form"]["version"] == 1, "{detail}");
    let draft = json!({"answers": {"greet": "yes", "tone": {"scale": 5}},
        "points": ["Summarise the call"], "summary": "fine"})
    .to_string();
    expect(
        rev.send(s, "PUT", &format!("/api/qa/tasks/{id}/draft"), &draft)?,
        200,
    )?;
    let late = json!({"at_ms": 120_001, "text": "after the end"}).to_string();
    let e = expect(
        rev.send(s, "POST", &format!("/api/qa/tasks/{id}/comments"), &late)?,
        400,
    )?;
    ensure!(e["field"] == "at_ms", "{e}");
    let note = json!({"at_ms": 65_000, "text": "warm greeting"}).to_string();
    expect(
        rev.send(s, "POST", &format!("/api/qa/tasks/{id}/comments"), &note)?,
        201,
    )?;
    let bad = json!({"answers": {"greet": "yes", "tone": {"scale": 6}}}).to_string();
    expect(
        rev.send(s, "POST", &format!("/api/qa/tasks/{id}/submit"), &bad)?,
        400,
    )?;
    let submitted = expect(
        rev.send(s, "POST", &format!("/api/qa/tasks/{id}/submit"), "")?,
        200,
    )?;
    ensure!(submitted["score"]["total"] == 100.0, "{submitted}");

    // The agent sees and acknowledges it; may not settle; the supervisor may not acknowledge.
    let mine = expect(alice.send(s, "GET", "/api/qa/tasks", "")?, 200)?;
    ensure!(mine.as_array().map(Vec::len) == Some(1), "{mine}");
    expect(
        sup.send(s, "POST", &format!("/api/qa/tasks/{id}/acknowledge"), "")?,
        403,
    )?;
    let settle = json!({"outcome": "kept", "reason": "x"}).to_string();
    expect(
        alice.send(s, "POST", &format!("/api/qa/tasks/{id}/settle"), &settle)?,
        403,
    )?;
    expect(
        alice.send(s, "POST", &format!("/api/qa/tasks/{id}/acknowledge"), "")?,
        200,
    )?;
    let points = expect(alice.send(s, "GET", "/api/qa/follow-ups", "")?, 200)?;
    ensure!(points[0]["text"] == "Summarise the call", "{points}");

    // Reports: supervisors and admins, CSV too.
    expect(rev.send(s, "GET", "/api/qa/reports", "")?, 403)?;
    let report = expect(
        sup.send(s, "GET", "/api/qa/reports?from=2026-02&to=2026-02", "")?,
        200,
    )?;
    ensure!(report["agents"][0]["months"][0]["done"] == 1, "{report}");
    let csv = s.http_send(
        "GET",
        "/api/qa/reports.csv?from=2026-02&to=2026-02",
        None,
        b"",
    )?;
    ensure!(csv.status == 200, "{}", csv.body);
    ensure!(csv
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/csv")));
    ensure!(
        csv.body.contains("agent,alice,red,2026-02,2,1,100,"),
        "{}",
        csv.body
    );

    let audit = expect(s.http_send("GET", "/api/audit", None, b"")?, 200)?;
    let actions: Vec<&str> = audit
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["action"].as_str()).collect())
        .unwrap_or_default();
    for a in [
        "form.create",
        "team.update",
        "qa.settings",
        "qa.sample",
        "review.comment",
        "review.submit",
        "review.acknowledge",
    ] {
        ensure!(actions.contains(&a), "{a} not audited: {actions:?}");
    }
    Ok(())
}

#[test]
fn the_qa_api_on_sqlite() -> anyhow::Result<()> {
    let mut s = Switch::start(Options {
        extra_toml: CONFIG.into(),
        ..Options::default()
    })?;
    scenario(&mut s)
}

#[test]
fn the_qa_api_on_postgres() -> anyhow::Result<()> {
    let Some(db) = PgSchema::create("qa_api") else {
        return Ok(());
    };
    let mut s = Switch::start(Options {
        database_url: Some(db.url.clone()),
        extra_toml: CONFIG.into(),
        ..Options::default()
    })?;
    scenario(&mut s)
}
