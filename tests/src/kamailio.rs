//! Kamailio (Debian's package, 5.6) run in the foreground as a record-routing proxy in front
//! of a test switch, with the configuration in `tests/kamailio/proxy.cfg` on a free port.

use crate::{free_port, wait_until, Switch};
use anyhow::Context;
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// Debian installs Kamailio in /usr/sbin, which a user's PATH may lack.
fn program() -> &'static str {
    if Path::new("/usr/sbin/kamailio").exists() {
        "/usr/sbin/kamailio"
    } else {
        "kamailio"
    }
}

/// Kamailio can be started here; when it cannot, the test fails unless `SWITCHBOARD_SKIP`
/// names `kamailio` (`testkit::cannot_run`), and this returns false for the test to return.
pub fn needs_kamailio() -> bool {
    static KAMAILIO: OnceLock<Result<(), String>> = OnceLock::new();
    let runs = KAMAILIO.get_or_init(|| {
        Command::new(program())
            .arg("-v")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("cannot start `kamailio` (tests/run.sh installs it): {e}"))
            .and_then(|s| {
                s.success()
                    .then_some(())
                    .ok_or_else(|| format!("`kamailio -v` failed: {s}"))
            })
    });
    match runs {
        Ok(()) => true,
        Err(why) => {
            testkit::cannot_run("kamailio", why);
            false
        }
    }
}

/// A running Kamailio; stopped (SIGTERM, which ends its children too) when dropped.
pub struct Kamailio {
    child: Option<Child>,
    pub port: u16,
    pub log: PathBuf,
}

impl Kamailio {
    /// Start Kamailio on a free UDP port of 127.0.0.1, forwarding to `switch`; waits until it
    /// listens.
    pub fn start(switch: &Switch) -> anyhow::Result<Kamailio> {
        let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("kamailio/proxy.cfg");
        let port = free_port();
        let cfg = std::fs::read_to_string(&template)
            .with_context(|| format!("reading {}", template.display()))?
            .replace("@PROXY_PORT@", &port.to_string())
            .replace("@SWITCH@", &switch.sip_target());
        let dir = switch.dir.path().join("kamailio");
        std::fs::create_dir_all(&dir)?;
        let cfg_path = dir.join("kamailio.cfg");
        std::fs::write(&cfg_path, cfg)?;
        let log = dir.join("kamailio.log");
        let child = Command::new(program())
            .args(["-DD", "-E", "-m", "32", "-M", "4", "-Y"])
            .arg(&dir)
            .arg("-f")
            .arg(&cfg_path)
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .spawn()
            .context("starting kamailio")?;
        let mut k = Kamailio {
            child: Some(child),
            port,
            log,
        };
        let up = wait_until(Duration::from_secs(10), "kamailio listening", || {
            if let Some(Ok(Some(status))) = k.child.as_mut().map(Child::try_wait) {
                return Some(Err(status));
            }
            UdpSocket::bind(("127.0.0.1", port))
                .is_err()
                .then_some(Ok(()))
        });
        match up {
            Ok(Ok(())) => Ok(k),
            Ok(Err(status)) => {
                anyhow::bail!("kamailio exited ({status}):\n{}", k.log_text())
            }
            Err(e) => Err(e.context(k.log_text())),
        }
    }

    /// The proxy's SIP address, for SIPp's remote host.
    pub fn target(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Kamailio {
    fn drop(&mut self) {
        let Some(child) = self.child.take() else {
            return;
        };
        // SIGTERM: the main process stops its children (SIGKILL would orphan them).
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        crate::wait_or_kill(child, Duration::from_secs(5));
    }
}
