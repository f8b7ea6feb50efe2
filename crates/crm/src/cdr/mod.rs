//! CDR value types: what the call layer reports (start, answer, end) and what reads return.

pub(crate) mod conn;
pub(crate) mod plan;
mod store;
pub(crate) mod trunk;
pub(crate) mod vars;
pub(crate) mod writer;

use chrono::{DateTime, Utc};

use crate::{CdrVars, CrmError};

/// A call has begun: written immediately so a crash never loses the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdrStart {
    /// The switch's own identifier of the call (not a leg's SIP Call-ID).
    pub call_id: String,
    /// Calling number or extension.
    pub caller: String,
    pub caller_name: Option<String>,
    /// Dialled number or extension.
    pub callee: String,
    pub callee_name: Option<String>,
    pub started_at: DateTime<Utc>,
}

/// How a call ended, as reported by the call task when its last leg is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdrEnd {
    pub call_id: String,
    pub ended_at: DateTime<Utc>,
    pub disposition: Disposition,
    /// Final SIP status of the call (200 for an answered call, 486 busy, 487 cancelled...).
    pub sip_status: u16,
    /// Free text for people reading the record ("caller hung up", "no route").
    pub hangup_cause: String,
    pub hangup_side: Option<Side>,
    /// The legs in timeline order; they replace any legs stored before for this call.
    pub legs: Vec<Leg>,
    /// Variables the dialplan set during the call (menu choices, masked account numbers,
    /// language...). They replace any stored before; over the limits of
    /// [`crate::bounded_vars`] the excess is dropped, never the CDR.
    pub vars: CdrVars,
}

/// One SIP leg of a call.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Leg {
    pub role: LegRole,
    /// The SIP Call-ID of this leg's dialog.
    pub sip_call_id: String,
    /// Remote address of the leg, e.g. `192.0.2.7:5060` or `wss:198.51.100.3:443`.
    pub peer: String,
    pub extension: String,
    pub started_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub final_status: Option<u16>,
}

/// A complete (or still open) call detail record as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Cdr {
    pub call_id: String,
    pub caller: String,
    pub caller_name: Option<String>,
    pub callee: String,
    pub callee_name: Option<String>,
    pub started_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    /// `None` while the call is in progress.
    pub ended_at: Option<DateTime<Utc>>,
    pub disposition: Option<Disposition>,
    /// `None` while in progress, and for records closed by recovery (no response was ever sent).
    pub sip_status: Option<u16>,
    pub hangup_cause: Option<String>,
    pub hangup_side: Option<Side>,
    /// Whole seconds from start to end, rounded up (per-second billing: 2.1 s is 3);
    /// `None` while in progress. `duration_ms` is the exact figure.
    pub duration_s: Option<i64>,
    /// Whole seconds from answer to end, rounded up; 0 if never answered; `None` while in progress.
    pub billable_s: Option<i64>,
    /// Milliseconds from start to end (truncated, not rounded); `None` while in progress.
    pub duration_ms: Option<i64>,
    /// Milliseconds from answer to end; 0 if never answered; `None` while in progress.
    pub billable_ms: Option<i64>,
    /// The switch closed this record at startup because it had no end (crash or kill).
    pub recovered: bool,
    /// The (last) queue the call went through, set by a [`crate::CdrLink`].
    pub queue: Option<String>,
    /// The (last) agent who answered the call, set by a [`crate::CdrLink`].
    pub agent: Option<String>,
    /// The customer the caller was identified as, set by a [`crate::CdrLink`]; cleared if the
    /// customer is deleted.
    pub customer_id: Option<i64>,
    /// Set for a call over a carrier's trunk by a [`crate::CdrTrunk`]; `None` between
    /// extensions.
    pub direction: Option<trunk::CallDirection>,
    /// The trunk's name.
    pub trunk: Option<String>,
    /// Inbound: our number (DID) the carrier delivered the call to.
    pub did: Option<String>,
    /// Outbound: the caller ID presented to the carrier.
    pub caller_id: Option<String>,
    /// Outbound: the number as sent to the carrier.
    pub dialled: Option<String>,
    pub legs: Vec<Leg>,
    /// The dialplan's variables as stored (limits applied); empty while the call is in
    /// progress, for recovered records, and for records written before variables existed.
    pub vars: CdrVars,
}

/// The outcome of a call, stored as lower-case text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Disposition {
    Answered,
    NoAnswer,
    Busy,
    Failed,
    Cancelled,
    /// The callee declined the call (603).
    Declined,
}

/// Which party ended the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Caller,
    Callee,
    /// The switch itself (timeout, shutdown, error, recovery).
    Switch,
}

/// Role of a leg in the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LegRole {
    Caller,
    Callee,
}

/// Ties each enum to its stored text so parsing and printing cannot drift apart.
macro_rules! stored_text {
    ($ty:ident, $column:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// The text stored in the database.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $text),+ }
            }

            /// Parses the stored text.
            pub fn from_stored(s: &str) -> Result<Self, CrmError> {
                match s {
                    $($text => Ok($ty::$variant),)+
                    other => Err(CrmError::CorruptValue { column: $column, value: other.to_owned() }),
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

stored_text!(Disposition, "disposition", {
    Answered => "answered",
    NoAnswer => "no_answer",
    Busy => "busy",
    Failed => "failed",
    Cancelled => "cancelled",
    Declined => "declined",
});
stored_text!(Side, "hangup_side", { Caller => "caller", Callee => "callee", Switch => "switch" });
stored_text!(LegRole, "role", { Caller => "caller", Callee => "callee" });
pub(crate) use stored_text;

/// Whole seconds between two instants, rounded up like per-second billing; never negative.
pub(crate) fn whole_seconds(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    let micros = (to - from).num_microseconds().unwrap_or(i64::MAX).max(0);
    (micros + 999_999) / 1_000_000
}

/// Milliseconds between two instants (sub-millisecond parts dropped); never negative.
pub(crate) fn millis(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_milliseconds().max(0)
}

/// The parts of an End that stand in for a missing Start (the End arrived for an unknown call):
/// numbers from the legs' extensions, start from the earliest leg, answer from an answered
/// callee leg.
pub(crate) struct EndFallback<'a> {
    pub caller: &'a str,
    pub callee: &'a str,
    pub started_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
}

impl CdrEnd {
    pub(crate) fn fallback(&self) -> EndFallback<'_> {
        let extension_of = |role| {
            self.legs
                .iter()
                .find(|l| l.role == role)
                .map_or("", |l| l.extension.as_str())
        };
        let started_at = self
            .legs
            .iter()
            .map(|l| l.started_at)
            .min()
            .unwrap_or(self.ended_at)
            .min(self.ended_at);
        let answered_at = self
            .legs
            .iter()
            .filter(|l| l.role == LegRole::Callee)
            .filter_map(|l| l.answered_at)
            .min();
        EndFallback {
            caller: extension_of(LegRole::Caller),
            callee: extension_of(LegRole::Callee),
            started_at,
            answered_at,
        }
    }
}

/// A record's lengths: start to end and answer to end, in whole seconds rounded up and in
/// exact milliseconds; all `None` while the call is in progress.
pub(crate) struct Durations {
    pub duration_s: Option<i64>,
    pub billable_s: Option<i64>,
    pub duration_ms: Option<i64>,
    pub billable_ms: Option<i64>,
}

impl Cdr {
    /// Start to end and answer to end (0 if never answered).
    pub(crate) fn durations(
        started_at: DateTime<Utc>,
        answered_at: Option<DateTime<Utc>>,
        ended_at: Option<DateTime<Utc>>,
    ) -> Durations {
        let billable = |f: fn(DateTime<Utc>, DateTime<Utc>) -> i64| {
            ended_at.map(|end| answered_at.map_or(0, |ans| f(ans, end)))
        };
        Durations {
            duration_s: ended_at.map(|end| whole_seconds(started_at, end)),
            billable_s: billable(whole_seconds),
            duration_ms: ended_at.map(|end| millis(started_at, end)),
            billable_ms: billable(millis),
        }
    }
}

/// Decodes a stored SIP status; the schema stores INTEGER, so guard the range.
pub(crate) fn status_from_stored(column: &'static str, v: i64) -> Result<u16, CrmError> {
    u16::try_from(v).map_err(|_| CrmError::CorruptValue {
        column,
        value: v.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: i64, micros: u32) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + s, micros * 1000)
            .single()
            .expect("valid test time")
    }

    #[test]
    fn whole_seconds_round_up_and_clamp() {
        assert_eq!(whole_seconds(t(0, 0), t(10, 0)), 10);
        assert_eq!(whole_seconds(t(0, 0), t(10, 1)), 11);
        assert_eq!(whole_seconds(t(0, 0), t(0, 0)), 0);
        assert_eq!(whole_seconds(t(5, 0), t(0, 0)), 0);
    }

    /// Issue 9: the API's durations rounded up without saying so; the exact lengths are given
    /// beside them.
    #[test]
    fn durations_give_exact_milliseconds_beside_rounded_seconds() {
        let d = Cdr::durations(t(0, 0), Some(t(1, 400_000)), Some(t(3, 100_500)));
        assert_eq!((d.duration_s, d.duration_ms), (Some(4), Some(3100)));
        assert_eq!((d.billable_s, d.billable_ms), (Some(2), Some(1700)));
        let unanswered = Cdr::durations(t(0, 0), None, Some(t(2, 0)));
        assert_eq!(
            (unanswered.billable_s, unanswered.billable_ms),
            (Some(0), Some(0))
        );
        let open = Cdr::durations(t(0, 0), None, None);
        assert_eq!((open.duration_s, open.duration_ms), (None, None));
    }

    #[test]
    fn stored_text_round_trips_and_rejects_unknown() {
        for d in [
            Disposition::Answered,
            Disposition::NoAnswer,
            Disposition::Busy,
            Disposition::Failed,
            Disposition::Cancelled,
            Disposition::Declined,
        ] {
            assert_eq!(Disposition::from_stored(d.as_str()).ok(), Some(d));
        }
        assert_eq!(Side::from_stored("switch").ok(), Some(Side::Switch));
        assert!(matches!(
            LegRole::from_stored("Caller"),
            Err(CrmError::CorruptValue { column: "role", .. })
        ));
    }

    #[test]
    fn fallback_takes_numbers_and_times_from_legs() {
        let leg = |role, ext: &str, start, ans| Leg {
            role,
            sip_call_id: format!("{ext}@h"),
            peer: "192.0.2.1:5060".into(),
            extension: ext.into(),
            started_at: start,
            answered_at: ans,
            ended_at: None,
            final_status: None,
        };
        let end = CdrEnd {
            call_id: "c".into(),
            ended_at: t(30, 0),
            disposition: Disposition::Answered,
            sip_status: 200,
            hangup_cause: "bye".into(),
            hangup_side: Some(Side::Caller),
            legs: vec![
                leg(LegRole::Caller, "1001", t(1, 0), Some(t(3, 0))),
                leg(LegRole::Callee, "2002", t(2, 0), Some(t(3, 0))),
            ],
            vars: CdrVars::new(),
        };
        let fb = end.fallback();
        assert_eq!((fb.caller, fb.callee), ("1001", "2002"));
        assert_eq!(fb.started_at, t(1, 0));
        assert_eq!(fb.answered_at, Some(t(3, 0)));

        let bare = CdrEnd {
            legs: vec![],
            ..end
        };
        let fb = bare.fallback();
        assert_eq!((fb.caller, fb.callee, fb.started_at), ("", "", t(30, 0)));
        assert_eq!(fb.answered_at, None);
    }
}
