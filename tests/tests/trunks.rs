//! SIP trunks end to end (issue 16), with SIPp playing the carriers, each on its own loopback
//! address so the switch tells them apart by source: an IP-authenticated carrier's customer
//! calls a DID that rings an extension (tones both ways, heard in the recording, CDR with trunk,
//! DID and direction); a stranger's INVITE is refused 407 and an unknown DID 404; a trunk at its
//! channel limit answers 503; an agent calls out (`9` + number) over a carrier that wants
//! registration (401) and challenges the INVITE (407), configured through the HTTP API; a
//! carrier answering 503 fails over to the next; a carrier that restarts and forgets us gets
//! registered again; a DID to a queue is answered by an agent and filed for the customer; the
//! trunk API checks, guards and stores what it is given.

use std::path::Path;
use std::time::Duration;
use switchboard_e2e::carriers::{
    carrier_call, carrier_ip, carrier_uas, challenging_scenario, refused_call, scenario_with,
    trunk_entry, wait_for_registration,
};
use switchboard_e2e::pcap::{tone_scenario, write_tone_pcap, ToneStream};
use switchboard_e2e::tone::{blocks_with_tone, Wav};
use switchboard_e2e::{
    callee_with, free_media_port, free_port, password, sipp, wait_for_cdrs, Options, Sipp, Switch,
};

const CUSTOMER_HZ: f64 = 1000.0;
const AGENT_HZ: f64 = 440.0;
/// 50 ms at 8 kHz: whole cycles of both tones (as tests/tests/recording.rs).
const BLOCK: usize = 400;
/// The bank's number the carrier delivers, and the customer calling it.
const DID: &str = "+8215880000";
const CUSTOMER: &str = "01011112222";

fn with_log(switch: &Switch) -> impl Fn(anyhow::Error) -> anyhow::Error + '_ {
    move |e| anyhow::anyhow!("{e}\n--- switch log ---\n{}", switch.log_text())
}

/// Wait for each SIPp peer to succeed (in order, each within its seconds); a failure panics
/// with the switch's log.
fn finish(switch: &Switch, peers: Vec<(Sipp, u64)>) {
    for (peer, secs) in peers {
        peer.wait(Duration::from_secs(secs))
            .map_err(with_log(switch))
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

/// The answered trunk call's CDR, once it has ended.
fn answered_trunk_cdr(switch: &Switch) -> crm::Cdr {
    let cdrs = wait_for_cdrs(&switch.database_url, |c| {
        c.iter().any(|c| c.ended_at.is_some() && c.trunk.is_some())
    })
    .expect("CDRs");
    let cdr = cdrs.into_iter().next().expect("a CDR");
    assert_eq!(
        cdr.disposition,
        Some(crm::Disposition::Answered),
        "{cdr:#?}"
    );
    cdr
}

/// A switch with `extra` configuration (trunks, DIDs, dialplans...), country code 82.
fn start(extra: &str) -> Switch {
    start_with(extra, "")
}

/// [`start`] with `sip_extra` keys in `[sip]`.
fn start_with(extra: &str, sip_extra: &str) -> Switch {
    let options = Options {
        database_extra: "default_country_code = \"82\"".into(),
        sip_extra: sip_extra.to_string(),
        extra_toml: extra.to_string(),
        ..Options::default()
    };
    Switch::start(options).expect("switch starts")
}

/// The agent's phone at `ext`: answers, plays 440 Hz for `tone_s` and waits for the BYE.
fn agent_phone(switch: &Switch, ext: &str, tone_s: u32) -> anyhow::Result<Sipp> {
    let dir = switch.dir.path();
    let pcap = dir.join(format!("agent-{tone_s}s.pcap"));
    write_tone_pcap(&pcap, &ToneStream::new(AGENT_HZ, tone_s))?;
    let uas = tone_scenario(dir, "uas_tone.xml", &pcap)?;
    callee_with(switch, ext, &uas, &[])
}

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

/// Agents call out: `9` + number over carrier-r (registering), `8` + number over carrier-b,
/// then carrier-c, `7` + number over carrier-d (a name in DNS).
const OUT_PLAN: &str = r#"
[[route]]
prefix = "9"
step = "registered"

[[route]]
prefix = "8"
step = "failover"

[[route]]
prefix = "7"
step = "named"

[[step]]
id = "named"
type = "dial"
extension = "trunk:carrier-d/${number}"
ring_timeout = "20s"
on_failure = "failed"

[[step]]
id = "registered"
type = "dial"
extension = "trunk:carrier-r/${number}"
ring_timeout = "20s"
on_failure = "failed"

[[step]]
id = "failover"
type = "dial"
extension = "trunk:carrier-b|carrier-c/${number}"
ring_timeout = "20s"
on_failure = "failed"

[[step]]
id = "failed"
type = "hangup"
cause = "unavailable"
"#;

/// A switch with [`OUT_PLAN`] and `extra` configuration.
fn start_with_out_plan(extra: &str) -> (Switch, tempfile::TempDir) {
    start_with_out_plan_and_sip(extra, "")
}

/// [`start_with_out_plan`] with `sip_extra` keys in `[sip]`.
fn start_with_out_plan_and_sip(extra: &str, sip_extra: &str) -> (Switch, tempfile::TempDir) {
    let plans = tempfile::tempdir().expect("temp dir");
    std::fs::write(plans.path().join("out.toml"), OUT_PLAN).expect("plan written");
    let extra = format!("[ivr]\ndialplans = \"{}\"\n{extra}", plans.path().display());
    (start_with(&extra, sip_extra), plans)
}

/// Agent 2001 dials `number` (authenticated as an extension), plays 440 Hz for `talk_ms` after
/// the answer and hangs up.
fn agent_calls_out(switch: &Switch, number: &str, talk_ms: u64) -> anyhow::Result<Sipp> {
    let dir = switch.dir.path();
    let pcap = dir.join("agent-out.pcap");
    write_tone_pcap(&pcap, &ToneStream::new(AGENT_HZ, 3))?;
    let uac = tone_scenario(dir, "uac_tone.xml", &pcap)?;
    let port = free_port().to_string();
    let media = free_media_port().to_string();
    let talk = talk_ms.to_string();
    sipp(
        switch,
        &format!("agent-out-{number}"),
        &uac,
        &[
            "-s",
            number,
            "-au",
            "2001",
            "-ap",
            password("2001"),
            "-key",
            "caller",
            "2001",
            "-p",
            &port,
            "-mp",
            &media,
            "-m",
            "1",
            "-d",
            &talk,
        ],
    )
}

fn post_json(switch: &Switch, method: &str, path: &str, body: &str) -> (u16, serde_json::Value) {
    json_as(switch, switchboard_e2e::ADMIN_TOKEN, method, path, body)
}

/// A JSON request with the bearer `token`: (status, body as JSON, Null when it is not).
fn json_as(
    switch: &Switch,
    token: &str,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, serde_json::Value) {
    let r = switchboard_e2e::http_client::request(
        switch.http_port,
        method,
        path,
        &[
            ("Authorization", &format!("Bearer {token}")),
            ("Content-Type", "application/json"),
        ],
        body.as_bytes(),
    )
    .expect("HTTP request");
    (r.status, serde_json::from_str(&r.body).unwrap_or_default())
}

/// A carrier trunk that registers, added through the API.
fn registering_trunk(name: &str, ip: std::net::IpAddr, port: u16) -> String {
    format!(
        r#"{{"name":"{name}","host":"{ip}","port":{port},"register":true,"expiry":"3600s",
            "username":"bank01","password":"carrier-secret-1"}}"#
    )
}

#[test]
fn an_agent_calls_out_over_a_carrier_that_wants_registration_and_challenges_the_invite() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let (switch, _plans) = start_with_out_plan("");
    let port = free_port();
    let script =
        challenging_scenario(&switch, "bank01", "carrier-secret-1", 3600).expect("scenario");
    // Two SIPp calls: our REGISTER dialog, then our INVITE dialog.
    let carrier =
        carrier_uas(&switch, carrier_ip(4), port, &script, 2, &["-rtp_echo"]).expect("carrier");
    let (code, shown) = post_json(
        &switch,
        "POST",
        "/api/trunks",
        &registering_trunk("carrier-r", carrier_ip(4), port),
    );
    assert_eq!(code, 201, "{shown}");
    assert_eq!(shown["password_set"], true, "{shown}");
    assert!(
        !shown.to_string().contains("carrier-secret-1"),
        "password shown: {shown}"
    );
    wait_for_registration(&switch, "carrier-r", "registered", Duration::from_secs(15))
        .unwrap_or_else(|e| panic!("{e}\n{}", carrier.logs()));

    let agent = agent_calls_out(&switch, "901012345678", 3000).expect("agent calls");
    agent
        .wait(Duration::from_secs(30))
        .map_err(with_log(&switch))
        .unwrap_or_else(|e| panic!("{e}\n--- carrier ---\n{}", carrier.logs()));
    finish(&switch, vec![(carrier, 15)]);
    let cdr = &answered_trunk_cdr(&switch);
    assert_eq!(
        cdr.direction,
        Some(crm::CallDirection::Outbound),
        "{cdr:#?}"
    );
    assert_eq!(cdr.trunk.as_deref(), Some("carrier-r"));
    assert_eq!(
        cdr.dialled.as_deref(),
        Some("+821012345678"),
        "E.164 by default"
    );
    // The carrier echoed the agent's audio back through the relay (counted as calls end).
    switchboard_e2e::wait_until(Duration::from_secs(5), "the carrier's audio back", || {
        (switch.status_field("rtp_packets_b_to_a") > 20).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}"));

    let metrics = switch.http_get("/metrics").expect("metrics");
    assert!(
        metrics
            .contains("switchboard_trunk_registration{trunk=\"carrier-r\",state=\"registered\"} 1"),
        "{metrics}"
    );
    let (_, audit) = switch.http("GET", "/api/audit").expect("audit");
    assert!(
        audit.contains("trunk.create") && audit.contains("carrier-r"),
        "{audit}"
    );
    assert!(
        !audit.contains("carrier-secret-1"),
        "password audited: {audit}"
    );
}

#[test]
fn a_carrier_answering_503_fails_over_to_the_next_trunk() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let (port_b, port_c) = (free_port(), free_port());
    let trunks = format!(
        r#"
[[trunks]]
name = "carrier-b"
host = "127.0.0.5"
port = {port_b}

[[trunks]]
name = "carrier-c"
host = "127.0.0.6"
port = {port_c}
number_format = "national"
"#
    );
    let (switch, _plans) = start_with_out_plan(&trunks);
    let busy = scenario_with(
        &switch,
        "uas_reject.xml",
        "carrier_503.xml",
        &[("STATUS", "503 Service Unavailable")],
    )
    .expect("scenario");
    let carrier_b = carrier_uas(&switch, carrier_ip(5), port_b, &busy, 1, &[]).expect("carrier-b");
    let answer = switchboard_e2e::scenario("uas_answer.xml");
    let carrier_c =
        carrier_uas(&switch, carrier_ip(6), port_c, &answer, 1, &["-rtp_echo"]).expect("carrier-c");
    let agent = agent_calls_out(&switch, "8021234567", 2000).expect("agent calls");
    finish(&switch, vec![(agent, 30), (carrier_b, 15), (carrier_c, 15)]);
    let cdr = &answered_trunk_cdr(&switch);
    assert_eq!(
        cdr.trunk.as_deref(),
        Some("carrier-c"),
        "the trunk that carried it"
    );
    assert_eq!(
        cdr.dialled.as_deref(),
        Some("021234567"),
        "carrier-c's national form"
    );
    assert_eq!(cdr.direction, Some(crm::CallDirection::Outbound));
}

#[test]
fn a_carrier_that_restarts_and_forgets_us_gets_a_new_registration() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let switch = start("");
    let port = free_port();
    // The first carrier grants 4 s: we refresh after about 3 s, by then talking to its
    // successor on the same address, which knows nothing of us and challenges again.
    let short = challenging_scenario(&switch, "bank01", "carrier-secret-1", 4).expect("scenario");
    let first = carrier_uas(&switch, carrier_ip(7), port, &short, 1, &[]).expect("carrier");
    let (code, shown) = post_json(
        &switch,
        "POST",
        "/api/trunks",
        &registering_trunk("carrier-r", carrier_ip(7), port),
    );
    assert_eq!(code, 201, "{shown}");
    finish(&switch, vec![(first, 15)]);
    let long = challenging_scenario(&switch, "bank01", "carrier-secret-1", 3600).expect("scenario");
    let restarted = carrier_uas(&switch, carrier_ip(7), port, &long, 1, &[]).expect("carrier");
    finish(&switch, vec![(restarted, 20)]);
    let entry =
        switchboard_e2e::wait_until(Duration::from_secs(5), "the long registration", || {
            trunk_entry(&switch, "carrier-r")
                .ok()
                .filter(|t| t["status"]["expires_in_s"].as_u64() > Some(600))
        })
        .map_err(with_log(&switch))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(entry["status"]["registration"], "registered", "{entry}");
    assert!(
        switch.log_text().contains("trunk registration changed"),
        "state changes are logged"
    );
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

/// A carrier known only by name: the switch finds it by SRV and A records (RFC 3263) on the
/// DNS server it is given, calls out to the address found, and recognises the carrier's own
/// calls by that address (no `sources` listed).
#[test]
fn a_carrier_named_in_dns_is_found_by_srv_for_calls_both_ways() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    use switchboard_e2e::dns::{DnsServer, Entry};
    let port = free_port();
    let dns = DnsServer::start(vec![
        Entry::Srv(
            "_sip._udp.carrier.test".into(),
            10,
            0,
            port,
            "sip1.carrier.test".into(),
        ),
        Entry::A(
            "sip1.carrier.test".into(),
            std::net::Ipv4Addr::new(127, 0, 0, 8),
        ),
    ])
    .expect("DNS server");
    let trunk = format!(
        r#"
[[trunks]]
name = "carrier-d"
host = "carrier.test"

[[dids]]
number = "{DID}"
extension = "2002"
"#
    );
    let dns_servers = format!("dns_servers = [\"{}\"]", dns.addr);
    let (switch, _plans) = start_with_out_plan_and_sip(&trunk, &dns_servers);
    switchboard_e2e::wait_until(Duration::from_secs(10), "carrier-d resolved", || {
        let log = switch.log_text();
        (log.contains("trunk resolved") && log.contains("127.0.0.8")).then_some(())
    })
    .map_err(with_log(&switch))
    .unwrap_or_else(|e| panic!("{e}"));

    let answer = switchboard_e2e::scenario("uas_answer.xml");
    let carrier =
        carrier_uas(&switch, carrier_ip(8), port, &answer, 1, &["-rtp_echo"]).expect("carrier");
    let agent = agent_calls_out(&switch, "701012345678", 2000).expect("agent calls");
    finish(&switch, vec![(agent, 30), (carrier, 15)]);
    let out = answered_trunk_cdr(&switch);
    assert_eq!(out.trunk.as_deref(), Some("carrier-d"));
    assert_eq!(out.direction, Some(crm::CallDirection::Outbound));

    let phone = agent_phone(&switch, "2002", 3).expect("agent phone");
    let customer = carrier_call(
        &switch,
        carrier_ip(8),
        DID,
        CUSTOMER,
        (CUSTOMER_HZ, 3),
        2500,
    )
    .expect("carrier call");
    finish(&switch, vec![(customer, 30), (phone, 10)]);
    let cdrs = wait_for_cdrs(&switch.database_url, |c| {
        c.iter()
            .any(|c| c.ended_at.is_some() && c.direction == Some(crm::CallDirection::Inbound))
    })
    .expect("CDRs");
    let inbound = cdrs
        .iter()
        .find(|c| c.direction == Some(crm::CallDirection::Inbound))
        .expect("the carrier's call, recognised by its resolved address");
    assert_eq!(inbound.trunk.as_deref(), Some("carrier-d"), "{inbound:#?}");
    assert_eq!(inbound.disposition, Some(crm::Disposition::Answered));
}
