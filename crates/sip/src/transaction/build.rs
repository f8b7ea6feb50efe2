//! Messages the transaction layer writes itself: `100 Trying`, the answers to CANCEL (200/481),
//! the ACK for a non-2xx final (§17.1.1.3) and the CANCEL for a pending INVITE (§9.1).

use super::key::{tag_param, TopVia};
use bytes::Bytes;
use rsip::headers::UntypedHeader;
use rsip::{Header, Headers, Method, Request, Response, StatusCode, Version};

/// Serializes once; the same bytes are kept for every retransmission.
pub(crate) fn request_bytes(request: &Request) -> Bytes {
    crate::message::request_to_bytes(request)
}

/// Through the same writer as every other message: standard reason phrases (rsip prints
/// variant names such as `UnsupportedMediaType`), the real Content-Length, IPv6 unmasked.
pub(crate) fn response_bytes(response: &Response) -> Bytes {
    crate::message::response_to_bytes(response)
}

/// A response to `request` built by the layer (§8.2.6.2): Vias, From, To, Call-ID and CSeq copied,
/// a To tag added when `to_tag` is given and the request had none, and no body.
pub(crate) fn response_to(
    request: &Request,
    code: u16,
    reason: &str,
    to_tag: Option<&str>,
) -> Response {
    let mut headers = Headers::default();
    for h in request.headers.iter() {
        match h {
            Header::Via(_) | Header::From(_) | Header::CallId(_) | Header::CSeq(_) => {
                headers.push(h.clone())
            }
            Header::To(to) => match to_tag {
                Some(tag) if tag_param(to.value()).is_none() => {
                    headers.push(Header::To(format!("{};tag={tag}", to.value()).into()))
                }
                _ => headers.push(h.clone()),
            },
            _ => {}
        }
    }
    headers.push(Header::ContentLength(0u32.into()));
    Response {
        status_code: StatusCode::Other(code, reason.into()),
        version: Version::V2,
        headers,
        body: Vec::new(),
    }
}

/// A tag derived from transaction identifiers (FNV-1a), for the few responses the layer
/// answers on its own. Deterministic so tests and retransmissions agree, unique per branch.
pub(crate) fn derived_tag(seed: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// Builds an in-transaction request (ACK or CANCEL) from the INVITE: same Request-URI, Call-ID,
/// From, CSeq number, the INVITE's top Via only, its Route set; To is given by the caller.
fn in_transaction_request(
    invite: &Request,
    via: &TopVia<'_>,
    method: Method,
    cseq: u32,
    to: Header,
) -> Request {
    let mut headers = Headers::default();
    headers.push(Header::Via(via.value.into()));
    headers.push(Header::MaxForwards(Default::default()));
    for h in invite.headers.iter() {
        if matches!(h, Header::From(_) | Header::CallId(_) | Header::Route(_)) {
            headers.push(h.clone());
        }
    }
    headers.push(to);
    headers.push(Header::CSeq(format!("{cseq} {method}").into()));
    headers.push(Header::ContentLength(0u32.into()));
    Request {
        method,
        uri: invite.uri.clone(),
        version: Version::V2,
        headers,
        body: Vec::new(),
    }
}

/// ACK for a 3xx–6xx (§17.1.1.3): To comes from the response so it carries the UAS's tag.
pub(crate) fn ack_for_failure(
    invite: &Request,
    via: &TopVia<'_>,
    cseq: u32,
    response: &Response,
) -> Option<Request> {
    let to = response
        .headers
        .iter()
        .find(|h| matches!(h, Header::To(_)))?
        .clone();
    Some(in_transaction_request(invite, via, Method::Ack, cseq, to))
}

/// CANCEL for a pending INVITE (§9.1): To is the INVITE's (no tag).
pub(crate) fn cancel_for(invite: &Request, via: &TopVia<'_>, cseq: u32) -> Option<Request> {
    let to = invite
        .headers
        .iter()
        .find(|h| matches!(h, Header::To(_)))?
        .clone();
    Some(in_transaction_request(
        invite,
        via,
        Method::Cancel,
        cseq,
        to,
    ))
}
