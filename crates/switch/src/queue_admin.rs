//! Queues and memberships changed while the switch runs (from the HTTP API): the switch's
//! side of `acd::Acd::create_queue` / `update_queue` / `remove_queue` / `set_memberships`,
//! keeping its own maps (queue settings, queue numbers, agents' memberships for the live
//! view) in step and carrying out what the ACD asks at once (offers, overflow).

use super::queue::QueueSetup;
use super::Switch;
use std::time::Instant;

/// A change asked for through the API.
#[derive(Debug, Clone)]
pub enum QueueChange {
    /// Add a queue that does not exist.
    Create(Box<QueueSetup>),
    /// Replace an existing queue's settings (waiting callers keep their places).
    Update(Box<QueueSetup>),
    /// Remove a queue; with `drain`, waiting callers go to its overflow first.
    Remove { name: String, drain: bool },
    /// Replace the queues an agent serves.
    Memberships {
        agent: String,
        queues: Vec<acd::Membership>,
    },
    /// Add an agent, or replace an agent's settings keeping its state (`agent_admin.rs`).
    PutAgent(Box<super::queue::AgentSetup>),
    /// Remove a logged-out agent.
    RemoveAgent(String),
}

/// Why a change was refused; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueChangeError {
    /// No such queue or agent (404).
    #[error("{0}")]
    NotFound(String),
    /// The change collides with the current state (409): a name or number in use, callers
    /// waiting, another queue overflowing here.
    #[error("{0}")]
    Conflict(String),
    /// The body names something that does not exist or is out of range (400).
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
}

impl Switch {
    /// Apply one change; returns the calls sent to overflow (removal with drain).
    pub fn change_queues(
        &mut self,
        now: Instant,
        change: QueueChange,
    ) -> Result<Vec<String>, QueueChangeError> {
        let result = match change {
            QueueChange::Create(setup) => self.create_queue(now, *setup).map(|()| Vec::new()),
            QueueChange::Update(setup) => self.update_queue(now, *setup).map(|()| Vec::new()),
            QueueChange::Remove { name, drain } => self.remove_queue(now, &name, drain),
            QueueChange::Memberships { agent, queues } => self
                .set_memberships(now, &agent, queues)
                .map(|()| Vec::new()),
            QueueChange::PutAgent(setup) => self.put_agent(now, *setup).map(|()| Vec::new()),
            QueueChange::RemoveAgent(id) => self.remove_agent(now, &id).map(|()| Vec::new()),
        };
        self.run_acd(now);
        self.process(now);
        result
    }

    /// Overflow and exit-key targets must lead somewhere, as at start: a queue (this one
    /// included), an extension, or a number the running dialplans route.
    fn check_targets(&self, setup: &QueueSetup) -> Result<(), QueueChangeError> {
        let routed = |t: &str| {
            t == setup.cfg.name
                || self.acd.queues.contains_key(t)
                || self.cfg.users.contains_key(t)
                || self
                    .dialplans
                    .as_ref()
                    .is_some_and(|p| p.route(t).is_some())
        };
        if let Some(t) = setup.cfg.overflow.as_deref().filter(|t| !routed(t)) {
            return Err(QueueChangeError::Invalid {
                field: "overflow".into(),
                message: format!("`{t}` is no queue, extension or dialplan route"),
            });
        }
        for (key, exit) in &setup.exit.keys {
            if let super::ExitKey::Target(t) = exit {
                if !routed(t) {
                    return Err(QueueChangeError::Invalid {
                        field: format!("exit_keys.{key}"),
                        message: format!("`{t}` is no queue, extension or dialplan route"),
                    });
                }
            }
        }
        Ok(())
    }

    /// A queue's number must be free: not an extension, not another queue's number.
    fn check_number(&self, setup: &QueueSetup) -> Result<(), QueueChangeError> {
        let Some(n) = &setup.number else {
            return Ok(());
        };
        if self.cfg.users.contains_key(n) {
            return Err(QueueChangeError::Conflict(format!(
                "number {n} is an extension"
            )));
        }
        match self.acd.numbers.get(n) {
            Some(q) if *q != setup.cfg.name => Err(QueueChangeError::Conflict(format!(
                "number {n} belongs to queue {q}"
            ))),
            _ => Ok(()),
        }
    }

    fn create_queue(&mut self, now: Instant, setup: QueueSetup) -> Result<(), QueueChangeError> {
        self.check_number(&setup)?;
        self.check_targets(&setup)?;
        self.acd
            .core
            .create_queue(now, setup.cfg.clone())
            .map_err(|e| match e {
                acd::AcdError::DuplicateQueue(q) => {
                    QueueChangeError::Conflict(format!("queue {q} already exists"))
                }
                other => invalid("", other),
            })?;
        self.install(setup);
        Ok(())
    }

    fn update_queue(&mut self, now: Instant, setup: QueueSetup) -> Result<(), QueueChangeError> {
        let name = setup.cfg.name.clone();
        if !self.acd.queues.contains_key(&name) {
            return Err(QueueChangeError::NotFound(format!("no queue {name}")));
        }
        self.check_number(&setup)?;
        self.check_targets(&setup)?;
        self.acd
            .core
            .update_queue(now, setup.cfg.clone())
            .map_err(|e| invalid("", e))?;
        self.acd.numbers.retain(|_, q| *q != name);
        self.install(setup);
        Ok(())
    }

    fn install(&mut self, setup: QueueSetup) {
        if let Some(n) = &setup.number {
            self.acd.numbers.insert(n.clone(), setup.cfg.name.clone());
        }
        self.acd.queues.insert(setup.cfg.name.clone(), setup);
    }

    fn remove_queue(
        &mut self,
        now: Instant,
        name: &str,
        drain: bool,
    ) -> Result<Vec<String>, QueueChangeError> {
        if !self.acd.queues.contains_key(name) {
            return Err(QueueChangeError::NotFound(format!("no queue {name}")));
        }
        let mut feeding: Vec<&str> = self
            .acd
            .queues
            .values()
            .filter(|q| q.cfg.name != name && q.cfg.overflow.as_deref() == Some(name))
            .map(|q| q.cfg.name.as_str())
            .collect();
        feeding.sort_unstable();
        if !feeding.is_empty() {
            return Err(QueueChangeError::Conflict(format!(
                "queue {} overflow(s) to {name}: change that first",
                feeding.join(", ")
            )));
        }
        let drained = self
            .acd
            .core
            .remove_queue(now, name, drain)
            .map_err(|e| match e {
                acd::AcdError::QueueBusy { queue, waiting } => QueueChangeError::Conflict(format!(
                    "{waiting} caller(s) waiting in {queue}: remove with drain=overflow"
                )),
                other => QueueChangeError::NotFound(other.to_string()),
            })?;
        // The ACD's overflow actions still need the queue's settings (hold music, target):
        // carry them out before forgetting it.
        self.run_acd(now);
        self.acd.queues.remove(name);
        self.acd.numbers.retain(|_, q| q != name);
        for a in self.acd.agents.values_mut() {
            a.cfg.queues.retain(|m| m.queue != name);
        }
        Ok(drained)
    }

    fn set_memberships(
        &mut self,
        now: Instant,
        agent: &str,
        queues: Vec<acd::Membership>,
    ) -> Result<(), QueueChangeError> {
        if !self.acd.agents.contains_key(agent) {
            return Err(QueueChangeError::NotFound(format!("no agent {agent}")));
        }
        self.acd
            .core
            .set_memberships(now, agent, queues.clone())
            .map_err(|e| match e {
                acd::AcdError::UnknownQueue(q) => QueueChangeError::Invalid {
                    field: "queues".into(),
                    message: format!("no queue {q}"),
                },
                acd::AcdError::UnknownAgent(a) => {
                    QueueChangeError::NotFound(format!("no agent {a}"))
                }
                other => invalid("queues", other),
            })?;
        if let Some(a) = self.acd.agents.get_mut(agent) {
            a.cfg.queues = queues;
        }
        Ok(())
    }
}

fn invalid(field: &str, e: acd::AcdError) -> QueueChangeError {
    QueueChangeError::Invalid {
        field: field.into(),
        message: e.to_string(),
    }
}
