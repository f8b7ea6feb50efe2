//! Supervisors on agents' calls: listen, whisper, barge (docs/acd.md, "Monitoring").
//!
//! A supervisor's phone dials `*96<agent>`. The switch checks that the phone is a
//! supervisor's or an admin's (`SwitchConfig::supervisor_phones`, from `[[accounts]]
//! extension` and the API's accounts, replaced while running by
//! [`Switch::set_supervisor_phones`]), that the agent is on a connected call, and that nobody monitors it yet; a
//! refusal plays the feature codes' three low beeps. Otherwise the supervisor's call gets no
//! media of its own: the driver adds a listener to the agent's call's relay session
//! ([`Action::AttachListener`], `media::mix`), the switch answers the supervisor with the
//! listener's port ([`Switch::listener_attached`]), and the supervisor hears customer and agent
//! mixed. Keys during the call switch modes as Asterisk's ChanSpy with its `d` option does:
//! `4` listen, `5` whisper (the agent hears the supervisor), `6` barge (all three hear each
//! other); by SIP INFO or RFC 4733 (`MediaEvent::ListenerDtmf`). The monitoring ends when the
//! supervisor hangs up, when the agent's call ends (the supervisor's call is hung up), or by
//! [`Switch::stop_monitor`].
//!
//! Every start, mode change, stop and refusal is a [`MonitorRecord`] for the audit log, keyed
//! by the monitored call's CDR id, so the call's record shows who monitored it, how and when;
//! the monitored call's variables also name the supervisor and the modes used.

use super::call::{Phase, Route, Side};
use super::{Action, CallId, Switch};
use chrono::{DateTime, Utc};
use std::time::Instant;

pub use media::MonitorMode;

/// Why monitoring was refused or could not be changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MonitorError {
    /// The phone is not one of a supervisor's or admin's account (agents may not monitor).
    #[error("extension {0} is not a supervisor's or admin's phone")]
    NotSupervisor(String),
    #[error("no agent {0}")]
    UnknownAgent(String),
    /// The agent has no answered call the relay carries.
    #[error("agent {0} is not on a connected call")]
    NotOnCall(String),
    #[error("agent {0}'s call is monitored already")]
    AlreadyMonitored(String),
    /// The agent is not in the teams the supervisor leads ([`Switch::may_monitor`]).
    #[error("agent {agent} is outside {account}'s teams")]
    OutsideTeams { account: String, agent: String },
    #[error("agent {0} is not being monitored")]
    NotMonitored(String),
    /// The account has no phone to ring (`[[accounts]] extension`).
    #[error("account {0} has no phone to monitor from (extension in [[accounts]])")]
    NoPhone(String),
    #[error("the supervisor's phone (extension {0}) is not registered")]
    PhoneOffline(String),
}

impl MonitorError {
    /// A short stable name for logs and the audit detail.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::NotSupervisor(_) => "not_supervisor",
            Self::UnknownAgent(_) => "unknown_agent",
            Self::NotOnCall(_) => "not_on_call",
            Self::AlreadyMonitored(_) => "already_monitored",
            Self::OutsideTeams { .. } => "outside_teams",
            Self::NotMonitored(_) => "not_monitored",
            Self::NoPhone(_) => "no_phone",
            Self::PhoneOffline(_) => "phone_offline",
        }
    }
}

/// One supervisor on one agent's call.
#[derive(Debug, Clone)]
pub(crate) struct Monitoring {
    /// The call the agent is on.
    pub monitored: CallId,
    pub agent: String,
    pub account: String,
    pub mode: MonitorMode,
    /// The listener is on the relay and the supervisor answered.
    pub attached: bool,
}

/// What happened, for [`MonitorRecord`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MonitorEvent {
    Started(MonitorMode),
    ModeChanged(MonitorMode),
    Stopped,
    Refused(MonitorError),
}

/// A monitoring step for the audit log: who, which agent, which call, what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorRecord {
    pub at: DateTime<Utc>,
    /// The supervisor's account; `None` for a refused phone that is no supervisor's.
    pub account: Option<String>,
    /// The agent logged in at the refused phone, if any (so an agent's attempt is audited
    /// under the agent's account).
    pub caller_agent: Option<String>,
    /// The phone the request came from.
    pub extension: String,
    pub agent: String,
    /// The monitored call's CDR id (None when refused before a call was found).
    pub call_id: Option<String>,
    pub event: MonitorEvent,
}

/// Which agents each supervisor may monitor: the agents of the teams they lead (the QA
/// teams, `/api/qa/teams`). Accounts not in the map (admins) may monitor every agent.
pub type SupervisorTeams = std::collections::HashMap<String, std::collections::HashSet<String>>;

impl Switch {
    /// Whether `account` may monitor `agent`: admins always; a supervisor the agents of the
    /// teams they lead, once teams are set ([`Switch::set_supervisor_teams`]); before any team
    /// exists, every supervisor may monitor every agent (a center that has not set up teams
    /// keeps working as before).
    pub fn may_monitor(&self, account: &str, agent: &str) -> bool {
        match self.supervisor_teams.as_ref().and_then(|t| t.get(account)) {
            Some(agents) => agents.contains(agent),
            None => true,
        }
    }

    /// Replaces the monitoring phones (extension → account, as
    /// [`SwitchConfig::supervisor_phones`](crate::SwitchConfig::supervisor_phones)): the binary
    /// sends them at start and after every account change, so a phone given or taken through
    /// the API counts from the next `*96` or wallboard request. A monitoring in progress is
    /// left alone.
    pub fn set_supervisor_phones(&mut self, phones: std::collections::HashMap<String, String>) {
        self.cfg.supervisor_phones = phones;
    }

    /// The supervisors' teams (`None`: no team set up, nobody restricted). The binary sends
    /// them at start and whenever a team or an account changes.
    pub fn set_supervisor_teams(&mut self, teams: Option<SupervisorTeams>) {
        self.supervisor_teams = teams;
    }

    /// The agent's connected call and the side of it that faces the agent.
    pub(super) fn agent_call(&self, agent: &str) -> Result<(CallId, Side), MonitorError> {
        let setup = self
            .acd
            .agents
            .get(agent)
            .ok_or_else(|| MonitorError::UnknownAgent(agent.to_string()))?;
        let ext = self
            .acd
            .logged_in
            .get(agent)
            .or(setup.extension.as_ref())
            .ok_or_else(|| MonitorError::NotOnCall(agent.to_string()))?;
        let mut found: Vec<(CallId, Side)> = self
            .calls
            .iter()
            .filter(|(_, c)| c.phase == Phase::Answered && c.relay.is_some())
            .filter(|(_, c)| {
                !matches!(
                    c.route,
                    Route::Feature(_) | Route::Monitor(_) | Route::Consult(_)
                )
            })
            .filter_map(|(&id, c)| {
                let answered = c.answered_branch.and_then(|i| c.branches.get(i));
                // A click-to-dial's agent who handed the customer on is on it no more.
                let side = if (c.callback.as_ref().is_some_and(|cb| &cb.extension == ext)
                    && !c.a.gone)
                    || (c.callback.is_none() && &c.caller.number == ext)
                {
                    Side::A
                } else if answered.is_some_and(|b| &b.extension == ext) {
                    Side::B
                } else {
                    return None;
                };
                Some((id, side))
            })
            .collect();
        // The newest call, should a phone hold two.
        found.sort_by_key(|(id, _)| *id);
        found
            .pop()
            .ok_or_else(|| MonitorError::NotOnCall(agent.to_string()))
    }

    /// `*96<agent>` from `id`'s phone, whose media is ready: refuse, or ask the driver for a
    /// listener on the agent's call.
    pub(super) fn monitor_feature(&mut self, now: Instant, id: CallId, agent: &str) {
        let Some(ext) = self.calls.get(&id).map(|c| c.caller.number.clone()) else {
            return;
        };
        let account = self.cfg.supervisor_phones.get(&ext).cloned();
        let checked = account
            .clone()
            .ok_or_else(|| MonitorError::NotSupervisor(ext.clone()))
            .and_then(|account| {
                // Outside one's teams is refused before anything about the agent's calls is
                // told.
                if !self.may_monitor(&account, agent) {
                    return Err(MonitorError::OutsideTeams {
                        account,
                        agent: agent.to_string(),
                    });
                }
                let (call, side) = self.agent_call(agent)?;
                // One listener per call: a consultation's third party is one too.
                if self.monitors.values().any(|m| m.monitored == call)
                    || self.consults.on_call(call)
                {
                    return Err(MonitorError::AlreadyMonitored(agent.to_string()));
                }
                Ok((account, call, side))
            });
        let (account, monitored, side) = match checked {
            Ok(ok) => ok,
            Err(e) => {
                let call_id = self
                    .agent_call(agent)
                    .ok()
                    .and_then(|(c, _)| self.cdr_id_of(c));
                self.monitor_record(
                    now,
                    account,
                    &ext,
                    agent,
                    call_id,
                    MonitorEvent::Refused(e.clone()),
                );
                self.feature_verdict(now, id, &ext, Err(e.to_string()));
                return;
            }
        };
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some((_, codec, te)) = super::sdp::endpoint_sdp(call) else {
            self.fail_call(
                now,
                id,
                488,
                "Not Acceptable Here (No G.711)",
                "no common codec",
            );
            return;
        };
        call.route = Route::Monitor(agent.to_string());
        self.monitors.insert(
            id,
            Monitoring {
                monitored,
                agent: agent.to_string(),
                account,
                mode: MonitorMode::Listen,
                attached: false,
            },
        );
        self.actions.push_back(Action::AttachListener {
            call: monitored,
            listener: id,
            agent_side: side,
            mode: MonitorMode::Listen,
            codec,
            telephone_event_pt: te,
        });
    }

    /// The relay answered an [`Action::AttachListener`] for supervisor call `id`: the
    /// listener's RTP port, or why there is none.
    pub fn listener_attached(
        &mut self,
        now: Instant,
        id: CallId,
        result: Result<(std::net::IpAddr, u16), String>,
    ) {
        if self.consults.is_third(id) {
            self.consult_attached(now, id, result);
            return;
        }
        let (ip, port) = match result {
            Ok(at) => at,
            Err(reason) => {
                tracing::warn!(call = id, %reason, "no listener for monitoring");
                self.monitors.remove(&id);
                self.fail_call(now, id, 503, "No Media Ports", "no media ports");
                self.process(now);
                return;
            }
        };
        let Some(m) = self.monitors.get(&id).cloned() else {
            // The supervisor hung up meanwhile; the listener was taken off then.
            return;
        };
        if self.calls.get(&id).is_some_and(|c| c.a.invite_tx.is_none()) {
            // Asked for over the API: ring the supervisor's phone now.
            self.monitor_invite(now, id, ip, port);
            self.process(now);
            return;
        }
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        // The supervisor's RTP goes to the listener, not to the call's own relay ports,
        // which are freed.
        let Some(relay) = call.relay.as_mut() else {
            return;
        };
        relay.a_port = port;
        let target = call.a_sdp.as_ref().and_then(|s| s.audio_target());
        let ext = call.caller.number.clone();
        self.actions.push_back(Action::ReleaseMedia { call: id });
        self.ivr_answer(now, id);
        if let Some(t) = target {
            self.actions.push_back(Action::ListenerRemote {
                call: m.monitored,
                rtp: t.rtp,
                rtcp: t.rtcp,
            });
        }
        if let Some(m) = self.monitors.get_mut(&id) {
            m.attached = true;
        }
        self.note_monitoring(m.monitored, &m.account, m.mode);
        let call_id = self.cdr_id_of(m.monitored);
        self.monitor_record(
            now,
            Some(m.account.clone()),
            &ext,
            &m.agent,
            call_id,
            MonitorEvent::Started(m.mode),
        );
        tracing::info!(call = id, agent = %m.agent, account = %m.account, "monitoring");
        self.process(now);
    }

    /// The monitored call's variables name the supervisor and every mode used, in order.
    pub(super) fn note_monitoring(&mut self, monitored: CallId, account: &str, mode: MonitorMode) {
        if let Some(c) = self.calls.get_mut(&monitored) {
            c.vars
                .insert("monitored_by".to_string(), account.to_string());
            let modes = c.vars.entry("monitor_modes".to_string()).or_default();
            if !modes.is_empty() {
                modes.push(',');
            }
            modes.push_str(mode.as_str());
        }
    }

    /// A key on a supervisor's call: `4` listen, `5` whisper, `6` barge. True if taken.
    pub(super) fn monitor_digit(&mut self, now: Instant, id: CallId, digit: char) -> bool {
        let Some(m) = self.monitors.get(&id) else {
            return false;
        };
        let mode = match digit {
            '4' => MonitorMode::Listen,
            '5' => MonitorMode::Whisper,
            '6' => MonitorMode::Barge,
            _ => return true,
        };
        let agent = m.agent.clone();
        let _ = self.set_monitor_mode(now, &agent, mode);
        true
    }

    /// A key the supervisor on `monitored`'s listener pressed (RFC 4733).
    pub fn listener_dtmf(&mut self, now: Instant, monitored: CallId, digit: char) {
        let supervisor = self
            .monitors
            .iter()
            .find(|(_, m)| m.monitored == monitored)
            .map(|(&id, _)| id);
        if let Some(id) = supervisor {
            self.dtmf(now, id, digit, false);
        }
    }

    /// Switch the mode of the monitoring of `agent`'s call.
    pub fn set_monitor_mode(
        &mut self,
        now: Instant,
        agent: &str,
        mode: MonitorMode,
    ) -> Result<(), MonitorError> {
        let (id, m) = self
            .monitors
            .iter_mut()
            .find(|(_, m)| m.agent == agent && m.attached)
            .ok_or_else(|| MonitorError::NotMonitored(agent.to_string()))?;
        let id = *id;
        if m.mode == mode {
            return Ok(());
        }
        m.mode = mode;
        let m = m.clone();
        self.actions.push_back(Action::ListenerMode {
            call: m.monitored,
            mode,
        });
        self.note_monitoring(m.monitored, &m.account, mode);
        let ext = self
            .calls
            .get(&id)
            .map(|c| c.caller.number.clone())
            .unwrap_or_default();
        let call_id = self.cdr_id_of(m.monitored);
        self.monitor_record(
            now,
            Some(m.account),
            &ext,
            agent,
            call_id,
            MonitorEvent::ModeChanged(mode),
        );
        Ok(())
    }

    /// End the monitoring of `agent`'s call: the supervisor's call is hung up.
    pub fn stop_monitor(&mut self, now: Instant, agent: &str) -> Result<(), MonitorError> {
        let id = self
            .monitors
            .iter()
            .find(|(_, m)| m.agent == agent)
            .map(|(&id, _)| id)
            .ok_or_else(|| MonitorError::NotMonitored(agent.to_string()))?;
        self.hang_up(now, id, None, "monitoring stopped");
        self.process(now);
        Ok(())
    }

    /// Who monitors `agent`'s call and how, once their phone answered (for the wallboard).
    pub(super) fn monitor_of(&self, agent: &str) -> Option<super::acd_view::MonitorView> {
        self.monitors
            .values()
            .find(|m| m.attached && m.agent == agent)
            .map(|m| super::acd_view::MonitorView {
                account: m.account.clone(),
                mode: m.mode.as_str(),
            })
    }

    /// Call `id` is ending (from `close_cdr`): a supervisor's call takes its listener off; a
    /// monitored call hangs up its supervisors.
    pub(super) fn monitor_call_ended(&mut self, now: Instant, id: CallId) {
        if let Some(m) = self.monitors.remove(&id) {
            // Also before it was attached: the driver adds listeners in order, so this
            // removal comes after the addition.
            self.actions
                .push_back(Action::RemoveListener { call: m.monitored });
            if m.attached {
                let ext = self
                    .calls
                    .get(&id)
                    .map(|c| c.caller.number.clone())
                    .unwrap_or_default();
                let call_id = self.cdr_id_of(m.monitored);
                self.monitor_record(
                    now,
                    Some(m.account),
                    &ext,
                    &m.agent,
                    call_id,
                    MonitorEvent::Stopped,
                );
            }
        }
        let supervisors: Vec<CallId> = self
            .monitors
            .iter()
            .filter(|(_, m)| m.monitored == id)
            .map(|(&s, _)| s)
            .collect();
        for s in supervisors {
            self.hang_up(now, s, None, "monitored call ended");
        }
    }

    pub(super) fn monitor_record(
        &mut self,
        now: Instant,
        account: Option<String>,
        extension: &str,
        agent: &str,
        call_id: Option<String>,
        event: MonitorEvent,
    ) {
        let caller_agent = self.acd.agent_at(extension).map(str::to_string);
        self.actions.push_back(Action::Monitor(MonitorRecord {
            at: self.wall(now),
            account,
            caller_agent,
            extension: extension.to_string(),
            agent: agent.to_string(),
            call_id,
            event,
        }));
    }
}
