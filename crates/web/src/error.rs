//! Errors as users see them: a friendly page in the UI, `application/problem+json` (RFC 9457)
//! in the API. Internal details go to the log, never to the response.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use normverk_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// An unexpected failure; logged, and shown only as "something went wrong".
#[derive(Debug)]
pub struct Internal(pub String);

/// Why a page could not be shown. The friendly page itself is drawn by the page middleware,
/// which knows the reader's language.
#[derive(Debug)]
pub enum PageError {
    LoginRequired,
    NoOrganisation,
    Forbidden,
    NotFound,
    Internal(String),
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::LoginRequired => Redirect::to("/login").into_response(),
            PageError::NoOrganisation => (StatusCode::FORBIDDEN, ErrorKind::NoOrganisation).into_response(),
            PageError::Forbidden => StatusCode::FORBIDDEN.into_response(),
            PageError::NotFound => StatusCode::NOT_FOUND.into_response(),
            PageError::Internal(message) => {
                tracing::error!(%message, "page failed");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

/// A hint to the page middleware about which explanation to show.
#[derive(Debug, Clone, Copy)]
pub enum ErrorKind {
    NoOrganisation,
}

impl IntoResponse for ErrorKind {
    fn into_response(self) -> Response {
        let mut r = ().into_response();
        r.extensions_mut().insert(self);
        r
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => PageError::NotFound,
            other => PageError::Internal(other.to_string()),
        }
    }
}

impl From<normverk_app::account::HashError> for PageError {
    fn from(e: normverk_app::account::HashError) -> Self {
        PageError::Internal(e.0)
    }
}

impl From<Internal> for PageError {
    fn from(e: Internal) -> Self {
        PageError::Internal(e.0)
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        PageError::Internal(format!("template: {e}"))
    }
}

/// One field that was wrong, and what is allowed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    /// The field's name in the request (JSON pointer style for nested fields).
    pub field: String,
    pub message: String,
}

impl From<normverk_core::problem::Problem> for FieldError {
    /// A rule's problem in the API's words (English).
    fn from(p: normverk_core::problem::Problem) -> Self {
        FieldError { field: p.field.into(), message: p.message }
    }
}

/// An RFC 9457 problem detail.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem; `about:blank` when the status says it all.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Field-level details for validation problems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug)]
pub struct ApiError(pub StatusCode, pub Problem);

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        ApiError(
            status,
            Problem {
                kind: "about:blank".into(),
                title: status.canonical_reason().unwrap_or("Error").into(),
                status: status.as_u16(),
                detail: Some(detail.into()),
                errors: Vec::new(),
            },
        )
    }

    pub fn unauthorized(detail: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, detail)
    }

    pub fn forbidden(detail: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, detail)
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "no such object in this organisation")
    }

    /// 422 with the fields that were wrong.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let mut e = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "the request has invalid fields");
        e.1.kind = "https://normverk.no/problems/validation".into();
        e.1.errors = errors;
        e
    }

    /// 422 with the rules' problems.
    pub fn problems(problems: Vec<normverk_core::problem::Problem>) -> Self {
        Self::invalid(problems.into_iter().map(FieldError::from).collect())
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::invalid(vec![FieldError { field: field.into(), message: message.into() }])
    }
}

pub fn problem_response(status: StatusCode, problem: &Problem) -> Response {
    let body = serde_json::to_vec(problem).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, "application/problem+json")], body).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        problem_response(self.0, &self.1)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found(),
            StoreError::Conflict(what) => ApiError::new(StatusCode::CONFLICT, format!("already exists: {what}")),
            StoreError::InUse(by) => ApiError::new(
                StatusCode::CONFLICT,
                format!("still referred to by {by}: change or remove those first; nothing was changed"),
            ),
            StoreError::Rejected(why) => match why.field() {
                Some(field) => ApiError::field(field, why.to_string()),
                None => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, why.to_string()),
            },
            other => {
                tracing::error!(error = %other, "API request failed");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "an internal error occurred; it has been logged")
            }
        }
    }
}
