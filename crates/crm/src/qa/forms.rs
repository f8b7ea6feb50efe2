//! Evaluation forms, one row per version, and the sampling settings. A version is written
//! once: saving a form again adds the next version, so a review made with version 1 keeps it.

use chrono::{DateTime, Utc};

use crate::customer::invalid;
use crate::db::{for_each_backend, in_transaction, with_conn, DbJson, DbTime, RowExt};
use crate::qa::{
    from_json, json, name, text, unsigned, QaSettings, StoredForm, MAX_QA_FORM_NAME_CHARS,
};
use crate::{Crm, CrmError};

pub(crate) trait FormConn {
    async fn latest_version(&mut self, form_id: &str) -> Result<Option<u32>, CrmError>;
    async fn insert_form(
        &mut self,
        form: &qa::Form,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<(), CrmError>;
    async fn forms(
        &mut self,
        id: Option<&str>,
        version: Option<u32>,
    ) -> Result<Vec<StoredForm>, CrmError>;
    async fn settings(&mut self) -> Result<Option<QaSettings>, CrmError>;
    async fn set_settings(
        &mut self,
        s: &QaSettings,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<(), CrmError>;
}

for_each_backend! {
    impl FormConn for Conn {
        async fn latest_version(&mut self, form_id: &str) -> Result<Option<u32>, CrmError> {
            let v: Option<i32> =
                sqlx::query_scalar("SELECT MAX(version) FROM qa_forms WHERE form_id = $1")
                    .bind(form_id)
                    .fetch_one(self)
                    .await?;
            v.map(|v| unsigned("version", i64::from(v))).transpose()
        }

        async fn insert_form(
            &mut self,
            form: &qa::Form,
            by: &str,
            at: DateTime<Utc>,
        ) -> Result<(), CrmError> {
            let version = i32::try_from(form.version)
                .map_err(|_| invalid("version", "is too large"))?;
            sqlx::query(
                "INSERT INTO qa_forms (form_id, version, name, definition, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&form.id)
            .bind(version)
            .bind(&form.name)
            .bind(DbJson(json(form)?))
            .bind(by)
            .bind(DbTime(at))
            .execute(self)
            .await?;
            Ok(())
        }

        async fn forms(
            &mut self,
            id: Option<&str>,
            version: Option<u32>,
        ) -> Result<Vec<StoredForm>, CrmError> {
            let version = version.map(i64::from);
            let rows = sqlx::query(
                "SELECT definition, created_by, created_at FROM qa_forms
                 WHERE ($1 IS NULL OR form_id = $1) AND ($2 IS NULL OR version = $2)
                 ORDER BY form_id, version",
            )
            .bind(id)
            .bind(version)
            .fetch_all(self)
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(StoredForm {
                        form: from_json("definition", &row.col::<DbJson>("definition")?.0)?,
                        created_by: row.col("created_by")?,
                        created_at: row.time("created_at")?,
                    })
                })
                .collect()
        }

        async fn settings(&mut self) -> Result<Option<QaSettings>, CrmError> {
            let row: Option<DbJson> =
                sqlx::query_scalar("SELECT settings FROM qa_settings WHERE id = 1")
                    .fetch_optional(self)
                    .await?;
            row.map(|j| from_json("settings", &j.0)).transpose()
        }

        async fn set_settings(
            &mut self,
            s: &QaSettings,
            by: &str,
            at: DateTime<Utc>,
        ) -> Result<(), CrmError> {
            sqlx::query(
                "INSERT INTO qa_settings (id, settings, updated_by, updated_at)
                 VALUES (1, $1, $2, $3)
                 ON CONFLICT (id) DO UPDATE SET settings = excluded.settings,
                    updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            )
            .bind(DbJson(json(s)?))
            .bind(by)
            .bind(DbTime(at))
            .execute(self)
            .await?;
            Ok(())
        }
    }
}

impl Crm {
    /// Stores `form` as the next version of `form.id` (1 for a new form; `form.version` is
    /// ignored) after [`qa::Form::validate`]; returns the stored form with its version.
    pub async fn add_qa_form_version(
        &self,
        form: &qa::Form,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<qa::Form, CrmError> {
        name("id", &form.id)?;
        text("name", &form.name, MAX_QA_FORM_NAME_CHARS)?;
        form.validate()
            .map_err(|e| invalid("sections", e.to_string()))?;
        let stored = in_transaction!(immediate self, |conn| {
            let next = conn.latest_version(&form.id).await?.unwrap_or(0) + 1;
            let stored = qa::Form {
                version: next,
                ..form.clone()
            };
            conn.insert_form(&stored, by, at).await?;
            stored
        });
        Ok(stored)
    }

    /// One version of a form.
    pub async fn qa_form(&self, id: &str, version: u32) -> Result<Option<StoredForm>, CrmError> {
        let mut found = with_conn!(self, |conn| conn.forms(Some(id), Some(version)).await?);
        Ok(found.pop())
    }

    /// The latest version of a form.
    pub async fn latest_qa_form(&self, id: &str) -> Result<Option<StoredForm>, CrmError> {
        let mut found = with_conn!(self, |conn| conn.forms(Some(id), None).await?);
        Ok(found.pop())
    }

    /// Every version of every form, by id then version.
    pub async fn qa_forms(&self) -> Result<Vec<StoredForm>, CrmError> {
        with_conn!(self, |conn| conn.forms(None, None).await)
    }

    /// The sampling settings, if an admin saved any.
    pub async fn qa_settings(&self) -> Result<Option<QaSettings>, CrmError> {
        with_conn!(self, |conn| conn.settings().await)
    }

    /// Replaces the sampling settings.
    pub async fn set_qa_settings(
        &self,
        s: &QaSettings,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<(), CrmError> {
        name("form_id", &s.form_id)?;
        with_conn!(self, |conn| conn.set_settings(s, by, at).await)
    }
}
