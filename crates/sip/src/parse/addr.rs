//! Syntax rsip 0.4 lets through in address headers (RFC 4475 §3.1.2.1, §3.1.2.6, §3.1.2.15):
//! empty parameters (`;;`), an unterminated quoted string, and a display name that is neither
//! a quoted string nor tokens (`Bell, Alexander <sip:...>`). Each is a 400 naming the header.

use super::ParseError;
use rsip::headers::UntypedHeader;
use rsip::Header;

/// Checks the Via, From, To, Contact, Route and Record-Route values of a parsed message.
pub(super) fn check(headers: &rsip::Headers) -> Result<(), ParseError> {
    for header in headers.iter() {
        let (name, value, name_addr) = match header {
            Header::Via(h) => ("Via", h.value(), false),
            Header::From(h) => ("From", h.value(), true),
            Header::To(h) => ("To", h.value(), true),
            Header::Contact(h) => ("Contact", h.value(), true),
            Header::Route(h) => ("Route", h.value(), true),
            Header::RecordRoute(h) => ("Record-Route", h.value(), true),
            _ => continue,
        };
        let outside = outside_quotes(value).ok_or(ParseError::Malformed(name))?;
        if has_empty_param(&outside) || (name_addr && !display_name_ok(value, &outside)) {
            return Err(ParseError::Malformed(name));
        }
    }
    Ok(())
}

/// `value` with quoted strings and `<...>` replaced by a placeholder character, or None when a
/// quoted string or a `<` is not closed.
fn outside_quotes(value: &str) -> Option<String> {
    let mut out = String::with_capacity(value.len());
    let (mut in_quotes, mut escaped, mut in_angle) = (false, false, false);
    for c in value.chars() {
        if in_quotes {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => {
                    in_quotes = false;
                    out.push('q');
                }
                _ => {}
            }
            continue;
        }
        match c {
            '"' if !in_angle => in_quotes = true,
            '<' => in_angle = true,
            '>' if in_angle => {
                in_angle = false;
                out.push('u');
            }
            _ if in_angle => {}
            _ => out.push(c),
        }
    }
    (!in_quotes && !in_angle).then_some(out)
}

/// `;;`, a value starting with `;` or ending with one: a parameter without a name.
fn has_empty_param(outside: &str) -> bool {
    let t = outside.trim();
    t.starts_with(';') || t.ends_with(';') || t.contains(";;")
}

/// Before `<`, a display name is one quoted string or tokens separated by whitespace
/// (RFC 3261 §25.1 `display-name`).
fn display_name_ok(value: &str, outside: &str) -> bool {
    if !value.contains('<') {
        return true;
    }
    let name = outside.split('u').next().unwrap_or_default().trim();
    name.is_empty()
        || name == "q"
        || name
            .split([' ', '\t'])
            .filter(|w| !w.is_empty())
            .all(|w| w.bytes().all(crate::normalize::is_token_char))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_quotes_marks_quoted_strings_and_uris() {
        assert_eq!(
            outside_quotes(r#""a \" b" <sip:x@y;lr>;tag=1"#).as_deref(),
            Some("q u;tag=1")
        );
        assert_eq!(outside_quotes(r#""Mr. J. User <sip:j@x>"#), None);
        assert_eq!(outside_quotes("<sip:x@y"), None);
    }

    #[test]
    fn display_names() {
        let ok = |v: &str| display_name_ok(v, &outside_quotes(v).expect("closed"));
        assert!(ok("Bob <sip:b@x>"));
        assert!(ok("token1~` token2'+_ token3*%!.- <sip:m@x>"));
        assert!(ok(r#""Bell, Alexander" <sip:a@x>"#));
        assert!(ok("sip:a@x;tag=1"));
        assert!(!ok("Bell, Alexander <sip:a@x>"));
    }

    #[test]
    fn empty_parameters() {
        assert!(has_empty_param("SIP/2.0/UDP 192.0.2.15;;"));
        assert!(has_empty_param(";"));
        assert!(has_empty_param("q u;;;;"));
        assert!(!has_empty_param("u;tag=1;x"));
    }
}
