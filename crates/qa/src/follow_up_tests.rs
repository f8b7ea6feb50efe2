use super::*;

use chrono_tz::Asia::Seoul;

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn call(id: &str, at: &str) -> RecordedCall {
    RecordedCall {
        call_id: id.into(),
        agent: "a1".into(),
        queue: Some("sales".into()),
        channel: "inbound".into(),
        answered_at: utc(at),
        talk_ms: 120_000,
    }
}

#[test]
fn due_one_month_later_clamped_to_the_months_end() {
    assert_eq!(due_after(day("2026-01-31")), day("2026-02-28"));
    assert_eq!(due_after(day("2028-01-31")), day("2028-02-29"));
    assert_eq!(due_after(day("2028-01-29")), day("2028-02-29"));
    assert_eq!(due_after(day("2026-03-31")), day("2026-04-30"));
    assert_eq!(due_after(day("2026-12-15")), day("2027-01-15"));
    assert_eq!(due_after(day("2028-02-29")), day("2028-03-29"));
}

#[test]
fn the_due_day_follows_the_review_day_in_the_centers_zone() {
    // 2026-01-30T16:00Z is Jan 31, 01:00 in Seoul: due on Feb 28, not Feb 28 from Jan 30.
    let f = FollowUp::open("p1", "r1", "a1", utc("2026-01-30T16:00:00Z"), Seoul);
    assert_eq!(f.due_on, day("2026-02-28"));
    let in_utc = FollowUp::open(
        "p1",
        "r1",
        "a1",
        utc("2026-01-30T16:00:00Z"),
        chrono_tz::UTC,
    );
    assert_eq!(in_utc.due_on, day("2026-02-28"));
    let f = FollowUp::open("p1", "r1", "a1", utc("2026-01-14T16:00:00Z"), Seoul);
    assert_eq!(f.due_on, day("2026-02-15"));
    assert!(f.is_open() && !f.is_flagged());
}

#[test]
fn not_improved_carries_forward_flagged_and_improved_closes() {
    let mut f = FollowUp::open("p1", "r1", "a1", utc("2026-01-10T01:00:00Z"), Seoul);
    f.check(
        Verdict::NotImproved,
        utc("2026-02-12T02:00:00Z"),
        Seoul,
        vec!["c7".into()],
    )
    .unwrap();
    assert!(f.is_open() && f.is_flagged());
    assert_eq!(f.carries, 1);
    assert_eq!(f.due_on, day("2026-03-12"));
    assert_eq!(f.since, utc("2026-02-12T02:00:00Z"));
    f.check(
        Verdict::NotImproved,
        utc("2026-03-11T02:00:00Z"),
        Seoul,
        vec!["c9".into()],
    )
    .unwrap();
    assert_eq!((f.carries, f.due_on), (2, day("2026-04-11")));
    f.check(
        Verdict::Improved,
        utc("2026-04-09T02:00:00Z"),
        Seoul,
        vec!["c12".into(), "c13".into()],
    )
    .unwrap();
    assert_eq!(f.state, FollowUpState::Improved);
    assert_eq!(f.carries, 2, "the history of carries stays");
    assert_eq!(f.checks.len(), 3);
    assert_eq!(f.checks[2].calls, ["c12", "c13"]);
    assert_eq!(
        f.check(
            Verdict::NotImproved,
            utc("2026-05-01T00:00:00Z"),
            Seoul,
            vec!["c20".into()]
        ),
        Err(FollowUpError::Closed("p1".into()))
    );
}

#[test]
fn a_check_needs_calls_and_cannot_predate_the_review() {
    let mut f = FollowUp::open("p1", "r1", "a1", utc("2026-01-10T01:00:00Z"), Seoul);
    assert_eq!(
        f.check(
            Verdict::Improved,
            utc("2026-02-10T01:00:00Z"),
            Seoul,
            vec![]
        ),
        Err(FollowUpError::NoCalls)
    );
    assert!(matches!(
        f.check(
            Verdict::Improved,
            utc("2026-01-09T01:00:00Z"),
            Seoul,
            vec!["c1".into()]
        ),
        Err(FollowUpError::BeforeSince { .. })
    ));
    assert!(
        f.is_open() && f.checks.is_empty(),
        "a refused check changes nothing"
    );
}

#[test]
fn overdue_lists_open_points_past_their_day_oldest_first() {
    let mut late = FollowUp::open("p1", "r1", "b2", utc("2026-01-05T01:00:00Z"), Seoul);
    let later = FollowUp::open("p2", "r2", "a1", utc("2026-01-20T01:00:00Z"), Seoul);
    let due_today = FollowUp::open("p3", "r3", "a1", utc("2026-01-25T01:00:00Z"), Seoul);
    let mut closed = FollowUp::open("p4", "r4", "a1", utc("2026-01-02T01:00:00Z"), Seoul);
    closed
        .check(
            Verdict::Improved,
            utc("2026-02-01T01:00:00Z"),
            Seoul,
            vec!["c1".into()],
        )
        .unwrap();
    let all = [due_today.clone(), later.clone(), closed, late.clone()];
    let today = day("2026-02-25");
    let points: Vec<&str> = overdue(&all, today)
        .iter()
        .map(|f| f.point.as_str())
        .collect();
    assert_eq!(
        points,
        ["p1", "p2"],
        "due on the 25th is not late on the 25th"
    );
    // A carried point is late again only past its new day.
    late.check(
        Verdict::NotImproved,
        utc("2026-02-24T01:00:00Z"),
        Seoul,
        vec!["c2".into()],
    )
    .unwrap();
    let all = [late, later];
    let points: Vec<&str> = overdue(&all, today)
        .iter()
        .map(|f| f.point.as_str())
        .collect();
    assert_eq!(points, ["p2"]);
}

#[test]
fn follow_up_calls_come_after_every_open_points_review_and_outside_the_sample() {
    let p1 = FollowUp::open("p1", "r1", "a1", utc("2026-01-10T01:00:00Z"), Seoul);
    let p2 = FollowUp::open("p2", "r2", "a1", utc("2026-01-20T01:00:00Z"), Seoul);
    let calls = [
        call("c1", "2026-01-15T01:00:00Z"), // after p1's review only
        call("c2", "2026-01-21T01:00:00Z"),
        call("c3", "2026-01-22T01:00:00Z"),
        call("c4", "2026-01-23T01:00:00Z"),
        call("c5", "2026-01-24T01:00:00Z"),
    ];
    let refs: Vec<&RecordedCall> = calls.iter().collect();
    let taken: BTreeSet<&str> = ["c3"].into_iter().collect();
    let got = follow_up_calls(&[&p2, &p1], &refs, &taken, 2, 99);
    assert_eq!(got.points, ["p1", "p2"]);
    assert_eq!(got.calls.len(), 2);
    for c in &got.calls {
        assert!(
            ["c2", "c4", "c5"].contains(&c.call_id.as_str()),
            "{}",
            c.call_id
        );
    }
    // Same seed, same calls, whatever order they came in.
    let reversed: Vec<&RecordedCall> = calls.iter().rev().collect();
    assert_eq!(
        follow_up_calls(&[&p1, &p2], &reversed, &taken, 2, 99).calls,
        got.calls
    );
    // Asking for more than there are gives all of them.
    assert_eq!(
        follow_up_calls(&[&p1, &p2], &refs, &taken, 10, 99)
            .calls
            .len(),
        3
    );
    // No open point, or no call after it: nothing to re-check.
    assert_eq!(
        follow_up_calls(&[], &refs, &taken, 2, 99),
        Recheck::default()
    );
    let p3 = FollowUp::open("p3", "r3", "a1", utc("2026-01-30T01:00:00Z"), Seoul);
    assert_eq!(
        follow_up_calls(&[&p3], &refs, &taken, 2, 99),
        Recheck::default()
    );
}
