//! Carriers' SIP trunks played by SIPp, each on its own loopback address (127.0.0.2, .3...) so
//! the switch recognises them by source address as it would a real carrier: callers delivering
//! calls to our numbers (DIDs), and carriers answering, refusing or challenging our calls and
//! registrations (tests/sipp/carrier_*.xml).

use crate::pcap::{tone_scenario, write_tone_pcap, ToneStream};
use crate::{
    free_media_port, free_port, scenario, sipp_on, udp_port_bound, wait_until, Sipp, Switch,
};
use anyhow::Context;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The loopback address of carrier `n` (2 and up: 127.0.0.1 is the phones').
pub fn carrier_ip(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, n))
}

/// A copy of tests/sipp/`template` in the switch's directory with `replace` applied (SIPp reads
/// status codes and verifyauth values when it loads a scenario, so they cannot be keywords).
pub fn scenario_with(
    switch: &Switch,
    template: &str,
    name: &str,
    replace: &[(&str, &str)],
) -> anyhow::Result<PathBuf> {
    let mut xml = std::fs::read_to_string(scenario(template))
        .with_context(|| format!("reading {template}"))?;
    for (from, to) in replace {
        anyhow::ensure!(xml.contains(from), "{template} has no {from}");
        xml = xml.replace(from, to);
    }
    let path = switch.dir.path().join(name);
    std::fs::write(&path, xml)?;
    Ok(path)
}

/// The carrier that wants registration with `username`/`password` (granting `expires` s) and
/// challenges our INVITEs (tests/sipp/carrier_uas_challenge.xml).
pub fn challenging_scenario(
    switch: &Switch,
    username: &str,
    password: &str,
    expires: u32,
) -> anyhow::Result<PathBuf> {
    let expires = expires.to_string();
    scenario_with(
        switch,
        "carrier_uas_challenge.xml",
        &format!("carrier_uas_challenge_{expires}.xml"),
        &[
            ("USERNAME", username),
            ("PASSWORD", password),
            ("EXPIRES", &expires),
        ],
    )
}

/// A carrier at `ip`:`port` answering as `scenario_file` (a UAS) for `calls` SIPp calls; ready
/// once its port is bound.
pub fn carrier_uas(
    switch: &Switch,
    ip: IpAddr,
    port: u16,
    scenario_file: &Path,
    calls: u32,
    extra: &[&str],
) -> anyhow::Result<Sipp> {
    let port_s = port.to_string();
    let calls = calls.to_string();
    let media = free_media_port().to_string();
    let mut args = vec!["-p", &port_s, "-m", &calls, "-mp", &media];
    args.extend_from_slice(extra);
    let name = format!(
        "carrier-{ip}-{port}-{}",
        scenario_file
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default()
    );
    let s = sipp_on(switch, ip, &name, scenario_file, &args)?;
    wait_until(
        Duration::from_secs(10),
        "the carrier's SIPp to bind",
        || udp_port_bound(port).then_some(()),
    )
    .map_err(|e| anyhow::anyhow!("{e}:\n{}", s.logs()))?;
    Ok(s)
}

/// A carrier at `ip` calling our number `did` for customer `customer` and expecting `status`.
pub fn refused_call(
    switch: &Switch,
    ip: IpAddr,
    did: &str,
    customer: &str,
    status: u16,
) -> anyhow::Result<()> {
    let code = status.to_string();
    let file = scenario_with(
        switch,
        "carrier_uac_refused.xml",
        &format!("carrier_uac_refused_{code}.xml"),
        &[("STATUS", &code)],
    )?;
    let port = free_port().to_string();
    let media = free_media_port().to_string();
    let args = [
        "-s", did, "-key", "customer", customer, "-p", &port, "-mp", &media, "-m", "1",
    ];
    let name = format!("refused-{ip}-{did}-{code}");
    sipp_on(switch, ip, &name, &file, &args)?.wait(Duration::from_secs(20))
}

/// A carrier at `ip` calling `did` for `customer`: plays `hz` for `tone_s` seconds after the
/// answer and hangs up after `talk_ms`.
pub fn carrier_call(
    switch: &Switch,
    ip: IpAddr,
    did: &str,
    customer: &str,
    (hz, tone_s): (f64, u32),
    talk_ms: u64,
) -> anyhow::Result<Sipp> {
    carrier_call_playing(
        switch,
        ip,
        did,
        customer,
        &ToneStream::new(hz, tone_s),
        talk_ms,
    )
}

/// [`carrier_call`] playing `stream` (a tone, with key presses as RFC 4733 events).
pub fn carrier_call_playing(
    switch: &Switch,
    ip: IpAddr,
    did: &str,
    customer: &str,
    stream: &ToneStream,
    talk_ms: u64,
) -> anyhow::Result<Sipp> {
    let dir = switch.dir.path();
    let keys: String = stream.keys.iter().map(|(_, k)| *k).collect();
    let pcap = dir.join(format!(
        "carrier-{}hz-{}p{keys}.pcap",
        stream.freq_hz as u32, stream.packets
    ));
    write_tone_pcap(&pcap, stream)?;
    let file = tone_scenario(dir, "carrier_uac_tone.xml", &pcap)?;
    let port = free_port().to_string();
    let media = free_media_port().to_string();
    let talk = talk_ms.to_string();
    let args = [
        "-s", did, "-key", "customer", customer, "-p", &port, "-mp", &media, "-m", "1", "-d", &talk,
    ];
    sipp_on(
        switch,
        ip,
        &format!("carrier-call-{ip}-{port}"),
        &file,
        &args,
    )
}

/// A trunk's entry in `GET /api/trunks` (with its `status`).
pub fn trunk_entry(switch: &Switch, name: &str) -> anyhow::Result<serde_json::Value> {
    let (code, body) = switch.http("GET", "/api/trunks")?;
    anyhow::ensure!(code == 200, "GET /api/trunks: {code} {body}");
    let v: serde_json::Value = serde_json::from_str(&body)?;
    v["trunks"]
        .as_array()
        .and_then(|l| l.iter().find(|t| t["name"] == name))
        .cloned()
        .with_context(|| format!("no trunk {name} in {body}"))
}

/// Wait until trunk `name`'s registration is `state` (`registered`, `failed`...).
pub fn wait_for_registration(
    switch: &Switch,
    name: &str,
    state: &str,
    within: Duration,
) -> anyhow::Result<serde_json::Value> {
    wait_until(within, &format!("trunk {name} {state}"), || {
        trunk_entry(switch, name)
            .ok()
            .filter(|t| t["status"]["registration"] == state)
    })
    .map_err(|e| {
        let now = trunk_entry(switch, name).map(|t| t.to_string());
        anyhow::anyhow!(
            "{e} (now {now:?})\n--- switch log ---\n{}",
            switch.log_text()
        )
    })
}
