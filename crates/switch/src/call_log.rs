//! One `info` line per step of a call an operator follows: its start (caller, dialled, route),
//! the queue it enters, the agent who takes it, a plan's dial, and its end (disposition, cause,
//! duration); each carries the CDR id (`cdr=`), the id the API, the CRM and the recordings use,
//! so `grep <cdr id>` gives the call's story. Digits and IVR steps are at `debug`.

use super::call::{Call, Route};
use crate::records::{Disposition, HangupSide};
use std::time::Instant;

/// What the dialled number was, for the start line: `extension`, `feature`, `queue`,
/// `dialplan` or `agent-pin` (and `callback` for the calls the switch places); with the queue
/// or `plan:step` where there is one.
fn route(route: &Route) -> (&'static str, Option<String>) {
    match route {
        Route::Extension => ("extension", None),
        Route::Feature(_) => ("feature", None),
        Route::QueueNumber(queue) => ("queue", Some(queue.clone())),
        Route::Dialplan(session) => ("dialplan", session.position()),
        Route::AgentPin(_) => ("agent-pin", None),
        Route::Monitor(agent) => ("monitor", Some(agent.clone())),
        Route::Consult(agent) => ("consult", Some(agent.clone())),
    }
}

pub(super) fn start(call: &Call) {
    // A callback's first leg is the agent (the caller field is the customer to dial).
    let (kind, target) = match &call.queue {
        Some(q) if call.callback.is_some() => ("callback", Some(q.queue.clone())),
        _ => route(&call.route),
    };
    tracing::info!(
        cdr = %call.cdr_id,
        caller = %call.caller.number,
        dialled = %call.callee.number,
        route = %kind,
        target = %target.as_deref().unwrap_or("-"),
        "call start"
    );
}

pub(super) fn queued(call: &Call, queue: &str, priority: i32) {
    tracing::info!(cdr = %call.cdr_id, %queue, priority, "call queued");
}

/// `waited_total_ms`: since the call started, IVR included.
pub(super) fn agent_answered(call: &Call, agent: &str, extension: &str, waited_total_ms: u128) {
    tracing::info!(cdr = %call.cdr_id, %agent, %extension, waited_total_ms, "call answered by agent");
}

/// A digit from the caller, at `debug`.
pub(super) fn digit(call: &Call, digit: char, via_info: bool) {
    tracing::debug!(
        cdr = %call.cdr_id,
        %digit,
        via = %if via_info { "info" } else { "media" },
        "call digit"
    );
}

/// A step of the call's plan, at `debug`.
pub(super) fn ivr_step(call: &Call, action: &ivr::Action) {
    tracing::debug!(
        cdr = %call.cdr_id,
        at = %call.route.plan().and_then(|s| s.position()).as_deref().unwrap_or("-"),
        ?action,
        "call plan step"
    );
}

pub(super) fn plan_dials(call: &Call, extension: &str) {
    tracing::info!(
        cdr = %call.cdr_id,
        %extension,
        at = %call.route.plan().and_then(|s| s.position()).as_deref().unwrap_or("-"),
        "call dials from the plan"
    );
}

pub(super) fn end(
    call: &Call,
    now: Instant,
    disposition: Disposition,
    status: u16,
    cause: &str,
    side: Option<HangupSide>,
) {
    let side = match side {
        Some(HangupSide::Caller) => "caller",
        Some(HangupSide::Callee) => "callee",
        Some(HangupSide::Switch) => "switch",
        None => "-",
    };
    tracing::info!(
        cdr = %call.cdr_id,
        disposition = %disposition.as_str(),
        status,
        %cause,
        ended_by = %side,
        duration_ms = now.saturating_duration_since(call.started).as_millis(),
        "call end"
    );
}
