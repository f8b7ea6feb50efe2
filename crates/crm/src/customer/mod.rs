//! Customer value types (what callers pass in and what reads return) and the field rules every
//! write goes through before any SQL runs, so a bad value fails with a message naming the field.

pub(crate) mod conn;
pub(crate) mod csv;
pub(crate) mod import;
pub(crate) mod sql;
mod store;

use chrono::{DateTime, Utc};

use crate::{phone, CrmError};

/// Longest customer name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest free-text notes, in characters.
pub const MAX_NOTES_CHARS: usize = 10_000;
pub const MAX_GRADE_CHARS: usize = 32;
pub const MAX_SEGMENT_CHARS: usize = 100;
/// BCP 47 recommends supporting tags of at least 35 characters.
pub const MAX_LANGUAGE_CHARS: usize = 35;
/// More numbers than this on one customer is a data problem, not a customer.
pub const MAX_PHONES: usize = 20;
/// Grade given to customers created without one.
pub const DEFAULT_GRADE: &str = "standard";
/// Largest page [`CustomerQuery::limit`] may ask for.
pub const MAX_PAGE: u32 = 500;

/// A customer as stored, with their numbers in the order they were given.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Customer {
    pub id: i64,
    pub name: String,
    /// Lower-case grade such as `vip`, `premium`, `standard`; the ACD maps it to a priority.
    pub grade: String,
    pub segment: Option<String>,
    /// BCP 47 tag such as `ko` or `en-GB`, as given.
    pub preferred_language: Option<String>,
    pub notes: String,
    pub phones: Vec<CustomerPhone>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One normalized number of a customer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CustomerPhone {
    /// E.164 (`+821012345678`) or a short internal extension, see [`crate::phone::normalize`].
    pub number: String,
    pub label: PhoneLabel,
}

/// What kind of line a number is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PhoneLabel {
    #[default]
    Mobile,
    Home,
    Work,
    Other,
}

impl PhoneLabel {
    /// The text stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            PhoneLabel::Mobile => "mobile",
            PhoneLabel::Home => "home",
            PhoneLabel::Work => "work",
            PhoneLabel::Other => "other",
        }
    }

    /// Parses a label case-insensitively (`Mobile`, `home`...).
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Mobile, Self::Home, Self::Work, Self::Other]
            .into_iter()
            .find(|l| s.eq_ignore_ascii_case(l.as_str()))
    }

    pub(crate) fn from_stored(s: &str) -> Result<Self, CrmError> {
        Self::parse(s)
            .filter(|l| l.as_str() == s)
            .ok_or_else(|| CrmError::CorruptValue {
                column: "label",
                value: s.to_owned(),
            })
    }
}

/// A number as a user typed it (national, E.164, `tel:` URI...), normalized on write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPhone {
    pub raw: String,
    pub label: PhoneLabel,
}

impl NewPhone {
    pub fn new(raw: impl Into<String>, label: PhoneLabel) -> Self {
        Self {
            raw: raw.into(),
            label,
        }
    }
}

/// Everything needed to create a customer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewCustomer {
    pub name: String,
    /// `None` gives [`DEFAULT_GRADE`].
    pub grade: Option<String>,
    pub segment: Option<String>,
    pub preferred_language: Option<String>,
    pub notes: String,
    pub phones: Vec<NewPhone>,
}

/// A partial update: `None` leaves a field as it is. For the optional fields, `Some(None)`
/// clears them. `phones: Some(..)` replaces the whole list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerPatch {
    pub name: Option<String>,
    pub grade: Option<String>,
    pub segment: Option<Option<String>>,
    pub preferred_language: Option<Option<String>>,
    pub notes: Option<String>,
    pub phones: Option<Vec<NewPhone>>,
}

/// A search: customers whose name or one of whose numbers contains `text` (case-insensitive),
/// optionally only of one grade, ordered by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerQuery {
    /// `None` or blank matches everyone.
    pub text: Option<String>,
    pub grade: Option<String>,
    /// Capped at [`MAX_PAGE`].
    pub limit: u32,
    pub offset: u32,
}

impl Default for CustomerQuery {
    fn default() -> Self {
        Self {
            text: None,
            grade: None,
            limit: 50,
            offset: 0,
        }
    }
}

/// Validated column values of a customer row, ready to bind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CustomerFields {
    pub name: String,
    pub grade: String,
    pub segment: Option<String>,
    pub preferred_language: Option<String>,
    pub notes: String,
}

/// A validated patch: `None` keeps the stored value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FieldsPatch {
    pub name: Option<String>,
    pub grade: Option<String>,
    pub segment: Option<Option<String>>,
    pub preferred_language: Option<Option<String>>,
    pub notes: Option<String>,
}

impl NewCustomer {
    pub(crate) fn validate(&self) -> Result<CustomerFields, CrmError> {
        Ok(CustomerFields {
            name: name(&self.name)?,
            grade: match &self.grade {
                Some(g) => grade(g)?,
                None => DEFAULT_GRADE.to_owned(),
            },
            segment: segment(self.segment.as_deref())?,
            preferred_language: language(self.preferred_language.as_deref())?,
            notes: notes(&self.notes)?,
        })
    }
}

impl CustomerPatch {
    pub(crate) fn validate(&self) -> Result<FieldsPatch, CrmError> {
        Ok(FieldsPatch {
            name: self.name.as_deref().map(name).transpose()?,
            grade: self.grade.as_deref().map(grade).transpose()?,
            segment: self
                .segment
                .as_ref()
                .map(|s| segment(s.as_deref()))
                .transpose()?,
            preferred_language: self
                .preferred_language
                .as_ref()
                .map(|l| language(l.as_deref()))
                .transpose()?,
            notes: self.notes.as_deref().map(notes).transpose()?,
        })
    }
}

pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> CrmError {
    CrmError::InvalidField {
        field,
        reason: reason.into(),
    }
}

pub(crate) fn check_len(field: &'static str, value: &str, max: usize) -> Result<(), CrmError> {
    let chars = value.chars().count();
    if chars > max {
        return Err(invalid(
            field,
            format!("is {chars} characters long; at most {max} are allowed"),
        ));
    }
    Ok(())
}

/// Control characters in a one-line field break screens and CSV exports; NUL is also refused
/// by PostgreSQL, so refusing it everywhere keeps the backends alike.
pub(crate) fn check_one_line(field: &'static str, value: &str) -> Result<(), CrmError> {
    match value.chars().find(|c| c.is_control()) {
        Some(c) => Err(invalid(
            field,
            format!("contains the control character {c:?}"),
        )),
        None => Ok(()),
    }
}

/// Names are stored exactly as given (no trimming), so what an agent typed is what they see.
fn name(value: &str) -> Result<String, CrmError> {
    if value.trim().is_empty() {
        return Err(invalid("name", "must not be empty"));
    }
    check_len("name", value, MAX_NAME_CHARS)?;
    check_one_line("name", value)?;
    Ok(value.to_owned())
}

/// Grades are keys the application configures (`vip` → priority); folding case here means
/// `VIP` from a spreadsheet still matches.
fn grade(value: &str) -> Result<String, CrmError> {
    let g = value.trim().to_lowercase();
    if g.is_empty() {
        return Err(invalid("grade", "must not be empty"));
    }
    check_len("grade", &g, MAX_GRADE_CHARS)?;
    check_one_line("grade", &g)?;
    Ok(g)
}

/// A blank segment means "none".
fn segment(value: Option<&str>) -> Result<Option<String>, CrmError> {
    let Some(s) = value.filter(|s| !s.trim().is_empty()) else {
        return Ok(None);
    };
    check_len("segment", s, MAX_SEGMENT_CHARS)?;
    check_one_line("segment", s)?;
    Ok(Some(s.to_owned()))
}

/// The shape of a BCP 47 tag: a 2–8 letter primary subtag, then 1–8 letter/digit subtags.
/// Registry membership is not checked: the IVR falls back to its default prompts anyway.
fn language(value: Option<&str>) -> Result<Option<String>, CrmError> {
    let Some(tag) = value.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    check_len("preferred_language", tag, MAX_LANGUAGE_CHARS)?;
    let mut subtags = tag.split('-');
    let primary_ok = subtags
        .next()
        .is_some_and(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    let rest_ok =
        subtags.all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()));
    if !(primary_ok && rest_ok) {
        return Err(invalid(
            "preferred_language",
            format!("{tag:?} is not a BCP 47 language tag such as \"ko\" or \"en-GB\""),
        ));
    }
    Ok(Some(tag.to_owned()))
}

/// Notes may span lines; only NUL is refused (see [`check_one_line`]).
fn notes(value: &str) -> Result<String, CrmError> {
    check_len("notes", value, MAX_NOTES_CHARS)?;
    if value.contains('\0') {
        return Err(invalid("notes", "contains a NUL character"));
    }
    Ok(value.to_owned())
}

/// Normalizes numbers, drops repeats (the same number typed twice in two forms) keeping the
/// first label, and enforces [`MAX_PHONES`].
pub(crate) fn normalize_phones(
    phones: &[NewPhone],
    default_cc: &str,
) -> Result<Vec<CustomerPhone>, CrmError> {
    let mut out: Vec<CustomerPhone> = Vec::with_capacity(phones.len());
    for p in phones {
        let number = phone::normalize(&p.raw, default_cc)?;
        if !out.iter().any(|q| q.number == number) {
            out.push(CustomerPhone {
                number,
                label: p.label,
            });
        }
    }
    if out.len() > MAX_PHONES {
        return Err(invalid(
            "phones",
            format!(
                "has {} numbers; at most {MAX_PHONES} are allowed",
                out.len()
            ),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(r: Result<impl std::fmt::Debug, CrmError>) -> &'static str {
        match r {
            Err(CrmError::InvalidField { field, .. }) => field,
            other => panic!("expected InvalidField, got {other:?}"),
        }
    }

    #[test]
    fn new_customer_defaults_and_folds_grade() {
        let c = NewCustomer {
            name: "  Kim Min-jun ".into(),
            grade: Some(" VIP ".into()),
            segment: Some("  ".into()),
            preferred_language: Some("ko-KR".into()),
            ..Default::default()
        };
        let f = c.validate().expect("valid");
        assert_eq!(f.name, "  Kim Min-jun ");
        assert_eq!(f.grade, "vip");
        assert_eq!(f.segment, None);
        assert_eq!(f.preferred_language.as_deref(), Some("ko-KR"));
        let plain = NewCustomer {
            name: "x".into(),
            ..Default::default()
        };
        assert_eq!(plain.validate().expect("valid").grade, DEFAULT_GRADE);
    }

    #[test]
    fn limits_are_enforced_in_characters() {
        let ok = |name: String| {
            NewCustomer {
                name,
                ..Default::default()
            }
            .validate()
        };
        // 200 three-byte characters is 600 bytes but still within the limit.
        assert!(ok("가".repeat(MAX_NAME_CHARS)).is_ok());
        let err = ok("a".repeat(MAX_NAME_CHARS + 1)).expect_err("too long");
        assert_eq!(
            err.to_string(),
            "invalid name: is 201 characters long; at most 200 are allowed"
        );
        assert_eq!(field_of(ok("   ".into())), "name");
        assert_eq!(field_of(ok("a\nb".into())), "name");
        let notes = |n: usize| CustomerPatch {
            notes: Some("n".repeat(n)),
            ..Default::default()
        };
        assert!(notes(MAX_NOTES_CHARS).validate().is_ok());
        assert_eq!(field_of(notes(MAX_NOTES_CHARS + 1).validate()), "notes");
    }

    #[test]
    fn language_tags_are_shape_checked() {
        for good in ["ko", "en", "en-GB", "zh-Hant-TW", "sr-Latn", "es-419"] {
            assert_eq!(language(Some(good)).ok().flatten().as_deref(), Some(good));
        }
        for bad in [
            "k",
            "korean language",
            "en_GB",
            "en--GB",
            "12",
            "en-toolongsubtag",
        ] {
            assert_eq!(field_of(language(Some(bad))), "preferred_language", "{bad}");
        }
        assert_eq!(language(Some(" ")).ok(), Some(None));
    }

    #[test]
    fn phones_are_normalized_and_deduplicated() {
        let phones = [
            NewPhone::new("010-1234-5678", PhoneLabel::Mobile),
            NewPhone::new("+82 10 1234 5678", PhoneLabel::Work),
            NewPhone::new("02-555-0100", PhoneLabel::Home),
        ];
        let out = normalize_phones(&phones, "82").expect("valid");
        assert_eq!(
            out,
            [
                CustomerPhone {
                    number: "+821012345678".into(),
                    label: PhoneLabel::Mobile
                },
                CustomerPhone {
                    number: "+8225550100".into(),
                    label: PhoneLabel::Home
                },
            ]
        );
        let many: Vec<NewPhone> = (0..=MAX_PHONES)
            .map(|i| NewPhone::new(format!("{}", 1000 + i), PhoneLabel::Work))
            .collect();
        assert_eq!(field_of(normalize_phones(&many, "82")), "phones");
        assert!(matches!(
            normalize_phones(&[NewPhone::new("abc", PhoneLabel::Home)], "82"),
            Err(CrmError::InvalidPhone(_))
        ));
    }

    #[test]
    fn labels_parse_case_insensitively_but_stored_text_is_exact() {
        assert_eq!(PhoneLabel::parse("Work"), Some(PhoneLabel::Work));
        assert_eq!(PhoneLabel::parse("fax"), None);
        assert!(PhoneLabel::from_stored("home").is_ok());
        assert!(PhoneLabel::from_stored("Home").is_err());
    }
}
