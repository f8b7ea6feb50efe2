//! Issue #15: a call between two real Linphones (`linphonec`, headless, `soundcard use files`)
//! through the real switch. Both register over UDP with digest auth, offer opus first
//! (Linphone's default) and try ZRTP (optional); 2002 answers on its own, 2001 plays a tone
//! into the call, 2002 another. Passes only if the relay dropped ZRTP packets and the call is recorded
//! `complete` with each side's tone on its channel: the offer was narrowed to G.711 and ZRTP
//! did not encrypt the media. About 7 s.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};
use switchboard_e2e::tone::{blocks_with_tone, write_tone_wav, Wav};
use switchboard_e2e::{free_port, password, wait_for_cdrs, Options, Switch};

const CALLER_HZ: f64 = 1000.0;
const CALLEE_HZ: f64 = 440.0;
const BLOCK: usize = 400;

/// One `linphonec` driven through its stdin; what it prints goes to `out.log` in its home.
struct Linphone {
    ext: String,
    home: PathBuf,
    child: Child,
    stdin: ChildStdin,
}

impl Linphone {
    /// Start `linphonec` for `ext` with its own home (the data directory must exist, or it
    /// exits at start), SIP and RTP ports, opus first and optional ZRTP.
    fn start(root: &Path, ext: &str) -> anyhow::Result<Linphone> {
        let home = root.join(format!("linphone-{ext}"));
        std::fs::create_dir_all(home.join(".local/share/linphone"))?;
        let rc = home.join("linphonerc");
        std::fs::write(
            &rc,
            format!(
                "[sip]\nsip_port={}\nsip_tcp_port=-1\nmedia_encryption=zrtp\nmedia_encryption_mandatory=0\n\
                 [rtp]\naudio_rtp_port={}\n[sound]\necho_cancellation=0\n",
                free_port(),
                switchboard_e2e::free_media_port(),
            ),
        )?;
        let out = std::fs::File::create(home.join("out.log"))?;
        let mut child = Command::new("linphonec")
            .arg("-c")
            .arg(&rc)
            .env("HOME", &home)
            .current_dir(&home)
            .stdin(Stdio::piped())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()?;
        let stdin = child.stdin.take().expect("piped stdin");
        Ok(Linphone {
            ext: ext.into(),
            home,
            child,
            stdin,
        })
    }

    fn send(&mut self, command: &str) {
        let _ = writeln!(self.stdin, "{command}");
        let _ = self.stdin.flush();
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(self.home.join("out.log")).unwrap_or_default()
    }

    /// Wait until the output holds `text`, at most until `deadline`.
    fn wait_for(&self, text: &str, deadline: Instant) -> bool {
        while Instant::now() < deadline {
            if self.log_text().contains(text) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }
}

impl Drop for Linphone {
    fn drop(&mut self) {
        self.send("quit");
        let stop = Instant::now() + Duration::from_secs(3);
        while Instant::now() < stop {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn needs_linphonec() -> bool {
    match Command::new("linphonec").arg("--version").output() {
        Ok(_) => true,
        Err(e) => {
            testkit::cannot_run("linphone", &format!("linphonec: {e}"));
            false
        }
    }
}

fn logs(switch: &Switch, phones: &[&Linphone]) -> String {
    let mut out = format!("--- switch\n{}", switch.log_text());
    for p in phones {
        out.push_str(&format!("--- linphonec {}\n{}", p.ext, p.log_text()));
    }
    out
}

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
    // linphonec prints nothing when it registers: ask until it says so.
    let registered = |p: &mut Linphone| {
        (0..50).any(|_| {
            p.send("status register");
            std::thread::sleep(Duration::from_millis(200));
            p.log_text().contains("registered, identity")
        })
    };
    let both = registered(&mut a) && registered(&mut b);
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
