//! API answers name no server paths: a recording row shows its file relative to the recordings
//! directory (`file`, e.g. `2026/12/05/<id>.wav`) instead of the absolute `path` stored, and
//! reload diagnostics name dialplan files relative to their directory. Where files live on the
//! switch's disk is for its operators (logs, `switchboard check`), not for API clients.

use std::path::Path;

/// A recording row as the API shows it: the stored row without `path`, with `file`.
pub fn recording_view(recordings_dir: &Path, r: crm::Recording) -> serde_json::Value {
    let file = relative_file(recordings_dir, Path::new(&r.path));
    let mut value = serde_json::to_value(r).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.remove("path");
        map.insert("file".into(), serde_json::Value::String(file));
    }
    value
}

/// `path` relative to `dir` (both as given and canonical), else just its file name.
fn relative_file(dir: &Path, path: &Path) -> String {
    let canonical = dir.canonicalize().ok();
    let relative = path
        .strip_prefix(dir)
        .ok()
        .or_else(|| canonical.as_deref().and_then(|c| path.strip_prefix(c).ok()));
    match relative {
        Some(p) => p.display().to_string(),
        None => path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    }
}

/// `text` with every `dir/` prefix removed (diagnostics that name files in `dirs`).
pub fn without_dirs(text: &str, dirs: &[&Path]) -> String {
    let mut out = text.to_string();
    for dir in dirs {
        let candidates = [Some(dir.to_path_buf()), dir.canonicalize().ok()];
        for d in candidates.into_iter().flatten() {
            let prefix = format!("{}/", d.display().to_string().trim_end_matches('/'));
            if prefix.len() > 1 {
                out = out.replace(&prefix, "");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recordings_show_a_file_relative_to_their_directory() {
        let dir = Path::new("/var/lib/switchboard/recordings");
        let f = |p: &str| relative_file(dir, Path::new(p));
        assert_eq!(
            f("/var/lib/switchboard/recordings/2026/12/05/r1.wav"),
            "2026/12/05/r1.wav"
        );
        assert_eq!(f("/elsewhere/r2.wav"), "r2.wav");
    }

    #[test]
    fn diagnostics_lose_their_directories() {
        let text = "/etc/sb/dialplans/bank.toml:3:1: unknown step\n/etc/sb/dialplans/x.toml: bad";
        assert_eq!(
            without_dirs(text, &[Path::new("/etc/sb/dialplans")]),
            "bank.toml:3:1: unknown step\nx.toml: bad"
        );
    }
}
