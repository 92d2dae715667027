//! Looker's error bodies, as the spec's `Error` (`{"message", "documentation_url"}`) and
//! `ValidationError` (also `errors: [{field, code, message, documentation_url}]`). The status
//! for each engine error is decided here once.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::EngineError;
use wire::schemas::{ValidationError, ValidationErrorDetail};

/// Looker's API reference. Deliberately not one of Looker's `/r/err/…` addresses: the official
/// SDKs fetch those from the internet to decorate errors.
pub const DOCUMENTATION_URL: &str = "https://cloud.google.com/looker/docs/reference/looker-api/latest";

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// (field, code, message) for 422 answers.
    pub errors: Vec<(String, String, String)>,
    /// Seconds to send as `Retry-After` (429).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError { status, message: message.into(), errors: Vec::new(), retry_after: None }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Requires authentication.")
    }

    /// 422 with one field error.
    pub fn validation(field: &str, code: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: "Validation Failed".into(),
            errors: vec![(field.into(), code.into(), message)],
            retry_after: None,
        }
    }

    /// 429: the caller's request rate is used up; `wait` says until when.
    pub fn too_many_requests(wait: std::time::Duration) -> Self {
        let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("Too many requests: this user's request rate is used up; retry in {seconds} s"),
        );
        e.retry_after = Some(seconds);
        e
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(status = %self.status, message = %self.message, "request failed");
        }
        if let Some(seconds) = self.retry_after {
            let body = wire::schemas::Error { message: self.message, documentation_url: DOCUMENTATION_URL.into() };
            return (self.status, [(axum::http::header::RETRY_AFTER, seconds.to_string())], Json(body)).into_response();
        }
        if self.errors.is_empty() {
            let body = wire::schemas::Error { message: self.message, documentation_url: DOCUMENTATION_URL.into() };
            return (self.status, Json(body)).into_response();
        }
        let errors = self
            .errors
            .into_iter()
            .map(|(field, code, message)| ValidationErrorDetail {
                field: Some(field),
                code: Some(code),
                message: Some(message),
                documentation_url: DOCUMENTATION_URL.into(),
            })
            .collect();
        let body = ValidationError { message: self.message, errors: Some(errors), documentation_url: DOCUMENTATION_URL.into() };
        (self.status, Json(body)).into_response()
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        let message = e.to_string();
        match e {
            EngineError::UnknownModel(_) => ApiError::validation("model", "not_found", message),
            EngineError::Compile(c) => ApiError::validation(c.request_field(), "invalid", message),
            EngineError::NotSupported { field, .. } => ApiError::validation(field, "not_supported", message),
            EngineError::Invalid { field, .. } => ApiError::validation(field, "invalid", message),
            EngineError::NotFound { .. } | EngineError::NotRunning { .. } => ApiError::not_found(message),
            EngineError::Forbidden(_) => ApiError::new(StatusCode::FORBIDDEN, message),
            EngineError::Cancelled => ApiError::bad_request(message),
            EngineError::Conflict(_) => ApiError::conflict(message),
            EngineError::Database(_)
            | EngineError::NoConnection(_)
            | EngineError::ResultTooLarge { .. }
            | EngineError::OverMemory { .. } => ApiError::bad_request(message),
            EngineError::Format(format::FormatError::NotSupported(_)) => ApiError::validation("result_format", "not_supported", message),
            EngineError::Render(render::RenderError::Size { .. }) => ApiError::validation("width", "invalid", message),
            EngineError::Format(_) | EngineError::Render(_) | EngineError::Store(_) | EngineError::Internal(_) => {
                ApiError::internal(message)
            }
        }
    }
}

impl From<store::StoreError> for ApiError {
    fn from(e: store::StoreError) -> Self {
        ApiError::internal(e.to_string())
    }
}
