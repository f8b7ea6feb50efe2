//! A call's place in the ACD (`QueueLeg`): which entry it is, its queue and priority, the
//! agent it is connected to and its time on hold. The queue code asks the leg, not the whole
//! switch, whether an offer still stands and what the ACD hears when the call ends.

use crate::records::HangupSide;
use std::time::{Duration, Instant};

/// A call's place in the ACD.
#[derive(Debug, Clone)]
pub struct QueueLeg {
    /// The id the ACD knows the call by (the CDR id).
    pub key: String,
    pub queue: String,
    /// The caller's priority offset, kept when the call overflows to another queue.
    pub priority: i32,
    /// The agent the call is connected to.
    pub agent: Option<String>,
    /// Time on hold while connected to the agent.
    pub hold: HoldTime,
}

impl QueueLeg {
    /// A caller just handed to the ACD as entry `key`.
    pub fn waiting(key: &str, queue: &str, priority: i32) -> QueueLeg {
        QueueLeg {
            key: key.to_string(),
            queue: queue.to_string(),
            priority,
            agent: None,
            hold: HoldTime::default(),
        }
    }

    /// Whether the ACD is still ringing `agent` for this call (its ring timer may have won).
    pub fn rings(&self, acd: &acd::Acd, agent: &str) -> bool {
        acd.agent(agent).is_some_and(
            |s| matches!(&s.state, acd::AgentState::Ringing { call } if *call == self.key),
        )
    }

    /// What the ACD hears when the call ends at `now`: a connected call completes (ended by
    /// `side`), a waiting one abandons.
    pub fn ended(self, now: Instant, side: Option<HangupSide>) -> acd::Input {
        match self.agent {
            Some(_) => acd::Input::CallEnded {
                call: self.key,
                by: match side {
                    Some(HangupSide::Caller) => acd::EndedBy::Caller,
                    Some(HangupSide::Callee) => acd::EndedBy::Agent,
                    _ => acd::EndedBy::Switch,
                },
                hold: self.hold.total(now),
            },
            None => acd::Input::Abandon { call: self.key },
        }
    }
}

/// Time a connected call spends on hold: from a re-INVITE of either side offering audio
/// sendonly, recvonly or inactive (or no audio address) until one offering sendrecv again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HoldTime {
    since: Option<Instant>,
    total: Duration,
}

impl HoldTime {
    /// The call's media direction as of `now`: held or not.
    pub fn set(&mut self, now: Instant, held: bool) {
        match (self.since, held) {
            (None, true) => self.since = Some(now),
            (Some(since), false) => {
                self.total += now.saturating_duration_since(since);
                self.since = None;
            }
            _ => {}
        }
    }

    /// Hold so far, counting a hold still running at `now`.
    pub fn total(&self, now: Instant) -> Duration {
        self.total
            + self
                .since
                .map_or(Duration::ZERO, |s| now.saturating_duration_since(s))
    }
}
