//! How a message finds its transaction: small readers for the headers that matter (top Via,
//! CSeq, Call-ID, tags) and the lookup keys of RFC 3261 §17.1.3 (client) and §17.2.3 (server).
//!
//! The readers work on the raw header values rather than rsip's typed headers: typed parsing
//! allocates a whole structure per header and we only need a few substrings per message.

use crate::Transport;
use rsip::headers::UntypedHeader;
use rsip::{Header, Headers, Method, Request};

/// Branches starting with this were built by RFC 3261 elements and are globally unique.
pub(crate) const MAGIC_COOKIE: &str = "z9hG4bK";

/// A compact, hashable stand-in for `rsip::Method` (which does not implement `Hash`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct MethodKey(u8);

impl From<Method> for MethodKey {
    fn from(m: Method) -> Self {
        MethodKey(match m {
            Method::Ack => 0,
            Method::Bye => 1,
            Method::Cancel => 2,
            Method::Info => 3,
            Method::Invite => 4,
            Method::Message => 5,
            Method::Notify => 6,
            Method::Options => 7,
            Method::PRack => 8,
            Method::Publish => 9,
            Method::Refer => 10,
            Method::Register => 11,
            Method::Subscribe => 12,
            Method::Update => 13,
        })
    }
}

/// Methods are case-sensitive tokens (RFC 3261 §7.1), so only the upper-case spelling matches.
pub(crate) fn method_from_token(token: &str) -> Option<Method> {
    Some(match token {
        "ACK" => Method::Ack,
        "BYE" => Method::Bye,
        "CANCEL" => Method::Cancel,
        "INFO" => Method::Info,
        "INVITE" => Method::Invite,
        "MESSAGE" => Method::Message,
        "NOTIFY" => Method::Notify,
        "OPTIONS" => Method::Options,
        "PRACK" => Method::PRack,
        "PUBLISH" => Method::Publish,
        "REFER" => Method::Refer,
        "REGISTER" => Method::Register,
        "SUBSCRIBE" => Method::Subscribe,
        "UPDATE" => Method::Update,
        _ => return None,
    })
}

/// The parts of the top Via we match on.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TopVia<'a> {
    /// The whole first via-parm, as on the wire (RFC 2543 matching compares it verbatim).
    pub value: &'a str,
    /// `host[:port]`, without whitespace.
    pub sent_by: String,
    pub branch: Option<&'a str>,
}

/// The first Via header's first element. The normalizer splits comma-joined Vias, but a message
/// that bypassed it must not make us key on the second element.
pub(crate) fn top_via(headers: &Headers) -> Option<TopVia<'_>> {
    let raw = headers.iter().find_map(|h| match h {
        Header::Via(v) => Some(v.value()),
        _ => None,
    })?;
    parse_via(raw)
}

fn parse_via(raw: &str) -> Option<TopVia<'_>> {
    let value = raw.split(',').next()?.trim();
    let mut parts = value.split(';');
    let head = parts.next()?;
    // "SIP / 2.0 / UDP host:port": sent-by follows the transport token after the second '/'.
    let mut slashes = head.match_indices('/');
    slashes.next()?;
    let (second, _) = slashes.next()?;
    let after = head.get(second + 1..)?.trim_start();
    let sent_by = after
        .find(char::is_whitespace)
        .and_then(|end| after.get(end..))
        .unwrap_or_default();
    let sent_by: String = sent_by
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    if sent_by.is_empty() {
        return None;
    }
    let branch = parts.find_map(|p| {
        let (name, val) = p.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("branch")
            .then(|| val.trim())
    });
    Some(TopVia {
        value,
        sent_by,
        branch,
    })
}

/// CSeq sequence number and method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CSeq {
    pub num: u32,
    pub method: Method,
}

pub(crate) fn cseq(headers: &Headers) -> Option<CSeq> {
    let raw = headers.iter().find_map(|h| match h {
        Header::CSeq(c) => Some(c.value()),
        _ => None,
    })?;
    let mut it = raw.split_whitespace();
    let num = it.next()?.parse().ok()?;
    let method = method_from_token(it.next()?)?;
    Some(CSeq { num, method })
}

pub(crate) fn call_id(headers: &Headers) -> Option<&str> {
    headers.iter().find_map(|h| match h {
        Header::CallId(c) => Some(c.value().trim()),
        _ => None,
    })
}

pub(crate) fn to_tag(headers: &Headers) -> Option<&str> {
    headers.iter().find_map(|h| match h {
        Header::To(t) => Some(tag_param(t.value())),
        _ => None,
    })?
}

pub(crate) fn from_tag(headers: &Headers) -> Option<&str> {
    headers.iter().find_map(|h| match h {
        Header::From(f) => Some(tag_param(f.value())),
        _ => None,
    })?
}

/// The `tag` header parameter of a From/To value. Parameters inside `<...>` belong to the URI,
/// so only what follows the closing bracket counts; without brackets, RFC 3261 §20.10 says
/// everything after the first `;` is a header parameter.
pub(crate) fn tag_param(value: &str) -> Option<&str> {
    let params = match value.rfind('>') {
        Some(i) => value.get(i + 1..).unwrap_or_default(),
        None => value.split_once(';').map_or("", |(_, p)| p),
    };
    params.split(';').find_map(|p| {
        let (name, val) = p.split_once('=')?;
        name.trim().eq_ignore_ascii_case("tag").then(|| val.trim())
    })
}

/// Client transaction key (§17.1.3): top Via branch plus CSeq method, so a CANCEL (same branch
/// as its INVITE) gets its own transaction.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ClientKey {
    pub branch: Box<str>,
    pub method: MethodKey,
}

/// Server transaction key (§17.2.3), plus the transport the request arrived on: a peer
/// retransmits over the transport it first used (§18.1.1), so the same identifiers arriving
/// over another transport are a new request (RFC 4475's messages sent over UDP and then over
/// TCP went unanswered over TCP, their answers retransmitted to the UDP sender instead).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ServerKey {
    /// Branch with the magic cookie, sent-by of the top Via, and method (ACK counted as INVITE).
    Rfc3261 {
        transport: Transport,
        branch: Box<str>,
        sent_by: Box<str>,
        method: MethodKey,
    },
    /// Pre-RFC 3261 peers: no unique branch, so the dialog and sequence identifiers stand in.
    /// The To-tag is left out because the ACK for a non-2xx carries the tag of our response while
    /// the INVITE had none; it is checked separately when the ACK arrives.
    Rfc2543 {
        transport: Transport,
        request_uri: Box<str>,
        from_tag: Box<str>,
        call_id: Box<str>,
        cseq: u32,
        top_via: Box<str>,
        method: MethodKey,
    },
}

impl ServerKey {
    pub(crate) fn is_rfc2543(&self) -> bool {
        matches!(self, ServerKey::Rfc2543 { .. })
    }
}

/// The server key `request` would have if its method were `method`: used with the request's own
/// method, and with INVITE to find the transaction an ACK or CANCEL refers to.
pub(crate) fn server_key(
    request: &Request,
    method: Method,
    transport: Transport,
) -> Option<ServerKey> {
    let via = top_via(&request.headers)?;
    let method = MethodKey::from(method);
    match via.branch {
        Some(b) if b.starts_with(MAGIC_COOKIE) => Some(ServerKey::Rfc3261 {
            transport,
            branch: b.into(),
            sent_by: via.sent_by.into(),
            method,
        }),
        _ => Some(ServerKey::Rfc2543 {
            transport,
            request_uri: request.uri.to_string().into(),
            from_tag: from_tag(&request.headers).unwrap_or("").into(),
            call_id: call_id(&request.headers)?.into(),
            cseq: cseq(&request.headers)?.num,
            top_via: via.value.into(),
            method,
        }),
    }
}

/// Finds the INVITE server transaction in Accepted that a 2xx ACK (new branch) belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct AckKey {
    pub call_id: Box<str>,
    pub cseq: u32,
    pub to_tag: Box<str>,
}

impl AckKey {
    pub(crate) fn of(headers: &Headers) -> Option<AckKey> {
        Some(AckKey {
            call_id: call_id(headers)?.into(),
            cseq: cseq(headers)?.num,
            to_tag: to_tag(headers).unwrap_or("").into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn via_reader_takes_first_element_and_normalizes_sent_by() {
        let v = parse_via(
            "SIP / 2.0 / UDP  PC33.Example.com : 5060 ;branch=z9hG4bKabc ;rport, SIP/2.0/UDP other",
        )
        .unwrap();
        assert_eq!(v.sent_by, "pc33.example.com:5060");
        assert_eq!(v.branch, Some("z9hG4bKabc"));
        assert!(!v.value.contains("other"));
    }

    #[test]
    fn via_without_branch_or_host_is_handled() {
        assert_eq!(parse_via("SIP/2.0/UDP h").unwrap().branch, None);
        assert!(parse_via("SIP/2.0/UDP").is_none());
        assert!(parse_via("garbage").is_none());
    }

    #[test]
    fn tag_reader_ignores_uri_params() {
        assert_eq!(tag_param("<sip:a@b;tag=no>;tag=yes"), Some("yes"));
        assert_eq!(tag_param("<sip:a@b;tag=no>"), None);
        assert_eq!(tag_param("sip:a@b;tag=x1"), Some("x1"));
        assert_eq!(tag_param("\"A\" <sip:a@b> ; TAG = t2 ;x=y"), Some("t2"));
    }

    #[test]
    fn cseq_method_is_case_sensitive() {
        let h: Headers = vec![Header::CSeq("12 INVITE".into())].into();
        assert_eq!(
            cseq(&h),
            Some(CSeq {
                num: 12,
                method: Method::Invite
            })
        );
        let h: Headers = vec![Header::CSeq("12 invite".into())].into();
        assert_eq!(cseq(&h), None);
    }
}
