//! Trunks and DIDs managed through the HTTP API, kept so they survive a restart (like stored
//! queues, [`crate::StoredQueue`]). The switch owns their meaning: a definition is the JSON
//! object of a `[[trunks]]` or `[[dids]]` entry, validated by the switch before it is stored;
//! this module only checks that it is a JSON object within size. A trunk's definition holds
//! the password the switch registers with, as the configuration file does: the database is as
//! private as the file (docs/security.md).

use chrono::{DateTime, Utc};

use crate::queue::definitions::{check_json, check_name, JsonRow, JsonTable};
use crate::{Crm, CrmError};

/// A trunk or DID (or, as [`crate::StoredEntry`], an extension or agent) as stored by the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDefinition {
    /// The trunk's name, or the DID's number.
    pub key: String,
    /// The `[[trunks]]` / `[[dids]]` keys as a JSON object; `None` marks a configuration-file
    /// entry removed through the API, which stays removed at the next start.
    pub definition: Option<String>,
    pub updated_at: DateTime<Utc>,
    /// The account that made the change.
    pub updated_by: String,
}

const TRUNKS: JsonTable = JsonTable {
    table: "trunk_definitions",
    key: "name",
    json: "definition",
};

const DIDS: JsonTable = JsonTable {
    table: "did_definitions",
    key: "number",
    json: "definition",
};

impl StoredDefinition {
    pub(crate) fn validate(&self, max_key: usize) -> Result<(), CrmError> {
        check_name("key", &self.key, max_key)?;
        crate::accounts::validate_username(&self.updated_by)?;
        match &self.definition {
            Some(d) => check_json("definition", d, serde_json::Value::is_object),
            None => Ok(()),
        }
    }

    pub(crate) fn row(&self) -> JsonRow {
        JsonRow {
            key: self.key.clone(),
            json: self.definition.clone(),
            updated_at: self.updated_at,
            updated_by: self.updated_by.clone(),
        }
    }

    pub(crate) fn of(r: JsonRow) -> Self {
        StoredDefinition {
            key: r.key,
            definition: r.json,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
        }
    }
}

impl Crm {
    /// Every stored trunk (removals included), by name.
    pub async fn trunk_definitions(&self) -> Result<Vec<StoredDefinition>, CrmError> {
        let rows = self.json_rows(&TRUNKS).await?;
        Ok(rows.into_iter().map(StoredDefinition::of).collect())
    }

    /// Stores a trunk's definition (or its removal), replacing what was stored for that name.
    pub async fn upsert_trunk_definition(&self, t: &StoredDefinition) -> Result<(), CrmError> {
        t.validate(crate::MAX_TRUNK_NAME_CHARS)?;
        self.upsert_json_row(&TRUNKS, &t.row()).await
    }

    /// Forgets what was stored for a trunk name; returns whether there was a row.
    pub async fn delete_trunk_definition(&self, name: &str) -> Result<bool, CrmError> {
        self.delete_json_row(&TRUNKS, name).await
    }

    /// Every stored DID (removals included), by number.
    pub async fn did_definitions(&self) -> Result<Vec<StoredDefinition>, CrmError> {
        let rows = self.json_rows(&DIDS).await?;
        Ok(rows.into_iter().map(StoredDefinition::of).collect())
    }

    /// Stores a DID's definition (or its removal), replacing what was stored for that number.
    pub async fn upsert_did_definition(&self, d: &StoredDefinition) -> Result<(), CrmError> {
        d.validate(crate::MAX_DID_CHARS)?;
        self.upsert_json_row(&DIDS, &d.row()).await
    }

    /// Forgets what was stored for a DID; returns whether there was a row.
    pub async fn delete_did_definition(&self, number: &str) -> Result<bool, CrmError> {
        self.delete_json_row(&DIDS, number).await
    }
}
