//! Registrar rules of RFC 3261 §10.3 under a virtual clock.

use super::*;
use rsip::prelude::*;

fn peer() -> Peer {
    Peer::udp("192.0.2.10:5060".parse().expect("addr"))
}

/// A REGISTER with the given Contact lines, Expires header and Call-ID/CSeq.
fn register(contacts: &[&str], expires: Option<u32>, call_id: &str, cseq: u32) -> Request {
    let mut s = String::from(
        "REGISTER sip:switchboard.test SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r\n\
From: <sip:alice@switchboard.test>;tag=1\r\nTo: <sip:alice@switchboard.test>\r\n",
    );
    s += &format!("Call-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\n");
    for c in contacts {
        s += &format!("Contact: {c}\r\n");
    }
    if let Some(e) = expires {
        s += &format!("Expires: {e}\r\n");
    }
    s += "Content-Length: 0\r\n\r\n";
    match crate::parse::parse(s.as_bytes()) {
        Ok(rsip::SipMessage::Request(r)) => r,
        other => panic!("test REGISTER does not parse: {other:?}"),
    }
}

fn users(list: &[(Binding, u32)]) -> Vec<String> {
    list.iter()
        .map(|(b, _)| b.uri().user().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn expiry_sources_and_clamping() {
    let mut r = Registrar::new(RegistrarConfig::default());
    let t0 = Instant::now();
    let req = register(
        &[
            "<sip:a@h1>;expires=120",
            "<sip:b@h2>",
            "<sip:c@h3>;expires=99999",
        ],
        Some(300),
        "c1",
        1,
    );
    let got = r.register(t0, "alice", &req, peer()).expect("ok");
    let secs: HashMap<String, u32> = got
        .iter()
        .map(|(b, s)| (b.uri().user().unwrap_or_default().to_owned(), *s))
        .collect();
    assert_eq!(secs["a"], 120, "contact param wins");
    assert_eq!(secs["b"], 300, "Expires header next");
    assert_eq!(secs["c"], 3600, "clamped to max");
    let req = register(&["<sip:d@h4>"], None, "c2", 1);
    let got = r.register(t0, "bob", &req, peer()).expect("ok");
    assert_eq!(got[0].1, 3600, "default");
    assert_eq!(r.registered_count(), 4);
    assert_eq!(r.registered_users(), 2);
}

#[test]
fn too_brief_is_423_and_changes_nothing() {
    let mut r = Registrar::new(RegistrarConfig::default());
    let t0 = Instant::now();
    let req = register(&["<sip:a@h1>", "<sip:b@h2>;expires=30"], Some(600), "c1", 1);
    let err = r.register(t0, "alice", &req, peer()).expect_err("423");
    assert_eq!(err, RegisterError::IntervalTooBrief { min: 60 });
    assert_eq!(r.registered_count(), 0);
    let resp = err.to_response(&req, "t");
    assert_eq!(resp.status_code.code(), 423);
    assert!(resp
        .headers
        .iter()
        .any(|h| h.to_string() == "Min-Expires: 60"));
}

#[test]
fn zero_removes_one_contact_and_star_removes_all() {
    let mut r = Registrar::new(RegistrarConfig::default());
    let t0 = Instant::now();
    r.register(
        t0,
        "alice",
        &register(&["<sip:a@h1>", "<sip:b@h2>"], None, "c1", 1),
        peer(),
    )
    .expect("ok");
    let got = r
        .register(
            t0,
            "alice",
            &register(&["<sip:a@h1>;expires=0"], None, "c1", 2),
            peer(),
        )
        .expect("ok");
    assert_eq!(users(&got), vec!["b"]);
    let err = r.register(t0, "alice", &register(&["*"], Some(60), "c1", 3), peer());
    assert!(matches!(err, Err(RegisterError::BadRequest(_))));
    let err = r.register(
        t0,
        "alice",
        &register(&["*", "<sip:x@h>"], Some(0), "c1", 3),
        peer(),
    );
    assert!(matches!(err, Err(RegisterError::BadRequest(_))));
    let got = r
        .register(t0, "alice", &register(&["*"], Some(0), "c9", 1), peer())
        .expect("ok");
    assert!(got.is_empty());
    assert_eq!(r.registered_count(), 0);
}

#[test]
fn out_of_order_cseq_is_ignored_and_refresh_replaces() {
    let mut r = Registrar::new(RegistrarConfig::default());
    let t0 = Instant::now();
    r.register(
        t0,
        "alice",
        &register(&["<sip:a@h1>"], Some(600), "c1", 5),
        peer(),
    )
    .expect("ok");
    // An older CSeq of the same Call-ID must not remove nor shorten the binding.
    let got = r
        .register(
            t0,
            "alice",
            &register(&["<sip:a@h1>"], Some(0), "c1", 4),
            peer(),
        )
        .expect("ok");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1, 600);
    // A refresh with a higher CSeq replaces the binding of the same URI.
    let t1 = t0 + Duration::from_secs(100);
    let got = r
        .register(
            t1,
            "alice",
            &register(&["<sip:a@h1>;q=0.5"], Some(300), "c1", 6),
            peer(),
        )
        .expect("ok");
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].0.cseq, got[0].1, got[0].0.q), (6, 300, Some(0.5)));
}

#[test]
fn lookup_order_cap_and_query() {
    let cfg = RegistrarConfig {
        max_contacts: 2,
        ..RegistrarConfig::default()
    };
    let mut r = Registrar::new(cfg);
    let t0 = Instant::now();
    for (i, c) in ["<sip:a@h>;q=0.1", "<sip:b@h>", "<sip:c@h>;q=0.9"]
        .iter()
        .enumerate()
    {
        let t = t0 + Duration::from_secs(i as u64);
        r.register(
            t,
            "alice",
            &register(&[c], None, "c1", i as u32 + 1),
            peer(),
        )
        .expect("ok");
    }
    let t3 = t0 + Duration::from_secs(3);
    // a (oldest) was evicted by the cap; b has implicit q=1.0 so it sorts first.
    let order: Vec<_> = r
        .lookup(t3, "alice")
        .iter()
        .map(|b| b.uri().user().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(order, vec!["b", "c"]);
    // No Contact: a query returning the current bindings.
    let got = r
        .register(t3, "alice", &register(&[], None, "c1", 9), peer())
        .expect("ok");
    assert_eq!(users(&got), vec!["b", "c"]);
    assert_eq!(got[0].1, 3600 - 2);
}

#[test]
fn expiry_under_virtual_clock() {
    let mut r = Registrar::new(RegistrarConfig::default());
    let t0 = Instant::now();
    r.register(
        t0,
        "alice",
        &register(
            &["<sip:a@h>;expires=60", "<sip:b@h>;expires=120"],
            None,
            "c1",
            1,
        ),
        peer(),
    )
    .expect("ok");
    assert_eq!(r.poll_timeout(), Some(t0 + Duration::from_secs(60)));
    let t60 = t0 + Duration::from_secs(60);
    assert_eq!(r.lookup(t60, "alice").len(), 1, "expired at its deadline");
    r.expire(t60);
    assert_eq!(r.registered_count(), 1);
    assert_eq!(r.poll_timeout(), Some(t0 + Duration::from_secs(120)));
    r.expire(t0 + Duration::from_secs(120));
    assert_eq!(
        (r.registered_count(), r.registered_users(), r.poll_timeout()),
        (0, 0, None)
    );
}

#[test]
fn register_ok_lists_contacts_with_remaining_expires() {
    let mut r = Registrar::new(RegistrarConfig::default());
    let t0 = Instant::now();
    let req = register(
        &["<sip:a@h>;expires=600;+sip.instance=\"x\""],
        None,
        "c1",
        1,
    );
    r.register(t0, "alice", &req, peer()).expect("ok");
    let later = t0 + Duration::from_secs(100);
    let got = r
        .register(later, "alice", &register(&[], None, "c1", 2), peer())
        .expect("ok");
    let resp = register_ok(&req, &got, "tag9");
    assert_eq!(resp.status_code.code(), 200);
    let contacts: Vec<String> = resp
        .headers
        .iter()
        .filter_map(|h| match h {
            Header::Contact(c) => Some(c.value().to_owned()),
            _ => None,
        })
        .collect();
    assert_eq!(contacts.len(), 1);
    assert!(contacts[0].contains("expires=500"), "{}", contacts[0]);
    assert!(!contacts[0].contains("expires=600"), "{}", contacts[0]);
    assert_eq!(message::to_tag(&resp).as_deref(), Some("tag9"));
}

/// A REGISTER for alice through proxies that added `path` (one Path line per value).
fn register_through(path: &[&str], cseq: u32) -> Request {
    let mut s = String::from(
        "REGISTER sip:switchboard.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bKp\r\n\
Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r\n\
From: <sip:alice@switchboard.test>;tag=1\r\nTo: <sip:alice@switchboard.test>\r\n\
Call-ID: cp\r\nContact: <sip:alice@192.168.1.5:5062>\r\n",
    );
    s += &format!("CSeq: {cseq} REGISTER\r\n");
    for p in path {
        s += &format!("Path: {p}\r\n");
    }
    s += "Content-Length: 0\r\n\r\n";
    match crate::parse::parse(s.as_bytes()) {
        Ok(rsip::SipMessage::Request(r)) => r,
        other => panic!("test REGISTER does not parse: {other:?}"),
    }
}

#[test]
fn path_is_stored_with_the_binding_and_echoed() {
    let mut r = Registrar::new(RegistrarConfig::default());
    let t0 = Instant::now();
    let req = register_through(&["<sip:10.0.0.1:5070;lr>", "<sip:10.0.0.2;lr>"], 1);
    let got = r.register(t0, "alice", &req, peer()).expect("ok");
    let binding = &r.lookup(t0, "alice")[0];
    assert_eq!(
        binding.path,
        ["<sip:10.0.0.1:5070;lr>", "<sip:10.0.0.2;lr>"]
    );
    let resp = register_ok(&req, &got, "tag9");
    let text = String::from_utf8(message::to_bytes(&rsip::SipMessage::Response(resp)).to_vec())
        .expect("utf8");
    assert!(
        text.contains("Path: <sip:10.0.0.1:5070;lr>\r\nPath: <sip:10.0.0.2;lr>\r\n"),
        "{text}"
    );
    assert!(text.contains("Supported: path\r\n"), "{text}");

    // A refresh that no longer comes through the proxy drops the path.
    r.register(t0, "alice", &register_through(&[], 2), peer())
        .expect("ok");
    assert!(r.lookup(t0, "alice")[0].path.is_empty());
    let plain = register_ok(&register_through(&[], 3), &got, "t");
    assert!(!plain
        .headers
        .iter()
        .any(|h| matches!(h, Header::Supported(_) | Header::Other(..))));
}
