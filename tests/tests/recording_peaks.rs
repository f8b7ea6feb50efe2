//! The review page's waveform, `GET /api/recordings/{id}/peaks?n=`, against the real binary
//! (SQLite) on a WAV written here with known samples: the loudest magnitude of each span of
//! each channel; the same people as the audio (an agent only for their own calls), each answer
//! audited as `recording.play` and none served without its audit row; 422 for a file that is
//! not a whole WAV, 404 for a file gone from disk, 410 deleted, 409 still recording.

use serde_json::{json, Value};
use switchboard_e2e::http_client::{request, Session};
use switchboard_e2e::{seed, Options, Switch};

const ACCOUNTS: &str = r#"
[[agents]]
id = "alice"
extension = "2001"
[[agents]]
id = "bob"
extension = "2002"
[[accounts]]
username = "quinn"
password = "quinn-password"
role = "qa"
[[accounts]]
username = "alice"
password = "alice-password"
role = "agent"
agent = "alice"
[[accounts]]
username = "bob"
password = "bob-password"
role = "agent"
agent = "bob"
"#;

/// One second of 8 kHz stereo: the caller (left) at half scale for the first half second, the
/// agent (right) at full scale for the second.
fn write_wav(path: &std::path::Path) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("wav");
    for frame in 0..8000 {
        let (left, right) = if frame < 4000 {
            (-16384, 0)
        } else {
            (0, 32767)
        };
        w.write_sample(left as i16).expect("sample");
        w.write_sample(right as i16).expect("sample");
    }
    w.finalize().expect("finalize");
}

fn get(s: &Switch, who: Option<&Session>, path: &str) -> (u16, Value) {
    let r = match who {
        Some(l) => request(
            s.http_port,
            "GET",
            path,
            &[("Cookie", l.cookie.as_str())],
            b"",
        ),
        None => s.http_send("GET", path, None, b""),
    }
    .expect("request");
    (
        r.status,
        serde_json::from_str(&r.body).unwrap_or(Value::Null),
    )
}

fn peaks_rows(s: &Switch) -> Vec<(String, String)> {
    let (code, rows) = get(s, None, "/api/audit");
    assert_eq!(code, 200, "{rows}");
    rows.as_array()
        .expect("audit list")
        .iter()
        .filter(|r| {
            r["action"] == "recording.play"
                && r["detail"].as_str().is_some_and(|d| d.starts_with("peaks"))
        })
        .map(|r| {
            (
                r["account"].as_str().unwrap_or_default().to_owned(),
                r["detail"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn peaks_of_a_wav_for_those_who_may_hear_it_each_audited() {
    let s = Switch::start(Options {
        extra_toml: ACCOUNTS.into(),
        ..Default::default()
    })
    .expect("switch starts");
    let (rec, _) = seed::recording(&s, "call-alice", "alice", 100).expect("seed");
    write_wav(&s.dir.path().join("call-alice.wav"));
    let path = format!("/api/recordings/{rec}/peaks?n=4");

    let (code, peaks) = get(&s, None, &path);
    assert_eq!(code, 200, "{peaks}");
    assert_eq!(
        peaks,
        json!({
            "sample_rate": 8000, "channels": 2, "frames": 8000, "duration_ms": 1000,
            "buckets": 4, "peaks": [[0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]]
        })
    );

    let qa = Session::login(&s, "quinn", "quinn-password").expect("qa login");
    let alice = Session::login(&s, "alice", "alice-password").expect("alice login");
    let bob = Session::login(&s, "bob", "bob-password").expect("bob login");
    assert_eq!(get(&s, Some(&qa), &path).0, 200, "QA reviewers see it");
    assert_eq!(get(&s, Some(&alice), &path).0, 200, "her own call");
    assert_eq!(get(&s, Some(&bob), &path).0, 403, "another agent's call");
    assert_eq!(
        request(s.http_port, "GET", &path, &[], b"")
            .expect("anonymous")
            .status,
        401
    );
    assert_eq!(
        peaks_rows(&s),
        [
            ("admin", "peaks n=4"),
            ("quinn", "peaks n=4"),
            ("alice", "peaks n=4")
        ]
        .map(|(a, d)| (a.to_owned(), d.to_owned()))
        .to_vec()
    );

    // Not a WAV, deleted, still recording: refused, and nothing audited.
    let (junk, _) = seed::recording(&s, "call-junk", "alice", 100).expect("seed");
    let (gone, _) = seed::recording(&s, "call-gone", "alice", 100).expect("seed");
    let (live, _) = seed::recording(&s, "call-live", "alice", 100).expect("seed");
    seed::sql(
        &s,
        &format!(
            "UPDATE recordings SET status = 'deleted' WHERE id = '{gone}';
             UPDATE recordings SET status = 'recording' WHERE id = '{live}';"
        ),
    )
    .expect("statuses");
    // A WAV cut short (its header promises more) reads to an error: unusable, not missing.
    let (cut, _) = seed::recording(&s, "call-cut", "alice", 100).expect("seed");
    let cut_file = s.dir.path().join("call-cut.wav");
    write_wav(&cut_file);
    let whole = std::fs::read(&cut_file).expect("wav bytes");
    std::fs::write(&cut_file, &whole[..1000]).expect("cut the wav");
    let (lost, _) = seed::recording(&s, "call-lost", "alice", 100).expect("seed");
    std::fs::remove_file(s.dir.path().join("call-lost.wav")).expect("lose the file");
    for (id, want) in [
        (&junk, 422),
        (&cut, 422),
        (&lost, 404),
        (&gone, 410),
        (&live, 409),
    ] {
        let (code, body) = get(&s, None, &format!("/api/recordings/{id}/peaks?n=4"));
        assert_eq!(code, want, "{id}: {body}");
    }
    assert_eq!(peaks_rows(&s).len(), 3);

    // The audit table refuses rows: no waveform either.
    seed::audit_down(&s, true).expect("break the audit table");
    let (code, body) = get(&s, None, &path);
    assert_eq!(code, 500, "served without an audit row: {body}");
    assert!(body.get("peaks").is_none(), "{body}");
    seed::audit_down(&s, false).expect("mend the audit table");
    assert_eq!(get(&s, None, &path).0, 200);
    assert_eq!(peaks_rows(&s).len(), 4);
}
