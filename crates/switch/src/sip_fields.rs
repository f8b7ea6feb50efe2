//! Small readers over rsip messages that never panic: a missing or malformed header is `None`.

use rsip::headers::UntypedHeader;
use rsip::message::HeadersExt;

// The readers the sip crate already has are used from there; the ones below are switch-specific
// (or return owned values where the switch keeps them).
use rsip::{Header, Request, Response};
pub use sip::message::{cseq, from_display_name, from_user, max_forwards, to_tag, to_user};

/// The first Contact URI, as text (the remote target of a dialog).
pub fn contact_uri(h: &impl HeadersExt) -> Option<String> {
    h.contact_headers()
        .first()
        .and_then(|c| c.uri().ok())
        .map(|u| u.to_string())
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

/// Whether a response may carry SDP: no Accept header, or one listing `application/sdp`,
/// `application/*` or `*/*` (parameters ignored).
pub fn accepts_sdp(headers: &rsip::Headers) -> bool {
    let mut accepts = headers.iter().filter_map(|h| match h {
        rsip::Header::Accept(a) => Some(a.value().to_owned()),
        _ => None,
    });
    let Some(first) = accepts.next() else {
        return true;
    };
    std::iter::once(first).chain(accepts).any(|value| {
        value.split(',').any(|range| {
            let range = range.split(';').next().unwrap_or_default().trim();
            ["application/sdp", "application/*", "*/*"]
                .iter()
                .any(|ok| range.eq_ignore_ascii_case(ok))
        })
    })
}

/// Request-URI user part (the dialled number).
pub fn request_user(req: &Request) -> Option<String> {
    sip::message::uri_user(&req.uri)
}

pub fn status(resp: &Response) -> u16 {
    resp.status_code.code()
}

/// Call-ID, owned (dialog keys and CDR legs keep it).
pub fn call_id<M: rsip::message::HasHeaders>(m: &M) -> Option<String> {
    sip::message::call_id(m).map(str::to_string)
}

/// The reason phrase of a response as it goes on the wire.
pub fn reason(resp: &Response) -> String {
    sip::message::status_reason(&resp.status_code).to_string()
}
