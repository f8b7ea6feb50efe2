//! The agent report over hand-built state changes crossing the window's edges, on both
//! backends.

mod common;

use common::acd::{t, History};
use crm::{AgentEventKind, AgentReportRow, AgentStateName, Crm};

on_both_backends!(agent_report_clips_spans_to_the_window);

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
        calls_answered: 1,
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
        calls_answered: 1,
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
        calls_answered: 0,
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
                && got.avg_handle_secs == want.avg_handle_secs,
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
