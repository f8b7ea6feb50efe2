//! Who reviews what: tasks spread over the reviewers, fewest tasks first, never to the agent's
//! own account.
//!
//! Each task first goes to the least-loaded reviewer who may take it (ties to the account that
//! sorts first); then chains of moves even out what the exclusions left uneven, until no
//! reviewer is two tasks above one it could pass work to: the loads are then as even as the
//! exclusions allow. The same tasks and reviewers always give the same assignment.

use serde::{Deserialize, Serialize};

use crate::sampling::ReviewTask;

/// A QA reviewer now: a login account, the agent id it also is (a supervisor who takes calls),
/// and the tasks already on its desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reviewer {
    pub account: String,
    /// The agent this account is, if any: its calls are never its to review.
    #[serde(default)]
    pub agent: Option<String>,
    /// Open tasks already assigned, counted when balancing.
    #[serde(default)]
    pub open_tasks: u32,
}

/// A task held by a reviewer, to move if that reviewer left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldTask {
    pub task_id: String,
    pub agent: String,
    pub reviewer: String,
}

/// A held task moved to a reviewer still present (`None`: nobody may take it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reassignment {
    pub task_id: String,
    pub from: String,
    pub to: Option<String>,
}

/// Sets each task's reviewer (`None` when no one may take it).
pub(crate) fn assign(tasks: &mut [ReviewTask], reviewers: &[Reviewer]) {
    // A fixed order for a fixed input, whatever order the tasks came in.
    let mut order: Vec<usize> = (0..tasks.len()).collect();
    order.sort_by_key(|&i| tasks.get(i).map(|t| (t.agent.clone(), t.call_id.clone())));
    let agents: Vec<&str> = order
        .iter()
        .filter_map(|&i| tasks.get(i).map(|t| t.agent.as_str()))
        .collect();
    let chosen = Desk::new(reviewers).place(&agents);
    for (i, reviewer) in order.into_iter().zip(chosen) {
        if let Some(task) = tasks.get_mut(i) {
            task.reviewer = reviewer;
        }
    }
}

/// Moves the tasks of reviewers who are no longer in `reviewers` to those who are, by the same
/// rules as a new draw; tasks of reviewers still present stay where they are.
pub fn reassign_departed(held: &[HeldTask], reviewers: &[Reviewer]) -> Vec<Reassignment> {
    let mut orphans: Vec<&HeldTask> = held
        .iter()
        .filter(|h| !reviewers.iter().any(|r| r.account == h.reviewer))
        .collect();
    orphans.sort_by(|a, b| (&a.agent, &a.task_id).cmp(&(&b.agent, &b.task_id)));
    let agents: Vec<&str> = orphans.iter().map(|h| h.agent.as_str()).collect();
    let chosen = Desk::new(reviewers).place(&agents);
    orphans
        .into_iter()
        .zip(chosen)
        .map(|(h, to)| Reassignment {
            task_id: h.task_id.clone(),
            from: h.reviewer.clone(),
            to,
        })
        .collect()
}

/// The reviewers, sorted by account (ties go to the account that sorts first), with their loads.
struct Desk<'a> {
    accounts: Vec<&'a str>,
    /// The agent each reviewer is, whose calls it may not take.
    selves: Vec<Option<&'a str>>,
    loads: Vec<u64>,
}

impl<'a> Desk<'a> {
    fn new(reviewers: &'a [Reviewer]) -> Self {
        let mut sorted: Vec<&Reviewer> = reviewers.iter().collect();
        sorted.sort_by(|a, b| a.account.cmp(&b.account));
        sorted.dedup_by(|a, b| a.account == b.account);
        Self {
            accounts: sorted.iter().map(|r| r.account.as_str()).collect(),
            selves: sorted.iter().map(|r| r.agent.as_deref()).collect(),
            loads: sorted.iter().map(|r| u64::from(r.open_tasks)).collect(),
        }
    }

    fn may_take(&self, reviewer: usize, agent: &str) -> bool {
        self.selves.get(reviewer).is_some_and(|s| *s != Some(agent))
    }

    /// A reviewer for each task (given by its agent): first the least-loaded one who may take
    /// it, then moves along chains of tasks until no reviewer is two tasks above another it
    /// could hand work to. Without the second step an exclusion can strand load: with kim
    /// (agent x), lee (agent y) and park, x's calls fill lee and park before y's arrive.
    fn place(mut self, agents: &[&str]) -> Vec<Option<String>> {
        let mut chosen: Vec<Option<usize>> = vec![None; agents.len()];
        for (slot, agent) in chosen.iter_mut().zip(agents) {
            *slot = self.least_loaded(agent);
            if let Some(load) = slot.and_then(|r| self.loads.get_mut(r)) {
                *load += 1;
            }
        }
        while self.shift_one(agents, &mut chosen) {}
        chosen
            .into_iter()
            .map(|r| {
                r.and_then(|r| self.accounts.get(r))
                    .map(|a| (*a).to_owned())
            })
            .collect()
    }

    fn least_loaded(&self, agent: &str) -> Option<usize> {
        (0..self.accounts.len())
            .filter(|&r| self.may_take(r, agent))
            .min_by_key(|&r| (self.loads.get(r).copied().unwrap_or(u64::MAX), r))
    }

    /// Finds a chain of task moves from a busiest reviewer to one at least two tasks lighter
    /// and applies it; `false` when there is none (then the loads are as even as the
    /// exclusions allow). Each move lowers the sum of squared loads, so the loop ends.
    fn shift_one(&mut self, agents: &[&str], chosen: &mut [Option<usize>]) -> bool {
        let mut sources: Vec<usize> = (0..self.accounts.len()).collect();
        sources.sort_by_key(|&r| (std::cmp::Reverse(self.loads.get(r).copied()), r));
        for source in sources {
            if let Some(path) = self.chain_from(source, agents, chosen) {
                for (task, to) in path {
                    if let Some(slot) = chosen.get_mut(task) {
                        *slot = Some(to);
                    }
                }
                if let Some(load) = self.loads.get_mut(source) {
                    *load -= 1;
                }
                return true;
            }
        }
        false
    }

    /// Breadth-first over "a task of u may go to v": the moves (task, to) from `source` to the
    /// lightest reachable reviewer two tasks below it, whose load is raised here.
    fn chain_from(
        &mut self,
        source: usize,
        agents: &[&str],
        chosen: &[Option<usize>],
    ) -> Option<Vec<(usize, usize)>> {
        let top = self.loads.get(source).copied()?;
        let n = self.accounts.len();
        // prev[v] = (reviewer it came from, task moved)
        let mut prev: Vec<Option<(usize, usize)>> = vec![None; n];
        let mut seen = vec![false; n];
        let mut queue = std::collections::VecDeque::from([source]);
        if let Some(s) = seen.get_mut(source) {
            *s = true;
        }
        while let Some(u) = queue.pop_front() {
            for (task, (holder, agent)) in chosen.iter().zip(agents).enumerate() {
                if *holder != Some(u) {
                    continue;
                }
                for v in 0..n {
                    if seen.get(v).copied().unwrap_or(true) || !self.may_take(v, agent) {
                        continue;
                    }
                    if let (Some(s), Some(p)) = (seen.get_mut(v), prev.get_mut(v)) {
                        *s = true;
                        *p = Some((u, task));
                    }
                    queue.push_back(v);
                }
            }
        }
        let target = (0..n)
            .filter(|&v| v != source && seen.get(v).copied().unwrap_or(false))
            .filter(|&v| self.loads.get(v).is_some_and(|l| l + 2 <= top))
            .min_by_key(|&v| (self.loads.get(v).copied(), v))?;
        let mut path = Vec::new();
        let mut at = target;
        while at != source {
            let (from, task) = prev.get(at).copied().flatten()?;
            path.push((task, at));
            at = from;
        }
        if let Some(load) = self.loads.get_mut(target) {
            *load += 1;
        }
        Some(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reviewer(account: &str, agent: Option<&str>, open: u32) -> Reviewer {
        Reviewer {
            account: account.into(),
            agent: agent.map(Into::into),
            open_tasks: open,
        }
    }

    fn held(id: &str, agent: &str, reviewer: &str) -> HeldTask {
        HeldTask {
            task_id: id.into(),
            agent: agent.into(),
            reviewer: reviewer.into(),
        }
    }

    #[test]
    fn a_departed_reviewers_tasks_move_to_the_least_loaded_and_never_to_the_agent() {
        let reviewers = [
            reviewer("kim", Some("a1"), 0),
            reviewer("lee", None, 3),
            reviewer("park", None, 1),
        ];
        let held = [
            held("t1", "a1", "choi"),
            held("t2", "a2", "choi"),
            held("t3", "a3", "choi"),
            held("t4", "a1", "kim"),
        ];
        let moved = reassign_departed(&held, &reviewers);
        // kim's own task t4 stays (kim is still here); choi's three move.
        assert_eq!(moved.len(), 3);
        assert!(moved.iter().all(|m| m.from == "choi"));
        let to = |id: &str| moved.iter().find(|m| m.task_id == id).unwrap().to.clone();
        // t1 is a1's call: kim (agent a1) may not take it; park has the lighter desk.
        assert_eq!(to("t1").as_deref(), Some("park"));
        // Then kim (0) and park (2): kim, then kim again (1 < 2).
        assert_eq!(to("t2").as_deref(), Some("kim"));
        assert_eq!(to("t3").as_deref(), Some("kim"));
    }

    #[test]
    fn with_no_one_left_a_task_stays_unassigned() {
        let moved = reassign_departed(&[held("t1", "a1", "choi")], &[]);
        assert_eq!(moved[0].to, None);
        let only_self = [reviewer("kim", Some("a1"), 0)];
        let moved = reassign_departed(&[held("t1", "a1", "choi")], &only_self);
        assert_eq!(moved[0].to, None);
    }

    /// Loads after placing `agents`' tasks, busiest first.
    fn loads_of(reviewers: &[Reviewer], agents: &[&str], chosen: &[Option<String>]) -> Vec<u64> {
        let mut loads: Vec<u64> = reviewers
            .iter()
            .map(|r| {
                let new = chosen
                    .iter()
                    .filter(|c| c.as_deref() == Some(&r.account))
                    .count();
                u64::from(r.open_tasks) + new as u64
            })
            .collect();
        for (agent, c) in agents.iter().zip(chosen) {
            if let Some(account) = c {
                let r = reviewers.iter().find(|r| &r.account == account).unwrap();
                assert_ne!(
                    r.agent.as_deref(),
                    Some(*agent),
                    "{account} got its own call"
                );
            } else {
                assert!(reviewers.iter().all(|r| r.agent.as_deref() == Some(*agent)));
            }
        }
        loads.sort_unstable_by(|a, b| b.cmp(a));
        loads
    }

    /// The evenest loads any assignment reaches (busiest first, least in lexicographic order),
    /// by trying them all: the oracle for small cases.
    fn evenest(reviewers: &[Reviewer], agents: &[&str]) -> Vec<u64> {
        fn go(
            reviewers: &[Reviewer],
            agents: &[&str],
            loads: &mut Vec<u64>,
            best: &mut Option<Vec<u64>>,
        ) {
            let Some((agent, rest)) = agents.split_first() else {
                let mut sorted = loads.clone();
                sorted.sort_unstable_by(|a, b| b.cmp(a));
                if best.as_ref().is_none_or(|b| sorted < *b) {
                    *best = Some(sorted);
                }
                return;
            };
            let mut any = false;
            for (i, r) in reviewers.iter().enumerate() {
                if r.agent.as_deref() != Some(*agent) {
                    any = true;
                    loads[i] += 1;
                    go(reviewers, rest, loads, best);
                    loads[i] -= 1;
                }
            }
            if !any {
                go(reviewers, rest, loads, best);
            }
        }
        let mut loads: Vec<u64> = reviewers.iter().map(|r| u64::from(r.open_tasks)).collect();
        let mut best = None;
        go(reviewers, agents, &mut loads, &mut best);
        best.unwrap()
    }

    #[test]
    fn an_exclusion_does_not_strand_load() {
        // The greedy pass alone gives park 3, lee 2, kim 1; a chain of moves evens it to 2-2-2.
        let reviewers = [
            reviewer("kim", Some("x"), 0),
            reviewer("lee", Some("y"), 0),
            reviewer("park", None, 0),
        ];
        let agents = ["x", "x", "y", "y", "y", "y"];
        let chosen = Desk::new(&reviewers).place(&agents);
        assert_eq!(loads_of(&reviewers, &agents, &chosen), [2, 2, 2]);
    }

    #[test]
    fn placement_is_as_even_as_the_exclusions_allow() {
        // Random small cases against the exhaustive oracle.
        let names = ["a", "b", "c", "d"];
        let mut rng = crate::rng::SplitMix64::new(11);
        for case in 0..300 {
            let n_reviewers = 1 + rng.below(4) as usize;
            let reviewers: Vec<Reviewer> = (0..n_reviewers)
                .map(|i| {
                    let agent = match rng.below(3) {
                        0 => None,
                        _ => Some(names[rng.below(4) as usize]),
                    };
                    reviewer(&format!("r{i}"), agent, rng.below(3) as u32)
                })
                .collect();
            let n_tasks = rng.below(8) as usize;
            let agents: Vec<&str> = (0..n_tasks).map(|_| names[rng.below(4) as usize]).collect();
            let chosen = Desk::new(&reviewers).place(&agents);
            assert_eq!(
                loads_of(&reviewers, &agents, &chosen),
                evenest(&reviewers, &agents),
                "case {case}: {reviewers:?} {agents:?} -> {chosen:?}"
            );
        }
    }
}
