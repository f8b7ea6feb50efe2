//! Checks a parsed request must pass before it is served (RFC 3261 §8.2.1–8.2.2, §16.3):
//! mandatory headers once each, CSeq method, URI schemes, SIP version, Require option tags,
//! and Max-Forwards for requests we would forward. Each failure is a ready-to-send rejection.

use crate::message::{self, name_addr};
use rsip::prelude::*;
use rsip::{Header, Method, Request, Response, Scheme};

/// A request refused with a status code, a reason phrase and headers to add (e.g.
/// `Unsupported` on 420).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub code: u16,
    pub reason: String,
    pub extra_headers: Vec<Header>,
}

impl Rejection {
    fn new(code: u16, reason: impl Into<String>) -> Self {
        Rejection {
            code,
            reason: reason.into(),
            extra_headers: Vec::new(),
        }
    }

    /// The response to send: `make_response` plus the extra headers.
    pub fn to_response(&self, req: &Request, to_tag: &str) -> Response {
        let mut resp = message::make_response(req, self.code, Some(&self.reason), Some(to_tag));
        for h in &self.extra_headers {
            resp.headers.push(h.clone());
        }
        resp
    }
}

/// [`check_request_opts`] for requests we answer ourselves (Max-Forwards 0 is fine).
pub fn check_request(req: &Request, supported: &[&str]) -> Result<(), Rejection> {
    check_request_opts(req, supported, false)
}

/// Validates `req`. `supported` lists our option tags (compared case-insensitively).
/// With `will_forward`, `Max-Forwards: 0` is refused with 483 (RFC 3261 §16.3 step 2).
pub fn check_request_opts(
    req: &Request,
    supported: &[&str],
    will_forward: bool,
) -> Result<(), Rejection> {
    if req.version != rsip::Version::V2 {
        return Err(Rejection::new(505, "Version Not Supported"));
    }
    check_mandatory(req)?;
    check_cseq(req)?;
    check_uris(req)?;
    check_max_forwards(req, will_forward)?;
    check_require(req, supported)
}

type HeaderTest = fn(&Header) -> bool;

fn check_mandatory(req: &Request) -> Result<(), Rejection> {
    let count = |pred: fn(&Header) -> bool| req.headers.iter().filter(|h| pred(h)).count();
    if count(|h| matches!(h, Header::Via(_))) == 0 {
        return Err(Rejection::new(400, "Missing Via header"));
    }
    let singles: [(&str, HeaderTest); 4] = [
        ("From", |h| matches!(h, Header::From(_))),
        ("To", |h| matches!(h, Header::To(_))),
        ("Call-ID", |h| matches!(h, Header::CallId(_))),
        ("CSeq", |h| matches!(h, Header::CSeq(_))),
    ];
    for (name, pred) in singles {
        match count(pred) {
            0 => return Err(Rejection::new(400, format!("Missing {name} header"))),
            1 => {}
            _ => return Err(Rejection::new(400, format!("Duplicate {name} header"))),
        }
    }
    if count(|h| matches!(h, Header::MaxForwards(_))) > 1 {
        return Err(Rejection::new(400, "Duplicate Max-Forwards header"));
    }
    Ok(())
}

fn check_cseq(req: &Request) -> Result<(), Rejection> {
    let (_, method) = message::cseq(req).ok_or_else(|| Rejection::new(400, "Malformed CSeq"))?;
    if method != req.method {
        return Err(Rejection::new(400, "CSeq method does not match"));
    }
    Ok(())
}

/// The URI's scheme. rsip 0.4 only recognizes sip/sips and parses `mailto:a@b` as
/// user `mailto`, password `a`; the printed form still starts with the scheme, so read it there.
fn uri_scheme(uri: &rsip::Uri) -> Option<String> {
    match &uri.scheme {
        Some(Scheme::Sip) => Some("sip".into()),
        Some(Scheme::Sips) => Some("sips".into()),
        Some(Scheme::Other(s)) => Some(s.to_ascii_lowercase()),
        None => {
            let text = uri.to_string();
            let (scheme, _) = text.split_once(':')?;
            let ok = !scheme.is_empty()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
            ok.then(|| scheme.to_ascii_lowercase())
        }
    }
}

fn check_uris(req: &Request) -> Result<(), Rejection> {
    let scheme = uri_scheme(&req.uri);
    if !matches!(scheme.as_deref(), Some("sip" | "sips" | "tel")) {
        return Err(Rejection::new(416, "Unsupported URI Scheme"));
    }
    // A `<sip:...>` value needs no typed parse to know its scheme (message/name_addr.rs).
    let (from, to) = first_from_to(req);
    if !from.is_some_and(name_addr::has_sip_scheme)
        && message::from_uri(req)
            .and_then(|u| uri_scheme(&u))
            .is_none()
    {
        return Err(Rejection::new(400, "Malformed From"));
    }
    if !to.is_some_and(name_addr::has_sip_scheme)
        && message::to_uri(req).and_then(|u| uri_scheme(&u)).is_none()
    {
        return Err(Rejection::new(400, "Malformed To"));
    }
    Ok(())
}

/// The values of the first From and To headers.
fn first_from_to(req: &Request) -> (Option<&str>, Option<&str>) {
    let from = req.headers.iter().find_map(|h| match h {
        Header::From(f) => Some(f.value()),
        _ => None,
    });
    let to = req.headers.iter().find_map(|h| match h {
        Header::To(t) => Some(t.value()),
        _ => None,
    });
    (from, to)
}

fn check_max_forwards(req: &Request, will_forward: bool) -> Result<(), Rejection> {
    let Some(value) = req.headers.iter().find_map(|h| match h {
        Header::MaxForwards(m) => Some(m.value().trim()),
        _ => None,
    }) else {
        return Ok(());
    };
    let hops: u32 = value
        .parse()
        .ok()
        .filter(|_| value.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| Rejection::new(400, "Malformed Max-Forwards"))?;
    if hops == 0 && will_forward {
        return Err(Rejection::new(483, "Too Many Hops"));
    }
    Ok(())
}

fn check_require(req: &Request, supported: &[&str]) -> Result<(), Rejection> {
    // RFC 3261 §8.2.2.3: ACK and CANCEL are never refused for Require.
    if matches!(req.method, Method::Ack | Method::Cancel) {
        return Ok(());
    }
    let unknown: Vec<&str> = req
        .headers
        .iter()
        .filter_map(|h| match h {
            Header::Require(r) => Some(r.value()),
            _ => None,
        })
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty() && !supported.iter().any(|s| s.eq_ignore_ascii_case(t)))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let mut rejection = Rejection::new(420, "Bad Extension");
    rejection
        .extra_headers
        .push(Header::Unsupported(rsip::headers::Unsupported::new(
            unknown.join(", "),
        )));
    Err(rejection)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "OPTIONS sip:svc@switchboard.test SIP/2.0\r\n\
Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nMax-Forwards: 70\r\n\
From: <sip:a@h>;tag=1\r\nTo: <sip:svc@switchboard.test>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n\
Content-Length: 0\r\n\r\n";

    fn req(s: &str) -> Request {
        match crate::parse::parse(s.as_bytes()) {
            Ok(rsip::SipMessage::Request(r)) => r,
            other => panic!("does not parse: {other:?}"),
        }
    }

    fn code(s: &str, forward: bool) -> Option<u16> {
        check_request_opts(&req(s), &["timer", "replaces"], forward)
            .err()
            .map(|r| r.code)
    }

    #[test]
    fn valid_request_passes() {
        assert_eq!(code(BASE, true), None);
    }

    #[test]
    fn duplicate_and_missing_headers() {
        let dup = BASE.replace("Call-ID: c1\r\n", "Call-ID: c1\r\nCall-ID: c2\r\n");
        let r = check_request(&req(&dup), &[]).expect_err("dup");
        assert_eq!(
            (r.code, r.reason.as_str()),
            (400, "Duplicate Call-ID header")
        );
        let mut no_to = req(BASE);
        no_to.headers.retain(|h| !matches!(h, Header::To(_)));
        let r = check_request(&no_to, &[]).expect_err("missing");
        assert_eq!((r.code, r.reason.as_str()), (400, "Missing To header"));
    }

    #[test]
    fn cseq_method_mismatch() {
        let s = BASE.replace("CSeq: 1 OPTIONS", "CSeq: 1 INVITE");
        assert_eq!(code(&s, false), Some(400));
    }

    #[test]
    fn max_forwards_rules() {
        let zero = BASE.replace("Max-Forwards: 70", "Max-Forwards: 0");
        assert_eq!(code(&zero, true), Some(483));
        assert_eq!(code(&zero, false), None);
        let bad = BASE.replace("Max-Forwards: 70", "Max-Forwards: lots");
        assert_eq!(code(&bad, false), Some(400));
        let absent = BASE.replace("Max-Forwards: 70\r\n", "");
        assert_eq!(code(&absent, true), None);
    }

    #[test]
    fn unknown_require_gets_420_with_unsupported() {
        let s = BASE.replace(
            "Content-Length",
            "Require: Timer, foo,bar\r\nContent-Length",
        );
        let r = check_request(&req(&s), &["timer"]).expect_err("420");
        assert_eq!(r.code, 420);
        assert_eq!(r.extra_headers.len(), 1);
        assert_eq!(r.extra_headers[0].to_string(), "Unsupported: foo, bar");
        let resp = r.to_response(&req(&s), "tt");
        assert!(resp
            .headers
            .iter()
            .any(|h| matches!(h, Header::Unsupported(_))));
        assert_eq!(message::to_tag(&resp).as_deref(), Some("tt"));
        // ACK and CANCEL are never rejected for Require.
        let ack = s.replace("OPTIONS", "CANCEL");
        assert_eq!(code(&ack, false), None);
    }

    #[test]
    fn version_and_scheme() {
        let mut old = req(BASE);
        old.version = rsip::Version::V1;
        assert_eq!(check_request(&old, &[]).map_err(|r| r.code), Err(505));
        // parse() already refuses such Request-URIs; requests built in code are checked too.
        let mut mailto = req(BASE);
        mailto.uri = rsip::Uri::try_from("mailto:svc@switchboard.test").expect("uri");
        assert_eq!(check_request(&mailto, &[]).map_err(|r| r.code), Err(416));
        let mut sips = req(BASE);
        sips.uri = rsip::Uri::try_from("sips:svc@switchboard.test").expect("uri");
        assert_eq!(check_request(&sips, &[]), Ok(()));
    }

    #[test]
    fn to_without_uri_is_400() {
        let mut r = req(BASE);
        for h in r.headers.iter_mut() {
            if let Header::To(_) = h {
                *h = Header::To(rsip::headers::To::new("nobody"));
            }
        }
        assert_eq!(check_request(&r, &[]).map_err(|r| r.code), Err(400));
    }
}
