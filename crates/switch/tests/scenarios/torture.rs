//! RFC 4475 and RFC 5118 torture messages, each fed to the core as one UDP datagram from a
//! stranger: the answer must be the one the RFC asks for (`crates/sip/tests/torture/EXPECTED`
//! says what that is for each message, and why), and the core keeps serving afterwards.

use super::harness::TestSwitch;
use sip::Peer;
use std::net::SocketAddr;
use std::path::PathBuf;

#[path = "../../../sip/tests/torture/manifest.rs"]
mod manifest;

fn dir() -> PathBuf {
    manifest::dir(env!("CARGO_MANIFEST_DIR"), "../sip/tests/torture")
}

fn stranger() -> Peer {
    Peer::udp(SocketAddr::from(([192, 0, 2, 99], 5060)))
}

/// Every final answer (or `none`) the switch sends for `bytes`, as raw text.
fn answers(ts: &mut TestSwitch, bytes: &[u8]) -> Vec<String> {
    let now = ts.now;
    ts.sw.handle_datagram(now, stranger(), bytes);
    let mut out = Vec::new();
    while let Some(t) = ts.sw.poll_transmit() {
        let text = String::from_utf8_lossy(&t.bytes).into_owned();
        if !text.starts_with("SIP/2.0 100 ") {
            out.push(text);
        }
    }
    while ts.sw.poll_action().is_some() {}
    out
}

fn status(text: &str) -> String {
    text.split(' ').nth(1).unwrap_or_default().to_string()
}

#[test]
fn every_torture_message_gets_the_answer_the_rfc_asks_for() {
    let mut wrong = Vec::new();
    let mut right = 0;
    for manifest::Case {
        file,
        parse,
        switch: accepted,
    } in manifest::cases(&dir())
    {
        let bytes = std::fs::read(dir().join(&file)).expect("message");
        let mut ts = TestSwitch::new();
        let sent = answers(&mut ts, &bytes);
        let got = match sent.as_slice() {
            [] => "none".to_string(),
            [one] => status(one),
            more => format!("{} answers", more.len()),
        };
        if accepted.contains(&got) {
            right += 1;
        } else {
            let first = sent.first().and_then(|t| t.lines().next()).unwrap_or("");
            wrong.push(format!(
                "{file}: got {got} ({first}), want {} (the front end gives {})",
                accepted.join("/"),
                parse.join("/")
            ));
        }
        // The core still serves: an OPTIONS from the same peer is answered.
        let options = "OPTIONS sip:1001@switch.test SIP/2.0\r\n\
            Via: SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bK-after\r\n\
            From: <sip:x@192.0.2.99>;tag=after\r\nTo: <sip:1001@switch.test>\r\n\
            Call-ID: after-torture\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\
            Content-Length: 0\r\n\r\n";
        let after = answers(&mut ts, options.as_bytes());
        assert_eq!(
            after.iter().map(|t| status(t)).collect::<Vec<_>>(),
            ["200"],
            "{file}"
        );
        ts.finish();
    }
    println!(
        "{right} of {} answered as the RFC asks",
        right + wrong.len()
    );
    manifest::assert_none_wrong(&wrong);
}

#[test]
fn bext01_gets_420_listing_the_unsupported_require_tags() {
    let bytes = std::fs::read(dir().join("valid/rfc4475-3.3.5-bext01.dat")).expect("bext01");
    let mut ts = TestSwitch::new();
    let sent = answers(&mut ts, &bytes);
    let [answer] = sent.as_slice() else {
        panic!("one answer: {sent:?}");
    };
    assert!(answer.starts_with("SIP/2.0 420 "), "{answer}");
    assert!(
        answer.contains("\r\nUnsupported: nothingSupportsThis, nothingSupportsThisEither\r\n"),
        "{answer}"
    );
    ts.finish();
}

/// Over TCP the binary parses on the connection's task and hands the core a parsed message:
/// an unknown `Require` gets its 420 there too, also right after the same message came over
/// UDP. Regression: the TCP copy once matched the UDP one's transaction (same branch and
/// sent-by) and its 420 went to the UDP sender, leaving the TCP one unanswered.
#[test]
fn bext01_over_udp_then_over_tcp_gets_420_on_each() {
    let bytes = std::fs::read(dir().join("valid/rfc4475-3.3.5-bext01.dat")).expect("bext01");
    let mut ts = TestSwitch::new();
    let udp = Peer::udp(SocketAddr::from(([192, 0, 2, 98], 5060)));
    let tcp = Peer::tcp(SocketAddr::from(([192, 0, 2, 98], 40000)));
    for peer in [udp, tcp] {
        let msg = sip::parse::parse(&bytes).expect("bext01 parses");
        let now = ts.now;
        ts.sw.handle_message(now, peer, msg);
        let sent: Vec<_> = std::iter::from_fn(|| ts.sw.poll_transmit()).collect();
        let [answer] = sent.as_slice() else {
            panic!("one answer: {sent:?}");
        };
        assert_eq!(answer.to, peer);
        let text = String::from_utf8_lossy(&answer.bytes);
        assert!(text.starts_with("SIP/2.0 420 "), "{text}");
    }
    ts.finish();
}
