//! Customers over HTTP: create, read, partial update, search, lookup by phone number in any
//! form, and CSV import. Bodies are JSON (at most [`JSON_LIMIT`]) except the import's
//! `text/csv` (at most [`CSV_LIMIT`]); every error is `{"error": "..."}`, with `"field"` when
//! one input field is to blame. Field rules live in the `crm` crate and run before any SQL, and
//! every value reaches the database as a bound parameter, never as SQL text.
//!
//! The handlers only take `State<App>`, so a later authentication layer can wrap [`routes`].

use crate::http::error::{ApiError, ApiResult, ErrorKind};
use crate::http::routing::Routes;
use crate::http::App;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::handler::Handler;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use chrono::Utc;
use crm::{CrmError, CustomerPatch, CustomerQuery, NewCustomer, NewPhone, PhoneLabel, MAX_PAGE};
use serde::{Deserialize, Deserializer};

/// Largest JSON request body.
const JSON_LIMIT: usize = 64 * 1024;
/// Largest CSV import body.
const CSV_LIMIT: usize = 10 * 1024 * 1024;

pub(crate) fn routes() -> Routes {
    let json = || DefaultBodyLimit::max(JSON_LIMIT);
    Routes::new()
        .get("/api/customers", search.layer(json()))
        .post("/api/customers", create.layer(json()))
        .post(
            "/api/customers/import",
            import.layer(DefaultBodyLimit::max(CSV_LIMIT)),
        )
        .get("/api/customers/by-number/{number}", by_number)
        .get("/api/customers/{id}", read.layer(json()))
        .patch("/api/customers/{id}", update.layer(json()))
}

/// One input field at fault (400): `{"error": "field: message", "field": field}`.
fn field_error(field: &'static str, message: impl std::fmt::Display) -> ApiError {
    ApiError::field(ErrorKind::BadRequest, field, format!("{field}: {message}"))
}

/// Maps a CRM error; `phone_field` names the input whose numbers a phone error is about.
fn crm_error(e: CrmError, phone_field: &'static str) -> ApiError {
    let field = match &e {
        CrmError::InvalidField { field, .. } => Some(*field),
        CrmError::InvalidPhone(_) | CrmError::NumberTaken { .. } => Some(phone_field),
        _ => None,
    };
    let kind = match &e {
        CrmError::InvalidField { .. } | CrmError::InvalidPhone(_) | CrmError::CsvImport(_) => {
            ErrorKind::BadRequest
        }
        CrmError::NumberTaken { .. } => ErrorKind::Conflict,
        CrmError::UnknownCustomer(_) => ErrorKind::NotFound,
        _ => {
            // The details (SQL, constraint names) go to the log, not to the client.
            tracing::error!(error = %e, "CRM customer request failed");
            return ApiError::new(ErrorKind::Internal, "database error");
        }
    };
    match field {
        Some(field) => ApiError::field(kind, field, e.to_string()),
        None => ApiError::new(kind, e.to_string()),
    }
}

/// The buffered body, or 413 naming the limit.
fn body_bytes(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<Bytes, ApiError> {
    body.map_err(|r| match r.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            ErrorKind::TooLarge,
            format!("request body is larger than {} KiB", limit / 1024),
        ),
        status => ApiError::new(ErrorKind::Rejected(status), r.body_text()),
    })
}

/// Whether the Content-Type is `essence` (parameters such as `charset` allowed).
fn content_type_is(headers: &HeaderMap, essence: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(essence))
}

/// Decodes a JSON body; errors name the field path (`phones[0].label: unknown variant ...`).
fn json_body<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    let body = body_bytes(body, JSON_LIMIT)?;
    if !content_type_is(headers, "application/json") {
        return Err(ApiError::new(
            ErrorKind::UnsupportedMediaType,
            "Content-Type must be application/json",
        ));
    }
    Json::<T>::from_bytes(&body)
        .map(|Json(v)| v)
        .map_err(|r| ApiError::new(ErrorKind::Rejected(r.status()), r.body_text()))
}

/// Customer ids are positive integers; anything else is a client error, not a miss.
fn customer_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>().map_err(|_| {
        ApiError::new(
            ErrorKind::BadRequest,
            format!("customer id must be an integer, got {raw:?}"),
        )
    })
}

/// A phone number as sent: `{"number": "010-1234-5678", "label": "work"}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PhoneBody {
    number: String,
    #[serde(default)]
    label: Label,
}

#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Label {
    #[default]
    Mobile,
    Home,
    Work,
    Other,
}

impl From<Label> for PhoneLabel {
    fn from(l: Label) -> Self {
        match l {
            Label::Mobile => PhoneLabel::Mobile,
            Label::Home => PhoneLabel::Home,
            Label::Work => PhoneLabel::Work,
            Label::Other => PhoneLabel::Other,
        }
    }
}

fn phones(list: Vec<PhoneBody>) -> Vec<NewPhone> {
    list.into_iter()
        .map(|p| NewPhone::new(p.number, p.label.into()))
        .collect()
}

/// `POST /api/customers` body: [`NewCustomer`]'s fields.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
    grade: Option<String>,
    segment: Option<String>,
    preferred_language: Option<String>,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    phones: Vec<PhoneBody>,
}

/// `PATCH /api/customers/{id}` body: a key that is absent is left alone; `null` clears
/// `segment` and `preferred_language` and is refused for the other fields.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PatchBody {
    #[serde(default, deserialize_with = "present")]
    name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    grade: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    segment: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    preferred_language: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    notes: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    phones: Option<Option<Vec<PhoneBody>>>,
}

/// Tells a key given as `null` (`Some(None)`) from an absent one (`None`, via `default`).
pub(crate) fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Refuses `null` for a field that cannot be cleared.
fn not_null<T>(
    field: &'static str,
    v: Option<Option<T>>,
    hint: &str,
) -> Result<Option<T>, ApiError> {
    match v {
        Some(None) => Err(field_error(field, format!("must not be null{hint}"))),
        Some(Some(v)) => Ok(Some(v)),
        None => Ok(None),
    }
}

impl PatchBody {
    fn into_patch(self) -> Result<CustomerPatch, ApiError> {
        Ok(CustomerPatch {
            name: not_null("name", self.name, "")?,
            grade: not_null("grade", self.grade, "")?,
            segment: self.segment,
            preferred_language: self.preferred_language,
            notes: not_null("notes", self.notes, "; send \"\" to clear the notes")?,
            phones: not_null("phones", self.phones, "; send [] to remove every number")?
                .map(phones),
        })
    }
}

async fn create(
    State(app): State<App>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let b: CreateBody = json_body(&headers, body)?;
    let new = NewCustomer {
        name: b.name,
        grade: b.grade,
        segment: b.segment,
        preferred_language: b.preferred_language,
        notes: b.notes,
        phones: phones(b.phones),
    };
    let customer = app
        .crm
        .create_customer(&new, Utc::now())
        .await
        .map_err(|e| crm_error(e, "phones"))?;
    let location = format!("/api/customers/{}", customer.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(customer),
    )
        .into_response())
}

async fn read(State(app): State<App>, Path(id): Path<String>) -> ApiResult {
    let id = customer_id(&id)?;
    match app.crm.customer(id).await {
        Ok(Some(c)) => Ok(Json(c).into_response()),
        Ok(None) => Err(crm_error(CrmError::UnknownCustomer(id), "phones")),
        Err(e) => Err(crm_error(e, "phones")),
    }
}

async fn update(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let id = customer_id(&id)?;
    let patch = json_body::<PatchBody>(&headers, body)?.into_patch()?;
    let customer = app
        .crm
        .update_customer(id, &patch, Utc::now())
        .await
        .map_err(|e| crm_error(e, "phones"))?;
    Ok(Json(customer).into_response())
}

async fn by_number(State(app): State<App>, Path(number): Path<String>) -> ApiResult {
    match app.crm.customer_by_number(&number).await {
        Ok(Some(c)) => Ok(Json(c).into_response()),
        Ok(None) => Err(ApiError::new(
            ErrorKind::NotFound,
            format!("no customer with the number {number:?}"),
        )),
        Err(e) => Err(crm_error(e, "number")),
    }
}

/// `GET /api/customers` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchParams {
    /// Text in the name or a number.
    q: Option<String>,
    /// A whole or partial number in any form (`010-1234`, `+8210...`).
    phone: Option<String>,
    grade: Option<String>,
    segment: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

impl SearchParams {
    fn into_query(self) -> Result<CustomerQuery, ApiError> {
        if self.segment.is_some() {
            return Err(field_error(
                "segment",
                "filtering by segment is not supported by the CRM search yet",
            ));
        }
        let text = match (self.q, self.phone) {
            (Some(_), Some(_)) => {
                return Err(field_error(
                    "phone",
                    "give q or phone, not both: the search has one text filter",
                ))
            }
            (None, Some(p)) => Some(phone_fragment(p)?),
            (q, None) => q,
        };
        let limit = self.limit.unwrap_or(50);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(field_error(
                "limit",
                format!("must be 1 to {MAX_PAGE}, got {limit}"),
            ));
        }
        Ok(CustomerQuery {
            text,
            grade: self.grade,
            limit,
            offset: self.offset.unwrap_or(0),
        })
    }
}

/// A number filter may hold only what numbers are written with, so it never matches names.
fn phone_fragment(p: String) -> Result<String, ApiError> {
    let digits = p.chars().filter(char::is_ascii_digit).count();
    let only_number_chars = p
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '.' | '(' | ')'));
    if digits == 0 || !only_number_chars {
        return Err(field_error(
            "phone",
            format!("{p:?} is not a number: use digits, a leading +, spaces, dashes, dots or parentheses"),
        ));
    }
    Ok(p)
}

async fn search(
    State(app): State<App>,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> ApiResult {
    let Query(params) = params.map_err(|r| ApiError::bad_request(r.body_text()))?;
    let query = params.into_query()?;
    let list = app
        .crm
        .search_customers(&query)
        .await
        .map_err(|e| crm_error(e, "phone"))?;
    Ok(Json(list).into_response())
}

/// `POST /api/customers/import` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportParams {
    /// Country code for national numbers in this file; default the switch's.
    default_country_code: Option<String>,
}

/// One row the import skipped.
#[derive(Debug, serde::Serialize)]
struct RowError {
    line: u64,
    message: String,
}

async fn import(
    State(app): State<App>,
    params: Result<Query<ImportParams>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let Query(params) = params.map_err(|r| ApiError::bad_request(r.body_text()))?;
    let body = body_bytes(body, CSV_LIMIT)?;
    if !content_type_is(&headers, "text/csv") {
        return Err(ApiError::new(
            ErrorKind::UnsupportedMediaType,
            "Content-Type must be text/csv",
        ));
    }
    let cc = params
        .default_country_code
        .unwrap_or_else(|| app.crm.default_country_code().to_owned());
    let report = app
        .crm
        .import_customers_csv(body.as_ref(), &cc, Utc::now())
        .await
        .map_err(|e| crm_error(e, "default_country_code"))?;
    let errors: Vec<RowError> = report
        .errors
        .into_iter()
        .map(|(line, message)| RowError { line, message })
        .collect();
    Ok(Json(serde_json::json!({
        "created": report.created,
        "updated": report.updated,
        "errors": errors,
        "error_count": report.error_count,
    }))
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(json: &str) -> Result<CustomerPatch, ApiError> {
        Json::<PatchBody>::from_bytes(json.as_bytes())
            .map_err(|r| ApiError::new(ErrorKind::Rejected(r.status()), r.body_text()))?
            .0
            .into_patch()
    }

    #[test]
    fn patch_tells_null_from_absent() {
        let p = patch(r#"{"segment": null, "grade": "VIP"}"#).expect("valid patch");
        assert_eq!(p.segment, Some(None));
        assert_eq!(p.preferred_language, None);
        assert_eq!(p.grade.as_deref(), Some("VIP"));
        assert_eq!(p.name, None);
        let err = patch(r#"{"name": null}"#).expect_err("null name");
        assert_eq!(
            (err.status(), err.field_name()),
            (StatusCode::BAD_REQUEST, Some("name"))
        );
        let err = patch(r#"{"phones": null}"#).expect_err("null phones");
        assert_eq!(err.field_name(), Some("phones"));
    }

    #[test]
    fn body_errors_name_the_field() {
        let err = patch(r#"{"nmae": "x"}"#).expect_err("unknown field");
        assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(err.message().contains("nmae"), "{}", err.message());
        let err = patch(r#"{"phones": [{"number": "1", "label": "fax"}]}"#).expect_err("label");
        assert!(
            err.message().contains("phones[0].label"),
            "{}",
            err.message()
        );
        let err = patch(r#"{"grade": 5}"#).expect_err("wrong type");
        assert!(err.message().contains("grade"), "{}", err.message());
    }

    #[test]
    fn search_parameters_are_checked() {
        let params = |q: Option<&str>, phone: Option<&str>, limit: Option<u32>| SearchParams {
            q: q.map(Into::into),
            phone: phone.map(Into::into),
            grade: None,
            segment: None,
            limit,
            offset: None,
        };
        let q = params(None, Some("010-1234"), None)
            .into_query()
            .expect("phone");
        assert_eq!((q.text.as_deref(), q.limit), (Some("010-1234"), 50));
        let field = |p: SearchParams| {
            p.into_query()
                .expect_err("refused")
                .field_name()
                .map(str::to_owned)
        };
        assert_eq!(
            field(params(None, Some("Kim"), None)).as_deref(),
            Some("phone")
        );
        assert_eq!(
            field(params(Some("a"), Some("1"), None)).as_deref(),
            Some("phone")
        );
        assert_eq!(field(params(None, None, Some(0))).as_deref(), Some("limit"));
        assert_eq!(
            field(params(None, None, Some(MAX_PAGE + 1))).as_deref(),
            Some("limit")
        );
        assert!(params(None, None, Some(MAX_PAGE)).into_query().is_ok());
    }

    #[test]
    fn crm_errors_map_to_statuses_without_leaking_sql() {
        let taken = crm_error(
            CrmError::NumberTaken {
                number: "+821012345678".into(),
                owner: Some(3),
            },
            "phones",
        );
        assert_eq!(
            (taken.status(), taken.field_name()),
            (StatusCode::CONFLICT, Some("phones"))
        );
        let missing = crm_error(CrmError::UnknownCustomer(9), "phones");
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        let db = crm_error(
            CrmError::CorruptValue {
                column: "grade",
                value: "x'; DROP TABLE customers; --".into(),
            },
            "phones",
        );
        assert_eq!(db.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(db.message(), "database error");
        assert_eq!(customer_id("12").ok(), Some(12));
        assert_eq!(
            customer_id("1 OR 1=1").map_err(|e| e.status()).err(),
            Some(StatusCode::BAD_REQUEST)
        );
    }
}
