//! Numbers on a trunk: the E.164 form the CRM files customers under (`+821012345678`, as
//! `crm::phone::normalize` makes with `default_country_code`), the form a carrier expects,
//! the trunk's rewrite, and the deny list.
//!
//! Short numbers (up to six digits: extensions, emergency and service codes) are never
//! given a country code: `112` stays `112`, so a deny prefix `112` catches it.

use crate::setup::{NumberFormat, TrunkPlan, TrunkSetup};

/// Longest digit string taken as a short code rather than a phone number (as the CRM).
const MAX_SHORT_DIGITS: usize = 6;

/// Digits with an optional leading `+`, visual separators (`-`, `.`, `(`, `)`, spaces)
/// removed; None when anything else is in it (`anonymous`, letters).
fn compact(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    for (i, ch) in raw.trim().chars().enumerate() {
        match ch {
            '0'..='9' => out.push(ch),
            '+' if i == 0 => out.push(ch),
            '-' | '.' | '(' | ')' | ' ' => {}
            _ => return None,
        }
    }
    (!out.is_empty() && out != "+").then_some(out)
}

/// A number as the CRM matches it: `+<cc><national>` for phone numbers, short codes as they
/// are. `format` says how a number without `+` or `00` is meant: a carrier in E.164 form
/// omits only the `+` (`821012345678`); in national form it sends `01012345678` (trunk
/// prefix 0) or a number without one (`15881234`). `cc` is the country calling code (`82`);
/// empty: national numbers are kept as they are. Something that is no number at all
/// (`anonymous`) comes back unchanged.
pub fn to_e164(raw: &str, format: NumberFormat, cc: &str) -> String {
    let Some(n) = compact(raw) else {
        return raw.trim().to_string();
    };
    if n.starts_with('+') {
        return n;
    }
    if n.len() <= MAX_SHORT_DIGITS {
        return n;
    }
    if let Some(intl) = n.strip_prefix("00") {
        return format!("+{intl}");
    }
    if cc.is_empty() {
        return n;
    }
    match (format, n.strip_prefix('0')) {
        (_, Some(national)) => format!("+{cc}{national}"),
        (NumberFormat::E164, None) => format!("+{n}"),
        (NumberFormat::National, None) => format!("+{cc}{n}"),
    }
}

/// The number as the carrier of `trunk` expects it, before the trunk's rewrite. `dialled` is
/// what a person dialled (national numbers with or without the trunk prefix, `+` or `00` for
/// international ones).
pub fn for_trunk(dialled: &str, trunk: &TrunkSetup, cc: &str) -> String {
    let Some(n) = compact(dialled) else {
        return dialled.trim().to_string();
    };
    if n.len() <= MAX_SHORT_DIGITS && !n.starts_with('+') {
        return n;
    }
    let international = n.starts_with('+') || n.starts_with("00");
    match trunk.number_format {
        NumberFormat::E164 => to_e164(&n, NumberFormat::National, cc),
        // A national number goes as dialled; an E.164 one of our country gets the trunk
        // prefix back, a foreign one the international prefix.
        NumberFormat::National if !international => n,
        NumberFormat::National => {
            let e164 = to_e164(&n, NumberFormat::National, cc);
            match e164.strip_prefix('+') {
                Some(digits) if !cc.is_empty() && digits.starts_with(cc) => {
                    format!("0{}", digits.get(cc.len()..).unwrap_or_default())
                }
                Some(digits) => format!("00{digits}"),
                None => e164,
            }
        }
    }
}

/// The Request-URI user sent to the carrier: [`for_trunk`], then the trunk's strip and
/// prepend.
pub fn rewrite(dialled: &str, trunk: &TrunkSetup, cc: &str) -> String {
    let formatted = for_trunk(dialled, trunk, cc);
    let kept: String = formatted.chars().skip(trunk.rewrite.strip).collect();
    format!("{}{kept}", trunk.rewrite.prepend)
}

impl TrunkPlan {
    /// The deny prefix `dialled` falls under, compared with the number as dialled and in its
    /// E.164 form (so `+82` prefixes catch national dialling too).
    pub fn denied(&self, dialled: &str) -> Option<&str> {
        let as_dialled = compact(dialled).unwrap_or_else(|| dialled.to_string());
        let e164 = to_e164(dialled, NumberFormat::National, &self.country_code);
        self.deny_prefixes
            .iter()
            .find(|p| as_dialled.starts_with(p.as_str()) || e164.starts_with(p.as_str()))
            .map(String::as_str)
    }

    /// The DID `number` (already in E.164 form, see [`to_e164`]) is configured as; a DID
    /// written without `+` in the plan is read as a national number.
    pub fn did(&self, number: &str) -> Option<&crate::DidSetup> {
        self.dids.iter().find(|d| {
            d.number == number
                || to_e164(&d.number, NumberFormat::National, &self.country_code) == number
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setup::{DidSetup, DidTarget, Rewrite};

    fn trunk(format: NumberFormat, rewrite: Rewrite) -> TrunkSetup {
        TrunkSetup {
            rewrite,
            number_format: format,
            ..TrunkSetup::new("t", "192.0.2.1")
        }
    }

    #[test]
    fn inbound_numbers_meet_the_crm_form() {
        use NumberFormat::*;
        assert_eq!(to_e164("+821012345678", E164, "82"), "+821012345678");
        assert_eq!(to_e164("821012345678", E164, "82"), "+821012345678");
        assert_eq!(to_e164("010-1234-5678", National, "82"), "+821012345678");
        assert_eq!(to_e164("01012345678", E164, "82"), "+821012345678");
        assert_eq!(to_e164("15881234", National, "82"), "+8215881234");
        assert_eq!(to_e164("0044201234567", National, "82"), "+44201234567");
        assert_eq!(to_e164("112", National, "82"), "112");
        assert_eq!(to_e164("1001", E164, "82"), "1001");
        assert_eq!(to_e164("anonymous", E164, "82"), "anonymous");
        assert_eq!(to_e164("01012345678", National, ""), "01012345678");
    }

    #[test]
    fn outbound_numbers_take_the_carriers_form_then_the_rewrite() {
        let e164 = trunk(NumberFormat::E164, Rewrite::default());
        assert_eq!(rewrite("01012345678", &e164, "82"), "+821012345678");
        assert_eq!(rewrite("+44201234567", &e164, "82"), "+44201234567");
        assert_eq!(rewrite("119", &e164, "82"), "119");
        let national = trunk(NumberFormat::National, Rewrite::default());
        assert_eq!(rewrite("01012345678", &national, "82"), "01012345678");
        assert_eq!(rewrite("+821012345678", &national, "82"), "01012345678");
        assert_eq!(rewrite("+44201234567", &national, "82"), "0044201234567");
        let stripped = trunk(
            NumberFormat::E164,
            Rewrite {
                strip: 1,
                prepend: "00700".into(),
            },
        );
        assert_eq!(rewrite("01012345678", &stripped, "82"), "00700821012345678");
    }

    #[test]
    fn deny_prefixes_match_dialled_and_e164_forms() {
        let plan = TrunkPlan {
            deny_prefixes: vec!["112".into(), "+8260".into()],
            country_code: "82".into(),
            ..Default::default()
        };
        assert_eq!(plan.denied("112"), Some("112"));
        assert_eq!(plan.denied("060-123-4567"), Some("+8260"));
        assert_eq!(plan.denied("+82601234567"), Some("+8260"));
        assert_eq!(plan.denied("01012345678"), None);
    }

    #[test]
    fn dids_match_in_either_written_form() {
        let plan = TrunkPlan {
            dids: vec![
                DidSetup {
                    number: "15881234".into(),
                    target: DidTarget::Route("1588".into()),
                },
                DidSetup {
                    number: "+8227001000".into(),
                    target: DidTarget::Queue("sales".into()),
                },
            ],
            country_code: "82".into(),
            ..Default::default()
        };
        assert_eq!(
            plan.did("+8215881234").map(|d| &d.target),
            Some(&DidTarget::Route("1588".into()))
        );
        assert!(plan.did("+8227001000").is_some());
        assert!(plan.did("+8227001001").is_none());
    }
}
