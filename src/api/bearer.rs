//! The bearer check in front of every `/api` route: an API key or an OAuth access token.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;
use super::error::ApiError;
use crate::sessions::CallerId;

/// Lets the request through only with a known key, and hands the handler the caller's
/// identity (an extension), never the key itself.
pub async fn require(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let presented = bearer_token(request.headers()).ok_or(ApiError::MissingKey)?;
    let caller = identify(&state, presented).ok_or(ApiError::WrongKey)?;
    request.extensions_mut().insert(caller);
    Ok(next.run(request).await)
}

/// The caller a bearer token stands for: an API key, else a live OAuth access token.
pub fn identify(state: &AppState, presented: &str) -> Option<CallerId> {
    state
        .keys
        .identify(presented)
        .or_else(|| state.oauth.identify(presented))
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive, per RFC 9110).
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
