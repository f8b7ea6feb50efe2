//! Messages the test TUs send, written as wire text and parsed with rsip (as the real TU's
//! input would be), plus small readers for assertions.

use super::super::build;
use super::super::key;
use crate::Transport;
use rsip::headers::UntypedHeader;
use rsip::{Header, Request, Response, SipMessage};

pub fn parse_request(text: &str) -> Request {
    match SipMessage::try_from(text).expect("test request parses") {
        SipMessage::Request(r) => r,
        SipMessage::Response(_) => panic!("expected a request"),
    }
}

/// An INVITE from the UAC (10.0.0.1) to the UAS, with a Route so CANCEL/ACK copying shows.
pub fn invite(t: Transport, branch: &str, call_id: &str) -> Request {
    parse_request(&format!(
        "INVITE sip:bob@10.0.0.2 SIP/2.0\r\n\
         Via: SIP/2.0/{t} 10.0.0.1:5060;branch={branch}\r\n\
         Max-Forwards: 70\r\n\
         Route: <sip:edge.example.com;lr>\r\n\
         From: \"Alice\" <sip:alice@a.example>;tag=alice1\r\n\
         To: <sip:bob@b.example>\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: 7 INVITE\r\n\
         Contact: <sip:alice@10.0.0.1:5060>\r\n\
         Content-Length: 0\r\n\r\n"
    ))
}

/// A non-INVITE request (BYE, OPTIONS...) from the UAC.
pub fn request(t: Transport, method: &str, branch: &str, call_id: &str) -> Request {
    parse_request(&format!(
        "{method} sip:bob@10.0.0.2 SIP/2.0\r\n\
         Via: SIP/2.0/{t} 10.0.0.1:5060;branch={branch}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@a.example>;tag=alice1\r\n\
         To: <sip:bob@b.example>;tag=bob1\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: 8 {method}\r\n\
         Content-Length: 0\r\n\r\n"
    ))
}

/// The UAS TU's response to `req`, with To tag `bob1`.
pub fn respond(req: &Request, code: u16) -> Response {
    let reason = match code {
        100 => "Trying",
        180 => "Ringing",
        200 => "OK",
        486 => "Busy Here",
        487 => "Request Terminated",
        _ => "Whatever",
    };
    build::response_to(req, code, reason, Some("bob1"))
}

/// The UAC TU's ACK for a 2xx: new branch, same CSeq number, To with the UAS tag.
pub fn ack_for_2xx(t: Transport, ok: &Response, branch: &str) -> Request {
    let h = &ok.headers;
    let to = header(h, |h| match h {
        Header::To(v) => Some(v.value().to_owned()),
        _ => None,
    });
    let call_id = key::call_id(h).expect("Call-ID");
    let cseq = key::cseq(h).expect("CSeq").num;
    parse_request(&format!(
        "ACK sip:bob@10.0.0.2 SIP/2.0\r\n\
         Via: SIP/2.0/{t} 10.0.0.1:5060;branch={branch}\r\n\
         Max-Forwards: 70\r\n\
         From: \"Alice\" <sip:alice@a.example>;tag=alice1\r\n\
         To: {to}\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: {cseq} ACK\r\n\
         Content-Length: 0\r\n\r\n"
    ))
}

pub fn header<T>(h: &rsip::Headers, f: impl Fn(&Header) -> Option<T>) -> T {
    h.iter().find_map(f).expect("header present")
}

/// Values of every header of one kind, as strings, in order.
pub fn values(msg: &SipMessage, name: &str) -> Vec<String> {
    let h = match msg {
        SipMessage::Request(r) => &r.headers,
        SipMessage::Response(r) => &r.headers,
    };
    h.iter()
        .filter_map(|h| {
            let s = h.to_string();
            let (n, v) = s.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
        .collect()
}

pub fn as_request(msg: &SipMessage) -> &Request {
    match msg {
        SipMessage::Request(r) => r,
        SipMessage::Response(_) => panic!("expected a request"),
    }
}
