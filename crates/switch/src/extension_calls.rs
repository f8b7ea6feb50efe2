//! How many calls in progress each extension places or receives, kept as calls start, end
//! and change callee, for the per-extension cap (`limits.rs`). Counting by scanning every
//! call cost each INVITE two passes over all calls (about 8 % of a call's instructions with
//! 1 000 calls up, measured with `benches/calls.rs`); this makes it one map lookup.
//!
//! A call counts for its caller's and its callee's number (once when they are the same)
//! from the moment it is stored until its phase becomes `Ended`; a call never leaves `Ended`
//! and only ended calls are removed, so the three changes below are all there is to follow.
//! Debug builds check every count against a scan (`Switch::calls_of`).

use super::call::{Call, Phase};
use std::collections::HashMap;

#[derive(Debug, Default)]
pub(super) struct ExtensionCalls(HashMap<String, usize>);

impl ExtensionCalls {
    /// Calls in progress that `number` placed or is called in.
    pub(super) fn count(&self, number: &str) -> usize {
        self.0.get(number).copied().unwrap_or(0)
    }

    /// A call is stored.
    pub(super) fn started(&mut self, call: &Call) {
        if call.phase != Phase::Ended {
            self.add(&call.caller.number, &call.callee.number);
        }
    }

    /// Ends `call` (its phase becomes `Ended`); ending an ended call changes nothing.
    pub(super) fn end(&mut self, call: &mut Call) {
        if call.phase != Phase::Ended {
            self.remove(&call.caller.number, &call.callee.number);
        }
        call.phase = Phase::Ended;
    }

    /// `call` now rings `number` (a plan's dial, a queue's agent, a carrier's number).
    pub(super) fn set_callee(&mut self, call: &mut Call, number: String) {
        if call.phase != Phase::Ended {
            self.remove(&call.caller.number, &call.callee.number);
            self.add(&call.caller.number, &number);
        }
        call.callee.number = number;
    }

    fn add(&mut self, caller: &str, callee: &str) {
        for number in Self::parties(caller, callee) {
            *self.0.entry(number.to_owned()).or_insert(0) += 1;
        }
    }

    fn remove(&mut self, caller: &str, callee: &str) {
        for number in Self::parties(caller, callee) {
            if let Some(n) = self.0.get_mut(number) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.0.remove(number);
                }
            }
        }
    }

    /// The numbers a call counts for: both, or one when the caller calls itself.
    fn parties<'a>(caller: &'a str, callee: &'a str) -> impl Iterator<Item = &'a str> {
        std::iter::once(caller).chain((callee != caller).then_some(callee))
    }
}
