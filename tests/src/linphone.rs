//! `linphonec` (Debian's linphone-cli 5.1) as a test phone, driven through its stdin with its
//! own home, ports and `linphonerc` (`tests/linphone_call.rs`, `tests/linphone_transfer.rs`).

use crate::{free_port, Switch};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// One `linphonec` driven through its stdin; what it prints goes to `out.log` in its home.
pub struct Linphone {
    pub ext: String,
    home: PathBuf,
    child: Child,
    stdin: ChildStdin,
}

impl Linphone {
    /// Start `linphonec` for `ext` with its own home (the data directory must exist, or it
    /// exits at start), SIP and RTP ports, opus first and optional ZRTP.
    pub fn start(root: &Path, ext: &str) -> anyhow::Result<Linphone> {
        let home = root.join(format!("linphone-{ext}"));
        std::fs::create_dir_all(home.join(".local/share/linphone"))?;
        let rc = home.join("linphonerc");
        std::fs::write(
            &rc,
            format!(
                "[sip]\nsip_port={}\nsip_tcp_port=-1\nmedia_encryption=zrtp\nmedia_encryption_mandatory=0\n\
                 [rtp]\naudio_rtp_port={}\n[sound]\necho_cancellation=0\n",
                free_port(),
                crate::free_media_port(),
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

    pub fn send(&mut self, command: &str) {
        let _ = writeln!(self.stdin, "{command}");
        let _ = self.stdin.flush();
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(self.home.join("out.log")).unwrap_or_default()
    }

    /// linphonec prints nothing when it registers: ask until it says so (about 10 s).
    pub fn registered(&mut self) -> bool {
        (0..50).any(|_| {
            self.send("status register");
            std::thread::sleep(Duration::from_millis(200));
            self.log_text().contains("registered, identity")
        })
    }

    /// Wait until the output holds `text`, at most until `deadline`.
    pub fn wait_for(&self, text: &str, deadline: Instant) -> bool {
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

pub fn needs_linphonec() -> bool {
    match Command::new("linphonec").arg("--version").output() {
        Ok(_) => true,
        Err(e) => {
            testkit::cannot_run("linphone", &format!("linphonec: {e}"));
            false
        }
    }
}

pub fn logs(switch: &Switch, phones: &[&Linphone]) -> String {
    let mut out = format!("--- switch\n{}", switch.log_text());
    for p in phones {
        out.push_str(&format!("--- linphonec {}\n{}", p.ext, p.log_text()));
    }
    out
}
