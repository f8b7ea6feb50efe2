//! SIP protocol behaviour of the real switch over UDP and TCP sockets: answers to malformed and
//! unsupported requests, OPTIONS pings, and digest authentication (good, wrong, replayed, foreign).
//! A raw socket client is used where SIPp cannot produce the message (replays, broken syntax).

use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::time::Duration;
use switchboard_e2e::{password, Options, Switch};

struct Client {
    socket: UdpSocket,
    port: u16,
    target: String,
}

impl Client {
    fn new(switch: &Switch) -> Client {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
        socket
            .set_read_timeout(Some(Duration::from_secs(3)))
            .expect("timeout");
        let port = socket.local_addr().expect("addr").port();
        Client {
            socket,
            port,
            target: switch.sip_target(),
        }
    }

    /// Send raw bytes; return the first response (or None after 3 s).
    fn exchange(&self, msg: &[u8]) -> Option<String> {
        self.socket.send_to(msg, &self.target).expect("send");
        let mut buf = [0u8; 65535];
        loop {
            let (n, _) = self.socket.recv_from(&mut buf).ok()?;
            let text = String::from_utf8_lossy(&buf[..n]).to_string();
            // Skip 100 Trying; we want the final answer.
            if !text.starts_with("SIP/2.0 100") {
                return Some(text);
            }
        }
    }

    fn request(&self, method: &str, extra: &str, cseq: u32, call_id: &str) -> String {
        format!(
            "{method} sip:2001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{p};branch=z9hG4bK{call_id}{cseq}\r\n\
             From: <sip:2001@127.0.0.1>;tag=t{call_id}\r\nTo: <sip:2001@127.0.0.1>\r\nCall-ID: {call_id}\r\n\
             CSeq: {cseq} {method}\r\nContact: <sip:2001@127.0.0.1:{p}>\r\nMax-Forwards: 70\r\n{extra}Content-Length: 0\r\n\r\n",
            p = self.port
        )
    }
}

fn status_line(resp: &str) -> &str {
    resp.lines().next().unwrap_or_default()
}

fn header<'a>(resp: &'a str, name: &str) -> Vec<&'a str> {
    resp.lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
        .collect()
}

fn param<'a>(challenge: &'a str, name: &str) -> &'a str {
    let key = format!("{name}=\"");
    challenge
        .split(&key)
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_default()
}

/// An Authorization header answering an MD5 `challenge` for 2001 with `pw` and nonce count `nc`.
fn authorization(challenge: &str, pw: &str, nc: u32) -> String {
    authorization_with(sip::auth::Algorithm::Md5, challenge, pw, nc)
}

fn authorization_with(alg: sip::auth::Algorithm, challenge: &str, pw: &str, nc: u32) -> String {
    let (realm, nonce) = (param(challenge, "realm"), param(challenge, "nonce"));
    let uri = "sip:2001@127.0.0.1";
    let nc = format!("{nc:08x}");
    let response = sip::auth::digest_response(
        alg, "2001", realm, pw, "REGISTER", uri, nonce, &nc, "c0ffee",
    );
    let name = match alg {
        sip::auth::Algorithm::Md5 => "MD5",
        sip::auth::Algorithm::Sha256 => "SHA-256",
    };
    format!(
        "Authorization: Digest username=\"2001\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", \
         response=\"{response}\", algorithm={name}, qop=auth, nc={nc}, cnonce=\"c0ffee\"\r\n"
    )
}

#[test]
fn options_is_answered_and_bad_requests_get_precise_errors() {
    let switch = Switch::start(Options::default()).expect("switch");
    let c = Client::new(&switch);

    let ok = c
        .exchange(c.request("OPTIONS", "", 1, "opt1").as_bytes())
        .expect("OPTIONS answered");
    assert_eq!(status_line(&ok), "SIP/2.0 200 OK");
    assert!(header(&ok, "Allow")[0].contains("INVITE"), "{ok}");

    let no_call_id = c
        .request("OPTIONS", "", 1, "x")
        .replace("Call-ID: x\r\n", "");
    let r = c
        .exchange(no_call_id.as_bytes())
        .expect("400 for a missing Call-ID");
    assert!(status_line(&r).starts_with("SIP/2.0 400 "), "{r}");
    assert!(
        status_line(&r).contains("Call-ID"),
        "reason names the problem: {r}"
    );

    let v3 = c
        .request("OPTIONS", "", 1, "v3")
        .replace("sip:2001@127.0.0.1 SIP/2.0", "sip:2001@127.0.0.1 SIP/3.0");
    let r = c.exchange(v3.as_bytes()).expect("505 for SIP/3.0");
    assert!(status_line(&r).starts_with("SIP/2.0 505"), "{r}");

    let r = c
        .exchange(
            c.request("OPTIONS", "Require: teleportation\r\n", 1, "req")
                .as_bytes(),
        )
        .expect("420");
    assert!(status_line(&r).starts_with("SIP/2.0 420"), "{r}");
    assert_eq!(header(&r, "Unsupported"), vec!["teleportation"]);

    let r = c
        .exchange(
            c.request("SUBSCRIBE", "Event: presence\r\n", 1, "sub")
                .as_bytes(),
        )
        .expect("405");
    assert!(status_line(&r).starts_with("SIP/2.0 405"), "{r}");
    assert!(!header(&r, "Allow").is_empty());

    let r = c
        .exchange(
            c.request("BYE", "", 1, "nodialog")
                .replace(
                    "To: <sip:2001@127.0.0.1>",
                    "To: <sip:2001@127.0.0.1>;tag=zz",
                )
                .as_bytes(),
        )
        .expect("481 for a BYE outside any dialog");
    assert!(status_line(&r).starts_with("SIP/2.0 481"), "{r}");

    let bad_cseq = c
        .request("OPTIONS", "", 1, "cs")
        .replace("CSeq: 1 OPTIONS", "CSeq: one OPTIONS");
    let r = c
        .exchange(bad_cseq.as_bytes())
        .expect("400 for a malformed CSeq");
    assert!(status_line(&r).starts_with("SIP/2.0 400"), "{r}");

    // Garbage of every kind gets no answer and does not disturb the switch.
    for junk in [
        &b"\x00\x01\x02garbage"[..],
        b"INVITE\r\n\r\n",
        b"SIP/2.0 200 OK\r\n\r\n",
        &[0xffu8; 1400][..],
        b"\r\n\r\n",
    ] {
        c.socket.send_to(junk, &c.target).expect("send junk");
    }
    let ok = c
        .exchange(c.request("OPTIONS", "", 2, "opt2").as_bytes())
        .expect("still alive");
    assert_eq!(status_line(&ok), "SIP/2.0 200 OK");
}

#[test]
fn digest_auth_accepts_the_right_password_once_per_nonce_count() {
    let switch = Switch::start(Options::default()).expect("switch");
    let c = Client::new(&switch);
    let r = c
        .exchange(
            c.request("REGISTER", "Expires: 120\r\n", 1, "reg")
                .as_bytes(),
        )
        .expect("401");
    assert!(status_line(&r).starts_with("SIP/2.0 401"), "{r}");
    let challenges = header(&r, "WWW-Authenticate");
    assert_eq!(challenges.len(), 1, "MD5 alone by default: {r}");
    let md5 = challenges
        .iter()
        .find(|c| c.contains("algorithm=MD5"))
        .expect("MD5 challenge");
    assert!(md5.contains("qop=\"auth\""));

    let good = authorization(md5, password("2001"), 1);
    let r = c
        .exchange(
            c.request("REGISTER", &format!("Expires: 120\r\n{good}"), 2, "reg")
                .as_bytes(),
        )
        .expect("200");
    assert!(status_line(&r).starts_with("SIP/2.0 200"), "{r}");
    assert!(header(&r, "Contact")[0].contains("expires=120"), "{r}");

    // The very same credentials again (nc 1): a replay.
    let r = c
        .exchange(
            c.request("REGISTER", &format!("Expires: 120\r\n{good}"), 3, "reg")
                .as_bytes(),
        )
        .expect("403");
    assert!(
        status_line(&r).starts_with("SIP/2.0 403"),
        "replayed nc must be refused: {r}"
    );

    // The next nonce count works.
    let next = authorization(md5, password("2001"), 2);
    let r = c
        .exchange(
            c.request("REGISTER", &format!("Expires: 120\r\n{next}"), 4, "reg")
                .as_bytes(),
        )
        .expect("200");
    assert!(status_line(&r).starts_with("SIP/2.0 200"), "{r}");

    // Wrong password.
    let wrong = authorization(md5, "not-the-password", 3);
    let r = c
        .exchange(
            c.request("REGISTER", &format!("Expires: 120\r\n{wrong}"), 5, "reg")
                .as_bytes(),
        )
        .expect("403");
    assert!(status_line(&r).starts_with("SIP/2.0 403"), "{r}");

    // A nonce the switch never issued: challenged afresh, not accepted.
    let foreign = md5.replace(param(md5, "nonce"), "00112233445566778899aabbccddeeff0011");
    let forged = authorization(&foreign, password("2001"), 1);
    let r = c
        .exchange(
            c.request("REGISTER", &format!("Expires: 120\r\n{forged}"), 6, "reg")
                .as_bytes(),
        )
        .expect("401");
    assert!(status_line(&r).starts_with("SIP/2.0 401"), "{r}");

    // Unregister with Expires: 0 (fresh nonce count on the original nonce).
    let last = authorization(md5, password("2001"), 4);
    let r = c
        .exchange(
            c.request("REGISTER", &format!("Expires: 0\r\n{last}"), 7, "reg")
                .as_bytes(),
        )
        .expect("200");
    assert!(status_line(&r).starts_with("SIP/2.0 200"), "{r}");
    assert!(header(&r, "Contact").is_empty(), "no bindings left: {r}");

    // Expires below the minimum: 423 with Min-Expires.
    let r = c
        .exchange(
            c.request(
                "REGISTER",
                &format!("Expires: 5\r\n{}", authorization(md5, password("2001"), 5)),
                8,
                "reg",
            )
            .as_bytes(),
        )
        .expect("423");
    assert!(status_line(&r).starts_with("SIP/2.0 423"), "{r}");
    assert_eq!(header(&r, "Min-Expires"), vec!["60"]);
}

#[test]
fn tcp_requests_are_framed_and_answered_and_bad_framing_closes_only_that_connection() {
    let switch = Switch::start(Options::default()).expect("switch");
    let mut s = TcpStream::connect(("127.0.0.1", switch.sip_port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(3)))
        .expect("timeout");
    let port = s.local_addr().expect("addr").port();
    let opt = |cseq: u32| {
        format!(
            "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:{port};branch=z9hG4bKtcp{cseq}\r\n\
             From: <sip:2001@127.0.0.1>;tag=a\r\nTo: <sip:127.0.0.1>\r\nCall-ID: tcp{cseq}\r\nCSeq: {cseq} OPTIONS\r\n\
             Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        )
    };
    // Two requests in one write, the second split across two writes.
    let both = format!("{}{}", opt(1), opt(2));
    let (first, second) = both.split_at(both.len() - 30);
    s.write_all(first.as_bytes()).expect("write");
    std::thread::sleep(Duration::from_millis(100));
    s.write_all(second.as_bytes()).expect("write");
    let mut got = String::new();
    let mut buf = [0u8; 8192];
    while got.matches("SIP/2.0 200 OK").count() < 2 {
        let n = s.read(&mut buf).expect("read answers");
        assert!(n > 0, "connection closed early: {got}");
        got.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(
        got.contains("CSeq: 1 OPTIONS") && got.contains("CSeq: 2 OPTIONS"),
        "{got}"
    );

    // A message without Content-Length on a stream cannot be framed: that connection is closed,
    // after the answer to the good request before it has gone out (RFC 4475 dblreq over TCP lost
    // it: the connection's writer was dropped before the answer was flushed).
    let mut bad = TcpStream::connect(("127.0.0.1", switch.sip_port)).expect("connect");
    bad.set_read_timeout(Some(Duration::from_secs(3)))
        .expect("timeout");
    let unframable = opt(3).replace("Content-Length: 0\r\n", "");
    bad.write_all(format!("{}{unframable}", opt(5)).as_bytes())
        .expect("write");
    let mut answered = String::new();
    loop {
        let n = bad.read(&mut buf).unwrap_or(0);
        if n == 0 {
            break;
        }
        answered.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(
        answered.contains("SIP/2.0 200 OK") && answered.contains("CSeq: 5 OPTIONS"),
        "the good request is answered before the close: {answered:?}"
    );
    assert!(!answered.contains("CSeq: 3 OPTIONS"), "{answered}");
    // The first connection still works.
    s.write_all(opt(4).as_bytes()).expect("write");
    let n = s.read(&mut buf).expect("read");
    assert!(String::from_utf8_lossy(&buf[..n]).contains("CSeq: 4 OPTIONS"));
}

#[test]
fn sha256_digest_when_configured_is_offered_first_and_accepted() {
    let switch = Switch::start(Options {
        sip_extra: "auth_algorithms = [\"SHA-256\", \"MD5\"]".into(),
        ..Options::default()
    })
    .expect("switch");
    let c = Client::new(&switch);
    let r = c
        .exchange(
            c.request("REGISTER", "Expires: 120\r\n", 1, "sha")
                .as_bytes(),
        )
        .expect("401");
    let challenges = header(&r, "WWW-Authenticate");
    assert_eq!(challenges.len(), 2, "{r}");
    assert!(
        challenges[0].contains("algorithm=SHA-256") && challenges[1].contains("algorithm=MD5"),
        "{r}"
    );
    let sha = authorization_with(
        sip::auth::Algorithm::Sha256,
        challenges[0],
        password("2001"),
        1,
    );
    let r = c
        .exchange(
            c.request("REGISTER", &format!("Expires: 120\r\n{sha}"), 2, "sha")
                .as_bytes(),
        )
        .expect("200");
    assert!(status_line(&r).starts_with("SIP/2.0 200"), "{r}");
    let wrong = authorization_with(
        sip::auth::Algorithm::Sha256,
        challenges[0],
        "wrong-password",
        2,
    );
    let r = c
        .exchange(
            c.request("REGISTER", &format!("Expires: 120\r\n{wrong}"), 3, "sha")
                .as_bytes(),
        )
        .expect("403");
    assert!(status_line(&r).starts_with("SIP/2.0 403"), "{r}");
    let md5 = authorization(challenges[1], password("2001"), 3);
    let r = c
        .exchange(
            c.request("REGISTER", &format!("Expires: 120\r\n{md5}"), 4, "sha")
                .as_bytes(),
        )
        .expect("200");
    assert!(
        status_line(&r).starts_with("SIP/2.0 200"),
        "MD5 still accepted: {r}"
    );
}
