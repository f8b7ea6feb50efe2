//! What the switch reports for the call history, in its own types: CDR changes
//! ([`CdrEvent`]), a customer-facing call's contact row ([`Contact`]) and callbacks
//! ([`CallbackRequest`], in [`crate::CallbackRecord`]). The binary maps them to the CRM's rows
//! (`call_records.rs` there), so the core knows nothing of the database.

use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// One change to a call's detail record, in the order the switch saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CdrEvent {
    /// The call began (emitted at once, so a crash never loses it).
    Start(CdrStart),
    /// A person (or the dialplan) answered.
    Answer { call_id: String, at: DateTime<Utc> },
    /// The call's last leg is gone.
    End(CdrEnd),
    /// The call's queue and agent are known (a callback knows them from its start).
    Link(CdrLink),
    /// The call came in over a trunk, or went out over one (emitted when the trunk is known;
    /// again, with the trunk that finally carried it, after a failover).
    Trunk(CdrTrunk),
}

impl CdrEvent {
    /// The CDR id of the call the event belongs to.
    pub fn call_id(&self) -> &str {
        match self {
            CdrEvent::Start(s) => &s.call_id,
            CdrEvent::Answer { call_id, .. } => call_id,
            CdrEvent::End(e) => &e.call_id,
            CdrEvent::Link(l) => &l.call_id,
            CdrEvent::Trunk(t) => &t.call_id,
        }
    }
}

/// A call has begun.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdrStart {
    /// The switch's own id of the call (the CDR id, not a leg's SIP Call-ID).
    pub call_id: String,
    /// Calling number or extension.
    pub caller: String,
    pub caller_name: Option<String>,
    /// Dialled number or extension.
    pub callee: String,
    pub callee_name: Option<String>,
    pub started_at: DateTime<Utc>,
    /// Where the caller called from: a phone or a web page.
    pub channel: Channel,
}

/// What a customer reached the switch with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// A phone: an extension, a carrier's caller, a callback.
    Voice,
    /// A visitor's browser, through the web gateway (`web_in.rs`).
    Web,
}

impl Channel {
    /// A web call enters through the gateway inside the process, the one peer on the
    /// internal transport; everything else is a phone.
    pub fn of(peer: sip::Peer) -> Channel {
        match peer.transport {
            sip::Transport::Internal => Channel::Web,
            _ => Channel::Voice,
        }
    }
}

/// How a call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdrEnd {
    pub call_id: String,
    pub ended_at: DateTime<Utc>,
    pub disposition: Disposition,
    /// Final SIP status of the call (200 for an answered call, 486 busy, 487 cancelled...).
    pub sip_status: u16,
    /// Free text for people reading the record ("caller hung up", "no route").
    pub hangup_cause: String,
    pub hangup_side: Option<HangupSide>,
    /// The legs in timeline order.
    pub legs: Vec<Leg>,
    /// Variables the dialplan set during the call.
    pub vars: BTreeMap<String, String>,
}

/// One SIP leg of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leg {
    pub role: LegRole,
    /// The SIP Call-ID of this leg's dialog.
    pub sip_call_id: String,
    /// Remote address of the leg, e.g. `192.0.2.7:5060`.
    pub peer: String,
    pub extension: String,
    pub started_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub final_status: Option<u16>,
}

/// Ties a CDR to the queue and agent of its call; `None` leaves what is known as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdrLink {
    pub call_id: String,
    pub queue: Option<String>,
    pub agent: Option<String>,
}

/// The trunk side of a call: which carrier, which of our numbers, which caller ID we showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdrTrunk {
    pub call_id: String,
    /// `Inbound`: the carrier delivered the call; `Outbound`: we sent it to the carrier.
    pub direction: Direction,
    /// The trunk's name.
    pub trunk: String,
    /// Inbound: the DID the carrier delivered (normalised).
    pub did: Option<String>,
    /// Outbound: the caller ID we presented (None: withheld or the caller's own).
    pub caller_id: Option<String>,
    /// Outbound: the number as sent to the carrier, after the trunk's rewrite.
    pub dialled: Option<String>,
}

/// The outcome of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Disposition {
    Answered,
    NoAnswer,
    Busy,
    Failed,
    Cancelled,
    /// The callee declined the call (603 Decline).
    Declined,
}

impl Disposition {
    /// A lower-case word for the outcome (`answered`, `no_answer`...), as contact rows use.
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Answered => "answered",
            Disposition::NoAnswer => "no_answer",
            Disposition::Busy => "busy",
            Disposition::Failed => "failed",
            Disposition::Cancelled => "cancelled",
            Disposition::Declined => "declined",
        }
    }
}

/// Which party ended a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HangupSide {
    Caller,
    Callee,
    /// The switch itself (timeout, shutdown, error).
    Switch,
}

/// Role of a leg in the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LegRole {
    Caller,
    Callee,
}

/// A customer-facing call's row in the contact history (the driver adds the recording and
/// the CRM the customer, by number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// The CDR id.
    pub call_id: String,
    pub direction: Direction,
    /// The customer's number, raw.
    pub number: String,
    /// When the call started.
    pub at: DateTime<Utc>,
    pub queue: Option<String>,
    pub agent: Option<String>,
    /// From the answer by a person (or the call's answer, or its start) to the end.
    pub duration_ms: i64,
    /// A lower-case word: `answered`, `abandoned`, `message`, `callback_requested`...
    pub outcome: String,
    pub channel: Channel,
}

/// Who placed a customer-facing call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The customer called in.
    Inbound,
    /// The switch or an agent called the customer (a callback, a click-to-dial, an agent's
    /// call out over a trunk).
    Outbound,
}

/// A callback a caller asked for, as kept across restarts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackRequest {
    /// The ACD's id of the entry (the CDR id of the call that asked).
    pub call_id: String,
    pub queue: String,
    /// The number to call back.
    pub number: String,
    pub priority: i32,
    /// Skills the dialplan asked for (name to level).
    pub skills: BTreeMap<String, u8>,
    /// When the caller first entered a queue: the place the callback keeps.
    pub enqueued_at: DateTime<Utc>,
    pub requested_at: DateTime<Utc>,
}
