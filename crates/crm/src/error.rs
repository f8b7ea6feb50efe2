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
}
