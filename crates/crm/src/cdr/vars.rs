//! Dialplan variables stored with a CDR: the size limits, the truncation rule, and the JSON
//! text form both backends store in `cdrs.vars`.
//!
//! A call's end must never be refused because a dialplan collected too much, so oversized
//! variables are cut down on write instead of failing: names longer than
//! [`MAX_VAR_NAME_CHARS`] are dropped, values are cut to [`MAX_VAR_VALUE_CHARS`], and only the
//! first [`MAX_VARS`] variables in name order are kept. When anything was cut, the stored map
//! also gets [`TRUNCATED_VAR`] = `"true"`, which is not counted in [`MAX_VARS`] (so a stored map
//! has at most `MAX_VARS + 1` entries). Lengths count Unicode scalar values, not bytes.
//! NUL characters are removed from names and values (and count as a cut): PostgreSQL cannot
//! store them in JSONB, and both backends must keep the same data.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::CrmError;

/// The variables of one call, in name order.
pub type CdrVars = BTreeMap<String, String>;

/// Most variables stored per CDR (not counting [`TRUNCATED_VAR`]).
pub const MAX_VARS: usize = 64;
/// Longest variable name stored, in characters; longer names are dropped with their value.
pub const MAX_VAR_NAME_CHARS: usize = 64;
/// Longest variable value stored, in characters; longer values are cut to this length.
pub const MAX_VAR_VALUE_CHARS: usize = 1_024;
/// Entry added (value `"true"`) when some variables were dropped or cut. A dialplan variable of
/// this name is kept as given when nothing was cut, and overwritten when something was.
pub const TRUNCATED_VAR: &str = "_truncated";

/// Applies the limits; borrows when the map is already within them (the common case).
pub fn bounded_vars(vars: &CdrVars) -> Cow<'_, CdrVars> {
    let fits = vars.len() <= MAX_VARS
        && vars.iter().all(|(name, value)| {
            name.chars().count() <= MAX_VAR_NAME_CHARS
                && value.chars().count() <= MAX_VAR_VALUE_CHARS
                && !name.contains('\0')
                && !value.contains('\0')
        });
    if fits {
        return Cow::Borrowed(vars);
    }
    let mut kept = CdrVars::new();
    for (name, value) in vars {
        if kept.len() == MAX_VARS {
            break;
        }
        if name.chars().count() > MAX_VAR_NAME_CHARS {
            continue;
        }
        let value: String = value
            .chars()
            .filter(|&c| c != '\0')
            .take(MAX_VAR_VALUE_CHARS)
            .collect();
        // Two names differing only by NULs collapse into one; the first in order wins.
        kept.entry(name.replace('\0', "")).or_insert(value);
    }
    kept.insert(TRUNCATED_VAR.to_owned(), "true".to_owned());
    Cow::Owned(kept)
}

/// The JSON object text stored for `vars`, limits applied. `call_id` only labels the warning
/// logged when something had to be cut.
pub(crate) fn to_stored(call_id: &str, vars: &CdrVars) -> String {
    let bounded = bounded_vars(vars);
    if let Cow::Owned(_) = bounded {
        tracing::warn!(
            call_id,
            given = vars.len(),
            "CDR variables over the limits: excess dropped, {TRUNCATED_VAR} set"
        );
    }
    // Serializing string keys and values cannot fail; fall back to an empty object rather
    // than lose the CDR if it ever did.
    serde_json::to_string(bounded.as_ref()).unwrap_or_else(|_| "{}".to_owned())
}

/// Decodes the stored column. NULL (a row written by something else) reads as no variables;
/// anything but a JSON object of strings is corrupt.
pub(crate) fn from_stored(stored: Option<&str>) -> Result<CdrVars, CrmError> {
    let Some(text) = stored else {
        return Ok(CdrVars::new());
    };
    serde_json::from_str(text).map_err(|_| CrmError::CorruptValue {
        column: "vars",
        value: text.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> CdrVars {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn within_limits_is_borrowed_unchanged() {
        let v = vars(&[("lang", "de"), ("grade", "gold"), (TRUNCATED_VAR, "mine")]);
        assert!(matches!(bounded_vars(&v), Cow::Borrowed(b) if *b == v));
        let at_limits: CdrVars = (0..MAX_VARS)
            .map(|i| (format!("{i:0>64}"), "é".repeat(MAX_VAR_VALUE_CHARS)))
            .collect();
        assert!(matches!(bounded_vars(&at_limits), Cow::Borrowed(_)));
    }

    #[test]
    fn long_values_are_cut_on_a_character_boundary() {
        let long = format!("{}{}", "ü".repeat(MAX_VAR_VALUE_CHARS - 1), "📞📞");
        let out = bounded_vars(&vars(&[("account", &long), ("lang", "fr")])).into_owned();
        let cut = &out["account"];
        assert_eq!(cut.chars().count(), MAX_VAR_VALUE_CHARS);
        assert!(cut.ends_with("ü📞"));
        assert_eq!(out["lang"], "fr");
        assert_eq!(out[TRUNCATED_VAR], "true");
        assert_eq!(out.len(), 3);
    }

    #[test]
    fn long_names_are_dropped() {
        let long_name = "n".repeat(MAX_VAR_NAME_CHARS + 1);
        let ok_name = "ä".repeat(MAX_VAR_NAME_CHARS);
        let out = bounded_vars(&vars(&[(&long_name, "x"), (&ok_name, "y")])).into_owned();
        assert_eq!(out, vars(&[(&ok_name, "y"), (TRUNCATED_VAR, "true")]));
    }

    #[test]
    fn only_the_first_names_in_order_are_kept() {
        let many: CdrVars = (0..MAX_VARS + 10)
            .map(|i| (format!("v{i:03}"), i.to_string()))
            .collect();
        let out = bounded_vars(&many).into_owned();
        assert_eq!(out.len(), MAX_VARS + 1);
        assert_eq!(out["v000"], "0");
        assert_eq!(out["v063"], "63");
        assert!(!out.contains_key("v064"));
        assert_eq!(out[TRUNCATED_VAR], "true");
    }

    #[test]
    fn nul_characters_are_removed() {
        let out = bounded_vars(&vars(&[("a\0b", "x\0y"), ("c", "d")])).into_owned();
        assert_eq!(
            out,
            vars(&[("ab", "xy"), ("c", "d"), (TRUNCATED_VAR, "true")])
        );
    }

    #[test]
    fn dialplan_marker_is_overwritten_when_cutting() {
        let v = vars(&[(TRUNCATED_VAR, "no"), ("x", &"x".repeat(2_000))]);
        assert_eq!(bounded_vars(&v)[TRUNCATED_VAR], "true");
    }

    #[test]
    fn stored_text_round_trips_and_rejects_non_objects() {
        let v = vars(&[("quote", "\"'; DROP TABLE cdrs; --"), ("ctl", "a\u{1}b\n")]);
        assert_eq!(from_stored(Some(&to_stored("c", &v))).ok(), Some(v));
        assert_eq!(from_stored(None).ok(), Some(CdrVars::new()));
        assert_eq!(from_stored(Some("{}")).ok(), Some(CdrVars::new()));
        for bad in ["[]", "{\"n\": 1}", "not json", "null"] {
            assert!(
                matches!(
                    from_stored(Some(bad)),
                    Err(CrmError::CorruptValue { column: "vars", .. })
                ),
                "{bad}"
            );
        }
    }
}
