//! A real baresip softphone under test control: its config dir is generated from the templates
//! next to this file (free loopback ports, a WAV file as microphone, decoded audio dumped to WAV,
//! no audio hardware), and it is driven through the `ctrl_tcp` module (netstring-framed JSON
//! commands, events pushed on the same connection). Dropping a `Phone` kills the process.
//!
//! baresip 1.0 (Debian) notes: `ctrl_tcp` only forwards to commands some module registered,
//! so `menu` must be loaded for `dial`/`hangup`/`reginfo`/`quit`; `aufile` is a source only,
//! so what the phone hears is taken from the `sndfile` filter's `*-dec.wav` dump, which sits
//! right after the decoder (the `aubridge` player it feeds plays to nobody).

use crate::{free_port, password, Switch, USERS};
use anyhow::{bail, Context};
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One JSON message from `ctrl_tcp`: a command response or an event. baresip's messages are
/// flat objects, so a field is looked up by key instead of pulling in a JSON parser.
#[derive(Debug, Clone)]
pub struct CtrlMessage {
    pub raw: String,
}

impl CtrlMessage {
    /// The value of top-level field `key`: a string unescaped, or a bare literal as written.
    pub fn field(&self, key: &str) -> Option<String> {
        let needle = format!("\"{key}\":");
        let rest = &self.raw[self.raw.find(&needle)? + needle.len()..];
        let Some(body) = rest.strip_prefix('"') else {
            return rest.split([',', '}']).next().map(|v| v.trim().to_string());
        };
        let mut out = String::new();
        let mut chars = body.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return Some(out),
                '\\' => match chars.next()? {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'u' => {
                        let hex: String = chars.by_ref().take(4).collect();
                        let code = u32::from_str_radix(&hex, 16).ok()?;
                        out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                    }
                    other => out.push(other),
                },
                c => out.push(c),
            }
        }
        None
    }

    pub fn is_event(&self) -> bool {
        self.field("event").as_deref() == Some("true")
    }

    /// The event type (`REGISTER_OK`, `CALL_ESTABLISHED`, `CALL_CLOSED`, ...).
    pub fn kind(&self) -> Option<String> {
        self.field("type")
    }
}

/// A running baresip registered (or registering) as one extension of the test switch.
pub struct Phone {
    child: Option<Child>,
    ctrl: TcpStream,
    inbox: Vec<u8>,
    events: VecDeque<CtrlMessage>,
    next_token: u32,
    pub ext: String,
    pub dir: PathBuf,
    pub sip_port: u16,
    pub log: PathBuf,
}

fn fill_template(name: &str, values: &[(&str, String)]) -> anyhow::Result<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("baresip")
        .join(name);
    let mut text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    for (key, value) in values {
        text = text.replace(&format!("{{{{{key}}}}}"), value);
    }
    if let Some(at) = text.find("{{") {
        bail!("{name}: unfilled field near {:?}", &text[at..]);
    }
    Ok(text)
}

impl Phone {
    /// Start baresip as `ext` (one of [`USERS`]) against `switch`, sending `tone_wav` (8 kHz mono
    /// 16-bit) as its microphone. Returns once the control port answers; registration runs on.
    pub fn start(switch: &Switch, ext: &str, tone_wav: &Path) -> anyhow::Result<Phone> {
        Self::start_offering(switch, ext, tone_wav, "PCMU,PCMA")
    }

    /// [`Phone::start`] offering `codecs` in this order (baresip's `audio_codecs`, e.g.
    /// `"opus/48000/2,PCMU,PCMA"` to offer opus first as Linphone does: baresip reads a bare
    /// name as name/8000/1; opus loads its module).
    ///
    /// The ports are picked free, but baresip binds more than it is told (SIP over TCP and TLS,
    /// TLS on the next port up), and another test can take one of those between the pick and
    /// the bind; when baresip exits with "Address already in use" it is started again on new
    /// ports, a few times.
    pub fn start_offering(
        switch: &Switch,
        ext: &str,
        tone_wav: &Path,
        codecs: &str,
    ) -> anyhow::Result<Phone> {
        const ATTEMPTS: usize = 4;
        for attempt in 1..=ATTEMPTS {
            match Self::launch(switch, ext, tone_wav, codecs) {
                Err(e)
                    if attempt < ATTEMPTS && e.to_string().contains("Address already in use") =>
                {
                    eprintln!("baresip {ext}: a port was taken under it; starting it again");
                }
                other => return other,
            }
        }
        bail!("baresip {ext}: no attempt left")
    }

    fn launch(switch: &Switch, ext: &str, tone_wav: &Path, codecs: &str) -> anyhow::Result<Phone> {
        let name = USERS
            .iter()
            .find(|u| u.0 == ext)
            .map(|u| u.2)
            .with_context(|| format!("{ext} is not a test user"))?;
        let dir = switch.dir.path().join(format!("baresip-{ext}"));
        let dump = dir.join("dump");
        std::fs::create_dir_all(&dump)?;
        let sip_port = free_port();
        let ctrl_port = free_port();
        // baresip binds RTP and RTCP (port + 1) inside this range; start even, stay in range.
        let rtp_min = (free_port() & !1).min(65_500);
        // The switch's address family: an IPv6 switch gets an IPv6 phone (`[::1]` in URIs).
        let ip = switch.sip_ip.to_string();
        let host = if switch.sip_ip.is_ipv6() {
            format!("[{ip}]")
        } else {
            ip.clone()
        };
        let config = fill_template(
            "config.template",
            &[
                ("SIP_IP", ip),
                ("SIP_HOST", host.clone()),
                ("SIP_PORT", sip_port.to_string()),
                ("CTRL_PORT", ctrl_port.to_string()),
                ("RTP_MIN", rtp_min.to_string()),
                ("RTP_MAX", (rtp_min + 19).to_string()),
                ("TONE_WAV", tone_wav.display().to_string()),
                ("PHONE", format!("phone{ext}")),
                ("DUMP_DIR", dump.display().to_string()),
                (
                    "CODEC_MODULES",
                    if codecs.contains("opus") {
                        "module\t\t\topus.so".to_string()
                    } else {
                        String::new()
                    },
                ),
            ],
        )?;
        let accounts = fill_template(
            "accounts.template",
            &[
                ("NAME", name.to_string()),
                ("EXT", ext.to_string()),
                ("PASSWORD", password(ext).to_string()),
                ("SWITCH_HOST", host),
                ("SWITCH_PORT", switch.sip_port.to_string()),
                ("CODECS", codecs.to_string()),
            ],
        )?;
        std::fs::write(dir.join("config"), config)?;
        std::fs::write(dir.join("accounts"), accounts)?;
        // An empty contacts file stops baresip writing its example template.
        std::fs::write(dir.join("contacts"), "")?;
        let log = dir.join("baresip.log");
        let out = std::fs::File::create(&log)?;
        let child = Command::new("baresip")
            // -s: SIP trace into the log, shown when a test fails.
            .args(["-s", "-f"])
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .context("starting baresip (is it installed? tests/run.sh installs it)")?;
        let mut child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        let ctrl = loop {
            let exited = matches!(child.as_mut().map(Child::try_wait), Some(Ok(Some(_))));
            match TcpStream::connect(("127.0.0.1", ctrl_port)) {
                Ok(s) => break s,
                Err(e) if exited || Instant::now() > deadline => {
                    if let Some(mut c) = child.take() {
                        let _ = c.kill();
                        let _ = c.wait();
                    }
                    let text = std::fs::read_to_string(&log).unwrap_or_default();
                    bail!("baresip {ext}: control port {ctrl_port} never opened ({e}):\n{text}");
                }
                Err(_) => std::thread::sleep(Duration::from_millis(30)),
            }
        };
        ctrl.set_read_timeout(Some(Duration::from_millis(100)))?;
        Ok(Phone {
            child,
            ctrl,
            inbox: Vec::new(),
            events: VecDeque::new(),
            next_token: 0,
            ext: ext.to_string(),
            dir,
            sip_port,
            log,
        })
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Take one whole netstring off the inbox, if there is one.
    fn parse_one(&mut self) -> anyhow::Result<Option<CtrlMessage>> {
        let Some(colon) = self.inbox.iter().position(|&b| b == b':') else {
            return Ok(None);
        };
        let len: usize = std::str::from_utf8(&self.inbox[..colon])?
            .trim()
            .parse()
            .context("ctrl_tcp: bad netstring length")?;
        let end = colon + 1 + len;
        if self.inbox.len() <= end {
            return Ok(None);
        }
        if self.inbox[end] != b',' {
            bail!("ctrl_tcp: netstring not closed by ','");
        }
        let raw = String::from_utf8_lossy(&self.inbox[colon + 1..end]).into_owned();
        self.inbox.drain(..=end);
        Ok(Some(CtrlMessage { raw }))
    }

    /// The next message from baresip, or None when `deadline` passes first.
    fn next_message(&mut self, deadline: Instant) -> anyhow::Result<Option<CtrlMessage>> {
        let mut buf = [0u8; 4096];
        loop {
            if let Some(m) = self.parse_one()? {
                return Ok(Some(m));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            match self.ctrl.read(&mut buf) {
                Ok(0) => bail!("baresip {}: control connection closed", self.ext),
                Ok(n) => self.inbox.extend_from_slice(&buf[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Run a command (`dial`, `hangup`, `reginfo`, ...) and return its output text; fails when
    /// baresip reports the command failed or does not answer within `timeout`.
    pub fn command(
        &mut self,
        command: &str,
        params: &str,
        timeout: Duration,
    ) -> anyhow::Result<String> {
        self.next_token += 1;
        let token = format!("t{}", self.next_token);
        let esc = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
        let json = format!(
            "{{\"command\":\"{}\",\"params\":\"{}\",\"token\":\"{token}\"}}",
            esc(command),
            esc(params)
        );
        write!(self.ctrl, "{}:{json},", json.len())?;
        let deadline = Instant::now() + timeout;
        while let Some(m) = self.next_message(deadline)? {
            if m.is_event() {
                self.events.push_back(m);
                continue;
            }
            if m.field("token").as_deref() != Some(token.as_str()) {
                continue;
            }
            let data = m.field("data").unwrap_or_default();
            if m.field("ok").as_deref() != Some("true") {
                bail!("baresip {}: {command} {params} failed: {data}", self.ext);
            }
            return Ok(data);
        }
        bail!(
            "baresip {}: no answer to {command} in {timeout:?}",
            self.ext
        )
    }

    /// Wait for an event of type `kind`, skipping others; fails on timeout.
    pub fn wait_event(&mut self, kind: &str, timeout: Duration) -> anyhow::Result<CtrlMessage> {
        if let Some(i) = self
            .events
            .iter()
            .position(|e| e.kind().as_deref() == Some(kind))
        {
            // Events before the match are skipped, like those read while waiting below.
            self.events.drain(..i);
            return self.events.pop_front().context("event vanished");
        }
        self.events.clear();
        let deadline = Instant::now() + timeout;
        while let Some(m) = self.next_message(deadline)? {
            if m.is_event() && m.kind().as_deref() == Some(kind) {
                return Ok(m);
            }
        }
        bail!("baresip {}: no {kind} event in {timeout:?}", self.ext)
    }

    /// Wait until the registration with the switch succeeded. The `REGISTER_OK` event may fire
    /// before the control connection exists, so the account state is polled as well.
    pub fn wait_registered(&mut self, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            for e in &self.events {
                match e.kind().as_deref() {
                    Some("REGISTER_OK") => return Ok(()),
                    Some("REGISTER_FAIL") => {
                        bail!("baresip {}: registration failed: {}", self.ext, e.raw)
                    }
                    _ => {}
                }
            }
            let info = self.command("reginfo", "", Duration::from_secs(2))?;
            if info.contains("OK") {
                return Ok(());
            }
            // baresip waits tens of seconds before retrying a failed registration: fail now.
            if info.contains("ERR") {
                bail!("baresip {}: registration failed: {info}", self.ext);
            }
            if Instant::now() > deadline {
                bail!(
                    "baresip {}: not registered in {timeout:?}: {info}",
                    self.ext
                );
            }
            // Drain pushed events for a moment before asking again.
            let pause = Instant::now() + Duration::from_millis(150);
            while let Some(m) = self.next_message(pause)? {
                if m.is_event() {
                    self.events.push_back(m);
                }
            }
        }
    }

    /// Ask baresip to quit (closing its calls and WAV dumps) and wait; kill it after `timeout`.
    pub fn quit(&mut self, timeout: Duration) {
        let Some(child) = self.child.take() else {
            return;
        };
        // baresip may exit before answering, so the reply is not awaited.
        let json = "{\"command\":\"quit\",\"params\":\"\",\"token\":\"quit\"}";
        let _ = write!(self.ctrl, "{}:{json},", json.len());
        crate::wait_or_kill(child, timeout);
    }

    /// The WAV dump of what this phone decoded (heard) in its only call.
    pub fn heard_wav(&self) -> anyhow::Result<PathBuf> {
        self.dump_ending("-dec.wav")
    }

    /// The WAV dump of what this phone encoded (said) in its only call.
    pub fn said_wav(&self) -> anyhow::Result<PathBuf> {
        self.dump_ending("-enc.wav")
    }

    fn dump_ending(&self, suffix: &str) -> anyhow::Result<PathBuf> {
        let dump = self.dir.join("dump");
        let mut found: Vec<PathBuf> = std::fs::read_dir(&dump)?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().ends_with(suffix))
            .collect();
        match found.len() {
            1 => Ok(found.remove(0)),
            n => bail!(
                "baresip {}: want one *{suffix} in {}, found {n}",
                self.ext,
                dump.display()
            ),
        }
    }
}

impl Drop for Phone {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CtrlMessage;

    #[test]
    fn fields_of_a_ctrl_tcp_message() {
        let m = CtrlMessage {
            raw: r#"{"response":true,"ok":false,"data":"a \"b\"\nc\u001b[32m","token":"t1"}"#
                .into(),
        };
        assert!(!m.is_event());
        assert_eq!(m.field("ok").as_deref(), Some("false"));
        assert_eq!(m.field("data").as_deref(), Some("a \"b\"\nc\u{1b}[32m"));
        assert_eq!(m.field("token").as_deref(), Some("t1"));
        assert_eq!(m.field("missing"), None);
        let e = CtrlMessage {
            raw: r#"{"event":true,"type":"CALL_CLOSED","param":"x"}"#.into(),
        };
        assert!(e.is_event());
        assert_eq!(e.kind().as_deref(), Some("CALL_CLOSED"));
    }
}
