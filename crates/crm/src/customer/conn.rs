//! The customer statements ([`CustomerConn`]), implemented once for both backends with the SQL
//! of [`crate::customer::sql`]; the logic composing them is in `store.rs`.

use chrono::{DateTime, Utc};

use crate::customer::sql::{
    DELETE_PHONES, INSERT_CUSTOMER, INSERT_PHONE, PATCH_CUSTOMER, PHONE_OWNER, SEARCH,
    SELECT_BY_ID, SELECT_BY_NUMBER,
};
use crate::customer::{CustomerFields, FieldsPatch};
use crate::db::{for_each_backend, DbTime, RowExt};
use crate::{CrmError, Customer, CustomerPhone, PhoneLabel};

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
