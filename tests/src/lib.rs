//! End-to-end harness: runs the real `switchboard` binary with a generated configuration on
//! loopback ports picked at run time, drives it with real SIP peers (SIPp, baresip), and reads
//! the CRM database it wrote.
//!
//! The binary is `SWITCHBOARD_BIN` (set by tests/run.sh) or, when that is unset, built once per
//! test process with `cargo build --bin switchboard` into this test's own target directory, so
//! a test never runs a stale binary.
//!
//! A test that needs a peer program calls [`needs_sipp`] / [`needs_baresip`] first: a missing
//! program fails the test unless `SWITCHBOARD_SKIP` names it (see crate `switchboard-testkit`).

use anyhow::{bail, Context};
use std::io::Read;
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Extensions every test switch has: (extension, password, name).
pub const USERS: [(&str, &str, &str); 4] = [
    ("2001", "pw-2001-secret", "Alice Agent"),
    ("2002", "pw-2002-secret", "Bob Agent"),
    ("2003", "pw-2003-secret", "Carol"),
    ("2004", "pw-2004-secret", "Dave"),
];

pub fn password(ext: &str) -> &'static str {
    USERS
        .iter()
        .chain(DEMO_USERS.iter())
        .find(|u| u.0 == ext)
        .map(|u| u.1)
        .unwrap_or("unknown")
}

/// The demo's extensions with fixed passwords, for tests that run the no-configuration demo:
/// written to `data/demo-users.toml` by [`write_demo_users`] before the binary makes its own.
pub const DEMO_USERS: [(&str, &str, &str); 4] = [
    ("1001", "pw-1001-demo", "Alice (agent)"),
    ("1002", "pw-1002-demo", "Bob (agent)"),
    ("1003", "pw-1003-demo", "Carol (supervisor)"),
    ("1004", "pw-1004-demo", "Dave (customer)"),
];

/// Write the demo's credentials file under `dir/data` with [`DEMO_USERS`]' passwords.
pub fn write_demo_users(dir: &Path) -> anyhow::Result<()> {
    let mut text = String::new();
    for (ext, pw, name) in DEMO_USERS {
        text.push_str(&format!(
            "[[users]]\nextension = \"{ext}\"\npassword = \"{pw}\"\nname = \"{name}\"\n"
        ));
    }
    std::fs::create_dir_all(dir.join("data"))?;
    std::fs::write(dir.join("data/demo-users.toml"), text)?;
    Ok(())
}

/// The HTTP account every test switch has: username, password and bearer token.
pub const ADMIN_USER: &str = "admin";
pub const ADMIN_PASSWORD: &str = "admin-test-password";
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789abcdef0123456789";

/// A UDP and TCP port free on 127.0.0.1 right now.
pub fn free_port() -> u16 {
    for _ in 0..100 {
        let Ok(udp) = UdpSocket::bind("127.0.0.1:0") else {
            continue;
        };
        let Ok(addr) = udp.local_addr() else { continue };
        if TcpListener::bind(("127.0.0.1", addr.port())).is_ok() {
            return addr.port();
        }
    }
    panic!("no free port on 127.0.0.1");
}

/// A base port for SIPp's `-mp`: SIPp binds that port and the next three (audio RTCP, video RTP
/// and RTCP) and exits when any is taken, so all four are checked free together. Drawn at random
/// from 10000-19999: below the test switches' relay ranges (20000 up) and outside the kernel's
/// ephemeral ports (32768 up), where other tests' sockets bound to port 0 could take a port
/// between this check and SIPp's bind (a caller once failed with "Address already in use").
pub fn free_media_port() -> u16 {
    use std::hash::{BuildHasher, Hasher};
    static DRAWS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    for _ in 0..200 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(DRAWS.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        h.write_u32(std::process::id());
        let base = 10_000 + 4 * (h.finish() % 2_500) as u16;
        let held: Vec<_> = (base..base + 4)
            .map_while(|p| UdpSocket::bind(("127.0.0.1", p)).ok())
            .collect();
        if held.len() == 4 {
            return base;
        }
    }
    panic!("no four free consecutive ports on 127.0.0.1 in 10000-19999");
}

/// Options for a test switch.
#[derive(Debug, Clone)]
pub struct Options {
    pub media_timeout_s: u64,
    pub ring_timeout_s: u64,
    /// None: SQLite in the switch's temp dir.
    pub database_url: Option<String>,
    /// Extra keys for the `[sip]` table (e.g. `auth_algorithms = ["SHA-256", "MD5"]`).
    pub sip_extra: String,
    /// Extra keys for the `[http]` table (e.g. `trusted_proxies = ["127.0.0.1"]`).
    pub http_extra: String,
    /// Extra keys for the `[database]` table (e.g. `default_country_code = "82"`).
    pub database_extra: String,
    pub extra_toml: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            media_timeout_s: 30,
            ring_timeout_s: 30,
            database_url: None,
            sip_extra: String::new(),
            http_extra: String::new(),
            database_extra: String::new(),
            extra_toml: String::new(),
        }
    }
}

/// A running switch.
pub struct Switch {
    child: Option<Child>,
    pub sip_port: u16,
    pub http_port: u16,
    pub dir: tempfile::TempDir,
    pub database_url: String,
    pub log: PathBuf,
    /// The address the switch's SIP listeners and its peers use: `127.0.0.1`, or `::1` for
    /// the IPv6 suite (SIPp then runs with `-i ::1 -mi ::1`).
    pub sip_ip: std::net::IpAddr,
}

/// The switch binary: `SWITCHBOARD_BIN` when set, else built (once per test process) from this
/// workspace. Panics with cargo's output when the build fails.
pub fn binary() -> PathBuf {
    if let Ok(p) = std::env::var("SWITCHBOARD_BIN") {
        // Absolute, because the switch runs in the test's temp dir.
        return std::fs::canonicalize(&p).unwrap_or_else(|_| PathBuf::from(p));
    }
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BUILT.get_or_init(build_binary) {
        Ok(path) => path.clone(),
        Err(e) => panic!("SWITCHBOARD_BIN is unset and building the switch failed: {e}"),
    }
}

/// `cargo build --bin switchboard` into the target directory and profile this test was built
/// in (target/<profile>/deps/<test> → target/<profile>/switchboard). Tests of one process share
/// the result through a `OnceLock`; cargo's own lock on the target directory serializes builds
/// started by test processes running side by side, and a build with nothing to do is quick.
fn build_binary() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("locating the test executable: {e}"))?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| format!("no target directory above {}", exe.display()))?;
    let target_dir = profile_dir
        .parent()
        .ok_or_else(|| format!("no target directory above {}", profile_dir.display()))?;
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("no workspace above tests/")?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.args(["build", "--bin", "switchboard", "--target-dir"])
        .arg(target_dir)
        .current_dir(workspace);
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        cmd.arg("--release");
    }
    let out = cmd
        .output()
        .map_err(|e| format!("running {cargo} build: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cargo} build --bin switchboard: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let bin = profile_dir.join("switchboard");
    if !bin.exists() {
        return Err(format!("{} missing after the build", bin.display()));
    }
    Ok(bin)
}

/// Poll `check` every 50 ms until it returns `Some` or `within` passes; the error says `what`
/// was awaited. For states a test waits for instead of sleeping a fixed time.
pub fn wait_until<T>(
    within: Duration,
    what: &str,
    mut check: impl FnMut() -> Option<T>,
) -> anyhow::Result<T> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = check() {
            return Ok(v);
        }
        if Instant::now() > deadline {
            bail!("waited {within:?} for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether `program` can be started here, checked once per process (`cell`); when it cannot,
/// [`testkit::cannot_run`] for `need` (fails the test unless `SWITCHBOARD_SKIP` names `need`)
/// and `false` for the test to return.
fn needs_program(
    cell: &'static OnceLock<Result<(), String>>,
    need: &str,
    program: &str,
    arg: &str,
) -> bool {
    let runs = cell.get_or_init(|| {
        Command::new(program)
            .arg(arg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(drop)
            .map_err(|e| format!("cannot start `{program}`: {e}"))
    });
    match runs {
        Ok(()) => true,
        Err(why) => {
            testkit::cannot_run(need, why);
            false
        }
    }
}

/// SIPp is installed (tests/run.sh installs Debian's sip-tester). When it is not, the calling
/// test fails, unless `SWITCHBOARD_SKIP` names `sipp`: then the skip is logged and this returns
/// `false` for the test to return.
pub fn needs_sipp() -> bool {
    static SIPP: OnceLock<Result<(), String>> = OnceLock::new();
    needs_program(&SIPP, "sipp", "sipp", "-v")
}

/// baresip is installed; like [`needs_sipp`], with the need `baresip`.
pub fn needs_baresip() -> bool {
    static BARESIP: OnceLock<Result<(), String>> = OnceLock::new();
    needs_program(&BARESIP, "baresip", "baresip", "-h")
}

impl Switch {
    pub fn start(opts: Options) -> anyhow::Result<Switch> {
        let dir = tempfile::tempdir()?;
        let sip_port = free_port();
        let http_port = free_port();
        // A 200-port media range at a random spot in 20000-29999; the relay skips ports that
        // are taken. Below the benchmarks' relay range (30000 up) and the kernel's ephemeral
        // ports (32768 up, where free_port and SIPp live), so neither exhausts a test's range.
        let base = 20_000 + 2 * (u32::from(free_port()) % 4_900) as u16;
        let database_url = opts
            .database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}/switchboard.db", dir.path().display()));
        let mut toml = format!(
            "data_dir = \"{data}\"\n[sip]\nlisten = [\"udp://127.0.0.1:{sip_port}\", \"tcp://127.0.0.1:{sip_port}\"]\n\
             ring_timeout_s = {ring}\nt1_ms = 100\nt2_ms = 800\nt4_ms = 1000\n{sip_extra}\n\
             [media]\nbind = \"127.0.0.1\"\nport_min = {base}\nport_max = {max}\ntimeout_s = {mt}\n\
             [http]\nlisten = \"127.0.0.1:{http_port}\"\n{http_extra}\n[database]\nurl = \"{database_url}\"\n{database_extra}\n",
            data = dir.path().display(),
            ring = opts.ring_timeout_s,
            max = base + 199,
            mt = opts.media_timeout_s,
            sip_extra = opts.sip_extra,
            http_extra = opts.http_extra,
            database_extra = opts.database_extra,
        );
        for (ext, pw, name) in USERS {
            toml.push_str(&format!(
                "[[users]]\nextension = \"{ext}\"\npassword = \"{pw}\"\nname = \"{name}\"\n"
            ));
        }
        // The harness's own requests use the bearer token, so tests written before logins
        // existed keep working; tests of access control send raw requests.
        toml.push_str(&format!(
            "[[accounts]]\nusername = \"{ADMIN_USER}\"\npassword = \"{ADMIN_PASSWORD}\"\n\
             role = \"admin\"\ntoken = \"{ADMIN_TOKEN}\"\n"
        ));
        toml.push_str(&opts.extra_toml);
        let config = dir.path().join("switchboard.toml");
        std::fs::write(&config, toml)?;
        Switch::start_with_file(dir, sip_port, http_port, database_url)
    }

    /// Run the binary on a configuration the test wrote (`dir/switchboard.toml`), whose SIP
    /// listeners are on 127.0.0.1:`sip_port` and HTTP on `http_port`. The harness's admin token
    /// works only if the file has it.
    pub fn start_with_file(
        dir: tempfile::TempDir,
        sip_port: u16,
        http_port: u16,
        database_url: String,
    ) -> anyhow::Result<Switch> {
        let log = dir.path().join("switchboard.log");
        let mut switch = Switch {
            child: None,
            sip_port,
            http_port,
            dir,
            database_url,
            log,
            sip_ip: std::net::Ipv4Addr::LOCALHOST.into(),
        };
        switch.spawn()?;
        Ok(switch)
    }

    fn spawn(&mut self) -> anyhow::Result<()> {
        let config = self.dir.path().join("switchboard.toml");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let child = Command::new(binary())
            .args(["serve", "--config"])
            .arg(&config)
            // Relative paths (the default `recordings` directory) land in the test's temp dir.
            .current_dir(self.dir.path())
            .env("RUST_LOG", "info,switchboard=debug")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", binary().display()))?;
        self.child = Some(child);
        self.wait_ready()
    }

    /// Start the switch again with the same configuration, data and ports (after `kill`/`stop`).
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.kill();
        self.spawn()
    }

    fn wait_ready(&self) -> anyhow::Result<()> {
        // HTTP serves once the configured accounts are hashed (argon2, deliberately slow): with
        // several switches starting at once on a loaded 2-core machine that took over 20 s.
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if self.http_get("/health").is_ok_and(|b| b.contains("ok")) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!("switch did not come up; log:\n{}", self.log_text())
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The first recording row of the call with this CDR id once it is no longer `recording`
    /// (`GET /api/cdrs/{id}/recordings`); panics after `within`.
    pub fn finished_recording(&self, call_id: &str, within: Duration) -> serde_json::Value {
        let path = format!("/api/cdrs/{call_id}/recordings");
        let deadline = Instant::now() + within;
        loop {
            let (_, body) = self.http("GET", &path).expect("recordings");
            let list: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            if let Some(row) = list
                .as_array()
                .and_then(|l| l.first())
                .filter(|r| r["status"] != "recording")
            {
                return row.clone();
            }
            assert!(Instant::now() < deadline, "no finished recording: {body}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// A tiny HTTP/1.1 GET on loopback (no client library needed for JSON status checks).
    pub fn http_get(&self, path: &str) -> anyhow::Result<String> {
        Ok(self.http("GET", path)?.1)
    }

    /// An HTTP request with an empty body: (status code, body).
    pub fn http(&self, method: &str, path: &str) -> anyhow::Result<(u16, String)> {
        use std::io::Write;
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.http_port))?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\
             Authorization: Bearer {ADMIN_TOKEN}\r\nConnection: close\r\n\r\n"
        )?;
        let mut out = String::new();
        s.read_to_string(&mut out)?;
        let status = out
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = out
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        Ok((status, body))
    }

    pub fn sip_target(&self) -> String {
        std::net::SocketAddr::new(self.sip_ip, self.sip_port).to_string()
    }

    /// A numeric field of /api/status (0 when missing).
    pub fn status_field(&self, field: &str) -> u64 {
        let body = self.http_get("/api/status").unwrap_or_default();
        let key = format!("\"{field}\":");
        body.split(&key)
            .nth(1)
            .and_then(|rest| rest.split([',', '}']).next())
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Send a signal (e.g. "HUP") to the switch process.
    pub fn signal(&self, name: &str) {
        if let Some(c) = &self.child {
            let _ = Command::new("kill")
                .arg(format!("-{name}"))
                .arg(c.id().to_string())
                .status();
        }
    }

    /// Kill the switch at once (a crash).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Ask the switch to stop (SIGTERM) and wait for it.
    pub fn stop(&mut self) {
        if let Some(c) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
            wait_or_kill(c, Duration::from_secs(10));
        }
    }
}

/// Wait for a child asked to stop to exit; kill it after `within`.
pub fn wait_or_kill(mut child: Child, within: Duration) {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

impl Drop for Switch {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Where the SIPp scenarios of this repository live.
pub fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sipp")
        .join(name)
}

/// A SIPp run in the background.
pub struct Sipp {
    child: Child,
    pub name: String,
    pub dir: PathBuf,
}

/// Start SIPp against the switch with `scenario` and extra arguments. Output and logs go to a
/// temp dir (kept in the failure message).
pub fn sipp(
    switch: &Switch,
    name: &str,
    scenario_file: &Path,
    args: &[&str],
) -> anyhow::Result<Sipp> {
    sipp_to(switch, &switch.sip_target(), name, scenario_file, args)
}

/// [`sipp`] with another remote address than the switch's (a proxy in front of it).
pub fn sipp_to(
    switch: &Switch,
    target: &str,
    name: &str,
    scenario_file: &Path,
    args: &[&str],
) -> anyhow::Result<Sipp> {
    sipp_via(switch, switch.sip_ip, target, name, scenario_file, args)
}

/// [`sipp`] from local address `ip` (a carrier on its own loopback address, 127.0.0.2...).
pub fn sipp_on(
    switch: &Switch,
    ip: std::net::IpAddr,
    name: &str,
    scenario_file: &Path,
    args: &[&str],
) -> anyhow::Result<Sipp> {
    sipp_via(switch, ip, &switch.sip_target(), name, scenario_file, args)
}

/// SIPp from local address `ip` to `target`.
fn sipp_via(
    switch: &Switch,
    ip: std::net::IpAddr,
    target: &str,
    name: &str,
    scenario_file: &Path,
    args: &[&str],
) -> anyhow::Result<Sipp> {
    let dir = switch.dir.path().join(format!("sipp-{name}"));
    std::fs::create_dir_all(&dir)?;
    let ip = ip.to_string();
    let media_ip: &[&str] = if switch.sip_ip.is_ipv6() {
        &["-mi", &ip]
    } else {
        &[]
    };
    let child = Command::new("sipp")
        .arg(target)
        .arg("-sf")
        .arg(scenario_file)
        .args(media_ip)
        .args([
            "-i",
            &ip,
            "-nostdin",
            "-trace_err",
            "-trace_msg",
            "-timeout",
            "30s",
            "-max_recv_loops",
            "1000",
        ])
        .args(args)
        .current_dir(&dir)
        .stdout(std::fs::File::create(dir.join("stdout.log"))?)
        .stderr(std::fs::File::create(dir.join("stderr.log"))?)
        .spawn()
        .context("starting sipp (is sip-tester installed? tests/run.sh installs it)")?;
    Ok(Sipp {
        child,
        name: name.into(),
        dir,
    })
}

impl Sipp {
    /// Wait for SIPp to end; Ok when every call of the scenario succeeded (exit code 0).
    pub fn wait(mut self, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                if status.success() {
                    return Ok(());
                }
                bail!("sipp {} failed ({status}):\n{}", self.name, self.logs());
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                bail!("sipp {} timed out:\n{}", self.name, self.logs());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn logs(&self) -> String {
        let mut out = String::new();
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for e in entries.flatten() {
                let p = e.path();
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                let tail: String = text
                    .chars()
                    .rev()
                    .take(6000)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                out.push_str(&format!("--- {}\n{tail}\n", p.display()));
            }
        }
        out
    }
}

impl Drop for Sipp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Register `ext` from local SIP port `port` (UDP) with the right password; waits for success.
pub fn register(switch: &Switch, ext: &str, port: u16) -> anyhow::Result<()> {
    register_to(switch, &switch.sip_target(), ext, port)
}

/// [`register`] through `target` (a proxy in front of the switch).
pub fn register_to(switch: &Switch, target: &str, ext: &str, port: u16) -> anyhow::Result<()> {
    register_as(switch, target, ext, password(ext), port)
}

/// [`register_to`] with a password of the test's own (an extension made through the API).
pub fn register_as(
    switch: &Switch,
    target: &str,
    ext: &str,
    password: &str,
    port: u16,
) -> anyhow::Result<()> {
    let port_s = port.to_string();
    sipp_to(
        switch,
        target,
        &format!("register-{ext}-{port}"),
        &scenario("register.xml"),
        &[
            "-s", ext, "-au", ext, "-ap", password, "-m", "1", "-p", &port_s,
        ],
    )?
    .wait(Duration::from_secs(20))
}

/// Read the CDRs the switch wrote (newest first), waiting until `pred` holds or 10 s pass.
pub fn wait_for_cdrs(
    database_url: &str,
    pred: impl Fn(&[crm::Cdr]) -> bool,
) -> anyhow::Result<Vec<crm::Cdr>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let crm = crm::Crm::connect(database_url).await?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let cdrs = crm.recent_cdrs(100).await?;
            if pred(&cdrs) || Instant::now() > deadline {
                return Ok(cdrs);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
}

/// Real baresip softphones driven through `ctrl_tcp` (code and config templates in tests/baresip/).
#[path = "../baresip/phone.rs"]
pub mod baresip;

/// Tone WAVs for test peers and Goertzel checks of what a peer recorded.
#[path = "../baresip/tone.rs"]
pub mod tone;

/// A test phone's media (a tone out, what it hears kept) beside SIPp's signalling.
pub mod tone_phone;

/// Tone captures (RTP in pcap) for SIPp's `play_pcap_audio`.
pub mod pcap;

/// `linphonec` as a test phone.
pub mod linphone;

/// HTTP requests with a body and headers, for the JSON API suites.
pub mod http_client;

/// What the headless-Chromium suites need (Chromium, node, npm packages).
pub mod browser_tools;

/// A PostgreSQL schema of its own for one test.
pub mod postgres;

/// Rows written straight into a test switch's database.
pub mod seed;

/// Kamailio as a record-routing proxy in front of the switch.
pub mod kamailio;

/// The console's browser scripts (tests/browser/) run from the Rust tests.
pub mod browser;

/// The Chromium-shaped offer of the web signalling tests and the click-to-ringing bench.
pub mod web_offer;

/// Callers and callees: SIPp scenarios for the usual call plans.
mod calls;
pub use calls::*;

/// ACD suite pieces: agent phones, queue callers, queue calls read back from the database.
pub mod acd;

/// Carriers' SIP trunks played by SIPp on their own loopback addresses.
pub mod carriers;

/// A DNS server on loopback naming carriers (SRV, A).
pub mod dns;

/// Pieces of the trunk suites: the switch, waits, CDRs, recordings and API requests.
pub mod trunk_suite;

impl Switch {
    /// Move this switch's SIP listeners (UDP and TCP, same port) and its relay to `::1` and
    /// restart it there; the harness's peers then run on `::1` too (IPv6, RFC 5118).
    pub fn move_to_ipv6_loopback(&mut self) -> anyhow::Result<()> {
        let port = self.sip_port;
        self.restart_with_config(|text| {
            text.replace(
                &format!("listen = [\"udp://127.0.0.1:{port}\", \"tcp://127.0.0.1:{port}\"]"),
                &format!("listen = [\"udp://[::1]:{port}\", \"tcp://[::1]:{port}\"]"),
            )
            .replace("bind = \"127.0.0.1\"", "bind = \"::1\"")
        })?;
        self.sip_ip = std::net::Ipv6Addr::LOCALHOST.into();
        Ok(())
    }

    /// Rewrite this switch's configuration with `edit` and restart the binary on the same ports
    /// and database: the way to set keys inside tables `Switch::start` already wrote (TOML
    /// forbids reopening `[sip]` from `Options::extra_toml`).
    pub fn restart_with_config(
        &mut self,
        edit: impl FnOnce(String) -> String,
    ) -> anyhow::Result<()> {
        self.stop();
        let config = self.dir.path().join("switchboard.toml");
        let text = std::fs::read_to_string(&config)?;
        std::fs::write(&config, edit(text))?;
        let log = std::fs::OpenOptions::new().append(true).open(&self.log)?;
        let child = Command::new(binary())
            .args(["serve", "--config"])
            .arg(&config)
            // Relative paths (the default `recordings` directory) land in the test's temp dir.
            .current_dir(self.dir.path())
            .env("RUST_LOG", "info,switchboard=debug")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("restarting {}", binary().display()))?;
        self.child = Some(child);
        self.wait_ready()
    }
}

/// A real two-tone call recorded through the switch, for the QA review page's tests.
pub mod recorded_call;
/// Queue and agent history for the reports suites.
pub mod report_history;
/// History for the staffing suites, written into a switch's database.
pub mod staffing_history;
