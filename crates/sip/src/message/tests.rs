//! Tests for builders, readers and serialization.

use super::*;

const INVITE: &str = "INVITE sip:bob@b.test SIP/2.0\r\n\
Via: SIP/2.0/UDP p1.test;branch=z9hG4bKa\r\nVia: SIP/2.0/UDP p2.test;branch=z9hG4bKb\r\n\
Max-Forwards: 69\r\nFrom: \"Alice \\\"A\\\"\" <sip:alice@a.test>;tag=ft\r\nTo: <sip:bob@b.test>\r\n\
Call-ID: cid@a.test\r\nCSeq: 7 INVITE\r\nExpires: 120\r\nContent-Type: application/sdp\r\n\
Contact: <sip:alice@192.0.2.1;transport=tcp>;expires=30;q=0.7, <sip:alice@198.51.100.1>\r\n\
Content-Length: 3\r\n\r\nabc";

fn req() -> Request {
    match crate::parse::parse(INVITE.as_bytes()) {
        Ok(SipMessage::Request(r)) => r,
        other => panic!("does not parse: {other:?}"),
    }
}

#[test]
fn fresh_identifiers() {
    assert!(new_branch().starts_with(MAGIC_COOKIE));
    assert_ne!(new_branch(), new_branch());
    assert_ne!(new_tag(), new_tag());
    assert!(new_tag().len() >= 8);
    let cid = new_call_id("sb.test");
    assert!(cid.ends_with("@sb.test") && cid.len() > 20);
}

#[test]
fn readers() {
    let r = req();
    assert_eq!(call_id(&r), Some("cid@a.test"));
    assert_eq!(cseq(&r), Some((7, Method::Invite)));
    assert_eq!(from_tag(&r).as_deref(), Some("ft"));
    assert_eq!(to_tag(&r), None);
    assert_eq!(top_via_branch(&r).as_deref(), Some("z9hG4bKa"));
    assert_eq!(from_user(&r).as_deref(), Some("alice"));
    assert_eq!(to_user(&r).as_deref(), Some("bob"));
    assert_eq!(from_display_name(&r).as_deref(), Some("Alice \"A\""));
    assert_eq!(expires(&r), Some(120));
    assert_eq!(max_forwards(&r), Some(69));
    assert_eq!(content_type(&r), Some("application/sdp"));
    let c = contacts(&r).expect("contacts");
    assert_eq!(c.len(), 2);
    assert_eq!((c[0].expires, c[0].q), (Some(30), Some(0.7)));
    assert_eq!((c[1].expires, c[1].q), (None, None));
    assert!(!contact_is_star(&r));
}

#[test]
fn readers_on_empty_message_return_none() {
    let r = Request {
        method: Method::Options,
        uri: rsip::Uri::default(),
        version: rsip::Version::V2,
        headers: Headers::default(),
        body: Vec::new(),
    };
    assert_eq!(
        (call_id(&r), cseq(&r), from_tag(&r), top_via_branch(&r)),
        (None, None, None, None)
    );
    assert_eq!(
        (expires(&r), max_forwards(&r), content_type(&r)),
        (None, None, None)
    );
    assert_eq!(contacts(&r), Some(Vec::new()));
}

#[test]
fn make_response_copies_dialog_headers() {
    let r = req();
    let resp = make_response(&r, 486, None, Some("tt"));
    assert_eq!(resp.status_code, StatusCode::BusyHere);
    let vias: Vec<String> = resp
        .headers
        .iter()
        .filter(|h| matches!(h, Header::Via(_)))
        .map(|h| h.to_string())
        .collect();
    assert_eq!(vias.len(), 2);
    assert!(vias[0].contains("z9hG4bKa") && vias[1].contains("z9hG4bKb"));
    assert_eq!(to_tag(&resp).as_deref(), Some("tt"));
    assert_eq!(from_tag(&resp).as_deref(), Some("ft"));
    assert_eq!(call_id(&resp), Some("cid@a.test"));
    assert_eq!(cseq(&resp), Some((7, Method::Invite)));
    assert!(resp
        .headers
        .iter()
        .all(|h| !matches!(h, Header::Contact(_))));
    // An existing To tag is kept, not doubled.
    let tagged = make_response(&resp_as_request(&resp), 200, None, Some("other"));
    assert_eq!(to_tag(&tagged).as_deref(), Some("tt"));
}

fn resp_as_request(resp: &Response) -> Request {
    let mut r = req();
    r.headers = resp.headers.clone();
    r
}

#[test]
fn to_bytes_fixes_content_length_and_reason() {
    let mut r = req();
    r.body = b"v=0\r\n".to_vec();
    let bytes = to_bytes(&SipMessage::Request(r));
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("Content-Length: 5\r\n\r\nv=0\r\n"), "{text}");
    assert_eq!(text.matches("Content-Length").count(), 1);
    let resp = make_response(&req(), 487, None, Some("t"));
    let wire = to_bytes(&SipMessage::Response(resp));
    assert!(wire.starts_with(b"SIP/2.0 487 Request Terminated\r\n"));
    let custom = make_response(&req(), 400, Some("Missing Call-ID header"), None);
    let wire = to_bytes(&SipMessage::Response(custom));
    assert!(wire.starts_with(b"SIP/2.0 400 Missing Call-ID header\r\n"));
    let reparsed = crate::parse::parse(&wire).expect("our bytes parse");
    assert_eq!(call_id(&reparsed), Some("cid@a.test"));
}

#[test]
fn a_user_part_with_a_dot_is_read() {
    // rsip 0.4 keeps `j.user@example.com` whole as the host (RFC 4475 §3.1.1.8's To).
    let uri = rsip::Uri::try_from("sip:j.user@example.com").expect("uri");
    assert_eq!(uri_user(&uri).as_deref(), Some("j.user"));
    assert_eq!(uri.to_string(), "sip:j.user@example.com");
    let uri = rsip::Uri::try_from("sip:1001@example.com:5070").expect("uri");
    assert_eq!(uri_user(&uri).as_deref(), Some("1001"));
    let uri = rsip::Uri::try_from("sip:example.com").expect("uri");
    assert_eq!(uri_user(&uri), None);
}

#[test]
fn responses_carry_standard_reason_phrases_and_their_real_length() {
    // rsip's own printing gives variant names (`415 UnsupportedMediaType`).
    let mut resp = make_response(&req(), 415, None, Some("t"));
    resp.body = b"xy".to_vec();
    let text = String::from_utf8(response_to_bytes(&resp).to_vec()).expect("utf8");
    assert!(
        text.starts_with("SIP/2.0 415 Unsupported Media Type\r\n"),
        "{text}"
    );
    assert!(text.ends_with("Content-Length: 2\r\n\r\nxy"), "{text}");
}

/// Regression (issue 16): the switch's 200 carried no Record-Route, so a caller behind a
/// record-routing proxy could not send its BYE through it.
#[test]
fn dialog_creating_responses_carry_record_route_in_order() {
    let text = INVITE.replace(
        "Max-Forwards: 69\r\n",
        "Max-Forwards: 69\r\nRecord-Route: <sip:p2.test;lr>, <sip:p1.test;lr;ftag=x>\r\n",
    );
    let SipMessage::Request(r) = crate::parse::parse(text.as_bytes()).expect("parses") else {
        panic!("a request")
    };
    let rr = |resp: &Response| crate::route::record_route(&resp.headers);
    let expected = ["<sip:p2.test;lr>", "<sip:p1.test;lr;ftag=x>"];
    assert_eq!(rr(&make_response(&r, 180, None, Some("t"))), expected);
    assert_eq!(rr(&make_response(&r, 200, None, Some("t"))), expected);
    // Not dialog-creating: 100, failures, and responses without our tag.
    assert!(rr(&make_response(&r, 100, None, None)).is_empty());
    assert!(rr(&make_response(&r, 486, None, Some("t"))).is_empty());
    assert!(rr(&make_response(&r, 200, None, None)).is_empty());
}
