//! Agent-side inputs: login, logout, pause and unpause (from feature codes or the HTTP API),
//! the end of wrap-up, and the empty-queue rules those changes can trigger.

use std::time::Instant;

use crate::acd::Acd;
use crate::action::{AgentEventKind, OverflowReason};
use crate::agent::AgentState;
use crate::config::EmptyRule;
use crate::error::AcdError;

impl Acd {
    pub(crate) fn login(&mut self, now: Instant, agent: &str) -> Result<(), AcdError> {
        let a = self.agent_mut(agent)?;
        if a.is_logged_in() {
            return Err(invalid(agent, "log in", &a.state));
        }
        a.missed = 0;
        a.pending_pause = None;
        self.agent_event(now, agent, AgentEventKind::Login);
        self.set_state(now, agent, AgentState::Available);
        Ok(())
    }

    pub(crate) fn logout(&mut self, now: Instant, agent: &str) -> Result<(), AcdError> {
        let a = self.agent_mut(agent)?;
        match a.state.clone() {
            AgentState::LoggedOut | AgentState::OnCall { .. } => {
                return Err(invalid(agent, "log out", &a.state))
            }
            AgentState::Ringing { call } => self.withdraw(now, &call, agent),
            _ => {}
        }
        if let Some(a) = self.agents.get_mut(agent) {
            a.pending_pause = None;
        }
        self.agent_event(now, agent, AgentEventKind::Logout);
        self.set_state(now, agent, AgentState::LoggedOut);
        self.leave_if_empty(now);
        Ok(())
    }

    pub(crate) fn pause(
        &mut self,
        now: Instant,
        agent: &str,
        reason: String,
    ) -> Result<(), AcdError> {
        let a = self.agent_mut(agent)?;
        match a.state.clone() {
            AgentState::LoggedOut => return Err(invalid(agent, "pause", &a.state)),
            AgentState::OnCall { .. } => {
                // Applied after the call and its wrap-up, so the caller is not cut off.
                a.pending_pause = Some(reason);
                return Ok(());
            }
            AgentState::Ringing { call } => self.withdraw(now, &call, agent),
            _ => {}
        }
        self.pause_now(now, agent, reason);
        self.leave_if_empty(now);
        Ok(())
    }

    pub(crate) fn unpause(&mut self, now: Instant, agent: &str) -> Result<(), AcdError> {
        let a = self.agent_mut(agent)?;
        match a.state {
            AgentState::Paused { .. } => {
                a.missed = 0;
                self.agent_event(now, agent, AgentEventKind::Unpause);
                self.set_state(now, agent, AgentState::Available);
                Ok(())
            }
            AgentState::OnCall { .. } if a.pending_pause.is_some() => {
                a.pending_pause = None;
                Ok(())
            }
            _ => Err(invalid(agent, "unpause", &a.state)),
        }
    }

    pub(crate) fn phone(
        &mut self,
        now: Instant,
        agent: &str,
        online: bool,
    ) -> Result<(), AcdError> {
        let a = self.agent_mut(agent)?;
        if a.phone_offline != online {
            return Ok(()); // no change
        }
        a.phone_offline = !online;
        self.agent_event(now, agent, AgentEventKind::Phone { online });
        if online {
            // Misses while the phone was away say nothing about the agent: offer again now.
            for c in self.waiting.values_mut() {
                c.missed_by.remove(agent);
            }
        }
        Ok(())
    }

    pub(crate) fn wrap_up_done(&mut self, now: Instant, agent: &str) -> Result<(), AcdError> {
        let a = self.agent_mut(agent)?;
        if !matches!(a.state, AgentState::WrapUp { .. }) {
            return Err(invalid(agent, "end wrap-up", &a.state));
        }
        self.finish_work(now, agent);
        Ok(())
    }

    /// Whether `queue` counts as empty under `rule`.
    pub(crate) fn is_empty_by(&self, queue: &str, rule: EmptyRule) -> bool {
        let mut members = self
            .agents
            .values()
            .filter(|a| a.cfg.membership(queue).is_some());
        match rule {
            EmptyRule::Never => false,
            EmptyRule::NoAgentsLoggedIn => !members.any(|a| a.is_logged_in()),
            EmptyRule::AllPaused => !members.any(|a| {
                a.is_logged_in()
                    && !matches!(a.state, AgentState::Paused { .. })
                    // A pause waiting for the call to end already counts as paused.
                    && a.pending_pause.is_none()
            }),
        }
    }

    /// Apply leave-when-empty: callers of a queue that became empty overflow.
    pub(crate) fn leave_if_empty(&mut self, now: Instant) {
        let empty: Vec<String> = self
            .queues
            .values()
            .filter(|q| self.is_empty_by(&q.cfg.name, q.cfg.leave_when_empty))
            .map(|q| q.cfg.name.clone())
            .collect();
        for queue in empty {
            let calls: Vec<String> = self
                .waiting
                .values()
                .filter(|c| c.queue == queue && c.callback.is_none())
                .map(|c| c.id.clone())
                .collect();
            for call in calls {
                self.overflow(now, &call, OverflowReason::LeaveEmpty);
            }
        }
    }
}

fn invalid(agent: &str, what: &'static str, state: &AgentState) -> AcdError {
    AcdError::InvalidState {
        agent: agent.to_string(),
        what,
        state: state.name(),
    }
}
