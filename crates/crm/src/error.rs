//! The error type of the CRM crate.

/// Everything that can go wrong talking to the CRM database.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CrmError {
    /// The database URL names no backend we support, or cannot be parsed.
    #[error("invalid database URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    /// The directory for an SQLite file could not be created.
    #[error("cannot create directory {path} for the SQLite database: {source}")]
    CreateDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A query or the connection failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Applying the embedded migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// An update named a call that has no CDR (for example an answer before any start).
    #[error("no CDR for call {0:?}")]
    UnknownCall(String),
    /// A stored value does not decode into our types: the row was written by something else.
    #[error("corrupt value in column {column}: {value:?}")]
    CorruptValue { column: &'static str, value: String },
    /// A name given for a test schema is not a plain identifier.
    #[error("invalid schema name {0:?}")]
    InvalidSchemaName(String),
    /// The CDR writer task panicked or was aborted.
    #[error("CDR writer task failed: {0}")]
    WriterTask(String),
    /// A customer field is empty, too long or malformed; the message names the field.
    #[error("invalid {field}: {reason}")]
    InvalidField { field: &'static str, reason: String },
    /// A phone number could not be normalized.
    #[error("invalid phone number: {0}")]
    InvalidPhone(#[from] crate::phone::PhoneError),
    /// The number already belongs to another customer (`owner`, when known).
    #[error("phone number {number} already belongs to {}", owner.map_or_else(|| "another customer".to_owned(), |id| format!("customer {id}")))]
    NumberTaken { number: String, owner: Option<i64> },
    /// An update named a customer id that does not exist.
    #[error("no customer with id {0}")]
    UnknownCustomer(i64),
    /// A CSV import cannot start: unreadable input or an unusable header row.
    #[error("CSV import: {0}")]
    CsvImport(String),
    /// A recording update named a recording id that was never started.
    #[error("no recording with id {0:?}")]
    UnknownRecording(String),
    /// A contact update named a contact id that does not exist.
    #[error("no contact with id {0}")]
    UnknownContact(i64),
    /// An account with this username exists already.
    #[error("account {0:?} exists already")]
    AccountExists(String),
    /// The account comes from the configuration's `[[accounts]]`: change it there.
    #[error("account {0:?} is defined in the configuration file: change it there")]
    AccountFromFile(String),
    /// The extension is another account's monitoring phone already.
    #[error("extension {extension:?} is the monitoring phone of account {account:?} already")]
    ExtensionTaken { extension: String, account: String },
    /// A QA object (team, form version, task, follow-up...) named by the request does not exist.
    #[error("no QA {what} {id:?}")]
    QaNotFound { what: &'static str, id: String },
    /// The QA object is not in a state that allows the change (a review already submitted, a
    /// month already sampled, a form version in use...); the message says why.
    #[error("{0}")]
    QaState(String),
}
