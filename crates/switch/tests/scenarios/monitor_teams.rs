//! Who may monitor whom (issue 12): admins every agent; a supervisor the agents of the teams
//! they lead once teams are set up, and every agent before any team exists. Outside one's
//! teams is refused before anything about the agent's calls is told.

use super::harness::TestSwitch;
use std::collections::{HashMap, HashSet};
use switch::{MonitorError, MonitorMode};

fn teams(entries: &[(&str, &[&str])]) -> HashMap<String, HashSet<String>> {
    entries
        .iter()
        .map(|(sup, agents)| {
            let agents = agents.iter().map(|a| a.to_string()).collect();
            (sup.to_string(), agents)
        })
        .collect()
}

fn switch_with_supervisor_phone() -> TestSwitch {
    let mut cfg = super::harness::config();
    cfg.supervisor_phones
        .insert("1003".to_string(), "kim".to_string());
    TestSwitch::with(cfg)
}

#[test]
fn before_any_team_every_supervisor_may_monitor_every_agent() {
    let ts = switch_with_supervisor_phone();
    assert!(ts.sw.may_monitor("kim", "alice"));
    assert!(ts.sw.may_monitor("admin", "alice"));
}

#[test]
fn a_supervisor_may_monitor_only_the_agents_of_the_teams_they_lead() {
    let mut ts = switch_with_supervisor_phone();
    ts.sw
        .set_supervisor_teams(Some(teams(&[("kim", &["bob"]), ("lee", &[])])));
    assert!(ts.sw.may_monitor("kim", "bob"));
    assert!(!ts.sw.may_monitor("kim", "alice"));
    assert!(!ts.sw.may_monitor("lee", "bob"), "a supervisor of no agent");
    assert!(
        ts.sw.may_monitor("admin", "alice"),
        "admins are not in the map"
    );
    // Outside the teams is the refusal, before "no such agent" or "not on a call".
    let now = ts.now;
    let refused = ts
        .sw
        .start_monitor(now, "kim", "alice", MonitorMode::Listen);
    assert_eq!(
        refused.err().map(|e| e.reason()),
        Some("outside_teams"),
        "kim may not monitor alice"
    );
    let inside = ts.sw.start_monitor(now, "kim", "bob", MonitorMode::Listen);
    assert!(
        !matches!(inside, Err(MonitorError::OutsideTeams { .. })),
        "{inside:?}"
    );
    // Teams removed again: back to everyone.
    ts.sw.set_supervisor_teams(None);
    assert!(ts.sw.may_monitor("kim", "alice"));
}

#[test]
fn monitoring_phones_are_replaced_while_running() {
    let mut ts = switch_with_supervisor_phone();
    let now = ts.now;
    let reason = |ts: &mut TestSwitch, account: &str| {
        let r = ts
            .sw
            .start_monitor(now, account, "alice", MonitorMode::Listen);
        r.err().map(|e| e.reason())
    };
    assert_eq!(reason(&mut ts, "sue"), Some("no_phone"));
    // An account given a phone through the API: sue's 1004 counts at once, kim's is gone.
    let phones = HashMap::from([("1004".to_string(), "sue".to_string())]);
    ts.sw.set_supervisor_phones(phones);
    assert_ne!(reason(&mut ts, "sue"), Some("no_phone"));
    assert_eq!(reason(&mut ts, "kim"), Some("no_phone"));
    ts.sw.set_supervisor_phones(HashMap::new());
    assert_eq!(reason(&mut ts, "sue"), Some("no_phone"));
}
