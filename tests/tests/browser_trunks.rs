//! Trunks and DIDs in the admin page, in headless Chromium (issue 9, "and (as they land)
//! trunks"; script tests/browser/trunks.mjs): an admin sees the file's trunk with its state,
//! adds a trunk and a DID (after the API's field errors, shown at their fields), edits the
//! trunk keeping its password; axe in English and Korean; a supervisor sees no trunks. What
//! the page saved is what `GET /api/trunks` and `GET /api/dids` show.

use std::time::Duration;
use switchboard_e2e::browser::{json, missing_tools, Script};
use switchboard_e2e::{free_port, Options, Switch};

const DID: &str = "+8215880000";

fn config(carrier_port: u16) -> String {
    format!(
        r#"
[[queues]]
name = "support"
number = "7000"

[[accounts]]
username = "sam"
password = "sam-supervisor-password"
role = "supervisor"

[[trunks]]
name = "carrier-a"
host = "127.0.0.2"
port = {carrier_port}
"#
    )
}

#[test]
fn an_admin_adds_a_trunk_and_a_did_in_the_page_in_headless_chromium() {
    if let Some(why) = missing_tools() {
        testkit::cannot_run("browser", &why);
        return;
    }
    let sw = Switch::start(Options {
        extra_toml: config(free_port()),
        ..Default::default()
    })
    .expect("switch starts");
    let script = Script::start(
        &sw,
        "trunks",
        "trunks",
        [
            ("SB_USER", switchboard_e2e::ADMIN_USER),
            ("SB_PASSWORD", switchboard_e2e::ADMIN_PASSWORD),
            ("SB_TRUNK", "carrier-a"),
            ("SB_NEW_TRUNK", "carrier-b"),
            ("SB_DID", DID),
            ("SB_QUEUE", "support"),
            ("SB_BOARD_USER", "sam"),
            ("SB_BOARD_PASSWORD", "sam-supervisor-password"),
        ],
    );
    script.passed(&sw, Duration::from_secs(90));

    let (code, body) = sw.http("GET", "/api/trunks").expect("trunks");
    assert_eq!(code, 200, "{body}");
    let plan = json(&body);
    let b = plan["trunks"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["name"] == "carrier-b").cloned())
        .unwrap_or_else(|| panic!("no carrier-b: {plan:#}"));
    assert_eq!(b["host"], "127.0.0.3", "{b:#}");
    assert_eq!(b["port"], 5070, "{b:#}");
    assert_eq!(b["username"], "bank01", "{b:#}");
    // Set when added, kept by the edit that left the field blank.
    assert_eq!(b["password_set"], true, "{b:#}");
    assert_eq!(b["max_channels"], 20, "{b:#}");
    assert_eq!(b["caller_id"], "+8215880000", "{b:#}");
    assert_eq!(b["number_format"], "national", "{b:#}");
    assert!(b.get("password").is_none(), "{b:#}");

    let (code, body) = sw.http("GET", "/api/dids").expect("dids");
    assert_eq!(code, 200, "{body}");
    let dids = json(&body);
    let d = dids["dids"]
        .as_array()
        .and_then(|ds| ds.iter().find(|d| d["number"] == DID).cloned())
        .unwrap_or_else(|| panic!("no DID {DID}: {dids:#}"));
    assert_eq!(d["queue"], "support", "{d:#}");
}
