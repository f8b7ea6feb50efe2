//! The staffing page in headless Chromium (issue 13; script tests/browser/staffing.mjs): a
//! supervisor plans the week after the seeds' worked example history (written into the
//! switch's database) and sees 14 agents needed where 13 were logged in, as a table and a
//! chart; a what-if typed from the keyboard changes both; axe in English and Korean.

use std::time::Duration;
use switchboard_e2e::browser::{missing_tools, Script};
use switchboard_e2e::staffing_history::{config, seed};
use switchboard_e2e::{Options, Switch};

#[test]
fn a_supervisor_plans_a_week_on_the_staffing_page_in_headless_chromium() {
    if let Some(why) = missing_tools() {
        testkit::cannot_run("browser", &why);
        return;
    }
    let sw = Switch::start(Options {
        extra_toml: config(),
        ..Default::default()
    })
    .expect("switch starts");
    seed(&sw).expect("history written");
    let script = Script::start(
        &sw,
        "staffing",
        "staffing",
        [
            ("SB_USER", "sup"),
            ("SB_PASSWORD", "sup-password"),
            ("SB_QUEUE", "support"),
            ("SB_WEEK", "2025-03-31"),
        ],
    );
    script.passed(&sw, Duration::from_secs(90));
}
