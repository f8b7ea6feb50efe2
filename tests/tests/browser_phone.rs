//! The agent's browser phone through the real switch (issue 10; script
//! tests/browser/agent_phone.mjs): agent Bob (extension 2002) logs in on /agent in headless
//! Chromium whose fake microphone plays 440 Hz, turns "Answer in the browser" on; a SIPp
//! caller (2001, playing 1 kHz) dials the queue, the page rings and answers. The page hears
//! 1 kHz; the recording holds the caller's 1 kHz on the left and the page's 440 Hz on the
//! right (what the relay sends the caller); the page hangs up, the caller gets the BYE, the
//! agent goes to wrap-up and the CDR is Bob's. Then, Bob ready again, the tab closes: the
//! binding goes (the agent's phone is offline, no call is offered to the page) and the web
//! ports and relay ports are all free.

use std::process::Command;
use std::time::Duration;

use switchboard_e2e::browser::{Driven, AGENT_PHONES, BOB_ACCOUNT};
use switchboard_e2e::browser_tools::{browser_dir, missing_browser_tools, CHROMIUM};
use switchboard_e2e::pcap::{tone_scenario, write_tone_pcap, ToneStream};
use switchboard_e2e::recorded_call::RECORD_ALL;
use switchboard_e2e::tone::{blocks_with_tone, write_tone_wav, Wav};
use switchboard_e2e::{
    acd, free_media_port, free_port, password, sipp, wait_for_cdrs, wait_until, Options, Switch,
};

/// 50 ms blocks: whole cycles of 1 kHz and 440 Hz at 8 kHz (as tests/tests/recording.rs).
const BLOCK: usize = 400;

const CONFIG: &str = r#"
[[queues]]
name = "support"
number = "7000"
wrap_up_s = 60

[[agents]]
id = "a2002"
name = "Bob Agent"
extension = "2002"
queues = ["support"]
"#;

#[test]
fn an_agent_answers_a_queue_call_in_the_browser_and_the_phone_goes_with_the_tab() {
    if let Some(why) = missing_browser_tools(&["playwright-core", "axe-core"]) {
        testkit::cannot_run("browser", &why);
        return;
    }
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let mut sw = Switch::start(Options {
        extra_toml: format!("{CONFIG}{BOB_ACCOUNT}\n{RECORD_ALL}"),
        ..Options::default()
    })
    .expect("switch starts");
    sw.restart_with_config(|text| text + AGENT_PHONES)
        .expect("restarts with [web]");
    let dir = sw.dir.path().to_path_buf();
    let wav = dir.join("tone-440.wav");
    write_tone_wav(&wav, 440.0, 12_000, 2, 48_000).expect("tone WAV");

    let mut command = Command::new("node");
    command
        .arg(browser_dir().join("agent_phone.mjs"))
        .env("SB_URL", format!("http://127.0.0.1:{}", sw.http_port))
        .env("SB_USER", "bob")
        .env("SB_PASSWORD", "bob-password-2002")
        .env("SB_TONE_WAV", &wav)
        .env("SB_EXPECT_HZ", "1000")
        .env("SB_CHROMIUM", CHROMIUM);
    let mut script = Driven::spawn(command, "agent_phone.mjs");
    script.expect(&sw, "REGISTERED", Duration::from_secs(40));
    // The status snapshot is refreshed twice a second: the binding shows within one refresh.
    wait_until(Duration::from_secs(3), "the page's binding", || {
        (sw.status_field("registered_contacts") == 1).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}\n--- switch log ---\n{}", sw.log_text()));

    // The caller: 2001 dials the queue, plays 1 kHz and waits for the switch's BYE.
    let pcap = dir.join("caller-1000.pcap");
    write_tone_pcap(&pcap, &ToneStream::new(1000.0, 40)).expect("pcap");
    let uac = tone_scenario(&dir, "uac_keys_await_bye.xml", &pcap).expect("scenario");
    let (port, media) = (free_port().to_string(), free_media_port().to_string());
    let caller = sipp(
        &sw,
        "caller-2001",
        &uac,
        &[
            "-s",
            "7000",
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
        ],
    )
    .expect("caller");
    script.expect(&sw, "RINGING", Duration::from_secs(30));
    script.expect(&sw, "CONNECTED", Duration::from_secs(20));
    let peak = script.expect(&sw, "PEAK", Duration::from_secs(20));
    eprintln!("browser_phone: page side, {peak}");
    script.expect(&sw, "HEARD", Duration::from_secs(5));
    // Let the recording hold a few seconds of both sides.
    std::thread::sleep(Duration::from_secs(4));
    script.tell("hangup");
    script.expect(&sw, "HUNG_UP", Duration::from_secs(15));
    caller
        .wait(Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("caller: {e}\n--- switch log ---\n{}", sw.log_text()));
    script.expect(&sw, "WRAP_UP", Duration::from_secs(15));
    acd::wait_for_agent_state(&sw, "a2002", "wrap_up", Duration::from_secs(5))
        .expect("wrap-up after the page hung up");

    let cdrs =
        wait_for_cdrs(&sw.database_url, |c| c.iter().any(|c| c.ended_at.is_some())).expect("CDRs");
    let cdr = cdrs
        .iter()
        .find(|c| c.ended_at.is_some())
        .expect("the call's CDR");
    assert_eq!(cdr.caller, "2001", "{cdr:#?}");
    assert_eq!(cdr.agent.as_deref(), Some("a2002"), "{cdr:#?}");
    assert_eq!(
        cdr.disposition,
        Some(crm::Disposition::Answered),
        "{cdr:#?}"
    );
    let rec = sw.finished_recording(&cdr.call_id, Duration::from_secs(10));
    let file = dir
        .join("recordings")
        .join(rec["file"].as_str().expect("file"));
    let (left, right) = stereo(&file);
    let caller_1k = blocks_with_tone(&left, BLOCK, 1000.0);
    let agent_440 = blocks_with_tone(&right, BLOCK, 440.0);
    eprintln!(
        "browser_phone: recording {caller_1k} blocks of 1 kHz left, {agent_440} of 440 Hz right"
    );
    assert!(caller_1k >= 40, "the caller's 1 kHz ({caller_1k} blocks)");
    assert!(
        agent_440 >= 40,
        "the page's 440 Hz reached the caller's side ({agent_440} blocks)"
    );

    // Ready again, then the tab closes: the binding goes, the agent's phone is offline (no
    // call is offered to the page), and every port is free.
    let (code, body) = sw.http("POST", "/api/agents/a2002/ready").expect("ready");
    assert_eq!(code, 200, "{body}");
    acd::wait_for_agent_state(&sw, "a2002", "available", Duration::from_secs(5))
        .expect("available");
    script.tell("close");
    script.expect(&sw, "TAB_CLOSED", Duration::from_secs(10));
    wait_until(Duration::from_secs(10), "the page's binding gone", || {
        (sw.status_field("registered_contacts") == 0).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}\n--- switch log ---\n{}", sw.log_text()));
    wait_until(Duration::from_secs(5), "the agent's phone offline", || {
        let view = acd::agent_view(&sw, "a2002").ok()?;
        (view["phone_offline"] == true).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}\n--- switch log ---\n{}", sw.log_text()));
    wait_until(Duration::from_secs(20), "relay ports back to none", || {
        (sw.status_field("relay_ports_in_use") == 0 && sw.status_field("web_calls") == 0)
            .then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}\n--- switch log ---\n{}", sw.log_text()));
    let config = std::fs::read_to_string(dir.join("switchboard.toml")).expect("config");
    let port_max: u16 = config
        .lines()
        .find_map(|l| l.strip_prefix("port_max = "))
        .and_then(|v| v.trim().parse().ok())
        .expect("port_max");
    for port in port_max - 19..=port_max {
        std::net::UdpSocket::bind(("127.0.0.1", port))
            .unwrap_or_else(|e| panic!("web port {port} still taken: {e}"));
    }
    script.tell("done");
    script.expect(&sw, "PASSED", Duration::from_secs(10));
    let status = script.child.wait().expect("script exits");
    assert!(status.success(), "agent_phone.mjs exited with {status}");
}

fn stereo(path: &std::path::Path) -> (Wav, Wav) {
    let reader = hound::WavReader::open(path).expect("WAV");
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
