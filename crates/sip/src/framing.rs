//! Cuts a stream transport's bytes (TCP) into whole SIP messages by Content-Length
//! (RFC 3261 §18.3), skipping CRLF keep-alives (RFC 5626 §4.4.1) between messages and
//! counting the double-CRLF pings among them, which the connection answers with a CRLF pong.

use bytes::{Buf, Bytes, BytesMut};

/// Largest header section accepted before the blank line.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// Largest body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Why a stream cannot be framed. After any of these the connection should be closed: the
/// framer cannot know where the next message starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FramingError {
    #[error("Missing Content-Length on a stream transport")]
    MissingContentLength,
    #[error("Malformed Content-Length")]
    BadContentLength,
    #[error("Header section larger than {0} bytes")]
    HeadersTooLarge(usize),
    #[error("Body larger than {0} bytes")]
    BodyTooLarge(usize),
}

/// Accumulates stream bytes and yields one message at a time.
#[derive(Debug)]
pub struct StreamFramer {
    buf: BytesMut,
    max_header: usize,
    max_body: usize,
    /// Where the blank-line search resumes, so a slow trickle is not rescanned from the start.
    scanned: usize,
    /// CRLFs skipped in a row between messages (a ping is two; it may arrive in two reads).
    crlf_run: u8,
    /// Whether the last byte skipped was a CR, awaiting its LF.
    cr_pending: bool,
    /// Double-CRLF pings seen and not yet taken.
    pings: usize,
}

impl Default for StreamFramer {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamFramer {
    pub fn new() -> Self {
        Self::with_limits(MAX_HEADER_BYTES, MAX_BODY_BYTES)
    }

    pub fn with_limits(max_header: usize, max_body: usize) -> Self {
        StreamFramer {
            buf: BytesMut::new(),
            max_header,
            max_body,
            scanned: 0,
            crlf_run: 0,
            cr_pending: false,
            pings: 0,
        }
    }

    /// Appends bytes read from the socket.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Bytes held that do not yet form a whole message.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Double-CRLF keep-alive pings (RFC 5626 §4.4.1) seen since the last call: answer each
    /// with one CRLF (the pong).
    pub fn take_pings(&mut self) -> usize {
        std::mem::take(&mut self.pings)
    }

    /// The next whole message, `Ok(None)` when more bytes are needed.
    pub fn next_message(&mut self) -> Result<Option<Bytes>, FramingError> {
        let skip = self
            .buf
            .iter()
            .position(|b| !matches!(b, b'\r' | b'\n'))
            .unwrap_or(self.buf.len());
        if skip > 0 {
            for b in self.buf.iter().take(skip) {
                match (*b, self.cr_pending) {
                    (b'\r', _) => self.cr_pending = true,
                    (b'\n', true) => {
                        self.cr_pending = false;
                        self.crlf_run += 1;
                        if self.crlf_run == 2 {
                            self.crlf_run = 0;
                            self.pings += 1;
                        }
                    }
                    _ => {
                        // A bare LF: not a keep-alive of RFC 5626, only tolerated.
                        self.cr_pending = false;
                        self.crlf_run = 0;
                    }
                }
            }
            self.buf.advance(skip);
            self.scanned = 0;
        }
        if !self.buf.is_empty() {
            // A message starts: the CRLFs before it were no ping (a stray line end).
            self.crlf_run = 0;
            self.cr_pending = false;
        }
        let Some((head_end, body_start)) = self.find_blank_line() else {
            if self.buf.len() > self.max_header {
                return Err(FramingError::HeadersTooLarge(self.max_header));
            }
            return Ok(None);
        };
        if head_end > self.max_header {
            return Err(FramingError::HeadersTooLarge(self.max_header));
        }
        let length = content_length(self.buf.get(..head_end).unwrap_or_default())?;
        if length > self.max_body {
            return Err(FramingError::BodyTooLarge(self.max_body));
        }
        let total = body_start + length;
        if self.buf.len() < total {
            return Ok(None);
        }
        self.scanned = 0;
        Ok(Some(self.buf.split_to(total).freeze()))
    }

    /// Returns (end of headers, start of body) of the first blank line (CRLF CRLF or LF LF).
    fn find_blank_line(&mut self) -> Option<(usize, usize)> {
        let buf = &self.buf[..];
        // Resume a little before where the last search stopped: the separator may straddle it.
        let from = self.scanned.saturating_sub(3);
        for (i, &b) in buf.iter().enumerate().skip(from) {
            if b == b'\n' {
                if buf.get(i + 1) == Some(&b'\n') {
                    return Some((i, i + 2));
                }
                if buf.get(i + 1) == Some(&b'\r') && buf.get(i + 2) == Some(&b'\n') {
                    return Some((i, i + 3));
                }
            }
        }
        self.scanned = buf.len();
        None
    }
}

/// Content-Length (or compact `l`) of a header section; required on streams.
fn content_length(head: &[u8]) -> Result<usize, FramingError> {
    let mut found = None;
    for line in head.split(|&b| b == b'\n') {
        let Some((name, value)) = crate::normalize::split_colon(line) else {
            continue;
        };
        let name = name.trim_ascii();
        if !(name.eq_ignore_ascii_case(b"content-length") || name.eq_ignore_ascii_case(b"l")) {
            continue;
        }
        let value = std::str::from_utf8(value.trim_ascii())
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .ok_or(FramingError::BadContentLength)?;
        if found.is_some_and(|f| f != value) {
            return Err(FramingError::BadContentLength);
        }
        found = Some(value);
    }
    found.ok_or(FramingError::MissingContentLength)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: 5\r\n\r\nhello";
    const MSG2: &[u8] = b"OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n";

    fn drain(f: &mut StreamFramer) -> Vec<Bytes> {
        let mut out = Vec::new();
        while let Some(m) = f.next_message().expect("frames") {
            out.push(m);
        }
        out
    }

    #[test]
    fn split_at_every_byte_boundary() {
        let stream = [b"\r\n\r\n".as_slice(), MSG, MSG2].concat();
        for cut in 0..=stream.len() {
            let mut f = StreamFramer::new();
            f.push(&stream[..cut]);
            let mut got = drain(&mut f);
            f.push(&stream[cut..]);
            got.extend(drain(&mut f));
            assert_eq!(
                got,
                vec![Bytes::from_static(MSG), Bytes::from_static(MSG2)],
                "cut {cut}"
            );
            assert_eq!(f.buffered(), 0);
        }
    }

    #[test]
    fn double_crlf_pings_are_counted_wherever_the_reads_split_them() {
        // Two pings, a message, a lone CRLF (no ping), a ping, a bare-LF pair (no ping).
        let stream = [
            b"\r\n\r\n\r\n\r\n".as_slice(),
            MSG,
            b"\r\n",
            MSG2,
            b"\r\n\r\n\n\n",
        ]
        .concat();
        for cut in 0..=stream.len() {
            let mut f = StreamFramer::new();
            f.push(&stream[..cut]);
            let mut got = drain(&mut f);
            let mut pings = f.take_pings();
            f.push(&stream[cut..]);
            got.extend(drain(&mut f));
            pings += f.take_pings();
            assert_eq!(got.len(), 2, "cut {cut}");
            assert_eq!(pings, 3, "cut {cut}");
            assert_eq!(f.take_pings(), 0);
        }
    }

    #[test]
    fn byte_by_byte_trickle() {
        let mut f = StreamFramer::new();
        let mut got = Vec::new();
        for b in [MSG, b"\r\n", MSG2].concat() {
            f.push(&[b]);
            got.extend(drain(&mut f));
        }
        assert_eq!(got, vec![Bytes::from_static(MSG), Bytes::from_static(MSG2)]);
    }

    #[test]
    fn two_messages_in_one_push_and_keepalives() {
        let mut f = StreamFramer::new();
        f.push(&[MSG, b"\r\n\r\n", MSG2, b"\r\n"].concat());
        assert_eq!(drain(&mut f).len(), 2);
        // A lone keep-alive yields nothing and leaves nothing behind.
        f.push(b"\r\n\r\n");
        assert_eq!(f.next_message(), Ok(None));
        assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn missing_or_bad_content_length() {
        let mut f = StreamFramer::new();
        f.push(b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n");
        assert_eq!(f.next_message(), Err(FramingError::MissingContentLength));
        let mut f = StreamFramer::new();
        f.push(b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n");
        assert_eq!(f.next_message(), Err(FramingError::BadContentLength));
    }

    #[test]
    fn size_caps() {
        let mut f = StreamFramer::with_limits(100, 10);
        f.push(&[b'A'; 101]);
        assert_eq!(f.next_message(), Err(FramingError::HeadersTooLarge(100)));
        let mut f = StreamFramer::with_limits(100, 10);
        f.push(b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 11\r\n\r\n");
        assert_eq!(f.next_message(), Err(FramingError::BodyTooLarge(10)));
    }
}
