//! The customer repository's statements and logic, written once for both backends:
//! [`CustomerConn`] is the handful of statements (implemented for both connections by one block
//! below; `$N` parameters work on SQLite and PostgreSQL alike and times bind as
//! [`crate::db::DbTime`]), and the functions here compose them inside a transaction the
//! caller opened.

use chrono::{DateTime, Utc};

use crate::customer::{CustomerFields, FieldsPatch, MAX_PHONES};
use crate::db::{for_each_backend, DbTime, RowExt};
use crate::{CrmError, Customer, CustomerPhone, PhoneLabel};

/// The columns every customer read returns: one row per phone, `p.*` NULL for a customer with
/// no numbers.
macro_rules! customer_columns {
    () => {
        "c.id, c.name, c.grade, c.segment, c.preferred_language, c.notes, c.created_at,
         c.updated_at, p.number, p.label"
    };
}

pub(crate) const SELECT_BY_ID: &str = concat!(
    "SELECT ",
    customer_columns!(),
    " FROM customers c LEFT JOIN customer_phones p ON p.customer_id = c.id
     WHERE c.id = $1 ORDER BY p.position"
);

/// The IVR lookup: one statement, found through the primary key on `customer_phones.number`,
/// returning the customer with all their numbers.
pub(crate) const SELECT_BY_NUMBER: &str = concat!(
    "SELECT ",
    customer_columns!(),
    " FROM customer_phones hit
     JOIN customers c ON c.id = hit.customer_id
     JOIN customer_phones p ON p.customer_id = c.id
     WHERE hit.number = $1 ORDER BY p.position"
);

/// `$1` grade or NULL, `$2` folded-name LIKE pattern or NULL, `$3` number LIKE pattern or
/// NULL, `$4` limit, `$5` offset. The page of ids is chosen first so LIMIT counts customers,
/// not phone rows.
pub(crate) const SEARCH: &str = concat!(
    "SELECT ",
    customer_columns!(),
    " FROM (
        SELECT s.id, s.name_folded FROM customers s
        WHERE ($1 IS NULL OR s.grade = $1)
          AND (($2 IS NULL AND $3 IS NULL)
               OR s.name_folded LIKE $2 ESCAPE '\\'
               OR EXISTS (SELECT 1 FROM customer_phones q
                          WHERE q.customer_id = s.id AND q.number LIKE $3 ESCAPE '\\'))
        ORDER BY s.name_folded, s.id LIMIT $4 OFFSET $5
     ) page
     JOIN customers c ON c.id = page.id
     LEFT JOIN customer_phones p ON p.customer_id = c.id
     ORDER BY page.name_folded, page.id, p.position"
);

/// `$7` is both timestamps: a new customer was last updated when it was created.
pub(crate) const INSERT_CUSTOMER: &str =
    "INSERT INTO customers (name, name_folded, grade, segment, preferred_language, notes,
                            created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id";

/// A partial update in one statement, so concurrent patches of different fields both land.
/// `$5`/`$7` say whether the optional fields are being set (possibly to NULL).
pub(crate) const PATCH_CUSTOMER: &str = "UPDATE customers SET
        name = COALESCE($2, name), name_folded = COALESCE($3, name_folded),
        grade = COALESCE($4, grade),
        segment = CASE WHEN $5 THEN $6 ELSE segment END,
        preferred_language = CASE WHEN $7 THEN $8 ELSE preferred_language END,
        notes = COALESCE($9, notes), updated_at = $10
     WHERE id = $1";

pub(crate) const DELETE_PHONES: &str = "DELETE FROM customer_phones WHERE customer_id = $1";
pub(crate) const INSERT_PHONE: &str =
    "INSERT INTO customer_phones (number, customer_id, label, position) VALUES ($1, $2, $3, $4)";
pub(crate) const PHONE_OWNER: &str = "SELECT customer_id FROM customer_phones WHERE number = $1";

/// The search as bound parameters (patterns already escaped for LIKE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SearchFilter {
    pub grade: Option<String>,
    pub name_like: Option<String>,
    pub number_like: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// Which customers a read returns.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Select<'a> {
    Id(i64),
    Number(&'a str),
    Search(&'a SearchFilter),
}

/// The statements a backend provides; all run on a connection inside the caller's transaction.
pub(crate) trait CustomerConn {
    async fn insert_customer(
        &mut self,
        f: &CustomerFields,
        now: DateTime<Utc>,
    ) -> Result<i64, CrmError>;
    /// Returns false if there is no customer `id`.
    async fn patch_customer(
        &mut self,
        id: i64,
        p: &FieldsPatch,
        now: DateTime<Utc>,
    ) -> Result<bool, CrmError>;
    /// Replaces all numbers of `id`; a number owned by someone else fails with
    /// [`CrmError::NumberTaken`].
    async fn replace_phones(&mut self, id: i64, phones: &[CustomerPhone]) -> Result<(), CrmError>;
    async fn phone_owner(&mut self, number: &str) -> Result<Option<i64>, CrmError>;
    /// Gives the contacts with `number` and no customer to customer `id`.
    async fn attach_contacts(&mut self, id: i64, number: &str) -> Result<(), CrmError>;
    async fn load(&mut self, select: Select<'_>) -> Result<Vec<Customer>, CrmError>;
    /// Runs a fixed statement (savepoints).
    async fn run(&mut self, sql: &'static str) -> Result<(), CrmError>;
}

/// Folds consecutive rows of the same customer (the queries order by customer, and each row
/// carries at most one phone) into one.
pub(crate) fn group_rows(rows: impl IntoIterator<Item = Customer>) -> Vec<Customer> {
    let mut out: Vec<Customer> = Vec::new();
    for row in rows {
        match out.last_mut() {
            Some(last) if last.id == row.id => last.phones.extend(row.phones),
            _ => out.push(row),
        }
    }
    out
}

/// Maps a unique-key violation on a phone insert to [`CrmError::NumberTaken`]: a concurrent
/// writer took the number between our check and our insert.
pub(crate) fn phone_insert_error(e: sqlx::Error, number: &str) -> CrmError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => CrmError::NumberTaken {
            number: number.to_owned(),
            owner: None,
        },
        _ => CrmError::Database(e),
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

for_each_backend! {
    impl CustomerConn for Conn {
        async fn insert_customer(
            &mut self,
            f: &CustomerFields,
            now: DateTime<Utc>,
        ) -> Result<i64, CrmError> {
            Ok(sqlx::query_scalar(INSERT_CUSTOMER)
                .bind(&f.name)
                .bind(f.name.to_lowercase())
                .bind(&f.grade)
                .bind(&f.segment)
                .bind(&f.preferred_language)
                .bind(&f.notes)
                .bind(DbTime(now))
                .fetch_one(&mut *self)
                .await?)
        }

        async fn patch_customer(
            &mut self,
            id: i64,
            p: &FieldsPatch,
            now: DateTime<Utc>,
        ) -> Result<bool, CrmError> {
            let done = sqlx::query(PATCH_CUSTOMER)
                .bind(id)
                .bind(&p.name)
                .bind(p.name.as_ref().map(|n| n.to_lowercase()))
                .bind(&p.grade)
                .bind(p.segment.is_some())
                .bind(p.segment.clone().flatten())
                .bind(p.preferred_language.is_some())
                .bind(p.preferred_language.clone().flatten())
                .bind(&p.notes)
                .bind(DbTime(now))
                .execute(&mut *self)
                .await?;
            Ok(done.rows_affected() == 1)
        }

        async fn replace_phones(
            &mut self,
            id: i64,
            phones: &[CustomerPhone],
        ) -> Result<(), CrmError> {
            sqlx::query(DELETE_PHONES)
                .bind(id)
                .execute(&mut *self)
                .await?;
            for (position, p) in (0_i32..).zip(phones) {
                sqlx::query(INSERT_PHONE)
                    .bind(&p.number)
                    .bind(id)
                    .bind(p.label.as_str())
                    .bind(position)
                    .execute(&mut *self)
                    .await
                    .map_err(|e| phone_insert_error(e, &p.number))?;
            }
            Ok(())
        }

        async fn phone_owner(&mut self, number: &str) -> Result<Option<i64>, CrmError> {
            Ok(sqlx::query_scalar(PHONE_OWNER)
                .bind(number)
                .fetch_optional(&mut *self)
                .await?)
        }

        async fn attach_contacts(&mut self, id: i64, number: &str) -> Result<(), CrmError> {
            sqlx::query(crate::contact::sql::ATTACH)
                .bind(id)
                .bind(number)
                .execute(&mut *self)
                .await?;
            Ok(())
        }

        async fn load(&mut self, select: Select<'_>) -> Result<Vec<Customer>, CrmError> {
            let rows = match select {
                Select::Id(id) => sqlx::query(SELECT_BY_ID).bind(id),
                Select::Number(n) => sqlx::query(SELECT_BY_NUMBER).bind(n),
                Select::Search(f) => sqlx::query(SEARCH)
                    .bind(&f.grade)
                    .bind(&f.name_like)
                    .bind(&f.number_like)
                    .bind(f.limit)
                    .bind(f.offset),
            }
            .fetch_all(&mut *self)
            .await?;
            Ok(group_rows(
                rows.iter()
                    .map(customer_row)
                    .collect::<Result<Vec<_>, _>>()?,
            ))
        }

        async fn run(&mut self, sql: &'static str) -> Result<(), CrmError> {
            sqlx::query(sql).execute(&mut *self).await?;
            Ok(())
        }
    }

    /// One read row: the customer with the row's phone, if any ([`group_rows`] merges them).
    fn customer_row(row: &DbRow) -> Result<Customer, CrmError> {
        let number: Option<String> = row.col("number")?;
        let phone = match number {
            Some(number) => Some(CustomerPhone {
                number,
                label: PhoneLabel::from_stored(&row.col::<String>("label")?)?,
            }),
            None => None,
        };
        Ok(Customer {
            id: row.col("id")?,
            name: row.col("name")?,
            grade: row.col("grade")?,
            segment: row.col("segment")?,
            preferred_language: row.col("preferred_language")?,
            notes: row.col("notes")?,
            created_at: row.time("created_at")?,
            updated_at: row.time("updated_at")?,
            phones: phone.into_iter().collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;
    use crate::Crm;
    use sqlx::Row;

    /// The IVR lookup must stay an index search: a table scan here would grow every inbound
    /// call's setup time with the customer base.
    #[tokio::test]
    async fn lookup_by_number_uses_indexes_only() -> Result<(), CrmError> {
        let crm = Crm::connect("sqlite::memory:").await?;
        let Db::Sqlite(pool) = &crm.db else {
            unreachable!("connected to SQLite")
        };
        let plan: Vec<String> = sqlx::query(&format!("EXPLAIN QUERY PLAN {SELECT_BY_NUMBER}"))
            .bind("+821012345678")
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("detail"))
            .collect::<Result<_, _>>()?;
        assert_eq!(plan.len(), 3, "{plan:?}");
        assert!(
            plan.iter()
                .all(|step| step.starts_with("SEARCH") && !step.contains("SCAN")),
            "{plan:?}"
        );
        assert!(
            plan.iter()
                .any(|s| s.contains("hit USING INDEX sqlite_autoindex_customer_phones_1")),
            "{plan:?}"
        );
        Ok(())
    }
}
