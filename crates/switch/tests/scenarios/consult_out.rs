//! A consultation with an outside number (issue 12, `switch/consult_target.rs`): the agent
//! types the number as click-to-dial takes it, the switch calls it over the first trunk that
//! can take a call, offering the listener's port on the customer's relay session; the
//! carrier's challenge is answered; complete leaves the customer with the carrier's party.

use super::consult::{
    completes, connected_on, contact_of, hangs_up, is_hung_up, journey, third_call, LISTENER_PORT,
};
use super::harness::RELAY_IP;
use super::phone::Dlg;
use super::trunk_support::*;
use std::time::Duration;
use switch::{Action, ConsultError, ConsultStarted, ConsultState, Side};
use trunk::Credentials;

#[test]
fn an_outside_number_is_consulted_over_a_trunk_and_the_transfer_completes() {
    let mut plan = trunk_plan();
    plan.trunks[0].caller_id = Some(DID.into());
    plan.trunks[0].credentials = Some(Credentials {
        username: "acct".into(),
        password: "pw".into(),
        realm: None,
    });
    let mut s = connected_on(trunk_switch(plan));
    let ca = carrier("x", CARRIER_A);
    let now = s.ts.now;
    let started =
        s.ts.sw
            .start_consult(now, "a1003", "010-1234 5678", "loan desk");
    assert_eq!(started, Ok(ConsultStarted::Ringing));
    s.ts.pump();
    let actions = s.ts.take_actions();
    let third = third_call(&actions);
    assert!(actions.contains(&Action::ListenerPaired {
        call: s.call,
        side: Some(Side::B)
    }));
    let cdrs: Vec<switch::CdrEvent> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Cdr(e) => Some(e.clone()),
            _ => None,
        })
        .collect();
    let trunks = trunk_records(&cdrs);
    assert_eq!(
        trunks.len(),
        1,
        "the third party's CDR names the trunk: {trunks:?}"
    );
    assert_eq!(trunks[0].trunk, "carrier-a");
    assert_eq!(trunks[0].dialled.as_deref(), Some("+821012345678"));
    assert_eq!(trunks[0].caller_id.as_deref(), Some(DID));
    assert_eq!(
        channels(&s.ts, "carrier-a"),
        1,
        "the channel is taken at once"
    );
    s.ts.sw
        .listener_attached(now, third, Ok((RELAY_IP, LISTENER_PORT)));
    s.ts.pump();

    let first = s.ts.expect_request(&ca, "INVITE");
    assert_eq!(ruri_user(&first), "+821012345678", "E.164 for the carrier");
    assert!(
        first.hdr("From").contains(&format!("sip:{DID}@")),
        "{}",
        first.text
    );
    assert!(first.hdr("P-Asserted-Identity").contains(DID));
    assert!(
        first.body().contains(&format!("m=audio {LISTENER_PORT} ")),
        "the listener's port is offered: {}",
        first.text
    );
    let resp = challenge_407(&ca, &first, "c1");
    s.ts.send(ca.peer, &resp);
    s.ts.expect_request(&ca, "ACK");
    let second = s.ts.expect_request(&ca, "INVITE");
    assert_eq!(second.call_id(), first.call_id());
    assert!(
        second
            .hdr("Proxy-Authorization")
            .contains("username=\"acct\""),
        "{}",
        second.text
    );
    assert!(second.header("P-Asserted-Identity").is_some());
    assert_eq!(
        s.ts.sw.consult_status("a1003").state,
        Some(ConsultState::Ringing),
        "a challenge is no failure"
    );

    let sdp = ca.sdp("sendrecv");
    s.ts.send(
        ca.peer,
        &ca.respond(&second, 200, "OK", Some("ct"), Some(&sdp)),
    );
    s.ts.expect_request(&ca, "ACK");
    let mut cd = Dlg::uas(&second, "ct");
    assert_eq!(
        s.ts.sw.consult_status("a1003").state,
        Some(ConsultState::Talking)
    );
    s.ts.advance(Duration::from_secs(8));
    completes(&mut s);
    assert_eq!(
        journey(&mut s.ts),
        [
            "consult:a1003>01012345678",
            "transfer:a1003>01012345678:8",
            "complete:a1003"
        ]
    );

    // The carrier's party hangs up: the customer's call ends, the channel is back, and only
    // the customer's call is a contact.
    let mut ca = ca;
    hangs_up(&mut s.ts, &mut ca, &mut cd);
    is_hung_up(&mut s.ts, &s.customer);
    let actions = s.ts.take_actions();
    let contacts = actions
        .iter()
        .filter(|a| matches!(a, Action::Contact { .. }))
        .count();
    assert_eq!(contacts, 1, "{actions:?}");
    assert_eq!(contact_of(actions).outcome, "transferred");
    assert_eq!(channels(&s.ts, "carrier-a"), 0);
    s.ts.finish();
}

#[test]
fn a_carrier_refusing_puts_the_agent_back_and_frees_the_channel() {
    let mut s = connected_on(trunk_switch(trunk_plan()));
    let ca = carrier("x", CARRIER_A);
    let now = s.ts.now;
    let started = s.ts.sw.start_consult(now, "a1003", "+82 2 123 4567", "");
    assert_eq!(started, Ok(ConsultStarted::Ringing));
    s.ts.pump();
    let third = third_call(&s.ts.take_actions());
    s.ts.sw
        .listener_attached(now, third, Ok((RELAY_IP, LISTENER_PORT)));
    s.ts.pump();
    let inv = s.ts.expect_request(&ca, "INVITE");
    assert_eq!(ruri_user(&inv), "+8221234567");
    s.ts.send(
        ca.peer,
        &ca.respond(&inv, 486, "Busy Here", Some("b"), None),
    );
    s.ts.expect_request(&ca, "ACK");
    let actions = s.ts.take_actions();
    assert!(actions.contains(&Action::RemoveListener { call: s.call }));
    let status = s.ts.sw.consult_status("a1003");
    assert_eq!((status.state, status.last), (None, Some("busy")));
    assert_eq!(channels(&s.ts, "carrier-a"), 0);
    // No failover for a consultation: carrier-b heard nothing.
    s.ts.assert_quiet(&carrier("x", CARRIER_B));
    hangs_up(&mut s.ts, &mut s.customer, &mut s.ad);
    is_hung_up(&mut s.ts, &s.agent);
    s.ts.finish();
}

#[test]
fn denied_numbers_garbage_and_no_trunk_are_refused_before_anything_rings() {
    let mut s = connected_on(trunk_switch(trunk_plan()));
    let now = s.ts.now;
    assert_eq!(
        s.ts.sw.start_consult(now, "a1003", "112", ""),
        Err(ConsultError::NumberDenied {
            number: "112".into(),
            prefix: "112".into()
        })
    );
    assert!(matches!(
        s.ts.sw.start_consult(now, "a1003", "12ab", ""),
        Err(ConsultError::UnknownTarget(_))
    ));
    let mut plan = trunk_plan();
    plan.trunks.clear();
    s.ts.sw.set_trunks(now, plan);
    assert_eq!(
        s.ts.sw.start_consult(now, "a1003", "01012345678", ""),
        Err(ConsultError::NoTrunk("01012345678".into()))
    );
    s.ts.pump();
    s.ts.assert_quiet(&carrier("x", CARRIER_A));
    assert_eq!(s.ts.sw.consult_status("a1003").state, None);
}
