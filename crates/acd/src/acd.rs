//! The ACD state machine: one owner of every queue, agent and waiting call. The switch feeds
//! [`Input`]s with the current time, drains [`Action`]s, and sleeps until [`Acd::poll_timeout`].

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use crate::action::{Action, AgentEvent, AgentEventKind, QueueEvent, QueueEventKind};
use crate::agent::{Agent, AgentState, AgentStatus};
use crate::config::{AgentConfig, QueueConfig};
use crate::error::AcdError;
use crate::input::Input;
use crate::queue::{QueueRuntime, WaitingCall};
use crate::rng::SeededRng;

/// Which timer [`Acd::poll_timeout`] is waiting for, so tests and logs can say what fired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Timer {
    /// An offer rings out for this call.
    Ring { call: String },
    /// This agent's wrap-up ends.
    WrapUp { agent: String },
    /// This call reaches its queue's maximum wait.
    MaxWait { call: String },
    /// This call's next position announcement.
    Announce { call: String },
    /// This call's skill requirement widens.
    Widen { call: String },
    /// An agent who missed this call may be offered it again.
    Retry { call: String },
}

/// The automatic call distributor.
#[derive(Debug)]
pub struct Acd {
    pub(crate) queues: BTreeMap<String, QueueRuntime>,
    pub(crate) agents: BTreeMap<String, Agent>,
    pub(crate) waiting: BTreeMap<String, WaitingCall>,
    /// Connected calls and the agent on each.
    pub(crate) connected: BTreeMap<String, String>,
    pub(crate) actions: VecDeque<Action>,
    pub(crate) rng: SeededRng,
    pub(crate) seq: u64,
    /// The latest time seen, for configuration changes made between inputs.
    pub(crate) now: Instant,
}

impl Acd {
    /// An empty ACD at time `now`; `seed` drives the random strategy.
    pub fn new(now: Instant, seed: u64) -> Self {
        Acd {
            queues: BTreeMap::new(),
            agents: BTreeMap::new(),
            waiting: BTreeMap::new(),
            connected: BTreeMap::new(),
            actions: VecDeque::new(),
            rng: SeededRng::new(seed),
            seq: 0,
            now,
        }
    }

    /// Add a queue, or replace its configuration (waiting callers stay).
    pub fn add_queue(&mut self, cfg: QueueConfig) -> Result<(), AcdError> {
        cfg.validate()?;
        match self.queues.get_mut(&cfg.name) {
            Some(q) => q.cfg = cfg,
            None => {
                self.queues.insert(cfg.name.clone(), QueueRuntime::new(cfg));
            }
        }
        Ok(())
    }

    /// Add an agent (logged out), or replace an agent's skills and queues keeping its state.
    pub fn add_agent(&mut self, cfg: AgentConfig) -> Result<(), AcdError> {
        cfg.validate()?;
        if let Some(m) = cfg
            .queues
            .iter()
            .find(|m| !self.queues.contains_key(&m.queue))
        {
            return Err(AcdError::UnknownQueue(m.queue.clone()));
        }
        match self.agents.get_mut(&cfg.id) {
            Some(a) => a.cfg = cfg,
            None => {
                self.agents
                    .insert(cfg.id.clone(), Agent::new(cfg, self.now));
            }
        }
        Ok(())
    }

    /// Apply one input at time `now`, then fire due timers and offer calls to free agents.
    /// On error the input changed nothing (timers that were already due still fire).
    pub fn handle(&mut self, now: Instant, input: Input) -> Result<(), AcdError> {
        self.now = self.now.max(now);
        let now = self.now;
        // Timers due before this input happened first (a ring timeout beats a late answer).
        self.fire_due(now);
        let result = match input {
            Input::Enqueue(e) => self.enqueue(now, e),
            Input::Abandon { call } => self.abandon(now, &call),
            Input::ExitWithKey { call, key } => self.exit_with_key(now, &call, key),
            Input::Callback { call, number } => self.callback(now, &call, number),
            Input::RestoreCallback {
                call,
                queue,
                number,
                priority,
                skills,
                waited,
            } => self.restore_callback(now, call, queue, number, priority, skills, waited),
            Input::Transfer {
                call,
                queue,
                priority,
                skills,
            } => self.transfer(now, &call, &queue, priority, skills),
            Input::AgentLogin { agent } => self.login(now, &agent),
            Input::AgentLogout { agent } => self.logout(now, &agent),
            Input::AgentPause { agent, reason } => self.pause(now, &agent, reason),
            Input::AgentUnpause { agent } => self.unpause(now, &agent),
            Input::AgentPhone { agent, online } => self.phone(now, &agent, online),
            Input::OfferAnswered { call, agent } => self.answered(now, &call, &agent),
            Input::OfferRejected { call, agent } | Input::OfferTimeout { call, agent } => {
                self.missed_input(now, &call, &agent)
            }
            Input::CallEnded { call, by, hold } => self.call_ended(now, &call, by, hold),
            Input::WrapUpDone { agent } => self.wrap_up_done(now, &agent),
            Input::Timeout => Ok(()),
        };
        self.dispatch(now);
        result
    }

    /// The next action for the switch, in order.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When to send [`Input::Timeout`] next, and why.
    pub fn poll_timeout(&self) -> Option<(Instant, Timer)> {
        let mut best: Option<(Instant, Timer)> = None;
        let mut consider = |at: Instant, t: Timer| {
            if best.as_ref().is_none_or(|(b, _)| at < *b) {
                best = Some((at, t));
            }
        };
        for c in self.waiting.values() {
            if let Some(at) = c.ring_until {
                consider(at, Timer::Ring { call: c.id.clone() });
            }
            if let Some(at) = self.max_wait_deadline(c) {
                consider(at, Timer::MaxWait { call: c.id.clone() });
            }
            if let Some(at) = c.next_announce {
                consider(at, Timer::Announce { call: c.id.clone() });
            }
            if c.ringing.is_empty() {
                if let Some(at) = c.next_widening(self.now) {
                    consider(at, Timer::Widen { call: c.id.clone() });
                }
                let retry = self
                    .queues
                    .get(&c.queue)
                    .map_or(Duration::ZERO, |q| q.cfg.retry);
                for at in c.missed_by.values() {
                    if *at + retry > self.now {
                        consider(*at + retry, Timer::Retry { call: c.id.clone() });
                    }
                }
            }
        }
        for a in self.agents.values() {
            if let AgentState::WrapUp { until } = a.state {
                consider(
                    until,
                    Timer::WrapUp {
                        agent: a.cfg.id.clone(),
                    },
                );
            }
        }
        best
    }

    /// An agent's state and counters.
    pub fn agent(&self, id: &str) -> Option<AgentStatus> {
        self.agents.get(id).map(Agent::status)
    }

    /// Every agent, by id.
    pub fn agents(&self) -> Vec<AgentStatus> {
        self.agents.values().map(Agent::status).collect()
    }

    /// Reset offered/answered/abandoned counters and agents' call counts (the switch calls
    /// this at midnight so the live view shows "today").
    pub fn reset_counters(&mut self) {
        for q in self.queues.values_mut() {
            q.counters = Default::default();
        }
        for a in self.agents.values_mut() {
            a.answered = 0;
            a.answered_by_queue.clear();
            a.talk = Default::default();
        }
    }

    fn max_wait_deadline(&self, c: &WaitingCall) -> Option<Instant> {
        if c.callback.is_some() {
            return None; // a callback has no caller on the line to time out
        }
        let max = self.queues.get(&c.queue)?.cfg.max_wait?;
        Some(c.enqueued + max)
    }

    /// Fire every timer due at or before `now`.
    pub(crate) fn fire_due(&mut self, now: Instant) {
        let rung_out: Vec<String> = self
            .waiting
            .values()
            .filter(|c| c.ring_until.is_some_and(|t| t <= now))
            .map(|c| c.id.clone())
            .collect();
        for call in rung_out {
            self.ring_timed_out(now, &call);
        }
        let wrapped: Vec<String> = self
            .agents
            .values()
            .filter(|a| matches!(a.state, AgentState::WrapUp { until } if until <= now))
            .map(|a| a.cfg.id.clone())
            .collect();
        for agent in wrapped {
            self.finish_work(now, &agent);
        }
        let expired: Vec<String> = self
            .waiting
            .values()
            .filter(|c| self.max_wait_deadline(c).is_some_and(|t| t <= now))
            .map(|c| c.id.clone())
            .collect();
        for call in expired {
            self.overflow(now, &call, crate::action::OverflowReason::MaxWait);
        }
        let announce: Vec<String> = self
            .waiting
            .values()
            .filter(|c| c.next_announce.is_some_and(|t| t <= now))
            .map(|c| c.id.clone())
            .collect();
        for call in announce {
            self.announce(now, &call);
        }
    }

    pub(crate) fn queue_event(
        &mut self,
        at: Instant,
        queue: &str,
        call: &str,
        kind: QueueEventKind,
    ) {
        self.actions.push_back(Action::QueueEvent(QueueEvent {
            at,
            queue: queue.to_string(),
            call: call.to_string(),
            kind,
        }));
    }

    pub(crate) fn agent_event(&mut self, at: Instant, agent: &str, kind: AgentEventKind) {
        self.actions.push_back(Action::AgentEvent(AgentEvent {
            at,
            agent: agent.to_string(),
            kind,
        }));
    }

    /// Move an agent to `state`, recording the change.
    pub(crate) fn set_state(&mut self, now: Instant, agent: &str, state: AgentState) {
        let Some(a) = self.agents.get_mut(agent) else {
            return;
        };
        let from = a.state.name();
        let to = state.name();
        if matches!(state, AgentState::Available) {
            a.idle_since = now;
        }
        a.state = state;
        a.since = now;
        self.agent_event(now, agent, AgentEventKind::StateChange { from, to });
    }

    pub(crate) fn agent_mut(&mut self, id: &str) -> Result<&mut Agent, AcdError> {
        self.agents
            .get_mut(id)
            .ok_or_else(|| AcdError::UnknownAgent(id.to_string()))
    }
}
