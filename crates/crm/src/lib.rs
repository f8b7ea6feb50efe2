//! The Switchboard CRM database: schema migrations and repositories, on SQLite (the default, a
//! single file) or PostgreSQL (chosen by URL).
//!
//! It holds call detail records, customers, recordings and the contact history. Drive it like this:
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
//! ACD history: the switch turns the ACD's events into [`QueueEventRecord`]s and
//! [`AgentEventRecord`]s (each with a unique `event_id`, so replays are harmless) and links
//! each CDR to its queue, agent and customer with a [`CdrLink`], all through the same
//! [`CdrSender`]. [`Crm::queue_events`], [`Crm::queue_events_between`] and
//! [`Crm::agent_events_between`] read them back; [`Crm::queue_report`] and
//! [`Crm::agent_report`] compute service level, ASA, AHT, occupancy... as defined in
//! `docs/metrics.md`.
//!
//! Recordings: the switch calls [`Crm::recording_started`] when a recording's file is opened
//! and [`Crm::recording_finished`] when it is closed (direct writes, not through the writer).
//! At startup [`Crm::open_recordings`] lists those a crash cut short, to repair and finish as
//! [`RecordingStatus::Recovered`]; retention takes [`Crm::recordings_older_than`], deletes the
//! files and calls [`Crm::mark_recording_deleted`].
//!
//! Contact history: one [`Contact`] per interaction ([`Crm::add_contact`], once per call, again
//! to update it), attached to the customer owning the caller's number, or later, when a
//! customer gets that number; read with [`Crm::contacts_of_customer`] and
//! [`Crm::contacts_of_number`]; the agent's [`Crm::wrap_up_contact`] adds a code and notes.
//!
//! Logins: the switch writes the configured accounts with [`Crm::sync_accounts`] (argon2id
//! password hashes and SHA-256 token hashes, made by the caller), keeps browser sessions with
//! [`Crm::create_session`] / [`Crm::session`] / [`Crm::delete_session`], and appends who played
//! which recording with [`Crm::audit`] (read back with [`Crm::audit_between`]).
//!
//! Queues managed through the HTTP API: [`Crm::upsert_queue_definition`],
//! [`Crm::delete_queue_definition`] and [`Crm::set_agent_memberships`] store them;
//! [`Crm::queue_definitions`] and [`Crm::agent_memberships`] read them back at start.
//!
//! The QA-review loop (its rules are in the `qa` crate): teams
//! ([`Crm::set_qa_team`]), versioned forms ([`Crm::add_qa_form_version`]), sampling runs with
//! their tasks ([`Crm::record_qa_run`], from [`Crm::qa_month_calls`]), reviews
//! ([`Crm::save_qa_draft`], [`Crm::submit_qa_review`]), comments, disputes and follow-ups.
//!
//! A [`CdrEnd`] carries the dialplan's variables ([`CdrVars`]); they are stored with the CDR as
//! one JSON object, cut down to the limits in [`bounded_vars`] rather than refused.
//!
//! Reads ([`Crm::cdr`], [`Crm::recent_cdrs`]) go straight to the pool. Times are UTC
//! everywhere and nothing here reads the clock. PostgreSQL stores TIMESTAMPTZ; SQLite stores
//! fixed-width RFC 3339 text with microseconds (`2025-03-01T09:00:00.000000Z`), so text order is
//! time order. Both keep microsecond precision.
//!
//! Layout: a folder per domain (`cdr/`, `acd/`, `customer/`, `contact/`, `recording/`,
//! `accounts/`, `queue/`), each with its value types in `mod.rs`, its SQL text, its statements
//! as one trait implemented once for both backends (`conn.rs`) and its [`Crm`] methods
//! (`store.rs`). How one body of code reaches both databases is described in `db/mod.rs`.
#![forbid(unsafe_code)]

mod accounts;
mod acd;
mod cdr;
mod contact;
mod customer;
mod db;
mod directory;
mod error;
pub mod phone;
mod qa;
mod queue;
mod recording;
#[cfg(feature = "testing")]
pub mod testing;
mod trunks;

pub use accounts::audit::{
    AuditAction, AuditEntry, NewAuditEntry, MAX_AUDIT_ADDR_CHARS, MAX_AUDIT_DETAIL_CHARS,
    MAX_AUDIT_OBJECT_CHARS, MAX_AUDIT_PAGE,
};
pub use accounts::{
    validate_username, Account, AccountChange, AccountChanged, AccountSync, NewAccount, NewSession,
    Role, Session, SessionLimits, MAX_AGENT_ID_CHARS, MAX_PASSWORD_HASH_CHARS, MAX_USERNAME_CHARS,
};
pub use acd::agent_report::AgentReportRow;
pub use acd::queue_report::QueueReportRow;
pub use acd::report::{
    Interval, ReportQuery, SlVariant, ALL_QUEUES, DEFAULT_SERVICE_LEVEL, DEFAULT_SHORT_ABANDON,
};
pub use acd::staffing_history::{IntervalHistory, StaffingHistoryQuery};
pub use acd::{
    AgentEventKind, AgentEventRecord, AgentStateName, CallChannel, CdrLink, EndedBy,
    OverflowReason, QueueEventKind, QueueEventRecord, MAX_EVENT_ID_CHARS,
};
pub use cdr::trunk::{
    CallDirection, CdrTrunk, MAX_DID_CHARS, MAX_NUMBER_CHARS, MAX_TRUNK_NAME_CHARS,
};
pub use cdr::vars::{
    bounded_vars, CdrVars, MAX_VARS, MAX_VAR_NAME_CHARS, MAX_VAR_VALUE_CHARS, TRUNCATED_VAR,
};
pub use cdr::writer::{
    CdrEvent, CdrSender, CdrWriter, CdrWriterTask, WriterClosed, WriterStats, MAX_BATCH,
};
pub use cdr::{Cdr, CdrEnd, CdrStart, Disposition, Leg, LegRole, Side};
pub use contact::{
    Channel, Contact, NewContact, MAX_CONTACTS_PAGE, MAX_CONTACT_NAME_CHARS,
    MAX_CONTACT_NOTES_CHARS, MAX_OUTCOME_CHARS, MAX_WRAP_UP_CODE_CHARS,
};
pub use customer::import::{ImportReport, BATCH_ROWS, MAX_REPORTED_ERRORS};
pub use customer::{
    Customer, CustomerPatch, CustomerPhone, CustomerQuery, NewCustomer, NewPhone, PhoneLabel,
    DEFAULT_GRADE, MAX_GRADE_CHARS, MAX_LANGUAGE_CHARS, MAX_NAME_CHARS, MAX_NOTES_CHARS, MAX_PAGE,
    MAX_PHONES, MAX_SEGMENT_CHARS,
};
pub use db::{Backend, Crm};
pub use directory::{Directory, StoredEntry, MAX_EXTENSION_CHARS};
pub use error::CrmError;
pub use phone::PhoneError;
pub use qa::{
    DisputeOutcome, NewQaFollowUp, NewQaRun, NewQaTask, QaCall, QaComment, QaDispute, QaDraft,
    QaFollowUp, QaReview, QaRun, QaSettings, QaSettlement, QaTask, QaTeam, StoredForm, TaskFilter,
    TaskPurpose, TaskStatus, MAX_QA_FORM_NAME_CHARS, MAX_QA_JSON_BYTES, MAX_QA_LONG_TEXT_CHARS,
    MAX_QA_NAME_CHARS, MAX_QA_POINTS, MAX_QA_TEXT_CHARS,
};
pub use queue::callbacks::CallbackRequest;
pub use queue::definitions::{
    StoredMemberships, StoredQueue, MAX_QUEUE_JSON_BYTES, MAX_QUEUE_NAME_CHARS,
};
pub use queue::messages::{
    NewQueueMessage, QueueMessage, MAX_MESSAGES_PAGE, MAX_MESSAGE_CALLER_CHARS,
    MAX_MESSAGE_QUEUE_CHARS,
};
pub use recording::{
    NewRecording, PausedSpan, Recording, RecordingDone, RecordingStatus, MAX_CALL_ID_CHARS,
    MAX_DELETED_REASON_CHARS, MAX_PATH_CHARS, MAX_RECORDING_ERROR_CHARS, MAX_RECORDING_ID_CHARS,
};
#[cfg(feature = "testing")]
pub use testing::connect_isolated_postgres;
pub use trunks::StoredDefinition;
