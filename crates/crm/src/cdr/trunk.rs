//! The trunk side of a CDR (issue 16): which carrier's trunk a call came in or went out over,
//! the DID it was delivered to, the caller ID we presented and the number sent to the carrier.
//! Written as an update of the call's row, like a [`crate::CdrLink`], after its start.

use crate::cdr::stored_text;
use crate::CrmError;

/// Who placed a trunk call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CallDirection {
    /// The carrier delivered the call (a customer called one of our numbers).
    Inbound,
    /// We sent the call to the carrier (an agent or a callback called out).
    Outbound,
}

stored_text!(CallDirection, "direction", { Inbound => "inbound", Outbound => "outbound" });

/// Sets a CDR's trunk columns. Send after the call's start (the same batch is fine); a later
/// one for the same call (an outbound call that failed over to another trunk) replaces the
/// trunk, caller ID and dialled number, and keeps a DID already stored when it names none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdrTrunk {
    /// The CDR's `call_id`.
    pub call_id: String,
    pub direction: CallDirection,
    /// The trunk's name (1 to 64 characters).
    pub trunk: String,
    /// Inbound: our number the carrier delivered the call to.
    pub did: Option<String>,
    /// Outbound: the caller ID we presented (None: withheld, or the caller's own).
    pub caller_id: Option<String>,
    /// Outbound: the number as sent to the carrier, after the trunk's rewrite.
    pub dialled: Option<String>,
}

/// Longest trunk name, and longest DID, caller ID and dialled number (as the schema checks).
pub const MAX_TRUNK_NAME_CHARS: usize = 64;
pub const MAX_DID_CHARS: usize = 32;
pub const MAX_NUMBER_CHARS: usize = 64;

impl CdrTrunk {
    /// Refuses what the schema would refuse, so one bad event names its field.
    pub(crate) fn validate(&self) -> Result<(), CrmError> {
        let check = |field: &'static str, v: Option<&str>, min: usize, max: usize| match v
            .map(|s| s.chars().count())
        {
            Some(n) if n < min || n > max => Err(CrmError::InvalidField {
                field,
                reason: format!("{min} to {max} characters"),
            }),
            _ => Ok(()),
        };
        check("trunk", Some(&self.trunk), 1, MAX_TRUNK_NAME_CHARS)?;
        check("did", self.did.as_deref(), 0, MAX_DID_CHARS)?;
        check("caller_id", self.caller_id.as_deref(), 0, MAX_NUMBER_CHARS)?;
        check("dialled", self.dialled.as_deref(), 0, MAX_NUMBER_CHARS)
    }
}

/// Followed by `VALUES (call_id, direction, trunk, did, caller_id, dialled), ...` and
/// [`TRUNK_TAIL`]. A NULL DID keeps the stored one (an outbound failover names none).
pub(crate) const TRUNK_HEAD: &str = "UPDATE cdrs SET
    direction = v.column2, trunk = v.column3, did = COALESCE(v.column4, cdrs.did),
    caller_id = v.column5, dialled = v.column6 FROM (";
pub(crate) const TRUNK_TAIL: &str = ") AS v WHERE cdrs.call_id = v.column1 RETURNING cdrs.call_id";
/// Bound columns of a trunk row.
pub(crate) const TRUNK_COLUMNS: usize = 6;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_round_trips_and_long_values_are_refused() {
        for d in [CallDirection::Inbound, CallDirection::Outbound] {
            assert_eq!(CallDirection::from_stored(d.as_str()).ok(), Some(d));
        }
        assert!(CallDirection::from_stored("sideways").is_err());
        let mut t = CdrTrunk {
            call_id: "c".into(),
            direction: CallDirection::Inbound,
            trunk: "carrier-a".into(),
            did: Some("+8215880000".into()),
            caller_id: None,
            dialled: None,
        };
        assert!(t.validate().is_ok());
        t.did = Some("1".repeat(MAX_DID_CHARS + 1));
        assert!(matches!(
            t.validate(),
            Err(CrmError::InvalidField { field: "did", .. })
        ));
        t.did = None;
        t.trunk = String::new();
        assert!(t.validate().is_err());
    }
}
