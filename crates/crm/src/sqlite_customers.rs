//! Customer statements for SQLite: the shared SQL from [`crate::customer_store`], with times
//! bound as fixed-width RFC 3339 text.

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use crate::customer::{CustomerFields, FieldsPatch};
use crate::customer_store::{
    group_rows, phone_insert_error, CustomerConn, CustomerRow, Select, DELETE_PHONES,
    INSERT_CUSTOMER, INSERT_PHONE, PATCH_CUSTOMER, PHONE_OWNER, SEARCH, SELECT_BY_ID,
    SELECT_BY_NUMBER,
};
use crate::sqlite::{get_ts, ts};
use crate::{CrmError, Customer, CustomerPhone, PhoneLabel};

impl CustomerConn for SqliteConnection {
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
            .bind(ts(now))
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
            .bind(ts(now))
            .execute(&mut *self)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn replace_phones(&mut self, id: i64, phones: &[CustomerPhone]) -> Result<(), CrmError> {
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
        sqlx::query(crate::contact_sql::ATTACH)
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

fn customer_row(row: &SqliteRow) -> Result<CustomerRow, CrmError> {
    let number: Option<String> = row.try_get("number")?;
    let phone = match number {
        Some(number) => Some(CustomerPhone {
            number,
            label: PhoneLabel::from_stored(&row.try_get::<String, _>("label")?)?,
        }),
        None => None,
    };
    Ok(CustomerRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        grade: row.try_get("grade")?,
        segment: row.try_get("segment")?,
        preferred_language: row.try_get("preferred_language")?,
        notes: row.try_get("notes")?,
        created_at: get_ts(row, "created_at")?,
        updated_at: get_ts(row, "updated_at")?,
        phone,
    })
}
