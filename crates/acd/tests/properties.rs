//! Random event sequences (hand-rolled seeded generator) checked against invariants: no call
//! offered to two agents, no agent offered two calls, offers only to available agents, and no
//! caller starves once agents are free.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use acd::{
    Action, AgentConfig, AgentEventKind, EndedBy, Enqueue, Input, QueueConfig, RoutingStep,
    SeededRng, Strategy,
};
use common::{secs, Sim};

const AGENTS: usize = 5;

#[derive(Default)]
struct Model {
    /// call -> agent being offered it
    offered: BTreeMap<String, String>,
    /// agent -> call offered
    ringing: BTreeMap<String, String>,
    connected: BTreeMap<String, String>,
    state: BTreeMap<String, &'static str>,
    waiting: BTreeSet<String>,
}

impl Model {
    fn apply(&mut self, actions: Vec<Action>) {
        for a in actions {
            match a {
                Action::Offer { call, agent, .. } => {
                    assert!(!self.offered.contains_key(&call), "{call} offered twice");
                    assert!(
                        !self.ringing.contains_key(&agent),
                        "{agent} offered two calls"
                    );
                    assert!(
                        !self.connected.values().any(|x| *x == agent),
                        "{agent} is on a call"
                    );
                    assert_eq!(
                        self.state.get(&agent),
                        Some(&"available"),
                        "{agent} not available"
                    );
                    assert!(self.waiting.contains(&call), "{call} is not waiting");
                    self.offered.insert(call.clone(), agent.clone());
                    self.ringing.insert(agent, call);
                }
                Action::CancelOffer { call, agent } => {
                    assert_eq!(self.offered.remove(&call), Some(agent.clone()));
                    self.ringing.remove(&agent);
                }
                Action::Overflow { call, .. } => {
                    self.waiting.remove(&call);
                }
                Action::AgentEvent(e) => {
                    if let AgentEventKind::StateChange { to, .. } = e.kind {
                        self.state.insert(e.agent, to);
                    }
                }
                _ => {}
            }
        }
    }

    fn settle(&mut self, call: &str) {
        if let Some(agent) = self.offered.remove(call) {
            self.ringing.remove(&agent);
        }
    }
}

fn setup(strategy: Strategy) -> Sim {
    let mut q1 = QueueConfig::new("q1");
    q1.strategy = strategy;
    q1.ring_timeout = secs(10);
    q1.wrap_up = secs(5);
    q1.profile = vec![RoutingStep {
        skills: [("loans".into(), 3)].into(),
        duration: secs(20),
    }];
    let mut q2 = QueueConfig::new("q2");
    q2.strategy = strategy;
    q2.ring_timeout = secs(10);
    let agents = (0..AGENTS)
        .map(|i| {
            let mut a = AgentConfig::new(format!("a{i}")).member_of("q1", i as u32);
            if i % 2 == 0 {
                a = a.member_of("q2", i as u32).skill("loans", 1 + i as u8);
                a.queues[1].weight = (i % 3) as u32;
            }
            a
        })
        .collect();
    Sim::new(vec![q1, q2], agents)
}

fn run(seed: u64, strategy: Strategy) {
    let mut s = setup(strategy);
    let mut m = Model::default();
    let mut rng = SeededRng::new(seed);
    let mut next = 0;
    let agent = |rng: &mut SeededRng| format!("a{}", rng.below(AGENTS));
    for _ in 0..400 {
        let roll = rng.below(100);
        let input = match roll {
            0..=19 => {
                next += 1;
                let call = format!("c{next}");
                m.waiting.insert(call.clone());
                let q = if rng.below(2) == 0 { "q1" } else { "q2" };
                let prio = [0, 0, 120, -30][rng.below(4)];
                Some(Input::Enqueue(Enqueue::new(call, q).priority(prio)))
            }
            20..=29 => Some(Input::AgentLogin {
                agent: agent(&mut rng),
            }),
            30..=33 => Some(Input::AgentLogout {
                agent: agent(&mut rng),
            }),
            34..=38 => Some(Input::AgentPause {
                agent: agent(&mut rng),
                reason: "break".into(),
            }),
            39..=45 => Some(Input::AgentUnpause {
                agent: agent(&mut rng),
            }),
            46..=60 => m.offered.iter().next().map(|(c, a)| Input::OfferAnswered {
                call: c.clone(),
                agent: a.clone(),
            }),
            61..=64 => m.offered.iter().last().map(|(c, a)| Input::OfferRejected {
                call: c.clone(),
                agent: a.clone(),
            }),
            65..=72 => m.connected.keys().next().map(|c| Input::CallEnded {
                call: c.clone(),
                by: EndedBy::Agent,
                hold: std::time::Duration::ZERO,
            }),
            73..=76 => m
                .waiting
                .iter()
                .next()
                .map(|c| Input::Abandon { call: c.clone() }),
            _ => {
                let t = s.t() + 1 + rng.below(15) as u64;
                s.run_to(t);
                None
            }
        };
        if let Some(input) = input {
            let ok = s.send(input.clone()).is_ok();
            match (&input, ok) {
                (Input::OfferAnswered { call, agent }, true) => {
                    m.settle(call);
                    m.waiting.remove(call);
                    m.connected.insert(call.clone(), agent.clone());
                }
                (Input::OfferRejected { call, .. }, true) => m.settle(call),
                (Input::CallEnded { call, .. }, true) => {
                    m.connected.remove(call);
                }
                (Input::Abandon { call }, true) => {
                    m.waiting.remove(call);
                }
                _ => {}
            }
        }
        let acts = s.take();
        m.apply(acts);
    }
    // Starvation check: everybody works, answers at once, talks 30 s.
    for i in 0..AGENTS {
        let a = format!("a{i}");
        let _ = s.send(Input::AgentLogin { agent: a.clone() });
        let _ = s.send(Input::AgentUnpause { agent: a });
    }
    let acts = s.take();
    m.apply(acts);
    for _ in 0..2000 {
        if m.waiting.is_empty() {
            break;
        }
        let offers: Vec<_> = m
            .offered
            .iter()
            .map(|(c, a)| (c.clone(), a.clone()))
            .collect();
        for (c, a) in offers {
            s.ok(Input::OfferAnswered {
                call: c.clone(),
                agent: a.clone(),
            });
            m.settle(&c);
            m.waiting.remove(&c);
            m.connected.insert(c, a);
        }
        let acts = s.take();
        m.apply(acts);
        let t = s.t() + 30;
        s.run_to(t);
        let ending: Vec<_> = m.connected.keys().cloned().collect();
        for c in ending {
            s.ok(Input::CallEnded {
                call: c.clone(),
                by: EndedBy::Caller,
                hold: std::time::Duration::ZERO,
            });
            m.connected.remove(&c);
        }
        let acts = s.take();
        m.apply(acts);
    }
    assert!(m.waiting.is_empty(), "seed {seed}: starved {:?}", m.waiting);
}

#[test]
fn random_sequences_keep_the_invariants() {
    let strategies = [
        Strategy::LongestIdle,
        Strategy::RoundRobin,
        Strategy::FewestCalls,
        Strategy::LeastTalkTime,
        Strategy::Linear,
        Strategy::Random,
    ];
    for seed in 0..60 {
        run(seed, strategies[seed as usize % strategies.len()]);
    }
}
