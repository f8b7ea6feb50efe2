//! The agent's browser phone's signalling, as values: the JSON messages the agent page and the
//! switch exchange over `/api/agents/me/phone/ws` (docs/webcall.md, "The agent's browser
//! phone"). The page never speaks SIP: the switch registers the page as the agent's extension
//! and tells it what rings; the page answers with a WebRTC offer of its own, as the visitor's
//! widget does.
//!
//! Page → switch ([`PhoneRequest`]): `register {csrf}` once, first; then `accept {sdp}` or
//! `decline` while a call rings; `hangup`, `hold {held}`, `mute {muted}`, `dtmf {digit}` in a
//! call. Switch → page ([`PhoneEvent`]): `registered {extension}`, `incoming {caller,
//! caller_name}`, `answer {sdp}`, `connected`, `held {held}`, `ended {reason}`, `error {code, message}` (then
//! the socket closes).

use crate::signal::{dtmf_digit, SignalError, MAX_MESSAGE_BYTES};
use serde::{Deserialize, Serialize};

/// What the agent page sends.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum PhoneRequest {
    /// First message: the session's CSRF token, as every state-changing request carries it.
    Register {
        csrf: String,
    },
    /// Answer the ringing call with the browser's SDP offer (audio, PCMU).
    Accept {
        sdp: String,
    },
    /// Refuse the ringing call (the queue offers it to someone else).
    Decline,
    Hangup,
    /// Hold: the switch plays the caller the queue's music (or a chime) until released; the
    /// agent hears nothing meanwhile. The switch confirms with `held`.
    Hold {
        held: bool,
    },
    /// The switch sends silence for the agent until unmuted.
    Mute {
        muted: bool,
    },
    Dtmf {
        digit: String,
    },
}

/// What the switch sends the agent page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PhoneEvent {
    /// The page is now the agent's phone at `extension`.
    Registered { extension: String },
    /// A call rings the page.
    Incoming { caller: String, caller_name: String },
    /// The switch's WebRTC answer to the page's `accept`.
    Answer { sdp: String },
    /// The call is up.
    Connected,
    /// The switch put the call on hold (`held: true`: the caller hears music) or took it off
    /// (`false`), after the page's `hold` or when a hold could not be done.
    Held { held: bool },
    /// The call is over; the phone stays registered. `reason`: `hangup` (the agent),
    /// `remote` (the caller or the switch), `cancelled` (the offer was withdrawn before the
    /// agent answered), `declined`, `media` (the browser's audio was lost).
    Ended { reason: String },
    /// Refused; the socket closes after it.
    Error { code: PhoneError, message: String },
}

/// Why the phone was refused or stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneError {
    /// Not JSON, an unknown message, or one out of turn.
    BadMessage,
    /// The CSRF token is missing or wrong.
    Forbidden,
    /// The account is not an agent, or the agent has no extension.
    NoExtension,
    /// The offer has no PCMU.
    BadOffer,
    /// The switch refused the registration or the call's media.
    Failed,
}

/// Parses a page's message, checking what serde cannot (a DTMF digit's shape).
pub fn parse_request(text: &str) -> Result<PhoneRequest, SignalError> {
    if text.len() > MAX_MESSAGE_BYTES {
        return Err(SignalError::TooLarge);
    }
    let msg: PhoneRequest =
        serde_json::from_str(text).map_err(|e| SignalError::BadJson(e.to_string()))?;
    if let PhoneRequest::Dtmf { digit } = &msg {
        dtmf_digit(digit)?;
    }
    Ok(msg)
}

/// The event as JSON text for the page.
pub fn event_text(event: &PhoneEvent) -> String {
    // Serialising these plain enums cannot fail; an empty object is a safe fallback anyway.
    serde_json::to_string(event).unwrap_or_else(|_| "{}".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_parse_and_bad_ones_are_refused() {
        assert_eq!(
            parse_request(r#"{"type":"register","csrf":"abc"}"#),
            Ok(PhoneRequest::Register { csrf: "abc".into() })
        );
        assert_eq!(
            parse_request(r#"{"type":"accept","sdp":"v=0"}"#),
            Ok(PhoneRequest::Accept { sdp: "v=0".into() })
        );
        assert_eq!(
            parse_request(r#"{"type":"hold","held":true}"#),
            Ok(PhoneRequest::Hold { held: true })
        );
        assert_eq!(
            parse_request(r#"{"type":"decline"}"#),
            Ok(PhoneRequest::Decline)
        );
        assert!(matches!(
            parse_request(r#"{"type":"dtmf","digit":"12"}"#),
            Err(SignalError::BadDigit(_))
        ));
        assert!(matches!(
            parse_request(r#"{"type":"register","csrf":"a","extra":1}"#),
            Err(SignalError::BadJson(_))
        ));
        let long = format!(r#"{{"type":"accept","sdp":"{}"}}"#, "a".repeat(20_000));
        assert_eq!(parse_request(&long), Err(SignalError::TooLarge));
    }

    #[test]
    fn events_are_tagged_json() {
        let text = event_text(&PhoneEvent::Incoming {
            caller: "1001".into(),
            caller_name: "Kim".into(),
        });
        assert_eq!(
            text,
            r#"{"type":"incoming","caller":"1001","caller_name":"Kim"}"#
        );
        let text = event_text(&PhoneEvent::Error {
            code: PhoneError::NoExtension,
            message: "x".into(),
        });
        assert_eq!(
            text,
            r#"{"type":"error","code":"no_extension","message":"x"}"#
        );
        assert_eq!(
            event_text(&PhoneEvent::Connected),
            r#"{"type":"connected"}"#
        );
        assert_eq!(
            event_text(&PhoneEvent::Held { held: true }),
            r#"{"type":"held","held":true}"#
        );
    }
}
