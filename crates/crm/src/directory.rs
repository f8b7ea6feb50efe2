//! SIP extensions and ACD agents managed through the HTTP API, kept so they survive a restart
//! (like stored queues, [`crate::StoredQueue`]). The switch owns their meaning: a definition is
//! the JSON object of a `[[users]]` or `[[agents]]` entry, validated by the switch before it is
//! stored; this module only checks that it is a JSON object within size. A user's definition
//! holds the SIP password and an agent's its PIN, as the configuration file does: the database
//! is as private as the file (docs/security.md).

use chrono::{DateTime, Utc};

use crate::queue::definitions::{check_json, check_name, JsonRow, JsonTable};
use crate::{Crm, CrmError};

/// Longest extension (as the configuration allows).
pub const MAX_EXTENSION_CHARS: usize = 64;

/// A user or agent as stored by the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    /// The extension, or the agent id.
    pub key: String,
    /// The `[[users]]` / `[[agents]]` keys as a JSON object; `None` marks a configuration-file
    /// entry removed through the API, which stays removed at the next start.
    pub definition: Option<String>,
    pub updated_at: DateTime<Utc>,
    /// The account that made the change.
    pub updated_by: String,
}

/// Which of the two tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Directory {
    /// SIP extensions (`[[users]]`), by extension.
    Users,
    /// ACD agents (`[[agents]]`), by id.
    Agents,
}

impl Directory {
    fn table(self) -> &'static JsonTable {
        const USERS: JsonTable = JsonTable {
            table: "user_definitions",
            key: "extension",
            json: "definition",
        };
        const AGENTS: JsonTable = JsonTable {
            table: "agent_definitions",
            key: "id",
            json: "definition",
        };
        match self {
            Directory::Users => &USERS,
            Directory::Agents => &AGENTS,
        }
    }

    fn max_key(self) -> usize {
        match self {
            Directory::Users => MAX_EXTENSION_CHARS,
            Directory::Agents => crate::MAX_AGENT_ID_CHARS,
        }
    }
}

impl StoredEntry {
    fn validate(&self, max_key: usize) -> Result<(), CrmError> {
        check_name("key", &self.key, max_key)?;
        crate::accounts::validate_username(&self.updated_by)?;
        match &self.definition {
            Some(d) => check_json("definition", d, serde_json::Value::is_object),
            None => Ok(()),
        }
    }
}

impl Crm {
    /// Every stored entry of `dir` (removals included), by key.
    pub async fn directory(&self, dir: Directory) -> Result<Vec<StoredEntry>, CrmError> {
        let rows = self.json_rows(dir.table()).await?;
        Ok(rows
            .into_iter()
            .map(|r| StoredEntry {
                key: r.key,
                definition: r.json,
                updated_at: r.updated_at,
                updated_by: r.updated_by,
            })
            .collect())
    }

    /// Stores an entry (or its removal), replacing what was stored for that key.
    pub async fn upsert_directory_entry(
        &self,
        dir: Directory,
        e: &StoredEntry,
    ) -> Result<(), CrmError> {
        e.validate(dir.max_key())?;
        let row = JsonRow {
            key: e.key.clone(),
            json: e.definition.clone(),
            updated_at: e.updated_at,
            updated_by: e.updated_by.clone(),
        };
        self.upsert_json_row(dir.table(), &row).await
    }

    /// Forgets what was stored for a key; returns whether there was a row.
    pub async fn delete_directory_entry(
        &self,
        dir: Directory,
        key: &str,
    ) -> Result<bool, CrmError> {
        self.delete_json_row(dir.table(), key).await
    }
}
