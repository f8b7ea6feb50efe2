//! The QA loop's storage on both databases: teams, form versions, sampling runs and tasks,
//! reviews through their states, comments, disputes and follow-up checks.

mod common;

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use crm::testing::{seed_recorded_call, SeedCall};
use crm::{
    Crm, CrmError, DisputeOutcome, NewQaFollowUp, NewQaRun, NewQaTask, QaComment, QaDraft,
    QaSettings, QaTeam, TaskFilter, TaskPurpose, TaskStatus,
};
use qa::{Answer, AnswerKind, Form, Question, ReviewMonth, Section};

on_both_backends!(
    teams_hold_each_agent_once,
    forms_are_versioned_and_validated,
    a_month_is_sampled_once_from_answered_recorded_calls,
    a_review_moves_through_its_states_and_refuses_the_rest,
    a_follow_up_check_is_stored_once,
);

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 2, day, hour, 0, 0)
        .single()
        .expect("valid time")
}

fn form(id: &str) -> Form {
    Form {
        id: id.into(),
        version: 0,
        name: "Inbound calls".into(),
        sections: vec![Section {
            title: "Greeting".into(),
            questions: vec![
                Question {
                    id: "greet".into(),
                    text: "Greeted by name".into(),
                    weight: 1,
                    kind: AnswerKind::YesNo,
                    allow_na: false,
                    critical: false,
                },
                Question {
                    id: "tone".into(),
                    text: "Tone".into(),
                    weight: 3,
                    kind: AnswerKind::Scale { max: 5 },
                    allow_na: false,
                    critical: false,
                },
            ],
        }],
    }
}

async fn teams_hold_each_agent_once(crm: &Crm) -> anyhow::Result<()> {
    let team = |name: &str, agents: &[&str]| QaTeam {
        name: name.into(),
        supervisor: format!("sup-{name}"),
        agents: agents.iter().map(|a| (*a).to_owned()).collect(),
    };
    crm.set_qa_team(&team("red", &["a1", "a2"]), t(1, 9))
        .await?;
    crm.set_qa_team(&team("blue", &["a3"]), t(1, 9)).await?;
    // a2 moves to blue: one team at a time.
    crm.set_qa_team(&team("blue", &["a2", "a3"]), t(1, 10))
        .await?;
    let teams = crm.qa_teams().await?;
    assert_eq!(
        teams,
        vec![team("blue", &["a2", "a3"]), team("red", &["a1"])]
    );
    let twice = crm.set_qa_team(&team("red", &["a1", "a1"]), t(1, 10)).await;
    assert!(
        matches!(
            twice,
            Err(CrmError::InvalidField {
                field: "agents",
                ..
            })
        ),
        "{twice:?}"
    );
    assert!(crm.delete_qa_team("red").await?);
    assert!(!crm.delete_qa_team("red").await?);
    assert_eq!(crm.qa_teams().await?, vec![team("blue", &["a2", "a3"])]);
    Ok(())
}

async fn forms_are_versioned_and_validated(crm: &Crm) -> anyhow::Result<()> {
    let v1 = crm
        .add_qa_form_version(&form("inbound"), "admin", t(1, 9))
        .await?;
    assert_eq!(v1.version, 1);
    let mut changed = form("inbound");
    changed.name = "Inbound calls (2026)".into();
    let v2 = crm.add_qa_form_version(&changed, "admin", t(2, 9)).await?;
    assert_eq!(v2.version, 2);
    let stored = crm.qa_form("inbound", 1).await?.expect("version 1 kept");
    assert_eq!(stored.form.name, "Inbound calls");
    assert_eq!(stored.created_by, "admin");
    let latest = crm.latest_qa_form("inbound").await?.expect("latest");
    assert_eq!(latest.form, v2);
    assert!(crm.qa_form("inbound", 3).await?.is_none());
    assert_eq!(crm.qa_forms().await?.len(), 2);

    let mut empty = form("broken");
    empty.sections.clear();
    let err = crm.add_qa_form_version(&empty, "admin", t(1, 9)).await;
    assert!(
        matches!(&err, Err(CrmError::InvalidField { field: "sections", reason }) if reason.contains("no questions")),
        "{err:?}"
    );
    assert!(crm.latest_qa_form("broken").await?.is_none());

    let settings = QaSettings {
        size: qa::SampleSize {
            default: 3,
            per_team: BTreeMap::from([("red".into(), 5)]),
            per_agent: BTreeMap::new(),
        },
        min_talk_ms: 30_000,
        follow_up_calls: 1,
        form_id: "inbound".into(),
    };
    assert!(crm.qa_settings().await?.is_none());
    crm.set_qa_settings(&settings, "admin", t(1, 9)).await?;
    crm.set_qa_settings(&settings, "admin", t(1, 10)).await?;
    assert_eq!(crm.qa_settings().await?, Some(settings));
    Ok(())
}

/// Seeds three calls in February (one unrecorded, one not answered by an agent is not
/// seeded at all) and one in March; returns the February population.
async fn seed(crm: &Crm) -> anyhow::Result<Vec<crm::QaCall>> {
    for (call, agent, at, rec) in [
        ("c1", "a1", t(3, 9), Some("r1")),
        ("c2", "a1", t(4, 9), Some("r2")),
        ("c3", "a2", t(5, 9), None),
        ("c4", "a2", t(27, 23), Some("r4")),
    ] {
        seed_recorded_call(
            crm,
            &SeedCall {
                call_id: call,
                agent,
                queue: Some("sales"),
                answered_at: at,
                talk_ms: 90_000,
                recording_id: rec,
            },
        )
        .await?;
    }
    let feb = ReviewMonth::new(2026, 2)?;
    Ok(crm
        .qa_month_calls(feb.start(qa::Tz::UTC), feb.end(qa::Tz::UTC))
        .await?)
}

fn run_and_tasks(calls: &[crm::QaCall], seed: u64) -> anyhow::Result<(NewQaRun, Vec<NewQaTask>)> {
    let recorded: Vec<qa::RecordedCall> = calls.iter().map(|c| c.call.clone()).collect();
    let reviewers = [qa::Reviewer {
        account: "rev".into(),
        agent: None,
        open_tasks: 0,
    }];
    let sample = qa::draw(&qa::SampleRequest {
        month: ReviewMonth::new(2026, 2)?,
        zone: qa::Tz::UTC,
        calls: &recorded,
        teams: &[],
        size: qa::SampleSize {
            default: 5,
            ..Default::default()
        },
        min_talk_ms: 0,
        reviewers: &reviewers,
        open_follow_ups: &[],
        follow_up_calls: 0,
        seed,
        requested_by: "admin".into(),
        requested_at: t(28, 12),
    })?;
    let tasks = sample
        .tasks
        .iter()
        .map(|task| NewQaTask {
            id: format!("task-{}", task.call_id),
            recording_id: calls
                .iter()
                .find(|c| c.call.call_id == task.call_id)
                .map(|c| c.recording_id.clone()),
            task: task.clone(),
            form_id: "inbound".into(),
            form_version: 1,
        })
        .collect();
    Ok((
        NewQaRun {
            id: format!("run-{seed}"),
            record: sample.record,
        },
        tasks,
    ))
}

async fn a_month_is_sampled_once_from_answered_recorded_calls(crm: &Crm) -> anyhow::Result<()> {
    crm.add_qa_form_version(&form("inbound"), "admin", t(1, 9))
        .await?;
    let calls = seed(crm).await?;
    let ids: Vec<&str> = calls.iter().map(|c| c.call.call_id.as_str()).collect();
    assert_eq!(
        ids,
        ["c1", "c2", "c4"],
        "unrecorded c3 is not in the population"
    );
    assert_eq!(calls[0].recording_id, "r1");
    assert_eq!(calls[0].call.talk_ms, 90_000);
    assert_eq!(calls[0].call.queue.as_deref(), Some("sales"));

    let (run, tasks) = run_and_tasks(&calls, 7)?;
    crm.record_qa_run(&run, &tasks).await?;
    let stored = crm.qa_run(ReviewMonth::new(2026, 2)?).await?.expect("run");
    assert_eq!(stored.record, run.record);
    assert_eq!(stored.seed, 7);

    // A second run of the month is refused and writes nothing.
    let (again, more) = run_and_tasks(&calls, 8)?;
    let err = crm.record_qa_run(&again, &more).await;
    assert!(
        matches!(&err, Err(CrmError::QaState(m)) if m.contains("2026-02 was sampled already")),
        "{err:?}"
    );
    let all = crm.qa_tasks(&TaskFilter::default()).await?;
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|t| t.run_id == "run-7"
        && t.status == TaskStatus::Assigned
        && t.purpose == TaskPurpose::Regular
        && t.reviewer.as_deref() == Some("rev")));
    assert_eq!(crm.qa_open_task_counts().await?.get("rev"), Some(&3));

    let mine = crm
        .qa_tasks(&TaskFilter {
            agent: Some("a1".into()),
            month: Some("2026-02".into()),
            ..Default::default()
        })
        .await?;
    assert_eq!(mine.len(), 2);
    let none = crm
        .qa_tasks(&TaskFilter {
            submitted_only: true,
            ..Default::default()
        })
        .await?;
    assert!(none.is_empty());
    crm.set_qa_team(
        &QaTeam {
            name: "red".into(),
            supervisor: "sup".into(),
            agents: vec!["a1".into()],
        },
        t(1, 9),
    )
    .await?;
    // Tasks carry the team they were drawn with; this run had no teams.
    let supervised = crm
        .qa_tasks(&TaskFilter {
            supervisor: Some("sup".into()),
            ..Default::default()
        })
        .await?;
    assert!(supervised.is_empty());
    Ok(())
}

fn answers(greet: Answer, tone: u8) -> serde_json::Value {
    serde_json::json!({ "greet": greet, "tone": Answer::Scale(tone) })
}

async fn a_review_moves_through_its_states_and_refuses_the_rest(crm: &Crm) -> anyhow::Result<()> {
    let stored_form = crm
        .add_qa_form_version(&form("inbound"), "admin", t(1, 9))
        .await?;
    let calls = seed(crm).await?;
    let (run, tasks) = run_and_tasks(&calls, 1)?;
    crm.record_qa_run(&run, &tasks).await?;

    let draft = QaDraft {
        answers: serde_json::json!({ "greet": "yes", "tone": {"scale": 9} }),
        points: vec!["Let the customer finish".into()],
        summary: "Good call".into(),
    };
    // A draft keeps what was typed, even an answer outside the scale.
    crm.save_qa_draft("task-c1", &draft, t(28, 13)).await?;
    crm.save_qa_draft("task-c1", &draft, t(28, 14)).await?;
    let review = crm.qa_review("task-c1").await?.expect("draft");
    assert_eq!(review.draft, draft);
    assert_eq!(review.saved_at, t(28, 14));
    assert!(review.score.is_none());
    assert_eq!(
        crm.qa_task("task-c1").await?.expect("task").status,
        TaskStatus::Draft
    );
    let bad = QaDraft {
        answers: serde_json::json!(["yes"]),
        ..Default::default()
    };
    assert!(matches!(
        crm.save_qa_draft("task-c1", &bad, t(28, 14)).await,
        Err(CrmError::InvalidField {
            field: "answers",
            ..
        })
    ));
    assert!(matches!(
        crm.save_qa_draft("nope", &draft, t(28, 14)).await,
        Err(CrmError::QaNotFound { what: "task", .. })
    ));

    crm.add_qa_comment(&QaComment {
        id: "k1".into(),
        task_id: "task-c1".into(),
        at_ms: 61_000,
        text: "interrupted the customer".into(),
        author: "rev".into(),
        created_at: t(28, 14),
    })
    .await?;

    let typed: BTreeMap<String, Answer> = BTreeMap::from([
        ("greet".into(), Answer::Yes),
        ("tone".into(), Answer::Scale(3)),
    ]);
    let score = qa::score(&stored_form, &typed)?;
    let submitted = QaDraft {
        answers: answers(Answer::Yes, 3),
        ..draft.clone()
    };
    let follow_up = NewQaFollowUp {
        text: "Let the customer finish".into(),
        follow_up: qa::FollowUp::open("p1", "task-c1", "a1", t(28, 15), qa::Tz::UTC),
    };
    crm.submit_qa_review("task-c1", &submitted, &score, &[follow_up], t(28, 15))
        .await?;
    let task = crm.qa_task("task-c1").await?.expect("task");
    assert_eq!(task.status, TaskStatus::Submitted);
    assert_eq!(task.score, Some(score.total));
    assert_eq!(task.submitted_at, Some(t(28, 15)));

    // Once submitted: no more drafts, comments or submissions.
    let again = crm.save_qa_draft("task-c1", &draft, t(28, 16)).await;
    assert!(
        matches!(&again, Err(CrmError::QaState(m)) if m.contains("submitted")),
        "{again:?}"
    );
    let late = crm
        .add_qa_comment(&QaComment {
            id: "k2".into(),
            task_id: "task-c1".into(),
            at_ms: 1,
            text: "late".into(),
            author: "rev".into(),
            created_at: t(28, 16),
        })
        .await;
    assert!(matches!(late, Err(CrmError::QaState(_))), "{late:?}");
    assert_eq!(crm.qa_comments("task-c1").await?.len(), 1);
    let follow_ups = crm.qa_follow_ups(Some("a1"), true).await?;
    assert_eq!(follow_ups.len(), 1);
    assert_eq!(
        follow_ups[0].follow_up.due_on,
        chrono::NaiveDate::from_ymd_opt(2026, 3, 28).expect("date")
    );

    // Acknowledged: then it cannot be disputed.
    crm.acknowledge_qa_review("task-c1", t(28, 17)).await?;
    assert!(matches!(
        crm.dispute_qa_review("task-c1", "unfair", "a1", t(28, 18))
            .await,
        Err(CrmError::QaState(_))
    ));
    assert_eq!(
        crm.qa_review("task-c1")
            .await?
            .and_then(|r| r.acknowledged_at),
        Some(t(28, 17))
    );

    // Another task disputed, then settled with a changed score.
    let low: BTreeMap<String, Answer> = BTreeMap::from([
        ("greet".into(), Answer::No),
        ("tone".into(), Answer::Scale(1)),
    ]);
    let low_score = qa::score(&stored_form, &low)?;
    crm.submit_qa_review("task-c2", &QaDraft::default(), &low_score, &[], t(28, 15))
        .await?;
    crm.dispute_qa_review("task-c2", "the customer was rude first", "a1", t(28, 18))
        .await?;
    assert!(matches!(
        crm.acknowledge_qa_review("task-c2", t(28, 19)).await,
        Err(CrmError::QaState(_))
    ));
    let better = qa::score(&stored_form, &typed)?;
    let settled = crm
        .settle_qa_dispute(
            "task-c2",
            Some(&better),
            "agreed on listening",
            "sup",
            t(28, 20),
        )
        .await?;
    let settlement = settled.settlement.expect("settled");
    assert_eq!(settlement.outcome, DisputeOutcome::Changed);
    assert_eq!(settlement.settled_at, t(28, 20));
    assert_eq!(settled.score_before, low_score.total);
    assert_eq!(settlement.score_after, better.total);
    let task = crm.qa_task("task-c2").await?.expect("task");
    assert_eq!(task.status, TaskStatus::Settled);
    assert_eq!(task.score, Some(better.total));
    assert_eq!(task.dispute_outcome, Some(DisputeOutcome::Changed));
    assert!(matches!(
        crm.settle_qa_dispute("task-c2", None, "again", "sup", t(28, 21))
            .await,
        Err(CrmError::QaState(_))
    ));
    assert_eq!(
        crm.qa_dispute("task-c2").await?.map(|d| d.comment),
        Some("the customer was rude first".into())
    );
    let agent_view = crm
        .qa_tasks(&TaskFilter {
            agent: Some("a1".into()),
            submitted_only: true,
            ..Default::default()
        })
        .await?;
    assert_eq!(agent_view.len(), 2);
    Ok(())
}

async fn a_follow_up_check_is_stored_once(crm: &Crm) -> anyhow::Result<()> {
    let stored_form = crm
        .add_qa_form_version(&form("inbound"), "admin", t(1, 9))
        .await?;
    let calls = seed(crm).await?;
    let (run, tasks) = run_and_tasks(&calls, 1)?;
    crm.record_qa_run(&run, &tasks).await?;
    let typed: BTreeMap<String, Answer> = BTreeMap::from([
        ("greet".into(), Answer::Yes),
        ("tone".into(), Answer::Scale(3)),
    ]);
    let score = qa::score(&stored_form, &typed)?;
    let open = qa::FollowUp::open("p1", "task-c1", "a1", t(3, 10), qa::Tz::UTC);
    crm.submit_qa_review(
        "task-c1",
        &QaDraft::default(),
        &score,
        &[NewQaFollowUp {
            text: "Summarise".into(),
            follow_up: open,
        }],
        t(3, 10),
    )
    .await?;

    let read = crm.qa_follow_up("p1").await?.expect("follow-up");
    let mut first = read.follow_up.clone();
    first.check(
        qa::Verdict::NotImproved,
        t(10, 9),
        qa::Tz::UTC,
        vec!["c2".into()],
    )?;
    let mut second = read.follow_up.clone();
    second.check(
        qa::Verdict::Improved,
        t(10, 9),
        qa::Tz::UTC,
        vec!["c2".into()],
    )?;
    crm.save_qa_follow_up_check(&first, t(10, 9)).await?;
    // Checked from the same read: refused, the first check stands.
    assert!(matches!(
        crm.save_qa_follow_up_check(&second, t(10, 9)).await,
        Err(CrmError::QaState(_))
    ));
    let now = crm.qa_follow_up("p1").await?.expect("follow-up");
    assert_eq!(now.follow_up, first);
    assert!(now.follow_up.is_flagged());
    assert_eq!(
        now.follow_up.due_on,
        chrono::NaiveDate::from_ymd_opt(2026, 3, 10).expect("d")
    );
    assert_eq!(crm.qa_follow_ups(None, true).await?.len(), 1);

    let mut closed = now.follow_up.clone();
    closed.check(
        qa::Verdict::Improved,
        t(20, 9),
        qa::Tz::UTC,
        vec!["c4".into()],
    )?;
    crm.save_qa_follow_up_check(&closed, t(20, 9)).await?;
    assert!(crm.qa_follow_ups(None, true).await?.is_empty());
    assert_eq!(crm.qa_follow_ups(Some("a1"), false).await?.len(), 1);
    Ok(())
}
