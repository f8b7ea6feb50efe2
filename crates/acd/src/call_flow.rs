//! Call-side inputs: callers entering, leaving, asking for a callback or being transferred,
//! offers answered or missed, conversations ending; and overflow and announcements.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::acd::Acd;
use crate::action::{Action, AgentEventKind, OverflowReason, QueueEventKind};
use crate::agent::AgentState;
use crate::config::{Skills, MAX_LEVEL};
use crate::error::AcdError;
use crate::input::{EndedBy, Enqueue};
use crate::queue::{call_steps, positions, WaitingCall};

/// The reason an agent is paused after too many missed offers.
pub const NO_ANSWER: &str = "no answer";

impl Acd {
    pub(crate) fn enqueue(&mut self, now: Instant, e: Enqueue) -> Result<(), AcdError> {
        let q = self
            .queues
            .get(&e.queue)
            .ok_or_else(|| AcdError::UnknownQueue(e.queue.clone()))?;
        if self.waiting.contains_key(&e.call) || self.connected.contains_key(&e.call) {
            return Err(AcdError::DuplicateCall(e.call));
        }
        if let Some((name, level)) = e.skills.iter().find(|(_, l)| !(1..=MAX_LEVEL).contains(*l)) {
            return Err(AcdError::InvalidSkill(format!("{name}:{level}")));
        }
        let refused =
            if self.is_empty_by(&e.queue, q.cfg.join_empty) {
                Some(OverflowReason::JoinEmpty)
            } else if q.cfg.max_len.is_some_and(|max| {
                self.waiting.values().filter(|c| c.queue == e.queue).count() >= max
            }) {
                Some(OverflowReason::MaxLength)
            } else {
                None
            };
        if let Some(reason) = refused {
            let target = q.cfg.overflow.clone();
            self.refuse(now, &e.call, &e.queue, target, reason);
            return Ok(());
        }
        let steps = call_steps(&q.cfg, &e.skills);
        let next_announce = q.cfg.announce_interval.map(|i| now + i);
        self.seq += 1;
        let call = WaitingCall {
            id: e.call.clone(),
            queue: e.queue.clone(),
            enqueued: now,
            seq: self.seq,
            priority: e.priority,
            emergency: e.emergency,
            skills: e.skills.clone(),
            steps,
            ringing: Vec::new(),
            ring_started: None,
            ring_until: None,
            missed_by: BTreeMap::new(),
            next_announce,
            callback: None,
        };
        self.waiting.insert(e.call.clone(), call);
        if let Some(q) = self.queues.get_mut(&e.queue) {
            q.counters.offered += 1;
        }
        let position = self.position_of(&e.queue, &e.call);
        self.queue_event(now, &e.queue, &e.call, QueueEventKind::Enter { position });
        Ok(())
    }

    fn refuse(
        &mut self,
        now: Instant,
        call: &str,
        queue: &str,
        target: Option<String>,
        reason: OverflowReason,
    ) {
        if let Some(q) = self.queues.get_mut(queue) {
            q.counters.overflowed += 1;
        }
        self.actions.push_back(Action::Overflow {
            call: call.to_string(),
            queue: queue.to_string(),
            target: target.clone(),
            reason,
        });
        let wait = std::time::Duration::ZERO;
        let kind = QueueEventKind::Overflow {
            reason,
            target,
            wait,
        };
        self.queue_event(now, queue, call, kind);
    }

    pub(crate) fn abandon(&mut self, now: Instant, call: &str) -> Result<(), AcdError> {
        if self.connected.contains_key(call) {
            // The hang-up raced the answer: it ends the conversation instead.
            return self.call_ended(now, call, EndedBy::Caller, std::time::Duration::ZERO);
        }
        let c = self
            .waiting
            .get(call)
            .ok_or_else(|| AcdError::UnknownCall(call.to_string()))?;
        let queue = c.queue.clone();
        let wait = now.saturating_duration_since(c.enqueued);
        let position = self.position_of(&queue, call);
        self.take_waiting(call);
        if let Some(q) = self.queues.get_mut(&queue) {
            q.counters.abandoned += 1;
            if wait < q.cfg.short_abandon {
                q.counters.short_abandoned += 1;
            }
        }
        self.queue_event(
            now,
            &queue,
            call,
            QueueEventKind::Abandon { position, wait },
        );
        Ok(())
    }

    pub(crate) fn exit_with_key(
        &mut self,
        now: Instant,
        call: &str,
        key: char,
    ) -> Result<(), AcdError> {
        let c = self
            .waiting
            .get(call)
            .ok_or_else(|| AcdError::UnknownCall(call.to_string()))?;
        let queue = c.queue.clone();
        let wait = now.saturating_duration_since(c.enqueued);
        self.take_waiting(call);
        self.queue_event(now, &queue, call, QueueEventKind::ExitWithKey { key, wait });
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn restore_callback(
        &mut self,
        now: Instant,
        call: String,
        queue: String,
        number: String,
        priority: i32,
        skills: Skills,
        waited: std::time::Duration,
    ) -> Result<(), AcdError> {
        let q = self
            .queues
            .get(&queue)
            .ok_or_else(|| AcdError::UnknownQueue(queue.clone()))?;
        if self.waiting.contains_key(&call) || self.connected.contains_key(&call) {
            return Err(AcdError::DuplicateCall(call));
        }
        let steps = call_steps(&q.cfg, &skills);
        self.seq += 1;
        let c = WaitingCall {
            id: call.clone(),
            queue,
            // An Instant cannot go back before the clock's start: then it waited since then.
            enqueued: now.checked_sub(waited).unwrap_or(now),
            seq: self.seq,
            priority,
            emergency: false,
            skills,
            steps,
            ringing: Vec::new(),
            ring_started: None,
            ring_until: None,
            missed_by: BTreeMap::new(),
            next_announce: None,
            callback: Some(number),
        };
        self.waiting.insert(call, c);
        Ok(())
    }

    pub(crate) fn callback(
        &mut self,
        now: Instant,
        call: &str,
        number: String,
    ) -> Result<(), AcdError> {
        let c = self
            .waiting
            .get_mut(call)
            .ok_or_else(|| AcdError::UnknownCall(call.to_string()))?;
        c.callback = Some(number.clone());
        c.next_announce = None;
        let queue = c.queue.clone();
        self.queue_event(
            now,
            &queue,
            call,
            QueueEventKind::CallbackRequested { number },
        );
        Ok(())
    }

    pub(crate) fn transfer(
        &mut self,
        now: Instant,
        call: &str,
        to_queue: &str,
        priority: i32,
        skills: Skills,
    ) -> Result<(), AcdError> {
        let cfg = self
            .queues
            .get(to_queue)
            .map(|q| q.cfg.clone())
            .ok_or_else(|| AcdError::UnknownQueue(to_queue.to_string()))?;
        if let Some(agent) = self.connected.get(call).cloned() {
            let from = match self.agents.get(&agent).map(|a| &a.state) {
                Some(AgentState::OnCall { queue, .. }) => queue.clone(),
                _ => return Err(AcdError::UnknownCall(call.to_string())),
            };
            let kind = QueueEventKind::Transfer {
                to_queue: to_queue.to_string(),
            };
            self.queue_event(now, &from, call, kind);
            // The agent's part ends here; hold before a blind transfer is not known to the ACD.
            self.call_ended(now, call, EndedBy::Agent, std::time::Duration::ZERO)?;
            let mut e = Enqueue::new(call, to_queue);
            e.priority = priority;
            e.skills = skills;
            return self.enqueue(now, e);
        }
        let c = self
            .waiting
            .get(call)
            .ok_or_else(|| AcdError::UnknownCall(call.to_string()))?;
        let from = c.queue.clone();
        self.withdraw_all(now, call);
        let kind = QueueEventKind::Transfer {
            to_queue: to_queue.to_string(),
        };
        self.queue_event(now, &from, call, kind);
        if let Some(c) = self.waiting.get_mut(call) {
            // A waiting caller keeps the original enqueue time: the wait so far counts.
            c.queue = to_queue.to_string();
            c.priority = priority;
            c.steps = call_steps(&cfg, &skills);
            c.skills = skills;
            c.missed_by.clear();
        }
        if let Some(q) = self.queues.get_mut(to_queue) {
            q.counters.offered += 1;
        }
        let position = self.position_of(to_queue, call);
        self.queue_event(now, to_queue, call, QueueEventKind::Enter { position });
        Ok(())
    }

    pub(crate) fn answered(
        &mut self,
        now: Instant,
        call: &str,
        agent: &str,
    ) -> Result<(), AcdError> {
        let offered = self
            .waiting
            .get(call)
            .is_some_and(|c| c.ringing.iter().any(|a| a == agent));
        if !offered {
            return Err(AcdError::NotOffered {
                call: call.to_string(),
                agent: agent.to_string(),
            });
        }
        let Some(mut c) = self.waiting.remove(call) else {
            return Ok(());
        };
        // Ring-all: everybody else stops ringing.
        for other in std::mem::take(&mut c.ringing) {
            if other != agent {
                self.actions.push_back(Action::CancelOffer {
                    call: call.to_string(),
                    agent: other.clone(),
                });
                self.set_state(now, &other, AgentState::Available);
            }
        }
        let wait = now.saturating_duration_since(c.enqueued);
        if let Some(a) = self.agents.get_mut(agent) {
            a.missed = 0;
            a.answered += 1;
            *a.answered_by_queue.entry(c.queue.clone()).or_default() += 1;
        }
        let state = AgentState::OnCall {
            call: call.to_string(),
            queue: c.queue.clone(),
            since: now,
        };
        self.set_state(now, agent, state);
        if let Some(q) = self.queues.get_mut(&c.queue) {
            q.counters.answered += 1;
            q.counters.answered_wait += wait;
            if wait <= q.cfg.service_level {
                q.counters.answered_in_sl += 1;
            }
            q.record_wait(wait);
        }
        self.connected.insert(call.to_string(), agent.to_string());
        let kind = QueueEventKind::Connect {
            agent: agent.to_string(),
            wait,
        };
        self.queue_event(now, &c.queue, call, kind);
        Ok(())
    }

    pub(crate) fn missed_input(
        &mut self,
        now: Instant,
        call: &str,
        agent: &str,
    ) -> Result<(), AcdError> {
        let offered = self
            .waiting
            .get(call)
            .is_some_and(|c| c.ringing.iter().any(|a| a == agent));
        if !offered {
            return Err(AcdError::NotOffered {
                call: call.to_string(),
                agent: agent.to_string(),
            });
        }
        self.missed(now, call, agent);
        Ok(())
    }

    /// The ACD's own ring timer expired: every agent still ringing missed the call.
    pub(crate) fn ring_timed_out(&mut self, now: Instant, call: &str) {
        let ringing = self
            .waiting
            .get(call)
            .map(|c| c.ringing.clone())
            .unwrap_or_default();
        for agent in ringing {
            self.actions.push_back(Action::CancelOffer {
                call: call.to_string(),
                agent: agent.clone(),
            });
            self.missed(now, call, &agent);
        }
    }

    /// `agent` did not take `call`: the call goes back to waiting (to the next agent first),
    /// and the agent is paused after too many misses in a row.
    fn missed(&mut self, now: Instant, call: &str, agent: &str) {
        let Some(c) = self.waiting.get_mut(call) else {
            return;
        };
        c.ringing.retain(|a| a != agent);
        c.missed_by.insert(agent.to_string(), now);
        let rang = c
            .ring_started
            .map(|t| now.saturating_duration_since(t))
            .unwrap_or_default();
        if c.ringing.is_empty() {
            c.ring_until = None;
            c.ring_started = None;
        }
        let queue = c.queue.clone();
        let kind = QueueEventKind::RingNoAnswer {
            agent: agent.to_string(),
            rang,
        };
        self.queue_event(now, &queue, call, kind);
        let Some(a) = self.agents.get_mut(agent) else {
            return;
        };
        a.missed += 1;
        if a.cfg.max_missed > 0 && a.missed >= a.cfg.max_missed {
            self.actions.push_back(Action::AgentPaused {
                agent: agent.to_string(),
                reason: NO_ANSWER.to_string(),
            });
            self.pause_now(now, agent, NO_ANSWER.to_string());
        } else {
            self.finish_work(now, agent);
        }
    }

    pub(crate) fn call_ended(
        &mut self,
        now: Instant,
        call: &str,
        by: EndedBy,
        hold: std::time::Duration,
    ) -> Result<(), AcdError> {
        let agent = self
            .connected
            .get(call)
            .cloned()
            .ok_or_else(|| AcdError::UnknownCall(call.to_string()))?;
        let (queue, since) = match self.agents.get(&agent).map(|a| &a.state) {
            Some(AgentState::OnCall { queue, since, .. }) => (queue.clone(), *since),
            _ => return Err(AcdError::UnknownCall(call.to_string())),
        };
        self.connected.remove(call);
        let talk = now.saturating_duration_since(since);
        let mut wrap = std::time::Duration::ZERO;
        if let Some(q) = self.queues.get_mut(&queue) {
            q.counters.talk += talk;
            q.counters.completed += 1;
            q.record_talk(talk);
            wrap = q.cfg.wrap_up;
        }
        if let Some(a) = self.agents.get_mut(&agent) {
            a.talk += talk;
            wrap = a.cfg.wrap_up.unwrap_or(wrap);
        }
        let kind = QueueEventKind::Complete {
            agent: agent.clone(),
            talk,
            hold: hold.min(talk),
            by,
        };
        self.queue_event(now, &queue, call, kind);
        if wrap.is_zero() {
            self.finish_work(now, &agent);
        } else {
            self.set_state(now, &agent, AgentState::WrapUp { until: now + wrap });
        }
        Ok(())
    }

    /// Send a waiting caller to the queue's overflow target.
    pub(crate) fn overflow(&mut self, now: Instant, call: &str, reason: OverflowReason) {
        let Some(c) = self.waiting.get(call) else {
            return;
        };
        let queue = c.queue.clone();
        let wait = now.saturating_duration_since(c.enqueued);
        let target = self.queues.get(&queue).and_then(|q| q.cfg.overflow.clone());
        self.take_waiting(call);
        if let Some(q) = self.queues.get_mut(&queue) {
            q.counters.overflowed += 1;
        }
        self.actions.push_back(Action::Overflow {
            call: call.to_string(),
            queue: queue.clone(),
            target: target.clone(),
            reason,
        });
        let kind = QueueEventKind::Overflow {
            reason,
            target,
            wait,
        };
        self.queue_event(now, &queue, call, kind);
    }

    pub(crate) fn announce(&mut self, now: Instant, call: &str) {
        let Some(c) = self.waiting.get(call) else {
            return;
        };
        let queue = c.queue.clone();
        let ringing = !c.ringing.is_empty();
        let Some(q) = self.queues.get(&queue) else {
            return;
        };
        let interval = q.cfg.announce_interval;
        if !ringing {
            let position = self.position_of(&queue, call);
            let estimated_wait = self.estimated_wait(&queue, position).unwrap_or_default();
            self.actions.push_back(Action::Announce {
                call: call.to_string(),
                position,
                estimated_wait,
            });
        }
        if let Some(c) = self.waiting.get_mut(call) {
            // Skipped while an agent rings; the next one comes a full interval later.
            c.next_announce = interval.map(|i| now + i);
        }
    }

    /// Remove a waiting call, stopping any offer for it.
    fn take_waiting(&mut self, call: &str) {
        self.withdraw_all(self.now, call);
        self.waiting.remove(call);
    }

    /// Stop every offer of `call`; the agents go back to available without a miss.
    pub(crate) fn withdraw_all(&mut self, now: Instant, call: &str) {
        let ringing = self
            .waiting
            .get(call)
            .map(|c| c.ringing.clone())
            .unwrap_or_default();
        for agent in ringing {
            self.withdraw(now, call, &agent);
            self.finish_work(now, &agent);
        }
    }

    /// Stop ringing `agent` for `call` (no miss counted); the caller decides the agent's state.
    pub(crate) fn withdraw(&mut self, _now: Instant, call: &str, agent: &str) {
        if let Some(c) = self.waiting.get_mut(call) {
            c.ringing.retain(|a| a != agent);
            if c.ringing.is_empty() {
                c.ring_until = None;
                c.ring_started = None;
            }
        }
        self.actions.push_back(Action::CancelOffer {
            call: call.to_string(),
            agent: agent.to_string(),
        });
    }

    pub(crate) fn position_of(&self, queue: &str, call: &str) -> usize {
        positions(&self.waiting, queue)
            .iter()
            .position(|id| id == call)
            .map_or(0, |i| i + 1)
    }

    /// Pause now, recording it (used for "no answer" and for pauses applied after work).
    pub(crate) fn pause_now(&mut self, now: Instant, agent: &str, reason: String) {
        if let Some(a) = self.agents.get_mut(agent) {
            a.pending_pause = None;
        }
        self.agent_event(
            now,
            agent,
            AgentEventKind::Pause {
                reason: reason.clone(),
            },
        );
        self.set_state(now, agent, AgentState::Paused { reason });
    }

    /// An agent's work on a call is over: paused if a pause was asked for, else available.
    pub(crate) fn finish_work(&mut self, now: Instant, agent: &str) {
        let pending = self
            .agents
            .get_mut(agent)
            .and_then(|a| a.pending_pause.take());
        match pending {
            Some(reason) => self.pause_now(now, agent, reason),
            None => self.set_state(now, agent, AgentState::Available),
        }
    }
}
