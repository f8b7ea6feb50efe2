//! Dialplan reload on the real switch: a good set replaces the plans, a broken one is refused with
//! file:line:column errors and the running plans stay in service.

use std::time::Duration;
use switchboard_e2e::{call, wait_until, CallerPlan, Options, Switch};

/// A plan that answers 6000 by hanging up with a busy cause before answering (486).
const BUSY: &str = r#"
[[route]]
number = "6000"

[[step]]
id = "refuse"
type = "hangup"
cause = "busy"
"#;

/// The same number, now refused as unavailable (480).
const UNAVAILABLE: &str = r#"
[[route]]
number = "6000"

[[step]]
id = "refuse"
type = "hangup"
cause = "unavailable"
"#;

#[test]
fn reload_swaps_plans_and_refuses_a_broken_set() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let plans = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(plans.path().join("prompts")).expect("prompts");
    let file = plans.path().join("main.toml");
    std::fs::write(&file, BUSY).expect("plan");
    let switch = Switch::start(Options {
        extra_toml: format!("[ivr]\ndialplans = \"{}\"\n", plans.path().display()),
        ..Options::default()
    })
    .expect("switch");
    call(&switch, "2001", "6000", CallerPlan::ExpectFinal(486))
        .unwrap_or_else(|e| panic!("{e}\n{}", switch.log_text()));

    // A broken set: refused with the place of the error; the running plan still answers 486.
    std::fs::write(
        &file,
        BUSY.replace("type = \"hangup\"", "type = \"hang-up\""),
    )
    .expect("broken plan");
    let (status, body) = switch
        .http("POST", "/api/dialplans/reload")
        .expect("reload");
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("\"reloaded\":false"), "{body}");
    assert!(
        body.contains("main.toml:7:8: error: unknown step type `hang-up`"),
        "error names file, line and column: {body}"
    );
    call(&switch, "2001", "6000", CallerPlan::ExpectFinal(486)).expect("old plan still in service");

    // A good set: installed, and the next call follows it.
    std::fs::write(&file, UNAVAILABLE).expect("new plan");
    let (status, body) = switch
        .http("POST", "/api/dialplans/reload")
        .expect("reload");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"reloaded\":true"), "{body}");
    call(&switch, "2001", "6000", CallerPlan::ExpectFinal(480)).expect("new plan in service");

    // SIGHUP reloads too.
    std::fs::write(&file, BUSY).expect("plan again");
    // The switch logs the reload once it is installed; wait for that line, not a fixed time.
    let reloaded = |log: &str| log.matches("SIGHUP: dialplans reloaded").count();
    let before = reloaded(&switch.log_text());
    switch.signal("HUP");
    wait_until(Duration::from_secs(10), "the SIGHUP reload", || {
        (reloaded(&switch.log_text()) > before).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", switch.log_text()));
    call(&switch, "2001", "6000", CallerPlan::ExpectFinal(486)).expect("SIGHUP reloaded the plan");
}
