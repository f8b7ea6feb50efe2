//! At start, extensions and agents stored through the HTTP API are laid over the configuration
//! file's, as stored queues are (`stored_queues.rs`): each stored definition replaces the file
//! entry of the same key or adds one, and a stored removal drops the file entry. Extensions
//! come first (agents name them), agents after the stored queues (agents serve them). An
//! agent's stored memberships (`PUT /api/agents/{id}/queues`, the newer word when both were
//! written) are applied by `stored_queues` after these. A stored row that no longer makes sense
//! (a password the rules now refuse, an agent whose extension is gone) is skipped with a
//! warning, never fatal; so is a removal that would leave a file agent without its extension.

use crate::config::directory_definition::{parse_agent, parse_user};
use crate::config::User;
use crate::switch::AcdSetup;
use std::collections::HashSet;

/// What was applied, for the start-up log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub added_or_changed: usize,
    pub removed: usize,
    pub skipped: usize,
}

/// Lay the stored extensions over `users` (from the configuration file).
pub fn apply_users(users: &mut Vec<User>, rows: &[crm::StoredEntry]) -> Applied {
    let mut done = Applied::default();
    for row in rows {
        let Some(text) = &row.definition else {
            users.retain(|u| u.extension != row.key);
            done.removed += 1;
            continue;
        };
        let parsed = serde_json::from_str(text)
            .map_err(|e| e.to_string())
            .and_then(|v| parse_user(&v, None).map_err(|e| format!("{e:?}")));
        match parsed {
            Ok(u) if u.extension == row.key => {
                match users.iter_mut().find(|f| f.extension == u.extension) {
                    Some(slot) => *slot = u,
                    None => users.push(u),
                }
                done.added_or_changed += 1;
            }
            Ok(_) => {
                tracing::warn!(extension = %row.key, "stored extension skipped: key mismatch");
                done.skipped += 1;
            }
            Err(problem) => {
                tracing::warn!(extension = %row.key, %problem, "stored extension skipped");
                done.skipped += 1;
            }
        }
    }
    done
}

/// Lay the stored agents over `setup` (the file's, with stored queues applied).
pub fn apply_agents(
    setup: &mut AcdSetup,
    extensions: &HashSet<String>,
    rows: &[crm::StoredEntry],
) -> Applied {
    let mut done = Applied::default();
    let queues: HashSet<String> = setup.queues.iter().map(|q| q.cfg.name.clone()).collect();
    for row in rows {
        let Some(text) = &row.definition else {
            setup.agents.retain(|a| a.cfg.id != row.key);
            done.removed += 1;
            continue;
        };
        let parsed = serde_json::from_str(text)
            .map_err(|e| e.to_string())
            .and_then(|v| parse_agent(&v, &queues, extensions).map_err(|e| format!("{e:?}")));
        match parsed {
            Ok(a) if a.cfg.id == row.key => {
                match setup.agents.iter_mut().find(|f| f.cfg.id == a.cfg.id) {
                    Some(slot) => *slot = a,
                    None => setup.agents.push(a),
                }
                done.added_or_changed += 1;
            }
            Ok(_) => {
                tracing::warn!(agent = %row.key, "stored agent skipped: key mismatch");
                done.skipped += 1;
            }
            Err(problem) => {
                tracing::warn!(agent = %row.key, %problem, "stored agent skipped");
                done.skipped += 1;
            }
        }
    }
    // A file agent whose extension was removed through the API keeps working without it.
    for a in &mut setup.agents {
        if let Some(e) = a.extension.as_ref().filter(|e| !extensions.contains(*e)) {
            tracing::warn!(agent = %a.cfg.id, extension = %e,
                "agent's extension no longer exists: it logs in with a PIN only");
            a.extension = None;
        }
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::switch::AgentSetup;

    fn row(key: &str, def: Option<&str>) -> crm::StoredEntry {
        crm::StoredEntry {
            key: key.into(),
            definition: def.map(Into::into),
            updated_at: chrono::Utc::now(),
            updated_by: "admin".into(),
        }
    }

    fn user(ext: &str) -> User {
        User {
            extension: ext.into(),
            password: format!("secret-{ext}"),
            name: None,
        }
    }

    #[test]
    fn stored_users_and_agents_override_the_file() {
        let mut users = vec![user("1001"), user("1002")];
        let done = apply_users(
            &mut users,
            &[
                row("1001", None),
                row(
                    "1002",
                    Some(r#"{"extension":"1002","name":"Kim","password":"new-pass-1002"}"#),
                ),
                row(
                    "2001",
                    Some(r#"{"extension":"2001","password":"pw-2001-secret"}"#),
                ),
                row("2002", Some(r#"{"extension":"2002","password":"weak"}"#)),
            ],
        );
        assert_eq!(
            done,
            Applied {
                added_or_changed: 2,
                removed: 1,
                skipped: 1
            }
        );
        let exts: Vec<&str> = users.iter().map(|u| u.extension.as_str()).collect();
        assert_eq!(exts, ["1002", "2001"]);
        assert_eq!(users[0].password, "new-pass-1002");

        let mut setup = AcdSetup {
            queues: Vec::new(),
            agents: vec![AgentSetup {
                cfg: acd::AgentConfig::new("a1001"),
                name: None,
                extension: Some("1001".into()),
                pin: None,
            }],
            pause_reasons: Vec::new(),
        };
        let extensions: HashSet<String> = users.iter().map(|u| u.extension.clone()).collect();
        let done = apply_agents(
            &mut setup,
            &extensions,
            &[
                row(
                    "a2001",
                    Some(r#"{"id":"a2001","extension":"2001","skills":"loans:3"}"#),
                ),
                row("ghost", Some(r#"{"id":"ghost","extension":"9999"}"#)),
            ],
        );
        assert_eq!((done.added_or_changed, done.skipped), (1, 1));
        assert_eq!(setup.agents.len(), 2);
        assert_eq!(setup.agents[0].extension, None, "1001 was removed");
        assert_eq!(setup.agents[1].cfg.skills.get("loans"), Some(&3));
    }
}
