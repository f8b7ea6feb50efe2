//! Configuration of queues and agents: strategies, routing profiles (skill steps that widen
//! with waiting time), empty-queue rules, and agent skills and memberships.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::error::AcdError;

/// Skills and their levels: for an agent what they have (1–5), for a call what it needs (minimum).
pub type Skills = BTreeMap<String, u8>;

/// Highest proficiency level; levels run 1..=MAX_LEVEL.
pub const MAX_LEVEL: u8 = 5;

/// How a queue picks among the agents that could take a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// The agent available for the longest time (default).
    #[default]
    LongestIdle,
    /// The next agent after the last one offered, in membership order.
    RoundRobin,
    /// The agent who answered the fewest calls of this queue.
    FewestCalls,
    /// The agent with the least total talk time.
    LeastTalkTime,
    /// Ring every candidate at once; the first to answer takes the call.
    RingAll,
    /// Always the first candidate by membership order (top-down).
    Linear,
    /// A candidate drawn from the seeded generator given to [`crate::Acd::new`].
    Random,
}

/// One step of a routing profile: the skills a call needs while the step lasts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingStep {
    /// Required skills with their minimum level.
    pub skills: Skills,
    /// How long this step applies before the next (wider) one.
    pub duration: Duration,
}

/// When a queue counts as empty, for the join-empty and leave-when-empty rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EmptyRule {
    /// Never empty: callers join and stay whatever the agents do (default).
    #[default]
    Never,
    /// Empty when no agent of the queue is logged in.
    NoAgentsLoggedIn,
    /// Empty when every logged-in agent is paused (or none is logged in).
    AllPaused,
}

/// A queue's behaviour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueConfig {
    /// Unique name, used by the dialplan's `queue` step.
    pub name: String,
    /// How an agent is chosen.
    pub strategy: Strategy,
    /// How long an offer rings before it counts as a miss.
    pub ring_timeout: Duration,
    /// An agent who missed a call is not offered that call again for this long.
    pub retry: Duration,
    /// After-call work after each call of this queue (an agent's own setting wins).
    pub wrap_up: Duration,
    /// Callers waiting longer than this overflow.
    pub max_wait: Option<Duration>,
    /// Callers arriving when this many wait overflow at once.
    pub max_len: Option<usize>,
    /// Where overflowing callers go (another queue, an extension, a dialplan step); the switch
    /// interprets it. `None` leaves the decision to the switch (usually hang up).
    pub overflow: Option<String>,
    /// Refuse new callers when the queue is empty by this rule.
    pub join_empty: EmptyRule,
    /// Send waiting callers to overflow when the queue becomes empty by this rule.
    pub leave_when_empty: EmptyRule,
    /// Skill steps, in order; after the last one expires any agent of the queue qualifies.
    pub profile: Vec<RoutingStep>,
    /// How long skills given by the dialplan apply when the profile has no steps.
    pub call_skills_for: Duration,
    /// Position and estimated-wait announcements every this often (none when `None`).
    pub announce_interval: Option<Duration>,
    /// Service-level threshold T: answered within T counts as in service level.
    pub service_level: Duration,
    /// The share of calls the center aims to answer within T, in percent (the wallboard's
    /// target; 80 by default, the common "80/20").
    pub service_level_target: u8,
    /// Abandons quicker than this are short abandons, left out of the service level.
    pub short_abandon: Duration,
    /// Handle time assumed for estimates before any call was answered.
    pub default_handle_time: Duration,
}

impl QueueConfig {
    /// A queue with the defaults: longest idle, 15 s ring, no wrap-up, no limits, SL 20 s.
    pub fn new(name: impl Into<String>) -> Self {
        QueueConfig {
            name: name.into(),
            strategy: Strategy::default(),
            ring_timeout: Duration::from_secs(15),
            retry: Duration::from_secs(5),
            wrap_up: Duration::ZERO,
            max_wait: None,
            max_len: None,
            overflow: None,
            join_empty: EmptyRule::Never,
            leave_when_empty: EmptyRule::Never,
            profile: Vec::new(),
            call_skills_for: Duration::from_secs(60),
            announce_interval: None,
            service_level: Duration::from_secs(20),
            service_level_target: 80,
            short_abandon: Duration::from_secs(5),
            default_handle_time: Duration::from_secs(180),
        }
    }

    /// Check what types cannot: levels in range, a ring timeout that can expire.
    pub fn validate(&self) -> Result<(), AcdError> {
        if self.ring_timeout.is_zero() {
            return Err(AcdError::InvalidConfig(format!(
                "queue {}: ring timeout must be positive",
                self.name
            )));
        }
        for step in &self.profile {
            check_levels(&self.name, &step.skills)?;
        }
        Ok(())
    }
}

/// An agent's membership of one queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The queue's name.
    pub queue: String,
    /// Among queues with waiting calls the agent could take, a higher weight is served first.
    pub weight: u32,
    /// Position for linear and round-robin strategies (lower first).
    pub order: u32,
}

/// An agent's identity, skills and queues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentConfig {
    /// Unique id (usually the agent number).
    pub id: String,
    /// Skills with proficiency 1–5.
    pub skills: Skills,
    /// Queues served.
    pub queues: Vec<Membership>,
    /// Consecutive missed offers before the agent is paused with reason "no answer"
    /// (0 never pauses).
    pub max_missed: u32,
    /// After-call work overriding the queue's.
    pub wrap_up: Option<Duration>,
}

impl AgentConfig {
    /// An agent with no skills or queues, paused after 3 missed offers.
    pub fn new(id: impl Into<String>) -> Self {
        AgentConfig {
            id: id.into(),
            skills: Skills::new(),
            queues: Vec::new(),
            max_missed: 3,
            wrap_up: None,
        }
    }

    /// Add a skill (builder style).
    pub fn skill(mut self, name: &str, level: u8) -> Self {
        self.skills.insert(name.to_string(), level);
        self
    }

    /// Join a queue with weight 0 and the given order (builder style).
    pub fn member_of(mut self, queue: &str, order: u32) -> Self {
        self.queues.push(Membership {
            queue: queue.to_string(),
            weight: 0,
            order,
        });
        self
    }

    /// Check skill levels.
    pub fn validate(&self) -> Result<(), AcdError> {
        check_levels(&self.id, &self.skills)
    }

    pub(crate) fn membership(&self, queue: &str) -> Option<&Membership> {
        self.queues.iter().find(|m| m.queue == queue)
    }

    pub(crate) fn has(&self, needed: &Skills) -> bool {
        needed
            .iter()
            .all(|(name, min)| self.skills.get(name).is_some_and(|lvl| lvl >= min))
    }
}

fn check_levels(owner: &str, skills: &Skills) -> Result<(), AcdError> {
    match skills.iter().find(|(_, l)| !(1..=MAX_LEVEL).contains(*l)) {
        Some((name, level)) => Err(AcdError::InvalidConfig(format!(
            "{owner}: skill {name} level {level} is outside 1..={MAX_LEVEL}"
        ))),
        None => Ok(()),
    }
}

/// Parse the dialplan's skill strings (`loans:3`, or `korean` meaning level 1).
pub fn parse_skills<S: AsRef<str>>(items: &[S]) -> Result<Skills, AcdError> {
    let mut out = Skills::new();
    for item in items {
        let item = item.as_ref().trim();
        let (name, level) = match item.split_once(':') {
            Some((n, l)) => {
                let level = l
                    .trim()
                    .parse::<u8>()
                    .map_err(|_| AcdError::InvalidSkill(item.to_string()))?;
                (n.trim(), level)
            }
            None => (item, 1),
        };
        if name.is_empty() || !(1..=MAX_LEVEL).contains(&level) {
            return Err(AcdError::InvalidSkill(item.to_string()));
        }
        out.insert(name.to_string(), level);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dialplan_skills() {
        let s = parse_skills(&["loans:3", " korean : 4 ", "vip"]).unwrap();
        assert_eq!(s.get("loans"), Some(&3));
        assert_eq!(s.get("korean"), Some(&4));
        assert_eq!(s.get("vip"), Some(&1));
        assert!(parse_skills(&["loans:9"]).is_err());
        assert!(parse_skills(&["loans:x"]).is_err());
        assert!(parse_skills(&[":2"]).is_err());
    }

    #[test]
    fn agent_meets_minimum_levels() {
        let a = AgentConfig::new("a").skill("loans", 3).skill("korean", 5);
        assert!(a.has(&parse_skills(&["loans:3", "korean:4"]).unwrap()));
        assert!(!a.has(&parse_skills(&["loans:4"]).unwrap()));
        assert!(!a.has(&parse_skills(&["french"]).unwrap()));
        assert!(a.has(&Skills::new()));
    }
}
