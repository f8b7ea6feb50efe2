//! The Switchboard CRM database: schema migrations and repositories, on SQLite (the default, a
//! single file) or PostgreSQL (chosen by URL).
//!
//! Today it holds call detail records. Drive it like this:
//! - at startup, [`Crm::connect`] (runs the embedded migrations from the top-level
//!   `migrations/` folder) and [`Crm::recover_open_cdrs`] to close records a crash left open;
//! - start a [`CdrWriter`] and give each call task a clone of its [`CdrSender`]: the task sends
//!   start, answer and end as [`CdrEvent`]s without ever waiting on the database;
//! - at shutdown, drop the senders and await [`CdrWriterTask::shutdown`] to flush.
//!
//! Reads ([`Crm::cdr`], [`Crm::recent_cdrs`]) go straight to the pool. Times are UTC
//! everywhere and nothing here reads the clock. PostgreSQL stores TIMESTAMPTZ; SQLite stores
//! fixed-width RFC 3339 text with microseconds (`2025-03-01T09:00:00.000000Z`), so text order is
//! time order. Both keep microsecond precision.
#![forbid(unsafe_code)]

mod error;
mod model;
mod plan;
mod postgres;
mod sqlite;
mod store;
pub mod testing;
mod writer;

pub use error::CrmError;
pub use model::{Cdr, CdrEnd, CdrStart, Disposition, Leg, LegRole, Side};
pub use store::{Backend, Crm};
pub use testing::connect_isolated_postgres;
pub use writer::{
    CdrEvent, CdrSender, CdrWriter, CdrWriterTask, WriterClosed, WriterStats, MAX_BATCH,
};
