//! SIP trunks end to end (issue 16), calls going out: an agent dials `9` + number over a carrier
//! that wants registration (401) and challenges the INVITE (407), added through the HTTP API; a
//! carrier answering 503 fails over to the next; a carrier that restarts and forgets us gets
//! registered again; a carrier known only by name is found in DNS (SRV, A). SIPp plays the
//! carriers on their own loopback addresses; calls coming in: trunks.rs.

use std::time::Duration;
use switchboard_e2e::carriers::{
    carrier_call, carrier_ip, carrier_uas, challenging_scenario, scenario_with, trunk_entry,
    wait_for_registration,
};
use switchboard_e2e::pcap::{tone_scenario, write_tone_pcap, ToneStream};
use switchboard_e2e::trunk_suite::{
    agent_phone, answered_trunk_cdr, finish, post_json, start, start_with, with_log, AGENT_HZ,
    CUSTOMER, CUSTOMER_HZ, DID,
};
use switchboard_e2e::{caller_running, free_port, wait_for_cdrs, Sipp, Switch};

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
    let talk = talk_ms.to_string();
    caller_running(switch, "2001", number, &uac, &["-d", &talk])
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
