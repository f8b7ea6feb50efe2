//! The agent's browser phone off its main path (issue 10; script tests/browser/agent_tabs.mjs,
//! headless Chromium whose fake microphone plays 440 Hz): hold from the page is a desk phone's
//! hold (the caller hears the switch's chime, the hold time is reported), Decline hands the
//! call to the next agent and counts as a missed offer, two tabs of one agent both ring and the
//! first answer takes the call, and a tab closed while ringing hands the call on at once.
//!
//! Queue `support` (7000) rings Bob (a2002, the browser) first, then Carol (a2003, a SIPp
//! phone); the ring timeout is long (30 s) so a hand-over well before it is the phone's doing,
//! not the ACD's timer.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use media::g711::Codec;
use switchboard_e2e::acd::{self, impatient_caller, queue_calls, report_window};
use switchboard_e2e::browser::{Driven, AGENT_PHONES, BOB_ACCOUNT};
use switchboard_e2e::browser_tools::{browser_dir, missing_browser_tools, CHROMIUM};
use switchboard_e2e::tone::write_tone_wav;
use switchboard_e2e::tone_phone::{hears, quiet, relay_port, Phone};
use switchboard_e2e::{callee_with, caller_running, scenario, wait_until, Options, Sipp, Switch};

const RING_TIMEOUT_S: u64 = 30;

const CONFIG: &str = r#"
[[queues]]
name = "support"
number = "7000"
strategy = "linear"
ring_timeout_s = 30
retry_s = 1
wrap_up_s = 0

[[agents]]
id = "a2002"
name = "Bob Agent"
extension = "2002"
queues = [{ queue = "support", order = 0 }]

[[agents]]
id = "a2003"
name = "Carol"
extension = "2003"
queues = [{ queue = "support", order = 1 }]
"#;

/// The notes of the switch's hold chime (`crates/switch/src/hold.rs`).
const CHIME_HZ: [f64; 3] = [523.0, 659.0, 784.0];
const PAGE_HZ: f64 = 440.0;
const CALLER_HZ: f64 = 1000.0;

/// The switch with the browser phone on, and Bob's desk in Chromium (logged in, signed in to
/// the queue, the phone registered in tab `a`).
fn start() -> Option<(Switch, Desk)> {
    if let Some(why) = missing_browser_tools(&["playwright-core", "axe-core"]) {
        testkit::cannot_run("browser", &why);
        return None;
    }
    if !switchboard_e2e::needs_sipp() {
        return None;
    }
    let mut sw = Switch::start(Options {
        extra_toml: format!("{CONFIG}{BOB_ACCOUNT}"),
        ..Options::default()
    })
    .expect("switch starts");
    sw.restart_with_config(|text| text + AGENT_PHONES)
        .expect("restarts with [web]");
    let wav = sw.dir.path().join("tone-440.wav");
    write_tone_wav(&wav, PAGE_HZ, 12_000, 2, 48_000).expect("tone WAV");
    let mut command = Command::new("node");
    command
        .arg(browser_dir().join("agent_tabs.mjs"))
        .env("SB_URL", format!("http://127.0.0.1:{}", sw.http_port))
        .env("SB_USER", "bob")
        .env("SB_PASSWORD", "bob-password-2002")
        .env("SB_TONE_WAV", &wav)
        .env("SB_CHROMIUM", CHROMIUM);
    let mut desk = Desk(Driven::spawn(command, "agent_tabs.mjs"));
    desk.run(&sw, "login a");
    bindings(&sw, 1);
    Some((sw, desk))
}

/// Bob's tabs: one command at a time, each answered OK (else the test fails).
struct Desk(Driven);

impl Desk {
    fn run(&mut self, sw: &Switch, command: &str) -> String {
        self.0.tell(command);
        loop {
            let line = self.0.expect(sw, "", Duration::from_secs(45));
            if line.starts_with("OK ") {
                return line;
            }
            if line.starts_with("FAILED") {
                panic!("{command}: {line}\n--- switch log ---\n{}", sw.log_text());
            }
        }
    }

    fn done(mut self, sw: &Switch) {
        self.0.tell("done");
        self.0.expect(sw, "PASSED", Duration::from_secs(10));
        let status = self.0.child.wait().expect("script exits");
        assert!(status.success(), "agent_tabs.mjs exited with {status}");
    }
}

/// Waits until the registrar holds `n` bindings (the status snapshot is refreshed twice a
/// second).
fn bindings(sw: &Switch, n: u64) {
    wait_until(Duration::from_secs(5), "the pages' bindings", || {
        (sw.status_field("registered_contacts") == n).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}\n--- switch log ---\n{}", sw.log_text()));
}

/// Carol's phone: answers one call and waits for the caller's BYE.
fn carol(sw: &Switch) -> Sipp {
    callee_with(sw, "2003", &scenario("uas_answer.xml"), &["-rtp_echo"]).expect("Carol's phone")
}

fn log_in(sw: &Switch, agent: &str) {
    acd::login(sw, agent).unwrap_or_else(|e| panic!("{e}\n--- switch log ---\n{}", sw.log_text()));
}

fn wait(sw: &Switch, run: Sipp, who: &str) {
    run.wait(Duration::from_secs(40))
        .unwrap_or_else(|e| panic!("{who}: {e}\n--- switch log ---\n{}", sw.log_text()));
}

/// The agent report's row for `agent` (the last hour).
fn report(sw: &Switch, agent: &str) -> serde_json::Value {
    let body = sw
        .http_get(&format!(
            "/api/reports/agents?{}&agent={agent}",
            report_window()
        ))
        .expect("agent report");
    let rows: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let row = match &rows {
        serde_json::Value::Array(rows) => rows.iter().find(|r| r["agent"] == agent).cloned(),
        other => other["agents"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["agent"] == agent).cloned()),
    };
    row.unwrap_or_else(|| panic!("no row for {agent}: {body}"))
}

/// A caller reaches the queue while Carol is signed in too; Bob's page rings, `act` is done
/// in his tabs; the call must go to Carol at once (well before the ring timeout), `why`.
fn bob_rings_then_carol_takes_it(
    sw: &Switch,
    desk: &mut Desk,
    act: impl FnOnce(&mut Desk),
    why: &str,
) {
    log_in(sw, "a2003");
    let carol = carol(sw);
    let caller = impatient_caller(sw, "2001", "7000", Duration::from_secs(8)).expect("caller");
    desk.run(sw, "state a ringing");
    act(desk);
    wait(sw, caller, "the caller");
    wait(sw, carol, "Carol's phone");
    let calls = queue_calls(sw, 1).unwrap_or_else(|e| panic!("{e}"));
    let call = calls.last().expect("the call");
    assert_eq!(
        call.summary(),
        [
            "enter",
            "ring:a2002",
            "ring_no_answer:a2002",
            "ring:a2003",
            "connect:a2003",
            "complete:a2003"
        ]
    );
    let rang = call
        .events
        .iter()
        .find_map(|e| match &e.kind {
            crm::QueueEventKind::RingNoAnswer { agent, rang } if agent == "a2002" => Some(*rang),
            _ => None,
        })
        .expect("Bob's ring_no_answer");
    assert!(
        rang < Duration::from_secs(RING_TIMEOUT_S),
        "handed on {why}, not at the ring timeout: {rang:?}"
    );
}

#[test]
fn a_declined_offer_goes_to_the_next_agent_and_counts_as_missed() {
    let Some((sw, mut desk)) = start() else {
        return;
    };
    let decline = |desk: &mut Desk| {
        desk.run(&sw, "click a Decline");
        desk.run(&sw, "state a registered");
        let status = desk.run(&sw, "status a");
        assert!(status.contains("Declined"), "{status}");
    };
    bob_rings_then_carol_takes_it(&sw, &mut desk, decline, "by the decline");
    let bob = report(&sw, "a2002");
    assert_eq!(bob["missed_offers"], 1, "{bob}");
    desk.done(&sw);
}

#[test]
fn a_tab_closed_while_ringing_hands_the_call_on_at_once() {
    let Some((sw, mut desk)) = start() else {
        return;
    };
    let close = |desk: &mut Desk| {
        desk.run(&sw, "close a");
    };
    bob_rings_then_carol_takes_it(&sw, &mut desk, close, "when the tab closed");
    // The binding went with the tab (Carol's phone's is left): Bob's phone is offline.
    bindings(&sw, 1);
    wait_until(Duration::from_secs(5), "Bob's phone offline", || {
        let view = acd::agent_view(&sw, "a2002").ok()?;
        (view["phone_offline"] == true).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}\n--- switch log ---\n{}", sw.log_text()));
    desk.done(&sw);
}

#[test]
fn two_tabs_of_one_agent_both_ring_and_the_first_answer_takes_the_call() {
    let Some((sw, mut desk)) = start() else {
        return;
    };
    // The second tab turns the phone on by itself (kept on in this browser): two bindings.
    desk.run(&sw, "open b");
    bindings(&sw, 2);
    let caller = impatient_caller(&sw, "2001", "7000", Duration::from_secs(9)).expect("caller");
    desk.run(&sw, "state a ringing");
    desk.run(&sw, "state b ringing");
    desk.run(&sw, "click b Answer");
    desk.run(&sw, "state b talking");
    // The other tab stops ringing: the switch cancelled its offer.
    desk.run(&sw, "state a registered");
    let status = desk.run(&sw, "status a");
    assert!(status.contains("someone else"), "{status}");
    // The caller hangs up: the answering tab's call ends, both tabs stay registered.
    wait(&sw, caller, "the caller");
    desk.run(&sw, "state b registered");
    let calls = queue_calls(&sw, 1).unwrap_or_else(|e| panic!("{e}"));
    let call = calls.last().expect("the call");
    assert_eq!(
        call.summary(),
        ["enter", "ring:a2002", "connect:a2002", "complete:a2002"]
    );
    bindings(&sw, 2);
    desk.done(&sw);
}

/// A caller's media on the test's socket, played and heard on a thread of its own so it runs
/// while the test waits for the page.
struct CallerMedia {
    heard: Arc<Mutex<Vec<i16>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl CallerMedia {
    fn start(mut phone: Phone) -> CallerMedia {
        let heard = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (h, s) = (heard.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let start = std::time::Instant::now();
            let mut n = 0u32;
            while !s.load(Ordering::Relaxed) {
                phone.send();
                phone.drain();
                if let Ok(mut heard) = h.lock() {
                    heard.append(&mut phone.heard);
                }
                n += 1;
                let next = start + Duration::from_millis(20) * n;
                std::thread::sleep(next.saturating_duration_since(std::time::Instant::now()));
            }
        });
        CallerMedia {
            heard,
            stop,
            thread: Some(thread),
        }
    }

    /// What the caller hears over the next `ms`.
    fn listen(&self, ms: u64) -> Vec<i16> {
        self.heard.lock().expect("heard").clear();
        std::thread::sleep(Duration::from_millis(ms));
        std::mem::take(&mut *self.heard.lock().expect("heard"))
    }
}

impl Drop for CallerMedia {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// 400 ms blocks of `heard` holding one of the chime's notes.
fn chime_blocks(heard: &[i16]) -> usize {
    heard
        .chunks(3200)
        .filter(|block| CHIME_HZ.iter().any(|&f| hears(block, f)))
        .count()
}

#[test]
fn hold_from_the_browser_plays_the_caller_the_chime_and_resume_brings_the_agent_back() {
    let Some((sw, mut desk)) = start() else {
        return;
    };
    // The caller: SIPp signalling, the test's socket for media (1 kHz, PCMU); it waits for the
    // page's hang-up.
    let phone = Phone::new(CALLER_HZ, Codec::Pcmu);
    let xml = std::fs::read_to_string(scenario("uac_keys_await_bye.xml")).expect("scenario");
    let start = xml.find("  <nop>").expect("the pcap's <nop>");
    let end = xml.find("  </nop>").expect("</nop>") + "  </nop>\n".len();
    let xml = format!("{}{}", &xml[..start], &xml[end..]).replace(
        "m=audio [media_port] RTP/AVP 0 101",
        &format!("m=audio {} RTP/AVP 0 101", phone.port()),
    );
    let file = sw.dir.path().join("caller-await-bye.xml");
    std::fs::write(&file, xml).expect("scenario copy");
    let caller = caller_running(&sw, "2001", "7000", &file, &[]).expect("caller");
    let mut phone = phone;
    phone.relay = Some(relay_port(&caller, phone.port(), &sw));
    let media = CallerMedia::start(phone);

    desk.run(&sw, "state a ringing");
    desk.run(&sw, "click a Answer");
    desk.run(&sw, "state a talking");
    desk.run(&sw, "hear a 1000");
    let talking = media.listen(2000);
    assert!(
        hears(&talking, PAGE_HZ),
        "the caller hears the page\n{}",
        sw.log_text()
    );

    desk.run(&sw, "click a Hold");
    desk.run(&sw, "held a true");
    let status = desk.run(&sw, "status a");
    assert!(status.contains("On hold"), "{status}");
    media.listen(300);
    let held = media.listen(3000);
    let chimes = chime_blocks(&held);
    assert!(
        chimes >= 2,
        "the caller hears the switch's chime: {chimes} blocks\n{}",
        sw.log_text()
    );
    assert!(quiet(&held, PAGE_HZ), "the page is no longer heard on hold");

    desk.run(&sw, "click a Resume");
    desk.run(&sw, "held a false");
    media.listen(300);
    let resumed = media.listen(2000);
    assert!(hears(&resumed, PAGE_HZ), "the caller hears the page again");
    assert_eq!(chime_blocks(&resumed), 0, "the chime stopped");

    desk.run(&sw, "click a Hang up");
    desk.run(&sw, "state a registered");
    wait(&sw, caller, "the caller");
    drop(media);
    // The hold counts in the agent report as a desk phone's does.
    let calls = queue_calls(&sw, 1).unwrap_or_else(|e| panic!("{e}"));
    let call = calls.last().expect("the call");
    let hold = call
        .events
        .iter()
        .find_map(|e| match &e.kind {
            crm::QueueEventKind::Complete { hold, .. } => Some(*hold),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no complete: {:?}", call.summary()));
    assert!(hold >= Duration::from_secs(3), "hold time {hold:?}");
    let bob = report(&sw, "a2002");
    let hold_secs = bob["hold_secs"].as_f64().unwrap_or(0.0);
    assert!(hold_secs >= 3.0, "{bob}");
    desk.done(&sw);
}
