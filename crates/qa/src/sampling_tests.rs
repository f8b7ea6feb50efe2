use super::*;

use chrono::Duration;
use chrono_tz::Asia::Seoul;

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn feb() -> ReviewMonth {
    ReviewMonth::new(2026, 2).unwrap()
}

/// `n` calls of `agent` in February 2026 (Seoul), in `queue` on `channel`, two minutes each.
fn calls(agent: &str, queue: &str, channel: &str, n: usize) -> Vec<RecordedCall> {
    (0..n)
        .map(|i| RecordedCall {
            call_id: format!("{agent}-{queue}-{channel}-{i:03}"),
            agent: agent.into(),
            queue: Some(queue.into()),
            channel: channel.into(),
            answered_at: utc("2026-02-01T01:00:00Z") + Duration::minutes(37 * i as i64),
            talk_ms: 120_000,
        })
        .collect()
}

fn reviewer(account: &str, agent: Option<&str>) -> Reviewer {
    Reviewer {
        account: account.into(),
        agent: agent.map(Into::into),
        open_tasks: 0,
    }
}

fn request<'a>(
    calls: &'a [RecordedCall],
    teams: &'a [Team],
    reviewers: &'a [Reviewer],
    n: u32,
) -> SampleRequest<'a> {
    SampleRequest {
        month: feb(),
        zone: Seoul,
        calls,
        teams,
        size: SampleSize {
            default: n,
            ..SampleSize::default()
        },
        min_talk_ms: 30_000,
        reviewers,
        open_follow_ups: &[],
        follow_up_calls: 0,
        seed: 20_260_201,
        requested_by: "head".into(),
        requested_at: utc("2026-03-01T00:00:00Z"),
    }
}

fn ids(sample: &Sample, agent: &str) -> Vec<String> {
    let mut ids: Vec<String> = sample
        .tasks
        .iter()
        .filter(|t| t.agent == agent)
        .map(|t| t.call_id.clone())
        .collect();
    ids.sort();
    ids
}

#[test]
fn largest_remainders_split_in_proportion() {
    assert_eq!(largest_remainders(&[70, 30], 10), [7, 3]);
    // 5 of (5, 3, 2): exact shares 2.5, 1.5, 1.0 → floors 2, 1, 1, one seat left, tie → first.
    assert_eq!(largest_remainders(&[5, 3, 2], 5), [3, 1, 1]);
    // 4 of (5, 3, 2): 2.0, 1.2, 0.8 → 2, 1, 0 and the 0.8 wins the last seat.
    assert_eq!(largest_remainders(&[5, 3, 2], 4), [2, 1, 1]);
    // 4 of (6, 3, 1): 2.4, 1.2, 0.4 → 2, 1, 0; the two 0.4s tie and the earlier wins.
    assert_eq!(largest_remainders(&[6, 3, 1], 4), [3, 1, 0]);
    assert_eq!(largest_remainders(&[1, 1, 1], 3), [1, 1, 1]);
    assert_eq!(
        largest_remainders(&[2, 2], 9),
        [2, 2],
        "never more than a stratum has"
    );
    assert_eq!(largest_remainders(&[0, 0], 3), [0, 0]);
    assert_eq!(largest_remainders(&[], 3), Vec::<usize>::new());
}

#[test]
fn an_agents_sample_follows_its_queues_and_channels() {
    let mut all = calls("a1", "sales", "inbound", 35);
    all.extend(calls("a1", "support", "inbound", 10));
    all.extend(calls("a1", "support", "callback", 5));
    let s = draw(&request(&all, &[], &[], 10)).unwrap();
    let per = |queue: &str, channel: &str| {
        s.tasks
            .iter()
            .filter(|t| t.queue.as_deref() == Some(queue) && t.channel == channel)
            .count()
    };
    // 10 of 50: 7 sales, 2 support inbound, 1 support callback.
    assert_eq!(
        (
            per("sales", "inbound"),
            per("support", "inbound"),
            per("support", "callback")
        ),
        (7, 2, 1)
    );
    assert_eq!(ids(&s, "a1").len(), 10);
    let mut unique = ids(&s, "a1");
    unique.dedup();
    assert_eq!(unique.len(), 10);
}

#[test]
fn agents_with_fewer_calls_than_n_get_all_and_short_calls_are_left_out() {
    let mut all = calls("a1", "sales", "inbound", 3);
    all.extend(calls("a2", "sales", "inbound", 12));
    all[0].talk_ms = 29_999; // a1's first call is too short
    let s = draw(&request(&all, &[], &[], 5)).unwrap();
    assert_eq!(
        ids(&s, "a1"),
        ["a1-sales-inbound-001", "a1-sales-inbound-002"]
    );
    assert_eq!(ids(&s, "a2").len(), 5);
    let a1 = &s.record.agents[0];
    assert_eq!(
        (
            a1.agent.as_str(),
            a1.population,
            a1.too_short,
            a1.wanted,
            a1.sampled
        ),
        ("a1", 2, 1, 5, 2)
    );
    let a2 = &s.record.agents[1];
    assert_eq!(
        (a2.population, a2.too_short, a2.wanted, a2.sampled),
        (12, 0, 5, 5)
    );
}

#[test]
fn only_calls_answered_in_the_month_on_the_centers_clock_count() {
    let mut all = calls("a1", "sales", "inbound", 2);
    // 15:30Z on Jan 31 is February in Seoul; 14:30Z is still January.
    all[0].answered_at = utc("2026-01-31T15:30:00Z");
    all[1].answered_at = utc("2026-01-31T14:30:00Z");
    let s = draw(&request(&all, &[], &[], 5)).unwrap();
    assert_eq!(ids(&s, "a1"), ["a1-sales-inbound-000"]);
    let s = draw(&SampleRequest {
        zone: chrono_tz::UTC,
        ..request(&all, &[], &[], 5)
    })
    .unwrap();
    assert!(s.tasks.is_empty(), "both are January in UTC");
}

#[test]
fn n_comes_from_the_agent_then_the_team_then_the_default() {
    let mut all = calls("a1", "sales", "inbound", 20);
    all.extend(calls("a2", "sales", "inbound", 20));
    all.extend(calls("a3", "sales", "inbound", 20));
    let teams = [Team {
        name: "red".into(),
        supervisor: "sup".into(),
        agents: vec!["a1".into(), "a2".into()],
    }];
    let mut req = request(&all, &teams, &[], 2);
    req.size.per_team.insert("red".into(), 4);
    req.size.per_agent.insert("a2".into(), 6);
    let s = draw(&req).unwrap();
    assert_eq!(
        (
            ids(&s, "a1").len(),
            ids(&s, "a2").len(),
            ids(&s, "a3").len()
        ),
        (4, 6, 2)
    );
    assert_eq!(
        s.tasks
            .iter()
            .find(|t| t.agent == "a1")
            .unwrap()
            .team
            .as_deref(),
        Some("red")
    );
    assert_eq!(s.tasks.iter().find(|t| t.agent == "a3").unwrap().team, None);
}

#[test]
fn the_same_seed_gives_the_same_sample_in_any_input_order() {
    let mut all = calls("a1", "sales", "inbound", 30);
    all.extend(calls("a1", "support", "outbound", 12));
    all.extend(calls("a2", "sales", "inbound", 25));
    let reviewers = [reviewer("kim", None), reviewer("lee", None)];
    let one = draw(&request(&all, &[], &reviewers, 6)).unwrap();
    let mut shuffled = all.clone();
    shuffled.reverse();
    shuffled.swap(3, 40);
    let two = draw(&request(&shuffled, &[], &reviewers, 6)).unwrap();
    assert_eq!(one, two);
    let other = draw(&SampleRequest {
        seed: 7,
        ..request(&all, &[], &reviewers, 6)
    })
    .unwrap();
    assert_ne!(
        ids(&one, "a1"),
        ids(&other, "a1"),
        "another seed draws other calls"
    );
    // Adding an agent leaves the others' draws alone.
    let mut more = all.clone();
    more.extend(calls("a0", "sales", "inbound", 9));
    let three = draw(&request(&more, &[], &reviewers, 6)).unwrap();
    assert_eq!(ids(&three, "a1"), ids(&one, "a1"));
    assert_eq!(ids(&three, "a2"), ids(&one, "a2"));
}

#[test]
fn golden_sample_for_one_seed() {
    // A change here means stored seeds would now draw other calls: do not update lightly.
    let mut all = calls("a1", "sales", "inbound", 20);
    all.extend(calls("a1", "support", "callback", 10));
    let s = draw(&request(&all, &[], &[], 6)).unwrap();
    let got: Vec<&str> = s.tasks.iter().map(|t| t.call_id.as_str()).collect();
    assert_eq!(got, GOLDEN);
}

const GOLDEN: [&str; 6] = [
    "a1-sales-inbound-008",
    "a1-sales-inbound-010",
    "a1-sales-inbound-012",
    "a1-sales-inbound-002",
    "a1-support-callback-007",
    "a1-support-callback-005",
];

#[test]
fn reviewers_never_review_themselves_and_stay_balanced() {
    let mut all = Vec::new();
    for agent in ["a1", "a2", "a3", "a4"] {
        all.extend(calls(agent, "sales", "inbound", 7));
    }
    // kim is agent a1 and lee is agent a2 (supervisors who take calls); park is neither.
    let reviewers = [
        reviewer("park", None),
        reviewer("kim", Some("a1")),
        reviewer("lee", Some("a2")),
    ];
    let s = draw(&request(&all, &[], &reviewers, 5)).unwrap();
    assert_eq!(s.tasks.len(), 20);
    assert_eq!(s.record.unassigned, 0);
    for t in &s.tasks {
        let r = reviewers
            .iter()
            .find(|r| Some(&r.account) == t.reviewer.as_ref())
            .unwrap();
        assert_ne!(
            r.agent.as_ref(),
            Some(&t.agent),
            "{} reviews itself",
            r.account
        );
    }
    let load = |account: &str| {
        s.tasks
            .iter()
            .filter(|t| t.reviewer.as_deref() == Some(account))
            .count()
    };
    let loads = [load("kim"), load("lee"), load("park")];
    assert_eq!(loads.iter().sum::<usize>(), 20);
    assert!(
        loads.iter().max().unwrap() - loads.iter().min().unwrap() <= 1,
        "{loads:?}"
    );
}

#[test]
fn existing_desks_count_and_a_departed_reviewer_gets_nothing() {
    let all = calls("a1", "sales", "inbound", 6);
    let busy = [
        Reviewer {
            open_tasks: 4,
            ..reviewer("kim", None)
        },
        reviewer("lee", None),
    ];
    let s = draw(&request(&all, &[], &busy, 6)).unwrap();
    let load = |account: &str| {
        s.tasks
            .iter()
            .filter(|t| t.reviewer.as_deref() == Some(account))
            .count()
    };
    // lee takes 5 (0→5) and kim 1 (4→5).
    assert_eq!((load("kim"), load("lee")), (1, 5));
    // choi left: not in the list, so no task names choi.
    let present = [reviewer("kim", None)];
    let s = draw(&request(&all, &[], &present, 6)).unwrap();
    assert!(s.tasks.iter().all(|t| t.reviewer.as_deref() == Some("kim")));
}

#[test]
fn a_task_only_its_agent_could_review_stays_unassigned() {
    let all = calls("a1", "sales", "inbound", 3);
    let s = draw(&request(&all, &[], &[reviewer("kim", Some("a1"))], 5)).unwrap();
    assert_eq!(s.record.unassigned, 3);
    assert!(s.tasks.iter().all(|t| t.reviewer.is_none()));
    let s = draw(&request(&all, &[], &[], 5)).unwrap();
    assert_eq!(s.record.unassigned, 3);
}

#[test]
fn open_points_bring_follow_up_calls_into_next_months_sample() {
    let all = calls("a1", "sales", "inbound", 12);
    // Reviewed on Feb 1 at 03:00Z: the calls after it (the 5th on) can show the point improved.
    let open = [FollowUp::open(
        "p1",
        "r1",
        "a1",
        utc("2026-02-01T03:00:00Z"),
        Seoul,
    )];
    let kim = [reviewer("kim", None)];
    let mut req = request(&all, &[], &kim, 3);
    req.open_follow_ups = &open;
    req.follow_up_calls = 2;
    let s = draw(&req).unwrap();
    let follow: Vec<&ReviewTask> = s
        .tasks
        .iter()
        .filter(|t| matches!(t.kind, TaskKind::FollowUp { .. }))
        .collect();
    assert_eq!(follow.len(), 2);
    for t in &follow {
        assert!(t.answered_at > utc("2026-02-01T03:00:00Z"));
        assert_eq!(
            t.kind,
            TaskKind::FollowUp {
                points: vec!["p1".into()]
            }
        );
    }
    let sampled: BTreeSet<&str> = s
        .tasks
        .iter()
        .filter(|t| t.kind == TaskKind::Sampled)
        .map(|t| t.call_id.as_str())
        .collect();
    assert_eq!(sampled.len(), 3);
    assert!(
        follow.iter().all(|t| !sampled.contains(t.call_id.as_str())),
        "no call twice"
    );
    assert_eq!(s.record.agents[0].follow_up, 2);
    // A closed point brings nothing.
    let mut closed = open.clone();
    closed[0]
        .check(
            crate::Verdict::Improved,
            utc("2026-02-02T00:00:00Z"),
            Seoul,
            vec!["x".into()],
        )
        .unwrap();
    req.open_follow_ups = &closed;
    assert!(draw(&req)
        .unwrap()
        .tasks
        .iter()
        .all(|t| t.kind == TaskKind::Sampled));
}

#[test]
fn the_record_says_who_asked_when_and_from_what() {
    let all = calls("a1", "sales", "inbound", 4);
    let s = draw(&request(&all, &[], &[], 2)).unwrap();
    let json = serde_json::to_value(&s.record).unwrap();
    assert_eq!(json["month"], "2026-02");
    assert_eq!(json["zone"], "Asia/Seoul");
    assert_eq!(json["seed"], 20_260_201);
    assert_eq!(json["requested_by"], "head");
    assert_eq!(json["requested_at"], "2026-03-01T00:00:00Z");
    assert_eq!(json["agents"][0]["population"], 4);
    let back: SampleRecord = serde_json::from_value(json).unwrap();
    assert_eq!(back, s.record);
    let task = serde_json::to_value(&s.tasks[0]).unwrap();
    assert_eq!(task["kind"], "sampled");
}

#[test]
fn bad_requests_are_refused() {
    let mut all = calls("a1", "sales", "inbound", 2);
    all.push(all[0].clone());
    assert_eq!(
        draw(&request(&all, &[], &[], 2)),
        Err(SampleError::DuplicateCall("a1-sales-inbound-000".into()))
    );
    let all = calls("a1", "sales", "inbound", 2);
    let teams = [
        Team {
            name: "red".into(),
            supervisor: "s1".into(),
            agents: vec!["a1".into()],
        },
        Team {
            name: "blue".into(),
            supervisor: "s2".into(),
            agents: vec!["a1".into()],
        },
    ];
    assert!(matches!(
        draw(&request(&all, &teams, &[], 2)),
        Err(SampleError::AgentInTwoTeams { .. })
    ));
}
