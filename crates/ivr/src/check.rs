//! Whole-set checks after compiling: unreachable steps (warnings) and loops that can never stop
//! because every step in them runs instantly and none leads out (errors).

use std::collections::{HashMap, HashSet};

use crate::model::{Plan, StepRef};

/// Where the step at `at` may go next (nothing for a ref outside `plans`).
fn successors(plans: &[Plan], at: StepRef) -> Vec<Option<StepRef>> {
    plans
        .get(at.plan)
        .and_then(|p| p.steps.get(at.step))
        .map(|s| s.kind.successors())
        .unwrap_or_default()
}

/// Steps no route, entry or other step can reach.
pub(crate) fn unreachable(plans: &[Plan], roots: &[StepRef]) -> Vec<StepRef> {
    let mut seen: HashSet<StepRef> = HashSet::new();
    let mut stack: Vec<StepRef> = roots.to_vec();
    while let Some(at) = stack.pop() {
        if !seen.insert(at) {
            continue;
        }
        stack.extend(successors(plans, at).into_iter().flatten());
    }
    let mut out = Vec::new();
    for (p, plan) in plans.iter().enumerate() {
        for s in 0..plan.steps.len() {
            let at = StepRef { plan: p, step: s };
            if !seen.contains(&at) {
                out.push(at);
            }
        }
    }
    out
}

/// Cycles made only of instant steps (no wait for input, no way out of the interpreter) with no
/// edge leaving the cycle: once entered, the call would spin forever. Each result is the
/// cycle's steps, sorted. Uses Tarjan's strongly connected components on the instant-step graph.
pub(crate) fn endless_loops(plans: &[Plan]) -> Vec<Vec<StepRef>> {
    let mut nodes = Vec::new();
    for (p, plan) in plans.iter().enumerate() {
        for (s, step) in plan.steps.iter().enumerate() {
            if !step.kind.waits_or_leaves() {
                nodes.push(StepRef { plan: p, step: s });
            }
        }
    }
    let index_of: HashMap<StepRef, usize> =
        nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let succ = |i: usize| -> Vec<Option<StepRef>> {
        nodes
            .get(i)
            .map(|&n| successors(plans, n))
            .unwrap_or_default()
    };
    let components = tarjan(nodes.len(), |i| {
        succ(i)
            .into_iter()
            .flatten()
            .filter_map(|t| index_of.get(&t).copied())
            .collect()
    });
    let mut out = Vec::new();
    for comp in components {
        let members: HashSet<usize> = comp.iter().copied().collect();
        let self_loop = match comp.as_slice() {
            [i] => nodes.get(*i).is_some_and(|n| succ(*i).contains(&Some(*n))),
            _ => false,
        };
        if comp.len() < 2 && !self_loop {
            continue;
        }
        // An exit is any successor outside the component, including the end of the plan.
        let has_exit = comp.iter().any(|&i| {
            succ(i).iter().any(|t| match t {
                None => true,
                Some(t) => index_of.get(t).is_none_or(|j| !members.contains(j)),
            })
        });
        if !has_exit {
            let mut steps: Vec<StepRef> =
                comp.iter().filter_map(|&i| nodes.get(i).copied()).collect();
            steps.sort();
            out.push(steps);
        }
    }
    out.sort();
    out
}

// Every vertex is below `n`: `edges` yields indices into the caller's `n` nodes, and the
// per-vertex vectors are allocated with `n` entries.
#[allow(clippy::indexing_slicing)] // vertex indices are < n, see above
fn tarjan(n: usize, edges: impl Fn(usize) -> Vec<usize>) -> Vec<Vec<usize>> {
    struct State {
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        out: Vec<Vec<usize>>,
    }
    fn visit(v: usize, st: &mut State, edges: &dyn Fn(usize) -> Vec<usize>) {
        st.index[v] = Some(st.next);
        st.low[v] = st.next;
        st.next += 1;
        st.stack.push(v);
        st.on_stack[v] = true;
        for w in edges(v) {
            match st.index[w] {
                None => {
                    visit(w, st, edges);
                    st.low[v] = st.low[v].min(st.low[w]);
                }
                Some(iw) if st.on_stack[w] => st.low[v] = st.low[v].min(iw),
                Some(_) => {}
            }
        }
        if Some(st.low[v]) == st.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = st.stack.pop() {
                st.on_stack[w] = false;
                comp.push(w);
                if w == v {
                    break;
                }
            }
            st.out.push(comp);
        }
    }
    let mut st = State {
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in 0..n {
        if st.index[v].is_none() {
            visit(v, &mut st, &edges);
        }
    }
    st.out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tarjan_finds_cycles_and_singletons() {
        // 0 -> 1 -> 2 -> 0, 2 -> 3, 3 alone.
        let edges = |v: usize| match v {
            0 => vec![1],
            1 => vec![2],
            2 => vec![0, 3],
            _ => vec![],
        };
        let mut comps = tarjan(4, edges);
        for c in &mut comps {
            c.sort();
        }
        comps.sort();
        assert_eq!(comps, vec![vec![0, 1, 2], vec![3]]);
    }
}
