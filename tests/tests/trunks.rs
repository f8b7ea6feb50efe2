//! SIP trunks end to end (issue 16), calls coming in: SIPp plays the carriers, each on its own
//! loopback address so the switch tells them apart by source. An IP-authenticated carrier's
//! customer calls a DID that rings an extension (tones both ways, heard in the recording, CDR
//! with trunk, DID and direction), goes through the IVR to an agent, or waits in a queue for one;
//! a stranger's INVITE is refused 407, an unknown DID 404, a trunk at its channel limit 503; the
//! trunk API checks, guards and stores what it is given. Calls out: trunks_out.rs.

use std::path::Path;
use std::time::Duration;
use switchboard_e2e::carriers::{
    carrier_call, carrier_call_playing, carrier_ip, refused_call, trunk_entry,
};
use switchboard_e2e::pcap::ToneStream;
use switchboard_e2e::tone::{blocks_with_tone, Wav};
use switchboard_e2e::trunk_suite::{
    agent_phone, answered_trunk_cdr, finish, json_as, post_json, start, with_log, AGENT_HZ, BLOCK,
    CUSTOMER, CUSTOMER_HZ, DID,
};
use switchboard_e2e::Switch;

fn inbound_config(recordings: &Path, max_channels: u32) -> String {
    format!(
        r#"
[recording]
record = "all"
dir = "{dir}"

[[trunks]]
name = "carrier-a"
host = "127.0.0.2"
sources = ["127.0.0.2"]
max_channels = {max_channels}
number_format = "national"

[[dids]]
number = "{DID}"
extension = "2002"
"#,
        dir = recordings.display()
    )
}

/// The stereo WAV of a recording row (caller left, callee right).
fn recording_channels(dir: &Path, row: &serde_json::Value) -> (Wav, Wav) {
    let file = row["file"].as_str().expect("recording file");
    let reader = hound::WavReader::open(dir.join(file)).expect("WAV opens");
    let samples: Vec<i16> = reader
        .into_samples::<i16>()
        .collect::<Result<_, _>>()
        .expect("samples");
    let channel = |c: usize| Wav {
        sample_rate: 8000,
        samples: samples.iter().skip(c).step_by(2).copied().collect(),
    };
    (channel(0), channel(1))
}

#[test]
fn a_carriers_customer_reaches_the_did_extension_and_both_are_heard_and_recorded() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let recordings = tempfile::tempdir().expect("temp dir");
    let switch = start(&inbound_config(recordings.path(), 10));
    let agent = agent_phone(&switch, "2002", 4).expect("agent phone");
    let customer = carrier_call(
        &switch,
        carrier_ip(2),
        DID,
        CUSTOMER,
        (CUSTOMER_HZ, 4),
        4000,
    )
    .expect("carrier call");
    finish(&switch, vec![(customer, 30), (agent, 10)]);
    let cdr = &answered_trunk_cdr(&switch);
    assert_eq!(cdr.direction, Some(crm::CallDirection::Inbound), "{cdr:#?}");
    assert_eq!(cdr.trunk.as_deref(), Some("carrier-a"));
    assert_eq!(cdr.did.as_deref(), Some(DID));
    assert_eq!(cdr.caller, "+821011112222", "the customer's number, E.164");
    let caller_leg = cdr
        .legs
        .iter()
        .find(|l| l.role == crm::LegRole::Caller)
        .expect("caller leg");
    assert!(caller_leg.peer.contains("127.0.0.2"), "{caller_leg:?}");

    // The recording holds the customer (left) and the agent (right), each their own tone.
    let row = switch.finished_recording(&cdr.call_id, Duration::from_secs(10));
    let (left, right) = recording_channels(recordings.path(), &row);
    let heard = |w: &Wav, hz| blocks_with_tone(w, BLOCK, hz);
    assert!(
        heard(&left, CUSTOMER_HZ) >= 40,
        "customer's 1 kHz on the left: {}",
        heard(&left, CUSTOMER_HZ)
    );
    assert!(
        heard(&right, AGENT_HZ) >= 40,
        "agent's 440 Hz on the right: {}",
        heard(&right, AGENT_HZ)
    );
    assert!(
        heard(&left, AGENT_HZ) < 5 && heard(&right, CUSTOMER_HZ) < 5,
        "channels crossed"
    );

    let entry = trunk_entry(&switch, "carrier-a").expect("trunk in the API");
    assert_eq!(entry["status"]["calls_in"], 1, "{entry}");
    assert_eq!(
        entry["status"]["channels"], 0,
        "released at the end: {entry}"
    );
    let metrics = switch.http_get("/metrics").expect("metrics");
    assert!(
        metrics.contains("switchboard_trunk_calls_in_total{trunk=\"carrier-a\"} 1"),
        "{metrics}"
    );
}

/// The bank's number runs a menu (a 2 kHz prompt; `1` for an agent) before the agent.
const MENU_PLAN: &str = r#"
[[route]]
number = "1588"

[[step]]
id = "answer"
type = "answer"

[[step]]
id = "menu"
type = "menu"
prompts = ["tone:2000:1500"]
options = { "1" = "agent" }
timeout = "5s"
max_attempts = 1
fallback = "bye"

[[step]]
id = "agent"
type = "dial"
extension = "2002"
ring_timeout = "10s"
on_failure = "bye"

[[step]]
id = "bye"
type = "hangup"
cause = "normal"
"#;

/// The issue's first scenario: a customer calls the bank's 1588 number through the carrier,
/// the IVR answers, the customer presses 1 (RFC 4733) and talks to the agent; both are heard
/// in the recording and the CDR says which trunk and DID.
#[test]
fn a_carriers_customer_goes_through_the_ivr_to_an_agent() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let recordings = tempfile::tempdir().expect("temp dir");
    let plans = tempfile::tempdir().expect("temp dir");
    std::fs::write(plans.path().join("bank.toml"), MENU_PLAN).expect("plan");
    let switch = start(&format!(
        r#"
[ivr]
dialplans = "{plans}"

[recording]
record = "all"
dir = "{dir}"

[[trunks]]
name = "carrier-a"
host = "127.0.0.2"
number_format = "national"

[[dids]]
number = "{DID}"
route = "1588"
"#,
        plans = plans.path().display(),
        dir = recordings.path().display()
    ));
    let agent = agent_phone(&switch, "2002", 5).expect("agent phone");
    // National form of +8215880000; `1` pressed 2 s after the answer.
    let stream = ToneStream::new(CUSTOMER_HZ, 9).key_at(2000, '1');
    let customer =
        carrier_call_playing(&switch, carrier_ip(2), "15880000", CUSTOMER, &stream, 8000)
            .expect("carrier call");
    finish(&switch, vec![(customer, 40), (agent, 10)]);
    let cdr = answered_trunk_cdr(&switch);
    assert_eq!(cdr.did.as_deref(), Some(DID), "{cdr:#?}");
    assert_eq!(cdr.trunk.as_deref(), Some("carrier-a"));
    assert_eq!(cdr.direction, Some(crm::CallDirection::Inbound));
    assert!(
        cdr.legs
            .iter()
            .any(|l| l.role == crm::LegRole::Callee && l.extension == "2002"),
        "the agent's leg: {:#?}",
        cdr.legs
    );
    let row = switch.finished_recording(&cdr.call_id, Duration::from_secs(10));
    let (left, right) = recording_channels(recordings.path(), &row);
    let customer_heard = blocks_with_tone(&left, BLOCK, CUSTOMER_HZ);
    let agent_heard = blocks_with_tone(&right, BLOCK, AGENT_HZ);
    assert!(
        customer_heard >= 40,
        "customer's 1 kHz on the left: {customer_heard}"
    );
    assert!(
        agent_heard >= 20,
        "agent's 440 Hz on the right: {agent_heard}"
    );
}

#[test]
fn strangers_get_407_unknown_dids_404_and_a_full_trunk_503() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let recordings = tempfile::tempdir().expect("temp dir");
    let switch = start(&inbound_config(recordings.path(), 1));
    // Not a trunk's address: today's answer to anyone without credentials.
    refused_call(&switch, carrier_ip(3), DID, CUSTOMER, 407)
        .map_err(with_log(&switch))
        .unwrap_or_else(|e| panic!("{e}"));
    // The carrier, but a number that is not ours.
    refused_call(&switch, carrier_ip(2), "+8215889999", CUSTOMER, 404)
        .map_err(with_log(&switch))
        .unwrap_or_else(|e| panic!("{e}"));
    // One channel: the first call holds it while a second is refused.
    let agent = agent_phone(&switch, "2002", 6).expect("agent phone");
    let first = carrier_call(
        &switch,
        carrier_ip(2),
        DID,
        CUSTOMER,
        (CUSTOMER_HZ, 6),
        6000,
    )
    .expect("first call");
    switchboard_e2e::wait_until(
        Duration::from_secs(10),
        "the first call on the trunk",
        || {
            trunk_entry(&switch, "carrier-a")
                .ok()
                .filter(|t| t["status"]["channels"] == 1)
        },
    )
    .map_err(with_log(&switch))
    .unwrap_or_else(|e| panic!("{e}"));
    refused_call(&switch, carrier_ip(2), DID, "01033334444", 503)
        .map_err(with_log(&switch))
        .unwrap_or_else(|e| panic!("{e}"));
    finish(&switch, vec![(first, 30), (agent, 10)]);
    let entry = trunk_entry(&switch, "carrier-a").expect("trunk");
    assert!(entry["status"]["refused"].as_u64() >= Some(1), "{entry}");
}

const SUPERVISOR_TOKEN: &str = "supervisor-token-0123456789abcdef0123456789";

/// The trunk API without carriers: checked bodies, admins only, stored across a restart (a
/// file trunk removed stays removed), the password kept but never shown.
#[test]
fn trunks_and_dids_managed_over_http_survive_a_restart() {
    let file = format!(
        r#"
[[trunks]]
name = "from-file"
host = "192.0.2.1"

[[dids]]
number = "{DID}"
extension = "2002"

[[accounts]]
username = "sup"
password = "sup-password"
role = "supervisor"
token = "{SUPERVISOR_TOKEN}"
"#
    );
    let mut switch = start(&file);
    let names = |switch: &Switch| -> Vec<String> {
        let (code, v) = post_json(switch, "GET", "/api/trunks", "");
        assert_eq!(code, 200, "{v}");
        v["trunks"]
            .as_array()
            .map(|l| {
                l.iter()
                    .map(|t| t["name"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(names(&switch), ["from-file"]);
    let (code, v) = json_as(&switch, SUPERVISOR_TOKEN, "GET", "/api/trunks", "");
    assert_eq!(code, 403, "supervisors do not see trunks: {v}");

    // Bad bodies: 400 with the field, nothing applied.
    let bad = r#"{"name":"x","host":"h","transport":"sctp"}"#;
    let (code, v) = post_json(&switch, "POST", "/api/trunks", bad);
    assert_eq!(code, 400, "{v}");
    assert_eq!(v["errors"][0]["field"], "transport", "{v}");
    let no_credentials = r#"{"name":"x","host":"h","register":true}"#;
    let (code, v) = post_json(&switch, "POST", "/api/trunks", no_credentials);
    assert_eq!(code, 400, "registers without credentials: {v}");
    let taken = r#"{"name":"from-file","host":"h"}"#;
    let (code, _) = post_json(&switch, "POST", "/api/trunks", taken);
    assert_eq!(code, 409, "the name exists");

    let new = r#"{"name":"carrier-x","host":"192.0.2.50","username":"u1",
                  "password":"pw-from-carrier","max_channels":4}"#;
    let (code, v) = post_json(&switch, "POST", "/api/trunks", new);
    assert_eq!(code, 201, "{v}");
    // A PUT without the password keeps it (what a GET shows can be sent back).
    let mut shown = v.clone();
    shown["max_channels"] = 8.into();
    let (code, v) = post_json(&switch, "PUT", "/api/trunks/carrier-x", &shown.to_string());
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["password_set"], true, "{v}");
    assert_eq!(v["max_channels"], 8, "{v}");
    let (code, v) = post_json(&switch, "DELETE", "/api/trunks/from-file", "");
    assert_eq!(code, 200, "{v}");
    let nowhere = r#"{"number":"+8215881111","queue":"nowhere"}"#;
    let (code, v) = post_json(&switch, "POST", "/api/dids", nowhere);
    assert_eq!(code, 400, "{v}");
    assert_eq!(v["errors"][0]["field"], "queue", "{v}");
    let did = r#"{"number":"+8215881111","route":"1588"}"#;
    let (code, v) = post_json(&switch, "POST", "/api/dids", did);
    assert_eq!(code, 201, "{v}");
    let (code, v) = post_json(
        &switch,
        "PUT",
        "/api/dids/+8215881111",
        r#"{"extension":"2003"}"#,
    );
    assert_eq!(code, 200, "{v}");

    switch.restart().expect("restart");
    assert_eq!(
        names(&switch),
        ["carrier-x"],
        "stored trunks over the file's, the removal kept"
    );
    let (_, v) = post_json(&switch, "GET", "/api/trunks", "");
    let x = &v["trunks"][0];
    assert_eq!(x["max_channels"], 8, "{x}");
    assert_eq!(x["password_set"], true, "{x}");
    let (_, dids) = post_json(&switch, "GET", "/api/dids", "");
    let list = dids["dids"].as_array().cloned().unwrap_or_default();
    assert!(
        list.iter()
            .any(|d| d["number"] == "+8215881111" && d["extension"] == "2003"),
        "{dids}"
    );
    assert!(
        list.iter().any(|d| d["number"] == DID),
        "the file's DID stays: {dids}"
    );
    assert!(
        !switch.log_text().contains("pw-from-carrier"),
        "a password was logged"
    );
}

/// A DID straight to a queue: the carrier's customer waits, agent a2003 answers; the call is a
/// customer call in every sense (queue events and CDR link, contact history by the customer's
/// number), with the trunk, DID and direction on its CDR.
#[test]
fn a_did_to_a_queue_is_answered_by_an_agent_and_filed_for_the_customer() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let switch = start(
        r#"
[[queues]]
name = "loans"
number = "7001"

[[agents]]
id = "a2003"
name = "Carol"
extension = "2003"
queues = ["loans"]

[[trunks]]
name = "carrier-a"
host = "127.0.0.2"

[[dids]]
number = "+82227001000"
queue = "loans"
"#,
    );
    switchboard_e2e::acd::login(&switch, "a2003").expect("agent logs in");
    let agent = switchboard_e2e::acd::answering_agent(&switch, "2003", 1, Duration::from_secs(2))
        .expect("agent phone");
    // The carrier sends the DID in national form (an E.164 trunk would send 82227001000).
    let customer = carrier_call(
        &switch,
        carrier_ip(2),
        "0227001000",
        "01055556666",
        (CUSTOMER_HZ, 6),
        8000,
    )
    .expect("carrier call");
    // The agent hangs up after 2 s and the switch hangs up the customer, whose scenario meant
    // to hang up itself: only the agent's run must succeed.
    finish(&switch, vec![(agent, 30)]);
    drop(customer);
    let calls = switchboard_e2e::acd::queue_calls(&switch, 1).expect("queue call");
    let call = &calls[0];
    assert_eq!(call.agent(), Some("a2003"), "{:?}", call.summary());
    assert_eq!(call.cdr.queue.as_deref(), Some("loans"));
    assert_eq!(call.cdr.trunk.as_deref(), Some("carrier-a"));
    assert_eq!(call.cdr.did.as_deref(), Some("+82227001000"));
    assert_eq!(call.cdr.direction, Some(crm::CallDirection::Inbound));
    assert_eq!(call.cdr.caller, "+821055556666");
    let history = switchboard_e2e::wait_until(Duration::from_secs(10), "a contact row", || {
        let (code, body) = switch
            .http("GET", "/api/contacts?number=%2B821055556666")
            .ok()?;
        (code == 200 && body.contains("a2003")).then_some(body)
    })
    .map_err(with_log(&switch))
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(history.contains("voice_inbound"), "{history}");
}
