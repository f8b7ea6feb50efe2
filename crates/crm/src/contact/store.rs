//! The contact history repository on [`Crm`]: adding a contact (one per call, attached to the
//! caller's customer when the number is known), reading a customer's or a number's history,
//! and the agent's wrap-up. Numbers are normalized like customers' numbers; a contact recorded
//! by number alone is attached later, when a customer gets that number (see
//! [`Crm::create_customer`] and [`Crm::update_customer`]).

use chrono::{DateTime, Utc};

use crate::contact::conn::ContactConn;
use crate::contact::sql::{self, Key};
use crate::contact::{validate_wrap_up, MAX_CONTACTS_PAGE};
use crate::db::with_conn;
use crate::{phone, Contact, Crm, CrmError, NewContact};

impl Crm {
    /// Records an interaction and returns its id. A call has one contact: adding one again for
    /// the same `call_id` updates it (fields given replace stored ones, `None` keeps them, the
    /// wrap-up is kept) and returns the same id. Without `customer_id`, a number that belongs
    /// to a customer attaches the contact to them. Fails with [`CrmError::InvalidField`] for
    /// bad input and [`CrmError::UnknownCustomer`] for a `customer_id` that does not exist;
    /// nothing is stored then.
    pub async fn add_contact(&self, c: &NewContact) -> Result<i64, CrmError> {
        c.validate()?;
        let number = c.number.as_deref().and_then(|raw| {
            phone::normalize(raw, self.default_country_code())
                .inspect_err(|e| tracing::debug!(raw, %e, "contact number is not a number"))
                .ok()
        });
        let number = number.as_deref();
        let added = with_conn!(self, |conn| conn.upsert_contact(c, number).await);
        added.map_err(|e| match (&e, c.customer_id) {
            (sqlx::Error::Database(db), Some(id)) if db.is_foreign_key_violation() => {
                CrmError::UnknownCustomer(id)
            }
            _ => CrmError::Database(e),
        })
    }

    /// One contact.
    pub async fn contact(&self, id: i64) -> Result<Option<Contact>, CrmError> {
        Ok(self
            .select_contacts(sql::BY_ID, Key::Id(id), None)
            .await?
            .pop())
    }

    /// The contact of a call.
    pub async fn contact_by_call(&self, call_id: &str) -> Result<Option<Contact>, CrmError> {
        Ok(self
            .select_contacts(sql::BY_CALL, Key::Text(call_id), None)
            .await?
            .pop())
    }

    /// A customer's contacts, newest first, at most `limit` (cut to
    /// [`crate::MAX_CONTACTS_PAGE`]).
    pub async fn contacts_of_customer(
        &self,
        customer_id: i64,
        limit: u32,
    ) -> Result<Vec<Contact>, CrmError> {
        let limit = limit.min(MAX_CONTACTS_PAGE);
        self.select_contacts(sql::OF_CUSTOMER, Key::Id(customer_id), Some(limit))
            .await
    }

    /// The contacts with a number (given raw or normalized), customer or not, newest first, at
    /// most `limit` (cut to [`crate::MAX_CONTACTS_PAGE`]). Input that is not a phone number
    /// finds nothing.
    pub async fn contacts_of_number(
        &self,
        raw_number: &str,
        limit: u32,
    ) -> Result<Vec<Contact>, CrmError> {
        let Ok(number) = phone::normalize(raw_number, self.default_country_code()) else {
            return Ok(Vec::new());
        };
        let limit = limit.min(MAX_CONTACTS_PAGE);
        self.select_contacts(sql::OF_NUMBER, Key::Text(&number), Some(limit))
            .await
    }

    /// The agent's wrap-up of a contact: `code` (validated by the caller against the configured
    /// list; here only its shape), optional `notes` (at most
    /// [`crate::MAX_CONTACT_NOTES_CHARS`] characters, lines allowed), who and when. Replaces an
    /// earlier wrap-up. Fails with [`CrmError::InvalidField`] (nothing stored) or
    /// [`CrmError::UnknownContact`].
    pub async fn wrap_up_contact(
        &self,
        id: i64,
        code: &str,
        notes: Option<&str>,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<(), CrmError> {
        validate_wrap_up(code, notes, by)?;
        let updated = with_conn!(self, |conn| conn
            .wrap_up_contact(id, code, notes, by, at)
            .await?);
        if updated {
            Ok(())
        } else {
            Err(CrmError::UnknownContact(id))
        }
    }

    async fn select_contacts(
        &self,
        text: &'static str,
        key: Key<'_>,
        limit: Option<u32>,
    ) -> Result<Vec<Contact>, CrmError> {
        with_conn!(self, |conn| conn.select_contacts(text, key, limit).await)
    }
}
