//! RFC 4475 and RFC 5118 torture messages through the front end: every valid one parses and
//! reads correctly, every invalid one is refused with the status the RFC asks for. The messages
//! and the expectations are data (`tests/torture/`, see its README).

use rsip::SipMessage;
use std::path::PathBuf;

#[path = "torture/manifest.rs"]
mod manifest;
use manifest::cases;

fn dir() -> PathBuf {
    manifest::dir(env!("CARGO_MANIFEST_DIR"), "tests/torture")
}

fn bytes(file: &str) -> Vec<u8> {
    std::fs::read(dir().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// `ok`, or the status code the front end refuses the message with.
fn outcome(bytes: &[u8]) -> (String, Option<SipMessage>) {
    match sip::parse::parse(bytes) {
        Err(e) => (e.status_code().to_string(), None),
        Ok(SipMessage::Request(req)) => match sip::validate::check_request(&req, &[]) {
            Ok(()) => ("ok".into(), Some(SipMessage::Request(req))),
            Err(r) => (r.code.to_string(), Some(SipMessage::Request(req))),
        },
        Ok(resp) => ("ok".into(), Some(resp)),
    }
}

#[test]
fn every_message_is_in_the_manifest_and_every_manifest_line_has_its_message() {
    let listed: Vec<String> = cases(&dir()).into_iter().map(|c| c.file).collect();
    let mut found = Vec::new();
    for sub in ["valid", "invalid"] {
        for entry in std::fs::read_dir(dir().join(sub)).expect("dir") {
            let name = entry.expect("entry").file_name();
            found.push(format!("{sub}/{}", name.to_string_lossy()));
        }
    }
    found.sort();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(found, sorted);
    assert_eq!(listed.len(), 61, "49 from RFC 4475, 12 from RFC 5118");
}

#[test]
fn every_message_gets_the_answer_the_rfc_asks_for() {
    let mut wrong = Vec::new();
    for case in cases(&dir()) {
        let (got, _) = outcome(&bytes(&case.file));
        if !case.parse.contains(&got) {
            wrong.push(format!(
                "{}: got {got}, want {}",
                case.file,
                case.parse.join("/")
            ));
        }
    }
    manifest::assert_none_wrong(&wrong);
}

#[test]
fn where_the_front_end_refuses_the_switch_answers_the_same() {
    // The switch answers a refusal of the front end as it is; a response is never answered.
    for case in cases(&dir()) {
        let (got, _) = outcome(&bytes(&case.file));
        if got != "ok" {
            assert!(
                case.switch.contains(&got) || case.switch == ["none"],
                "{}: the front end says {got}, EXPECTED has the switch say {}",
                case.file,
                case.switch.join("/")
            );
        }
    }
}

fn request(file: &str) -> rsip::Request {
    match outcome(&bytes(file)) {
        (_, Some(SipMessage::Request(r))) => r,
        (got, _) => panic!("{file}: not a request ({got})"),
    }
}

#[test]
fn valid_messages_read_correctly() {
    let r = request("valid/rfc4475-3.1.1.1-wsinv.dat");
    assert_eq!(sip::message::call_id(&r), Some("wsinv.ndaksdj@192.0.2.1"));
    assert_eq!(sip::message::to_tag(&r).as_deref(), Some("1918181833n"));
    assert_eq!(sip::message::from_tag(&r).as_deref(), Some("98asjd8"));
    assert_eq!(sip::message::max_forwards(&r), Some(68));
    assert_eq!(sip::message::cseq(&r), Some((9, rsip::Method::Invite)));
    let vias = r
        .headers
        .iter()
        .filter(|h| matches!(h, rsip::Header::Via(_)));
    assert_eq!(vias.count(), 3);
    assert_eq!(r.body.len(), 150);

    let r = request("valid/rfc4475-3.1.1.3-esc01.dat");
    assert_eq!(sip::message::from_tag(&r).as_deref(), Some("938"));
    assert_eq!(
        sip::message::uri_user(&r.uri).as_deref(),
        Some("sips%3Auser%40example.com")
    );
    assert_eq!(sip::message::to_user(&r).as_deref(), Some("%75se%72"));

    let r = request("valid/rfc4475-3.1.1.8-dblreq.dat");
    assert_eq!(r.method, rsip::Method::Register);
    assert_eq!(sip::message::to_user(&r).as_deref(), Some("j.user"));
    assert!(
        r.body.is_empty(),
        "the bytes after Content-Length are not a body"
    );

    let r = request("valid/rfc4475-3.1.1.9-semiuri.dat");
    // The normalizer escapes the `;` (rsip would read it as URI parameters); RFC 3261
    // §19.1.4 makes both forms the same user.
    assert_eq!(
        sip::message::uri_user(&r.uri).as_deref(),
        Some("user%3Bpar=u%40example.net")
    );

    let r = request("valid/rfc4475-3.3.12-cparam01.dat");
    let contacts = sip::message::contacts(&r).expect("contacts");
    assert_eq!(contacts.len(), 1);

    // IPv6 references are masked for rsip (`sip::ipv6`); unmasked they read as sent.
    let host =
        |r: &rsip::Request| sip::ipv6::unmask(&r.uri.host_with_port.to_string()).into_owned();
    let r = request("valid/rfc5118-4.1-ipv6-reference.sip");
    assert_eq!(host(&r), "[2001:db8::10]");
    let r = request("valid/rfc5118-4.4-port-unambiguous.sip");
    assert_eq!(host(&r), "[2001:db8::10]:5070");
    assert_eq!(r.uri.host_with_port.port.map(|p| *p.value()), Some(5070));
    let r = request("valid/rfc5118-4.9-ipv4-mapped.sip");
    let contact = sip::message::contacts(&r).expect("contact");
    assert_eq!(
        sip::ipv6::unmask(&contact[0].uri.to_string()),
        "sip:ted@[::ffff:192.0.2.2]"
    );
    let r = request("valid/rfc5118-4.7-mixed-vias.sip");
    assert_eq!(
        sip::message::top_via_branch(&r).as_deref(),
        Some("z9hG4bKas3-111")
    );
}

#[test]
fn bext01_lists_the_unsupported_require_tags() {
    let r = request("valid/rfc4475-3.3.5-bext01.dat");
    let rejection = sip::validate::check_request(&r, &[]).expect_err("420");
    assert_eq!(rejection.code, 420);
    let unsupported: Vec<String> = rejection
        .extra_headers
        .iter()
        .map(|h| h.to_string())
        .collect();
    assert_eq!(
        unsupported,
        ["Unsupported: nothingSupportsThis, nothingSupportsThisEither"]
    );
}
