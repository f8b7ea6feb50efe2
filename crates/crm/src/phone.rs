//! Phone number normalization: every number the CRM stores or looks up goes through
//! [`normalize`] first, so `010-1234-5678`, `+82 10 1234 5678` and `tel:+821012345678` all
//! meet at the same key (`+821012345678`).
//!
//! Rules, in order:
//! 1. `sip:`/`sips:`/`tel:` URIs (optionally in `<...>`) are reduced to their user part
//!    (before `@`, without `;` parameters).
//! 2. Spaces, dashes, dots and parentheses are visual separators and are removed.
//! 3. `+<digits>` is E.164 and kept.
//! 4. Up to [`MAX_EXTENSION_DIGITS`] digits is an internal extension, kept as it is (a leading
//!    0 included: `0` is often the operator).
//! 5. `00<cc>...` is the international prefix: `+<cc>...`.
//! 6. `0<rest>` is a national number with a trunk prefix: `+<default cc><rest>`.
//! 7. Anything else (letters, a long number without `0` or `+`) is an error: guessing would
//!    file a caller under the wrong customer.

/// Longest digit string treated as an internal extension rather than a phone number.
pub const MAX_EXTENSION_DIGITS: usize = 6;
/// E.164 allows at most 15 digits after the `+`.
const MAX_E164_DIGITS: usize = 15;
/// Shortest plausible international number (country code plus subscriber number).
const MIN_E164_DIGITS: usize = 7;
/// Raw input longer than this is rejected before any work (hostile or broken input).
const MAX_RAW_LEN: usize = 256;

/// Why a string is not a phone number we can store or look up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneError {
    #[error("phone number is empty")]
    Empty,
    #[error("phone number is longer than {MAX_RAW_LEN} bytes")]
    TooLong,
    #[error("phone number {raw:?} contains {found:?}: only digits, a leading +, spaces, dashes, dots and parentheses are allowed")]
    InvalidCharacter { raw: String, found: char },
    #[error("phone number {raw:?} must have 7 to 15 digits after the country code prefix")]
    BadLength { raw: String },
    #[error("phone number {raw:?} has a country code starting with 0")]
    BadCountryCode { raw: String },
    #[error(
        "phone number {raw:?} is national (leading 0) but no default country code is configured"
    )]
    NoDefaultCountryCode { raw: String },
    #[error("default country code {0:?} must be 1 to 3 digits not starting with 0")]
    InvalidDefaultCountryCode(String),
    #[error(
        "phone number {raw:?} is ambiguous: write it with +<country code> or a leading trunk 0"
    )]
    Ambiguous { raw: String },
}

/// Checks a configured default country code (`82`, `1`, `+49` is accepted as `49`) and returns
/// its digits.
pub fn country_code(cc: &str) -> Result<&str, PhoneError> {
    let digits = cc.trim().trim_start_matches('+');
    let ok = (1..=3).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(digits)
    } else {
        Err(PhoneError::InvalidDefaultCountryCode(cc.to_owned()))
    }
}

/// Normalizes a phone number, extension or `sip:`/`tel:` URI (see the module docs for the
/// rules). `default_country_code` (digits, e.g. `82`) is used for national numbers; pass `""`
/// when there is none, and national numbers then fail.
pub fn normalize(raw: &str, default_country_code: &str) -> Result<String, PhoneError> {
    if raw.len() > MAX_RAW_LEN {
        return Err(PhoneError::TooLong);
    }
    let user = uri_user_part(raw.trim());
    let mut compact = String::with_capacity(user.len());
    for (i, ch) in user.chars().enumerate() {
        match ch {
            '0'..='9' => compact.push(ch),
            '+' if i == 0 => compact.push(ch),
            '-' | '.' | '(' | ')' => {}
            c if c.is_whitespace() => {}
            found => {
                return Err(PhoneError::InvalidCharacter {
                    raw: raw.to_owned(),
                    found,
                })
            }
        }
    }
    if compact.is_empty() {
        return Err(PhoneError::Empty);
    }
    if let Some(digits) = compact.strip_prefix('+') {
        return e164(raw, digits);
    }
    if compact.len() <= MAX_EXTENSION_DIGITS {
        return Ok(compact);
    }
    if let Some(international) = compact.strip_prefix("00") {
        return e164(raw, international);
    }
    if let Some(national) = compact.strip_prefix('0') {
        if default_country_code.is_empty() {
            return Err(PhoneError::NoDefaultCountryCode {
                raw: raw.to_owned(),
            });
        }
        let cc = country_code(default_country_code)?;
        return e164(raw, &format!("{cc}{national}"));
    }
    Err(PhoneError::Ambiguous {
        raw: raw.to_owned(),
    })
}

/// `+` followed by `digits`, after checking it can be an E.164 number.
fn e164(raw: &str, digits: &str) -> Result<String, PhoneError> {
    if digits.starts_with('0') {
        return Err(PhoneError::BadCountryCode {
            raw: raw.to_owned(),
        });
    }
    if !(MIN_E164_DIGITS..=MAX_E164_DIGITS).contains(&digits.len()) {
        return Err(PhoneError::BadLength {
            raw: raw.to_owned(),
        });
    }
    Ok(format!("+{digits}"))
}

/// The user part of a `sip:`, `sips:` or `tel:` URI; other input is returned unchanged.
fn uri_user_part(s: &str) -> &str {
    let s = s
        .strip_prefix('<')
        .and_then(|inner| inner.strip_suffix('>'))
        .unwrap_or(s);
    let Some((scheme, rest)) = s.split_once(':') else {
        return s;
    };
    if !["sip", "sips", "tel"]
        .iter()
        .any(|known| scheme.eq_ignore_ascii_case(known))
    {
        return s;
    }
    let user = rest.split_once('@').map_or(rest, |(user, _host)| user);
    user.split_once(';').map_or(user, |(user, _params)| user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_the_table() {
        let cases: &[(&str, &str, &str)] = &[
            ("010-1234-5678", "82", "+821012345678"),
            ("010 1234 5678", "82", "+821012345678"),
            ("(010) 1234.5678", "82", "+821012345678"),
            ("02-123-4567", "82", "+8221234567"),
            ("+82 10-1234-5678", "1", "+821012345678"),
            ("+1 (212) 555-0100", "82", "+12125550100"),
            ("0082 10 1234 5678", "1", "+821012345678"),
            ("00 49 30 1234567", "", "+49301234567"),
            ("030 1234567", "+49", "+49301234567"),
            ("  +821012345678  ", "82", "+821012345678"),
            ("1001", "82", "1001"),
            ("0", "82", "0"),
            ("123456", "", "123456"),
            ("sip:1001@pbx.example.com", "82", "1001"),
            (
                "<sip:+821012345678@example.com;transport=udp>",
                "",
                "+821012345678",
            ),
            ("sips:010-1234-5678@example.com", "82", "+821012345678"),
            ("tel:+1-212-555-0100", "", "+12125550100"),
            ("TEL:+1-212-555-0100;ext=12", "", "+12125550100"),
            (
                "sip:+82-10-1234-5678@example.com;user=phone",
                "",
                "+821012345678",
            ),
            ("\u{a0}+44\u{a0}20 7946 0000", "", "+442079460000"),
        ];
        for (raw, cc, want) in cases {
            assert_eq!(
                normalize(raw, cc).as_deref(),
                Ok(*want),
                "normalize({raw:?}, {cc:?})"
            );
        }
    }

    #[test]
    fn rejects_with_a_clear_reason() {
        let bad = |raw: &str, cc: &str| normalize(raw, cc).expect_err(raw);
        assert_eq!(bad("", "82"), PhoneError::Empty);
        assert_eq!(bad(" - ( ) ", "82"), PhoneError::Empty);
        assert_eq!(bad("sip:@example.com", "82"), PhoneError::Empty);
        assert!(matches!(
            bad("010-CALL-NOW", "82"),
            PhoneError::InvalidCharacter { found: 'C', .. }
        ));
        assert!(matches!(
            bad("10+20", "82"),
            PhoneError::InvalidCharacter { found: '+', .. }
        ));
        assert!(matches!(
            bad("'; DROP TABLE customers; --", "82"),
            PhoneError::InvalidCharacter { found: '\'', .. }
        ));
        assert!(matches!(
            bad("sip:alice@example.com", "82"),
            PhoneError::InvalidCharacter { found: 'a', .. }
        ));
        assert!(matches!(bad("+", "82"), PhoneError::BadLength { .. }));
        assert!(matches!(bad("+12345", "82"), PhoneError::BadLength { .. }));
        assert!(matches!(
            bad("+1234567890123456", "82"),
            PhoneError::BadLength { .. }
        ));
        assert!(matches!(
            bad("+0123456789", "82"),
            PhoneError::BadCountryCode { .. }
        ));
        assert!(matches!(
            bad("0001234567", "82"),
            PhoneError::BadCountryCode { .. }
        ));
        assert!(matches!(
            bad("010-1234-5678", ""),
            PhoneError::NoDefaultCountryCode { .. }
        ));
        assert!(matches!(
            bad("010-1234-5678", "0x"),
            PhoneError::InvalidDefaultCountryCode(_)
        ));
        assert!(matches!(
            bad("2125550100", "1"),
            PhoneError::Ambiguous { .. }
        ));
        assert_eq!(bad(&"1".repeat(300), "82"), PhoneError::TooLong);
    }

    #[test]
    fn messages_name_the_input() {
        let err = normalize("2125550100", "1").expect_err("ambiguous");
        assert!(err.to_string().contains("\"2125550100\""), "{err}");
        assert!(err.to_string().contains("+<country code>"), "{err}");
    }

    #[test]
    fn country_codes_are_checked() {
        assert_eq!(country_code("82"), Ok("82"));
        assert_eq!(country_code("+1"), Ok("1"));
        for bad in ["", "0", "1234", "8a", "+"] {
            assert!(country_code(bad).is_err(), "{bad:?}");
        }
    }
}
