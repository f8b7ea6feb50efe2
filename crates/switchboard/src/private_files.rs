//! What the switch writes is readable by its own user only: the SQLite database (and its WAL
//! files), recordings, demo credentials. The file-creation mask is set to 077 before anything
//! is written (files 0600, directories 0700, whatever creates them: sqlx, hound, std), and the
//! directories and database file a previous version created are tightened at start.

use std::fs::Permissions;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Files and directories created from now on get no group or other permissions.
pub fn restrict_new_files() {
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}

/// Directories to 0700 and files to 0600, where they exist (a warning where that fails).
pub fn tighten(dirs: &[&Path], files: &[&Path]) {
    let set = |path: &Path, mode: u32| {
        if !path.exists() {
            return;
        }
        if let Err(e) = std::fs::set_permissions(path, Permissions::from_mode(mode)) {
            tracing::warn!(path = %path.display(), error = %e, "cannot restrict permissions");
        }
    };
    for dir in dirs {
        set(dir, 0o700);
    }
    for file in files {
        set(file, 0o600);
    }
}

/// The SQLite file of a `sqlite://` URL, if it is one (with its `-wal` and `-shm` files).
pub fn sqlite_files(database_url: &str) -> Vec<std::path::PathBuf> {
    let Some(rest) = database_url.strip_prefix("sqlite://") else {
        return Vec::new();
    };
    let file = rest.split('?').next().unwrap_or_default();
    if file.is_empty() || file == ":memory:" {
        return Vec::new();
    }
    ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| std::path::PathBuf::from(format!("{file}{suffix}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::sqlite_files;

    #[test]
    fn sqlite_urls_name_their_files() {
        let files = sqlite_files("sqlite:///var/lib/sb/switchboard.db?mode=rwc");
        assert_eq!(files[0].to_str(), Some("/var/lib/sb/switchboard.db"));
        assert_eq!(files[1].to_str(), Some("/var/lib/sb/switchboard.db-wal"));
        assert!(sqlite_files("postgres://x@h/db").is_empty());
        assert!(sqlite_files("sqlite://:memory:").is_empty());
    }
}
