//! Message helpers shared by the transaction layer and the B2BUA: fresh tags, branches and
//! Call-IDs, building a response from a request, readers for the common headers that never
//! panic, and serialization with a Content-Length that matches the body.

use bytes::Bytes;
use rand::distributions::Alphanumeric;
use rand::Rng;
use rsip::message::HasHeaders;
use rsip::prelude::*;
use rsip::{Header, Headers, Method, Request, Response, SipMessage, StatusCode};
use std::fmt::Write as _;

/// The RFC 3261 branch prefix: a branch starting with it is globally unique.
pub const MAGIC_COOKIE: &str = "z9hG4bK";

fn random_token(len: usize) -> String {
    // thread_rng is a CSPRNG reseeded from the OS, so tags and Call-IDs are unguessable.
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// A From/To tag (RFC 3261 §19.3: at least 32 bits of randomness; we use ~95).
pub fn new_tag() -> String {
    random_token(16)
}

/// A Via branch starting with the magic cookie.
pub fn new_branch() -> String {
    format!("{MAGIC_COOKIE}{}", random_token(22))
}

/// A random Call-ID of the form `random@host`.
pub fn new_call_id(host: &str) -> String {
    format!("{}@{host}", random_token(24))
}

/// The standard reason phrase of a status code.
pub fn reason_phrase(code: u16) -> &'static str {
    match code {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        200 => "OK",
        202 => "Accepted",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Moved Temporarily",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        410 => "Gone",
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        421 => "Extension Required",
        423 => "Interval Too Brief",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        483 => "Too Many Hops",
        484 => "Address Incomplete",
        485 => "Ambiguous",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        489 => "Bad Event",
        491 => "Request Pending",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Server Time-out",
        505 => "Version Not Supported",
        513 => "Message Too Large",
        600 => "Busy Everywhere",
        603 => "Decline",
        604 => "Does Not Exist Anywhere",
        606 => "Not Acceptable",
        _ => match code / 100 {
            1 => "Progress",
            2 => "Success",
            3 => "Redirection",
            4 => "Client Error",
            5 => "Server Error",
            _ => "Global Failure",
        },
    }
}

/// Builds a response to `req`: all Via in order, From, To (with `to_tag` added when the To has
/// none), Call-ID, CSeq and `Content-Length: 0`. A custom `reason` is kept as the phrase;
/// without one the status code is rsip's well-known variant (so `== StatusCode::OK` works).
/// A response that creates a dialog (18x/2xx with a tag to an INVITE outside one) also carries
/// the request's `Record-Route` in order (RFC 3261 §12.1.1), so the caller learns the route set.
pub fn make_response(
    req: &Request,
    code: u16,
    reason: Option<&str>,
    to_tag: Option<&str>,
) -> Response {
    let mut headers = Headers::default();
    let creates_dialog = req.method == Method::Invite
        && (101..300).contains(&code)
        && to_tag.is_some()
        && crate::message::to_tag(req).is_none();
    for header in req.headers.iter() {
        match header {
            Header::Via(_) | Header::From(_) | Header::CallId(_) | Header::CSeq(_) => {
                headers.push(header.clone())
            }
            Header::RecordRoute(_) if creates_dialog => headers.push(header.clone()),
            Header::To(to) => {
                let mut value = to.value().trim().to_owned();
                if let Some(tag) = to_tag {
                    if !name_addr::has_tag(&value) {
                        let _ = write!(value, ";tag={tag}");
                    }
                }
                headers.push(Header::To(rsip::headers::To::new(value)));
            }
            _ => {}
        }
    }
    headers.push(Header::ContentLength(0u32.into()));
    let status_code = match reason {
        Some(r) => StatusCode::Other(code, r.chars().filter(|c| !c.is_control()).collect()),
        None => StatusCode::from(code),
    };
    Response {
        status_code,
        version: rsip::Version::V2,
        headers,
        body: Vec::new(),
    }
}

/// The phrase that goes on the wire for a status code: custom when given, standard otherwise.
pub fn status_reason(status: &StatusCode) -> &str {
    match status {
        StatusCode::Other(_, reason) if reason != "Other" && !reason.is_empty() => reason,
        other => reason_phrase(other.code()),
    }
}

/// Serializes a message for the wire. Any Content-Length header is replaced by the body's real
/// length, and status lines carry proper reason phrases (rsip prints variant names).
pub fn to_bytes(msg: &SipMessage) -> Bytes {
    match msg {
        SipMessage::Request(r) => request_to_bytes(r),
        SipMessage::Response(r) => response_to_bytes(r),
    }
}

/// [`to_bytes`] for a request.
pub fn request_to_bytes(r: &Request) -> Bytes {
    let start = format!("{} {} SIP/2.0\r\n", r.method, r.uri);
    serialize(start, &r.headers, &r.body)
}

/// [`to_bytes`] for a response.
pub fn response_to_bytes(r: &Response) -> Bytes {
    let start = format!(
        "SIP/2.0 {} {}\r\n",
        r.status_code.code(),
        status_reason(&r.status_code)
    );
    serialize(start, &r.headers, &r.body)
}

fn serialize(start: String, headers: &Headers, body: &[u8]) -> Bytes {
    let mut out = start;
    out.reserve(512 + body.len());
    for header in headers.iter() {
        if !matches!(header, Header::ContentLength(_)) {
            let _ = write!(out, "{header}\r\n");
        }
    }
    let _ = write!(out, "Content-Length: {}\r\n\r\n", body.len());
    // The head only: the body (SDP carries IPv6 as it is) is appended after.
    let unmasked = match crate::ipv6::unmask(&out) {
        std::borrow::Cow::Owned(head) => Some(head),
        std::borrow::Cow::Borrowed(_) => None,
    };
    let mut bytes = unmasked.unwrap_or(out).into_bytes();
    bytes.extend_from_slice(body);
    Bytes::from(bytes)
}

/// The Call-ID, trimmed.
pub fn call_id<M: HasHeaders>(msg: &M) -> Option<&str> {
    msg.headers().iter().find_map(|h| match h {
        Header::CallId(c) => Some(c.value().trim()),
        _ => None,
    })
}

/// CSeq number and method.
pub fn cseq<M: HasHeaders>(msg: &M) -> Option<(u32, Method)> {
    msg.headers().iter().find_map(|h| match h {
        Header::CSeq(c) => c.typed().ok().map(|t| (t.seq, t.method)),
        _ => None,
    })
}

fn from_typed<M: HasHeaders>(msg: &M) -> Option<rsip::typed::From> {
    msg.headers().iter().find_map(|h| match h {
        Header::From(f) => f.typed().ok(),
        _ => None,
    })
}

fn to_typed<M: HasHeaders>(msg: &M) -> Option<rsip::typed::To> {
    msg.headers().iter().find_map(|h| match h {
        Header::To(t) => t.typed().ok(),
        _ => None,
    })
}

/// The From tag.
pub fn from_tag<M: HasHeaders>(msg: &M) -> Option<String> {
    msg.headers().iter().find_map(|h| match h {
        Header::From(f) => name_addr::from_tag(f),
        _ => None,
    })?
}

/// The To tag (absent on out-of-dialog requests).
pub fn to_tag<M: HasHeaders>(msg: &M) -> Option<String> {
    msg.headers().iter().find_map(|h| match h {
        Header::To(t) => name_addr::to_tag(t.value()),
        _ => None,
    })?
}

/// The URI of the From header.
pub fn from_uri<M: HasHeaders>(msg: &M) -> Option<rsip::Uri> {
    from_typed(msg).map(|f| f.uri)
}

/// The URI of the To header.
pub fn to_uri<M: HasHeaders>(msg: &M) -> Option<rsip::Uri> {
    to_typed(msg).map(|t| t.uri)
}

/// User part of the From URI (the caller's number or name).
pub fn from_user<M: HasHeaders>(msg: &M) -> Option<String> {
    from_uri(msg).and_then(|u| uri_user(&u))
}

/// User part of the To URI.
pub fn to_user<M: HasHeaders>(msg: &M) -> Option<String> {
    to_uri(msg).and_then(|u| uri_user(&u))
}

/// The user part of a URI. rsip 0.4 reads no user part that holds a `.` (`sip:j.user@example.com`,
/// RFC 4475 §3.1.1.8): it keeps `j.user@example.com` whole as the host, and prints it back
/// unchanged. The user is then what precedes the `@` there, without a `:password`.
pub fn uri_user(uri: &rsip::Uri) -> Option<String> {
    if let Some(user) = uri.user() {
        return Some(user.to_owned());
    }
    let host = uri.host_with_port.host.to_string();
    let (userinfo, _) = host.split_once('@')?;
    let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
    (!user.is_empty()).then(|| user.to_owned())
}

/// Display name of From, without quotes; `None` when absent or empty.
pub fn from_display_name<M: HasHeaders>(msg: &M) -> Option<String> {
    let name = from_typed(msg)?.display_name?;
    let name = name.trim();
    let name = name
        .strip_prefix('"')
        .and_then(|n| n.strip_suffix('"'))
        .unwrap_or(name);
    let unescaped = unescape_quoted(name.trim());
    (!unescaped.is_empty()).then_some(unescaped)
}

fn unescape_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The branch of the topmost Via.
pub fn top_via_branch<M: HasHeaders>(msg: &M) -> Option<String> {
    let via = msg.headers().iter().find_map(|h| match h {
        Header::Via(v) => Some(v),
        _ => None,
    })?;
    via.typed().ok()?.branch().map(|b| b.value().to_owned())
}

/// The Expires header in seconds.
pub fn expires<M: HasHeaders>(msg: &M) -> Option<u32> {
    msg.headers().iter().find_map(|h| match h {
        Header::Expires(e) => e.value().trim().parse().ok(),
        _ => None,
    })
}

/// Max-Forwards; `None` when absent or not a number.
pub fn max_forwards<M: HasHeaders>(msg: &M) -> Option<u32> {
    msg.headers().iter().find_map(|h| match h {
        Header::MaxForwards(m) => m.value().trim().parse().ok(),
        _ => None,
    })
}

/// The Content-Type value, trimmed (e.g. `application/sdp`).
pub fn content_type<M: HasHeaders>(msg: &M) -> Option<&str> {
    msg.headers().iter().find_map(|h| match h {
        Header::ContentType(c) => Some(c.value().trim()),
        _ => None,
    })
}

/// One Contact value with the parameters a registrar needs.
#[derive(Clone, Debug, PartialEq)]
pub struct ContactEntry {
    pub uri: rsip::Uri,
    /// The `expires` parameter in seconds (unparsable values are treated as absent).
    pub expires: Option<u32>,
    /// The `q` parameter, 0.0–1.0.
    pub q: Option<f32>,
    /// The whole typed header, to echo it back unchanged.
    pub header: rsip::typed::Contact,
}

/// Whether a Contact is the wildcard `*` (REGISTER removing all bindings).
pub fn contact_is_star<M: HasHeaders>(msg: &M) -> bool {
    msg.headers()
        .iter()
        .any(|h| matches!(h, Header::Contact(c) if c.value().trim() == "*"))
}

/// All Contact values except `*`, in order; `None` when any of them does not parse.
pub fn contacts<M: HasHeaders>(msg: &M) -> Option<Vec<ContactEntry>> {
    let mut out = Vec::new();
    for header in msg.headers().iter() {
        let Header::Contact(c) = header else { continue };
        if c.value().trim() == "*" {
            continue;
        }
        let typed = contact::typed_contact(c.value())?;
        let mut q = None;
        for p in &typed.params {
            if let rsip::Param::Q(v) = p {
                q = v
                    .value()
                    .trim()
                    .parse::<f32>()
                    .ok()
                    .filter(|q| (0.0..=1.0).contains(q));
            }
        }
        out.push(ContactEntry {
            uri: typed.uri.clone(),
            expires: typed.expires().and_then(|e| e.seconds().ok()),
            q,
            header: typed,
        });
    }
    Some(out)
}

mod contact;
pub(crate) mod name_addr;

#[cfg(test)]
mod tests;
