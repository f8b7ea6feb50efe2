//! What the switch writes is its own user's only (docs/security.md, "Data"): before, the SQLite
//! database and recordings were created with the process's umask (often world-readable).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use switchboard_e2e::{Options, Switch};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn database_and_directories_are_private() {
    let sw = Switch::start(Options::default()).expect("switch");
    let dir = sw.dir.path();
    assert_eq!(mode(dir), 0o700, "data directory");
    assert_eq!(mode(&dir.join("recordings")), 0o700, "recordings directory");
    assert_eq!(mode(&dir.join("switchboard.db")), 0o600, "database");
    let wal = dir.join("switchboard.db-wal");
    if wal.exists() {
        assert_eq!(mode(&wal), 0o600, "write-ahead log");
    }
}
