//! Reading a From or To value (its `tag`, its URI's scheme) without building rsip's typed
//! header. A message's tags are read many times while the core handles it (dialog matching,
//! every response it builds, validation), and rsip's typed parse of the whole name-addr is the
//! costliest part of each reading (it formats an error string for every parameter list it
//! ends). The readers here follow rsip's own rules for the common `... <uri>;params` form and
//! hand anything else back to rsip, so the answer is rsip's. They do not check the URI: every
//! From and To in the core has passed rsip's typed parse in `parse::parse`
//! (`check_essentials`), or was built by the switch from typed values.

use rsip::headers::{ToTypedHeader, UntypedHeader};

/// What the quick reader found: the tag (or that there is none), or that rsip must decide.
#[derive(Debug, PartialEq, Eq)]
enum Quick<'a> {
    Tag(Option<&'a str>),
    AskRsip,
}

/// rsip's token characters in parameters (`AbstractInputItem::is_token` for `char`).
fn is_rsip_token(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c)
}

/// A run of token characters at the start of `s`, and what follows it.
fn token(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !is_rsip_token(c)).unwrap_or(s.len());
    s.split_at_checked(end).unwrap_or((s, ""))
}

/// rsip's reading of a name-addr (`DisplayUriParamsTokenizer`): the parameters are what
/// follows the first `>` after the first `<`, each `;name[=value]` with token characters only,
/// and nothing may be left over. The first `tag` with a value is the tag. A parameter whose
/// conversion can fail in rsip (`transport`, `method`) and the addr-spec form (no `<`) go to
/// rsip.
fn quick(value: &str) -> Quick<'_> {
    let Some(open) = value.find('<') else {
        return Quick::AskRsip;
    };
    let after_open = value.get(open + 1..).unwrap_or_default();
    let Some(close) = after_open.find('>') else {
        return Quick::AskRsip;
    };
    let mut rest = after_open.get(close + 1..).unwrap_or_default();
    let mut tag = None;
    while !rest.is_empty() {
        let Some(param) = rest.strip_prefix(';') else {
            return Quick::AskRsip;
        };
        let (name, after_name) = token(param);
        let (param_value, after) = match after_name.strip_prefix('=') {
            Some(v) => {
                let (v, after) = token(v);
                (Some(v), after)
            }
            None => (None, after_name),
        };
        if name.eq_ignore_ascii_case("transport") || name.eq_ignore_ascii_case("method") {
            return Quick::AskRsip;
        }
        if tag.is_none() && name.eq_ignore_ascii_case("tag") {
            tag = param_value;
        }
        rest = after;
    }
    Quick::Tag(tag)
}

/// The tag of a From value as `rsip::typed::From::tag` reads it; `None` when rsip cannot
/// read the value at all (the caller then looks at the next From, as it always did).
pub(super) fn from_tag(value: &rsip::headers::From) -> Option<Option<String>> {
    match quick(value.value()) {
        Quick::Tag(tag) => Some(tag.map(str::to_owned)),
        Quick::AskRsip => value
            .typed()
            .ok()
            .map(|f| f.tag().map(|t| t.value().to_owned())),
    }
}

/// The tag of a To value as `rsip::typed::To::tag` reads it; `None` when rsip cannot read
/// the value.
pub(super) fn to_tag(value: &str) -> Option<Option<String>> {
    match quick(value) {
        Quick::Tag(tag) => Some(tag.map(str::to_owned)),
        Quick::AskRsip => rsip::headers::To::new(value)
            .typed()
            .ok()
            .map(|t| t.tag().map(|t| t.value().to_owned())),
    }
}

/// Whether a To value that rsip parses has a tag; for one it does not, whether `;tag=`
/// appears at all (the rule `make_response` has always used).
pub(super) fn has_tag(value: &str) -> bool {
    match quick(value) {
        Quick::Tag(tag) => tag.is_some(),
        Quick::AskRsip => match rsip::headers::To::new(value).typed() {
            Ok(typed) => typed.tag().is_some(),
            Err(_) => value.to_ascii_lowercase().contains(";tag="),
        },
    }
}

/// Whether the URI of a name-addr value (`... <uri>...`) starts with `sip:` or `sips:` (in any
/// case), which rsip reads as `Scheme::Sip` or `Scheme::Sips`. False means "not known here":
/// the caller asks rsip.
pub(crate) fn has_sip_scheme(value: &str) -> bool {
    let Some(uri) = value.split_once('<').map(|(_, uri)| uri) else {
        return false;
    };
    let scheme = uri.split_once(':').map(|(s, _)| s).unwrap_or_default();
    scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values from phones, the RFC 4475 torture messages and our own headers.
    const VALUES: &[&str] = &[
        "<sip:1001@switch.test>;tag=abc",
        "<sip:1001@switch.test>",
        "\"User 1001\" <sip:1001@switch.test>;tag=t1001x3",
        "User <sip:1001@switch.test;transport=udp>;tag=x;lr",
        "<sip:1001@switch.test>;TAG=Upper",
        "<SIP:1001@switch.test>;tag=uc",
        "<sips:1001@switch.test>;tag=s",
        "<sip:1001@switch.test>;tag",
        "<sip:1001@switch.test>;tag=",
        "<sip:1001@switch.test>;x=1;tag=second;tag=third",
        "<sip:1001@switch.test>;tag=a b",
        "<sip:1001@switch.test>;tag=a ",
        "<sip:1001@switch.test> ;tag=a",
        "<sip:1001@switch.test>;;tag=a",
        "<sip:1001@switch.test>;transport=udp;tag=a",
        "<sip:1001@switch.test>;transport=bogus;tag=a",
        "<sip:1001@switch.test>;method=INVITE;tag=a",
        "<sip:1001@switch.test>;tag=a?b",
        "<sip:1001@switch.test>;tag=\"q\"",
        "\"J Rosenberg \\\\\\\"\" <sip:jdrosen@example.com>;tag=98asjd8",
        "\"Quoted <x>\" <sip:a@b>;tag=z",
        "<sip:a@[2001:db8::1]>;tag=6",
        "<sip:a@ipv6.2001-db8--1.invalid:5070>;tag=6",
        "sip:j.user@example.com;tag=addrspec",
        "sip:a@b",
        "<sip:%61lice@atlanta.com;user=phone>;tag=1928301774",
        "<sip:user;par=u%40example.net@example.com>;tag=esc",
        "<tel:+12125551212>;tag=tel",
    ];

    fn rsip_to(value: &str) -> Option<String> {
        rsip::headers::To::new(value)
            .typed()
            .ok()
            .and_then(|t| t.tag().map(|t| t.value().to_owned()))
    }

    fn rsip_from(value: &str) -> Option<String> {
        rsip::headers::From::new(value)
            .typed()
            .ok()
            .and_then(|f| f.tag().map(|t| t.value().to_owned()))
    }

    #[test]
    fn tags_read_as_rsip_reads_them() {
        let mut compared = 0;
        for value in VALUES {
            let parses = rsip::headers::To::new(*value).typed().is_ok();
            if !parses {
                // Outside the reader's contract (the core never holds such a value) unless
                // the reader defers to rsip.
                continue;
            }
            assert_eq!(to_tag(value), Some(rsip_to(value)), "To: {value}");
            let from = rsip::headers::From::new(*value);
            assert_eq!(
                from_tag(&from),
                Some(rsip_from(from.value())),
                "From: {value}"
            );
            assert_eq!(has_tag(value), rsip_to(value).is_some(), "has_tag: {value}");
            if has_sip_scheme(value) {
                let uri = rsip::headers::To::new(*value).typed().map(|t| t.uri);
                let scheme = uri.ok().and_then(|u| u.scheme);
                assert!(
                    matches!(scheme, Some(rsip::Scheme::Sip | rsip::Scheme::Sips)),
                    "scheme: {value}"
                );
            }
            compared += 1;
        }
        assert_eq!(compared, 19, "values rsip parses");
    }

    #[test]
    fn the_common_forms_are_read_without_rsip() {
        assert_eq!(quick("<sip:a@b>;tag=x;lr"), Quick::Tag(Some("x")));
        assert_eq!(quick("\"A\" <sip:a@b>"), Quick::Tag(None));
        assert_eq!(quick("<sip:a@b>;tag"), Quick::Tag(None));
        assert_eq!(quick("sip:a@b;tag=x"), Quick::AskRsip);
        assert_eq!(quick("<sip:a@b>;tag=x "), Quick::AskRsip);
        assert_eq!(quick("<sip:a@b>;transport=tcp;tag=x"), Quick::AskRsip);
        assert!(has_sip_scheme("\"A\" <SIPS:a@b>") && has_sip_scheme("<sip:a@b>;tag=1"));
        assert!(!has_sip_scheme("<tel:+1>") && !has_sip_scheme("sip:a@b"));
        assert!(!has_sip_scheme("< sip:a@b>") && !has_sip_scheme("<sipx:a@b>"));
    }

    #[test]
    fn a_to_rsip_refuses_keeps_the_textual_rule() {
        // Regression guard for has_tag's fallback: an unparsable value with `;tag=`.
        assert!(has_tag("<sip:a@b>;tag=x y"));
        assert!(!has_tag("<sip:a@b> junk"));
    }
}
