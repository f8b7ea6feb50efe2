//! Agents created, changed and removed while the switch runs (from the HTTP API): the switch's
//! side of `acd::Acd::add_agent` / `remove_agent`, keeping its own map of agents (name,
//! extension, PIN) in step. A changed agent keeps its state (logged in, on a call) and its
//! counters; the new skills and queues apply to its next offer. Only a logged-out agent can be
//! removed.

use super::queue::AgentSetup;
use super::queue_admin::QueueChangeError;
use super::Switch;
use std::time::Instant;

impl Switch {
    /// Add an agent, or replace an existing agent's settings (`QueueChange::PutAgent`).
    pub(super) fn put_agent(
        &mut self,
        now: Instant,
        setup: AgentSetup,
    ) -> Result<(), QueueChangeError> {
        let id = setup.cfg.id.clone();
        if let Some(ext) = setup
            .extension
            .as_deref()
            .filter(|e| !self.cfg.users.contains_key(*e))
        {
            return Err(QueueChangeError::Invalid {
                field: "extension".into(),
                message: format!("`{ext}` is not an extension"),
            });
        }
        let known = |e: &acd::AcdError| match e {
            acd::AcdError::UnknownQueue(q) => QueueChangeError::Invalid {
                field: "queues".into(),
                message: format!("no queue {q}"),
            },
            other => QueueChangeError::Invalid {
                field: String::new(),
                message: other.to_string(),
            },
        };
        let queues = setup.cfg.queues.clone();
        let mut seen = std::collections::HashSet::new();
        if let Some(twice) = queues.iter().find(|m| !seen.insert(m.queue.as_str())) {
            return Err(QueueChangeError::Invalid {
                field: "queues".into(),
                message: format!("queue {} is listed twice", twice.queue),
            });
        }
        // Memberships first (they are checked as the membership endpoint checks them), then
        // the rest: `add_agent` keeps the agent's state and counters.
        if self.acd.agents.contains_key(&id) {
            self.acd
                .core
                .add_agent(setup.cfg.clone())
                .map_err(|e| known(&e))?;
            self.acd
                .core
                .set_memberships(now, &id, queues)
                .map_err(|e| known(&e))?;
        } else {
            self.acd
                .core
                .add_agent(setup.cfg.clone())
                .map_err(|e| known(&e))?;
        }
        tracing::info!(agent = %id, "agent set through the API");
        self.acd.agents.insert(id, setup);
        Ok(())
    }

    /// An agent's settings as they run now (the API shows them, the PIN as set or not).
    pub fn agent_setup(&self, id: &str) -> Option<AgentSetup> {
        self.acd.agents.get(id).cloned()
    }

    /// Remove a logged-out agent (`QueueChange::RemoveAgent`).
    pub(super) fn remove_agent(&mut self, now: Instant, id: &str) -> Result<(), QueueChangeError> {
        if !self.acd.agents.contains_key(id) {
            return Err(QueueChangeError::NotFound(format!("no agent {id}")));
        }
        self.acd.core.remove_agent(now, id).map_err(|e| match e {
            acd::AcdError::InvalidState { state, .. } => QueueChangeError::Conflict(format!(
                "agent {id} is {state}: log the agent out first"
            )),
            other => QueueChangeError::NotFound(other.to_string()),
        })?;
        self.acd.agents.remove(id);
        self.acd.logged_in.remove(id);
        self.acd.busy_elsewhere.remove(id);
        tracing::info!(agent = %id, "agent removed through the API");
        Ok(())
    }
}
