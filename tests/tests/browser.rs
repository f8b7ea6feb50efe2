//! The web console in headless Chromium (playwright-core driving Debian's `/usr/bin/chromium`,
//! scripts in tests/browser/):
//! - `pages.mjs`: every page (agent desk, wallboard, admin; logged out, logged in, wall mode) in
//!   English and in Korean, each checked with axe-core (no serious or critical violation) and
//!   saved as a screenshot; human login errors, no 401 on first load, each role on its page,
//!   the language switch remembered after a reload;
//! - `agent_desk.mjs`: an agent logs in (no old pop), changes state, takes a call from an
//!   unknown number and one from a VIP customer with the screen pop, and wraps both up;
//! - `wallboard.mjs`: a supervisor watches the wallboard in wall mode while a caller waits and
//!   an agent signs in;
//! - `admin.mjs`: an admin sees the dialplan check's errors, adds a queue (after a field error)
//!   and puts an agent in it, adds an extension and an agent at it (after field errors; axe in
//!   English and Korean); the next calls to the queue reach the new agent at the new
//!   extension, then the first agent, without a restart.
//!
//! Screenshots are kept in `target/browser-artifacts/<test>/` (or under `CARGO_TARGET_DIR`).
//! Needs `/usr/bin/chromium`, node and `npm ci` in tests/browser (tests/run.sh does all three).
//! Without them the browser tests fail, unless `SWITCHBOARD_SKIP` names `browser` (then they
//! are logged as skipped). The pages' headers (CSP, no-cache) are checked without a browser.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use switchboard_e2e::browser_tools::missing_browser_tools;
use switchboard_e2e::http_client::request;
use switchboard_e2e::{callee_as, callee_with, scenario, talking_caller, Options, Switch};

const CONFIG: &str = r#"
[[queues]]
name = "support"
number = "7000"
wrap_up_s = 60

[[agents]]
id = "a2003"
name = "Carol"
extension = "2003"
queues = ["support"]

[[accounts]]
username = "carol"
password = "carol-desk-password"
role = "agent"
agent = "a2003"

[[accounts]]
username = "sam"
password = "sam-supervisor-password"
role = "supervisor"
"#;

const CHROMIUM: &str = "/usr/bin/chromium";
const CUSTOMER: &str = "Kim Min-ji";
const CODE: &str = "follow_up";
/// Markup on purpose: the page must show it as text.
const NOTES: &str = "call back Monday <b>re: invoice</b> & refund";

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("browser")
}

/// Where a test's screenshots stay after the run: `<target>/browser-artifacts/<test>/`.
fn artifacts_dir(test: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("browser-artifacts").join(test)
}

/// [`artifacts_dir`], emptied: last run's pictures would pass for this run's.
fn artifacts(test: &str) -> PathBuf {
    let dir = artifacts_dir(test);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Why the browser tests cannot run here, if they cannot.
fn missing_tools() -> Option<String> {
    missing_browser_tools(&["playwright-core", "axe-core"])
}

/// A browser script and its stdout lines; kills it (and so its Chromium) if the test fails.
struct Script {
    child: Child,
    lines: mpsc::Receiver<String>,
    name: &'static str,
    shots: PathBuf,
}

impl Script {
    /// Starts `tests/browser/<name>.mjs` against `sw` with `env` (plus the URL, the browser and
    /// the screenshot directory).
    fn start<K: AsRef<OsStr>, V: AsRef<OsStr>>(
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
    fn expect(&mut self, sw: &Switch, want: &str, within: Duration, what: &str) {
        if !wait_for_line(&self.lines, want, within) {
            self.fail(sw, what);
        }
    }

    fn fail(&mut self, sw: &Switch, what: &str) -> ! {
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
    fn passed(mut self, sw: &Switch, within: Duration) {
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

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
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

fn start_switch() -> Switch {
    Switch::start(Options {
        extra_toml: CONFIG.into(),
        ..Options::default()
    })
    .expect("switch starts")
}

/// The console's files: open to everyone, typed, under the policy, never stale. No browser.
#[test]
fn the_console_is_served_open_typed_under_the_policy_and_never_stale() {
    let sw = start_switch();
    let r = request(sw.http_port, "GET", "/", &[], b"").expect("GET /");
    assert!(
        (300..400).contains(&r.status),
        "/ redirects: {} {}",
        r.status,
        r.body
    );
    assert_eq!(r.header("location"), Some("/agent"));
    for (path, ty, marker) in [
        ("/agent", "text/html", "id=\"login-panel\""),
        ("/wallboard", "text/html", "id=\"queues\""),
        ("/admin", "text/html", "id=\"queue-form\""),
        ("/admin.js", "text/javascript", "/api/dialplans/reload"),
        ("/agent.js", "text/javascript", "EventSource"),
        ("/app.js", "text/javascript", "startPage"),
        ("/i18n.js", "text/javascript", "Intl.NumberFormat"),
        ("/app.css", "text/css", ".state-on_call"),
        ("/i18n/ko.json", "application/json", "통화 중"),
        ("/i18n/en.json", "application/json", "On a call"),
        ("/favicon.svg", "image/svg+xml", "<svg"),
    ] {
        let r = request(sw.http_port, "GET", path, &[], b"").expect(path);
        assert_eq!(r.status, 200, "{path} needs no login: {}", r.body);
        let content_type = r.header("content-type").unwrap_or_default();
        assert!(content_type.starts_with(ty), "{path}: {content_type}");
        let csp = r.header("content-security-policy").unwrap_or_default();
        assert!(csp.starts_with("default-src 'self'"), "{path}: CSP {csp}");
        assert_eq!(r.header("cache-control"), Some("no-cache"), "{path}");
        assert!(r.body.contains(marker), "{path} body");
    }
    // The pages are open; their data is not.
    let r = request(sw.http_port, "GET", "/api/agents", &[], b"").expect("agents");
    assert_eq!(r.status, 401);
    let r = request(sw.http_port, "POST", "/agent", &[], b"").expect("POST /agent");
    assert_ne!(r.status, 200);
}

#[test]
fn every_page_in_english_and_korean_passes_axe_in_headless_chromium() {
    if let Some(why) = missing_tools() {
        testkit::cannot_run("browser", &why);
        return;
    }
    let sw = start_switch();
    let script = Script::start(
        &sw,
        "pages",
        "every_page",
        [
            ("SB_AGENT_USER", "carol"),
            ("SB_AGENT_PASSWORD", "carol-desk-password"),
            ("SB_BOARD_USER", "sam"),
            ("SB_BOARD_PASSWORD", "sam-supervisor-password"),
        ],
    );
    script.passed(&sw, Duration::from_secs(120));
    for lang in ["en", "ko"] {
        for page in [
            "agent-login",
            "agent-desk",
            "wallboard",
            "wallboard-wall",
            "admin",
        ] {
            let png = artifacts_dir("every_page").join(format!("{page}-{lang}.png"));
            assert!(png.exists(), "screenshot {}", png.display());
        }
    }
}

/// One call from `caller` to the queue dialled as `number`, answered by the agent's phone
/// (SIPp, echoing).
fn queue_call(sw: &Switch, caller: &str, number: &str) -> anyhow::Result<()> {
    let agent = callee_with(sw, "2003", &scenario("uas_answer.xml"), &["-rtp_echo"])?;
    let call = talking_caller(sw, caller, number, &[])?;
    call.wait(Duration::from_secs(30))?;
    agent.wait(Duration::from_secs(10))?;
    Ok(())
}

#[test]
fn an_agent_takes_calls_with_screen_pops_and_wraps_up_in_headless_chromium() {
    if let Some(why) = missing_tools() {
        testkit::cannot_run("browser", &why);
        return;
    }
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let sw = start_switch();
    let created = sw
        .http_json(
            "POST",
            "/api/customers",
            &format!(
                r#"{{"name": "{CUSTOMER}", "grade": "vip", "segment": "retail",
                    "preferred_language": "ko", "notes": "prefers Korean",
                    "phones": [{{"number": "2001", "label": "work"}}]}}"#
            ),
        )
        .expect("create customer");
    assert_eq!(created.status, 201, "{}", created.body);
    let customer_id = json(&created.body)["id"].as_i64().expect("customer id");

    // Yesterday's call, before the page is opened: from an unknown number, then the agent
    // leaves (issue 9: the page showed this call's pop after the next login).
    let (code, body) = sw.http("POST", "/api/agents/a2003/login").expect("login");
    assert_eq!(code, 200, "{body}");
    queue_call(&sw, "2002", "7000").expect("the earlier call");
    for action in ["ready", "logout"] {
        let (code, body) = sw
            .http("POST", &format!("/api/agents/a2003/{action}"))
            .expect(action);
        assert_eq!(code, 200, "{action}: {body}");
    }

    let mut script = Script::start(
        &sw,
        "agent_desk",
        "agent_desk",
        [
            ("SB_USER", "carol"),
            ("SB_PASSWORD", "carol-desk-password"),
            ("SB_CUSTOMER", CUSTOMER),
            ("SB_GRADE", "vip"),
            ("SB_CODE", CODE),
            ("SB_NOTES", NOTES),
            ("SB_UNKNOWN", "2002"),
            ("SB_LOCALE", "ko-KR"),
        ],
    );
    script.expect(
        &sw,
        "READY",
        Duration::from_secs(30),
        "the page never got the agent signed in",
    );
    if let Err(e) = queue_call(&sw, "2002", "7000") {
        script.fail(&sw, &format!("the unknown caller's call failed: {e}"));
    }
    script.expect(
        &sw,
        "NEXT",
        Duration::from_secs(40),
        "the unknown caller's call was not wrapped up",
    );
    if let Err(e) = queue_call(&sw, "2001", "7000") {
        script.fail(&sw, &format!("the customer's call failed: {e}"));
    }
    script.passed(&sw, Duration::from_secs(40));

    // What the page saved is what the API holds.
    let (code, body) = sw
        .http("GET", &format!("/api/customers/{customer_id}/contacts"))
        .expect("contacts");
    assert_eq!(code, 200, "{body}");
    let contacts = json(&body);
    let wrapped = &contacts[0];
    assert_eq!(wrapped["agent"], "a2003", "{contacts}");
    assert_eq!(wrapped["wrap_up_code"], CODE, "{contacts}");
    assert_eq!(wrapped["notes"], NOTES, "{contacts}");
    assert_eq!(wrapped["wrapped_up_by"], "a2003", "{contacts}");
}

/// A supervisor on the wallboard in wall mode (tests/browser/wallboard.mjs): the queue empty,
/// then the caller the test puts in it (who gives up after 5 s) flagged and announced, then the
/// agent the test signs in, each pushed to the page by the live event stream.
#[test]
fn a_supervisor_watches_the_wallboard_in_wall_mode_in_headless_chromium() {
    if let Some(why) = missing_tools() {
        testkit::cannot_run("browser", &why);
        return;
    }
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let sw = start_switch();
    let mut script = Script::start(
        &sw,
        "wallboard",
        "wallboard",
        [
            ("SB_USER", "sam"),
            ("SB_PASSWORD", "sam-supervisor-password"),
            ("SB_QUEUE", "support"),
            ("SB_AGENT", "a2003"),
        ],
    );
    script.expect(
        &sw,
        "READY",
        Duration::from_secs(30),
        "the wallboard never showed the empty queue",
    );
    // Nobody is logged in: the caller waits, then gives up after 5 s.
    let caller =
        switchboard_e2e::acd::impatient_caller(&sw, "2001", "7000", Duration::from_secs(5))
            .expect("caller");
    script.expect(
        &sw,
        "WAITING",
        Duration::from_secs(20),
        "the wallboard never showed the waiting caller",
    );
    if let Err(e) = caller.wait(Duration::from_secs(20)) {
        script.fail(&sw, &format!("the caller failed: {e}"));
    }
    // With the queue empty again the agent stays available (nothing to offer).
    let (code, body) = sw
        .http("POST", "/api/agents/a2003/login")
        .expect("agent login");
    assert_eq!(code, 200, "{body}");
    script.passed(&sw, Duration::from_secs(20));
}

const PLAN: &str = r#"[[route]]
number = "6000"

[[step]]
id = "refuse"
type = "hangup"
cause = "busy"
"#;

#[test]
fn an_admin_adds_a_queue_an_extension_and_agents_and_the_next_calls_use_them() {
    if let Some(why) = missing_tools() {
        testkit::cannot_run("browser", &why);
        return;
    }
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let plans = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(plans.path().join("prompts")).expect("prompts");
    let plan = plans.path().join("main.toml");
    std::fs::write(&plan, PLAN).expect("plan");
    let sw = Switch::start(Options {
        extra_toml: format!(
            "[ivr]\ndialplans = \"{}\"\n{CONFIG}",
            plans.path().display()
        ),
        ..Options::default()
    })
    .expect("switch starts");
    // Broken after the start: the page's reload must show the check's error.
    std::fs::write(&plan, PLAN.replace("\"hangup\"", "\"hang-up\"")).expect("broken plan");

    let script = Script::start(
        &sw,
        "admin",
        "admin",
        [
            ("SB_USER", switchboard_e2e::ADMIN_USER),
            ("SB_PASSWORD", switchboard_e2e::ADMIN_PASSWORD),
            ("SB_QUEUE", "sales"),
            ("SB_NUMBER", "7100"),
            ("SB_AGENT", "a2003"),
            (
                "SB_PLAN_ERROR",
                "main.toml:6:8: error: unknown step type `hang-up`",
            ),
            ("SB_EXTENSION", "2105"),
            ("SB_EXTENSION_PASSWORD", "desk-2105-secret"),
            ("SB_NEW_AGENT", "a2105"),
        ],
    );
    script.passed(&sw, Duration::from_secs(90));

    // The extension and the agent made in the page take the next call to the new queue.
    let (code, body) = sw.http("POST", "/api/agents/a2105/login").expect("login");
    assert_eq!(code, 200, "{body}");
    let agent = callee_as(
        &sw,
        "2105",
        "desk-2105-secret",
        &scenario("uas_answer.xml"),
        &["-rtp_echo"],
    )
    .expect("the new extension's phone");
    let call = talking_caller(&sw, "2001", "7100", &[]).expect("caller");
    call.wait(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{e}\n{}", sw.log_text()));
    agent
        .wait(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}\n{}", sw.log_text()));
    let (code, body) = sw.http("POST", "/api/agents/a2105/logout").expect("logout");
    assert_eq!(code, 200, "{body}");

    // The queue and the membership made in the page take the next call: no restart.
    let (code, body) = sw.http("POST", "/api/agents/a2003/login").expect("login");
    assert_eq!(code, 200, "{body}");
    queue_call(&sw, "2001", "7100").unwrap_or_else(|e| panic!("{e}\n{}", sw.log_text()));
    let (code, body) = sw.http("GET", "/api/queues").expect("queues");
    assert_eq!(code, 200, "{body}");
    let sales = json(&body)
        .as_array()
        .and_then(|qs| qs.iter().find(|q| q["name"] == "sales").cloned())
        .unwrap_or_else(|| panic!("no queue sales: {body}"));
    assert_eq!(sales["answered"], 2, "{sales}");
}
