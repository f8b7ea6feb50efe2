//! Queues and agents' memberships managed through the HTTP API, kept so they survive a
//! restart. The switch owns their meaning: a definition is the JSON object of a `[[queues]]`
//! entry and a membership list the JSON array of `[[agents]] queues`, both validated by the
//! switch before they are stored; this module only checks that they are JSON of the right
//! shape and within size. Direct statements, not through the batching [`crate::CdrWriter`].

use chrono::{DateTime, Utc};

use crate::db::{with_conn, DbJson, DbTime, RowExt};
use crate::{Crm, CrmError};

/// Longest stored definition or membership list, in bytes of JSON.
pub const MAX_QUEUE_JSON_BYTES: usize = 65_536;
/// Longest queue name (as the configuration allows).
pub const MAX_QUEUE_NAME_CHARS: usize = 64;

/// A queue as stored by the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredQueue {
    pub name: String,
    /// The `[[queues]]` keys as a JSON object; `None` marks a configuration-file queue removed
    /// through the API, which stays removed at the next start.
    pub definition: Option<String>,
    pub updated_at: DateTime<Utc>,
    /// The account that made the change.
    pub updated_by: String,
}

/// The queues an agent serves, as set through the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMemberships {
    pub agent_id: String,
    /// JSON array of `{"queue", "weight", "order"}` objects.
    pub queues: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

pub(crate) fn check_json(
    field: &'static str,
    text: &str,
    is_shape: fn(&serde_json::Value) -> bool,
) -> Result<(), CrmError> {
    if text.len() > MAX_QUEUE_JSON_BYTES {
        return Err(CrmError::InvalidField {
            field,
            reason: format!("at most {MAX_QUEUE_JSON_BYTES} bytes"),
        });
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) if is_shape(&v) => Ok(()),
        Ok(_) => Err(CrmError::InvalidField {
            field,
            reason: "wrong JSON type".into(),
        }),
        Err(e) => Err(CrmError::InvalidField {
            field,
            reason: format!("not JSON: {e}"),
        }),
    }
}

pub(crate) fn check_name(field: &'static str, name: &str, max: usize) -> Result<(), CrmError> {
    if name.is_empty() || name.chars().count() > max {
        return Err(CrmError::InvalidField {
            field,
            reason: format!("1 to {max} characters"),
        });
    }
    Ok(())
}

impl StoredQueue {
    fn validate(&self) -> Result<(), CrmError> {
        check_name("name", &self.name, MAX_QUEUE_NAME_CHARS)?;
        crate::accounts::validate_username(&self.updated_by)?;
        match &self.definition {
            Some(d) => check_json("definition", d, serde_json::Value::is_object),
            None => Ok(()),
        }
    }
}

impl StoredMemberships {
    fn validate(&self) -> Result<(), CrmError> {
        check_name("agent_id", &self.agent_id, crate::MAX_AGENT_ID_CHARS)?;
        crate::accounts::validate_username(&self.updated_by)?;
        check_json("queues", &self.queues, serde_json::Value::is_array)
    }
}

/// One of the API's tables: a key column, a JSON column and who changed it when (queues and
/// memberships here, trunks and DIDs in [`crate::trunks`]).
pub(crate) struct JsonTable {
    pub table: &'static str,
    pub key: &'static str,
    pub json: &'static str,
}

const QUEUES: JsonTable = JsonTable {
    table: "acd_queue_definitions",
    key: "name",
    json: "definition",
};

const MEMBERSHIPS: JsonTable = JsonTable {
    table: "acd_agent_memberships",
    key: "agent_id",
    json: "queues",
};

/// A row of a [`JsonTable`]; `json` is `None` only for a removed file entry.
pub(crate) struct JsonRow {
    pub key: String,
    pub json: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

impl Crm {
    /// Every row of `t`, by key. PostgreSQL keeps the JSON as jsonb and hands it back as text.
    pub(crate) async fn json_rows(&self, t: &JsonTable) -> Result<Vec<JsonRow>, CrmError> {
        let JsonTable { table, key, json } = t;
        let sql =
            format!("SELECT {key}, {json}, updated_at, updated_by FROM {table} ORDER BY {key}");
        with_conn!(self, |conn| {
            let rows = sqlx::query(&sql).fetch_all(conn).await?;
            rows.iter()
                .map(|r| {
                    Ok(JsonRow {
                        key: r.col(key)?,
                        json: r.col::<Option<DbJson>>(json)?.map(|j| j.0),
                        updated_at: r.time("updated_at")?,
                        updated_by: r.col("updated_by")?,
                    })
                })
                .collect()
        })
    }

    pub(crate) async fn upsert_json_row(
        &self,
        t: &JsonTable,
        row: &JsonRow,
    ) -> Result<(), CrmError> {
        let JsonTable { table, key, json } = t;
        let sql = format!(
            "INSERT INTO {table} ({key}, {json}, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4) ON CONFLICT ({key}) DO UPDATE SET \
             {json} = excluded.{json}, updated_at = excluded.updated_at, \
             updated_by = excluded.updated_by"
        );
        with_conn!(self, |conn| {
            sqlx::query(&sql)
                .bind(&row.key)
                .bind(row.json.clone().map(DbJson))
                .bind(DbTime(row.updated_at))
                .bind(&row.updated_by)
                .execute(conn)
                .await?;
        });
        Ok(())
    }

    /// Every stored queue (removals included), by name.
    pub async fn queue_definitions(&self) -> Result<Vec<StoredQueue>, CrmError> {
        let rows = self.json_rows(&QUEUES).await?;
        Ok(rows
            .into_iter()
            .map(|r| StoredQueue {
                name: r.key,
                definition: r.json,
                updated_at: r.updated_at,
                updated_by: r.updated_by,
            })
            .collect())
    }

    /// Stores a queue's definition (or its removal), replacing what was stored for that name.
    pub async fn upsert_queue_definition(&self, q: &StoredQueue) -> Result<(), CrmError> {
        q.validate()?;
        let row = JsonRow {
            key: q.name.clone(),
            json: q.definition.clone(),
            updated_at: q.updated_at,
            updated_by: q.updated_by.clone(),
        };
        self.upsert_json_row(&QUEUES, &row).await
    }

    /// Forgets the row of `key` in `t`; returns whether there was one.
    pub(crate) async fn delete_json_row(&self, t: &JsonTable, key: &str) -> Result<bool, CrmError> {
        let sql = format!("DELETE FROM {} WHERE {} = $1", t.table, t.key);
        let done = with_conn!(self, |conn| sqlx::query(&sql)
            .bind(key)
            .execute(conn)
            .await?
            .rows_affected());
        Ok(done > 0)
    }

    /// Forgets what was stored for a queue name; returns whether there was a row.
    pub async fn delete_queue_definition(&self, name: &str) -> Result<bool, CrmError> {
        self.delete_json_row(&QUEUES, name).await
    }

    /// Every agent's stored memberships, by agent id.
    pub async fn agent_memberships(&self) -> Result<Vec<StoredMemberships>, CrmError> {
        let rows = self.json_rows(&MEMBERSHIPS).await?;
        rows.into_iter()
            .map(|r| {
                Ok(StoredMemberships {
                    agent_id: r.key,
                    // The column is NOT NULL.
                    queues: r.json.ok_or(CrmError::InvalidField {
                        field: "queues",
                        reason: "stored as NULL".into(),
                    })?,
                    updated_at: r.updated_at,
                    updated_by: r.updated_by,
                })
            })
            .collect()
    }

    /// Stores an agent's memberships, replacing what was stored for that agent.
    pub async fn set_agent_memberships(&self, m: &StoredMemberships) -> Result<(), CrmError> {
        m.validate()?;
        let row = JsonRow {
            key: m.agent_id.clone(),
            json: Some(m.queues.clone()),
            updated_at: m.updated_at,
            updated_by: m.updated_by.clone(),
        };
        self.upsert_json_row(&MEMBERSHIPS, &row).await
    }
}
