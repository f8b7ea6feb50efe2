//! Queue visits: one call's stay in one queue (or its refusal on arrival), folded from the
//! call's queue events. The CDR writer folds a call's events into visits each time one of them
//! arrives and stores them (`queue_visits`, migration 0023, see [`crate::acd::visit_store`]);
//! the queue report counts the stored visits. This fold is the only place events become
//! outcomes.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::{CrmError, QueueEventKind, QueueEventRecord};

/// How a visit ended, with the wait that ended in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Waiting,
    Answered(Duration),
    Abandoned(Duration),
    Overflowed(Duration),
    Exited(Duration),
    /// Moved to another queue while waiting, after this long here.
    TransferredWaiting(Duration),
}

impl Outcome {
    /// The stored name (`queue_visits.outcome`) and wait.
    pub(crate) fn stored(self) -> (&'static str, Option<Duration>) {
        match self {
            Outcome::Waiting => ("waiting", None),
            Outcome::Answered(w) => ("answered", Some(w)),
            Outcome::Abandoned(w) => ("abandoned", Some(w)),
            Outcome::Overflowed(w) => ("overflowed", Some(w)),
            Outcome::Exited(w) => ("exited", Some(w)),
            Outcome::TransferredWaiting(w) => ("transferred", Some(w)),
        }
    }

    /// Back from [`Outcome::stored`]; a wait missing where one is due reads as zero.
    pub(crate) fn from_stored(name: &str, wait: Option<Duration>) -> Result<Self, CrmError> {
        let w = wait.unwrap_or_default();
        Ok(match name {
            "waiting" => Outcome::Waiting,
            "answered" => Outcome::Answered(w),
            "abandoned" => Outcome::Abandoned(w),
            "overflowed" => Outcome::Overflowed(w),
            "exited" => Outcome::Exited(w),
            "transferred" => Outcome::TransferredWaiting(w),
            other => {
                return Err(CrmError::CorruptValue {
                    column: "outcome",
                    value: other.to_owned(),
                })
            }
        })
    }
}

/// The conversation of a visit, once completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Completion {
    pub agent: String,
    /// When the conversation ended.
    pub at: DateTime<Utc>,
    /// Talk, hold included.
    pub talk: Duration,
    pub hold: Duration,
    /// The agent's wrap-up after it (zero if the agent went elsewhere than wrap_up); `None`
    /// until the state changes that bound it are known.
    pub wrap: Option<Duration>,
}

/// One visit: what the queue report counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueueVisit {
    pub call_id: String,
    pub queue: String,
    /// When it entered (for a call refused on arrival: when it was refused).
    pub entered: DateTime<Utc>,
    /// False for a call refused on arrival (overflow without enter).
    pub offered: bool,
    pub outcome: Outcome,
    pub transferred: bool,
    pub callback: bool,
    pub completed: Option<Completion>,
}

impl QueueVisit {
    fn new(e: &QueueEventRecord, offered: bool) -> Self {
        QueueVisit {
            call_id: e.call_id.clone(),
            queue: e.queue.clone(),
            entered: e.at,
            offered,
            outcome: Outcome::Waiting,
            transferred: false,
            callback: false,
            completed: None,
        }
    }
}

/// Folds events (ordered by time, then insertion; any number of calls) into visits, with
/// wrap-ups unknown.
pub(crate) fn fold(events: &[QueueEventRecord]) -> Vec<QueueVisit> {
    let mut out: Vec<QueueVisit> = Vec::new();
    let mut open: HashMap<(&str, &str), usize> = HashMap::new();
    for e in events {
        let key = (e.call_id.as_str(), e.queue.as_str());
        if let QueueEventKind::Enter { .. } = e.kind {
            open.insert(key, out.len());
            out.push(QueueVisit::new(e, true));
            continue;
        }
        let current = open.get(&key).copied();
        if let QueueEventKind::Overflow { wait, .. } = e.kind {
            match current.filter(|&i| out[i].outcome == Outcome::Waiting) {
                Some(i) => out[i].outcome = Outcome::Overflowed(wait),
                None => {
                    let mut v = QueueVisit::new(e, false);
                    v.outcome = Outcome::Overflowed(wait);
                    open.insert(key, out.len());
                    out.push(v);
                }
            }
            continue;
        }
        // Anything else belongs to the call's last visit of this queue; without one (its
        // enter is not among the events) it is ignored.
        let Some(v) = current.map(|i| &mut out[i]) else {
            continue;
        };
        match &e.kind {
            QueueEventKind::Connect { wait, .. } => v.outcome = Outcome::Answered(*wait),
            QueueEventKind::Abandon { wait, .. } => v.outcome = Outcome::Abandoned(*wait),
            QueueEventKind::ExitKey { wait, .. } => v.outcome = Outcome::Exited(*wait),
            QueueEventKind::Callback { .. } => v.callback = true,
            QueueEventKind::Transfer { .. } => {
                v.transferred = true;
                if v.outcome == Outcome::Waiting {
                    let here = (e.at - v.entered).to_std().unwrap_or_default();
                    v.outcome = Outcome::TransferredWaiting(here);
                }
            }
            QueueEventKind::Complete {
                agent, talk, hold, ..
            } => {
                v.completed = Some(Completion {
                    agent: agent.clone(),
                    at: e.at,
                    talk: *talk,
                    hold: *hold,
                    wrap: None,
                });
            }
            // A consultation changes none of the visit's counts: the call stays answered by
            // its agent, whose `Complete` follows an attended transfer as after any call.
            QueueEventKind::ConsultStart { .. }
            | QueueEventKind::ConsultEnd { .. }
            | QueueEventKind::AttendedTransfer { .. }
            | QueueEventKind::Conference { .. } => {}
            _ => {}
        }
    }
    out
}
