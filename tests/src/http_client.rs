//! A small HTTP/1.1 client for the JSON and CSV APIs: any method, headers and a body, over a
//! fresh loopback connection per request (`Connection: close`), so it needs no client library.
//!
//! The body is written from a second thread while this one reads, so a server that answers
//! early (413 on an oversized body) and closes is still heard instead of ending in a broken pipe.

use crate::Switch;
use anyhow::{bail, Context};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A response: status, headers in order (names lower-cased), and the body (lossy UTF-8, and
/// the bytes as received for binary bodies such as WAV).
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub bytes: Vec<u8>,
}

impl HttpResponse {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A browser-like session of one account: the session cookie, and the CSRF token that changes
/// (POST, PUT, PATCH, DELETE) carry.
#[derive(Debug, Clone)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

impl Session {
    /// `POST /api/login` as `user`.
    pub fn login(switch: &Switch, user: &str, password: &str) -> anyhow::Result<Session> {
        let body = serde_json::json!({ "username": user, "password": password }).to_string();
        let r = request(
            switch.http_port,
            "POST",
            "/api/login",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )?;
        anyhow::ensure!(r.status == 200, "login {user}: {} {}", r.status, r.body);
        let set = r.header("set-cookie").context("Set-Cookie")?;
        let cookie = set.split(';').next().unwrap_or_default().to_owned();
        let answer: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_default();
        let csrf = answer["csrf_token"].as_str().unwrap_or_default().to_owned();
        Ok(Session { cookie, csrf })
    }

    /// A request in this session with a JSON `body` (may be empty).
    pub fn send(
        &self,
        switch: &Switch,
        method: &str,
        path: &str,
        body: &str,
    ) -> anyhow::Result<HttpResponse> {
        let headers = [
            ("Cookie", self.cookie.as_str()),
            ("X-CSRF-Token", self.csrf.as_str()),
            ("Content-Type", "application/json"),
        ];
        request(switch.http_port, method, path, &headers, body.as_bytes())
    }
}

/// Sends one request to `127.0.0.1:port`. `headers` are added as given; `Host`,
/// `Content-Length` and `Connection: close` are always sent.
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> anyhow::Result<HttpResponse> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .with_context(|| format!("connecting to 127.0.0.1:{port}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut writer = stream.try_clone()?;
    let mut payload = head.into_bytes();
    payload.extend_from_slice(body);
    // A write error (the server closed after an early answer) is expected; the answer is what
    // the caller checks.
    let sender = std::thread::spawn(move || {
        let _ = writer.write_all(&payload);
        let _ = writer.flush();
    });
    let mut raw = Vec::new();
    let read = stream.read_to_end(&mut raw);
    let _ = sender.join();
    if raw.is_empty() {
        read.context("reading the response")?;
        bail!("empty response to {method} {path}");
    }
    parse_response(&raw)
}

/// Splits a full HTTP/1.1 response into status, headers and (de-chunked) body.
pub fn parse_response(raw: &[u8]) -> anyhow::Result<HttpResponse> {
    let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        bail!(
            "no end of headers in response: {:?}",
            String::from_utf8_lossy(raw)
        );
    };
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .with_context(|| format!("bad status line {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let body = &raw[split + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_vec()
    };
    Ok(HttpResponse {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        bytes: body,
    })
}

fn dechunk(mut data: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = data.windows(2).position(|w| w == b"\r\n") else {
            bail!("truncated chunked body");
        };
        let size_text = String::from_utf8_lossy(&data[..eol]);
        let size_hex = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16)
            .with_context(|| format!("bad chunk size {size_hex:?}"))?;
        data = &data[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size + 2 {
            bail!("truncated chunk");
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// Open `GET /api/events` with a session cookie and read its head; the stream is left open
/// (panics unless the answer is a 200 event stream).
pub fn open_event_stream(port: u16, cookie: &str) -> TcpStream {
    let mut sse = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        sse,
        "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n\r\n"
    )
    .expect("request");
    sse.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(
            sse.read(&mut byte).expect("headers"),
            1,
            "stream closed early"
        );
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("text/event-stream"), "{head}");
    sse
}

/// Read an event stream until it ends (its last chunk, or the connection closes); panics when
/// it still runs after the read timeout, saying how long after `since`.
pub fn wait_stream_end(sse: &mut TcpStream, since: std::time::Instant) {
    let mut rest = Vec::new();
    let mut buf = [0u8; 512];
    loop {
        match sse.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                rest.extend_from_slice(buf.get(..n).unwrap_or_default());
                if rest.ends_with(b"0\r\n\r\n") {
                    break;
                }
            }
            Err(e) => panic!("the stream still runs {:?} later: {e}", since.elapsed()),
        }
    }
}

impl Switch {
    /// A request to this switch's HTTP API with an optional `Content-Type` and a body.
    pub fn http_send(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> anyhow::Result<HttpResponse> {
        let bearer = format!("Bearer {}", crate::ADMIN_TOKEN);
        let mut headers: Vec<(&str, &str)> = vec![("Authorization", &bearer)];
        headers.extend(content_type.map(|t| ("Content-Type", t)));
        request(self.http_port, method, path, &headers, body)
    }

    /// A request with a JSON body (`Content-Type: application/json`).
    pub fn http_json(&self, method: &str, path: &str, json: &str) -> anyhow::Result<HttpResponse> {
        self.http_send(method, path, Some("application/json"), json.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_chunked_responses() {
        let plain = parse_response(
            b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nLocation: /x/1\r\n\r\n{\"id\":1}",
        )
        .expect("plain");
        assert_eq!(plain.status, 201);
        assert_eq!(plain.header("location"), Some("/x/1"));
        assert_eq!(plain.body, "{\"id\":1}");
        let chunked = parse_response(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n6;x=y\r\npedia!\r\n0\r\n\r\n",
        )
        .expect("chunked");
        assert_eq!(chunked.body, "Wikipedia!");
        let err = parse_response(b"HTTP/1.1 200 OK\r\n").unwrap_err();
        assert!(err.to_string().contains("no end of headers"), "{err}");
        let err = parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nab")
            .unwrap_err();
        assert!(err.to_string().contains("truncated chunk"), "{err}");
    }
}
