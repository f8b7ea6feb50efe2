//! Parser tests: ordinary messages, RFC 4475-style torture cases, error reasons, the stateless
//! 400, and a never-panic sweep over truncations and byte flips.

use super::*;
use crate::message;
use rand::{Rng, SeedableRng};

const INVITE: &str = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: \"Alice A.\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:alice@pc33.atlanta.example.com>\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 4\r\n\r\nv=0\n";

const RESPONSE: &str = "SIP/2.0 180 Ringing\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8\r\n\
To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\n\
CSeq: 314159 INVITE\r\n\
Content-Length: 0\r\n\r\n";

fn request(s: &str) -> rsip::Request {
    match parse(s.as_bytes()) {
        Ok(SipMessage::Request(r)) => r,
        other => panic!("expected a request, got {other:?}"),
    }
}

#[test]
fn ordinary_invite() {
    let req = request(INVITE);
    assert_eq!(req.method, rsip::Method::Invite);
    assert_eq!(req.body, b"v=0\n");
    assert_eq!(message::call_id(&req), Some("a84b4c76e66710"));
    assert_eq!(message::cseq(&req), Some((314159, rsip::Method::Invite)));
    assert_eq!(
        message::top_via_branch(&req).as_deref(),
        Some("z9hG4bKnashds8")
    );
}

#[test]
fn ordinary_response() {
    let msg = parse(RESPONSE.as_bytes()).expect("parses");
    let SipMessage::Response(resp) = msg else {
        panic!("not a response")
    };
    assert_eq!(resp.status_code.code(), 180);
    assert_eq!(message::to_tag(&resp).as_deref(), Some("a6c85cf"));
}

/// In the spirit of RFC 4475 §3.1.1.1 (wsinv): folding, odd whitespace, compact forms.
#[test]
fn torture_whitespace_folding_compact() {
    let msg = "INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0\r\n\
TO :\r\n sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n\r\n\
from   : \"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n  tag = 98asjd8\r\n\
MaX-fOrWaRdS: 0068\r\n\
Call-ID: wsinv.ndaksdj@192.0.2.1\r\n\
Content-Length   : 3\r\n\
cseq: 0009\r\n  INVITE\r\n\
Via  : SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw\r\n\
s :\r\n\
NewFangledHeader:   newfangled value\r\n continued newfangled value\r\n\
UnknownHeaderWithUnusualValue: ;;,,;;,;\r\n\
m:\"Quoted string\\\"\\\"\"<sip:jdrosen@example.com> ; newparam =\r\n      newvalue ;\r\n  secondparam ; q = 0.33\r\n\r\nv=0";
    let req = request(msg);
    assert_eq!(message::to_tag(&req).as_deref(), Some("1918181833n"));
    assert_eq!(message::from_tag(&req).as_deref(), Some("98asjd8"));
    assert_eq!(message::cseq(&req), Some((9, rsip::Method::Invite)));
    assert_eq!(message::max_forwards(&req), Some(68));
    assert_eq!(message::top_via_branch(&req).as_deref(), Some("390skdjuw"));
    let contacts = message::contacts(&req).expect("contact parses");
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].q, Some(0.33));
    assert_eq!(req.body, b"v=0");
}

#[test]
fn torture_comma_joined_via_and_bare_lf() {
    let msg = "OPTIONS sip:user@example.com SIP/2.0\n\
v: SIP/2.0/UDP a.example.com;branch=z9hG4bKa, SIP/2.0/TCP b.example.com:5070;branch=z9hG4bKb\n\
t: <sip:user@example.com>\nf: <sip:caller@example.net>;tag=x\ni: lf@example.net\n\
CSeq: 1 OPTIONS\nl: 0\n\n";
    let req = request(msg);
    let vias: Vec<_> = req
        .headers
        .iter()
        .filter(|h| matches!(h, Header::Via(_)))
        .collect();
    assert_eq!(vias.len(), 2);
    assert_eq!(message::top_via_branch(&req).as_deref(), Some("z9hG4bKa"));
}

#[test]
fn reasons_for_broken_messages() {
    let cases: Vec<(String, ParseError)> = vec![
        (
            INVITE.replace("Call-ID: a84b4c76e66710\r\n", ""),
            ParseError::MissingHeader("Call-ID"),
        ),
        (
            INVITE.replace("CSeq: 314159 INVITE", "CSeq: many INVITE"),
            ParseError::Malformed("CSeq"),
        ),
        (
            INVITE.replace("SIP/2.0\r\nVia", "SIP/7.0\r\nVia"),
            ParseError::BadVersion("SIP/7.0".into()),
        ),
        (
            INVITE.replace(
                "INVITE sip:bob@biloxi.example.com",
                "INVITE  sip:bob@biloxi.example.com",
            ),
            ParseError::BadStartLine,
        ),
        (
            INVITE.replace("INVITE sip:", "NEWMETHOD sip:"),
            ParseError::UnknownMethod("NEWMETHOD".into()),
        ),
        (
            INVITE.replace("Content-Length: 4", "Content-Length: 40"),
            ParseError::BodyTooShort {
                expected: 40,
                got: 4,
            },
        ),
        (
            RESPONSE.replace("SIP/2.0 180", "SIP/2.0 18"),
            ParseError::BadStatusLine,
        ),
        (
            INVITE.replace(
                "INVITE sip:bob@biloxi.example.com",
                "INVITE tel:+15551234567",
            ),
            ParseError::UnsupportedScheme("tel".into()),
        ),
    ];
    for (msg, expected) in cases {
        assert_eq!(
            parse(msg.as_bytes()),
            Err(expected.clone()),
            "for {expected:?}"
        );
    }
    assert_eq!(
        ParseError::MissingHeader("Call-ID").to_string(),
        "Missing Call-ID header"
    );
    assert_eq!(ParseError::Malformed("CSeq").to_string(), "Malformed CSeq");
    assert!(ParseError::BadVersion("SIP/7.0".into()).is_bad_version());
    assert!(!ParseError::BadStartLine.is_bad_version());
    assert_eq!(ParseError::UnknownMethod("X".into()).status_code(), 501);
    assert_eq!(
        ParseError::UnsupportedScheme("im".into()).status_code(),
        416
    );
}

#[test]
fn longer_body_is_truncated_to_content_length() {
    let req = request(&format!("{INVITE}trailing junk"));
    assert_eq!(req.body, b"v=0\n");
}

#[test]
fn reject_unparsable_builds_400_from_raw_lines() {
    let broken = INVITE.replace(
        "CSeq: 314159 INVITE",
        "CSeq: 314159 INVITE\r\nBad Header Line",
    );
    assert!(parse(broken.as_bytes()).is_err());
    let bytes = reject_unparsable(broken.as_bytes(), "Malformed header line").expect("answerable");
    let resp = parse(&bytes).expect("our 400 parses");
    let SipMessage::Response(resp) = resp else {
        panic!("not a response")
    };
    assert_eq!(resp.status_code.code(), 400);
    assert!(bytes.starts_with(b"SIP/2.0 400 Malformed header line\r\n"));
    assert_eq!(message::call_id(&resp), Some("a84b4c76e66710"));
    assert_eq!(message::cseq(&resp), Some((314159, rsip::Method::Invite)));
    assert!(message::to_tag(&resp).is_some(), "a to-tag is added");
    assert_eq!(message::from_tag(&resp).as_deref(), Some("1928301774"));
}

#[test]
fn reject_unparsable_refuses_responses_ack_and_headerless() {
    assert_eq!(reject_unparsable(RESPONSE.as_bytes(), "x"), None);
    let ack = INVITE.replace("INVITE sip:", "ACK sip:");
    assert_eq!(reject_unparsable(ack.as_bytes(), "x"), None);
    let no_via = INVITE.replace(
        "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8\r\n",
        "",
    );
    assert_eq!(reject_unparsable(no_via.as_bytes(), "x"), None);
    assert_eq!(reject_unparsable(b"\x00\x01garbage", "x"), None);
}

#[test]
fn reject_unparsable_answers_a_request_missing_call_id_with_what_it_has() {
    let no_call_id: String = INVITE
        .lines()
        .filter(|l| !l.starts_with("Call-ID"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    let bytes = reject_unparsable(no_call_id.as_bytes(), "Missing Call-ID header").expect("answer");
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.starts_with("SIP/2.0 400 Missing Call-ID header\r\n"),
        "{text}"
    );
    assert!(
        text.contains("\r\nVia: ") && text.contains("\r\nCSeq: ") && !text.contains("\r\nCall-ID:")
    );
}

#[test]
fn reject_unparsable_strips_control_chars_from_reason() {
    let bytes = reject_unparsable(INVITE.as_bytes(), "Bad\r\nInjected: yes").expect("answer");
    assert!(bytes.starts_with(b"SIP/2.0 400 BadInjected: yes\r\n"));
}

/// Truncations and random byte flips of real messages must never panic.
#[test]
fn never_panics_on_mangled_input() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(4475);
    for base in [INVITE, RESPONSE] {
        let base = base.as_bytes();
        for cut in 0..base.len() {
            let _ = parse(&base[..cut]);
            let _ = reject_unparsable(&base[..cut], "x");
        }
        for _ in 0..3000 {
            let mut m = base.to_vec();
            for _ in 0..rng.gen_range(1..6) {
                let i = rng.gen_range(0..m.len());
                m[i] = rng.gen();
            }
            if let Ok(msg) = parse(&m) {
                // Whatever parses must also survive our readers and serializer.
                let _ = message::to_bytes(&msg);
                let _ = message::contacts(&msg);
                let _ = message::from_display_name(&msg);
            }
            let _ = reject_unparsable(&m, "x");
        }
    }
}

#[test]
fn round_trip_through_to_bytes() {
    let msg = parse(INVITE.as_bytes()).expect("parses");
    let again = parse(&message::to_bytes(&msg)).expect("reparses");
    assert_eq!(msg, again);
}
