//! Contact history values: one [`Contact`] per interaction on any channel (a voice call in or
//! out, a web call; later chat and e-mail) with the customer, queue, agent, outcome, links to
//! the CDR and recording, and the agent's wrap-up. The rules every write goes through run
//! before any SQL, so a bad value fails with a message naming the field and stores nothing.

pub(crate) mod conn;
pub(crate) mod sql;
mod store;

use chrono::{DateTime, Utc};

use crate::cdr::stored_text;
use crate::customer::{check_len, invalid};
use crate::recording::{required, MAX_CALL_ID_CHARS, MAX_RECORDING_ID_CHARS};
use crate::CrmError;

/// Longest wrap-up notes, in characters.
pub const MAX_CONTACT_NOTES_CHARS: usize = 4000;
/// Longest wrap-up code.
pub const MAX_WRAP_UP_CODE_CHARS: usize = 64;
/// Longest outcome word.
pub const MAX_OUTCOME_CHARS: usize = 32;
/// Longest queue, agent or `wrapped_up_by` name.
pub const MAX_CONTACT_NAME_CHARS: usize = 100;
/// Largest page the history reads return; a larger `limit` is cut to this.
pub const MAX_CONTACTS_PAGE: u32 = 500;

/// How the interaction took place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    VoiceInbound,
    VoiceOutbound,
    WebCall,
    Chat,
    Email,
}

stored_text!(Channel, "channel", {
    VoiceInbound => "voice_inbound",
    VoiceOutbound => "voice_outbound",
    WebCall => "web_call",
    Chat => "chat",
    Email => "email",
});

/// An interaction to record (see [`crate::Crm::add_contact`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContact {
    /// The CDR's `call_id`; a call has at most one contact. `None` for contacts without a call.
    pub call_id: Option<String>,
    pub channel: Channel,
    /// The other party's number, raw (`010-1234-5678`, `sip:...`); normalized like customers'
    /// numbers. Something that is not a number (`anonymous`) is stored as `None`.
    pub number: Option<String>,
    /// The customer, if known; `None` attaches the contact to the customer owning `number`.
    pub customer_id: Option<i64>,
    /// When the interaction started.
    pub at: DateTime<Utc>,
    pub queue: Option<String>,
    pub agent: Option<String>,
    pub duration_ms: Option<i64>,
    /// A lower-case word: `answered`, `abandoned`, `no_answer`, `busy`, `failed`...
    pub outcome: String,
    /// The call's recording ([`crate::Recording::id`]).
    pub recording_id: Option<String>,
}

/// An interaction as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Contact {
    pub id: i64,
    pub call_id: Option<String>,
    pub channel: Channel,
    /// Normalized (E.164 or a short extension).
    pub number: Option<String>,
    pub customer_id: Option<i64>,
    pub at: DateTime<Utc>,
    pub queue: Option<String>,
    pub agent: Option<String>,
    pub duration_ms: Option<i64>,
    pub outcome: String,
    pub recording_id: Option<String>,
    pub wrap_up_code: Option<String>,
    pub notes: Option<String>,
    pub wrapped_up_at: Option<DateTime<Utc>>,
    pub wrapped_up_by: Option<String>,
}

fn optional(field: &'static str, value: Option<&str>, max: usize) -> Result<(), CrmError> {
    value.map_or(Ok(()), |v| required(field, v, max))
}

impl NewContact {
    /// Checks every field except the number (normalized separately).
    pub(crate) fn validate(&self) -> Result<(), CrmError> {
        optional("call_id", self.call_id.as_deref(), MAX_CALL_ID_CHARS)?;
        optional("queue", self.queue.as_deref(), MAX_CONTACT_NAME_CHARS)?;
        optional("agent", self.agent.as_deref(), MAX_CONTACT_NAME_CHARS)?;
        optional(
            "recording_id",
            self.recording_id.as_deref(),
            MAX_RECORDING_ID_CHARS,
        )?;
        if let Some(ms) = self.duration_ms.filter(|ms| *ms < 0) {
            return Err(invalid("duration_ms", format!("is negative ({ms})")));
        }
        required("outcome", &self.outcome, MAX_OUTCOME_CHARS)?;
        if !self
            .outcome
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(invalid(
                "outcome",
                format!("{:?} is not a lower-case word (a-z, 0-9, _)", self.outcome),
            ));
        }
        Ok(())
    }
}

/// Checks a wrap-up: the code and who did it are one-line names; notes may span lines but
/// carry no other control characters (NUL is refused by PostgreSQL).
pub(crate) fn validate_wrap_up(code: &str, notes: Option<&str>, by: &str) -> Result<(), CrmError> {
    required("wrap_up_code", code, MAX_WRAP_UP_CODE_CHARS)?;
    required("wrapped_up_by", by, MAX_CONTACT_NAME_CHARS)?;
    if let Some(notes) = notes {
        check_len("notes", notes, MAX_CONTACT_NOTES_CHARS)?;
        if let Some(c) = notes
            .chars()
            .find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(invalid(
                "notes",
                format!("contains the control character {c:?}"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(r: Result<(), CrmError>) -> &'static str {
        match r {
            Err(CrmError::InvalidField { field, .. }) => field,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn wrap_up_limits_count_characters() {
        let at_limit = "가".repeat(MAX_CONTACT_NOTES_CHARS);
        assert!(validate_wrap_up("sale", Some(&at_limit), "1001").is_ok());
        let over = "a".repeat(MAX_CONTACT_NOTES_CHARS + 1);
        assert_eq!(
            field_of(validate_wrap_up("sale", Some(&over), "1001")),
            "notes"
        );
        assert!(validate_wrap_up("sale", Some("line 1\nline 2\ttab"), "1001").is_ok());
        assert_eq!(
            field_of(validate_wrap_up("sale", Some("a\0b"), "1001")),
            "notes"
        );
        assert_eq!(field_of(validate_wrap_up("", None, "1001")), "wrap_up_code");
        assert_eq!(
            field_of(validate_wrap_up("sale", None, "")),
            "wrapped_up_by"
        );
    }

    #[test]
    fn channel_text_round_trips() {
        for c in [
            Channel::VoiceInbound,
            Channel::VoiceOutbound,
            Channel::WebCall,
            Channel::Chat,
            Channel::Email,
        ] {
            assert_eq!(Channel::from_stored(c.as_str()).ok(), Some(c));
        }
    }
}
