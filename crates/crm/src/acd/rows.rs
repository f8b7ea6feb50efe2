//! ACD history records as plain table columns, shared by both backends: the kind-dependent
//! columns to bind when writing, and rows decoded back into records (a missing or malformed
//! column is a [`CrmError::CorruptValue`], never a panic).

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::{
    AgentEventKind, AgentEventRecord, AgentStateName, CrmError, EndedBy, OverflowReason,
    QueueEventKind, QueueEventRecord,
};

/// Whole milliseconds for storage, saturating.
pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A `queue_events` row as plain columns, the same for both backends (times already decoded).
#[derive(Debug, Default)]
pub(crate) struct QueueEventRow {
    pub event_id: String,
    pub at: DateTime<Utc>,
    pub queue: String,
    pub call_id: String,
    pub kind: String,
    pub agent: Option<String>,
    pub position: Option<i64>,
    pub wait_ms: Option<i64>,
    pub talk_ms: Option<i64>,
    /// NULL in rows written before hold was tracked: read as no hold.
    pub hold_ms: Option<i64>,
    pub rang_ms: Option<i64>,
    pub ended_by: Option<String>,
    pub reason: Option<String>,
    pub target: Option<String>,
    pub key: Option<String>,
}

/// The kind-dependent columns of a queue event, for binding.
#[derive(Debug, Default)]
pub(crate) struct QueueEventColumns<'a> {
    pub agent: Option<&'a str>,
    pub position: Option<i64>,
    pub wait_ms: Option<i64>,
    pub talk_ms: Option<i64>,
    pub hold_ms: Option<i64>,
    pub rang_ms: Option<i64>,
    pub ended_by: Option<&'static str>,
    pub reason: Option<&'static str>,
    pub target: Option<&'a str>,
    pub key: Option<String>,
}

impl QueueEventKind {
    pub(crate) fn columns(&self) -> QueueEventColumns<'_> {
        let agent = self.agent();
        let c = QueueEventColumns {
            agent,
            ..QueueEventColumns::default()
        };
        match self {
            QueueEventKind::Enter { position } => QueueEventColumns {
                position: Some(i64::from(*position)),
                ..c
            },
            QueueEventKind::Ring { .. } => c,
            QueueEventKind::RingNoAnswer { rang, .. } => QueueEventColumns {
                rang_ms: Some(millis(*rang)),
                ..c
            },
            QueueEventKind::Connect { wait, .. } => QueueEventColumns {
                wait_ms: Some(millis(*wait)),
                ..c
            },
            QueueEventKind::Complete {
                talk,
                hold,
                ended_by,
                ..
            } => QueueEventColumns {
                talk_ms: Some(millis(*talk)),
                hold_ms: Some(millis(*hold)),
                ended_by: Some(ended_by.as_str()),
                ..c
            },
            QueueEventKind::Abandon { position, wait } => QueueEventColumns {
                position: Some(i64::from(*position)),
                wait_ms: Some(millis(*wait)),
                ..c
            },
            QueueEventKind::Overflow {
                reason,
                target,
                wait,
            } => QueueEventColumns {
                reason: Some(reason.as_str()),
                target: target.as_deref(),
                wait_ms: Some(millis(*wait)),
                ..c
            },
            QueueEventKind::ExitKey { key, wait } => QueueEventColumns {
                key: Some(key.to_string()),
                wait_ms: Some(millis(*wait)),
                ..c
            },
            QueueEventKind::Callback { number } => QueueEventColumns {
                target: Some(number),
                ..c
            },
            QueueEventKind::Transfer { to_queue } => QueueEventColumns {
                target: Some(to_queue),
                ..c
            },
            QueueEventKind::ConsultStart { target, .. }
            | QueueEventKind::Conference { target, .. } => QueueEventColumns {
                target: Some(target),
                ..c
            },
            // The consultation's talk goes in `talk_ms`.
            QueueEventKind::ConsultEnd {
                target, consult, ..
            }
            | QueueEventKind::AttendedTransfer {
                target, consult, ..
            } => QueueEventColumns {
                target: Some(target),
                talk_ms: Some(millis(*consult)),
                ..c
            },
        }
    }
}

fn required<T>(column: &'static str, v: Option<T>) -> Result<T, CrmError> {
    v.ok_or(CrmError::CorruptValue {
        column,
        value: "NULL".into(),
    })
}

fn duration(column: &'static str, ms: Option<i64>) -> Result<Duration, CrmError> {
    let ms = required(column, ms)?;
    u64::try_from(ms)
        .map(Duration::from_millis)
        .map_err(|_| CrmError::CorruptValue {
            column,
            value: ms.to_string(),
        })
}

fn position(v: Option<i64>) -> Result<u32, CrmError> {
    let v = required("position", v)?;
    u32::try_from(v).map_err(|_| CrmError::CorruptValue {
        column: "position",
        value: v.to_string(),
    })
}

impl QueueEventRow {
    pub(crate) fn into_record(self) -> Result<QueueEventRecord, CrmError> {
        let agent = || required("agent", self.agent.clone());
        let kind = match self.kind.as_str() {
            "enter" => QueueEventKind::Enter {
                position: position(self.position)?,
            },
            "ring" => QueueEventKind::Ring { agent: agent()? },
            "ring_no_answer" => QueueEventKind::RingNoAnswer {
                agent: agent()?,
                rang: duration("rang_ms", self.rang_ms)?,
            },
            "connect" => QueueEventKind::Connect {
                agent: agent()?,
                wait: duration("wait_ms", self.wait_ms)?,
            },
            "complete" => QueueEventKind::Complete {
                agent: agent()?,
                talk: duration("talk_ms", self.talk_ms)?,
                hold: match self.hold_ms {
                    Some(_) => duration("hold_ms", self.hold_ms)?,
                    None => Duration::ZERO,
                },
                ended_by: EndedBy::from_stored(&required("ended_by", self.ended_by.clone())?)?,
            },
            "abandon" => QueueEventKind::Abandon {
                position: position(self.position)?,
                wait: duration("wait_ms", self.wait_ms)?,
            },
            "overflow" => QueueEventKind::Overflow {
                reason: OverflowReason::from_stored(&required("reason", self.reason.clone())?)?,
                target: self.target.clone(),
                wait: duration("wait_ms", self.wait_ms)?,
            },
            "exit_key" => {
                let text = required("key", self.key.clone())?;
                let mut chars = text.chars();
                let key = match (chars.next(), chars.next()) {
                    (Some(k), None) => k,
                    _ => {
                        return Err(CrmError::CorruptValue {
                            column: "key",
                            value: text,
                        })
                    }
                };
                QueueEventKind::ExitKey {
                    key,
                    wait: duration("wait_ms", self.wait_ms)?,
                }
            }
            "callback" => QueueEventKind::Callback {
                number: required("target", self.target.clone())?,
            },
            "transfer" => QueueEventKind::Transfer {
                to_queue: required("target", self.target.clone())?,
            },
            "consult_start" => QueueEventKind::ConsultStart {
                agent: agent()?,
                target: required("target", self.target.clone())?,
            },
            "consult_end" => QueueEventKind::ConsultEnd {
                agent: agent()?,
                target: required("target", self.target.clone())?,
                consult: duration("talk_ms", self.talk_ms)?,
            },
            "attended_transfer" => QueueEventKind::AttendedTransfer {
                agent: agent()?,
                target: required("target", self.target.clone())?,
                consult: duration("talk_ms", self.talk_ms)?,
            },
            "conference" => QueueEventKind::Conference {
                agent: agent()?,
                target: required("target", self.target.clone())?,
            },
            other => {
                return Err(CrmError::CorruptValue {
                    column: "kind",
                    value: other.to_owned(),
                })
            }
        };
        Ok(QueueEventRecord {
            event_id: self.event_id,
            at: self.at,
            queue: self.queue,
            call_id: self.call_id,
            kind,
        })
    }
}

/// An `agent_events` row as plain columns (times already decoded).
#[derive(Debug)]
pub(crate) struct AgentEventRow {
    pub event_id: String,
    pub at: DateTime<Utc>,
    pub agent: String,
    pub kind: String,
    pub reason: Option<String>,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
}

impl AgentEventKind {
    /// `(reason, from_state, to_state)` for binding.
    pub(crate) fn columns(&self) -> (Option<&str>, Option<&'static str>, Option<&'static str>) {
        match self {
            AgentEventKind::Pause { reason } => (Some(reason), None, None),
            AgentEventKind::State { from, to } => (None, Some(from.as_str()), Some(to.as_str())),
            AgentEventKind::Login | AgentEventKind::Logout | AgentEventKind::Unpause => {
                (None, None, None)
            }
        }
    }
}

impl AgentEventRow {
    pub(crate) fn into_record(self) -> Result<AgentEventRecord, CrmError> {
        let kind = match self.kind.as_str() {
            "login" => AgentEventKind::Login,
            "logout" => AgentEventKind::Logout,
            "pause" => AgentEventKind::Pause {
                reason: required("reason", self.reason)?,
            },
            "unpause" => AgentEventKind::Unpause,
            "state" => AgentEventKind::State {
                from: AgentStateName::from_stored(&required("from_state", self.from_state)?)?,
                to: AgentStateName::from_stored(&required("to_state", self.to_state)?)?,
            },
            other => {
                return Err(CrmError::CorruptValue {
                    column: "kind",
                    value: other.to_owned(),
                })
            }
        };
        Ok(AgentEventRecord {
            event_id: self.event_id,
            at: self.at,
            agent: self.agent,
            kind,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(kind: QueueEventKind) -> Result<QueueEventKind, CrmError> {
        let c = kind.columns();
        let row = QueueEventRow {
            kind: kind.as_str().to_owned(),
            agent: c.agent.map(str::to_owned),
            position: c.position,
            wait_ms: c.wait_ms,
            talk_ms: c.talk_ms,
            hold_ms: c.hold_ms,
            rang_ms: c.rang_ms,
            ended_by: c.ended_by.map(str::to_owned),
            reason: c.reason.map(str::to_owned),
            target: c.target.map(str::to_owned),
            key: c.key,
            ..QueueEventRow::default()
        };
        row.into_record().map(|r| r.kind)
    }

    #[test]
    fn every_queue_kind_survives_its_columns() -> Result<(), CrmError> {
        let s = Duration::from_millis;
        let kinds = [
            QueueEventKind::Enter { position: 3 },
            QueueEventKind::Ring { agent: "a".into() },
            QueueEventKind::RingNoAnswer {
                agent: "a".into(),
                rang: s(15_000),
            },
            QueueEventKind::Connect {
                agent: "a".into(),
                wait: s(1_234),
            },
            QueueEventKind::Complete {
                agent: "a".into(),
                talk: s(60_000),
                hold: s(12_500),
                ended_by: EndedBy::Switch,
            },
            QueueEventKind::Abandon {
                position: 1,
                wait: s(4_999),
            },
            QueueEventKind::Overflow {
                reason: OverflowReason::LeaveEmpty,
                target: None,
                wait: s(0),
            },
            QueueEventKind::ExitKey {
                key: '#',
                wait: s(7),
            },
            QueueEventKind::Callback {
                number: "+4930".into(),
            },
            QueueEventKind::Transfer {
                to_queue: "sales".into(),
            },
            QueueEventKind::ConsultStart {
                agent: "a".into(),
                target: "1003".into(),
            },
            QueueEventKind::ConsultEnd {
                agent: "a".into(),
                target: "b".into(),
                consult: s(9_000),
            },
            QueueEventKind::AttendedTransfer {
                agent: "a".into(),
                target: "+4930123".into(),
                consult: s(0),
            },
            QueueEventKind::Conference {
                agent: "a".into(),
                target: "b".into(),
            },
        ];
        for k in kinds {
            assert_eq!(round_trip(k.clone())?, k);
        }
        Ok(())
    }

    #[test]
    fn missing_or_bad_columns_are_corrupt_values() {
        let row = |kind: &str| QueueEventRow {
            kind: kind.into(),
            ..QueueEventRow::default()
        };
        assert!(matches!(
            row("connect").into_record(),
            Err(CrmError::CorruptValue {
                column: "agent",
                ..
            })
        ));
        assert!(matches!(
            row("bogus").into_record(),
            Err(CrmError::CorruptValue { column: "kind", .. })
        ));
        let negative = QueueEventRow {
            wait_ms: Some(-1),
            position: Some(1),
            ..row("abandon")
        };
        assert!(matches!(
            negative.into_record(),
            Err(CrmError::CorruptValue {
                column: "wait_ms",
                ..
            })
        ));
        let two_keys = QueueEventRow {
            key: Some("12".into()),
            wait_ms: Some(0),
            ..row("exit_key")
        };
        assert!(matches!(
            two_keys.into_record(),
            Err(CrmError::CorruptValue { column: "key", .. })
        ));
    }

    #[test]
    fn sub_millisecond_durations_are_truncated() {
        assert_eq!(millis(Duration::from_micros(1_999)), 1);
        assert_eq!(millis(Duration::MAX), i64::MAX);
    }
}
