//! Calls that do not end in conversation, each through the real switch with SIPp peers, with the
//! response the caller hears and the CDR the switch writes.

use std::time::Duration;
use switchboard_e2e::{call, callee, callee_rejecting, wait_for_cdrs, CallerPlan, Options, Switch};

fn one_cdr(switch: &Switch) -> crm::Cdr {
    let cdrs = wait_for_cdrs(&switch.database_url, |c| {
        c.iter().any(|c| c.ended_at.is_some())
    })
    .expect("read CDRs");
    assert_eq!(cdrs.len(), 1, "{cdrs:#?}");
    cdrs.into_iter().next().expect("one CDR")
}

fn run(switch: &Switch, r: anyhow::Result<()>) {
    if let Err(e) = r {
        panic!("{e}\n--- switch log ---\n{}", switch.log_text());
    }
}

#[test]
fn callee_busy_gives_486_and_a_busy_cdr() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let switch = Switch::start(Options::default()).expect("switch");
    let b = callee_rejecting(&switch, "2002", "486 Busy Here").expect("callee");
    run(
        &switch,
        call(&switch, "2001", "2002", CallerPlan::ExpectFinal(486)),
    );
    run(&switch, b.wait(Duration::from_secs(10)));
    let cdr = one_cdr(&switch);
    assert_eq!(cdr.disposition, Some(crm::Disposition::Busy));
    assert_eq!(cdr.sip_status, Some(486));
    assert_eq!(cdr.billable_s, Some(0));
}

#[test]
fn callee_decline_gives_603() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let switch = Switch::start(Options::default()).expect("switch");
    let b = callee_rejecting(&switch, "2003", "603 Decline").expect("callee");
    run(
        &switch,
        call(&switch, "2001", "2003", CallerPlan::ExpectFinal(603)),
    );
    run(&switch, b.wait(Duration::from_secs(10)));
    let cdr = one_cdr(&switch);
    assert_eq!(cdr.sip_status, Some(603));
    // Issue #15: declined by the callee, not busy with no side.
    assert_eq!(cdr.disposition, Some(crm::Disposition::Declined));
    assert_eq!(cdr.hangup_side, Some(crm::Side::Callee));
}

#[test]
fn unregistered_callee_gives_480_and_unknown_number_404() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let switch = Switch::start(Options::default()).expect("switch");
    run(
        &switch,
        call(&switch, "2001", "2004", CallerPlan::ExpectFinal(480)),
    );
    run(
        &switch,
        call(&switch, "2001", "9999", CallerPlan::ExpectFinal(404)),
    );
    // Refused before a call exists: no CDR for either. CDRs are stored in call order, so once a
    // later call's CDR is there, theirs would be too.
    let busy = callee_rejecting(&switch, "2003", "486 Busy Here").expect("callee");
    run(
        &switch,
        call(&switch, "2001", "2003", CallerPlan::ExpectFinal(486)),
    );
    run(&switch, busy.wait(Duration::from_secs(10)));
    let cdrs = wait_for_cdrs(&switch.database_url, |c| {
        c.iter().any(|c| c.callee == "2003" && c.ended_at.is_some())
    })
    .expect("read CDRs");
    let callees: Vec<&str> = cdrs.iter().map(|c| c.callee.as_str()).collect();
    assert_eq!(callees, ["2003"], "{cdrs:#?}");
}

#[test]
fn caller_cancel_cancels_the_callee() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let switch = Switch::start(Options::default()).expect("switch");
    let b = callee(&switch, "2002", "uas_ring.xml", &[]).expect("callee");
    run(
        &switch,
        call(&switch, "2001", "2002", CallerPlan::CancelAfterRinging(500)),
    );
    run(&switch, b.wait(Duration::from_secs(10)));
    let cdr = one_cdr(&switch);
    assert_eq!(cdr.disposition, Some(crm::Disposition::Cancelled));
    assert_eq!(cdr.sip_status, Some(487));
    assert_eq!(cdr.hangup_side, Some(crm::Side::Caller));
}

#[test]
fn ring_timeout_gives_480_no_answer() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let switch = Switch::start(Options {
        ring_timeout_s: 2,
        ..Options::default()
    })
    .expect("switch");
    let b = callee(&switch, "2002", "uas_ring.xml", &[]).expect("callee");
    run(
        &switch,
        call(&switch, "2001", "2002", CallerPlan::ExpectFinal(480)),
    );
    run(&switch, b.wait(Duration::from_secs(10)));
    let cdr = one_cdr(&switch);
    assert_eq!(cdr.disposition, Some(crm::Disposition::NoAnswer));
    assert_eq!(cdr.hangup_cause.as_deref(), Some("ring timeout"));
}

#[test]
fn silent_call_is_ended_by_the_media_timeout() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let switch = Switch::start(Options {
        media_timeout_s: 2,
        ..Options::default()
    })
    .expect("switch");
    let b = callee(&switch, "2002", "uas_silent.xml", &[]).expect("callee");
    run(
        &switch,
        call(&switch, "2001", "2002", CallerPlan::AnswerThenExpectBye),
    );
    run(&switch, b.wait(Duration::from_secs(10)));
    let cdr = one_cdr(&switch);
    assert_eq!(cdr.disposition, Some(crm::Disposition::Answered));
    assert_eq!(cdr.hangup_cause.as_deref(), Some("media timeout"));
    assert_eq!(cdr.hangup_side, Some(crm::Side::Switch));
}
