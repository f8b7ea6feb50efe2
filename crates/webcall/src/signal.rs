//! The visitor's signalling, as values: the JSON messages a page and the switch exchange over
//! the WebSocket, and the check of the visitor context a bank's site signs. No sockets, no
//! clock: the time is passed in, so expiry is tested like everything else.
//!
//! Page → switch ([`ClientMessage`], `{"type": ...}`): `offer {sdp, context?}` once, then
//! `dtmf {digit}`, `mute {muted}`, `hangup`. Switch → page ([`ServerMessage`]): `answer {sdp}`,
//! `state {state, ...}` ([`CallState`]) and `error {code, message}` (then the socket closes).
//!
//! Visitor context: `{page_url, customer_id, signature, expires}`. The site signs
//! `"<customer_id>.<expires>"` (expires: Unix seconds) with HMAC-SHA256 and the entry's secret,
//! hex-encoded. A valid, unexpired signature makes the id [`Identity::Verified`]; an id without
//! a signature, or with an expired one, is [`Identity::Unverified`] (a page left open past its
//! expiry is common and harmless: the agent sees the id marked unverified); a signature that
//! does not match is refused ([`SignalError::ForgedSignature`]): someone edited the page.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Longest message a page may send (an SDP offer is a few kilobytes).
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024;
/// Longest customer id and page URL kept.
const MAX_FIELD_CHARS: usize = 512;
/// A signature may not promise more than this far ahead (a day).
const MAX_EXPIRY_AHEAD_S: i64 = 24 * 3600;

/// What a page sends.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    Offer {
        sdp: String,
        #[serde(default)]
        context: Option<VisitorContext>,
    },
    Dtmf {
        digit: String,
    },
    Mute {
        muted: bool,
    },
    Hangup,
}

/// What the page says about its visitor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitorContext {
    #[serde(default)]
    pub page_url: Option<String>,
    #[serde(default)]
    pub customer_id: Option<String>,
    #[serde(default)]
    pub signature: Option<String>,
    #[serde(default)]
    pub expires: Option<i64>,
}

/// Who the visitor is, as far as the switch can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// No customer id given.
    Anonymous,
    /// An id the page gave without a valid, current signature: shown, not trusted.
    Unverified(String),
    /// An id the bank's site signed: the CRM lookup and priority may trust it.
    Verified(String),
}

/// What the switch sends a page.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    Answer { sdp: String },
    State(CallState),
    Error { code: ErrorCode, message: String },
}

/// A web call's state, as the widget shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CallState {
    /// The answer is sent; the browser is connecting its media.
    Connecting,
    /// The call runs the entry's IVR.
    Ivr,
    /// Waiting in a queue: 1-based position and the queue's estimated wait.
    Queued {
        position: usize,
        estimated_wait_s: u64,
    },
    /// An agent's phone rings.
    Ringing,
    /// An agent (or the IVR's target) answered.
    Connected,
    /// Over; `reason` is a short English sentence for logs and the widget's fallback.
    Ended { reason: String },
}

/// Why the switch refused or ended a page's request (the widget picks its message by code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadMessage,
    BadOffer,
    ForgedSignature,
    Closed,
    Busy,
    RateLimited,
    Failed,
}

/// A page's message the switch refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignalError {
    #[error("message larger than {MAX_MESSAGE_BYTES} bytes")]
    TooLarge,
    #[error("not a message the switch understands: {0}")]
    BadJson(String),
    #[error("`{0}` is not a DTMF digit (0-9, *, #, A-D)")]
    BadDigit(String),
    #[error("the customer id's signature does not match")]
    ForgedSignature,
}

impl SignalError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::ForgedSignature => ErrorCode::ForgedSignature,
            _ => ErrorCode::BadMessage,
        }
    }
}

/// Parses a page's text message, checking what serde cannot (a DTMF digit's shape).
pub fn parse_client(text: &str) -> Result<ClientMessage, SignalError> {
    if text.len() > MAX_MESSAGE_BYTES {
        return Err(SignalError::TooLarge);
    }
    let msg: ClientMessage =
        serde_json::from_str(text).map_err(|e| SignalError::BadJson(e.to_string()))?;
    if let ClientMessage::Dtmf { digit } = &msg {
        dtmf_digit(digit)?;
    }
    Ok(msg)
}

/// The one character of a DTMF digit message.
pub fn dtmf_digit(digit: &str) -> Result<char, SignalError> {
    let mut chars = digit.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_digit() || "*#ABCDabcd".contains(c) => {
            Ok(c.to_ascii_uppercase())
        }
        _ => Err(SignalError::BadDigit(digit.chars().take(8).collect())),
    }
}

/// The message as JSON text for the page.
pub fn to_text(msg: &ServerMessage) -> String {
    // Serialising these plain enums cannot fail; an empty object is a safe fallback anyway.
    serde_json::to_string(msg).unwrap_or_else(|_| "{}".into())
}

/// Who the visitor is, given the entry's `secret` and the Unix time `now_s`.
pub fn identify(
    ctx: Option<&VisitorContext>,
    secret: Option<&[u8]>,
    now_s: i64,
) -> Result<Identity, SignalError> {
    let Some(id) = ctx
        .and_then(|c| c.customer_id.as_deref())
        .map(str::trim)
        .filter(|id| !id.is_empty())
    else {
        return Ok(Identity::Anonymous);
    };
    let id: String = id.chars().take(MAX_FIELD_CHARS).collect();
    let (Some(secret), Some(signature), Some(expires)) = (
        secret,
        ctx.and_then(|c| c.signature.as_deref()),
        ctx.and_then(|c| c.expires),
    ) else {
        return Ok(Identity::Unverified(id));
    };
    let Ok(given) = hex::decode(signature.trim()) else {
        return Err(SignalError::ForgedSignature);
    };
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret).map_err(|_| SignalError::ForgedSignature)?;
    mac.update(signing_text(&id, expires).as_bytes());
    // Constant time: the comparison must not tell a forger how many bytes were right.
    if mac.verify_slice(&given).is_err() {
        return Err(SignalError::ForgedSignature);
    }
    if expires < now_s || expires > now_s.saturating_add(MAX_EXPIRY_AHEAD_S) {
        return Ok(Identity::Unverified(id));
    }
    Ok(Identity::Verified(id))
}

/// What the site signs.
pub fn signing_text(customer_id: &str, expires: i64) -> String {
    format!("{customer_id}.{expires}")
}

/// The signature a site computes (for tests and the demo page).
pub fn sign(secret: &[u8], customer_id: &str, expires: i64) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        // HMAC takes keys of any length; this arm cannot be reached.
        Err(_) => return String::new(),
    };
    mac.update(signing_text(customer_id, expires).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A page URL as kept for the agent: http(s) only, bounded.
pub fn page_url(ctx: Option<&VisitorContext>) -> Option<String> {
    let url = ctx?.page_url.as_deref()?.trim();
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && !url.chars().any(char::is_control);
    ok.then(|| url.chars().take(MAX_FIELD_CHARS).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef-bank";
    const NOW: i64 = 1_800_000_000;

    fn ctx(id: &str, signature: Option<String>, expires: Option<i64>) -> VisitorContext {
        VisitorContext {
            page_url: Some("https://bank.example/loans".into()),
            customer_id: Some(id.into()),
            signature,
            expires,
        }
    }

    #[test]
    fn messages_parse_and_bad_ones_are_refused_with_the_reason() {
        assert_eq!(
            parse_client(r#"{"type":"offer","sdp":"v=0"}"#),
            Ok(ClientMessage::Offer {
                sdp: "v=0".into(),
                context: None
            })
        );
        assert_eq!(
            parse_client(r##"{"type":"dtmf","digit":"#"}"##),
            Ok(ClientMessage::Dtmf { digit: "#".into() })
        );
        assert_eq!(
            parse_client(r#"{"type":"mute","muted":true}"#),
            Ok(ClientMessage::Mute { muted: true })
        );
        assert_eq!(
            parse_client(r#"{"type":"hangup"}"#),
            Ok(ClientMessage::Hangup)
        );
        for bad in [
            "not json",
            "{}",
            r#"{"type":"dial","to":"+8210"}"#,
            r#"{"type":"offer"}"#,
            r#"{"type":"mute","muted":"yes"}"#,
        ] {
            assert!(
                matches!(parse_client(bad), Err(SignalError::BadJson(_))),
                "{bad}"
            );
        }
        assert_eq!(
            parse_client(r#"{"type":"dtmf","digit":"12"}"#),
            Err(SignalError::BadDigit("12".into()))
        );
        let huge = format!(
            r#"{{"type":"offer","sdp":"{}"}}"#,
            "a".repeat(MAX_MESSAGE_BYTES)
        );
        assert_eq!(parse_client(&huge), Err(SignalError::TooLarge));
        assert_eq!(dtmf_digit("b"), Ok('B'));
    }

    #[test]
    fn server_messages_are_the_documented_json() {
        let queued = ServerMessage::State(CallState::Queued {
            position: 2,
            estimated_wait_s: 40,
        });
        assert_eq!(
            to_text(&queued),
            r#"{"type":"state","state":"queued","position":2,"estimated_wait_s":40}"#
        );
        let ended = ServerMessage::State(CallState::Ended {
            reason: "agent hung up".into(),
        });
        assert_eq!(
            to_text(&ended),
            r#"{"type":"state","state":"ended","reason":"agent hung up"}"#
        );
        let error = ServerMessage::Error {
            code: ErrorCode::RateLimited,
            message: "later".into(),
        };
        assert_eq!(
            to_text(&error),
            r#"{"type":"error","code":"rate_limited","message":"later"}"#
        );
    }

    #[test]
    fn a_signed_id_is_verified_until_it_expires() {
        let expires = NOW + 600;
        let good = ctx(
            "C-1001",
            Some(sign(SECRET, "C-1001", expires)),
            Some(expires),
        );
        assert_eq!(
            identify(Some(&good), Some(SECRET), NOW),
            Ok(Identity::Verified("C-1001".into()))
        );
        // Past its expiry: still shown, no longer trusted.
        assert_eq!(
            identify(Some(&good), Some(SECRET), expires + 1),
            Ok(Identity::Unverified("C-1001".into()))
        );
        // A signature promising more than a day is not trusted either.
        let far = NOW + MAX_EXPIRY_AHEAD_S + 10;
        let long = ctx("C-1001", Some(sign(SECRET, "C-1001", far)), Some(far));
        assert_eq!(
            identify(Some(&long), Some(SECRET), NOW),
            Ok(Identity::Unverified("C-1001".into()))
        );
    }

    #[test]
    fn a_forged_signature_is_refused() {
        let expires = NOW + 600;
        // Signed for another customer, another expiry, another key, or not hex at all.
        for (signature, exp) in [
            (sign(SECRET, "C-1002", expires), expires),
            (sign(SECRET, "C-1001", expires), expires + 1),
            (
                sign(b"another secret of the bank", "C-1001", expires),
                expires,
            ),
            ("zz".to_string(), expires),
        ] {
            let c = ctx("C-1001", Some(signature), Some(exp));
            assert_eq!(
                identify(Some(&c), Some(SECRET), NOW),
                Err(SignalError::ForgedSignature)
            );
        }
    }

    #[test]
    fn unsigned_ids_are_unverified_and_no_id_is_anonymous() {
        let unsigned = ctx("C-7", None, None);
        assert_eq!(
            identify(Some(&unsigned), Some(SECRET), NOW),
            Ok(Identity::Unverified("C-7".into()))
        );
        // An entry without a secret cannot verify anything.
        let signed = ctx("C-7", Some(sign(SECRET, "C-7", NOW + 60)), Some(NOW + 60));
        assert_eq!(
            identify(Some(&signed), None, NOW),
            Ok(Identity::Unverified("C-7".into()))
        );
        assert_eq!(identify(None, Some(SECRET), NOW), Ok(Identity::Anonymous));
        assert_eq!(
            identify(Some(&ctx("  ", None, None)), Some(SECRET), NOW),
            Ok(Identity::Anonymous)
        );
    }

    #[test]
    fn page_urls_are_http_only() {
        let c = ctx("x", None, None);
        assert_eq!(
            page_url(Some(&c)).as_deref(),
            Some("https://bank.example/loans")
        );
        let js = VisitorContext {
            page_url: Some("javascript:alert(1)".into()),
            ..Default::default()
        };
        assert_eq!(page_url(Some(&js)), None);
    }
}
