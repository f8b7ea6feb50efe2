//! The agent page's consult buttons in headless Chromium (issue 12; `tests/browser/consult.mjs`
//! drives the pages, this test the phones): a SIPp customer (2001, 1 kHz) dials the `support`
//! queue (7000) and reaches agent bob (phone 2002, 440 Hz), who consults from his page. The
//! phones' media are the test's sockets (`tone_phone.rs`), so each step is checked by who hears
//! whom: the consulted extension 2003 plays 770 Hz, agent alice of `billing` (2004) 600 Hz.

use media::g711::Codec;
use std::process::Command;
use std::time::Duration;
use switchboard_e2e::browser::{artifacts, browser_dir, missing_tools, Driven, CHROMIUM};
use switchboard_e2e::tone_phone::{answering, calling, expect_talking, relay_port};
use switchboard_e2e::tone_phone::{Consultation, Phone};
use switchboard_e2e::{callee_as, Options, Sipp, Switch};

const CUSTOMER_HZ: f64 = 1000.0;
const AGENT_HZ: f64 = 440.0;
const THIRD_HZ: f64 = 770.0;
const ALICE_HZ: f64 = 600.0;
const WAIT: Duration = Duration::from_secs(40);

/// 2005 is a phone that is always busy, 2006 one whose user declines.
const CONFIG: &str = r#"
[[users]]
extension = "2005"
password = "pw-2005-secret"
name = "Busy"

[[users]]
extension = "2006"
password = "pw-2006-secret"
name = "Declines"

[[queues]]
name = "support"
number = "7000"
wrap_up_s = 60

[[queues]]
name = "billing"
number = "7001"

[[agents]]
id = "bob"
extension = "2002"
queues = ["support"]

[[agents]]
id = "alice"
extension = "2004"
queues = ["billing"]

[[accounts]]
username = "bob"
password = "bob-password"
role = "agent"
agent = "bob"

[[accounts]]
username = "alice"
password = "alice-password"
role = "agent"
agent = "alice"
"#;

/// The switch and the page script, with the agents in `users` logged in on their pages and
/// signed in to their queues; None where the tools are missing.
fn start(test: &str, users: &[&str]) -> Option<(Switch, Driven)> {
    if let Some(why) = missing_tools() {
        testkit::cannot_run("browser", &why);
        return None;
    }
    if !switchboard_e2e::needs_sipp() {
        return None;
    }
    let switch = Switch::start(Options {
        extra_toml: CONFIG.to_string(),
        ..Options::default()
    })
    .expect("switch starts");
    let mut command = Command::new("node");
    command
        .arg(browser_dir().join("consult.mjs"))
        .env("SB_URL", format!("http://127.0.0.1:{}", switch.http_port))
        .env("SB_SHOTS", artifacts(test))
        .env("SB_CHROMIUM", CHROMIUM);
    let mut pages = Driven::spawn(command, "consult.mjs");
    for user in users {
        pages.tell(&format!("login {user} {user}-password"));
        pages.expect(&switch, &format!("READY {user}"), WAIT);
    }
    Some((switch, pages))
}

/// Tell the script `line` and wait for its answer `want`.
fn step(pages: &mut Driven, switch: &Switch, line: &str, want: &str) {
    pages.tell(line);
    pages.expect(switch, want, WAIT);
}

/// A phone at `ext` (password `pw-<ext>-secret`) that rings, then answers `status`.
fn refusing(switch: &Switch, ext: &str, status: &str) -> Sipp {
    let file = format!("refuse-{ext}.xml");
    let replace = [("STATUS", status)];
    let xml = switchboard_e2e::carriers::scenario_with(switch, "uas_reject.xml", &file, &replace)
        .expect("scenario");
    callee_as(switch, ext, &format!("pw-{ext}-secret"), &xml, &[]).expect("the phone registers")
}

/// The customer calls the queue and bob's phone answers: both talking, bob's page on the call.
fn customer_reaches_bob(
    switch: &Switch,
    pages: &mut Driven,
    customer: &mut Phone,
    agent: &mut Phone,
) -> (Sipp, Sipp) {
    let bob_phone = answering(switch, "2002", agent);
    let customer_sipp = calling(switch, "2001", "7000", customer);
    step(pages, switch, "on_call bob", "ON_CALL bob");
    customer.relay = Some(relay_port(&customer_sipp, customer.port(), switch));
    agent.relay = Some(relay_port(&bob_phone, agent.port(), switch));
    let both = [customer, agent];
    expect_talking(
        both,
        [CUSTOMER_HZ, AGENT_HZ],
        "customer and bob talk",
        switch,
    );
    (customer_sipp, bob_phone)
}

#[test]
fn the_agent_page_consults_conferences_and_completes_a_transfer() {
    let Some((switch, mut pages)) = start("browser_consult", &["bob"]) else {
        return;
    };
    let mut customer = Phone::new(CUSTOMER_HZ, Codec::Pcmu);
    let mut agent = Phone::new(AGENT_HZ, Codec::Pcmu);
    let mut third = Phone::new(THIRD_HZ, Codec::Pcmu);
    let third_phone = answering(&switch, "2003", &third);
    let (_customer_sipp, bob_phone) =
        customer_reaches_bob(&switch, &mut pages, &mut customer, &mut agent);

    // Consult: 2003 answers; bob and 2003 talk, the customer hears music, not 2003.
    let s = &switch;
    step(
        &mut pages,
        s,
        "consult bob 2003 billing question",
        "CONSULTED",
    );
    step(&mut pages, s, "state bob talking 2003", "STATE bob talking");
    third.relay = Some(relay_port(&third_phone, third.port(), s));
    let mut all = Consultation {
        phones: [&mut customer, &mut agent, &mut third],
        hz: [CUSTOMER_HZ, AGENT_HZ, THIRD_HZ],
    };
    all.expect_consulting(s);
    step(&mut pages, s, "axe bob consulting", "AXE bob");

    // Conference: everybody hears everybody.
    step(&mut pages, s, "press bob conference", "PRESSED");
    step(
        &mut pages,
        s,
        "state bob conference 2003",
        "STATE bob conference",
    );
    all.expect_conference(s);

    // Complete: bob's phone is hung up, his page goes to wrap-up; customer and 2003 talk.
    step(&mut pages, s, "press bob complete", "PRESSED");
    step(&mut pages, s, "last bob completed", "LAST bob completed");
    step(&mut pages, s, "wrap_up bob", "WRAP_UP bob");
    bob_phone
        .wait(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("bob's phone gets the switch's BYE: {e}"));
    all.expect_transferred(s);
    pages.tell("done");
    pages.expect(s, "PASSED", WAIT);
}

#[test]
fn the_agent_page_says_busy_and_declined_cancels_and_transfers_to_a_queue_with_the_reason() {
    let Some((switch, mut pages)) = start("browser_consult_queue", &["bob", "alice"]) else {
        return;
    };
    let s = &switch;
    let mut customer = Phone::new(CUSTOMER_HZ, Codec::Pcmu);
    let mut agent = Phone::new(AGENT_HZ, Codec::Pcmu);
    let third = Phone::new(THIRD_HZ, Codec::Pcmu);
    let mut alice = Phone::new(ALICE_HZ, Codec::Pcmu);
    let _busy_phone = refusing(s, "2005", "486 Busy Here");
    let _declining_phone = refusing(s, "2006", "603 Decline");
    let third_phone = answering(s, "2003", &third);
    let alice_phone = answering(s, "2004", &alice);
    let (_customer_sipp, bob_phone) =
        customer_reaches_bob(s, &mut pages, &mut customer, &mut agent);

    // A busy line, a declined call: the page says so and bob is back with the customer.
    step(&mut pages, s, "consult bob 2005 refund", "CONSULTED");
    step(&mut pages, s, "last bob busy", "LAST bob busy");
    step(&mut pages, s, "consult bob 2006 refund", "CONSULTED");
    step(&mut pages, s, "last bob declined", "LAST bob declined");

    // Consult 2003, then back to the customer.
    step(&mut pages, s, "consult bob 2003 refund", "CONSULTED");
    step(&mut pages, s, "state bob talking 2003", "STATE bob talking");
    step(&mut pages, s, "press bob cancel", "PRESSED");
    step(&mut pages, s, "last bob cancelled", "LAST bob cancelled");
    third_phone
        .wait(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("2003 gets the switch's BYE: {e}"));
    let both = [&mut customer, &mut agent];
    expect_talking(both, [CUSTOMER_HZ, AGENT_HZ], "back to the customer", s);

    // To the billing queue: transferred at once; alice's phone answers, her pop says who
    // sent the customer and why (in English, then in Korean); bob is done.
    step(
        &mut pages,
        s,
        "consult bob billing refund request",
        "CONSULTED",
    );
    step(
        &mut pages,
        s,
        "last bob transferred",
        "LAST bob transferred",
    );
    step(&mut pages, s, "wrap_up bob", "WRAP_UP bob");
    step(&mut pages, s, "pop alice bob refund request", "POP alice");
    step(&mut pages, s, "on_call alice", "ON_CALL alice");
    step(&mut pages, s, "axe alice transferred pop", "AXE alice");
    // In Korean: both pages say the same in ko.json's words.
    step(&mut pages, s, "lang bob ko", "LANG bob");
    step(
        &mut pages,
        s,
        "last bob transferred",
        "LAST bob transferred",
    );
    step(&mut pages, s, "lang alice ko", "LANG alice");
    step(&mut pages, s, "pop alice bob refund request", "POP alice");
    bob_phone
        .wait(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("bob's phone gets the switch's BYE: {e}"));
    alice.relay = Some(relay_port(&alice_phone, alice.port(), s));
    let both = [&mut customer, &mut alice];
    expect_talking(both, [CUSTOMER_HZ, ALICE_HZ], "customer and alice talk", s);
    pages.tell("done");
    pages.expect(s, "PASSED", WAIT);
}
