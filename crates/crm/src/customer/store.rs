//! The customer repository on [`Crm`]: create, partial update, read by id, the IVR's lookup by
//! caller number, and search. Inputs are validated and numbers normalized before a transaction
//! opens. Below the methods, the logic they share with the CSV import, written once over
//! [`CustomerConn`] inside a transaction the caller opened.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::customer::conn::{CustomerConn, SearchFilter, Select};
use crate::customer::{
    normalize_phones, CustomerFields, CustomerPhone, FieldsPatch, MAX_PAGE, MAX_PHONES,
};
use crate::db::{in_transaction, with_conn};
use crate::phone::{self, PhoneError};
use crate::{Crm, CrmError, Customer, CustomerPatch, CustomerQuery, NewCustomer};

impl Crm {
    /// Sets the country code used for national numbers (leading trunk `0`) when customers are
    /// created, updated or looked up: `82` turns `010-1234-5678` into `+821012345678`.
    /// Without one, national numbers are refused and never found.
    pub fn with_default_country_code(mut self, cc: &str) -> Result<Self, PhoneError> {
        self.default_cc = Some(Arc::from(phone::country_code(cc)?));
        Ok(self)
    }

    /// The configured default country code, `""` if none.
    pub fn default_country_code(&self) -> &str {
        self.default_cc.as_deref().unwrap_or("")
    }

    /// Creates a customer. Numbers are normalized; one that already belongs to a customer
    /// fails with [`CrmError::NumberTaken`] and nothing is stored.
    pub async fn create_customer(
        &self,
        new: &NewCustomer,
        now: DateTime<Utc>,
    ) -> Result<Customer, CrmError> {
        let fields = new.validate()?;
        let phones = normalize_phones(&new.phones, self.default_country_code())?;
        Ok(in_transaction!(immediate self, |conn| create(
            conn, &fields, &phones, now
        )
        .await?))
    }

    /// Applies a partial update and sets `updated_at` to `now`. `patch.phones`, when given,
    /// replaces all numbers. Fails with [`CrmError::UnknownCustomer`] if there is no `id`.
    pub async fn update_customer(
        &self,
        id: i64,
        patch: &CustomerPatch,
        now: DateTime<Utc>,
    ) -> Result<Customer, CrmError> {
        let fields = patch.validate()?;
        let phones = patch
            .phones
            .as_deref()
            .map(|p| normalize_phones(p, self.default_country_code()))
            .transpose()?;
        Ok(in_transaction!(immediate self, |conn| update(
            conn,
            id,
            &fields,
            phones.as_deref(),
            now
        )
        .await?))
    }

    /// One customer with their numbers.
    pub async fn customer(&self, id: i64) -> Result<Option<Customer>, CrmError> {
        self.read_one(Select::Id(id)).await
    }

    /// The customer owning a number, given raw (`010-1234-5678`, `sip:...`) or normalized.
    /// One indexed query: this is on the path of every inbound call. Input that is not a
    /// phone number (`anonymous`, garbage) finds no one rather than failing, since the IVR
    /// treats both the same way.
    pub async fn customer_by_number(&self, raw: &str) -> Result<Option<Customer>, CrmError> {
        let Ok(number) = phone::normalize(raw, self.default_country_code()) else {
            return Ok(None);
        };
        self.read_one(Select::Number(&number)).await
    }

    /// Customers whose name (case-insensitive) or one of whose numbers contains `q.text`,
    /// ordered by name then id, one page of at most [`MAX_PAGE`].
    pub async fn search_customers(&self, q: &CustomerQuery) -> Result<Vec<Customer>, CrmError> {
        let filter = search_filter(q, self.default_country_code());
        self.read(Select::Search(&filter)).await
    }

    async fn read_one(&self, select: Select<'_>) -> Result<Option<Customer>, CrmError> {
        Ok(self.read(select).await?.into_iter().next())
    }

    /// A single statement, so no transaction is needed for a consistent answer.
    async fn read(&self, select: Select<'_>) -> Result<Vec<Customer>, CrmError> {
        with_conn!(self, |conn| conn.load(select).await)
    }
}

/// Escapes LIKE wildcards so user text matches literally (`\` is the declared escape).
fn like_contains(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Builds the bound form of a search. The text matches names as typed, and numbers after the
/// same prefix rewriting as [`phone::normalize`] (`010-1234` finds `+82101234...`); text with
/// letters does not match numbers.
pub(crate) fn search_filter(q: &CustomerQuery, default_cc: &str) -> SearchFilter {
    let text = q.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let number_like = text.and_then(|t| number_fragment(t, default_cc));
    SearchFilter {
        grade: q
            .grade
            .as_deref()
            .map(|g| g.trim().to_lowercase())
            .filter(|g| !g.is_empty()),
        name_like: text.map(|t| like_contains(&t.to_lowercase())),
        number_like: number_like.map(|n| like_contains(&n)),
        limit: i64::from(q.limit.min(MAX_PAGE)),
        offset: i64::from(q.offset),
    }
}

/// The digits of a partial number, with `00`/trunk `0` prefixes rewritten like full numbers.
fn number_fragment(text: &str, default_cc: &str) -> Option<String> {
    let compact: String = text
        .chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '-' | '.' | '(' | ')')))
        .collect();
    let digits = compact.strip_prefix('+').unwrap_or(&compact);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if compact.starts_with('+') {
        return Some(compact);
    }
    if let Some(intl) = digits.strip_prefix("00") {
        return Some(format!("+{intl}"));
    }
    match digits.strip_prefix('0') {
        Some(national) if !default_cc.is_empty() && !national.is_empty() => {
            Some(format!("+{default_cc}{national}"))
        }
        _ => Some(compact),
    }
}

/// Fails if any of `phones` belongs to a customer other than `me`.
pub(crate) async fn ensure_free(
    conn: &mut impl CustomerConn,
    phones: &[CustomerPhone],
    me: Option<i64>,
) -> Result<(), CrmError> {
    for p in phones {
        if let Some(owner) = conn.phone_owner(&p.number).await? {
            if Some(owner) != me {
                return Err(CrmError::NumberTaken {
                    number: p.number.clone(),
                    owner: Some(owner),
                });
            }
        }
    }
    Ok(())
}

/// The contact history of callers who were not customers yet: contacts recorded by number
/// alone now belong to the customer who owns the number (same transaction as the phones).
async fn attach_contacts(
    conn: &mut impl CustomerConn,
    id: i64,
    phones: &[CustomerPhone],
) -> Result<(), CrmError> {
    for p in phones {
        conn.attach_contacts(id, &p.number).await?;
    }
    Ok(())
}

async fn load_one(
    conn: &mut impl CustomerConn,
    select: Select<'_>,
) -> Result<Option<Customer>, CrmError> {
    Ok(conn.load(select).await?.into_iter().next())
}

async fn reload(conn: &mut impl CustomerConn, id: i64) -> Result<Customer, CrmError> {
    load_one(conn, Select::Id(id))
        .await?
        .ok_or(CrmError::UnknownCustomer(id))
}

pub(crate) async fn create(
    conn: &mut impl CustomerConn,
    fields: &CustomerFields,
    phones: &[CustomerPhone],
    now: DateTime<Utc>,
) -> Result<Customer, CrmError> {
    ensure_free(conn, phones, None).await?;
    let id = conn.insert_customer(fields, now).await?;
    conn.replace_phones(id, phones).await?;
    attach_contacts(conn, id, phones).await?;
    reload(conn, id).await
}

pub(crate) async fn update(
    conn: &mut impl CustomerConn,
    id: i64,
    patch: &FieldsPatch,
    phones: Option<&[CustomerPhone]>,
    now: DateTime<Utc>,
) -> Result<Customer, CrmError> {
    if !conn.patch_customer(id, patch, now).await? {
        return Err(CrmError::UnknownCustomer(id));
    }
    if let Some(phones) = phones {
        ensure_free(conn, phones, Some(id)).await?;
        conn.replace_phones(id, phones).await?;
        attach_contacts(conn, id, phones).await?;
    }
    reload(conn, id).await
}

/// What an import row does to the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Upsert {
    Created,
    Updated,
}

/// Creates the customer of an import row, or updates the one that owns its numbers: fields
/// given replace stored ones (blank cells keep them) and new numbers are added to theirs.
pub(crate) async fn upsert_by_phones(
    conn: &mut impl CustomerConn,
    fields: &CustomerFields,
    patch: &FieldsPatch,
    phones: &[CustomerPhone],
    now: DateTime<Utc>,
) -> Result<Upsert, CrmError> {
    let mut owners: Vec<i64> = Vec::new();
    for p in phones {
        if let Some(owner) = conn.phone_owner(&p.number).await? {
            if !owners.contains(&owner) {
                owners.push(owner);
            }
        }
    }
    match owners[..] {
        [] => {
            create(conn, fields, phones, now).await?;
            Ok(Upsert::Created)
        }
        [id] => {
            let existing = reload(conn, id).await?;
            let mut merged = existing.phones;
            for p in phones {
                if !merged.iter().any(|q| q.number == p.number) {
                    merged.push(p.clone());
                }
            }
            if merged.len() > MAX_PHONES {
                return Err(CrmError::InvalidField {
                    field: "phones",
                    reason: format!(
                        "customer {id} would have {} numbers; at most {MAX_PHONES} are allowed",
                        merged.len()
                    ),
                });
            }
            update(conn, id, patch, Some(&merged), now).await?;
            Ok(Upsert::Updated)
        }
        _ => Err(CrmError::InvalidField {
            field: "phones",
            reason: format!(
                "the numbers belong to different customers ({})",
                owners
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(text: &str) -> SearchFilter {
        search_filter(
            &CustomerQuery {
                text: Some(text.into()),
                ..Default::default()
            },
            "82",
        )
    }

    #[test]
    fn wildcards_in_search_text_match_literally() {
        let f = filter("100%_a\\b");
        assert_eq!(f.name_like.as_deref(), Some("%100\\%\\_a\\\\b%"));
        assert_eq!(f.number_like, None);
    }

    #[test]
    fn number_fragments_are_rewritten_like_numbers() {
        assert_eq!(
            filter("010-1234").number_like.as_deref(),
            Some("%+82101234%")
        );
        assert_eq!(filter("0049 30").number_like.as_deref(), Some("%+4930%"));
        assert_eq!(filter("+1 212").number_like.as_deref(), Some("%+1212%"));
        assert_eq!(filter("5678").number_like.as_deref(), Some("%5678%"));
        assert_eq!(filter("Kim").number_like, None);
        assert_eq!(filter("  ").name_like, None);
    }

    #[test]
    fn page_size_is_capped_and_grade_folded() {
        let f = search_filter(
            &CustomerQuery {
                grade: Some(" VIP".into()),
                limit: 1_000_000,
                offset: 7,
                ..Default::default()
            },
            "",
        );
        assert_eq!((f.limit, f.offset), (i64::from(MAX_PAGE), 7));
        assert_eq!(f.grade.as_deref(), Some("vip"));
        assert_eq!((f.name_like, f.number_like), (None, None));
    }
}
