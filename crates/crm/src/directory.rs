//! SIP extensions and ACD agents managed through the HTTP API, kept so they survive a restart
//! (like stored queues, [`crate::StoredQueue`]). The switch owns their meaning: a definition is
//! the JSON object of a `[[users]]` or `[[agents]]` entry, validated by the switch before it is
//! stored; this module only checks that it is a JSON object within size. A user's definition
//! holds the SIP password and an agent's its PIN, as the configuration file does: the database
//! is as private as the file (docs/security.md).

use crate::queue::definitions::JsonTable;
use crate::{Crm, CrmError};

/// Longest extension (as the configuration allows).
pub const MAX_EXTENSION_CHARS: usize = 64;

/// A user or agent as stored by the API: the key is the extension or the agent id, the
/// definition the `[[users]]` / `[[agents]]` keys as a JSON object (`None`: a configuration-file
/// entry removed through the API). The same row as a stored trunk's.
pub type StoredEntry = crate::StoredDefinition;

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

impl Crm {
    /// Every stored entry of `dir` (removals included), by key.
    pub async fn directory(&self, dir: Directory) -> Result<Vec<StoredEntry>, CrmError> {
        let rows = self.json_rows(dir.table()).await?;
        Ok(rows.into_iter().map(StoredEntry::of).collect())
    }

    /// Stores an entry (or its removal), replacing what was stored for that key.
    pub async fn upsert_directory_entry(
        &self,
        dir: Directory,
        e: &StoredEntry,
    ) -> Result<(), CrmError> {
        e.validate(dir.max_key())?;
        self.upsert_json_row(dir.table(), &e.row()).await
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
