//! Turns a batch of CDR events into a few multi-row statements (one per kind) instead of one
//! round trip per event: the database sees about five statements per batch of 500 events.
//!
//! Events are grouped by kind and applied starts, then answers, then ends, which is the order a
//! call produces them, then CDR links (so a link may share a batch with its call's start), then
//! queue and agent events. Within a kind, repeated events for one call collapse the way applying
//! them one by one would: the last start wins, the first answer wins, the last end wins, links
//! merge (the last `Some` of each field wins), and an event id seen twice is inserted once.
//! The SQL text is shared by both backends (multi-row VALUES, ON CONFLICT, UPDATE ... FROM, RETURNING work
//! the same on SQLite >= 3.35 and PostgreSQL), and values bind through [`crate::db::DbTime`] and
//! [`crate::db::DbJson`], so [`crate::cdr::conn`] runs it on both.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::{
    AgentEventRecord, CallChannel, CdrEnd, CdrEvent, CdrLink, CdrStart, CdrTrunk, Leg,
    QueueEventRecord,
};

/// Keeps each statement well under SQLite's bound-parameter limit (32766).
pub(crate) const MAX_PARAMS: usize = 10_000;

/// Rows per statement for a table of `columns` bound columns.
pub(crate) fn rows_per_statement(columns: usize) -> usize {
    (MAX_PARAMS / columns).max(1)
}

pub(crate) const START_INSERT: &str =
    "INSERT INTO cdrs (call_id, caller, caller_name, callee, callee_name, started_at, answered_at) ";
/// Bound columns of [`START_INSERT`].
pub(crate) const START_COLUMNS: usize = 7;
/// A start arriving after its end (out of order) is still the authority on numbers and start.
pub(crate) const START_CONFLICT: &str = " ON CONFLICT (call_id) DO UPDATE SET
    caller = excluded.caller, caller_name = excluded.caller_name,
    callee = excluded.callee, callee_name = excluded.callee_name,
    started_at = excluded.started_at,
    answered_at = COALESCE(cdrs.answered_at, excluded.answered_at)";

/// Followed by `VALUES (call_id, at), ...` and [`ANSWER_TAIL`]; the first answer wins.
pub(crate) const ANSWER_HEAD: &str =
    "UPDATE cdrs SET answered_at = COALESCE(cdrs.answered_at, v.column2) FROM (";
pub(crate) const ANSWER_TAIL: &str = ") AS v WHERE cdrs.call_id = v.column1 RETURNING cdrs.call_id";

pub(crate) const END_INSERT: &str =
    "INSERT INTO cdrs (call_id, caller, callee, started_at, answered_at, ended_at,
                       disposition, sip_status, hangup_cause, hangup_side, recovered, vars) ";
/// Bound columns of [`END_INSERT`].
pub(crate) const END_COLUMNS: usize = 12;
/// An end for an unknown call inserts the whole row (numbers and times guessed from the legs).
pub(crate) const END_CONFLICT: &str = " ON CONFLICT (call_id) DO UPDATE SET
    answered_at = COALESCE(cdrs.answered_at, excluded.answered_at),
    ended_at = excluded.ended_at, disposition = excluded.disposition,
    sip_status = excluded.sip_status, hangup_cause = excluded.hangup_cause,
    hangup_side = excluded.hangup_side, recovered = FALSE, vars = excluded.vars";

/// Followed by the list of call ids and `)`: legs are replaced, never appended, so replaying
/// an end (writer retry) cannot duplicate them.
pub(crate) const LEGS_DELETE: &str = "DELETE FROM cdr_legs WHERE cdr_call_id IN (";
pub(crate) const LEGS_INSERT: &str =
    "INSERT INTO cdr_legs (cdr_call_id, seq, role, sip_call_id, peer, extension,
                           started_at, answered_at, ended_at, final_status) ";

/// A batch grouped by kind, deduplicated per call, in first-seen order.
#[derive(Debug, Default)]
pub(crate) struct Plan<'a> {
    pub starts: Vec<&'a CdrStart>,
    /// Parallel to `starts`: the answer of a call whose start is in the same batch, written in
    /// the start's row (one row write per call instead of two; the usual case, as a call's start
    /// and answer come milliseconds apart).
    pub start_answered: Vec<Option<DateTime<Utc>>>,
    pub answers: Vec<(&'a str, DateTime<Utc>)>,
    pub ends: Vec<&'a CdrEnd>,
    /// One merged link per call.
    pub links: Vec<LinkRow<'a>>,
    /// One trunk row per call: the last given, with the last DID given.
    pub trunks: Vec<TrunkRow<'a>>,
    pub queue_events: Vec<&'a QueueEventRecord>,
    pub agent_events: Vec<&'a AgentEventRecord>,
}

/// The links of one call in a batch, merged: for each column, the last `Some` given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LinkRow<'a> {
    pub call_id: &'a str,
    pub queue: Option<&'a str>,
    pub agent: Option<&'a str>,
    pub customer_id: Option<i64>,
    pub channel: Option<&'static str>,
}

impl<'a> LinkRow<'a> {
    fn merge(&mut self, l: &'a CdrLink) {
        self.queue = l.queue.as_deref().or(self.queue);
        self.agent = l.agent.as_deref().or(self.agent);
        self.customer_id = l.customer_id.or(self.customer_id);
        self.channel = l.channel.map(CallChannel::as_str).or(self.channel);
    }
}

/// The trunk columns of one call in a batch: the last event's, but a DID given earlier stays
/// when the last names none (as applying them one by one would leave it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TrunkRow<'a> {
    pub call_id: &'a str,
    pub direction: &'static str,
    pub trunk: &'a str,
    pub did: Option<&'a str>,
    pub caller_id: Option<&'a str>,
    pub dialled: Option<&'a str>,
}

impl<'a> TrunkRow<'a> {
    fn of(t: &'a CdrTrunk, earlier_did: Option<&'a str>) -> Self {
        TrunkRow {
            call_id: &t.call_id,
            direction: t.direction.as_str(),
            trunk: &t.trunk,
            did: t.did.as_deref().or(earlier_did),
            caller_id: t.caller_id.as_deref(),
            dialled: t.dialled.as_deref(),
        }
    }
}

/// What a transaction could not apply because the call has no CDR (logged and skipped).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Unapplied {
    /// Calls of answers with no CDR.
    pub answers: Vec<String>,
    /// Calls of links with no CDR.
    pub links: Vec<String>,
    /// Calls of trunk rows with no CDR.
    pub trunks: Vec<String>,
}

impl Unapplied {
    pub(crate) fn count(&self) -> usize {
        self.answers.len() + self.links.len() + self.trunks.len()
    }
}

/// One leg row to insert: owning call, position in the timeline, the leg.
pub(crate) type LegRow<'a> = (&'a str, i32, &'a Leg);

impl<'a> Plan<'a> {
    pub(crate) fn from_events(events: &'a [CdrEvent]) -> Self {
        let mut plan = Plan::default();
        let mut start_at: HashMap<&str, usize> = HashMap::new();
        let mut answered: HashSet<&str> = HashSet::new();
        let mut end_at: HashMap<&str, usize> = HashMap::new();
        let mut link_at: HashMap<&str, usize> = HashMap::new();
        let mut trunk_at: HashMap<&str, usize> = HashMap::new();
        // Queue and agent events live in different tables: separate id spaces.
        let mut queue_ids: HashSet<&str> = HashSet::new();
        let mut agent_ids: HashSet<&str> = HashSet::new();
        for ev in events {
            match ev {
                CdrEvent::Start(c) => match start_at.get(c.call_id.as_str()) {
                    Some(&i) => plan.starts[i] = c,
                    None => {
                        start_at.insert(&c.call_id, plan.starts.len());
                        plan.starts.push(c);
                    }
                },
                CdrEvent::Answer { call_id, at } => {
                    if answered.insert(call_id) {
                        plan.answers.push((call_id, *at));
                    }
                }
                CdrEvent::End(e) => match end_at.get(e.call_id.as_str()) {
                    Some(&i) => plan.ends[i] = e,
                    None => {
                        end_at.insert(&e.call_id, plan.ends.len());
                        plan.ends.push(e);
                    }
                },
                CdrEvent::Link(l) => plan.push_link(&mut link_at, l),
                CdrEvent::Trunk(t) => match trunk_at.get(t.call_id.as_str()) {
                    Some(&i) => plan.trunks[i] = TrunkRow::of(t, plan.trunks[i].did),
                    None => {
                        trunk_at.insert(&t.call_id, plan.trunks.len());
                        plan.trunks.push(TrunkRow::of(t, None));
                    }
                },
                CdrEvent::Queue(q) => {
                    if queue_ids.insert(&q.event_id) {
                        plan.queue_events.push(q);
                    }
                }
                CdrEvent::Agent(a) => {
                    if agent_ids.insert(&a.event_id) {
                        plan.agent_events.push(a);
                    }
                }
            }
        }
        plan.start_answered = vec![None; plan.starts.len()];
        for (call_id, at) in std::mem::take(&mut plan.answers) {
            match start_at.get(call_id) {
                Some(&i) => plan.start_answered[i] = Some(at),
                None => plan.answers.push((call_id, at)),
            }
        }
        plan
    }

    pub(crate) fn start(c: &'a CdrStart) -> Self {
        Plan {
            starts: vec![c],
            start_answered: vec![None],
            ..Plan::default()
        }
    }

    pub(crate) fn answer(call_id: &'a str, at: DateTime<Utc>) -> Self {
        Plan {
            answers: vec![(call_id, at)],
            ..Plan::default()
        }
    }

    pub(crate) fn link(l: &'a CdrLink) -> Self {
        let mut plan = Plan::default();
        plan.push_link(&mut HashMap::new(), l);
        plan
    }

    fn push_link(&mut self, link_at: &mut HashMap<&'a str, usize>, l: &'a CdrLink) {
        match link_at.get(l.call_id.as_str()) {
            Some(&i) => self.links[i].merge(l),
            None => {
                link_at.insert(&l.call_id, self.links.len());
                let mut row = LinkRow {
                    call_id: &l.call_id,
                    queue: None,
                    agent: None,
                    customer_id: None,
                    channel: None,
                };
                row.merge(l);
                self.links.push(row);
            }
        }
    }

    pub(crate) fn trunk(t: &'a CdrTrunk) -> Self {
        Plan {
            trunks: vec![TrunkRow::of(t, None)],
            ..Plan::default()
        }
    }

    pub(crate) fn end(e: &'a CdrEnd) -> Self {
        Plan {
            ends: vec![e],
            ..Plan::default()
        }
    }

    /// Every leg of every end, numbered within its call.
    pub(crate) fn leg_rows(&self) -> Vec<LegRow<'a>> {
        self.ends
            .iter()
            .flat_map(|e| {
                e.legs.iter().enumerate().map(|(seq, leg)| {
                    (
                        e.call_id.as_str(),
                        i32::try_from(seq).unwrap_or(i32::MAX),
                        leg,
                    )
                })
            })
            .collect()
    }
}

/// The answers whose call id the database did not report as updated.
pub(crate) fn unknown_answers<'a>(
    asked: &[(&'a str, DateTime<Utc>)],
    updated: &[String],
) -> Vec<&'a str> {
    let updated: HashSet<&str> = updated.iter().map(String::as_str).collect();
    asked
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| !updated.contains(id))
        .collect()
}

/// The calls of `asked` (links' or trunk rows' call ids) the database did not report as
/// updated.
pub(crate) fn unknown_calls<'a>(
    asked: impl IntoIterator<Item = &'a str>,
    updated: &[String],
) -> Vec<String> {
    let updated: HashSet<&str> = updated.iter().map(String::as_str).collect();
    asked
        .into_iter()
        .filter(|id| !updated.contains(id))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + s, 0)
            .single()
            .expect("valid time")
    }

    fn start(id: &str, s: i64) -> CdrEvent {
        CdrEvent::Start(CdrStart {
            call_id: id.into(),
            caller: "1".into(),
            caller_name: None,
            callee: "2".into(),
            callee_name: None,
            started_at: t(s),
        })
    }

    #[test]
    fn repeated_events_collapse_like_sequential_application() {
        let events = vec![
            start("a", 1),
            CdrEvent::Answer {
                call_id: "a".into(),
                at: t(5),
            },
            start("b", 2),
            start("a", 3),
            CdrEvent::Answer {
                call_id: "a".into(),
                at: t(9),
            },
        ];
        let plan = Plan::from_events(&events);
        let starts: Vec<_> = plan
            .starts
            .iter()
            .map(|c| (c.call_id.as_str(), c.started_at))
            .collect();
        assert_eq!(starts, [("a", t(3)), ("b", t(2))]);
        // a's answer rides in a's start row; nothing is left to update separately.
        assert_eq!(plan.start_answered, [Some(t(5)), None]);
        assert!(plan.answers.is_empty());
        assert!(plan.ends.is_empty());
    }

    #[test]
    fn an_answer_without_its_start_in_the_batch_stays_an_update() {
        let events = vec![
            start("b", 1),
            CdrEvent::Answer {
                call_id: "a".into(),
                at: t(5),
            },
        ];
        let plan = Plan::from_events(&events);
        assert_eq!(plan.start_answered, [None]);
        assert_eq!(plan.answers, [("a", t(5))]);
    }

    fn link(id: &str, queue: Option<&str>, agent: Option<&str>, customer: Option<i64>) -> CdrEvent {
        CdrEvent::Link(CdrLink {
            call_id: id.into(),
            queue: queue.map(Into::into),
            agent: agent.map(Into::into),
            customer_id: customer,
            channel: None,
        })
    }

    #[test]
    fn links_merge_per_call_and_event_ids_insert_once() {
        let enter = |id: &str| {
            CdrEvent::Queue(QueueEventRecord {
                event_id: id.into(),
                at: t(0),
                queue: "q".into(),
                call_id: "a".into(),
                kind: crate::QueueEventKind::Enter { position: 1 },
            })
        };
        let login = |id: &str| {
            CdrEvent::Agent(AgentEventRecord {
                event_id: id.into(),
                at: t(0),
                agent: "ag".into(),
                kind: crate::AgentEventKind::Login,
            })
        };
        let events = vec![
            link("a", Some("q1"), None, Some(7)),
            enter("e1"),
            link("b", None, Some("x"), None),
            link("a", Some("q2"), Some("ann"), None),
            enter("e1"),
            enter("e2"),
            login("e1"),
            login("e1"),
        ];
        let plan = Plan::from_events(&events);
        assert_eq!(
            plan.links,
            [
                LinkRow {
                    call_id: "a",
                    queue: Some("q2"),
                    agent: Some("ann"),
                    customer_id: Some(7),
                    channel: None
                },
                LinkRow {
                    call_id: "b",
                    queue: None,
                    agent: Some("x"),
                    customer_id: None,
                    channel: None
                },
            ]
        );
        let ids: Vec<_> = plan
            .queue_events
            .iter()
            .map(|q| q.event_id.as_str())
            .collect();
        assert_eq!(ids, ["e1", "e2"]);
        assert_eq!(plan.agent_events.len(), 1);
    }

    #[test]
    fn trunk_rows_keep_the_last_per_call_and_an_earlier_did() {
        let trunk = |id: &str, name: &str, did: Option<&str>, dialled: Option<&str>| {
            CdrEvent::Trunk(CdrTrunk {
                call_id: id.into(),
                direction: crate::CallDirection::Outbound,
                trunk: name.into(),
                did: did.map(Into::into),
                caller_id: None,
                dialled: dialled.map(Into::into),
            })
        };
        let events = vec![
            trunk("a", "carrier-a", Some("+8215880000"), Some("0212345678")),
            trunk("b", "carrier-a", None, None),
            trunk("a", "carrier-b", None, Some("+82212345678")),
        ];
        let plan = Plan::from_events(&events);
        assert_eq!(plan.trunks.len(), 2);
        let a = plan.trunks[0];
        assert_eq!(
            (a.call_id, a.trunk, a.did, a.dialled, a.direction),
            (
                "a",
                "carrier-b",
                Some("+8215880000"),
                Some("+82212345678"),
                "outbound"
            )
        );
        assert_eq!(
            unknown_calls(plan.trunks.iter().map(|t| t.call_id), &["a".into()]),
            ["b"]
        );
    }

    #[test]
    fn unknown_answers_are_those_not_updated() {
        let asked = [("a", t(0)), ("ghost", t(0)), ("b", t(0))];
        let updated = vec!["b".to_owned(), "a".to_owned()];
        assert_eq!(unknown_answers(&asked, &updated), ["ghost"]);
    }

    #[test]
    fn rows_per_statement_stays_under_the_parameter_limit() {
        assert_eq!(rows_per_statement(10) * 10, MAX_PARAMS);
        assert_eq!(rows_per_statement(MAX_PARAMS * 2), 1);
    }
}
