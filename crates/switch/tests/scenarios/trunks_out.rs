//! Calls out over trunks (issue 16): the number rewritten for the carrier, the caller ID and
//! Privacy presented, a carrier's 407 answered once, failover on 503 and on silence, down
//! trunks skipped, denied numbers refused before anything is sent.

use super::harness::{phone, TestSwitch};
use super::phone::{Dlg, Phone};
use super::trunk_support::*;
use std::time::Duration;
use switch::{Action, Direction};
use trunk::{Credentials, NumberFormat, PingSetup, Rewrite};

/// Extension 1001 dials `number` (through the out plan); returns its dialog, after the 100.
fn dial_out(ts: &mut TestSwitch, a: &mut Phone, number: &str) -> Dlg {
    let sdp = a.sdp("sendrecv");
    let d = ts.invite(a, number, Some(&sdp));
    ts.expect_status(a, 100);
    d
}

fn cdr_trunks(ts: &mut TestSwitch) -> Vec<switch::CdrTrunk> {
    trunk_records(&ts.take_cdrs())
}

#[test]
fn rewritten_number_caller_id_and_answer() {
    let mut plan = trunk_plan();
    plan.trunks[0].rewrite = Rewrite {
        strip: 1,
        prepend: "00700".into(),
    };
    plan.trunks[0].caller_id = Some("+8215881234".into());
    let mut ts = trunk_switch(plan);
    let mut a = phone(1001);
    let ca = carrier("x", CARRIER_A);
    let mut ad = dial_out(&mut ts, &mut a, "901012345678");
    let inv = ts.expect_request(&ca, "INVITE");
    assert_eq!(
        ruri_user(&inv),
        "00700821012345678",
        "E.164, strip 1, prepend"
    );
    assert!(inv.hdr("From").contains("sip:+8215881234@"), "{}", inv.text);
    assert!(inv.hdr("P-Asserted-Identity").contains("+8215881234"));
    assert!(inv.header("Privacy").is_none());
    assert!(
        inv.body().contains("m=audio 40002"),
        "the relay's side B is offered"
    );
    let sdp = ca.sdp("sendrecv");
    ts.send(
        ca.peer,
        &ca.respond(&inv, 200, "OK", Some("ct"), Some(&sdp)),
    );
    ts.expect_request(&ca, "ACK");
    let ok = ts.expect_status(&a, 200);
    ad.learn(&ok);
    ts.send(a.peer, &a.ack_2xx(&ad));
    let trunks = cdr_trunks(&mut ts);
    assert_eq!(trunks.len(), 1);
    assert_eq!(trunks[0].direction, Direction::Outbound);
    assert_eq!(trunks[0].trunk, "carrier-a");
    assert_eq!(trunks[0].caller_id.as_deref(), Some("+8215881234"));
    assert_eq!(trunks[0].dialled.as_deref(), Some("00700821012345678"));
    assert_eq!(channels(&ts, "carrier-a"), 1);
    // The caller hangs up: BYE to the carrier, channel back, an outbound contact row.
    let bye = a.request(&mut ad, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    let cbye = ts.expect_request(&ca, "BYE");
    ts.send(ca.peer, &ca.respond(&cbye, 200, "OK", None, None));
    let contact = ts
        .take_actions()
        .into_iter()
        .find_map(|x| match x {
            Action::Contact { contact, .. } => Some(contact),
            _ => None,
        })
        .expect("contact row");
    assert_eq!(contact.direction, Direction::Outbound);
    assert_eq!(contact.number, "+821012345678");
    assert_eq!(channels(&ts, "carrier-a"), 0);
    ts.finish();
}

#[test]
fn withheld_caller_id_sends_privacy_and_national_form() {
    let mut plan = trunk_plan();
    plan.trunks[0].number_format = NumberFormat::National;
    let mut ts = trunk_switch(plan);
    let mut a = phone(1001);
    let ca = carrier("x", CARRIER_A);
    dial_out(&mut ts, &mut a, "8+821012345678");
    let inv = ts.expect_request(&ca, "INVITE");
    assert_eq!(ruri_user(&inv), "01012345678");
    assert!(
        inv.hdr("From").contains("anonymous@anonymous.invalid"),
        "{}",
        inv.text
    );
    assert_eq!(inv.header("Privacy").as_deref(), Some("id"));
    assert!(
        inv.hdr("P-Asserted-Identity").contains("1001"),
        "network-asserted identity kept"
    );
    assert_eq!(cdr_trunks(&mut ts)[0].caller_id, None);
}

#[test]
fn carrier_407_is_answered_once() {
    let mut plan = trunk_plan();
    plan.trunks[0].credentials = Some(Credentials {
        username: "acct".into(),
        password: "pw".into(),
        realm: None,
    });
    let mut ts = trunk_switch(plan);
    let mut a = phone(1001);
    let ca = carrier("x", CARRIER_A);
    dial_out(&mut ts, &mut a, "901012345678");
    let first = ts.expect_request(&ca, "INVITE");
    let resp = challenge_407(&ca, &first, "c1");
    ts.send(ca.peer, &resp);
    ts.expect_request(&ca, "ACK");
    let second = ts.expect_request(&ca, "INVITE");
    assert_eq!(second.call_id(), first.call_id());
    assert_eq!(second.cseq().0, first.cseq().0 + 1);
    assert_ne!(second.hdr("Via"), first.hdr("Via"), "a new branch");
    let auth = second.hdr("Proxy-Authorization");
    assert!(
        auth.contains("username=\"acct\"") && auth.contains("realm=\"carrier\""),
        "{auth}"
    );
    assert!(second.header("P-Asserted-Identity").is_some());
    // A second challenge fails the attempt: not a carrier fault, so no failover; 480 to A.
    let resp = challenge_407(&ca, &second, "c1");
    ts.send(ca.peer, &resp);
    ts.expect_request(&ca, "ACK");
    ts.expect_status(&a, 480);
    ts.assert_quiet(&carrier("x", CARRIER_B));
    assert_eq!(channels(&ts, "carrier-a"), 0);
}

/// 503 from carrier-a: the same call goes to carrier-b, whose answer connects.
#[test]
fn failover_on_503_to_the_second_trunk() {
    let mut ts = trunk_switch(trunk_plan());
    let mut a = phone(1001);
    let (ca, cb) = (carrier("x", CARRIER_A), carrier("x", CARRIER_B));
    dial_out(&mut ts, &mut a, "901012345678");
    let inv = ts.expect_request(&ca, "INVITE");
    ts.send(
        ca.peer,
        &ca.respond(&inv, 503, "Service Unavailable", Some("c1"), None),
    );
    ts.expect_request(&ca, "ACK");
    let inv_b = ts.expect_request(&cb, "INVITE");
    assert_eq!(ruri_user(&inv_b), "+821012345678");
    ts.assert_quiet(&a);
    assert_eq!(
        (channels(&ts, "carrier-a"), channels(&ts, "carrier-b")),
        (0, 1)
    );
    let sdp = cb.sdp("sendrecv");
    ts.send(
        cb.peer,
        &cb.respond(&inv_b, 200, "OK", Some("cb"), Some(&sdp)),
    );
    ts.expect_request(&cb, "ACK");
    ts.expect_status(&a, 200);
    let trunks: Vec<String> = cdr_trunks(&mut ts).into_iter().map(|t| t.trunk).collect();
    assert_eq!(
        trunks,
        ["carrier-a", "carrier-b"],
        "the last names the carrier"
    );
}

/// carrier-a says nothing at all: after 5 s carrier-b is tried.
#[test]
fn failover_when_the_carrier_is_silent() {
    let mut ts = trunk_switch(trunk_plan());
    let mut a = phone(1001);
    let (ca, cb) = (carrier("x", CARRIER_A), carrier("x", CARRIER_B));
    dial_out(&mut ts, &mut a, "901012345678");
    ts.expect_request(&ca, "INVITE");
    ts.advance(Duration::from_millis(4900));
    ts.drain(&ca);
    ts.assert_quiet(&cb);
    ts.advance(Duration::from_millis(100));
    let inv_b = ts.expect_request(&cb, "INVITE");
    assert_eq!(
        (channels(&ts, "carrier-a"), channels(&ts, "carrier-b")),
        (0, 1)
    );
    // Busy at carrier-b ends the dial: no third try, the plan's busy step (486).
    ts.send(
        cb.peer,
        &cb.respond(&inv_b, 486, "Busy Here", Some("cb"), None),
    );
    ts.expect_request(&cb, "ACK");
    ts.expect_status(&a, 486);
    assert_eq!(channels(&ts, "carrier-b"), 0);
}

/// Pings take carrier-a down (hysteresis: two misses); a call then goes straight to carrier-b.
#[test]
fn down_trunk_is_skipped() {
    let mut plan = trunk_plan();
    plan.trunks[0].ping = Some(PingSetup {
        interval: Duration::from_secs(10),
        down_after: 2,
        up_after: 2,
    });
    let mut ts = trunk_switch(plan);
    let ca = carrier("x", CARRIER_A);
    let cb = carrier("x", CARRIER_B);
    ts.advance(Duration::ZERO);
    let ping = ts.expect_request(&ca, "OPTIONS");
    ts.send(
        ca.peer,
        &ca.respond(&ping, 503, "Service Unavailable", None, None),
    );
    assert_eq!(ts.sw.trunk_status(ts.now)[0].health, trunk::Health::Unknown);
    ts.advance(Duration::from_secs(10));
    let ping = ts.expect_request(&ca, "OPTIONS");
    ts.send(ca.peer, &ca.respond(&ping, 500, "Server Error", None, None));
    assert_eq!(ts.sw.trunk_status(ts.now)[0].health, trunk::Health::Down);
    let mut a = phone(1001);
    dial_out(&mut ts, &mut a, "901012345678");
    ts.expect_request(&cb, "INVITE");
    ts.assert_quiet(&ca);
    // Two answered pings bring it back up (404 is an answer).
    ts.advance(Duration::from_secs(10));
    let ping = ts.expect_request(&ca, "OPTIONS");
    ts.send(ca.peer, &ca.respond(&ping, 404, "Not Found", None, None));
    assert_eq!(ts.sw.trunk_status(ts.now)[0].health, trunk::Health::Down);
    ts.advance(Duration::from_secs(10));
    let ping = ts.expect_request(&ca, "OPTIONS");
    ts.send(ca.peer, &ca.respond(&ping, 200, "OK", None, None));
    assert_eq!(ts.sw.trunk_status(ts.now)[0].health, trunk::Health::Up);
}

#[test]
fn denied_numbers_are_refused_before_anything_is_sent() {
    let mut ts = trunk_switch(trunk_plan());
    let mut a = phone(1001);
    dial_out(&mut ts, &mut a, "9112");
    ts.expect_status(&a, 480);
    ts.assert_quiet(&carrier("x", CARRIER_A));
    ts.assert_quiet(&carrier("x", CARRIER_B));
    assert!(cdr_trunks(&mut ts).is_empty());
}

/// A full trunk (channels) is skipped like a down one.
#[test]
fn full_trunk_is_skipped() {
    let mut plan = trunk_plan();
    plan.trunks[0].max_channels = Some(1);
    let mut ts = trunk_switch(plan);
    let (ca, cb) = (carrier("x", CARRIER_A), carrier("x", CARRIER_B));
    let mut a = phone(1001);
    dial_out(&mut ts, &mut a, "901012345678");
    ts.expect_request(&ca, "INVITE");
    let mut b = phone(1002);
    dial_out(&mut ts, &mut b, "901099990000");
    ts.expect_request(&cb, "INVITE");
    ts.assert_quiet(&ca);
    assert_eq!(ts.sw.trunk_status(ts.now)[0].refused_full, 1);
}
