//! Issue #15: a call between two real Linphones (`linphonec`, headless, `soundcard use files`)
//! through the real switch. Both register over UDP with digest auth, offer opus first
//! (Linphone's default) and try ZRTP (optional); 2002 answers on its own, 2001 plays a tone
//! into the call, 2002 another. Passes only if the relay dropped ZRTP packets and the call is recorded
//! `complete` with each side's tone on its channel: the offer was narrowed to G.711 and ZRTP
//! did not encrypt the media. About 7 s.

use std::time::{Duration, Instant};
use switchboard_e2e::linphone::{logs, needs_linphonec, Linphone};
use switchboard_e2e::tone::{blocks_with_tone, write_tone_wav, Wav};
use switchboard_e2e::{password, wait_for_cdrs, Options, Switch};

const CALLER_HZ: f64 = 1000.0;
const CALLEE_HZ: f64 = 440.0;
const BLOCK: usize = 400;

#[test]
fn two_linphones_offering_opus_and_zrtp_are_recorded_in_clear_g711() {
    if !needs_linphonec() {
        return;
    }
    let rec = tempfile::tempdir().expect("tempdir");
    let switch = Switch::start(Options {
        extra_toml: format!(
            "[recording]\nrecord = \"all\"\ndir = \"{}\"\n",
            rec.path().display()
        ),
        ..Options::default()
    })
    .expect("switch starts");
    let deadline = Instant::now() + Duration::from_secs(40);
    let root = switch.dir.path().to_path_buf();
    let tone = root.join("caller.wav");
    write_tone_wav(&tone, CALLER_HZ, 8000, 10, 8000).expect("tone");
    let answer = root.join("callee.wav");
    write_tone_wav(&answer, CALLEE_HZ, 8000, 10, 8000).expect("tone");
    let mut a = Linphone::start(&root, "2001").expect("linphonec 2001");
    let mut b = Linphone::start(&root, "2002").expect("linphonec 2002");
    let proxy = format!("sip:127.0.0.1:{}", switch.sip_port);
    for p in [&mut a, &mut b] {
        p.send("soundcard use files");
        let ext = p.ext.clone();
        p.send(&format!(
            "register sip:{ext}@127.0.0.1 {proxy} {}",
            password(&ext)
        ));
    }
    let both = a.registered() && b.registered();
    assert!(both, "not registered\n{}", logs(&switch, &[&a, &b]));
    b.send("autoanswer enable");
    a.send(&format!("call sip:2002@127.0.0.1:{}", switch.sip_port));
    assert!(
        a.wait_for("connected", deadline) && b.wait_for("connected", deadline),
        "no call\n{}",
        logs(&switch, &[&a, &b])
    );
    // With `soundcard use files` a Linphone sends RTP only while it plays a file.
    a.send(&format!("play {}", tone.display()));
    b.send(&format!("play {}", answer.display()));
    std::thread::sleep(Duration::from_secs(4));
    a.send("terminate");
    assert!(
        b.wait_for("ended", deadline),
        "the call did not end\n{}",
        logs(&switch, &[&a, &b])
    );

    // The relay's closing stats (debug log): the ZRTP Hellos that came after the RTP went
    // nowhere. (Those before a side's first RTP are refused by latching anyway.)
    let zrtp_dropped = loop {
        let log = switch.log_text();
        if let Some(line) = log.lines().find(|l| l.contains("relay closed")) {
            break line
                .split("dropped_zrtp: ")
                .skip(1)
                .filter_map(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
                .filter_map(|n| n.parse::<u64>().ok())
                .sum::<u64>();
        }
        assert!(Instant::now() < deadline, "the relay did not close\n{log}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        zrtp_dropped > 0,
        "no ZRTP seen\n{}",
        logs(&switch, &[&a, &b])
    );
    let cdrs = wait_for_cdrs(&switch.database_url, |c| {
        c.iter().any(|c| c.ended_at.is_some())
    })
    .expect("CDRs");
    let row = switch.finished_recording(&cdrs[0].call_id, Duration::from_secs(10));
    assert_eq!(
        row["status"],
        "complete",
        "{row:#}\n{}",
        logs(&switch, &[&a, &b])
    );
    let Some(file) = row["file"].as_str().map(|f| rec.path().join(f)) else {
        panic!("no file: {row:#}");
    };
    let file = file.display();
    let samples: Vec<i16> = hound::WavReader::open(file.to_string())
        .expect("the WAV")
        .into_samples()
        .collect::<Result<_, _>>()
        .expect("samples");
    for (channel, hz, who) in [(0, CALLER_HZ, "caller"), (1, CALLEE_HZ, "callee")] {
        let wav = Wav {
            sample_rate: 8000,
            samples: samples.iter().skip(channel).step_by(2).copied().collect(),
        };
        let heard = blocks_with_tone(&wav, BLOCK, hz) as f64 * 0.05;
        assert!(
            heard >= 2.0,
            "the {who}'s tone for only {heard:.2} s in channel {channel} ({file})"
        );
    }
}
