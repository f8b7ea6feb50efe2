//! Running the console's browser scripts (tests/browser/*.mjs) from the Rust tests: whether
//! Chromium, node and the scripts' packages are here, a script's stdout lines waited for with
//! deadlines, and where its screenshots stay (`<target>/browser-artifacts/<test>/`).

use crate::Switch;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub use crate::browser_tools::{browser_dir, CHROMIUM};

/// Agent Bob's account (agent `a2002`) for the browser phone's tests, to add to their
/// configuration with the agent itself.
pub const BOB_ACCOUNT: &str = r#"
[[accounts]]
username = "bob"
password = "bob-password-2002"
role = "agent"
agent = "a2002"
"#;

/// `[web]` with the agent's browser phone on. Its ports are the top of the media range, known
/// once the switch has started: add it with `Switch::restart_with_config`.
pub const AGENT_PHONES: &str = "\n[web]\nports = 20\nconnect_timeout_s = 10\nagent_phones = true\n";

/// Where a test's screenshots stay after the run: `<target>/browser-artifacts/<test>/`.
pub fn artifacts_dir(test: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("browser-artifacts").join(test)
}

/// [`artifacts_dir`], emptied: last run's pictures would pass for this run's.
pub fn artifacts(test: &str) -> PathBuf {
    let dir = artifacts_dir(test);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Why the browser tests cannot run here, if they cannot.
pub fn missing_tools() -> Option<String> {
    crate::browser_tools::missing_browser_tools(&["playwright-core", "axe-core"])
}

/// A browser script and its stdout lines; kills it (and so its Chromium) if the test fails.
pub struct Script {
    child: Child,
    lines: mpsc::Receiver<String>,
    name: &'static str,
    shots: PathBuf,
}

impl Script {
    /// Starts `tests/browser/<name>.mjs` against `sw` with `env` (plus the URL, the browser and
    /// the screenshot directory).
    pub fn start<K: AsRef<OsStr>, V: AsRef<OsStr>>(
        sw: &Switch,
        name: &'static str,
        test: &str,
        env: impl IntoIterator<Item = (K, V)>,
    ) -> Script {
        let shots = artifacts(test);
        let mut child = Command::new("node")
            .arg(browser_dir().join(format!("{name}.mjs")))
            .env("SB_URL", format!("http://127.0.0.1:{}", sw.http_port))
            .env("SB_SHOTS", &shots)
            .env("SB_CHROMIUM", CHROMIUM)
            .envs(env)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting node");
        let stdout = child.stdout.take().expect("piped stdout");
        Script {
            child,
            lines: lines_of(stdout),
            name,
            shots,
        }
    }

    /// Waits for the line `want`; on a timeout the test fails with the switch's log.
    pub fn expect(&mut self, sw: &Switch, want: &str, within: Duration, what: &str) {
        if !wait_for_line(&self.lines, want, within) {
            self.fail(sw, what);
        }
    }

    pub fn fail(&mut self, sw: &Switch, what: &str) -> ! {
        let _ = self.child.kill();
        let status = self.child.wait();
        panic!(
            "{what} ({}.mjs: {status:?}; screenshots in {})\n--- switch log ---\n{}",
            self.name,
            self.shots.display(),
            sw.log_text()
        );
    }

    /// The script's end: it printed PASSED and exits 0.
    pub fn passed(mut self, sw: &Switch, within: Duration) {
        self.expect(sw, "PASSED", within, "the browser script did not pass");
        let status = self.child.wait().expect("script exit");
        assert!(status.success(), "{}.mjs exited with {status}", self.name);
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Lines of the script's stdout, read on a thread so the test can wait with a deadline.
fn lines_of(out: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn wait_for_line(lines: &mpsc::Receiver<String>, want: &str, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match lines.recv_timeout(left) {
            Ok(line) if line.trim() == want => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    false
}

/// An API answer's JSON (the test fails on anything else, showing it).
pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A browser script driven step by step: commands written to its stdin, its stdout lines
/// waited for by prefix. Killed when dropped.
pub struct Driven {
    pub child: Child,
    name: String,
    lines: mpsc::Receiver<String>,
}

impl Driven {
    /// Spawn `command` (its stdin and stdout are piped here); `name` names it in failures.
    pub fn spawn(mut command: Command, name: &str) -> Driven {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Driven {
            child,
            name: name.to_string(),
            lines,
        }
    }

    pub fn tell(&mut self, line: &str) {
        use std::io::Write;
        let stdin = self.child.stdin.as_mut().expect("stdin");
        writeln!(stdin, "{line}").expect("tell the script");
    }

    /// The next line starting with `prefix` (lines before it are skipped).
    pub fn expect(&mut self, sw: &Switch, prefix: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.starts_with(prefix) => return line,
                Ok(_) => {}
                Err(_) => panic!(
                    "no {prefix} from {} within {within:?}\n--- switch log ---\n{}",
                    self.name,
                    sw.log_text()
                ),
            }
        }
    }
}

impl Drop for Driven {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
