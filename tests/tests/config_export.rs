//! `switchboard config export`: the demo's configuration (and a running switch's, with a queue
//! added through the API) written as one file that `serve --config` runs, private, and the
//! same when exported again.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use switchboard_e2e::{answered_call, binary, free_port, Options, Switch};

/// `switchboard config export [--config FILE] --out OUT` run in `dir`.
fn export(dir: &Path, config: Option<&Path>, out: &str) -> String {
    let mut cmd = Command::new(binary());
    cmd.current_dir(dir)
        .args(["config", "export", "--out", out]);
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    let run = cmd.output().expect("run export");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let path = dir.join(out);
    let mode = std::fs::metadata(&path)
        .expect("written")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the export holds SIP passwords");
    std::fs::read_to_string(&path).expect("read export")
}

/// Leaving the demo is one command: its export (users, agents, queues, accounts) keeps the
/// demo's SIP passwords, exporting the export changes nothing, and `serve --config` on it (moved
/// to free ports) connects a call between two demo extensions.
#[test]
fn the_demo_exports_to_a_file_that_runs_and_exports_the_same() {
    let dir = tempfile::tempdir().expect("tempdir");
    switchboard_e2e::write_demo_users(dir.path()).expect("demo users");
    let first = export(dir.path(), None, "demo.toml");
    assert!(first.starts_with("# Switchboard configuration"), "{first}");
    let demo_users = std::fs::read_to_string(dir.path().join("data/demo-users.toml"))
        .expect("the demo's credentials");
    let password = demo_users
        .lines()
        .find_map(|l| l.strip_prefix("password = "))
        .expect("a SIP password");
    assert!(first.contains(&format!("password = {password}")), "{first}");
    assert!(first.contains("name = \"general\"") && first.contains("id = \"alice\""));
    let again = export(
        dir.path(),
        Some(&dir.path().join("demo.toml")),
        "again.toml",
    );
    assert_eq!(again, first, "exporting the export");
    let check = Command::new(binary())
        .current_dir(dir.path())
        .args(["check", "--config", "demo.toml"])
        .output()
        .expect("run check");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let (sip_port, http_port) = (free_port(), free_port());
    let base = 20_000 + 2 * (u32::from(free_port()) % 4_900) as u16;
    let moved = first
        .replace("127.0.0.1:5060", &format!("127.0.0.1:{sip_port}"))
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{http_port}"))
        .replace("port_min = 20000", &format!("port_min = {base}"))
        .replace("port_max = 29999", &format!("port_max = {}", base + 199));
    assert_ne!(moved, first);
    std::fs::write(dir.path().join("switchboard.toml"), moved).expect("write");
    let database_url = format!("sqlite://{}/data/switchboard.db", dir.path().display());
    let sw = Switch::start_with_file(dir, sip_port, http_port, database_url)
        .expect("serve --config on the demo's export");
    answered_call(&sw, "1003", "1001", &[]).expect("a call between demo extensions");
}

/// A switch whose queues were changed through the API exports them; the export runs on a fresh
/// database with that queue, and a call goes through.
#[test]
fn an_export_runs_with_the_queues_changed_through_the_api() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let mut sw = Switch::start(Options::default()).expect("switch starts");
    let r = sw
        .http_json(
            "POST",
            "/api/queues",
            r#"{"name": "sales", "number": "7200", "strategy": "ring-all"}"#,
        )
        .expect("create queue");
    assert_eq!(r.status, 201, "{}", r.body);
    let config = sw.dir.path().join("switchboard.toml");
    let text = export(sw.dir.path(), Some(&config), "exported.toml");
    assert!(
        text.contains("name = \"sales\"") && text.contains("number = \"7200\""),
        "{text}"
    );
    assert!(
        !text.contains(switchboard_e2e::ADMIN_TOKEN)
            && !text.contains(switchboard_e2e::ADMIN_PASSWORD),
        "account secrets are hashed: {text}"
    );
    let again = export(
        sw.dir.path(),
        Some(&sw.dir.path().join("exported.toml")),
        "again.toml",
    );
    assert_eq!(again, text);

    // Run the export on a database that has never seen the API's change.
    let fresh = sw.dir.path().join("fresh.db");
    let run = text.replace(&sw.database_url, &format!("sqlite://{}", fresh.display()));
    assert_ne!(run, text, "the database URL is in the export");
    sw.restart_with_config(|_| run)
        .expect("serve --config on the export");
    // The harness's bearer token still works: the export kept its hash.
    let queues = sw.http_get("/api/queues").expect("queues");
    assert!(queues.contains("\"name\":\"sales\""), "{queues}");
    answered_call(&sw, "2001", "2002", &[]).expect("a call on the exported configuration");
    assert!(fresh.exists());
}
