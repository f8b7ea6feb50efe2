//! Attended transfer from a phone end to end (issue 12): the real binary, SIPp for each phone's
//! signalling and the test's own sockets for their media (`tone_phone`), so what each person
//! hears is checked by frequency. Customer 2001 (1 kHz) calls agent 2002; the agent's SIPp
//! (`uas_attended_transfer.xml`) holds the customer, who hears the switch's hold chime, calls
//! colleague 2003 (770 Hz), then REFERs the customer's call with Replaces naming the
//! consultation. Afterwards customer and colleague hear each other, the agent is gone (its
//! scenario ends after the NOTIFY and two BYEs) and the customer's CDR names the transfer.
//! The same through queues (customer to `support`, consultation to `billing`): the colleague
//! agent stays on the call for the ACD after the join, and wraps up when the customer hangs up.

use media::g711::Codec;
use std::time::{Duration, Instant};
use switchboard_e2e::tone_phone::{hears, quiet, relay_port, sipp_logged as seen, talk, Phone};
use switchboard_e2e::{
    acd, callee_with, caller_running, password, scenario, wait_for_cdrs, Options, Sipp, Switch,
};

const CUSTOMER_HZ: f64 = 1000.0;
const COLLEAGUE_HZ: f64 = 770.0;
/// The notes of the switch's hold chime (`crates/switch/src/hold.rs`).
const CHIME_HZ: [f64; 3] = [523.0, 659.0, 784.0];

/// Copy of a scenario with each `(from, to)` replaced.
fn scenario_with(
    switch: &Switch,
    name: &str,
    out: &str,
    edits: &[(&str, String)],
) -> std::path::PathBuf {
    let mut xml = std::fs::read_to_string(scenario(name)).expect("scenario");
    for (from, to) in edits {
        assert!(xml.contains(from), "{name} has no {from:?}");
        xml = xml.replace(from, to);
    }
    let path = switch.dir.path().join(out);
    std::fs::write(&path, xml).expect("write scenario");
    path
}

/// Keep the phones talking until `peer` has seen `text` (bounded).
fn talk_until(phones: &mut [&mut Phone], peer: &Sipp, text: &str, switch: &Switch) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !seen(peer, text) {
        assert!(
            Instant::now() < deadline,
            "{} never saw {text:?}\n{}\n{}",
            peer.name,
            peer.logs(),
            switch.log_text()
        );
        talk(phones, 100);
    }
}

/// Agent bob (2002) takes `support` (7000) calls, agent carol (2003) `billing` (7001) ones.
const QUEUES: &str = r#"
[[queues]]
name = "support"
number = "7000"

[[queues]]
name = "billing"
number = "7001"
wrap_up_s = 60

[[agents]]
id = "bob"
extension = "2002"
queues = ["support"]

[[agents]]
id = "carol"
extension = "2003"
queues = ["billing"]
"#;

/// Who dials what: the customer calls `customer_dials` (the agent's extension or queue), the
/// agent consults `consults` (the colleague's extension or queue).
struct Shape {
    customer_dials: &'static str,
    consults: &'static str,
    /// Whether the customer on hold hears the switch's chime (a queue call hears the queue's
    /// music instead).
    chime: bool,
}

#[test]
fn a_phone_transfers_the_customer_to_a_colleague_after_talking_to_them() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let switch = Switch::start(Options::default()).expect("switch starts");
    let shape = Shape {
        customer_dials: "2002",
        consults: "2003",
        chime: true,
    };
    transfer(&switch, &shape, || {});
}

/// Both calls through queues: the customer reaches bob through `support`, bob's consultation
/// reaches carol through `billing`. After the join carol stays on the call for the ACD (she is
/// talking to the customer); her wrap-up starts when the customer hangs up.
#[test]
fn a_colleague_reached_through_a_queue_stays_on_call_after_the_transfer() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let switch = Switch::start(Options {
        extra_toml: QUEUES.to_string(),
        ..Options::default()
    })
    .expect("switch starts");
    for agent in ["bob", "carol"] {
        acd::login(&switch, agent).expect("agent signs in");
    }
    let shape = Shape {
        customer_dials: "7000",
        consults: "7001",
        chime: false,
    };
    transfer(&switch, &shape, || {
        let carol = acd::agent_view(&switch, "carol").expect("carol");
        assert_eq!(carol["state"], "on_call", "after the join: {carol}");
    });
    acd::wait_for_agent_state(&switch, "carol", "wrap_up", Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));
}

/// The customer calls, the agent's phone holds, consults and REFERs; after the join (and
/// `joined()`, while customer and colleague talk on) the two hear each other, then the customer
/// hangs up and the CDRs tell the transfer.
fn transfer(switch: &Switch, shape: &Shape, joined: impl FnOnce()) {
    let mut customer = Phone::new(CUSTOMER_HZ, Codec::Pcmu);
    let mut colleague = Phone::new(COLLEAGUE_HZ, Codec::Pcmu);

    let target = scenario_with(
        switch,
        "uas_answer_reinvite.xml",
        "colleague.xml",
        &[(
            "m=audio [media_port] RTP/AVP",
            format!("m=audio {} RTP/AVP", colleague.port()),
        )],
    );
    let colleague_sipp = callee_with(switch, "2003", &target, &[]).expect("colleague's phone");
    let agent_xml = scenario_with(
        switch,
        "uas_attended_transfer.xml",
        "agent.xml",
        &[("AGENT_EXT", "2002".to_string())],
    );
    let agent = callee_with(
        switch,
        "2002",
        &agent_xml,
        &["-au", "2002", "-ap", password("2002"), "-s", shape.consults],
    )
    .expect("agent's phone");
    let customer_xml = scenario_with(
        switch,
        "uac_hangup_after.xml",
        "customer.xml",
        &[(
            "m=audio [media_port] RTP/AVP 8 101\na=rtpmap:8 PCMA/8000",
            format!(
                "m=audio {} RTP/AVP 0 101\na=rtpmap:0 PCMU/8000",
                customer.port()
            ),
        )],
    );
    let dials = shape.customer_dials;
    let customer_sipp = caller_running(switch, "2001", dials, &customer_xml, &["-d", "16000"])
        .expect("customer's phone");
    customer.relay = Some(relay_port(&customer_sipp, customer.port(), switch));

    // The agent holds: the switch answers the hold itself and the customer hears its chime.
    talk_until(&mut [&mut customer], &agent, "a=recvonly", switch);
    let held = talk(&mut [&mut customer], 3000).remove(0);
    let chimes = held
        .chunks(3200)
        .filter(|block| CHIME_HZ.iter().any(|&f| hears(block, f)))
        .count();
    assert!(
        chimes >= 2 || !shape.chime,
        "the customer hears hold music: {chimes} blocks\n{}",
        switch.log_text()
    );

    // The colleague's phone answers the consultation; its media is the test's socket.
    colleague.relay = Some(relay_port(&colleague_sipp, colleague.port(), switch));
    // The agent REFERs; after the NOTIFY and the join the two hear each other.
    talk_until(
        &mut [&mut customer, &mut colleague],
        &agent,
        "NOTIFY",
        switch,
    );
    // The join's re-INVITE tells the colleague the customer's relay port: send there now.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(port) = second_relay_port(&colleague_sipp, colleague.port()) {
            colleague.relay = Some(port);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no join re-INVITE\n{}\n{}",
            colleague_sipp.logs(),
            switch.log_text()
        );
        talk(&mut [&mut customer, &mut colleague], 100);
    }
    talk(&mut [&mut customer, &mut colleague], 300);
    let heard = talk(&mut [&mut customer, &mut colleague], 1500);
    let (to_customer, to_colleague) = (&heard[0], &heard[1]);
    assert!(
        hears(to_customer, COLLEAGUE_HZ),
        "the customer hears the colleague\n{}",
        switch.log_text()
    );
    assert!(
        hears(to_colleague, CUSTOMER_HZ),
        "the colleague hears the customer"
    );
    assert!(
        CHIME_HZ.iter().all(|&f| quiet(to_customer, f)),
        "the hold music stopped"
    );
    agent
        .wait(Duration::from_secs(15))
        .unwrap_or_else(|e| panic!("the agent's phone: {e}\n{}", switch.log_text()));
    joined();

    // Keep talking until the customer hangs up; the colleague's phone gets the BYE.
    let until = Instant::now() + Duration::from_secs(25);
    while !seen(&colleague_sipp, "BYE sip") && Instant::now() < until {
        talk(&mut [&mut customer, &mut colleague], 500);
    }
    customer_sipp
        .wait(Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("customer: {e}\n{}", switch.log_text()));
    colleague_sipp
        .wait(Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("colleague: {e}\n{}", switch.log_text()));

    let cdrs = wait_for_cdrs(&switch.database_url, |c| {
        c.iter().filter(|c| c.ended_at.is_some()).count() >= 2
    })
    .expect("CDRs");
    let call = cdrs
        .iter()
        .find(|c| c.vars.contains_key("transferred_by"))
        .unwrap_or_else(|| panic!("the customer's CDR names the transfer: {cdrs:?}"));
    assert_eq!(
        call.vars.get("transfer").map(String::as_str),
        Some("attended")
    );
    assert_eq!(
        call.vars.get("transferred_by").map(String::as_str),
        Some("2002")
    );
    assert_eq!(
        call.vars.get("transferred_to").map(String::as_str),
        Some("2003")
    );
    assert!(
        cdrs.iter()
            .any(|c| c.vars.get("attended_transfer_into") == Some(&call.call_id)),
        "the consultation's CDR points at the customer's: {cdrs:?}"
    );
}

/// The relay port in the switch's re-INVITE to the colleague (the second `m=audio` the switch
/// sent it that is not the colleague's own port).
fn second_relay_port(peer: &Sipp, own: u16) -> Option<std::net::SocketAddr> {
    let text = std::fs::read_dir(&peer.dir)
        .ok()?
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with("_messages.log"))
        .and_then(|e| std::fs::read_to_string(e.path()).ok())?;
    let ports: Vec<u16> = text
        .lines()
        .filter_map(|l| l.strip_prefix("m=audio "))
        .filter_map(|r| r.split(' ').next()?.parse().ok())
        .filter(|&p| p != own)
        .collect();
    (ports.len() >= 2)
        .then(|| ports.last().copied())
        .flatten()
        .map(|p| std::net::SocketAddr::from(([127, 0, 0, 1], p)))
}
