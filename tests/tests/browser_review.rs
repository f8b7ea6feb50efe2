//! The QA review page and its recording player in headless Chromium (issue 11, "Review";
//! script tests/browser/review.mjs). A real call is recorded through the switch (SIPp peers:
//! caller 1 kHz on the left channel, callee 440 Hz on the right), linked to a VIP customer with
//! a wrap-up; a QA reviewer picks it from the page's list, plays it (the audio element really
//! plays), seeks by a time-stamped comment, changes speed and mutes the agent (the analysed
//! output keeps the caller's tone only), skips past both ends, scores the default form as
//! `qa::score` does (the shared fixture), adds an improvement point, reloads and finds nothing
//! kept (ad-hoc listening saves nothing); axe-clean in English and Korean. The waveform
//! endpoint is checked over HTTP here too: both channels' tones, bounds on `n`, and the audit
//! rows of what the reviewer played. The review of a QA task is `browser_qa_console.rs`.

use std::path::Path;
use std::time::Duration;
use switchboard_e2e::browser::{json, missing_tools, Script};
use switchboard_e2e::recorded_call::{two_tone_call, RECORD_ALL};
use switchboard_e2e::{seed, Options, Switch};

const QA_USER: &str = "quinn";
const QA_PASSWORD: &str = "quinn-reviews-calls";
const CUSTOMER: &str = "Kim Min-jun";
const WRAP_CODE: &str = "resolved";
const WRAP_NOTES: &str = "card replaced, customer satisfied";

fn config() -> String {
    format!(
        "{RECORD_ALL}
[[accounts]]
username = \"{QA_USER}\"
password = \"{QA_PASSWORD}\"
role = \"qa\"
"
    )
}

/// Links the call to a VIP customer (made through the API), a queue and an agent, with IVR
/// choices, its wrap-up and one earlier contact: the context the page shows beside the player.
fn give_context(sw: &Switch, call_id: &str) {
    let r = sw
        .http_json(
            "POST",
            "/api/customers",
            &format!(
                r#"{{"name": "{CUSTOMER}", "grade": "vip",
                    "phones": [{{"number": "2001", "label": "work"}}]}}"#
            ),
        )
        .expect("create customer");
    assert_eq!(r.status, 201, "{}", r.body);
    let id = json(&r.body)["id"].as_i64().expect("customer id");
    seed::sql(
        sw,
        &format!(
            "UPDATE cdrs SET queue = 'support', agent = 'bob', customer_id = {id},
                 vars = '{{\"menu\":\"2\",\"account_type\":\"card\"}}'
             WHERE call_id = '{call_id}';
             INSERT INTO contacts (call_id, channel, number, customer_id, at, queue, agent,
                                   duration_ms, outcome, wrap_up_code, notes)
             VALUES ('{call_id}', 'voice_inbound', '2001', {id}, '2026-01-05T09:00:00.000000Z',
                     'support', 'bob', 8000, 'answered', '{WRAP_CODE}', '{WRAP_NOTES}'),
                    ('earlier-call', 'voice_inbound', '2001', {id}, '2025-12-01T10:00:00.000000Z',
                     'support', 'alice', 60000, 'answered', 'follow_up', 'asked about fees');"
        ),
    )
    .expect("seed context");
}

#[test]
fn a_reviewer_plays_comments_and_scores_a_recorded_call_in_headless_chromium() {
    if let Some(why) = missing_tools() {
        testkit::cannot_run("browser", &why);
        return;
    }
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let sw = Switch::start(Options {
        extra_toml: config(),
        ..Default::default()
    })
    .expect("switch starts");
    let call = two_tone_call(&sw, 1000.0, 440.0, 8000).expect("recorded call");
    let rec_id = call.recording["id"]
        .as_str()
        .expect("recording id")
        .to_owned();
    give_context(&sw, &call.cdr.call_id);

    // The waveform: the caller's tone on the left, the agent's on the right, throughout.
    let (code, body) = sw
        .http("GET", &format!("/api/recordings/{rec_id}/peaks?n=40"))
        .expect("peaks");
    assert_eq!(code, 200, "{body}");
    let peaks = json(&body);
    assert_eq!(peaks["buckets"], 40, "{peaks}");
    assert_eq!(peaks["channels"], 2, "{peaks}");
    for ch in 0..2 {
        let lane: Vec<f64> = peaks["peaks"][ch]
            .as_array()
            .expect("a lane per channel")
            .iter()
            .filter_map(|v| v.as_f64())
            .collect();
        assert_eq!(lane.len(), 40);
        let loud = lane[5..35].iter().filter(|v| **v > 0.1).count();
        assert!(loud >= 28, "channel {ch} holds its tone mid-call: {lane:?}");
    }
    for bad in ["n=0", "n=4001", "n=many", ""] {
        let (code, body) = sw
            .http("GET", &format!("/api/recordings/{rec_id}/peaks?{bad}"))
            .expect("peaks");
        assert_eq!(code, 400, "{bad}: {body}");
    }
    let (code, _) = sw
        .http("GET", "/api/recordings/no-such-recording/peaks?n=10")
        .expect("peaks");
    assert_eq!(code, 404);

    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/qa/tests/fixtures/score_cases.json")
        .canonicalize()
        .expect("score fixture");
    let script = Script::start(
        &sw,
        "review",
        "review",
        [
            ("SB_USER", QA_USER.to_string()),
            ("SB_PASSWORD", QA_PASSWORD.to_string()),
            ("SB_CDR", call.cdr.call_id.clone()),
            ("SB_CUSTOMER", CUSTOMER.to_string()),
            ("SB_WRAP_CODE", WRAP_CODE.to_string()),
            ("SB_WRAP_NOTES", WRAP_NOTES.to_string()),
            ("SB_CALLER_HZ", "1000".to_string()),
            ("SB_AGENT_HZ", "440".to_string()),
            ("SB_FIXTURE", fixture.display().to_string()),
        ],
    );
    script.passed(&sw, Duration::from_secs(150));

    // What the reviewer heard and saw is in the audit log, under their name.
    let (code, body) = sw.http("GET", "/api/audit").expect("audit");
    assert_eq!(code, 200, "{body}");
    let rows = json(&body);
    let mine: Vec<_> = rows
        .as_array()
        .expect("audit list")
        .iter()
        .filter(|r| r["account"] == QA_USER && r["object_id"] == rec_id.as_str())
        .collect();
    assert!(
        mine.iter().any(|r| r["action"] == "recording.play"
            && r["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with("bytes "))),
        "no audited playback: {rows:#}"
    );
    assert!(
        mine.iter().any(|r| r["action"] == "recording.play"
            && r["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with("peaks n="))),
        "no audited waveform: {rows:#}"
    );
}
