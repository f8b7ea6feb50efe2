//! Extensions (SIP users) changed while the switch runs (from the HTTP API): added, given a new
//! password or display name, or removed. A removed extension's registrations are dropped at
//! once, so its phones' next REGISTER or INVITE is answered as for any unknown user; calls in
//! progress continue (a call holds its own legs, not the user). A changed password applies to
//! the next digest check: registrations made with the old one stay until they expire or the
//! phone registers again, which it can then only do with the new password.

use super::queue_admin::QueueChangeError;
use super::Switch;

/// A change asked for through the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserChange {
    /// Add an extension, or replace its password and name.
    Put {
        extension: String,
        password: String,
        name: Option<String>,
    },
    /// Remove an extension.
    Remove { extension: String },
}

/// An extension as the API lists it (never its password).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UserView {
    pub extension: String,
    pub name: Option<String>,
    /// Contacts registered now.
    pub registered: usize,
}

impl Switch {
    /// Apply one change. Refused (nothing changed) when a new extension is a queue's number,
    /// or when a removed one is still an agent's extension, the extension an agent is logged
    /// in at, or a queue's overflow or exit-key target.
    pub fn change_users(&mut self, change: UserChange) -> Result<(), QueueChangeError> {
        match change {
            UserChange::Put {
                extension,
                password,
                name,
            } => {
                if let Some(q) = self.acd.numbers.get(&extension) {
                    return Err(QueueChangeError::Conflict(format!(
                        "{extension} is the number of queue {q}"
                    )));
                }
                self.cfg.users.insert(extension, (password, name));
                Ok(())
            }
            UserChange::Remove { extension } => {
                if !self.cfg.users.contains_key(&extension) {
                    return Err(QueueChangeError::NotFound(format!(
                        "no extension {extension}"
                    )));
                }
                if let Some(why) = self.extension_in_use(&extension) {
                    return Err(QueueChangeError::Conflict(why));
                }
                self.cfg.users.remove(&extension);
                let dropped = self.registrar.remove_user(&extension);
                tracing::info!(%extension, registrations = dropped, "extension removed");
                Ok(())
            }
        }
    }

    /// What still names `extension`, in words; `None` when it may go.
    fn extension_in_use(&self, extension: &str) -> Option<String> {
        let mut agents: Vec<&str> = (self.acd.agents.values())
            .filter(|a| a.extension.as_deref() == Some(extension))
            .map(|a| a.cfg.id.as_str())
            .collect();
        agents.sort_unstable();
        if !agents.is_empty() {
            return Some(format!(
                "extension {extension} belongs to agent(s) {}: change them first",
                agents.join(", ")
            ));
        }
        if let Some(agent) = self.acd.agent_at(extension) {
            return Some(format!("agent {agent} is logged in at {extension}"));
        }
        let mut queues: Vec<&str> = (self.acd.queues.values())
            .filter(|q| {
                q.cfg.overflow.as_deref() == Some(extension)
                    || q.exit
                        .keys
                        .values()
                        .any(|k| matches!(k, super::ExitKey::Target(t) if t == extension))
            })
            .map(|q| q.cfg.name.as_str())
            .collect();
        queues.sort_unstable();
        if !queues.is_empty() {
            return Some(format!(
                "queue(s) {} send callers to {extension}: change them first",
                queues.join(", ")
            ));
        }
        None
    }

    /// Every extension, by extension, with its registered contacts at `now`.
    pub fn users(&self, now: std::time::Instant) -> Vec<UserView> {
        let mut out: Vec<UserView> = (self.cfg.users.iter())
            .map(|(ext, (_, name))| UserView {
                extension: ext.clone(),
                name: name.clone(),
                registered: self.registrar.lookup(now, ext).len(),
            })
            .collect();
        out.sort_by(|a, b| a.extension.cmp(&b.extension));
        out
    }
}
