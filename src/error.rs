//! The one error type that REST handlers return, and the table of stable error codes.
//!
//! Every error reaches the client as `{"error": {"code", "message", "requestId"}}`. Internal
//! errors carry a fixed message and the request id; their cause goes to the log only.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::domain::ValidationError;
use crate::telemetry::current_request_id;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Validation(#[from] ValidationError),
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("authentication required: send `Authorization: Bearer <token>`")]
    Unauthorized,
    #[error("sign-in failed: the token is invalid, revoked or expired")]
    InvalidCredentials,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{message}")]
    PreconditionFailed {
        message: String,
        current_version: i32,
    },
    #[error("request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("too many requests; retry after {} seconds", decision.retry_after_secs())]
    RateLimited {
        limiter: crate::security::Limiter,
        decision: crate::security::Decision,
    },
    #[error("missing or invalid X-CSRF-Token header; reload the page and try again")]
    CsrfFailed,
    #[error("{0}")]
    SuspiciousInput(String),
    /// A service this request needs (such as the embedding provider) failed; the cause is
    /// logged, the client gets `message`.
    #[error("{message}")]
    Unavailable { code: &'static str, message: String },
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// Marks a response with the error code it carries, for the audit middleware.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode(pub &'static str);

#[derive(Serialize)]
struct Envelope<'a> {
    error: Body<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    current_version: Option<i32>,
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Self::Internal(error.into())
    }

    /// Returns the stable, machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(error) => error.code(),
            Self::BadRequest { code, .. } => code,
            Self::Unauthorized | Self::InvalidCredentials => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::PreconditionFailed { .. } => "version_mismatch",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::RateLimited { limiter, .. }
                if *limiter == crate::security::Limiter::AuthFailures =>
            {
                "too_many_auth_failures"
            }
            Self::RateLimited { .. } => "rate_limited",
            Self::SuspiciousInput(_) => "suspicious_input",
            Self::CsrfFailed => "csrf_failed",
            Self::Unavailable { code, .. } => code,
            Self::Internal(_) => "internal_error",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Validation(error) if error.is_too_large() => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::SuspiciousInput(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::CsrfFailed => StatusCode::FORBIDDEN,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let request_id = current_request_id();
        let message = match self {
            Self::Internal(source) => {
                tracing::error!(
                    request_id = request_id.as_deref().unwrap_or("-"),
                    error = %source,
                    error.chain = ?source,
                    "request failed with an internal error"
                );
                "internal error; report the request id to the operator".to_owned()
            }
            other => other.to_string(),
        };
        let current_version = match self {
            Self::PreconditionFailed {
                current_version, ..
            } => Some(*current_version),
            _ => None,
        };
        let mut response = HttpResponse::build(self.status_code());
        if let Self::RateLimited { limiter, decision } = self {
            response
                .insert_header((header::RETRY_AFTER, decision.retry_after_secs().to_string()))
                .insert_header(("RateLimit-Policy", decision.policy_header(*limiter)))
                .insert_header(("RateLimit", decision.limit_header(*limiter)));
        }
        if matches!(self, Self::Unauthorized) {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"mcp-markdown-manager\""),
            ));
        }
        let mut response = response.json(Envelope {
            error: Body {
                code: self.code(),
                message,
                request_id,
                current_version,
            },
        });
        response.extensions_mut().insert(ErrorCode(self.code()));
        response
    }
}

/// Maps actix-web's JSON, path and query extractor failures into the same envelope.
pub fn json_error_handler(
    error: actix_web::error::JsonPayloadError,
    _request: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::JsonPayloadError;
    let api_error = match &error {
        JsonPayloadError::OverflowKnownLength { limit, .. }
        | JsonPayloadError::Overflow { limit } => ApiError::PayloadTooLarge { limit: *limit },
        JsonPayloadError::ContentType => ApiError::bad_request(
            "unsupported_content_type",
            "request body must be JSON: send `Content-Type: application/json`",
        ),
        JsonPayloadError::Deserialize(inner) if inner.is_data() => ApiError::bad_request(
            "invalid_body",
            format!("request body has an invalid field: {inner}"),
        ),
        JsonPayloadError::Deserialize(inner) => ApiError::bad_request(
            "malformed_json",
            format!("request body is not valid JSON: {inner}"),
        ),
        other => ApiError::bad_request(
            "invalid_body",
            format!("could not read the request body: {other}"),
        ),
    };
    api_error.into()
}

pub fn query_error_handler(
    error: actix_web::error::QueryPayloadError,
    _request: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::bad_request("invalid_query", format!("invalid query string: {error}")).into()
}

pub fn path_error_handler(
    error: actix_web::error::PathError,
    _request: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::bad_request("invalid_path", format!("invalid path parameter: {error}")).into()
}

impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> Self {
        use crate::store::StoreError;
        match error {
            StoreError::ArticleNotFound(slug) => Self::NotFound(format!(
                "article {slug:?} not found; list articles to see valid slugs"
            )),
            StoreError::VersionNotFound { slug, version } => Self::NotFound(format!(
                "article {slug:?} has no version {version}; list its versions to see valid numbers"
            )),
            StoreError::SlugTaken(slug) => Self::Conflict(format!(
                "an article with slug {slug:?} already exists; choose another title or slug"
            )),
            StoreError::VersionMismatch {
                slug,
                expected,
                current,
            } => Self::PreconditionFailed {
                message: format!(
                    "article {slug:?} was changed by someone else: it is at version {current}, \
                     not {expected}; read it again and reapply your change"
                ),
                current_version: current,
            },
            StoreError::FolderNotFound(folder) => {
                Self::NotFound(format!("folder {folder:?} not found or empty"))
            }
            too_deep @ StoreError::FolderTooDeep { .. } => {
                Self::bad_request("invalid_folder", too_deep.to_string())
            }
            StoreError::TokenNotFound(id) => Self::NotFound(format!("access token {id} not found")),
            other => Self::internal(other),
        }
    }
}

impl From<crate::search::SearchError> for ApiError {
    fn from(error: crate::search::SearchError) -> Self {
        use crate::search::SearchError;
        match error {
            SearchError::SemanticDisabled => Self::bad_request(error.code(), error.to_string()),
            SearchError::Provider(cause) => {
                tracing::error!(
                    request_id = current_request_id().as_deref().unwrap_or("-"),
                    error = %cause,
                    "failed to embed a search query"
                );
                Self::Unavailable {
                    code: "embedding_provider_unavailable",
                    message: "the embedding provider failed; retry later, or use mode=fulltext"
                        .to_owned(),
                }
            }
            SearchError::Store(cause) => cause.into(),
        }
    }
}
