//! Attended transfer from the agent's phone (RFC 5589 §7): the agent holds the customer (the
//! switch answers the hold and plays music), calls a colleague, then REFERs one call with
//! Replaces naming the other; the switch joins customer and colleague on the customer's call.
//! Also: the reverse REFER, a Replaces naming nothing, cancelling (hang up, resume), a REFER
//! while the colleague still rings, and the colleague hanging up during the join.

use super::harness::{cdr_end, phone, TestSwitch};
use super::phone::{tag_of, Dlg, Msg, Phone};
use super::queue_calls::agent_state;
use super::transfer::{connected, kinds, two_queues};
use switch::{Action, CallId, CdrEvent, Side};

/// The customer (1001) on a `support` call with agent 1003, held by the agent, who is talking
/// to colleague 1002 on a second call.
struct Consult {
    ts: TestSwitch,
    customer: Phone,
    /// The customer's dialog.
    cd: Dlg,
    agent: Phone,
    /// The agent's dialog of C1 (answered by the agent).
    c1: Dlg,
    /// The agent's dialog of C2 (placed by the agent).
    c2: Dlg,
    colleague: Phone,
    /// The colleague's dialog of C2.
    kd: Dlg,
    call1: CallId,
    call2: CallId,
}

/// The agent puts C1 on hold or resumes it: the switch answers itself and the customer hears
/// nothing of it (music, then the agent again).
fn agent_reinvite(ts: &mut TestSwitch, agent: &mut Phone, c1: &mut Dlg, dir: &str) -> Vec<Action> {
    let offer = agent.sdp(dir);
    let req = agent.request(c1, "INVITE", &[], Some(("application/sdp", &offer)));
    ts.send(agent.peer, &req);
    let ok = ts.expect_status(agent, 200);
    let answer = if dir == "sendonly" {
        "recvonly"
    } else {
        "sendrecv"
    };
    assert!(ok.body().contains(&format!("a={answer}")), "{}", ok.text);
    assert!(
        ok.body().contains("m=audio 40002"),
        "relay port B: {}",
        ok.text
    );
    ts.send(agent.peer, &agent.ack_2xx(c1));
    ts.take_actions()
}

fn consult(ring_only: bool) -> (Consult, Option<Msg>) {
    let (mut ts, customer, cd, mut agent, c1, call1) = held_customer();
    let mut colleague = phone(1002);
    ts.register(&mut colleague, 3600);
    let sdp = agent.sdp("sendrecv");
    let mut c2 = ts.invite(&mut agent, "1002", Some(&sdp));
    ts.expect_status(&agent, 100);
    let inv = ts.expect_request(&colleague, "INVITE");
    let call2 = media_of(&mut ts);
    if ring_only {
        ts.send(
            colleague.peer,
            &colleague.respond(&inv, 180, "Ringing", Some("col"), None),
        );
        let ringing = ts.expect_status(&agent, 180);
        c2.learn(&ringing);
    } else {
        colleague_answers(&mut ts, &colleague, &inv);
        let ok = ts.expect_status(&agent, 200);
        c2.learn(&ok);
        ts.send(agent.peer, &agent.ack_2xx(&c2));
    }
    ts.take_actions();
    ts.take_acd_events();
    let held = (ts, customer, cd, agent, c1, call1);
    let c = Consult::new(held, colleague, c2, Dlg::uas(&inv, "col"), call2);
    (c, ring_only.then_some(inv))
}

/// [`consult`] through a queue: the agent dials `loans` (7001), whose agent a1004 (at 1004)
/// answers the ACD's offer (or, `ring_only`, lets it ring: its INVITE is returned).
fn consult_through_a_queue(ring_only: bool) -> (Consult, Msg) {
    let (mut ts, customer, cd, mut agent, c1, call1) = held_customer();
    let mut colleague = phone(1004);
    ts.register(&mut colleague, 3600);
    let sdp = agent.sdp("sendrecv");
    let mut c2 = ts.invite(&mut agent, "7001", Some(&sdp));
    ts.expect_status(&agent, 100);
    let ok = ts.expect_status(&agent, 200);
    c2.learn(&ok);
    ts.send(agent.peer, &agent.ack_2xx(&c2));
    let call2 = media_of(&mut ts);
    let inv = ts.expect_request(&colleague, "INVITE");
    let (events, state) = if ring_only {
        let ringing = colleague.respond(&inv, 180, "Ringing", Some("col"), None);
        ts.send(colleague.peer, &ringing);
        (&["loans>enter", "loans>ring:a1004"][..], "ringing")
    } else {
        colleague_answers(&mut ts, &colleague, &inv);
        (
            &["loans>enter", "loans>ring:a1004", "loans>connect:a1004"][..],
            "on_call",
        )
    };
    ts.take_actions();
    assert_eq!(kinds(&ts.take_acd_events()), events);
    assert_eq!(agent_state(&ts, "a1004"), state);
    let held = (ts, customer, cd, agent, c1, call1);
    let kd = Dlg::uas(&inv, "col");
    (Consult::new(held, colleague, c2, kd, call2), inv)
}

/// The colleague answers C2's INVITE `inv` (tag `col`) and gets the switch's ACK.
fn colleague_answers(ts: &mut TestSwitch, colleague: &Phone, inv: &Msg) {
    let sdp = colleague.sdp("sendrecv");
    let ok = colleague.respond(inv, 200, "OK", Some("col"), Some(&sdp));
    ts.send(colleague.peer, &ok);
    ts.expect_request(colleague, "ACK");
}

/// The call the switch just gave media to.
fn media_of(ts: &mut TestSwitch) -> CallId {
    ts.take_actions()
        .iter()
        .find_map(|a| match a {
            Action::AllocateMedia { call } => Some(*call),
            _ => None,
        })
        .expect("C2 gets media")
}

/// The customer (1001) on a `support` call with agent 1003, who put it on hold: the switch,
/// the customer and their dialog, the agent and their dialog of C1, and C1.
type Held = (TestSwitch, Phone, Dlg, Phone, Dlg, CallId);

impl Consult {
    fn new(held: Held, colleague: Phone, c2: Dlg, kd: Dlg, call2: CallId) -> Consult {
        let (ts, customer, cd, agent, c1, call1) = held;
        Consult {
            ts,
            customer,
            cd,
            agent,
            c1,
            c2,
            colleague,
            kd,
            call1,
            call2,
        }
    }
}

/// See [`Held`].
fn held_customer() -> Held {
    let mut ts = two_queues();
    let (mut customer, mut agent) = (phone(1001), phone(1003));
    ts.register(&mut agent, 3600);
    let (cd, mut c1) = connected(&mut ts, &mut customer, &agent);
    let held = agent_reinvite(&mut ts, &mut agent, &mut c1, "sendonly");
    let call1 = held
        .iter()
        .find_map(|a| match a {
            Action::Play {
                call,
                looping: true,
                ..
            } => Some(*call),
            _ => None,
        })
        .unwrap_or_else(|| panic!("hold music for the customer: {held:?}"));
    assert!(
        held.iter()
            .any(|a| matches!(a, Action::Endpoint { call, .. } if *call == call1)),
        "{held:?}"
    );
    ts.assert_quiet(&customer);
    (ts, customer, cd, agent, c1, call1)
}

/// `Refer-To` naming `target` with Replaces of the agent's dialog `d` (RFC 5589 §7: to-tag
/// is the far end's tag, from-tag the transferor's).
fn refer_to(target: &str, d: &Dlg) -> String {
    let to = tag_of(&d.remote).expect("to-tag");
    let from = tag_of(&d.local).expect("from-tag");
    format!(
        "Refer-To: <sip:{target}@switch.test?Replaces={}%3Bto-tag%3D{to}%3Bfrom-tag%3D{from}>",
        d.call_id.replace('@', "%40")
    )
}

/// The agent's REFER was accepted and reported: 202, NOTIFY with `sipfrag`, answered.
fn refer_answered(ts: &mut TestSwitch, agent: &Phone, sipfrag: &str) -> Msg {
    ts.expect_status(agent, 202);
    let notify = ts.expect_request(agent, "NOTIFY");
    assert_eq!(notify.header("Event").as_deref(), Some("refer"));
    assert!(notify.body().starts_with(sipfrag), "{}", notify.text);
    ts.send(agent.peer, &agent.respond(&notify, 200, "OK", None, None));
    notify
}

/// The agent REFERs C1 to `target` with Replaces naming C2; the NOTIFY says `sipfrag`.
fn refer_c1(c: &mut Consult, target: &str, sipfrag: &str) -> Msg {
    let refer = refer_to(target, &c.c2);
    let req = c.agent.request(&mut c.c1, "REFER", &[refer], None);
    c.ts.send(c.agent.peer, &req);
    refer_answered(&mut c.ts, &c.agent, sipfrag)
}

/// After the REFER: the agent's two legs are hung up, the colleague is re-INVITEd onto C1's
/// relay port B and answers; what the relay was told is returned.
fn joined(c: &mut Consult) -> Vec<Action> {
    for _ in 0..2 {
        let bye = c.ts.expect_request(&c.agent, "BYE");
        c.ts.send(c.agent.peer, &c.agent.respond(&bye, 200, "OK", None, None));
    }
    join_answered(c)
}

/// The colleague is re-INVITEd onto C1's relay port B and answers.
fn join_answered(c: &mut Consult) -> Vec<Action> {
    let ts = &mut c.ts;
    ts.assert_quiet(&c.agent);
    let reinvite = ts.expect_request(&c.colleague, "INVITE");
    assert_eq!(
        reinvite.call_id(),
        c.kd.call_id,
        "the colleague's own dialog"
    );
    assert!(
        reinvite.body().contains("m=audio 40002"),
        "C1's port that faced the agent: {}",
        reinvite.text
    );
    assert!(reinvite.body().contains("a=sendrecv"), "{}", reinvite.text);
    let ok = c.colleague.respond(
        &reinvite,
        200,
        "OK",
        None,
        Some(&c.colleague.sdp("sendrecv")),
    );
    ts.send(c.colleague.peer, &ok);
    ts.expect_request(&c.colleague, "ACK");
    ts.assert_quiet(&c.customer);
    ts.take_actions()
}

/// What a completed transfer leaves: the relay of C1 points at the colleague, the music
/// stopped, C2's relay released and its CDR closed; the ACD completed the agent's call.
fn check_join(c: &mut Consult, actions: &[Action]) {
    let colleague_media = c.colleague.media;
    assert!(
        actions.iter().any(|a| matches!(a,
            Action::SetRemote { call, side: Side::B, rtp, .. }
                if *call == c.call1 && *rtp == colleague_media)),
        "{actions:?}"
    );
    for want in [
        Action::StopPlayback { call: c.call1 },
        Action::Bridge { call: c.call1 },
        Action::ReleaseMedia { call: c.call2 },
    ] {
        assert!(actions.contains(&want), "{want:?} in {actions:?}");
    }
    assert!(
        !actions.contains(&Action::ReleaseMedia { call: c.call1 }),
        "C1 goes on"
    );
    let c2_end = actions
        .iter()
        .find_map(|a| match a {
            Action::Cdr(CdrEvent::End(e)) => Some(e.clone()),
            _ => None,
        })
        .expect("C2's CDR closed");
    assert_eq!(c2_end.hangup_cause, "attended transfer");
    assert!(c2_end.vars.contains_key("attended_transfer_into"));
    assert_eq!(
        kinds(&c.ts.take_acd_events()),
        [
            format!("support>attended:a1003>{}", c.colleague.user),
            "support>complete:a1003".to_string()
        ],
        "the transfer is a queue event; the agent's part ends: wrap-up as after any call"
    );
}

/// [`hang_up_customer`], then nothing is left.
fn customer_hangs_up(c: &mut Consult) {
    hang_up_customer(c);
    c.ts.finish();
}

/// The customer and the colleague talk; the customer hangs up: C1's CDR tells the transfer.
fn hang_up_customer(c: &mut Consult) {
    let ts = &mut c.ts;
    let bye = c.customer.request(&mut c.cd, "BYE", &[], None);
    ts.send(c.customer.peer, &bye);
    ts.expect_status(&c.customer, 200);
    let kbye = ts.expect_request(&c.colleague, "BYE");
    assert_eq!(kbye.call_id(), c.kd.call_id);
    ts.send(
        c.colleague.peer,
        &c.colleague.respond(&kbye, 200, "OK", None, None),
    );
    let end = cdr_end(&ts.take_cdrs());
    let var = |k: &str| end.vars.get(k).map(String::as_str);
    assert_eq!(var("transfer"), Some("attended"));
    assert_eq!(var("transferred_by"), Some("1003"));
    assert_eq!(var("transferred_to"), Some(c.colleague.user.as_str()));
    assert!(var("transferred_at").is_some());
    let exts: Vec<&str> = end.legs.iter().map(|l| l.extension.as_str()).collect();
    assert_eq!(exts, ["1001", "1003", c.colleague.user.as_str()]);
}

#[test]
fn refer_on_the_customers_call_with_replaces_of_the_consultation_joins_them() {
    let (mut c, _) = consult(false);
    let notify = refer_c1(&mut c, "1002", "SIP/2.0 200");
    assert_eq!(
        notify.call_id(),
        c.c1.call_id,
        "NOTIFY on the REFER's dialog"
    );
    let actions = joined(&mut c);
    check_join(&mut c, &actions);
    customer_hangs_up(&mut c);
}

#[test]
fn a_colleague_reached_through_a_queue_stays_on_call_until_the_customer_hangs_up() {
    let (mut c, _) = consult_through_a_queue(false);
    refer_c1(&mut c, "7001", "SIP/2.0 200");
    let actions = joined(&mut c);
    // Only the transferring agent's visit completes; the colleague's goes on with C1.
    check_join(&mut c, &actions);
    let c2_contact = actions
        .iter()
        .find_map(|a| match a {
            Action::Contact { call, contact } if *call == c.call2 => Some(contact),
            _ => None,
        })
        .expect("C2's contact row");
    assert_eq!(c2_contact.outcome, "answered");
    assert_eq!(c2_contact.agent.as_deref(), Some("a1004"));
    // `support` has no wrap-up time: the transferring agent is free at once.
    assert_eq!(agent_state(&c.ts, "a1003"), "available");
    assert_eq!(
        agent_state(&c.ts, "a1004"),
        "on_call",
        "talking to the customer"
    );
    // Minutes later: still on the call for the ACD, so no other caller is offered to a1004.
    c.ts.advance(std::time::Duration::from_secs(120));
    assert_eq!(agent_state(&c.ts, "a1004"), "on_call");
    assert!(c.ts.take_acd_events().is_empty());
    hang_up_customer(&mut c);
    let events = c.ts.take_acd_events();
    assert_eq!(kinds(&events), ["loans>complete:a1004"], "{events:?}");
    assert_eq!(
        agent_state(&c.ts, "a1004"),
        "available",
        "no wrap-up in loans"
    );
    c.ts.finish();
}

#[test]
fn a_refer_while_the_queue_still_rings_the_colleague_is_refused_until_they_answer() {
    let (mut c, inv) = consult_through_a_queue(true);
    // The switch answered C2 with the queue's music, but no agent has taken it yet.
    refer_c1(&mut c, "7001", "SIP/2.0 491");
    c.ts.assert_quiet(&c.colleague);
    c.ts.assert_quiet(&c.customer);
    colleague_answers(&mut c.ts, &c.colleague, &inv);
    c.ts.take_actions();
    assert_eq!(kinds(&c.ts.take_acd_events()), ["loans>connect:a1004"]);
    refer_c1(&mut c, "7001", "SIP/2.0 200");
    let actions = joined(&mut c);
    check_join(&mut c, &actions);
    assert_eq!(agent_state(&c.ts, "a1004"), "on_call");
    customer_hangs_up(&mut c);
}

#[test]
fn refer_on_the_consultation_with_replaces_of_the_customers_call_joins_them_too() {
    let (mut c, _) = consult(false);
    let refer = refer_to("1001", &c.c1);
    let req = c.agent.request(&mut c.c2, "REFER", &[refer], None);
    c.ts.send(c.agent.peer, &req);
    let notify = refer_answered(&mut c.ts, &c.agent, "SIP/2.0 200");
    assert_eq!(notify.call_id(), c.c2.call_id);
    let actions = joined(&mut c);
    check_join(&mut c, &actions);
    customer_hangs_up(&mut c);
}

#[test]
fn the_agents_own_bye_after_the_transfer_is_answered_not_refused() {
    let (mut c, _) = consult(false);
    refer_c1(&mut c, "1002", "SIP/2.0 200");
    // RFC 5589: the transferor may BYE both calls itself; these cross the switch's BYEs.
    for d in [&mut c.c1, &mut c.c2] {
        let bye = c.agent.request(d, "BYE", &[], None);
        c.ts.send(c.agent.peer, &bye);
    }
    let mut statuses = Vec::new();
    for m in c.ts.drain(&c.agent) {
        if m.is_response() {
            statuses.push(m.status());
        } else {
            c.ts.send(c.agent.peer, &c.agent.respond(&m, 200, "OK", None, None));
        }
    }
    assert_eq!(statuses, [200, 200]);
    let actions = join_answered(&mut c);
    check_join(&mut c, &actions);
    customer_hangs_up(&mut c);
}

#[test]
fn a_replaces_naming_no_call_fails_in_the_notify_and_both_calls_go_on() {
    let (mut c, _) = consult(false);
    let mut ghost = c.c2.clone();
    ghost.call_id = "no-such-call@elsewhere".into();
    let refer = refer_to("1002", &ghost);
    let req = c.agent.request(&mut c.c1, "REFER", &[refer], None);
    c.ts.send(c.agent.peer, &req);
    refer_answered(&mut c.ts, &c.agent, "SIP/2.0 481");
    c.ts.assert_quiet(&c.agent);
    c.ts.assert_quiet(&c.colleague);
    c.ts.assert_quiet(&c.customer);
    // An unreadable Replaces is refused outright.
    let bad = "Refer-To: <sip:1002@switch.test?Replaces=x%3Bto-tag%3Dt>".to_string();
    let req = c.agent.request(&mut c.c1, "REFER", &[bad], None);
    c.ts.send(c.agent.peer, &req);
    c.ts.expect_status(&c.agent, 400);
    cancel_and_resume(&mut c);
}

/// The agent gives up the consultation: hangs up C2, resumes C1 (the music stops).
fn cancel_and_resume(c: &mut Consult) {
    let ts = &mut c.ts;
    let bye = c.agent.request(&mut c.c2, "BYE", &[], None);
    ts.send(c.agent.peer, &bye);
    ts.expect_status(&c.agent, 200);
    let kbye = ts.expect_request(&c.colleague, "BYE");
    ts.send(
        c.colleague.peer,
        &c.colleague.respond(&kbye, 200, "OK", None, None),
    );
    ts.take_actions();
    let resumed = agent_reinvite(ts, &mut c.agent, &mut c.c1, "sendrecv");
    for want in [
        Action::StopPlayback { call: c.call1 },
        Action::Bridge { call: c.call1 },
    ] {
        assert!(resumed.contains(&want), "{want:?} in {resumed:?}");
    }
    ts.assert_quiet(&c.customer);
    // Customer and agent talk on, then the customer hangs up: a plain call of the queue.
    let bye = c.customer.request(&mut c.cd, "BYE", &[], None);
    ts.send(c.customer.peer, &bye);
    ts.expect_status(&c.customer, 200);
    let abye = ts.expect_request(&c.agent, "BYE");
    ts.send(c.agent.peer, &c.agent.respond(&abye, 200, "OK", None, None));
    let end = cdr_end(&ts.take_cdrs());
    assert!(!end.vars.contains_key("transfer"), "{:?}", end.vars);
    ts.finish();
}

#[test]
fn cancelling_the_consultation_brings_the_agent_back_to_the_customer() {
    let (mut c, _) = consult(false);
    cancel_and_resume(&mut c);
}

#[test]
fn a_refer_while_the_colleague_still_rings_is_refused_and_the_ringing_goes_on() {
    let (mut c, inv) = consult(true);
    let inv = inv.expect("ringing INVITE");
    refer_c1(&mut c, "1002", "SIP/2.0 491");
    c.ts.assert_quiet(&c.colleague);
    // The colleague answers after all; the agent transfers then.
    colleague_answers(&mut c.ts, &c.colleague, &inv);
    let ok = c.ts.expect_status(&c.agent, 200);
    c.c2.learn(&ok);
    c.ts.send(c.agent.peer, &c.agent.ack_2xx(&c.c2));
    c.ts.take_actions();
    refer_c1(&mut c, "1002", "SIP/2.0 200");
    let actions = joined(&mut c);
    check_join(&mut c, &actions);
    customer_hangs_up(&mut c);
}

#[test]
fn the_colleague_hanging_up_during_the_join_ends_the_customers_call_cleanly() {
    let (mut c, _) = consult(false);
    refer_c1(&mut c, "1002", "SIP/2.0 200");
    for _ in 0..2 {
        let bye = c.ts.expect_request(&c.agent, "BYE");
        c.ts.send(c.agent.peer, &c.agent.respond(&bye, 200, "OK", None, None));
    }
    let reinvite = c.ts.expect_request(&c.colleague, "INVITE");
    // The colleague hangs up before answering the join; then refuses the dead re-INVITE.
    let bye = c.colleague.request(&mut c.kd, "BYE", &[], None);
    c.ts.send(c.colleague.peer, &bye);
    c.ts.expect_status(&c.colleague, 200);
    let cbye = c.ts.expect_request(&c.customer, "BYE");
    c.ts.send(
        c.customer.peer,
        &c.customer.respond(&cbye, 200, "OK", None, None),
    );
    c.ts.send(
        c.colleague.peer,
        &c.colleague
            .respond(&reinvite, 481, "Call Does Not Exist", None, None),
    );
    let ends: Vec<_> =
        c.ts.take_cdrs()
            .into_iter()
            .filter_map(|e| match e {
                CdrEvent::End(e) => Some(e),
                _ => None,
            })
            .collect();
    assert_eq!(
        ends.len(),
        2,
        "C2 closed at the join, C1 at the colleague's BYE"
    );
    assert_eq!(
        ends[1].vars.get("transferred_to").map(String::as_str),
        Some("1002")
    );
    c.ts.finish();
}
