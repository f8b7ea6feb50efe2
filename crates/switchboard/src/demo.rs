//! The no-configuration demo: everything on 127.0.0.1, four extensions whose passwords are
//! generated once and kept in the data directory, so a softphone set up today still works tomorrow.

use crate::config::{Config, ConfigError, Resolved, UserConfig};
use rand::distributions::{Alphanumeric, DistString};
use serde::{Deserialize, Serialize};
use std::path::Path;
use toml::Spanned;

#[derive(Serialize, Deserialize)]
struct DemoUsers {
    users: Vec<DemoUser>,
}

#[derive(Serialize, Deserialize)]
struct DemoUser {
    extension: String,
    password: String,
    name: String,
}

const NAMES: [(&str, &str); 4] = [
    ("1001", "Alice (agent)"),
    ("1002", "Bob (agent)"),
    ("1003", "Carol (supervisor)"),
    ("1004", "Dave (customer)"),
];

/// The demo configuration, creating `data/demo-users.toml` on first use.
pub fn config() -> Result<Resolved, anyhow::Error> {
    let base = Config::default();
    let users = load_or_create(&base.data_dir.join("demo-users.toml"))?;
    let config = Config {
        users: users
            .users
            .into_iter()
            .map(|u| {
                Spanned::new(
                    0..0,
                    UserConfig {
                        extension: Spanned::new(0..0, u.extension),
                        password: Spanned::new(0..0, u.password),
                        name: Some(u.name),
                    },
                )
            })
            .collect(),
        ..base
    };
    config
        .resolve()
        .map_err(|e: ConfigError| anyhow::anyhow!(e))
}

fn load_or_create(path: &Path) -> anyhow::Result<DemoUsers> {
    if let Ok(text) = std::fs::read_to_string(path) {
        if let Ok(users) = toml::from_str::<DemoUsers>(&text) {
            return Ok(users);
        }
        tracing::warn!(path = %path.display(), "demo users file unreadable; writing a new one");
    }
    let mut rng = rand::thread_rng();
    let users = DemoUsers {
        users: NAMES
            .iter()
            .map(|(ext, name)| DemoUser {
                extension: ext.to_string(),
                password: Alphanumeric.sample_string(&mut rng, 12),
                name: name.to_string(),
            })
            .collect(),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, toml::to_string(&users)?)?;
    Ok(users)
}
