//! Consult, transfer and conference driven from the agent page (issue 12, `switch/consult.rs`):
//! the customer 1001 calls the queue's number, agent a1003 (phone 1003) answers, and consults
//! extension 1002, whose phone the switch rings with an offer of a listener on the customer's
//! relay session. Each scenario checks the wire, the relay's actions and what the call records.

use super::harness::{cdr_end, phone, TestSwitch, RELAY_IP};
use super::ivr_support::{call_of, ivr_switch};
use super::phone::{Dlg, Msg, Phone};
use std::time::Duration;
use switch::{Action, CallId, ConsultError, ConsultStarted, ConsultState, Side};

/// The listener's RTP port the fake relay hands out.
pub(super) const LISTENER_PORT: u16 = 40010;

pub(super) struct Setup {
    pub ts: TestSwitch,
    pub customer: Phone,
    pub agent: Phone,
    pub third: Phone,
    pub call: CallId,
    pub ad: Dlg,
    pub bd: Dlg,
}

/// 1001 calls the queue (7000), a1003 answers on 1003; 1002 is registered.
fn connected() -> Setup {
    connected_on(ivr_switch())
}

/// [`connected`] on the switch `ts` (with the support queue and a1003 logged in at 1003).
pub(super) fn connected_on(mut ts: TestSwitch) -> Setup {
    let (mut customer, mut agent, mut third) = (phone(1001), phone(1003), phone(1002));
    ts.register(&mut agent, 3600);
    ts.register(&mut third, 3600);
    let sdp = customer.sdp("sendrecv");
    let mut ad = ts.invite(&mut customer, "7000", Some(&sdp));
    ts.expect_status(&customer, 100);
    let ok = ts.expect_status(&customer, 200);
    ad.learn(&ok);
    let ack = customer.ack_2xx(&ad);
    ts.send(customer.peer, &ack);
    let call = call_of(ts.actions());
    let (_, bd) = picks_up(&mut ts, &agent, "agtag");
    ts.take_actions();
    ts.take_acd_events();
    Setup {
        ts,
        customer,
        agent,
        third,
        call,
        ad,
        bd,
    }
}

/// `p` answers the switch's INVITE (dialog tag `tag`) and gets the ACK: the INVITE and `p`'s
/// dialog.
pub(super) fn picks_up(ts: &mut TestSwitch, p: &Phone, tag: &str) -> (Msg, Dlg) {
    let inv = ts.expect_request(p, "INVITE");
    let d = answer_invite(ts, p, &inv, tag);
    (inv, d)
}

/// `p` answers `inv` 200 with its SDP (dialog tag `tag`) and gets the ACK: `p`'s dialog.
fn answer_invite(ts: &mut TestSwitch, p: &Phone, inv: &Msg, tag: &str) -> Dlg {
    let answer = p.sdp("sendrecv");
    ts.send(p.peer, &p.respond(inv, 200, "OK", Some(tag), Some(&answer)));
    ts.expect_request(p, "ACK");
    Dlg::uas(inv, tag)
}

/// The third party's call the switch placed (from the `AttachListener` among `actions`).
pub(super) fn third_call(actions: &[Action]) -> CallId {
    actions
        .iter()
        .find_map(|a| match a {
            Action::AttachListener { listener, .. } => Some(*listener),
            _ => None,
        })
        .expect("AttachListener")
}

/// a1003 consults 1002: music for the customer, a listener paired with the agent's side, and,
/// once the relay gave the listener's port, an INVITE to 1002 offering it. Returns the third
/// party's call and the INVITE.
fn consult(s: &mut Setup) -> (CallId, Msg) {
    let now = s.ts.now;
    let started =
        s.ts.sw
            .start_consult(now, "a1003", "1002", "billing question");
    assert_eq!(started, Ok(ConsultStarted::Ringing));
    s.ts.pump();
    let actions = s.ts.take_actions();
    let call = s.call;
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, Action::Play { call: c, looping: true, .. } if *c == call)),
        "the customer hears music: {actions:?}"
    );
    assert!(actions.contains(&Action::ListenerPaired {
        call,
        side: Some(Side::B)
    }));
    let third = third_call(&actions);
    s.ts.sw
        .listener_attached(now, third, Ok((RELAY_IP, LISTENER_PORT)));
    s.ts.pump();
    let inv = s.ts.expect_request(&s.third, "INVITE");
    assert!(
        inv.body().contains(&format!("m=audio {LISTENER_PORT} ")),
        "{}",
        inv.text
    );
    assert!(inv.hdr("From").contains("sip:1003@"), "{}", inv.text);
    assert_eq!(
        s.ts.sw.consult_status("a1003").state,
        Some(ConsultState::Ringing)
    );
    (third, inv)
}

/// 1002 answers the consultation: ACKed, the relay learns where 1002 receives.
fn third_answers(s: &mut Setup, inv: &Msg) -> Dlg {
    let d = answer_invite(&mut s.ts, &s.third, inv, "thtag");
    let actions = s.ts.take_actions();
    let call = s.call;
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, Action::ListenerRemote { call: c, .. } if *c == call)),
        "{actions:?}"
    );
    assert_eq!(
        s.ts.sw.consult_status("a1003").state,
        Some(ConsultState::Talking)
    );
    d
}

/// a1003 consults 1002, which answers; then a1003 cancels and 1002 is hung up.
fn talks_then_cancels(s: &mut Setup) {
    let (_third, inv) = consult(s);
    let _td = third_answers(s, &inv);
    let now = s.ts.now;
    assert_eq!(s.ts.sw.cancel_consult(now, "a1003"), Ok(()));
    s.ts.pump();
    is_hung_up(&mut s.ts, &s.third);
}

/// `p` hangs up dialog `d`; its BYE is answered.
pub(super) fn hangs_up(ts: &mut TestSwitch, p: &mut Phone, d: &mut Dlg) {
    let bye = p.request(d, "BYE", &[], None);
    ts.send(p.peer, &bye);
    ts.expect_status(p, 200);
}

/// The customer hung up mid-consultation: the agent and the third party are hung up, the
/// status says why, and no call is left.
pub(super) fn all_hung_up(ts: &mut TestSwitch, agent: &Phone, third: &Phone) {
    is_hung_up(ts, agent);
    is_hung_up(ts, third);
    assert_eq!(ts.sw.consult_status("a1003").last, Some("customer_hung_up"));
    ts.finish();
}

/// The switch hangs `p` up: answer its BYE.
pub(super) fn is_hung_up(ts: &mut TestSwitch, p: &Phone) {
    let bye = ts.expect_request(p, "BYE");
    ts.send(p.peer, &p.respond(&bye, 200, "OK", None, None));
}

#[test]
fn consult_then_complete_joins_customer_and_third_party_and_the_agent_leaves() {
    let mut s = connected();
    let (_third, inv) = consult(&mut s);
    let mut td = third_answers(&mut s, &inv);
    s.ts.advance(Duration::from_secs(30));
    completes(&mut s);
    assert_eq!(s.ts.sw.consult_status("a1003").state, None);
    // The agent is free again (no wrap-up configured) while the customer talks on.
    s.ts.advance(Duration::from_secs(60));
    s.ts.assert_quiet(&s.customer);
    // The third party hangs up: the customer's call ends too.
    hangs_up(&mut s.ts, &mut s.third, &mut td);
    is_hung_up(&mut s.ts, &s.customer);
    let end = cdr_end(
        &s.ts
            .take_cdrs()
            .into_iter()
            .filter(|e| matches!(e, switch::CdrEvent::End(end) if end.vars.contains_key("queue")))
            .collect::<Vec<_>>(),
    );
    assert_eq!(
        end.vars.get("transferred_by").map(String::as_str),
        Some("a1003")
    );
    assert_eq!(
        end.vars.get("transfer_reason").map(String::as_str),
        Some("billing question")
    );
    assert_eq!(
        end.vars.get("transferred_to").map(String::as_str),
        Some("1002")
    );
    assert_eq!(end.vars.get("consult_s").map(String::as_str), Some("30"));
    s.ts.finish();
}

#[test]
fn cancel_hangs_up_the_third_party_and_the_agent_is_back_with_the_customer() {
    let mut s = connected();
    talks_then_cancels(&mut s);
    let actions = s.ts.take_actions();
    let call = s.call;
    assert!(actions.contains(&Action::RemoveListener { call }));
    assert!(actions.contains(&Action::Bridge { call }));
    assert_eq!(s.ts.sw.consult_status("a1003").last, Some("cancelled"));
    // Customer and agent talk on; the customer's hang-up ends the agent's leg as usual.
    hangs_up(&mut s.ts, &mut s.customer, &mut s.ad);
    is_hung_up(&mut s.ts, &s.agent);
    s.ts.finish();
}

#[test]
fn conference_mixes_all_three_and_the_agent_may_then_leave() {
    let mut s = connected();
    let (_third, inv) = consult(&mut s);
    let mut td = third_answers(&mut s, &inv);
    let now = s.ts.now;
    assert_eq!(s.ts.sw.conference_consult(now, "a1003"), Ok(()));
    s.ts.pump();
    let actions = s.ts.take_actions();
    let call = s.call;
    assert!(actions.contains(&Action::ListenerMode {
        call,
        mode: switch::MonitorMode::Barge
    }));
    assert!(actions.contains(&Action::ListenerPaired { call, side: None }));
    assert!(actions.contains(&Action::Bridge { call }));
    assert_eq!(
        s.ts.sw.consult_status("a1003").state,
        Some(ConsultState::Conference)
    );
    // The agent hangs up: customer and third party stay together.
    hangs_up(&mut s.ts, &mut s.agent, &mut s.bd);
    s.ts.assert_quiet(&s.customer);
    s.ts.assert_quiet(&s.third);
    assert_eq!(s.ts.sw.consult_status("a1003").last, Some("completed"));
    hangs_up(&mut s.ts, &mut s.customer, &mut s.ad);
    is_hung_up(&mut s.ts, &s.third);
    let _ = &mut td;
    s.ts.finish();
}

#[test]
fn a_busy_third_party_puts_the_agent_back_with_the_customer_and_says_so() {
    let mut s = connected();
    let (_third, inv) = consult(&mut s);
    s.ts.send(
        s.third.peer,
        &s.third.respond(&inv, 486, "Busy Here", Some("b"), None),
    );
    s.ts.expect_request(&s.third, "ACK");
    let actions = s.ts.take_actions();
    let call = s.call;
    assert!(actions.contains(&Action::RemoveListener { call }));
    assert!(actions.contains(&Action::Bridge { call }));
    let status = s.ts.sw.consult_status("a1003");
    assert_eq!((status.state, status.last), (None, Some("busy")));
    hangs_up(&mut s.ts, &mut s.customer, &mut s.ad);
    is_hung_up(&mut s.ts, &s.agent);
    s.ts.finish();
}

#[test]
fn the_customer_hanging_up_during_a_consultation_ends_all_legs() {
    let mut s = connected();
    let (_third, inv) = consult(&mut s);
    let _td = third_answers(&mut s, &inv);
    hangs_up(&mut s.ts, &mut s.customer, &mut s.ad);
    all_hung_up(&mut s.ts, &s.agent, &s.third);
}

#[test]
fn the_customer_hanging_up_while_the_third_party_rings_cancels_it() {
    let mut s = connected();
    let (_third, inv) = consult(&mut s);
    s.ts.send(
        s.third.peer,
        &s.third.respond(&inv, 180, "Ringing", Some("x"), None),
    );
    hangs_up(&mut s.ts, &mut s.customer, &mut s.ad);
    is_hung_up(&mut s.ts, &s.agent);
    let cancel = s.ts.expect_request(&s.third, "CANCEL");
    s.ts.send(
        s.third.peer,
        &s.third.respond(&cancel, 200, "OK", None, None),
    );
    s.ts.send(
        s.third.peer,
        &s.third
            .respond(&inv, 487, "Request Terminated", Some("x"), None),
    );
    s.ts.expect_request(&s.third, "ACK");
    s.ts.finish();
}

#[test]
fn the_agent_hanging_up_while_talking_to_the_third_party_completes_the_transfer() {
    let mut s = connected();
    let (_third, inv) = consult(&mut s);
    let mut td = third_answers(&mut s, &inv);
    hangs_up(&mut s.ts, &mut s.agent, &mut s.bd);
    let actions = s.ts.take_actions();
    let call = s.call;
    assert!(actions.contains(&Action::ListenerPaired {
        call,
        side: Some(Side::A)
    }));
    s.ts.assert_quiet(&s.customer);
    s.ts.assert_quiet(&s.third);
    // The customer hangs up: the third party's call ends.
    hangs_up(&mut s.ts, &mut s.customer, &mut s.ad);
    is_hung_up(&mut s.ts, &s.third);
    let _ = &mut td;
    s.ts.finish();
}

#[test]
fn refusals_are_typed() {
    let mut s = connected();
    let now = s.ts.now;
    let sw = &mut s.ts.sw;
    assert!(matches!(
        sw.start_consult(now, "nobody", "1002", ""),
        Err(ConsultError::UnknownAgent(_))
    ));
    assert_eq!(
        sw.start_consult(now, "a1003", "  ", ""),
        Err(ConsultError::EmptyTarget)
    );
    assert!(matches!(
        sw.start_consult(now, "a1003", "nobody-here", ""),
        Err(ConsultError::UnknownTarget(_))
    ));
    // A number that is no extension goes out over the trunks; this switch has none.
    assert_eq!(
        sw.start_consult(now, "a1003", "9999", ""),
        Err(ConsultError::NoTrunk("9999".into()))
    );
    assert!(matches!(
        sw.start_consult(now, "a1003", "1003", ""),
        Err(ConsultError::OwnPhone(_))
    ));
    assert!(matches!(
        sw.start_consult(now, "a1003", "1004", ""),
        Err(ConsultError::TargetOffline(_))
    ));
    assert!(matches!(
        sw.complete_consult(now, "a1003"),
        Err(ConsultError::NotConsulting(_))
    ));
    let (_third, _inv) = consult(&mut s);
    let now = s.ts.now;
    assert_eq!(
        s.ts.sw.complete_consult(now, "a1003"),
        Err(ConsultError::NotAnswered)
    );
    assert!(matches!(
        s.ts.sw.start_consult(now, "a1003", "1002", ""),
        Err(ConsultError::AlreadyConsulting(_))
    ));
    assert!(
        s.ts.sw
            .start_monitor(now, "admin", "a1003", switch::MonitorMode::Listen)
            .is_err(),
        "one listener per call"
    );
}

#[test]
fn a_queue_as_target_transfers_the_call_with_who_and_why_for_the_next_screen_pop() {
    let mut s = connected();
    let now = s.ts.now;
    let started =
        s.ts.sw
            .start_consult(now, "a1003", "7000", "wants a refund");
    assert_eq!(started, Ok(ConsultStarted::QueueTransfer("support".into())));
    s.ts.pump();
    is_hung_up(&mut s.ts, &s.agent);
    // The only agent is offered the call again once free: the pop says who and why.
    s.ts.advance(Duration::from_secs(30));
    let pop =
        s.ts.take_actions()
            .into_iter()
            .find_map(|a| match a {
                Action::ScreenPop(p) => Some(p),
                _ => None,
            })
            .expect("the call is offered again");
    assert_eq!(
        pop.vars.get("transferred_by").map(String::as_str),
        Some("a1003")
    );
    assert_eq!(
        pop.vars.get("transfer_reason").map(String::as_str),
        Some("wants a refund")
    );
    assert_eq!(s.ts.sw.consult_status("a1003").last, Some("transferred"));
}

/// a1003 completes the transfer: its phone gets the switch's BYE.
pub(super) fn completes(s: &mut Setup) {
    agent_completes(&mut s.ts, &s.agent, s.call, Side::A);
}

/// a1003 completes the transfer on `call`: `agent`'s phone gets the switch's BYE, the third
/// party is paired with the customer's side `customer`, the relay bridges, and the agent's
/// status says so.
pub(super) fn agent_completes(ts: &mut TestSwitch, agent: &Phone, call: CallId, customer: Side) {
    let now = ts.now;
    assert_eq!(ts.sw.complete_consult(now, "a1003"), Ok(()));
    ts.pump();
    is_hung_up(ts, agent);
    let actions = ts.take_actions();
    assert!(actions.contains(&Action::ListenerPaired {
        call,
        side: Some(customer)
    }));
    assert!(actions.contains(&Action::Bridge { call }));
    assert_eq!(ts.sw.consult_status("a1003").last, Some("completed"));
}

/// The queue events of the customer's call, as `kind:agent>target` words (consultation steps
/// with the seconds talked), ring and enter left out.
pub(super) fn journey(ts: &mut TestSwitch) -> Vec<String> {
    use acd::QueueEventKind as K;
    ts.take_acd_events()
        .into_iter()
        .filter_map(|e| match e {
            switch::AcdEvent::Queue(q) => Some(q.kind),
            _ => None,
        })
        .filter_map(|k| {
            Some(match k {
                K::ConsultStart { agent, target } => format!("consult:{agent}>{target}"),
                K::ConsultEnd {
                    agent,
                    target,
                    consult,
                } => format!("end:{agent}>{target}:{}", consult.as_secs()),
                K::AttendedTransfer {
                    agent,
                    target,
                    consult,
                } => format!("transfer:{agent}>{target}:{}", consult.as_secs()),
                K::Conference { agent, target } => format!("conference:{agent}>{target}"),
                K::Complete { agent, .. } => format!("complete:{agent}"),
                _ => return None,
            })
        })
        .collect()
}

/// The customer's contact row, among the actions taken, says a1003 transferred the call.
pub(super) fn transferred_row(ts: &mut TestSwitch) {
    let contact = contact_of(ts.take_actions());
    assert_eq!(contact.outcome, "transferred");
    assert_eq!(contact.agent.as_deref(), Some("a1003"));
}

/// The contact-history row among the actions taken.
pub(super) fn contact_of(actions: Vec<Action>) -> switch::Contact {
    actions
        .into_iter()
        .find_map(|a| match a {
            Action::Contact { contact, .. } => Some(contact),
            _ => None,
        })
        .expect("a contact row")
}

#[test]
fn each_step_is_a_queue_event_and_the_contact_notes_the_transfer() {
    let mut s = connected();
    // A first consultation the agent cancels after 5 s of talk.
    let (_third, inv) = consult(&mut s);
    let _td = third_answers(&mut s, &inv);
    s.ts.advance(Duration::from_secs(5));
    let now = s.ts.now;
    assert_eq!(s.ts.sw.cancel_consult(now, "a1003"), Ok(()));
    s.ts.pump();
    is_hung_up(&mut s.ts, &s.third);
    // A second one, unanswered (busy).
    let (_third, inv) = consult(&mut s);
    s.ts.send(
        s.third.peer,
        &s.third.respond(&inv, 486, "Busy Here", Some("b"), None),
    );
    s.ts.expect_request(&s.third, "ACK");
    // A third: conference after 7 s, then the agent leaves 3 s later.
    let (_third, inv) = consult(&mut s);
    let mut td = third_answers(&mut s, &inv);
    s.ts.advance(Duration::from_secs(7));
    let now = s.ts.now;
    assert_eq!(s.ts.sw.conference_consult(now, "a1003"), Ok(()));
    s.ts.advance(Duration::from_secs(3));
    completes(&mut s);
    assert_eq!(
        journey(&mut s.ts),
        [
            "consult:a1003>1002",
            "end:a1003>1002:5",
            "consult:a1003>1002",
            "end:a1003>1002:0",
            "consult:a1003>1002",
            "conference:a1003>1002",
            "transfer:a1003>1002:10",
            "complete:a1003",
        ]
    );
    s.ts.take_actions();
    hangs_up(&mut s.ts, &mut s.third, &mut td);
    is_hung_up(&mut s.ts, &s.customer);
    transferred_row(&mut s.ts);
    s.ts.finish();
}

#[test]
fn a_customer_leaving_mid_consultation_ends_it_in_the_events_and_the_row_is_answered() {
    let mut s = connected();
    let (_third, inv) = consult(&mut s);
    let _td = third_answers(&mut s, &inv);
    s.ts.advance(Duration::from_secs(4));
    hangs_up(&mut s.ts, &mut s.customer, &mut s.ad);
    is_hung_up(&mut s.ts, &s.agent);
    is_hung_up(&mut s.ts, &s.third);
    assert_eq!(
        journey(&mut s.ts),
        ["consult:a1003>1002", "end:a1003>1002:4", "complete:a1003"]
    );
    assert_eq!(contact_of(s.ts.take_actions()).outcome, "answered");
    s.ts.finish();
}

/// [`connected`] on a switch recording every call.
fn connected_recorded() -> Setup {
    let mut cfg = super::harness::config();
    cfg.acd = super::ivr_support::support_queue();
    cfg.recording.mode = switch::RecordMode::All;
    let mut ts = TestSwitch::with_plans(cfg, None);
    let now = ts.now;
    ts.sw
        .agent_command(
            now,
            "a1003",
            switch::AgentCommand::Login { extension: None },
        )
        .expect("agent logs in");
    ts.pump();
    ts.take_acd_events();
    connected_on(ts)
}

#[test]
fn a_recorded_calls_consultation_is_recorded_apart_under_the_third_partys_cdr() {
    let mut s = connected_recorded();
    let (third, inv) = consult(&mut s);
    let third_cdr = s.ts.sw.cdr_id_of(third).expect("the third party's CDR");
    answer_invite(&mut s.ts, &s.third, &inv, "thtag");
    let call = s.call;
    let started = Action::StartConsultRecording {
        call,
        cdr_id: third_cdr,
    };
    assert!(s.ts.actions().contains(&started), "{:?}", s.ts.actions());
    // The recording ends before the third party is wired to the customer.
    let now = s.ts.now;
    assert_eq!(s.ts.sw.complete_consult(now, "a1003"), Ok(()));
    s.ts.pump();
    let actions = s.ts.take_actions();
    let stop = actions
        .iter()
        .position(|a| *a == Action::StopConsultRecording { call });
    let repair = actions.iter().position(|a| {
        *a == Action::ListenerPaired {
            call,
            side: Some(Side::A),
        }
    });
    assert!(
        matches!((stop, repair), (Some(s), Some(r)) if s < r),
        "{actions:?}"
    );
    is_hung_up(&mut s.ts, &s.agent);
}

#[test]
fn an_unrecorded_calls_consultation_is_not_recorded_and_a_cancel_stops_one() {
    let mut s = connected();
    talks_then_cancels(&mut s);
    assert!(!s.ts.take_actions().iter().any(|a| matches!(
        a,
        Action::StartConsultRecording { .. } | Action::StopConsultRecording { .. }
    )));

    let mut s = connected_recorded();
    talks_then_cancels(&mut s);
    let call = s.call;
    assert!(s
        .ts
        .take_actions()
        .contains(&Action::StopConsultRecording { call }));
}
