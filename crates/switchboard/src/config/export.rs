//! `switchboard config export`: the configuration the switch runs, as one TOML file that
//! `serve --config` accepts, so leaving the demo (or collecting what the HTTP API changed) is one
//! command. Written from the file's sections (or the demo's), every key explicit, with:
//! - the dialplan directory actually used, named (it was a default);
//! - account passwords as argon2 hashes (`password_hash`) and bearer tokens as SHA-256
//!   (`token_hash`), never in clear;
//! - the queues and agent memberships stored through the API laid over the file's, as
//!   `serve` does at start (`stored_queues.rs`): the export runs the same on a fresh database.
//!
//! Exporting the export gives the same text (the hashes and stored queues are already in it).

use super::file::Config;
use super::Resolved;
use anyhow::Context;
use std::path::Path;

/// What the database holds that the file does not: queues and memberships set through the API.
#[derive(Debug, Default)]
pub struct Stored {
    pub queues: Vec<crm::StoredQueue>,
    pub memberships: Vec<crm::StoredMemberships>,
    /// Trunks and DIDs changed through the API (`stored_trunks.rs`).
    pub trunks: Vec<crm::StoredDefinition>,
    pub dids: Vec<crm::StoredDefinition>,
    /// Extensions and agents changed through the API (`stored_directory.rs`).
    pub users: Vec<crm::StoredEntry>,
    pub agents: Vec<crm::StoredEntry>,
}

/// Read the stored queues and memberships from the configuration's database.
pub async fn stored(resolved: &Resolved) -> anyhow::Result<Stored> {
    let crm = crm::Crm::connect(&resolved.database_url)
        .await
        .context("opening the database for its stored queues")?;
    Ok(Stored {
        queues: crm.queue_definitions().await?,
        memberships: crm.agent_memberships().await?,
        trunks: crm.trunk_definitions().await?,
        dids: crm.did_definitions().await?,
        users: crm.directory(crm::Directory::Users).await?,
        agents: crm.directory(crm::Directory::Agents).await?,
    })
}

const HEADER: &str = "\
# Switchboard configuration, written by `switchboard config export` (docs/configuration.md).
# It holds the SIP passwords of the extensions in clear, because the switch needs them to check
# the phones' digest logins: keep it private (the file is created readable by its owner only).
# HTTP account passwords are argon2 hashes and bearer tokens SHA-256 hashes (the tokens stay
# valid). Carriers' trunk passwords and agents' PINs are in clear too (the switch needs them).
# Extensions, agents, queues, agent queues, trunks and DIDs changed through the HTTP API are
# included.
# Run it with `switchboard serve --config <this file>`.
";

/// The export's text: `config` (as the file or the demo has it) completed from `resolved` and
/// `stored`. Hashes account passwords (argon2: tens of milliseconds each).
pub fn render(config: &Config, resolved: &Resolved, stored: &Stored) -> anyhow::Result<String> {
    let mut table = toml::Table::try_from(config).context("the configuration as TOML")?;
    name_defaults(&mut table, config, resolved);
    hash_account_secrets(&mut table)?;
    // In the order `serve` applies them: extensions, then queues, agents and memberships.
    lay_stored(&mut table, "users", "extension", &stored.users)?;
    lay_stored(&mut table, "agents", "id", &stored.agents)?;
    lay_stored_queues(&mut table, stored)?;
    lay_stored(&mut table, "trunks", "name", &stored.trunks)?;
    lay_stored(&mut table, "dids", "number", &stored.dids)?;
    Ok(format!("{HEADER}\n{}", toml::to_string(&table)?))
}

/// Write `text` to `path`, readable by its owner only; refuses to replace a file unless `force`.
pub fn write_private(path: &Path, text: &str, force: bool) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut options = std::fs::OpenOptions::new();
    options.write(true).mode(0o600);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {} (--force replaces it)", path.display()))?;
    // An existing file keeps its mode on open: tighten it too.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

/// The dialplan directory the switch uses, written out when it was left to its default (a
/// default directory that does not exist is left out: it is optional).
fn name_defaults(table: &mut toml::Table, config: &Config, resolved: &Resolved) {
    // The database's default (`<data_dir>/switchboard.db`) is kept as a default: a relative
    // SQLite path in the file is read under `data_dir`, so the resolved URL would move it.
    if config.ivr.dialplans.is_none() {
        let dir = resolved.dialplans_dir.as_ref().filter(|(d, _)| d.is_dir());
        if let (Some((dir, _)), Some(ivr)) = (dir, section(table, "ivr")) {
            ivr.insert(
                "dialplans".into(),
                toml::Value::String(dir.display().to_string()),
            );
        }
    }
}

/// The table `name` of `table`, made when missing.
fn section<'a>(table: &'a mut toml::Table, name: &str) -> Option<&'a mut toml::Table> {
    if !table.get(name).is_some_and(toml::Value::is_table) {
        table.insert(name.to_string(), toml::Value::Table(toml::Table::new()));
    }
    table.get_mut(name).and_then(toml::Value::as_table_mut)
}

/// Passwords as argon2 `password_hash`, bearer tokens as their SHA-256 `token_hash`: what the
/// switch checks them against, so the file needs neither in clear.
fn hash_account_secrets(table: &mut toml::Table) -> anyhow::Result<()> {
    let Some(toml::Value::Array(accounts)) = table.get_mut("accounts") else {
        return Ok(());
    };
    for account in accounts.iter_mut().filter_map(toml::Value::as_table_mut) {
        if let Some(toml::Value::String(token)) = account.remove("token") {
            let hash = crate::password::token_hash(&token);
            account.insert("token_hash".into(), toml::Value::String(hash));
        }
        if let Some(toml::Value::String(plain)) = account.remove("password") {
            let hash = crate::password::hash_password(&plain)
                .map_err(|e| anyhow::anyhow!("hashing an account password: {e}"))?;
            account.insert("password_hash".into(), toml::Value::String(hash));
        }
    }
    Ok(())
}

/// As `stored_queues::apply` does at start: a stored definition replaces the file's queue of
/// that name (or is added), a stored removal drops it and every membership of it, and stored
/// memberships replace an agent's `queues`.
fn lay_stored_queues(table: &mut toml::Table, stored: &Stored) -> anyhow::Result<()> {
    let named = |v: &toml::Value, key: &str, name: &str| {
        v.get(key).and_then(toml::Value::as_str) == Some(name)
    };
    for q in &stored.queues {
        let Some(queues) = array(table, "queues") else {
            continue;
        };
        match &q.definition {
            Some(json) => {
                let value: serde_json::Value = serde_json::from_str(json)
                    .with_context(|| format!("stored queue {}", q.name))?;
                let value = json_to_toml(value)
                    .with_context(|| format!("stored queue {} as TOML", q.name))?;
                match queues.iter_mut().find(|v| named(v, "name", &q.name)) {
                    Some(slot) => *slot = value,
                    None => queues.push(value),
                }
            }
            None => {
                queues.retain(|v| !named(v, "name", &q.name));
                for agent in array(table, "agents").into_iter().flatten() {
                    if let Some(toml::Value::Array(ms)) = agent.get_mut("queues") {
                        ms.retain(|m| m.as_str() != Some(&q.name) && !named(m, "queue", &q.name));
                    }
                }
            }
        }
    }
    for m in &stored.memberships {
        let value: serde_json::Value = serde_json::from_str(&m.queues)
            .with_context(|| format!("stored queues of agent {}", m.agent_id))?;
        let value = json_to_toml(value)
            .with_context(|| format!("stored queues of agent {} as TOML", m.agent_id))?;
        if let Some(agent) = array(table, "agents")
            .into_iter()
            .flatten()
            .find(|v| named(v, "id", &m.agent_id))
            .and_then(toml::Value::as_table_mut)
        {
            agent.insert("queues".into(), value);
        }
    }
    Ok(())
}

/// As `stored_trunks::apply` does at start: each stored definition of `[[name]]` replaces the
/// entry whose `key` is the stored row's key (or is added); a stored removal drops it.
fn lay_stored(
    table: &mut toml::Table,
    name: &str,
    key: &str,
    rows: &[crm::StoredDefinition],
) -> anyhow::Result<()> {
    for crm::StoredDefinition {
        key: row_key,
        definition,
        ..
    } in rows
    {
        let Some(entries) = array(table, name) else {
            continue;
        };
        let keyed =
            |v: &toml::Value| v.get(key).and_then(toml::Value::as_str) == Some(row_key.as_str());
        match definition {
            Some(json) => {
                let value: serde_json::Value = serde_json::from_str(json)
                    .with_context(|| format!("stored {name} entry {row_key}"))?;
                let value = json_to_toml(value)
                    .with_context(|| format!("stored {name} entry {row_key} as TOML"))?;
                match entries.iter_mut().find(|v| keyed(v)) {
                    Some(slot) => *slot = value,
                    None => entries.push(value),
                }
            }
            None => entries.retain(|v| !keyed(v)),
        }
    }
    Ok(())
}

/// The array `name` of `table` (`[[name]]`), made when missing.
fn array<'a>(table: &'a mut toml::Table, name: &str) -> Option<&'a mut Vec<toml::Value>> {
    if !table.get(name).is_some_and(toml::Value::is_array) {
        table.insert(name.to_string(), toml::Value::Array(Vec::new()));
    }
    table.get_mut(name).and_then(toml::Value::as_array_mut)
}

/// JSON to TOML, dropping nulls (TOML has none: an absent key means the default).
fn json_to_toml(v: serde_json::Value) -> anyhow::Result<toml::Value> {
    use serde_json::Value as J;
    Ok(match v {
        J::Null => anyhow::bail!("null outside an object"),
        J::Bool(b) => toml::Value::Boolean(b),
        J::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => toml::Value::Integer(i),
            (None, Some(f)) => toml::Value::Float(f),
            _ => anyhow::bail!("number {n} out of range"),
        },
        J::String(s) => toml::Value::String(s),
        J::Array(items) => toml::Value::Array(
            items
                .into_iter()
                .map(json_to_toml)
                .collect::<anyhow::Result<_>>()?,
        ),
        J::Object(map) => toml::Value::Table(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| Ok((k, json_to_toml(v)?)))
                .collect::<anyhow::Result<_>>()?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[[users]]
extension = "2001"
password = "pw-2001-secret"
[[users]]
extension = "2002"
password = "pw-2002-secret"
[[accounts]]
username = "admin"
password = "admin-password"
role = "admin"
token = "a-token-of-at-least-32-characters-0123"
[[queues]]
name = "a"
number = "7000"
[[queues]]
name = "b"
[[agents]]
id = "x"
extension = "2001"
queues = ["a", "b"]
[[agents]]
id = "y"
extension = "2002"
queues = ["b", { queue = "a", weight = 2 }]
[[trunks]]
name = "carrier-a"
host = "192.0.2.10"
[[trunks]]
name = "carrier-b"
host = "192.0.2.20"
[[dids]]
number = "+8215880000"
extension = "2001"
"#;

    fn definition(key: &str, json: Option<&str>) -> crm::StoredDefinition {
        crm::StoredDefinition {
            key: key.into(),
            definition: json.map(String::from),
            updated_at: chrono::Utc::now(),
            updated_by: "admin".into(),
        }
    }

    fn stored(name: &str, definition: Option<&str>) -> crm::StoredQueue {
        crm::StoredQueue {
            name: name.into(),
            definition: definition.map(String::from),
            updated_at: chrono::Utc::now(),
            updated_by: "admin".into(),
        }
    }

    fn sections(text: &str) -> (Config, Resolved) {
        let file: Config = toml::from_str(text).expect("sections");
        let resolved = super::super::parse("export.toml", text).expect("resolves");
        (file, resolved)
    }

    /// The export carries what the API changed, hashes account passwords, runs as a
    /// configuration, and exporting it again changes nothing.
    #[test]
    fn stored_queues_are_laid_over_and_the_export_round_trips() {
        let db = Stored {
            queues: vec![
                stored("b", None),
                stored(
                    "c",
                    Some(r#"{"name":"c","number":"7100","strategy":"ring-all"}"#),
                ),
                stored("a", Some(r#"{"name":"a","number":"7001","max_len":null}"#)),
            ],
            memberships: vec![crm::StoredMemberships {
                agent_id: "x".into(),
                queues: r#"[{"queue":"c","weight":2,"order":null}]"#.into(),
                updated_at: chrono::Utc::now(),
                updated_by: "admin".into(),
            }],
            trunks: vec![
                definition("carrier-b", None),
                definition(
                    "carrier-c",
                    Some(
                        r#"{"name":"carrier-c","host":"192.0.2.30","username":"sb","password":"carrier-secret"}"#,
                    ),
                ),
            ],
            dids: vec![definition(
                "+8215880001",
                Some(r#"{"number":"+8215880001","queue":"a"}"#),
            )],
            users: vec![definition(
                "2003",
                Some(r#"{"extension":"2003","name":"Kim","password":"pw-2003-secret"}"#),
            )],
            agents: vec![definition(
                "z",
                Some(r#"{"id":"z","extension":"2003","skills":"loans:4","pin":"4321"}"#),
            )],
        };
        let (file, resolved) = sections(FILE);
        let text = render(&file, &resolved, &db).expect("export");
        assert!(text.starts_with("# Switchboard configuration"), "{text}");
        assert!(text.contains("SIP passwords"), "{text}");
        assert!(!text.contains("admin-password"), "hashed: {text}");
        assert!(!text.contains("a-token-of-at-least"), "hashed: {text}");
        assert!(
            text.contains("password = \"pw-2001-secret\""),
            "SIP passwords kept"
        );

        let (again_file, again) = sections(&text);
        let names: Vec<&str> = again
            .acd
            .queues
            .iter()
            .map(|q| q.cfg.name.as_str())
            .collect();
        assert_eq!(names, ["a", "c"]);
        let number = |n: &str| {
            again
                .acd
                .queues
                .iter()
                .find(|q| q.cfg.name == n)
                .and_then(|q| q.number.clone())
        };
        assert_eq!(
            number("a").as_deref(),
            Some("7001"),
            "the stored definition wins"
        );
        assert_eq!(number("c").as_deref(), Some("7100"));
        let queues_of = |id: &str| -> Vec<(String, u32)> {
            again
                .acd
                .agents
                .iter()
                .find(|a| a.cfg.id == id)
                .map(|a| {
                    a.cfg
                        .queues
                        .iter()
                        .map(|m| (m.queue.clone(), m.weight))
                        .collect()
                })
                .unwrap_or_default()
        };
        assert_eq!(queues_of("x"), [("c".to_string(), 2)]);
        let trunks: Vec<&str> = again
            .trunks
            .trunks
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(trunks, ["carrier-a", "carrier-c"], "b removed, c added");
        assert_eq!(
            again
                .trunks
                .trunk("carrier-c")
                .and_then(|t| t.credentials.clone())
                .map(|c| c.password),
            Some("carrier-secret".to_string()),
            "the carrier's password is kept: the switch answers its challenges"
        );
        let dids: Vec<&str> = again
            .trunks
            .dids
            .iter()
            .map(|d| d.number.as_str())
            .collect();
        assert_eq!(dids, ["+8215880000", "+8215880001"]);
        assert_eq!(queues_of("y"), [("a".to_string(), 2)], "b removed");
        assert_eq!(
            again.accounts[0].token_hash.as_deref(),
            Some(crate::password::token_hash("a-token-of-at-least-32-characters-0123").as_str()),
            "the token still works"
        );
        assert!(crate::password::verify_password(
            "admin-password",
            match &again.accounts[0].secret {
                crate::config::accounts::Secret::Hash(h) => h,
                other => panic!("{other:?}"),
            }
        ));

        assert_eq!(render(&again_file, &again, &db).expect("again"), text);
    }

    #[test]
    fn a_written_export_is_private_and_not_replaced_unless_forced() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("sb-export-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("out.toml");
        std::fs::write(&path, "old").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("mode");
        assert!(write_private(&path, "new", false).is_err());
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "old");
        write_private(&path, "new", true).expect("forced");
        let meta = std::fs::metadata(&path).expect("meta");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "new");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
