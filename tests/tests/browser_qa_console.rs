//! The QA console over the QA API in headless Chromium (issue 11; script
//! tests/browser/qa_console.mjs). A real call is recorded through the switch (SIPp: 1 kHz caller,
//! 440 Hz agent) and given to agent bob; the admin configures a form, bob's team under
//! supervisor sam and the sampling settings through the API, and sam samples the call's month
//! (`POST /api/qa/sampling`). The reviewer finds the task in the list (filters checked), plays
//! and seeks it, comments (the server keeps it), answers the form, adds an improvement point
//! and a summary; the switch is killed and restarted; a reload finds the draft kept by the
//! server; the reviewer submits; bob ("My reviews") opens it, seeks by the comment and
//! acknowledges. Then the following month — two calls of
//! bob seeded for it, the month a parameter, nothing sleeps — is sampled, the follow-up task
//! lists the point and the reviewer closes it as improved; that month's other review is
//! disputed by bob and settled by sam with a changed score; the supervisor's QA reports page
//! shows the months, the CSV link and the SVG score chart; the admin's overdue list. Checked
//! here afterwards: the stored review and score, the follow-up's state, the report, the chart
//! over HTTP and the audit log.

use chrono::{Datelike, Duration as Days, TimeZone, Utc};
use std::time::Duration;
use switchboard_e2e::browser::{json, missing_tools, Script};
use switchboard_e2e::http_client::Session;
use switchboard_e2e::recorded_call::{two_tone_call, RECORD_ALL};
use switchboard_e2e::{seed, Options, Switch, ADMIN_PASSWORD, ADMIN_USER};

const REVIEWER: (&str, &str) = ("quinn", "quinn-reviews-calls");
const SUPERVISOR: (&str, &str) = ("sam", "sam-supervises-red");
const AGENT: (&str, &str) = ("bob", "bob-takes-calls");

const FORM: &str = r#"{"id": "inbound", "name": "Inbound calls", "sections": [
    {"title": "Opening", "questions": [
        {"id": "greet", "text": "Greeted by name", "weight": 1, "kind": {"type": "yes_no"}},
        {"id": "tone", "text": "Friendly tone", "weight": 3, "kind": {"type": "scale", "max": 5}}]}]}"#;

fn config() -> String {
    let account = |(user, password): (&str, &str), role: &str, agent: &str| {
        format!(
            "[[accounts]]\nusername = \"{user}\"\npassword = \"{password}\"\nrole = \"{role}\"\n{agent}"
        )
    };
    format!(
        "{RECORD_ALL}
[qa]
time_zone = \"UTC\"
schedule = false
[[agents]]
id = \"bob\"
extension = \"2003\"
{}{}{}",
        account(REVIEWER, "qa", ""),
        account(SUPERVISOR, "supervisor", ""),
        account(AGENT, "agent", "agent = \"bob\"\n"),
    )
}

/// `POST`/`PUT` as the admin, expecting `status`; the answer's JSON.
fn admin(sw: &Switch, method: &str, path: &str, body: &str, status: u16) -> serde_json::Value {
    let r = sw.http_json(method, path, body).expect("request");
    assert_eq!(r.status, status, "{method} {path}: {}", r.body);
    json(&r.body)
}

/// Two calls of bob in `month` after the first review, recorded (rows only), for its sample.
fn seed_next_month(sw: &Switch, first_day: chrono::DateTime<Utc>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let crm = crm::Crm::connect(&sw.database_url).await.expect("crm");
        for (i, call) in ["next-1", "next-2"].into_iter().enumerate() {
            let rec = format!("rec-{call}");
            crm::testing::seed_recorded_call(
                &crm,
                &crm::testing::SeedCall {
                    call_id: call,
                    agent: "bob",
                    queue: Some("support"),
                    answered_at: first_day + Days::days(2 + i64::try_from(i).unwrap_or(0)),
                    talk_ms: 95_000,
                    recording_id: Some(&rec),
                },
            )
            .await
            .expect("seed call");
        }
        crm.close().await;
    });
}

#[test]
fn the_monthly_review_loop_in_the_qa_console_in_headless_chromium() {
    if let Some(why) = missing_tools() {
        testkit::cannot_run("browser", &why);
        return;
    }
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let mut sw = Switch::start(Options {
        extra_toml: config(),
        ..Default::default()
    })
    .expect("switch starts");
    let call = two_tone_call(&sw, 1000.0, 440.0, 8000).expect("recorded call");
    let call_id = call.cdr.call_id.clone();
    seed::sql(
        &sw,
        &format!("UPDATE cdrs SET queue = 'support', agent = 'bob' WHERE call_id = '{call_id}';"),
    )
    .expect("the call is bob's");
    let answered = call.cdr.answered_at.expect("answered");
    let month = answered.format("%Y-%m").to_string();
    let (ny, nm) = if answered.month() == 12 {
        (answered.year() + 1, 1)
    } else {
        (answered.year(), answered.month() + 1)
    };
    let next_first = Utc
        .with_ymd_and_hms(ny, nm, 1, 3, 0, 0)
        .single()
        .expect("next month");
    let next = next_first.format("%Y-%m").to_string();

    admin(&sw, "POST", "/api/qa/forms", FORM, 201);
    admin(
        &sw,
        "PUT",
        "/api/qa/teams/red",
        r#"{"supervisor": "sam", "agents": ["bob"]}"#,
        200,
    );
    admin(
        &sw,
        "PUT",
        "/api/qa/settings",
        r#"{"size": {"default": 1}, "min_talk_ms": 1000, "follow_up_calls": 1, "form_id": "inbound"}"#,
        200,
    );
    seed_next_month(&sw, next_first);
    let sam = Session::login(&sw, SUPERVISOR.0, SUPERVISOR.1).expect("sam logs in");
    let r = sam
        .send(
            &sw,
            "POST",
            "/api/qa/sampling",
            &format!(r#"{{"month": "{month}", "seed": 11}}"#),
        )
        .expect("sampling");
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(json(&r.body)["tasks"], 1, "{}", r.body);

    let restarted = sw.dir.path().join("restarted");
    let mut script = Script::start(
        &sw,
        "qa_console",
        "qa_console",
        [
            ("SB_REVIEWER", REVIEWER.0.to_string()),
            ("SB_REVIEWER_PASSWORD", REVIEWER.1.to_string()),
            ("SB_SUPERVISOR", SUPERVISOR.0.to_string()),
            ("SB_SUPERVISOR_PASSWORD", SUPERVISOR.1.to_string()),
            ("SB_AGENT", AGENT.0.to_string()),
            ("SB_AGENT_PASSWORD", AGENT.1.to_string()),
            ("SB_MONTH", month.clone()),
            ("SB_NEXT_MONTH", next.clone()),
            ("SB_ADMIN", ADMIN_USER.to_string()),
            ("SB_ADMIN_PASSWORD", ADMIN_PASSWORD.to_string()),
            ("SB_RESTARTED", restarted.display().to_string()),
        ],
    );
    // Mid-review, once the draft is saved: the switch is killed and started again.
    script.expect(
        &sw,
        "RESTART",
        Duration::from_secs(120),
        "the script did not reach the restart",
    );
    sw.restart().expect("the switch restarts");
    std::fs::write(&restarted, "").expect("restart marker");
    script.passed(&sw, Duration::from_secs(180));

    // The review the page submitted, as stored: its answers, point, summary and score.
    let (code, body) = sw
        .http("GET", &format!("/api/qa/tasks?month={month}"))
        .expect("tasks");
    assert_eq!(code, 200, "{body}");
    let tasks = json(&body);
    let first = &tasks.as_array().expect("task list")[0];
    assert_eq!(first["call_id"], call_id.as_str(), "{tasks:#}");
    assert_eq!(first["status"], "acknowledged", "{tasks:#}");
    assert_eq!(first["score"], 81.25, "{tasks:#}");
    let id = first["id"].as_str().expect("task id");
    let (_, body) = sw
        .http("GET", &format!("/api/qa/tasks/{id}"))
        .expect("task");
    let detail = json(&body);
    assert_eq!(
        detail["review"]["points"],
        serde_json::json!(["Let the customer finish before answering"]),
        "{detail:#}"
    );
    assert_eq!(
        detail["review"]["summary"], "Friendly call; one habit to work on.",
        "{detail:#}"
    );
    assert_eq!(detail["comments"][0]["at_ms"], 2000, "{detail:#}");
    assert_eq!(detail["comments"][0]["author"], REVIEWER.0, "{detail:#}");

    // The point, closed as improved on the follow-up task of the next month.
    let (_, body) = sw
        .http("GET", "/api/qa/follow-ups?state=all&agent=bob")
        .expect("follow-ups");
    let follow_ups = json(&body);
    assert_eq!(
        follow_ups.as_array().map(Vec::len),
        Some(1),
        "{follow_ups:#}"
    );
    assert_eq!(follow_ups[0]["state"], "improved", "{follow_ups:#}");
    let (_, body) = sw
        .http("GET", &format!("/api/qa/tasks?month={next}"))
        .expect("tasks");
    assert!(
        json(&body)
            .as_array()
            .expect("task list")
            .iter()
            .any(|t| t["purpose"] == "follow_up"),
        "no follow-up task in {next}: {body}"
    );

    // The report: bob's month scored 81.25 with one point opened, and the point improved.
    let (code, body) = sw
        .http("GET", &format!("/api/qa/reports?from={month}&to={next}"))
        .expect("report");
    assert_eq!(code, 200, "{body}");
    let report = json(&body);
    let bob = report["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .find(|a| a["name"] == "bob")
        .unwrap_or_else(|| panic!("bob is not in the report: {report:#}"));
    let line = |m: &str| {
        bob["months"]
            .as_array()
            .expect("months")
            .iter()
            .find(|l| l["month"] == m)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(line(&month)["average"], 81.25, "{report:#}");
    assert_eq!(line(&month)["points_opened"], 1, "{report:#}");
    let improved: u64 = [&month, &next]
        .iter()
        .filter_map(|m| line(m)["points_improved"].as_u64())
        .sum();
    assert_eq!(improved, 1, "{report:#}");

    // The chart: an SVG line per agent and team; bad language refused; not for reviewers.
    let (code, svg) = sw
        .http(
            "GET",
            &format!("/api/qa/reports/chart.svg?from={month}&to={next}&lang=ko"),
        )
        .expect("chart");
    assert_eq!(code, 200, "{svg}");
    assert!(
        svg.starts_with("<svg") && svg.contains("팀 red") && svg.contains("bob"),
        "{svg}"
    );
    let (code, _) = sw
        .http("GET", "/api/qa/reports/chart.svg?lang=fr")
        .expect("chart");
    assert_eq!(code, 400);
    let quinn = Session::login(&sw, REVIEWER.0, REVIEWER.1).expect("quinn logs in");
    let r = quinn
        .send(&sw, "GET", "/api/qa/reports/chart.svg", "")
        .expect("chart");
    assert_eq!(r.status, 403, "{}", r.body);

    // Every step under its account in the audit log.
    let (_, body) = sw.http("GET", "/api/audit").expect("audit");
    let audit = json(&body);
    for (who, action) in [
        (REVIEWER.0, "review.comment"),
        (REVIEWER.0, "review.submit"),
        (AGENT.0, "review.acknowledge"),
        (SUPERVISOR.0, "qa.sample"),
        (REVIEWER.0, "follow_up.check"),
        (AGENT.0, "review.dispute"),
        (SUPERVISOR.0, "review.settle"),
    ] {
        assert!(
            audit
                .as_array()
                .expect("audit rows")
                .iter()
                .any(|r| r["account"] == who && r["action"] == action),
            "no {action} by {who}: {audit:#}"
        );
    }
}
