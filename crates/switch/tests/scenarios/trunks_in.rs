//! Calls a carrier delivers (issue 16): recognised by address without a digest challenge,
//! routed by DID to a plan, a queue or an extension, the caller's number from
//! P-Asserted-Identity or From in E.164 form; an unknown DID gets 404, a full trunk 503, and
//! a stranger still 407.

use super::harness::{phone, TestSwitch};
use super::ivr_support::call_of;
use super::phone::{Dlg, Phone, DOMAIN};
use super::trunk_support::*;
use switch::{Action, CdrEvent, Direction};

/// The carrier sends an INVITE for `did` with `extra` header lines; returns its dialog.
fn carrier_invite(ts: &mut TestSwitch, c: &mut Phone, did: &str, extra: &[String]) -> Dlg {
    let mut d = c.new_dialog(did, &format!("sip:{did}@{DOMAIN}"));
    let sdp = c.sdp("sendrecv");
    let req = c.invite(&mut d, extra, Some(("application/sdp", &sdp)));
    ts.send(c.peer, &req);
    d
}

#[test]
fn did_to_the_menu_plan_without_a_challenge_caller_from_pai() {
    let mut ts = trunk_switch(trunk_plan());
    let mut c = carrier("+821099998888", CARRIER_A);
    let pai = "P-Asserted-Identity: \"Kim\" <sip:010-1111-2222@carrier.example>".to_string();
    let mut d = carrier_invite(&mut ts, &mut c, DID, &[pai]);
    ts.expect_status(&c, 100);
    let ok = ts.expect_status(&c, 200);
    d.learn(&ok);
    ts.send(c.peer, &c.ack_2xx(&d));
    let actions = ts.take_actions();
    let call = call_of(&actions);
    let cdrs: Vec<CdrEvent> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Cdr(e) => Some(e.clone()),
            _ => None,
        })
        .collect();
    let start = cdrs
        .iter()
        .find_map(|e| match e {
            CdrEvent::Start(s) => Some(s.clone()),
            _ => None,
        })
        .expect("CDR start");
    assert_eq!(start.caller, "+821011112222", "PAI's number, E.164");
    assert_eq!(start.callee, "1588", "the plan's route");
    let trunk = trunk_records(&cdrs);
    assert_eq!(trunk.len(), 1, "{cdrs:?}");
    assert_eq!(trunk[0].direction, Direction::Inbound);
    assert_eq!(trunk[0].trunk, "carrier-a");
    assert_eq!(trunk[0].did.as_deref(), Some(DID));
    assert_eq!(trunk[0].caller_id.as_deref(), Some("+821011112222"));
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, Action::Play { call: c, .. } if *c == call)),
        "the menu plays: {actions:?}"
    );
    assert_eq!(channels(&ts, "carrier-a"), 1);
    // The customer hangs up: contact row inbound, the channel is free again.
    let bye = c.request(&mut d, "BYE", &[], None);
    ts.send(c.peer, &bye);
    ts.expect_status(&c, 200);
    let contact = ts
        .take_actions()
        .into_iter()
        .find_map(|a| match a {
            Action::Contact { contact, .. } => Some(contact),
            _ => None,
        })
        .expect("a contact row for the carrier's call");
    assert_eq!(contact.direction, Direction::Inbound);
    assert_eq!(contact.number, "+821011112222");
    assert_eq!(channels(&ts, "carrier-a"), 0);
    let status = ts.sw.trunk_status(ts.now);
    assert_eq!(status[0].calls_in, 1);
    ts.finish();
}

#[test]
fn did_to_a_queue_rings_the_agent_with_the_from_number() {
    let mut ts = trunk_switch(trunk_plan());
    let mut agent = phone(1003);
    ts.register(&mut agent, 3600);
    let mut c = carrier("01099998888", CARRIER_B);
    carrier_invite(&mut ts, &mut c, "+8227001000", &[]);
    ts.expect_status(&c, 100);
    let ok = ts.expect_status(&c, 200);
    assert!(ok.body().contains("m=audio"), "answered by the queue");
    let inv = ts.expect_request(&agent, "INVITE");
    assert!(
        inv.hdr("From").contains("+821099998888"),
        "the agent sees the customer's number: {}",
        inv.text
    );
    let pops: Vec<_> = ts
        .take_actions()
        .into_iter()
        .filter_map(|a| match a {
            Action::ScreenPop(p) => Some(p),
            _ => None,
        })
        .collect();
    assert_eq!(pops.len(), 1);
    assert_eq!(pops[0].caller, "+821099998888");
    assert_eq!(channels(&ts, "carrier-b"), 1);
}

#[test]
fn did_to_an_extension_rings_it() {
    let mut ts = trunk_switch(trunk_plan());
    let mut b = phone(1002);
    ts.register(&mut b, 3600);
    let mut c = carrier("+821099998888", CARRIER_A);
    // Written national in the plan (0227001002), delivered in E.164.
    carrier_invite(&mut ts, &mut c, "+82227001002", &[]);
    ts.expect_status(&c, 100);
    let inv = ts.expect_request(&b, "INVITE");
    assert!(inv.hdr("From").contains("+821099998888"), "{}", inv.text);
    assert_eq!(ruri_user(&inv), "1002");
}

/// Regression: withheld callers all count as `anonymous`; the per-extension call cap must not
/// refuse the 21st of them (the trunk's channels bound a carrier's calls).
#[test]
fn many_anonymous_callers_are_not_one_extension() {
    let mut ts = trunk_switch(trunk_plan());
    let mut c = carrier("anonymous", CARRIER_A);
    for _ in 0..21 {
        carrier_invite(&mut ts, &mut c, DID, &[]);
        ts.expect_status(&c, 100);
        ts.expect_status(&c, 200);
    }
    assert_eq!(channels(&ts, "carrier-a"), 21);
}

#[test]
fn strangers_are_challenged_unknown_dids_404_full_trunks_503() {
    let mut plan = trunk_plan();
    plan.trunks[0].max_channels = Some(1);
    let mut ts = trunk_switch(plan);
    // Not from a trunk: today's 407.
    let mut stranger = carrier("+821099998888", [203, 0, 113, 9]);
    carrier_invite(&mut ts, &mut stranger, DID, &[]);
    ts.expect_status(&stranger, 407);
    // From the trunk, a number it does not deliver.
    let mut c = carrier("+821099998888", CARRIER_A);
    carrier_invite(&mut ts, &mut c, "+8229999999", &[]);
    ts.expect_status(&c, 404);
    // One call takes the only channel; the next is refused with Retry-After.
    carrier_invite(&mut ts, &mut c, DID, &[]);
    ts.expect_status(&c, 100);
    ts.expect_status(&c, 200);
    carrier_invite(&mut ts, &mut c, DID, &[]);
    let full = ts.expect_status(&c, 503);
    assert!(full.header("Retry-After").is_some(), "{}", full.text);
    let status = ts.sw.trunk_status(ts.now);
    assert_eq!((status[0].channels, status[0].refused_full), (1, 1));
}
