//! Changes made while the ACD runs (from the HTTP API): create a queue, change a queue's
//! settings keeping its callers and their places, remove a queue, change which queues an
//! agent serves, and remove a logged-out agent (agents are added or changed by `add_agent`). Each takes effect at once: rules that now apply fire and free agents get offers.

use std::collections::BTreeSet;
use std::time::Instant;

use crate::acd::Acd;
use crate::action::OverflowReason;
use crate::agent::AgentState;
use crate::config::{Membership, QueueConfig};
use crate::error::AcdError;
use crate::queue::{call_steps, positions, QueueRuntime};

impl Acd {
    /// Add a queue that does not exist yet ([`AcdError::DuplicateQueue`] otherwise).
    pub fn create_queue(&mut self, now: Instant, cfg: QueueConfig) -> Result<(), AcdError> {
        cfg.validate()?;
        if self.queues.contains_key(&cfg.name) {
            return Err(AcdError::DuplicateQueue(cfg.name));
        }
        self.now = self.now.max(now);
        self.queues.insert(cfg.name.clone(), QueueRuntime::new(cfg));
        Ok(())
    }

    /// Replace an existing queue's settings. Waiting callers keep their places (rank is by
    /// arrival, priority and waiting time, none of which change); their skill steps are rebuilt
    /// from the new profile, measured from when they entered; an offer ringing now keeps its
    /// ring timer. Counters and recent waits stay. A shorter maximum wait or a leave-when-empty
    /// rule that now holds applies at once; a lower `max_len` only refuses new callers.
    pub fn update_queue(&mut self, now: Instant, cfg: QueueConfig) -> Result<(), AcdError> {
        cfg.validate()?;
        let q = self
            .queues
            .get_mut(&cfg.name)
            .ok_or_else(|| AcdError::UnknownQueue(cfg.name.clone()))?;
        self.now = self.now.max(now);
        let now = self.now;
        let interval = cfg.announce_interval;
        for c in self.waiting.values_mut().filter(|c| c.queue == cfg.name) {
            c.steps = call_steps(&cfg, &c.skills);
            c.next_announce = match (interval, c.next_announce) {
                (None, _) => None,
                (Some(_), None) if c.callback.is_some() => None,
                (Some(i), None) => Some(now + i),
                (Some(i), Some(at)) => Some(at.min(now + i)),
            };
        }
        q.cfg = cfg;
        self.fire_due(now);
        self.leave_if_empty(now);
        self.dispatch(now);
        Ok(())
    }

    /// Remove a queue. Refused with [`AcdError::QueueBusy`] while callers wait in it or ring an
    /// agent for it, unless `drain`: then each is sent to the queue's overflow target first
    /// (best-ranked first, reason [`OverflowReason::QueueRemoved`]). Calls already connected
    /// to an agent go on; the agent's wrap-up then follows the agent's own setting. Every
    /// agent's membership of the queue is dropped. Returns the calls sent to overflow.
    pub fn remove_queue(
        &mut self,
        now: Instant,
        name: &str,
        drain: bool,
    ) -> Result<Vec<String>, AcdError> {
        if !self.queues.contains_key(name) {
            return Err(AcdError::UnknownQueue(name.to_string()));
        }
        let calls = positions(&self.waiting, name);
        if !calls.is_empty() && !drain {
            return Err(AcdError::QueueBusy {
                queue: name.to_string(),
                waiting: calls.len(),
            });
        }
        self.now = self.now.max(now);
        let now = self.now;
        for call in &calls {
            self.overflow(now, call, OverflowReason::QueueRemoved);
        }
        self.queues.remove(name);
        for a in self.agents.values_mut() {
            a.cfg.queues.retain(|m| m.queue != name);
        }
        self.dispatch(now);
        Ok(calls)
    }

    /// Replace the queues `agent` serves (with weight and order). Every queue must exist and
    /// appear once. An offer ringing now is not withdrawn even if its queue is no longer
    /// among them; the agent is then offered calls of the new queues only.
    pub fn set_memberships(
        &mut self,
        now: Instant,
        agent: &str,
        queues: Vec<Membership>,
    ) -> Result<(), AcdError> {
        let mut seen = BTreeSet::new();
        for m in &queues {
            if !self.queues.contains_key(&m.queue) {
                return Err(AcdError::UnknownQueue(m.queue.clone()));
            }
            if !seen.insert(m.queue.as_str()) {
                return Err(AcdError::InvalidConfig(format!(
                    "agent {agent}: queue {} is listed twice",
                    m.queue
                )));
            }
        }
        self.now = self.now.max(now);
        let now = self.now;
        self.agent_mut(agent)?.cfg.queues = queues;
        self.leave_if_empty(now);
        self.dispatch(now);
        Ok(())
    }

    /// Remove an agent. Refused with [`AcdError::InvalidState`] unless the agent is logged out:
    /// an agent ringing, talking or in wrap-up has a call the ACD still tracks, and a logged-in
    /// agent would vanish from the live view without a logout event.
    pub fn remove_agent(&mut self, now: Instant, id: &str) -> Result<(), AcdError> {
        let agent = self.agent_mut(id)?;
        if agent.state != AgentState::LoggedOut {
            return Err(AcdError::InvalidState {
                agent: id.to_string(),
                what: "be removed",
                state: agent.state.name(),
            });
        }
        self.now = self.now.max(now);
        self.agents.remove(id);
        Ok(())
    }

    /// A queue's settings, if it exists.
    pub fn queue_config(&self, name: &str) -> Option<&QueueConfig> {
        self.queues.get(name).map(|q| &q.cfg)
    }

    /// The queues an agent serves, if the agent exists.
    pub fn memberships(&self, agent: &str) -> Option<&[Membership]> {
        self.agents.get(agent).map(|a| a.cfg.queues.as_slice())
    }
}
