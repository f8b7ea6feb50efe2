//! Shared ground for the dialplan scenarios: the test plans (built-in tones stand for prompts, a
//! distinct frequency per step so a `Play` names the step that asked for it), a switch loaded
//! with them, and a caller that reaches a plan and is answered by it.

use super::harness::{config, load_plans, TestSwitch, RELAY_A, RELAY_IP};
use super::phone::{Dlg, Msg, Phone};
use std::time::Duration;
use switch::{AcdSetup, Action, AgentCommand, AgentSetup, CallId, QueueSetup};

/// 1588: answer, a menu (1 dials 1002, 2 queues `support`, 3 queues the unmapped `nowhere`),
/// with a hang-up step per dial outcome.
pub const MENU_PLAN: &str = r#"
[plan]
entry = "start"

[[route]]
number = "1588"

[[step]]
id = "start"
type = "answer"

[[step]]
id = "menu"
type = "menu"
prompts = ["tone:440:1000"]
options = { "1" = "sales", "2" = "support", "3" = "nowhere" }
timeout = "5s"
invalid_prompts = ["tone:620:300"]
timeout_prompts = ["tone:660:300"]
max_attempts = 2
fallback = "goodbye"

[[step]]
id = "sales"
type = "dial"
extension = "1002"
ring_timeout = "20s"
on_busy = "busy"
on_no_answer = "no_answer"
on_failure = "failed"

[[step]]
id = "support"
type = "queue"
queue = "support"

[[step]]
id = "nowhere"
type = "queue"
queue = "nowhere"

[[step]]
id = "busy"
type = "hangup"
prompts = ["tone:480:200"]
cause = "busy"

[[step]]
id = "no_answer"
type = "hangup"
prompts = ["tone:400:200"]
cause = "no answer"

[[step]]
id = "failed"
type = "hangup"
prompts = ["tone:950:200"]
cause = "unavailable"

[[step]]
id = "goodbye"
type = "hangup"
prompts = ["tone:300:200"]
cause = "normal"
"#;

/// 1700: no answer step: a prompt as early media, then busy. 1800: early media, then dial 1002
/// (busy if that fails).
pub const EARLY_PLAN: &str = r#"
[[route]]
number = "1700"

[[route]]
number = "1800"
step = "connect_intro"

[[step]]
id = "announce"
type = "play"
prompts = ["tone:425:1000"]

[[step]]
id = "refuse"
type = "hangup"
cause = "busy"

[[step]]
id = "connect_intro"
type = "play"
prompts = ["tone:500:500"]

[[step]]
id = "connect"
type = "dial"
extension = "1002"
on_failure = "refuse"
"#;

/// 1600: answer, look the caller up, premium customers hear 1111 Hz, unknown callers 2222 Hz,
/// known others 3333 Hz; then the plan ends (hang-up, cause normal).
pub const LOOKUP_PLAN: &str = r#"
[[route]]
number = "1600"

[[step]]
id = "start"
type = "answer"

[[step]]
id = "identify"
type = "lookup"
timeout = "2s"

[[step]]
id = "vip"
type = "condition"
when = { var = "customer.grade", equals = "premium" }
then = "premium"

[[step]]
id = "known"
type = "condition"
when = { var = "customer.known", equals = "true" }
then = "regular"
else = "unknown"

[[step]]
id = "premium"
type = "play"
prompts = ["tone:1111:100"]
next = "bye"

[[step]]
id = "regular"
type = "play"
prompts = ["tone:3333:100"]
next = "bye"

[[step]]
id = "unknown"
type = "play"
prompts = ["tone:2222:100"]

[[step]]
id = "bye"
type = "hangup"
"#;

/// The switch loaded with every test plan; queue `support` is served by agent `a1003`, logged
/// in at extension 1003.
pub fn ivr_switch() -> TestSwitch {
    let mut cfg = config();
    cfg.acd = support_queue();
    let plans = load_plans(&[
        ("menu.toml", MENU_PLAN),
        ("early.toml", EARLY_PLAN),
        ("lookup.toml", LOOKUP_PLAN),
    ]);
    let mut ts = TestSwitch::with_plans(cfg, Some(plans));
    let now = ts.now;
    ts.sw
        .agent_command(now, "a1003", AgentCommand::Login { extension: None })
        .expect("agent logs in");
    ts.pump();
    ts.take_acd_events();
    ts
}

/// Queue `support` (longest idle, 15 s ring, 5 s retry) with agent `a1003` at extension 1003.
pub fn support_queue() -> AcdSetup {
    AcdSetup {
        queues: vec![QueueSetup {
            cfg: acd::QueueConfig::new("support"),
            number: Some("7000".into()),
            moh: None,
            announce: Vec::new(),
            exit: Default::default(),
        }],
        agents: vec![AgentSetup {
            cfg: acd::AgentConfig::new("a1003").member_of("support", 0),
            name: Some("Agent Kim".into()),
            extension: Some("1003".into()),
            pin: Some("4321".into()),
        }],
        pause_reasons: vec!["break".into(), "lunch".into()],
    }
}

/// A caller in a plan that answered it: the call, A's dialog (ACK sent) and the 200 A got.
pub struct IvrCall {
    pub call: CallId,
    pub a: Dlg,
    pub ok: Msg,
}

/// `a` (authenticated, not necessarily registered) dials `number`, whose plan answers at once;
/// A ACKs. The 100 and 200 are consumed; the actions are left for the test.
pub fn answered_by_plan(ts: &mut TestSwitch, a: &mut Phone, number: &str) -> IvrCall {
    let sdp = a.sdp("sendrecv");
    let mut ad = ts.invite(a, number, Some(&sdp));
    ts.expect_status(a, 100);
    let ok = ts.expect_status(a, 200);
    ad.learn(&ok);
    let ack = a.ack_2xx(&ad);
    ts.send(a.peer, &ack);
    let call = call_of(ts.actions());
    IvrCall { call, a: ad, ok }
}

/// The call an `AllocateMedia` among `actions` names.
pub fn call_of(actions: &[Action]) -> CallId {
    actions
        .iter()
        .find_map(|x| match x {
            Action::AllocateMedia { call } => Some(*call),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no AllocateMedia in {actions:?}"))
}

/// The prompts' first tone frequencies of every plan `Play` among `actions` (looping ringback
/// and music on hold are left out: see `is_ringback`), in order.
pub fn played(actions: &[Action]) -> Vec<Vec<u32>> {
    actions
        .iter()
        .filter_map(|x| match x {
            Action::Play {
                prompts,
                looping: false,
                ..
            } => Some(
                prompts
                    .iter()
                    .filter_map(|p| match p {
                        ivr::Prompt::Tone { freqs, .. } => freqs.first().copied(),
                        _ => None,
                    })
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

/// Whether `x` is the ringback (440+480 Hz, looping) a caller the switch answered hears while
/// the plan rings someone.
pub fn is_ringback(x: &Action, call: CallId) -> bool {
    match x {
        Action::Play {
            call: c,
            prompts,
            looping: true,
            ..
        } => {
            *c == call
                && matches!(prompts.first(), Some(ivr::Prompt::Tone { freqs, .. }) if freqs == &[440, 480])
        }
        _ => false,
    }
}

/// The SDP the switch answers a `Phone::sdp` offer with: relay address, port A, PCMU and
/// telephone-event 101.
pub fn assert_switch_sdp(m: &Msg) {
    assert_eq!(
        m.sdp_line("c=").as_deref(),
        Some(format!("c=IN IP4 {RELAY_IP}").as_str()),
        "{}",
        m.text
    );
    assert_eq!(
        m.sdp_line("m=audio").as_deref(),
        Some(format!("m=audio {RELAY_A} RTP/AVP 0 101").as_str()),
        "{}",
        m.text
    );
    assert!(m.body().contains("a=rtpmap:101 telephone-event/8000"));
    assert!(!m.body().contains("10.0.0."), "caller's address leaked");
}

/// Play's end for `call`, reported the way the relay would.
pub fn playback_done(ts: &mut TestSwitch, call: CallId) {
    let now = ts.now;
    ts.sw.playback_done(now, call);
    ts.pump();
}

/// A digit from the caller, as the relay (RFC 4733 or in-band) reports it.
pub fn dtmf(ts: &mut TestSwitch, call: CallId, digit: char) {
    let now = ts.now;
    ts.sw.dtmf(now, call, digit, false);
    ts.pump();
}

/// The menu's timeout as the plan sets it.
pub const MENU_TIMEOUT: Duration = Duration::from_secs(5);

/// `a` presses `digit`, signalled by SIP INFO (application/dtmf-relay); returns the 200.
pub fn info_digit(ts: &mut TestSwitch, a: &mut Phone, dlg: &mut Dlg, digit: char) -> Msg {
    let body = format!("Signal={digit}\r\nDuration=160\r\n");
    let req = a.request(
        dlg,
        "INFO",
        &[],
        Some(("application/dtmf-relay", body.as_str())),
    );
    ts.send(a.peer, &req);
    ts.expect_status(a, 200)
}
