//! Consult, conference and transfer from the agent's API end to end (issue 12): the real
//! binary, SIPp for each phone's signalling and the test's own sockets for their media
//! (`tone_phone.rs`), so what each person hears is checked by frequency: customer 2001 plays
//! 1 kHz, agent bob at 2002 plays 440 Hz, the consulted extension 2003 plays 770 Hz.

use media::g711::Codec;
use std::time::Duration;
use switchboard_e2e::carriers::{carrier_ip, carrier_uas, scenario_with};
use switchboard_e2e::http_client::{HttpResponse, Session};
use switchboard_e2e::tone_phone::scenario_at;
use switchboard_e2e::tone_phone::{answering, calling, expect_talking, sipp_logged};
use switchboard_e2e::tone_phone::{hears, quiet, relay_port, talk, Consultation, Phone};
use switchboard_e2e::{callee_with, free_port, scenario, Options, Sipp, Switch};

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

/// The customer calls bob, who answers; both phones' relay ports learnt and their talk
/// checked. Returns bob's phone and the customer's SIPp.
fn customer_talks_with_bob(
    switch: &Switch,
    customer: &mut Phone,
    agent: &mut Phone,
) -> (Sipp, Sipp) {
    let bob_phone = answering(switch, "2002", agent);
    let customer_sipp = calling(switch, "2001", "2002", customer);
    customer.relay = Some(relay_port(&customer_sipp, customer.port(), switch));
    agent.relay = Some(relay_port(&bob_phone, agent.port(), switch));
    let two = [customer, agent];
    expect_talking(
        two,
        [CUSTOMER_HZ, AGENT_HZ],
        "customer and bob talk",
        switch,
    );
    (bob_phone, customer_sipp)
}

/// The switch with [`CONFIG`] (and more in `extra_toml`), bob logged in to its API.
fn switch_with_bob(extra_toml: String) -> (Switch, Session) {
    let switch = Switch::start(Options {
        extra_toml,
        ..Options::default()
    })
    .expect("switch starts");
    let bob = Session::login(&switch, "bob", "bob-password").expect("bob logs in");
    (switch, bob)
}

/// Bob's `POST /api/agents/bob/{path}`.
fn bob_posts(switch: &Switch, bob: &Session, path: &str, body: &str) -> HttpResponse {
    bob.send(switch, "POST", &format!("/api/agents/bob/{path}"), body)
        .expect("request")
}

/// Bob completes the transfer: his phone gets the switch's BYE; then the customer and the
/// third party hear each other and bob is gone.
fn bob_completes(switch: &Switch, bob: &Session, bob_phone: Sipp, all: &mut Consultation) {
    let r = bob_posts(switch, bob, "consult/complete", "");
    assert_eq!(r.status, 200, "{}", r.body);
    bob_phone
        .wait(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("bob's phone gets the switch's BYE: {e}"));
    all.expect_transferred(switch);
}

#[test]
fn consult_conference_and_complete_rewire_who_hears_whom() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let (switch, bob) = switch_with_bob(CONFIG.to_string());
    let post = |path: &str, body: &str| bob_posts(&switch, &bob, path, body);

    let r = post("consult", r#"{"target":"2003","reason":"billing"}"#);
    assert_eq!(r.status, 409, "not on a call yet: {}", r.body);
    assert!(r.body.contains("not_on_call"), "{}", r.body);

    let mut customer = Phone::new(CUSTOMER_HZ, Codec::Pcmu);
    let mut agent = Phone::new(AGENT_HZ, Codec::Pcmu);
    let mut third = Phone::new(THIRD_HZ, Codec::Pcmu);
    let third_phone = answering(&switch, "2003", &third);
    let (bob_phone, customer_sipp) = customer_talks_with_bob(&switch, &mut customer, &mut agent);

    // Consult: bob and 2003 talk, the customer hears neither.
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
    bob_completes(&switch, &bob, bob_phone, &mut all);
    let status = bob
        .send(&switch, "GET", "/api/agents/bob/consult", "")
        .expect("status");
    assert!(status.body.contains("\"completed\""), "{}", status.body);
    drop(third_phone);
    drop(customer_sipp);
}

/// An outside number (issue 12): bob types it as click-to-dial takes it; the switch calls it
/// over the trunk (SIPp plays the carrier on 127.0.0.9, its media the test's 770 Hz socket);
/// bob and the carrier's party talk while the customer hears neither; on complete the customer
/// and the carrier's party hear each other and bob is gone.
#[test]
fn consulting_an_outside_number_goes_over_the_trunk_and_complete_leaves_the_customer_with_it() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let port = free_port();
    let trunk = format!(
        "{CONFIG}\n[[trunks]]\nname = \"carrier-x\"\nhost = \"127.0.0.9\"\nport = {port}\n"
    );
    let (switch, bob) = switch_with_bob(trunk);
    let post = |path: &str, body: &str| bob_posts(&switch, &bob, path, body);
    let mut customer = Phone::new(CUSTOMER_HZ, Codec::Pcmu);
    let mut agent = Phone::new(AGENT_HZ, Codec::Pcmu);
    let mut outside = Phone::new(THIRD_HZ, Codec::Pcmu);
    // The carrier answers with media at the test's socket on the phones' address.
    let media = format!(
        "m=audio {} RTP/AVP 0 101\na=rtpmap:0 PCMU/8000",
        outside.port()
    );
    let script = scenario_with(
        &switch,
        "uas_answer.xml",
        "carrier_consult.xml",
        &[
            ("c=IN IP[media_ip_type] [media_ip]", "c=IN IP4 127.0.0.1"),
            (
                "m=audio [media_port] RTP/AVP 8 101\na=rtpmap:8 PCMA/8000",
                &media,
            ),
        ],
    )
    .expect("carrier scenario");
    let carrier = carrier_uas(&switch, carrier_ip(9), port, &script, 1, &[]).expect("carrier");
    let (bob_phone, customer_sipp) = customer_talks_with_bob(&switch, &mut customer, &mut agent);

    let r = post("consult", r#"{"target":"112","reason":"x"}"#);
    assert_eq!(r.status, 403, "emergency is denied: {}", r.body);
    assert!(r.body.contains("number_denied"), "{}", r.body);
    let r = post("consult", r#"{"target":"010-5555 1234","reason":"lender"}"#);
    assert_eq!(r.status, 202, "{}\n{}", r.body, switch.log_text());
    outside.relay = Some(relay_port(&carrier, outside.port(), &switch));
    assert!(
        sipp_logged(&carrier, "1055551234@"),
        "the carrier is asked for the number\n{}",
        carrier.logs()
    );
    let mut all = Consultation {
        phones: [&mut customer, &mut agent, &mut outside],
        hz: [CUSTOMER_HZ, AGENT_HZ, THIRD_HZ],
    };
    all.expect_consulting(&switch);

    bob_completes(&switch, &bob, bob_phone, &mut all);
    drop(carrier);
    drop(customer_sipp);
}

/// A click-to-dial call (issue 12): bob clicks to dial 2001, so his phone is the call's first
/// leg (side A) and the customer the second; consulting 2003 pairs the third party with
/// bob's side (the customer hears neither, but the switch's music: the relay plays to side B
/// for it), and complete hangs up bob's own leg and leaves the customer with 2003.
#[test]
fn consulting_from_a_click_to_dial_call_works_with_the_sides_swapped() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let (switch, bob) = switch_with_bob(CONFIG.to_string());
    let mut customer = Phone::new(CUSTOMER_HZ, Codec::Pcmu);
    let mut agent = Phone::new(AGENT_HZ, Codec::Pcmu);
    let mut third = Phone::new(THIRD_HZ, Codec::Pcmu);
    let bob_phone = answering(&switch, "2002", &agent);
    let customer_phone = answering(&switch, "2001", &customer);
    let third_phone = answering(&switch, "2003", &third);
    let r = bob_posts(&switch, &bob, "dial", r#"{"number":"2001"}"#);
    assert_eq!(r.status, 202, "{}\n{}", r.body, switch.log_text());
    agent.relay = Some(relay_port(&bob_phone, agent.port(), &switch));
    customer.relay = Some(relay_port(&customer_phone, customer.port(), &switch));
    let two = [&mut customer, &mut agent];
    expect_talking(
        two,
        [CUSTOMER_HZ, AGENT_HZ],
        "customer and bob talk",
        &switch,
    );

    let r = bob_posts(&switch, &bob, "consult", r#"{"target":"support"}"#);
    assert_eq!(r.status, 409, "a placed call goes to no queue: {}", r.body);
    assert!(r.body.contains("queue_from_placed_call"), "{}", r.body);
    let r = bob_posts(
        &switch,
        &bob,
        "consult",
        r#"{"target":"2003","reason":"tax"}"#,
    );
    assert_eq!(r.status, 202, "{}\n{}", r.body, switch.log_text());
    third.relay = Some(relay_port(&third_phone, third.port(), &switch));
    let mut all = Consultation {
        phones: [&mut customer, &mut agent, &mut third],
        hz: [CUSTOMER_HZ, AGENT_HZ, THIRD_HZ],
    };
    all.expect_consulting(&switch);
    // The customer (side B) hears what the switch plays while bob consults: no music is set
    // for this call, so the ringback (440+480 Hz, 2 s on, 4 s off): some 400 ms has it.
    let heard = talk(&mut all.phones, 6500);
    assert!(
        heard[0].chunks(3200).any(|block| hears(block, 480.0)),
        "the customer hears the switch's ringback\n{}",
        switch.log_text()
    );
    bob_completes(&switch, &bob, bob_phone, &mut all);
    drop(third_phone);
    drop(customer_phone);
}

/// Recording (issue 12): on a recorded call the consultation is recorded apart, a recording of
/// the third party's CDR (found through the recordings API) with bob on the left channel and
/// 2003 on the right, and nobody else in it.
#[test]
fn a_recorded_calls_consultation_has_its_own_recording_agent_left_third_party_right() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let rec = tempfile::tempdir().expect("temp dir");
    let dir = rec.path().join("recordings");
    let config = format!(
        "{CONFIG}\n[recording]\nrecord = \"all\"\ndir = \"{}\"\n",
        dir.display()
    );
    let (switch, bob) = switch_with_bob(config);
    let mut customer = Phone::new(CUSTOMER_HZ, Codec::Pcmu);
    let mut agent = Phone::new(AGENT_HZ, Codec::Pcmu);
    let mut third = Phone::new(THIRD_HZ, Codec::Pcmu);
    let third_phone = answering(&switch, "2003", &third);
    let (bob_phone, customer_sipp) = customer_talks_with_bob(&switch, &mut customer, &mut agent);
    let r = bob_posts(&switch, &bob, "consult", r#"{"target":"2003"}"#);
    assert_eq!(r.status, 202, "{}", r.body);
    third.relay = Some(relay_port(&third_phone, third.port(), &switch));
    let mut all = Consultation {
        phones: [&mut customer, &mut agent, &mut third],
        hz: [CUSTOMER_HZ, AGENT_HZ, THIRD_HZ],
    };
    all.expect_consulting(&switch);
    bob_completes(&switch, &bob, bob_phone, &mut all);

    let cdrs = switchboard_e2e::wait_for_cdrs(&switch.database_url, |c| {
        c.iter().any(|c| c.caller == "2002" && c.callee == "2003")
    })
    .expect("CDRs");
    let consult_cdr = cdrs
        .iter()
        .find(|c| c.caller == "2002" && c.callee == "2003")
        .map(|c| c.call_id.clone())
        .unwrap_or_else(|| panic!("the consultation's CDR in {cdrs:#?}"));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let row = loop {
        let (code, body) = switch
            .http("GET", &format!("/api/cdrs/{consult_cdr}/recordings"))
            .expect("recordings");
        let list: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let done = list.as_array().and_then(|l| {
            l.iter()
                .find(|r| r["status"] == "complete" || r["status"] == "failed")
                .cloned()
        });
        if let Some(row) = done {
            break row;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no finished recording of {consult_cdr}: {code} {body}\n{}",
            switch.log_text()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(row["status"], "complete", "{row}");
    let file = dir.join(row["file"].as_str().unwrap_or_default());
    let wav = hound::WavReader::open(&file).expect("the recording's file");
    assert_eq!(wav.spec().channels, 2);
    let samples: Vec<i16> = wav.into_samples::<i16>().map(|s| s.unwrap_or(0)).collect();
    let left: Vec<i16> = samples.iter().step_by(2).copied().collect();
    let right: Vec<i16> = samples.iter().skip(1).step_by(2).copied().collect();
    assert!(hears(&left, AGENT_HZ), "bob on the left");
    assert!(hears(&right, THIRD_HZ), "2003 on the right");
    assert!(quiet(&left, THIRD_HZ) && quiet(&right, AGENT_HZ), "apart");
    assert!(
        quiet(&left, CUSTOMER_HZ) && quiet(&right, CUSTOMER_HZ),
        "the customer is not in it"
    );
    drop(third_phone);
    drop(customer_sipp);
}

/// The notes of the switch's hold chime (`crates/switch/src/hold.rs`).
const CHIME_HZ: [f64; 3] = [523.0, 659.0, 784.0];

/// Hold from the agent's own phone on a click-to-dial call (issue 12): bob's phone is side A
/// (`uas_hold_resume.xml`: talks 3 s, holds 4 s, resumes, talks 3 s, hangs up) and the
/// customer side B; the switch answers the hold itself and the customer hears its chime (no
/// music is set for the call), not bob; after the resume they talk again.
#[test]
fn an_agents_phone_holding_a_placed_call_gives_the_customer_the_switchs_chime() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let (switch, bob) = switch_with_bob(CONFIG.to_string());
    let mut customer = Phone::new(CUSTOMER_HZ, Codec::Pcmu);
    let mut agent = Phone::new(AGENT_HZ, Codec::Pcmu);
    let uas = scenario_at(
        &switch,
        &scenario("uas_hold_resume.xml"),
        "agent-hold.xml",
        "m=audio [media_port] RTP/AVP 0 101",
        &format!("m=audio {} RTP/AVP 0 101", agent.port()),
    );
    let bob_phone = callee_with(&switch, "2002", &uas, &[]).expect("bob's phone");
    let customer_phone = answering(&switch, "2001", &customer);
    let r = bob_posts(&switch, &bob, "dial", r#"{"number":"2001"}"#);
    assert_eq!(r.status, 202, "{}\n{}", r.body, switch.log_text());
    agent.relay = Some(relay_port(&bob_phone, agent.port(), &switch));
    customer.relay = Some(relay_port(&customer_phone, customer.port(), &switch));
    let heard = talk(&mut [&mut customer, &mut agent], 9000);
    // Per 400 ms: (the chime, bob).
    let blocks: Vec<(bool, bool)> = heard[0]
        .chunks(3200)
        .map(|b| (CHIME_HZ.iter().any(|&f| hears(b, f)), hears(b, AGENT_HZ)))
        .collect();
    let log = switch.log_text();
    let first = (blocks.iter().position(|b| b.0))
        .unwrap_or_else(|| panic!("the customer hears the chime: {blocks:?}\n{log}"));
    let last = blocks.iter().rposition(|b| b.0).unwrap_or(first);
    assert!(
        blocks[..first].iter().any(|b| b.1),
        "bob before the hold: {blocks:?}"
    );
    assert!(
        blocks[first + 1..last].iter().all(|b| !b.1),
        "not bob while held: {blocks:?}"
    );
    assert!(
        blocks[last + 1..].iter().any(|b| b.1 && !b.0),
        "bob again after the resume: {blocks:?}"
    );
    bob_phone
        .wait(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("bob's phone held, resumed and hung up: {e}\n{log}"));
    drop(customer_phone);
}
