//! The reports page in headless Chromium (`tests/browser/reports.mjs`) over the known morning
//! of `switchboard_e2e::report_history`: filters, the table, a chart with three bars per
//! interval, the CSV downloads matching the table, axe-core in English and Korean, screenshots
//! in `target/browser-artifacts/reports/`. Needs Chromium, node and `npm ci` in tests/browser
//! unless `SWITCHBOARD_SKIP` names `browser`.

use std::time::Duration;
use switchboard_e2e::browser::{missing_tools, Script};
use switchboard_e2e::{report_history, Options, Switch};

const CONFIG: &str = r#"
[[queues]]
name = "support"
number = "7000"

[[queues]]
name = "sales"
number = "7001"

[[accounts]]
username = "sue"
password = "sue-password-1"
role = "supervisor"
"#;

#[test]
fn a_supervisor_filters_reads_charts_and_downloads_csv() {
    if let Some(why) = missing_tools() {
        testkit::cannot_run("browser", &why);
        return;
    }
    let sw = Switch::start(Options {
        extra_toml: CONFIG.into(),
        ..Options::default()
    })
    .expect("switch");
    report_history::write(&sw).expect("history");
    let script = Script::start(
        &sw,
        "reports",
        "reports",
        [
            ("SB_USER", "sue"),
            ("SB_PASSWORD", "sue-password-1"),
            ("SB_QUEUE", "support"),
            // support's quarter hours: 09:00 (c1, c2), 09:15 (c3), 09:30 (c4).
            ("SB_ROWS", "3"),
        ],
    );
    script.passed(&sw, Duration::from_secs(90));
}
