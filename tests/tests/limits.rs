//! Bounded resources through the real binary and its `[limits]` section (docs/security.md,
//! "Limits"): SIP over TCP connection caps and the incomplete-message timeout, HTTP's header
//! timeout, and a padded unauthenticated INVITE over UDP drawing exactly one answer.
//! Loopback only; every wait is bounded.

use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::time::{Duration, Instant};
use switchboard_e2e::{Options, Switch};

fn start() -> Switch {
    Switch::start(Options {
        extra_toml: "[limits]\ntcp_max_connections_per_address = 2\ntcp_message_timeout_s = 1\n\
                     http_header_timeout_s = 1\n"
            .into(),
        ..Options::default()
    })
    .expect("switch")
}

/// How long until the peer closes `s`, if it does within `within`.
fn closed_within(s: &mut TcpStream, within: Duration) -> Option<Duration> {
    let start = Instant::now();
    s.set_read_timeout(Some(within)).expect("timeout");
    let mut b = [0u8; 1024];
    loop {
        match s.read(&mut b) {
            Ok(0) => return Some(start.elapsed()),
            Ok(_) if start.elapsed() < within => {}
            Ok(_) => return None,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::ConnectionReset) => {
                return Some(start.elapsed())
            }
            Err(_) => return None,
        }
    }
}

#[test]
fn sip_tcp_connections_are_capped_and_incomplete_messages_time_out() {
    let sw = start();
    let addr = format!("127.0.0.1:{}", sw.sip_port);
    let mut a = TcpStream::connect(&addr).expect("connect");
    let _b = TcpStream::connect(&addr).expect("connect");
    let mut c = TcpStream::connect(&addr).expect("connect");
    assert!(
        closed_within(&mut c, Duration::from_secs(2)).is_some(),
        "a third connection from one address is refused"
    );
    // Half a message: closed after tcp_message_timeout_s (1 s).
    a.write_all(b"OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nContent-Length: 500\r\n\r\nabc")
        .expect("write");
    let t = closed_within(&mut a, Duration::from_secs(5));
    assert!(
        t.is_some_and(|t| t < Duration::from_secs(3)),
        "{t:?}\n{}",
        sw.log_text()
    );
}

#[test]
fn http_headers_must_arrive_in_time() {
    let sw = start();
    let mut slow = TcpStream::connect(format!("127.0.0.1:{}", sw.http_port)).expect("connect");
    slow.write_all(b"GET /health HTTP/1.1\r\n").expect("write");
    let t = closed_within(&mut slow, Duration::from_secs(5));
    assert!(t.is_some_and(|t| t < Duration::from_secs(3)), "{t:?}");
    assert_eq!(sw.http_get("/health").expect("health"), "ok\n");
}

/// Guards against challenge amplification: one 10.5 KB INVITE drew 12 answers (127 KB).
#[test]
fn a_padded_unauthenticated_invite_draws_one_answer() {
    let sw = start();
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let port = sock.local_addr().expect("addr").port();
    let pad = "y".repeat(10_000);
    let invite = format!(
        "INVITE sip:1002@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKlimits1;x={pad}\r\n\
         From: <sip:1001@127.0.0.1>;tag=a1\r\nTo: <sip:1002@127.0.0.1>\r\n\
         Call-ID: limits-amp@127.0.0.1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n\
         Contact: <sip:1001@127.0.0.1:{port}>\r\nContent-Length: 0\r\n\r\n"
    );
    sock.send_to(invite.as_bytes(), sw.sip_target())
        .expect("send");
    // With t1 = 100 ms the old retransmissions came within 5 s; wait longer than that.
    sock.set_read_timeout(Some(Duration::from_millis(300)))
        .expect("timeout");
    let deadline = Instant::now() + Duration::from_secs(6);
    let mut answers = Vec::new();
    let mut buf = vec![0u8; 65_535];
    while Instant::now() < deadline {
        if let Ok((n, _)) = sock.recv_from(&mut buf) {
            let text = String::from_utf8_lossy(&buf[..n]).to_string();
            answers.push(text.lines().next().unwrap_or_default().to_string());
        }
    }
    assert_eq!(answers, ["SIP/2.0 407 Proxy Authentication Required"]);
}
