//! Agents at the switch: login, logout, pause and the rest from feature codes and the HTTP API
//! (`agent_command`), and the pause that keeps the ACD away from a phone busy with a call it did
//! not give (no ring-in-use).

use super::queue::AgentCommand;
use super::Switch;
use std::time::Instant;

/// The pause reason of an agent whose phone is on a call outside the ACD.
pub const ON_ANOTHER_CALL: &str = "on another call";

/// Why an agent's request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgentCommandError {
    /// No agent has this id.
    #[error("no agent {0}")]
    NoAgent(String),
    /// Not possible now or with this setup (no extension, logged in elsewhere, wrong state).
    #[error("{0}")]
    Refused(String),
}

impl Switch {
    /// An agent's request, from a feature code or the HTTP API.
    pub fn agent_command(
        &mut self,
        now: Instant,
        agent: &str,
        command: AgentCommand,
    ) -> Result<(), AgentCommandError> {
        use AgentCommandError::Refused;
        let Some(setup) = self.acd.agents.get(agent) else {
            return Err(AgentCommandError::NoAgent(agent.to_string()));
        };
        let input = match command {
            AgentCommand::Login { extension } => {
                let Some(ext) = extension.or_else(|| setup.extension.clone()) else {
                    return Err(Refused(format!("agent {agent} has no extension: name one")));
                };
                if !self.cfg.users.contains_key(&ext) {
                    return Err(Refused(format!("no extension {ext}")));
                }
                if let Some(other) = self.acd.agent_at(&ext).filter(|a| *a != agent) {
                    return Err(Refused(format!("agent {other} is logged in at {ext}")));
                }
                let was_in = self
                    .acd
                    .core
                    .agent(agent)
                    .is_some_and(|s| !matches!(s.state, acd::AgentState::LoggedOut));
                self.acd.logged_in.insert(agent.to_string(), ext.clone());
                // Before the login, so an unreachable phone is never offered the first call.
                self.report_agent_phone(now, agent, &ext);
                if was_in {
                    self.process(now);
                    return Ok(()); // moved to another extension, or logged in again
                }
                acd::Input::AgentLogin {
                    agent: agent.into(),
                }
            }
            AgentCommand::Logout => acd::Input::AgentLogout {
                agent: agent.into(),
            },
            AgentCommand::Pause { reason } => acd::Input::AgentPause {
                agent: agent.into(),
                reason,
            },
            AgentCommand::Unpause => acd::Input::AgentUnpause {
                agent: agent.into(),
            },
            AgentCommand::Ready => acd::Input::WrapUpDone {
                agent: agent.into(),
            },
        };
        let logout = matches!(input, acd::Input::AgentLogout { .. });
        let result = self
            .acd_input(now, input)
            .map_err(|e| Refused(e.to_string()));
        if result.is_ok() && logout {
            self.acd.logged_in.remove(agent);
        }
        if result.is_err()
            && !self
                .acd
                .core
                .agent(agent)
                .is_some_and(|s| !matches!(s.state, acd::AgentState::LoggedOut))
        {
            self.acd.logged_in.remove(agent);
        }
        self.process(now);
        result
    }

    /// An agent's phone is on a call the ACD did not give them (they placed it, or answered a
    /// direct call): the ACD must not offer them another (no ring-in-use). They are paused with
    /// reason "on another call" until it ends (`agent_phone_free`).
    pub(super) fn agent_phone_busy(&mut self, now: Instant, extension: &str) {
        let Some(agent) = self.acd.agent_at(extension).map(str::to_string) else {
            return;
        };
        let free = self
            .acd
            .core
            .agent(&agent)
            .is_some_and(|s| matches!(s.state, acd::AgentState::Available));
        if !free || self.acd.busy_elsewhere.contains(&agent) {
            return;
        }
        let input = acd::Input::AgentPause {
            agent: agent.clone(),
            reason: ON_ANOTHER_CALL.into(),
        };
        if self.acd_input(now, input).is_ok() {
            self.acd.busy_elsewhere.insert(agent);
        }
    }

    /// The call that made `extension`'s agent busy ended: available again, unless the agent
    /// paused for another reason meanwhile.
    pub(super) fn agent_phone_free(&mut self, now: Instant, extension: &str) {
        let Some(agent) = self.acd.agent_at(extension).map(str::to_string) else {
            return;
        };
        if !self.acd.busy_elsewhere.remove(&agent) {
            return;
        }
        let still = self.acd.core.agent(&agent).is_some_and(
            |s| matches!(&s.state, acd::AgentState::Paused { reason } if reason == ON_ANOTHER_CALL),
        );
        if still {
            let _ = self.acd_input(now, acd::Input::AgentUnpause { agent });
        }
    }
}
