//! Every error answer of the HTTP API, as JSON `{"error", "status", "code", "field"?}`.
//! The mapping from error to status lives here and nowhere else.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::ops::OpError;

/// An HTTP-level failure: an operation's error, or one the transport itself detects.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Op(#[from] OpError),
    #[error(
        "missing API key: send the header `Authorization: Bearer <key>`; `tidsreg-gpt serve` prints the key to paste in the GPT editor (Actions → Authentication → API Key → Bearer)"
    )]
    MissingKey,
    #[error(
        "API key or access token not recognised: use the key `tidsreg-gpt serve` printed (Authorization: Bearer <key>), or refresh the OAuth access token or sign in again"
    )]
    WrongKey,
    #[error("{0}")]
    BadBody(String),
    #[error("no such endpoint: {0}; see /openapi.yaml for the operations this server offers")]
    NotFound(String),
    #[error(
        "method {method} is not allowed on {path}; see /openapi.yaml for the methods each path takes"
    )]
    MethodNotAllowed { method: String, path: String },
    #[error("too many requests; wait {retry_after_secs} seconds (Retry-After), then retry once")]
    RateLimited { retry_after_secs: u64 },
    /// An answer the HTTP stack produced itself (body too large, time-out…), turned into
    /// our JSON shape by `middleware::frame`.
    #[error("{message}")]
    Transport {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: String,
    status: u16,
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            Self::Op(op) => match op {
                OpError::BadInput { .. } => StatusCode::BAD_REQUEST,
                OpError::Refused(_) => StatusCode::CONFLICT,
                OpError::NotFound { .. } => StatusCode::NOT_FOUND,
                OpError::LoginRequired
                | OpError::SessionExpired
                | OpError::SignInEnded
                | OpError::LoginRejected
                | OpError::StoredLoginRejected => StatusCode::UNAUTHORIZED,
                OpError::Upstream(_) => StatusCode::BAD_GATEWAY,
                OpError::UpstreamTimeout | OpError::BookingInDoubt => StatusCode::GATEWAY_TIMEOUT,
                OpError::TooManyFailedSignIns { .. } => StatusCode::TOO_MANY_REQUESTS,
                OpError::StoreUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            },
            Self::MissingKey | Self::WrongKey => StatusCode::UNAUTHORIZED,
            Self::BadBody(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Transport { status, .. } => *status,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Op(op) => op.code(),
            Self::MissingKey | Self::WrongKey => "unauthorized",
            Self::BadBody(_) => "bad_request",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::RateLimited { .. } => "rate_limited",
            Self::Transport { code, .. } => code,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let field = match &self {
            Self::Op(op) => op.field(),
            _ => None,
        };
        let body = ErrorBody {
            error: self.to_string(),
            status: status.as_u16(),
            code: self.code(),
            field,
        };
        let mut response = (status, Json(body)).into_response();
        if matches!(self, Self::MissingKey | Self::WrongKey) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        let retry_after = match self {
            Self::RateLimited { retry_after_secs }
            | Self::Op(OpError::TooManyFailedSignIns { retry_after_secs }) => {
                Some(retry_after_secs)
            }
            _ => None,
        };
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
