//! Errors of the token, revocation and registration endpoints, in the shape their RFCs fix:
//! `{"error": "invalid_grant", "error_description": "..."}` (RFC 6749 §5.2, RFC 7591 §3.2.2).
//! The rest of our HTTP API keeps its own `{"error","status","code"}` shape.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::store::StoreError;

/// One OAuth error: the registered code, words for the developer, and the HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub code: &'static str,
    pub description: String,
    status: StatusCode,
    /// Seconds to wait before trying again (`Retry-After`), on a 429.
    retry_after_secs: Option<u64>,
}

impl OAuthError {
    fn new(code: &'static str, status: StatusCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            status,
            retry_after_secs: None,
        }
    }

    /// Too many registrations (429 with `Retry-After`). RFC 7591 has no code for this, and
    /// the metadata is not at fault; RFC 6749's `temporarily_unavailable` says what it is.
    pub fn too_many_requests(retry_after_secs: u64, description: impl Into<String>) -> Self {
        Self {
            retry_after_secs: Some(retry_after_secs),
            ..Self::new(
                "temporarily_unavailable",
                StatusCode::TOO_MANY_REQUESTS,
                description,
            )
        }
    }

    /// A parameter is missing, repeated or malformed.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new("invalid_request", StatusCode::BAD_REQUEST, description)
    }

    /// The client is unknown or its secret is wrong (401, with a Basic challenge).
    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new("invalid_client", StatusCode::UNAUTHORIZED, description)
    }

    /// The code or refresh token is unknown, expired, used, or not this client's.
    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new("invalid_grant", StatusCode::BAD_REQUEST, description)
    }

    /// A grant type other than `authorization_code` and `refresh_token`.
    pub fn unsupported_grant_type(description: impl Into<String>) -> Self {
        Self::new(
            "unsupported_grant_type",
            StatusCode::BAD_REQUEST,
            description,
        )
    }

    /// The `resource` (RFC 8707) is not this server.
    pub fn invalid_target(description: impl Into<String>) -> Self {
        Self::new("invalid_target", StatusCode::BAD_REQUEST, description)
    }

    /// A registration redirect URI we will not send codes to (RFC 7591).
    pub fn invalid_redirect_uri(description: impl Into<String>) -> Self {
        Self::new("invalid_redirect_uri", StatusCode::BAD_REQUEST, description)
    }

    /// The state store did not answer (503): the client may retry in a moment.
    pub fn temporarily_unavailable(description: impl Into<String>) -> Self {
        Self::new(
            "temporarily_unavailable",
            StatusCode::SERVICE_UNAVAILABLE,
            description,
        )
    }

    /// Other registration metadata we cannot honour (RFC 7591).
    pub fn invalid_client_metadata(description: impl Into<String>) -> Self {
        Self::new(
            "invalid_client_metadata",
            StatusCode::BAD_REQUEST,
            description,
        )
    }
}

/// A state store that did not answer, in the OAuth endpoints' words (503): the client may
/// retry in a moment. Every store call of the OAuth server turns into this through `?`.
impl From<StoreError> for OAuthError {
    fn from(error: StoreError) -> Self {
        tracing::warn!(%error, "state store call failed");
        Self::temporarily_unavailable(error.to_string())
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.code, "error_description": self.description });
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(secs) = self.retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"tidsreg-gpt\""),
            );
        }
        response
    }
}
