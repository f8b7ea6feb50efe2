//! A call between two real baresip softphones through the real switch: both register over UDP
//! with digest auth, 2001 dials 2002, 2002 answers on its own, each sends its own tone for a few
//! seconds, 2001 hangs up. Passes only if each side's decoded audio carries the OTHER side's
//! tone (so audio crossed the relay both ways, uncorrupted) and the CDR records the call.

use std::path::Path;
use std::time::{Duration, Instant};
use switchboard_e2e::baresip::Phone;
use switchboard_e2e::tone::{blocks_with_tone, read_wav, write_tone_wav, Wav};
use switchboard_e2e::{wait_for_cdrs, Options, Switch};

const CALLER_HZ: f64 = 1000.0;
const CALLEE_HZ: f64 = 440.0;
/// 50 ms at 8 kHz: a whole number of cycles of both tones, so their Goertzel bins are exact.
const BLOCK: usize = 400;
const TALK: Duration = Duration::from_secs(3);

/// Time left before the test's overall deadline, capped at `cap` for one step.
fn left(deadline: Instant, cap: Duration) -> Duration {
    deadline.saturating_duration_since(Instant::now()).min(cap)
}

fn logs(switch: &Switch, phones: &[&Phone]) -> String {
    let mut out = format!("--- switch\n{}", switch.log_text());
    for p in phones {
        out.push_str(&format!("--- baresip {}\n{}", p.ext, p.log_text()));
    }
    out
}

/// Assert `wav` (what one phone heard) holds `want_hz` for at least `min_s` seconds and never
/// clearly holds `not_hz` (its own tone, which would mean an echo or crossed legs).
fn assert_heard(who: &str, path: &Path, wav: &Wav, want_hz: f64, not_hz: f64, min_s: f64) {
    let block_s = BLOCK as f64 / f64::from(wav.sample_rate);
    let want = blocks_with_tone(wav, BLOCK, want_hz) as f64 * block_s;
    let wrong = blocks_with_tone(wav, BLOCK, not_hz) as f64 * block_s;
    assert!(
        want >= min_s,
        "{who} heard {want_hz} Hz for only {want:.2} s of {:.2} s recorded ({})",
        wav.seconds(),
        path.display()
    );
    assert!(
        wrong < 0.2,
        "{who} heard its own {not_hz} Hz for {wrong:.2} s ({})",
        path.display()
    );
}

#[test]
fn two_baresip_phones_talk_through_the_relay_and_hear_each_others_tone() {
    if !switchboard_e2e::needs_baresip() {
        return;
    }
    two_phones_talk("PCMU,PCMA", String::new());
}

/// Issue #15: phones that offer opus first (as Linphone does) still talk, in G.711 since the
/// switch narrows the offer, and the call is recorded: `complete`, the caller's 1 kHz on the
/// left and the callee's 440 Hz on the right.
#[test]
fn baresip_phones_offering_opus_first_talk_in_g711_and_are_recorded() {
    if !switchboard_e2e::needs_baresip() {
        return;
    }
    let rec = tempfile::tempdir().expect("tempdir");
    let switch = two_phones_talk(
        "opus/48000/2,PCMU,PCMA",
        format!(
            "[recording]\nrecord = \"all\"\ndir = \"{}\"\n",
            rec.path().display()
        ),
    );
    // The SIP traces (baresip -s): the caller offered opus, the callee was not offered it.
    let rtpmaps = |ext: &str| -> Vec<String> {
        let log = switch.dir.path().join(format!("baresip-{ext}/baresip.log"));
        std::fs::read_to_string(log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with("a=rtpmap:"))
            .map(str::to_string)
            .collect()
    };
    let (offered, received) = (rtpmaps("2001"), rtpmaps("2002"));
    assert!(offered.iter().any(|l| l.contains("opus")), "{offered:?}");
    assert!(
        !received.is_empty() && received.iter().all(|l| !l.contains("opus")),
        "{received:?}"
    );
    let cdrs = wait_for_cdrs(&switch.database_url, |c| !c.is_empty()).expect("CDRs");
    let row = switch.finished_recording(&cdrs[0].call_id, Duration::from_secs(10));
    assert_eq!(row["status"], "complete", "{row:#}");
    // The API names the file relative to the recordings directory, never a server path.
    let file = rec.path().join(row["file"].as_str().expect("a file name"));
    let reader = hound::WavReader::open(&file).expect("the WAV");
    let samples: Vec<i16> = reader
        .into_samples()
        .collect::<Result<_, _>>()
        .expect("samples");
    let channel = |c: usize| Wav {
        sample_rate: 8000,
        samples: samples.iter().skip(c).step_by(2).copied().collect(),
    };
    assert_heard(
        "the recording's left",
        &file,
        &channel(0),
        CALLER_HZ,
        CALLEE_HZ,
        2.0,
    );
    assert_heard(
        "the recording's right",
        &file,
        &channel(1),
        CALLEE_HZ,
        CALLER_HZ,
        2.0,
    );
}

/// 2001 calls 2002, both baresip offering `codecs`, on a switch with `extra_toml`; each must
/// hear the other's tone and the CDR must record the call. Returns the switch for more checks.
fn two_phones_talk(codecs: &str, extra_toml: String) -> Switch {
    // With the default configuration: baresip 1.0 (libre 1.1) gives up on a 401 that holds any
    // non-MD5 challenge, which is why the switch offers MD5 alone unless configured otherwise.
    let switch = Switch::start(Options {
        extra_toml,
        ..Options::default()
    })
    .expect("switch starts");
    two_phones_talk_on(switch, codecs)
}

/// IPv6 (RFC 5118): the same call with the switch, its relay and both phones on `::1`
/// (`sip:2002@[::1]:port`).
#[test]
fn two_baresip_phones_talk_over_ipv6() {
    if !switchboard_e2e::needs_baresip() {
        return;
    }
    if let Err(e) = std::net::UdpSocket::bind("[::1]:0") {
        testkit::cannot_run("ipv6", &format!("cannot bind [::1]: {e}"));
        return;
    }
    let mut switch = Switch::start(Options::default()).expect("switch starts");
    switch
        .move_to_ipv6_loopback()
        .expect("switch restarts on [::1]");
    let switch = two_phones_talk_on(switch, "PCMU,PCMA");
    let cdrs = wait_for_cdrs(&switch.database_url, |c| !c.is_empty()).expect("CDRs");
    assert!(
        cdrs[0].legs.iter().all(|l| l.peer.contains("[::1]")),
        "{:?}",
        cdrs[0].legs
    );
}

/// [`two_phones_talk`] on a switch already running.
fn two_phones_talk_on(switch: Switch, codecs: &str) -> Switch {
    let deadline = Instant::now() + Duration::from_secs(50);
    let caller_tone = switch.dir.path().join("tone-1000.wav");
    let callee_tone = switch.dir.path().join("tone-440.wav");
    // Longer than the call: baresip's aufile source stops at the end of the file.
    write_tone_wav(&caller_tone, CALLER_HZ, 8000, 20, 8000).expect("caller tone");
    write_tone_wav(&callee_tone, CALLEE_HZ, 8000, 20, 8000).expect("callee tone");

    let mut callee =
        Phone::start_offering(&switch, "2002", &callee_tone, codecs).expect("baresip 2002");
    let mut caller =
        Phone::start_offering(&switch, "2001", &caller_tone, codecs).expect("baresip 2001");
    for phone in [&mut callee, &mut caller] {
        let wait = left(deadline, Duration::from_secs(10));
        if let Err(e) = phone.wait_registered(wait) {
            panic!("{e:#}\n{}", phone.log_text());
        }
    }

    let target = format!("sip:2002@{}", switch.sip_target());
    let step = |r: anyhow::Result<_>, what: &str, caller: &Phone, callee: &Phone| {
        if let Err(e) = r {
            panic!("{what}: {e:#}\n{}", logs(&switch, &[caller, callee]));
        }
    };
    let r = caller.command("dial", &target, Duration::from_secs(5));
    step(r.map(drop), "dial", &caller, &callee);
    let r = callee.wait_event("CALL_ESTABLISHED", left(deadline, Duration::from_secs(10)));
    step(r.map(drop), "callee answers", &caller, &callee);
    let r = caller.wait_event("CALL_ESTABLISHED", left(deadline, Duration::from_secs(10)));
    step(r.map(drop), "caller sees the answer", &caller, &callee);

    std::thread::sleep(TALK);

    let r = caller.command("hangup", "", Duration::from_secs(5));
    step(r.map(drop), "hangup", &caller, &callee);
    let r = caller.wait_event("CALL_CLOSED", left(deadline, Duration::from_secs(5)));
    step(r.map(drop), "caller's call closes", &caller, &callee);
    let r = callee.wait_event("CALL_CLOSED", left(deadline, Duration::from_secs(5)));
    step(r.map(drop), "callee sees the BYE", &caller, &callee);
    // Quitting closes the WAV dumps, so their headers hold the final sizes.
    caller.quit(Duration::from_secs(3));
    callee.quit(Duration::from_secs(3));

    // Each phone's own source really was its tone: guards against a test that passes because
    // both phones sent the same thing.
    for (phone, hz) in [(&caller, CALLER_HZ), (&callee, CALLEE_HZ)] {
        let path = phone.said_wav().expect("encoder dump");
        let wav = read_wav(&path).expect("read encoder dump");
        let said = blocks_with_tone(&wav, BLOCK, hz) as f64 * BLOCK as f64 / 8000.0;
        assert!(
            said >= 2.0,
            "{} sent {hz} Hz for only {said:.2} s",
            phone.ext
        );
    }
    // Jitter buffer fill and the first RTP round trip eat a little of the 3 s talk time.
    let min_s = 2.0;
    let heard = callee.heard_wav().expect("callee decoder dump");
    let wav = read_wav(&heard).expect("read callee dump");
    assert_heard("2002", &heard, &wav, CALLER_HZ, CALLEE_HZ, min_s);
    let heard = caller.heard_wav().expect("caller decoder dump");
    let wav = read_wav(&heard).expect("read caller dump");
    assert_heard("2001", &heard, &wav, CALLEE_HZ, CALLER_HZ, min_s);

    let cdrs = wait_for_cdrs(&switch.database_url, |c| {
        c.iter().any(|c| c.ended_at.is_some())
    })
    .expect("read CDRs");
    assert_eq!(cdrs.len(), 1, "{cdrs:#?}");
    let cdr = &cdrs[0];
    assert_eq!(cdr.caller, "2001");
    assert_eq!(cdr.callee, "2002");
    assert_eq!(cdr.disposition, Some(crm::Disposition::Answered), "{cdr:?}");
    assert_eq!(cdr.hangup_side, Some(crm::Side::Caller), "{cdr:?}");
    assert!(cdr.answered_at.is_some(), "{cdr:?}");
    assert!(
        cdr.billable_s.unwrap_or(0) >= 2,
        "talked about {TALK:?}: {cdr:?}"
    );
    assert!(
        Instant::now() < deadline + Duration::from_secs(8),
        "the test must stay well under a minute"
    );
    switch
}
