//! The agent report over hand-built state changes crossing the window's edges, on both
//! backends.

mod common;

use std::collections::BTreeMap;

use common::acd::{secs, t, History};
use crm::{AgentEventKind, AgentReportRow, AgentStateName, Crm, QueueEventKind};

on_both_backends!(
    agent_report_clips_spans_to_the_window,
    agent_report_pauses_by_reason_hold_and_missed_offers
);

/// Window 10:00–11:00 on Saturday:
/// - ann: available since 09:30; rings 10:10, talks 10:10:10–10:20:10, wraps 1 min, available
///   until she pauses at 10:50, paused past 11:00;
/// - bob: a session 09:00–09:50 before the window; logs in at 10:30, rings 10:40, talks from
///   10:40:05 past 11:00;
/// - cat: on a call since 09:55 until 10:05, wraps 1 min, logs out at 10:06;
/// - dan: logged out since 08:00; eve: only events after the window.
async fn agent_report_clips_spans_to_the_window(crm: &Crm) -> anyhow::Result<()> {
    use AgentStateName::*;
    let mut h = History::default();
    let at = |h_: u32, m: u32, s: u32| t(1, h_, m, s);
    h.agent(at(9, 30, 0), "ann", AgentEventKind::Login);
    h.state(at(9, 30, 0), "ann", LoggedOut, Available);
    h.state(at(10, 10, 0), "ann", Available, Ringing);
    h.state(at(10, 10, 10), "ann", Ringing, OnCall);
    h.state(at(10, 20, 10), "ann", OnCall, WrapUp);
    h.state(at(10, 21, 10), "ann", WrapUp, Available);
    h.agent(
        at(10, 50, 0),
        "ann",
        AgentEventKind::Pause {
            reason: "lunch".into(),
        },
    );
    h.state(at(10, 50, 0), "ann", Available, Paused);
    h.state(at(11, 30, 0), "ann", Paused, Available);
    h.state(at(9, 0, 0), "bob", LoggedOut, Available);
    h.state(at(9, 50, 0), "bob", Available, LoggedOut);
    h.state(at(10, 30, 0), "bob", LoggedOut, Available);
    h.state(at(10, 40, 0), "bob", Available, Ringing);
    h.state(at(10, 40, 5), "bob", Ringing, OnCall);
    h.state(at(11, 10, 0), "bob", OnCall, WrapUp);
    h.state(at(9, 55, 0), "cat", Ringing, OnCall);
    h.state(at(10, 5, 0), "cat", OnCall, WrapUp);
    h.state(at(10, 6, 0), "cat", WrapUp, Available);
    h.state(at(10, 6, 0), "cat", Available, LoggedOut);
    h.state(at(8, 0, 0), "dan", Available, LoggedOut);
    h.state(at(12, 0, 0), "eve", LoggedOut, Available);
    h.write(crm).await?;

    let rows = crm
        .agent_report(at(10, 0, 0), at(11, 0, 0), at(12, 0, 0), None)
        .await?;
    let ann = AgentReportRow {
        agent: "ann".into(),
        logged_in_secs: 3600.0,
        available_secs: 600.0 + 1730.0,
        ringing_secs: 10.0,
        on_call_secs: 600.0,
        wrap_up_secs: 60.0,
        paused_secs: 600.0,
        paused_by_reason: [("lunch".to_owned(), 600.0)].into(),
        calls_answered: 1,
        calls_completed: 0,
        hold_secs: 0.0,
        missed_offers: 0,
        avg_handle_secs: Some(660.0),
        // 660 / (660 + 2330 + 10).
        occupancy: Some(0.22),
    };
    let bob = AgentReportRow {
        agent: "bob".into(),
        logged_in_secs: 1800.0,
        available_secs: 600.0,
        ringing_secs: 5.0,
        on_call_secs: 1195.0,
        wrap_up_secs: 0.0,
        paused_secs: 0.0,
        paused_by_reason: BTreeMap::new(),
        calls_answered: 1,
        calls_completed: 0,
        hold_secs: 0.0,
        missed_offers: 0,
        avg_handle_secs: Some(1195.0),
        occupancy: Some(1195.0 / 1800.0),
    };
    // The call cat answered before 10:00 is not counted, its tail is.
    let cat = AgentReportRow {
        agent: "cat".into(),
        logged_in_secs: 360.0,
        available_secs: 0.0,
        ringing_secs: 0.0,
        on_call_secs: 300.0,
        wrap_up_secs: 60.0,
        paused_secs: 0.0,
        paused_by_reason: BTreeMap::new(),
        calls_answered: 0,
        calls_completed: 0,
        hold_secs: 0.0,
        missed_offers: 0,
        avg_handle_secs: None,
        occupancy: Some(1.0),
    };
    assert_eq!(rows.len(), 3, "{rows:#?}");
    for (got, want) in rows.iter().zip([&ann, &bob, &cat]) {
        assert_eq!(got.agent, want.agent);
        assert!(
            (
                got.logged_in_secs,
                got.available_secs,
                got.ringing_secs,
                got.on_call_secs
            ) == (
                want.logged_in_secs,
                want.available_secs,
                want.ringing_secs,
                want.on_call_secs
            ) && (got.wrap_up_secs, got.paused_secs, got.calls_answered)
                == (want.wrap_up_secs, want.paused_secs, want.calls_answered)
                && got.avg_handle_secs == want.avg_handle_secs
                && got.paused_by_reason == want.paused_by_reason,
            "{got:#?} != {want:#?}"
        );
        match (got.occupancy, want.occupancy) {
            (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "{got:?}"),
            (a, b) => assert_eq!(a, b),
        }
    }

    let only_bob = crm
        .agent_report(at(10, 0, 0), at(11, 0, 0), at(12, 0, 0), Some("bob"))
        .await?;
    assert_eq!(only_bob.len(), 1);
    assert_eq!(only_bob[0].on_call_secs, 1195.0);
    // Before bob's second login, inside his first session: 10 min available.
    let early = crm
        .agent_report(at(9, 40, 0), at(9, 55, 0), at(12, 0, 0), Some("bob"))
        .await?;
    assert_eq!(early.len(), 1);
    assert_eq!(
        (early[0].available_secs, early[0].logged_in_secs),
        (600.0, 600.0)
    );
    assert_eq!(early[0].occupancy, Some(0.0));
    assert!(crm
        .agent_report(at(10, 0, 0), at(11, 0, 0), at(12, 0, 0), Some("dan"))
        .await?
        .is_empty());

    // Regression (issue 9): a `to` in the future counted logged-in time up to `to`. Asked at
    // 10:30 for 10:00-11:00, bob (logged in at 10:30) has nothing yet and ann half an hour.
    let now = at(10, 30, 0);
    let rows = crm
        .agent_report(at(10, 0, 0), at(11, 0, 0), now, None)
        .await?;
    let ann = rows.iter().find(|r| r.agent == "ann").expect("ann");
    assert_eq!(ann.logged_in_secs, 1800.0);
    assert!(rows.iter().all(|r| r.agent != "bob"), "{rows:?}");
    assert!(crm
        .agent_report(at(11, 0, 0), at(12, 0, 0), now, None)
        .await?
        .is_empty());
    Ok(())
}

/// Window 10:00–11:00 on Saturday:
/// - fay: paused for "training" since 09:00 (the pause began before the window); at 10:10
///   pauses again for "break" without unpausing; available 10:20; rings 10:30 and does not
///   answer (missed offer); rings 10:31, talks 10:31:05–10:41:05 (a quarter on hold: 150 s),
///   available after; pauses for "lunch" 10:50, past 11:00.
/// - gus: a call answered at 09:50 completing at 10:02 (hold 180 s) counts as completed in
///   the window though answered before it; a ring with no answer at 11:05 is outside it.
async fn agent_report_pauses_by_reason_hold_and_missed_offers(crm: &Crm) -> anyhow::Result<()> {
    use AgentStateName::*;
    let mut h = History::default();
    let at = |h_: u32, m: u32, s: u32| t(1, h_, m, s);
    let pause = |r: &str| AgentEventKind::Pause { reason: r.into() };
    h.agent(at(9, 0, 0), "fay", pause("training"));
    h.state(at(9, 0, 0), "fay", Available, Paused);
    h.agent(at(10, 10, 0), "fay", pause("break"));
    h.state(at(10, 20, 0), "fay", Paused, Available);
    h.state(at(10, 30, 0), "fay", Available, Ringing);
    h.q(
        at(10, 30, 15),
        "support",
        "c1",
        QueueEventKind::RingNoAnswer {
            agent: "fay".into(),
            rang: secs(15),
        },
    );
    h.state(at(10, 30, 15), "fay", Ringing, Available);
    h.state(at(10, 31, 0), "fay", Available, Ringing);
    h.q(
        at(10, 30, 0),
        "support",
        "c2",
        QueueEventKind::Enter { position: 1 },
    );
    h.connect_and_complete(at(10, 31, 0), "support", "c2", "fay", 5, 600);
    h.state(at(10, 31, 5), "fay", Ringing, OnCall);
    h.state(at(10, 41, 5), "fay", OnCall, Available);
    h.agent(at(10, 50, 0), "fay", pause("lunch"));
    h.state(at(10, 50, 0), "fay", Available, Paused);

    h.state(at(9, 50, 0), "gus", Ringing, OnCall);
    h.q(
        at(9, 49, 0),
        "support",
        "c3",
        QueueEventKind::Enter { position: 1 },
    );
    h.connect_and_complete(at(9, 49, 0), "support", "c3", "gus", 60, 720);
    h.state(at(10, 2, 0), "gus", OnCall, Available);
    h.q(
        at(11, 5, 0),
        "support",
        "c4",
        QueueEventKind::RingNoAnswer {
            agent: "gus".into(),
            rang: secs(20),
        },
    );
    h.write(crm).await?;

    let rows = crm
        .agent_report(at(10, 0, 0), at(11, 0, 0), at(12, 0, 0), None)
        .await?;
    assert_eq!(rows.len(), 2, "{rows:#?}");
    let fay = &rows[0];
    assert_eq!(fay.agent, "fay");
    // training 10:00–10:10, break 10:10–10:20, lunch 10:50–11:00.
    let by_reason: BTreeMap<String, f64> = [
        ("break".to_owned(), 600.0),
        ("lunch".to_owned(), 600.0),
        ("training".to_owned(), 600.0),
    ]
    .into();
    assert_eq!(fay.paused_by_reason, by_reason, "{fay:#?}");
    assert_eq!(fay.paused_secs, 1800.0);
    assert_eq!(
        (fay.calls_answered, fay.calls_completed, fay.missed_offers),
        (1, 1, 1)
    );
    assert_eq!(fay.hold_secs, 150.0);
    // Ringing 15 s + 5 s, talk 600 s.
    assert_eq!((fay.ringing_secs, fay.on_call_secs), (20.0, 600.0));

    let gus = &rows[1];
    assert_eq!(gus.agent, "gus");
    assert_eq!(
        (gus.calls_answered, gus.calls_completed, gus.missed_offers),
        (0, 1, 0)
    );
    assert_eq!(gus.hold_secs, 180.0);
    assert!(gus.paused_by_reason.is_empty());

    let only_gus = crm
        .agent_report(at(10, 0, 0), at(11, 10, 0), at(12, 0, 0), Some("gus"))
        .await?;
    assert_eq!((only_gus.len(), only_gus[0].missed_offers), (1, 1));
    Ok(())
}
