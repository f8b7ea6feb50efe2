//! Reads `EXPECTED` (see the README beside it); included by the sip crate's `torture.rs` and
//! the switch's `scenarios/torture.rs`, so both read the same expectations the same way.

use std::path::{Path, PathBuf};

/// One message and what must answer it.
pub struct Case {
    /// Path under the torture directory, e.g. `valid/rfc4475-3.1.1.1-wsinv.dat`.
    pub file: String,
    /// Acceptable outcomes of `sip::parse` + `sip::validate` (`ok` or a status code).
    pub parse: Vec<String>,
    /// Acceptable answers of the switch core (`none` or a status code).
    pub switch: Vec<String>,
}

/// The torture directory, given the `CARGO_MANIFEST_DIR` of the crate holding the test.
pub fn dir(manifest_dir: &str, relative: &str) -> PathBuf {
    Path::new(manifest_dir).join(relative)
}

pub fn cases(dir: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(dir.join("EXPECTED")).expect("EXPECTED");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split(" | ").collect();
            let [file, parse, switch, _rfc] = cols[..] else {
                panic!("four columns: {l}");
            };
            let choices = |s: &str| s.split('/').map(str::to_string).collect();
            Case {
                file: file.to_string(),
                parse: choices(parse),
                switch: choices(switch),
            }
        })
        .collect()
}

/// Fails listing every message answered wrongly.
pub fn assert_none_wrong(wrong: &[String]) {
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
