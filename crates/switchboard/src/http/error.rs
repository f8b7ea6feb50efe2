//! The one error answer of every route: a kind (what went wrong, mapped to a status code here and
//! nowhere else) and a body. Bodies are `{"error": "..."}`, with `"field"` when one input field
//! is to blame, or `{"errors": [{"field", "message"}...]}` when a definition has several
//! problems; a database failure is logged and answered `database error` without details.
//! Answers of the switch core (`QueueChangeError`, `AgentCommandError`, `ClickToDialError`) map
//! by their variants.

use crate::config::queue_definition::FieldError;
use crate::switch::{AgentCommandError, ClickToDialError, MonitorError, QueueChangeError};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// What went wrong, from the client's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request is malformed or a value is out of range (400).
    BadRequest,
    /// No (valid) credentials (401).
    Unauthorized,
    /// Not for this account (403).
    Forbidden,
    /// No such object (404).
    NotFound,
    /// The change collides with the current state (409).
    Conflict,
    /// The object existed and was deleted (410).
    Gone,
    /// Well-formed but unusable body (422).
    Unprocessable,
    /// Body over the route's limit (413).
    TooLarge,
    /// Wrong Content-Type (415).
    UnsupportedMediaType,
    /// A byte range outside the file (416).
    RangeNotSatisfiable,
    /// Too many failed attempts (429).
    TooManyRequests,
    /// The switch core is not answering: it is stopping (503).
    Unavailable,
    /// Our fault (500).
    Internal,
    /// An extractor's rejection, with the status axum chose.
    Rejected(StatusCode),
}

impl ErrorKind {
    /// The status code of each kind: the only place they are chosen.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
            ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::Gone => StatusCode::GONE,
            ErrorKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorKind::RangeNotSatisfiable => StatusCode::RANGE_NOT_SATISFIABLE,
            ErrorKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorKind::Rejected(status) => status,
        }
    }
}

#[derive(Debug)]
enum Body {
    /// `{"error": message}`, plus `"field"` and `"reason"` when set.
    Error {
        message: String,
        field: Option<String>,
        /// Which refusal, as a code a page can name in its language (`phone_offline`).
        reason: Option<&'static str>,
    },
    /// `{"errors": [...]}`.
    Errors(Vec<FieldError>),
    /// A plain-text line (the older routes' answers: `database error`, `no such CDR`).
    Text(&'static str),
}

/// An error answer; see the module doc.
#[derive(Debug)]
pub struct ApiError {
    kind: ErrorKind,
    body: Body,
}

/// What a handler returns.
pub type ApiResult<T = Response> = Result<T, ApiError>;

impl ApiError {
    /// `kind` with `{"error": message}`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            body: Body::Error {
                message: message.into(),
                field: None,
                reason: None,
            },
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, message)
    }

    /// The switch core did not answer: it is stopping.
    pub fn stopping() -> Self {
        Self::new(ErrorKind::Unavailable, "switch is stopping")
    }

    /// `kind` with a plain-text body.
    pub fn text(kind: ErrorKind, text: &'static str) -> Self {
        ApiError {
            kind,
            body: Body::Text(text),
        }
    }

    /// One input field at fault: `{"error": message, "field": field}`.
    pub fn field(kind: ErrorKind, field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            body: Body::Error {
                message: message.into(),
                field: Some(field.into()),
                reason: None,
            },
        }
    }

    /// `{"error": message, "reason": reason}`: a refusal a page explains by its code.
    pub fn with_reason(kind: ErrorKind, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            body: Body::Error {
                message: message.into(),
                field: None,
                reason: Some(reason),
            },
        }
    }

    /// Problems of a definition, each by field (400, `{"errors": [...]}`).
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        ApiError {
            kind: ErrorKind::BadRequest,
            body: Body::Errors(errors),
        }
    }

    /// A database failure: logged with its details, answered without them.
    pub fn database(e: crm::CrmError) -> Self {
        tracing::error!(error = %e, "CRM query failed");
        Self::text(ErrorKind::Internal, "database error\n")
    }
}

/// What tests look at.
#[cfg(test)]
impl ApiError {
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn status(&self) -> StatusCode {
        self.kind.status()
    }

    /// The input field at fault, if one is named.
    pub fn field_name(&self) -> Option<&str> {
        match &self.body {
            Body::Error { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    /// The `"error"` message (or the text line).
    pub fn message(&self) -> &str {
        match &self.body {
            Body::Error { message, .. } => message,
            Body::Text(text) => text,
            Body::Errors(_) => "",
        }
    }
}

/// `404 Not Found: no such task`, for logs and tests that pass errors on.
impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let message = match &self.body {
            Body::Error { message, .. } => message.clone(),
            Body::Text(text) => text.trim_end().to_owned(),
            Body::Errors(errors) => format!("{} problems", errors.len()),
        };
        write!(f, "{}: {message}", self.kind.status())
    }
}

impl std::error::Error for ApiError {}

impl From<crm::CrmError> for ApiError {
    fn from(e: crm::CrmError) -> Self {
        ApiError::database(e)
    }
}

impl From<QueueChangeError> for ApiError {
    fn from(e: QueueChangeError) -> Self {
        match e {
            QueueChangeError::NotFound(m) => ApiError::not_found(m),
            QueueChangeError::Conflict(m) => ApiError::conflict(m),
            QueueChangeError::Invalid { field, message } => {
                ApiError::invalid(vec![FieldError::new(field, message)])
            }
        }
    }
}

/// Each refusal's status and `reason` code (the agent page says it in the user's language).
impl From<ClickToDialError> for ApiError {
    fn from(e: ClickToDialError) -> Self {
        // No extension, phone offline, agent busy: the agent's state, not the request (409).
        let (kind, reason) = match &e {
            ClickToDialError::UnknownAgent(_) => (ErrorKind::NotFound, "unknown_agent"),
            ClickToDialError::InvalidNumber(_) => (ErrorKind::BadRequest, "invalid_number"),
            ClickToDialError::NumberDenied { .. } => (ErrorKind::Forbidden, "number_denied"),
            ClickToDialError::NoTrunk(_) => (ErrorKind::Unavailable, "no_trunk"),
            ClickToDialError::Overloaded => (ErrorKind::Unavailable, "overloaded"),
            ClickToDialError::NoExtension(_) => (ErrorKind::Conflict, "no_extension"),
            ClickToDialError::PhoneOffline { .. } => (ErrorKind::Conflict, "phone_offline"),
            ClickToDialError::AgentBusy(_) => (ErrorKind::Conflict, "agent_busy"),
            // A refusal added later: the page shows its message.
            _ => (ErrorKind::Conflict, "other"),
        };
        ApiError::with_reason(kind, reason, e.to_string())
    }
}

impl From<crate::switch::ConsultError> for ApiError {
    fn from(e: crate::switch::ConsultError) -> Self {
        use crate::switch::ConsultError as C;
        let kind = match &e {
            C::UnknownAgent(_) => ErrorKind::NotFound,
            C::EmptyTarget | C::UnknownTarget(_) | C::OwnPhone(_) => ErrorKind::BadRequest,
            C::NumberDenied { .. } => ErrorKind::Forbidden,
            C::NoTrunk(_) => ErrorKind::Unavailable,
            // The agent's, the call's or the target's state, not the request (409).
            _ => ErrorKind::Conflict,
        };
        ApiError::with_reason(kind, e.reason(), e.to_string())
    }
}

impl From<MonitorError> for ApiError {
    fn from(e: MonitorError) -> Self {
        let kind = match &e {
            MonitorError::UnknownAgent(_) => ErrorKind::NotFound,
            MonitorError::NotSupervisor(_) | MonitorError::OutsideTeams { .. } => {
                ErrorKind::Forbidden
            }
            // The agent's, the call's or the phone's state, not the request (409).
            _ => ErrorKind::Conflict,
        };
        ApiError::with_reason(kind, e.reason(), e.to_string())
    }
}

impl From<AgentCommandError> for ApiError {
    fn from(e: AgentCommandError) -> Self {
        match e {
            AgentCommandError::NoAgent(_) => ApiError::not_found(e.to_string()),
            AgentCommandError::Refused(m) => ApiError::conflict(m),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.kind.status();
        match self.body {
            Body::Error {
                message,
                field,
                reason,
            } => {
                let mut body = serde_json::json!({ "error": message });
                if let Some(field) = field {
                    body["field"] = field.into();
                }
                if let Some(reason) = reason {
                    body["reason"] = reason.into();
                }
                (status, Json(body)).into_response()
            }
            Body::Errors(errors) => {
                (status, Json(serde_json::json!({ "errors": errors }))).into_response()
            }
            Body::Text(text) => (status, text).into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn parts(e: ApiError) -> (StatusCode, String) {
        let r = e.into_response();
        let status = r.status();
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 16)
            .await
            .unwrap_or_default();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    #[tokio::test]
    async fn kinds_map_to_their_status_and_bodies_keep_their_shape() {
        assert_eq!(
            parts(ApiError::not_found("no agent x")).await,
            (StatusCode::NOT_FOUND, r#"{"error":"no agent x"}"#.into())
        );
        assert_eq!(
            parts(ApiError::field(ErrorKind::Conflict, "phones", "taken")).await,
            (
                StatusCode::CONFLICT,
                r#"{"error":"taken","field":"phones"}"#.into()
            )
        );
        assert_eq!(
            parts(ApiError::invalid(vec![FieldError::new("name", "bad")])).await,
            (
                StatusCode::BAD_REQUEST,
                r#"{"errors":[{"field":"name","message":"bad"}]}"#.into()
            )
        );
        assert_eq!(
            parts(ApiError::text(ErrorKind::Internal, "database error\n")).await,
            (StatusCode::INTERNAL_SERVER_ERROR, "database error\n".into())
        );
        assert_eq!(
            ApiError::stopping().kind().status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[test]
    fn core_answers_map_by_variant() {
        let e = ApiError::from(AgentCommandError::NoAgent("x".into()));
        assert_eq!(e.kind(), ErrorKind::NotFound);
        let e = ApiError::from(AgentCommandError::Refused("no agent-like text".into()));
        assert_eq!(e.kind(), ErrorKind::Conflict);
        let e = ApiError::from(QueueChangeError::Conflict("in use".into()));
        assert_eq!(e.kind(), ErrorKind::Conflict);
        for (e, status) in [
            (ClickToDialError::UnknownAgent("x".into()), 404),
            (ClickToDialError::AgentBusy("x".into()), 409),
            (ClickToDialError::InvalidNumber("x".into()), 400),
            (ClickToDialError::NoTrunk("1".into()), 503),
            (
                ClickToDialError::NumberDenied {
                    number: "112".into(),
                    prefix: "112".into(),
                },
                403,
            ),
        ] {
            assert_eq!(ApiError::from(e).status().as_u16(), status);
        }
    }

    /// The agent page names a click-to-dial refusal by its code, not by its English text.
    #[tokio::test]
    async fn click_to_dial_refusals_carry_their_reason_code() {
        let offline = ClickToDialError::PhoneOffline {
            agent: "a1".into(),
            extension: "2002".into(),
        };
        let (status, body) = parts(ApiError::from(offline)).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        assert_eq!(v["reason"], "phone_offline", "{body}");
        assert!(
            v["error"].as_str().is_some_and(|m| m.contains("2002")),
            "{body}"
        );
        let (_, body) = parts(ApiError::from(ClickToDialError::NoTrunk("1".into()))).await;
        assert!(body.contains(r#""reason":"no_trunk""#), "{body}");
        let (_, body) = parts(ApiError::not_found("no agent x")).await;
        assert!(!body.contains("reason"), "{body}");
    }
}
