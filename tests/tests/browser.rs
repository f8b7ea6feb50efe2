//! The web pages in headless Chromium (playwright-core). The wallboard (tests/browser/wallboard.mjs)
//! shows a caller and an agent live. The agent page (tests/browser/agent_desk.mjs): the page
//! is served without a login and with a strict Content-Security-Policy; an agent logs in on it,
//! signs in to the queue, gets a SIPp call from a known VIP customer, sees the screen pop with
//! the customer's name and grade, wraps the call up with a code and notes after it ends (in
//! wrap-up time, ended early by "Save and ready"), and finds both in the history; the API then
//! holds the same wrap-up.
//!
//! Needs `/usr/bin/chromium`, node and `npm ci` in tests/browser (tests/run.sh does all three).
//! Without them the browser tests fail, unless `SWITCHBOARD_SKIP` names `browser` (then they
//! are logged as skipped). The page's headers (CSP, no-cache) are checked without a browser.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use switchboard_e2e::http_client::request;
use switchboard_e2e::{callee_with, scenario, talking_caller, Options, Switch};

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
"#;

const CHROMIUM: &str = "/usr/bin/chromium";
const CUSTOMER: &str = "Kim Min-ji";
const CODE: &str = "follow_up";
/// Markup on purpose: the page must show it as text.
const NOTES: &str = "call back Monday <b>re: invoice</b> & refund";

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("browser")
}

/// Why the browser test cannot run here, if it cannot.
fn missing_tools() -> Option<String> {
    if !Path::new(CHROMIUM).exists() {
        return Some(format!("{CHROMIUM} is missing (apt-get install chromium)"));
    }
    let node = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !node.is_ok_and(|s| s.success()) {
        return Some("node is missing (apt-get install nodejs npm)".into());
    }
    if !browser_dir().join("node_modules/playwright-core").exists() {
        return Some("playwright-core is not installed (npm ci in tests/browser)".into());
    }
    None
}

/// Kills the script (and so its Chromium) if the test fails before it ends.
struct Script(Child);

impl Drop for Script {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The page and its files: open to everyone, typed, under the policy, never stale.
fn check_page_serving(sw: &Switch) {
    let r = request(sw.http_port, "GET", "/", &[], b"").expect("GET /");
    assert!(
        (300..400).contains(&r.status),
        "/ redirects: {} {}",
        r.status,
        r.body
    );
    assert_eq!(r.header("location"), Some("/agent"));
    for (path, ty, marker) in [
        ("/agent", "text/html", "id=\"login-form\""),
        ("/agent.js", "text/javascript", "EventSource"),
        ("/agent.css", "text/css", ".grade.vip"),
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
    // The page is open; its data is not.
    let r = request(sw.http_port, "GET", "/api/agents", &[], b"").expect("agents");
    assert_eq!(r.status, 401);
    let r = request(sw.http_port, "POST", "/agent", &[], b"").expect("POST /agent");
    assert_ne!(r.status, 200);
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

/// The agent page's serving rules need no browser: checked on every run.
#[test]
fn the_agent_page_is_served_open_typed_under_the_policy_and_never_stale() {
    let sw = Switch::start(Options {
        extra_toml: CONFIG.into(),
        ..Options::default()
    })
    .expect("switch starts");
    check_page_serving(&sw);
}

#[test]
fn an_agent_gets_a_screen_pop_and_wraps_up_in_headless_chromium() {
    if let Some(why) = missing_tools() {
        testkit::cannot_run("browser", &why);
        return;
    }
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let sw = Switch::start(Options {
        extra_toml: CONFIG.into(),
        ..Options::default()
    })
    .expect("switch starts");
    let created = sw
        .http_json(
            "POST",
            "/api/customers",
            &format!(
                r#"{{"name": "{CUSTOMER}", "grade": "vip", "segment": "retail",
                    "notes": "prefers Korean", "phones": [{{"number": "2001", "label": "work"}}]}}"#
            ),
        )
        .expect("create customer");
    assert_eq!(created.status, 201, "{}", created.body);
    let customer_id = json(&created.body)["id"].as_i64().expect("customer id");

    let shots = sw.dir.path().join("screenshots");
    let mut child = Command::new("node")
        .arg(browser_dir().join("agent_desk.mjs"))
        .env("SB_URL", format!("http://127.0.0.1:{}", sw.http_port))
        .env("SB_USER", "carol")
        .env("SB_PASSWORD", "carol-desk-password")
        .env("SB_CUSTOMER", CUSTOMER)
        .env("SB_GRADE", "vip")
        .env("SB_CODE", CODE)
        .env("SB_NOTES", NOTES)
        .env("SB_SHOTS", &shots)
        .env("SB_CHROMIUM", CHROMIUM)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting node");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut script = Script(child);
    let lines = lines_of(stdout);
    let fail = |what: &str, script: &mut Script| -> ! {
        let _ = script.0.kill();
        let status = script.0.wait();
        // Keep the screenshot: the switch's temp dir goes when the test ends.
        let kept = std::env::temp_dir().join(format!("switchboard-browser-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&kept);
        let _ = std::fs::copy(
            shots.join("agent_desk-failure.png"),
            kept.join("agent_desk-failure.png"),
        );
        panic!(
            "{what} (script: {status:?}; screenshot, if any, in {})\n--- switch log ---\n{}",
            kept.display(),
            sw.log_text()
        );
    };
    if !wait_for_line(&lines, "READY", Duration::from_secs(30)) {
        fail("the page never got the agent signed in", &mut script);
    }

    // The agent's phone answers and echoes; the customer calls the queue and talks for 2 s.
    let agent =
        callee_with(&sw, "2003", &scenario("uas_answer.xml"), &["-rtp_echo"]).expect("agent phone");
    let caller = talking_caller(&sw, "2001", "7000", &[]).expect("caller");
    if let Err(e) = caller.wait(Duration::from_secs(30)) {
        fail(&format!("the call failed: {e}"), &mut script);
    }
    if let Err(e) = agent.wait(Duration::from_secs(10)) {
        fail(&format!("the agent's phone failed: {e}"), &mut script);
    }
    if !wait_for_line(&lines, "PASSED", Duration::from_secs(30)) {
        fail("the browser script did not pass", &mut script);
    }
    let status = script.0.wait().expect("script exit");
    assert!(status.success(), "script exited with {status}");

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

/// The wallboard in headless Chromium (tests/browser/wallboard.mjs): an admin logs in on it,
/// sees the queue empty, then the caller the test puts in it (who gives up after 5 s), then the
/// agent the test logs in through the API, each pushed to the page by the live event stream.
#[test]
fn a_supervisor_sees_callers_and_agents_on_the_wallboard_in_headless_chromium() {
    if let Some(why) = missing_tools() {
        testkit::cannot_run("browser", &why);
        return;
    }
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let sw = Switch::start(Options {
        extra_toml: CONFIG.into(),
        ..Options::default()
    })
    .expect("switch starts");
    let r = request(sw.http_port, "GET", "/wallboard", &[], b"").expect("GET /wallboard");
    assert_eq!(r.status, 200, "the page needs no login: {}", r.body);
    assert!(r.body.contains("id=\"queues\""), "{}", r.body);

    let shots = sw.dir.path().join("screenshots");
    let mut child = Command::new("node")
        .arg(browser_dir().join("wallboard.mjs"))
        .env("SB_URL", format!("http://127.0.0.1:{}", sw.http_port))
        .env("SB_USER", switchboard_e2e::ADMIN_USER)
        .env("SB_PASSWORD", switchboard_e2e::ADMIN_PASSWORD)
        .env("SB_QUEUE", "support")
        .env("SB_AGENT", "a2003")
        .env("SB_SHOTS", &shots)
        .env("SB_CHROMIUM", CHROMIUM)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting node");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut script = Script(child);
    let lines = lines_of(stdout);
    let fail = |what: &str, script: &mut Script| -> ! {
        let _ = script.0.kill();
        let status = script.0.wait();
        panic!(
            "{what} (script: {status:?})\n--- switch log ---\n{}",
            sw.log_text()
        );
    };
    if !wait_for_line(&lines, "READY", Duration::from_secs(30)) {
        fail("the wallboard never showed the empty queue", &mut script);
    }
    // Nobody is logged in: the caller waits, then gives up after 5 s.
    let caller =
        switchboard_e2e::acd::impatient_caller(&sw, "2001", "7000", Duration::from_secs(5))
            .expect("caller");
    if !wait_for_line(&lines, "WAITING", Duration::from_secs(20)) {
        fail("the wallboard never showed the waiting caller", &mut script);
    }
    if let Err(e) = caller.wait(Duration::from_secs(20)) {
        fail(&format!("the caller failed: {e}"), &mut script);
    }
    // With the queue empty again the agent stays available (nothing to offer).
    let (code, body) = sw
        .http("POST", "/api/agents/a2003/login")
        .expect("agent login");
    assert_eq!(code, 200, "{body}");
    if !wait_for_line(&lines, "PASSED", Duration::from_secs(20)) {
        fail(
            "the wallboard never showed the agent available",
            &mut script,
        );
    }
    let status = script.0.wait().expect("script exit");
    assert!(status.success(), "script exited with {status}");
}
