//! The Switchboard CRM database: schema migrations and repositories, on SQLite (the default, a
//! single file) or PostgreSQL (chosen by URL).
//!
//! It holds call detail records and customers. Drive it like this:
//! - at startup, [`Crm::connect`] (runs the embedded migrations from the top-level
//!   `migrations/` folder) and [`Crm::recover_open_cdrs`] to close records a crash left open;
//! - start a [`CdrWriter`] and give each call task a clone of its [`CdrSender`]: the task sends
//!   start, answer and end as [`CdrEvent`]s without ever waiting on the database;
//! - at shutdown, drop the senders and await [`CdrWriterTask::shutdown`] to flush.
//!
//! Customers: configure [`Crm::with_default_country_code`], then [`Crm::create_customer`],
//! [`Crm::update_customer`], [`Crm::search_customers`], [`Crm::import_customers_csv`]; the IVR
//! finds callers with [`Crm::customer_by_number`]. Numbers go through [`phone::normalize`].
//!
//! A [`CdrEnd`] carries the dialplan's variables ([`CdrVars`]); they are stored with the CDR as
//! one JSON object, cut down to the limits in [`bounded_vars`] rather than refused.
//!
//! Reads ([`Crm::cdr`], [`Crm::recent_cdrs`]) go straight to the pool. Times are UTC
//! everywhere and nothing here reads the clock. PostgreSQL stores TIMESTAMPTZ; SQLite stores
//! fixed-width RFC 3339 text with microseconds (`2025-03-01T09:00:00.000000Z`), so text order is
//! time order. Both keep microsecond precision.
#![forbid(unsafe_code)]

mod csv;
mod customer;
mod customer_store;
mod customers;
mod error;
mod import;
mod model;
pub mod phone;
mod plan;
mod postgres;
mod postgres_customers;
mod sqlite;
mod sqlite_customers;
mod store;
pub mod testing;
mod vars;
mod writer;

pub use customer::{
    Customer, CustomerPatch, CustomerPhone, CustomerQuery, NewCustomer, NewPhone, PhoneLabel,
    DEFAULT_GRADE, MAX_GRADE_CHARS, MAX_LANGUAGE_CHARS, MAX_NAME_CHARS, MAX_NOTES_CHARS, MAX_PAGE,
    MAX_PHONES, MAX_SEGMENT_CHARS,
};
pub use error::CrmError;
pub use import::{ImportReport, BATCH_ROWS};
pub use model::{Cdr, CdrEnd, CdrStart, Disposition, Leg, LegRole, Side};
pub use phone::PhoneError;
pub use store::{Backend, Crm};
pub use testing::connect_isolated_postgres;
pub use vars::{
    bounded_vars, CdrVars, MAX_VARS, MAX_VAR_NAME_CHARS, MAX_VAR_VALUE_CHARS, TRUNCATED_VAR,
};
pub use writer::{
    CdrEvent, CdrSender, CdrWriter, CdrWriterTask, WriterClosed, WriterStats, MAX_BATCH,
};
