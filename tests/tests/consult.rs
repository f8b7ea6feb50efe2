//! Consult, conference and transfer from the agent's API end to end (issue 12): the real
//! binary, SIPp for each phone's signalling and the test's own sockets for their media
//! (`tone_phone.rs`), so what each person hears is checked by frequency: customer 2001 plays
//! 1 kHz, agent bob at 2002 plays 440 Hz, the consulted extension 2003 plays 770 Hz.

use media::g711::Codec;
use std::time::Duration;
use switchboard_e2e::http_client::Session;
use switchboard_e2e::tone_phone::{answering, calling, expect_talking, relay_port};
use switchboard_e2e::tone_phone::{Consultation, Phone};
use switchboard_e2e::{Options, Switch};

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
    let customer_sipp = calling(&switch, "2001", "2002", &customer);
    customer.relay = Some(relay_port(&customer_sipp, customer.port(), &switch));
    agent.relay = Some(relay_port(&bob_phone, agent.port(), &switch));
    let both = [&mut customer, &mut agent];
    expect_talking(
        both,
        [CUSTOMER_HZ, AGENT_HZ],
        "customer and bob talk",
        &switch,
    );

    // Consult: bob and 2003 talk, the customer hears music, not 2003.
    let r = post("consult", r#"{"target":"2003","reason":"billing"}"#);
    assert_eq!(r.status, 202, "{}\n{}", r.body, switch.log_text());
    third.relay = Some(relay_port(&third_phone, third.port(), &switch));
    let mut all = Consultation {
        phones: [&mut customer, &mut agent, &mut third],
        hz: [CUSTOMER_HZ, AGENT_HZ, THIRD_HZ],
    };
    all.expect_consulting(&switch);
    let r = post("consult", r#"{"target":"2003"}"#);
    assert_eq!(r.status, 409, "{}", r.body);

    // Conference: everybody hears everybody.
    let r = post("consult/conference", "");
    assert_eq!(r.status, 200, "{}", r.body);
    all.expect_conference(&switch);

    // Complete: bob's phone gets the switch's BYE; customer and 2003 talk.
    let r = post("consult/complete", "");
    assert_eq!(r.status, 200, "{}", r.body);
    bob_phone
        .wait(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("bob's phone gets the switch's BYE: {e}"));
    all.expect_transferred(&switch);
    let status = bob
        .send(&switch, "GET", "/api/agents/bob/consult", "")
        .expect("status");
    assert!(status.body.contains("\"completed\""), "{}", status.body);
    drop(third_phone);
    drop(customer_sipp);
}
