//! IPv6 references (RFC 5118) through rsip 0.4, which cannot read them: its host parser splits
//! `[2001:db8::10]:5070` at the first colon, and it prints an IPv6 host without brackets.
//!
//! So the normalizer masks each IPv6 reference in the head as a reserved domain name that rsip
//! carries untouched (`[2001:db8::10]` becomes `ipv6.2001-db8--10.invalid`; `.invalid` is
//! reserved by RFC 2606 and never names a real host), and every message leaving through
//! [`crate::message::to_bytes`] or the transaction layer is unmasked back to the bracketed form.
//! A bare IPv6 address in a `received` or `maddr` parameter (RFC 5118 §4.5) is masked with its
//! own marker, so it goes back out bare. Inside the process a masked host compares and hashes
//! like any other domain; [`unmask`] gives the wire form for logs and tests.

use std::borrow::Cow;

const BRACKETED: &str = "ipv6.";
const BARE: &str = "ipv6b.";
const END: &str = ".invalid";

/// What may stand between the brackets: hex digits, colons and the dots of an embedded IPv4
/// address, with at least two colons. RFC 5118 §4.10's `2001:db8:::192.0.2.1` (three colons,
/// from the RFC 3261 ABNF) passes too: the RFC asks for robustness there.
fn is_ipv6_text(s: &[u8]) -> bool {
    s.len() >= 2
        && s.iter().filter(|&&b| b == b':').count() >= 2
        && s.iter()
            .all(|b| b.is_ascii_hexdigit() || *b == b':' || *b == b'.')
}

fn push_masked(out: &mut Vec<u8>, marker: &str, addr: &[u8]) {
    out.extend_from_slice(marker.as_bytes());
    out.extend(addr.iter().map(|&b| if b == b':' { b'-' } else { b }));
    out.extend_from_slice(END.as_bytes());
}

/// Whether `line` holds something [`mask`] would rewrite.
pub(crate) fn needs_mask(line: &[u8]) -> bool {
    matches!(mask(line), Cow::Owned(_))
}

/// Masks every IPv6 reference in one head line (start line or header line). Quoted strings
/// are left alone.
pub(crate) fn mask(line: &[u8]) -> Cow<'_, [u8]> {
    if !may_need_mask(line) {
        return Cow::Borrowed(line);
    }
    let mut out = Vec::with_capacity(line.len() + 32);
    let mut changed = false;
    let (mut in_quotes, mut escaped) = (false, false);
    let mut i = 0;
    while let Some(&b) = line.get(i) {
        if in_quotes && escaped {
            escaped = false;
        } else if in_quotes && b == b'\\' {
            escaped = true;
        } else if b == b'"' {
            in_quotes = !in_quotes;
        }
        if !in_quotes && b == b'[' {
            let rest = line.get(i + 1..).unwrap_or_default();
            if let Some(len) = rest.iter().position(|&c| c == b']') {
                let addr = rest.get(..len).unwrap_or_default();
                if is_ipv6_text(addr) {
                    push_masked(&mut out, BRACKETED, addr);
                    changed = true;
                    i += len + 2;
                    continue;
                }
            }
        }
        if !in_quotes && b == b'=' && bare_param_before(&out) {
            let rest = line.get(i + 1..).unwrap_or_default();
            let len = rest
                .iter()
                .position(|c| !(c.is_ascii_hexdigit() || *c == b':' || *c == b'.'))
                .unwrap_or(rest.len());
            let addr = rest.get(..len).unwrap_or_default();
            if is_ipv6_text(addr) {
                out.push(b'=');
                push_masked(&mut out, BARE, addr);
                changed = true;
                i += len + 1;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(line)
    }
}

/// Whether text (a line or a whole head) holds `[` or `::`, without which [`mask`] leaves
/// every line of it alone.
pub(crate) fn may_need_mask(text: &[u8]) -> bool {
    text.contains(&b'[') || has_double_colon(text)
}

/// Whether `line` holds `::` (a bare IPv6 address always does). Jumps from colon to colon:
/// this runs on every head line of every message.
fn has_double_colon(line: &[u8]) -> bool {
    let mut rest = line;
    while let Some(at) = rest.iter().position(|&b| b == b':') {
        rest = rest.get(at + 1..).unwrap_or_default();
        if rest.first() == Some(&b':') {
            return true;
        }
    }
    false
}

/// Whether what was written so far ends with a parameter name that may hold a bare address.
fn bare_param_before(out: &[u8]) -> bool {
    ["received", "maddr"].iter().any(|name| {
        out.len() > name.len()
            && out
                .get(out.len() - name.len()..)
                .is_some_and(|tail| tail.eq_ignore_ascii_case(name.as_bytes()))
            && out.get(out.len() - name.len() - 1) == Some(&b';')
    })
}

/// The wire form of text that may hold masked hosts: each `ipv6.<addr>.invalid` becomes
/// `[<addr>]` and each `ipv6b.<addr>.invalid` the bare address.
pub fn unmask(text: &str) -> Cow<'_, str> {
    if !text.contains(END) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        // The first marker left (`ipv6b.` does not contain `ipv6.`).
        let next = [(BARE, false), (BRACKETED, true)]
            .into_iter()
            .filter_map(|(marker, brackets)| rest.find(marker).map(|at| (at, marker, brackets)))
            .min_by_key(|(at, _, _)| *at);
        let Some((at, marker, brackets)) = next else {
            break;
        };
        let (before, from_marker) = rest.split_at_checked(at).unwrap_or((rest, ""));
        out.push_str(before);
        let body = from_marker.get(marker.len()..).unwrap_or_default();
        let addr = body.find(END).and_then(|end| body.get(..end)).filter(|a| {
            !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_hexdigit() || c == '-' || c == '.')
        });
        match addr {
            Some(addr) => {
                let addr = addr.replace('-', ":");
                if brackets {
                    out.push('[');
                    out.push_str(&addr);
                    out.push(']');
                } else {
                    out.push_str(&addr);
                }
                rest = body.get(addr.len() + END.len()..).unwrap_or_default();
            }
            None => {
                out.push_str(marker);
                rest = body;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(s: &str) -> String {
        String::from_utf8(mask(s.as_bytes()).into_owned()).expect("utf8")
    }

    #[test]
    fn references_round_trip() {
        for line in [
            "REGISTER sip:[2001:db8::10] SIP/2.0",
            "REGISTER sip:[2001:db8::10]:5070 SIP/2.0",
            "Via: SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bKas3-111",
            "Via: SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255;branch=z9hG4bKas3",
            "Contact: \"T. desk phone\" <sip:ted@[::ffff:192.0.2.2]>",
            "To: sip:user@[2001:db8:::192.0.2.1]",
        ] {
            let m = masked(line);
            assert!(!m.contains('['), "{m}");
            assert!(!m.contains("::"), "{m}");
            assert_eq!(unmask(&m), line);
        }
        // An escaped quote does not end the quoted string.
        let line = r#"Contact: "quote \" [x]" <sip:a@[2001:db8::1]>"#;
        assert_eq!(
            masked(line),
            r#"Contact: "quote \" [x]" <sip:a@ipv6.2001-db8--1.invalid>"#
        );
        assert_eq!(unmask(&masked(line)), line);
        assert_eq!(
            masked("REGISTER sip:[2001:db8::10]:5070 SIP/2.0"),
            "REGISTER sip:ipv6.2001-db8--10.invalid:5070 SIP/2.0"
        );
    }

    #[test]
    fn other_text_is_left_alone() {
        for line in [
            "Subject: [urgent] call me",
            "To: \"[2001:db8::1]\" <sip:a@b>",
            "Call-ID: abc::def",
            "Via: SIP/2.0/UDP 192.0.2.1;received=192.0.2.2",
        ] {
            assert!(matches!(mask(line.as_bytes()), Cow::Borrowed(_)), "{line}");
        }
        assert!(matches!(unmask("ipv6.nothing"), Cow::Borrowed(_)));
        assert!(has_double_colon(b"a:b::c") && has_double_colon(b"::"));
        assert!(!has_double_colon(b"a:b:c:") && !has_double_colon(b""));
        assert_eq!(unmask("x ipv6.zz.invalid"), "x ipv6.zz.invalid");
    }
}
