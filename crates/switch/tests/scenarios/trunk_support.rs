//! Shared ground for the trunk scenarios: carriers (fake SIP peers at their own addresses,
//! outside the phones' 127.0.0.1), a plan for calling out (`9` + number over carrier-a, then
//! carrier-b), and a switch with the bank's menu plan, the support queue and the trunks.

use super::harness::{config, load_plans, TestSwitch};
use super::ivr_support::{support_queue, MENU_PLAN};
use super::phone::{Msg, Phone};
use sip::Peer;
use std::net::SocketAddr;
use switch::{AgentCommand, CdrEvent, CdrTrunk, SwitchConfig};
use trunk::{DidSetup, DidTarget, TrunkPlan, TrunkSetup};

/// carrier-a's and carrier-b's addresses.
pub const CARRIER_A: [u8; 4] = [192, 0, 2, 10];
pub const CARRIER_B: [u8; 4] = [192, 0, 2, 20];

/// The bank's DID (a 1588 number) in E.164 form.
pub const DID: &str = "+8215881234";

/// `9` + number calls out over carrier-a, then carrier-b; `8` + number does the same with
/// the caller ID withheld. Busy hangs up busy (486), any other failure `unavailable` (480).
pub const OUT_PLAN: &str = r#"
[[route]]
prefix = "9"
step = "out"

[[route]]
prefix = "8"
step = "anon"

[[step]]
id = "out"
type = "dial"
extension = "trunk:carrier-a|carrier-b/${number}"
ring_timeout = "30s"
on_busy = "busy"
on_failure = "failed"

[[step]]
id = "busy"
type = "hangup"
cause = "busy"

[[step]]
id = "failed"
type = "hangup"
cause = "unavailable"

[[step]]
id = "anon"
type = "set"
vars = { caller_id = "anonymous" }
next = "out"
"#;

/// A trunk to a carrier at `ip`:5060 over UDP, known by that address, in E.164 form.
pub fn carrier_trunk(name: &str, ip: [u8; 4]) -> TrunkSetup {
    TrunkSetup {
        port: Some(5060),
        ..TrunkSetup::new(name, &std::net::Ipv4Addr::from(ip).to_string())
    }
}

/// Two carriers; the DID goes to the menu plan (1588), `+8227001000` to the support queue,
/// `+8227001002` to extension 1002; emergency 112 is denied.
pub fn trunk_plan() -> TrunkPlan {
    TrunkPlan {
        trunks: vec![
            carrier_trunk("carrier-a", CARRIER_A),
            carrier_trunk("carrier-b", CARRIER_B),
        ],
        dids: vec![
            DidSetup {
                number: DID.into(),
                target: DidTarget::Route("1588".into()),
            },
            DidSetup {
                number: "+8227001000".into(),
                target: DidTarget::Queue("support".into()),
            },
            DidSetup {
                number: "0227001002".into(),
                target: DidTarget::Extension("1002".into()),
            },
        ],
        deny_prefixes: vec!["112".into(), "119".into()],
        country_code: "82".into(),
    }
}

/// The switch with the menu and out plans, the support queue (agent a1003 logged in at 1003)
/// and `plan`'s trunks.
pub fn trunk_switch(plan: TrunkPlan) -> TestSwitch {
    trunk_switch_with(plan, |_| {})
}

/// [`trunk_switch`] with more settings from `configure`.
pub fn trunk_switch_with(plan: TrunkPlan, configure: impl FnOnce(&mut SwitchConfig)) -> TestSwitch {
    let mut cfg = config();
    cfg.acd = support_queue();
    cfg.trunks = plan;
    configure(&mut cfg);
    let plans = load_plans(&[("menu.toml", MENU_PLAN), ("out.toml", OUT_PLAN)]);
    let mut ts = TestSwitch::with_plans(cfg, Some(plans));
    let now = ts.now;
    ts.sw
        .agent_command(now, "a1003", AgentCommand::Login { extension: None })
        .expect("agent logs in");
    ts.pump();
    ts.take_acd_events();
    ts.take_actions();
    ts
}

/// A carrier at `ip`:5060 whose calls come from `caller` (its From user).
pub fn carrier(caller: &str, ip: [u8; 4]) -> Phone {
    let mut p = Phone::udp(caller, "", 5060, SocketAddr::from(([10, 9, 9, 9], 30000)));
    p.peer = Peer::udp(SocketAddr::from((ip, 5060)));
    p
}

/// The trunk records among CDR events.
pub fn trunk_records(events: &[CdrEvent]) -> Vec<CdrTrunk> {
    events
        .iter()
        .filter_map(|e| match e {
            CdrEvent::Trunk(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// The user part of a request's Request-URI.
pub fn ruri_user(m: &Msg) -> String {
    let uri = m.request_uri();
    let rest = uri.strip_prefix("sip:").unwrap_or(&uri);
    rest.split('@').next().unwrap_or_default().to_string()
}

/// Channels in use on trunk `name` now.
pub fn channels(ts: &TestSwitch, name: &str) -> u32 {
    ts.sw
        .trunk_status(ts.now)
        .into_iter()
        .find(|s| s.name == name)
        .map(|s| s.channels)
        .expect("trunk in status")
}

/// The carrier's 407 to `inv` (dialog tag `tag`), with a Digest challenge of realm `carrier`.
pub fn challenge_407(ca: &Phone, inv: &Msg, tag: &str) -> String {
    let challenge =
        "Proxy-Authenticate: Digest realm=\"carrier\", nonce=\"n1\", qop=\"auth\", algorithm=MD5";
    ca.respond(inv, 407, "Proxy Authentication Required", Some(tag), None)
        .replacen(
            "Content-Length",
            &format!("{challenge}\r\nContent-Length"),
            1,
        )
}
