//! Calls through the real switch between SIPp peers: registration with digest auth, an answered
//! call with RTP both ways through the relay, and the CDR in the database.

use std::time::Duration;
use switchboard_e2e::{
    answered_call, free_media_port, free_port, password, scenario, sipp, wait_for_cdrs, Options,
    Switch,
};

#[test]
fn answered_call_relays_rtp_both_ways_and_writes_a_cdr() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let switch = Switch::start(Options::default()).expect("switch starts");
    answered_call(&switch, "2001", "2002", &[]).unwrap_or_else(|e| panic!("{e}"));

    let cdrs = wait_for_cdrs(&switch.database_url, |c| {
        c.iter().any(|c| c.ended_at.is_some())
    })
    .expect("read CDRs");
    assert_eq!(cdrs.len(), 1, "{cdrs:#?}");
    let cdr = &cdrs[0];
    assert_eq!(cdr.caller, "2001");
    assert_eq!(cdr.callee, "2002");
    assert_eq!(cdr.callee_name.as_deref(), Some("Bob Agent"));
    assert_eq!(cdr.disposition, Some(crm::Disposition::Answered));
    assert_eq!(cdr.hangup_side, Some(crm::Side::Caller));
    assert_eq!(cdr.sip_status, Some(200));
    assert!(cdr.answered_at.is_some());
    assert!(
        cdr.billable_s.unwrap_or(0) >= 1,
        "talked about 2 s: {cdr:?}"
    );
    assert_eq!(cdr.legs.len(), 2, "{:?}", cdr.legs);

    // RTP went caller → relay → callee (echo) → relay → caller.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while switch.status_field("rtp_packets_b_to_a") == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let a_to_b = switch.status_field("rtp_packets_a_to_b");
    let b_to_a = switch.status_field("rtp_packets_b_to_a");
    assert!(a_to_b > 20, "caller's RTP relayed to callee: {a_to_b}");
    assert!(
        b_to_a > 20,
        "callee's echo relayed back to caller: {b_to_a}"
    );
}

#[test]
fn caller_on_tcp_reaches_a_callee_on_udp() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let switch = Switch::start(Options::default()).expect("switch starts");
    answered_call(&switch, "2004", "2003", &["-t", "t1"]).unwrap_or_else(|e| panic!("{e}"));
    let cdrs = wait_for_cdrs(&switch.database_url, |c| {
        c.iter().any(|c| c.ended_at.is_some())
    })
    .expect("CDRs");
    let cdr = &cdrs[0];
    assert_eq!(cdr.disposition, Some(crm::Disposition::Answered));
    let caller_leg = cdr
        .legs
        .iter()
        .find(|l| l.role == crm::LegRole::Caller)
        .expect("caller leg");
    assert!(caller_leg.peer.starts_with("TCP:"), "{caller_leg:?}");
    let callee_leg = cdr
        .legs
        .iter()
        .find(|l| l.role == crm::LegRole::Callee)
        .expect("callee leg");
    assert!(callee_leg.peer.starts_with("UDP:"), "{callee_leg:?}");
}

#[test]
fn hold_and_resume_reinvites_pass_through_with_directions_intact() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let switch = Switch::start(Options::default()).expect("switch starts");
    let callee =
        switchboard_e2e::callee(&switch, "2002", "uas_hold.xml", &["-rtp_echo"]).expect("callee");
    let caller_port = free_port().to_string();
    let caller_media = free_media_port().to_string();
    let caller = sipp(
        &switch,
        "caller-hold",
        &scenario("uac_hold.xml"),
        &[
            "-s",
            "2002",
            "-au",
            "2001",
            "-ap",
            password("2001"),
            "-key",
            "caller",
            "2001",
            "-p",
            &caller_port,
            "-m",
            "1",
            "-mp",
            &caller_media,
        ],
    )
    .expect("caller sipp");
    caller
        .wait(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{e}\n{}", switch.log_text()));
    callee
        .wait(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}\n{}", switch.log_text()));
    let cdrs = wait_for_cdrs(&switch.database_url, |c| {
        c.iter().any(|c| c.ended_at.is_some())
    })
    .expect("CDRs");
    assert_eq!(cdrs[0].disposition, Some(crm::Disposition::Answered));
    assert_eq!(cdrs[0].hangup_side, Some(crm::Side::Caller));
}
