//! Front-end normalizer: rewrites valid-but-unusual SIP (RFC 4475 torture cases, real phones)
//! into the strict shape rsip 0.4 accepts, and cuts the body by Content-Length.
//!
//! Rewrites: bare LF line ends, folded (continuation) header lines, compact header names,
//! whitespace around `:` and around `;`/`=`/`/` in parameter-bearing headers, comma-joined
//! Via/Route/Record-Route/Path/Contact values split into one header each, IPv6 references masked for
//! rsip (see [`crate::ipv6`]) and `;` in a Request-URI's user part escaped. Messages that need
//! none of this are passed through borrowed: the check is one scan, the rewrite only happens
//! when needed.

use crate::parse::ParseError;
use std::borrow::Cow;

/// Long names of the compact header forms (RFC 3261 §7.3.3 and the extension RFCs).
pub fn expand_compact(name: &str) -> Option<&'static str> {
    let [letter] = name.as_bytes() else {
        return None;
    };
    Some(match letter.to_ascii_lowercase() {
        b'a' => "Accept-Contact",
        b'b' => "Referred-By",
        b'c' => "Content-Type",
        b'd' => "Request-Disposition",
        b'e' => "Content-Encoding",
        b'f' => "From",
        b'i' => "Call-ID",
        b'j' => "Reject-Contact",
        b'k' => "Supported",
        b'l' => "Content-Length",
        b'm' => "Contact",
        b'n' => "Identity-Info",
        b'o' => "Event",
        b'r' => "Refer-To",
        b's' => "Subject",
        b't' => "To",
        b'u' => "Allow-Events",
        b'v' => "Via",
        b'x' => "Session-Expires",
        b'y' => "Identity",
        _ => return None,
    })
}

/// How a header's value is cleaned up.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ValueKind {
    /// Opaque: only leading/trailing whitespace is trimmed.
    Plain,
    /// `name-addr;param=value` style: whitespace around `;` and `=` is dropped.
    Params,
    /// Via: like Params, plus whitespace around `/` and `:` in the sent-protocol and sent-by.
    Via,
}

fn value_kind(name: &str) -> ValueKind {
    const PARAMS: [&str; 12] = [
        "from",
        "to",
        "contact",
        "route",
        "record-route",
        "path",
        "content-type",
        "event",
        "refer-to",
        "referred-by",
        "reply-to",
        "content-disposition",
    ];
    if name.eq_ignore_ascii_case("via") {
        ValueKind::Via
    } else if PARAMS.iter().any(|p| name.eq_ignore_ascii_case(p)) {
        ValueKind::Params
    } else {
        ValueKind::Plain
    }
}

/// Headers whose comma-joined values are split into one header each.
fn is_split_header(name: &str) -> bool {
    ["via", "route", "record-route", "path", "contact"]
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h))
}

/// The message split into its parts, with the body already cut to Content-Length.
struct Layout<'a> {
    /// Start line plus header lines, without the blank line.
    head: &'a [u8],
    /// Whether `head` ended with a blank line; when not, the message is rebuilt to add one.
    terminated: bool,
    body: &'a [u8],
}

/// Normalizes one datagram (or one framed stream message) for rsip.
///
/// Leading CRLFs (keep-alives) are skipped. The body is cut to Content-Length when present;
/// a body shorter than Content-Length is an error (on a stream, the framer already waited).
pub fn normalize(input: &[u8]) -> Result<Cow<'_, [u8]>, ParseError> {
    let start = input
        .iter()
        .position(|b| !matches!(b, b'\r' | b'\n'))
        .ok_or(ParseError::Empty)?;
    let input = input.get(start..).unwrap_or_default();
    let layout = split(input)?;
    let clean = layout.terminated && !head_needs_rewrite(layout.head);
    if clean {
        let len = layout.head.len() + 4 + layout.body.len();
        // The untouched head is followed by CRLF CRLF in the input, so a prefix slice suffices.
        if let Some(clean) = input.get(..len) {
            return Ok(Cow::Borrowed(clean));
        }
    }
    let mut out = Vec::with_capacity(input.len() + 64);
    rewrite_head(layout.head, &mut out)?;
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(layout.body);
    Ok(Cow::Owned(out))
}

/// Finds the blank line and applies Content-Length to what follows.
fn split(input: &[u8]) -> Result<Layout<'_>, ParseError> {
    let (head, rest, crlf_blank) = match find_blank_line(input) {
        Some((head_end, body_start, crlf)) => (
            input.get(..head_end).unwrap_or_default(),
            input.get(body_start..).unwrap_or_default(),
            crlf,
        ),
        None => {
            let end = input
                .iter()
                .rposition(|b| !matches!(b, b'\r' | b'\n'))
                .map_or(0, |last| last + 1);
            (input.get(..end).unwrap_or_default(), &[][..], false)
        }
    };
    let body = match content_length(head)? {
        Some(len) => rest.get(..len).ok_or(ParseError::BodyTooShort {
            expected: len,
            got: rest.len(),
        })?,
        None => rest,
    };
    Ok(Layout {
        head,
        terminated: crlf_blank,
        body,
    })
}

/// Returns (end of the last header line, start of body, whether the separator was a strict
/// CRLF CRLF). The head excludes the final line terminator.
fn find_blank_line(input: &[u8]) -> Option<(usize, usize, bool)> {
    let mut i = 0;
    while let Some(off) = memchr(b'\n', input.get(i..)?) {
        let lf = i + off;
        let next = lf + 1;
        let after = input.get(next..).unwrap_or_default();
        let cr_before = lf.checked_sub(1).and_then(|p| input.get(p)) == Some(&b'\r');
        let head_end = if cr_before { lf - 1 } else { lf };
        if after.first() == Some(&b'\n') {
            return Some((head_end, next + 1, false));
        }
        if after.starts_with(b"\r\n") {
            return Some((head_end, next + 2, cr_before));
        }
        i = next;
    }
    None
}

/// Splits a header line at its first colon: (name, value), both untrimmed.
pub(crate) fn split_colon(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = memchr(b':', line)?;
    let (name, rest) = line.split_at_checked(colon)?;
    Some((name, rest.get(1..).unwrap_or_default()))
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

/// Physical lines of the head, without their CR/LF, plus whether each ended in a bare LF.
fn physical_lines(head: &[u8]) -> impl Iterator<Item = (&[u8], bool)> {
    head.split(|&b| b == b'\n')
        .map(|line| match line.strip_suffix(b"\r") {
            Some(line) => (line, false),
            None => (line, true),
        })
}

/// Content-Length of the head, if any. Folded Content-Length lines are not worth supporting.
fn content_length(head: &[u8]) -> Result<Option<usize>, ParseError> {
    let mut found: Option<usize> = None;
    for (line, _) in physical_lines(head).skip(1) {
        let Some((name, value)) = split_colon(line) else {
            continue;
        };
        let name = trim_ws(name);
        if !(name.eq_ignore_ascii_case(b"content-length") || name.eq_ignore_ascii_case(b"l")) {
            continue;
        }
        let value = std::str::from_utf8(trim_ws(value))
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .ok_or(ParseError::Malformed("Content-Length"))?;
        if found.is_some_and(|f| f != value) {
            return Err(ParseError::Malformed("Content-Length"));
        }
        found = Some(value);
    }
    Ok(found)
}

fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn trim_ws(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_ws(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|&b| !is_ws(b)).map_or(start, |e| e + 1);
    s.get(start..end).unwrap_or_default()
}

/// One scan deciding whether rsip can take the head as it is.
fn head_needs_rewrite(head: &[u8]) -> bool {
    // One look at the whole head spares the IPv6 check of each line in nearly every message.
    let ipv6 = crate::ipv6::may_need_mask(head);
    let mut lines = physical_lines(head).enumerate().peekable();
    while let Some((i, (line, bare_lf))) = lines.next() {
        // The head excludes its last terminator, so only earlier lines can show a bare LF.
        if bare_lf && lines.peek().is_some() {
            return true;
        }
        if ipv6 && crate::ipv6::needs_mask(line) {
            return true;
        }
        if i == 0 && matches!(escape_user_semicolons(line), Cow::Owned(_)) {
            return true;
        }
        if i == 0 {
            continue;
        }
        if line.first().is_some_and(|&b| is_ws(b)) {
            return true;
        }
        let Some((raw_name, raw_value)) = split_colon(line) else {
            return true;
        };
        let Ok(name) = std::str::from_utf8(raw_name) else {
            return true;
        };
        if name.is_empty() || name.bytes().any(is_ws) || expand_compact(name).is_some() {
            return true;
        }
        // rsip skips spaces (not tabs) after the colon; anything else must be cleaned.
        let spaces = raw_value.iter().take_while(|&&b| b == b' ').count();
        let value = raw_value.get(spaces..).unwrap_or_default();
        if value.first() == Some(&b'\t') || value.last().is_some_and(|&b| is_ws(b)) {
            return true;
        }
        let kind = value_kind(name);
        if kind != ValueKind::Plain && !is_clean(value, kind) {
            return true;
        }
        if is_split_header(name) && split_commas(value).len() > 1 {
            return true;
        }
    }
    false
}

/// Rebuilds the head with CRLF line ends, unfolded lines, long names and cleaned values.
/// Writes a trailing CRLF after each header line; the caller adds the blank line.
fn rewrite_head(head: &[u8], out: &mut Vec<u8>) -> Result<(), ParseError> {
    let mut logical: Vec<Vec<u8>> = Vec::new();
    for (i, (line, _)) in physical_lines(head).enumerate() {
        let folded = i > 0 && line.first().is_some_and(|&b| is_ws(b));
        let has_header = logical.len() > 1;
        match logical.last_mut() {
            Some(prev) if folded && has_header => {
                prev.push(b' ');
                prev.extend_from_slice(trim_ws(line));
            }
            // A continuation right after the start line has nothing to continue.
            _ if folded => return Err(ParseError::MalformedHeaderLine),
            _ => logical.push(line.to_vec()),
        }
    }
    let mut lines = logical.into_iter();
    let start = lines.next().ok_or(ParseError::BadStartLine)?;
    out.extend_from_slice(&escape_user_semicolons(&crate::ipv6::mask(&start)));
    out.extend_from_slice(b"\r\n");
    for line in lines {
        if trim_ws(&line).is_empty() {
            continue;
        }
        let (name, value) = split_colon(&line).ok_or(ParseError::MalformedHeaderLine)?;
        let name =
            std::str::from_utf8(trim_ws(name)).map_err(|_| ParseError::MalformedHeaderLine)?;
        if name.is_empty() || !name.bytes().all(is_token_char) {
            return Err(ParseError::MalformedHeaderLine);
        }
        let name = expand_compact(name).unwrap_or(name);
        let value = crate::ipv6::mask(trim_ws(value));
        let kind = value_kind(name);
        let value: Cow<'_, [u8]> = if kind == ValueKind::Plain {
            value
        } else {
            Cow::Owned(clean_value(&value, kind))
        };
        let parts = if is_split_header(name) {
            split_commas(&value)
        } else {
            vec![&value[..]]
        };
        for part in parts {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(part);
            out.extend_from_slice(b"\r\n");
        }
    }
    Ok(())
}

/// A Request-URI whose user part holds `;` (legal there: RFC 4475 §3.1.1.9 `sip:user;par=u%40
/// example.net@example.com`) has it escaped as `%3B`: rsip 0.4 reads any `;` as the start of
/// the URI parameters. RFC 3261 §19.1.4 makes the escaped and unescaped user equal.
fn escape_user_semicolons(start_line: &[u8]) -> Cow<'_, [u8]> {
    let mut parts = start_line.splitn(3, |&b| b == b' ');
    let (Some(method), Some(uri)) = (parts.next(), parts.next()) else {
        return Cow::Borrowed(start_line);
    };
    let Some(colon) = memchr(b':', uri) else {
        return Cow::Borrowed(start_line);
    };
    let user_end = uri.iter().position(|&b| b == b'@');
    let user = user_end.and_then(|end| uri.get(colon + 1..end));
    let Some(user) = user.filter(|u| u.contains(&b';')) else {
        return Cow::Borrowed(start_line);
    };
    let mut out = Vec::with_capacity(start_line.len() + 8);
    out.extend_from_slice(method);
    out.push(b' ');
    out.extend_from_slice(uri.get(..=colon).unwrap_or_default());
    for &b in user {
        match b {
            b';' => out.extend_from_slice(b"%3B"),
            _ => out.push(b),
        }
    }
    out.extend_from_slice(uri.get(colon + 1 + user.len()..).unwrap_or_default());
    if let Some(rest) = parts.next() {
        out.push(b' ');
        out.extend_from_slice(rest);
    }
    Cow::Owned(out)
}

/// RFC 3261 `token` characters, allowed in header names.
pub(crate) fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

/// Drops whitespace next to the parameter separators outside quoted strings, and collapses
/// other whitespace runs to one space. In Via, `/` and `:` are separators as well.
fn clean_value(value: &[u8], kind: ValueKind) -> Vec<u8> {
    let seps: &[u8] = match kind {
        ValueKind::Via => b";=/:,",
        _ => b";=",
    };
    let mut out = Vec::with_capacity(value.len());
    let mut in_quotes = false;
    let mut escaped = false;
    let mut pending_ws = false;
    for &b in value {
        if in_quotes {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_quotes = false;
            }
            continue;
        }
        if is_ws(b) {
            pending_ws = true;
            continue;
        }
        if pending_ws {
            let prev_sep = out.last().is_some_and(|p| seps.contains(p));
            if !seps.contains(&b) && !prev_sep && !out.is_empty() {
                out.push(b' ');
            }
            pending_ws = false;
        }
        if b == b'"' {
            in_quotes = true;
        }
        out.push(b);
    }
    out
}

/// Whether [`clean_value`] would leave `value` as it is, without building the cleaned copy
/// (this runs on most header lines of every message): every whitespace run outside quoted
/// strings is one space between two bytes that are not separators.
fn is_clean(value: &[u8], kind: ValueKind) -> bool {
    let seps: &[u8] = match kind {
        ValueKind::Via => b";=/:,",
        _ => b";=",
    };
    let (mut in_quotes, mut escaped) = (false, false);
    // The last byte clean_value would have written before the current one.
    let mut prev: Option<u8> = None;
    for (i, &b) in value.iter().enumerate() {
        if in_quotes {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_quotes = false;
            }
            prev = Some(b);
            continue;
        }
        if is_ws(b) {
            let next = value.get(i + 1).copied();
            let kept = b == b' '
                && prev.is_some_and(|p| !seps.contains(&p))
                && next.is_some_and(|n| !is_ws(n) && !seps.contains(&n));
            if !kept {
                return false;
            }
            continue;
        }
        if b == b'"' {
            in_quotes = true;
        }
        prev = Some(b);
    }
    true
}

/// Splits at commas that are outside quoted strings and `<...>`; pieces are trimmed and empty
/// pieces dropped.
fn split_commas(value: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut in_quotes = false;
    let mut escaped = false;
    let mut in_angle = false;
    let mut start = 0;
    for (i, &b) in value.iter().enumerate() {
        if in_quotes {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_quotes = false;
            }
            continue;
        }
        match b {
            b'"' => in_quotes = true,
            b'<' => in_angle = true,
            b'>' => in_angle = false,
            b',' if !in_angle => {
                parts.push(trim_ws(value.get(start..i).unwrap_or_default()));
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(trim_ws(value.get(start..).unwrap_or_default()));
    parts.retain(|p| !p.is_empty());
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `is_clean` agrees with cleaning and comparing, on every value of up to 6 bytes over
    /// the bytes that matter (whitespace, separators, quotes, escapes).
    #[test]
    fn is_clean_is_cleaning_changes_nothing() {
        const BYTES: &[u8] = b" \t;=/:\"\\a";
        let mut checked = 0;
        for len in 0..=6u32 {
            for mut n in 0..BYTES.len().pow(len) {
                let mut value = Vec::new();
                for _ in 0..len {
                    value.push(BYTES[n % BYTES.len()]);
                    n /= BYTES.len();
                }
                for kind in [ValueKind::Params, ValueKind::Via] {
                    let same = clean_value(&value, kind) == value;
                    assert_eq!(
                        is_clean(&value, kind),
                        same,
                        "{:?}",
                        String::from_utf8_lossy(&value)
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 1_000_000);
    }

    fn norm(s: &str) -> String {
        String::from_utf8(normalize(s.as_bytes()).expect("normalizes").into_owned()).expect("utf8")
    }

    const PLAIN: &str =
        "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: x\r\n\r\n";

    #[test]
    fn clean_message_is_borrowed() {
        let out = normalize(PLAIN.as_bytes()).expect("ok");
        assert!(matches!(out, Cow::Borrowed(_)));
        assert_eq!(&out[..], PLAIN.as_bytes());
    }

    #[test]
    fn leading_crlf_and_trailing_garbage_are_cut() {
        let msg = format!(
            "\r\n\r\n{}",
            PLAIN.replace("Call-ID: x", "Call-ID: x\r\nContent-Length: 2")
        );
        let out = norm(&(msg.clone() + "abcdef"));
        assert!(out.starts_with("OPTIONS"));
        assert!(out.ends_with("\r\n\r\nab"));
    }

    #[test]
    fn short_body_is_an_error() {
        let msg = PLAIN.replace("Call-ID: x", "Call-ID: x\r\nl: 10") + "abc";
        assert_eq!(
            normalize(msg.as_bytes()),
            Err(ParseError::BodyTooShort {
                expected: 10,
                got: 3
            })
        );
    }

    #[test]
    fn bare_lf_and_folding_and_compact_names() {
        let msg = "INVITE sip:a@b SIP/2.0\nv: SIP/2.0/UDP h;branch=z9hG4bK1\ni: abc\nSubject: I know\n   you're there\n\n";
        let out = norm(msg);
        assert_eq!(
            out,
            "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: abc\r\nSubject: I know you're there\r\n\r\n"
        );
    }

    #[test]
    fn whitespace_around_separators() {
        let msg = "OPTIONS sip:a@b SIP/2.0\r\nVia  :  SIP  /  2.0 / UDP   h : 5060 ;  branch = z9hG4bK1\r\nTo : \"A ; b\"  <sip:a@b> ; tag = 1 \r\n\r\n";
        let out = norm(msg);
        assert!(
            out.contains("\r\nVia: SIP/2.0/UDP h:5060;branch=z9hG4bK1\r\n"),
            "{out}"
        );
        assert!(
            out.contains("\r\nTo: \"A ; b\" <sip:a@b>;tag=1\r\n"),
            "{out}"
        );
    }

    #[test]
    fn comma_joined_headers_are_split_but_quoted_commas_kept() {
        let msg = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h1;branch=z9hG4bK1, SIP/2.0/TCP h2;branch=z9hG4bK2\r\nm: \"Doe, J\" <sip:j@h;x=a,b>;q=0.5 , <sip:k@h>\r\nAccept: a, b\r\n\r\n";
        let out = norm(msg);
        assert!(
            out.contains(
                "Via: SIP/2.0/UDP h1;branch=z9hG4bK1\r\nVia: SIP/2.0/TCP h2;branch=z9hG4bK2\r\n"
            ),
            "{out}"
        );
        assert!(
            out.contains("Contact: \"Doe, J\" <sip:j@h;x=a,b>;q=0.5\r\nContact: <sip:k@h>\r\n"),
            "{out}"
        );
        assert!(out.contains("Accept: a, b\r\n"), "{out}");
    }

    #[test]
    fn missing_blank_line_is_tolerated() {
        let out = norm("OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n");
        assert_eq!(out, "OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n");
    }

    #[test]
    fn empty_and_garbage_lines() {
        assert_eq!(normalize(b"\r\n\r\n"), Err(ParseError::Empty));
        assert_eq!(
            normalize(b"OPTIONS sip:a@b SIP/2.0\r\nno colon here\r\n\r\n"),
            Err(ParseError::MalformedHeaderLine)
        );
        assert_eq!(
            normalize(b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: x\r\n\r\n"),
            Err(ParseError::Malformed("Content-Length"))
        );
    }
}
