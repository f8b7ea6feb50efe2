//! The command line: `check` validates a configuration with file:line:column messages, `--version`
//! and `--help` answer.

use std::process::Command;
use switchboard_e2e::binary;

#[test]
fn check_accepts_a_good_file_and_points_at_every_problem_in_a_bad_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good.toml");
    std::fs::write(
        &good,
        "[sip]\nlisten = [\"udp://127.0.0.1:5070\"]\n[[users]]\nextension = \"2001\"\npassword = \"secret-2001\"\n",
    )
    .expect("write");
    let out = Command::new(binary())
        .args(["check", "--config"])
        .arg(&good)
        .output()
        .expect("run check");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("configuration OK: 1 listen address(es), 1 user(s)"));

    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[sip]\nlisten = [\"sctp://127.0.0.1:5070\"]\nauth_algorithms = [\"SHA-1\"]\n[media]\nport_min = 3001\n\
         [[users]]\nextension = \"2001\"\npassword = \"x\"\n[[users]]\nextension = \"2001\"\npassword = \"secret-2001\"\n",
    )
    .expect("write");
    let out = Command::new(binary())
        .args(["check", "--config"])
        .arg(&bad)
        .output()
        .expect("run check");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let f = bad.display();
    for expected in [
        format!("{f}:2:11: sip.listen: unknown transport `sctp`"),
        format!("{f}:3:20: sip.auth_algorithms: unknown algorithm `SHA-1`"),
        "media.port_min must be an even port".to_string(),
        format!("{f}:8:12: users.password for `2001` is too weak"),
        format!("{f}:10:13: users.extension `2001` is defined twice"),
    ] {
        assert!(err.contains(&expected), "missing `{expected}` in:\n{err}");
    }

    let typo = dir.path().join("typo.toml");
    std::fs::write(&typo, "[sip]\nlisen = []\n").expect("write");
    let out = Command::new(binary())
        .args(["check", "--config"])
        .arg(&typo)
        .output()
        .expect("run check");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains(&format!("{}:2:1: unknown field `lisen`", typo.display())));
}

#[test]
fn version_and_help() {
    let out = Command::new(binary())
        .arg("--version")
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("switchboard "));
    let out = Command::new(binary()).arg("--help").output().expect("run");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("serve") && help.contains("check"), "{help}");
}

/// docs/trunks.md's worked example stays a valid configuration (with the queue it names and no
/// dialplans), and `check` counts its trunks and DIDs and warns of the DID no plan routes.
#[test]
fn check_accepts_the_worked_trunk_example_of_the_docs() {
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/trunks.md");
    let text = std::fs::read_to_string(&docs).expect("docs/trunks.md");
    let example = text
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a TOML block in docs/trunks.md");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("trunks.toml");
    let config = format!("{example}\n[ivr]\ndialplans = \"\"\n\n[[queues]]\nname = \"loans\"\n");
    std::fs::write(&file, config).expect("write");
    let out = Command::new(binary())
        .args(["check", "--config"])
        .arg(&file)
        .output()
        .expect("run check");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("2 trunk(s), 2 DID(s)"), "{said}");
    // No dialplans here: the IVR's DID is pointed out (a warning; plans reload live).
    assert!(
        said.contains("warning: DID +8215880000 goes to route 1588, which no dialplan routes"),
        "{said}"
    );
}
