//! Behaviours docs/acd.md states that had no scenario of their own: a waiting caller hears no
//! announcement while an agent's phone rings for them; the callback key is ignored while it
//! rings, exit keys once the agent answered; a callback to a number that is no extension or route ends with `callback number
//! not routable`, and one to an extension with no registration with `callback not reachable`.

use super::harness::{cdr_end, config, load_plans, phone, TestSwitch};
use super::ivr_support::{call_of, dtmf, playback_done, support_queue, MENU_PLAN};
use super::phone::{Dlg, Msg, Phone, DOMAIN};
use std::time::Duration;
use switch::{AcdEvent, Action, AgentCommand, CallId, ExitKey};

/// Queue `support` (7000; agent a1003 at 1003, logged out) announcing a 500 Hz tone every 30 s,
/// ringing an agent for up to 60 s; key 0 leaves for extension 1002, key 2 asks for a callback.
fn documented_switch() -> TestSwitch {
    let mut cfg = config();
    let mut setup = support_queue();
    let q = &mut setup.queues[0];
    q.cfg.announce_interval = Some(Duration::from_secs(30));
    q.cfg.ring_timeout = Duration::from_secs(60);
    q.announce = vec!["tone:500:200".into()];
    q.exit.keys.insert('0', ExitKey::Target("1002".into()));
    q.exit.keys.insert('2', ExitKey::Callback);
    q.exit.callback_prompt = "tone:700:300".into();
    cfg.acd = setup;
    let plans = load_plans(&[("menu.toml", MENU_PLAN)]);
    TestSwitch::with_plans(cfg, Some(plans))
}

fn login(ts: &mut TestSwitch, agent: &str) {
    let now = ts.now;
    ts.sw
        .agent_command(now, agent, AgentCommand::Login { extension: None })
        .expect("agent logs in");
    ts.pump();
}

/// `a` dials 7000 and waits in the queue: the call; actions and events cleared.
fn waiting(ts: &mut TestSwitch, a: &mut Phone) -> CallId {
    waiting_as(ts, a, None)
}

/// Like [`waiting`], with `from` as the From user part (the caller's number) when given; the
/// phone still authenticates as itself.
fn waiting_as(ts: &mut TestSwitch, a: &mut Phone, from: Option<&str>) -> CallId {
    let sdp = a.sdp("sendrecv");
    let mut d = a.new_dialog("7000", &format!("sip:7000@{DOMAIN}"));
    if let Some(from) = from {
        d.local = d
            .local
            .replacen(&format!("sip:{}@", a.user), &format!("sip:{from}@"), 1);
    }
    let body = Some(("application/sdp", sdp.as_str()));
    let req = a.invite(&mut d, &[], body);
    ts.send(a.peer, &req);
    let challenge = ts.expect_status(a, 407);
    ts.send(a.peer, &a.ack_non2xx(&d, &challenge));
    let auth = a.authorization(&challenge, "INVITE", &d.target, 1);
    let req = a.invite(&mut d, &[auth], body);
    ts.send(a.peer, &req);
    ts.expect_status(a, 100);
    let ok = ts.expect_status(a, 200);
    d.learn(&ok);
    ts.send(a.peer, &a.ack_2xx(&d));
    let call = call_of(&ts.take_actions());
    ts.take_acd_events();
    call
}

/// The prompts' tone frequencies of each non-looping `Play` for `call` among `actions`.
fn announcements(actions: &[Action], call: CallId) -> Vec<Vec<u32>> {
    actions
        .iter()
        .filter_map(|x| match x {
            Action::Play {
                call: c,
                prompts,
                looping: false,
                ..
            } if *c == call => Some(
                prompts
                    .iter()
                    .flat_map(|p| match p {
                        ivr::Prompt::Tone { freqs, .. } => freqs.clone(),
                        _ => Vec::new(),
                    })
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

fn queue_kinds(events: &[AcdEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            // The variant's name: `CallbackRequested { .. }` → `CallbackRequested`.
            AcdEvent::Queue(q) => Some(
                format!("{:?}", q.kind)
                    .split(|c: char| !c.is_alphanumeric())
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            ),
            _ => None,
        })
        .collect()
}

/// Caller 1001 waits, agent a1003 logs in and its phone rings (180). Returns the caller's call,
/// the phones and the agent's INVITE; actions and events cleared.
fn agent_ringing(ts: &mut TestSwitch) -> (CallId, Phone, Phone, Msg) {
    let (mut a, mut agent) = (phone(1001), phone(1003));
    ts.register(&mut a, 3600);
    ts.register(&mut agent, 3600);
    let call = waiting(ts, &mut a);
    login(ts, "a1003");
    let inv = ts.expect_request(&agent, "INVITE");
    ts.send(
        agent.peer,
        &agent.respond(&inv, 180, "Ringing", Some("agt"), None),
    );
    ts.take_actions();
    ts.take_acd_events();
    (call, a, agent, inv)
}

#[test]
fn no_announcement_while_an_agent_rings_for_the_caller() {
    let mut ts = documented_switch();
    let mut a = phone(1001);
    let call = waiting(&mut ts, &mut a);
    // Nobody logged in: the announcement comes on time.
    ts.advance(Duration::from_secs(30));
    assert_eq!(announcements(&ts.take_actions(), call), [vec![500]]);
    playback_done(&mut ts, call);

    // The agent's phone rings from 35 s: the 60 s announcement is skipped.
    let mut agent = phone(1003);
    ts.register(&mut agent, 3600);
    ts.advance(Duration::from_secs(5));
    login(&mut ts, "a1003");
    let inv = ts.expect_request(&agent, "INVITE");
    ts.send(
        agent.peer,
        &agent.respond(&inv, 180, "Ringing", Some("agt"), None),
    );
    ts.take_actions();
    ts.advance(Duration::from_secs(30));
    assert_eq!(
        announcements(&ts.take_actions(), call),
        Vec::<Vec<u32>>::new(),
        "announced while the agent rings"
    );
    assert_eq!(ts.sw.acd_snapshot(ts.now).queues[0].waiting, 1);
    finish_ringing(&mut ts, &a, &agent, &inv, call);
}

/// End a call whose agent still rings: the agent answers, the caller is bridged, the agent
/// hangs up.
fn finish_ringing(ts: &mut TestSwitch, a: &Phone, agent: &Phone, inv: &Msg, call: CallId) {
    ts.send(
        agent.peer,
        &agent.respond(inv, 200, "OK", Some("agt"), Some(&agent.sdp("sendrecv"))),
    );
    ts.expect_request(agent, "ACK");
    assert!(ts.take_actions().contains(&Action::Bridge { call }));
    let mut agent_dlg = Dlg::uas(inv, "agt");
    let mut agent = agent.clone();
    let bye = agent.request(&mut agent_dlg, "BYE", &[], None);
    ts.send(agent.peer, &bye);
    ts.expect_status(&agent, 200);
    let abye = ts.expect_request(a, "BYE");
    ts.send(a.peer, &a.respond(&abye, 200, "OK", None, None));
    ts.take_actions();
    ts.take_acd_events();
    ts.finish();
}

#[test]
fn the_callback_key_is_ignored_while_the_agent_rings_and_exit_keys_once_the_agent_answered() {
    let mut ts = documented_switch();
    let (call, a, mut agent, inv) = agent_ringing(&mut ts);
    let mut b = phone(1002);
    ts.register(&mut b, 3600);
    dtmf(&mut ts, call, '2');
    assert_eq!(queue_kinds(&ts.take_acd_events()), Vec::<String>::new());
    assert_eq!(
        announcements(&ts.take_actions(), call),
        Vec::<Vec<u32>>::new(),
        "no callback confirmation"
    );
    ts.assert_quiet(&agent);
    let snap = ts.sw.acd_snapshot(ts.now);
    assert_eq!(snap.queues[0].waiting, 1, "still in the queue");
    assert_eq!(snap.agents[0].state, "ringing");

    // The agent answers: from then on the exit key to 1002 is ignored too.
    ts.send(
        agent.peer,
        &agent.respond(&inv, 200, "OK", Some("agt"), Some(&agent.sdp("sendrecv"))),
    );
    ts.expect_request(&agent, "ACK");
    assert!(ts.take_actions().contains(&Action::Bridge { call }));
    ts.take_acd_events();
    dtmf(&mut ts, call, '0');
    assert_eq!(queue_kinds(&ts.take_acd_events()), Vec::<String>::new());
    ts.assert_quiet(&b);
    ts.assert_quiet(&agent);
    let mut agent_dlg = Dlg::uas(&inv, "agt");
    let bye = agent.request(&mut agent_dlg, "BYE", &[], None);
    ts.send(agent.peer, &bye);
    ts.expect_status(&agent, 200);
    let abye = ts.expect_request(&a, "BYE");
    ts.send(a.peer, &a.respond(&abye, 200, "OK", None, None));
    let end = cdr_end(&ts.take_cdrs());
    assert_eq!(end.vars.get("queue_exit"), None, "{:?}", end.vars);
    assert_eq!(end.vars.get("callback"), None, "{:?}", end.vars);
    ts.finish();
}

/// Caller 1001 (calling as `from` when given) waits, asks for a callback and is hung up; its
/// phone then unregisters. Agent a1003 logs in and answers the callback's INVITE. Returns the
/// callback's CDR end, after the switch hung up the agent.
fn callback_to(ts: &mut TestSwitch, from: Option<&str>) -> switch::CdrEnd {
    let (mut caller, mut agent) = (phone(1001), phone(1003));
    ts.register(&mut caller, 3600);
    ts.register(&mut agent, 3600);
    let call = waiting_as(ts, &mut caller, from);
    dtmf(ts, call, '2');
    assert_eq!(
        queue_kinds(&ts.take_acd_events()),
        ["CallbackRequested"],
        "the callback is taken"
    );
    playback_done(ts, call);
    let bye = ts.expect_request(&caller, "BYE");
    ts.send(caller.peer, &caller.respond(&bye, 200, "OK", None, None));
    // The customer's phone goes away before the agent calls back.
    ts.register(&mut caller, 0);
    ts.take_actions();
    ts.take_cdrs();
    login(ts, "a1003");
    let inv = ts.expect_request(&agent, "INVITE");
    ts.send(
        agent.peer,
        &agent.respond(&inv, 200, "OK", Some("agt"), Some(&agent.sdp("sendrecv"))),
    );
    ts.expect_request(&agent, "ACK");
    let abye = ts.expect_request(&agent, "BYE");
    ts.send(agent.peer, &agent.respond(&abye, 200, "OK", None, None));
    ts.assert_quiet(&caller);
    let end = cdr_end(&ts.take_cdrs());
    ts.finish();
    end
}

#[test]
fn a_callback_to_an_extension_without_a_registration_is_not_reachable() {
    let mut ts = documented_switch();
    let end = callback_to(&mut ts, None);
    assert_eq!(end.hangup_cause, "callback not reachable");
    assert_eq!(end.disposition, switch::Disposition::Failed);
    assert_eq!(end.hangup_side, Some(switch::HangupSide::Switch));
}

#[test]
fn a_callback_to_a_number_with_no_extension_or_route_is_not_routable() {
    let mut ts = documented_switch();
    // 1001 calls showing 5550100: no such extension, and the menu plan does not route it.
    let end = callback_to(&mut ts, Some("5550100"));
    assert_eq!(end.hangup_cause, "callback number not routable");
    assert_eq!(end.disposition, switch::Disposition::Failed);
    assert_eq!(end.hangup_side, Some(switch::HangupSide::Switch));
}
