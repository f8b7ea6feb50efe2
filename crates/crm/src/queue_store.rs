//! Queues and agents' memberships managed through the HTTP API, kept so they survive a
//! restart. The switch owns their meaning: a definition is the JSON object of a `[[queues]]`
//! entry and a membership list the JSON array of `[[agents]] queues`, both validated by the
//! switch before they are stored; this module only checks that they are JSON of the right
//! shape and within size. Direct statements, not through the batching [`crate::CdrWriter`].

use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::sqlite::{get_ts, ts};
use crate::store::Db;
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

fn check_json(
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

fn check_name(field: &'static str, name: &str, max: usize) -> Result<(), CrmError> {
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

impl Crm {
    /// Every stored queue (removals included), by name.
    pub async fn queue_definitions(&self) -> Result<Vec<StoredQueue>, CrmError> {
        match &self.db {
            Db::Sqlite(p) => {
                let rows = sqlx::query(
                    "SELECT name, definition, updated_at, updated_by \
                     FROM acd_queue_definitions ORDER BY name",
                )
                .fetch_all(p)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(StoredQueue {
                            name: r.try_get("name")?,
                            definition: r.try_get("definition")?,
                            updated_at: get_ts(r, "updated_at")?,
                            updated_by: r.try_get("updated_by")?,
                        })
                    })
                    .collect()
            }
            Db::Postgres(p) => {
                let rows = sqlx::query(
                    "SELECT name, definition::text AS definition, updated_at, updated_by \
                     FROM acd_queue_definitions ORDER BY name",
                )
                .fetch_all(p)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(StoredQueue {
                            name: r.try_get("name")?,
                            definition: r.try_get("definition")?,
                            updated_at: r.try_get("updated_at")?,
                            updated_by: r.try_get("updated_by")?,
                        })
                    })
                    .collect()
            }
        }
    }

    /// Stores a queue's definition (or its removal), replacing what was stored for that name.
    pub async fn upsert_queue_definition(&self, q: &StoredQueue) -> Result<(), CrmError> {
        q.validate()?;
        match &self.db {
            Db::Sqlite(p) => {
                sqlx::query(
                    "INSERT INTO acd_queue_definitions (name, definition, updated_at, updated_by) \
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name) DO UPDATE SET \
                     definition = excluded.definition, updated_at = excluded.updated_at, \
                     updated_by = excluded.updated_by",
                )
                .bind(&q.name)
                .bind(&q.definition)
                .bind(ts(q.updated_at))
                .bind(&q.updated_by)
                .execute(p)
                .await?;
            }
            Db::Postgres(p) => {
                sqlx::query(
                    "INSERT INTO acd_queue_definitions (name, definition, updated_at, updated_by) \
                     VALUES ($1, $2::jsonb, $3, $4) ON CONFLICT (name) DO UPDATE SET \
                     definition = excluded.definition, updated_at = excluded.updated_at, \
                     updated_by = excluded.updated_by",
                )
                .bind(&q.name)
                .bind(&q.definition)
                .bind(q.updated_at)
                .bind(&q.updated_by)
                .execute(p)
                .await?;
            }
        }
        Ok(())
    }

    /// Forgets what was stored for a queue name; returns whether there was a row.
    pub async fn delete_queue_definition(&self, name: &str) -> Result<bool, CrmError> {
        let done = match &self.db {
            Db::Sqlite(p) => sqlx::query("DELETE FROM acd_queue_definitions WHERE name = ?1")
                .bind(name)
                .execute(p)
                .await?
                .rows_affected(),
            Db::Postgres(p) => sqlx::query("DELETE FROM acd_queue_definitions WHERE name = $1")
                .bind(name)
                .execute(p)
                .await?
                .rows_affected(),
        };
        Ok(done > 0)
    }

    /// Every agent's stored memberships, by agent id.
    pub async fn agent_memberships(&self) -> Result<Vec<StoredMemberships>, CrmError> {
        match &self.db {
            Db::Sqlite(p) => {
                let rows = sqlx::query(
                    "SELECT agent_id, queues, updated_at, updated_by \
                     FROM acd_agent_memberships ORDER BY agent_id",
                )
                .fetch_all(p)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(StoredMemberships {
                            agent_id: r.try_get("agent_id")?,
                            queues: r.try_get("queues")?,
                            updated_at: get_ts(r, "updated_at")?,
                            updated_by: r.try_get("updated_by")?,
                        })
                    })
                    .collect()
            }
            Db::Postgres(p) => {
                let rows = sqlx::query(
                    "SELECT agent_id, queues::text AS queues, updated_at, updated_by \
                     FROM acd_agent_memberships ORDER BY agent_id",
                )
                .fetch_all(p)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(StoredMemberships {
                            agent_id: r.try_get("agent_id")?,
                            queues: r.try_get("queues")?,
                            updated_at: r.try_get("updated_at")?,
                            updated_by: r.try_get("updated_by")?,
                        })
                    })
                    .collect()
            }
        }
    }

    /// Stores an agent's memberships, replacing what was stored for that agent.
    pub async fn set_agent_memberships(&self, m: &StoredMemberships) -> Result<(), CrmError> {
        m.validate()?;
        match &self.db {
            Db::Sqlite(p) => {
                sqlx::query(
                    "INSERT INTO acd_agent_memberships (agent_id, queues, updated_at, updated_by) \
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (agent_id) DO UPDATE SET \
                     queues = excluded.queues, updated_at = excluded.updated_at, \
                     updated_by = excluded.updated_by",
                )
                .bind(&m.agent_id)
                .bind(&m.queues)
                .bind(ts(m.updated_at))
                .bind(&m.updated_by)
                .execute(p)
                .await?;
            }
            Db::Postgres(p) => {
                sqlx::query(
                    "INSERT INTO acd_agent_memberships (agent_id, queues, updated_at, updated_by) \
                     VALUES ($1, $2::jsonb, $3, $4) ON CONFLICT (agent_id) DO UPDATE SET \
                     queues = excluded.queues, updated_at = excluded.updated_at, \
                     updated_by = excluded.updated_by",
                )
                .bind(&m.agent_id)
                .bind(&m.queues)
                .bind(m.updated_at)
                .bind(&m.updated_by)
                .execute(p)
                .await?;
            }
        }
        Ok(())
    }
}
