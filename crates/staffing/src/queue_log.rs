//! Asterisk `queue_log` export: queue and agent events written as the pipe-separated lines
//! existing reporting tools read, `epoch|callid|queue|agent|EVENT|data1|data2|...` (the event
//! list is Asterisk's "Queue Logs" page).
//!
//! The input types mirror the CRM's history records (`crm::QueueEventRecord`,
//! `crm::AgentEventRecord`) one to one, plus the caller's number on `Enter`, which the CRM keeps
//! on the CDR. [`QueueLogExport`] is fed the events in time order: Asterisk's lines carry
//! figures our events spread over several (the entry position on a completion, the wait on a
//! completion, an agent's login time on logoff), so it remembers them per call and per agent.
//!
//! - `Enter` → `ENTERQUEUE|url|callerid|origposition` (no URL: empty)
//! - `Ring` → none (Asterisk logs no ring)
//! - `RingNoAnswer` → `RINGNOANSWER|ringtime` (milliseconds)
//! - `Connect` → `CONNECT|holdtime|bridgedchanneluniqueid|ringtime` (no channel id: empty)
//! - `Complete` → `COMPLETECALLER` when the caller hung up, else `COMPLETEAGENT`:
//!   `holdtime|calltime|origposition`
//! - `Abandon` → `ABANDON|position|origposition|waittime`
//! - `Overflow` max wait → `EXITWITHTIMEOUT|position|origposition|waittime`
//! - `Overflow` leave empty, queue removed → `EXITEMPTY|position|origposition|waittime`
//! - `Overflow` queue full / join empty → `FULL` / `JOINEMPTY` (no data)
//! - `ExitKey` → `EXITWITHKEY|key|position|origposition|waittime`
//! - `Transfer` while connected → `TRANSFER|queue|queue|holdtime|calltime|origposition`
//!   (extension = the new queue, context `queue`; the `Complete` that follows is not written)
//! - `Transfer` while waiting → `EXITWITHTIMEOUT|position|origposition|waittime` (as Asterisk
//!   logs a caller its dialplan moves on to another queue)
//! - `AttendedTransfer` while connected → `ATTENDEDTRANSFER|BRIDGE|target|holdtime|calltime|
//!   origposition` (Asterisk 12's shape; the "bridge" is the party the caller was left with;
//!   the `Complete` that follows is not written), not connected → none
//! - `ConsultStart`, `ConsultEnd`, `Conference` → none (Asterisk logs no consultation)
//! - `Callback` → none (the caller keeps the place)
//! - `Login` / `Logout` → `AGENTLOGIN|agent` / `AGENTLOGOFF|agent|logintime`, queue and call
//!   `NONE`
//! - `Pause` / `Unpause` → `PAUSE|reason` / `UNPAUSE|`, queue and call `NONE`
//! - `State` → none
//!
//! Times are whole seconds (truncated) except RINGNOANSWER's milliseconds, as Asterisk writes
//! them. Switchboard does not record a caller's position when it times out, so `position` is
//! the entry position there. Text fields are escaped so that a field never contains `|`, CR
//! or LF and tools that split on `|` see the right fields: `%` → `%25`, `|` → `%7C`, CR →
//! `%0D`, LF → `%0A`; [`QueueLogLine::parse`] reverses it.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Something that happened to a call in a queue (`crm::QueueEventRecord`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEvent {
    pub at: DateTime<Utc>,
    pub queue: String,
    pub call_id: String,
    pub kind: QueueEventKind,
}

/// The kinds of queue events (`crm::QueueEventKind`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueueEventKind {
    /// `caller`: the caller's number, when known (from the CDR).
    Enter {
        position: u32,
        caller: Option<String>,
    },
    Ring {
        agent: String,
    },
    RingNoAnswer {
        agent: String,
        rang: Duration,
    },
    Connect {
        agent: String,
        wait: Duration,
    },
    Complete {
        agent: String,
        talk: Duration,
        hold: Duration,
        ended_by: EndedBy,
    },
    Abandon {
        position: u32,
        wait: Duration,
    },
    Overflow {
        reason: OverflowReason,
        target: Option<String>,
        wait: Duration,
    },
    ExitKey {
        key: char,
        wait: Duration,
    },
    Callback {
        number: String,
    },
    Transfer {
        to_queue: String,
    },
    ConsultStart {
        agent: String,
        target: String,
    },
    ConsultEnd {
        agent: String,
        target: String,
        consult: Duration,
    },
    AttendedTransfer {
        agent: String,
        target: String,
        consult: Duration,
    },
    Conference {
        agent: String,
        target: String,
    },
}

/// Who ended a conversation (`crm::EndedBy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndedBy {
    Caller,
    Agent,
    Switch,
}

/// Why a caller left without an agent (`crm::OverflowReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverflowReason {
    MaxWait,
    MaxLength,
    JoinEmpty,
    LeaveEmpty,
    QueueRemoved,
}

/// Something an agent did (`crm::AgentEventRecord`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentEvent {
    pub at: DateTime<Utc>,
    pub agent: String,
    pub kind: AgentEventKind,
}

/// The kinds of agent events (`crm::AgentEventKind`; a state change carries the state names).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AgentEventKind {
    Login,
    Logout,
    Pause { reason: String },
    Unpause,
    State { from: String, to: String },
}

/// One event of either kind, for a time-ordered stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Queue(QueueEvent),
    Agent(AgentEvent),
}

/// One `queue_log` line, fields unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueLogLine {
    /// Unix time, seconds.
    pub epoch: i64,
    /// The caller's call id, or `NONE`.
    pub call_id: String,
    /// The queue, or `NONE`.
    pub queue: String,
    /// The agent, or `NONE`.
    pub agent: String,
    /// `ENTERQUEUE`, `CONNECT`...
    pub event: String,
    pub data: Vec<String>,
}

/// A line that is not a `queue_log` line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueueLogError {
    #[error("a queue_log line needs at least 5 fields, this one has {0}")]
    TooFewFields(usize),
    #[error("not a Unix time: {0:?}")]
    BadEpoch(String),
    #[error("bad escape in {0:?}")]
    BadEscape(String),
}

const NONE: &str = "NONE";

impl fmt::Display for QueueLogLine {
    /// The line without its newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.epoch)?;
        for field in [&self.call_id, &self.queue, &self.agent, &self.event] {
            write!(f, "|{}", escape(field))?;
        }
        for field in &self.data {
            write!(f, "|{}", escape(field))?;
        }
        Ok(())
    }
}

impl QueueLogLine {
    /// Parses a line (without its newline) back into fields, undoing the escapes.
    pub fn parse(line: &str) -> Result<QueueLogLine, QueueLogError> {
        let fields: Vec<&str> = line.split('|').collect();
        let mut it = fields.iter();
        let (Some(epoch), Some(call_id), Some(queue), Some(agent), Some(event)) =
            (it.next(), it.next(), it.next(), it.next(), it.next())
        else {
            return Err(QueueLogError::TooFewFields(fields.len()));
        };
        Ok(QueueLogLine {
            epoch: epoch
                .parse()
                .map_err(|_| QueueLogError::BadEpoch((*epoch).to_owned()))?,
            call_id: unescape(call_id)?,
            queue: unescape(queue)?,
            agent: unescape(agent)?,
            event: unescape(event)?,
            data: it.map(|d| unescape(d)).collect::<Result<_, _>>()?,
        })
    }
}

fn escape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    for c in field.chars() {
        match c {
            '%' => out.push_str("%25"),
            '|' => out.push_str("%7C"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

fn unescape(field: &str) -> Result<String, QueueLogError> {
    let mut out = String::with_capacity(field.len());
    let mut rest = field;
    while let Some(i) = rest.find('%') {
        let (before, tail) = rest.split_at(i);
        out.push_str(before);
        let code = tail
            .get(1..3)
            .ok_or_else(|| QueueLogError::BadEscape(field.to_owned()))?;
        out.push(match code {
            "25" => '%',
            "7C" => '|',
            "0D" => '\r',
            "0A" => '\n',
            _ => return Err(QueueLogError::BadEscape(field.to_owned())),
        });
        rest = tail.get(3..).unwrap_or_default();
    }
    out.push_str(rest);
    Ok(out)
}

/// What a call's later lines need from its earlier events.
#[derive(Debug, Default)]
struct CallSeen {
    orig_position: u32,
    /// When it entered the queue it is in.
    entered: Option<DateTime<Utc>>,
    /// When each agent started ringing for it.
    rings: HashMap<String, DateTime<Utc>>,
    /// The wait at connection and when it connected.
    connected: Option<(Duration, DateTime<Utc>)>,
    /// Transferred by its agent: the `Complete` that follows is not written.
    transferred: bool,
}

/// Turns a time-ordered stream of events into `queue_log` lines.
#[derive(Debug, Default)]
pub struct QueueLogExport {
    calls: HashMap<String, CallSeen>,
    logins: HashMap<String, DateTime<Utc>>,
}

/// All the lines of `events` (in time order), ready to join with `\n`.
pub fn export(events: &[Event]) -> Vec<String> {
    let mut export = QueueLogExport::default();
    events
        .iter()
        .filter_map(|e| export.line(e))
        .map(|l| l.to_string())
        .collect()
}

fn secs(d: Duration) -> String {
    d.as_secs().to_string()
}

fn secs_between(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    (to - from).num_seconds().max(0).to_string()
}

impl QueueLogExport {
    pub fn new() -> Self {
        Self::default()
    }

    /// The line for `event`, if Asterisk would write one.
    pub fn line(&mut self, event: &Event) -> Option<QueueLogLine> {
        match event {
            Event::Queue(e) => self.queue_line(e),
            Event::Agent(e) => self.agent_line(e),
        }
    }

    fn queue_line(&mut self, e: &QueueEvent) -> Option<QueueLogLine> {
        use QueueEventKind as K;
        let seen = self.calls.entry(e.call_id.clone()).or_default();
        let orig = seen.orig_position.to_string();
        let (agent, event, data): (Option<&str>, &str, Vec<String>) = match &e.kind {
            K::Enter { position, caller } => {
                seen.orig_position = *position;
                seen.entered = Some(e.at);
                let caller = caller.clone().unwrap_or_default();
                (
                    None,
                    "ENTERQUEUE",
                    vec![String::new(), caller, position.to_string()],
                )
            }
            K::Ring { agent } => {
                seen.rings.insert(agent.clone(), e.at);
                return None;
            }
            K::RingNoAnswer { agent, rang } => {
                seen.rings.remove(agent);
                let ms = u64::try_from(rang.as_millis()).unwrap_or(u64::MAX);
                (Some(agent), "RINGNOANSWER", vec![ms.to_string()])
            }
            K::Connect { agent, wait } => {
                let ring = seen
                    .rings
                    .remove(agent)
                    .map_or("0".to_owned(), |at| secs_between(at, e.at));
                seen.connected = Some((*wait, e.at));
                (
                    Some(agent),
                    "CONNECT",
                    vec![secs(*wait), String::new(), ring],
                )
            }
            K::Complete {
                agent,
                talk,
                ended_by,
                ..
            } => {
                let done = self.calls.remove(&e.call_id).unwrap_or_default();
                if done.transferred {
                    return None;
                }
                let event = match ended_by {
                    EndedBy::Caller => "COMPLETECALLER",
                    EndedBy::Agent | EndedBy::Switch => "COMPLETEAGENT",
                };
                let hold = done.connected.map_or(Duration::ZERO, |(w, _)| w);
                (Some(agent), event, vec![secs(hold), secs(*talk), orig])
            }
            K::Abandon { position, wait } => {
                self.calls.remove(&e.call_id);
                (
                    None,
                    "ABANDON",
                    vec![position.to_string(), orig, secs(*wait)],
                )
            }
            K::Overflow { reason, wait, .. } => {
                self.calls.remove(&e.call_id);
                let event = match reason {
                    OverflowReason::MaxWait => "EXITWITHTIMEOUT",
                    OverflowReason::LeaveEmpty | OverflowReason::QueueRemoved => "EXITEMPTY",
                    OverflowReason::MaxLength => "FULL",
                    OverflowReason::JoinEmpty => "JOINEMPTY",
                };
                let data = match reason {
                    OverflowReason::MaxLength | OverflowReason::JoinEmpty => Vec::new(),
                    _ => vec![orig.clone(), orig, secs(*wait)],
                };
                (None, event, data)
            }
            K::ExitKey { key, wait } => {
                self.calls.remove(&e.call_id);
                (
                    None,
                    "EXITWITHKEY",
                    vec![key.to_string(), orig.clone(), orig, secs(*wait)],
                )
            }
            K::Callback { .. }
            | K::ConsultStart { .. }
            | K::ConsultEnd { .. }
            | K::Conference { .. } => return None,
            K::AttendedTransfer { agent, target, .. } => {
                let (wait, since) = seen.connected?;
                seen.transferred = true;
                let data = vec![
                    "BRIDGE".to_owned(),
                    target.clone(),
                    secs(wait),
                    secs_between(since, e.at),
                    orig,
                ];
                (Some(agent), "ATTENDEDTRANSFER", data)
            }
            K::Transfer { to_queue } => match seen.connected {
                Some((wait, since)) => {
                    seen.transferred = true;
                    let data = vec![
                        to_queue.clone(),
                        "queue".to_owned(),
                        secs(wait),
                        secs_between(since, e.at),
                        orig,
                    ];
                    (None, "TRANSFER", data)
                }
                None => {
                    // The new queue's `Enter` follows and starts that queue's wait afresh.
                    let waited = seen
                        .entered
                        .map_or("0".to_owned(), |at| secs_between(at, e.at));
                    (None, "EXITWITHTIMEOUT", vec![orig.clone(), orig, waited])
                }
            },
        };
        Some(QueueLogLine {
            epoch: e.at.timestamp(),
            call_id: e.call_id.clone(),
            queue: e.queue.clone(),
            agent: agent.unwrap_or(NONE).to_owned(),
            event: event.to_owned(),
            data,
        })
    }

    fn agent_line(&mut self, e: &AgentEvent) -> Option<QueueLogLine> {
        let (event, data) = match &e.kind {
            AgentEventKind::Login => {
                self.logins.insert(e.agent.clone(), e.at);
                ("AGENTLOGIN", vec![e.agent.clone()])
            }
            AgentEventKind::Logout => {
                let since = self.logins.remove(&e.agent);
                let logged_in = since.map_or("0".to_owned(), |at| secs_between(at, e.at));
                ("AGENTLOGOFF", vec![e.agent.clone(), logged_in])
            }
            AgentEventKind::Pause { reason } => ("PAUSE", vec![reason.clone()]),
            AgentEventKind::Unpause => ("UNPAUSE", vec![String::new()]),
            AgentEventKind::State { .. } => return None,
        };
        Some(QueueLogLine {
            epoch: e.at.timestamp(),
            call_id: NONE.to_owned(),
            queue: NONE.to_owned(),
            agent: e.agent.clone(),
            event: event.to_owned(),
            data,
        })
    }
}
