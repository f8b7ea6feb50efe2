//! A call in progress when the switch is killed (SIGKILL) is not lost: its CDR was written at
//! start and answer, and the next start closes it as recovered.

use std::time::Duration;
use switchboard_e2e::{
    callee, caller_scenario, free_media_port, free_port, password, sipp, wait_for_cdrs, CallerPlan,
    Options, Sipp, Switch,
};

/// An answered call between 2001 and 2002 that only the switch can end: the caller waits for a
/// BYE. Returns (caller, callee) once the CDR shows the answer.
fn call_in_progress(switch: &Switch) -> (Sipp, Sipp) {
    let b = callee(switch, "2002", "uas_answer.xml", &["-rtp_echo"]).expect("callee");
    let scenario =
        caller_scenario(switch.dir.path(), CallerPlan::AnswerThenExpectBye).expect("scenario");
    let port = free_port().to_string();
    let media = free_media_port().to_string();
    let a = sipp(
        switch,
        "caller",
        &scenario,
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
            &port,
            "-mp",
            &media,
            "-m",
            "1",
        ],
    )
    .expect("caller");
    let answered = wait_for_cdrs(&switch.database_url, |c| {
        c.iter().any(|c| c.answered_at.is_some())
    })
    .expect("read CDRs");
    assert!(
        answered
            .iter()
            .any(|c| c.answered_at.is_some() && c.ended_at.is_none()),
        "open answered CDR: {answered:#?}"
    );
    (a, b)
}

#[test]
fn answered_call_survives_a_sigkill_as_a_recovered_cdr() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let mut switch = Switch::start(Options::default()).expect("switch");
    // The switch dies while the call is up.
    let _call = call_in_progress(&switch);

    switch.kill();
    switch.restart().expect("switch starts again");

    let cdrs = wait_for_cdrs(&switch.database_url, |c| {
        !c.is_empty() && c.iter().all(|c| c.ended_at.is_some())
    })
    .expect("read CDRs");
    assert_eq!(cdrs.len(), 1, "{cdrs:#?}");
    let cdr = &cdrs[0];
    assert!(cdr.recovered, "{cdr:?}");
    assert_eq!(cdr.hangup_cause.as_deref(), Some("switch restarted"));
    assert_eq!(cdr.caller, "2001");
    assert_eq!(cdr.callee, "2002");
    assert!(
        cdr.answered_at.is_some(),
        "the answer time is kept: {cdr:?}"
    );
    assert!(cdr.ended_at >= cdr.answered_at);
}

#[test]
fn graceful_stop_hangs_up_calls_and_closes_their_cdrs() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let mut switch = Switch::start(Options::default()).expect("switch");
    let (a, b) = call_in_progress(&switch);

    switch.stop();
    // Both phones got a BYE (their scenarios end successfully only then).
    a.wait(Duration::from_secs(10)).expect("caller got BYE");
    b.wait(Duration::from_secs(10)).expect("callee got BYE");
    let cdrs = wait_for_cdrs(&switch.database_url, |c| {
        !c.is_empty() && c.iter().all(|c| c.ended_at.is_some())
    })
    .expect("read CDRs");
    assert_eq!(cdrs.len(), 1, "{cdrs:#?}");
    let cdr = &cdrs[0];
    assert!(!cdr.recovered);
    assert_eq!(cdr.hangup_cause.as_deref(), Some("switch shutdown"));
    assert_eq!(cdr.hangup_side, Some(crm::Side::Switch));
}
