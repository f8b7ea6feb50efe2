//! Consulting from a click-to-dial call (issue 12): agent a1003 placed the call (side A, its
//! phone 1003 rung first), the customer answered over carrier-a (side B). The consultation
//! pairs the listener with side A; complete hangs up the agent's own leg and leaves the
//! customer with the third party (extension 1002); the agent's phone is free at once.

use super::consult::{
    agent_completes, all_hung_up, hangs_up, is_hung_up, picks_up, third_call, transferred_row,
    LISTENER_PORT,
};
use super::harness::{phone, TestSwitch, RELAY_IP};
use super::phone::{Dlg, Phone};
use super::trunk_support::*;
use switch::{Action, CallId, ConsultError, ConsultState, Side};

struct C2d {
    ts: TestSwitch,
    agent: Phone,
    third: Phone,
    carrier: Phone,
    call: CallId,
    /// The agent's dialog (the switch is its UAC).
    ad: Dlg,
    /// The carrier's dialog (the switch is its UAC).
    cd: Dlg,
}

/// a1003 clicks to dial 010-9999-8888; its phone answers, then the carrier.
fn placed() -> C2d {
    let mut ts = trunk_switch(trunk_plan());
    let (mut agent, mut third) = (phone(1003), phone(1002));
    ts.register(&mut agent, 3600);
    ts.register(&mut third, 3600);
    let carrier = carrier("x", CARRIER_A);
    let now = ts.now;
    let call = ts
        .sw
        .click_to_dial(now, "a1003", "010-9999-8888")
        .expect("accepted");
    ts.pump();
    let (_, ad) = picks_up(&mut ts, &agent, "ag");
    let (_, cd) = picks_up(&mut ts, &carrier, "ct");
    ts.take_actions();
    C2d {
        ts,
        agent,
        third,
        carrier,
        call,
        ad,
        cd,
    }
}

/// a1003 consults 1002, which answers: the listener is paired with the agent's side A and
/// nothing is played to the customer.
fn consult_answered(s: &mut C2d) -> Dlg {
    let now = s.ts.now;
    let started =
        s.ts.sw
            .start_consult(now, "a1003", "1002", "second opinion");
    assert_eq!(started, Ok(switch::ConsultStarted::Ringing));
    s.ts.pump();
    let actions = s.ts.take_actions();
    let call = s.call;
    assert!(
        actions.iter().any(|a| matches!(a, Action::AttachListener {
            call: c, agent_side: Side::A, ..
        } if *c == call)),
        "{actions:?}"
    );
    assert!(actions.contains(&Action::ListenerPaired {
        call,
        side: Some(Side::A)
    }));
    // The customer (side B) hears the music: the endpoint is turned to B before it plays.
    let to_b = actions.iter().position(|a| {
        *a == Action::EndpointSide {
            call,
            side: Side::B,
        }
    });
    let play = actions
        .iter()
        .position(|a| matches!(a, Action::Play { call: c, looping: true, .. } if *c == call));
    assert!(
        matches!((to_b, play), (Some(b), Some(p)) if b < p),
        "music to side B, the customer's: {actions:?}"
    );
    let third = third_call(&actions);
    s.ts.sw
        .listener_attached(now, third, Ok((RELAY_IP, LISTENER_PORT)));
    s.ts.pump();
    let (inv, td) = picks_up(&mut s.ts, &s.third, "thtag");
    assert!(inv.hdr("From").contains("sip:1003@"), "{}", inv.text);
    assert_eq!(
        s.ts.sw.consult_status("a1003").state,
        Some(ConsultState::Talking)
    );
    td
}

fn agent_state(ts: &TestSwitch) -> String {
    ts.sw
        .acd_snapshot(ts.now)
        .agents
        .into_iter()
        .find(|a| a.id == "a1003")
        .map(|a| format!("{} {:?}", a.state, a.reason))
        .unwrap_or_default()
}

#[test]
fn complete_hangs_up_the_agents_own_leg_and_frees_the_agent() {
    let mut s = placed();
    assert!(
        agent_state(&s.ts).starts_with("paused"),
        "{}",
        agent_state(&s.ts)
    );
    let mut td = consult_answered(&mut s);
    agent_completes(&mut s.ts, &s.agent, s.call, Side::B);
    assert_eq!(
        agent_state(&s.ts),
        "available None",
        "free for the ACD at once"
    );
    let now = s.ts.now;
    assert!(
        matches!(
            s.ts.sw.start_consult(now, "a1003", "1002", ""),
            Err(ConsultError::NotOnCall(_))
        ),
        "the agent is on the call no more"
    );
    // The third party hangs up: the customer's call ends; the agent's leg gets nothing more.
    hangs_up(&mut s.ts, &mut s.third, &mut td);
    is_hung_up(&mut s.ts, &s.carrier);
    s.ts.assert_quiet(&s.agent);
    transferred_row(&mut s.ts);
    s.ts.finish();
}

#[test]
fn the_agent_hanging_up_while_consulting_completes_and_the_customer_hanging_up_ends_all() {
    let mut s = placed();
    let mut td = consult_answered(&mut s);
    hangs_up(&mut s.ts, &mut s.agent, &mut s.ad);
    s.ts.assert_quiet(&s.carrier);
    s.ts.assert_quiet(&s.third);
    assert_eq!(s.ts.sw.consult_status("a1003").last, Some("completed"));
    hangs_up(&mut s.ts, &mut s.carrier, &mut s.cd);
    is_hung_up(&mut s.ts, &s.third);
    s.ts.assert_quiet(&s.agent);
    let _ = &mut td;
    s.ts.finish();
}

#[test]
fn cancel_and_the_customer_leaving_mid_consultation_work_with_the_sides_swapped() {
    let mut s = placed();
    let _td = consult_answered(&mut s);
    let now = s.ts.now;
    assert_eq!(s.ts.sw.cancel_consult(now, "a1003"), Ok(()));
    s.ts.pump();
    is_hung_up(&mut s.ts, &s.third);
    let actions = s.ts.take_actions();
    assert!(actions.contains(&Action::RemoveListener { call: s.call }));
    assert!(actions.contains(&Action::Bridge { call: s.call }));
    // A queue cannot take a call the agent placed.
    let now = s.ts.now;
    assert!(matches!(
        s.ts.sw.start_consult(now, "a1003", "7000", ""),
        Err(ConsultError::QueueFromPlacedCall(_))
    ));
    // Consult again; the customer hangs up: agent and third party are hung up.
    let _td = consult_answered(&mut s);
    hangs_up(&mut s.ts, &mut s.carrier, &mut s.cd);
    all_hung_up(&mut s.ts, &s.agent, &s.third);
}

/// The agent's phone holds a click-to-dial call (its side A) and resumes: the switch answers
/// both re-INVITEs itself, plays the customer (side B) the music meanwhile, and the carrier
/// is never re-INVITEd; the resume bridges the two again.
#[test]
fn the_agents_phone_holding_a_placed_call_gives_the_customer_music_from_the_switch() {
    let mut s = placed();
    let call = s.call;
    for (dir, answer) in [("sendonly", "recvonly"), ("sendrecv", "sendrecv")] {
        let offer = s.agent.sdp(dir);
        let req = (s.agent).request(&mut s.ad, "INVITE", &[], Some(("application/sdp", &offer)));
        s.ts.send(s.agent.peer, &req);
        let ok = s.ts.expect_status(&s.agent, 200);
        assert!(ok.body().contains(&format!("a={answer}")), "{}", ok.text);
        s.ts.send(s.agent.peer, &s.agent.ack_2xx(&s.ad));
        let actions = s.ts.take_actions();
        if dir == "sendonly" {
            let to_b = actions.iter().position(|a| {
                *a == Action::EndpointSide {
                    call,
                    side: Side::B,
                }
            });
            let play = actions.iter().position(
                |a| matches!(a, Action::Play { call: c, looping: true, .. } if *c == call),
            );
            assert!(
                matches!((to_b, play), (Some(b), Some(p)) if b < p),
                "music to side B, the customer's: {actions:?}"
            );
        } else {
            assert!(
                actions.contains(&Action::StopPlayback { call }),
                "{actions:?}"
            );
            assert!(actions.contains(&Action::Bridge { call }), "{actions:?}");
        }
        s.ts.assert_quiet(&s.carrier);
    }
}
