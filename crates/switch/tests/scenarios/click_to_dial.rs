//! Click-to-dial (issue 16): the switch rings the agent's phone (the customer's number shown
//! as the caller), then dials the customer over the trunks with failover once the agent
//! answers. Also: an agent who does not answer (nothing reaches a carrier), refusals before
//! anything rings (denied number, offline or unknown agent, busy agent, no trunk), and an
//! agent calling out from their own phone (`9` + number) getting a contact row.

use super::harness::{config, phone, TestSwitch};
use super::ivr_support::support_queue;
use super::phone::{Dlg, Msg, Phone};
use super::trunk_support::*;
use std::time::Duration;
use switch::{
    Action, CallId, CdrEvent, ClickToDialError, Contact, Direction, Disposition, RecordMode,
};

/// The trunk switch (agent a1003 logged in at 1003, carriers a and b), every call recorded,
/// and the agent's phone registered.
fn c2d_switch(plan: trunk::TrunkPlan) -> (TestSwitch, Phone) {
    let mut ts = trunk_switch_with(plan, |cfg| cfg.recording.mode = RecordMode::All);
    let mut agent = phone(1003);
    ts.register(&mut agent, 3600);
    ts.take_actions();
    (ts, agent)
}

fn agent_state(ts: &TestSwitch, agent: &str) -> String {
    ts.sw
        .acd_snapshot(ts.now)
        .agents
        .into_iter()
        .find(|a| a.id == agent)
        .map(|a| match a.reason {
            Some(r) => format!("{}: {r}", a.state),
            None => a.state.to_string(),
        })
        .unwrap_or_else(|| "missing".into())
}

fn dial(ts: &mut TestSwitch, agent: &str, number: &str) -> Result<CallId, ClickToDialError> {
    let now = ts.now;
    let r = ts.sw.click_to_dial(now, agent, number);
    ts.pump();
    r
}

/// The agent's phone answers the INVITE `inv`: the agent's dialog, after the switch's ACK.
fn agent_answers(ts: &mut TestSwitch, agent: &Phone, inv: &Msg) -> Dlg {
    let sdp = agent.sdp("sendrecv");
    ts.send(
        agent.peer,
        &agent.respond(inv, 200, "OK", Some("ag"), Some(&sdp)),
    );
    ts.expect_request(agent, "ACK");
    Dlg::uas(inv, "ag")
}

fn contacts(actions: &[Action]) -> Vec<Contact> {
    actions
        .iter()
        .filter_map(|x| match x {
            Action::Contact { contact, .. } => Some(contact.clone()),
            _ => None,
        })
        .collect()
}

fn cdrs(actions: &[Action]) -> Vec<CdrEvent> {
    actions
        .iter()
        .filter_map(|x| match x {
            Action::Cdr(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn the_agent_answers_then_the_customer_over_a_trunk() {
    let mut plan = trunk_plan();
    plan.trunks[0].caller_id = Some("+8215881234".into());
    let (mut ts, mut agent) = c2d_switch(plan);
    let (ca, cb) = (carrier("x", CARRIER_A), carrier("x", CARRIER_B));
    let call = dial(&mut ts, "a1003", "010-9999-8888").expect("accepted");
    let cdr_id = ts.sw.cdr_id_of(call).expect("call in progress");
    // The agent's phone rings first, showing whom it will call; no carrier hears anything.
    let inv = ts.expect_request(&agent, "INVITE");
    assert!(inv.hdr("From").contains("sip:01099998888@"), "{}", inv.text);
    assert!(inv.body().contains("m=audio 40000"), "relay's side A");
    ts.assert_quiet(&ca);
    ts.assert_quiet(&cb);
    assert_eq!(agent_state(&ts, "a1003"), "paused: on another call");
    let mut ad = agent_answers(&mut ts, &agent, &inv);
    // Then the customer, over carrier-a, in E.164, with the trunk's caller ID.
    let out = ts.expect_request(&ca, "INVITE");
    assert_eq!(ruri_user(&out), "+821099998888");
    assert!(out.hdr("From").contains("sip:+8215881234@"), "{}", out.text);
    ts.send(
        ca.peer,
        &ca.respond(&out, 200, "OK", Some("ct"), Some(&ca.sdp("sendrecv"))),
    );
    ts.expect_request(&ca, "ACK");
    let actions = ts.take_actions();
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, Action::Bridge { call: c } if *c == call)),
        "agent and customer bridged: {actions:?}"
    );
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, Action::StartRecording { call: c, .. } if *c == call)),
        "recorded per the policy: {actions:?}"
    );
    let events = cdrs(&actions);
    let trunks = trunk_records(&events);
    assert_eq!(trunks.len(), 1, "{events:?}");
    assert_eq!(trunks[0].direction, Direction::Outbound);
    assert_eq!(trunks[0].trunk, "carrier-a");
    assert_eq!(trunks[0].caller_id.as_deref(), Some("+8215881234"));
    assert!(events.iter().any(|e| matches!(e, CdrEvent::Answer { .. })));
    assert_eq!(channels(&ts, "carrier-a"), 1);
    // The agent hangs up: BYE to the carrier, an outbound contact with the agent.
    let bye = agent.request(&mut ad, "BYE", &[], None);
    ts.send(agent.peer, &bye);
    ts.expect_status(&agent, 200);
    let cbye = ts.expect_request(&ca, "BYE");
    ts.send(ca.peer, &ca.respond(&cbye, 200, "OK", None, None));
    let actions = ts.take_actions();
    let contact = contacts(&actions).pop().expect("a contact row");
    assert_eq!(contact.call_id, cdr_id);
    assert_eq!(contact.direction, Direction::Outbound);
    assert_eq!(contact.agent.as_deref(), Some("a1003"));
    assert_eq!(contact.number, "+821099998888");
    assert_eq!(contact.outcome, "answered");
    let events = cdrs(&actions);
    let end = events
        .iter()
        .find_map(|e| match e {
            CdrEvent::End(end) => Some(end.clone()),
            _ => None,
        })
        .expect("CDR closed");
    assert_eq!(end.call_id, cdr_id);
    assert_eq!(end.disposition, Disposition::Answered);
    assert_eq!(channels(&ts, "carrier-a"), 0);
    assert_eq!(agent_state(&ts, "a1003"), "available");
    ts.finish();
}

#[test]
fn the_cdr_opens_at_the_request_with_the_agent_linked() {
    let (mut ts, _agent) = c2d_switch(trunk_plan());
    let call = dial(&mut ts, "1003", "01099998888").expect("by extension too");
    let cdr_id = ts.sw.cdr_id_of(call).expect("call");
    let actions = ts.take_actions();
    let events = cdrs(&actions);
    let start = events.iter().find_map(|e| match e {
        CdrEvent::Start(s) => Some(s.clone()),
        _ => None,
    });
    let start = start.expect("CDR started");
    assert_eq!(
        (
            start.call_id.as_str(),
            start.caller.as_str(),
            start.callee.as_str()
        ),
        (cdr_id.as_str(), "01099998888", "1003")
    );
    let linked = events.iter().any(|e| {
        matches!(e, CdrEvent::Link(l) if l.call_id == cdr_id
            && l.agent.as_deref() == Some("a1003") && l.queue.is_none())
    });
    assert!(linked, "{events:?}");
    // The agent's screen pops up with the customer's number, for this call.
    let pop = actions.iter().find_map(|a| match a {
        Action::ScreenPop(p) => Some(p.clone()),
        _ => None,
    });
    let pop = pop.expect("a screen pop");
    assert_eq!(
        (
            pop.agent.as_str(),
            pop.call_id.as_str(),
            pop.caller.as_str()
        ),
        ("a1003", cdr_id.as_str(), "01099998888")
    );
}

#[test]
fn an_agent_who_does_not_answer_sends_nothing_to_the_carrier() {
    let (mut ts, agent) = c2d_switch(trunk_plan());
    let (ca, cb) = (carrier("x", CARRIER_A), carrier("x", CARRIER_B));
    dial(&mut ts, "a1003", "01099998888").expect("accepted");
    let inv = ts.expect_request(&agent, "INVITE");
    ts.send(
        agent.peer,
        &agent.respond(&inv, 180, "Ringing", Some("ag"), None),
    );
    ts.take_actions();
    ts.advance(Duration::from_secs(29));
    ts.assert_quiet(&agent);
    ts.advance(Duration::from_secs(1));
    let cancel = ts.expect_request(&agent, "CANCEL");
    ts.send(
        agent.peer,
        &agent.respond(&cancel, 200, "OK", Some("ag"), None),
    );
    ts.send(
        agent.peer,
        &agent.respond(&inv, 487, "Request Terminated", Some("ag"), None),
    );
    ts.expect_request(&agent, "ACK");
    ts.assert_quiet(&ca);
    ts.assert_quiet(&cb);
    let actions = ts.take_actions();
    assert!(contacts(&actions).is_empty(), "nobody was called");
    let end = cdrs(&actions).into_iter().find_map(|e| match e {
        CdrEvent::End(end) => Some(end),
        _ => None,
    });
    let end = end.expect("the CDR says what happened");
    assert_eq!(end.disposition, Disposition::NoAnswer);
    assert_eq!(end.hangup_cause, "agent did not answer");
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, Action::ReleaseMedia { .. })),
        "{actions:?}"
    );
    assert_eq!(agent_state(&ts, "a1003"), "available");
    ts.finish();
}

#[test]
fn a_declining_agent_ends_it_at_once() {
    let (mut ts, agent) = c2d_switch(trunk_plan());
    dial(&mut ts, "a1003", "01099998888").expect("accepted");
    let inv = ts.expect_request(&agent, "INVITE");
    ts.send(
        agent.peer,
        &agent.respond(&inv, 603, "Decline", Some("ag"), None),
    );
    ts.expect_request(&agent, "ACK");
    ts.assert_quiet(&carrier("x", CARRIER_A));
    let end = ts.take_cdrs().into_iter().find_map(|e| match e {
        CdrEvent::End(end) => Some(end),
        _ => None,
    });
    assert_eq!(end.expect("CDR").disposition, Disposition::Declined);
    assert_eq!(agent_state(&ts, "a1003"), "available");
    ts.finish();
}

#[test]
fn a_carriers_503_fails_over_to_the_next_trunk() {
    let (mut ts, agent) = c2d_switch(trunk_plan());
    let (ca, cb) = (carrier("x", CARRIER_A), carrier("x", CARRIER_B));
    dial(&mut ts, "a1003", "+821099998888").expect("accepted");
    let inv = ts.expect_request(&agent, "INVITE");
    agent_answers(&mut ts, &agent, &inv);
    let out_a = ts.expect_request(&ca, "INVITE");
    ts.send(
        ca.peer,
        &ca.respond(&out_a, 503, "Service Unavailable", Some("x"), None),
    );
    ts.expect_request(&ca, "ACK");
    let out_b = ts.expect_request(&cb, "INVITE");
    assert_eq!(ruri_user(&out_b), "+821099998888");
    ts.send(
        cb.peer,
        &cb.respond(&out_b, 200, "OK", Some("cb"), Some(&cb.sdp("sendrecv"))),
    );
    ts.expect_request(&cb, "ACK");
    let trunks = trunk_records(&ts.take_cdrs());
    let names: Vec<&str> = trunks.iter().map(|t| t.trunk.as_str()).collect();
    assert_eq!(
        names,
        ["carrier-a", "carrier-b"],
        "the last names the carrier"
    );
    assert_eq!(
        (channels(&ts, "carrier-a"), channels(&ts, "carrier-b")),
        (0, 1)
    );
}

#[test]
fn refusals_before_anything_rings() {
    let (mut ts, agent) = c2d_switch(trunk_plan());
    let ca = carrier("x", CARRIER_A);
    assert_eq!(
        dial(&mut ts, "a1003", "112"),
        Err(ClickToDialError::NumberDenied {
            number: "112".into(),
            prefix: "112".into()
        })
    );
    assert_eq!(
        dial(&mut ts, "nobody", "01099998888"),
        Err(ClickToDialError::UnknownAgent("nobody".into()))
    );
    assert_eq!(
        dial(&mut ts, "a1003", "call me"),
        Err(ClickToDialError::InvalidNumber("call me".into()))
    );
    ts.assert_quiet(&agent);
    ts.assert_quiet(&ca);
    assert!(ts.take_actions().is_empty(), "nothing started");
    // A first call rings the agent: a second is refused while it lasts.
    dial(&mut ts, "a1003", "01099998888").expect("first");
    ts.expect_request(&agent, "INVITE");
    assert_eq!(
        dial(&mut ts, "a1003", "01011112222"),
        Err(ClickToDialError::AgentBusy("a1003".into()))
    );
}

#[test]
fn an_offline_agent_is_refused() {
    let mut cfg = config();
    cfg.acd = support_queue();
    cfg.trunks = trunk_plan();
    let mut ts = TestSwitch::with(cfg);
    // Logged out and never registered: the configured extension has no phone.
    assert_eq!(
        dial(&mut ts, "a1003", "01099998888"),
        Err(ClickToDialError::PhoneOffline {
            agent: "a1003".into(),
            extension: "1003".into()
        })
    );
    // Registered but not logged in is enough.
    let mut agent = phone(1003);
    ts.register(&mut agent, 3600);
    dial(&mut ts, "a1003", "01099998888").expect("a registered phone rings");
    ts.expect_request(&agent, "INVITE");
}

#[test]
fn no_trunk_no_route() {
    let mut plan = trunk_plan();
    plan.trunks.clear();
    let (mut ts, agent) = c2d_switch(plan);
    assert_eq!(
        dial(&mut ts, "a1003", "01099998888"),
        Err(ClickToDialError::NoTrunk("01099998888".into()))
    );
    // A number the plans route (9 + number) or an extension still works without a trunk
    // check of ours: the plan decides.
    dial(&mut ts, "a1003", "1001").expect("an extension");
    ts.expect_request(&agent, "INVITE");
}

/// Extension 1002 as the customer: it rings once the agent answered, showing the agent's
/// extension; its answer bridges them and the contact row has the agent.
#[test]
fn an_extension_is_dialled_directly() {
    let (mut ts, mut agent) = c2d_switch(trunk_plan());
    let mut customer = phone(1002);
    ts.register(&mut customer, 3600);
    dial(&mut ts, "a1003", "1002").expect("accepted");
    let inv = ts.expect_request(&agent, "INVITE");
    ts.assert_quiet(&customer);
    let mut ad = agent_answers(&mut ts, &agent, &inv);
    let cinv = ts.expect_request(&customer, "INVITE");
    assert!(cinv.hdr("From").contains("sip:1003@"), "{}", cinv.text);
    ts.send(
        customer.peer,
        &customer.respond(
            &cinv,
            200,
            "OK",
            Some("cu"),
            Some(&customer.sdp("sendrecv")),
        ),
    );
    ts.expect_request(&customer, "ACK");
    let bye = agent.request(&mut ad, "BYE", &[], None);
    ts.send(agent.peer, &bye);
    ts.expect_status(&agent, 200);
    let cbye = ts.expect_request(&customer, "BYE");
    ts.send(
        customer.peer,
        &customer.respond(&cbye, 200, "OK", None, None),
    );
    let contact = contacts(&ts.take_actions()).pop().expect("contact");
    assert_eq!(
        (contact.number.as_str(), contact.agent.as_deref()),
        ("1002", Some("a1003"))
    );
    ts.finish();
}

/// The agent dials `9` + number from their phone (the out plan): the contact row names the
/// agent, so the agent page's wrap-up attaches to it, and says what became of the call.
#[test]
fn an_agents_call_out_from_the_phone_is_their_contact() {
    let (mut ts, mut agent) = c2d_switch(trunk_plan());
    let ca = carrier("x", CARRIER_A);
    let sdp = agent.sdp("sendrecv");
    let mut ad = ts.invite(&mut agent, "901099998888", Some(&sdp));
    ts.expect_status(&agent, 100);
    assert_eq!(agent_state(&ts, "a1003"), "paused: on another call");
    let out = ts.expect_request(&ca, "INVITE");
    ts.send(
        ca.peer,
        &ca.respond(&out, 200, "OK", Some("ct"), Some(&ca.sdp("sendrecv"))),
    );
    ts.expect_request(&ca, "ACK");
    let ok = ts.expect_status(&agent, 200);
    ad.learn(&ok);
    ts.send(agent.peer, &agent.ack_2xx(&ad));
    let bye = agent.request(&mut ad, "BYE", &[], None);
    ts.send(agent.peer, &bye);
    ts.expect_status(&agent, 200);
    let cbye = ts.expect_request(&ca, "BYE");
    ts.send(ca.peer, &ca.respond(&cbye, 200, "OK", None, None));
    let contact = contacts(&ts.take_actions()).pop().expect("contact");
    assert_eq!(contact.direction, Direction::Outbound);
    assert_eq!(contact.agent.as_deref(), Some("a1003"));
    assert_eq!(contact.number, "+821099998888");
    assert_eq!(contact.outcome, "answered");
    assert_eq!(agent_state(&ts, "a1003"), "available");

    // Regression: a busy customer's row said "answered" (the agent's own row fell through
    // to the arm for queue calls whose agent is known).
    let sdp = agent.sdp("sendrecv");
    ts.invite(&mut agent, "901011112222", Some(&sdp));
    ts.expect_status(&agent, 100);
    let out = ts.expect_request(&ca, "INVITE");
    ts.send(
        ca.peer,
        &ca.respond(&out, 486, "Busy Here", Some("ct"), None),
    );
    ts.expect_request(&ca, "ACK");
    ts.expect_status(&agent, 486);
    let contact = contacts(&ts.take_actions()).pop().expect("contact");
    assert_eq!(contact.agent.as_deref(), Some("a1003"));
    assert_eq!(contact.outcome, "busy");
    ts.finish();
}

/// carrier-a's two addresses, as the driver's DNS (RFC 3263) would hand them in.
const A1: [u8; 4] = [192, 0, 2, 11];
const A2: [u8; 4] = [192, 0, 2, 12];

/// carrier-a by a host name resolved to A1 then A2, with `answer_timeout`; carrier-b as usual.
fn two_address_switch(answer_timeout: Duration) -> (TestSwitch, Phone) {
    let mut plan = trunk_plan();
    plan.trunks[0].host = "sip.carrier-a.example".into();
    plan.trunks[0].answer_timeout = answer_timeout;
    let (mut ts, agent) = c2d_switch(plan);
    let now = ts.now;
    let addrs = [A1, A2].map(|ip| std::net::SocketAddr::from((ip, 5060)));
    ts.sw.trunk_addresses(now, "carrier-a", addrs.to_vec());
    ts.pump();
    (ts, agent)
}

/// Click-to-dial up to the customer's first INVITE, which goes to A1.
fn customer_dialled(ts: &mut TestSwitch, agent: &Phone) -> Msg {
    dial(ts, "a1003", "01099998888").expect("accepted");
    let inv = ts.expect_request(agent, "INVITE");
    agent_answers(ts, agent, &inv);
    let out = ts.expect_request(&carrier("x", A1), "INVITE");
    assert!(
        out.request_uri().contains("@sip.carrier-a.example"),
        "the Request-URI keeps the host name: {}",
        out.text
    );
    out
}

#[test]
fn a_trunks_second_address_is_tried_after_silence_on_the_first() {
    let (mut ts, agent) = two_address_switch(Duration::from_secs(2));
    let (a1, a2, cb) = (carrier("x", A1), carrier("x", A2), carrier("x", CARRIER_B));
    customer_dialled(&mut ts, &agent);
    ts.advance(Duration::from_millis(1900));
    ts.drain(&a1);
    ts.assert_quiet(&a2);
    // The trunk's own answer_timeout (2 s, not the default 5 s), then A2, not carrier-b.
    ts.advance(Duration::from_millis(100));
    let out = ts.expect_request(&a2, "INVITE");
    ts.assert_quiet(&cb);
    ts.send(
        a2.peer,
        &a2.respond(&out, 200, "OK", Some("a2"), Some(&a2.sdp("sendrecv"))),
    );
    ts.expect_request(&a2, "ACK");
    assert_eq!(channels(&ts, "carrier-a"), 1);
    let names: Vec<String> = trunk_records(&ts.take_cdrs())
        .into_iter()
        .map(|t| t.trunk)
        .collect();
    assert_eq!(names, ["carrier-a", "carrier-a"], "one record per attempt");
}

#[test]
fn a_503_tries_the_next_address_and_a_500_the_next_trunk() {
    let (mut ts, agent) = two_address_switch(trunk::DEFAULT_ANSWER_TIMEOUT);
    let (a1, a2, cb) = (carrier("x", A1), carrier("x", A2), carrier("x", CARRIER_B));
    let out = customer_dialled(&mut ts, &agent);
    ts.send(
        a1.peer,
        &a1.respond(&out, 503, "Service Unavailable", Some("a1"), None),
    );
    ts.expect_request(&a1, "ACK");
    let out = ts.expect_request(&a2, "INVITE");
    ts.assert_quiet(&cb);
    // A server error that is not "unavailable": the carrier's other addresses would not do
    // better, so carrier-b (A2 was the last address anyway: this checks no third try of A).
    ts.send(
        a2.peer,
        &a2.respond(&out, 500, "Server Internal Error", Some("a2"), None),
    );
    ts.expect_request(&a2, "ACK");
    ts.expect_request(&cb, "INVITE");
    ts.assert_quiet(&a1);
    assert_eq!(
        (channels(&ts, "carrier-a"), channels(&ts, "carrier-b")),
        (0, 1)
    );
}

#[test]
fn a_500_on_the_first_address_skips_the_others() {
    let (mut ts, agent) = two_address_switch(trunk::DEFAULT_ANSWER_TIMEOUT);
    let (a1, a2, cb) = (carrier("x", A1), carrier("x", A2), carrier("x", CARRIER_B));
    let out = customer_dialled(&mut ts, &agent);
    ts.send(
        a1.peer,
        &a1.respond(&out, 500, "Server Internal Error", Some("a1"), None),
    );
    ts.expect_request(&a1, "ACK");
    ts.expect_request(&cb, "INVITE");
    ts.assert_quiet(&a2);
}

/// The agent gives up while the customer's phone rings: the carrier's INVITE is cancelled, the
/// trunk's channel given back, and the contact says so.
#[test]
fn the_agent_hangs_up_before_the_customer_answers() {
    let (mut ts, mut agent) = c2d_switch(trunk_plan());
    let ca = carrier("x", CARRIER_A);
    dial(&mut ts, "a1003", "01099998888").expect("accepted");
    let inv = ts.expect_request(&agent, "INVITE");
    let mut ad = agent_answers(&mut ts, &agent, &inv);
    let out = ts.expect_request(&ca, "INVITE");
    ts.send(ca.peer, &ca.respond(&out, 180, "Ringing", Some("ct"), None));
    let bye = agent.request(&mut ad, "BYE", &[], None);
    ts.send(agent.peer, &bye);
    ts.expect_status(&agent, 200);
    let cancel = ts.expect_request(&ca, "CANCEL");
    ts.send(ca.peer, &ca.respond(&cancel, 200, "OK", Some("ct"), None));
    ts.send(
        ca.peer,
        &ca.respond(&out, 487, "Request Terminated", Some("ct"), None),
    );
    ts.expect_request(&ca, "ACK");
    let contact = contacts(&ts.take_actions()).pop().expect("contact");
    assert_eq!(contact.outcome, "cancelled");
    assert_eq!(contact.agent.as_deref(), Some("a1003"));
    assert_eq!(channels(&ts, "carrier-a"), 0);
    assert_eq!(agent_state(&ts, "a1003"), "available");
    ts.finish();
}

/// Regression: with only the agent's extension selected for recording, a call the switch
/// placed agent first was not recorded once a trunk dialled the customer (the call's callee
/// number became the customer's, and neither party was the selected extension any more).
#[test]
fn a_selected_agents_click_to_dial_over_a_trunk_is_recorded() {
    let selected = RecordMode::Selected {
        queues: Default::default(),
        extensions: ["1003".to_string()].into_iter().collect(),
    };
    let mut ts = trunk_switch_with(trunk_plan(), |cfg| cfg.recording.mode = selected);
    let mut agent = phone(1003);
    ts.register(&mut agent, 3600);
    let ca = carrier("x", CARRIER_A);
    let call = dial(&mut ts, "a1003", "01099998888").expect("accepted");
    let inv = ts.expect_request(&agent, "INVITE");
    agent_answers(&mut ts, &agent, &inv);
    let out = ts.expect_request(&ca, "INVITE");
    ts.send(
        ca.peer,
        &ca.respond(&out, 200, "OK", Some("ct"), Some(&ca.sdp("sendrecv"))),
    );
    ts.expect_request(&ca, "ACK");
    let actions = ts.take_actions();
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, Action::StartRecording { call: c, .. } if *c == call)),
        "{actions:?}"
    );
}

/// A busy customer ends it: the agent is hung up, the CDR and the contact say busy.
#[test]
fn a_busy_customer_ends_it() {
    let (mut ts, agent) = c2d_switch(trunk_plan());
    let mut customer = phone(1002);
    ts.register(&mut customer, 3600);
    dial(&mut ts, "a1003", "1002").expect("accepted");
    let inv = ts.expect_request(&agent, "INVITE");
    agent_answers(&mut ts, &agent, &inv);
    let cinv = ts.expect_request(&customer, "INVITE");
    ts.send(
        customer.peer,
        &customer.respond(&cinv, 486, "Busy Here", Some("cu"), None),
    );
    ts.expect_request(&customer, "ACK");
    let bye = ts.expect_request(&agent, "BYE");
    ts.send(agent.peer, &agent.respond(&bye, 200, "OK", None, None));
    let actions = ts.take_actions();
    let end = cdrs(&actions).into_iter().find_map(|e| match e {
        CdrEvent::End(end) => Some(end),
        _ => None,
    });
    let end = end.expect("CDR closed");
    assert_eq!(
        (end.disposition, end.hangup_cause.as_str()),
        (Disposition::Busy, "click-to-dial busy")
    );
    assert_eq!(contacts(&actions).pop().expect("contact").outcome, "busy");
    assert_eq!(agent_state(&ts, "a1003"), "available");
    ts.finish();
}
