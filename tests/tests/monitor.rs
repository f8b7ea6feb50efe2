//! Supervisors on agents' calls end to end (issue 12, monitoring): the real binary, SIPp for
//! each phone's signalling, and the test's own sockets for their media (as `ivr_calls.rs`),
//! so what each person hears is checked by frequency: customer 2001 plays 1 kHz, agent bob at
//! 2002 plays 440 Hz, supervisor carol at 2003 (`[[accounts]] extension`) dials `*96bob` and
//! plays 770 Hz, switching modes with RFC 4733 keys 4/5/6. The recording's channels and the
//! audit log are checked too, and a phone that is no supervisor's is refused.

mod monitor_support;

use media::g711::Codec;
use monitor_support::*;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};
use switchboard_e2e::browser::{missing_tools, Script};
use switchboard_e2e::http_client::Session;
use switchboard_e2e::{
    callee_with, caller_scenario, scenario, wait_for_cdrs, CallerPlan, Options, Sipp, Switch,
};

fn config(recordings: &Path) -> String {
    format!(
        r#"
[recording]
record = "all"
dir = "{}"

[[queues]]
name = "support"

[[agents]]
id = "bob"
extension = "2002"
queues = ["support"]

[[accounts]]
username = "carol"
password = "carol-password"
role = "supervisor"
extension = "2003"

[[accounts]]
username = "bob"
password = "bob-password"
role = "agent"
agent = "bob"
"#,
        recordings.display()
    )
}

/// A switch with [`config`]; the recordings' directory lives as long as the first value.
fn start_switch() -> (tempfile::TempDir, Switch) {
    let rec = tempfile::tempdir().expect("tempdir");
    let switch = Switch::start(Options {
        extra_toml: config(&rec.path().join("recordings")),
        ..Options::default()
    })
    .expect("switch starts");
    (rec, switch)
}

fn wav(path: &Path) -> (Vec<i16>, Vec<i16>) {
    let reader = hound::WavReader::open(path).expect("the recording opens");
    let all: Vec<i16> = reader
        .into_samples::<i16>()
        .collect::<Result<_, _>>()
        .expect("samples");
    (
        all.iter().step_by(2).copied().collect(),
        all.iter().skip(1).step_by(2).copied().collect(),
    )
}

#[test]
fn supervisor_listens_whispers_and_barges_from_a_phone() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let rec = tempfile::tempdir().expect("tempdir");
    let rec_dir = rec.path().join("recordings");
    let switch = Switch::start(Options {
        extra_toml: config(&rec_dir),
        ..Options::default()
    })
    .expect("switch starts");
    let mut customer = Phone::new(CUSTOMER_HZ, Codec::Pcmu);
    let mut agent = Phone::new(AGENT_HZ, Codec::Pcmu);
    let mut supervisor = Phone::new(SUPERVISOR_HZ, Codec::Pcma);

    // Bob's phone answers (PCMU, at the test's socket) and hangs up after 16 s.
    let (customer_sipp, bob) = connected_call(&switch, &mut customer, &mut agent, 16_000);
    let [to_customer, to_agent] =
        <[Vec<i16>; 2]>::try_from(talk(&mut [&mut customer, &mut agent], 600)).expect("two");
    assert!(hears(&to_agent, CUSTOMER_HZ) && hears(&to_customer, AGENT_HZ));

    // Carol dials *96bob (PCMA, telephone-event 101) and hangs up after 8 s.
    let sup_xml = scenario_at(
        &switch,
        &scenario("uac_hangup_after.xml"),
        "supervisor.xml",
        "m=audio [media_port] RTP/AVP 8 101",
        &format!("m=audio {} RTP/AVP 8 101", supervisor.port()),
    );
    let carol = caller(&switch, "2003", "*96bob", &sup_xml, &["-d", "8000"]);
    supervisor.relay = Some(relay_port(&carol, supervisor.port(), &switch));
    let mut all = [&mut customer, &mut agent, &mut supervisor];

    // Listen: carol hears both; nobody hears carol.
    let heard = talk(&mut all, 1500);
    let (c, a, s) = (&heard[0], &heard[1], &heard[2]);
    assert!(
        hears(s, CUSTOMER_HZ) && hears(s, AGENT_HZ),
        "{}",
        switch.log_text()
    );
    assert!(quiet(c, SUPERVISOR_HZ) && quiet(a, SUPERVISOR_HZ));
    assert!(hears(a, CUSTOMER_HZ) && hears(c, AGENT_HZ));

    // Whisper: bob hears carol, the customer does not.
    all[2].press(5);
    talk(&mut all, 200);
    let heard = talk(&mut all, 1500);
    let (c, a, s) = (&heard[0], &heard[1], &heard[2]);
    assert!(
        hears(a, SUPERVISOR_HZ) && hears(a, CUSTOMER_HZ),
        "{}",
        switch.log_text()
    );
    assert!(quiet(c, SUPERVISOR_HZ) && hears(c, AGENT_HZ));
    assert!(hears(s, CUSTOMER_HZ) && hears(s, AGENT_HZ));

    // Barge: all three hear each other.
    all[2].press(6);
    talk(&mut all, 200);
    let heard = talk(&mut all, 1500);
    let (c, a, s) = (&heard[0], &heard[1], &heard[2]);
    assert!(hears(c, SUPERVISOR_HZ) && hears(c, AGENT_HZ));
    assert!(hears(a, SUPERVISOR_HZ) && hears(a, CUSTOMER_HZ));
    assert!(hears(s, CUSTOMER_HZ) && hears(s, AGENT_HZ));
    assert!(quiet(s, SUPERVISOR_HZ), "carol does not hear herself");

    // Carol hangs up: plain forwarding again.
    carol
        .wait(Duration::from_secs(15))
        .unwrap_or_else(|e| panic!("{e}\n{}", switch.log_text()));
    let heard = talk(&mut all, 1000);
    assert!(quiet(&heard[0], SUPERVISOR_HZ) && quiet(&heard[1], SUPERVISOR_HZ));
    assert!(hears(&heard[0], AGENT_HZ) && hears(&heard[1], CUSTOMER_HZ));
    // Keep both talking until bob hangs up.
    let until = Instant::now() + Duration::from_secs(20);
    while !bob_done(&bob) && Instant::now() < until {
        talk(&mut [&mut customer, &mut agent], 500);
    }
    customer_sipp
        .wait(Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("{e}\n{}", switch.log_text()));

    // The audit log: start in listen, whisper, barge, stop, under carol, on the call's CDR.
    let cdrs = wait_for_cdrs(&switch.database_url, |c| {
        c.iter().filter(|c| c.ended_at.is_some()).count() >= 2
    })
    .expect("CDRs");
    let call = cdrs
        .iter()
        .find(|c| c.callee == "2002")
        .expect("the customer's CDR");
    // The call's record names the supervisor and the modes, in order.
    assert_eq!(
        call.vars.get("monitored_by").map(String::as_str),
        Some("carol")
    );
    assert_eq!(
        call.vars.get("monitor_modes").map(String::as_str),
        Some("listen,whisper,barge"),
        "{:?}",
        call.vars
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    let steps = loop {
        let steps: Vec<(String, String)> = audit(&switch)
            .iter()
            .filter(|e| {
                e["action"]
                    .as_str()
                    .is_some_and(|a| a.starts_with("monitor."))
            })
            .map(|e| {
                assert_eq!(e["account"], "carol", "{e}");
                assert_eq!(e["object_id"], call.call_id.as_str(), "{e}");
                let detail: Value =
                    serde_json::from_str(e["detail"].as_str().unwrap_or("{}")).unwrap_or_default();
                (
                    e["action"].as_str().unwrap_or_default().to_string(),
                    detail["mode"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        if steps.len() >= 4 || Instant::now() > deadline {
            break steps;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut steps = steps;
    steps.sort_by_key(|(a, m)| match (a.as_str(), m.as_str()) {
        ("monitor.start", _) => 0,
        (_, "whisper") => 1,
        (_, "barge") => 2,
        _ => 3,
    });
    let want: Vec<(String, String)> = [
        ("monitor.start", "listen"),
        ("monitor.mode", "whisper"),
        ("monitor.mode", "barge"),
        ("monitor.stop", ""),
    ]
    .iter()
    .map(|(a, m)| (a.to_string(), m.to_string()))
    .collect();
    assert_eq!(steps, want);

    // The recording stays the customer (left) and what the customer hears (right): carol
    // appears only on the right, only while barging.
    let row = switch.finished_recording(&call.call_id, Duration::from_secs(10));
    let file = rec_dir.join(row["file"].as_str().expect("file"));
    let (left, right) = wav(&file);
    // Per half second (each phone's tone restarts its phase every second, so a longer
    // Goertzel block would blur it): customer left and agent right all call long.
    let halves_with = |ch: &[i16], f: f64| ch.chunks(4000).filter(|s| hears(s, f)).count();
    let talked = halves_with(&left, CUSTOMER_HZ);
    assert!(
        talked >= 20,
        "the customer on the left in {talked} half seconds"
    );
    let agent = halves_with(&right, AGENT_HZ);
    assert!(
        agent.abs_diff(talked) <= 1,
        "the agent on the right in {agent}"
    );
    // Per half second: carol is heard on the right for about the 1.7 s of barge only.
    let halves: Vec<bool> = right
        .chunks(4000)
        .map(|s| hears(s, SUPERVISOR_HZ))
        .collect();
    let barge = halves.iter().filter(|&&h| h).count();
    assert!(
        (2..=6).contains(&barge),
        "carol on the right channel in {barge} half seconds: {halves:?}"
    );
    assert!(left.chunks(4000).all(|s| quiet(s, SUPERVISOR_HZ)));
}

fn bob_done(bob: &Sipp) -> bool {
    sipp_logged(bob, "CSeq: 1 BYE")
}

#[test]
fn a_phone_that_is_no_supervisors_is_refused() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let (_rec, switch) = start_switch();
    // 2004 is nobody's supervisor phone: the switch answers, beeps and hangs up; no listener.
    let uac = caller_scenario(switch.dir.path(), CallerPlan::AnswerThenExpectBye).expect("uac");
    caller(&switch, "2004", "*96bob", &uac, &[])
        .wait(Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("{e}\n{}", switch.log_text()));
    assert!(
        switch
            .log_text()
            .contains("is not a supervisor's or admin's phone"),
        "{}",
        switch.log_text()
    );
    // Carol's phone asking for an agent who is on no call is refused too (and audited).
    caller(&switch, "2003", "*96bob", &uac, &[])
        .wait(Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("{e}\n{}", switch.log_text()));
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let refused = audit(&switch)
            .into_iter()
            .find(|e| e["action"] == "monitor.refused");
        if let Some(e) = refused {
            assert_eq!(e["account"], "carol");
            assert_eq!(e["object_id"], "bob");
            assert!(
                e["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("not_on_call")),
                "{e}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no monitor.refused in the audit log"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Carol's phone (2003): answers the switch's INVITE with media at `supervisor`'s socket and
/// waits for the switch's BYE.
fn answering_supervisor(switch: &Switch, supervisor: &Phone) -> Sipp {
    let uas = scenario_at(
        switch,
        &scenario("uas_answer.xml"),
        "carol.xml",
        "m=audio [media_port] RTP/AVP 8 101\na=rtpmap:8 PCMA/8000",
        &format!(
            "m=audio {} RTP/AVP 0 101\na=rtpmap:0 PCMU/8000",
            supervisor.port()
        ),
    );
    callee_with(switch, "2003", &uas, &[]).expect("carol's phone")
}

#[test]
fn the_api_rings_the_supervisor_and_switches_modes_and_agents_are_refused() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let (_rec, switch) = start_switch();
    let carol = Session::login(&switch, "carol", "carol-password").expect("carol logs in");
    let bob = Session::login(&switch, "bob", "bob-password").expect("bob logs in");
    let path = "/api/agents/bob/monitor";
    let send = |who: &Session, method: &str, body: &str| {
        who.send(&switch, method, path, body).expect("request")
    };

    // Nothing to monitor yet, a bad mode, an agent asking.
    let r = send(&carol, "POST", r#"{"mode":"listen"}"#);
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("not_on_call"), "{}", r.body);
    assert_eq!(send(&carol, "POST", r#"{"mode":"spy"}"#).status, 400);
    let r = send(&bob, "POST", r#"{"mode":"listen"}"#);
    assert_eq!(r.status, 403, "{}", r.body);
    // The switch's refusal is written off the request's path: wait for it.
    let deadline = Instant::now() + Duration::from_secs(5);
    let refused = loop {
        let refused: Vec<Value> = audit(&switch)
            .into_iter()
            .filter(|e| e["action"] == "monitor.refused")
            .collect();
        if refused.len() >= 2 || Instant::now() > deadline {
            break refused;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        refused
            .iter()
            .any(|e| e["account"] == "bob" && e["role"] == "agent"),
        "{refused:#?}"
    );
    assert!(
        refused.iter().any(|e| e["account"] == "carol"),
        "{refused:#?}"
    );

    // A call; carol's phone (2003) answers the switch's INVITE at the test's socket.
    let mut customer = Phone::new(CUSTOMER_HZ, Codec::Pcmu);
    let mut agent = Phone::new(AGENT_HZ, Codec::Pcmu);
    let mut supervisor = Phone::new(SUPERVISOR_HZ, Codec::Pcmu);
    let carol_phone = answering_supervisor(&switch, &supervisor);
    let (customer_sipp, bob_phone) = connected_call(&switch, &mut customer, &mut agent, 9000);

    let r = send(&carol, "POST", r#"{"mode":"whisper"}"#);
    assert_eq!(r.status, 202, "{}\n{}", r.body, switch.log_text());
    supervisor.relay = Some(relay_port(&carol_phone, supervisor.port(), &switch));
    let mut all = [&mut customer, &mut agent, &mut supervisor];
    talk(&mut all, 300);
    let heard = talk(&mut all, 1500);
    assert!(
        hears(&heard[1], SUPERVISOR_HZ),
        "bob hears carol\n{}",
        switch.log_text()
    );
    assert!(quiet(&heard[0], SUPERVISOR_HZ), "the customer does not");
    assert!(hears(&heard[2], CUSTOMER_HZ) && hears(&heard[2], AGENT_HZ));
    assert_eq!(
        send(&carol, "POST", r#"{"mode":"listen"}"#).status,
        409,
        "monitored already"
    );

    let r = send(&carol, "PATCH", r#"{"mode":"barge"}"#);
    assert_eq!(r.status, 200, "{}", r.body);
    talk(&mut all, 200);
    let heard = talk(&mut all, 1500);
    assert!(
        hears(&heard[0], SUPERVISOR_HZ),
        "barge: the customer hears carol"
    );

    let r = send(&carol, "DELETE", "");
    assert_eq!(r.status, 204, "{}", r.body);
    carol_phone
        .wait(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("carol's phone gets the switch's BYE: {e}"));
    talk(&mut all, 200);
    let heard = talk(&mut all, 1000);
    assert!(quiet(&heard[0], SUPERVISOR_HZ) && quiet(&heard[1], SUPERVISOR_HZ));
    assert_eq!(send(&carol, "DELETE", "").status, 409, "nothing to stop");
    drop(bob_phone);
    drop(customer_sipp);
    let modes: Vec<String> = audit(&switch)
        .iter()
        .filter(|e| e["account"] == "carol")
        .filter_map(|e| e["action"].as_str().map(str::to_string))
        .collect();
    for want in ["monitor.start", "monitor.mode", "monitor.stop"] {
        assert!(modes.iter().any(|m| m == want), "{want} in {modes:?}");
    }
}

/// The wallboard's buttons in headless Chromium (tests/browser/monitor.mjs): carol presses
/// Whisper on bob's row, her phone (SIPp at 2003) rings and answers, bob hears her; Barge, the
/// customer hears her too; Stop, her phone gets the switch's BYE. Between the steps the test
/// checks the tones and then sets listen through the API, which the board shows and the
/// script waits for. English and Korean, axe-core.
#[test]
fn the_wallboard_buttons_monitor_a_call_in_headless_chromium() {
    if let Some(why) = missing_tools() {
        testkit::cannot_run("browser", &why);
        return;
    }
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let (_rec, switch) = start_switch();
    let mut customer = Phone::new(CUSTOMER_HZ, Codec::Pcmu);
    let mut agent = Phone::new(AGENT_HZ, Codec::Pcmu);
    let mut supervisor = Phone::new(SUPERVISOR_HZ, Codec::Pcmu);
    let carol_phone = answering_supervisor(&switch, &supervisor);
    let (_customer_sipp, _bob) = connected_call(&switch, &mut customer, &mut agent, 40_000);
    let mut script = Script::start(
        &switch,
        "monitor",
        "monitor",
        [
            ("SB_USER", "carol"),
            ("SB_PASSWORD", "carol-password"),
            ("SB_AGENT", "bob"),
        ],
    );
    // The script waits for each of the test's checks: the test's go is the mode set to
    // listen through the API, which the board shows.
    let carol = Session::login(&switch, "carol", "carol-password").expect("carol logs in");
    let go = || {
        let body = r#"{"mode":"listen"}"#;
        let r = carol
            .send(&switch, "PATCH", "/api/agents/bob/monitor", body)
            .expect("PATCH");
        assert_eq!(r.status, 200, "{}", r.body);
    };
    script.expect(&switch, "WHISPER", Duration::from_secs(60), "no whisper");
    supervisor.relay = Some(relay_port(&carol_phone, supervisor.port(), &switch));
    let mut all = [&mut customer, &mut agent, &mut supervisor];
    talk(&mut all, 300);
    let heard = talk(&mut all, 1200);
    assert!(hears(&heard[1], SUPERVISOR_HZ), "whisper: bob hears carol");
    assert!(
        quiet(&heard[0], SUPERVISOR_HZ),
        "whisper: the customer does not"
    );
    go();
    script.expect(&switch, "BARGE", Duration::from_secs(30), "no barge");
    talk(&mut all, 200);
    let heard = talk(&mut all, 1200);
    assert!(
        hears(&heard[0], SUPERVISOR_HZ),
        "barge: the customer hears carol"
    );
    go();
    script.passed(&switch, Duration::from_secs(60));
    carol_phone
        .wait(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("Stop hangs carol's phone up: {e}"));
}

/// The agent's call ends while monitored: the switch hangs up the supervisor's call too and the
/// monitoring's stop is audited.
#[test]
fn the_supervisor_is_hung_up_when_the_agents_call_ends() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let (_rec, switch) = start_switch();
    let carol = Session::login(&switch, "carol", "carol-password").expect("carol logs in");
    let mut customer = Phone::new(CUSTOMER_HZ, Codec::Pcmu);
    let mut agent = Phone::new(AGENT_HZ, Codec::Pcmu);
    let supervisor = Phone::new(SUPERVISOR_HZ, Codec::Pcmu);
    let carol_phone = answering_supervisor(&switch, &supervisor);
    // Bob hangs up 4 s after answering.
    let (customer_sipp, _bob) = connected_call(&switch, &mut customer, &mut agent, 4000);
    let r = carol
        .send(
            &switch,
            "POST",
            "/api/agents/bob/monitor",
            r#"{"mode":"listen"}"#,
        )
        .expect("POST");
    assert_eq!(r.status, 202, "{}", r.body);
    // Carol's phone answers, then gets the switch's BYE when bob's call ends.
    carol_phone
        .wait(Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("{e}\n{}", switch.log_text()));
    customer_sipp
        .wait(Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("{e}\n{}", switch.log_text()));
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let actions: Vec<String> = audit(&switch)
            .iter()
            .filter_map(|e| e["action"].as_str().map(str::to_string))
            .collect();
        if actions.iter().any(|a| a == "monitor.stop") {
            assert!(actions.iter().any(|a| a == "monitor.start"), "{actions:?}");
            break;
        }
        assert!(Instant::now() < deadline, "no monitor.stop: {actions:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
