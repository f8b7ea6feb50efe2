//! A virtual-clock harness for driving the ACD in tests.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use acd::{Acd, Action, AgentConfig, Enqueue, Input, QueueConfig};

pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

pub struct Sim {
    pub acd: Acd,
    pub t0: Instant,
    pub now: Instant,
    pending: Vec<Action>,
}

impl Sim {
    pub fn new(queues: Vec<QueueConfig>, agents: Vec<AgentConfig>) -> Self {
        #[allow(clippy::disallowed_methods)] // an arbitrary origin for the virtual clock
        let t0 = Instant::now();
        let mut acd = Acd::new(t0, 42);
        for q in queues {
            acd.add_queue(q).unwrap();
        }
        for a in agents {
            acd.add_agent(a).unwrap();
        }
        Sim {
            acd,
            t0,
            now: t0,
            pending: Vec::new(),
        }
    }

    /// Seconds since the start.
    pub fn t(&self) -> u64 {
        (self.now - self.t0).as_secs()
    }

    /// Run timers up to `t0 + s` seconds, then stand there.
    pub fn run_to(&mut self, s: u64) {
        let target = self.t0 + secs(s);
        while let Some((at, _)) = self.acd.poll_timeout() {
            if at > target {
                break;
            }
            self.now = self.now.max(at);
            self.acd.handle(self.now, Input::Timeout).unwrap();
            self.collect();
        }
        self.now = self.now.max(target);
    }

    pub fn send(&mut self, input: Input) -> Result<(), acd::AcdError> {
        let r = self.acd.handle(self.now, input);
        self.collect();
        r
    }

    pub fn ok(&mut self, input: Input) {
        self.send(input).unwrap();
    }

    pub fn enqueue(&mut self, e: Enqueue) {
        self.ok(Input::Enqueue(e));
    }

    pub fn call(&mut self, call: &str, queue: &str) {
        self.enqueue(Enqueue::new(call, queue));
    }

    pub fn login(&mut self, agent: &str) {
        self.ok(Input::AgentLogin {
            agent: agent.into(),
        });
    }

    pub fn answer(&mut self, call: &str, agent: &str) {
        self.ok(Input::OfferAnswered {
            call: call.into(),
            agent: agent.into(),
        });
    }

    pub fn hang_up(&mut self, call: &str) {
        self.ok(Input::CallEnded {
            call: call.into(),
            by: acd::EndedBy::Caller,
            hold: std::time::Duration::ZERO,
        });
    }

    fn collect(&mut self) {
        while let Some(a) = self.acd.poll_action() {
            self.pending.push(a);
        }
    }

    /// Actions produced since the last call.
    pub fn take(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.pending)
    }

    /// Offers produced since the last `take`, as (call, agent), consuming the actions.
    pub fn offers(&mut self) -> Vec<(String, String)> {
        offers_in(&self.take())
    }
}

pub fn offers_in(actions: &[Action]) -> Vec<(String, String)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Offer { call, agent, .. } => Some((call.clone(), agent.clone())),
            _ => None,
        })
        .collect()
}

pub fn pair(call: &str, agent: &str) -> (String, String) {
    (call.to_string(), agent.to_string())
}

/// `n` agents `a1..an` in queue `q`, ordered by number.
pub fn agents(n: u32, q: &str) -> Vec<AgentConfig> {
    (1..=n)
        .map(|i| AgentConfig::new(format!("a{i}")).member_of(q, i))
        .collect()
}

/// Queue `q` with `wrap_up`, agent `a1` logged in and talking on call `c1`.
pub fn one_agent_on_call(wrap_up: Duration) -> Sim {
    let mut q = QueueConfig::new("q");
    q.wrap_up = wrap_up;
    let mut s = Sim::new(vec![q], agents(1, "q"));
    s.login("a1");
    s.call("c1", "q");
    s.answer("c1", "a1");
    s
}
