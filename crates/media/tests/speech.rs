//! No false DTMF from real synthetic speech: espeak-ng (Debian package) speaks digits and
//! sentences, the WAV goes through prompt loading (22.05 kHz → 8 kHz), G.711 and the in-band
//! detector. Without espeak-ng the test fails, unless `SWITCHBOARD_SKIP` names `speech`; an
//! espeak-ng that runs but fails is a failure either way.

use std::process::Command;

use media::dtmf::InbandDetector;
use media::{Codec, Prompt};

const TEXTS: &[&str] = &[
    "Welcome to the bank. For your balance, press one. For cards, press two.",
    "Zero one two three four five six seven eight nine, star, hash.",
    "Please hold while we connect you to the next available agent. Your call is important to us.",
    "Eeeee aaaah ooooh, mmmmm, beep, boop, ding dong.",
];

#[test]
fn espeak_speech_yields_no_digits() {
    let dir = std::env::temp_dir().join(format!("media-speech-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut spoken_ms = 0;
    for (i, text) in TEXTS.iter().enumerate() {
        for voice in ["en", "en+f3"] {
            let wav = dir.join(format!("{i}-{voice}.wav"));
            let output = Command::new("espeak-ng")
                .args(["-v", voice, "-w"])
                .arg(&wav)
                .arg(text)
                .output();
            match output {
                Ok(out) if out.status.success() => {}
                Ok(out) => panic!(
                    "espeak-ng -v {voice} failed ({}): {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr)
                ),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    testkit::cannot_run("speech", &format!("espeak-ng is not installed: {e}"));
                    return;
                }
                Err(e) => panic!("starting espeak-ng: {e}"),
            }
            let prompt = Prompt::from_wav_file(&wav).unwrap();
            spoken_ms += prompt.duration().as_millis();
            for codec in [Codec::Pcmu, Codec::Pcma] {
                let mut detector = InbandDetector::new();
                let mut found = Vec::new();
                for frame in 0..prompt.frames() {
                    let pcm: Vec<i16> = prompt
                        .frame(codec, frame)
                        .unwrap()
                        .iter()
                        .map(|&c| codec.decode(c))
                        .collect();
                    detector.push(&pcm, |e| found.push(e));
                }
                assert!(found.is_empty(), "{text:?} {voice} {codec:?}: {found:?}");
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(spoken_ms > 15_000, "only {spoken_ms} ms of speech");
}
