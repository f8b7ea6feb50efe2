//! `/api/qa/forms`: evaluation forms, versioned. Admins add a version (a new form, or a
//! change to one: the stored versions never change); everyone logged in reads them, since
//! reviewers fill them in and agents read their reviews on them.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use crm::{AuditAction, StoredForm};

use crate::http::error::{ApiError, ApiResult};
use crate::http::qa::{audit, body, crm_error, Caller, Qa};
use crate::http::routing::Routes;
use crate::http::App;

pub(super) fn routes() -> Routes {
    Routes::new()
        .get("/api/qa/forms", |State(app): State<App>| async move {
            Ok::<_, ApiError>(Json(list(&app.qa).await?).into_response())
        })
        .post(
            "/api/qa/forms",
            |State(app): State<App>, caller: Caller, bytes: Bytes| async move {
                let form = create(&app.qa, &caller, &bytes).await?;
                ApiResult::Ok((StatusCode::CREATED, Json(form)).into_response())
            },
        )
        .get(
            "/api/qa/forms/{id}",
            |State(app): State<App>, Path(id): Path<String>| async move {
                ApiResult::Ok(Json(versions(&app.qa, &id).await?).into_response())
            },
        )
        .get(
            "/api/qa/forms/{id}/{version}",
            |State(app): State<App>, Path((id, version)): Path<(String, String)>| async move {
                ApiResult::Ok(Json(one(&app.qa, &id, &version).await?).into_response())
            },
        )
}

/// Every version of every form.
pub(crate) async fn list(qa: &Qa) -> Result<Vec<StoredForm>, ApiError> {
    qa.crm.qa_forms().await.map_err(crm_error)
}

/// Stores the body (a `qa::Form`; its `version` is ignored) as the form's next version.
pub(crate) async fn create(qa: &Qa, caller: &Caller, bytes: &Bytes) -> Result<qa::Form, ApiError> {
    caller.admin_only("configure evaluation forms")?;
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct NewForm {
        id: String,
        name: String,
        sections: Vec<qa::Section>,
        #[serde(default)]
        #[allow(dead_code)]
        version: Option<u32>,
    }
    let b: NewForm = body(bytes)?;
    let form = qa::Form {
        id: b.id,
        version: 0,
        name: b.name,
        sections: b.sections,
    };
    let stored = qa
        .crm
        .add_qa_form_version(&form, &caller.who.username, qa.now())
        .await
        .map_err(crm_error)?;
    let object = format!("{}/{}", stored.id, stored.version);
    audit(
        qa,
        caller,
        AuditAction::FormCreate,
        &object,
        stored.name.clone(),
    )
    .await?;
    Ok(stored)
}

/// Every version of one form, oldest first; 404 if there is none.
pub(crate) async fn versions(qa: &Qa, id: &str) -> Result<Vec<StoredForm>, ApiError> {
    let all: Vec<StoredForm> = list(qa)
        .await?
        .into_iter()
        .filter(|f| f.form.id == id)
        .collect();
    if all.is_empty() {
        return Err(ApiError::not_found(format!("no form {id:?}")));
    }
    Ok(all)
}

/// One version (`latest` for the newest).
pub(crate) async fn one(qa: &Qa, id: &str, version: &str) -> Result<StoredForm, ApiError> {
    let found = if version == "latest" {
        qa.crm.latest_qa_form(id).await
    } else {
        let v: u32 = version.parse().map_err(|_| {
            ApiError::bad_request(format!(
                "form version must be a number or latest, not {version:?}"
            ))
        })?;
        qa.crm.qa_form(id, v).await
    };
    found
        .map_err(crm_error)?
        .ok_or_else(|| ApiError::not_found(format!("no version {version} of form {id:?}")))
}
