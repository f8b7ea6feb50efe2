//! Contact values rsip 0.4 cannot tokenize on its own: header parameters with quoted values,
//! such as RFC 5626's `+sip.instance="<urn:uuid:...>"` that every outbound-capable phone sends.

use rsip::param::{OtherParam, OtherParamValue};
use rsip::prelude::*;
use rsip::Param;

/// Parses a Contact value; quoted-value parameters are set aside, the rest goes through rsip,
/// and they are appended back as `Param::Other` so they print unchanged. Contacts without a
/// sip/sips URI are refused: rsip would read `"name"` as a host, and we could not route there.
pub(crate) fn typed_contact(value: &str) -> Option<rsip::typed::Contact> {
    parse(value).filter(|t| t.uri.scheme.is_some())
}

fn parse(value: &str) -> Option<rsip::typed::Contact> {
    if let Ok(t) = rsip::headers::Contact::new(value).typed() {
        return Some(t);
    }
    let close = name_addr_end(value)?;
    let (addr, params) = value.split_at(close + 1);
    let mut plain = addr.to_owned();
    let mut quoted = Vec::new();
    for p in split_outside_quotes(params, b';') {
        let p = p.trim();
        if p.is_empty() {
            continue;
        }
        if p.contains('"') {
            let (name, val) = p.split_once('=')?;
            quoted.push(Param::Other(
                OtherParam::new(name.trim()),
                Some(OtherParamValue::new(val.trim())),
            ));
        } else {
            plain.push(';');
            plain.push_str(p);
        }
    }
    if quoted.is_empty() {
        return None;
    }
    let mut typed = rsip::headers::Contact::new(plain).typed().ok()?;
    typed.params.extend(quoted);
    Some(typed)
}

/// Index of the `>` closing the `<...>` URI, skipping a quoted display name.
fn name_addr_end(value: &str) -> Option<usize> {
    let mut in_quotes = false;
    let mut escaped = false;
    let mut in_angle = false;
    for (i, b) in value.bytes().enumerate() {
        if in_quotes {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_quotes = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' if !in_angle => in_quotes = true,
            b'<' => in_angle = true,
            b'>' if in_angle => return Some(i),
            _ => {}
        }
    }
    None
}

fn split_outside_quotes(s: &str, sep: u8) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut in_quotes, mut escaped, mut start) = (false, false, 0);
    for (i, b) in s.bytes().enumerate() {
        if in_quotes {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_quotes = false,
                _ => {}
            }
        } else if b == b'"' {
            in_quotes = true;
        } else if b == sep {
            // `sep` is ASCII, so both ends are character boundaries.
            parts.push(s.get(start..i).unwrap_or_default());
            start = i + 1;
        }
    }
    parts.push(s.get(start..).unwrap_or_default());
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_instance_param_survives() {
        let v = "\"A; b\" <sip:a@h;ob>;+sip.instance=\"<urn:uuid:1;x>\";reg-id=1;expires=60";
        let t = typed_contact(v).expect("parses");
        assert_eq!(t.uri.user(), Some("a"));
        assert_eq!(t.expires().and_then(|e| e.seconds().ok()), Some(60));
        let printed = t.to_string();
        assert!(
            printed.contains(";+sip.instance=\"<urn:uuid:1;x>\""),
            "{printed}"
        );
        assert!(printed.contains(";reg-id=1"), "{printed}");
    }

    #[test]
    fn garbage_is_none() {
        assert_eq!(typed_contact("<sip:a@h;foo=\"unterminated"), None);
        assert_eq!(typed_contact("\"only a name\""), None);
    }
}
