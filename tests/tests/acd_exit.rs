//! Queue exit keys end to end: a SIPp caller waiting in a queue with no agent presses a key as
//! RFC 4733 events (payload type 101 in its RTP, from `switchboard_e2e::pcap`) and either
//! leaves a message, which is recorded, listed by the messages API and playable, or is taken to
//! an extension, where a SIPp phone answers. The queue events and the CDR are checked in the
//! database.

use anyhow::{bail, Context};
use std::time::{Duration, Instant};
use switchboard_e2e::acd::{all_succeed, queue_calls};
use switchboard_e2e::pcap::{tone_scenario, write_tone_pcap, ToneStream};
use switchboard_e2e::tone::{blocks_with_tone, Wav};
use switchboard_e2e::{
    callee_with, free_media_port, free_port, password, scenario, sipp, Options, Sipp, Switch,
};

/// Queue `support` at 7000 whose only agent is logged out, so callers wait; key 1 leaves a
/// message (a 300 ms beep first), key 0 goes to extension 2003.
const ACD: &str = r#"
[[queues]]
name = "support"
number = "7000"
exit_keys = { "1" = "message", "0" = "2003" }
message_prompt = "tone:1000:300"
message_max_s = 30

[[agents]]
id = "a2002"
extension = "2002"
queues = [{ queue = "support" }]
"#;

/// What the caller sends: 440 Hz, so the 1 kHz beep the switch plays is told apart.
const CALLER_HZ: f64 = 440.0;

fn start() -> Switch {
    Switch::start(Options {
        extra_toml: ACD.into(),
        ..Options::default()
    })
    .expect("switch starts")
}

/// A caller from 2001 dialling 7000 that plays `seconds` of 440 Hz with `key` pressed at
/// `key_ms`, and hangs up `talk_ms` after the queue answers.
fn key_caller(sw: &Switch, key: char, key_ms: u64, seconds: u32, talk_ms: u64) -> Sipp {
    let dir = sw.dir.path();
    let pcap = dir.join(format!("caller-key{}.pcap", key as u32));
    write_tone_pcap(
        &pcap,
        &ToneStream::new(CALLER_HZ, seconds).key_at(key_ms, key),
    )
    .expect("pcap");
    let file = tone_scenario(dir, "uac_keys_tone.xml", &pcap).expect("scenario");
    let port = free_port().to_string();
    let media = free_media_port().to_string();
    let talk = talk_ms.to_string();
    sipp(
        sw,
        &format!("key-caller-{port}"),
        &file,
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
            "-d",
            &talk,
        ],
    )
    .expect("caller starts")
}

/// GET /api/queues/support/messages until one message has a duration (finished), or 10 s.
fn finished_message(sw: &Switch) -> anyhow::Result<serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (code, body) = sw.http("GET", "/api/queues/support/messages")?;
        if code != 200 {
            bail!("messages: {code} {body}");
        }
        let list: Vec<serde_json::Value> = serde_json::from_str(&body).context("messages JSON")?;
        if let [one] = list.as_slice() {
            if one.get("duration_ms").is_some_and(|d| !d.is_null()) {
                return Ok(one.clone());
            }
        }
        if list.len() > 1 || Instant::now() > deadline {
            bail!("want one finished message, have {body}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The left (caller) channel of a stereo 16-bit 8 kHz WAV.
fn left_channel(bytes: &[u8]) -> anyhow::Result<Wav> {
    let reader = hound::WavReader::new(std::io::Cursor::new(bytes)).context("a WAV")?;
    let spec = reader.spec();
    if spec.channels != 2 || spec.sample_rate != 8000 || spec.bits_per_sample != 16 {
        bail!("want 8 kHz 16-bit stereo, got {spec:?}");
    }
    let samples: Vec<i16> = reader.into_samples::<i16>().collect::<Result<_, _>>()?;
    Ok(Wav {
        sample_rate: 8000,
        samples: samples.iter().step_by(2).copied().collect(),
    })
}

#[test]
fn a_waiting_caller_presses_1_and_leaves_a_message() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let sw = start();
    let fail = |e: anyhow::Error| -> ! { panic!("{e:#}\n--- switch log ---\n{}", sw.log_text()) };
    // Key 1 at 1 s; the caller keeps talking until it hangs up 4 s after the answer.
    let caller = key_caller(&sw, '1', 1000, 5, 4000);
    all_succeed(&sw, vec![caller], Duration::from_secs(30)).unwrap_or_else(|e| fail(e));

    let calls = queue_calls(&sw, 1).unwrap_or_else(|e| fail(e));
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(
        call.summary(),
        ["enter", "exit_key"],
        "no abandon: {:?}",
        call.events
    );
    assert_eq!(call.cdr.queue.as_deref(), Some("support"));
    assert_eq!(call.cdr.agent, None);

    let message = finished_message(&sw).unwrap_or_else(|e| fail(e));
    let field = |k: &str| message.get(k).and_then(|v| v.as_str()).unwrap_or_default();
    assert_eq!(field("caller"), "2001", "{message}");
    assert_eq!(field("queue"), "support", "{message}");
    assert_eq!(field("call_id"), call.cdr.call_id, "{message}");
    assert_eq!(field("status"), "complete", "{message}");
    // Recorded from after the key and the beep (~1.4 s) to the hang-up (4 s).
    let ms = message["duration_ms"].as_i64().unwrap_or(0);
    assert!((1800..=3200).contains(&ms), "message of {ms} ms: {message}");

    // The audio plays: the caller's 440 Hz on the left for most of the message.
    let audio = sw
        .http_send("GET", field("audio_url"), None, &[])
        .unwrap_or_else(|e| fail(e));
    assert_eq!(audio.status, 200, "{}", audio.body);
    assert_eq!(audio.header("content-type"), Some("audio/wav"));
    let left = left_channel(&audio.bytes).unwrap_or_else(|e| fail(e));
    let blocks = left.samples.len() / 400;
    let toned = blocks_with_tone(&left, 400, CALLER_HZ);
    assert!(
        blocks >= 30 && toned * 10 >= blocks * 8,
        "440 Hz in {toned} of {blocks} 50 ms blocks"
    );
}

#[test]
fn a_waiting_caller_presses_0_and_reaches_the_extension() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let sw = start();
    let fail = |e: anyhow::Error| -> ! { panic!("{e:#}\n--- switch log ---\n{}", sw.log_text()) };
    let phone = callee_with(&sw, "2003", &scenario("uas_answer.xml"), &["-rtp_echo"])
        .unwrap_or_else(|e| fail(e));
    let caller = key_caller(&sw, '0', 1000, 4, 3500);
    all_succeed(&sw, vec![caller, phone], Duration::from_secs(30)).unwrap_or_else(|e| fail(e));

    let calls = queue_calls(&sw, 1).unwrap_or_else(|e| fail(e));
    let call = &calls[0];
    assert_eq!(call.summary(), ["enter", "exit_key"], "{:?}", call.events);
    assert_eq!(call.cdr.disposition, Some(crm::Disposition::Answered));
    assert!(
        call.cdr
            .legs
            .iter()
            .any(|l| l.extension == "2003" && l.answered_at.is_some()),
        "the extension answered: {:?}",
        call.cdr.legs
    );
    assert_eq!(
        call.cdr.vars.get("queue_exit").map(String::as_str),
        Some("0"),
        "{:?}",
        call.cdr.vars
    );
    // No message was left.
    let (code, body) = sw
        .http("GET", "/api/queues/support/messages")
        .expect("messages");
    assert_eq!((code, body.as_str()), (200, "[]"));
}
