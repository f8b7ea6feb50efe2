//! SIPp callers and callees for the usual call plans: a caller scenario per plan (answer then
//! hang up, expect a failure status, ...), callees that answer, ring or reject, and a whole
//! answered call between two extensions.

use crate::{free_media_port, free_port, password, scenario, sipp, Sipp, Switch};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The INVITE-with-digest prelude every caller scenario shares: INVITE, 407, ACK, INVITE with
/// credentials (SIPp's `[authentication]`, from `-au`/`-ap`). `-key caller EXT` names the caller.
const UAC_PRELUDE: &str = r#"<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="generated caller">
  <send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[caller]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:[caller]@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=user1 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
]]></send>
  <recv response="100" optional="true"/>
  <recv response="407" auth="true"/>
  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
[last_Via:]
From: <sip:[caller]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
  <send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[caller]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 2 INVITE
Contact: <sip:[caller]@[local_ip]:[local_port];transport=[transport]>
[authentication]
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=user1 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
]]></send>
  <recv response="100" optional="true"/>
"#;

/// ACK for a final failure response (same branch as the INVITE, hence the response's Via).
const UAC_ACK_FAILURE: &str = r#"  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
[last_Via:]
From: <sip:[caller]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 2 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
"#;

/// What a generated caller does after authenticating its INVITE.
#[derive(Debug, Clone, Copy)]
pub enum CallerPlan {
    /// Expect this final status (after optional ringing) and ACK it.
    ExpectFinal(u16),
    /// Wait for 180, CANCEL after this many ms, expect 200 (CANCEL) and 487.
    CancelAfterRinging(u64),
    /// Expect 200, ACK, then wait for the switch's BYE (e.g. media timeout) and answer it.
    AnswerThenExpectBye,
}

/// Write a caller scenario for `plan` into `dir`, returning its path.
pub fn caller_scenario(dir: &Path, plan: CallerPlan) -> anyhow::Result<PathBuf> {
    let mut xml = String::from(UAC_PRELUDE);
    match plan {
        CallerPlan::ExpectFinal(code) => {
            xml.push_str("  <recv response=\"180\" optional=\"true\"/>\n");
            xml.push_str(&format!("  <recv response=\"{code}\"/>\n"));
            xml.push_str(UAC_ACK_FAILURE);
        }
        CallerPlan::CancelAfterRinging(ms) => {
            xml.push_str("  <recv response=\"180\"/>\n");
            xml.push_str(&format!("  <pause milliseconds=\"{ms}\"/>\n"));
            xml.push_str(
                r#"  <send retrans="500"><![CDATA[
CANCEL sip:[service]@[remote_ip]:[remote_port] SIP/2.0
[last_Via:]
From: <sip:[caller]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 2 CANCEL
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>
  <recv response="487"/>
"#,
            );
            xml.push_str(UAC_ACK_FAILURE);
        }
        CallerPlan::AnswerThenExpectBye => {
            xml.push_str(
                r#"  <recv response="180" optional="true"/>
  <recv response="200" rrs="true"/>
  <send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[caller]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 2 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv request="BYE"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
"#,
            );
        }
    }
    xml.push_str("  <timewait milliseconds=\"300\"/>\n</scenario>\n");
    let name = match plan {
        CallerPlan::ExpectFinal(c) => format!("uac_expect_{c}.xml"),
        CallerPlan::CancelAfterRinging(_) => "uac_cancel.xml".into(),
        CallerPlan::AnswerThenExpectBye => "uac_expect_bye.xml".into(),
    };
    let path = dir.join(name);
    std::fs::write(&path, xml)?;
    Ok(path)
}

/// Run a generated caller from `caller` to `callee` and wait for it to succeed.
pub fn call(switch: &Switch, caller: &str, callee: &str, plan: CallerPlan) -> anyhow::Result<()> {
    let scenario_file = caller_scenario(switch.dir.path(), plan)?;
    call_with(switch, caller, callee, &scenario_file)
}

/// Run the caller scenario `scenario_file` (e.g. a [`caller_scenario`] edited by the test) from
/// `caller` to `callee` and wait for it to succeed.
pub fn call_with(
    switch: &Switch,
    caller: &str,
    callee: &str,
    scenario_file: &Path,
) -> anyhow::Result<()> {
    let port = free_port().to_string();
    let media = free_media_port().to_string();
    sipp(
        switch,
        &format!("caller-{caller}-{callee}-{}", port),
        scenario_file,
        &[
            "-s",
            callee,
            "-au",
            caller,
            "-ap",
            password(caller),
            "-key",
            "caller",
            caller,
            "-p",
            &port,
            "-mp",
            &media,
            "-m",
            "1",
        ],
    )?
    .wait(Duration::from_secs(40))
}

/// Register `ext` on a fresh port and start a callee SIPp with `scenario_name` there.
pub fn callee(
    switch: &Switch,
    ext: &str,
    scenario_name: &str,
    extra: &[&str],
) -> anyhow::Result<Sipp> {
    callee_with(switch, ext, &scenario(scenario_name), extra)
}

/// A registered callee that rings and then rejects every call with `status` (e.g. "486 Busy Here").
pub fn callee_rejecting(switch: &Switch, ext: &str, status: &str) -> anyhow::Result<Sipp> {
    let xml = std::fs::read_to_string(scenario("uas_reject.xml"))?.replace("STATUS", status);
    let path = switch
        .dir
        .path()
        .join(format!("uas_reject_{}.xml", &status[..3.min(status.len())]));
    std::fs::write(&path, xml)?;
    callee_with(switch, ext, &path, &[])
}

/// Register `ext` on a fresh port and start a callee SIPp running `scenario_file` there.
pub fn callee_with(
    switch: &Switch,
    ext: &str,
    scenario_file: &Path,
    extra: &[&str],
) -> anyhow::Result<Sipp> {
    callee_as(switch, ext, crate::password(ext), scenario_file, extra)
}

/// [`callee_with`] registering with a password of the test's own (an extension made through
/// the API).
pub fn callee_as(
    switch: &Switch,
    ext: &str,
    password: &str,
    scenario_file: &Path,
    extra: &[&str],
) -> anyhow::Result<Sipp> {
    let port = free_port();
    crate::register_as(switch, &switch.sip_target(), ext, password, port)?;
    let port_s = port.to_string();
    let media = free_media_port().to_string();
    let mut args = vec!["-p", port_s.as_str(), "-m", "1", "-mp", media.as_str()];
    args.extend_from_slice(extra);
    let name = scenario_file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let s = sipp(
        switch,
        &format!("callee-{ext}-{name}"),
        scenario_file,
        &args,
    )?;
    // Ready once SIPp holds its SIP port (read from the kernel's table: a test bind could take
    // the port from SIPp).
    crate::wait_until(
        Duration::from_secs(10),
        "the callee SIPp to bind its port",
        || udp_port_bound(port).then_some(()),
    )
    .map_err(|e| anyhow::anyhow!("{e}:\n{}", s.logs()))?;
    Ok(s)
}

/// A complete answered call with SIPp on both ends: `callee` registers and answers echoing RTP
/// (tests/sipp/uas_answer.xml), `caller` authenticates, plays G.711 for 2 s and hangs up
/// (tests/sipp/uac_call.xml). `caller_args` adds SIPp options (e.g. `-t t1` for TCP). Waits for
/// both to succeed; on failure the error carries SIPp's and the switch's logs.
pub fn answered_call(
    switch: &Switch,
    caller: &str,
    callee_ext: &str,
    caller_args: &[&str],
) -> anyhow::Result<()> {
    let callee = callee_with(
        switch,
        callee_ext,
        &scenario("uas_answer.xml"),
        &["-rtp_echo"],
    )?;
    let uac = talking_caller(switch, caller, callee_ext, caller_args)?;
    let log = |e: anyhow::Error| anyhow::anyhow!("{e}\n--- switch log ---\n{}", switch.log_text());
    uac.wait(Duration::from_secs(30)).map_err(log)?;
    callee.wait(Duration::from_secs(10)).map_err(log)
}

/// A caller running tests/sipp/uac_call.xml from `caller` to `number`: authenticates, plays
/// G.711 for 2 s after the answer and hangs up. `extra` adds SIPp options.
pub fn talking_caller(
    switch: &Switch,
    caller: &str,
    number: &str,
    extra: &[&str],
) -> anyhow::Result<Sipp> {
    caller_running(switch, caller, number, &scenario("uac_call.xml"), extra)
}

/// An extension `caller` (authenticating with its password) dialling `number` with the caller
/// scenario `scenario_file`, on fresh SIP and media ports; `extra` adds SIPp options.
pub fn caller_running(
    switch: &Switch,
    caller: &str,
    number: &str,
    scenario_file: &Path,
    extra: &[&str],
) -> anyhow::Result<Sipp> {
    let port = free_port().to_string();
    let media = free_media_port().to_string();
    let mut args = vec![
        "-s",
        number,
        "-au",
        caller,
        "-ap",
        password(caller),
        "-key",
        "caller",
        caller,
        "-p",
        &port,
        "-m",
        "1",
        "-mp",
        &media,
    ];
    args.extend_from_slice(extra);
    sipp(
        switch,
        &format!("caller-{caller}-{number}"),
        scenario_file,
        &args,
    )
}

/// Whether some socket is bound to UDP `port` on this machine, IPv4 or IPv6 (Linux:
/// /proc/net/udp and udp6).
pub fn udp_port_bound(port: u16) -> bool {
    let suffix = format!(":{port:04X}");
    ["/proc/net/udp", "/proc/net/udp6"].iter().any(|table| {
        std::fs::read_to_string(table).is_ok_and(|table| {
            table
                .lines()
                .skip(1)
                .filter_map(|line| line.split_whitespace().nth(1))
                .any(|local| local.ends_with(&suffix))
        })
    })
}
