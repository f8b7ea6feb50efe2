//! Consult, conference and transfer from the agent's API end to end (issue 12): the real
//! binary, SIPp for each phone's signalling and the test's own sockets for their media
//! (`tone_phone.rs`), so what each person hears is checked by frequency: customer 2001 plays
//! 1 kHz, agent bob at 2002 plays 440 Hz, the consulted extension 2003 plays 770 Hz.

use media::g711::Codec;
use std::time::Duration;
use switchboard_e2e::http_client::Session;
use switchboard_e2e::tone_phone::{hears, quiet, relay_port, scenario_at, talk, Phone};
use switchboard_e2e::{callee_with, caller_running, caller_scenario, scenario, CallerPlan};
use switchboard_e2e::{Options, Sipp, Switch};

const CUSTOMER_HZ: f64 = 1000.0;
const AGENT_HZ: f64 = 440.0;
const THIRD_HZ: f64 = 770.0;

const CONFIG: &str = r#"
[[queues]]
name = "support"

[[agents]]
id = "bob"
extension = "2002"
queues = ["support"]

[[accounts]]
username = "bob"
password = "bob-password"
role = "agent"
agent = "bob"
"#;

/// A phone at `ext` that answers the switch's INVITE with media at `phone`'s socket and waits
/// for the switch's BYE.
fn answering(switch: &Switch, ext: &str, phone: &Phone) -> Sipp {
    let uas = scenario_at(
        switch,
        &scenario("uas_answer.xml"),
        &format!("answer-{ext}.xml"),
        "m=audio [media_port] RTP/AVP 8 101\na=rtpmap:8 PCMA/8000",
        &format!(
            "m=audio {} RTP/AVP 0 101\na=rtpmap:0 PCMU/8000",
            phone.port()
        ),
    );
    callee_with(switch, ext, &uas, &[]).expect("the phone answers")
}

/// The customer (2001) calls bob (2002), who answers.
fn customer_calls(switch: &Switch, customer: &Phone) -> Sipp {
    let uac = caller_scenario(switch.dir.path(), CallerPlan::AnswerThenExpectBye).expect("uac");
    let uac = scenario_at(
        switch,
        &uac,
        "customer.xml",
        "m=audio [media_port] RTP/AVP 0",
        &format!("m=audio {} RTP/AVP 0", customer.port()),
    );
    caller_running(switch, "2001", "2002", &uac, &[]).expect("sipp starts")
}

#[test]
fn consult_conference_and_complete_rewire_who_hears_whom() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let switch = Switch::start(Options {
        extra_toml: CONFIG.to_string(),
        ..Options::default()
    })
    .expect("switch starts");
    let bob = Session::login(&switch, "bob", "bob-password").expect("bob logs in");
    let post = |path: &str, body: &str| {
        bob.send(&switch, "POST", &format!("/api/agents/bob/{path}"), body)
            .expect("request")
    };

    let r = post("consult", r#"{"target":"2003","reason":"billing"}"#);
    assert_eq!(r.status, 409, "not on a call yet: {}", r.body);
    assert!(r.body.contains("not_on_call"), "{}", r.body);

    let mut customer = Phone::new(CUSTOMER_HZ, Codec::Pcmu);
    let mut agent = Phone::new(AGENT_HZ, Codec::Pcmu);
    let mut third = Phone::new(THIRD_HZ, Codec::Pcmu);
    let bob_phone = answering(&switch, "2002", &agent);
    let third_phone = answering(&switch, "2003", &third);
    let customer_sipp = customer_calls(&switch, &customer);
    customer.relay = Some(relay_port(&customer_sipp, customer.port(), &switch));
    agent.relay = Some(relay_port(&bob_phone, agent.port(), &switch));
    {
        let mut two = [&mut customer, &mut agent];
        talk(&mut two, 300);
        let heard = talk(&mut two, 1000);
        assert!(
            hears(&heard[0], AGENT_HZ) && hears(&heard[1], CUSTOMER_HZ),
            "customer and bob talk\n{}",
            switch.log_text()
        );
    }

    // Consult: bob and 2003 talk, the customer hears neither.
    let r = post("consult", r#"{"target":"2003","reason":"billing"}"#);
    assert_eq!(r.status, 202, "{}\n{}", r.body, switch.log_text());
    third.relay = Some(relay_port(&third_phone, third.port(), &switch));
    let mut all = [&mut customer, &mut agent, &mut third];
    talk(&mut all, 400);
    let heard = talk(&mut all, 1500);
    let log = switch.log_text();
    assert!(hears(&heard[1], THIRD_HZ), "bob hears 2003\n{log}");
    assert!(hears(&heard[2], AGENT_HZ), "2003 hears bob\n{log}");
    assert!(
        quiet(&heard[1], CUSTOMER_HZ),
        "bob no longer hears the customer"
    );
    assert!(
        quiet(&heard[2], CUSTOMER_HZ),
        "2003 does not hear the customer"
    );
    assert!(
        quiet(&heard[0], THIRD_HZ),
        "the customer does not hear 2003"
    );
    let r = post("consult", r#"{"target":"2003"}"#);
    assert_eq!(r.status, 409, "{}", r.body);

    // Conference: everybody hears everybody.
    let r = post("consult/conference", "");
    assert_eq!(r.status, 200, "{}", r.body);
    talk(&mut all, 300);
    let heard = talk(&mut all, 1500);
    let log = switch.log_text();
    assert!(
        hears(&heard[0], AGENT_HZ) && hears(&heard[0], THIRD_HZ),
        "the customer hears both\n{log}"
    );
    assert!(
        hears(&heard[1], CUSTOMER_HZ) && hears(&heard[1], THIRD_HZ),
        "bob hears both"
    );
    assert!(
        hears(&heard[2], CUSTOMER_HZ) && hears(&heard[2], AGENT_HZ),
        "2003 hears both"
    );

    // Complete: bob's phone gets the switch's BYE; customer and 2003 talk.
    let r = post("consult/complete", "");
    assert_eq!(r.status, 200, "{}", r.body);
    bob_phone
        .wait(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("bob's phone gets the switch's BYE: {e}"));
    talk(&mut all, 300);
    let heard = talk(&mut all, 1500);
    let log = switch.log_text();
    assert!(hears(&heard[0], THIRD_HZ), "the customer hears 2003\n{log}");
    assert!(hears(&heard[2], CUSTOMER_HZ), "2003 hears the customer");
    assert!(quiet(&heard[0], AGENT_HZ), "bob is gone");
    assert!(quiet(&heard[2], AGENT_HZ), "bob is gone");
    let status = bob
        .send(&switch, "GET", "/api/agents/bob/consult", "")
        .expect("status");
    assert!(status.body.contains("\"completed\""), "{}", status.body);
    drop(third_phone);
    drop(customer_sipp);
}
