//! SQL text for ACD history, shared by both backends (`$n` placeholders work on both). Reads
//! order by `(at, id)`:
//! `id` is insertion order, which breaks ties between events of the same instant.

/// Events are replayed after a failed or ambiguous commit; their ids make that a no-op.
pub(crate) const EVENT_CONFLICT: &str = " ON CONFLICT (event_id) DO NOTHING";

pub(crate) const QUEUE_EVENT_INSERT: &str =
    "INSERT INTO queue_events (event_id, at, queue, call_id, kind, agent, position, wait_ms,
                               talk_ms, hold_ms, rang_ms, ended_by, reason, target, key) ";
/// Bound columns of [`QUEUE_EVENT_INSERT`].
pub(crate) const QUEUE_EVENT_COLUMNS: usize = 15;

pub(crate) const AGENT_EVENT_INSERT: &str =
    "INSERT INTO agent_events (event_id, at, agent, kind, reason, from_state, to_state) ";
/// Bound columns of [`AGENT_EVENT_INSERT`].
pub(crate) const AGENT_EVENT_COLUMNS: usize = 7;

/// Followed by `VALUES (call_id, queue, agent, customer_id, channel), ...` and [`LINK_TAIL`]. NULL keeps
/// the stored value, so a link only ever fills in or replaces what it names.
pub(crate) const LINK_HEAD: &str = "UPDATE cdrs SET
    queue = COALESCE(v.column2, cdrs.queue),
    agent = COALESCE(v.column3, cdrs.agent),
    customer_id = COALESCE(v.column4, cdrs.customer_id),
    channel = COALESCE(v.column5, cdrs.channel) FROM (";
pub(crate) const LINK_TAIL: &str = ") AS v WHERE cdrs.call_id = v.column1 RETURNING cdrs.call_id";
/// Bound columns of a link row.
pub(crate) const LINK_COLUMNS: usize = 5;

const QUEUE_EVENT_SELECT: &str =
    "SELECT event_id, at, queue, call_id, kind, agent, position, wait_ms, talk_ms, hold_ms,
            rang_ms, ended_by, reason, target, key FROM queue_events";
const AGENT_EVENT_SELECT: &str =
    "SELECT event_id, at, agent, kind, reason, from_state, to_state FROM agent_events";

/// `$1`: call id.
pub(crate) fn queue_events_of_call() -> String {
    format!("{QUEUE_EVENT_SELECT} WHERE call_id = $1 ORDER BY at, id")
}

/// `$1 <= at < $2`, and `queue = $3` if `by_queue`.
pub(crate) fn queue_events_between(by_queue: bool) -> String {
    let queue = if by_queue { " AND queue = $3" } else { "" };
    format!("{QUEUE_EVENT_SELECT} WHERE at >= $1 AND at < $2{queue} ORDER BY at, id")
}

/// Followed by the bound list of call ids and [`QUEUE_EVENTS_OF_CALLS_TAIL`]: every event the
/// visits are folded from (all but rings, which they do not count) of these calls, in order.
pub(crate) fn queue_events_of_calls_head() -> String {
    format!("{QUEUE_EVENT_SELECT} WHERE call_id IN (")
}
pub(crate) const QUEUE_EVENTS_OF_CALLS_TAIL: &str =
    ") AND kind NOT IN ('ring', 'ring_no_answer') ORDER BY at, id";

/// Per agent and kind, the `complete` and `ring_no_answer` events with `$1 <= at < $2` (of
/// agent `$3` if `by_agent`): how many, and their hold time in milliseconds.
pub(crate) fn agent_call_totals(by_agent: bool) -> String {
    let agent = if by_agent { " AND agent = $3" } else { "" };
    format!(
        "SELECT agent, kind, COUNT(*) AS n, CAST(COALESCE(SUM(hold_ms), 0) AS BIGINT) AS hold_ms
         FROM queue_events
         WHERE kind IN ('complete', 'ring_no_answer') AND at >= $1 AND at < $2{agent}
           AND agent IS NOT NULL
         GROUP BY agent, kind"
    )
}

/// The last `pause` event of agent `$2` before `$1`: the reason of a pause running when a
/// report window opens.
pub(crate) fn last_pause_before() -> String {
    format!(
        "{AGENT_EVENT_SELECT} WHERE agent = $2 AND kind = 'pause' AND at < $1
         ORDER BY at DESC, id DESC LIMIT 1"
    )
}

/// `$1 <= at < $2`, and `agent = $3` if `by_agent`.
pub(crate) fn agent_events_between(by_agent: bool) -> String {
    let agent = if by_agent { " AND agent = $3" } else { "" };
    format!("{AGENT_EVENT_SELECT} WHERE at >= $1 AND at < $2{agent} ORDER BY at, id")
}

/// The state and pause events of agent `$1` with `at >= $2`, in order: what an agent's
/// quarter hours are recomputed from (`acd::agent_buckets`).
pub(crate) fn agent_spans_from() -> String {
    format!(
        "{AGENT_EVENT_SELECT} WHERE agent = $1 AND at >= $2 AND kind IN ('state', 'pause')
         ORDER BY at, id"
    )
}

/// The last state change before `$1` of every agent (of agent `$2` if `by_agent`): the state
/// each agent was in when a report window opens, however long ago it began. Agents are
/// enumerated with a recursive skip over the `(agent, at)` index (a loose index scan), so the
/// cost grows with the number of agents, not with the history.
pub(crate) fn last_states_before(by_agent: bool) -> String {
    let last_of = |agent: &str| {
        format!(
            "SELECT l.id FROM agent_events l
             WHERE l.agent = {agent} AND l.kind = 'state' AND l.at < $1
             ORDER BY l.at DESC, l.id DESC LIMIT 1"
        )
    };
    if by_agent {
        return format!("{AGENT_EVENT_SELECT} WHERE id IN ({})", last_of("$2"));
    }
    format!(
        "WITH RECURSIVE agents (name) AS (
            SELECT MIN(agent) FROM agent_events
            UNION ALL
            SELECT (SELECT MIN(a.agent) FROM agent_events a WHERE a.agent > agents.name)
            FROM agents WHERE agents.name IS NOT NULL
         )
         {AGENT_EVENT_SELECT} WHERE id IN (
            SELECT ({}) FROM agents WHERE agents.name IS NOT NULL
         ) ORDER BY agent",
        last_of("agents.name")
    )
}
