//! Web calls through the real switch (issue 10).
//! - A visitor on the demo page (`/demo`, headless Chromium with a 1 kHz fake microphone)
//!   clicks "Call us", passes the IVR with the widget's keypad, reaches an agent (SIPp playing
//!   440 Hz) through the queue: the page hears 440 Hz, the recording's caller channel holds
//!   the browser's 1 kHz, the contact row says `web_call`; the tab closes mid-call and the call
//!   ends, with the switch's web calls and relay ports back to none.
//! - Refusals without a browser (a WebSocket client): a wrong origin (403 before the upgrade),
//!   an unknown entry, bad JSON, a forged signature, a closed entry and too many calls from one
//!   address each get their clear answer; an expired signature is downgraded to unverified.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use switchboard_e2e::browser_tools::{browser_dir, missing_browser_tools, CHROMIUM};
use switchboard_e2e::pcap::{tone_scenario, write_tone_pcap, ToneStream};
use switchboard_e2e::tone::{blocks_with_tone, write_tone_wav, Wav};
use switchboard_e2e::{callee_with, wait_for_cdrs, wait_until, Options, Switch};

/// 50 ms blocks: whole cycles of 1 kHz and 440 Hz at 8 kHz (as tests/tests/recording.rs).
const BLOCK: usize = 400;

const PLAN: &str = r#"
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
prompts = ["tone:700:400"]
options = { "1" = "loans" }
timeout = "15s"
max_attempts = 2
fallback = "bye"

[[step]]
id = "loans"
type = "queue"
queue = "loans"

[[step]]
id = "bye"
type = "hangup"
"#;

/// The `[web]` section for a switch whose pages are at `http://127.0.0.1:{http_port}`.
fn web_section(http_port: u16, extra_entries: &str) -> String {
    format!(
        "\n[web]\nports = 20\nconnect_timeout_s = 10\ncalls_per_minute_per_address = 3\n\
         demo_page = \"loans\"\n\
         [[web.entries]]\nname = \"loans\"\nroute = \"1588\"\n\
         allowed_origins = [\"http://127.0.0.1:{http_port}\", \"https://bank.example\"]\n\
         secret = \"0123456789abcdef-test\"\n{extra_entries}"
    )
}

fn web_switch(extra_entries: &str) -> (Switch, tempfile::TempDir) {
    let plans = tempfile::tempdir().expect("plan dir");
    std::fs::write(plans.path().join("web.toml"), PLAN).expect("plan");
    let opts = Options {
        extra_toml: format!(
            "[ivr]\ndialplans = \"{}\"\n\
             [[queues]]\nname = \"loans\"\n\
             [[agents]]\nid = \"kim\"\nname = \"Kim\"\nextension = \"2002\"\nqueues = [\"loans\"]\n",
            plans.path().display()
        ),
        ..Options::default()
    };
    let mut sw = Switch::start(opts).expect("switch starts");
    let port = sw.http_port;
    sw.restart_with_config(|text| text + &web_section(port, extra_entries))
        .expect("restarts with [web]");
    (sw, plans)
}

/// The browser script, fed commands on stdin, its stdout lines on a channel.
struct Script {
    child: std::process::Child,
    lines: mpsc::Receiver<String>,
}

impl Script {
    fn tell(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().expect("stdin");
        writeln!(stdin, "{line}").expect("tell the script");
    }

    fn expect(&mut self, sw: &Switch, prefix: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.starts_with(prefix) => return line,
                Ok(_) => {}
                Err(_) => panic!(
                    "no {prefix} from web_widget.mjs within {within:?}\n--- switch log ---\n{}",
                    sw.log_text()
                ),
            }
        }
    }
}

#[test]
fn a_visitor_calls_from_the_demo_page_through_the_ivr_to_an_agent_and_leaves() {
    if let Some(why) = missing_browser_tools(&["playwright-core"]) {
        testkit::cannot_run("browser", &why);
        return;
    }
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let (sw, _plans) = web_switch("");
    let dir = sw.dir.path().to_path_buf();
    let wav = dir.join("tone-1000.wav");
    write_tone_wav(&wav, 1000.0, 12_000, 2, 48_000).expect("tone WAV");
    // The agent: 2002 answers and plays 440 Hz until the switch hangs up.
    let pcap = dir.join("agent-440.pcap");
    write_tone_pcap(&pcap, &ToneStream::new(440.0, 30)).expect("pcap");
    let uas = tone_scenario(&dir, "uas_tone.xml", &pcap).expect("scenario");
    let agent = callee_with(&sw, "2002", &uas, &[]).expect("agent phone");
    switchboard_e2e::acd::login(&sw, "kim").expect("agent logs in");

    let mut child = Command::new("node")
        .arg(browser_dir().join("web_widget.mjs"))
        .env("SB_URL", format!("http://127.0.0.1:{}/demo", sw.http_port))
        .env("SB_TONE_WAV", &wav)
        .env("SB_CHROMIUM", CHROMIUM)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut script = Script { child, lines };

    let started = Instant::now();
    script.expect(&sw, "IVR", Duration::from_secs(30));
    eprintln!("web_calls: click to IVR in {:?}", started.elapsed());
    // The status snapshot is refreshed twice a second.
    wait_until(Duration::from_secs(3), "one web call in the status", || {
        (sw.status_field("web_calls") == 1).then_some(())
    })
    .expect("the call counts");
    script.tell("keys 1");
    script.expect(&sw, "CONNECTED", Duration::from_secs(30));
    let peak = script.expect(&sw, "PEAK", Duration::from_secs(20));
    eprintln!("web_calls: page side, {peak}");
    script.expect(&sw, "HEARD", Duration::from_secs(5));
    // Let the recording hold a few seconds of both sides.
    std::thread::sleep(Duration::from_secs(4));
    script.tell("close");
    script.expect(&sw, "TAB_CLOSED", Duration::from_secs(10));

    // The tab is gone: the call ends (WebSocket closed, the gateway's BYE), everything freed.
    wait_until(
        Duration::from_secs(20),
        "web calls and relay ports back to none",
        || {
            (sw.status_field("web_calls") == 0 && sw.status_field("relay_ports_in_use") == 0)
                .then_some(())
        },
    )
    .unwrap_or_else(|e| panic!("{e}\n--- switch log ---\n{}", sw.log_text()));
    agent
        .wait(Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("agent: {e}\n--- switch log ---\n{}", sw.log_text()));
    script.tell("done");
    script.expect(&sw, "PASSED", Duration::from_secs(10));
    let status = script.child.wait().expect("script exits");
    assert!(status.success(), "web_widget.mjs exited with {status}");

    let cdrs =
        wait_for_cdrs(&sw.database_url, |c| c.iter().any(|c| c.ended_at.is_some())).expect("CDRs");
    let cdr = cdrs
        .iter()
        .find(|c| c.ended_at.is_some())
        .expect("the web call's CDR");
    assert_eq!(cdr.caller, "web");
    assert_eq!(
        cdr.disposition,
        Some(crm::Disposition::Answered),
        "{cdr:#?}"
    );
    assert_eq!(cdr.agent.as_deref(), Some("kim"), "{cdr:#?}");

    // The contact history: the call's row, channel web_call, with the agent.
    let call_id = cdr.call_id.clone();
    let contact = wait_until(
        Duration::from_secs(10),
        "the web call's contact row",
        || {
            switchboard_e2e::acd::with_crm(&sw, async |crm| {
                Ok(crm.contact_by_call(&call_id).await?)
            })
            .ok()
            .flatten()
        },
    )
    .expect("contact row");
    assert_eq!(contact.channel, crm::Channel::WebCall, "{contact:?}");
    assert_eq!(contact.agent.as_deref(), Some("kim"), "{contact:?}");

    // The recording: the caller's channel (left) is the browser's 1 kHz, the agent's 440 Hz.
    let rec = sw.finished_recording(&cdr.call_id, Duration::from_secs(10));
    let file = dir
        .join("recordings")
        .join(rec["file"].as_str().expect("file"));
    let (left, right) = stereo(&file);
    let caller_1k = blocks_with_tone(&left, BLOCK, 1000.0);
    let agent_440 = blocks_with_tone(&right, BLOCK, 440.0);
    eprintln!("web_calls: recording {caller_1k} blocks of 1 kHz left, {agent_440} of 440 Hz right");
    assert!(
        caller_1k >= 40,
        "the browser's 1 kHz reached the agent side ({caller_1k} blocks)"
    );
    assert!(
        agent_440 >= 40,
        "the agent's 440 Hz is recorded ({agent_440} blocks)"
    );
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
