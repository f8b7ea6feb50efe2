//! Blind transfer by the agent (REFER): to an extension (rung with ringback, then bridged) and
//! to another queue (the ACD records the transfer, the caller waits afresh for that queue's
//! agents); an unknown target is refused and the call goes on.

use super::harness::{cdr_end, config, phone, TestSwitch};
use super::ivr_support::support_queue;
use super::phone::{Dlg, Msg, Phone};
use acd::QueueEventKind;
use switch::{AcdEvent, Action, AgentCommand, AgentSetup, QueueSetup};

/// Queues `support` (a1003 at 1003, number 7000) and `loans` (a1004 at 1004, number 7001).
pub(super) fn two_queues() -> TestSwitch {
    let mut cfg = config();
    let mut setup = support_queue();
    setup.queues.push(QueueSetup {
        cfg: acd::QueueConfig::new("loans"),
        number: Some("7001".into()),
        moh: None,
        announce: Vec::new(),
        exit: Default::default(),
    });
    setup.agents.push(AgentSetup {
        cfg: acd::AgentConfig::new("a1004").member_of("loans", 0),
        name: Some("Agent Lee".into()),
        extension: Some("1004".into()),
        pin: None,
    });
    cfg.acd = setup;
    let mut ts = TestSwitch::with(cfg);
    let now = ts.now;
    for a in ["a1003", "a1004"] {
        ts.sw
            .agent_command(now, a, AgentCommand::Login { extension: None })
            .expect("login");
    }
    ts
}

/// A caller on 7000 talking to agent 1003: (caller's dialog, agent's dialog).
pub(super) fn connected(ts: &mut TestSwitch, a: &mut Phone, agent: &Phone) -> (Dlg, Dlg) {
    let sdp = a.sdp("sendrecv");
    let mut ad = ts.invite(a, "7000", Some(&sdp));
    ts.expect_status(a, 100);
    let ok = ts.expect_status(a, 200);
    ad.learn(&ok);
    ts.send(a.peer, &a.ack_2xx(&ad));
    let inv = ts.expect_request(agent, "INVITE");
    ts.send(
        agent.peer,
        &agent.respond(&inv, 200, "OK", Some("ag"), Some(&agent.sdp("sendrecv"))),
    );
    ts.expect_request(agent, "ACK");
    ts.take_actions();
    ts.take_acd_events();
    (ad, Dlg::uas(&inv, "ag"))
}

/// The agent refers the caller to `target`; the switch accepts, reports success and hangs the
/// agent up.
fn refer(ts: &mut TestSwitch, agent: &mut Phone, bd: &mut Dlg, target: &str) {
    let refer_to = format!("Refer-To: <sip:{target}@switch.test>");
    let req = agent.request(bd, "REFER", &[refer_to], None);
    ts.send(agent.peer, &req);
    ts.expect_status(agent, 202);
    let notify = ts.expect_request(agent, "NOTIFY");
    assert_eq!(notify.header("Event").as_deref(), Some("refer"));
    assert!(notify.body().starts_with("SIP/2.0 200"), "{}", notify.text);
    ts.send(agent.peer, &agent.respond(&notify, 200, "OK", None, None));
    let bye = ts.expect_request(agent, "BYE");
    ts.send(agent.peer, &agent.respond(&bye, 200, "OK", None, None));
}

pub(super) fn kinds(events: &[AcdEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            AcdEvent::Queue(q) => Some(match &q.kind {
                QueueEventKind::Transfer { to_queue } => format!("{}>transfer:{to_queue}", q.queue),
                QueueEventKind::Complete { agent, .. } => format!("{}>complete:{agent}", q.queue),
                QueueEventKind::Enter { .. } => format!("{}>enter", q.queue),
                QueueEventKind::Ring { agent } => format!("{}>ring:{agent}", q.queue),
                QueueEventKind::Connect { agent, .. } => format!("{}>connect:{agent}", q.queue),
                QueueEventKind::AttendedTransfer { agent, target, .. } => {
                    format!("{}>attended:{agent}>{target}", q.queue)
                }
                other => format!("{}>{other:?}", q.queue),
            }),
            _ => None,
        })
        .collect()
}

fn answer(ts: &mut TestSwitch, p: &Phone, inv: &Msg, tag: &str) -> Dlg {
    ts.send(
        p.peer,
        &p.respond(inv, 200, "OK", Some(tag), Some(&p.sdp("sendrecv"))),
    );
    ts.expect_request(p, "ACK");
    Dlg::uas(inv, tag)
}

#[test]
fn agent_transfers_the_caller_to_another_queue() {
    let mut ts = two_queues();
    let (mut a, mut agent, mut lee) = (phone(1001), phone(1003), phone(1004));
    ts.register(&mut agent, 3600);
    ts.register(&mut lee, 3600);
    let (mut ad, mut bd) = connected(&mut ts, &mut a, &agent);
    refer(&mut ts, &mut agent, &mut bd, "7001");
    let inv = ts.expect_request(&lee, "INVITE");
    let actions = ts.take_actions();
    assert!(
        actions.iter().any(|x| matches!(x, Action::Endpoint { .. })),
        "the switch holds the caller: {actions:?}"
    );
    ts.assert_quiet(&a);
    let _ld = answer(&mut ts, &lee, &inv, "lee");
    assert!(ts
        .take_actions()
        .iter()
        .any(|x| matches!(x, Action::Bridge { .. })));
    assert_eq!(
        kinds(&ts.take_acd_events()),
        [
            "support>transfer:loans",
            "support>complete:a1003",
            "loans>enter",
            "loans>ring:a1004",
            "loans>connect:a1004"
        ]
    );
    let bye = a.request(&mut ad, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    let lbye = ts.expect_request(&lee, "BYE");
    ts.send(lee.peer, &lee.respond(&lbye, 200, "OK", None, None));
    let end = cdr_end(&ts.take_cdrs());
    assert_eq!(
        end.vars.get("transferred_to").map(String::as_str),
        Some("7001")
    );
    assert_eq!(end.vars.get("queue").map(String::as_str), Some("loans"));
    let exts: Vec<&str> = end.legs.iter().map(|l| l.extension.as_str()).collect();
    assert_eq!(exts, ["1001", "1003", "1004"]);
    ts.finish();
}

#[test]
fn agent_transfers_to_an_extension_and_unknown_targets_are_refused() {
    let mut ts = two_queues();
    let (mut a, mut agent, mut b) = (phone(1001), phone(1003), phone(1002));
    ts.register(&mut agent, 3600);
    ts.register(&mut b, 3600);
    let (mut ad, mut bd) = connected(&mut ts, &mut a, &agent);
    let req = agent.request(&mut bd, "REFER", &["Refer-To: <sip:9999@x>".into()], None);
    ts.send(agent.peer, &req);
    ts.expect_status(&agent, 404);
    let req = agent.request(&mut bd, "REFER", &[], None);
    ts.send(agent.peer, &req);
    ts.expect_status(&agent, 400);

    refer(&mut ts, &mut agent, &mut bd, "1002");
    let inv = ts.expect_request(&b, "INVITE");
    let _b = answer(&mut ts, &b, &inv, "bt");
    assert_eq!(
        kinds(&ts.take_acd_events()),
        ["support>complete:a1003"],
        "out of the ACD"
    );
    // A late BYE from the transferring agent's old leg does not end the call.
    let late = agent.request(&mut bd, "BYE", &[], None);
    ts.send(agent.peer, &late);
    ts.expect_status(&agent, 481);
    ts.assert_quiet(&a);
    let bye = a.request(&mut ad, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    let bbye = ts.expect_request(&b, "BYE");
    ts.send(b.peer, &b.respond(&bbye, 200, "OK", None, None));
    ts.finish();
}
