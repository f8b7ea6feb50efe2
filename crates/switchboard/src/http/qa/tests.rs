//! The QA API's work, route by route, for every role and with bad input, on SQLite and
//! PostgreSQL; and a scenario that runs the loop across months by moving the clock. The role
//! table itself (who may call a route at all) is tested in `auth::roles`; these tests call the
//! functions behind the handlers with a [`Caller`], as the handlers do.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use chrono::{DateTime, TimeZone, Utc};
use crm::testing::{seed_recorded_call, SeedCall};
use crm::{AuditAction, Crm, NewAccount, Role, TaskStatus};
use serde_json::{json, Value};

use super::*;
use crate::config::qa::QaConfig;
use crate::http::auth::{Credential, Principal};

crm::on_both_backends!(
    every_role_on_every_step,
    bad_input_changes_nothing,
    a_month_of_the_loop,
    a_reviewer_who_leaves,
    the_schedule_task_samples_and_stops
);

struct TestClock(Mutex<DateTime<Utc>>);

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl TestClock {
    fn set(&self, t: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = t;
    }
}

fn utc(y: i32, mo: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, 0, 0)
        .single()
        .expect("valid")
}

fn b(v: Value) -> Bytes {
    Bytes::from(v.to_string())
}

fn caller(username: &str, role: Role, agent: Option<&str>) -> Caller {
    Caller {
        who: Principal {
            username: username.into(),
            role,
            agent: agent.map(Into::into),
            credential: Credential::Bearer,
        },
        remote: None,
    }
}

/// The people of the tests: an admin, two supervisors (teams red: a1, blue: a2), two QA
/// reviewers, and the agents a1 and a2.
struct People {
    boss: Caller,
    sup: Caller,
    sup2: Caller,
    rev1: Caller,
    rev2: Caller,
    ag1: Caller,
    ag2: Caller,
}

async fn people(crm: &Crm, at: DateTime<Utc>) -> anyhow::Result<People> {
    let p = People {
        boss: caller("boss", Role::Admin, None),
        sup: caller("sup", Role::Supervisor, None),
        sup2: caller("sup2", Role::Supervisor, None),
        rev1: caller("rev1", Role::Qa, None),
        rev2: caller("rev2", Role::Qa, None),
        ag1: caller("ag1", Role::Agent, Some("a1")),
        ag2: caller("ag2", Role::Agent, Some("a2")),
    };
    for c in [&p.boss, &p.sup, &p.sup2, &p.rev1, &p.rev2, &p.ag1, &p.ag2] {
        crm.create_account(
            &NewAccount {
                username: c.who.username.clone(),
                password_hash: "$argon2id$test".into(),
                token_hash: None,
                role: c.who.role,
                agent_id: c.who.agent.clone(),
                extension: None,
            },
            at,
        )
        .await?;
    }
    Ok(p)
}

const FORM: &str = r#"{"id": "inbound", "name": "Inbound calls", "sections": [
    {"title": "Opening", "questions": [
        {"id": "greet", "text": "Greeted by name", "weight": 1, "kind": {"type": "yes_no"}},
        {"id": "tone", "text": "Tone", "weight": 3, "kind": {"type": "scale", "max": 5}},
        {"id": "verify", "text": "Verified identity", "weight": 1, "kind": {"type": "yes_no"},
         "critical": true, "allow_na": true}]}]}"#;

/// Form, teams and settings as the admin sets them up.
async fn configure(qa: &Qa, p: &People) -> anyhow::Result<()> {
    forms::create(qa, &p.boss, &Bytes::from(FORM)).await?;
    teams::put(
        qa,
        &p.boss,
        "red",
        &b(json!({"supervisor": "sup", "agents": ["a1"]})),
    )
    .await?;
    teams::put(
        qa,
        &p.boss,
        "blue",
        &b(json!({"supervisor": "sup2", "agents": ["a2"]})),
    )
    .await?;
    let settings = json!({"size": {"default": 2}, "min_talk_ms": 30000, "follow_up_calls": 1,
        "form_id": "inbound"});
    teams::set_settings(qa, &p.boss, &b(settings)).await?;
    Ok(())
}

async fn seed(crm: &Crm, calls: &[(&str, &str, DateTime<Utc>, i64)]) -> anyhow::Result<()> {
    for (call, agent, at, talk_ms) in calls {
        let rec = format!("rec-{call}");
        seed_recorded_call(
            crm,
            &SeedCall {
                call_id: call,
                agent,
                queue: Some("sales"),
                answered_at: *at,
                talk_ms: *talk_ms,
                recording_id: Some(&rec),
            },
        )
        .await?;
    }
    Ok(())
}

fn setup(crm: Crm, now: DateTime<Utc>, zone: qa::Tz) -> (Qa, Arc<TestClock>) {
    let clock = Arc::new(TestClock(Mutex::new(now)));
    let config = QaConfig {
        zone,
        ..QaConfig::default()
    };
    (Qa::new(crm, config, clock.clone()), clock)
}

fn status(e: &ApiError) -> u16 {
    e.status().as_u16()
}

/// February 2026: a1 takes c1..c3 (c3 too short), a2 takes d1 and d2.
async fn february(qa: &Qa) -> anyhow::Result<()> {
    seed(
        &qa.crm,
        &[
            ("c1", "a1", utc(2026, 2, 3, 1), 120_000),
            ("c2", "a1", utc(2026, 2, 4, 1), 180_000),
            ("c3", "a1", utc(2026, 2, 5, 1), 10_000),
            ("d1", "a2", utc(2026, 2, 6, 1), 90_000),
            ("d2", "a2", utc(2026, 2, 7, 1), 90_000),
        ],
    )
    .await
}

fn answers(greet: &str, tone: u8) -> Value {
    json!({"answers": {"greet": greet, "tone": {"scale": tone}}, "points": [], "summary": ""})
}

async fn every_role_on_every_step(crm: &Crm) -> anyhow::Result<()> {
    let (qa, _clock) = setup(crm.clone(), utc(2026, 3, 2, 3), qa::Tz::UTC);
    let p = people(&qa.crm, qa.now()).await?;

    // Configuration is the admins'.
    for c in [&p.sup, &p.rev1, &p.ag1] {
        let e = forms::create(&qa, c, &Bytes::from(FORM))
            .await
            .expect_err("not admin");
        assert_eq!(status(&e), 403, "{}", c.who.username);
        let e = teams::put(&qa, c, "red", &b(json!({"supervisor": "sup"})))
            .await
            .expect_err("");
        assert_eq!(status(&e), 403);
        let e = teams::remove(&qa, c, "red").await.expect_err("not admin");
        assert_eq!(status(&e), 403);
        let e = teams::set_settings(&qa, c, &b(json!({})))
            .await
            .expect_err("not admin");
        assert_eq!(status(&e), 403);
    }
    configure(&qa, &p).await?;
    february(&qa).await?;
    assert_eq!(forms::list(&qa).await?.len(), 1);
    let sup_teams = teams::list(&qa, &p.sup).await?;
    assert_eq!(sup_teams.len(), 1);
    assert_eq!(sup_teams[0].name, "red");
    assert_eq!(teams::list(&qa, &p.rev1).await?.len(), 2);

    // Sampling: admins and supervisors, once a month.
    for c in [&p.rev1, &p.ag1] {
        let e = sampling::sample(&qa, c, &b(json!({"month": "2026-02"})))
            .await
            .expect_err("");
        assert_eq!(status(&e), 403);
    }
    let done = sampling::sample(&qa, &p.sup, &b(json!({"month": "2026-02", "seed": 5}))).await?;
    assert_eq!(done.tasks, 4, "a1: c1, c2 (c3 too short); a2: d1, d2");
    assert_eq!(done.record.requested_by, "sup");
    let again = sampling::sample(&qa, &p.boss, &b(json!({"month": "2026-02"}))).await;
    let e = again.expect_err("sampled already");
    assert_eq!(status(&e), 409);
    assert!(e.message().contains("sampled already"), "{}", e.message());
    assert_eq!(sampling::run_of(&qa, "2026-02").await?.seed, 5);

    // Each sees their own rows.
    let all = tasks::list(&qa, &p.boss, Default::default()).await?;
    assert_eq!(all.len(), 4);
    let red = tasks::list(&qa, &p.sup, Default::default()).await?;
    assert!(
        red.len() == 2 && red.iter().all(|t| t.agent == "a1"),
        "{red:?}"
    );
    let mine = tasks::list(&qa, &p.rev1, Default::default()).await?;
    let theirs = tasks::list(&qa, &p.rev2, Default::default()).await?;
    assert_eq!(mine.len() + theirs.len(), 4);
    assert_eq!((mine.len(), theirs.len()), (2, 2), "balanced");
    assert!(
        tasks::list(&qa, &p.ag1, Default::default())
            .await?
            .is_empty(),
        "nothing submitted"
    );
    let q = tasks::ListQuery {
        agent: Some("a2".into()),
        ..Default::default()
    };
    assert!(
        tasks::list(&qa, &p.sup, q).await?.is_empty(),
        "a2 is not in sup's team"
    );

    // A task of a1 reviewed by rev1 (pick one; the draw decides).
    let t = all
        .iter()
        .find(|t| t.agent == "a1" && t.reviewer.as_deref() == Some("rev1"))
        .or_else(|| all.iter().find(|t| t.agent == "a1"))
        .expect("a1 has tasks")
        .clone();
    let reviewer = if t.reviewer.as_deref() == Some("rev1") {
        &p.rev1
    } else {
        &p.rev2
    };
    let other = if t.reviewer.as_deref() == Some("rev1") {
        &p.rev2
    } else {
        &p.rev1
    };
    let d = tasks::detail(&qa, reviewer, &t.id).await?;
    assert_eq!(d.form.version, 1);
    assert_eq!(
        d.call.recording.as_ref().and_then(|r| r.duration_ms),
        Some(if t.call_id == "c1" { 120_000 } else { 180_000 })
    );
    assert_eq!(d.call.wait_ms, Some(5_000));
    assert_eq!(d.call.queue.as_deref(), Some("sales"));
    for c in [other, &p.ag1, &p.ag2, &p.sup2] {
        let e = tasks::detail(&qa, c, &t.id).await.expect_err("not theirs");
        assert_eq!(status(&e), 404, "{}", c.who.username);
    }
    assert!(tasks::detail(&qa, &p.sup, &t.id).await.is_ok());
    assert!(tasks::detail(&qa, &p.boss, &t.id).await.is_ok());

    // Only the assigned reviewer writes the review.
    for c in [&p.boss, &p.sup] {
        let e = reviews::save_draft(&qa, c, &t.id, &b(answers("yes", 4)))
            .await
            .expect_err("");
        assert_eq!(status(&e), 403, "{}", c.who.username);
        let e = reviews::submit(&qa, c, &t.id, &b(answers("yes", 4)))
            .await
            .expect_err("");
        assert_eq!(status(&e), 403);
    }
    reviews::save_draft(&qa, reviewer, &t.id, &b(answers("yes", 4))).await?;
    let c = reviews::comment(
        &qa,
        reviewer,
        &t.id,
        &b(json!({"at_ms": 61_000, "text": "good"})),
    )
    .await?;
    assert_eq!(c.at_ms, 61_000);
    let mut draft = answers("yes", 4);
    draft["points"] = json!(["Let the customer finish"]);
    let s = reviews::submit(&qa, reviewer, &t.id, &b(draft)).await?;
    assert_eq!(
        s.score.total, 81.25,
        "greet 1 + tone 3 × 3/4, verify N/A: 3.25 of 4"
    );
    assert_eq!(s.follow_ups.len(), 1);

    // The agent sees it now; others' agents do not; supervisors may not acknowledge.
    let seen = tasks::list(&qa, &p.ag1, Default::default()).await?;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].status, TaskStatus::Submitted);
    let e = coaching::acknowledge(&qa, &p.ag2, &t.id)
        .await
        .expect_err("not theirs");
    assert_eq!(status(&e), 404);
    let e = coaching::acknowledge(&qa, &p.sup, &t.id)
        .await
        .expect_err("not the agent");
    assert_eq!(status(&e), 403);
    coaching::acknowledge(&qa, &p.ag1, &t.id).await?;
    let e = coaching::acknowledge(&qa, &p.ag1, &t.id)
        .await
        .expect_err("twice");
    assert_eq!(status(&e), 409);

    // The other a1 task: disputed and settled by sup (not sup2, not a reviewer).
    let u = all
        .iter()
        .find(|x| x.agent == "a1" && x.id != t.id)
        .expect("two a1 tasks")
        .clone();
    let ureviewer = if u.reviewer.as_deref() == Some("rev1") {
        &p.rev1
    } else {
        &p.rev2
    };
    reviews::submit(&qa, ureviewer, &u.id, &b(answers("no", 1))).await?;
    let e = coaching::dispute(&qa, &p.ag1, &u.id, &b(json!({"comment": " "})))
        .await
        .expect_err("");
    assert_eq!(status(&e), 400);
    let d = coaching::dispute(
        &qa,
        &p.ag1,
        &u.id,
        &b(json!({"comment": "the line was bad"})),
    )
    .await?;
    assert_eq!(d.score_before, 0.0);
    let settle = json!({"outcome": "changed", "reason": "line noise",
        "answers": {"greet": "yes", "tone": {"scale": 3}}});
    for c in [&p.sup2, &p.rev1, &p.ag1] {
        let e = coaching::settle(&qa, c, &u.id, &b(settle.clone()))
            .await
            .expect_err("");
        assert!(
            matches!(status(&e), 403 | 404),
            "{}: {}",
            c.who.username,
            status(&e)
        );
    }
    let e = coaching::settle(
        &qa,
        &p.sup,
        &u.id,
        &b(json!({"outcome": "changed", "reason": "x"})),
    )
    .await
    .expect_err("changed needs answers");
    assert_eq!(status(&e), 400);
    let settled = coaching::settle(&qa, &p.sup, &u.id, &b(settle)).await?;
    assert_eq!(settled.settlement.map(|s| s.score_after), Some(62.5));

    // Follow-ups: the agent's own; the center head sees all.
    let own = follow_ups::list(&qa, &p.ag1, Default::default()).await?;
    assert_eq!(own.len(), 1);
    assert!(follow_ups::list(&qa, &p.ag2, Default::default())
        .await?
        .is_empty());
    assert!(follow_ups::list(&qa, &p.sup2, Default::default())
        .await?
        .is_empty());
    assert_eq!(
        follow_ups::list(&qa, &p.boss, Default::default())
            .await?
            .len(),
        1
    );
    let point = own[0].follow_up.follow_up.point.clone();
    let check = b(json!({"verdict": "improved", "calls": ["c2"]}));
    for c in [&p.ag1, &p.rev1, &p.rev2, &p.sup2] {
        let e = follow_ups::check(&qa, c, &point, &check)
            .await
            .expect_err("");
        assert_eq!(status(&e), 403, "{}", c.who.username);
    }

    // Reports: admins and supervisors.
    for c in [&p.rev1, &p.ag1] {
        let e = reports::report(&qa, c, Default::default())
            .await
            .expect_err("");
        assert_eq!(status(&e), 403);
    }
    let q = reports::ReportQuery {
        from: Some("2026-02".into()),
        to: Some("2026-02".into()),
    };
    let r = reports::report(&qa, &p.sup, q.clone()).await?;
    assert_eq!(r.agents.len(), 1, "sup sees a1 only");
    let feb = &r.agents[0].months[0];
    assert_eq!((feb.due, feb.done, feb.average), (2, 2, Some(71.88)));
    assert_eq!(
        (feb.disputes, feb.disputes_changed, feb.points_opened),
        (1, 1, 1)
    );
    assert_eq!(reports::report(&qa, &p.boss, q).await?.agents.len(), 2);

    let audited: Vec<AuditAction> = qa
        .crm
        .audit_between(utc(2026, 1, 1, 0), utc(2027, 1, 1, 0), 1000)
        .await?
        .into_iter()
        .map(|e| e.action)
        .collect();
    for a in [
        AuditAction::FormCreate,
        AuditAction::TeamUpdate,
        AuditAction::QaSettings,
        AuditAction::QaSample,
        AuditAction::ReviewComment,
        AuditAction::ReviewSubmit,
        AuditAction::ReviewAcknowledge,
        AuditAction::ReviewDispute,
        AuditAction::ReviewSettle,
    ] {
        assert!(audited.contains(&a), "{a:?} not audited: {audited:?}");
    }
    Ok(())
}

async fn bad_input_changes_nothing(crm: &Crm) -> anyhow::Result<()> {
    let (qa, _clock) = setup(crm.clone(), utc(2026, 3, 2, 3), qa::Tz::UTC);
    let p = people(&qa.crm, qa.now()).await?;

    // Configuration refused with the field named.
    let e = sampling::sample(&qa, &p.boss, &b(json!({"month": "2026-02"})))
        .await
        .expect_err("");
    assert_eq!(status(&e), 409, "no settings yet");
    let broken = json!({"id": "f", "name": "F", "sections": [{"title": "s", "questions": [
        {"id": "q", "text": "t", "weight": 1, "kind": {"type": "scale", "max": 11}}]}]});
    let e = forms::create(&qa, &p.boss, &b(broken))
        .await
        .expect_err("scale of 11");
    assert_eq!((status(&e), e.field_name()), (400, Some("sections")));
    let e = forms::create(&qa, &p.boss, &Bytes::from("{"))
        .await
        .expect_err("bad JSON");
    assert_eq!(status(&e), 400);
    configure(&qa, &p).await?;
    let e = teams::set_settings(
        &qa,
        &p.boss,
        &b(json!({"size": {"default": 2}, "min_talk_ms": 0,
        "follow_up_calls": 0, "form_id": "nope"})),
    )
    .await
    .expect_err("unknown form");
    assert_eq!(e.field_name(), Some("form_id"));
    let e = teams::put(&qa, &p.boss, "x", &b(json!({"supervisor": "ag1"})))
        .await
        .expect_err("");
    assert_eq!(e.field_name(), Some("supervisor"));
    let e = forms::one(&qa, "inbound", "9")
        .await
        .expect_err("unknown version");
    assert_eq!(status(&e), 404);
    let e = forms::one(&qa, "inbound", "v1")
        .await
        .expect_err("not a number");
    assert_eq!(status(&e), 400);
    // A second version leaves the first as it was.
    forms::create(
        &qa,
        &p.boss,
        &Bytes::from(FORM.replace("Inbound calls", "Inbound 2")),
    )
    .await?;
    assert_eq!(
        forms::one(&qa, "inbound", "1").await?.form.name,
        "Inbound calls"
    );
    assert_eq!(forms::one(&qa, "inbound", "latest").await?.form.version, 2);
    for month in ["2026-13", "26-02", "2026-2", ""] {
        let e = sampling::sample(&qa, &p.boss, &b(json!({"month": month})))
            .await
            .expect_err("");
        assert_eq!(
            (status(&e), e.field_name()),
            (400, Some("month")),
            "{month}"
        );
    }
    let e = sampling::sample(
        &qa,
        &p.boss,
        &b(json!({"month": "2026-02", "seed": u64::MAX})),
    )
    .await
    .expect_err("seed");
    assert_eq!(e.field_name(), Some("seed"));

    february(&qa).await?;
    sampling::sample(&qa, &p.boss, &b(json!({"month": "2026-02", "seed": 1}))).await?;
    let all = tasks::list(&qa, &p.boss, Default::default()).await?;
    let t = all
        .iter()
        .find(|t| t.call_id == "c1")
        .expect("c1 drawn")
        .clone();
    assert_eq!(t.form_version, 2, "the latest version when drawn");
    // A later version does not change the task's: answers are checked on version 2.
    forms::create(
        &qa,
        &p.boss,
        &Bytes::from(FORM.replace("\"tone\"", "\"manner\"")),
    )
    .await?;
    let rev = if t.reviewer.as_deref() == Some("rev1") {
        &p.rev1
    } else {
        &p.rev2
    };

    // Comments inside the recording only (c1 is 120 s long).
    let e = reviews::comment(
        &qa,
        rev,
        &t.id,
        &b(json!({"at_ms": 120_001, "text": "late"})),
    )
    .await
    .expect_err("past the end");
    assert_eq!((status(&e), e.field_name()), (400, Some("at_ms")));
    assert!(
        e.message().contains("past the recording's end"),
        "{}",
        e.message()
    );
    let e = reviews::comment(&qa, rev, &t.id, &b(json!({"at_ms": 1, "text": "  "})))
        .await
        .expect_err("empty");
    assert_eq!(e.field_name(), Some("text"));
    assert!(qa.crm.qa_comments(&t.id).await?.is_empty());

    // Answers that do not score: refused, the task stays as it was.
    for (bad, needle) in [
        (answers("yes", 6), "outside the scale"),
        (answers("maybe", 3), "unknown variant"),
        (
            json!({"answers": {"greet": "yes", "tone": {"scale": 2}, "extra": "yes"}}),
            "extra",
        ),
        (json!({"answers": {"greet": "yes"}}), "tone needs an answer"),
        (
            json!({"answers": {"greet": "na", "tone": {"scale": 2}}}),
            "does not allow N/A",
        ),
    ] {
        let e = reviews::submit(&qa, rev, &t.id, &b(bad))
            .await
            .expect_err(needle);
        assert_eq!(status(&e), 400);
        assert!(e.message().contains(needle), "{needle}: {}", e.message());
    }
    assert_eq!(
        qa.crm.qa_task(&t.id).await?.map(|t| t.status),
        Some(TaskStatus::Assigned)
    );
    let e = reviews::submit(&qa, rev, &t.id, &Bytes::new())
        .await
        .expect_err("no draft");
    assert_eq!(status(&e), 400);

    // A call whose recording is gone cannot be reviewed.
    let r = t.recording_id.clone().expect("recorded");
    qa.crm
        .mark_recording_deleted(&r, qa.now(), "retention")
        .await?;
    let e = reviews::submit(&qa, rev, &t.id, &b(answers("yes", 3)))
        .await
        .expect_err("deleted");
    assert_eq!(status(&e), 422);
    let e = reviews::comment(&qa, rev, &t.id, &b(json!({"at_ms": 1, "text": "x"})))
        .await
        .expect_err("deleted");
    assert_eq!(status(&e), 422);

    // Unknown ids, bad filters.
    let e = tasks::detail(&qa, &p.boss, "nope").await.expect_err("");
    assert_eq!(status(&e), 404);
    let q = tasks::ListQuery {
        month: Some("Feb".into()),
        ..Default::default()
    };
    assert_eq!(
        status(&tasks::list(&qa, &p.boss, q).await.expect_err("")),
        400
    );
    let e = follow_ups::check(
        &qa,
        &p.boss,
        "nope",
        &b(json!({"verdict": "improved", "calls": []})),
    )
    .await
    .expect_err("");
    assert_eq!(status(&e), 404);
    let q = reports::ReportQuery {
        from: Some("2026-05".into()),
        to: Some("2026-02".into()),
    };
    assert_eq!(
        status(&reports::report(&qa, &p.boss, q).await.expect_err("")),
        400
    );

    // CSV cells that would be formulas are neutralised.
    teams::put(
        &qa,
        &p.boss,
        "=HYPERLINK(\"x\")",
        &b(json!({"supervisor": "sup"})),
    )
    .await?;
    let report = reports::Report {
        months: vec!["2026-02".into()],
        agents: vec![reports::Series {
            name: "@a1".into(),
            team: Some("=HYPERLINK(\"x\")".into()),
            months: vec![reports::MonthLine {
                month: "2026-02".into(),
                ..Default::default()
            }],
        }],
        teams: vec![],
    };
    let csv = reports::csv(&report);
    assert!(
        csv.lines().nth(1)
            == Some("agent,'@a1,\"'=HYPERLINK(\"\"x\"\")\",2026-02,0,0,,,0,0,0,0,0,0"),
        "{csv}"
    );
    Ok(())
}

/// January to March in Seoul: the scheduler samples January on February 1st, the review opens
/// an improvement point, March's sampling of February includes a call to re-check it, the
/// reviewer closes it as improved, and the report shows the point opened and improved.
async fn a_month_of_the_loop(crm: &Crm) -> anyhow::Result<()> {
    let seoul = qa::Tz::Asia__Seoul;
    let local = |y, mo, d, h| {
        seoul
            .with_ymd_and_hms(y, mo, d, h, 0, 0)
            .single()
            .expect("valid")
            .with_timezone(&Utc)
    };
    let (qa, clock) = setup(crm.clone(), local(2026, 1, 1, 5), seoul);
    let p = people(&qa.crm, qa.now()).await?;
    configure(&qa, &p).await?;
    // January 31st 23:30 in Seoul is still January there (14:30Z).
    seed(
        &qa.crm,
        &[
            ("j1", "a1", local(2026, 1, 10, 10), 200_000),
            ("j2", "a1", local(2026, 1, 31, 23), 200_000),
        ],
    )
    .await?;

    assert_eq!(
        crate::driver::qa_schedule::tick(&qa).await?,
        None,
        "too early"
    );
    clock.set(local(2026, 2, 1, 6));
    let jan = qa::ReviewMonth::new(2026, 1)?;
    assert_eq!(crate::driver::qa_schedule::tick(&qa).await?, Some(jan));
    assert_eq!(
        crate::driver::qa_schedule::tick(&qa).await?,
        None,
        "once a month"
    );
    let run = sampling::run_of(&qa, "2026-01").await?;
    assert_eq!(run.requested_by, "scheduler");
    assert_eq!(run.record.agents[0].population, 2);

    // Review one call on February 2nd with a point; the agent acknowledges.
    clock.set(local(2026, 2, 2, 10));
    let tasks_jan = tasks::list(&qa, &p.boss, Default::default()).await?;
    assert_eq!(tasks_jan.len(), 2);
    let t = &tasks_jan[0];
    let rev = if t.reviewer.as_deref() == Some("rev1") {
        &p.rev1
    } else {
        &p.rev2
    };
    let mut draft = answers("yes", 3);
    draft["points"] = json!(["Summarise before hanging up"]);
    reviews::save_draft(&qa, rev, &t.id, &b(draft)).await?;
    reviews::comment(
        &qa,
        rev,
        &t.id,
        &b(json!({"at_ms": 133_000, "text": "no summary"})),
    )
    .await?;
    let submitted = reviews::submit(&qa, rev, &t.id, &Bytes::new()).await?;
    assert_eq!(submitted.follow_ups.len(), 1);
    let point = submitted.follow_ups[0].clone();
    coaching::acknowledge(&qa, &p.ag1, &t.id).await?;

    // February's calls, after the review.
    seed(
        &qa.crm,
        &[
            ("f1", "a1", local(2026, 2, 10, 10), 100_000),
            ("f2", "a1", local(2026, 2, 11, 10), 100_000),
            ("f3", "a1", local(2026, 2, 12, 10), 100_000),
        ],
    )
    .await?;

    // A month passes: March 1st, 06:00 in Seoul.
    clock.set(local(2026, 3, 1, 6));
    let feb = qa::ReviewMonth::new(2026, 2)?;
    assert_eq!(crate::driver::qa_schedule::tick(&qa).await?, Some(feb));
    let q = tasks::ListQuery {
        month: Some("2026-02".into()),
        ..Default::default()
    };
    let tasks_feb = tasks::list(&qa, &p.boss, q).await?;
    assert_eq!(tasks_feb.len(), 3, "2 sampled + 1 follow-up call");
    let recheck = tasks_feb
        .iter()
        .find(|t| t.purpose == crm::TaskPurpose::FollowUp)
        .expect("a follow-up task");
    assert_eq!(recheck.points, vec![point.clone()]);

    // On March 3rd the point (due March 2nd) is overdue for the center head.
    clock.set(local(2026, 3, 3, 9));
    let q = follow_ups::ListQuery {
        state: follow_ups::StateFilter::Overdue,
        agent: None,
    };
    let late = follow_ups::list(&qa, &p.boss, q).await?;
    assert_eq!(late.len(), 1);
    assert_eq!(late[0].follow_up.follow_up.due_on.to_string(), "2026-03-02");

    // The follow-up task's reviewer checks it, citing the call; it closes.
    let checker = if recheck.reviewer.as_deref() == Some("rev1") {
        &p.rev1
    } else {
        &p.rev2
    };
    let d = tasks::detail(&qa, checker, &recheck.id).await?;
    assert_eq!(d.rechecks.len(), 1);
    let e = follow_ups::check(
        &qa,
        checker,
        &point,
        &b(json!({"verdict": "improved",
        "calls": ["d9"]})),
    )
    .await
    .expect_err("not a1's call");
    assert_eq!(e.field_name(), Some("calls"));
    let cite = b(json!({"verdict": "improved", "calls": [recheck.call_id]}));
    let closed = follow_ups::check(&qa, checker, &point, &cite).await?;
    assert_eq!(closed.follow_up.state, qa::FollowUpState::Improved);
    let e = follow_ups::check(&qa, checker, &point, &cite)
        .await
        .expect_err("closed");
    assert_eq!(status(&e), 409);
    assert!(follow_ups::list(&qa, &p.boss, Default::default())
        .await?
        .is_empty());

    // The report: opened in January's reviews, improved in March.
    let q = reports::ReportQuery {
        from: Some("2026-01".into()),
        to: None,
    };
    let r = reports::report(&qa, &p.boss, q).await?;
    assert_eq!(r.months, ["2026-01", "2026-02", "2026-03"]);
    let a1 = r.agents.iter().find(|s| s.name == "a1").expect("a1");
    assert_eq!(a1.team.as_deref(), Some("red"));
    let (m1, m2, m3) = (&a1.months[0], &a1.months[1], &a1.months[2]);
    assert_eq!((m1.due, m1.done, m1.points_opened), (2, 1, 1));
    assert_eq!(m1.average, Some(62.5));
    assert_eq!((m2.due, m2.done), (3, 0));
    assert_eq!(m3.points_improved, 1);
    let red = r.teams.iter().find(|s| s.name == "red").expect("red");
    assert_eq!(red.months[2].points_improved, 1);
    let csv = reports::csv(&r);
    assert!(
        csv.contains("agent,a1,red,2026-03,0,0,,,0,1,0,0,0,0"),
        "{csv}"
    );
    Ok(())
}

/// rev1 leaves (disabled) with a draft on its desk: a reassignment gives its open tasks to
/// rev2, the draft kept; submitted tasks and rev2's own stay where they are.
async fn a_reviewer_who_leaves(crm: &Crm) -> anyhow::Result<()> {
    let (qa, _clock) = setup(crm.clone(), utc(2026, 3, 2, 3), qa::Tz::UTC);
    let p = people(&qa.crm, qa.now()).await?;
    configure(&qa, &p).await?;
    february(&qa).await?;
    sampling::sample(&qa, &p.boss, &b(json!({"month": "2026-02", "seed": 9}))).await?;
    let mine = tasks::list(&qa, &p.rev1, Default::default()).await?;
    assert_eq!(mine.len(), 2);
    reviews::save_draft(&qa, &p.rev1, &mine[0].id, &b(answers("yes", 2))).await?;
    reviews::submit(&qa, &p.rev1, &mine[1].id, &b(answers("yes", 2))).await?;

    for c in [&p.rev2, &p.ag1] {
        let e = assignment::reassign(&qa, c)
            .await
            .expect_err("not theirs to do");
        assert_eq!(status(&e), 403);
    }
    assert!(
        assignment::reassign(&qa, &p.sup).await?.is_empty(),
        "nobody left yet"
    );
    let change = crm::AccountChange {
        role: None,
        disabled: Some(true),
        password_hash: None,
        extension: None,
    };
    qa.crm.change_account("rev1", &change, qa.now()).await?;
    let moved = assignment::reassign(&qa, &p.sup).await?;
    assert_eq!(
        moved.len(),
        1,
        "the draft; the submitted task stays: {moved:?}"
    );
    assert_eq!(moved[0].task_id, mine[0].id);
    assert_eq!(moved[0].to.as_deref(), Some("rev2"));
    let t = qa.crm.qa_task(&mine[0].id).await?.expect("task");
    assert_eq!(
        (t.reviewer.as_deref(), t.status),
        (Some("rev2"), TaskStatus::Draft)
    );
    let d = tasks::detail(&qa, &p.rev2, &t.id).await?;
    assert_eq!(
        d.review.map(|r| r.draft.answers),
        Some(answers("yes", 2)["answers"].clone())
    );
    reviews::submit(&qa, &p.rev2, &t.id, &Bytes::new()).await?;
    assert_eq!(
        qa.crm.qa_task(&mine[1].id).await?.and_then(|t| t.reviewer),
        Some("rev1".into())
    );
    Ok(())
}

/// The scheduler's task as the binary spawns it: at its start the due month is sampled, and it
/// ends when the switch shuts down.
async fn the_schedule_task_samples_and_stops(crm: &Crm) -> anyhow::Result<()> {
    let (qa, _clock) = setup(crm.clone(), utc(2026, 3, 1, 7), qa::Tz::UTC);
    let p = people(&qa.crm, qa.now()).await?;
    configure(&qa, &p).await?;
    february(&qa).await?;
    let stop = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(crate::driver::qa_schedule::run(qa.clone(), stop.clone()));
    let feb = qa::ReviewMonth::new(2026, 2)?;
    let mut run = None;
    for _ in 0..200 {
        run = qa.crm.qa_run(feb).await?;
        if run.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let run = run.expect("February sampled by the schedule");
    assert_eq!(run.requested_by, crate::driver::qa_schedule::SCHEDULER);
    stop.cancel();
    tokio::time::timeout(std::time::Duration::from_secs(10), task).await??;
    Ok(())
}
