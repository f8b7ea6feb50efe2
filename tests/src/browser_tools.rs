//! What the headless-Chromium suites need on the machine: Debian's Chromium, node, and the npm
//! packages of tests/browser (`npm ci` there).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Debian's Chromium, which playwright-core drives.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// tests/browser: the scripts and their `node_modules`.
pub fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("browser")
}

/// Why a browser suite cannot run here (Chromium, node or one of `packages` missing), if it
/// cannot.
pub fn missing_browser_tools(packages: &[&str]) -> Option<String> {
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
    packages
        .iter()
        .find(|package| !browser_dir().join("node_modules").join(package).exists())
        .map(|package| format!("{package} is not installed (npm ci in tests/browser)"))
}
