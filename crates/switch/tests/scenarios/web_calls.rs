//! Web calls (issue 10): the gateway's INVITE on the internal transport runs its entry's plan
//! or queue without credentials, the gateway sees the call's progress (IVR, ringing, queued
//! with position and estimate, connected), and the CDR and contact row say channel web. The
//! same INVITE from the network gets a digest challenge like any other.

use super::harness::TestSwitch;
use super::ivr_support::{call_of, dtmf, ivr_switch};
use super::phone::{Dlg, Msg, Phone, DOMAIN};
use sip::Peer;
use std::net::SocketAddr;
use std::time::Duration;
use switch::{Action, CdrEvent, Channel, WebInvite, WebProgress, WebTarget};

const CALL_ID: &str = "web-1@gateway";

/// The gateway stand-in: a "phone" on the internal transport.
fn gateway() -> Phone {
    let mut gw = Phone::udp("web", "", 1, SocketAddr::from(([127, 0, 0, 1], 46000)));
    gw.peer = Peer::internal(SocketAddr::from(([0, 0, 0, 0], 1)));
    gw
}

fn web(target: WebTarget) -> WebInvite {
    WebInvite {
        entry: "loans".into(),
        target,
        caller: "web".into(),
        caller_name: "Web visitor".into(),
        customer_id: Some("C-7".into()),
        verified: false,
        page_url: Some("https://bank.example/loans".into()),
    }
}

/// The gateway places `invite`; returns its dialog once the switch answered (ACK sent).
fn place(ts: &mut TestSwitch, gw: &mut Phone, invite: &WebInvite) -> Dlg {
    let sdp = gw.sdp("sendrecv");
    let bytes = invite.to_bytes(CALL_ID, "gwtag", DOMAIN, &sdp);
    let now = ts.now;
    ts.sw.handle_datagram(now, gw.peer, &bytes);
    ts.pump();
    let ok = ts.expect_status(gw, 200);
    let mut d = Dlg {
        call_id: CALL_ID.into(),
        local: "\"Web visitor\" <sip:web@web.invalid>;tag=gwtag".into(),
        remote: String::new(),
        target: String::new(),
        cseq: 1,
        invite_branch: String::new(),
        invite_cseq: 1,
        invite_uri: String::new(),
        invite_to: String::new(),
    };
    d.learn(&ok);
    let ack = gw.ack_2xx(&d);
    ts.send(gw.peer, &ack);
    d
}

/// The call's progress; the driver's batch read (`web_progress_of`, pushed to the visitor)
/// must say the same, for an unknown call too.
fn progress(ts: &TestSwitch) -> Option<WebProgress> {
    let one = ts.sw.web_progress(ts.now, CALL_ID);
    let many = ts.sw.web_progress_of(ts.now, &[CALL_ID, "unknown@web"]);
    assert_eq!(many, vec![one, None]);
    one
}

fn contact_channel(actions: &[Action]) -> Option<Channel> {
    actions.iter().find_map(|a| match a {
        Action::Contact { contact, .. } => Some(contact.channel),
        _ => None,
    })
}

#[test]
fn a_web_call_runs_the_plan_reaches_the_queues_agent_and_is_a_web_contact() {
    let mut ts = ivr_switch();
    let (mut gw, mut agent) = (gateway(), super::harness::phone(1003));
    ts.register(&mut agent, 3600);
    let mut d = place(&mut ts, &mut gw, &web(WebTarget::Route("1588".into())));
    let actions = ts.take_actions();
    let call = call_of(&actions);
    let start = actions
        .iter()
        .find_map(|a| match a {
            Action::Cdr(CdrEvent::Start(s)) => Some(s.clone()),
            _ => None,
        })
        .expect("CDR start");
    assert_eq!(start.channel, Channel::Web);
    assert_eq!(start.caller, "web");
    assert_eq!(progress(&ts), Some(WebProgress::Ivr));

    // Menu option 2: the support queue; its logged-in agent rings.
    dtmf(&mut ts, call, '2');
    let inv = ts.expect_request(&agent, "INVITE");
    assert_eq!(progress(&ts), Some(WebProgress::Ringing));
    ts.send(
        agent.peer,
        &agent.respond(&inv, 200, "OK", Some("agtag"), Some(&agent.sdp("sendrecv"))),
    );
    ts.expect_request(&agent, "ACK");
    assert_eq!(progress(&ts), Some(WebProgress::Connected));

    // The visitor hangs up: the agent's leg ends, the contact row is a web call's.
    ts.advance(Duration::from_secs(2));
    let bye = gw.request(&mut d, "BYE", &[], None);
    ts.send(gw.peer, &bye);
    ts.expect_status(&gw, 200);
    let agent_bye = ts.expect_request(&agent, "BYE");
    ts.send(
        agent.peer,
        &agent.respond(&agent_bye, 200, "OK", None, None),
    );
    let actions = ts.take_actions();
    assert_eq!(contact_channel(&actions), Some(Channel::Web));
    let end = actions
        .iter()
        .find_map(|a| match a {
            Action::Cdr(CdrEvent::End(e)) => Some(e.clone()),
            _ => None,
        })
        .expect("CDR end");
    assert_eq!(end.vars.get("web.entry").map(String::as_str), Some("loans"));
    assert_eq!(
        end.vars.get("web.customer_id").map(String::as_str),
        Some("C-7")
    );
    assert_eq!(
        end.vars.get("web.verified").map(String::as_str),
        Some("false")
    );
    ts.finish();
    assert_eq!(progress(&ts), None, "forgotten once over");
}

#[test]
fn a_queue_entry_waits_with_its_position_and_estimate_and_the_switch_can_end_it() {
    // The agent is logged in but its phone is not registered: the caller waits.
    let mut ts = ivr_switch();
    let mut gw = gateway();
    let mut d = place(&mut ts, &mut gw, &web(WebTarget::Queue("support".into())));
    match progress(&ts) {
        Some(WebProgress::Queued {
            position,
            estimated_wait,
        }) => {
            assert_eq!(position, 1);
            assert!(estimated_wait > Duration::ZERO, "{estimated_wait:?}");
        }
        other => panic!("expected queued, got {other:?}"),
    }
    let bye = gw.request(&mut d, "BYE", &[], None);
    ts.send(gw.peer, &bye);
    ts.expect_status(&gw, 200);
    let actions = ts.take_actions();
    assert_eq!(contact_channel(&actions), Some(Channel::Web));
    ts.finish();
}

#[test]
fn unknown_targets_are_refused_and_the_network_gets_no_bypass() {
    let mut ts = ivr_switch();
    let gw = gateway();
    for (tag, target, reason) in [
        (
            "t1",
            WebTarget::Queue("nowhere".into()),
            "Not Found (No Queue)",
        ),
        ("t2", WebTarget::Route("999".into()), "Not Found (No Route)"),
    ] {
        let bytes = web(target).to_bytes(tag, tag, DOMAIN, &gw.sdp("sendrecv"));
        let now = ts.now;
        ts.sw.handle_datagram(now, gw.peer, &bytes);
        ts.pump();
        let refused: Msg = ts.expect_status(&gw, 404);
        assert_eq!(refused.reason(), reason);
    }
    // The same INVITE from a network address is an ordinary caller: challenged.
    let mut outsider = gw.clone();
    outsider.peer = Peer::udp(SocketAddr::from(([127, 0, 0, 1], 5999)));
    let bytes = web(WebTarget::Route("1588".into())).to_bytes(
        "x@evil",
        "t",
        DOMAIN,
        &outsider.sdp("sendrecv"),
    );
    let now = ts.now;
    ts.sw.handle_datagram(now, outsider.peer, &bytes);
    ts.pump();
    ts.expect_status(&outsider, 407);
    ts.finish();
}
