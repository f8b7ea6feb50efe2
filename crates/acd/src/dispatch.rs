//! Matching waiting calls to available agents: calls in rank order, agents that qualify by
//! queue membership and the call's current skill step, queue weights, then the strategy.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::acd::Acd;
use crate::action::{Action, QueueEventKind};
use crate::agent::{Agent, AgentState};
use crate::config::Strategy;
use crate::queue::{ranked, QueueRuntime, WaitingCall};
use crate::rng::SeededRng;

impl Acd {
    /// Offer waiting calls to free agents until no more offers can be made.
    pub(crate) fn dispatch(&mut self, now: Instant) {
        // Each round makes at most one offer, then re-ranks: an offer changes who is free.
        while let Some((call, agents)) = self.next_match(now) {
            self.offer(now, &call, agents);
        }
    }

    fn next_match(&mut self, now: Instant) -> Option<(String, Vec<String>)> {
        if !self.agents.values().any(Agent::is_offerable) {
            return None;
        }
        let waiting = ranked(self.waiting.values().filter(|c| c.ringing.is_empty()));
        for call in &waiting {
            let retry = self
                .queues
                .get(&call.queue)
                .map_or(Duration::ZERO, |q| q.cfg.retry);
            let mut candidates: Vec<&Agent> = self
                .agents
                .values()
                .filter(|a| qualifies(a, call, now))
                .filter(|a| {
                    call.missed_by
                        .get(&a.cfg.id)
                        .is_none_or(|at| now.saturating_duration_since(*at) >= retry)
                })
                .filter(|a| !self.wanted_by_heavier_queue(a, call, &waiting, now))
                .collect();
            if candidates.is_empty() {
                continue;
            }
            // Agents who just missed this call come last, so it goes to the next agent.
            if candidates
                .iter()
                .any(|a| !call.missed_by.contains_key(&a.cfg.id))
            {
                candidates.retain(|a| !call.missed_by.contains_key(&a.cfg.id));
            }
            let chosen = choose(&self.queues, &self.agents, &mut self.rng, call, candidates);
            return Some((call.id.clone(), chosen));
        }
        None
    }

    /// An agent is kept for a queue where they carry a higher weight while a call there wants
    /// them; queues of equal weight compete by caller rank alone.
    fn wanted_by_heavier_queue(
        &self,
        agent: &Agent,
        call: &WaitingCall,
        waiting: &[&WaitingCall],
        now: Instant,
    ) -> bool {
        let weight = |q: &str| agent.cfg.membership(q).map_or(0, |m| m.weight);
        let mine = weight(&call.queue);
        waiting
            .iter()
            .any(|other| weight(&other.queue) > mine && qualifies(agent, other, now))
    }

    fn offer(&mut self, now: Instant, call: &str, agents: Vec<String>) {
        let Some(c) = self.waiting.get_mut(call) else {
            return;
        };
        let queue = c.queue.clone();
        let Some(q) = self.queues.get_mut(&queue) else {
            return;
        };
        let ring_timeout = q.cfg.ring_timeout;
        q.last_offered = agents.last().cloned();
        c.ringing = agents.clone();
        c.ring_started = Some(now);
        c.ring_until = Some(now + ring_timeout);
        let callback = c.callback.clone();
        for agent in agents {
            self.actions.push_back(Action::Offer {
                call: call.to_string(),
                agent: agent.clone(),
                queue: queue.clone(),
                ring_timeout,
                callback: callback.clone(),
            });
            let kind = QueueEventKind::Ring {
                agent: agent.clone(),
            };
            self.queue_event(now, &queue, call, kind);
            let state = AgentState::Ringing {
                call: call.to_string(),
            };
            self.set_state(now, &agent, state);
        }
    }
}

/// Whether `agent` may be offered `call` now: available with the phone online, in the queue,
/// skilled enough.
fn qualifies(agent: &Agent, call: &WaitingCall, now: Instant) -> bool {
    agent.is_offerable()
        && agent.cfg.membership(&call.queue).is_some()
        && call
            .required(now)
            .is_none_or(|needed| agent.cfg.has(needed))
}

/// Pick the agent(s) to ring among `candidates` by the queue's strategy; ties go to the
/// lower agent id so runs are reproducible.
fn choose(
    queues: &BTreeMap<String, QueueRuntime>,
    agents: &BTreeMap<String, Agent>,
    rng: &mut SeededRng,
    call: &WaitingCall,
    mut candidates: Vec<&Agent>,
) -> Vec<String> {
    let Some(q) = queues.get(&call.queue) else {
        return Vec::new();
    };
    let order = |a: &Agent| {
        (
            a.cfg.membership(&call.queue).map_or(u32::MAX, |m| m.order),
            a.cfg.id.clone(),
        )
    };
    let idle = |a: &Agent| (a.idle_since, a.cfg.id.clone());
    let picked: Option<&Agent> = match q.cfg.strategy {
        Strategy::LongestIdle => candidates.into_iter().min_by_key(|a| idle(a)),
        Strategy::Linear => candidates.into_iter().min_by_key(|a| order(a)),
        Strategy::FewestCalls => candidates.into_iter().min_by_key(|a| {
            let n = a.answered_by_queue.get(&call.queue).copied().unwrap_or(0);
            (n, idle(a))
        }),
        Strategy::LeastTalkTime => candidates.into_iter().min_by_key(|a| (a.talk, idle(a))),
        Strategy::RoundRobin => {
            candidates.sort_by_key(|a| order(a));
            let last = q
                .last_offered
                .as_ref()
                .and_then(|id| agents.get(id))
                .map(order);
            let after = last.and_then(|l| candidates.iter().position(|a| order(a) > l));
            candidates.get(after.unwrap_or(0)).copied()
        }
        Strategy::Random => {
            candidates.sort_by(|a, b| a.cfg.id.cmp(&b.cfg.id));
            let i = rng.below(candidates.len());
            candidates.get(i).copied()
        }
        Strategy::RingAll => return candidates.iter().map(|a| a.cfg.id.clone()).collect(),
    };
    picked.map(|a| vec![a.cfg.id.clone()]).unwrap_or_default()
}
