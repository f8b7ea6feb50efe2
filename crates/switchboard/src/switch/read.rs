//! Small readers over rsip messages that never panic: a missing or malformed header is `None`.

use rsip::headers::UntypedHeader;
use rsip::message::HeadersExt;
use rsip::{Header, Request, Response};

pub fn call_id(h: &impl HeadersExt) -> Option<String> {
    h.call_id_header()
        .ok()
        .map(|c| c.value().trim().to_string())
}

pub fn cseq(h: &impl HeadersExt) -> Option<(u32, rsip::Method)> {
    let c = h.cseq_header().ok()?;
    Some((c.seq().ok()?, c.method().ok()?))
}

pub fn to_tag(h: &impl HeadersExt) -> Option<String> {
    h.to_header()
        .ok()?
        .tag()
        .ok()?
        .map(|t| t.value().to_string())
}

/// User part of the From URI (the calling extension).
pub fn from_user(h: &impl HeadersExt) -> Option<String> {
    h.from_header().ok()?.uri().ok()?.user().map(str::to_string)
}

pub fn from_display_name(h: &impl HeadersExt) -> Option<String> {
    h.from_header()
        .ok()?
        .display_name()
        .ok()?
        .map(|n| n.trim_matches('"').to_string())
        .filter(|n| !n.is_empty())
}

/// The first Contact URI, as text (the remote target of a dialog).
pub fn contact_uri(h: &impl HeadersExt) -> Option<String> {
    h.contact_headers()
        .first()
        .and_then(|c| c.uri().ok())
        .map(|u| u.to_string())
}

pub fn max_forwards(h: &impl HeadersExt) -> Option<u32> {
    h.max_forwards_header().ok()?.value().trim().parse().ok()
}

/// Content-Type without parameters, lower-cased.
pub fn content_type(headers: &rsip::Headers) -> Option<String> {
    headers.iter().find_map(|h| match h {
        Header::ContentType(c) => Some(
            c.value()
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase(),
        ),
        _ => None,
    })
}

pub fn is_sdp(headers: &rsip::Headers, body: &[u8]) -> bool {
    !body.is_empty() && content_type(headers).is_some_and(|c| c == "application/sdp")
}

/// Request-URI user part (the dialled number).
pub fn request_user(req: &Request) -> Option<String> {
    req.uri.user().map(str::to_string)
}

pub fn status(resp: &Response) -> u16 {
    resp.status_code.code()
}

pub fn reason(resp: &Response) -> String {
    match &resp.status_code {
        rsip::StatusCode::Other(_, r) => r.clone(),
        other => {
            let s = other.to_string();
            s.split_once(' ').map(|(_, r)| r.to_string()).unwrap_or(s)
        }
    }
}

/// User part of the To URI (the registering extension).
pub fn to_user(h: &impl HeadersExt) -> Option<String> {
    h.to_header().ok()?.uri().ok()?.user().map(str::to_string)
}
