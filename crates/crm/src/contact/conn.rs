//! Contact history statements ([`ContactConn`]), written once for both backends with the SQL of
//! [`crate::contact::sql`].

use chrono::{DateTime, Utc};

use crate::contact::sql::{self, Key};
use crate::contact::Channel;
use crate::db::{for_each_backend, DbTime, RowExt};
use crate::{Contact, CrmError, NewContact};

/// The contact statements a backend's connection runs.
pub(crate) trait ContactConn {
    /// Inserts or updates the contact; `number` is already normalized. The raw sqlx error is
    /// returned so the caller can tell an unknown customer (a foreign key) from other failures.
    async fn upsert_contact(
        &mut self,
        c: &NewContact,
        number: Option<&str>,
    ) -> Result<i64, sqlx::Error>;
    /// Contacts selected by one key (`BY_ID`, `BY_CALL`) or by a key and a limit.
    async fn select_contacts(
        &mut self,
        text: &'static str,
        key: Key<'_>,
        limit: Option<u32>,
    ) -> Result<Vec<Contact>, CrmError>;
    /// Returns false if there is no contact `id`.
    async fn wrap_up_contact(
        &mut self,
        id: i64,
        code: &str,
        notes: Option<&str>,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, CrmError>;
}

for_each_backend! {
    impl ContactConn for Conn {
        async fn upsert_contact(
            &mut self,
            c: &NewContact,
            number: Option<&str>,
        ) -> Result<i64, sqlx::Error> {
            sqlx::query_scalar(sql::UPSERT)
                .bind(&c.call_id)
                .bind(c.channel.as_str())
                .bind(number)
                .bind(c.customer_id)
                .bind(DbTime(c.at))
                .bind(&c.queue)
                .bind(&c.agent)
                .bind(c.duration_ms)
                .bind(&c.outcome)
                .bind(&c.recording_id)
                .fetch_one(self)
                .await
        }

        async fn select_contacts(
            &mut self,
            text: &'static str,
            key: Key<'_>,
            limit: Option<u32>,
        ) -> Result<Vec<Contact>, CrmError> {
            let q = sqlx::query(text);
            let q = match key {
                Key::Id(id) => q.bind(id),
                Key::Text(t) => q.bind(t),
            };
            let q = match limit {
                Some(limit) => q.bind(i64::from(limit)),
                None => q,
            };
            q.fetch_all(self).await?.iter().map(contact).collect()
        }

        async fn wrap_up_contact(
            &mut self,
            id: i64,
            code: &str,
            notes: Option<&str>,
            by: &str,
            at: DateTime<Utc>,
        ) -> Result<bool, CrmError> {
            let done = sqlx::query(sql::WRAP_UP)
                .bind(id)
                .bind(code)
                .bind(notes)
                .bind(DbTime(at))
                .bind(by)
                .execute(self)
                .await?;
            Ok(done.rows_affected() == 1)
        }
    }

    fn contact(row: &DbRow) -> Result<Contact, CrmError> {
        Ok(Contact {
            id: row.col("id")?,
            call_id: row.col("call_id")?,
            channel: Channel::from_stored(&row.col::<String>("channel")?)?,
            number: row.col("number")?,
            customer_id: row.col("customer_id")?,
            at: row.time("at")?,
            queue: row.col("queue")?,
            agent: row.col("agent")?,
            duration_ms: row.col("duration_ms")?,
            outcome: row.col("outcome")?,
            recording_id: row.col("recording_id")?,
            wrap_up_code: row.col("wrap_up_code")?,
            notes: row.col("notes")?,
            wrapped_up_at: row.opt_time("wrapped_up_at")?,
            wrapped_up_by: row.col("wrapped_up_by")?,
        })
    }
}
