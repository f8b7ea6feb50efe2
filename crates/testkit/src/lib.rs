//! The suite's one rule for tests that need something a machine may lack (a PostgreSQL server,
//! Chromium, espeak-ng, SIPp...): such a test **fails** when the thing is missing, so a green run
//! means every test ran. A developer who knowingly lacks it opts out by naming it in
//! `SWITCHBOARD_SKIP` (comma-separated, or `all`); each skip is then appended as one line to the
//! file named by `SWITCHBOARD_SKIP_LOG`, which `tests/run.sh` counts and prints at the end.
//!
//! ```no_run
//! if let Err(why) = find_server() {
//!     testkit::cannot_run("postgres", &why);
//!     return; // reached only when SWITCHBOARD_SKIP says to skip
//! }
//! # fn find_server() -> Result<(), String> { Ok(()) }
//! ```
#![forbid(unsafe_code)]

use std::io::Write;

/// The variable that lists what may be skipped: `postgres,browser` or `all`.
pub const SKIP_ENV: &str = "SWITCHBOARD_SKIP";
/// The file each skip is recorded in (one line: `need<TAB>test<TAB>reason`).
pub const SKIP_LOG_ENV: &str = "SWITCHBOARD_SKIP_LOG";

/// `len` consecutive loopback UDP ports, starting even, free when checked: for a test's
/// relay range. Ranges are handed out from a per-process start at or above `first`, so tests
/// and test binaries running at once rarely pick the same ports (and retry when they do).
pub fn free_udp_range(first: u16, len: u16) -> (u16, u16) {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let span = 60000u16.saturating_sub(first).max(2 * len + 2);
    let start = first + (std::process::id() % 500) as u16 * 20 % span;
    loop {
        let base = (start + NEXT.fetch_add(len + 2, Ordering::Relaxed) % span) & !1;
        let lo = std::net::Ipv4Addr::LOCALHOST;
        if (base..base + len).all(|p| std::net::UdpSocket::bind((lo, p)).is_ok()) {
            return (base, base + len - 1);
        }
    }
}

/// Whether `list` (the value of [`SKIP_ENV`]) allows skipping tests that need `need`.
pub fn skip_allowed(list: &str, need: &str) -> bool {
    list.split(',')
        .map(str::trim)
        .any(|item| item.eq_ignore_ascii_case(need) || item.eq_ignore_ascii_case("all"))
}

/// A test cannot run because `need` is missing (`why` says what was tried). Panics (the test
/// fails) unless [`SKIP_ENV`] allows skipping `need`; then records the skip and returns, and the
/// caller returns from the test.
#[track_caller]
pub fn cannot_run(need: &str, why: &str) {
    let list = std::env::var(SKIP_ENV).ok();
    let test = std::thread::current()
        .name()
        .unwrap_or("<unnamed test>")
        .to_owned();
    if let Err(message) = verdict(list.as_deref(), need, why, &test) {
        panic!("{message}");
    }
    eprintln!("SKIPPED {test}: {need} not available ({why})");
    if let Ok(path) = std::env::var(SKIP_LOG_ENV) {
        let line = format!("{need}\t{test}\t{}\n", why.replace(['\n', '\t'], " "));
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(line.as_bytes()));
        if let Err(e) = written {
            eprintln!("could not record the skip in {path}: {e}");
        }
    }
}

/// `Ok` when the skip list allows skipping, else the failure message.
fn verdict(list: Option<&str>, need: &str, why: &str, test: &str) -> Result<(), String> {
    if list.is_some_and(|list| skip_allowed(list, need)) {
        return Ok(());
    }
    Err(format!(
        "{test} cannot run: {need} is not available ({why}). Install it (tests/run.sh does), \
         or set {SKIP_ENV}={need} to skip such tests knowingly."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skip_list_names_needs_or_all() {
        assert!(skip_allowed("postgres", "postgres"));
        assert!(skip_allowed("browser, Postgres", "postgres"));
        assert!(skip_allowed("all", "speech"));
        assert!(!skip_allowed("", "postgres"));
        assert!(!skip_allowed("postgresql", "postgres"));
        assert!(!skip_allowed("browser", "postgres"));
    }

    #[test]
    fn a_missing_need_fails_unless_the_list_names_it() {
        let failed = verdict(None, "postgres", "connection refused", "t").unwrap_err();
        assert!(failed.contains("t cannot run: postgres is not available (connection refused)"));
        assert!(failed.contains("SWITCHBOARD_SKIP=postgres"));
        assert!(verdict(Some("browser"), "postgres", "x", "t").is_err());
        assert_eq!(
            verdict(Some("browser,postgres"), "postgres", "x", "t"),
            Ok(())
        );
    }
}
