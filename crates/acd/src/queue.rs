//! Callers waiting in a queue: their rank (waiting time plus priority offset, with an optional
//! emergency band), the skills they need at a given moment, and each queue's run-time counters.

use std::cmp::Ordering;
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use crate::config::{QueueConfig, Skills};

/// How many recent answered waits and talk times the estimate averages.
pub(crate) const RECENT: usize = 20;

#[derive(Debug, Clone)]
pub(crate) struct WaitingCall {
    pub id: String,
    pub queue: String,
    pub enqueued: Instant,
    /// Arrival order, the last tie-break.
    pub seq: u64,
    pub priority: i32,
    pub emergency: bool,
    /// Skills the dialplan asked for, kept so the steps can be rebuilt when the queue's
    /// profile changes at run time.
    pub skills: Skills,
    /// Skill steps of this call (the queue profile merged with the dialplan's skills).
    pub steps: Vec<(Skills, Duration)>,
    /// Agents ringing for this call right now (several only for ring-all).
    pub ringing: Vec<String>,
    pub ring_started: Option<Instant>,
    pub ring_until: Option<Instant>,
    /// Agents who missed this call, and when: not offered it again within the queue's retry
    /// delay, and after that tried last so it goes to the next agent.
    pub missed_by: BTreeMap<String, Instant>,
    pub next_announce: Option<Instant>,
    pub callback: Option<String>,
}

impl WaitingCall {
    /// Skills needed at `now`, or `None` once every step expired (any agent of the queue).
    pub fn required(&self, now: Instant) -> Option<&Skills> {
        let mut end = self.enqueued;
        for (skills, dur) in &self.steps {
            end += *dur;
            if now < end {
                return Some(skills);
            }
        }
        None
    }

    /// When the requirement next widens, if it still can.
    pub fn next_widening(&self, now: Instant) -> Option<Instant> {
        let mut end = self.enqueued;
        for (_, dur) in &self.steps {
            end += *dur;
            if now < end {
                return Some(end);
            }
        }
        None
    }

    /// Rank: emergency first, then higher `waited + priority`, then arrival. Comparing
    /// `enqueued - priority` is the same as comparing scores at any common `now`; terms are
    /// moved across so that no `Instant` arithmetic can underflow.
    pub fn rank_cmp(&self, other: &WaitingCall) -> Ordering {
        other
            .emergency
            .cmp(&self.emergency)
            .then_with(|| {
                let (a, b) = shifted(self.enqueued, self.priority, other.enqueued, other.priority);
                a.cmp(&b)
            })
            .then_with(|| self.seq.cmp(&other.seq))
    }
}

/// `(ea - pa, eb - pb)` rewritten as `(ea + pb⁺ + pa⁻, eb + pa⁺ + pb⁻)`.
fn shifted(ea: Instant, pa: i32, eb: Instant, pb: i32) -> (Instant, Instant) {
    let pos = |p: i32| Duration::from_secs(u64::from(p.max(0).unsigned_abs()));
    let neg = |p: i32| Duration::from_secs(u64::from(p.min(0).unsigned_abs()));
    (ea + pos(pb) + neg(pa), eb + pos(pa) + neg(pb))
}

/// Build a call's skill steps from the queue profile and the dialplan's skills.
pub(crate) fn call_steps(cfg: &QueueConfig, call_skills: &Skills) -> Vec<(Skills, Duration)> {
    if cfg.profile.is_empty() {
        if call_skills.is_empty() {
            return Vec::new();
        }
        return vec![(call_skills.clone(), cfg.call_skills_for)];
    }
    cfg.profile
        .iter()
        .map(|step| {
            let mut skills = step.skills.clone();
            for (name, level) in call_skills {
                let entry = skills.entry(name.clone()).or_insert(*level);
                *entry = (*entry).max(*level);
            }
            (skills, step.duration)
        })
        .collect()
}

/// Counters since the last reset (the switch resets them at midnight).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// Callers that entered the queue.
    pub offered: u64,
    /// Callers connected to an agent.
    pub answered: u64,
    /// Of those, connected within the service-level threshold.
    pub answered_in_sl: u64,
    /// Callers that hung up while waiting.
    pub abandoned: u64,
    /// Of those, hung up before the short-abandon threshold.
    pub short_abandoned: u64,
    /// Callers sent to overflow (max wait, max length, empty rules).
    pub overflowed: u64,
    /// Total wait of answered callers (for ASA).
    pub answered_wait: Duration,
    /// Total talk time of completed calls.
    pub talk: Duration,
    /// Completed calls.
    pub completed: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct QueueRuntime {
    pub cfg: QueueConfig,
    pub last_offered: Option<String>,
    pub counters: Counters,
    pub recent_waits: VecDeque<Duration>,
    pub recent_talk: VecDeque<Duration>,
}

impl QueueRuntime {
    pub fn new(cfg: QueueConfig) -> Self {
        QueueRuntime {
            cfg,
            last_offered: None,
            counters: Counters::default(),
            recent_waits: VecDeque::new(),
            recent_talk: VecDeque::new(),
        }
    }

    pub fn record_wait(&mut self, wait: Duration) {
        push_recent(&mut self.recent_waits, wait);
    }

    pub fn record_talk(&mut self, talk: Duration) {
        push_recent(&mut self.recent_talk, talk);
    }

    /// Estimated wait for the caller at 1-based `position`: the average of recent answered
    /// waits when there are any, else position × handle time / agents logged in.
    pub fn estimate(&self, position: usize, logged_in: usize) -> Duration {
        if let Some(avg) = average(&self.recent_waits) {
            return avg;
        }
        let aht = average(&self.recent_talk).unwrap_or(self.cfg.default_handle_time);
        let agents = u32::try_from(logged_in.max(1)).unwrap_or(u32::MAX);
        let pos = u32::try_from(position).unwrap_or(u32::MAX);
        aht.saturating_mul(pos) / agents
    }
}

fn push_recent(buf: &mut VecDeque<Duration>, d: Duration) {
    if buf.len() == RECENT {
        buf.pop_front();
    }
    buf.push_back(d);
}

fn average(buf: &VecDeque<Duration>) -> Option<Duration> {
    let n = u32::try_from(buf.len()).ok().filter(|n| *n > 0)?;
    Some(buf.iter().sum::<Duration>() / n)
}

/// Order the waiting calls of all queues by rank.
pub(crate) fn ranked<'a>(calls: impl Iterator<Item = &'a WaitingCall>) -> Vec<&'a WaitingCall> {
    let mut v: Vec<_> = calls.collect();
    v.sort_by(|a, b| a.rank_cmp(b));
    v
}

/// 1-based positions of the calls of `queue`, by rank.
pub(crate) fn positions(calls: &BTreeMap<String, WaitingCall>, queue: &str) -> Vec<String> {
    ranked(calls.values().filter(|c| c.queue == queue))
        .into_iter()
        .map(|c| c.id.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(id: &str, at: Instant, priority: i32, seq: u64) -> WaitingCall {
        WaitingCall {
            id: id.into(),
            queue: "q".into(),
            enqueued: at,
            seq,
            priority,
            emergency: false,
            skills: Skills::new(),
            steps: Vec::new(),
            ringing: Vec::new(),
            ring_started: None,
            ring_until: None,
            missed_by: BTreeMap::new(),
            next_announce: None,
            callback: None,
        }
    }

    #[test]
    fn priority_is_an_offset_on_waiting_time() {
        #[allow(clippy::disallowed_methods)] // an arbitrary origin for the virtual clock
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let old = call("old", t0, 0, 1);
        let vip = call("vip", t0 + s(100), 120, 2);
        let late_vip = call("late", t0 + s(200), 120, 3);
        let low = call("low", t0 + s(10), -30, 4);
        assert_eq!(
            vip.rank_cmp(&old),
            Ordering::Less,
            "VIP +120 after 100 s overtakes"
        );
        assert_eq!(
            old.rank_cmp(&late_vip),
            Ordering::Less,
            "200 s later it does not"
        );
        assert_eq!(old.rank_cmp(&low), Ordering::Less);
        let mut em = call("em", t0 + s(300), 0, 5);
        em.emergency = true;
        assert_eq!(em.rank_cmp(&vip), Ordering::Less, "emergency band first");
        let twin = call("twin", t0, 0, 9);
        assert_eq!(
            old.rank_cmp(&twin),
            Ordering::Less,
            "equal score: arrival order"
        );
    }

    #[test]
    fn steps_widen_then_any() {
        #[allow(clippy::disallowed_methods)]
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut c = call("c", t0, 0, 1);
        let a: Skills = [("loans".to_string(), 3)].into();
        let b: Skills = [("loans".to_string(), 1)].into();
        c.steps = vec![(a.clone(), s(30)), (b.clone(), s(60))];
        assert_eq!(c.required(t0), Some(&a));
        assert_eq!(c.required(t0 + s(29)), Some(&a));
        assert_eq!(c.required(t0 + s(30)), Some(&b));
        assert_eq!(c.next_widening(t0 + s(30)), Some(t0 + s(90)));
        assert_eq!(c.required(t0 + s(90)), None);
        assert_eq!(c.next_widening(t0 + s(90)), None);
    }

    #[test]
    fn estimate_uses_recent_waits_then_falls_back() {
        let mut q = QueueRuntime::new(QueueConfig::new("q"));
        assert_eq!(q.estimate(3, 2), Duration::from_secs(270));
        assert_eq!(q.estimate(1, 0), Duration::from_secs(180));
        q.record_wait(Duration::from_secs(10));
        q.record_wait(Duration::from_secs(30));
        assert_eq!(q.estimate(5, 2), Duration::from_secs(20));
        for _ in 0..RECENT {
            q.record_wait(Duration::from_secs(4));
        }
        assert_eq!(
            q.estimate(5, 2),
            Duration::from_secs(4),
            "only the last N count"
        );
    }
}
