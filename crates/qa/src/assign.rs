//! Who reviews what: tasks spread over the reviewers, fewest tasks first, never to the agent's
//! own account.
//!
//! The tasks that exclude a reviewer (an agent who is also a reviewer) are placed first, while
//! the others still have room to even the counts out; ties go to the reviewer whose account
//! sorts first, so the same tasks and reviewers give the same assignment.

use std::collections::BTreeMap;

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
    let mut desk = Desk::new(reviewers);
    let mut order: Vec<usize> = (0..tasks.len()).collect();
    // Constrained first, then by agent and call: a fixed order for a fixed input.
    order.sort_by_key(|&i| {
        let t = tasks.get(i);
        (
            !t.is_some_and(|t| desk.excludes_someone(&t.agent)),
            t.map(|t| (t.agent.clone(), t.call_id.clone())),
        )
    });
    for i in order {
        if let Some(task) = tasks.get_mut(i) {
            task.reviewer = desk.take(&task.agent);
        }
    }
}

/// Moves the tasks of reviewers who are no longer in `reviewers` to those who are, by the same
/// rules as a new draw; tasks of reviewers still present stay where they are.
pub fn reassign_departed(held: &[HeldTask], reviewers: &[Reviewer]) -> Vec<Reassignment> {
    let mut desk = Desk::new(reviewers);
    let mut orphans: Vec<&HeldTask> = held
        .iter()
        .filter(|h| !reviewers.iter().any(|r| r.account == h.reviewer))
        .collect();
    orphans.sort_by_key(|h| {
        (
            !desk.excludes_someone(&h.agent),
            h.agent.clone(),
            h.task_id.clone(),
        )
    });
    orphans
        .into_iter()
        .map(|h| Reassignment {
            task_id: h.task_id.clone(),
            from: h.reviewer.clone(),
            to: desk.take(&h.agent),
        })
        .collect()
}

/// The reviewers' running counts.
struct Desk<'a> {
    /// account → (tasks, agent id); a BTreeMap so ties go to the account that sorts first.
    load: BTreeMap<&'a str, (u64, Option<&'a str>)>,
}

impl<'a> Desk<'a> {
    fn new(reviewers: &'a [Reviewer]) -> Self {
        let load = reviewers
            .iter()
            .map(|r| {
                (
                    r.account.as_str(),
                    (u64::from(r.open_tasks), r.agent.as_deref()),
                )
            })
            .collect();
        Self { load }
    }

    fn excludes_someone(&self, agent: &str) -> bool {
        self.load.values().any(|(_, a)| *a == Some(agent))
    }

    /// The least-loaded reviewer who is not `agent`, now one task busier.
    fn take(&mut self, agent: &str) -> Option<String> {
        let (account, entry) = self
            .load
            .iter_mut()
            .filter(|(_, (_, a))| *a != Some(agent))
            .min_by_key(|(account, (n, _))| (*n, **account))?;
        entry.0 += 1;
        Some((*account).to_owned())
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
}
