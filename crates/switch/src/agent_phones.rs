//! Whether a logged-in agent's phone can be reached: an agent whose extension has no registered
//! contact is told to the ACD as offline (`acd::Input::AgentPhone`), so it is not offered calls
//! that would fail at once and be retried every few seconds while the caller waits. The
//! registrar is asked at each registration, at each binding's expiry and at login.

use super::Switch;
use std::time::Instant;

impl Switch {
    /// Whether `extension` has an unexpired registered contact at `now`.
    fn phone_online(&self, now: Instant, extension: &str) -> bool {
        !self.registrar.lookup(now, extension).is_empty()
    }

    /// Tell the ACD whether `agent`'s phone at `extension` is reachable, if that changed.
    pub(super) fn report_agent_phone(&mut self, now: Instant, agent: &str, extension: &str) {
        let online = self.phone_online(now, extension);
        let Some(status) = self.acd.core.agent(agent) else {
            return;
        };
        if status.phone_offline != online {
            return;
        }
        tracing::info!(
            %agent,
            %extension,
            "agent's phone {}",
            if online { "registered: offered calls again" } else { "not registered: no calls offered" }
        );
        let input = acd::Input::AgentPhone {
            agent: agent.to_string(),
            online,
        };
        let _ = self.acd_input(now, input);
    }

    /// A registration of `extension` was added, refreshed or removed.
    pub(super) fn extension_registration_changed(&mut self, now: Instant, extension: &str) {
        if let Some(agent) = self.acd.agent_at(extension).map(str::to_string) {
            self.report_agent_phone(now, &agent, extension);
        }
    }

    /// Bindings may have expired: recheck every logged-in agent's phone.
    pub(super) fn recheck_agent_phones(&mut self, now: Instant) {
        let mut agents: Vec<(String, String)> = self
            .acd
            .logged_in
            .iter()
            .map(|(a, e)| (a.clone(), e.clone()))
            .collect();
        agents.sort();
        for (agent, extension) in agents {
            self.report_agent_phone(now, &agent, &extension);
        }
    }
}
