//! Password guessing and extension enumeration with SIPVicious (Debian's `sipvicious`), the
//! tools that start toll fraud: before the throttle, `svcrack` found 1001's password in 501
//! tries with nothing logged (docs/security.md, "Access").

use std::process::{Command, Output};
use std::time::Duration;

use switchboard_e2e::{password, Options, Switch};

fn run(tool: &str, args: &[&str]) -> Output {
    // Bounded: the tools stop after a few silent seconds, `timeout` stops them regardless.
    Command::new("timeout")
        .arg("120")
        .arg(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {tool} (apt-get install sipvicious): {e}"))
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn counter(metrics: &str, name: &str) -> u64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok())
        .unwrap_or_else(|| panic!("{name} missing from /metrics:\n{metrics}")) as u64
}

#[test]
fn svwar_finds_no_extension_and_svcrack_finds_no_password() {
    let sw = Switch::start(Options::default()).expect("switch");
    let port = sw.sip_port.to_string();

    // Enumeration: known (2001-2004) and unknown extensions answer alike, so none stand out.
    let out = run("svwar", &["-e1995-2010", "-p", &port, "127.0.0.1"]);
    let found = text(&out);
    for ext in ["2001", "2002", "2003", "2004"] {
        assert!(
            !found.contains(&format!("| {ext} ")),
            "svwar told {ext} apart:\n{found}"
        );
    }

    // Guessing: 40 wrong passwords, then the right one, then 10 more.
    let right = password("2001");
    let mut words: Vec<String> = (0..40).map(|i| format!("guess-{i:03}-x")).collect();
    words.push(right.to_string());
    words.extend((40..50).map(|i| format!("guess-{i:03}-x")));
    let dict = sw.dir.path().join("passwords.txt");
    std::fs::write(&dict, words.join("\n") + "\n").expect("dictionary");
    let dict = dict.display().to_string();
    let out = run(
        "svcrack",
        &["-u", "2001", "-d", &dict, "-p", &port, "127.0.0.1"],
    );
    let cracked = text(&out);
    assert!(
        !cracked.contains(right),
        "svcrack found the password:\n{cracked}"
    );

    // Every failure is one log line a log scanner can match, with the source address.
    std::thread::sleep(Duration::from_millis(600)); // the status behind /metrics: every 500 ms
    let log = sw.log_text();
    let failures = log
        .lines()
        .filter(|l| l.contains("SIP authentication failed from 127.0.0.1 for 2001"))
        .count();
    assert!(failures >= 10, "{failures} failure lines; log:\n{log}");
    assert!(
        log.contains("SIP guessing blocked from 127.0.0.1 for 2001: address blocked for 60 s"),
        "no block logged:\n{log}"
    );
    // The fail2ban filter of docs/security.md finds the guesser in that log.
    let filter = sw.dir.path().join("switchboard-sip.conf");
    std::fs::write(
        &filter,
        "[Definition]\nfailregex = SIP authentication failed from <HOST> for [A-Za-z0-9._+?-]+$\n\
         ignoreregex =\n",
    )
    .expect("filter");
    let out = Command::new("fail2ban-regex")
        .arg(&sw.log)
        .arg(&filter)
        .output()
        .expect("running fail2ban-regex (apt-get install fail2ban)");
    let report = text(&out);
    assert!(
        report.contains(&format!("{failures} matched")),
        "fail2ban-regex matched another number of lines than {failures}:\n{report}"
    );
    let metrics = sw.http_get("/metrics").expect("metrics");
    assert_eq!(
        counter(&metrics, "switchboard_sip_auth_failures_total"),
        failures as u64
    );
    assert!(counter(&metrics, "switchboard_sip_auth_blocked_total") > 0);
}
