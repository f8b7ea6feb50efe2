//! Documented HTTP answers with no other test (docs/operations.md), on the real binary with rows
//! seeded into its SQLite database: a recording's audio answers 410 once deleted and 409 while
//! still recording; no audio is served when its audit row cannot be written; the CDR list's
//! `limit` defaults to 50 and is held to 1..1000.

use serde_json::Value;
use switchboard_e2e::{seed, Options, Switch};

fn switch() -> Switch {
    Switch::start(Options {
        extra_toml: "[[agents]]\nid = \"alice\"\nextension = \"2001\"\n".into(),
        ..Options::default()
    })
    .expect("switch starts")
}

fn get(sw: &Switch, path: &str) -> (u16, String) {
    sw.http("GET", path)
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

fn audit_rows(sw: &Switch) -> usize {
    let (code, body) = get(sw, "/api/audit");
    assert_eq!(code, 200, "{body}");
    let rows: Value = serde_json::from_str(&body).expect("audit JSON");
    rows.as_array().map(Vec::len).expect("audit list")
}

#[test]
fn audio_answers_410_when_deleted_409_while_recording_and_nothing_without_its_audit_row() {
    let sw = switch();
    let (done, bytes) = seed::recording(&sw, "call-done", "alice", 4000).expect("seed");
    let (gone, _) = seed::recording(&sw, "call-gone", "alice", 100).expect("seed");
    let (live, _) = seed::recording(&sw, "call-live", "alice", 100).expect("seed");
    seed::sql(
        &sw,
        &format!(
            "UPDATE recordings SET status = 'deleted' WHERE id = '{gone}';
             UPDATE recordings SET status = 'recording' WHERE id = '{live}';"
        ),
    )
    .expect("statuses");

    let (code, body) = get(&sw, &format!("/api/recordings/{gone}/audio"));
    assert_eq!(code, 410, "deleted: {body}");
    assert!(body.contains("recording deleted"), "{body}");
    let (code, body) = get(&sw, &format!("/api/recordings/{live}/audio"));
    assert_eq!(code, 409, "still recording: {body}");
    assert!(body.contains("still recording"), "{body}");
    assert_eq!(audit_rows(&sw), 0, "no audio, no audit row");

    // The audit table refuses rows: the audio is refused too, and nothing of it is sent.
    seed::audit_down(&sw, true).expect("break the audit table");
    let audio = format!("/api/recordings/{done}/audio");
    let r = sw.http_send("GET", &audio, None, b"").expect("GET audio");
    assert_eq!(r.status, 500, "served without an audit row");
    assert!(
        r.bytes.len() < 200,
        "no audio in the error: {} bytes",
        r.bytes.len()
    );
    assert_eq!(audit_rows(&sw), 0);

    // Once the audit row can be written, the same request gets the file.
    seed::audit_down(&sw, false).expect("mend the audit table");
    let r = sw.http_send("GET", &audio, None, b"").expect("GET audio");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.bytes, bytes);
    assert_eq!(audit_rows(&sw), 1);
}

#[test]
fn the_cdr_list_shows_50_by_default_and_between_1_and_1000() {
    let sw = switch();
    let values: Vec<String> = (0..1005)
        .map(|i| {
            format!(
                "('seeded-{i:04}', '2004', '7000', '2025-01-01T00:{:02}:{:02}Z')",
                i / 60 % 60,
                i % 60
            )
        })
        .collect();
    seed::sql(
        &sw,
        &format!(
            "INSERT INTO cdrs (call_id, caller, callee, started_at) VALUES {};",
            values.join(",")
        ),
    )
    .expect("seed CDRs");
    let count = |query: &str| -> usize {
        let (code, body) = get(&sw, &format!("/api/cdrs{query}"));
        assert_eq!(code, 200, "{query}: {body}");
        let list: Value = serde_json::from_str(&body).expect("CDR JSON");
        list.as_array().map(Vec::len).expect("CDR list")
    };
    assert_eq!(count(""), 50, "default");
    assert_eq!(count("?limit=7"), 7);
    assert_eq!(count("?limit=0"), 1, "at least one");
    assert_eq!(count("?limit=1000"), 1000);
    assert_eq!(count("?limit=5000"), 1000, "at most 1000");
    let (_, body) = get(&sw, "/api/cdrs?limit=2");
    let newest: Value = serde_json::from_str(&body).expect("CDR JSON");
    assert_eq!(
        newest[0]["call_id"], "seeded-1004",
        "newest first: {newest}"
    );
}
