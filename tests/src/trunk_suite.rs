//! Pieces of the trunk suites (tests/tests/trunks*.rs): a switch whose national numbers are
//! Korean, SIPp runs waited for with the switch's log on failure, the trunk call's CDR, the
//! agent's tone phone, and JSON requests to the API.

use crate::pcap::{tone_scenario, write_tone_pcap, ToneStream};
use crate::{callee_with, wait_for_cdrs, Options, Sipp, Switch};
use std::time::Duration;

/// The customer's tone (caller, left channel) and the agent's (callee, right channel).
pub const CUSTOMER_HZ: f64 = 1000.0;
pub const AGENT_HZ: f64 = 440.0;
/// 50 ms at 8 kHz: whole cycles of both tones (as tests/tests/recording.rs).
pub const BLOCK: usize = 400;
/// The bank's number the carriers deliver, and the customer calling it (national form).
pub const DID: &str = "+8215880000";
pub const CUSTOMER: &str = "01011112222";

/// Errors with the switch's log appended.
pub fn with_log(switch: &Switch) -> impl Fn(anyhow::Error) -> anyhow::Error + '_ {
    move |e| anyhow::anyhow!("{e}\n--- switch log ---\n{}", switch.log_text())
}

/// Wait for each SIPp peer to succeed (in order, each within its seconds); a failure panics
/// with the switch's log.
pub fn finish(switch: &Switch, peers: Vec<(Sipp, u64)>) {
    for (peer, secs) in peers {
        peer.wait(Duration::from_secs(secs))
            .map_err(with_log(switch))
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

/// The answered trunk call's CDR, once it has ended.
pub fn answered_trunk_cdr(switch: &Switch) -> crm::Cdr {
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
pub fn start(extra: &str) -> Switch {
    start_with(extra, "")
}

/// [`start`] with `sip_extra` keys in `[sip]`.
pub fn start_with(extra: &str, sip_extra: &str) -> Switch {
    let options = Options {
        database_extra: "default_country_code = \"82\"".into(),
        sip_extra: sip_extra.to_string(),
        extra_toml: extra.to_string(),
        ..Options::default()
    };
    Switch::start(options).expect("switch starts")
}

/// The agent's phone at `ext`: answers, plays 440 Hz for `tone_s` and waits for the BYE.
pub fn agent_phone(switch: &Switch, ext: &str, tone_s: u32) -> anyhow::Result<Sipp> {
    let dir = switch.dir.path();
    let pcap = dir.join(format!("agent-{tone_s}s.pcap"));
    write_tone_pcap(&pcap, &ToneStream::new(AGENT_HZ, tone_s))?;
    let uas = tone_scenario(dir, "uas_tone.xml", &pcap)?;
    callee_with(switch, ext, &uas, &[])
}

/// A JSON request as the harness's admin.
pub fn post_json(
    switch: &Switch,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, serde_json::Value) {
    json_as(switch, crate::ADMIN_TOKEN, method, path, body)
}

/// A JSON request with the bearer `token`: (status, body as JSON, Null when it is not).
pub fn json_as(
    switch: &Switch,
    token: &str,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, serde_json::Value) {
    let r = crate::http_client::request(
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
