//! The live view of a queue: callers waiting, longest wait, agents by state, counters since
//! the last reset, service level and speed of answer.

use std::time::{Duration, Instant};

use crate::acd::Acd;
use crate::agent::AgentState;
use crate::error::AcdError;
use crate::queue::{positions, Counters};

/// Agents of a queue by state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentCounts {
    /// Logged in, in any state.
    pub logged_in: usize,
    /// Free for a call.
    pub available: usize,
    /// Being offered a call.
    pub ringing: usize,
    /// Talking (on a call of any queue).
    pub on_call: usize,
    /// In after-call work.
    pub wrap_up: usize,
    /// Paused.
    pub paused: usize,
    /// Of the logged-in, those whose phone is offline (never offered calls meanwhile).
    pub phone_offline: usize,
}

/// A snapshot of one queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueStats {
    /// Queue name.
    pub queue: String,
    /// Callers waiting (including callbacks and calls ringing an agent).
    pub waiting: usize,
    /// Of those, callbacks.
    pub callbacks: usize,
    /// Longest current wait.
    pub longest_wait: Duration,
    /// The queue's agents by state.
    pub agents: AgentCounts,
    /// Counters since the last reset.
    pub counters: Counters,
    /// Answered within T / (answered + abandoned after the short-abandon threshold);
    /// `None` before any call counts.
    pub service_level: Option<f64>,
    /// Average wait of answered callers.
    pub average_speed_of_answer: Option<Duration>,
}

/// One waiting caller, for the live view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingStatus {
    /// Call id.
    pub call: String,
    /// 1-based position by rank.
    pub position: usize,
    /// Time waited so far.
    pub waited: Duration,
    /// Priority offset in seconds.
    pub priority: i32,
    /// Agents being rung for it.
    pub ringing: Vec<String>,
    /// Callback number, when the caller asked for one.
    pub callback: Option<String>,
    /// Skills the dialplan asked for (besides the queue's profile).
    pub skills: crate::config::Skills,
}

impl Acd {
    /// Live statistics of `queue` at `now`.
    pub fn stats(&self, queue: &str, now: Instant) -> Result<QueueStats, AcdError> {
        let q = self
            .queues
            .get(queue)
            .ok_or_else(|| AcdError::UnknownQueue(queue.to_string()))?;
        let calls: Vec<_> = self.waiting.values().filter(|c| c.queue == queue).collect();
        let mut agents = AgentCounts::default();
        for a in self
            .agents
            .values()
            .filter(|a| a.cfg.membership(queue).is_some())
        {
            let slot = match a.state {
                AgentState::LoggedOut => continue,
                AgentState::Available => &mut agents.available,
                AgentState::Ringing { .. } => &mut agents.ringing,
                AgentState::OnCall { .. } => &mut agents.on_call,
                AgentState::WrapUp { .. } => &mut agents.wrap_up,
                AgentState::Paused { .. } => &mut agents.paused,
            };
            *slot += 1;
            agents.logged_in += 1;
            agents.phone_offline += usize::from(a.phone_offline);
        }
        let c = &q.counters;
        let counted = c.answered + (c.abandoned - c.short_abandoned);
        let service_level = (counted > 0).then(|| c.answered_in_sl as f64 / counted as f64);
        let asa = u32::try_from(c.answered)
            .ok()
            .filter(|n| *n > 0)
            .map(|n| c.answered_wait / n);
        Ok(QueueStats {
            queue: queue.to_string(),
            waiting: calls.len(),
            callbacks: calls.iter().filter(|c| c.callback.is_some()).count(),
            longest_wait: calls
                .iter()
                .map(|c| now.saturating_duration_since(c.enqueued))
                .max()
                .unwrap_or_default(),
            agents,
            counters: c.clone(),
            service_level,
            average_speed_of_answer: asa,
        })
    }

    /// How long `call` has been in the ACD's queues (since it entered, kept across overflows
    /// and transfers of a waiting call), while it waits or is being offered; `None` otherwise.
    pub fn waited(&self, call: &str, now: Instant) -> Option<Duration> {
        let c = self.waiting.get(call)?;
        Some(now.saturating_duration_since(c.enqueued))
    }

    /// The wait `queue` estimates for a caller at 1-based `position` (what its announcements
    /// say); `None` for an unknown queue.
    pub fn estimated_wait(&self, queue: &str, position: usize) -> Option<Duration> {
        let q = self.queues.get(queue)?;
        let logged_in = self
            .agents
            .values()
            .filter(|a| a.is_logged_in() && a.cfg.membership(queue).is_some())
            .count();
        Some(q.estimate(position, logged_in))
    }

    /// The callers of `queue` in rank order.
    pub fn waiting(&self, queue: &str, now: Instant) -> Vec<WaitingStatus> {
        positions(&self.waiting, queue)
            .iter()
            .enumerate()
            .filter_map(|(i, id)| {
                let c = self.waiting.get(id)?;
                Some(WaitingStatus {
                    call: id.clone(),
                    position: i + 1,
                    waited: now.saturating_duration_since(c.enqueued),
                    priority: c.priority,
                    ringing: c.ringing.clone(),
                    callback: c.callback.clone(),
                    skills: c.skills.clone(),
                })
            })
            .collect()
    }

    /// Queue names.
    pub fn queue_names(&self) -> Vec<String> {
        self.queues.keys().cloned().collect()
    }
}
