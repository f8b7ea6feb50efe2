//! A callback for a customer who called in over a trunk goes back out over the trunks (issue
//! 16): in plan order, with failover on the carrier's 503.

use super::harness::{config, load_plans, phone, TestSwitch};
use super::ivr_support::{call_of, dtmf, playback_done, support_queue, MENU_PLAN};
use super::phone::DOMAIN;
use super::trunk_support::*;
use switch::{Action, AgentCommand, ExitKey};

#[test]
fn a_trunk_customers_callback_goes_out_over_the_trunks() {
    let mut cfg = config();
    let mut setup = support_queue();
    setup.queues[0].exit.keys.insert('2', ExitKey::Callback);
    setup.queues[0].exit.callback_prompt = "tone:700:300".into();
    cfg.acd = setup;
    cfg.trunks = trunk_plan();
    cfg.trunks.trunks[1].caller_id = Some("+8227001000".into());
    let plans = load_plans(&[("menu.toml", MENU_PLAN), ("out.toml", OUT_PLAN)]);
    let mut ts = TestSwitch::with_plans(cfg, Some(plans));
    // The customer calls the queue's DID from carrier-a and asks for a callback.
    let mut ca = carrier("+821099998888", CARRIER_A);
    let mut d = ca.new_dialog("+8227001000", &format!("sip:+8227001000@{DOMAIN}"));
    let sdp = ca.sdp("sendrecv");
    let inv = ca.invite(&mut d, &[], Some(("application/sdp", &sdp)));
    ts.send(ca.peer, &inv);
    ts.expect_status(&ca, 100);
    let ok = ts.expect_status(&ca, 200);
    d.learn(&ok);
    ts.send(ca.peer, &ca.ack_2xx(&d));
    let call = call_of(&ts.take_actions());
    dtmf(&mut ts, call, '2');
    playback_done(&mut ts, call);
    let bye = ts.expect_request(&ca, "BYE");
    ts.send(ca.peer, &ca.respond(&bye, 200, "OK", None, None));
    assert_eq!(channels(&ts, "carrier-a"), 0);
    ts.take_actions();
    // The agent logs in, is offered the callback and answers.
    let mut agent = phone(1003);
    ts.register(&mut agent, 3600);
    let now = ts.now;
    ts.sw
        .agent_command(now, "a1003", AgentCommand::Login { extension: None })
        .expect("login");
    ts.pump();
    let ainv = ts.expect_request(&agent, "INVITE");
    ts.send(
        agent.peer,
        &agent.respond(&ainv, 200, "OK", Some("ag"), Some(&agent.sdp("sendrecv"))),
    );
    ts.expect_request(&agent, "ACK");
    // The customer's number goes to carrier-a first; its 503 moves it to carrier-b.
    let out_a = ts.expect_request(&ca, "INVITE");
    assert_eq!(ruri_user(&out_a), "+821099998888");
    ts.send(
        ca.peer,
        &ca.respond(&out_a, 503, "Service Unavailable", Some("x"), None),
    );
    ts.expect_request(&ca, "ACK");
    let cb = carrier("x", CARRIER_B);
    let out_b = ts.expect_request(&cb, "INVITE");
    assert_eq!(ruri_user(&out_b), "+821099998888");
    assert!(
        out_b.hdr("From").contains("+8227001000"),
        "trunk's caller ID: {}",
        out_b.text
    );
    ts.send(
        cb.peer,
        &cb.respond(&out_b, 200, "OK", Some("cb"), Some(&cb.sdp("sendrecv"))),
    );
    ts.expect_request(&cb, "ACK");
    let actions = ts.take_actions();
    assert!(
        actions.iter().any(|a| matches!(a, Action::Bridge { .. })),
        "agent and customer bridged: {actions:?}"
    );
    assert_eq!(channels(&ts, "carrier-b"), 1);
}
