//! Bytes to `rsip::SipMessage`: the normalizer, a start-line check that tells a bad version
//! (505) or an unknown method (501) from plain garbage (400), rsip, then the headers every
//! message needs before a transaction can even be matched. Also the stateless `400` for
//! requests that never make it that far.

use crate::normalize::{self, expand_compact};
use bytes::Bytes;
use rsip::prelude::*;
use rsip::{Header, SipMessage};

/// Why bytes are not a usable SIP message. `Display` is a short reason phrase fit for a
/// `400 <reason>` response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    #[error("Empty message")]
    Empty,
    #[error("Bad request line")]
    BadStartLine,
    #[error("Bad status line")]
    BadStatusLine,
    #[error("Unsupported SIP version")]
    BadVersion(String),
    #[error("Unknown method")]
    UnknownMethod(String),
    /// A Request-URI scheme other than sip/sips (rsip 0.4 cannot represent `tel:` either).
    #[error("Unsupported URI Scheme")]
    UnsupportedScheme(String),
    #[error("Malformed header line")]
    MalformedHeaderLine,
    #[error("Missing {0} header")]
    MissingHeader(&'static str),
    #[error("Malformed {0}")]
    Malformed(&'static str),
    #[error("Body shorter than Content-Length")]
    BodyTooShort { expected: usize, got: usize },
    #[error("Malformed message")]
    Rsip(String),
}

impl ParseError {
    /// The caller should answer `505 Version Not Supported`.
    pub fn is_bad_version(&self) -> bool {
        matches!(self, ParseError::BadVersion(_))
    }

    /// The caller should answer `501 Not Implemented` (rsip knows a fixed set of methods).
    pub fn is_unknown_method(&self) -> bool {
        matches!(self, ParseError::UnknownMethod(_))
    }

    /// The status code a request failing this way deserves.
    pub fn status_code(&self) -> u16 {
        match self {
            ParseError::BadVersion(_) => 505,
            ParseError::UnknownMethod(_) => 501,
            ParseError::UnsupportedScheme(_) => 416,
            _ => 400,
        }
    }
}

/// Methods rsip 0.4 can represent; SIP method names are case-sensitive.
const KNOWN_METHODS: [&str; 14] = [
    "ACK",
    "BYE",
    "CANCEL",
    "INFO",
    "INVITE",
    "MESSAGE",
    "NOTIFY",
    "OPTIONS",
    "PRACK",
    "PUBLISH",
    "REFER",
    "REGISTER",
    "SUBSCRIBE",
    "UPDATE",
];

/// Parses one datagram or one framed stream message.
pub fn parse(bytes: &[u8]) -> Result<SipMessage, ParseError> {
    let normalized = normalize::normalize(bytes)?;
    check_start_line(&normalized)?;
    let msg = SipMessage::try_from(&normalized[..]).map_err(|e| ParseError::Rsip(e.to_string()))?;
    check_essentials(&msg)?;
    addr::check(msg.headers())?;
    Ok(msg)
}

fn start_line(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .windows(2)
        .position(|w| w == b"\r\n")
        .unwrap_or(bytes.len());
    bytes.get(..end).unwrap_or(bytes)
}

fn check_version(token: &str, bad: ParseError) -> Result<(), ParseError> {
    let Some((prefix, version)) = token.split_at_checked(4) else {
        return Err(bad);
    };
    if !prefix.eq_ignore_ascii_case("SIP/") {
        return Err(bad);
    }
    if version != "2.0" {
        return Err(ParseError::BadVersion(token.to_owned()));
    }
    Ok(())
}

fn is_status_line(line: &str) -> bool {
    line.get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("SIP/"))
}

fn check_start_line(bytes: &[u8]) -> Result<(), ParseError> {
    let line = std::str::from_utf8(start_line(bytes)).map_err(|_| ParseError::BadStartLine)?;
    if is_status_line(line) {
        let mut parts = line.splitn(3, ' ');
        let version = parts.next().unwrap_or_default();
        check_version(version, ParseError::BadStatusLine)?;
        let code = parts.next().unwrap_or_default();
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) || code.starts_with('0') {
            return Err(ParseError::BadStatusLine);
        }
        return Ok(());
    }
    let parts: Vec<&str> = line.split(' ').collect();
    let [method, uri, version] = parts[..] else {
        return Err(ParseError::BadStartLine);
    };
    // A Request-URI in `<>` (RFC 4475 §3.1.2.7) is malformed, not an unknown scheme.
    if method.is_empty()
        || uri.is_empty()
        || uri.starts_with('<')
        || !method.bytes().all(normalize::is_token_char)
    {
        return Err(ParseError::BadStartLine);
    }
    check_version(version, ParseError::BadStartLine)?;
    if !KNOWN_METHODS.contains(&method) {
        return Err(ParseError::UnknownMethod(method.to_owned()));
    }
    let (scheme, _) = uri.split_once(':').ok_or(ParseError::BadStartLine)?;
    if !(scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips")) {
        return Err(ParseError::UnsupportedScheme(scheme.to_owned()));
    }
    Ok(())
}

/// Headers without which no transaction can be matched nor a response routed (RFC 3261 §8.1.1).
fn check_essentials(msg: &SipMessage) -> Result<(), ParseError> {
    let mut via = false;
    let (mut from, mut to, mut call_id, mut cseq) = (false, false, false, false);
    for header in msg.headers().iter() {
        match header {
            Header::Via(v) if !via => {
                v.typed().map_err(|_| ParseError::Malformed("Via"))?;
                via = true;
            }
            Header::From(f) => {
                f.typed().map_err(|_| ParseError::Malformed("From"))?;
                from = true;
            }
            Header::To(t) => {
                t.typed().map_err(|_| ParseError::Malformed("To"))?;
                to = true;
            }
            Header::CallId(c) => {
                if c.value().trim().is_empty() {
                    return Err(ParseError::Malformed("Call-ID"));
                }
                call_id = true;
            }
            Header::CSeq(c) => {
                c.typed().map_err(|_| ParseError::Malformed("CSeq"))?;
                cseq = true;
            }
            _ => {}
        }
    }
    for (present, name) in [
        (via, "Via"),
        (from, "From"),
        (to, "To"),
        (call_id, "Call-ID"),
        (cseq, "CSeq"),
    ] {
        if !present {
            return Err(ParseError::MissingHeader(name));
        }
    }
    Ok(())
}

/// Builds `400 <reason>` for a request rsip could not parse, copying whichever of the raw Via,
/// From, To, Call-ID and CSeq lines it has. `None` without a Via (nowhere to match the answer),
/// for responses and for ACK (neither is ever answered).
pub fn reject_unparsable(bytes: &[u8], reason: &str) -> Option<Bytes> {
    respond_unparsable(bytes, 400, reason)
}

/// Like [`reject_unparsable`] with any status code (505 for a bad version, 501 for an unknown
/// method).
pub fn respond_unparsable(bytes: &[u8], code: u16, reason: &str) -> Option<Bytes> {
    let start = bytes.iter().position(|b| !matches!(b, b'\r' | b'\n'))?;
    let text = String::from_utf8_lossy(bytes.get(start..)?);
    let mut lines = unfolded_lines(&text).into_iter();
    let first = lines.next()?;
    if is_status_line(&first) || first.starts_with("ACK ") {
        return None;
    }
    let mut vias = Vec::new();
    let (mut from, mut to, mut call_id, mut cseq) = (None, None, None, None);
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        let name = expand_compact(name).unwrap_or(name);
        let value = value.trim().to_owned();
        match name.to_ascii_lowercase().as_str() {
            "via" => vias.push(value),
            "from" => from = from.or(Some(value)),
            "to" => to = to.or(Some(value)),
            "call-id" => call_id = call_id.or(Some(value)),
            "cseq" => cseq = cseq.or(Some(value)),
            _ => {}
        }
    }
    if vias.is_empty() {
        return None;
    }
    // Answer with whatever of the dialog-identifying headers the request had: a client matches
    // responses by the Via branch, and a precise 400 beats silence and retransmissions.
    if let Some(to) = to.as_mut() {
        if !to.to_ascii_lowercase().contains(";tag=") {
            to.push_str(";tag=");
            to.push_str(&crate::message::new_tag());
        }
    }
    let reason: String = reason.chars().filter(|c| !c.is_control()).collect();
    let mut out = format!("SIP/2.0 {code} {reason}\r\n");
    for via in vias {
        out.push_str(&format!("Via: {via}\r\n"));
    }
    for (name, value) in [
        ("From", from),
        ("To", to),
        ("Call-ID", call_id),
        ("CSeq", cseq),
    ] {
        if let Some(value) = value {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    Some(Bytes::from(out))
}

/// Header lines up to the blank line, continuation lines joined; tolerant of bare LF.
fn unfolded_lines(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        let has_header = out.len() > 1;
        match out.last_mut() {
            Some(prev) if line.starts_with([' ', '\t']) && has_header => {
                prev.push(' ');
                prev.push_str(line.trim());
            }
            _ => out.push(line.to_owned()),
        }
    }
    out
}

mod addr;
#[cfg(test)]
mod tests;
