//! The staffing history (calls and logged-in agents per interval) over a hand-built Monday
//! morning, on both backends. The expected values are worked out in the comments. And its
//! logged-in agents from the stored quarter hours against the replay of the raw events, for
//! random histories, windows, intervals and offsets.

mod common;

use common::acd::{secs, t, History};
use common::random_history::{history_of, window, write_shuffled, Rng, AGENTS};
use crm::{AgentStateName, Crm, Interval, IntervalHistory, QueueEventKind, StaffingHistoryQuery};

on_both_backends!(
    staffing_history_per_half_hour,
    staffing_history_every_queue_and_agent_up_to_now,
    staffing_history_from_quarter_hours_is_the_replay_of_the_events,
);

/// Monday 2025-03-03, queues support and sales chosen, "other" not:
///
/// | call | entered | queue   | outcome            | wait | talk | wrap |
/// |------|---------|---------|--------------------|------|------|------|
/// | A    | 09:05   | support | answered by ann    | 10   | 120  | 30   |
/// | B    | 09:10   | sales   | answered by bob    | 20   | 60   | 0    |
/// | D    | 09:15   | other   | answered by carl   | 5    | 60   | 0    |
/// | C    | 09:20   | support | abandon            | 40   |      |      |
/// | E    | 09:45   | support | abandon (short)    | 4    |      |      |
/// | F    | 09:50   | support | answered by ann    | 30   | 90   | 0    |
///
/// Agents: ann logged in since Sunday 20:00 until Monday 10:15; bob logs in at 09:00, pauses at
/// 09:20 (still logged in) and logs out at 09:40; carl (not counted) 09:00 to 10:00.
async fn monday(crm: &Crm) -> anyhow::Result<()> {
    use AgentStateName::*;
    let mut h = History::default();
    h.state(t(2, 20, 0, 0), "ann", LoggedOut, Available);
    h.state(t(3, 9, 0, 0), "bob", LoggedOut, Available);
    h.state(t(3, 9, 0, 0), "carl", LoggedOut, Available);
    h.answered(t(3, 9, 5, 0), "support", "A", "ann", 10, 120, 30);
    h.answered(t(3, 9, 10, 0), "sales", "B", "bob", 20, 60, 0);
    h.answered(t(3, 9, 15, 0), "other", "D", "carl", 5, 60, 0);
    let abandon = |wait| QueueEventKind::Abandon {
        position: 1,
        wait: secs(wait),
    };
    h.left(t(3, 9, 20, 0), "support", "C", 40, abandon(40));
    h.state(t(3, 9, 20, 0), "bob", Available, Paused);
    h.state(t(3, 9, 40, 0), "bob", Paused, LoggedOut);
    h.left(t(3, 9, 45, 0), "support", "E", 4, abandon(4));
    h.answered(t(3, 9, 50, 0), "support", "F", "ann", 30, 90, 0);
    h.state(t(3, 10, 0, 0), "carl", Available, LoggedOut);
    h.state(t(3, 10, 15, 0), "ann", Available, LoggedOut);
    h.write(crm).await
}

fn query() -> StaffingHistoryQuery {
    StaffingHistoryQuery {
        from: t(3, 0, 0, 0),
        to: t(4, 0, 0, 0),
        now: t(5, 12, 0, 0),
        queues: Some(vec!["support".into(), "sales".into()]),
        agents: Some(vec!["ann".into(), "bob".into()]),
        interval: Interval::Min30,
        tz_offset_minutes: 0,
    }
}

fn at(rows: &[IntervalHistory], hour: u32, minute: u32) -> &IntervalHistory {
    let start = t(3, hour, minute, 0).naive_utc();
    rows.iter()
        .find(|r| r.start == start)
        .unwrap_or_else(|| panic!("no interval at {start} in {rows:#?}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

async fn staffing_history_per_half_hour(crm: &Crm) -> anyhow::Result<()> {
    monday(crm).await?;
    let rows = crm.staffing_history(&query()).await?;
    // Ann alone from midnight (her login on Sunday carries over): 18 half hours before 09:00.
    assert_eq!(
        rows.first().map(|r| r.start),
        Some(t(3, 0, 0, 0).naive_utc())
    );
    assert!(close(at(&rows, 8, 30).agents_logged_in, 1.0));
    assert_eq!(at(&rows, 8, 30).offered, 0);

    // 09:00: A, B, C (D is another queue's). Handled A (120 + 30) and B (60 + 0): AHT 105.
    // Waits: answered 10 + 20, abandoned 40. Ann and bob the whole half hour (bob's pause
    // counts as logged in); carl is not counted.
    let nine = at(&rows, 9, 0);
    assert_eq!((nine.offered, nine.answered, nine.abandoned), (3, 2, 1));
    assert_eq!(nine.aht_secs, Some(105.0));
    assert!(close(nine.answered_wait_secs, 30.0));
    assert!(close(nine.abandoned_wait_secs, 40.0));
    assert!(close(nine.agents_logged_in, 2.0));

    // 09:30: E (short abandons count as abandons), F (90 + 0). Ann 30 min, bob 10: 4/3.
    let half = at(&rows, 9, 30);
    assert_eq!((half.offered, half.answered, half.abandoned), (2, 1, 1));
    assert_eq!(half.aht_secs, Some(90.0));
    assert!(close(half.answered_wait_secs, 30.0));
    assert!(close(half.abandoned_wait_secs, 4.0));
    assert!(close(half.agents_logged_in, 4.0 / 3.0));

    // 10:00: ann's last 15 minutes; nobody after.
    assert!(close(at(&rows, 10, 0).agents_logged_in, 0.5));
    assert_eq!(
        rows.last().map(|r| r.start),
        Some(t(3, 10, 0, 0).naive_utc())
    );
    assert_eq!(rows.len(), 21);

    // One queue alone (read with the queue in the statement): support only.
    let mut support = query();
    support.queues = Some(vec!["support".into()]);
    let rows = crm.staffing_history(&support).await?;
    let nine = at(&rows, 9, 0);
    assert_eq!((nine.offered, nine.answered, nine.abandoned), (2, 1, 1));
    assert_eq!(nine.aht_secs, Some(150.0));

    // Hours in Seoul (+09:00): 09:00 UTC is 18:00 there, and both half hours fall in it.
    let mut seoul = query();
    seoul.interval = Interval::Hour;
    seoul.tz_offset_minutes = 540;
    let rows = crm.staffing_history(&seoul).await?;
    let evening = chrono::NaiveDate::from_ymd_opt(2025, 3, 3)
        .and_then(|d| d.and_hms_opt(18, 0, 0))
        .expect("valid");
    let six = rows
        .iter()
        .find(|r| r.start == evening)
        .expect("18:00 in Seoul");
    assert_eq!((six.offered, six.answered, six.abandoned), (5, 3, 2));
    // Ann 60 min, bob 40 min of the hour.
    assert!(close(six.agents_logged_in, 100.0 / 60.0));

    // Days are not staffing intervals.
    let mut daily = query();
    daily.interval = Interval::Day;
    assert!(crm.staffing_history(&daily).await.is_err());
    Ok(())
}

async fn staffing_history_every_queue_and_agent_up_to_now(crm: &Crm) -> anyhow::Result<()> {
    monday(crm).await?;
    let mut q = query();
    q.queues = None;
    q.agents = None;
    // The present is 10:05: ann's login lasts until now, not until her logout at 10:15.
    q.now = t(3, 10, 5, 0);
    let rows = crm.staffing_history(&q).await?;
    let nine = at(&rows, 9, 0);
    // D counts now; carl too (ann, bob, carl all half hour).
    assert_eq!((nine.offered, nine.answered, nine.abandoned), (4, 3, 1));
    assert_eq!(nine.aht_secs, Some(90.0)); // (150 + 60 + 60) / 3
    assert!(close(nine.agents_logged_in, 3.0));
    assert!(close(at(&rows, 10, 0).agents_logged_in, 5.0 / 30.0));
    Ok(())
}

/// Offsets on UTC quarter hours (read from the quarter hours), and two that are not (replayed
/// from the events: the fallback, which must be what the oracle gives too).
const OFFSETS: [i32; 8] = [0, 60, 540, -300, 345, -210, 20, -7];
const INTERVALS: [Interval; 3] = [Interval::Min15, Interval::Min30, Interval::Hour];

/// A random query over the history written so far: a random window (`now` sometimes inside
/// it), interval and offset, and every agent or a few (of any seed, or none).
fn random_query(rng: &mut Rng) -> StaffingHistoryQuery {
    let (from, to, now) = window(rng);
    let agents = match rng.below(3) {
        0 => None,
        _ => Some(
            (0..rng.below(4))
                .map(|_| format!("{}{}", AGENTS[rng.below(4) as usize], 1 + rng.below(3)))
                .collect(),
        ),
    };
    StaffingHistoryQuery {
        from,
        to,
        now,
        queues: None,
        agents,
        interval: INTERVALS[rng.below(3) as usize],
        tz_offset_minutes: OFFSETS[rng.below(OFFSETS.len() as u64) as usize],
    }
}

async fn staffing_history_from_quarter_hours_is_the_replay_of_the_events(
    crm: &Crm,
) -> anyhow::Result<()> {
    let mut staffed = 0;
    for seed in [1, 2, 3] {
        let mut rng = Rng::seeded(seed);
        let events = history_of(&mut rng, seed);
        write_shuffled(crm, &mut rng, events).await?;
        for i in 0..60 {
            let q = random_query(&mut rng);
            let summed = crm.staffing_history(&q).await?;
            let replayed = crm.staffing_history_from_events(&q).await?;
            assert_eq!(summed, replayed, "seed {seed}, query {i}: {q:?}");
            staffed += usize::from(summed.iter().any(|r| r.agents_logged_in > 0.0));
        }
    }
    // The queries did see agents logged in, not just empty histories.
    assert!(
        staffed > 60,
        "{staffed} of 180 queries had agents logged in"
    );
    Ok(())
}
